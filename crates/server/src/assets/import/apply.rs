//! Running an import: the file checked whole (pass 1), then its rows read again and applied
//! in one transaction (pass 2), or in check mode only judged.
//!
//! Pass 1 runs off the database: it decodes every byte, finds the header and matches the
//! template against it, so a file-level error refuses the file before anything is written
//! (and before SQLite's one writer is taken). Pass 2 reads the snapshot ([`Refs`]) inside the
//! transaction, then takes the rows in chunks of [`CHUNK_ROWS`] from a reader thread: each
//! row's key is looked up in memory, its cells turned into the kind's patch, and each chunk's
//! current records read in one query before the rows are written with the kinds' store
//! functions. Invalid rows are collected (the first [`MAX_STORED_INVALID`] kept, the rest
//! counted); the history entry, its invalid rows and one audit entry commit with the rows.

use std::future::Future;

use sqlx::AnyConnection;

use crate::assets::import::error::{ImportError, Refusal};
use crate::assets::import::format::{Sheet, Source, MAX_FILE_BYTES};
use crate::assets::import::kinds::{self, Kind, Row, RowError};
use crate::assets::import::mapping::{Mapping, Resolved};
use crate::assets::import::refs::{Refs, SeenKeys};
use crate::assets::import::{history, store};
use crate::audit::model::Origin;
use crate::core::auth::{Actor, Division, Scope};
use crate::core::csv::CsvEncoding;
use crate::core::db::{Backend, Db, DbError};
use crate::core::error::AppError;
use crate::core::time::now_ms;

/// Rows applied per chunk (one query reads a chunk's current records).
pub const CHUNK_ROWS: usize = 500;

/// Invalid rows kept with an import's history; further ones are only counted.
pub const MAX_STORED_INVALID: usize = 10_000;

/// What to import.
#[derive(Debug, Clone)]
pub struct Request {
    /// The kind of records.
    pub kind: Kind,
    /// The template's name.
    pub template: String,
    /// The file's encoding; none: the template's.
    pub encoding: Option<CsvEncoding>,
    /// Only check: change nothing.
    pub check: bool,
    /// The file's name, for the history.
    pub file_name: String,
}

/// A row an import could not take.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct InvalidRow {
    /// The line it starts on.
    pub line: u64,
    /// Why (naming the field).
    pub reason: String,
    /// Its cells as read.
    pub cells: Vec<String>,
}

/// How an import went.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportResult {
    /// Its history entry.
    pub id: i64,
    /// The kind.
    pub kind: Kind,
    /// The template.
    pub template: String,
    /// The file.
    pub file_name: String,
    /// The encoding it was read in.
    pub encoding: &'static str,
    /// `applied` or `checked` (nothing changed).
    pub status: &'static str,
    /// Data rows read.
    pub rows: u64,
    /// Records added (or that would be).
    pub added: u64,
    /// Records changed.
    pub updated: u64,
    /// Rows that matched a record and changed nothing.
    pub unchanged: u64,
    /// Invalid rows.
    pub failed: u64,
    /// The file's header (the invalid-row download starts with it).
    pub header: Vec<String>,
    /// The invalid rows (at most [`MAX_STORED_INVALID`]).
    pub invalid_rows: Vec<InvalidRow>,
    /// Started (Unix ms).
    pub started_at: i64,
    /// Finished.
    pub finished_at: i64,
    /// Device records deleted because the import disposed their assets (the caller tells
    /// the agent runtime).
    #[serde(skip)]
    pub deleted_devices: Vec<i64>,
}

/// What one row did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// A record was added.
    Added,
    /// A record was changed.
    Updated,
    /// The row matched a record and changed nothing.
    Unchanged,
}

/// Why a row stopped: its own fault (it joins the invalid rows) or the database's (the
/// import stops).
#[derive(Debug)]
pub enum Failure {
    /// The row is invalid.
    Row(RowError),
    /// The import cannot go on.
    Fatal(AppError),
}

