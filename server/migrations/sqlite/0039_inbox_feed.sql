-- The staff inbox change feed (issue 18, D265). Every change to what an inbox page or its
-- counters show appends a row here, from triggers, so no writer (the service, the worker, an
-- operator's SQL) can forget it; each instance polls the table (`inbox_cache::POLL_EVERY`) and
-- drops its ready pages of that subtree. unit_path set: the unit of the changed rating, reply
-- or counter; NULL: everything (a title, a unit's name or path, a person's name).
-- Only the last 5,000 rows are kept; an instance that finds a gap flushes its whole cache.
CREATE TABLE inbox_changes (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_path TEXT
);

CREATE TRIGGER inbox_feed_prune AFTER INSERT ON inbox_changes
BEGIN
    DELETE FROM inbox_changes WHERE id < NEW.id - 5000;
END;

CREATE TRIGGER inbox_feed_rating_ins AFTER INSERT ON ratings
BEGIN
    INSERT INTO inbox_changes (unit_path) VALUES (NEW.unit_path);
END;

CREATE TRIGGER inbox_feed_rating_upd AFTER UPDATE ON ratings
BEGIN
    INSERT INTO inbox_changes (unit_path) VALUES (OLD.unit_path);
    INSERT INTO inbox_changes (unit_path) SELECT NEW.unit_path WHERE NEW.unit_path <> OLD.unit_path;
END;

CREATE TRIGGER inbox_feed_rating_del AFTER DELETE ON ratings
BEGIN
    INSERT INTO inbox_changes (unit_path) VALUES (OLD.unit_path);
END;

CREATE TRIGGER inbox_feed_reply_ins AFTER INSERT ON rating_replies
BEGIN
    INSERT INTO inbox_changes (unit_path) VALUES ((SELECT unit_path FROM ratings WHERE id = NEW.rating_id));
END;

CREATE TRIGGER inbox_feed_reply_upd AFTER UPDATE ON rating_replies
BEGIN
    INSERT INTO inbox_changes (unit_path) VALUES ((SELECT unit_path FROM ratings WHERE id = NEW.rating_id));
    INSERT INTO inbox_changes (unit_path) SELECT (SELECT unit_path FROM ratings WHERE id = OLD.rating_id) WHERE NEW.rating_id <> OLD.rating_id;
END;

CREATE TRIGGER inbox_feed_reply_del AFTER DELETE ON rating_replies
BEGIN
    INSERT INTO inbox_changes (unit_path) VALUES ((SELECT unit_path FROM ratings WHERE id = OLD.rating_id));
END;

CREATE TRIGGER inbox_feed_counter_ins AFTER INSERT ON feedback_counters
BEGIN
    INSERT INTO inbox_changes (unit_path) VALUES ((SELECT path FROM org_units WHERE id = NEW.unit_id));
END;

CREATE TRIGGER inbox_feed_counter_upd AFTER UPDATE ON feedback_counters
BEGIN
    INSERT INTO inbox_changes (unit_path) VALUES ((SELECT path FROM org_units WHERE id = NEW.unit_id));
END;

CREATE TRIGGER inbox_feed_counter_del AFTER DELETE ON feedback_counters
BEGIN
    INSERT INTO inbox_changes (unit_path) VALUES ((SELECT path FROM org_units WHERE id = OLD.unit_id));
END;

CREATE TRIGGER inbox_feed_activity_title AFTER UPDATE OF title ON activities
    WHEN OLD.title IS NOT NEW.title
BEGIN
    INSERT INTO inbox_changes (unit_path) VALUES (NULL);
END;

CREATE TRIGGER inbox_feed_unit_upd AFTER UPDATE OF short_name, path ON org_units
    WHEN OLD.short_name IS NOT NEW.short_name OR OLD.path IS NOT NEW.path
BEGIN
    INSERT INTO inbox_changes (unit_path) VALUES (NULL);
END;

CREATE TRIGGER inbox_feed_unit_del AFTER DELETE ON org_units
BEGIN
    INSERT INTO inbox_changes (unit_path) VALUES (NULL);
END;

CREATE TRIGGER inbox_feed_user_name AFTER UPDATE OF display_name ON users
    WHEN OLD.display_name IS NOT NEW.display_name
BEGIN
    INSERT INTO inbox_changes (unit_path) VALUES (NULL);
END;

CREATE TRIGGER inbox_feed_user_del AFTER DELETE ON users
BEGIN
    INSERT INTO inbox_changes (unit_path) VALUES (NULL);
END;
