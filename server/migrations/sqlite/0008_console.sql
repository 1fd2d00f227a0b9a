-- The staff console: scan-to-sign-in codes and browser sessions (cookie), closing units,
-- cancelling single sessions with a reason.

-- A one-time login code shown as a mini-program code in the browser. The browser that created
-- it holds a secret (cookie) whose hash is `binding_hash`: only it can collect the session.
CREATE TABLE console_login_codes (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    nonce         TEXT    NOT NULL UNIQUE,
    binding_hash  TEXT    NOT NULL,
    status        TEXT    NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending','scanned','confirmed','rejected','used')),
    browser       TEXT    NOT NULL DEFAULT '',
    ip            TEXT    NOT NULL DEFAULT '',
    place         TEXT    NOT NULL DEFAULT '',
    created_at    TEXT    NOT NULL,
    expires_at    TEXT    NOT NULL,
    scanned_by    BIGINT  REFERENCES users(id),
    scanned_at    TEXT,
    decided_at    TEXT,
    session_id    BIGINT
);

-- A signed-in browser. Only the SHA-256 of the cookie value is stored.
CREATE TABLE console_sessions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         BIGINT  NOT NULL REFERENCES users(id),
    token_hash      TEXT    NOT NULL UNIQUE,
    via             TEXT    NOT NULL CHECK (via IN ('scan','dev')),
    browser         TEXT    NOT NULL DEFAULT '',
    ip              TEXT    NOT NULL DEFAULT '',
    place           TEXT    NOT NULL DEFAULT '',
    created_at      TEXT    NOT NULL,
    last_used_at    TEXT    NOT NULL,
    expires_at      TEXT    NOT NULL,
    revoked_at      TEXT,
    revoked_reason  TEXT
);
CREATE INDEX console_sessions_user ON console_sessions(user_id);

-- A closed unit keeps its history; it no longer appears in the public network.
ALTER TABLE org_units ADD COLUMN closed_at TEXT;

-- One session (lesson) cancelled on its own, with the reason residents were told.
ALTER TABLE sessions ADD COLUMN cancel_reason TEXT;
