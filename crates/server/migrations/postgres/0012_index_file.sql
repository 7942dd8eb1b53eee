-- On SQLite the software → devices index moves to a file of its own (see the SQLite
-- migration of the same name). PostgreSQL writes it concurrently with uploads already, and
-- merges and deletes queued changes in one transaction: nothing changes here.
SELECT 1;
