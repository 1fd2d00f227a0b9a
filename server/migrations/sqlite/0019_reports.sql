-- 举报: residents report a public comment (rating) or a demand request; staff of the item's
-- unit uphold (the item is hidden) or dismiss, and the reporter is told in 我的消息.
CREATE TABLE content_reports (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    -- 'rating' or 'demand', and that row's id.
    target_kind  TEXT    NOT NULL CHECK (target_kind IN ('rating','demand')),
    target_id    BIGINT  NOT NULL,
    -- Where the item belongs, copied for scoped queries (a branch sees its points' reports).
    unit_id      BIGINT  NOT NULL REFERENCES org_units(id),
    unit_path    TEXT    NOT NULL,
    reporter_id  BIGINT  NOT NULL REFERENCES users(id),
    reason       TEXT    NOT NULL CHECK (reason IN ('abuse','porn','politics','ads','fraud','privacy','other')),
    detail       TEXT    NOT NULL DEFAULT '',
    status       TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open','upheld','dismissed')),
    created_at   TEXT    NOT NULL,
    decided_by   BIGINT  REFERENCES users(id),
    decided_at   TEXT,
    -- One report per person per item.
    UNIQUE (target_kind, target_id, reporter_id)
);
CREATE INDEX content_reports_open ON content_reports(status, unit_path);
CREATE INDEX content_reports_target ON content_reports(target_kind, target_id);
CREATE INDEX content_reports_reporter ON content_reports(reporter_id, created_at);
