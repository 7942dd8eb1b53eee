//! Rules of the hierarchies (departments and locations): names in both languages, no cycles,
//! who may change them, retiring entries the old organisation still uses and pruning them,
//! the field-definition CSV, and the audit entries of each change. Departments also scope
//! what accounts see.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::audit::model::{Category, Component, NewAuditEntry, Object, Op, Origin, Outcome};
use crate::core::auth::{Actor, Scope};
use crate::core::csv::CsvEncoding;
use crate::core::db::{Db, DbError};
use crate::core::error::AppError;
use crate::core::time::now_ms;
use crate::departments::fields_csv::{self, Plan, RowError, Step, Target};
use crate::departments::store::{self, Department, Fields, Tree, Usage};

/// Longest department name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 500;

/// What separates the levels of a path in the field-definition CSV (`営業部/営業1課`), and so
/// what no name may contain.
pub const PATH_SEPARATOR: char = '/';

/// A department or location name trimmed and checked: not empty, one line, no `/` (the CSV's
/// level separator, so every path reads back to one entry).
///
/// # Errors
/// 400 naming `name`.
pub fn clean_name(tree: Tree, name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid(
            "name",
            format!("a {} needs a name", tree.noun()),
        ));
    }
    check_name("name", name)?;
    Ok(name.to_string())
}

/// An English name trimmed and checked like [`clean_name`]; empty is allowed (the Japanese
/// name is shown).
///
/// # Errors
/// 400 naming `name_en`.
pub fn clean_english_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    check_name("name_en", name)?;
    Ok(name.to_string())
}

fn check_name(field: &'static str, name: &str) -> Result<(), AppError> {
    crate::core::extract::check_plain_text(field, name, MAX_NAME_CHARS)?;
    if name.contains(PATH_SEPARATOR) {
        return Err(AppError::Invalid {
            code: "name_has_separator",
            message: format!("{field} cannot contain \"{PATH_SEPARATOR}\", which separates levels"),
            field: Some(field.into()),
        });
    }
    Ok(())
}

/// A description trimmed and checked: one line of at most [`MAX_DESCRIPTION_CHARS`].
///
/// # Errors
/// 400 naming `field`.
pub fn clean_description(field: &'static str, text: &str) -> Result<String, AppError> {
    let text = text.trim();
    crate::core::extract::check_plain_text(field, text, MAX_DESCRIPTION_CHARS)?;
    Ok(text.to_string())
}

/// The entries the actor sees: every location; every department, or those in its scope.
///
/// # Errors
/// Storage errors.
pub async fn list(db: &Db, actor: &Actor, tree: Tree) -> Result<Vec<Department>, AppError> {
    let all = store::list(db, tree).await?;
    Ok(all
        .into_iter()
        .filter(|department| match (&actor.scope, tree) {
            (Scope::All, _) | (_, Tree::Locations) => true,
            (Scope::Departments(ids), Tree::Departments) => ids.contains(&department.id),
        })
        .collect())
}

fn object(tree: Tree) -> Object {
    match tree {
        Tree::Departments => Object::Department,
        Tree::Locations => Object::Location,
    }
}

fn audit(
    actor: &Actor,
    origin: &Origin,
    tree: Tree,
    op: Op,
    object_id: String,
    detail: serde_json::Value,
) -> NewAuditEntry {
    let action = (Category::ConfigurationAccess, op, object(tree));
    NewAuditEntry::by_actor(actor, origin, action, object_id, detail)
}

fn name_taken(tree: Tree) -> AppError {
    AppError::Invalid {
        code: "name_taken",
        message: format!(
            "a {} with this name exists under the same parent",
            tree.noun()
        ),
        field: Some("name".into()),
    }
}

fn english_name_taken(tree: Tree) -> AppError {
    AppError::Invalid {
        code: "name_en_taken",
        message: format!(
            "a {} with this English name exists under the same parent",
            tree.noun()
        ),
        field: Some("name_en".into()),
    }
}

