//! Rules of managed software and licences: who may change them (assets division; managed
//! software, being shared definitions, needs every department), valid values, deletion only
//! of disposed licences, assignments within the held count, transfer between devices, and the
//! reconciliation figures over the reader's departments.

use serde::Deserialize;
use sqlx::AnyConnection;

use crate::app::AppState;
use crate::assets::choices::{builtin, ChoiceKind};
use crate::assets::licences::managed_store::{self, DeviceView};
use crate::assets::licences::matching::Rule;
use crate::assets::licences::model::{
    DepartmentShare, Licence, LicensedDevice, ManagedSoftware, Reconciliation,
};
use crate::assets::licences::reconcile;
use crate::assets::licences::store::{self, LicenceFields, LicenceFilter};
use crate::assets::notes::{self, Record};
use crate::assets::values;
use crate::audit::model::{Category, NewAuditEntry, Object, Op, Origin};
use crate::core::auth::{Actor, Division, Scope};
use crate::core::db::DbError;
use crate::core::error::AppError;
use crate::core::paging::{self, Cursor, Page};
use crate::core::time::now_ms;

/// Longest name or number, in characters.
const MAX_TEXT_CHARS: usize = 255;
/// Most rules of one managed software.
const MAX_RULES: usize = 200;

/// A managed software with its figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ManagedWithFigures {
    /// The definition.
    #[serde(flatten)]
    pub managed: ManagedSoftware,
    /// Its reconciliation over the reader's departments.
    pub figures: Reconciliation,
}

/// Every managed software with its figures, and how many devices still wait to be counted.
///
/// # Errors
/// 403 without the assets division.
pub async fn list_managed(
    state: &AppState,
    actor: &Actor,
    exceeded_only: bool,
) -> Result<(Vec<ManagedWithFigures>, i64), AppError> {
    actor.require_division(Division::Assets)?;
    let mut conn = state.db.read().acquire().await.map_err(DbError::from)?;
    let all = managed_store::list(&mut conn).await?;
    drop(conn);
    let scope = values::scope_of(actor);
    let counts = managed_store::counts(&state.db, scope.as_deref(), None).await?;
    let items = all
        .into_iter()
        .map(|managed| {
            let (owned, consumed, assigned) = counts.get(&managed.id).copied().unwrap_or_default();
            let figures = Reconciliation::from_counts(
                managed.id,
                managed.name.clone(),
                owned,
                consumed,
                assigned,
            );
            ManagedWithFigures { managed, figures }
        })
        .filter(|m| !exceeded_only || m.figures.exceeded())
        .collect();
    Ok((items, reconcile::pending_count(&state.db).await?))
}

/// One managed software with its figures and their split by department.
///
/// # Errors
/// 403, 404.
pub async fn get_managed(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> Result<(ManagedWithFigures, Vec<DepartmentShare>), AppError> {
    actor.require_division(Division::Assets)?;
    let mut conn = state.db.read().acquire().await.map_err(DbError::from)?;
    let managed = managed_store::get(&mut conn, id)
        .await
        .map_err(values::not_found("managed software"))?;
    drop(conn);
    let scope = values::scope_of(actor);
    let counts = managed_store::counts(&state.db, scope.as_deref(), Some(&[id])).await?;
    let (owned, consumed, assigned) = counts.get(&id).copied().unwrap_or_default();
    let figures = Reconciliation::from_counts(id, managed.name.clone(), owned, consumed, assigned);
    let shares = managed_store::department_shares(&state.db, id, scope.as_deref()).await?;
    Ok((ManagedWithFigures { managed, figures }, shares))
}

/// A page of a managed software's installed or assigned devices (in the reader's scope).
///
/// # Errors
/// 403, 404, 400 for a bad cursor.
pub async fn managed_devices(
    state: &AppState,
    actor: &Actor,
    id: i64,
    view: DeviceView,
    (cursor, limit): (Option<&str>, Option<u32>),
) -> Result<Page<LicensedDevice>, AppError> {
    actor.require_division(Division::Assets)?;
    let limit = paging::limit(limit)?;
    let after = cursor.map(Cursor::decode).transpose()?.map_or(0, |c| c.id);
    let mut conn = state.db.read().acquire().await.map_err(DbError::from)?;
    managed_store::get(&mut conn, id)
        .await
        .map_err(values::not_found("managed software"))?;
    drop(conn);
    let scope = values::scope_of(actor);
    let mut items =
        managed_store::devices(&state.db, id, view, scope.as_deref(), (after, limit + 1)).await?;
    let next = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|d| {
            Cursor {
                value: paging::SortValue::Int(d.id),
                id: d.id,
            }
            .encode()
        })
    } else {
        None
    };
    Ok(Page {
        items,
        next_cursor: next,
    })
}

