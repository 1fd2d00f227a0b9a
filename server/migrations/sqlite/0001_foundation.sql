-- Foundation: the network, people, sessions, roles, invitations, audit.
-- Portable-type rules (see src/db.rs): BIGINT ids and flags, TEXT UTC timestamps.

CREATE TABLE org_units (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    code          TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL UNIQUE,
    short_name    TEXT    NOT NULL,
    level         TEXT    NOT NULL CHECK (level IN ('main','direct_branch','branch','point')),
    parent_id     BIGINT  REFERENCES org_units(id),
    -- Materialised path of ids, '/1/4/27/': a subtree is a prefix match.
    path          TEXT    NOT NULL,
    address       TEXT    NOT NULL DEFAULT '',
    lng           DOUBLE PRECISION,
    lat           DOUBLE PRECISION,
    opening_hours TEXT    NOT NULL DEFAULT '',
    phone         TEXT    NOT NULL DEFAULT '',
    host_type     TEXT    NOT NULL DEFAULT 'government'
                  CHECK (host_type IN ('government','school','enterprise','industrial_park','army','hospital','other')),
    contracted    BIGINT  NOT NULL DEFAULT 0,
    is_demo       BIGINT  NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL
);
CREATE INDEX org_units_parent ON org_units(parent_id);
CREATE INDEX org_units_path ON org_units(path);

CREATE TABLE rooms (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id   BIGINT  NOT NULL REFERENCES org_units(id),
    name      TEXT    NOT NULL,
    capacity  BIGINT  NOT NULL CHECK (capacity >= 0),
    UNIQUE (unit_id, name)
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    openid        TEXT    UNIQUE,
    unionid       TEXT,
    display_name  TEXT    NOT NULL DEFAULT '',
    phone         TEXT,
    is_demo       BIGINT  NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL,
    deleted_at    TEXT
);

CREATE TABLE auth_sessions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     BIGINT  NOT NULL REFERENCES users(id),
    token_hash  TEXT    NOT NULL UNIQUE,
    created_at  TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX auth_sessions_user ON auth_sessions(user_id);

CREATE TABLE role_grants (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     BIGINT  NOT NULL REFERENCES users(id),
    role        TEXT    NOT NULL,
    unit_id     BIGINT  NOT NULL REFERENCES org_units(id),
    granted_by  BIGINT  REFERENCES users(id),
    created_at  TEXT    NOT NULL,
    revoked_at  TEXT
);
CREATE UNIQUE INDEX role_grants_active ON role_grants(user_id, role, unit_id) WHERE revoked_at IS NULL;
CREATE INDEX role_grants_user ON role_grants(user_id);

CREATE TABLE invitations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    code_hash   TEXT    NOT NULL UNIQUE,
    role        TEXT    NOT NULL,
    unit_id     BIGINT  NOT NULL REFERENCES org_units(id),
    created_by  BIGINT  REFERENCES users(id),
    max_uses    BIGINT  NOT NULL,
    uses        BIGINT  NOT NULL DEFAULT 0,
    expires_at  TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    revoked_at  TEXT
);

-- Append-only: the application never updates or deletes rows here.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT    NOT NULL,
    actor_id    BIGINT,
    action      TEXT    NOT NULL,
    unit_id     BIGINT,
    target      TEXT    NOT NULL DEFAULT '',
    detail      TEXT    NOT NULL DEFAULT '',
    ip          TEXT    NOT NULL DEFAULT '',
    request_id  TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_unit ON audit_log(unit_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
