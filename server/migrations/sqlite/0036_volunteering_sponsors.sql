-- Issue 16 (supply side, part E): volunteering beyond the door, volunteer teams, recognition,
-- sponsors and partners, contracted operators. D250–D259.

-- The configurable list of volunteer roles (岗位). `door_checkin` is the one with a meaning in
-- code: an approved door check-in shift gives the same scanning right as a session assignment.
CREATE TABLE volunteer_roles (
    code        TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    sort        BIGINT  NOT NULL DEFAULT 0,
    active      BIGINT  NOT NULL DEFAULT 1
);
INSERT INTO volunteer_roles (code, name, sort) VALUES
    ('usher', '引导员', 10),
    ('guide', '讲解员', 20),
    ('teaching_assistant', '助教', 30),
    ('performer', '演出志愿者', 40),
    ('photographer', '摄影摄像', 50),
    ('door_checkin', '入场签到', 60);

-- A volunteer's own skills profile (personal data: in the export, erased on deletion).
CREATE TABLE volunteer_profiles (
    user_id     BIGINT  PRIMARY KEY REFERENCES users(id),
    skills      TEXT    NOT NULL DEFAULT '',
    intro       TEXT    NOT NULL DEFAULT '',
    updated_at  TEXT    NOT NULL
);

-- Volunteer teams (志愿服务队), e.g. the district's culture volunteers' federation and its teams.
CREATE TABLE volunteer_teams (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id     BIGINT  NOT NULL REFERENCES org_units(id),
    unit_path   TEXT NOT NULL,
    parent_id   BIGINT  REFERENCES volunteer_teams(id),
    name        TEXT    NOT NULL,
    intro       TEXT    NOT NULL DEFAULT '',
    recruiting  BIGINT  NOT NULL DEFAULT 1,
    created_by  BIGINT  REFERENCES users(id),
    created_at  TEXT    NOT NULL
);
CREATE INDEX volunteer_teams_path ON volunteer_teams(unit_path);

CREATE TABLE volunteer_team_members (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id     BIGINT  NOT NULL REFERENCES volunteer_teams(id),
    user_id     BIGINT  NOT NULL REFERENCES users(id),
    note        TEXT    NOT NULL DEFAULT '',
    status      TEXT    NOT NULL CHECK (status IN ('pending','approved','declined','left')),
    decided_by  BIGINT  REFERENCES users(id),
    decided_at  TEXT,
    created_at  TEXT    NOT NULL
);
CREATE UNIQUE INDEX volunteer_team_members_live ON volunteer_team_members(team_id, user_id) WHERE status IN ('pending','approved');

-- An opportunity a unit posts (岗位招募), with its shifts.
CREATE TABLE volunteer_opportunities (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id     BIGINT  NOT NULL REFERENCES org_units(id),
    unit_path   TEXT NOT NULL,
    title       TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    activity_id BIGINT  REFERENCES activities(id),
    team_id     BIGINT  REFERENCES volunteer_teams(id),
    status      TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open','closed')),
    created_by  BIGINT  REFERENCES users(id),
    created_at  TEXT    NOT NULL
);
CREATE INDEX volunteer_opportunities_path ON volunteer_opportunities(unit_path, status);

-- One shift: a role, a time, a place, how many are needed. `taken` counts live sign-ups
-- (pending or approved); the CHECK is the last guard against overfilling (D251).
CREATE TABLE volunteer_shifts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    opportunity_id  BIGINT  NOT NULL REFERENCES volunteer_opportunities(id),
    role_code       TEXT    NOT NULL REFERENCES volunteer_roles(code),
    session_id      BIGINT  REFERENCES sessions(id),
    starts_at       TEXT    NOT NULL,
    ends_at         TEXT    NOT NULL,
    place           TEXT    NOT NULL DEFAULT '',
    needed          BIGINT  NOT NULL CHECK (needed > 0),
    taken           BIGINT  NOT NULL DEFAULT 0,
    created_at      TEXT    NOT NULL,
    CHECK (taken >= 0 AND taken <= needed),
    CHECK (ends_at > starts_at)
);
CREATE INDEX volunteer_shifts_opportunity ON volunteer_shifts(opportunity_id);

