-- Room bookings (issue 14): verified art teams, and residents where a room allows it, book
-- slots in a unit's bookable rooms. A booking holds its slot on the room's calendar from the
-- moment it is requested (pending or confirmed, D201): the calendar's guard (triggers here,
-- the exclusion constraint on PostgreSQL) refuses a second booking of the same time.

-- The room confirms bookings itself instead of waiting for staff (D202).
ALTER TABLE rooms ADD COLUMN auto_confirm BIGINT NOT NULL DEFAULT 0;

CREATE TABLE room_bookings (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    room_id       BIGINT  NOT NULL REFERENCES rooms(id),
    unit_id       BIGINT  NOT NULL REFERENCES org_units(id),
    -- The team booking (its leader books); NULL for a resident's own practice booking.
    team_id       BIGINT  REFERENCES teams(id),
    -- Who asked (the team's leader at the time, or the resident).
    user_id       BIGINT  NOT NULL REFERENCES users(id),
    starts_s      BIGINT  NOT NULL,
    ends_s        BIGINT  NOT NULL,
    purpose       TEXT    NOT NULL DEFAULT '',
    status        TEXT    NOT NULL CHECK (status IN ('pending','confirmed','declined','cancelled')),
    -- The slot held on the room's calendar while pending or confirmed; NULL once freed.
    calendar_id   BIGINT  UNIQUE REFERENCES room_calendar(id),
    decided_by    BIGINT  REFERENCES users(id),
    decided_at    TEXT,
    decline_reason TEXT   NOT NULL DEFAULT '',
    cancelled_at  TEXT,
    checked_in_at TEXT,
    checked_in_by BIGINT  REFERENCES users(id),
    no_show_waived_at    TEXT,
    no_show_waive_reason TEXT NOT NULL DEFAULT '',
    no_show_waived_by    BIGINT REFERENCES users(id),
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    CHECK (ends_s > starts_s)
);
CREATE INDEX room_bookings_room ON room_bookings(room_id, starts_s);
CREATE INDEX room_bookings_team ON room_bookings(team_id, starts_s);
CREATE INDEX room_bookings_user ON room_bookings(user_id, starts_s);
CREATE INDEX room_bookings_unit ON room_bookings(unit_id, status);
