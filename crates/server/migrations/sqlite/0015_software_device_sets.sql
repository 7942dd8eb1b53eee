-- PostgreSQL only: the software → devices index as bitmaps. SQLite keeps one row per
-- (software, device) pair in its index file. The file keeps both backends' migration lists
-- the same.
SELECT 1;
