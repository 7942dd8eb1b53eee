//! The asset list's query string, shared by the REST API, the console, CSV links and saved
//! filters (list `assets`), like the device list's; conditions on custom values are
//! `custom.<field id>` (see `fields::query`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::assets::hardware::model::{AssetFilter, AssetSort};
use crate::core::error::AppError;
use crate::core::query::{given, instant};

/// Longest text of one condition.
const MAX_CONDITION_CHARS: usize = 255;

/// The asset list's query parameters; every field is text as a form sends it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct AssetQuery {
    /// Status id.
    pub status: Option<String>,
    /// Planned status id, or `any` for every asset with a planned change.
    pub planned_status: Option<String>,
    /// Device type id.
    #[serde(rename = "type")]
    pub type_id: Option<String>,
    /// Asset number contains.
    pub asset_number: Option<String>,
    /// Name contains.
    pub name: Option<String>,
    /// User name, account or e-mail contains.
    pub user: Option<String>,
    /// Host name contains.
    pub hostname: Option<String>,
    /// Exact serial number.
    pub serial: Option<String>,
    /// Exact IP address.
    pub ip_address: Option<String>,
    /// Exact MAC address.
    pub mac_address: Option<String>,
    /// Registered on or after this day (reader's zone) or instant.
    pub registered_after: Option<String>,
    /// Registered before this day or instant.
    pub registered_before: Option<String>,
    /// Last stocktake before this day, or never stocktaken.
    pub stocktaken_before: Option<String>,
    /// Last stocktake on or after this day.
    pub stocktaken_after: Option<String>,
    /// Planned change due on or before this day.
    pub planned_before: Option<String>,
    /// `yes`: with a device record; `no`: without.
    pub linked: Option<String>,
    /// Department id (subtree) or `none` (Unknown).
    pub department: Option<String>,
    /// Location id (subtree) or `none` (Unknown).
    pub location: Option<String>,
    /// Sort column.
    pub sort: Option<String>,
    /// `asc` or `desc`.
    pub order: Option<String>,
    /// Page size.
    pub limit: Option<String>,
    /// Where the page starts.
    pub cursor: Option<String>,
    /// Export only: encoding.
    pub encoding: Option<String>,
    /// Export only: header and value language.
    pub lang: Option<String>,
    /// `custom.<field id>` conditions on custom values (see `fields::query`); other
    /// parameters the list does not know land here too and are ignored.
    #[serde(flatten)]
    pub custom: BTreeMap<String, String>,
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

fn id(field: &str, value: &Option<String>) -> Result<Option<i64>, AppError> {
    given(value)
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| AppError::invalid(field, format!("{field} must be an id")))
        })
        .transpose()
}

fn place(field: &str, value: &Option<String>) -> Result<Option<Option<i64>>, AppError> {
    match given(value) {
        None => Ok(None),
        Some("none") => Ok(Some(None)),
        Some(v) => Ok(Some(Some(v.parse::<i64>().map_err(|_| {
            AppError::invalid(field, format!("{field} must be an id or none"))
        })?))),
    }
}

fn day_of(field: &str, value: &Option<String>) -> Result<Option<String>, AppError> {
    given(value)
        .map(|v| crate::assets::values::day(field, v))
        .transpose()
}

impl AssetQuery {
    /// The conditions, with days read in `tz`.
    ///
    /// # Errors
    /// 400 naming the first invalid condition.
    pub fn filter(&self, tz: &jiff::tz::TimeZone) -> Result<AssetFilter, AppError> {
        let (planned, planned_status) = match given(&self.planned_status) {
            Some("any") => (Some(true), None),
            Some("none") => (Some(false), None),
            _ => (None, id("planned_status", &self.planned_status)?),
        };
        let linked = match given(&self.linked) {
            None => None,
            Some("yes") => Some(true),
            Some("no") => Some(false),
            Some(_) => return Err(AppError::invalid("linked", "linked must be yes or no")),
        };
        let mac_address = text("mac_address", &self.mac_address)?
            .map(|mac| crate::assets::hardware::service::normalize_mac(&mac));
        // Their form only; the service checks them against the fields.
        crate::assets::fields::query::parse(&self.custom)?;
        Ok(AssetFilter {
            status: id("status", &self.status)?,
            planned_status,
            planned,
            type_id: id("type", &self.type_id)?,
            asset_number: text("asset_number", &self.asset_number)?,
            name: text("name", &self.name)?,
            user: text("user", &self.user)?,
            hostname: text("hostname", &self.hostname)?,
            serial: text("serial", &self.serial)?,
            ip_address: text("ip_address", &self.ip_address)?,
            mac_address,
            registered_after: given(&self.registered_after)
                .map(|v| instant("registered_after", v, tz))
                .transpose()?,
            registered_before: given(&self.registered_before)
                .map(|v| instant("registered_before", v, tz))
                .transpose()?,
            stocktaken_before: day_of("stocktaken_before", &self.stocktaken_before)?,
            stocktaken_after: day_of("stocktaken_after", &self.stocktaken_after)?,
            planned_before: day_of("planned_before", &self.planned_before)?,
            linked,
            department: place("department", &self.department)?,
            location: place("location", &self.location)?,
            ..AssetFilter::default()
        })
    }

