-- Issue 18 (D268): an admission marks its booking checked in from a trigger, so a scan writes
-- the admission in one statement (`INSERT … SELECT … FROM bookings WHERE status = 'confirmed'`).
-- SQLite's single writer (`BEGIN IMMEDIATE`) orders it against a cancellation.
CREATE TRIGGER checkins_mark_booking AFTER INSERT ON checkins
BEGIN
    UPDATE bookings SET checked_in_at = COALESCE(checked_in_at, NEW.admitted_at) WHERE id = NEW.booking_id;
END;

-- The session's live admissions, counted by every scan inside its write: from this index alone,
-- without visiting the rows.
CREATE INDEX checkins_live_session ON checkins(session_id) WHERE undone_at IS NULL;
