-- Core: server settings and background jobs.
CREATE TABLE server_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Scheduled jobs. A node takes a job by moving lease_until forward in one conditional
-- UPDATE; a job whose lease ran out (its node died) is taken by the next node that looks.
CREATE TABLE jobs (
    name TEXT PRIMARY KEY,
    interval_ms BIGINT NOT NULL,
    next_run_at BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT NOT NULL DEFAULT 0,
    last_run_at BIGINT,
    last_duration_ms BIGINT,
    last_error TEXT,
    runs BIGINT NOT NULL DEFAULT 0
);

-- Queued one-off jobs, claimed the same way.
CREATE TABLE job_queue (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    run_after BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT NOT NULL DEFAULT 0,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    done_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX job_queue_ready ON job_queue (done_at, run_after);
