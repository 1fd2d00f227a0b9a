-- An activity's poster may be an uploaded file (public visibility); `poster_url` then holds the
-- file's path (/api/v1/files/{id}) so every reader keeps working unchanged.
ALTER TABLE activities ADD COLUMN poster_file_id BIGINT REFERENCES files(id);

-- (Closing units uses org_units.closed_at, added by 0008_console.)
