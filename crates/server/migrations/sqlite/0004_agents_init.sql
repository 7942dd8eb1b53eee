-- Agents: enrollment tokens, agent credentials and pending immediate actions.
CREATE TABLE enrollment_tokens (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    uses_allowed INTEGER,
    uses INTEGER NOT NULL DEFAULT 0,
    revoked_at INTEGER
);

CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL,
    host_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    agent_version TEXT NOT NULL,
    enrolled_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX agents_device ON agents (device_id);
CREATE INDEX agents_host_id ON agents (host_id);

CREATE TABLE device_commands (
    id INTEGER PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    action TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    delivered_at INTEGER
);
CREATE INDEX device_commands_pending ON device_commands (delivered_at, device_id);
