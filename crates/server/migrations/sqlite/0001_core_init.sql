-- Core: server settings and background jobs.
CREATE TABLE server_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Scheduled jobs. A node takes a job by moving lease_until forward in one conditional
-- UPDATE; a job whose lease ran out (its node died) is taken by the next node that looks.
CREATE TABLE jobs (
    name TEXT PRIMARY KEY,
    interval_ms INTEGER NOT NULL,
    next_run_at INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER NOT NULL DEFAULT 0,
    last_run_at INTEGER,
    last_duration_ms INTEGER,
    last_error TEXT,
    runs INTEGER NOT NULL DEFAULT 0
);

-- Queued one-off jobs, claimed the same way.
CREATE TABLE job_queue (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    run_after INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    done_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX job_queue_ready ON job_queue (done_at, run_after);
