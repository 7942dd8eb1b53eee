//! Background jobs: scheduled jobs and a queue of one-off jobs, both leased in the database
//! so that several server nodes sharing one PostgreSQL never run the same job twice and a
//! dead node's job is taken over when its lease runs out.
//!
//! Two scopes:
//! - [`Scope::Cluster`]: one node at a time, chosen by a lease row in `jobs`.
//! - [`Scope::Node`]: every node runs its own (flushing that node's in-memory buffers).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use sqlx::Row;
use tokio::sync::watch;

use crate::core::db::{Backend, Db, DbError};
use crate::core::time::now_ms;

/// A job body: returns an error text to record on failure.
pub type JobFn =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync>;
/// A queued-job handler: receives the payload.
pub type QueueFn =
    Arc<dyn Fn(String) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync>;

/// Where a scheduled job runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// On one node of the cluster at a time.
    Cluster,
    /// On every node.
    Node,
}

/// A scheduled job.
#[derive(Clone)]
pub struct Job {
    /// Unique name; also the lease row's key.
    pub name: String,
    /// Time between runs.
    pub interval: Duration,
    /// Cluster or node.
    pub scope: Scope,
    /// The work.
    pub run: JobFn,
}

/// Runs scheduled and queued jobs until shut down.
pub struct JobRunner {
    db: Db,
    node_id: String,
    jobs: Vec<Job>,
    handlers: HashMap<String, QueueFn>,
    lease: Duration,
    tick: Duration,
}

impl JobRunner {
    /// A runner for this node.
    pub fn new(db: Db, node_id: impl Into<String>) -> JobRunner {
        JobRunner {
            db,
            node_id: node_id.into(),
            jobs: Vec::new(),
            handlers: HashMap::new(),
            lease: Duration::from_secs(300),
            tick: Duration::from_millis(250),
        }
    }

    /// Sets how long a lease lasts before another node may take the job over.
    pub fn with_lease(mut self, lease: Duration) -> JobRunner {
        self.lease = lease;
        self
    }

    /// Adds a scheduled job.
    pub fn schedule(mut self, job: Job) -> JobRunner {
        self.jobs.push(job);
        self
    }

    /// Adds the handler for queued jobs of `kind`.
    pub fn handle(mut self, kind: &str, handler: QueueFn) -> JobRunner {
        self.handlers.insert(kind.to_string(), handler);
        self
    }

    /// Runs until `shutdown` turns true, then runs every node job once more (a final flush).
    ///
    /// # Errors
    /// When the job rows cannot be registered.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) -> Result<(), DbError> {
        for job in self.jobs.iter().filter(|job| job.scope == Scope::Cluster) {
            register(&self.db, &job.name, job.interval).await?;
        }
        let mut next_local: HashMap<String, i64> = HashMap::new();
        loop {
            if *shutdown.borrow() {
                break;
            }
            let now = now_ms();
            for job in &self.jobs {
                match job.scope {
                    Scope::Node => {
                        let due = next_local
                            .entry(job.name.clone())
                            .or_insert(now + job.interval.as_millis() as i64);
                        if *due <= now {
                            *due = now + job.interval.as_millis() as i64;
                            if let Err(error) = (job.run)().await {
                                tracing::warn!(message = "Job failed.", job = %job.name, %error);
                            }
                        }
                    }
                    Scope::Cluster => {
                        if let Err(error) = self.run_cluster_job(job).await {
                            tracing::warn!(message = "Job bookkeeping failed.", job = %job.name, %error);
                        }
                    }
                }
            }
            if let Err(error) = self.run_queue().await {
                tracing::warn!(message = "Job queue failed.", %error);
            }
            tokio::select! {
                _ = tokio::time::sleep(self.tick) => {}
                _ = shutdown.changed() => {}
            }
        }
        for job in self.jobs.iter().filter(|job| job.scope == Scope::Node) {
            if let Err(error) = (job.run)().await {
                tracing::warn!(message = "Final job run failed.", job = %job.name, %error);
            }
        }
        Ok(())
    }

    async fn run_cluster_job(&self, job: &Job) -> Result<(), DbError> {
        if !try_lease(&self.db, &job.name, &self.node_id, self.lease).await? {
            return Ok(());
        }
        let started = now_ms();
        let result = (job.run)().await;
        finish(
            &self.db,
            &job.name,
            &self.node_id,
            job.interval,
            started,
            result.err(),
        )
        .await
    }

    async fn run_queue(&self) -> Result<(), DbError> {
        if self.handlers.is_empty() {
            return Ok(());
        }
        while let Some(claimed) = claim_queued(&self.db, &self.node_id, self.lease).await? {
            let outcome = match self.handlers.get(&claimed.kind) {
                Some(handler) => handler(claimed.payload).await,
                None => Err(format!("no handler for job kind {}", claimed.kind)),
            };
            complete_queued(&self.db, claimed.id, claimed.attempts, outcome.err()).await?;
        }
        Ok(())
    }
}

