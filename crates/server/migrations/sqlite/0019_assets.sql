-- The hardware asset ledger (issue 4): choice lists (statuses and types), hardware assets
-- linked to device records, asset-to-asset links, append-only ledger notes; per-language
-- names, descriptions and a "retired" mark on departments and locations.

-- A choice list of the ledger. Built-in entries have fixed ids and a code, and cannot be
-- renamed or deleted; administrators add up to 100 of their own per kind (code '').
CREATE TABLE asset_choices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    code TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL,
    builtin INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX asset_choices_name ON asset_choices (kind, name);
CREATE INDEX asset_choices_kind ON asset_choices (kind, position, id);
INSERT INTO asset_choices (id, kind, code, name, name_en, position, builtin) VALUES
    (1, 'hardware_status', 'unconfirmed', '未確認', 'Unconfirmed', 1, 1),
    (2, 'hardware_status', 'in_operation', '運用中', 'In operation', 2, 1),
    (3, 'hardware_status', 'in_stock', '在庫', 'In stock', 3, 1),
    (4, 'hardware_status', 'disposed', '滅却', 'Disposed', 4, 1),
    (11, 'device_type', 'pc', 'PC', 'PC', 1, 1),
    (12, 'device_type', 'server', 'サーバ', 'Server', 2, 1),
    (13, 'device_type', 'printer', 'プリンタ', 'Printer', 3, 1),
    (14, 'device_type', 'network', 'ネットワーク機器', 'Network device', 4, 1),
    (15, 'device_type', 'smart_device', 'スマートデバイス', 'Smart device', 5, 1),
    (16, 'device_type', 'usb', 'USBデバイス', 'USB device', 6, 1),
    (17, 'device_type', 'display', 'ディスプレイ', 'Display', 7, 1),
    (18, 'device_type', 'peripheral', '周辺機器', 'Peripheral', 8, 1),
    (19, 'device_type', 'storage', 'ストレージ', 'Storage', 9, 1),
    (20, 'device_type', 'other', 'その他', 'Other', 10, 1),
    (21, 'device_type', 'unknown', '不明', 'Unknown', 11, 1),
    (31, 'licence_status', 'in_use', '使用中', 'In use', 1, 1),
    (32, 'licence_status', 'disposed', '滅却', 'Disposed', 2, 1),
    (41, 'licence_type', 'package', 'パッケージ', 'Package', 1, 1),
    (42, 'licence_type', 'volume', 'ボリューム', 'Volume', 2, 1),
    (43, 'licence_type', 'oem', 'プリインストール', 'Preinstalled (OEM)', 3, 1),
    (44, 'licence_type', 'subscription', 'サブスクリプション', 'Subscription', 4, 1),
    (45, 'licence_type', 'other', 'その他', 'Other', 5, 1),
    (51, 'contract_status', 'active', '契約中', 'In contract', 1, 1),
    (52, 'contract_status', 'cancelled_early', '途中解約', 'Cancelled early', 2, 1),
    (53, 'contract_status', 'expired', '満了', 'Expired', 3, 1),
    (61, 'contract_type', 'purchase', '購入', 'Purchase', 1, 1),
    (62, 'contract_type', 'rental', 'レンタル', 'Rental', 2, 1),
    (63, 'contract_type', 'lease', 'リース', 'Lease', 3, 1),
    (64, 'contract_type', 'maintenance', '保守', 'Maintenance', 4, 1),
    (65, 'contract_type', 'other', 'その他', 'Other', 5, 1);
-- Administrators' entries start above the built-in range.
INSERT INTO asset_choices (id, kind, name, position) VALUES (1000, 'reserved', 'reserved', 0);
DELETE FROM asset_choices WHERE id = 1000;

