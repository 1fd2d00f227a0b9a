-- The room calendar change feed (issue 18, D274). Every change to what the staff week calendar
-- (`GET /rooms/calendar`) shows sends NOTIFY culturehub_rooms at commit, from triggers, so no
-- writer (the service, the worker, an operator's SQL) can forget it; each instance LISTENs and
-- drops its ready calendars of that unit (`room_calendar_cache`). Payload: the unit id of the
-- room whose calendar entry, record, hours or photos changed, or of the rooms where an activity
-- whose title changed has sessions; '*' (a room that no longer exists): everything.
-- PostgreSQL folds identical notifications of one transaction into one.
-- The table exists on both databases so the schema stays alike; PostgreSQL does not use it.
CREATE TABLE room_calendar_changes (
    id      BIGSERIAL PRIMARY KEY,
    unit_id BIGINT
);

-- A row with a room_id (room_calendar, room_hours, room_photos): that room's unit.
CREATE FUNCTION room_calendar_feed_room() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('culturehub_rooms',
            COALESCE((SELECT unit_id FROM rooms WHERE id = OLD.room_id)::text, '*'));
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('culturehub_rooms',
            COALESCE((SELECT unit_id FROM rooms WHERE id = NEW.room_id)::text, '*'));
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

-- A room: its unit.
CREATE FUNCTION room_calendar_feed_unit() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('culturehub_rooms', OLD.unit_id::text);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('culturehub_rooms', NEW.unit_id::text);
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

-- An activity's title: the units whose rooms hold its sessions.
CREATE FUNCTION room_calendar_feed_activity() RETURNS trigger AS $$
DECLARE
    u BIGINT;
BEGIN
    FOR u IN SELECT DISTINCT r.unit_id FROM sessions s JOIN room_calendar c ON c.session_id = s.id
             JOIN rooms r ON r.id = c.room_id WHERE s.activity_id = NEW.id LOOP
        PERFORM pg_notify('culturehub_rooms', u::text);
    END LOOP;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

-- A session's activity: the unit whose room holds it.
CREATE FUNCTION room_calendar_feed_session() RETURNS trigger AS $$
DECLARE
    u BIGINT;
BEGIN
    FOR u IN SELECT r.unit_id FROM room_calendar c JOIN rooms r ON r.id = c.room_id
             WHERE c.session_id = NEW.id LOOP
        PERFORM pg_notify('culturehub_rooms', u::text);
    END LOOP;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER room_calendar_feed_entry AFTER INSERT OR UPDATE OR DELETE ON room_calendar
    FOR EACH ROW EXECUTE FUNCTION room_calendar_feed_room();
CREATE TRIGGER room_calendar_feed_hours AFTER INSERT OR UPDATE OR DELETE ON room_hours
    FOR EACH ROW EXECUTE FUNCTION room_calendar_feed_room();
CREATE TRIGGER room_calendar_feed_photos AFTER INSERT OR UPDATE OR DELETE ON room_photos
    FOR EACH ROW EXECUTE FUNCTION room_calendar_feed_room();
-- The columns the calendar shows (not updated_at, which a room booking touches to take the
-- room's row lock).
CREATE TRIGGER room_calendar_feed_room AFTER INSERT OR DELETE OR UPDATE OF unit_id, name, kind,
    capacity, facilities, accessibility, description, bookable_by, book_ahead_days,
    max_slot_minutes, weekly_hours_per_team, cancel_hours_before, closed_at, auto_confirm ON rooms
    FOR EACH ROW EXECUTE FUNCTION room_calendar_feed_unit();
CREATE TRIGGER room_calendar_feed_activity_title AFTER UPDATE OF title ON activities
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title)
    EXECUTE FUNCTION room_calendar_feed_activity();
CREATE TRIGGER room_calendar_feed_session_activity AFTER UPDATE OF activity_id ON sessions
    FOR EACH ROW WHEN (OLD.activity_id IS DISTINCT FROM NEW.activity_id)
    EXECUTE FUNCTION room_calendar_feed_session();
