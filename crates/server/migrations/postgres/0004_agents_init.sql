-- Agents: enrollment tokens, agent credentials and pending immediate actions.
CREATE TABLE enrollment_tokens (
    id BIGSERIAL PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    uses_allowed BIGINT,
    uses BIGINT NOT NULL DEFAULT 0,
    revoked_at BIGINT
);

CREATE TABLE agents (
    id TEXT PRIMARY KEY,
    device_id BIGINT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    secret_hash TEXT NOT NULL,
    host_id TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    agent_version TEXT NOT NULL,
    enrolled_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX agents_device ON agents (device_id);
CREATE INDEX agents_host_id ON agents (host_id);

CREATE TABLE device_commands (
    id BIGSERIAL PRIMARY KEY,
    device_id BIGINT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    action TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    delivered_at BIGINT
);
CREATE INDEX device_commands_pending ON device_commands (delivered_at, device_id);