-- A hardware asset (ハードウェア資産). Its device-information columns (host name, serial, IP,
-- MAC) are the ledger's own values until a device record represents it; from then on every
-- inventory of the representative device overwrites them. Dates without a time (planned
-- change, stocktake) are 'YYYY-MM-DD' text: they are calendar days, not instants.
CREATE TABLE hardware_assets (
    id INTEGER PRIMARY KEY,
    asset_number TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    type_id INTEGER NOT NULL REFERENCES asset_choices (id),
    status_id INTEGER NOT NULL REFERENCES asset_choices (id),
    planned_status_id INTEGER REFERENCES asset_choices (id),
    planned_on TEXT,
    department_id INTEGER REFERENCES departments (id) ON DELETE SET NULL,
    location_id INTEGER REFERENCES locations (id) ON DELETE SET NULL,
    user_name TEXT NOT NULL DEFAULT '',
    user_account TEXT NOT NULL DEFAULT '',
    user_email TEXT NOT NULL DEFAULT '',
    user_phone TEXT NOT NULL DEFAULT '',
    stocktaken_on TEXT,
    device_id INTEGER REFERENCES devices (id) ON DELETE SET NULL,
    hostname TEXT NOT NULL DEFAULT '',
    serial TEXT NOT NULL DEFAULT '',
    ip_address TEXT NOT NULL DEFAULT '',
    mac_address TEXT NOT NULL DEFAULT '',
    custom TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX hardware_assets_number ON hardware_assets (asset_number) WHERE asset_number <> '';
CREATE INDEX hardware_assets_status ON hardware_assets (status_id, id);
CREATE INDEX hardware_assets_type ON hardware_assets (type_id, id);
CREATE INDEX hardware_assets_planned ON hardware_assets (planned_on, id) WHERE planned_on IS NOT NULL;
CREATE INDEX hardware_assets_department ON hardware_assets (department_id);
CREATE INDEX hardware_assets_location ON hardware_assets (location_id);
CREATE INDEX hardware_assets_device ON hardware_assets (device_id);
CREATE INDEX hardware_assets_serial ON hardware_assets (serial) WHERE serial <> '';
CREATE INDEX hardware_assets_hostname ON hardware_assets (hostname) WHERE hostname <> '';
CREATE INDEX hardware_assets_ip ON hardware_assets (ip_address) WHERE ip_address <> '';
CREATE INDEX hardware_assets_mac ON hardware_assets (mac_address) WHERE mac_address <> '';

-- The device records of an asset (several for a host and its VMs); one is its representative
-- (hardware_assets.device_id).
ALTER TABLE devices ADD COLUMN asset_id INTEGER REFERENCES hardware_assets (id) ON DELETE SET NULL;
CREATE INDEX devices_asset ON devices (asset_id);

-- Related assets (a PC and its display): a plain pair, lower id first; nothing cascades.
CREATE TABLE asset_links (
    asset_id INTEGER NOT NULL REFERENCES hardware_assets (id) ON DELETE CASCADE,
    other_id INTEGER NOT NULL REFERENCES hardware_assets (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (asset_id, other_id),
    CHECK (asset_id < other_id)
);
CREATE INDEX asset_links_other ON asset_links (other_id);

-- Notes on ledger records (hardware assets, licences, contracts): appended, never edited.
CREATE TABLE ledger_notes (
    id INTEGER PRIMARY KEY,
    record TEXT NOT NULL,
    record_id INTEGER NOT NULL,
    author_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX ledger_notes_record ON ledger_notes (record, record_id, id);

-- Per-language display names and descriptions of the hierarchies (Japanese is the default
-- language; an empty English name falls back to it), and "retired": taken out of the
-- definition while records still use it (the old organisation), no longer offered.
ALTER TABLE departments ADD COLUMN name_en TEXT NOT NULL DEFAULT '';
ALTER TABLE departments ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE departments ADD COLUMN description_en TEXT NOT NULL DEFAULT '';
ALTER TABLE departments ADD COLUMN retired INTEGER NOT NULL DEFAULT 0;
ALTER TABLE locations ADD COLUMN name_en TEXT NOT NULL DEFAULT '';
ALTER TABLE locations ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE locations ADD COLUMN description_en TEXT NOT NULL DEFAULT '';
ALTER TABLE locations ADD COLUMN retired INTEGER NOT NULL DEFAULT 0;
