//! The CSV import wizard (資産情報のインポート) of the asset ledger: choose the kind and the
//! file (`/imports`, with the history of past imports); see the file's first rows and say
//! which column fills which field, the mapping key, the header and data rows and the
//! encoding, saved as a template (`/imports/{token}`); check it (nothing changes) or import
//! it; read the result, with the invalid rows to download. The file is uploaded once and
//! staged on the server between the steps (`assets::import::staged`); the import itself is
//! the same call the REST API and `kanri-server import` make.

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tokio::io::AsyncWriteExt;

use crate::app::AppState;
use crate::assets::import::apply::{self, ImportResult, InvalidRow, Request};
use crate::assets::import::error::ImportError;
use crate::assets::import::format::{Source, MAX_FILE_BYTES};
use crate::assets::import::history::{self, HistoryQuery};
use crate::assets::import::kinds::Kind;
use crate::assets::import::mapping::{Column, Mapping, Template as ImportTemplate};
use crate::assets::import::staged::{self, Preview, Staged, StagedMeta};
use crate::assets::import::store::HistoryEntry;
use crate::assets::import::templates::{self, TemplateInput};
use crate::audit::model::Origin;
use crate::console::i18n::{Lang, Msgs};
use crate::console::pages::Nav;
use crate::console::web::{app_error_page, error_page, render, ConsoleUser, FormPairs, PostedForm};
use crate::core::csv::CsvEncoding;
use crate::core::error::AppError;
use crate::core::time::now_ms;

/// Data rows the mapping step shows.
const PREVIEW_ROWS: usize = 5;
/// Invalid rows the result page lists (the download has them all).
const SHOWN_INVALID_ROWS: usize = 100;
/// Imports the history on the first page lists.
const HISTORY_ROWS: u32 = 50;
/// The encodings a file may be read in, as the selects offer them.
const ENCODINGS: [CsvEncoding; 4] = [
    CsvEncoding::Utf8,
    CsvEncoding::Utf8Bom,
    CsvEncoding::ShiftJis,
    CsvEncoding::Utf16Le,
];

/// A kind's name in the page language.
fn kind_label(m: &Msgs, kind: Kind) -> &'static str {
    match kind {
        Kind::Assets => m.hardware_assets,
        Kind::Licences => m.licence_list,
        Kind::ManagedSoftware => m.managed_software,
        Kind::Contracts => m.contracts_title,
        Kind::Vendors => m.vendors,
    }
}

/// Where the records of a kind are listed in the console.
fn kind_list(kind: Kind) -> &'static str {
    match kind {
        Kind::Assets => "/hardware-assets",
        Kind::Licences | Kind::ManagedSoftware => "/licences",
        Kind::Contracts | Kind::Vendors => "/contracts",
    }
}

/// The first step: kind, file, and the history.
#[derive(Template)]
#[template(path = "imports.html")]
pub struct ImportsPage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    csrf: String,
    kinds: Vec<(&'static str, &'static str)>,
    kind: &'static str,
    history: Vec<HistoryRow>,
    templates: Vec<(ImportTemplate, &'static str, String)>,
    message: String,
}

/// One import in the history.
pub struct HistoryRow {
    entry: HistoryEntry,
    kind: &'static str,
    at: String,
}

/// The first page's query.
#[derive(Debug, Default, Deserialize)]
pub struct KindQuery {
    kind: Option<String>,
}

async fn imports_page(
    state: &AppState,
    user: &ConsoleUser,
    kind: Kind,
    message: String,
) -> Result<ImportsPage, AppError> {
    let m = user.m();
    let query = HistoryQuery {
        limit: Some(HISTORY_ROWS),
        ..HistoryQuery::default()
    };
    let history = history::list(&state.db, &user.actor, &query)
        .await?
        .items
        .into_iter()
        .map(|entry| HistoryRow {
            kind: Kind::parse(&entry.kind).map_or("", |kind| kind_label(m, kind)),
            at: user.time(entry.started_at),
            entry,
        })
        .collect();
    let templates = templates::list(&state.db, &user.actor, None)
        .await?
        .into_iter()
        .map(|t| {
            let label = kind_label(m, t.kind);
            let at = user.time(t.updated_at);
            (t, label, at)
        })
        .collect();
    Ok(ImportsPage {
        lang: user.lang,
        m,
        nav: Some(Nav::new(user, "assets")),
        csrf: user.session.csrf_token.clone(),
        kinds: Kind::ALL
            .iter()
            .map(|kind| (kind.as_str(), kind_label(m, *kind)))
            .collect(),
        kind: kind.as_str(),
        history,
        templates,
        message,
    })
}

