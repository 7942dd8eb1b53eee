-- Host name "contains" searches (`hostname=` on the devices list: LOWER(hostname) LIKE '%x%')
-- through a trigram index instead of a scan of every device (162 ms at 100,000 devices).
--
-- pg_trgm ships with PostgreSQL and is a trusted extension (13+), so the database owner can
-- create it. Where it is missing or not allowed the searches still work, by scanning; the
-- migration must not stop the server from starting, so a failure here is only a notice.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX IF NOT EXISTS devices_hostname_trgm ON devices USING gin (LOWER(hostname) gin_trgm_ops);
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm unavailable (%): host name searches scan the devices table', SQLERRM;
END
$$;
