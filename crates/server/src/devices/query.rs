//! The device list's query string, shared by the REST API, the console's list and CSV links
//! and saved filters, so a condition means the same everywhere and a saved filter is just
//! the query it was saved from.
//!
//! Every field is text as it arrives (a console form sends empty fields); [`DeviceQuery::filter`]
//! validates and names the field of the first bad value.

use serde::{Deserialize, Serialize};

use crate::core::error::AppError;
use crate::core::query::{given, instant};
use crate::devices::addresses;
use crate::devices::model::{DeviceFilter, DeviceState, SortKey};

/// Longest text of one condition.
const MAX_CONDITION_CHARS: usize = 255;

/// The device list's query parameters.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct DeviceQuery {
    /// `discovered`, `managed` or `excluded`.
    pub state: Option<String>,
    /// Host name contains.
    pub hostname: Option<String>,
    /// OS name or version contains.
    pub os: Option<String>,
    /// An IP address or a CIDR block (`192.0.2.0/24`, `2001:db8::/32`).
    pub ip: Option<String>,
    /// A MAC address (`:` or `-` separated, any case).
    pub mac: Option<String>,
    /// Exact serial number.
    pub serial: Option<String>,
    /// Exact name of software that is installed.
    pub software: Option<String>,
    /// Exact name of software that is not installed.
    pub no_software: Option<String>,
    /// Last contact on or after this day (`YYYY-MM-DD` in the reader's time zone) or instant
    /// (RFC 3339).
    pub seen_after: Option<String>,
    /// Last contact before this day or instant.
    pub seen_before: Option<String>,
    /// Not seen for more than this many days (relative, so a saved filter stays current).
    pub unseen_days: Option<String>,
    /// A department id (its whole subtree), or `none` for devices without a department.
    pub department: Option<String>,
    /// A location id (its whole subtree), or `none` for devices without a location.
    pub location: Option<String>,
    /// Sort column (see [`SortKey`]).
    pub sort: Option<String>,
    /// `asc` or `desc`.
    pub order: Option<String>,
    /// Page size.
    pub limit: Option<String>,
    /// Where the page starts (from the previous page).
    pub cursor: Option<String>,
    /// Export only: `utf-8`, `utf-8-bom`, `shift_jis`, `utf-16le`.
    pub encoding: Option<String>,
    /// Export only: header language, `ja` or `en`.
    pub lang: Option<String>,
}

fn text(field: &str, value: &Option<String>) -> Result<Option<String>, AppError> {
    match given(value) {
        None => Ok(None),
        Some(value) => {
            crate::core::extract::check_plain_text(field, value, MAX_CONDITION_CHARS)?;
            Ok(Some(value.to_string()))
        }
    }
}

impl DeviceQuery {
    /// The query's conditions, with days read in `tz` and "not seen for N days" counted back
    /// from `now_ms`.
    ///
    /// # Errors
    /// 400 naming the first invalid condition.
    pub fn filter(&self, tz: &jiff::tz::TimeZone, now_ms: i64) -> Result<DeviceFilter, AppError> {
        let state = match given(&self.state) {
            None => None,
            Some(name) => Some(DeviceState::parse(name).ok_or_else(|| {
                AppError::invalid("state", "state must be discovered, managed or excluded")
            })?),
        };
        let ip_range = match given(&self.ip) {
            None => None,
            Some(ip) => Some(addresses::key_range(ip).ok_or_else(|| {
                AppError::invalid(
                    "ip",
                    "ip must be an IP address or a CIDR block such as 192.0.2.0/24",
                )
            })?),
        };
        let seen_after = given(&self.seen_after)
            .map(|value| instant("seen_after", value, tz))
            .transpose()?;
        let mut seen_before = given(&self.seen_before)
            .map(|value| instant("seen_before", value, tz))
            .transpose()?;
        if let Some(days) = given(&self.unseen_days) {
            let days: i64 = days
                .parse()
                .ok()
                .filter(|days| (0..=36_500).contains(days))
                .ok_or_else(|| {
                    AppError::invalid("unseen_days", "unseen_days must be 0 to 36500")
                })?;
            let cutoff = now_ms - days * 86_400_000;
            seen_before = Some(seen_before.map_or(cutoff, |before| before.min(cutoff)));
        }
        let department = match given(&self.department) {
            None => None,
            Some("none") => Some(None),
            Some(id) => Some(Some(id.parse::<i64>().map_err(|_| {
                AppError::invalid("department", "department must be an id or none")
            })?)),
        };
        let location = match given(&self.location) {
            None => None,
            Some("none") => Some(None),
            Some(id) => Some(Some(id.parse::<i64>().map_err(|_| {
                AppError::invalid("location", "location must be an id or none")
            })?)),
        };
        Ok(DeviceFilter {
            location,
            in_locations: None,
            state,
            hostname: text("hostname", &self.hostname)?,
            os: text("os", &self.os)?,
            ip_range,
            mac: text("mac", &self.mac)?,
            serial: text("serial", &self.serial)?,
            software: text("software", &self.software)?,
            software_absent: text("no_software", &self.no_software)?,
            seen_after,
            seen_before,
            department,
            in_departments: None,
            departments: None,
        })
    }