impl From<RowError> for Failure {
    fn from(error: RowError) -> Failure {
        Failure::Row(error)
    }
}

impl From<DbError> for Failure {
    fn from(error: DbError) -> Failure {
        Failure::Fatal(error.into())
    }
}

/// A row ready to apply.
#[derive(Debug)]
pub struct Item<P> {
    /// The line it starts on.
    pub line: u64,
    /// Its cells (for the invalid-row list).
    pub cells: Vec<String>,
    /// The record its key found; none inserts.
    pub target: Option<i64>,
    /// What it sets.
    pub patch: P,
}

/// What the rows of an import share while they are applied.
#[derive(Debug)]
pub struct Ctx<'a> {
    /// Who imports.
    pub actor: &'a Actor,
    /// From where.
    pub origin: &'a Origin,
    /// The snapshot.
    pub refs: &'a Refs,
    /// Whether rows are written (false in check mode).
    pub write: bool,
    /// The time every change carries.
    pub now: i64,
    /// The database backend.
    pub backend: Backend,
    /// Unique values (numbers, names) rows of this file took, with their line.
    pub claimed: SeenKeys,
    /// Counts and invalid rows so far.
    pub outcome: Outcome,
    /// A managed software's rules changed (every device is then queued for reconciliation,
    /// once).
    pub rules_changed: bool,
}

/// The counts of an import.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Data rows read.
    pub rows: u64,
    /// Added.
    pub added: u64,
    /// Changed.
    pub updated: u64,
    /// Matched, unchanged.
    pub unchanged: u64,
    /// Invalid.
    pub failed: u64,
    /// The first invalid rows.
    pub invalid: Vec<InvalidRow>,
    /// Device records a disposal deleted.
    pub deleted_devices: Vec<i64>,
}

impl Outcome {
    /// Counts an invalid row and keeps it until the chunk ends ([`Outcome::end_chunk`]).
    pub fn invalid(&mut self, line: u64, cells: Vec<String>, reason: String) {
        self.failed += 1;
        self.invalid.push(InvalidRow {
            line,
            reason,
            cells,
        });
    }

    /// Puts the invalid rows of a chunk (kept from index `from`: found while keying, then
    /// while applying) in line order, and keeps only the first [`MAX_STORED_INVALID`] of
    /// the import.
    fn end_chunk(&mut self, from: usize) {
        if let Some(chunk) = self.invalid.get_mut(from..) {
            chunk.sort_by_key(|row| row.line);
        }
        self.invalid.truncate(MAX_STORED_INVALID);
    }

    fn count(&mut self, done: Done) {
        match done {
            Done::Added => self.added += 1,
            Done::Updated => self.updated += 1,
            Done::Unchanged => self.unchanged += 1,
        }
    }

    /// Records what a row came to.
    ///
    /// # Errors
    /// The fatal error, when the row ended in one.
    pub fn settle(
        &mut self,
        line: u64,
        cells: Vec<String>,
        result: Result<Done, Failure>,
    ) -> Result<(), AppError> {
        match result {
            Ok(done) => self.count(done),
            Err(Failure::Row(RowError(reason))) => self.invalid(line, cells, reason),
            Err(Failure::Fatal(error)) => return Err(error),
        }
        Ok(())
    }
}

impl Ctx<'_> {
    /// Takes a unique value (a number, a name) for a row: refused when an earlier row of the
    /// file took it from the same `namespace`, or when `stored` (the record that had it)
    /// is another than `owner` (the row's record; none for a new one).
    ///
    /// # Errors
    /// Naming `field`.
    pub fn claim(
        &mut self,
        (namespace, field): (&str, &str),
        value: &str,
        line: u64,
        (stored, owner): (Option<i64>, Option<i64>),
    ) -> Result<(), RowError> {
        if value.is_empty() {
            return Ok(());
        }
        if let Some(other) = stored.filter(|other| Some(*other) != owner) {
            return Err(RowError(format!(
                "{field}: {value:?} is taken by another record (id {other})"
            )));
        }
        if let Some(first) = self
            .claimed
            .first_line(&format!("{namespace}\u{0}{value}"), line)
        {
            return Err(RowError(format!(
                "{field}: {value:?} is taken by line {first} of this file"
            )));
        }
        Ok(())
    }
}

