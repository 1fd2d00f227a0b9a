-- The 活动 ledger sheet (ledger::activities) counts each activity's bookings with a correlated
-- subquery on bookings.activity_id, which had no index: one full scan of bookings per activity,
-- 17.9 s for 2,000 activities × 100,000 bookings on SQLite, past the 15 s request timeout (D213).
CREATE INDEX bookings_activity_status ON bookings(activity_id, status);