/// `GET /imports?kind=`.
pub async fn start(
    State(state): State<AppState>,
    user: ConsoleUser,
    Query(query): Query<KindQuery>,
) -> Response {
    let kind = query
        .kind
        .as_deref()
        .and_then(Kind::parse)
        .unwrap_or(Kind::Assets);
    match imports_page(&state, &user, kind, String::new()).await {
        Ok(page) => render(&page),
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// What the upload form sent besides the file.
#[derive(Default)]
struct Upload {
    csrf: String,
    kind: String,
    file_name: String,
    size: u64,
}

/// Streams the form's parts; the file goes to `path`, never into memory.
async fn receive(mut multipart: Multipart, path: &std::path::Path) -> Result<Upload, AppError> {
    let bad = |error: axum::extract::multipart::MultipartError| {
        AppError::invalid("file", format!("the upload could not be read: {error}"))
    };
    let io = |error: std::io::Error| AppError::Internal(format!("cannot keep the upload: {error}"));
    let mut upload = Upload::default();
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        match field.name().unwrap_or("") {
            "csrf" => upload.csrf = field.text().await.map_err(bad)?,
            "kind" => upload.kind = field.text().await.map_err(bad)?,
            "file" => {
                upload.file_name = field.file_name().unwrap_or("").trim().to_string();
                let mut file = tokio::fs::File::create(path).await.map_err(io)?;
                while let Some(chunk) = field.chunk().await.map_err(bad)? {
                    upload.size += chunk.len() as u64;
                    if upload.size > MAX_FILE_BYTES {
                        return Err(AppError::TooLarge(format!(
                            "the file is larger than {MAX_FILE_BYTES} bytes; split it"
                        )));
                    }
                    file.write_all(&chunk).await.map_err(io)?;
                }
                file.flush().await.map_err(io)?;
            }
            _ => {}
        }
    }
    Ok(upload)
}

/// `POST /imports` (multipart: `csrf`, `kind`, `file`): stages the file and goes on to its
/// mapping.
pub async fn upload(
    State(state): State<AppState>,
    user: ConsoleUser,
    multipart: Multipart,
) -> Response {
    let data_dir = state.config.data_dir.clone();
    let (token, path) = match staged::reserve(&data_dir).await {
        Ok(reserved) => reserved,
        Err(error) => return app_error_page(user.lang, &error),
    };
    let received = receive(multipart, &path).await;
    let refuse = |message: String, kind: Kind| {
        let state = state.clone();
        let user = user.clone();
        let path = path.clone();
        async move {
            let _ = tokio::fs::remove_file(&path).await;
            match imports_page(&state, &user, kind, message).await {
                Ok(page) => (StatusCode::BAD_REQUEST, render(&page)).into_response(),
                Err(error) => app_error_page(user.lang, &error),
            }
        }
    };
    let upload = match received {
        Ok(upload) => upload,
        Err(AppError::Invalid { message, .. } | AppError::TooLarge(message)) => {
            return refuse(message, Kind::Assets).await
        }
        Err(error) => {
            let _ = tokio::fs::remove_file(&path).await;
            return app_error_page(user.lang, &error);
        }
    };
    if let Some(page) = user.csrf_refusal(&upload.csrf) {
        let _ = tokio::fs::remove_file(&path).await;
        return page;
    }
    let Some(kind) = Kind::parse(&upload.kind) else {
        return refuse(user.m().import_choose_kind.to_string(), Kind::Assets).await;
    };
    if let Err(error) = apply::authorize(&user.actor, kind) {
        let _ = tokio::fs::remove_file(&path).await;
        return app_error_page(user.lang, &error);
    }
    if upload.size == 0 {
        return refuse(user.m().import_empty_file.to_string(), kind).await;
    }
    let meta = StagedMeta {
        user_id: user.actor.user_id,
        kind,
        file_name: upload.file_name,
        size: upload.size,
        uploaded_at: now_ms(),
    };
    if let Err(error) = staged::commit(&data_dir, &token, &meta).await {
        let _ = tokio::fs::remove_file(&path).await;
        return app_error_page(user.lang, &error);
    }
    Redirect::to(&format!("/imports/{token}")).into_response()
}

/// What the mapping step shows as chosen: from a template, guessed from the header, or as
/// the user submitted it.
#[derive(Debug, Clone, Default)]
struct Choices {
    template_id: i64,
    name: String,
    encoding: Option<CsvEncoding>,
    header_row: u64,
    data_row: u64,
    key: String,
    /// The field each header column fills (empty: not read), by column.
    fields: Vec<String>,
}

/// One column of the file in the mapping step.
pub struct ColumnRow {
    index: usize,
    header: String,
    samples: String,
    field: String,
}

/// The mapping step.
#[derive(Template)]
#[template(path = "import_mapping.html")]
pub struct MappingPage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    csrf: String,
    token: String,
    kind_label: &'static str,
    file_name: String,
    size: u64,
    templates: Vec<(i64, String)>,
    template_id: i64,
    name: String,
    encodings: Vec<(&'static str, &'static str)>,
    encoding: &'static str,
    header_row: u64,
    data_row: u64,
    keys: Vec<(&'static str, &'static str)>,
    key: String,
    fields: Vec<(&'static str, &'static str)>,
    columns: Vec<ColumnRow>,
    preview: Vec<(u64, Vec<String>)>,
    header: Vec<String>,
    message: String,
}

