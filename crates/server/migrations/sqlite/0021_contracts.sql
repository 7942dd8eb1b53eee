-- Contracts and vendors (issue 4): a contract (purchase, rental, lease, …) with its period,
-- amount, vendor and department, linked to hardware assets and licences; the vendor list.

CREATE TABLE vendors (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    contact_person TEXT NOT NULL DEFAULT '',
    contact TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX vendors_name ON vendors (name);

-- Days are 'YYYY-MM-DD' text; the amount is in the currency's smallest unit (yen).
CREATE TABLE contracts (
    id INTEGER PRIMARY KEY,
    contract_number TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    type_id INTEGER NOT NULL REFERENCES asset_choices (id),
    status_id INTEGER NOT NULL REFERENCES asset_choices (id),
    contracted_on TEXT,
    starts_on TEXT,
    ends_on TEXT,
    amount INTEGER NOT NULL DEFAULT 0,
    vendor_id INTEGER REFERENCES vendors (id),
    department_id INTEGER REFERENCES departments (id) ON DELETE SET NULL,
    custom TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX contracts_number ON contracts (contract_number) WHERE contract_number <> '';
CREATE INDEX contracts_ends ON contracts (ends_on, id);
CREATE INDEX contracts_vendor ON contracts (vendor_id);
CREATE INDEX contracts_department ON contracts (department_id);
CREATE INDEX contracts_status ON contracts (status_id, id);

CREATE TABLE contract_assets (
    contract_id INTEGER NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    asset_id INTEGER NOT NULL REFERENCES hardware_assets (id) ON DELETE CASCADE,
    PRIMARY KEY (contract_id, asset_id)
);
CREATE INDEX contract_assets_asset ON contract_assets (asset_id);

CREATE TABLE contract_licences (
    contract_id INTEGER NOT NULL REFERENCES contracts (id) ON DELETE CASCADE,
    licence_id INTEGER NOT NULL REFERENCES licences (id) ON DELETE CASCADE,
    PRIMARY KEY (contract_id, licence_id)
);
CREATE INDEX contract_licences_licence ON contract_licences (licence_id);
