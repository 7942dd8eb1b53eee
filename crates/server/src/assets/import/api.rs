//! `/api/v1/imports` and `/api/v1/import-templates` handlers (thin: the rules are in
//! `apply`, `history` and `templates`).
//!
//! The file of an import is the raw request body. It is spooled to a file in the data
//! directory as it arrives (refused past [`MAX_FILE_BYTES`]), so a large import costs disk,
//! not memory, and read from there twice.

use std::path::PathBuf;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;

use crate::app::AppState;
use crate::assets::import::apply::{self, ImportResult, Request};
use crate::assets::import::format::{Source, MAX_FILE_BYTES};
use crate::assets::import::history::{self, HistoryQuery};
use crate::assets::import::kinds::Kind;
use crate::assets::import::mapping::Template;
use crate::assets::import::store::HistoryEntry;
use crate::assets::import::templates::{self, TemplateInput};
use crate::audit::model::Origin;
use crate::core::auth::Actor;
use crate::core::csv::CsvEncoding;
use crate::core::error::AppError;
use crate::core::extract::{ApiJson, ApiQuery};
use crate::core::paging::Page;

/// Invalid rows an import's response lists; the rest are in the download.
pub const RESPONSE_INVALID_ROWS: usize = 1000;

/// The query of an import.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    kind: String,
    template: String,
    encoding: Option<String>,
    check: Option<String>,
    file_name: Option<String>,
}

/// A spooled body, deleted when dropped.
struct Spooled(PathBuf);

impl Drop for Spooled {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Writes the body to a file under the data directory, refusing it past the size cap.
async fn spool(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Spooled, AppError> {
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .unwrap_or("identity");
    if !encoding.eq_ignore_ascii_case("identity") {
        return Err(AppError::UnsupportedMediaType(
            "send the CSV file uncompressed".into(),
        ));
    }
    let dir = state.config.data_dir.join("imports");
    let io = |error: std::io::Error| AppError::Internal(format!("cannot spool an import: {error}"));
    tokio::fs::create_dir_all(&dir).await.map_err(io)?;
    let spooled = Spooled(dir.join(format!("{}.csv", crate::core::secrets::random_id())));
    let mut file = tokio::fs::File::create(&spooled.0).await.map_err(io)?;
    let mut stream = body.into_data_stream();
    let mut size: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|error| {
            AppError::invalid("body", format!("the file could not be received: {error}"))
        })?;
        size += chunk.len() as u64;
        if size > MAX_FILE_BYTES {
            return Err(AppError::TooLarge(format!(
                "the file is larger than {MAX_FILE_BYTES} bytes; split it"
            )));
        }
        file.write_all(&chunk).await.map_err(io)?;
    }
    file.flush().await.map_err(io)?;
    Ok(spooled)
}

fn yes(value: Option<&str>) -> Result<bool, AppError> {
    match value.map(str::trim) {
        None | Some("" | "false" | "0" | "no") => Ok(false),
        Some("true" | "1" | "yes") => Ok(true),
        Some(_) => Err(AppError::invalid("check", "check must be true or false")),
    }
}

/// `POST /api/v1/imports?kind=&template=&encoding=&check=&file_name=` with the CSV as the
/// body: the import's result (at most [`RESPONSE_INVALID_ROWS`] invalid rows listed).
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiQuery(query): ApiQuery<ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ImportResult>, AppError> {
    let kind = Kind::requested(&query.kind)?;
    apply::authorize(&actor, kind)?;
    let request = Request {
        kind,
        template: query.template,
        encoding: crate::core::query::given(&query.encoding)
            .map(|name| CsvEncoding::requested(Some(name)))
            .transpose()?,
        check: yes(query.check.as_deref())?,
        file_name: query.file_name.unwrap_or_default(),
    };
    let spooled = spool(&state, &headers, body).await?;
    let source = Source::File(spooled.0.clone());
    let mut result = apply::run(&state.db, &actor, &origin, source, request).await?;
    drop(spooled);
    for device in result.deleted_devices.drain(..) {
        state.agents.forget_device(device);
    }
    result.invalid_rows.truncate(RESPONSE_INVALID_ROWS);
    Ok(Json(result))
}

