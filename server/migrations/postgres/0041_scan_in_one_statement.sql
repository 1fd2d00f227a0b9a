-- Issue 18 (D271). On SQLite this migration lets a scan write its admission and its answer in
-- one statement (columns and a trigger on `checkins`). PostgreSQL needs none: there the one
-- statement is a chain of data-modifying CTEs (`checkin::admit_scan`). Kept so both databases
-- have the same migration numbers.
SELECT 1;
