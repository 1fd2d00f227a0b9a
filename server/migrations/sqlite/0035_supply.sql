-- The supply side (issue 16): branch menus, providers, their offerings, procurement orders and
-- the budgets purchases are approved against.

-- A menu item belongs to the unit that publishes it: the main center (the district) or a
-- branch (its own points). Existing items were the main center's.
ALTER TABLE menu_items ADD COLUMN owner_unit_id BIGINT REFERENCES org_units(id);
ALTER TABLE menu_items ADD COLUMN owner_path TEXT NOT NULL DEFAULT '';
UPDATE menu_items SET
    owner_unit_id = (SELECT id FROM org_units WHERE parent_id IS NULL ORDER BY id LIMIT 1),
    owner_path = COALESCE((SELECT path FROM org_units WHERE parent_id IS NULL ORDER BY id LIMIT 1), '');

-- A provider (供给方) is a signed-in person linked to one provider record: not staff of a unit,
-- no grant (D240).
CREATE TABLE providers (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         BIGINT  NOT NULL UNIQUE REFERENCES users(id),
    name            TEXT    NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('troupe','teacher','social_org','enterprise','artist')),
    contact_name    TEXT    NOT NULL DEFAULT '',
    phone           TEXT    NOT NULL DEFAULT '',
    intro           TEXT    NOT NULL DEFAULT '',
    qualifications  TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','approved','returned','suspended')),
    review_comment  TEXT    NOT NULL DEFAULT '',
    reviewed_by     BIGINT  REFERENCES users(id),
    reviewed_at     TEXT,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
);

CREATE TABLE offerings (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    provider_id      BIGINT  NOT NULL REFERENCES providers(id),
    title            TEXT    NOT NULL,
    kind             TEXT    NOT NULL CHECK (kind IN ('performance','lecture','exhibition','course')),
    description      TEXT    NOT NULL DEFAULT '',
    duration_minutes BIGINT  NOT NULL CHECK (duration_minutes > 0),
    audience         TEXT    NOT NULL DEFAULT '',
    requirements     TEXT    NOT NULL DEFAULT '',
    -- Whole fen; 0 is free.
    price_fen        BIGINT  NOT NULL CHECK (price_fen >= 0),
    status           TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','approved','returned','suspended')),
    review_comment   TEXT    NOT NULL DEFAULT '',
    reviewed_by      BIGINT  REFERENCES users(id),
    reviewed_at      TEXT,
    created_at       TEXT    NOT NULL
);
CREATE INDEX offerings_provider ON offerings(provider_id, id);

-- What the main center gives a unit (itself or a branch) to buy with in a year. spent_fen only
-- grows by a conditional UPDATE, and the CHECK is the last guard against overspending.
CREATE TABLE procurement_budgets (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id     BIGINT  NOT NULL REFERENCES org_units(id),
    unit_path   TEXT    NOT NULL,
    year        BIGINT  NOT NULL,
    amount_fen  BIGINT  NOT NULL CHECK (amount_fen >= 0),
    spent_fen   BIGINT  NOT NULL DEFAULT 0 CHECK (spent_fen >= 0 AND spent_fen <= amount_fen),
    created_by  BIGINT  REFERENCES users(id),
    created_at  TEXT    NOT NULL,
    UNIQUE (unit_id, year)
);

CREATE TABLE procurement_orders (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    offering_id     BIGINT  NOT NULL REFERENCES offerings(id),
    provider_id     BIGINT  NOT NULL REFERENCES providers(id),
    unit_id         BIGINT  NOT NULL REFERENCES org_units(id),
    unit_path       TEXT    NOT NULL,
    requested_date  TEXT    NOT NULL,
    proposed_date   TEXT,
    note            TEXT    NOT NULL DEFAULT '',
    provider_note   TEXT    NOT NULL DEFAULT '',
    status          TEXT    NOT NULL DEFAULT 'requested' CHECK (status IN ('requested','proposed','accepted','purchased','delivered')),
    amount_fen      BIGINT  CHECK (amount_fen >= 0),
    contract_ref    TEXT    NOT NULL DEFAULT '',
    funding_source  TEXT    NOT NULL DEFAULT '',
    budget_id       BIGINT  REFERENCES procurement_budgets(id),
    purchased_by    BIGINT  REFERENCES users(id),
    purchased_at    TEXT,
    activity_id     BIGINT  REFERENCES activities(id),
    created_by      BIGINT  REFERENCES users(id),
    created_at      TEXT    NOT NULL
);
CREATE INDEX procurement_orders_path ON procurement_orders(unit_path, id);
CREATE INDEX procurement_orders_provider ON procurement_orders(provider_id, id);
CREATE INDEX procurement_orders_activity ON procurement_orders(activity_id);
