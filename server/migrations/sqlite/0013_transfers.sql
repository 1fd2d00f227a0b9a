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

-- Notices staff send to a session's attendees (changed room, bring materials): one row per
-- notice, one message per attendee in their in-app list (我的消息), and a subscribe message each.
CREATE TABLE session_notices (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id  BIGINT  NOT NULL REFERENCES sessions(id),
    sent_by     BIGINT  NOT NULL REFERENCES users(id),
    body        TEXT    NOT NULL,
    recipients  BIGINT  NOT NULL DEFAULT 0,
    created_at  TEXT    NOT NULL
);
CREATE INDEX session_notices_session ON session_notices(session_id, created_at);

CREATE TABLE user_messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     BIGINT  NOT NULL REFERENCES users(id),
    kind        TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    -- Mini-program page the message opens.
    page        TEXT,
    notice_id   BIGINT  REFERENCES session_notices(id),
    created_at  TEXT    NOT NULL,
    read_at     TEXT
);
CREATE INDEX user_messages_user ON user_messages(user_id, id);
