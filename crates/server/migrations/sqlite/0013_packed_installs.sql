-- Install lists and queued install changes become byte strings (inventory::packed): varints
-- of about 10 bytes an install instead of 25 bytes of JSON digits. SQLite columns hold any
-- type, so only the rows already stored change: their JSON becomes bytes, read as before.
UPDATE device_installs SET packages = CAST(packages AS BLOB);

UPDATE install_changes SET added = CAST(added AS BLOB), removed = CAST(removed AS BLOB);