/// Creates or updates a scheduled job's lease row; a new job first runs one interval from now.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn register(db: &Db, name: &str, interval: Duration) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO jobs (name, interval_ms, next_run_at) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET interval_ms = excluded.interval_ms",
    )
    .bind(name)
    .bind(interval.as_millis() as i64)
    .bind(now_ms() + interval.as_millis() as i64)
    .execute(db.write())
    .await?;
    Ok(())
}

/// Takes the job if it is due and nobody holds a live lease. One conditional UPDATE, so two
/// nodes racing for it cannot both win.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn try_lease(db: &Db, name: &str, node: &str, lease: Duration) -> Result<bool, DbError> {
    let now = now_ms();
    let taken = sqlx::query(
        "UPDATE jobs SET lease_owner = $1, lease_until = $2 \
         WHERE name = $3 AND next_run_at <= $4 AND lease_until < $4",
    )
    .bind(node)
    .bind(now + lease.as_millis() as i64)
    .bind(name)
    .bind(now)
    .execute(db.write())
    .await?;
    Ok(taken.rows_affected() == 1)
}

async fn finish(
    db: &Db,
    name: &str,
    node: &str,
    interval: Duration,
    started: i64,
    error: Option<String>,
) -> Result<(), DbError> {
    let now = now_ms();
    if let Some(error) = &error {
        tracing::warn!(message = "Job failed.", job = %name, %error);
    }
    sqlx::query(
        "UPDATE jobs SET lease_owner = NULL, lease_until = 0, next_run_at = $1, last_run_at = $2, \
         last_duration_ms = $3, last_error = $4, runs = runs + 1 WHERE name = $5 AND lease_owner = $6",
    )
    .bind(started + interval.as_millis() as i64)
    .bind(started)
    .bind(now - started)
    .bind(error)
    .bind(name)
    .bind(node)
    .execute(db.write())
    .await?;
    Ok(())
}

/// Adds a one-off job to the queue.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn enqueue(db: &Db, kind: &str, payload: &str, run_after: i64) -> Result<i64, DbError> {
    let row = sqlx::query(
        "INSERT INTO job_queue (kind, payload, run_after, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(kind)
    .bind(payload)
    .bind(run_after)
    .bind(now_ms())
    .fetch_one(db.write())
    .await?;
    Ok(row.try_get(0)?)
}

/// A queued job this node now holds.
#[derive(Debug)]
pub struct Claimed {
    /// Queue row id.
    pub id: i64,
    /// Handler kind.
    pub kind: String,
    /// Payload text.
    pub payload: String,
    /// Attempts including this one.
    pub attempts: i64,
}

/// Most attempts before a queued job is given up and kept with its last error.
pub const MAX_ATTEMPTS: i64 = 5;

/// Claims the oldest ready job. PostgreSQL skips rows other nodes have locked; SQLite has one
/// writer, so the subquery and update cannot interleave.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn claim_queued(
    db: &Db,
    node: &str,
    lease: Duration,
) -> Result<Option<Claimed>, DbError> {
    let now = now_ms();
    let lock = match db.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE job_queue SET lease_owner = $1, lease_until = $2, attempts = attempts + 1 \
         WHERE id = (SELECT id FROM job_queue WHERE done_at IS NULL AND run_after <= $3 \
         AND lease_until < $3 ORDER BY id LIMIT 1{lock}) RETURNING id, kind, payload, attempts"
    );
    let row = sqlx::query(&sql)
        .bind(node)
        .bind(now + lease.as_millis() as i64)
        .bind(now)
        .fetch_optional(db.write())
        .await?;
    match row {
        None => Ok(None),
        Some(row) => Ok(Some(Claimed {
            id: row.try_get(0)?,
            kind: row.try_get(1)?,
            payload: row.try_get(2)?,
            attempts: row.try_get(3)?,
        })),
    }
}

/// Records a queued job's outcome: done, retried later with backoff, or given up.
///
/// # Errors
/// [`DbError`] from the database.
pub async fn complete_queued(
    db: &Db,
    id: i64,
    attempts: i64,
    error: Option<String>,
) -> Result<(), DbError> {
    let now = now_ms();
    match error {
        None => {
            sqlx::query("UPDATE job_queue SET done_at = $1, lease_owner = NULL, lease_until = 0 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(db.write())
                .await?;
        }
        Some(error) => {
            let give_up = attempts >= MAX_ATTEMPTS;
            let retry_at = now + 1000 * (1i64 << attempts.clamp(0, 10));
            sqlx::query(
                "UPDATE job_queue SET last_error = $1, lease_owner = NULL, lease_until = 0, \
                 run_after = $2, done_at = $3 WHERE id = $4",
            )
            .bind(error)
            .bind(retry_at)
            .bind(if give_up { Some(now) } else { None })
            .bind(id)
            .execute(db.write())
            .await?;
        }
    }
    Ok(())
}
