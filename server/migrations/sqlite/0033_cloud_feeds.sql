-- Culture-cloud connection and calendar feeds (issue 17, D220–D229).

-- The culture-cloud outbox (D221): one row per push of an aggregate snapshot. The row is the
-- send log too: staff read status, attempts, the receiver's last answer. The payload holds no
-- personal data by construction (`cloud::Snapshot`).
CREATE TABLE cloud_outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    -- 'snapshot:<China date>' for the daily push, 'manual:<uuid>' for a staff trigger.
    dedupe_key       TEXT    NOT NULL UNIQUE,
    target           TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending','sending','sent','failed')),
    attempts         BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at  TEXT    NOT NULL,
    locked_by        TEXT,
    locked_until     TEXT,
    last_status      BIGINT,
    last_error       TEXT,
    requested_by     BIGINT  REFERENCES users(id),
    created_at       TEXT    NOT NULL,
    sent_at          TEXT
);
CREATE INDEX cloud_outbox_due ON cloud_outbox(status, next_attempt_at);

-- A resident's personal calendar feed (D226): only the SHA-256 of the URL token is kept.
CREATE TABLE calendar_tokens (
    user_id     BIGINT  PRIMARY KEY REFERENCES users(id),
    token_hash  TEXT    NOT NULL UNIQUE,
    created_at  TEXT    NOT NULL
);
