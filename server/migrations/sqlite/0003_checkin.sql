-- Tickets, volunteers, assignments, check-ins, offline conflicts, head counts.

-- Server-held secrets the embedded default keeps in its own database (production sets them
-- in configuration instead, so a database dump alone cannot mint tickets).
CREATE TABLE server_secrets (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);

-- One ticket per booking. The QR token is HMAC(ticket key, salt): only its SHA-256 is stored.
CREATE TABLE tickets (
    booking_id  BIGINT PRIMARY KEY REFERENCES bookings(id),
    salt        TEXT   NOT NULL,
    token_hash  TEXT   NOT NULL UNIQUE,
    created_at  TEXT   NOT NULL
);

CREATE TABLE volunteer_applications (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     BIGINT  NOT NULL REFERENCES users(id),
    unit_id     BIGINT  NOT NULL REFERENCES org_units(id),
    note        TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','approved','rejected')),
    decided_by  BIGINT  REFERENCES users(id),
    decided_at  TEXT,
    created_at  TEXT    NOT NULL
);
CREATE UNIQUE INDEX volunteer_applications_pending ON volunteer_applications(user_id, unit_id) WHERE status = 'pending';

-- A volunteer assigned to a session, or to a unit for a day (session_id NULL, day set).
CREATE TABLE assignments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     BIGINT  NOT NULL REFERENCES users(id),
    session_id  BIGINT  REFERENCES sessions(id),
    unit_id     BIGINT  NOT NULL REFERENCES org_units(id),
    unit_path   TEXT    NOT NULL,
    -- China-time date for unit-day assignments: 'YYYY-MM-DD'.
    day         TEXT,
    created_by  BIGINT  REFERENCES users(id),
    created_at  TEXT    NOT NULL,
    removed_at  TEXT
);
CREATE INDEX assignments_user ON assignments(user_id);
CREATE INDEX assignments_session ON assignments(session_id);

-- An admission at the door. One live admission per booking per session (lesson).
CREATE TABLE checkins (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    booking_id   BIGINT  NOT NULL REFERENCES bookings(id),
    session_id   BIGINT  NOT NULL REFERENCES sessions(id),
    volunteer_id BIGINT  REFERENCES users(id),
    source       TEXT    NOT NULL CHECK (source IN ('scan','offline','staff','self')),
    admitted_at  TEXT    NOT NULL,
    recorded_at  TEXT    NOT NULL,
    undone_at    TEXT,
    undone_by    BIGINT  REFERENCES users(id),
    undo_reason  TEXT
);
CREATE UNIQUE INDEX checkins_once ON checkins(booking_id, session_id) WHERE undone_at IS NULL;
CREATE INDEX checkins_session ON checkins(session_id);

-- Every scan a volunteer sent, by its client nonce: a retry returns the first answer.
CREATE TABLE scans (
    volunteer_id BIGINT NOT NULL REFERENCES users(id),
    nonce        TEXT   NOT NULL,
    session_id   BIGINT NOT NULL,
    answer       TEXT   NOT NULL,
    created_at   TEXT   NOT NULL,
    PRIMARY KEY (volunteer_id, nonce)
);

-- The same ticket admitted at the door by two offline phones: kept for staff, never dropped.
CREATE TABLE checkin_conflicts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id    BIGINT  NOT NULL REFERENCES sessions(id),
    booking_id    BIGINT  NOT NULL REFERENCES bookings(id),
    checkin_id    BIGINT  NOT NULL REFERENCES checkins(id),
    volunteer_id  BIGINT  REFERENCES users(id),
    scanned_at    TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    resolved_at   TEXT,
    resolved_by   BIGINT  REFERENCES users(id),
    resolution    TEXT
);
CREATE INDEX checkin_conflicts_session ON checkin_conflicts(session_id);

-- Walk-in events: counts recorded by volunteers, and residents' own venue-code check-ins.
CREATE TABLE headcounts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id   BIGINT  NOT NULL REFERENCES sessions(id),
    volunteer_id BIGINT  REFERENCES users(id),
    user_id      BIGINT  REFERENCES users(id),
    count        BIGINT  NOT NULL CHECK (count > 0 AND count <= 10000),
    nonce        TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    UNIQUE (session_id, nonce)
);
CREATE UNIQUE INDEX headcounts_self_once ON headcounts(session_id, user_id) WHERE user_id IS NOT NULL;
