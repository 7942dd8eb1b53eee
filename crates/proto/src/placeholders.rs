//! Identifiers firmware vendors ship unfilled. Many unrelated machines report them, so the
//! agent drops them from its inventory and the server never matches devices on them.

/// Placeholder DMI values (serials, UUIDs, product and vendor strings), lowercase.
pub const DMI_PLACEHOLDERS: &[&str] = &[
    "to be filled by o.e.m.",
    "to be filled by oem",
    "default string",
    "system serial number",
    "system product name",
    "system manufacturer",
    "system version",
    "chassis serial number",
    "base board serial number",
    "not specified",
    "not applicable",
    "not available",
    "none",
    "null",
    "n/a",
    "na",
    "oem",
    "o.e.m.",
    "invalid",
    "unknown",
    "serial",
    "empty",
    "system_serial",
    "0123456789",
    "123456789",
    "1234567890",
    "03000200-0400-0500-0006-000700080009",
    "12345678-1234-5678-90ab-cddeefaabbcc",
];

/// Whether a DMI value says nothing about the machine: a known placeholder, blank, or one
/// character repeated (`00000000`, `FFFFFFFF-FFFF-…`).
pub fn is_placeholder(value: &str) -> bool {
    let lower = value.trim().to_ascii_lowercase();
    if DMI_PLACEHOLDERS.contains(&lower.as_str()) {
        return true;
    }
    let mut significant = lower
        .chars()
        .filter(|c| !matches!(c, '-' | ':' | ' ' | '.'));
    match significant.next() {
        Some(first) => significant.all(|c| c == first),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::is_placeholder;

    #[test]
    fn placeholders() {
        for value in [
            "To be filled by O.E.M.",
            "Default string",
            "0",
            "00000000",
            " ",
            "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
        ] {
            assert!(is_placeholder(value), "{value}");
        }
        for value in [
            "PF3ABC12",
            "4C4C4544-0042-3510-8052-B7C04F4E4B32",
            "FUJITSU",
        ] {
            assert!(!is_placeholder(value), "{value}");
        }
    }
}
