-- Evidence for the ledgers (活动照片台账): photos (staff-only files) with a short note,
-- attached by staff to a session once it has been held. A ledger is complete when every
-- held session has at least one. Removed evidence is kept (removed_at) for the audit trail.
CREATE TABLE session_evidence (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id  BIGINT  NOT NULL REFERENCES sessions(id),
    file_id     BIGINT  NOT NULL UNIQUE REFERENCES files(id),
    -- Copied from the session, so scoped look-ups are one prefix match.
    unit_path   TEXT    NOT NULL,
    note        TEXT    NOT NULL DEFAULT '',
    created_by  BIGINT  REFERENCES users(id),
    created_at  TEXT    NOT NULL,
    removed_at  TEXT,
    removed_by  BIGINT  REFERENCES users(id)
);
CREATE INDEX session_evidence_session ON session_evidence(session_id);
CREATE INDEX session_evidence_path ON session_evidence(unit_path);
