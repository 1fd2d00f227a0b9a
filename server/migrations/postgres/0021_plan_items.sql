-- The main center's work-plan items (issue 13): an item can be closed (kept in the plan, no
-- longer chased); the units an item names and the activities that carry it out are looked up
-- from the other side too (a unit's items, an activity's items).
ALTER TABLE plan_items ADD COLUMN closed_at TEXT;
ALTER TABLE plan_items ADD COLUMN updated_at TEXT;
CREATE INDEX plan_items_plan ON plan_items(plan_id, month);
CREATE INDEX plan_item_units_unit ON plan_item_units(unit_id);
CREATE INDEX plan_item_activities_activity ON plan_item_activities(activity_id);
