-- Evaluation (issue 15): indicator templates per district, year and level; rounds with the
-- tiered step machine (points → branches → main center → district acceptance); per-indicator
-- self-assessment and scores; third-party assignments; spot checks (督导/暗访) and rectification.

CREATE TABLE eval_indicators (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    district_unit_id  BIGINT  NOT NULL REFERENCES org_units(id),
    year              BIGINT  NOT NULL,
    level             TEXT    NOT NULL CHECK (level IN ('point','branch','main')),
    category          TEXT    NOT NULL,
    title             TEXT    NOT NULL,
    -- The indicator's full marks; the template's weights add up to its total (usually 100).
    max_score         DOUBLE PRECISION NOT NULL CHECK (max_score > 0),
    method            TEXT    NOT NULL CHECK (method IN ('auto','manual','both')),
    -- For automatic indicators: which figure of the system fills it (evaluation::SOURCES).
    source            TEXT    NOT NULL DEFAULT '',
    guidance          TEXT    NOT NULL DEFAULT '',
    position          BIGINT  NOT NULL DEFAULT 0,
    created_at        TEXT    NOT NULL
);
CREATE INDEX eval_indicators_template ON eval_indicators(district_unit_id, year, level, position);

CREATE TABLE eval_rounds (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    district_unit_id  BIGINT  NOT NULL REFERENCES org_units(id),
    year              BIGINT  NOT NULL,
    period            TEXT    NOT NULL CHECK (period IN ('year','h1','h2')),
    title             TEXT    NOT NULL,
    -- Deadlines of the steps (RFC 3339, UTC); a step done after its deadline is marked late.
    point_self_due    TEXT    NOT NULL,
    point_score_due   TEXT    NOT NULL,
    branch_self_due   TEXT    NOT NULL,
    branch_score_due  TEXT    NOT NULL,
    main_self_due     TEXT    NOT NULL,
    district_due      TEXT    NOT NULL,
    -- Grade thresholds on the 100-point scale: 优秀 ≥ excellent, 良好 ≥ good, 合格 ≥ pass.
    excellent         DOUBLE PRECISION NOT NULL,
    good              DOUBLE PRECISION NOT NULL,
    pass              DOUBLE PRECISION NOT NULL,
    status            TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open','published')),
    published_at      TEXT,
    created_by        BIGINT  REFERENCES users(id),
    created_at        TEXT    NOT NULL,
    UNIQUE (district_unit_id, year, period)
);

-- One per unit taking part in a round. Its indicators are copied in when the round opens, so
-- later template edits never change a running round.
CREATE TABLE eval_entries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id        BIGINT  NOT NULL REFERENCES eval_rounds(id),
    unit_id         BIGINT  NOT NULL REFERENCES org_units(id),
    unit_path       TEXT    NOT NULL,
    level           TEXT    NOT NULL CHECK (level IN ('point','branch','main')),
    -- self: the unit fills in; submitted: waiting for the level above; scored: done
    -- (for the main center: accepted, 验收).
    status          TEXT    NOT NULL DEFAULT 'self' CHECK (status IN ('self','submitted','scored')),
    return_comment  TEXT    NOT NULL DEFAULT '',
    submitted_at    TEXT,
    submitted_late  BIGINT  NOT NULL DEFAULT 0,
    scored_at       TEXT,
    scored_late     BIGINT  NOT NULL DEFAULT 0,
    scored_by       BIGINT  REFERENCES users(id),
    self_total      DOUBLE PRECISION,
    total           DOUBLE PRECISION,
    grade           TEXT,
    reward_note     TEXT    NOT NULL DEFAULT '',
    UNIQUE (round_id, unit_id)
);
CREATE INDEX eval_entries_round ON eval_entries(round_id, level, unit_path);

CREATE TABLE eval_items (
    entry_id       BIGINT  NOT NULL REFERENCES eval_entries(id),
    position       BIGINT  NOT NULL,
    category       TEXT    NOT NULL,
    title          TEXT    NOT NULL,
    max_score      DOUBLE PRECISION NOT NULL,
    method         TEXT    NOT NULL,
    source         TEXT    NOT NULL DEFAULT '',
    guidance       TEXT    NOT NULL DEFAULT '',
    -- Automatic value (0–100 percent of full marks) and what it was computed from; frozen
    -- (no longer recomputed) once the entry is scored.
    auto_percent   DOUBLE PRECISION,
    auto_basis     TEXT    NOT NULL DEFAULT '',
    self_score     DOUBLE PRECISION,
    self_comment   TEXT    NOT NULL DEFAULT '',
    -- JSON array of file ids (evidence: photos, scans) and a free-text list of ledger links.
    evidence       TEXT    NOT NULL DEFAULT '[]',
    score          DOUBLE PRECISION,
    score_comment  TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (entry_id, position)
);

-- A third-party evaluator's access to one round, or to one object (unit) within it.
CREATE TABLE eval_assignments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id      BIGINT  NOT NULL REFERENCES eval_rounds(id),
    user_id       BIGINT  NOT NULL REFERENCES users(id),
    -- NULL: the whole round.
    unit_id       BIGINT  REFERENCES org_units(id),
    assessment    TEXT    NOT NULL DEFAULT '',
    score         DOUBLE PRECISION,
    report_file_id BIGINT REFERENCES files(id),
    assessed_at   TEXT,
    created_by    BIGINT  REFERENCES users(id),
    created_at    TEXT    NOT NULL
);
CREATE INDEX eval_assignments_user ON eval_assignments(user_id, round_id);

CREATE TABLE spot_checks (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id         BIGINT  NOT NULL REFERENCES org_units(id),
    unit_path       TEXT    NOT NULL,
    -- supervision (督导) or unannounced (暗访).
    kind            TEXT    NOT NULL CHECK (kind IN ('supervision','unannounced')),
    -- CST date of the visit, YYYY-MM-DD.
    visited_on      TEXT    NOT NULL,
    findings        TEXT    NOT NULL,
    photos          TEXT    NOT NULL DEFAULT '[]',
    -- CST date by which the unit must rectify; NULL when nothing is required.
    rectify_by      TEXT,
    rectification   TEXT    NOT NULL DEFAULT '',
    rectified_at    TEXT,
    recorded_by     BIGINT  NOT NULL REFERENCES users(id),
    created_at      TEXT    NOT NULL
);
CREATE INDEX spot_checks_unit ON spot_checks(unit_path, visited_on);
