-- The console's list framework (issue 3): addresses searchable by CIDR range, append-only
-- device notes, saved filters, and each account's column choice per list.

-- An IP address as fixed-width hex ("4" + 8 digits, "6" + 32 digits), so an address range
-- (a CIDR block) is a range of text; other kinds leave it NULL. Rows written before this
-- migration are filled in by the server at start-up (`devices::addresses`).
ALTER TABLE device_addresses ADD COLUMN ip_key TEXT;
CREATE INDEX device_addresses_ip_key ON device_addresses (ip_key) WHERE ip_key IS NOT NULL;

-- Notes on a device (メモ): appended, never edited; the author's login is kept as it was.
CREATE TABLE device_notes (
    id INTEGER PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    author_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX device_notes_device ON device_notes (device_id, id);

-- A named filter of a list (its query string), private to its owner or shared with all.
CREATE TABLE saved_filters (
    id INTEGER PRIMARY KEY,
    list TEXT NOT NULL,
    owner_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    shared INTEGER NOT NULL DEFAULT 0,
    query TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX saved_filters_owner_name ON saved_filters (owner_id, list, name);
CREATE INDEX saved_filters_shared ON saved_filters (list, shared);

-- The columns an account chose for a list, comma-separated in display order.
CREATE TABLE list_columns (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    list TEXT NOT NULL,
    columns TEXT NOT NULL,
    PRIMARY KEY (user_id, list)
);
