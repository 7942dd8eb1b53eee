-- Storage settings for the two hot write paths; the schema does not change.
--
-- Last-seen times: the flush job updates every checked-in device's `last_seen` every few
-- seconds (20,000 rows per flush at 10,000 check-ins/s). With `last_seen` indexed, each update
-- was a new row version in all nine indexes of `devices`, the trigram index among them: most
-- of PostgreSQL's CPU (42 % of the machine) while agents only checked in, and the check-ins'
-- tail latency.
-- Unindexed, and with room left on each page, the update is a heap-only tuple that no index
-- sees. Lists sorted by last-seen time sort instead of walking an index (100,000 narrow
-- values); the fill factor applies to pages written from now on.
DROP INDEX IF EXISTS devices_last_seen;
ALTER TABLE devices SET (fillfactor = 70);

-- Stored sections are JSON of a few to tens of kilobytes, compressed when stored out of line:
-- lz4 costs a fraction of the default pglz's CPU per first inventory. PostgreSQL built
-- without lz4 (or older than 14) keeps pglz.
DO $$
BEGIN
    ALTER TABLE device_sections ALTER COLUMN data SET COMPRESSION lz4;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'lz4 unavailable (%): stored sections stay compressed with pglz', SQLERRM;
END
$$;
