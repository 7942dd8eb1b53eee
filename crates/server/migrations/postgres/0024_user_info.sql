-- When the user last completed the user-information form (利用者情報) on an asset's PC.
ALTER TABLE hardware_assets ADD COLUMN user_info_at BIGINT NOT NULL DEFAULT 0;
