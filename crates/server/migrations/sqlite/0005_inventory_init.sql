-- Inventory: the latest copy of each section, the software catalogue and installs.
CREATE TABLE device_sections (
    device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    section TEXT NOT NULL,
    hash TEXT NOT NULL,
    data TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, section)
);

-- Normalized catalogue: one row per name + version + architecture + package manager.
CREATE TABLE software (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    arch TEXT NOT NULL,
    source TEXT NOT NULL,
    vendor TEXT NOT NULL DEFAULT '',
    first_seen INTEGER NOT NULL,
    install_count INTEGER NOT NULL DEFAULT 0,
    UNIQUE (name, version, arch, source)
);
CREATE INDEX software_first_seen ON software (first_seen);

CREATE TABLE device_software (
    device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    software_id INTEGER NOT NULL REFERENCES software (id),
    install_time INTEGER,
    size_bytes INTEGER,
    PRIMARY KEY (device_id, software_id)
) WITHOUT ROWID;
CREATE INDEX device_software_software ON device_software (software_id, device_id);