/// A new entry as typed: where it goes and what it is called.
#[derive(Debug, Clone, Copy, Default)]
pub struct NewEntry<'a> {
    /// Parent; none for the top level.
    pub parent_id: Option<i64>,
    /// Japanese name.
    pub name: &'a str,
    /// English name, or empty.
    pub name_en: &'a str,
    /// Japanese description.
    pub description: &'a str,
    /// English description, or empty.
    pub description_en: &'a str,
    /// Created already out of the definition (rare; for completeness of the API).
    pub retired: bool,
}

fn clean_fields(tree: Tree, entry: &NewEntry<'_>) -> Result<Fields, AppError> {
    Ok(Fields {
        name: clean_name(tree, entry.name)?,
        name_en: clean_english_name(entry.name_en)?,
        description: clean_description("description", entry.description)?,
        description_en: clean_description("description_en", entry.description_en)?,
        retired: entry.retired,
    })
}

/// Checks that `parent` exists and is not `id` or below it, and that the names are free
/// among the new siblings in both languages.
async fn check_place(
    conn: &mut sqlx::AnyConnection,
    tree: Tree,
    id: Option<i64>,
    parent: Option<i64>,
    fields: &Fields,
) -> Result<(), AppError> {
    if let Some(parent) = parent {
        if !store::exists(conn, tree, parent).await? {
            return Err(AppError::invalid(
                "parent_id",
                format!("no such {}", tree.noun()),
            ));
        }
        if let Some(id) = id {
            if store::subtree(conn, tree, id).await?.contains(&parent) {
                return Err(AppError::invalid(
                    "parent_id",
                    format!(
                        "a {} cannot move under itself or what is below it",
                        tree.noun()
                    ),
                ));
            }
        }
    }
    if store::name_taken(conn, tree, parent, &fields.name, id).await? {
        return Err(name_taken(tree));
    }
    let english = if fields.name_en.is_empty() {
        &fields.name
    } else {
        &fields.name_en
    };
    if store::english_name_taken(conn, tree, parent, english, id).await? {
        return Err(english_name_taken(tree));
    }
    Ok(())
}

/// Creates a department (system administrators).
///
/// # Errors
/// 403, 400 for a bad name, a name taken in either language or an unknown parent.
pub async fn create(
    db: &Db,
    actor: &Actor,
    tree: Tree,
    entry: &NewEntry<'_>,
    origin: &Origin,
) -> Result<Department, AppError> {
    actor.require_system_admin()?;
    let fields = clean_fields(tree, entry)?;
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    check_place(&mut tx, tree, None, entry.parent_id, &fields).await?;
    let now = now_ms();
    let id = store::insert(&mut tx, tree, entry.parent_id, &fields, now).await?;
    let detail = serde_json::json!({"name": fields.name});
    let entry = audit(actor, origin, tree, Op::Add, id.to_string(), detail);
    crate::audit::store::insert(&mut tx, &entry, now).await?;
    let created = store::get(&mut tx, tree, id).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(created)
}

/// A change to an entry: each field absent stays as it is; `version` is the one the editor
/// read.
#[derive(Debug, Clone, Default)]
pub struct Edit {
    /// New parent (`Some(None)`: the top level).
    pub parent_id: Option<Option<i64>>,
    /// New Japanese name.
    pub name: Option<String>,
    /// New English name (empty: none).
    pub name_en: Option<String>,
    /// New Japanese description.
    pub description: Option<String>,
    /// New English description.
    pub description_en: Option<String>,
    /// Taken out of (true) or back into (false) the definition.
    pub retired: Option<bool>,
    /// The version last read.
    pub version: i64,
}

fn edited(tree: Tree, current: &Department, edit: &Edit) -> Result<Fields, AppError> {
    Ok(Fields {
        name: match &edit.name {
            Some(name) => clean_name(tree, name)?,
            None => current.name.clone(),
        },
        name_en: match &edit.name_en {
            Some(name) => clean_english_name(name)?,
            None => current.name_en.clone(),
        },
        description: match &edit.description {
            Some(text) => clean_description("description", text)?,
            None => current.description.clone(),
        },
        description_en: match &edit.description_en {
            Some(text) => clean_description("description_en", text)?,
            None => current.description_en.clone(),
        },
        retired: edit.retired.unwrap_or(current.retired),
    })
}