/// A managed software as typed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManagedInput {
    /// Name.
    pub name: Option<String>,
    /// English name.
    pub name_en: Option<String>,
    /// Rules (replace the current ones).
    pub rules: Option<Vec<Rule>>,
    /// Version last read (update).
    pub version: Option<i64>,
}

/// Checks a managed software's rules: at most 200, each with a name of plain text.
///
/// # Errors
/// 400 naming the rule.
pub fn check_rules(rules: &[Rule]) -> Result<(), AppError> {
    if rules.len() > MAX_RULES {
        return Err(AppError::invalid(
            "rules",
            format!("at most {MAX_RULES} rules"),
        ));
    }
    for (n, rule) in rules.iter().enumerate() {
        let field = format!("rules[{n}].name");
        if rule.name.trim().is_empty() {
            return Err(AppError::invalid(field, "a rule needs a name or pattern"));
        }
        crate::core::extract::check_plain_text(&field, &rule.name, MAX_TEXT_CHARS)?;
        crate::core::extract::check_plain_text(
            &format!("rules[{n}].version"),
            &rule.version,
            MAX_TEXT_CHARS,
        )?;
    }
    Ok(())
}

/// Creates or changes a managed software; a rule change recomputes its members and queues
/// every device for reconciliation.
///
/// # Errors
/// 403 without the assets division or every department; 400; 404; 409.
pub async fn save_managed(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    id: Option<i64>,
    input: ManagedInput,
) -> Result<ManagedSoftware, AppError> {
    actor.require_division(Division::Assets)?;
    if actor.scope != Scope::All {
        return Err(AppError::Forbidden {
            code: "all_departments_required",
            message: "managed software is shared by every department; an account with all departments defines it".into(),
        });
    }
    let name = values::plain("name", input.name, MAX_TEXT_CHARS)?;
    let name_en = values::plain("name_en", input.name_en, MAX_TEXT_CHARS)?;
    if let Some(rules) = &input.rules {
        check_rules(rules)?;
    }
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    let now = now_ms();
    let current = match id {
        Some(id) => Some(
            managed_store::get(&mut tx, id)
                .await
                .map_err(values::not_found("managed software"))?,
        ),
        None => None,
    };
    let name = name
        .or_else(|| current.as_ref().map(|c| c.name.clone()))
        .unwrap_or_default();
    let name_en = name_en
        .or_else(|| current.as_ref().map(|c| c.name_en.clone()))
        .unwrap_or_default();
    if name.is_empty() {
        return Err(AppError::invalid("name", "a managed software needs a name"));
    }
    if managed_store::name_taken(&mut tx, &name, id).await?
        || (!name_en.is_empty() && managed_store::name_taken(&mut tx, &name_en, id).await?)
    {
        return Err(AppError::Invalid {
            code: "name_taken",
            message: "another managed software has this name".into(),
            field: Some("name".into()),
        });
    }
    let created = current.is_none();
    let id = match current {
        None => managed_store::insert(&mut tx, &name, &name_en, now).await?,
        Some(current) => {
            let version = input
                .version
                .ok_or_else(|| AppError::invalid("version", "send the version you last read"))?;
            if !managed_store::rename(&mut tx, current.id, (&name, &name_en), version, now).await? {
                return Err(AppError::Conflict(format!(
                    "the managed software was changed by someone else (now at version {}); reload and try again",
                    current.version
                )));
            }
            current.id
        }
    };
    if let Some(rules) = &input.rules {
        managed_store::set_rules(&mut tx, id, rules).await?;
        reconcile::rebuild_members(&mut tx, state.db.backend(), id, rules).await?;
        reconcile::mark_all_pending(&mut tx).await?;
    }
    let op = if created { Op::Add } else { Op::Update };
    let entry = values::audit(
        actor,
        origin,
        op,
        id,
        serde_json::json!({"managed_software": name}),
    );
    crate::audit::store::insert(&mut tx, &entry, now).await?;
    let saved = managed_store::get(&mut tx, id).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(saved)
}

