-- The targets' change counter (issue 18, D260). Each instance keeps a year's session facts for
-- the targets in memory (`targets_cache`) and reads this one row per request: any change to
-- what the counting rules read bumps it, from triggers, so a write made on another instance
-- or by hand in SQL is seen by the next request (the bump commits with the change). Seat
-- counters (booked, waitlisted) are left out: bookings update them constantly and they never
-- change what is counted. Row-level triggers (a statement-level one would also fire for the
-- worker's periodic UPDATE that touches no row), bumping once per transaction (`last_tx`).
CREATE TABLE targets_version (
    id      BIGINT PRIMARY KEY,
    version BIGINT NOT NULL,
    last_tx BIGINT
);
INSERT INTO targets_version (id, version) VALUES (1, 0);

CREATE FUNCTION targets_bump() RETURNS trigger AS $$
BEGIN
    UPDATE targets_version SET version = version + 1, last_tx = txid_current()
        WHERE id = 1 AND last_tx IS DISTINCT FROM txid_current();
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER targets_activity_insdel AFTER INSERT OR DELETE ON activities
    FOR EACH ROW EXECUTE FUNCTION targets_bump();
CREATE TRIGGER targets_activity_upd AFTER UPDATE OF status, kind, title, audience, is_course, delivered_by_unit_id, organizer_unit_id ON activities
    FOR EACH ROW EXECUTE FUNCTION targets_bump();

CREATE TRIGGER targets_session_insdel AFTER INSERT OR DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION targets_bump();
CREATE TRIGGER targets_session_upd AFTER UPDATE OF status, starts_at, ends_at, unit_id, unit_path, activity_id, lesson_no ON sessions
    FOR EACH ROW EXECUTE FUNCTION targets_bump();

CREATE TRIGGER targets_partner_all AFTER INSERT OR UPDATE OR DELETE ON activity_units
    FOR EACH ROW EXECUTE FUNCTION targets_bump();

CREATE TRIGGER targets_unit_insdel AFTER INSERT OR DELETE ON org_units
    FOR EACH ROW EXECUTE FUNCTION targets_bump();
CREATE TRIGGER targets_unit_upd AFTER UPDATE OF path, short_name, level, parent_id ON org_units
    FOR EACH ROW EXECUTE FUNCTION targets_bump();

CREATE TRIGGER targets_plan_all AFTER INSERT OR UPDATE OR DELETE ON plans
    FOR EACH ROW EXECUTE FUNCTION targets_bump();
CREATE TRIGGER targets_alloc_all AFTER INSERT OR UPDATE OR DELETE ON plan_allocations
    FOR EACH ROW EXECUTE FUNCTION targets_bump();