/// Renames, moves, describes, retires or restores a department (system administrators),
/// unless it changed since `version`; a department cannot move under itself. Records keep
/// pointing at it by id, so a rename shows on them at once.
///
/// # Errors
/// 403, 400, 404, 409.
pub async fn update(
    db: &Db,
    actor: &Actor,
    tree: Tree,
    id: i64,
    edit: &Edit,
    origin: &Origin,
) -> Result<Department, AppError> {
    actor.require_system_admin()?;
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    let current = store::get(&mut tx, tree, id)
        .await
        .map_err(|e| not_found(tree, e))?;
    let fields = edited(tree, &current, edit)?;
    let parent_id = edit.parent_id.unwrap_or(current.parent_id);
    check_place(&mut tx, tree, Some(id), parent_id, &fields).await?;
    let now = now_ms();
    if !store::update(&mut tx, tree, id, parent_id, &fields, edit.version, now).await? {
        return Err(AppError::Conflict(format!(
            "the {} was changed by someone else (now at version {}); reload and try again",
            tree.noun(),
            current.version
        )));
    }
    let mut detail = serde_json::json!({"name": fields.name});
    if fields.retired != current.retired {
        detail["retired"] = fields.retired.into();
    }
    let entry = audit(actor, origin, tree, Op::Update, id.to_string(), detail);
    crate::audit::store::insert(&mut tx, &entry, now).await?;
    let updated = store::get(&mut tx, tree, id).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(updated)
}

/// Deletes a department without sub-departments (system administrators); the device records
/// and hardware assets in it show "Unknown" (不明) from then on.
///
/// # Errors
/// 403, 404, 409 while it has sub-departments.
pub async fn delete(
    db: &Db,
    actor: &Actor,
    tree: Tree,
    id: i64,
    origin: &Origin,
) -> Result<(), AppError> {
    actor.require_system_admin()?;
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    let current = store::get(&mut tx, tree, id)
        .await
        .map_err(|e| not_found(tree, e))?;
    if !store::delete(&mut tx, tree, id).await? {
        return Err(AppError::Conflict(format!(
            "the {} has entries below it; delete or move them first",
            tree.noun()
        )));
    }
    let detail = serde_json::json!({"name": current.name});
    let entry = audit(actor, origin, tree, Op::Delete, id.to_string(), detail);
    crate::audit::store::insert(&mut tx, &entry, now_ms()).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

fn not_found(tree: Tree, error: DbError) -> AppError {
    match error {
        DbError::NotFound => AppError::NotFound(tree.noun()),
        other => other.into(),
    }
}

/// One retired entry as "delete hierarchies used only by the old organisation" treats it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PrunedEntry {
    /// Id.
    pub id: i64,
    /// Japanese path, levels joined by `/`.
    pub path: String,
    /// Device records and hardware assets that show "Unknown" once it is deleted.
    pub records: i64,
    /// Accounts whose department scope started there (departments only).
    pub scopes: i64,
}

/// What pruning retired entries does (or did): the entries deleted, deepest first, and the
/// retired entries kept because entries still in the definition sit below them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PruneOutcome {
    /// Deleted (or to delete), deepest first.
    pub deleted: Vec<PrunedEntry>,
    /// Retired but kept: something below them is still in the definition.
    pub kept: Vec<PrunedEntry>,
}