/// Deletes a managed software; its licences stay, without one.
///
/// # Errors
/// 403, 404.
pub async fn delete_managed(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    id: i64,
) -> Result<(), AppError> {
    actor.require_division(Division::Assets)?;
    if actor.scope != Scope::All {
        return Err(AppError::Forbidden {
            code: "all_departments_required",
            message: "managed software is shared by every department".into(),
        });
    }
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    if !managed_store::delete(&mut tx, id).await? {
        return Err(AppError::NotFound("managed software"));
    }
    let entry = values::audit(
        actor,
        origin,
        Op::Delete,
        id,
        serde_json::json!({"managed_software": id}),
    );
    crate::audit::store::insert(&mut tx, &entry, now_ms()).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// A licence the actor may see.
///
/// # Errors
/// 403, 404.
pub async fn visible_licence(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: i64,
) -> Result<Licence, AppError> {
    actor.require_division(Division::Assets)?;
    let licence = store::get(conn, id)
        .await
        .map_err(values::not_found("licence"))?;
    if actor.scope.covers(licence.department_id) {
        Ok(licence)
    } else {
        Err(AppError::NotFound("licence"))
    }
}

/// The licence list's query string.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct LicenceQuery {
    /// Status id.
    pub status: Option<String>,
    /// Type id.
    #[serde(rename = "type")]
    pub type_id: Option<String>,
    /// Managed software id or `none`.
    pub managed: Option<String>,
    /// Licence number contains.
    pub licence_number: Option<String>,
    /// Name contains.
    pub name: Option<String>,
    /// Last stocktake before this day, or never.
    pub stocktaken_before: Option<String>,
    /// `any` or `none`.
    pub planned_status: Option<String>,
    /// Department id (subtree) or `none`.
    pub department: Option<String>,
    /// Sort column.
    pub sort: Option<String>,
    /// `asc` or `desc`.
    pub order: Option<String>,
    /// Page size.
    pub limit: Option<String>,
    /// Cursor.
    pub cursor: Option<String>,
    /// Export only: encoding.
    pub encoding: Option<String>,
    /// Export only: header and value language.
    pub lang: Option<String>,
    /// `custom.<field id>` conditions on custom values (see `fields::query`); other
    /// parameters the list does not know land here too and are ignored.
    #[serde(flatten)]
    pub custom: std::collections::BTreeMap<String, String>,
}

impl LicenceQuery {
    /// The conditions without department subtrees expanded.
    ///
    /// # Errors
    /// 400 naming the field.
    pub fn check(&self) -> Result<(), AppError> {
        self.parts().map(|_| ())
    }

    fn parts(&self) -> Result<(LicenceFilter, Option<Option<i64>>), AppError> {
        use crate::core::query::given;
        let managed = match given(&self.managed) {
            None => None,
            Some("none") => Some(None),
            Some(_) => Some(values::query_id("managed", &self.managed)?),
        };
        let department = match given(&self.department) {
            None => None,
            Some("none") => Some(None),
            Some(_) => Some(values::query_id("department", &self.department)?),
        };
        let planned = match given(&self.planned_status) {
            None => None,
            Some("any") => Some(true),
            Some("none") => Some(false),
            Some(_) => {
                return Err(AppError::invalid(
                    "planned_status",
                    "planned_status must be any or none",
                ))
            }
        };
        // Their form only; `filter_of` checks them against the fields.
        crate::assets::fields::query::parse(&self.custom)?;
        let filter = LicenceFilter {
            status: values::query_id("status", &self.status)?,
            type_id: values::query_id("type", &self.type_id)?,
            managed,
            licence_number: values::plain(
                "licence_number",
                given(&self.licence_number).map(String::from),
                255,
            )?,
            name: values::plain("name", given(&self.name).map(String::from), 255)?,
            stocktaken_before: given(&self.stocktaken_before)
                .map(|v| values::day("stocktaken_before", v))
                .transpose()?,
            planned,
            ..LicenceFilter::default()
        };
        Ok((filter, department))
    }
}

