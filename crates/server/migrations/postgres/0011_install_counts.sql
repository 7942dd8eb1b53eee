-- Install counts in a narrow table of their own, keyed by catalogue id (see the SQLite
-- migration of the same number): a merge's count changes no longer rewrite whole catalogue
-- rows, which on PostgreSQL also left a dead copy of each behind.
CREATE TABLE install_counts (
    software_id BIGINT PRIMARY KEY,
    installs BIGINT NOT NULL
);

INSERT INTO install_counts (software_id, installs)
SELECT id, install_count FROM software WHERE install_count <> 0;

ALTER TABLE software DROP COLUMN install_count;