/// Which retired entries can go: a retired entry is deleted when everything below it is
/// retired too (and so goes with it); one with an entry still in the definition below it is
/// kept. Returns `(deleted deepest first, kept)`.
pub fn plan_prune(entries: &[Department]) -> (Vec<i64>, Vec<i64>) {
    let by_id: HashMap<i64, &Department> = entries.iter().map(|e| (e.id, e)).collect();
    let depth = |entry: &Department| {
        let mut depth = 0usize;
        let mut parent = entry.parent_id;
        // The hierarchy has no cycles (the service refuses them); the bound is a guard.
        while let Some(id) = parent.filter(|_| depth < 64) {
            depth += 1;
            parent = by_id.get(&id).and_then(|up| up.parent_id);
        }
        depth
    };
    // An entry still in the definition keeps every ancestor.
    let mut needed: HashSet<i64> = HashSet::new();
    for entry in entries.iter().filter(|e| !e.retired) {
        let mut parent = entry.parent_id;
        while let Some(id) = parent {
            if !needed.insert(id) {
                break;
            }
            parent = by_id.get(&id).and_then(|up| up.parent_id);
        }
    }
    let mut retired: Vec<&Department> = entries.iter().filter(|e| e.retired).collect();
    retired.sort_by_key(|e| (std::cmp::Reverse(depth(e)), e.id));
    let (kept, deleted): (Vec<&Department>, Vec<&Department>) =
        retired.into_iter().partition(|e| needed.contains(&e.id));
    (
        deleted.iter().map(|e| e.id).collect(),
        kept.iter().map(|e| e.id).collect(),
    )
}

fn pruned(ids: &[i64], paths: &HashMap<i64, String>, usage: &Usage) -> Vec<PrunedEntry> {
    ids.iter()
        .map(|id| PrunedEntry {
            id: *id,
            path: paths.get(id).cloned().unwrap_or_default(),
            records: usage.of(*id).records,
            scopes: usage.of(*id).scopes,
        })
        .collect()
}

async fn prune_plan(conn: &mut sqlx::AnyConnection, tree: Tree) -> Result<PruneOutcome, AppError> {
    let entries = store::list_in(conn, tree).await?;
    let usage = store::usage(conn, tree).await?;
    let paths = fields_csv::japanese_paths(&entries);
    let (deleted, kept) = plan_prune(&entries);
    Ok(PruneOutcome {
        deleted: pruned(&deleted, &paths, &usage),
        kept: pruned(&kept, &paths, &usage),
    })
}

/// What "delete hierarchies used only by the old organisation" would do now, changing
/// nothing: for the console's confirmation step.
///
/// # Errors
/// 403, storage errors.
pub async fn prune_preview(db: &Db, actor: &Actor, tree: Tree) -> Result<PruneOutcome, AppError> {
    actor.require_system_admin()?;
    let mut conn = db.read().acquire().await.map_err(DbError::from)?;
    prune_plan(&mut conn, tree).await
}

/// "Delete hierarchies used only by the old organisation" (旧体制で使われていた階層だけを削除,
/// system administrators): deletes every retired entry, deepest first; the records that
/// still named one show "Unknown" (不明), and accounts lose the scope that started there. A
/// retired entry with an entry still in the definition below it is kept and reported. One
/// audit entry lists what was deleted (none when nothing was).
///
/// # Errors
/// 403, storage errors.
pub async fn prune_retired(
    db: &Db,
    actor: &Actor,
    tree: Tree,
    origin: &Origin,
) -> Result<PruneOutcome, AppError> {
    actor.require_system_admin()?;
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    let outcome = prune_plan(&mut tx, tree).await?;
    for entry in &outcome.deleted {
        if !store::delete(&mut tx, tree, entry.id).await? {
            // Something was added below it since the plan was read (PostgreSQL).
            return Err(AppError::Conflict(format!(
                "the {} {} has entries below it now; try again",
                tree.noun(),
                entry.path
            )));
        }
    }
    if outcome.deleted.is_empty() {
        // Nothing changed, so nothing to audit.
        return Ok(outcome);
    }
    let detail = serde_json::json!({
        "deleted": outcome.deleted.iter().map(|e| &e.path).collect::<Vec<_>>(),
        "kept": outcome.kept.iter().map(|e| &e.path).collect::<Vec<_>>(),
        "records_unknown": outcome.deleted.iter().map(|e| e.records).sum::<i64>(),
    });
    let entry = audit(actor, origin, tree, Op::Delete, "retired".into(), detail);
    crate::audit::store::insert(&mut tx, &entry, now_ms()).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(outcome)
}

