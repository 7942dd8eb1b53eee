-- Devices: one row per machine, whatever brought it in; summary columns for lists and filters.
CREATE TABLE devices (
    id INTEGER PRIMARY KEY,
    state TEXT NOT NULL,
    hostname TEXT NOT NULL DEFAULT '',
    host_id TEXT,
    serial TEXT NOT NULL DEFAULT '',
    hw_uuid TEXT NOT NULL DEFAULT '',
    manufacturer TEXT NOT NULL DEFAULT '',
    model TEXT NOT NULL DEFAULT '',
    os_name TEXT NOT NULL DEFAULT '',
    os_version TEXT NOT NULL DEFAULT '',
    primary_ip TEXT NOT NULL DEFAULT '',
    primary_mac TEXT NOT NULL DEFAULT '',
    memory_bytes INTEGER NOT NULL DEFAULT 0,
    agent_version TEXT NOT NULL DEFAULT '',
    agent_active INTEGER NOT NULL DEFAULT 0,
    notes TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_seen INTEGER NOT NULL DEFAULT 0,
    inventory_at INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX devices_state ON devices (state, id);
CREATE INDEX devices_hostname ON devices (hostname, id);
CREATE INDEX devices_os ON devices (os_name, id);
CREATE INDEX devices_last_seen ON devices (last_seen, id);
CREATE INDEX devices_serial ON devices (serial);
CREATE INDEX devices_host_id ON devices (host_id);
CREATE INDEX devices_hw_uuid ON devices (hw_uuid);

-- Every IP and MAC a device reported, for matching and filtering.
CREATE TABLE device_addresses (
    device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (device_id, kind, value)
);
CREATE INDEX device_addresses_value ON device_addresses (kind, value);

-- Per-device change history: software added/removed/updated, hardware changes.
CREATE TABLE device_history (
    id INTEGER PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    before_value TEXT,
    after_value TEXT
);
CREATE INDEX device_history_device ON device_history (device_id, id);
