//! The event list's query string, shared by the REST API, the console's list and CSV links
//! and saved filters.

use serde::{Deserialize, Serialize};

use crate::core::error::AppError;
use crate::core::query::{given, instant};
use crate::events::store::EventFilter;

/// The event list's query parameters (text as it arrives; empty means no condition).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct EventQuery {
    /// `emergency`, `alert` or `info`.
    pub severity: Option<String>,
    /// An event type (catalogue code).
    pub code: Option<String>,
    /// One device's events.
    pub device_id: Option<String>,
    /// The device's host name contains.
    pub hostname: Option<String>,
    /// `yes` (confirmed) or `no` (unconfirmed).
    pub confirmed: Option<String>,
    /// From this day (`YYYY-MM-DD` in the reader's zone), instant (RFC 3339) or Unix ms.
    pub since: Option<String>,
    /// Before this day, instant or Unix ms.
    pub until: Option<String>,
    /// Where the page starts (the last id of the previous page).
    pub cursor: Option<String>,
    /// Page size.
    pub limit: Option<String>,
    /// Message language, `ja` or `en`.
    pub lang: Option<String>,
    /// Export only: `utf-8`, `utf-8-bom`, `shift_jis`, `utf-16le`.
    pub encoding: Option<String>,
}

fn number(field: &str, value: &Option<String>) -> Result<Option<i64>, AppError> {
    given(value)
        .map(|text| {
            text.parse()
                .map_err(|_| AppError::invalid(field, format!("{field} must be a number")))
        })
        .transpose()
}

impl EventQuery {
    /// The conditions, with days read in `tz`.
    ///
    /// # Errors
    /// 400 naming the first invalid condition.
    pub fn filter(&self, tz: &jiff::tz::TimeZone) -> Result<EventFilter, AppError> {
        let severity = match given(&self.severity) {
            None => None,
            Some(s @ ("emergency" | "alert" | "info")) => Some(s.to_string()),
            Some(_) => {
                return Err(AppError::invalid(
                    "severity",
                    "severity must be emergency, alert or info",
                ))
            }
        };
        let confirmed = match given(&self.confirmed) {
            None => None,
            Some("yes" | "true") => Some(true),
            Some("no" | "false") => Some(false),
            Some(_) => {
                return Err(AppError::invalid(
                    "confirmed",
                    "confirmed must be yes or no",
                ))
            }
        };
        let hostname = match given(&self.hostname) {
            None => None,
            Some(text) => {
                crate::core::extract::check_plain_text("hostname", text, 255)?;
                Some(text.to_string())
            }
        };
        Ok(EventFilter {
            code: number("code", &self.code)?,
            severity,
            device_id: number("device_id", &self.device_id)?,
            since: given(&self.since)
                .map(|v| instant("since", v, tz))
                .transpose()?,
            until: given(&self.until)
                .map(|v| instant("until", v, tz))
                .transpose()?,
            confirmed,
            hostname,
            before_id: number("cursor", &self.cursor)?,
            departments: None,
        })
    }

    /// The page size asked for, if any.
    ///
    /// # Errors
    /// 400 when it is not a number.
    pub fn limit(&self) -> Result<Option<u32>, AppError> {
        Ok(number("limit", &self.limit)?.map(|n| n.clamp(0, i64::from(u32::MAX)) as u32))
    }

    /// The given filter conditions as `(name, value)` pairs in the order links write them.
    pub fn filter_pairs(&self) -> Vec<(&'static str, &str)> {
        crate::core::query::pairs(&[
            ("severity", &self.severity),
            ("code", &self.code),
            ("device_id", &self.device_id),
            ("hostname", &self.hostname),
            ("confirmed", &self.confirmed),
            ("since", &self.since),
            ("until", &self.until),
        ])
    }

    /// The filter conditions alone as a query string (what a saved filter keeps).
    pub fn filter_string(&self) -> String {
        crate::core::query::encode(&self.filter_pairs())
    }
}

#[cfg(test)]
mod tests {
    use super::EventQuery;

    fn query(pairs: &str) -> EventQuery {
        serde_urlencoded::from_str(pairs).expect("query")
    }

    #[test]
    fn conditions_parse_and_name_bad_fields() {
        let tokyo = jiff::tz::TimeZone::get("Asia/Tokyo").expect("zone");
        let filter =
            query("severity=alert&confirmed=no&since=2026-11-01&until=1793577600000&code=4")
                .filter(&tokyo)
                .expect("filter");
        assert_eq!(filter.severity.as_deref(), Some("alert"));
        assert_eq!(filter.confirmed, Some(false));
        assert_eq!(filter.since, Some(1_793_458_800_000));
        assert_eq!(filter.until, Some(1_793_577_600_000));
        assert_eq!(filter.code, Some(4));
        for (pairs, field) in [
            ("severity=fatal", "severity"),
            ("confirmed=maybe", "confirmed"),
            ("since=soon", "since"),
            ("code=x", "code"),
            ("cursor=x", "cursor"),
        ] {
            let error = query(pairs).filter(&tokyo).expect_err(pairs);
            assert!(format!("{error:?}").contains(field), "{pairs}: {error:?}");
        }
        assert_eq!(
            query("severity=&code=4&hostname=pc").filter_string(),
            "code=4&hostname=pc"
        );
    }
}