/// One kind's part in an import.
pub trait Importer {
    /// What a row sets.
    type Patch: Send;

    /// Whether the records have a department (a department-scoped account then changes only
    /// those in its departments); the vendor list has none.
    const SCOPED: bool = true;

    /// The key cell as the stored values are compared with it (MAC addresses written one
    /// way).
    fn key(field: &str, value: &str) -> String {
        let _ = field;
        value.to_string()
    }

    /// A row's patch, read against the snapshot.
    ///
    /// # Errors
    /// [`RowError`] naming the field.
    fn parse(row: &Row<'_>, refs: &Refs) -> Result<Self::Patch, RowError>;

    /// Applies a chunk of rows (reading their current records in one query).
    ///
    /// # Errors
    /// Fatal errors only; invalid rows go to `ctx.outcome`.
    fn apply(
        conn: &mut AnyConnection,
        ctx: &mut Ctx<'_>,
        items: Vec<Item<Self::Patch>>,
    ) -> impl Future<Output = Result<(), AppError>> + Send;

    /// Runs once after the last chunk.
    ///
    /// # Errors
    /// Fatal errors.
    fn finish(
        conn: &mut AnyConnection,
        ctx: &mut Ctx<'_>,
    ) -> impl Future<Output = Result<(), AppError>> + Send {
        let _ = (conn, ctx);
        async { Ok(()) }
    }
}

/// Pass 1: the file decoded and parsed to its end, its header matched to the template.
/// Returns the header and where each field is.
fn check_file(
    source: &Source,
    kind: Kind,
    mapping: &Mapping,
    encoding: CsvEncoding,
) -> Result<Checked, Refusal> {
    let mut sheet = Sheet::open(source, encoding, mapping.header_row, mapping.data_row)?;
    let resolved = mapping.resolve(kind, &sheet.header)?;
    let mut rows = 0;
    while sheet.next_record()?.is_some() {
        rows += 1;
    }
    Ok(Checked {
        header: sheet.header.clone(),
        resolved,
        rows,
    })
}

/// What pass 1 found.
struct Checked {
    header: Vec<String>,
    resolved: Resolved,
    rows: usize,
}

/// A chunk of records from the reader thread.
type Chunk = Vec<(u64, Vec<String>)>;

/// Starts the reader thread of pass 2: records in chunks, through a channel two chunks deep.
fn read_chunks(
    source: Source,
    encoding: CsvEncoding,
    mapping: &Mapping,
) -> tokio::sync::mpsc::Receiver<Result<Chunk, Refusal>> {
    let (sender, receiver) = tokio::sync::mpsc::channel(2);
    let (header_row, data_row) = (mapping.header_row, mapping.data_row);
    tokio::task::spawn_blocking(move || {
        let mut sheet = match Sheet::open(&source, encoding, header_row, data_row) {
            Ok(sheet) => sheet,
            Err(refusal) => {
                let _ = sender.blocking_send(Err(refusal));
                return;
            }
        };
        loop {
            let mut chunk = Vec::with_capacity(CHUNK_ROWS);
            let mut failed = None;
            while chunk.len() < CHUNK_ROWS {
                match sheet.next_record() {
                    Ok(Some((line, record))) => {
                        chunk.push((line, record.iter().map(String::from).collect()));
                    }
                    Ok(None) => break,
                    Err(refusal) => {
                        failed = Some(refusal);
                        break;
                    }
                }
            }
            let last = chunk.len() < CHUNK_ROWS;
            if !chunk.is_empty() && sender.blocking_send(Ok(chunk)).is_err() {
                return;
            }
            if let Some(refusal) = failed {
                let _ = sender.blocking_send(Err(refusal));
                return;
            }
            if last {
                return;
            }
        }
    });
    receiver
}

/// Pass 2 for one kind: every row keyed, parsed and applied.
async fn apply_rows<K: Importer>(
    conn: &mut AnyConnection,
    ctx: &mut Ctx<'_>,
    (kind, resolved, rows): (Kind, &Resolved, usize),
    mut chunks: tokio::sync::mpsc::Receiver<Result<Chunk, Refusal>>,
) -> Result<(), ImportError> {
    let key_field = kind.fields()[resolved.key].name;
    let mut seen = SeenKeys::with_capacity(rows);
    while let Some(chunk) = chunks.recv().await {
        let chunk = chunk.map_err(|refusal| ImportError::Refused { refusal, id: None })?;
        let kept = ctx.outcome.invalid.len();
        let mut items = Vec::with_capacity(chunk.len());
        for (line, cells) in chunk {
            ctx.outcome.rows += 1;
            match prepare::<K>(ctx, (kind, resolved, key_field), &mut seen, line, &cells) {
                Ok((target, patch)) => items.push(Item {
                    line,
                    cells,
                    target,
                    patch,
                }),
                Err(RowError(reason)) => ctx.outcome.invalid(line, cells, reason),
            }
        }
        K::apply(conn, ctx, items).await?;
        ctx.outcome.end_chunk(kept);
    }
    K::finish(conn, ctx).await?;
    Ok(())
}

/// One row up to its patch: its width, its key (unique in the file, finding at most one
/// record, inside the actor's scope), its cells.
fn prepare<K: Importer>(
    ctx: &Ctx<'_>,
    (kind, resolved, key_field): (Kind, &Resolved, &str),
    seen: &mut SeenKeys,
    line: u64,
    cells: &[String],
) -> Result<(Option<i64>, K::Patch), RowError> {
    if cells.len() != resolved.width {
        return Err(RowError(format!(
            "the row has {} columns; the header has {}",
            cells.len(),
            resolved.width
        )));
    }
    let row_cells: Vec<Option<&str>> = resolved
        .columns
        .iter()
        .map(|column| column.map(|index| crate::core::csv::unguard(&cells[index])))
        .collect();
    let custom = resolved
        .custom
        .iter()
        .map(|(id, index)| (*id, crate::core::csv::unguard(&cells[*index])))
        .collect();
    let row = Row::new(kind, row_cells, custom);
    let target = match row.cell(key_field) {
        kinds::Cell::Value(value) => {
            let key = K::key(key_field, value);
            if let Some(first) = seen.first_line(&key, line) {
                return Err(RowError(format!(
                    "duplicate key {key:?}, first on line {first}"
                )));
            }
            match ctx.refs.keys.get(&key) {
                None => None,
                Some(found) if found.count > 1 => {
                    return Err(RowError(format!(
                        "{key_field}: {} records have {key:?}; use a key that finds one",
                        found.count
                    )))
                }
                Some(found) if K::SCOPED && !ctx.actor.scope.covers(found.department_id) => {
                    return Err(RowError(format!(
                        "{key_field}: {key:?} belongs to a record outside your departments"
                    )))
                }
                Some(found) => Some(found.id),
            }
        }
        kinds::Cell::Keep | kinds::Cell::Clear => None,
    };
    let patch = K::parse(&row, ctx.refs)?;
    Ok((target, patch))
}

/// Runs pass 2 of `kind`.
async fn apply_kind(
    conn: &mut AnyConnection,
    ctx: &mut Ctx<'_>,
    at: (Kind, &Resolved, usize),
    chunks: tokio::sync::mpsc::Receiver<Result<Chunk, Refusal>>,
) -> Result<(), ImportError> {
    let kind = at.0;
    match kind {
        Kind::Assets => apply_rows::<kinds::assets::Assets>(conn, ctx, at, chunks).await,
        Kind::Licences => apply_rows::<kinds::licences::Licences>(conn, ctx, at, chunks).await,
        Kind::ManagedSoftware => apply_rows::<kinds::managed::Managed>(conn, ctx, at, chunks).await,
        Kind::Contracts => apply_rows::<kinds::contracts::Contracts>(conn, ctx, at, chunks).await,
        Kind::Vendors => apply_rows::<kinds::vendors::Vendors>(conn, ctx, at, chunks).await,
    }
}

/// The first custom field the mapping reads that `kind` does not have, as a refusal: such
/// a template cannot fill what it names, so the file is refused before it is read.
async fn unknown_custom_field(
    db: &Db,
    kind: Kind,
    mapping: &Mapping,
) -> Result<Option<Refusal>, AppError> {
    let wanted = mapping.custom_ids();
    if wanted.is_empty() {
        return Ok(None);
    }
    let fields = match kind.custom_target() {
        Some(target) => {
            let mut conn = db.read().acquire().await.map_err(DbError::from)?;
            crate::assets::fields::store::list(&mut conn, target).await?
        }
        None => Vec::new(),
    };
    Ok(wanted
        .into_iter()
        .find(|(_, id)| !fields.iter().any(|f| f.id == *id))
        .map(|(_, id)| Refusal::UnknownCustomField {
            kind: kind.as_str(),
            field: kinds::custom_name(id),
        }))
}

/// Who may import `kind`: the assets division; managed software, shared by every
/// department, only an account with every department (as its editor requires).
///
/// # Errors
/// 403.
pub fn authorize(actor: &Actor, kind: Kind) -> Result<(), AppError> {
    actor.require_division(Division::Assets)?;
    if kind == Kind::ManagedSoftware && actor.scope != Scope::All {
        return Err(AppError::Forbidden {
            code: "all_departments_required",
            message: "managed software is shared by every department; an account with all departments imports it".into(),
        });
    }
    Ok(())
}

/// Everything pass 2 needs, owned (SQLite runs it on the writer thread).
struct Job {
    db: Db,
    actor: Actor,
    origin: Origin,
    source: Source,
    kind: Kind,
    mapping: Mapping,
    resolved: Resolved,
    /// Data rows pass 1 counted.
    rows: usize,
    encoding: CsvEncoding,
    write: bool,
}

/// Pass 2 on `conn`: the snapshot, then the rows.
async fn pass_two(conn: &mut AnyConnection, job: &Job) -> Result<Outcome, ImportError> {
    // Only assets have keys other than their number, so only their rows can take a number
    // another asset has.
    let maps_number = job.kind == Kind::Assets
        && job
            .kind
            .field("asset_number")
            .and_then(|field| job.resolved.columns[field])
            .is_some();
    let refs = Refs::load(conn, job.kind, &job.mapping.key, maps_number).await?;
    let mut ctx = Ctx {
        actor: &job.actor,
        origin: &job.origin,
        refs: &refs,
        write: job.write,
        now: now_ms(),
        backend: job.db.backend(),
        claimed: SeenKeys::default(),
        outcome: Outcome::default(),
        rules_changed: false,
    };
    let chunks = read_chunks(job.source.clone(), job.encoding, &job.mapping);
    apply_kind(conn, &mut ctx, (job.kind, &job.resolved, job.rows), chunks).await?;
    Ok(ctx.outcome)
}

/// Imports a file: checks it whole, then applies its valid rows in one transaction (or, with
/// `check`, only judges them), recording the import in the history with its invalid rows
/// and, unless checking, one audit entry. A refused file changes nothing but its history
/// entry (and audit entry).
///
/// # Errors
/// [`ImportError::Refused`] for a file-level error; 403 (assets division; managed software
/// needs every department); storage errors.
pub async fn run(
    db: &Db,
    actor: &Actor,
    origin: &Origin,
    source: Source,
    request: Request,
) -> Result<ImportResult, ImportError> {
    authorize(actor, request.kind)?;
    let started_at = now_ms();
    let mut entry = history::Entry {
        kind: request.kind,
        template: request.template.clone(),
        file_name: request.file_name.clone(),
        encoding: request.encoding.unwrap_or(CsvEncoding::Utf8).name(),
        started_at,
        finished_at: started_at,
        check: request.check,
        header: Vec::new(),
    };
    let refuse = |entry: history::Entry, refusal: Refusal| async move {
        let id = history::refused(db, actor, origin, &entry, &refusal).await?;
        Err::<ImportResult, ImportError>(ImportError::Refused {
            refusal,
            id: Some(id),
        })
    };
    let template = {
        let mut conn = db.read().acquire().await.map_err(DbError::from)?;
        store::find_template(&mut conn, request.kind, request.template.trim()).await?
    };
    let Some(template) = template else {
        let refusal = Refusal::UnknownTemplate {
            kind: request.kind.as_str(),
            name: request.template.clone(),
        };
        return refuse(entry, refusal).await;
    };
    if let Some(refusal) = unknown_custom_field(db, request.kind, &template.mapping).await? {
        return refuse(entry, refusal).await;
    }
    let encoding = request
        .encoding
        .unwrap_or_else(|| template.mapping.default_encoding());
    entry.encoding = encoding.name();
    entry.template = template.name.clone();
    let size = source
        .size()
        .map_err(|error| AppError::Internal(format!("cannot read the import file: {error}")))?;
    if size > MAX_FILE_BYTES {
        let refusal = Refusal::TooLarge {
            limit: MAX_FILE_BYTES,
        };
        return refuse(entry, refusal).await;
    }
    let checked = {
        let (source, mapping, kind) = (source.clone(), template.mapping.clone(), request.kind);
        tokio::task::spawn_blocking(move || check_file(&source, kind, &mapping, encoding))
            .await
            .map_err(|error| AppError::Internal(format!("the import check stopped: {error}")))?
    };
    let checked = match checked {
        Ok(checked) => checked,
        Err(refusal) => return refuse(entry, refusal).await,
    };
    entry.header = checked.header;
    let job = Job {
        db: db.clone(),
        actor: actor.clone(),
        origin: origin.clone(),
        source,
        kind: request.kind,
        mapping: template.mapping,
        resolved: checked.resolved,
        rows: checked.rows,
        encoding,
        write: !request.check,
    };
    let (id, outcome) = if request.check {
        let mut conn = db.read().acquire().await.map_err(DbError::from)?;
        let outcome = pass_two(&mut conn, &job).await?;
        drop(conn);
        entry.finished_at = now_ms();
        let mut tx = db.write().begin().await.map_err(DbError::from)?;
        let id = history::insert(&mut tx, db.backend(), &job.actor, &entry, &outcome).await?;
        tx.commit().await.map_err(DbError::from)?;
        (id, outcome)
    } else {
        let entry = entry.clone();
        db.on_writer(async move {
            let mut tx = job.db.write().begin().await.map_err(DbError::from)?;
            let outcome = pass_two(&mut tx, &job).await?;
            let mut entry = entry;
            entry.finished_at = now_ms();
            let id =
                history::insert(&mut tx, job.db.backend(), &job.actor, &entry, &outcome).await?;
            history::audit(&mut tx, &job.actor, &job.origin, id, &entry, &outcome).await?;
            tx.commit().await.map_err(DbError::from)?;
            Ok::<_, ImportError>((id, outcome))
        })
        .await?
    };
    let finished_at = now_ms();
    Ok(ImportResult {
        id,
        kind: request.kind,
        template: entry.template,
        file_name: entry.file_name,
        encoding: entry.encoding,
        status: if request.check { "checked" } else { "applied" },
        rows: outcome.rows,
        added: outcome.added,
        updated: outcome.updated,
        unchanged: outcome.unchanged,
        failed: outcome.failed,
        header: entry.header,
        invalid_rows: outcome.invalid,
        started_at,
        finished_at,
        deleted_devices: outcome.deleted_devices,
    })
}