/// The mapping step's query: a template to start from, or the preview's settings.
#[derive(Debug, Default, Deserialize)]
pub struct MappingQuery {
    template: Option<String>,
    encoding: Option<String>,
    header_row: Option<String>,
    data_row: Option<String>,
}

fn row_number(value: Option<&str>, default: u64) -> u64 {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The field a header names: one whose Japanese or English label or name it is (so files
/// the exports wrote map themselves).
fn field_for_header(kind: Kind, header: &str) -> String {
    kind.fields()
        .iter()
        .find(|field| {
            header == field.ja || header.eq_ignore_ascii_case(field.en) || header == field.name
        })
        .map_or_else(String::new, |field| field.name.to_string())
}

/// The choices a template gives for a file with `header`: its columns by header, its key
/// and rows and encoding.
fn from_template(template: &ImportTemplate, header: &[String]) -> Choices {
    let mapping = &template.mapping;
    Choices {
        template_id: template.id,
        name: template.name.clone(),
        encoding: CsvEncoding::parse(&mapping.encoding),
        header_row: mapping.header_row,
        data_row: mapping.data_row,
        key: mapping.key.clone(),
        fields: header
            .iter()
            .map(|cell| {
                mapping
                    .columns
                    .iter()
                    .find(|column| column.header == *cell)
                    .map_or_else(String::new, |column| column.field.clone())
            })
            .collect(),
    }
}

/// Whether every column `template` reads (but its optional ones) is in `header`.
fn fits(template: &ImportTemplate, header: &[String]) -> bool {
    template
        .mapping
        .columns
        .iter()
        .all(|column| column.optional || header.contains(&column.header))
}

/// Reads the staged file's preview with the choices' settings (guessing the encoding when
/// none is chosen); a refusal becomes the page's message.
fn read_preview(staged: &Staged, choices: &mut Choices) -> Result<Preview, String> {
    let encoding = *choices
        .encoding
        .get_or_insert_with(|| staged::guess_encoding(&staged.path));
    staged::preview(
        &staged.path,
        encoding,
        (choices.header_row.max(1), choices.data_row),
        PREVIEW_ROWS,
    )
    .map_err(|refusal| refusal.to_string())
}

async fn mapping_page(
    state: &AppState,
    user: &ConsoleUser,
    staged: &Staged,
    mut choices: Choices,
    (preview, message): (Result<Preview, String>, String),
) -> Result<MappingPage, AppError> {
    let m = user.m();
    let kind = staged.meta.kind;
    let templates = templates::list(&state.db, &user.actor, Some(kind.as_str())).await?;
    let (preview, message) = match preview {
        Ok(preview) => (preview, message),
        Err(refusal) if message.is_empty() => (Preview::default(), refusal),
        Err(_) => (Preview::default(), message),
    };
    choices.fields.resize(preview.header.len(), String::new());
    let columns = preview
        .header
        .iter()
        .enumerate()
        .map(|(index, header)| ColumnRow {
            index,
            header: header.clone(),
            samples: preview
                .rows
                .iter()
                .filter_map(|(_, cells)| cells.get(index))
                .filter(|cell| !cell.is_empty())
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join(" / "),
            field: choices.fields[index].clone(),
        })
        .collect();
    Ok(MappingPage {
        lang: user.lang,
        m,
        nav: Some(Nav::new(user, "assets")),
        csrf: user.session.csrf_token.clone(),
        token: staged.token.clone(),
        kind_label: kind_label(m, kind),
        file_name: staged.meta.file_name.clone(),
        size: staged.meta.size,
        templates: templates.iter().map(|t| (t.id, t.name.clone())).collect(),
        template_id: choices.template_id,
        name: choices.name,
        encodings: ENCODINGS.iter().map(|e| (e.name(), e.label())).collect(),
        encoding: choices.encoding.unwrap_or(CsvEncoding::Utf8).name(),
        header_row: choices.header_row.max(1),
        data_row: choices.data_row,
        keys: kind
            .keys()
            .iter()
            .filter_map(|key| kind.field(key).map(|i| &kind.fields()[i]))
            .map(|field| (field.name, field.label(user.lang)))
            .collect(),
        key: choices.key,
        fields: kind
            .fields()
            .iter()
            .map(|field| (field.name, field.label(user.lang)))
            .collect(),
        columns,
        header: preview.header,
        preview: preview.rows,
        message,
    })
}

/// `GET /imports/{token}`: the file's first rows and the mapping to read it with.
pub async fn mapping(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(token): Path<String>,
    Query(query): Query<MappingQuery>,
) -> Response {
    let result = async {
        let staged = staged::find(&state.config.data_dir, &token, user.actor.user_id).await?;
        let kind = staged.meta.kind;
        let asked = query
            .template
            .as_deref()
            .and_then(|id| id.trim().parse::<i64>().ok());
        let templates = templates::list(&state.db, &user.actor, Some(kind.as_str())).await?;
        let mut choices = Choices {
            encoding: query.encoding.as_deref().and_then(CsvEncoding::parse),
            header_row: row_number(query.header_row.as_deref(), 1),
            data_row: row_number(query.data_row.as_deref(), 0),
            ..Choices::default()
        };
        let chosen = asked.and_then(|id| templates.iter().find(|t| t.id == id));
        if let Some(template) = chosen {
            // The template's settings, unless the page asked for others.
            choices.encoding = choices
                .encoding
                .or(CsvEncoding::parse(&template.mapping.encoding));
            if query.header_row.is_none() {
                choices.header_row = template.mapping.header_row;
                choices.data_row = template.mapping.data_row;
            }
        }
        let preview = read_preview(&staged, &mut choices);
        let header = preview
            .as_ref()
            .map(|p| p.header.clone())
            .unwrap_or_default();
        let template = chosen.or_else(|| {
            // No template asked for: the first one that fits the file.
            (asked.is_none() && !header.is_empty())
                .then(|| templates.iter().find(|t| fits(t, &header)))
                .flatten()
        });
        if let Some(template) = template {
            let from = from_template(template, &header);
            choices = Choices {
                encoding: choices.encoding,
                header_row: choices.header_row,
                data_row: choices.data_row,
                ..from
            };
        } else {
            choices.fields = header.iter().map(|h| field_for_header(kind, h)).collect();
            choices.key = kind
                .keys()
                .iter()
                .find(|key| choices.fields.iter().any(|f| f == *key))
                .map_or_else(String::new, |key| (*key).to_string());
        }
        let page = mapping_page(&state, &user, &staged, choices, (preview, String::new())).await?;
        Ok::<_, AppError>(render(&page))
    }
    .await;
    result.unwrap_or_else(|error| app_error_page(user.lang, &error))
}

/// The mapping step's form as submitted.
fn submitted(form: &FormPairs) -> Choices {
    let mut fields = Vec::new();
    for index in 0.. {
        let name = format!("col_{index}");
        if !form.0.iter().any(|(key, _)| *key == name) {
            break;
        }
        fields.push(form.get(&name).trim().to_string());
    }
    Choices {
        template_id: form.get("template_id").trim().parse().unwrap_or(0),
        name: form.get("name").trim().to_string(),
        encoding: CsvEncoding::parse(form.get("encoding")),
        header_row: row_number(Some(form.get("header_row")), 1),
        data_row: row_number(Some(form.get("data_row")), 0),
        key: form.get("key").trim().to_string(),
        fields,
    }
}

/// The mapping the choices make for a file with `header`.
fn mapping_of(choices: &Choices, header: &[String], encoding: CsvEncoding) -> Mapping {
    Mapping {
        key: choices.key.clone(),
        columns: header
            .iter()
            .zip(&choices.fields)
            .filter(|(_, field)| !field.is_empty())
            .map(|(header, field)| Column {
                header: header.clone(),
                field: field.clone(),
                optional: false,
            })
            .collect(),
        header_row: choices.header_row.max(1),
        data_row: choices.data_row,
        encoding: encoding.name().to_string(),
    }
}

/// Saves the choices as a template: a new one, or the chosen one when its mapping or name
/// changed. Returns its name.
async fn save_template(
    state: &AppState,
    user: &ConsoleUser,
    origin: &Origin,
    kind: Kind,
    (choices, mapping): (&Choices, Mapping),
) -> Result<String, AppError> {
    if choices.name.is_empty() {
        return Err(AppError::invalid(
            "name",
            user.m().import_template_name_needed,
        ));
    }
    if choices.template_id == 0 {
        let input = TemplateInput {
            kind: Some(kind.as_str().to_string()),
            name: Some(choices.name.clone()),
            mapping: Some(mapping),
            ..TemplateInput::default()
        };
        return Ok(templates::create(&state.db, &user.actor, origin, input)
            .await?
            .name);
    }
    let stored = templates::get(&state.db, &user.actor, choices.template_id).await?;
    if stored.kind != kind {
        return Err(AppError::NotFound("import template"));
    }
    let canonical = mapping.clone().checked(kind)?;
    if canonical == stored.mapping && choices.name == stored.name {
        return Ok(stored.name);
    }
    let input = TemplateInput {
        name: Some(choices.name.clone()),
        mapping: Some(mapping),
        version: Some(stored.version),
        ..TemplateInput::default()
    };
    Ok(
        templates::update(&state.db, &user.actor, origin, stored.id, input)
            .await?
            .name,
    )
}

/// The result step.
#[derive(Template)]
#[template(path = "import_result.html")]
pub struct ResultPage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    csrf: String,
    result: ImportResult,
    kind_label: &'static str,
    list: &'static str,
    checked: bool,
    token: String,
    template_id: i64,
    invalid: Vec<InvalidRow>,
}

/// `POST /imports/{token}`: saves the mapping as a template, then checks (`action=check`)
/// or imports the file. A refused file shows the mapping step again with the reason.
pub async fn run(
    State(state): State<AppState>,
    origin: Origin,
    Path(token): Path<String>,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let staged = match staged::find(&state.config.data_dir, &token, user.actor.user_id).await {
        Ok(staged) => staged,
        Err(error) => return app_error_page(user.lang, &error),
    };
    let kind = staged.meta.kind;
    let check = form.get("action") == "check";
    let mut choices = submitted(&form);
    let preview = read_preview(&staged, &mut choices);
    let encoding = choices.encoding.unwrap_or(CsvEncoding::Utf8);
    let again = |choices: Choices, preview: Result<Preview, String>, message: String| {
        let (state, user, staged) = (state.clone(), user.clone(), staged.clone());
        async move {
            match mapping_page(&state, &user, &staged, choices, (preview, message)).await {
                Ok(page) => (StatusCode::BAD_REQUEST, render(&page)).into_response(),
                Err(error) => app_error_page(user.lang, &error),
            }
        }
    };
    let template = if form.get("saved") == "1" {
        // "Import now" after a check: the template as saved.
        match templates::get(&state.db, &user.actor, choices.template_id).await {
            Ok(template) if template.kind == kind => template.name,
            Ok(_) => return app_error_page(user.lang, &AppError::NotFound("import template")),
            Err(error) => return app_error_page(user.lang, &error),
        }
    } else {
        let header = match &preview {
            Ok(preview) => preview.header.clone(),
            Err(message) => {
                let message = message.clone();
                return again(choices, preview, message).await;
            }
        };
        let mapping = mapping_of(&choices, &header, encoding);
        match save_template(&state, &user, &origin, kind, (&choices, mapping)).await {
            Ok(name) => name,
            Err(AppError::Invalid { message, .. } | AppError::Conflict(message)) => {
                return again(choices, preview, message).await;
            }
            Err(error) => return app_error_page(user.lang, &error),
        }
    };
    let request = Request {
        kind,
        template: template.clone(),
        encoding: Some(encoding),
        check,
        file_name: staged.meta.file_name.clone(),
    };
    let source = Source::File(staged.path.clone());
    let outcome = apply::run(&state.db, &user.actor, &origin, source, request).await;
    let mut result = match outcome {
        Ok(result) => result,
        Err(ImportError::Refused { refusal, .. }) => {
            let message = format!("{}: {refusal}", user.m().import_refused);
            return again(choices, preview, message).await;
        }
        Err(ImportError::App(error)) => return app_error_page(user.lang, &error),
    };
    for device in result.deleted_devices.drain(..) {
        state.agents.forget_device(device);
    }
    if !check {
        staged::discard(&state.config.data_dir, &token).await;
    }
    let template_id = match templates::find(&state.db, &user.actor, kind, &template).await {
        Ok(id) => id,
        Err(error) => return app_error_page(user.lang, &error),
    };
    let invalid = result
        .invalid_rows
        .iter()
        .take(SHOWN_INVALID_ROWS)
        .cloned()
        .collect();
    let m = user.m();
    render(&ResultPage {
        lang: user.lang,
        m,
        nav: Some(Nav::new(&user, "assets")),
        csrf: user.session.csrf_token.clone(),
        kind_label: kind_label(m, kind),
        list: kind_list(kind),
        checked: check,
        token,
        template_id,
        invalid,
        result,
    })
}

/// `GET /imports/history/{id}/invalid-rows.csv`: an import's invalid rows, in the file's
/// encoding, with the line and reason after each.
pub async fn invalid_rows(
    State(state): State<AppState>,
    user: ConsoleUser,
    Path(id): Path<i64>,
) -> Response {
    let result = async {
        let entry = history::get(&state.db, &user.actor, id).await?;
        let encoding = CsvEncoding::parse(&entry.encoding).unwrap_or(CsvEncoding::Utf8Bom);
        let body = history::invalid_rows_csv(&state, &user.actor, id, encoding).await?;
        Ok::<_, AppError>(crate::core::csv::attachment(
            encoding,
            &format!("import-{id}-invalid.csv"),
            body,
        ))
    }
    .await;
    result.unwrap_or_else(|error| app_error_page(user.lang, &error))
}

/// `POST /imports/{token}/discard`: forgets an uploaded file without importing it.
pub async fn discard(
    State(state): State<AppState>,
    Path(token): Path<String>,
    PostedForm { user, .. }: PostedForm,
) -> Response {
    match staged::find(&state.config.data_dir, &token, user.actor.user_id).await {
        Ok(staged) => {
            staged::discard(&state.config.data_dir, &token).await;
            Redirect::to(&format!("/imports?kind={}", staged.meta.kind.as_str())).into_response()
        }
        Err(_) => error_page(user.lang, StatusCode::NOT_FOUND, user.m().not_found),
    }
}

/// A small upload read whole: the form's text fields and the `file` field's bytes.
struct SmallUpload {
    form: FormPairs,
    file: Vec<u8>,
}

/// Reads a multipart form whose file is at most `limit` bytes (`too_large` says so).
async fn small_upload(
    mut multipart: Multipart,
    (limit, too_large): (usize, String),
) -> Result<SmallUpload, AppError> {
    let bad = |error: axum::extract::multipart::MultipartError| {
        AppError::invalid("file", format!("the upload could not be read: {error}"))
    };
    let mut upload = SmallUpload {
        form: FormPairs::default(),
        file: Vec::new(),
    };
    while let Some(mut field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            while let Some(chunk) = field.chunk().await.map_err(bad)? {
                if upload.file.len() + chunk.len() > limit {
                    return Err(AppError::invalid("file", too_large));
                }
                upload.file.extend_from_slice(&chunk);
            }
        } else {
            let value = field.text().await.map_err(bad)?;
            upload.form.0.push((name, value));
        }
    }
    Ok(upload)
}

