-- Art teams (群众文艺团队), core records shared by the team features and team room bookings
-- (issue 14). Later migrations add guidance, performances, awards and join requests.
CREATE TABLE teams (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    -- The unit that hosts and verifies the team; unit_path copied for scoped queries.
    unit_id        BIGINT  NOT NULL REFERENCES org_units(id),
    unit_path      TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    genre          TEXT    NOT NULL CHECK (genre IN ('合唱','舞蹈','戏曲','器乐','书画','摄影','朗诵','其他')),
    description    TEXT    NOT NULL DEFAULT '',
    -- Regular rehearsal time as the leader writes it (每周三 19:00–21:00).
    rehearsal_time TEXT    NOT NULL DEFAULT '',
    leader_id      BIGINT  NOT NULL REFERENCES users(id),
    status         TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','verified','declined','dissolved')),
    decline_reason TEXT    NOT NULL DEFAULT '',
    recruiting     BIGINT  NOT NULL DEFAULT 0,
    -- Members join with this code; the leader can reset it.
    invite_code    TEXT    NOT NULL UNIQUE,
    verified_by    BIGINT  REFERENCES users(id),
    verified_at    TEXT,
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL,
    UNIQUE (unit_id, name)
);
CREATE INDEX teams_unit_path ON teams(unit_path, status);
CREATE INDEX teams_leader ON teams(leader_id);

CREATE TABLE team_members (
    team_id    BIGINT NOT NULL REFERENCES teams(id),
    user_id    BIGINT NOT NULL REFERENCES users(id),
    -- A member under 14 is a family member of the user who consented as guardian (as for bookings).
    family_member_id BIGINT REFERENCES family_members(id),
    role       TEXT   NOT NULL DEFAULT 'member' CHECK (role IN ('leader','member')),
    joined_at  TEXT   NOT NULL,
    left_at    TEXT
);
-- One live membership per person (or per child) and team.
CREATE UNIQUE INDEX team_members_live ON team_members(team_id, user_id, COALESCE(family_member_id, 0)) WHERE left_at IS NULL;
CREATE INDEX team_members_user ON team_members(user_id);

CREATE TABLE team_photos (
    team_id   BIGINT NOT NULL REFERENCES teams(id),
    file_id   BIGINT NOT NULL REFERENCES files(id),
    position  BIGINT NOT NULL,
    PRIMARY KEY (team_id, file_id)
);
