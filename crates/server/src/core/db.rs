//! The database: one pool type for SQLite and PostgreSQL, migrations, and the SQL helpers
//! every `store.rs` shares.
//!
//! Both backends go through sqlx's `Any` driver with `$N` placeholders, which SQLite accepts
//! too, so each query is written once. Where the backends really differ, a store function
//! matches on [`Db::backend`] (STYLE.md §4). Times are `BIGINT` milliseconds, flags `BIGINT`
//! 0/1: the types both backends and the `Any` driver agree on.
//!
//! On SQLite every write goes through a single-connection writer pool: SQLite allows one
//! writer at a time, and queueing in the pool is far cheaper than `SQLITE_BUSY` retries.
//! The software → devices index lives in a second file, attached to every SQLite connection
//! as `idx` ([`INDEX_SCHEMA`]) and written through a connection of its own
//! ([`Db::index_write`]): SQLite locks writers per file, and the index's batched merges held
//! the one writer for 0.6–1.1 s at a time while first inventories queued behind them.
//! The hot write transactions also run on a thread of their own ([`Db::on_writer`]): a
//! transaction holds that one connection across every statement's round trip, and on the
//! shared request threads each round trip waited for a busy thread to finish decoding or
//! serializing someone else's upload.

use std::fmt::Write as _;
use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

/// Which backend a pool talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite in WAL mode.
    Sqlite,
    /// PostgreSQL, possibly shared by several server nodes.
    Postgres,
}

/// Failures of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The row asked for does not exist.
    #[error("not found")]
    NotFound,
    /// Anything the database reported.
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored JSON value could not be read back.
    #[error("stored value is not valid: {0}")]
    Corrupt(String),
    /// The writer thread stopped (the server is shutting down) before the work finished.
    #[error("the database writer has stopped")]
    WriterStopped,
}

/// Maps sqlx's `RowNotFound` to [`DbError::NotFound`].
pub fn not_found(error: sqlx::Error) -> DbError {
    match error {
        sqlx::Error::RowNotFound => DbError::NotFound,
        other => DbError::Sqlx(other),
    }
}

/// Database handle: a read pool and a write pool (the same pool on PostgreSQL).
#[derive(Clone)]
pub struct Db {
    read: AnyPool,
    write: AnyPool,
    /// SQLite: the one connection that writes the attached index file; PostgreSQL: `write`.
    index_write: AnyPool,
    backend: Backend,
    /// SQLite only: the thread that drives write transactions.
    writer: Option<Arc<WriterThread>>,
}

/// A thread with a single-threaded runtime of its own, for futures that hold SQLite's write
/// connection. It stops when the last [`Db`] clone is dropped; work still queued then ends
/// with [`DbError::WriterStopped`].
struct WriterThread {
    handle: tokio::runtime::Handle,
    /// Dropping it ends the thread's runtime.
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl WriterThread {
    fn start() -> std::io::Result<WriterThread> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("kanri-db-writer".into())
            .spawn(move || {
                runtime.block_on(async {
                    let _ = stopped.await;
                });
            })?;
        Ok(WriterThread {
            handle,
            _stop: stop,
        })
    }
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The embedded migrations of a backend, which [`Db::connect`] applies.
fn migrator(backend: Backend) -> &'static sqlx::migrate::Migrator {
    match backend {
        Backend::Sqlite => &SQLITE_MIGRATOR,
        Backend::Postgres => &POSTGRES_MIGRATOR,
    }
}

/// Applies the embedded migrations whose versions are in `versions`, in order, without
/// recording them: tests stop a database before a migration, store rows the old way and check
/// what the migration makes of them.
///
/// # Errors
/// [`DbError`] from the first migration that fails.
pub async fn apply_migrations(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    versions: impl std::ops::RangeBounds<i64>,
) -> Result<(), DbError> {
    for migration in migrator(backend)
        .iter()
        .filter(|m| versions.contains(&m.version))
    {
        sqlx::raw_sql(&migration.sql).execute(&mut *conn).await?;
    }
    Ok(())
}

