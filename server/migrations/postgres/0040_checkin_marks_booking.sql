-- Issue 18 (D268): on SQLite this migration adds a trigger by which an admission marks its
-- booking checked in. PostgreSQL needs none: there the scan's one statement updates (and so
-- locks) the booking and inserts the admission from it (`checkin::admit`). Kept so both
-- databases number their migrations alike.
SELECT 1;