/// The list's conditions with the department subtree expanded, custom conditions checked
/// against the licence fields, and the actor's scope applied (the list and its export).
///
/// # Errors
/// 400 for bad conditions; 403 without the assets division.
pub async fn filter_of(
    state: &AppState,
    actor: &Actor,
    query: &LicenceQuery,
) -> Result<LicenceFilter, AppError> {
    actor.require_division(Division::Assets)?;
    let (mut filter, department) = query.parts()?;
    filter.department = match department {
        None => None,
        Some(None) => Some(None),
        Some(Some(id)) => {
            let mut conn = state.db.read().acquire().await.map_err(DbError::from)?;
            let tree = crate::departments::store::Tree::Departments;
            Some(Some(
                crate::departments::store::subtree(&mut conn, tree, id).await?,
            ))
        }
    };
    let mut conn = state.db.read().acquire().await.map_err(DbError::from)?;
    filter.custom =
        crate::assets::fields::service::conditions(&mut conn, "licence", &query.custom).await?;
    filter.scope = values::scope_of(actor);
    Ok(filter)
}

/// The list's sort: the index of its column in [`store::SORTS`], and whether it descends.
///
/// # Errors
/// 400 for an unknown column or order.
pub fn sort_of(query: &LicenceQuery) -> Result<(usize, bool), AppError> {
    let sort = match crate::core::query::given(&query.sort) {
        None => 0,
        Some(name) => store::SORTS
            .iter()
            .position(|(n, _, _)| *n == name)
            .ok_or_else(|| AppError::invalid("sort", format!("cannot sort by {name:?}")))?,
    };
    let descending = match crate::core::query::given(&query.order) {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(AppError::invalid("order", "order must be asc or desc")),
    };
    Ok((sort, descending))
}

/// One page of the licence list.
///
/// # Errors
/// 400, 403.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    query: &LicenceQuery,
) -> Result<Page<Licence>, AppError> {
    let filter = filter_of(state, actor, query).await?;
    let (sort, descending) = sort_of(query)?;
    let limit = crate::core::query::given(&query.limit)
        .map(|l| {
            l.parse()
                .map_err(|_| AppError::invalid("limit", "limit must be a number"))
        })
        .transpose()?;
    let limit = paging::limit(limit)?;
    let after = crate::core::query::given(&query.cursor)
        .map(Cursor::decode)
        .transpose()?;
    let (items, next) = store::page(
        &state.db,
        &filter,
        (sort, descending),
        after.as_ref(),
        limit,
    )
    .await?;
    Ok(Page {
        items,
        next_cursor: next.map(|c| c.encode()),
    })
}

/// A licence's values as a create or update sends them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LicencePatch {
    /// Licence number.
    pub licence_number: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Managed software; `null` for none.
    #[serde(default, deserialize_with = "crate::core::extract::present")]
    pub managed_id: Option<Option<i64>>,
    /// Held count.
    pub held: Option<i64>,
    /// Type.
    pub type_id: Option<i64>,
    /// Status.
    pub status_id: Option<i64>,
    /// Planned status.
    #[serde(default, deserialize_with = "crate::core::extract::present")]
    pub planned_status_id: Option<Option<i64>>,
    /// Planned day.
    #[serde(default, deserialize_with = "crate::core::extract::present")]
    pub planned_on: Option<Option<String>>,
    /// Department.
    #[serde(default, deserialize_with = "crate::core::extract::present")]
    pub department_id: Option<Option<i64>>,
    /// Stocktake day.
    #[serde(default, deserialize_with = "crate::core::extract::present")]
    pub stocktaken_on: Option<Option<String>>,
    /// Custom values by field id; `null` removes one.
    pub custom: Option<serde_json::Map<String, serde_json::Value>>,
    /// A note appended with the change.
    pub note: Option<String>,
    /// Version last read (update).
    pub version: Option<i64>,
}

