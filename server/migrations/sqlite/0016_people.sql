-- People (issue 13): the staff register, kept apart from app roles, and dual dispatch (双派).
-- Dates are China Standard Time calendar days, `YYYY-MM-DD`; `to_date` is the last day
-- (inclusive) or NULL while open.

CREATE TABLE staff_members (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The unit the person belongs to (their post is here, whatever roles the app gives them).
    unit_id     BIGINT  NOT NULL REFERENCES org_units(id),
    name        TEXT    NOT NULL,
    phone       TEXT,
    -- One of the district's posts (`policy.staff_posts`).
    post        TEXT    NOT NULL,
    employment  TEXT    NOT NULL CHECK (employment IN ('full_time','part_time','seconded')),
    from_date   TEXT    NOT NULL,
    to_date     TEXT,
    -- The person's account, when they have one.
    user_id     BIGINT  REFERENCES users(id),
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL
);
CREATE INDEX staff_members_unit ON staff_members(unit_id);

CREATE TABLE dispatches (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    staff_id     BIGINT  NOT NULL REFERENCES staff_members(id),
    from_unit_id BIGINT  NOT NULL REFERENCES org_units(id),
    to_unit_id   BIGINT  NOT NULL REFERENCES org_units(id),
    -- 'deputy_head' (main center → branch) or 'instructor' (branch → point).
    kind         TEXT    NOT NULL CHECK (kind IN ('deputy_head','instructor')),
    post         TEXT    NOT NULL,
    from_date    TEXT    NOT NULL,
    to_date      TEXT,
    created_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
);
CREATE INDEX dispatches_to ON dispatches(to_unit_id);
CREATE INDEX dispatches_staff ON dispatches(staff_id);
