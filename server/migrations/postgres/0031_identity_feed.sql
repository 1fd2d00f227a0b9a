-- The identity change feed (issue 18, D210). Every change that can alter who a bearer token
-- resolves to sends NOTIFY culturehub_identity at commit, from triggers, so no writer can
-- forget it; each instance LISTENs on the same connection string and drops its cached callers
-- for that person. Payload: the user id, or '*' (a unit's path changed: everyone).
-- The table exists on both databases so the schema stays alike; PostgreSQL does not use it.
CREATE TABLE identity_changes (
    id      BIGSERIAL PRIMARY KEY,
    user_id BIGINT
);

CREATE FUNCTION identity_feed_old_user() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('culturehub_identity', OLD.user_id::text);
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION identity_feed_new_user() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('culturehub_identity', NEW.user_id::text);
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION identity_feed_old_id() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('culturehub_identity', OLD.id::text);
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION identity_feed_everyone() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('culturehub_identity', '*');
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER identity_feed_session_upd AFTER UPDATE OF revoked_at, expires_at, user_id ON auth_sessions
    FOR EACH ROW EXECUTE FUNCTION identity_feed_old_user();
CREATE TRIGGER identity_feed_session_del AFTER DELETE ON auth_sessions
    FOR EACH ROW EXECUTE FUNCTION identity_feed_old_user();
CREATE TRIGGER identity_feed_grant_ins AFTER INSERT ON role_grants
    FOR EACH ROW EXECUTE FUNCTION identity_feed_new_user();
CREATE TRIGGER identity_feed_grant_upd_old AFTER UPDATE ON role_grants
    FOR EACH ROW EXECUTE FUNCTION identity_feed_old_user();
CREATE TRIGGER identity_feed_grant_upd_new AFTER UPDATE ON role_grants
    FOR EACH ROW EXECUTE FUNCTION identity_feed_new_user();
CREATE TRIGGER identity_feed_grant_del AFTER DELETE ON role_grants
    FOR EACH ROW EXECUTE FUNCTION identity_feed_old_user();
CREATE TRIGGER identity_feed_user_upd AFTER UPDATE OF deleted_at, openid ON users
    FOR EACH ROW EXECUTE FUNCTION identity_feed_old_id();
CREATE TRIGGER identity_feed_user_del AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION identity_feed_old_id();
CREATE TRIGGER identity_feed_unit_path AFTER UPDATE OF path ON org_units
    FOR EACH STATEMENT EXECUTE FUNCTION identity_feed_everyone();
CREATE TRIGGER identity_feed_unit_del AFTER DELETE ON org_units
    FOR EACH STATEMENT EXECUTE FUNCTION identity_feed_everyone();
