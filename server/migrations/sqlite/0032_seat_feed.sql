-- The seat change feed (issue 18, D211). Every change that can reopen a full seat pool (or
-- change how its refusal reads) appends a row here, from triggers, so no writer can forget it;
-- each instance polls the table (`full_sessions::POLL_EVERY`) and forgets that pool is full.
-- session_id set: that pool; else activity_id set: its pools; both NULL: everything.
-- Only the last 5,000 rows are kept; an instance that finds a gap flushes its whole set.
-- Check-ins (bookings.checked_in_at) do not fire: they never change seats.
CREATE TABLE seat_changes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id  BIGINT,
    activity_id BIGINT
);

CREATE TRIGGER seat_feed_prune AFTER INSERT ON seat_changes
BEGIN
    DELETE FROM seat_changes WHERE id < NEW.id - 5000;
END;

CREATE TRIGGER seat_feed_session_upd AFTER UPDATE OF activity_id, lesson_no, starts_at, capacity, booked, waitlisted, booking_opens_at, booking_closes_at, status ON sessions
BEGIN
    INSERT INTO seat_changes (session_id) VALUES (OLD.id);
END;

CREATE TRIGGER seat_feed_session_del AFTER DELETE ON sessions
BEGIN
    INSERT INTO seat_changes (session_id) VALUES (OLD.id);
END;

CREATE TRIGGER seat_feed_booking_ins AFTER INSERT ON bookings
BEGIN
    INSERT INTO seat_changes (session_id) VALUES (NEW.session_id);
END;

CREATE TRIGGER seat_feed_booking_upd AFTER UPDATE OF session_id, attendee_key, status ON bookings
BEGIN
    INSERT INTO seat_changes (session_id) VALUES (OLD.session_id);
    INSERT INTO seat_changes (session_id) SELECT NEW.session_id WHERE NEW.session_id <> OLD.session_id;
END;

CREATE TRIGGER seat_feed_booking_del AFTER DELETE ON bookings
BEGIN
    INSERT INTO seat_changes (session_id) VALUES (OLD.session_id);
END;

CREATE TRIGGER seat_feed_activity_upd AFTER UPDATE OF status, booking_mode, is_course, age_min, age_max, lottery_drawn_at, audience, organizer_unit_id ON activities
BEGIN
    INSERT INTO seat_changes (activity_id) VALUES (OLD.id);
END;

CREATE TRIGGER seat_feed_unit_path AFTER UPDATE OF path ON org_units
BEGIN
    INSERT INTO seat_changes (session_id, activity_id) VALUES (NULL, NULL);
END;
