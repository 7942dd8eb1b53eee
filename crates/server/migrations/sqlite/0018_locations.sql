-- Locations (設置場所): a hierarchy like departments (building › floor › room), kept apart
-- from the values on records; a device may be at one. Issue 4 extends them to assets.
CREATE TABLE locations (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES locations (id),
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX locations_sibling_name ON locations (COALESCE(parent_id, 0), name);
CREATE INDEX locations_parent ON locations (parent_id);

ALTER TABLE devices ADD COLUMN location_id INTEGER REFERENCES locations (id) ON DELETE SET NULL;
CREATE INDEX devices_location ON devices (location_id);
