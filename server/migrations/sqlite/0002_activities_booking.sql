-- Activities, sessions, bookings, family members, idempotency, notification outbox.

CREATE TABLE activities (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    title               TEXT    NOT NULL,
    kind                TEXT    NOT NULL CHECK (kind IN ('performance','lecture','exhibition','training','art_team','other')),
    organizer_unit_id   BIGINT  NOT NULL REFERENCES org_units(id),
    description         TEXT    NOT NULL DEFAULT '',
    poster_url          TEXT    NOT NULL DEFAULT '',
    age_min             BIGINT,
    age_max             BIGINT,
    booking_mode        TEXT    NOT NULL CHECK (booking_mode IN ('fcfs','lottery','none')),
    -- A course: one booking covers every lesson; seats live on the first lesson (the anchor).
    is_course           BIGINT  NOT NULL DEFAULT 0,
    status              TEXT    NOT NULL DEFAULT 'draft' CHECK (status IN ('draft','published','cancelled','finished')),
    cancel_reason       TEXT,
    -- Set when the main center delivers (配送) this activity to the organizing unit.
    delivered_by_unit_id BIGINT REFERENCES org_units(id),
    lottery_draw_at     TEXT,
    -- Commitment: SHA-256 of the seed, published before entries close; the seed after the draw.
    lottery_seed_hash   TEXT,
    lottery_seed        TEXT,
    lottery_drawn_at    TEXT,
    created_by          BIGINT  REFERENCES users(id),
    is_demo             BIGINT  NOT NULL DEFAULT 0,
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL,
    published_at        TEXT
);
CREATE INDEX activities_organizer ON activities(organizer_unit_id);
CREATE INDEX activities_status ON activities(status);

CREATE TABLE activity_units (
    activity_id  BIGINT NOT NULL REFERENCES activities(id),
    unit_id      BIGINT NOT NULL REFERENCES org_units(id),
    PRIMARY KEY (activity_id, unit_id)
);

CREATE TABLE sessions (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id        BIGINT  NOT NULL REFERENCES activities(id),
    lesson_no          BIGINT  NOT NULL DEFAULT 1,
    unit_id            BIGINT  NOT NULL REFERENCES org_units(id),
    -- Copied from the unit so browsing "a branch and its points" is one indexed prefix match.
    unit_path          TEXT    NOT NULL,
    room               TEXT    NOT NULL DEFAULT '',
    starts_at          TEXT    NOT NULL,
    ends_at            TEXT    NOT NULL,
    -- NULL: open, no booking.
    capacity           BIGINT  CHECK (capacity IS NULL OR capacity >= 0),
    booked             BIGINT  NOT NULL DEFAULT 0,
    waitlisted         BIGINT  NOT NULL DEFAULT 0,
    wait_seq           BIGINT  NOT NULL DEFAULT 0,
    booking_opens_at   TEXT,
    booking_closes_at  TEXT,
    status             TEXT    NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled','cancelled')),
    CHECK (booked >= 0 AND waitlisted >= 0),
    CHECK (capacity IS NULL OR booked <= capacity)
);
CREATE INDEX sessions_activity ON sessions(activity_id, lesson_no);
CREATE INDEX sessions_path_start ON sessions(unit_path, starts_at);
CREATE INDEX sessions_start ON sessions(starts_at);

CREATE TABLE family_members (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id              BIGINT  NOT NULL REFERENCES users(id),
    name                 TEXT    NOT NULL,
    relation             TEXT    NOT NULL CHECK (relation IN ('child','elder','spouse','other')),
    birth_date           TEXT    NOT NULL,
    guardian_consent_at  TEXT,
    created_at           TEXT    NOT NULL,
    deleted_at           TEXT
);
CREATE INDEX family_members_user ON family_members(user_id);

CREATE TABLE bookings (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The seat pool: the session, or for a course its first lesson.
    session_id          BIGINT  NOT NULL REFERENCES sessions(id),
    activity_id         BIGINT  NOT NULL REFERENCES activities(id),
    user_id             BIGINT  NOT NULL REFERENCES users(id),
    family_member_id    BIGINT  REFERENCES family_members(id),
    -- 'u:<user>' or 'f:<family member>': one active booking per person per seat pool.
    attendee_key        TEXT    NOT NULL,
    status              TEXT    NOT NULL CHECK (status IN ('confirmed','waitlisted','entered','cancelled')),
    waitlist_pos        BIGINT,
    created_at          TEXT    NOT NULL,
    confirmed_at        TEXT,
    cancelled_at        TEXT,
    cancel_reason       TEXT,
    checked_in_at       TEXT,
    no_show_waived_at   TEXT,
    no_show_waive_reason TEXT,
    no_show_waived_by   BIGINT REFERENCES users(id),
    is_demo             BIGINT  NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX bookings_one_active ON bookings(session_id, attendee_key) WHERE status <> 'cancelled';
CREATE INDEX bookings_user ON bookings(user_id, status);
CREATE INDEX bookings_session_status ON bookings(session_id, status, waitlist_pos);

CREATE TABLE idempotency_keys (
    user_id      BIGINT NOT NULL REFERENCES users(id),
    key          TEXT   NOT NULL,
    operation    TEXT   NOT NULL,
    status       BIGINT NOT NULL,
    body         TEXT   NOT NULL,
    created_at   TEXT   NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- Serialises one person's bookings so the per-person limit holds under concurrency.
ALTER TABLE users ADD COLUMN booking_seq BIGINT NOT NULL DEFAULT 0;

CREATE TABLE subscription_grants (
    user_id    BIGINT NOT NULL REFERENCES users(id),
    kind       TEXT   NOT NULL,
    remaining  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, kind)
);

-- Durable outbox of WeChat subscribe messages, worked by the background worker.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id          BIGINT  NOT NULL REFERENCES users(id),
    kind             TEXT    NOT NULL,
    -- Never enqueue the same message twice (e.g. 'reminder:<booking>:<minutes>').
    dedupe_key       TEXT    NOT NULL UNIQUE,
    page             TEXT,
    data             TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending','sending','sent','refused','skipped','failed','unknown')),
    attempts         BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at  TEXT    NOT NULL,
    locked_by        TEXT,
    locked_until     TEXT,
    last_error       TEXT,
    created_at       TEXT    NOT NULL,
    sent_at          TEXT
);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
