-- The targets' change counter (issue 18, D260). Each instance keeps a year's session facts for
-- the targets in memory (`targets_cache`) and reads this one row per request: any change to
-- what the counting rules read bumps it, from triggers, so a write made on another instance
-- or by hand in SQL is seen by the next request. Seat counters (booked, waitlisted) are left
-- out: bookings update them constantly and they never change what is counted.
-- last_tx is used on PostgreSQL only (one bump per transaction); kept so the schemas stay alike.
CREATE TABLE targets_version (
    id      INTEGER PRIMARY KEY,
    version BIGINT NOT NULL,
    last_tx BIGINT
);
INSERT INTO targets_version (id, version) VALUES (1, 0);

CREATE TRIGGER targets_activity_ins AFTER INSERT ON activities
BEGIN UPDATE targets_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER targets_activity_upd AFTER UPDATE OF status, kind, title, audience, is_course, delivered_by_unit_id, organizer_unit_id ON activities
BEGIN UPDATE targets_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER targets_activity_del AFTER DELETE ON activities
BEGIN UPDATE targets_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER targets_session_ins AFTER INSERT ON sessions
BEGIN UPDATE targets_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER targets_session_upd AFTER UPDATE OF status, starts_at, ends_at, unit_id, unit_path, activity_id, lesson_no ON sessions
BEGIN UPDATE targets_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER targets_session_del AFTER DELETE ON sessions
BEGIN UPDATE targets_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER targets_partner_ins AFTER INSERT ON activity_units
BEGIN UPDATE targets_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER targets_partner_upd AFTER UPDATE ON activity_units
BEGIN UPDATE targets_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER targets_partner_del AFTER DELETE ON activity_units
BEGIN UPDATE targets_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER targets_unit_ins AFTER INSERT ON org_units
BEGIN UPDATE targets_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER targets_unit_upd AFTER UPDATE OF path, short_name, level, parent_id ON org_units
BEGIN UPDATE targets_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER targets_unit_del AFTER DELETE ON org_units
BEGIN UPDATE targets_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER targets_plan_ins AFTER INSERT ON plans
BEGIN UPDATE targets_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER targets_plan_upd AFTER UPDATE ON plans
BEGIN UPDATE targets_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER targets_plan_del AFTER DELETE ON plans
BEGIN UPDATE targets_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER targets_alloc_ins AFTER INSERT ON plan_allocations
BEGIN UPDATE targets_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER targets_alloc_upd AFTER UPDATE ON plan_allocations
BEGIN UPDATE targets_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER targets_alloc_del AFTER DELETE ON plan_allocations
BEGIN UPDATE targets_version SET version = version + 1 WHERE id = 1; END;
