//! The audit log's query string, shared by the REST API, the console screen and its CSV
//! links.

use serde::{Deserialize, Serialize};

use crate::audit::model::{Category, Object, Op, Outcome};
use crate::audit::store::AuditFilter;
use crate::core::error::AppError;
use crate::core::query::{given, instant};

/// The audit log's query parameters (text as it arrives; empty means no condition).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct AuditQuery {
    /// Category name (`Authentication`, …).
    pub category: Option<String>,
    /// Operation name (`Login`, …).
    pub op: Option<String>,
    /// Object type name (`User`, …).
    pub object: Option<String>,
    /// Result name (`Success`, `Failure`, `Occurrence`).
    pub result: Option<String>,
    /// Acting login, exact.
    pub login: Option<String>,
    /// From this day (`YYYY-MM-DD` in the reader's zone), RFC 3339 instant or Unix ms.
    pub since: Option<String>,
    /// Before this day, instant or Unix ms.
    pub until: Option<String>,
    /// The last id of the previous page.
    pub cursor: Option<String>,
    /// Page size.
    pub limit: Option<String>,
    /// Export only: `utf-8`, `utf-8-bom`, `shift_jis`, `utf-16le`.
    pub encoding: Option<String>,
}

fn named<T>(
    field: &str,
    value: &Option<String>,
    parse: fn(&str) -> Option<T>,
) -> Result<Option<String>, AppError> {
    match given(value) {
        None => Ok(None),
        Some(name) => parse(name)
            .map(|_| Some(name.to_string()))
            .ok_or_else(|| AppError::invalid(field, format!("unknown {field} {name:?}"))),
    }
}

impl AuditQuery {
    /// The conditions, with days read in `tz`.
    ///
    /// # Errors
    /// 400 naming the first invalid condition.
    pub fn filter(&self, tz: &jiff::tz::TimeZone) -> Result<AuditFilter, AppError> {
        let login = match given(&self.login) {
            None => None,
            Some(login) => {
                crate::core::extract::check_plain_text("login", login, 255)?;
                Some(login.to_string())
            }
        };
        Ok(AuditFilter {
            category: named("category", &self.category, Category::parse)?,
            op: named("op", &self.op, Op::parse)?,
            object: named("object", &self.object, Object::parse)?,
            result: named("result", &self.result, Outcome::parse)?,
            login,
            since: given(&self.since)
                .map(|v| instant("since", v, tz))
                .transpose()?,
            until: given(&self.until)
                .map(|v| instant("until", v, tz))
                .transpose()?,
        })
    }

    /// The id the page starts below.
    ///
    /// # Errors
    /// 400 when it is not a number.
    pub fn cursor(&self) -> Result<Option<i64>, AppError> {
        given(&self.cursor)
            .map(|c| {
                c.parse()
                    .map_err(|_| AppError::invalid("cursor", "cursor must be a number"))
            })
            .transpose()
    }

    /// The page size asked for.
    ///
    /// # Errors
    /// 400 when it is not a number.
    pub fn limit(&self) -> Result<Option<u32>, AppError> {
        given(&self.limit)
            .map(|c| {
                c.parse()
                    .map_err(|_| AppError::invalid("limit", "limit must be a number"))
            })
            .transpose()
    }

    /// The given conditions as `(name, value)` pairs.
    pub fn filter_pairs(&self) -> Vec<(&'static str, &str)> {
        crate::core::query::pairs(&[
            ("category", &self.category),
            ("op", &self.op),
            ("object", &self.object),
            ("result", &self.result),
            ("login", &self.login),
            ("since", &self.since),
            ("until", &self.until),
        ])
    }
}
