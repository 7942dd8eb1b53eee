-- Events: a type code with structured parameters, rendered in the reader's language.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    code INTEGER NOT NULL,
    severity TEXT NOT NULL,
    category TEXT NOT NULL,
    device_id INTEGER,
    params TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    confirmed_at INTEGER,
    confirmed_by TEXT
);
CREATE INDEX events_created ON events (created_at);
CREATE INDEX events_device ON events (device_id, id);
CREATE INDEX events_code ON events (code, id);
