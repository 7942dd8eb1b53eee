//! The audit log screen (監査ログ), for system administrators: conditions, paging, CSV
//! export. Entries are never edited or deleted through the product.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::audit::model::Origin;
use crate::audit::model::{Category, Object, Op, Outcome};
use crate::audit::query::AuditQuery;
use crate::audit::store;
use crate::console::i18n::{Lang, Msgs};
use crate::console::pages::Nav;
use crate::console::web::{app_error_page, render, ConsoleUser};

/// Page sizes offered.
const PAGE_SIZES: [u32; 4] = [100, 250, 500, 1000];

/// One entry as listed.
pub struct Row {
    id: i64,
    time: String,
    category: &'static str,
    op: String,
    object: String,
    object_id: String,
    result: String,
    result_label: &'static str,
    login: String,
    ip: String,
    component: String,
    detail: String,
}

/// The audit log page.
#[derive(Template)]
#[template(path = "audit.html")]
pub struct AuditPage {
    lang: Lang,
    m: &'static Msgs,
    nav: Option<Nav>,
    query: AuditQuery,
    rows: Vec<Row>,
    categories: Vec<(&'static str, &'static str)>,
    ops: Vec<(&'static str, &'static str)>,
    objects: Vec<(&'static str, &'static str)>,
    results: Vec<(&'static str, &'static str)>,
    limit: u32,
    page_sizes: [u32; 4],
    next: Option<String>,
    error: Option<String>,
}

impl AuditPage {
    fn url(&self, path: &str, cursor: Option<&str>) -> String {
        crate::core::query::list_url(path, &self.query.filter_pairs(), self.limit, cursor)
    }

    /// This list as a CSV file in `encoding`.
    pub fn csv_link(&self, encoding: &str) -> String {
        format!("{}&encoding={encoding}", self.url("/audit.csv", None))
    }

    /// The first page.
    pub fn first_link(&self) -> String {
        self.url("/audit", None)
    }

    fn value<'a>(&self, field: &'a Option<String>) -> &'a str {
        field.as_deref().unwrap_or("")
    }
}

/// `GET /audit`.
pub async fn list(
    State(state): State<AppState>,
    user: ConsoleUser,
    Query(query): Query<AuditQuery>,
) -> Response {
    if let Err(error) = user.actor.require_system_admin() {
        return app_error_page(user.lang, &error);
    }
    let m = user.m();
    let limit = query
        .limit()
        .ok()
        .flatten()
        .filter(|size| PAGE_SIZES.contains(size))
        .unwrap_or(250);
    let mut page = AuditPage {
        lang: user.lang,
        m,
        nav: Some(Nav::new(&user, "audit")),
        query: query.clone(),
        rows: Vec::new(),
        categories: Category::ALL
            .iter()
            .map(|c| (c.as_str(), m.audit_category_label(c.as_str())))
            .collect(),
        ops: Op::ALL
            .iter()
            .map(|o| (o.as_str(), m.audit_op_label(o.as_str())))
            .collect(),
        objects: Object::ALL
            .iter()
            .map(|o| (o.as_str(), m.audit_object_label(o.as_str())))
            .collect(),
        results: Outcome::ALL
            .iter()
            .map(|r| (r.as_str(), m.audit_result_label(r.as_str())))
            .collect(),
        limit,
        page_sizes: PAGE_SIZES,
        next: None,
        error: None,
    };
    let entries = match (query.filter(&user.tz), query.cursor()) {
        (Ok(filter), Ok(cursor)) => store::list(&state.db, &filter, cursor, limit)
            .await
            .map_err(Into::into),
        (Err(error), _) | (_, Err(error)) => Err(error),
    };
    let entries = match entries {
        Ok(entries) => entries,
        Err(crate::core::error::AppError::Invalid { message, .. }) => {
            page.error = Some(message);
            return (StatusCode::BAD_REQUEST, render(&page)).into_response();
        }
        Err(error) => return app_error_page(user.lang, &error),
    };
    if entries.len() == limit as usize {
        let last = entries.last().map(|e| e.id.to_string());
        page.next = last.map(|cursor| page.url("/audit", Some(&cursor)));
    }
    page.rows = entries
        .into_iter()
        .map(|e| Row {
            id: e.id,
            time: user.time(e.at),
            category: m.audit_category_label(&e.category),
            result_label: m.audit_result_label(&e.result),
            op: m.audit_op_label(&e.op).to_string(),
            object: m.audit_object_label(&e.object).to_string(),
            object_id: e.object_id,
            result: e.result,
            login: e.login,
            ip: e.ip,
            component: m.audit_component_label(&e.component).to_string(),
            detail: if e.detail.as_object().is_some_and(|d| d.is_empty()) {
                String::new()
            } else {
                e.detail.to_string()
            },
        })
        .collect();
    render(&page)
}

/// `GET /audit.csv`.
pub async fn export(
    State(state): State<AppState>,
    user: ConsoleUser,
    origin: Origin,
    Query(query): Query<AuditQuery>,
) -> Response {
    let result = async {
        let encoding = crate::core::csv::CsvEncoding::requested(query.encoding.as_deref())?;
        let filter = query.filter(&user.tz)?;
        crate::audit::api::export_response(
            &state,
            user.actor.clone(),
            &origin,
            filter,
            encoding,
            user.lang,
        )
        .await
    }
    .await;
    result.unwrap_or_else(|error| app_error_page(user.lang, &error))
}