/// Applies a patch to licence values.
///
/// # Errors
/// 400 naming the field.
pub fn apply_patch(f: &mut LicenceFields, patch: LicencePatch) -> Result<Option<String>, AppError> {
    if let Some(v) = values::plain("licence_number", patch.licence_number, 64)? {
        f.licence_number = v;
    }
    if let Some(v) = values::plain("name", patch.name, MAX_TEXT_CHARS)? {
        f.name = v;
    }
    if let Some(v) = patch.managed_id {
        f.managed_id = v;
    }
    if let Some(held) = patch.held {
        if !(0..=10_000_000).contains(&held) {
            return Err(AppError::invalid("held", "held must be 0 to 10000000"));
        }
        f.held = held;
    }
    if let Some(v) = patch.type_id {
        f.type_id = v;
    }
    if let Some(v) = patch.status_id {
        f.status_id = v;
    }
    if let Some(v) = patch.planned_status_id {
        f.planned_status_id = v;
    }
    if let Some(v) = values::patch_day("planned_on", patch.planned_on)? {
        f.planned_on = v;
    }
    if let Some(v) = values::patch_day("stocktaken_on", patch.stocktaken_on)? {
        f.stocktaken_on = v;
    }
    if let Some(v) = patch.department_id {
        f.department_id = v;
    }
    values::merge_custom(&mut f.custom, patch.custom);
    match (f.planned_status_id, &f.planned_on) {
        (Some(_), None) => {
            return Err(AppError::invalid(
                "planned_on",
                "a planned status needs its day",
            ))
        }
        (None, Some(_)) => f.planned_on = None,
        _ => {}
    }
    values::reason(patch.note)
}

/// Checks what a licence's values refer to: custom values against the licence fields (those
/// in `kept` leniently), choices of the right lists, a department in the
/// actor's scope, the managed software, a number no other licence than `except` has.
async fn check_references(
    conn: &mut AnyConnection,
    actor: &Actor,
    f: &mut LicenceFields,
    (except, kept): (Option<i64>, &serde_json::Map<String, serde_json::Value>),
) -> Result<(), AppError> {
    crate::assets::fields::service::check_values(conn, "licence", &mut f.custom, kept).await?;
    values::check_choice(conn, "type_id", ChoiceKind::LicenceType, f.type_id).await?;
    values::check_choice(conn, "status_id", ChoiceKind::LicenceStatus, f.status_id).await?;
    if let Some(planned) = f.planned_status_id {
        values::check_choice(
            conn,
            "planned_status_id",
            ChoiceKind::LicenceStatus,
            planned,
        )
        .await?;
    }
    values::check_department(conn, actor, f.department_id).await?;
    if let Some(managed) = f.managed_id {
        if managed_store::get(conn, managed).await.is_err() {
            return Err(AppError::invalid("managed_id", "no such managed software"));
        }
    }
    if !f.licence_number.is_empty() && store::number_taken(conn, &f.licence_number, except).await? {
        return Err(AppError::Invalid {
            code: "number_taken",
            message: format!("another licence has the number {:?}", f.licence_number),
            field: Some("licence_number".into()),
        });
    }
    Ok(())
}

/// Registers a licence (status in use and type package unless given).
///
/// # Errors
/// 400, 403.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    patch: LicencePatch,
) -> Result<Licence, AppError> {
    actor.require_division(Division::Assets)?;
    let mut f = LicenceFields {
        type_id: builtin::LICENCE_PACKAGE,
        status_id: builtin::LICENCE_IN_USE,
        custom: serde_json::json!({}),
        ..LicenceFields::default()
    };
    let note = apply_patch(&mut f, patch)?;
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    check_references(&mut tx, actor, &mut f, (None, &Default::default())).await?;
    let now = now_ms();
    let id = store::insert(&mut tx, &f, &actor.login, now).await?;
    if let Some(note) = note {
        notes::add(&mut tx, actor, (Record::Licence, id), &note, now).await?;
    }
    let entry = values::audit(
        actor,
        origin,
        Op::Add,
        id,
        serde_json::json!({"licence": f.licence_number}),
    );
    crate::audit::store::insert(&mut tx, &entry, now).await?;
    let created = store::get(&mut tx, id).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(created)
}