impl Db {
    /// Connects, applies the embedded migrations, and returns the handle.
    ///
    /// # Errors
    /// When the database cannot be reached or a migration fails.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, DbError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let options = AnyConnectOptions::from_str(url)?;
        let db = match backend {
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(Duration::from_secs(30))
                    // JIT compiles any plan whose total cost passes a threshold, and a list
                    // walking an index under LIMIT has the cost of the whole walk: 300 ms of
                    // compiling for a 30 ms query at 100,000 devices. Nothing here is analytic.
                    .after_connect(|connection, _meta| {
                        Box::pin(async move {
                            connection.execute("SET jit = off").await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?;
                Db {
                    read: pool.clone(),
                    write: pool.clone(),
                    index_write: pool,
                    backend,
                    writer: None,
                }
            }
            Backend::Sqlite => {
                let attach: Arc<str> = attach_index_sql(url).into();
                let write = sqlite_pool(1, WRITER_PRAGMAS, attach.clone())
                    .connect_with(options.clone())
                    .await?;
                // WAL is a property of each database file; set it once before readers open.
                write
                    .execute("PRAGMA journal_mode = WAL; PRAGMA idx.journal_mode = WAL;")
                    .await?;
                let index_write = sqlite_pool(1, WRITER_PRAGMAS, attach.clone())
                    .connect_with(options.clone())
                    .await?;
                let read = sqlite_pool(max_connections.max(2), "", attach)
                    .connect_with(options)
                    .await?;
                Db {
                    read,
                    write,
                    index_write,
                    backend,
                    writer: Some(Arc::new(
                        WriterThread::start().map_err(|error| DbError::Sqlx(error.into()))?,
                    )),
                }
            }
        };
        migrator(backend).run(&db.write).await?;
        Ok(db)
    }

    /// The backend this handle talks to.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool for queries that only read.
    pub fn read(&self) -> &AnyPool {
        &self.read
    }

    /// The pool for anything that writes (a single connection on SQLite).
    pub fn write(&self) -> &AnyPool {
        &self.write
    }

    /// The pool that writes the software → devices index and the install counts (a
    /// connection of its own on SQLite, whose index file has its own write lock). Nothing
    /// else is written through it, and nothing written through [`Db::write`] touches them.
    pub fn index_write(&self) -> &AnyPool {
        &self.index_write
    }

    /// Runs `work`, a future that writes, on the writer thread (SQLite) or in place
    /// (PostgreSQL, where writers do not queue behind one connection).
    ///
    /// Everything CPU-heavy belongs before the call: on SQLite whatever `work` computes
    /// between statements delays every other write. On SQLite the work runs to completion
    /// even if the caller stops waiting; on PostgreSQL it is the caller's future, and a
    /// transaction dropped half-way is rolled back there.
    ///
    /// # Errors
    /// [`DbError::WriterStopped`] when the server is shutting down; a panic in `work` is
    /// carried over to the caller.
    pub async fn on_writer<F, T, E>(&self, work: F) -> Result<T, E>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let Some(writer) = &self.writer else {
            return work.await;
        };
        match writer.handle.spawn(work).await {
            Ok(outcome) => outcome,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(_) => Err(DbError::WriterStopped.into()),
        }
    }

    /// Starts `task`, which writes now and then for as long as the server runs, on the
    /// writer thread (SQLite) or on the current runtime (PostgreSQL).
    pub fn spawn_writer<F>(&self, task: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        match &self.writer {
            Some(writer) => drop(writer.handle.spawn(task)),
            None => drop(tokio::spawn(task)),
        }
    }

    /// Connections in use and idle, for `/metrics`.
    pub fn pool_stats(&self) -> (u32, usize) {
        let size = self.read.size()
            + if self.backend == Backend::Sqlite {
                self.write.size() + self.index_write.size()
            } else {
                0
            };
        let idle = self.read.num_idle()
            + if self.backend == Backend::Sqlite {
                self.write.num_idle() + self.index_write.num_idle()
            } else {
                0
            };
        (size, idle)
    }

    /// Copies committed WAL pages back into an SQLite database file through a reading
    /// connection, without taking the write lock (a `PASSIVE` checkpoint stops short of pages
    /// a reader still needs and of the writer's uncommitted ones). Nothing on PostgreSQL.
    ///
    /// # Errors
    /// [`DbError`] from the database.
    pub async fn checkpoint(&self) -> Result<(), DbError> {
        if self.backend == Backend::Sqlite {
            for sql in [
                "PRAGMA main.wal_checkpoint(PASSIVE)",
                "PRAGMA idx.wal_checkpoint(PASSIVE)",
            ] {
                sqlx::query(sql).fetch_all(&self.read).await?;
            }
        }
        Ok(())
    }

    /// Closes both pools, waiting for queries in flight.
    pub async fn close(&self) {
        self.write.close().await;
        self.index_write.close().await;
        self.read.close().await;
    }
}

/// Settings of the one writing connection. A checkpoint copies the pages the WAL holds back
/// into the database file; run by the writer at commit (SQLite's default, every 4 MB) it
/// held the write lock for up to 400 ms at a time under upload load. The writer now leaves
/// checkpoints to [`Db::checkpoint`], run every second off the writer by
/// [`run_checkpoints`]; its own threshold (256 MB) is only a backstop should that fall behind.
const WRITER_PRAGMAS: &str = "PRAGMA wal_autocheckpoint = 65536;";

/// How often [`run_checkpoints`] copies the WAL back into the database file.
const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);

