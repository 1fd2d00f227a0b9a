-- Uploaded files (posters, room and team photos, session evidence, covers): one row per file,
-- its bytes in the blob store under an unguessable key. Other tables refer to files by id.
CREATE TABLE files (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Key in the blob store (random, 128 bits); never shown to clients.
    storage_key         TEXT    NOT NULL UNIQUE,
    content_type        TEXT    NOT NULL,
    bytes               BIGINT  NOT NULL CHECK (bytes >= 0),
    -- Pixel size of images as stored (upright); NULL for files that are not images.
    width               BIGINT,
    height              BIGINT,
    -- SHA-256 of the stored bytes, hex.
    sha256              TEXT    NOT NULL,
    -- The unit the file belongs to: decides who may read a staff file.
    unit_id             BIGINT  NOT NULL REFERENCES org_units(id),
    -- public: anyone may read (posters, room photos); staff: ReadActivityData on the unit.
    visibility          TEXT    NOT NULL CHECK (visibility IN ('public','staff')),
    uploaded_by         BIGINT  REFERENCES users(id),
    created_at          TEXT    NOT NULL,
    thumb_key           TEXT    UNIQUE,
    thumb_content_type  TEXT
);
CREATE INDEX files_unit ON files(unit_id, id);
