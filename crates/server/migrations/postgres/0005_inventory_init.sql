-- Inventory: the latest copy of each section, the software catalogue and installs.
CREATE TABLE device_sections (
    device_id BIGINT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    section TEXT NOT NULL,
    hash TEXT NOT NULL,
    data TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (device_id, section)
);

-- Normalized catalogue: one row per name + version + architecture + package manager.
CREATE TABLE software (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    arch TEXT NOT NULL,
    source TEXT NOT NULL,
    vendor TEXT NOT NULL DEFAULT '',
    first_seen BIGINT NOT NULL,
    install_count BIGINT NOT NULL DEFAULT 0,
    UNIQUE (name, version, arch, source)
);
CREATE INDEX software_first_seen ON software (first_seen);

CREATE TABLE device_software (
    device_id BIGINT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    software_id BIGINT NOT NULL REFERENCES software (id),
    install_time BIGINT,
    size_bytes BIGINT,
    PRIMARY KEY (device_id, software_id)
);
CREATE INDEX device_software_software ON device_software (software_id, device_id);