    /// The sort column and whether it descends.
    ///
    /// # Errors
    /// 400 for an unknown column or order.
    pub fn sort(&self) -> Result<(AssetSort, bool), AppError> {
        let sort = match given(&self.sort) {
            None => AssetSort::Id,
            Some(name) => AssetSort::parse(name)
                .ok_or_else(|| AppError::invalid("sort", format!("cannot sort by {name:?}")))?,
        };
        let descending = match given(&self.order) {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(_) => return Err(AppError::invalid("order", "order must be asc or desc")),
        };
        Ok((sort, descending))
    }

    /// The page size asked for.
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

    /// The given conditions as `(name, value)` pairs, in link order (custom ones last).
    pub fn filter_pairs(&self) -> Vec<(&str, &str)> {
        let mut pairs = crate::core::query::pairs(&[
            ("status", &self.status),
            ("planned_status", &self.planned_status),
            ("type", &self.type_id),
            ("asset_number", &self.asset_number),
            ("name", &self.name),
            ("user", &self.user),
            ("hostname", &self.hostname),
            ("serial", &self.serial),
            ("ip_address", &self.ip_address),
            ("mac_address", &self.mac_address),
            ("registered_after", &self.registered_after),
            ("registered_before", &self.registered_before),
            ("stocktaken_before", &self.stocktaken_before),
            ("stocktaken_after", &self.stocktaken_after),
            ("planned_before", &self.planned_before),
            ("linked", &self.linked),
            ("department", &self.department),
            ("location", &self.location),
        ]);
        pairs.extend(crate::assets::fields::query::pairs(&self.custom));
        pairs
    }

    /// The conditions alone as a query string (what a saved filter keeps).
    pub fn filter_string(&self) -> String {
        crate::core::query::encode(&self.filter_pairs())
    }
}

#[cfg(test)]
mod tests {
    use super::AssetQuery;

    fn query(pairs: &str) -> AssetQuery {
        serde_urlencoded::from_str(pairs).expect("query")
    }

    #[test]
    fn conditions_parse_and_round_trip() {
        let q = query("status=2&planned_status=any&type=&department=none&stocktaken_before=2026-04-01&mac_address=AA-bb-CC-00-11-22");
        let filter = q.filter(&jiff::tz::TimeZone::UTC).expect("filter");
        assert_eq!(filter.status, Some(2));
        assert_eq!(filter.planned, Some(true));
        assert_eq!(filter.department, Some(None));
        assert_eq!(filter.stocktaken_before.as_deref(), Some("2026-04-01"));
        assert_eq!(filter.mac_address.as_deref(), Some("aa:bb:cc:00:11:22"));
        assert_eq!(
            q.filter_string(),
            "status=2&planned_status=any&mac_address=AA-bb-CC-00-11-22&stocktaken_before=2026-04-01&department=none"
        );
    }

    #[test]
    fn custom_conditions_are_kept_in_links() {
        let q = query("custom.12=L-7&status=2&custom.3=&unknown=x");
        assert!(q.filter(&jiff::tz::TimeZone::UTC).is_ok());
        assert_eq!(q.filter_string(), "status=2&custom.12=L-7");
        let bad = query("custom.x=1");
        assert!(format!("{:?}", bad.filter(&jiff::tz::TimeZone::UTC)).contains("custom.x"));
    }

    #[test]
    fn bad_values_name_their_field() {
        for (pairs, field) in [
            ("status=in_use", "status"),
            ("stocktaken_before=April", "stocktaken_before"),
            ("linked=maybe", "linked"),
            ("location=x", "location"),
            ("name=a%01b", "name"),
            ("sort=price", "sort"),
        ] {
            let q = query(pairs);
            let error = q
                .filter(&jiff::tz::TimeZone::UTC)
                .and_then(|_| q.sort())
                .expect_err(pairs);
            assert!(format!("{error:?}").contains(field), "{pairs}: {error:?}");
        }
    }
}
