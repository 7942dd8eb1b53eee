//! Moving held licences between departments (部署間のライセンス移動, spec 001_C §3): the held
//! count is taken off the source licence and added to the target department's licence of the
//! same managed software and type, which is created (a copy of the source) when there is
//! none. One transaction; both records note the move.

use serde::Deserialize;
use sqlx::AnyConnection;

use crate::app::AppState;
use crate::assets::choices::builtin;
use crate::assets::licences::model::Licence;
use crate::assets::licences::service::visible_licence;
use crate::assets::licences::store::{self, LicenceFields};
use crate::assets::notes::{self, Record};
use crate::assets::values;
use crate::audit::model::{Op, Origin};
use crate::core::auth::Actor;
use crate::core::db::DbError;
use crate::core::error::AppError;
use crate::core::time::now_ms;

/// A move as requested.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveInput {
    /// How many held licences move.
    pub count: i64,
    /// The department they move to (none: Unknown).
    pub department_id: Option<i64>,
    /// The source's version last read.
    pub version: Option<i64>,
}

/// What a move did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Moved {
    /// The source, holding fewer.
    pub source: Licence,
    /// The target, holding more (perhaps new).
    pub target: Licence,
    /// Whether the target was created.
    pub created: bool,
}

/// The target department's licence of the same managed software and type, not disposed.
async fn existing_target(
    conn: &mut AnyConnection,
    source: &Licence,
    department_id: Option<i64>,
) -> Result<Option<i64>, DbError> {
    let Some(managed_id) = source.managed_id else {
        return Ok(None);
    };
    // Department ids start at 1, so 0 stands for Unknown.
    let sql = "SELECT id FROM licences WHERE managed_id = $1 AND type_id = $2 AND status_id <> $3 \
         AND COALESCE(department_id, 0) = $4 AND id <> $5 ORDER BY id LIMIT 1";
    Ok(sqlx::query_scalar(sql)
        .bind(managed_id)
        .bind(source.type_id)
        .bind(builtin::LICENCE_DISPOSED)
        .bind(department_id.unwrap_or(0))
        .bind(source.id)
        .fetch_optional(conn)
        .await?)
}

fn stale(licence: &Licence) -> AppError {
    AppError::Conflict(format!(
        "the licence was changed by someone else (now at version {}); reload and try again",
        licence.version
    ))
}

/// Moves `input.count` held licences of licence `id` to another department.
///
/// # Errors
/// 400 for a count below 1 or above what is held and not assigned, the same department, a
/// disposed licence or a department outside the actor's; 403; 404; 409 when stale.
pub async fn move_held(
    state: &AppState,
    actor: &Actor,
    origin: &Origin,
    id: i64,
    input: MoveInput,
) -> Result<Moved, AppError> {
    let mut tx = state.db.write().begin().await.map_err(DbError::from)?;
    let source = visible_licence(&mut tx, actor, id).await?;
    if input
        .version
        .is_some_and(|version| version != source.version)
    {
        return Err(stale(&source));
    }
    if source.status_id == builtin::LICENCE_DISPOSED {
        return Err(AppError::invalid(
            "status_id",
            "a disposed licence cannot move",
        ));
    }
    let free = source.held - source.assigned;
    if input.count < 1 || input.count > free {
        return Err(AppError::invalid(
            "count",
            format!(
                "count must be 1 to {free} (held {}, assigned {})",
                source.held, source.assigned
            ),
        ));
    }
    if input.department_id == source.department_id {
        return Err(AppError::invalid(
            "department_id",
            "the licence is already in that department",
        ));
    }
    values::check_department(&mut tx, actor, input.department_id).await?;
    let now = now_ms();
    let mut from = LicenceFields::of(&source);
    from.held -= input.count;
    if !store::update(&mut tx, id, &from, source.version, now).await? {
        return Err(stale(&source));
    }
    let (target_id, created) = match existing_target(&mut tx, &source, input.department_id).await? {
        Some(target_id) => {
            let target = store::get(&mut tx, target_id).await?;
            let mut to = LicenceFields::of(&target);
            to.held += input.count;
            if !store::update(&mut tx, target_id, &to, target.version, now).await? {
                return Err(stale(&target));
            }
            (target_id, false)
        }
        None => {
            let to = LicenceFields {
                licence_number: String::new(),
                held: input.count,
                department_id: input.department_id,
                planned_status_id: None,
                planned_on: None,
                ..LicenceFields::of(&source)
            };
            (store::insert(&mut tx, &to, &actor.login, now).await?, true)
        }
    };
    let line = |other: i64, sign: &str| {
        format!(
            "部署間移動 / Moved between departments: {sign}{} (#{other})",
            input.count
        )
    };
    notes::add(
        &mut tx,
        actor,
        (Record::Licence, id),
        &line(target_id, "-"),
        now,
    )
    .await?;
    notes::add(
        &mut tx,
        actor,
        (Record::Licence, target_id),
        &line(id, "+"),
        now,
    )
    .await?;
    let detail = serde_json::json!({"moved": input.count, "to": target_id, "created": created});
    crate::audit::store::insert(
        &mut tx,
        &values::audit(actor, origin, Op::Update, id, detail),
        now,
    )
    .await?;
    let moved = Moved {
        source: store::get(&mut tx, id).await?,
        target: store::get(&mut tx, target_id).await?,
        created,
    };
    tx.commit().await.map_err(DbError::from)?;
    Ok(moved)
}