/// Checkpoints an SQLite database every [`CHECKPOINT_INTERVAL`] until `shutdown` turns true;
/// returns at once for PostgreSQL.
pub async fn run_checkpoints(db: Db, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    if db.backend != Backend::Sqlite {
        return;
    }
    let mut ticks = tokio::time::interval(CHECKPOINT_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = shutdown.changed() => return,
        }
        if *shutdown.borrow() {
            return;
        }
        if let Err(error) = db.checkpoint().await {
            tracing::warn!(message = "WAL checkpoint failed.", %error);
        }
    }
}

/// Every SQLite connection. Memory-mapping the file (`mmap_size`) was tried: it made first
/// inventories no faster and check-ins 15 % slower, the background checkpoints growing the
/// file forcing every reader to map it again.
fn sqlite_pool(
    max_connections: u32,
    extra_pragmas: &'static str,
    attach_index: Arc<str>,
) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(60))
        .after_connect(move |connection, _meta| {
            let attach_index = attach_index.clone();
            Box::pin(async move {
                connection
                    .execute(
                        "PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; \
                         PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536; \
                         PRAGMA temp_store = MEMORY;",
                    )
                    .await?;
                connection.execute(&*attach_index).await?;
                if !extra_pragmas.is_empty() {
                    connection.execute(extra_pragmas).await?;
                }
                Ok(())
            })
        })
}

/// Schema name of the attached index file on SQLite. Queries name its tables unqualified
/// (`software_devices`, `install_counts`), which SQLite resolves to the attached file and
/// PostgreSQL to its one schema.
pub const INDEX_SCHEMA: &str = "idx";

/// The index file beside an SQLite database: `kanri.db` → `kanri-index.db`.
fn index_path(url: &str) -> String {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let path = path.split('?').next().unwrap_or(path);
    match path.strip_suffix(".db") {
        Some(stem) => format!("{stem}-index.db"),
        None => format!("{path}-index"),
    }
}

/// Attaches the index file ([`index_path`]) to a connection, with the pragmas that are set
/// per file.
fn attach_index_sql(url: &str) -> String {
    format!(
        "ATTACH DATABASE '{}' AS {INDEX_SCHEMA}; PRAGMA {INDEX_SCHEMA}.synchronous = NORMAL;",
        index_path(url).replace('\'', "''")
    )
}

/// `($1, $2, $3), ($4, $5, $6)` for a multi-row insert of `rows` rows of `columns` values.
pub fn values_placeholders(rows: usize, columns: usize) -> String {
    let mut out = String::with_capacity(rows * columns * 5);
    for row in 0..rows {
        if row > 0 {
            out.push_str(", ");
        }
        out.push('(');
        for column in 0..columns {
            if column > 0 {
                out.push_str(", ");
            }
            out.push('$');
            out.push_str(&(row * columns + column + 1).to_string());
        }
        out.push(')');
    }
    out
}

