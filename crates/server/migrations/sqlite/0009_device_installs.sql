-- Each device's installs in one row instead of one row per package.
--
-- A first inventory wrote 1,500 rows (and read them back per column through json_each); one
-- row per device is written and read whole, like the section it comes from. Which devices
-- have a package is answered by the software → devices index (software_devices).
-- `packages` is a JSON array of [software_id, install_time, size_bytes], ascending by id.
CREATE TABLE device_installs (
    device_id INTEGER PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
    package_count INTEGER NOT NULL,
    packages TEXT NOT NULL
);

INSERT INTO device_installs (device_id, package_count, packages)
SELECT device_id, COUNT(*), json_group_array(json_array(software_id, install_time, size_bytes))
FROM (SELECT device_id, software_id, install_time, size_bytes FROM device_software
      ORDER BY device_id, software_id)
GROUP BY device_id;

DROP TABLE device_software;
