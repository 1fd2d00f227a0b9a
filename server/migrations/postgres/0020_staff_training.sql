-- Staff training (issue 13): an activity's audience, and what kind of training it is.
-- `staff`: invisible to residents everywhere; bookable only by staff on the organiser's line.
ALTER TABLE activities ADD COLUMN audience TEXT NOT NULL DEFAULT 'public' CHECK (audience IN ('public','staff'));
-- 管理培训 / 业务培训 / 协管员培训; NULL for anything that is not a staff training.
ALTER TABLE activities ADD COLUMN training_kind TEXT CHECK (training_kind IN ('management','business','coordinator'));
-- No district unit exists in the network: a training the district organises is owned by the
-- main center (the root) and flagged here (D132).
ALTER TABLE activities ADD COLUMN by_district BIGINT NOT NULL DEFAULT 0;
CREATE INDEX activities_training ON activities(training_kind);
