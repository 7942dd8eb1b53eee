-- Events: a type code with structured parameters, rendered in the reader's language.
CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    code BIGINT NOT NULL,
    severity TEXT NOT NULL,
    category TEXT NOT NULL,
    device_id BIGINT,
    params TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    confirmed_at BIGINT,
    confirmed_by TEXT
);
CREATE INDEX events_created ON events (created_at);
CREATE INDEX events_device ON events (device_id, id);
CREATE INDEX events_code ON events (code, id);
