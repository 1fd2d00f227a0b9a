-- Passing a booking to someone else (转让): the holder creates a one-time code, the recipient
-- accepts it; the old booking is cancelled and a new one is created in one transaction.
CREATE TABLE booking_transfers (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    booking_id      BIGINT  NOT NULL REFERENCES bookings(id),
    from_user_id    BIGINT  NOT NULL REFERENCES users(id),
    -- SHA-256 of the code; the code itself is only shown to the holder once.
    code_hash       TEXT    NOT NULL UNIQUE,
    status          TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open','accepted','revoked')),
    expires_at      TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    accepted_by     BIGINT  REFERENCES users(id),
    accepted_at     TEXT,
    new_booking_id  BIGINT  REFERENCES bookings(id)
);
-- At most one open code per booking: a new code replaces the old one.
CREATE UNIQUE INDEX booking_transfers_one_open ON booking_transfers(booking_id) WHERE status = 'open';
