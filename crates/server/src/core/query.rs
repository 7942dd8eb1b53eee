//! Pieces every list's query string shares: text fields as a form sends them (empty means
//! no condition), times typed as days in the reader's zone, instants or Unix ms, and the
//! conditions written back into links.

use crate::core::error::AppError;

/// The trimmed value of a query field, `None` when absent or empty.
pub fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// Unix ms of a day's start in `tz` (`YYYY-MM-DD`), of an RFC 3339 instant, or Unix ms given
/// as digits.
///
/// # Errors
/// 400 naming `field`.
pub fn instant(field: &str, value: &str, tz: &jiff::tz::TimeZone) -> Result<i64, AppError> {
    if let Ok(ms) = value.parse::<i64>() {
        return Ok(ms);
    }
    if let Ok(date) = value.parse::<jiff::civil::Date>() {
        if let Ok(zoned) = date.to_zoned(tz.clone()) {
            return Ok(zoned.timestamp().as_millisecond());
        }
    }
    value
        .parse::<jiff::Timestamp>()
        .map(|at| at.as_millisecond())
        .map_err(|_| {
            AppError::invalid(
                field,
                format!("{field} must be a date (YYYY-MM-DD) or an RFC 3339 time"),
            )
        })
}

/// The given fields among `fields` as `(name, value)` pairs, in order.
pub fn pairs<'a>(fields: &[(&'static str, &'a Option<String>)]) -> Vec<(&'static str, &'a str)> {
    fields
        .iter()
        .filter_map(|(key, value)| given(value).map(|value| (*key, value)))
        .collect()
}

/// `pairs` as a query string.
pub fn encode(pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        query.append_pair(key, value);
    }
    query.finish()
}

/// A list page's link: its conditions, page size and the cursor to start at.
pub fn list_url(
    path: &str,
    conditions: &[(&str, &str)],
    limit: u32,
    cursor: Option<&str>,
) -> String {
    let mut all: Vec<(&str, &str)> = conditions.to_vec();
    let limit = limit.to_string();
    all.push(("limit", &limit));
    if let Some(cursor) = cursor {
        all.push(("cursor", cursor));
    }
    format!("{path}?{}", encode(&all))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_instants_and_ms() {
        let tokyo = jiff::tz::TimeZone::get("Asia/Tokyo").expect("zone");
        assert_eq!(
            instant("f", "2026-11-01", &tokyo).ok(),
            Some(1_793_458_800_000)
        );
        assert_eq!(
            instant("f", "2026-11-02T00:00:00Z", &tokyo).ok(),
            Some(1_793_577_600_000)
        );
        assert_eq!(instant("f", "42", &tokyo).ok(), Some(42));
        assert!(instant("f", "soon", &tokyo).is_err());
    }

    #[test]
    fn links_keep_conditions_in_order() {
        let (a, b) = (Some("x y".to_string()), Some(" ".to_string()));
        let given = pairs(&[("a", &a), ("b", &b)]);
        assert_eq!(given, vec![("a", "x y")]);
        assert_eq!(
            list_url("/l", &given, 250, Some("9")),
            "/l?a=x+y&limit=250&cursor=9"
        );
    }
}
