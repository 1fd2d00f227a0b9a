-- Rooms as managed records of a unit, and one calendar per room (issue 14, rooms half).
-- A clash on a room's calendar is refused by the database: on SQLite by the triggers below,
-- which run inside the one writer's transaction (BEGIN IMMEDIATE), so a check and its insert
-- cannot interleave with another writer's.

ALTER TABLE rooms ADD COLUMN kind TEXT NOT NULL DEFAULT '其他';
-- A JSON array of short texts (投影仪, 钢琴, 音响).
ALTER TABLE rooms ADD COLUMN facilities TEXT NOT NULL DEFAULT '[]';
ALTER TABLE rooms ADD COLUMN accessibility TEXT NOT NULL DEFAULT '';
ALTER TABLE rooms ADD COLUMN description TEXT NOT NULL DEFAULT '';
-- Who may book it later (team bookings, resident practice): stored now, used by teams.
ALTER TABLE rooms ADD COLUMN bookable_by TEXT NOT NULL DEFAULT 'none' CHECK (bookable_by IN ('none','teams','residents'));
ALTER TABLE rooms ADD COLUMN book_ahead_days BIGINT NOT NULL DEFAULT 14;
ALTER TABLE rooms ADD COLUMN max_slot_minutes BIGINT NOT NULL DEFAULT 180;
ALTER TABLE rooms ADD COLUMN weekly_hours_per_team BIGINT NOT NULL DEFAULT 6;
ALTER TABLE rooms ADD COLUMN cancel_hours_before BIGINT NOT NULL DEFAULT 24;
-- Closed for good (the record stays for history); temporary closures are calendar entries.
ALTER TABLE rooms ADD COLUMN closed_at TEXT;
ALTER TABLE rooms ADD COLUMN created_at TEXT NOT NULL DEFAULT '';
ALTER TABLE rooms ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';

CREATE TABLE room_photos (
    room_id   BIGINT NOT NULL REFERENCES rooms(id),
    file_id   BIGINT NOT NULL REFERENCES files(id),
    position  BIGINT NOT NULL,
    PRIMARY KEY (room_id, file_id)
);

-- Regular opening hours: one span per weekday (1 = Monday … 7 = Sunday), China Standard Time.
CREATE TABLE room_hours (
    room_id  BIGINT NOT NULL REFERENCES rooms(id),
    weekday  BIGINT NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    opens    TEXT   NOT NULL,
    closes   TEXT   NOT NULL,
    CHECK (opens < closes),
    PRIMARY KEY (room_id, weekday)
);

-- The room's calendar: activity sessions, closures (holidays, maintenance) and, later, team
-- bookings. Times are epoch seconds, half-open [starts_s, ends_s).
CREATE TABLE room_calendar (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    room_id     BIGINT  NOT NULL REFERENCES rooms(id),
    kind        TEXT    NOT NULL CHECK (kind IN ('session','closure','team_booking')),
    session_id  BIGINT  UNIQUE REFERENCES sessions(id),
    starts_s    BIGINT  NOT NULL,
    ends_s      BIGINT  NOT NULL,
    -- Closures: why (国庆假期, 设备检修); shown to staff only.
    reason      TEXT    NOT NULL DEFAULT '',
    created_by  BIGINT  REFERENCES users(id),
    created_at  TEXT    NOT NULL,
    CHECK (ends_s > starts_s),
    CHECK ((kind = 'session') = (session_id IS NOT NULL))
);
CREATE INDEX room_calendar_room_start ON room_calendar(room_id, starts_s);

CREATE TRIGGER room_calendar_no_clash_insert BEFORE INSERT ON room_calendar
WHEN EXISTS (SELECT 1 FROM room_calendar c WHERE c.room_id = NEW.room_id
             AND c.starts_s < NEW.ends_s AND NEW.starts_s < c.ends_s)
BEGIN
    SELECT RAISE(ABORT, 'room_clash');
END;

CREATE TRIGGER room_calendar_no_clash_update BEFORE UPDATE OF room_id, starts_s, ends_s ON room_calendar
WHEN EXISTS (SELECT 1 FROM room_calendar c WHERE c.room_id = NEW.room_id AND c.id <> NEW.id
             AND c.starts_s < NEW.ends_s AND NEW.starts_s < c.ends_s)
BEGIN
    SELECT RAISE(ABORT, 'room_clash');
END;

-- A session names a room of its unit, or (outside = 1) a place outside the unit in `room`.
ALTER TABLE sessions ADD COLUMN room_id BIGINT REFERENCES rooms(id);
ALTER TABLE sessions ADD COLUMN outside BIGINT NOT NULL DEFAULT 0;
-- Why the session has more seats than the room (required when it does).
ALTER TABLE sessions ADD COLUMN capacity_reason TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_room ON sessions(room_id);

-- Free-text rooms become room records, per unit and name; the room holds the largest session
-- ever placed there so no existing session exceeds it.
INSERT INTO rooms (unit_id, name, capacity, created_at, updated_at)
SELECT s.unit_id, TRIM(s.room), CAST(MAX(COALESCE(s.capacity, 0)) AS BIGINT),
       strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
FROM sessions s
WHERE TRIM(s.room) <> ''
  AND NOT EXISTS (SELECT 1 FROM rooms r WHERE r.unit_id = s.unit_id AND r.name = TRIM(s.room))
GROUP BY s.unit_id, TRIM(s.room);

UPDATE sessions SET room_id = (SELECT r.id FROM rooms r WHERE r.unit_id = sessions.unit_id AND r.name = TRIM(sessions.room)),
                    room = TRIM(room)
WHERE TRIM(room) <> '';

UPDATE rooms SET created_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
WHERE created_at = '';

-- Scheduled sessions go on their room's calendar; one that already clashes with an earlier
-- session keeps its room but stays off the calendar until it is moved (D151).
INSERT INTO room_calendar (room_id, kind, session_id, starts_s, ends_s, created_at)
SELECT s.room_id, 'session', s.id, CAST(strftime('%s', s.starts_at) AS INTEGER), CAST(strftime('%s', s.ends_at) AS INTEGER),
       strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
FROM sessions s
WHERE s.room_id IS NOT NULL AND s.status = 'scheduled' AND s.ends_at > s.starts_at
  AND NOT EXISTS (SELECT 1 FROM sessions o WHERE o.room_id = s.room_id AND o.status = 'scheduled' AND o.id < s.id
                  AND o.starts_at < s.ends_at AND s.starts_at < o.ends_at)
ORDER BY s.id;