/// `GET /api/v1/imports`: the history, newest first.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Result<Json<Page<HistoryEntry>>, AppError> {
    Ok(Json(history::list(&state.db, &actor, &query).await?))
}

/// `GET /api/v1/imports/{id}`.
pub async fn show(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<Json<HistoryEntry>, AppError> {
    Ok(Json(history::get(&state.db, &actor, id).await?))
}

/// The query of the invalid-row download.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncodingQuery {
    encoding: Option<String>,
}

/// `GET /api/v1/imports/{id}/invalid-rows`: the rows an import could not take, as CSV in the
/// import's encoding unless another is asked for.
pub async fn invalid_rows(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
    ApiQuery(query): ApiQuery<EncodingQuery>,
) -> Result<Response, AppError> {
    let encoding = match crate::core::query::given(&query.encoding) {
        Some(name) => CsvEncoding::requested(Some(name))?,
        None => {
            let entry = history::get(&state.db, &actor, id).await?;
            CsvEncoding::parse(&entry.encoding).unwrap_or(CsvEncoding::Utf8Bom)
        }
    };
    let body = history::invalid_rows_csv(&state, &actor, id, encoding).await?;
    let filename = format!("import-{id}-invalid.csv");
    Ok(crate::core::csv::attachment(encoding, &filename, body))
}

/// The query of the template list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindQuery {
    kind: Option<String>,
}

/// `GET /api/v1/import-templates`.
pub async fn list_templates(
    State(state): State<AppState>,
    actor: Actor,
    ApiQuery(query): ApiQuery<KindQuery>,
) -> Result<Json<Vec<Template>>, AppError> {
    Ok(Json(
        templates::list(&state.db, &actor, query.kind.as_deref()).await?,
    ))
}

/// `POST /api/v1/import-templates`.
pub async fn create_template(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiJson(input): ApiJson<TemplateInput>,
) -> Result<(StatusCode, Json<Template>), AppError> {
    let created = templates::create(&state.db, &actor, &origin, input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// `GET /api/v1/import-templates/{id}`.
pub async fn show_template(
    State(state): State<AppState>,
    actor: Actor,
    Path(id): Path<i64>,
) -> Result<Json<Template>, AppError> {
    Ok(Json(templates::get(&state.db, &actor, id).await?))
}

/// `PATCH /api/v1/import-templates/{id}`.
pub async fn update_template(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
    ApiJson(input): ApiJson<TemplateInput>,
) -> Result<Json<Template>, AppError> {
    Ok(Json(
        templates::update(&state.db, &actor, &origin, id, input).await?,
    ))
}

/// `DELETE /api/v1/import-templates/{id}`.
pub async fn delete_template(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    templates::delete(&state.db, &actor, &origin, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/import-templates/{id}/export`: the template as a JSON document to import
/// elsewhere.
pub async fn export_template(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let document = templates::export(&state.db, &actor, &origin, id).await?;
    let disposition = format!("attachment; filename=\"import-template-{id}.json\"");
    Ok(([(header::CONTENT_DISPOSITION, disposition)], Json(document)).into_response())
}

/// The query of a template import.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateImportQuery {
    name: Option<String>,
    overwrite: Option<String>,
}

/// `POST /api/v1/import-templates/import?name=&overwrite=` with an exported document as the
/// body: 201 with a new template, 200 with a replaced one.
pub async fn import_template(
    State(state): State<AppState>,
    actor: Actor,
    origin: Origin,
    ApiQuery(query): ApiQuery<TemplateImportQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<Template>), AppError> {
    let document = templates::read_document(&body)?;
    let overwrite = yes(query.overwrite.as_deref())
        .map_err(|_| AppError::invalid("overwrite", "overwrite must be true or false"))?;
    let name = crate::core::query::given(&query.name);
    let (template, created) =
        templates::import(&state.db, &actor, &origin, document, (name, overwrite)).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(template)))
}