/// Changes a licence; a status change appends a note. Fewer held than assigned is refused.
///
/// # Errors
/// 400, 403, 404, 409.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    id: i64,
    patch: LicencePatch,
) -> Result<Licence, AppError> {
    let version = patch
        .version
        .ok_or_else(|| AppError::invalid("version", "send the version you last read"))?;
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    let current = visible_licence(&mut tx, actor, id).await?;
    let mut f = LicenceFields::of(&current);
    let kept = values::kept_custom(&current.custom, patch.custom.as_ref());
    let reason = apply_patch(&mut f, patch)?;
    if f.planned_status_id.is_some() && f.planned_status_id == Some(f.status_id) {
        f.planned_status_id = None;
        f.planned_on = None;
    }
    check_references(&mut tx, actor, &mut f, (Some(id), &kept)).await?;
    if f.held < current.assigned {
        return Err(AppError::invalid(
            "held",
            format!(
                "{} devices hold this licence; unassign some first",
                current.assigned
            ),
        ));
    }
    let now = now_ms();
    if !store::update(&mut tx, id, &f, version, now).await? {
        return Err(AppError::Conflict(format!(
            "the licence was changed by someone else (now at version {}); reload and try again",
            current.version
        )));
    }
    let mut lines = Vec::new();
    if f.status_id != current.status_id {
        let label = "ライセンス状態 / Status";
        lines.push(values::status_line(&mut tx, label, current.status_id, f.status_id).await?);
    }
    lines.extend(reason);
    if !lines.is_empty() {
        notes::add(
            &mut tx,
            actor,
            (Record::Licence, id),
            &lines.join("\n"),
            now,
        )
        .await?;
    }
    crate::audit::store::insert(
        &mut tx,
        &values::audit(actor, origin, Op::Update, id, serde_json::json!({})),
        now,
    )
    .await?;
    let updated = store::get(&mut tx, id).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(updated)
}

