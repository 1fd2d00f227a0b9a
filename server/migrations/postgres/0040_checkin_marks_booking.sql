-- Issue 18 (D268). On SQLite this migration also adds a trigger by which an admission marks its
-- booking checked in; PostgreSQL needs none: there the scan's one statement updates (and so
-- locks) the booking and inserts the admission from it (`checkin::admit`).

-- The session's live admissions, counted by every scan inside its write.
CREATE INDEX checkins_live_session ON checkins(session_id) WHERE undone_at IS NULL;