CREATE TABLE shift_signups (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    shift_id      BIGINT  NOT NULL REFERENCES volunteer_shifts(id),
    user_id       BIGINT  NOT NULL REFERENCES users(id),
    note          TEXT    NOT NULL DEFAULT '',
    status        TEXT    NOT NULL CHECK (status IN ('pending','approved','declined','withdrawn')),
    -- The door check-in assignment an approved door shift made (checkin.rs `may_scan`).
    assignment_id BIGINT  REFERENCES assignments(id),
    decided_by    BIGINT  REFERENCES users(id),
    decided_at    TEXT,
    reminded_at   TEXT,
    -- Service minutes confirmed by staff; NULL until confirmed.
    minutes       BIGINT  CHECK (minutes IS NULL OR (minutes >= 0 AND minutes <= 1440)),
    confirmed_by  BIGINT  REFERENCES users(id),
    confirmed_at  TEXT,
    created_at    TEXT    NOT NULL
);
CREATE UNIQUE INDEX shift_signups_live ON shift_signups(shift_id, user_id) WHERE status IN ('pending','approved');
CREATE INDEX shift_signups_user ON shift_signups(user_id);

-- Certificates issued (荣誉证书): the code on the image verifies it publicly (D253).
CREATE TABLE volunteer_certificates (
    code        TEXT    PRIMARY KEY,
    user_id     BIGINT  NOT NULL REFERENCES users(id),
    minutes     BIGINT  NOT NULL,
    milestone   BIGINT  NOT NULL,
    issued_at   TEXT    NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX volunteer_certificates_user ON volunteer_certificates(user_id);

-- Sponsors and partners (社会力量参与): what each gave to a unit or one of its activities.
CREATE TABLE sponsorships (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id         BIGINT  NOT NULL REFERENCES org_units(id),
    unit_path       TEXT NOT NULL,
    activity_id     BIGINT  REFERENCES activities(id),
    sponsor_name    TEXT    NOT NULL,
    sponsor_kind    TEXT    NOT NULL CHECK (sponsor_kind IN ('enterprise','social_org','individual','institution','other')),
    relation        TEXT    NOT NULL CHECK (relation IN ('sponsor','partner')),
    gift_kind       TEXT    NOT NULL CHECK (gift_kind IN ('money','goods','venue','services')),
    -- Money in fen; for goods, venue and services an estimated value, or NULL.
    amount_fen      BIGINT  CHECK (amount_fen IS NULL OR amount_fen >= 0),
    description     TEXT    NOT NULL DEFAULT '',
    -- Shown publicly as 支持单位 only with their consent (D256).
    public_consent  BIGINT  NOT NULL DEFAULT 0,
    created_by      BIGINT  REFERENCES users(id),
    created_at      TEXT    NOT NULL,
    withdrawn_at    TEXT
);
CREATE INDEX sponsorships_path ON sponsorships(unit_path);
CREATE INDEX sponsorships_activity ON sponsorships(activity_id);

-- The operator of a unit run under contract (社会化运营), with its obligations (D257).
CREATE TABLE unit_operators (
    id                     INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id                BIGINT  NOT NULL REFERENCES org_units(id),
    unit_path              TEXT NOT NULL,
    operator_name          TEXT    NOT NULL,
    contract_ref           TEXT    NOT NULL DEFAULT '',
    starts_on              TEXT    NOT NULL,
    ends_on                TEXT    NOT NULL,
    sessions_per_year      BIGINT  NOT NULL DEFAULT 0 CHECK (sessions_per_year >= 0),
    min_attendance_pct     BIGINT  NOT NULL DEFAULT 0 CHECK (min_attendance_pct BETWEEN 0 AND 100),
    min_satisfaction_pct   BIGINT  NOT NULL DEFAULT 0 CHECK (min_satisfaction_pct BETWEEN 0 AND 100),
    open_hours_per_week    BIGINT  NOT NULL DEFAULT 0 CHECK (open_hours_per_week >= 0),
    obligations            TEXT    NOT NULL DEFAULT '',
    created_by             BIGINT  REFERENCES users(id),
    created_at             TEXT    NOT NULL,
    updated_at             TEXT    NOT NULL,
    CHECK (ends_on > starts_on)
);
CREATE UNIQUE INDEX unit_operators_unit ON unit_operators(unit_id);
