-- Install counts in a narrow table of their own, keyed by catalogue id.
--
-- Each index merge changes the counts of most catalogue entries it touches; kept as a column
-- of `software`, every change rewrote a whole catalogue row (names, versions, vendor) on a
-- page of its own, about 100 ms and thousands of WAL pages per merge during first
-- inventories. Here 200-odd counts share a page.
CREATE TABLE install_counts (
    software_id INTEGER PRIMARY KEY,
    installs INTEGER NOT NULL
);

INSERT INTO install_counts (software_id, installs)
SELECT id, install_count FROM software WHERE install_count <> 0 ORDER BY id;

ALTER TABLE software DROP COLUMN install_count;
