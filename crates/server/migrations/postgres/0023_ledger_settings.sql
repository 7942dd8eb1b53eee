-- Settings of the asset ledger (issue 4): automatic stocktake (off, from the last contact of
-- an asset's representative device, or from completed user information) and when and how
-- often agents ask users for their information.
CREATE TABLE ledger_settings (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    stocktake_auto TEXT NOT NULL DEFAULT 'off',
    user_info_enabled BIGINT NOT NULL DEFAULT 0,
    user_info_start BIGINT NOT NULL DEFAULT 0,
    user_info_interval_days BIGINT NOT NULL DEFAULT 180,
    version BIGINT NOT NULL DEFAULT 1,
    updated_at BIGINT NOT NULL DEFAULT 0
);
INSERT INTO ledger_settings (id) VALUES (1);