/// `$start, $start+1, …` for an `IN (…)` list of `count` values.
pub fn list_placeholders(start: usize, count: usize) -> String {
    (start..start + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A row source that expands a JSON array of arrays bound at `$param` into columns, so a batch
/// of thousands of rows travels as one parameter instead of thousands of binds (which the
/// `Any` driver makes expensive). `columns` are (name, SQL type) in array order; text columns
/// use `TEXT`, numbers `BIGINT`.
pub fn json_rows(backend: Backend, param: usize, columns: &[(&str, &str)]) -> String {
    let select: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(index, (name, sql_type))| match backend {
            Backend::Sqlite => {
                format!("CAST(json_extract(j.value, '$[{index}]') AS {sql_type}) AS {name}")
            }
            Backend::Postgres => format!("CAST(j.value ->> {index} AS {sql_type}) AS {name}"),
        })
        .collect();
    let source = match backend {
        Backend::Sqlite => format!("json_each(${param}) AS j"),
        Backend::Postgres => format!("jsonb_array_elements(CAST(${param} AS jsonb)) AS j(value)"),
    };
    format!("SELECT {} FROM {source}", select.join(", "))
}

/// A row source of integer pairs `(a, b)` from a list of [`pack_pair`]ed integers bound at
/// `$param` as [`packed_param`] writes it: a flat JSON array on SQLite, whose `json_each` yields
/// its numbers without re-parsing each element (where [`json_rows`] extracts every column from
/// an element's text), and an array literal on PostgreSQL, whose `unnest` of a `BIGINT[]` cast
/// took 25 % less time than `jsonb_array_elements_text` on a million pairs. Index merges move
/// hundreds of thousands of pairs per batch.
pub fn packed_pairs(backend: Backend, param: usize, a: &str, b: &str) -> String {
    match backend {
        Backend::Sqlite => format!(
            "SELECT j.value >> 32 AS {a}, j.value & 4294967295 AS {b} FROM json_each(${param}) AS j"
        ),
        Backend::Postgres => format!(
            "SELECT p.v >> 32 AS {a}, p.v & 4294967295 AS {b} \
             FROM unnest(CAST(${param} AS BIGINT[])) AS p(v)"
        ),
    }
}

/// The parameter [`packed_pairs`] reads: `[1,2,3]` on SQLite, `{1,2,3}` on PostgreSQL.
pub fn packed_param(backend: Backend, packed: &[i64]) -> String {
    let (open, close) = match backend {
        Backend::Sqlite => ('[', ']'),
        Backend::Postgres => ('{', '}'),
    };
    let mut out = String::with_capacity(packed.len() * 12 + 2);
    out.push(open);
    for (index, value) in packed.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        // Writing to a String cannot fail.
        let _ = write!(out, "{value}");
    }
    out.push(close);
    out
}

/// One integer holding `(a, b)` for [`packed_pairs`]; `None` when `a` is not below 2³¹ or `b`
/// not below 2³² (row ids never get there).
pub fn pack_pair(a: i64, b: i64) -> Option<i64> {
    ((0..1 << 31).contains(&a) && (0..1 << 32).contains(&b)).then_some((a << 32) | b)
}

