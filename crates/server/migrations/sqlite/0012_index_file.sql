-- The software → devices index and the install counts move to their own file, attached to
-- every connection as `idx` (core::db): SQLite has one write lock per file, and the index
-- merges held it for up to a second while uploads waited. `index_state` records the last
-- install change merged, since a transaction over two files is not atomic in WAL mode: the
-- merge commits its pairs and this mark together in the index file, and the merged rows of
-- `install_changes` are deleted from the main file afterwards.
--
-- Written to run again after a crash between the two files' commits.
CREATE TABLE IF NOT EXISTS idx.software_devices (
    software_id INTEGER NOT NULL,
    device_id INTEGER NOT NULL,
    PRIMARY KEY (software_id, device_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS idx.install_counts (
    software_id INTEGER PRIMARY KEY,
    installs INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS idx.index_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    merged_through INTEGER NOT NULL
);

INSERT OR IGNORE INTO idx.index_state (id, merged_through) VALUES (1, 0);

INSERT OR IGNORE INTO idx.software_devices (software_id, device_id)
SELECT software_id, device_id FROM main.software_devices ORDER BY software_id, device_id;

INSERT OR IGNORE INTO idx.install_counts (software_id, installs)
SELECT software_id, installs FROM main.install_counts ORDER BY software_id;

DROP TABLE IF EXISTS main.software_devices;

DROP TABLE IF EXISTS main.install_counts;
