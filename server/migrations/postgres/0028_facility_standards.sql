-- Facility-standard checklist (issue 15, docs/evaluation.md): the standards a unit of each level
-- should meet (district-configurable; the code's defaults apply until saved) and the facts each
-- unit records against them, with evidence. Compliance is computed (evaluation::compliance) and
-- feeds the `facilities` automatic indicator.

CREATE TABLE eval_facility_standards (
    district_unit_id  BIGINT  NOT NULL REFERENCES org_units(id),
    level             TEXT    NOT NULL CHECK (level IN ('point','branch','main')),
    -- JSON list of evaluation::FacilityStandard (key, label, kind, min, unit).
    items             TEXT    NOT NULL,
    updated_by        BIGINT  REFERENCES users(id),
    updated_at        TEXT    NOT NULL,
    PRIMARY KEY (district_unit_id, level)
);

CREATE TABLE facility_facts (
    unit_id     BIGINT  NOT NULL REFERENCES org_units(id),
    -- The standard's key (area, rooms, equipment, hours, signage, or a district's own).
    key         TEXT    NOT NULL,
    -- Numbers (m², rooms, hours a week); 1/0 for yes/no items; NULL for text items.
    value       DOUBLE PRECISION,
    -- Text items (the name on the signage); a note otherwise.
    text        TEXT    NOT NULL DEFAULT '',
    -- JSON list of file ids (photos, scans) of the unit.
    evidence    TEXT    NOT NULL DEFAULT '[]',
    updated_by  BIGINT  REFERENCES users(id),
    updated_at  TEXT    NOT NULL,
    PRIMARY KEY (unit_id, key)
);
