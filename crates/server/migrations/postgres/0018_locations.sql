-- Locations (設置場所): a hierarchy like departments (building › floor › room), kept apart
-- from the values on records; a device may be at one. Issue 4 extends them to assets.
CREATE TABLE locations (
    id BIGSERIAL PRIMARY KEY,
    parent_id BIGINT REFERENCES locations (id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX locations_sibling_name ON locations (COALESCE(parent_id, 0), name);
CREATE INDEX locations_parent ON locations (parent_id);

ALTER TABLE devices ADD COLUMN location_id BIGINT REFERENCES locations (id) ON DELETE SET NULL;
CREATE INDEX devices_location ON devices (location_id);
