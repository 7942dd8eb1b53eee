-- The software → devices index, kept apart from device_software and maintained in batches.
--
-- Indexing installs by software inside each upload's transaction dirtied one page per package
-- (1,500 per first inventory); the merge job (inventory::index) applies many uploads' changes
-- at once, in key order, so each page is written once per batch.
DROP INDEX device_software_software;

CREATE TABLE software_devices (
    software_id BIGINT NOT NULL,
    device_id BIGINT NOT NULL,
    PRIMARY KEY (software_id, device_id)
);

-- Install changes waiting for the merge, in commit order per device: JSON arrays of ids.
CREATE TABLE install_changes (
    id BIGSERIAL PRIMARY KEY,
    device_id BIGINT NOT NULL,
    added TEXT NOT NULL,
    removed TEXT NOT NULL
);

INSERT INTO software_devices (software_id, device_id)
SELECT software_id, device_id FROM device_software ORDER BY software_id, device_id;
