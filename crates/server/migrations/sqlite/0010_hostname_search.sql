-- Host name "contains" searches use a trigram index on PostgreSQL (same-numbered migration
-- there). SQLite has no equivalent short of FTS5 trigram tables, and its scan of 100,000 host
-- names stays under 25 ms, so nothing changes here; the file keeps both migration histories
-- numbered alike.
SELECT 1;