    /// The sort column and whether it descends, `default` when none is given.
    ///
    /// # Errors
    /// 400 for an unknown column or order.
    pub fn sort(&self, default: SortKey) -> Result<(SortKey, bool), AppError> {
        let key = match given(&self.sort) {
            None => default,
            Some(name) => SortKey::parse(name)
                .ok_or_else(|| AppError::invalid("sort", format!("cannot sort by {name:?}")))?,
        };
        let descending = match given(&self.order) {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(_) => return Err(AppError::invalid("order", "order must be asc or desc")),
        };
        Ok((key, descending))
    }

    /// The page size asked for, if any.
    ///
    /// # Errors
    /// 400 when it is not a number.
    pub fn limit(&self) -> Result<Option<u32>, AppError> {
        given(&self.limit)
            .map(|limit| {
                limit
                    .parse()
                    .map_err(|_| AppError::invalid("limit", "limit must be a number"))
            })
            .transpose()
    }

    /// The given filter conditions as `(name, value)` pairs in the order links write them.
    pub fn filter_pairs(&self) -> Vec<(&'static str, &str)> {
        crate::core::query::pairs(&[
            ("state", &self.state),
            ("hostname", &self.hostname),
            ("os", &self.os),
            ("ip", &self.ip),
            ("mac", &self.mac),
            ("serial", &self.serial),
            ("software", &self.software),
            ("no_software", &self.no_software),
            ("seen_after", &self.seen_after),
            ("seen_before", &self.seen_before),
            ("unseen_days", &self.unseen_days),
            ("department", &self.department),
            ("location", &self.location),
        ])
    }

    /// The filter conditions alone as a query string (what a saved filter keeps).
    pub fn filter_string(&self) -> String {
        crate::core::query::encode(&self.filter_pairs())
    }
}

#[cfg(test)]
mod tests {
    use super::DeviceQuery;

    fn query(pairs: &str) -> DeviceQuery {
        serde_urlencoded::from_str(pairs).expect("query")
    }

    #[test]
    fn days_are_read_in_the_readers_zone() {
        let tokyo = jiff::tz::TimeZone::get("Asia/Tokyo").expect("zone");
        let filter = query("seen_after=2026-11-01&seen_before=2026-11-02T00:00:00Z")
            .filter(&tokyo, 0)
            .expect("filter");
        // Midnight in Tokyo is 15:00 UTC the day before.
        assert_eq!(filter.seen_after, Some(1_793_458_800_000));
        assert_eq!(filter.seen_before, Some(1_793_577_600_000));
    }

    #[test]
    fn unseen_days_tighten_seen_before() {
        let utc = jiff::tz::TimeZone::UTC;
        let now = 100 * 86_400_000;
        let filter = query("unseen_days=30").filter(&utc, now).expect("filter");
        assert_eq!(filter.seen_before, Some(70 * 86_400_000));
        let filter = query("unseen_days=30&seen_before=1970-01-02")
            .filter(&utc, now)
            .expect("filter");
        assert_eq!(filter.seen_before, Some(86_400_000));
    }

    #[test]
    fn bad_values_name_their_field() {
        let utc = jiff::tz::TimeZone::UTC;
        for (pairs, field) in [
            ("state=lost", "state"),
            ("ip=10.0.0.0/40", "ip"),
            ("seen_after=yesterday", "seen_after"),
            ("unseen_days=-1", "unseen_days"),
            ("department=sales", "department"),
            ("hostname=a%00b", "hostname"),
        ] {
            let error = query(pairs).filter(&utc, 0).expect_err(pairs);
            assert!(format!("{error:?}").contains(field), "{pairs}: {error:?}");
        }
    }

    #[test]
    fn empty_form_fields_are_no_conditions() {
        let q = query("state=&hostname=+&ip=&software=ms+office&department=none");
        assert_eq!(
            q.filter_pairs(),
            vec![("software", "ms office"), ("department", "none")]
        );
        assert_eq!(q.filter_string(), "software=ms+office&department=none");
        let filter = q.filter(&jiff::tz::TimeZone::UTC, 0).expect("filter");
        assert_eq!(filter.department, Some(None));
        assert!(filter.state.is_none() && filter.ip_range.is_none());
    }
}
