-- The seat change feed (issue 18, D211). Every change that can reopen a full seat pool (or
-- change how its refusal reads) sends NOTIFY culturehub_seats at commit, from triggers, so no
-- writer can forget it; each instance LISTENs on the same connection string and forgets that
-- pool is full. Payload: 's:<session id>', 'a:<activity id>' or '*'.
-- Check-ins (bookings.checked_in_at) do not fire: they never change seats.
-- The table exists on both databases so the schema stays alike; PostgreSQL does not use it.
CREATE TABLE seat_changes (
    id          BIGSERIAL PRIMARY KEY,
    session_id  BIGINT,
    activity_id BIGINT
);

CREATE FUNCTION seat_feed_session() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('culturehub_seats', 's:' || OLD.id::text);
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION seat_feed_booking_new() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('culturehub_seats', 's:' || NEW.session_id::text);
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION seat_feed_booking_old() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('culturehub_seats', 's:' || OLD.session_id::text);
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION seat_feed_activity() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('culturehub_seats', 'a:' || OLD.id::text);
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION seat_feed_everyone() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('culturehub_seats', '*');
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER seat_feed_session_upd AFTER UPDATE OF activity_id, lesson_no, starts_at, capacity, booked, waitlisted, booking_opens_at, booking_closes_at, status ON sessions
    FOR EACH ROW EXECUTE FUNCTION seat_feed_session();
CREATE TRIGGER seat_feed_session_del AFTER DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION seat_feed_session();
CREATE TRIGGER seat_feed_booking_ins AFTER INSERT ON bookings
    FOR EACH ROW EXECUTE FUNCTION seat_feed_booking_new();
CREATE TRIGGER seat_feed_booking_upd_old AFTER UPDATE OF session_id, attendee_key, status ON bookings
    FOR EACH ROW EXECUTE FUNCTION seat_feed_booking_old();
CREATE TRIGGER seat_feed_booking_upd_new AFTER UPDATE OF session_id ON bookings
    FOR EACH ROW EXECUTE FUNCTION seat_feed_booking_new();
CREATE TRIGGER seat_feed_booking_del AFTER DELETE ON bookings
    FOR EACH ROW EXECUTE FUNCTION seat_feed_booking_old();
CREATE TRIGGER seat_feed_activity_upd AFTER UPDATE OF status, booking_mode, is_course, age_min, age_max, lottery_drawn_at, audience, organizer_unit_id ON activities
    FOR EACH ROW EXECUTE FUNCTION seat_feed_activity();
CREATE TRIGGER seat_feed_unit_path AFTER UPDATE OF path ON org_units
    FOR EACH STATEMENT EXECUTE FUNCTION seat_feed_everyone();