/// Who runs a command-line export or import: the operating-system account, since the
/// command works on the database directly, without a Kanri account or session.
#[derive(Debug, Clone)]
pub struct CommandUser {
    /// The operating-system login, for the audit log.
    pub login: String,
}

impl CommandUser {
    fn audit(&self, op: Op, result: Outcome, detail: serde_json::Value) -> NewAuditEntry {
        NewAuditEntry {
            category: Category::ContentAccess,
            op,
            object: Object::Department,
            object_id: "fields".into(),
            result,
            user_id: None,
            login: self.login.clone(),
            ip: String::new(),
            component: Component::Utility,
            detail,
        }
    }
}

/// Both hierarchies' definitions as the field-definition CSV (UTF-8 text; the caller
/// encodes it), audited as an export.
///
/// # Errors
/// 400 when an entry's name holds a `/` (saved before names were checked for it), storage
/// errors.
pub async fn export_fields(db: &Db, user: &CommandUser) -> Result<String, AppError> {
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    let departments = store::list_in(&mut tx, Tree::Departments).await?;
    let locations = store::list_in(&mut tx, Tree::Locations).await?;
    let (text, rows) = fields_csv::export(&departments, &locations)?;
    let entry = user.audit(
        Op::Export,
        Outcome::Success,
        serde_json::json!({"rows": rows}),
    );
    crate::audit::store::insert(&mut tx, &entry, now_ms()).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(text)
}

/// How an import went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Entries created.
    pub added: usize,
    /// Retired entries an `A` row put back into the definition.
    pub restored: usize,
    /// Entries renamed, moved or described.
    pub updated: usize,
    /// Entries deleted.
    pub deleted: usize,
    /// Entries a `D` row took out of the definition but kept, because records (or account
    /// scopes) still use them or retired entries sit below them.
    pub retired: usize,
}

/// Why an import changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file was refused: its errors (at most [`fields_csv::MAX_ERRORS`]) and the error
    /// log to write beside it.
    #[error("the file has {} error(s); see the log", .errors.len())]
    Refused {
        /// The errors, by line.
        errors: Vec<RowError>,
        /// The log: every line of the file, failed ones prefixed with their message id.
        log: String,
    },
    /// The database failed.
    #[error(transparent)]
    App(#[from] AppError),
}

impl From<DbError> for ImportError {
    fn from(error: DbError) -> ImportError {
        ImportError::App(error.into())
    }
}

/// Imports a field-definition CSV: reads and checks every row, plans them against both
/// hierarchies (`A` rows shallow to deep, `U` rows in file order, `D` rows deep to shallow)
/// and applies the plan in one transaction, or with `check` only reports what it would do.
/// Any error changes nothing. A `D` row of an entry that records still use retires it
/// instead of deleting it, so no record's value is lost silently. Audited as an import
/// (a refused one too, `check` runs not).
///
/// # Errors
/// [`ImportError::Refused`] with the errors and the log; storage errors.
pub async fn import_fields(
    db: &Db,
    user: &CommandUser,
    bytes: &[u8],
    encoding: CsvEncoding,
    check: bool,
) -> Result<ImportSummary, ImportError> {
    let read = fields_csv::read(bytes, encoding);
    let mut tx = db.write().begin().await.map_err(DbError::from)?;
    let mut trees = fields_csv::Trees::default();
    for tree in [Tree::Departments, Tree::Locations] {
        let entries = store::list_in(&mut tx, tree).await?;
        let usage = store::usage(&mut tx, tree).await?;
        trees.insert(tree, entries, &usage);
    }
    let mut errors = read.errors.clone();
    let plan = fields_csv::plan(&read.rows, &mut trees, &mut errors);
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.line);
        errors.truncate(fields_csv::MAX_ERRORS);
        tx.rollback().await.map_err(DbError::from)?;
        if !check {
            let detail = serde_json::json!({"errors": errors.len()});
            let entry = user.audit(Op::Import, Outcome::Failure, detail);
            let mut conn = db.write().acquire().await.map_err(DbError::from)?;
            crate::audit::store::insert(&mut conn, &entry, now_ms()).await?;
        }
        let log = fields_csv::error_log(&read.lines, &errors);
        return Err(ImportError::Refused { errors, log });
    }
    let summary = plan.summary;
    if check {
        return Ok(summary);
    }
    apply(&mut tx, &plan, &trees).await?;
    let entry = user.audit(
        Op::Import,
        Outcome::Success,
        serde_json::to_value(summary).unwrap_or_default(),
    );
    crate::audit::store::insert(&mut tx, &entry, now_ms()).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(summary)
}

