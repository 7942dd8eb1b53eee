-- Install lists and queued install changes become byte strings (inventory::packed): varints
-- of about 10 bytes an install instead of 25 bytes of JSON digits. Rows already stored keep
-- their JSON, as bytes, and are read as before.
ALTER TABLE device_installs
    ALTER COLUMN packages TYPE BYTEA USING convert_to(packages, 'UTF8');
-- Out of line uncompressed, as before: varints leave pglz little to find.
ALTER TABLE device_installs ALTER COLUMN packages SET STORAGE EXTERNAL;

ALTER TABLE install_changes
    ALTER COLUMN added TYPE BYTEA USING convert_to(added, 'UTF8'),
    ALTER COLUMN removed TYPE BYTEA USING convert_to(removed, 'UTF8');
