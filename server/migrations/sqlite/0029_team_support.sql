-- Art teams' features (issue 14): join requests to recruiting teams, guidance sessions
-- (艺术指导), teams as performers of activities (送演出下基层 included), achievements and awards.
CREATE TABLE team_join_requests (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id          BIGINT NOT NULL REFERENCES teams(id),
    user_id          BIGINT NOT NULL REFERENCES users(id),
    family_member_id BIGINT REFERENCES family_members(id),
    message          TEXT   NOT NULL DEFAULT '',
    status           TEXT   NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','accepted','declined','withdrawn')),
    created_at       TEXT   NOT NULL,
    decided_at       TEXT
);
-- One open request per person (or child) and team.
CREATE UNIQUE INDEX team_join_requests_open ON team_join_requests(team_id, user_id, COALESCE(family_member_id, 0)) WHERE status = 'pending';
CREATE INDEX team_join_requests_user ON team_join_requests(user_id);

-- 艺术指导: a main-center instructor guides a team; recorded by staff.
CREATE TABLE team_guidance (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id     BIGINT NOT NULL REFERENCES teams(id),
    held_on     TEXT   NOT NULL,
    instructor  TEXT   NOT NULL,
    topic       TEXT   NOT NULL,
    hours       DOUBLE PRECISION NOT NULL CHECK (hours > 0),
    recorded_by BIGINT NOT NULL REFERENCES users(id),
    created_at  TEXT   NOT NULL
);
CREATE INDEX team_guidance_team ON team_guidance(team_id, held_on);

-- A team as the performer of an activity (its own unit's, or one delivered 送演出下基层).
CREATE TABLE activity_teams (
    activity_id BIGINT NOT NULL REFERENCES activities(id),
    team_id     BIGINT NOT NULL REFERENCES teams(id),
    added_by    BIGINT NOT NULL REFERENCES users(id),
    created_at  TEXT   NOT NULL,
    PRIMARY KEY (activity_id, team_id)
);
CREATE INDEX activity_teams_team ON activity_teams(team_id);

-- Achievements and awards (获奖、荣誉).
CREATE TABLE team_awards (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id     BIGINT NOT NULL REFERENCES teams(id),
    title       TEXT   NOT NULL,
    level       TEXT   NOT NULL CHECK (level IN ('national','provincial','city','district','other')),
    awarded_on  TEXT   NOT NULL,
    awarded_by  TEXT   NOT NULL DEFAULT '',
    recorded_by BIGINT NOT NULL REFERENCES users(id),
    created_at  TEXT   NOT NULL
);
CREATE INDEX team_awards_team ON team_awards(team_id);