/// Largest template document the console takes.
const MAX_TEMPLATE_BYTES: usize = 1 << 20;

/// `POST /imports/templates` (multipart: `csrf`, `overwrite`, `file`): imports an exported
/// template document (テンプレートのインポート).
pub async fn import_template(
    State(state): State<AppState>,
    user: ConsoleUser,
    origin: Origin,
    multipart: Multipart,
) -> Response {
    let result = async {
        let too_large = user.m().import_not_template.to_string();
        let upload = small_upload(multipart, (MAX_TEMPLATE_BYTES, too_large)).await?;
        if let Some(refusal) = user.csrf_refusal(upload.form.get("csrf")) {
            return Ok(Err(refusal));
        }
        let overwrite = upload.form.get("overwrite") == "1";
        let bytes = upload.file;
        let document = templates::read_document(&bytes)?;
        templates::import(&state.db, &user.actor, &origin, document, (None, overwrite)).await?;
        Ok(Ok(()))
    }
    .await;
    match result {
        Ok(Ok(())) => Redirect::to("/imports#templates").into_response(),
        Ok(Err(refusal)) => refusal,
        Err(AppError::Invalid { message, .. }) => {
            match imports_page(&state, &user, Kind::Assets, message).await {
                Ok(page) => (StatusCode::BAD_REQUEST, render(&page)).into_response(),
                Err(error) => app_error_page(user.lang, &error),
            }
        }
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// `POST /imports/templates/{id}/delete` (`confirm=1`).
pub async fn delete_template(
    State(state): State<AppState>,
    origin: Origin,
    Path(id): Path<i64>,
    PostedForm { user, form }: PostedForm,
) -> Response {
    let result = async {
        form.confirmation(user.m())?;
        templates::delete(&state.db, &user.actor, &origin, id).await
    }
    .await;
    match result {
        Ok(()) => Redirect::to("/imports#templates").into_response(),
        Err(error) => app_error_page(user.lang, &error),
    }
}

/// Largest file of numbers the stocktake form takes.
const MAX_STOCKTAKE_BYTES: usize = 16 << 20;

/// The result of a stocktake file.
#[derive(Template)]
#[template(path = "stocktake_result.html")]
pub struct StocktakeResultPage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    ledger: &'static str,
    on: String,
    outcome: crate::assets::stocktake::Outcome,
}

/// `POST /imports/stocktake` (multipart: `csrf`, `ledger`, `on`, `file`): a file of asset or
/// licence numbers, one per line, sets their stocktake day (棚卸日の一括更新); numbers not in
/// the ledger are listed. The encoding is guessed as the wizard does.
pub async fn stocktake(
    State(state): State<AppState>,
    user: ConsoleUser,
    origin: Origin,
    multipart: Multipart,
) -> Response {
    use crate::assets::stocktake::Ledger;
    let result = async {
        let too_large = format!("a file of numbers is at most {MAX_STOCKTAKE_BYTES} bytes");
        let upload = small_upload(multipart, (MAX_STOCKTAKE_BYTES, too_large)).await?;
        if let Some(refusal) = user.csrf_refusal(upload.form.get("csrf")) {
            return Ok(Err(refusal));
        }
        let (bytes, on) = (upload.file, upload.form.get("on").to_string());
        let ledger = upload.form.get("ledger");
        let (ledger, label) = match ledger {
            "licences" => (Ledger::Licences, user.m().licence_list),
            _ => (Ledger::Assets, user.m().hardware_assets),
        };
        let encoding = staged::guess_encoding_of(&bytes);
        let outcome = crate::assets::stocktake::by_numbers(
            &state,
            &user.actor,
            &origin,
            (ledger, &on),
            (&bytes, encoding),
        )
        .await?;
        Ok(Ok((label, on, outcome)))
    }
    .await;
    match result {
        Ok(Ok((ledger, on, outcome))) => render(&StocktakeResultPage {
            lang: user.lang,
            m: user.m(),
            nav: Some(Nav::new(&user, "assets")),
            ledger,
            on,
            outcome,
        }),
        Ok(Err(refusal)) => refusal,
        Err(AppError::Invalid { message, .. }) => {
            match imports_page(&state, &user, Kind::Assets, message).await {
                Ok(page) => (StatusCode::BAD_REQUEST, render(&page)).into_response(),
                Err(error) => app_error_page(user.lang, &error),
            }
        }
        Err(error) => app_error_page(user.lang, &error),
    }
}
