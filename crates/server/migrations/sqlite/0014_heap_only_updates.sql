-- PostgreSQL only (storage settings for last-seen updates and stored sections); SQLite
-- rewrites a row in place and keeps its last-seen index. The file keeps both backends'
-- migration lists the same.
SELECT 1;
