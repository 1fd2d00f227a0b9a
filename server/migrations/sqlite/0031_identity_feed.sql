-- The identity change feed (issue 18, D210). Every change that can alter who a bearer token
-- resolves to appends a row here, from triggers, so no writer can forget it; each instance
-- polls the table (`caller_cache::POLL_EVERY`) and drops its cached callers for that person.
-- user_id NULL means "everyone" (a unit's path changed). Only the last 5,000 rows are kept; an
-- instance that finds a gap flushes its whole cache.
CREATE TABLE identity_changes (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT
);

CREATE TRIGGER identity_feed_prune AFTER INSERT ON identity_changes
BEGIN
    DELETE FROM identity_changes WHERE id < NEW.id - 5000;
END;

CREATE TRIGGER identity_feed_session_upd AFTER UPDATE OF revoked_at, expires_at, user_id ON auth_sessions
BEGIN
    INSERT INTO identity_changes (user_id) VALUES (OLD.user_id);
END;

CREATE TRIGGER identity_feed_session_del AFTER DELETE ON auth_sessions
BEGIN
    INSERT INTO identity_changes (user_id) VALUES (OLD.user_id);
END;

CREATE TRIGGER identity_feed_grant_ins AFTER INSERT ON role_grants
BEGIN
    INSERT INTO identity_changes (user_id) VALUES (NEW.user_id);
END;

CREATE TRIGGER identity_feed_grant_upd AFTER UPDATE ON role_grants
BEGIN
    INSERT INTO identity_changes (user_id) VALUES (OLD.user_id);
    INSERT INTO identity_changes (user_id) VALUES (NEW.user_id);
END;

CREATE TRIGGER identity_feed_grant_del AFTER DELETE ON role_grants
BEGIN
    INSERT INTO identity_changes (user_id) VALUES (OLD.user_id);
END;

CREATE TRIGGER identity_feed_user_upd AFTER UPDATE OF deleted_at, openid ON users
BEGIN
    INSERT INTO identity_changes (user_id) VALUES (OLD.id);
END;

CREATE TRIGGER identity_feed_user_del AFTER DELETE ON users
BEGIN
    INSERT INTO identity_changes (user_id) VALUES (OLD.id);
END;

CREATE TRIGGER identity_feed_unit_path AFTER UPDATE OF path ON org_units
BEGIN
    INSERT INTO identity_changes (user_id) VALUES (NULL);
END;

CREATE TRIGGER identity_feed_unit_del AFTER DELETE ON org_units
BEGIN
    INSERT INTO identity_changes (user_id) VALUES (NULL);
END;
