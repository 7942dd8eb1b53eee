-- Each device's installs in one row instead of one row per package.
--
-- A first inventory wrote 1,500 rows (and read them back per column through json_each); one
-- row per device is written and read whole, like the section it comes from. Which devices
-- have a package is answered by the software → devices index (software_devices).
-- `packages` is a JSON array of [software_id, install_time, size_bytes], ascending by id.
CREATE TABLE device_installs (
    device_id BIGINT PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
    package_count BIGINT NOT NULL,
    packages TEXT NOT NULL
);
-- Stored out of line uncompressed: compressing 40 kB of digits on every upload costs more CPU
-- than the disk it saves.
ALTER TABLE device_installs ALTER COLUMN packages SET STORAGE EXTERNAL;

INSERT INTO device_installs (device_id, package_count, packages)
SELECT device_id, COUNT(*),
       jsonb_agg(jsonb_build_array(software_id, install_time, size_bytes) ORDER BY software_id)::text
FROM device_software
GROUP BY device_id;

DROP TABLE device_software;
