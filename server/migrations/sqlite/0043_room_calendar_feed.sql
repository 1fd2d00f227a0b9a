-- The room calendar change feed (issue 18, D274). Every change to what the staff week calendar
-- (`GET /rooms/calendar`) shows appends a row here, from triggers, so no writer (the service,
-- the worker, an operator's SQL) can forget it; each instance polls the table
-- (`change_feed::POLL_EVERY`) and drops its ready calendars of that unit. unit_id set: the unit
-- of the room whose calendar entry, record, hours or photos changed, or of the rooms where an
-- activity whose title changed has sessions; NULL (a room that no longer exists): everything.
-- Only the last 5,000 rows are kept; an instance that finds a gap flushes its whole cache.
CREATE TABLE room_calendar_changes (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id BIGINT
);

CREATE TRIGGER room_calendar_feed_prune AFTER INSERT ON room_calendar_changes
BEGIN
    DELETE FROM room_calendar_changes WHERE id < NEW.id - 5000;
END;

-- Calendar entries: sessions, closures, room bookings.
CREATE TRIGGER room_calendar_feed_entry_ins AFTER INSERT ON room_calendar
BEGIN
    INSERT INTO room_calendar_changes (unit_id) VALUES ((SELECT unit_id FROM rooms WHERE id = NEW.room_id));
END;

CREATE TRIGGER room_calendar_feed_entry_upd AFTER UPDATE ON room_calendar
BEGIN
    INSERT INTO room_calendar_changes (unit_id) VALUES ((SELECT unit_id FROM rooms WHERE id = OLD.room_id));
    INSERT INTO room_calendar_changes (unit_id) SELECT (SELECT unit_id FROM rooms WHERE id = NEW.room_id) WHERE NEW.room_id <> OLD.room_id;
END;

CREATE TRIGGER room_calendar_feed_entry_del AFTER DELETE ON room_calendar
BEGIN
    INSERT INTO room_calendar_changes (unit_id) VALUES ((SELECT unit_id FROM rooms WHERE id = OLD.room_id));
END;

-- The rooms themselves: the columns the calendar shows (not updated_at, which a room booking
-- touches to take the room's row lock).
CREATE TRIGGER room_calendar_feed_room_ins AFTER INSERT ON rooms
BEGIN
    INSERT INTO room_calendar_changes (unit_id) VALUES (NEW.unit_id);
END;

CREATE TRIGGER room_calendar_feed_room_upd AFTER UPDATE OF unit_id, name, kind, capacity, facilities,
    accessibility, description, bookable_by, book_ahead_days, max_slot_minutes, weekly_hours_per_team,
    cancel_hours_before, closed_at, auto_confirm ON rooms
BEGIN
    INSERT INTO room_calendar_changes (unit_id) VALUES (OLD.unit_id);
    INSERT INTO room_calendar_changes (unit_id) SELECT NEW.unit_id WHERE NEW.unit_id <> OLD.unit_id;
END;

CREATE TRIGGER room_calendar_feed_room_del AFTER DELETE ON rooms
BEGIN
    INSERT INTO room_calendar_changes (unit_id) VALUES (OLD.unit_id);
END;

-- Opening hours and photos, shown with each room.
CREATE TRIGGER room_calendar_feed_hours_ins AFTER INSERT ON room_hours
BEGIN
    INSERT INTO room_calendar_changes (unit_id) VALUES ((SELECT unit_id FROM rooms WHERE id = NEW.room_id));
END;

CREATE TRIGGER room_calendar_feed_hours_upd AFTER UPDATE ON room_hours
BEGIN
    INSERT INTO room_calendar_changes (unit_id) VALUES ((SELECT unit_id FROM rooms WHERE id = OLD.room_id));
    INSERT INTO room_calendar_changes (unit_id) SELECT (SELECT unit_id FROM rooms WHERE id = NEW.room_id) WHERE NEW.room_id <> OLD.room_id;
END;

CREATE TRIGGER room_calendar_feed_hours_del AFTER DELETE ON room_hours
BEGIN
    INSERT INTO room_calendar_changes (unit_id) VALUES ((SELECT unit_id FROM rooms WHERE id = OLD.room_id));
END;

CREATE TRIGGER room_calendar_feed_photos_ins AFTER INSERT ON room_photos
BEGIN
    INSERT INTO room_calendar_changes (unit_id) VALUES ((SELECT unit_id FROM rooms WHERE id = NEW.room_id));
END;

CREATE TRIGGER room_calendar_feed_photos_upd AFTER UPDATE ON room_photos
BEGIN
    INSERT INTO room_calendar_changes (unit_id) VALUES ((SELECT unit_id FROM rooms WHERE id = OLD.room_id));
    INSERT INTO room_calendar_changes (unit_id) SELECT (SELECT unit_id FROM rooms WHERE id = NEW.room_id) WHERE NEW.room_id <> OLD.room_id;
END;

CREATE TRIGGER room_calendar_feed_photos_del AFTER DELETE ON room_photos
BEGIN
    INSERT INTO room_calendar_changes (unit_id) VALUES ((SELECT unit_id FROM rooms WHERE id = OLD.room_id));
END;

-- A session entry shows its activity's id and title: the units whose rooms hold them.
CREATE TRIGGER room_calendar_feed_activity_title AFTER UPDATE OF title ON activities
    WHEN OLD.title IS NOT NEW.title
BEGIN
    INSERT INTO room_calendar_changes (unit_id)
    SELECT DISTINCT r.unit_id FROM sessions s JOIN room_calendar c ON c.session_id = s.id
    JOIN rooms r ON r.id = c.room_id WHERE s.activity_id = NEW.id;
END;

CREATE TRIGGER room_calendar_feed_session_activity AFTER UPDATE OF activity_id ON sessions
    WHEN OLD.activity_id IS NOT NEW.activity_id
BEGIN
    INSERT INTO room_calendar_changes (unit_id)
    SELECT r.unit_id FROM room_calendar c JOIN rooms r ON r.id = c.room_id WHERE c.session_id = NEW.id;
END;
