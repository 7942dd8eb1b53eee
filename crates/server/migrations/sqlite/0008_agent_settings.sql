-- Agent settings: one server-wide row, pushed to agents in check-in replies. No row means the
-- defaults (version 0: --checkin-interval and the agent's built-in intervals and caps).
CREATE TABLE agent_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    checkin_interval_secs INTEGER NOT NULL,
    inventory_interval_secs INTEGER NOT NULL,
    queue_max_entries INTEGER NOT NULL,
    queue_max_bytes INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

-- The settings version each agent last reported as applied, so event 6 is raised once per
-- change and not again after a restart.
ALTER TABLE agents ADD COLUMN settings_version INTEGER NOT NULL DEFAULT 0;
