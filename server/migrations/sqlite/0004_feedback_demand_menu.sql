-- Ratings and replies, demand requests, the cultural menu and its orders and votes.

CREATE TABLE ratings (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    booking_id          BIGINT  NOT NULL REFERENCES bookings(id),
    session_id          BIGINT  NOT NULL REFERENCES sessions(id),
    activity_id         BIGINT  NOT NULL REFERENCES activities(id),
    -- Where it happened, copied for scoped queries (a branch sees its points' feedback).
    unit_id             BIGINT  NOT NULL REFERENCES org_units(id),
    unit_path           TEXT    NOT NULL,
    kind                TEXT    NOT NULL,
    user_id             BIGINT  NOT NULL REFERENCES users(id),
    score               BIGINT  NOT NULL CHECK (score BETWEEN 1 AND 5),
    content_score       BIGINT  CHECK (content_score BETWEEN 1 AND 5),
    teacher_score       BIGINT  CHECK (teacher_score BETWEEN 1 AND 5),
    venue_score         BIGINT  CHECK (venue_score BETWEEN 1 AND 5),
    organisation_score  BIGINT  CHECK (organisation_score BETWEEN 1 AND 5),
    tags                TEXT    NOT NULL DEFAULT '',
    comment             TEXT    NOT NULL DEFAULT '',
    -- none (no comment), published, held (waiting for staff), rejected.
    comment_status      TEXT    NOT NULL DEFAULT 'none' CHECK (comment_status IN ('none','published','held','rejected')),
    moderation_note     TEXT    NOT NULL DEFAULT '',
    flagged             BIGINT  NOT NULL DEFAULT 0,
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL,
    read_at             TEXT,
    handled_at          TEXT,
    handled_by          BIGINT  REFERENCES users(id),
    first_reply_at      TEXT,
    UNIQUE (booking_id, session_id)
);
CREATE INDEX ratings_path ON ratings(unit_path, id);
CREATE INDEX ratings_activity ON ratings(activity_id, id);
CREATE INDEX ratings_unread ON ratings(unit_path, read_at);

CREATE TABLE rating_replies (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    rating_id   BIGINT  NOT NULL REFERENCES ratings(id),
    staff_id    BIGINT  NOT NULL REFERENCES users(id),
    unit_name   TEXT    NOT NULL,
    content     TEXT    NOT NULL,
    created_at  TEXT    NOT NULL
);
CREATE INDEX rating_replies_rating ON rating_replies(rating_id);

CREATE TABLE demands (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         BIGINT  NOT NULL REFERENCES users(id),
    kind            TEXT    NOT NULL,
    unit_id         BIGINT  NOT NULL REFERENCES org_units(id),
    unit_path       TEXT    NOT NULL,
    preferred_time  TEXT    NOT NULL DEFAULT '',
    age_group       TEXT    NOT NULL DEFAULT '',
    description     TEXT    NOT NULL,
    -- Text security check: published, held (for staff), rejected.
    visibility      TEXT    NOT NULL DEFAULT 'held' CHECK (visibility IN ('published','held','rejected')),
    status          TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open','accepted','planned','declined','fulfilled','merged')),
    status_reason   TEXT    NOT NULL DEFAULT '',
    merged_into     BIGINT  REFERENCES demands(id),
    activity_id     BIGINT  REFERENCES activities(id),
    supporters      BIGINT  NOT NULL DEFAULT 0,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    triaged_at      TEXT,
    fulfilled_at    TEXT
);
CREATE INDEX demands_path ON demands(unit_path, id);
CREATE INDEX demands_activity ON demands(activity_id);

CREATE TABLE demand_supports (
    demand_id   BIGINT NOT NULL REFERENCES demands(id),
    user_id     BIGINT NOT NULL REFERENCES users(id),
    created_at  TEXT   NOT NULL,
    PRIMARY KEY (demand_id, user_id)
);

CREATE TABLE menu_items (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    title         TEXT    NOT NULL,
    kind          TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    -- How many deliveries the main center can make between period_start and period_end.
    quota         BIGINT  NOT NULL CHECK (quota >= 0),
    period_start  TEXT    NOT NULL,
    period_end    TEXT    NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active','retired')),
    created_by    BIGINT  REFERENCES users(id),
    created_at    TEXT    NOT NULL
);

CREATE TABLE menu_orders (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    menu_item_id   BIGINT  NOT NULL REFERENCES menu_items(id),
    unit_id        BIGINT  NOT NULL REFERENCES org_units(id),
    unit_path      TEXT    NOT NULL,
    requested_date TEXT    NOT NULL,
    note           TEXT    NOT NULL DEFAULT '',
    status         TEXT    NOT NULL DEFAULT 'requested' CHECK (status IN ('requested','approved','rejected','delivered')),
    reason         TEXT    NOT NULL DEFAULT '',
    activity_id    BIGINT  REFERENCES activities(id),
    created_by     BIGINT  REFERENCES users(id),
    created_at     TEXT    NOT NULL,
    decided_by     BIGINT  REFERENCES users(id),
    decided_at     TEXT
);
CREATE INDEX menu_orders_path ON menu_orders(unit_path, id);
CREATE INDEX menu_orders_item ON menu_orders(menu_item_id, status);

CREATE TABLE menu_votes (
    menu_item_id  BIGINT NOT NULL REFERENCES menu_items(id),
    unit_id       BIGINT NOT NULL REFERENCES org_units(id),
    user_id       BIGINT NOT NULL REFERENCES users(id),
    created_at    TEXT   NOT NULL,
    PRIMARY KEY (menu_item_id, unit_id, user_id)
);
