-- Managed software and software licences (issue 4): managed software groups catalogue
-- entries by rules (exact name or pattern, optional version pattern); licences with held
-- counts are assigned to devices; reconciliation reads the maintained pairs "device has
-- managed software X installed".

CREATE TABLE managed_software (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX managed_software_name ON managed_software (name);

-- Which installed software a managed software counts: an exact name or a pattern (`*`, `?`,
-- case-insensitive), and optionally a version pattern ('' = any version).
CREATE TABLE managed_software_rules (
    id INTEGER PRIMARY KEY,
    managed_id INTEGER NOT NULL REFERENCES managed_software (id) ON DELETE CASCADE,
    pattern INTEGER NOT NULL DEFAULT 0,
    name TEXT NOT NULL,
    version TEXT NOT NULL DEFAULT ''
);
CREATE INDEX managed_software_rules_managed ON managed_software_rules (managed_id);

-- The catalogue entries the rules match, kept as rules change and the catalogue grows
-- (`licence_state.members_through` is the last catalogue id matched).
CREATE TABLE managed_software_members (
    managed_id INTEGER NOT NULL REFERENCES managed_software (id) ON DELETE CASCADE,
    software_id INTEGER NOT NULL,
    PRIMARY KEY (managed_id, software_id)
);
CREATE INDEX managed_software_members_software ON managed_software_members (software_id);

-- Devices with at least one member of a managed software installed (consumption), brought
-- up to date by the licences.reconcile job from `device_installs` for the devices queued in
-- `licence_pending`. No foreign keys: checking two parents per pair was a third of a full
-- recount's writing; deleting a device or a managed software deletes its pairs. Without a rowid (SQLite): one B-tree fewer to write per pair.
CREATE TABLE managed_software_devices (
    managed_id INTEGER NOT NULL,
    device_id INTEGER NOT NULL,
    PRIMARY KEY (managed_id, device_id)
) WITHOUT ROWID;
CREATE INDEX managed_software_devices_device ON managed_software_devices (device_id, managed_id);

-- Devices whose installs changed since the reconciliation last looked at them.
CREATE TABLE licence_pending (
    device_id INTEGER PRIMARY KEY
);

-- One row: how far the members were matched against the catalogue.
CREATE TABLE licence_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    members_through INTEGER NOT NULL
);
INSERT INTO licence_state (id, members_through) VALUES (1, 0);

-- A software licence (ソフトウェアライセンス).
CREATE TABLE licences (
    id INTEGER PRIMARY KEY,
    licence_number TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    managed_id INTEGER REFERENCES managed_software (id) ON DELETE SET NULL,
    held INTEGER NOT NULL DEFAULT 0,
    type_id INTEGER NOT NULL REFERENCES asset_choices (id),
    status_id INTEGER NOT NULL REFERENCES asset_choices (id),
    planned_status_id INTEGER REFERENCES asset_choices (id),
    planned_on TEXT,
    department_id INTEGER REFERENCES departments (id) ON DELETE SET NULL,
    stocktaken_on TEXT,
    custom TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX licences_number ON licences (licence_number) WHERE licence_number <> '';
CREATE INDEX licences_managed ON licences (managed_id);
CREATE INDEX licences_department ON licences (department_id);
CREATE INDEX licences_status ON licences (status_id, id);

-- A licence assigned to a device (ライセンスの割り当て).
CREATE TABLE licence_assignments (
    licence_id INTEGER NOT NULL REFERENCES licences (id) ON DELETE CASCADE,
    device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (licence_id, device_id)
);
CREATE INDEX licence_assignments_device ON licence_assignments (device_id);

-- Every device is looked at once, so software installed before this migration counts.
INSERT INTO licence_pending (device_id) SELECT device_id FROM device_installs;