/// Deletes a disposed licence with its assignments and notes.
///
/// # Errors
/// 400 `status_forbids_delete` unless disposed; 403, 404.
pub async fn delete(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    id: i64,
) -> Result<(), AppError> {
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    let licence = visible_licence(&mut tx, actor, id).await?;
    if licence.status_id != builtin::LICENCE_DISPOSED {
        return Err(AppError::Invalid {
            code: "status_forbids_delete",
            message: "only disposed licences can be deleted; change the status first".into(),
            field: Some("status_id".into()),
        });
    }
    notes::forget(&mut tx, Record::Licence, id).await?;
    store::delete(&mut tx, id).await?;
    crate::audit::store::insert(
        &mut tx,
        &values::audit(actor, origin, Op::Delete, id, serde_json::json!({})),
        now_ms(),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// A licence's notes and assigned devices.
///
/// # Errors
/// 403, 404.
pub async fn detail(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> Result<
    (
        Licence,
        Vec<(i64, String, Option<i64>)>,
        Vec<notes::LedgerNote>,
    ),
    AppError,
> {
    let mut conn = state.db.read().acquire().await.map_err(DbError::from)?;
    let licence = visible_licence(&mut conn, actor, id).await?;
    let assigned = store::assignments(&mut conn, id).await?;
    let notes = notes::list(&mut conn, Record::Licence, id).await?;
    Ok((licence, assigned, notes))
}

/// The devices the actor sees whose host name is `hostname` (any case): how the console
/// names the device a licence goes to.
///
/// # Errors
/// Storage errors.
pub async fn devices_named(
    state: &AppState,
    actor: &Actor,
    hostname: &str,
) -> Result<Vec<i64>, AppError> {
    let scope = match &actor.scope {
        Scope::All => String::new(),
        Scope::Departments(ids) => {
            format!(" AND {}", crate::core::sql::ids_in("department_id", ids))
        }
    };
    let sql = format!(
        "SELECT id FROM devices WHERE lower(hostname) = lower($1){scope} ORDER BY id LIMIT 10"
    );
    let ids: Vec<i64> = sqlx::query_scalar(&sql)
        .bind(hostname.trim())
        .fetch_all(state.db.read())
        .await
        .map_err(DbError::from)?;
    Ok(ids)
}

/// Assigns a licence to devices the actor sees, within the held count.
///
/// # Errors
/// 400 `over_assigned` beyond the held count (nothing assigned); 403; 404 for an unknown
/// licence or device.
pub async fn assign(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    id: i64,
    device_ids: &[i64],
) -> Result<Licence, AppError> {
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    let licence = visible_licence(&mut tx, actor, id).await?;
    if licence.status_id == builtin::LICENCE_DISPOSED {
        return Err(AppError::invalid(
            "status_id",
            "a disposed licence cannot be assigned",
        ));
    }
    let now = now_ms();
    let mut added = 0;
    for device_id in device_ids {
        let device = crate::devices::store::get_device(&mut tx, *device_id)
            .await
            .map_err(values::not_found("device"))?;
        if !actor.scope.covers(device.department_id) {
            return Err(AppError::NotFound("device"));
        }
        if store::assign(&mut tx, id, *device_id, now).await? {
            added += 1;
        }
    }
    if licence.assigned + added > licence.held {
        return Err(AppError::Invalid {
            code: "over_assigned",
            message: format!(
                "the licence holds {} and {} devices would have it",
                licence.held,
                licence.assigned + added
            ),
            field: Some("device_ids".into()),
        });
    }
    let detail = serde_json::json!({"assigned": device_ids});
    crate::audit::store::insert(
        &mut tx,
        &values::audit(actor, origin, Op::Update, id, detail),
        now,
    )
    .await?;
    let updated = store::get(&mut tx, id).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(updated)
}

/// Takes a licence off a device.
///
/// # Errors
/// 403, 404.
pub async fn unassign(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    (id, device_id): (i64, i64),
) -> Result<(), AppError> {
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    visible_licence(&mut tx, actor, id).await?;
    if !store::unassign(&mut tx, id, device_id).await? {
        return Err(AppError::NotFound("assignment"));
    }
    let detail = serde_json::json!({"unassigned": device_id});
    crate::audit::store::insert(
        &mut tx,
        &values::audit(actor, origin, Op::Update, id, detail),
        now_ms(),
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// Device types whose licences may move (移管): PC, server, printer, network device, unknown.
const TRANSFERABLE_TYPES: [i64; 5] = [11, 12, 13, 14, 21];

/// Moves every licence of one device to another (移管), refused when the target already holds
/// one; both devices must be visible, and of a transferable type when they have an asset.
///
/// # Errors
/// 400 `target_has_licences`, `type_not_transferable`, or a device without licences; 403;
/// 404.
pub async fn transfer(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    from: i64,
    to: i64,
) -> Result<u64, AppError> {
    actor.require_division(Division::Assets)?;
    if from == to {
        return Err(AppError::invalid("to_device_id", "choose another device"));
    }
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    for (field, device_id) in [("from_device_id", from), ("to_device_id", to)] {
        let device = crate::devices::store::get_device(&mut tx, device_id)
            .await
            .map_err(values::not_found("device"))?;
        if !actor.scope.covers(device.department_id) {
            return Err(AppError::NotFound("device"));
        }
        if let Some(asset) =
            crate::assets::hardware::store::asset_of_device(&mut tx, device_id).await?
        {
            let asset = crate::assets::hardware::store::get(&mut tx, asset).await?;
            if !TRANSFERABLE_TYPES.contains(&asset.type_id) {
                return Err(AppError::Invalid {
                    code: "type_not_transferable",
                    message: "licences move only between PCs, servers, printers, network devices and devices of unknown type".into(),
                    field: Some(field.into()),
                });
            }
        }
    }
    if !store::licences_of_device(&mut tx, to).await?.is_empty() {
        return Err(AppError::Invalid {
            code: "target_has_licences",
            message: "the target device already holds licences; unassign them first".into(),
            field: Some("to_device_id".into()),
        });
    }
    let moved = store::move_assignments(&mut tx, from, to).await?;
    if moved == 0 {
        return Err(AppError::invalid(
            "from_device_id",
            "the device holds no licences",
        ));
    }
    let entry = NewAuditEntry::by_actor(
        actor,
        origin,
        (Category::ContentAccess, Op::Update, Object::AssetInfo),
        from.to_string(),
        serde_json::json!({"licences_moved_to": to, "count": moved}),
    );
    crate::audit::store::insert(&mut tx, &entry, now_ms()).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(moved)
}
