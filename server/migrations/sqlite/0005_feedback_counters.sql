-- The staff inbox must cost the same after years of feedback.
-- 1. Ratings carry their branch (the depth-2 ancestor), so a branch's or a point's newest
--    page is an index range in id order: (branch_id, id) or (unit_id, id).
-- 2. Unread / flagged / held counts are kept per unit, updated in the same transaction as
--    every change, so counting a scope sums at most one row per unit.
ALTER TABLE ratings ADD COLUMN branch_id BIGINT;
UPDATE ratings SET branch_id = (SELECT CASE WHEN u.level IN ('branch','direct_branch') THEN u.id ELSE u.parent_id END
                                FROM org_units u WHERE u.id = ratings.unit_id);
CREATE INDEX ratings_branch_id ON ratings(branch_id, id);
CREATE INDEX ratings_unit_id ON ratings(unit_id, id);

CREATE TABLE feedback_counters (
    unit_id       BIGINT PRIMARY KEY REFERENCES org_units(id),
    total         BIGINT NOT NULL DEFAULT 0,
    unread        BIGINT NOT NULL DEFAULT 0,
    flagged_open  BIGINT NOT NULL DEFAULT 0,
    held          BIGINT NOT NULL DEFAULT 0
);
INSERT INTO feedback_counters (unit_id, total, unread, flagged_open, held)
SELECT unit_id, COUNT(*),
       SUM(CASE WHEN read_at IS NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN flagged = 1 AND handled_at IS NULL THEN 1 ELSE 0 END),
       SUM(CASE WHEN comment_status = 'held' THEN 1 ELSE 0 END)
FROM ratings GROUP BY unit_id;
-- Superseded by the id-ordered indexes above.
DROP INDEX ratings_path;
DROP INDEX ratings_unread;