/// Rows per multi-row statement: stays far below both backends' parameter limits while
/// keeping the number of distinct prepared statements small.
pub const BATCH_ROWS: usize = 250;

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::{Connection, Row};

    #[test]
    fn the_index_file_sits_beside_the_database() {
        assert_eq!(
            index_path("sqlite:///var/lib/kanri/kanri.db?mode=rwc"),
            "/var/lib/kanri/kanri-index.db"
        );
        assert_eq!(index_path("sqlite://data/old.db"), "data/old-index.db");
        assert_eq!(index_path("sqlite:kanri"), "kanri-index");
        assert!(
            attach_index_sql("sqlite:///srv/it's/kanri.db").contains("'/srv/it''s/kanri-index.db'")
        );
    }

    #[test]
    fn pairs_pack_into_one_integer() {
        assert_eq!(pack_pair(3, 7), Some((3 << 32) | 7));
        assert_eq!(pack_pair((1 << 31) - 1, (1 << 32) - 1), Some(i64::MAX));
        assert_eq!(pack_pair(1 << 31, 0), None);
        assert_eq!(pack_pair(0, 1 << 32), None);
        assert_eq!(pack_pair(-1, 0), None);
        assert_eq!(packed_param(Backend::Sqlite, &[1, 2]), "[1,2]");
        assert_eq!(packed_param(Backend::Postgres, &[1, 2]), "{1,2}");
        assert_eq!(packed_param(Backend::Postgres, &[]), "{}");
    }

    /// A fresh SQLite database with the index file attached and the migrations before
    /// `version` applied by hand (no migration table), its directory and URL kept alive by the
    /// caller.
    async fn database_before(version: i64) -> (tempfile::TempDir, String, sqlx::AnyConnection) {
        sqlx::any::install_default_drivers();
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
        let mut conn = sqlx::AnyConnection::connect(&url).await.expect("connect");
        sqlx::raw_sql(&attach_index_sql(&url))
            .execute(&mut conn)
            .await
            .expect("attach");
        apply_migrations(&mut conn, Backend::Sqlite, ..version)
            .await
            .expect("old migrations");
        (dir, url, conn)
    }

    async fn apply_migration(conn: &mut sqlx::AnyConnection, version: i64) {
        apply_migrations(conn, Backend::Sqlite, version..=version)
            .await
            .expect("the migration applies");
    }

    /// Migration 11 carries every non-zero install count from the catalogue's old column into
    /// `install_counts` and drops the column.
    #[tokio::test]
    async fn install_counts_move_out_of_the_catalogue() {
        let (_dir, _url, mut conn) = database_before(11).await;
        sqlx::query(
            "INSERT INTO software (id, name, version, arch, source, first_seen, install_count) \
             VALUES (1, 'bash', '5.2', 'amd64', 'dpkg', 0, 3), (2, 'zsh', '5.9', 'amd64', 'dpkg', 0, 0)",
        )
        .execute(&mut conn)
        .await
        .expect("old rows");
        apply_migration(&mut conn, 11).await;
        let counts: Vec<(i64, i64)> =
            sqlx::query("SELECT software_id, installs FROM install_counts ORDER BY software_id")
                .fetch_all(&mut conn)
                .await
                .expect("counts")
                .iter()
                .map(|row| (row.get(0), row.get(1)))
                .collect();
        assert_eq!(counts, vec![(1, 3)]);
        let names: i64 = sqlx::query("SELECT COUNT(*) FROM software")
            .fetch_one(&mut conn)
            .await
            .expect("catalogue")
            .get(0);
        assert_eq!(names, 2, "the catalogue keeps its entries");
        assert!(sqlx::query("SELECT install_count FROM software")
            .fetch_all(&mut conn)
            .await
            .is_err());
    }

    /// Migration 12 moves the index and the counts, as they were, into the attached index
    /// file and drops them from the main one.
    #[tokio::test]
    async fn the_index_moves_into_its_own_file() {
        let (dir, _url, mut conn) = database_before(12).await;
        sqlx::raw_sql(
            "INSERT INTO software_devices (software_id, device_id) VALUES (1, 10), (1, 11), (2, 10); \
             INSERT INTO install_counts (software_id, installs) VALUES (1, 2), (2, 1);",
        )
        .execute(&mut conn)
        .await
        .expect("old rows");
        apply_migration(&mut conn, 12).await;
        let pairs: Vec<(i64, i64)> =
            sqlx::query("SELECT software_id, device_id FROM idx.software_devices ORDER BY 1, 2")
                .fetch_all(&mut conn)
                .await
                .expect("pairs")
                .iter()
                .map(|row| (row.get(0), row.get(1)))
                .collect();
        assert_eq!(pairs, vec![(1, 10), (1, 11), (2, 10)]);
        let counts: i64 = sqlx::query("SELECT SUM(installs) FROM idx.install_counts")
            .fetch_one(&mut conn)
            .await
            .expect("counts")
            .get(0);
        assert_eq!(counts, 3);
        assert!(sqlx::query("SELECT 1 FROM main.software_devices")
            .fetch_all(&mut conn)
            .await
            .is_err());
        assert!(dir.path().join("old-index.db").exists());
    }

    /// Migration 13: install lists and queued changes stored as JSON text before it are bytes
    /// after it, and read as the same installs and ids as new rows are.
    #[tokio::test]
    async fn json_install_lists_read_the_same_after_they_become_bytes() {
        use crate::inventory::{packed, store};
        let (_dir, _url, mut conn) = database_before(13).await;
        sqlx::raw_sql(
            "PRAGMA foreign_keys = OFF; \
             INSERT INTO device_installs (device_id, package_count, packages) \
             VALUES (7, 2, '[[3,1700000000,null],[9,null,42]]'); \
             INSERT INTO install_changes (id, device_id, added, removed) \
             VALUES (1, 7, '[3,9]', '[]');",
        )
        .execute(&mut conn)
        .await
        .expect("old rows");
        apply_migration(&mut conn, 13).await;
        let kind: String = sqlx::query("SELECT typeof(packages) FROM device_installs")
            .fetch_one(&mut conn)
            .await
            .expect("type")
            .get(0);
        assert_eq!(kind, "blob");
        assert_eq!(
            store::get_installs(&mut conn, 7).await.expect("installs"),
            vec![(3, Some(1_700_000_000), None), (9, None, Some(42))]
        );
        sqlx::query(
            "INSERT INTO install_changes (id, device_id, added, removed) VALUES (2, 7, $1, $2)",
        )
        .bind(packed::encode_ids(&[]))
        .bind(packed::encode_ids(&[9]))
        .execute(&mut conn)
        .await
        .expect("new row");
        let changes = crate::inventory::index_store::list_install_changes(&mut conn, 0, 10)
            .await
            .expect("changes");
        let lists: Vec<(Vec<i64>, Vec<i64>)> = changes
            .into_iter()
            .map(|change| (change.added, change.removed))
            .collect();
        assert_eq!(lists, vec![(vec![3, 9], vec![]), (vec![], vec![9])]);
    }

    /// The database file alone (no WAL beside it) holds a commit once a background
    /// checkpoint has run, while the writer took no part in it.
    #[tokio::test]
    async fn background_checkpoints_move_commits_into_the_database_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("kanri.db");
        let db = Db::connect(&format!("sqlite://{}?mode=rwc", path.display()), 2)
            .await
            .expect("connect");
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(run_checkpoints(db.clone(), stopped));
        sqlx::query("CREATE TABLE probe (value TEXT NOT NULL)")
            .execute(db.write())
            .await
            .expect("create");
        sqlx::query("INSERT INTO probe (value) VALUES ('checkpointed')")
            .execute(db.write())
            .await
            .expect("insert");
        let copy = dir.path().join("copy.db");
        let mut found = None;
        for _ in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            for stale in ["copy.db-wal", "copy.db-shm"] {
                let _ = std::fs::remove_file(dir.path().join(stale));
            }
            std::fs::copy(&path, &copy).expect("copy the file");
            let url = format!("sqlite://{}?mode=rw", copy.display());
            let Ok(mut conn) = sqlx::AnyConnection::connect(&url).await else {
                continue;
            };
            if let Ok(row) = sqlx::query("SELECT value FROM probe")
                .fetch_one(&mut conn)
                .await
            {
                found = Some(row.try_get::<String, _>(0).expect("value"));
                break;
            }
        }
        assert_eq!(found.as_deref(), Some("checkpointed"));
        stop.send(true).expect("stop");
        task.await.expect("checkpointer ends on shutdown");
        db.close().await;
    }

    #[test]
    fn placeholders() {
        assert_eq!(values_placeholders(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(list_placeholders(3, 2), "$3, $4");
    }
}
