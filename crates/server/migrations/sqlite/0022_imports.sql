-- CSV import of the asset ledger (issue 4): import templates (which column fills which field,
-- the mapping key, the header and first data rows, the default encoding), the history of
-- imports and the rows each one could not take, kept so they can be downloaded and fixed.

-- A template of one record kind (assets, licences, managed-software, contracts, vendors);
-- `mapping` is JSON: {"key", "columns": [{"header", "field", "optional"}], "header_row",
-- "data_row", "encoding"}.
CREATE TABLE import_templates (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    mapping TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX import_templates_name ON import_templates (kind, name);

-- One import: applied, checked only (nothing changed) or refused (a file-level error, in
-- `message`). `header` is the file's header row as a JSON array, for the invalid-row download.
CREATE TABLE import_history (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    template TEXT NOT NULL,
    file_name TEXT NOT NULL DEFAULT '',
    encoding TEXT NOT NULL,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    login TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    total_rows INTEGER NOT NULL DEFAULT 0,
    added INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    header TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX import_history_user ON import_history (user_id, id);

-- The rows an import could not take (at most 10,000 per import; `failed` counts them all):
-- the row's cells as a JSON array, its line in the file and why.
CREATE TABLE import_invalid_rows (
    import_id INTEGER NOT NULL REFERENCES import_history (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    line INTEGER NOT NULL,
    reason TEXT NOT NULL,
    cells TEXT NOT NULL,
    PRIMARY KEY (import_id, seq)
);