/// Runs a plan's steps in order on the transaction.
async fn apply(
    conn: &mut sqlx::AnyConnection,
    plan: &Plan,
    trees: &fields_csv::Trees,
) -> Result<(), AppError> {
    let now = now_ms();
    let mut created: HashMap<usize, i64> = HashMap::new();
    let mut versions: HashMap<(Tree, i64), i64> = trees.versions();
    let id_of = |target: &Target, created: &HashMap<usize, i64>| match target {
        Target::Existing(id) => Ok(*id),
        Target::New(index) => created
            .get(index)
            .copied()
            .ok_or_else(|| AppError::Internal("plan refers to an entry not created".into())),
    };
    for step in &plan.steps {
        match step {
            Step::Add {
                tree,
                new,
                parent,
                fields,
            } => {
                let parent = parent.as_ref().map(|p| id_of(p, &created)).transpose()?;
                let id = store::insert(conn, *tree, parent, fields, now).await?;
                versions.insert((*tree, id), 1);
                created.insert(*new, id);
            }
            Step::Update {
                tree,
                target,
                parent,
                fields,
            } => {
                let id = id_of(target, &created)?;
                let parent = parent.as_ref().map(|p| id_of(p, &created)).transpose()?;
                let version = versions.get(&(*tree, id)).copied().unwrap_or(1);
                if !store::update(conn, *tree, id, parent, fields, version, now).await? {
                    return Err(AppError::Conflict(format!(
                        "a {} was changed by someone else during the import; try again",
                        tree.noun()
                    )));
                }
                versions.insert((*tree, id), version + 1);
            }
            Step::Delete { tree, target } => {
                let id = id_of(target, &created)?;
                if !store::delete(conn, *tree, id).await? {
                    return Err(AppError::Conflict(format!(
                        "a {} got entries below it during the import; try again",
                        tree.noun()
                    )));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: i64, parent_id: Option<i64>, retired: bool) -> Department {
        Department {
            id,
            parent_id,
            name: format!("n{id}"),
            name_en: String::new(),
            description: String::new(),
            description_en: String::new(),
            retired,
            created_at: 0,
            updated_at: 0,
            version: 1,
        }
    }

    fn check_prune(entries: &[Department], deleted: &[i64], kept: &[i64]) {
        assert_eq!(plan_prune(entries), (deleted.to_vec(), kept.to_vec()));
    }

    #[test]
    fn retired_entries_go_deepest_first_unless_live_ones_sit_below() {
        // 1 (retired) ─ 2 (retired) ─ 3 (retired)
        // 4 (retired) ─ 5 (live)
        // 6 (live) ─ 7 (retired)
        check_prune(
            &[
                entry(1, None, true),
                entry(2, Some(1), true),
                entry(3, Some(2), true),
                entry(4, None, true),
                entry(5, Some(4), false),
                entry(6, None, false),
                entry(7, Some(6), true),
            ],
            &[3, 2, 7, 1],
            &[4],
        );
        check_prune(&[entry(1, None, false)], &[], &[]);
    }

    #[test]
    fn names_refuse_the_level_separator() {
        assert!(clean_name(Tree::Departments, "営業部/営業1課").is_err());
        assert!(clean_english_name("Sales/1").is_err());
        assert_eq!(
            clean_name(Tree::Locations, " 本館 ").ok().as_deref(),
            Some("本館")
        );
        assert_eq!(clean_english_name("").ok().as_deref(), Some(""));
        assert!(clean_name(Tree::Locations, "  ").is_err());
        assert!(clean_description("description", &"x".repeat(501)).is_err());
    }
}
