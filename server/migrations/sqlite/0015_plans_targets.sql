-- Yearly plans and targets (issue 13): a plan per district and year with its targets, the
-- allocation of those targets to branches and points, the main center's work-plan items, and
-- partner confirmation of joint activities (a partner counts only once it has confirmed).

CREATE TABLE plans (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The district's root unit (the main center); one plan per district and year.
    district_unit_id      BIGINT  NOT NULL REFERENCES org_units(id),
    -- China Standard Time calendar year.
    year                  BIGINT  NOT NULL,
    performances          BIGINT  NOT NULL CHECK (performances >= 0),
    lectures_exhibitions  BIGINT  NOT NULL CHECK (lectures_exhibitions >= 0),
    trainings             BIGINT  NOT NULL CHECK (trainings >= 0),
    updated_by            BIGINT  REFERENCES users(id),
    created_at            TEXT    NOT NULL,
    updated_at            TEXT    NOT NULL,
    UNIQUE (district_unit_id, year)
);

CREATE TABLE plan_allocations (
    plan_id   BIGINT NOT NULL REFERENCES plans(id),
    unit_id   BIGINT NOT NULL REFERENCES org_units(id),
    category  TEXT   NOT NULL CHECK (category IN ('performances','lectures_exhibitions','trainings')),
    target    BIGINT NOT NULL CHECK (target >= 0),
    PRIMARY KEY (plan_id, unit_id, category)
);

CREATE TABLE plan_items (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id     BIGINT  NOT NULL REFERENCES plans(id),
    title       TEXT    NOT NULL,
    -- CST month, YYYY-MM.
    month       TEXT    NOT NULL,
    note        TEXT    NOT NULL DEFAULT '',
    created_at  TEXT    NOT NULL
);
CREATE TABLE plan_item_units (
    item_id  BIGINT NOT NULL REFERENCES plan_items(id),
    unit_id  BIGINT NOT NULL REFERENCES org_units(id),
    PRIMARY KEY (item_id, unit_id)
);
CREATE TABLE plan_item_activities (
    item_id      BIGINT NOT NULL REFERENCES plan_items(id),
    activity_id  BIGINT NOT NULL REFERENCES activities(id),
    PRIMARY KEY (item_id, activity_id)
);

-- A named partner has not taken part until it says so from its own inbox.
ALTER TABLE activity_units ADD COLUMN status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','confirmed','declined'));
ALTER TABLE activity_units ADD COLUMN responded_at TEXT;
ALTER TABLE activity_units ADD COLUMN responded_by BIGINT REFERENCES users(id);
CREATE INDEX activity_units_unit ON activity_units(unit_id, status);
