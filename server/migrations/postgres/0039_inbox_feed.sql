-- The staff inbox change feed (issue 18, D265). Every change to what an inbox page or its
-- counters show sends NOTIFY culturehub_inbox at commit, from triggers, so no writer (the
-- service, the worker, an operator's SQL) can forget it; each instance LISTENs and drops its
-- ready pages of that subtree (`inbox_cache`). Payload: the unit path of the changed rating,
-- reply or counter, or '*' (a title, a unit's name or path, a person's name: everything).
-- PostgreSQL folds identical notifications of one transaction into one.
-- The table exists on both databases so the schema stays alike; PostgreSQL does not use it.
CREATE TABLE inbox_changes (
    id        BIGSERIAL PRIMARY KEY,
    unit_path TEXT
);

CREATE FUNCTION inbox_feed_rating() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('culturehub_inbox', OLD.unit_path);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('culturehub_inbox', NEW.unit_path);
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION inbox_feed_reply() RETURNS trigger AS $$
DECLARE
    rid BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN rid := OLD.rating_id; ELSE rid := NEW.rating_id; END IF;
    PERFORM pg_notify('culturehub_inbox',
        COALESCE((SELECT unit_path FROM ratings WHERE id = rid), '*'));
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION inbox_feed_counter() RETURNS trigger AS $$
DECLARE
    uid BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN uid := OLD.unit_id; ELSE uid := NEW.unit_id; END IF;
    PERFORM pg_notify('culturehub_inbox',
        COALESCE((SELECT path FROM org_units WHERE id = uid), '*'));
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE FUNCTION inbox_feed_everyone() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('culturehub_inbox', '*');
    RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER inbox_feed_rating AFTER INSERT OR UPDATE OR DELETE ON ratings
    FOR EACH ROW EXECUTE FUNCTION inbox_feed_rating();
CREATE TRIGGER inbox_feed_reply AFTER INSERT OR UPDATE OR DELETE ON rating_replies
    FOR EACH ROW EXECUTE FUNCTION inbox_feed_reply();
CREATE TRIGGER inbox_feed_counter AFTER INSERT OR UPDATE OR DELETE ON feedback_counters
    FOR EACH ROW EXECUTE FUNCTION inbox_feed_counter();
CREATE TRIGGER inbox_feed_activity_title AFTER UPDATE OF title ON activities
    FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title)
    EXECUTE FUNCTION inbox_feed_everyone();
CREATE TRIGGER inbox_feed_unit_upd AFTER UPDATE OF short_name, path ON org_units
    FOR EACH ROW WHEN (OLD.short_name IS DISTINCT FROM NEW.short_name OR OLD.path IS DISTINCT FROM NEW.path)
    EXECUTE FUNCTION inbox_feed_everyone();
CREATE TRIGGER inbox_feed_unit_del AFTER DELETE ON org_units
    FOR EACH STATEMENT EXECUTE FUNCTION inbox_feed_everyone();
CREATE TRIGGER inbox_feed_user_name AFTER UPDATE OF display_name ON users
    FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)
    EXECUTE FUNCTION inbox_feed_everyone();
CREATE TRIGGER inbox_feed_user_del AFTER DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION inbox_feed_everyone();
