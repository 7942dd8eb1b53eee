-- The software → devices index as one bitmap per catalogue entry and block of 1,024 device
-- ids instead of one row per (software, device) pair (see inventory::device_sets).
--
-- A pair row cost a heap tuple and a B-tree entry (≈ 3.8 µs each): merging the 1,500 pairs of
-- a first inventory was half of PostgreSQL's CPU for it. A merge of hundreds of uploads
-- touches each (software, block) row once.
-- `members`: 128 bytes; device `block * 1024 + n` is `get_bit(members, n)`.
CREATE TABLE software_device_sets (
    software_id BIGINT NOT NULL,
    block BIGINT NOT NULL,
    members BYTEA NOT NULL,
    PRIMARY KEY (software_id, block)
) WITH (fillfactor = 90);
-- 132 bytes a row: never compressed or moved out of line.
ALTER TABLE software_device_sets ALTER COLUMN members SET STORAGE PLAIN;

-- Each row's bitmap, from the bits its pairs set (≈ 3 µs a pair, once).
CREATE FUNCTION pg_temp.with_device(members BYTEA, device_id BIGINT) RETURNS BYTEA
    LANGUAGE sql IMMUTABLE STRICT
    AS $$ SELECT set_bit(members, CAST(device_id & 1023 AS INT), 1) $$;
CREATE AGGREGATE pg_temp.device_bitmap(BIGINT) (
    SFUNC = pg_temp.with_device,
    STYPE = BYTEA,
    INITCOND = '\x0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000'
);
INSERT INTO software_device_sets (software_id, block, members)
SELECT software_id, device_id >> 10, pg_temp.device_bitmap(device_id)
FROM software_devices
GROUP BY 1, 2;

DROP TABLE software_devices;
ANALYZE software_device_sets;
