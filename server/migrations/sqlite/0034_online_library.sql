-- Online programmes and the resource library (issue 17).

-- An activity shown online or hybrid (D230): where it is watched live and its replay. No row:
-- an ordinary offline activity. Watching needs no booking (D232); seats are the venue's only.
CREATE TABLE activity_online (
    activity_id      BIGINT  PRIMARY KEY REFERENCES activities(id),
    mode             TEXT    NOT NULL CHECK (mode IN ('online','hybrid')),
    -- 'channels': WeChat Channels live (视频号直播); 'web': a page in a web-view on one of the
    -- configured business domains (D231).
    platform         TEXT    NOT NULL CHECK (platform IN ('channels','web')),
    finder_user_name TEXT    NOT NULL DEFAULT '',
    live_url         TEXT    NOT NULL DEFAULT '',
    -- The replay: a Channels video (feed id) or a web page.
    replay_feed_id   TEXT    NOT NULL DEFAULT '',
    replay_url       TEXT    NOT NULL DEFAULT '',
    updated_by       BIGINT  REFERENCES users(id),
    updated_at       TEXT    NOT NULL
);

-- The resource library (数字资源库): metadata and a cover only; the media live elsewhere.
CREATE TABLE library_resources (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id          BIGINT  NOT NULL REFERENCES org_units(id),
    unit_path        TEXT    NOT NULL,
    kind             TEXT    NOT NULL CHECK (kind IN ('video','audio','article','course','gallery')),
    title            TEXT    NOT NULL,
    summary          TEXT    NOT NULL DEFAULT '',
    -- An article's text, shown in the mini-program itself.
    body             TEXT    NOT NULL DEFAULT '',
    -- Comma-joined, each ≤ 10 characters.
    tags             TEXT    NOT NULL DEFAULT '',
    cover_file_id    BIGINT  REFERENCES files(id),
    duration_s       BIGINT,
    platform         TEXT    NOT NULL CHECK (platform IN ('web','channels','none')),
    source_url       TEXT    NOT NULL DEFAULT '',
    finder_user_name TEXT    NOT NULL DEFAULT '',
    feed_id          TEXT    NOT NULL DEFAULT '',
    published        BIGINT  NOT NULL DEFAULT 0,
    featured         BIGINT  NOT NULL DEFAULT 0,
    sort_order       BIGINT  NOT NULL DEFAULT 0,
    -- Counters kept with the rows they count (D234, D235).
    views            BIGINT  NOT NULL DEFAULT 0,
    rating_sum       BIGINT  NOT NULL DEFAULT 0,
    rating_count     BIGINT  NOT NULL DEFAULT 0,
    created_by       BIGINT  REFERENCES users(id),
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    published_at     TEXT
);
CREATE INDEX library_resources_browse ON library_resources(published, kind, unit_path);

-- One view per person per China day (D234): the primary key is the guard.
CREATE TABLE library_views (
    resource_id BIGINT NOT NULL REFERENCES library_resources(id),
    user_id     BIGINT NOT NULL REFERENCES users(id),
    day         TEXT   NOT NULL,
    PRIMARY KEY (resource_id, user_id, day)
);

-- One rating per person and resource, changed in place (D235).
CREATE TABLE library_ratings (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id    BIGINT  NOT NULL REFERENCES library_resources(id),
    user_id        BIGINT  NOT NULL REFERENCES users(id),
    score          BIGINT  NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment        TEXT    NOT NULL DEFAULT '',
    -- 'none', 'published' or 'held' (WeChat's content check did not pass cleanly).
    comment_status TEXT    NOT NULL DEFAULT 'none',
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL,
    UNIQUE (resource_id, user_id)
);
CREATE INDEX library_ratings_user ON library_ratings(user_id);
