//! Time as the database stores it: milliseconds since the Unix epoch, on both backends.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or(0)
}

/// Parses a duration such as `30m`, `12h`, `7d`, `90s` or a bare number of seconds.
///
/// # Errors
/// A message naming the accepted forms.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("invalid duration {text:?}: expected a number with s, m, h or d"))?;
    let seconds = match unit {
        "" | "s" => number,
        "m" => number * 60,
        "h" => number * 3600,
        "d" => number * 86_400,
        _ => {
            return Err(format!(
                "invalid duration {text:?}: unit must be s, m, h or d"
            ))
        }
    };
    Ok(std::time::Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Option<u64>) {
        assert_eq!(
            parse_duration(input).ok().map(|d| d.as_secs()),
            expected,
            "{input}"
        );
    }

    #[test]
    fn parses_durations() {
        check("90", Some(90));
        check("30m", Some(1800));
        check("12h", Some(43_200));
        check("7d", Some(604_800));
        check("7w", None);
        check("", None);
        check("h", None);
    }
}
