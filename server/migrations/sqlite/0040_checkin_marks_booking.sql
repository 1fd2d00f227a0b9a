-- Issue 18 (D268): an admission marks its booking checked in from a trigger, so a scan writes
-- the admission in one statement (`INSERT … SELECT … FROM bookings WHERE status = 'confirmed'`).
-- SQLite's single writer (`BEGIN IMMEDIATE`) orders it against a cancellation.
CREATE TRIGGER checkins_mark_booking AFTER INSERT ON checkins
BEGIN
    UPDATE bookings SET checked_in_at = COALESCE(checked_in_at, NEW.admitted_at) WHERE id = NEW.booking_id;
END;
