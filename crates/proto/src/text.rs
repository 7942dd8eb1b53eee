//! [`Text`]: the only string type on the wire.

use std::fmt;
use std::ops::Deref;

use compact_str::CompactString;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::limits::MAX_TEXT_BYTES;

/// A string that is at most [`MAX_TEXT_BYTES`] long and holds no control characters other
/// than tab. Checked during deserialization, so bad input never reaches the server's model.
///
/// Held inline up to 24 bytes: a first inventory carries thousands of short names, versions
/// and architectures, and decoding them into heap strings was a large part of its cost.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(CompactString);

/// Why a string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Longer than [`MAX_TEXT_BYTES`].
    #[error("string of {0} bytes is longer than the limit of {MAX_TEXT_BYTES}")]
    TooLong(usize),
    /// Holds a control character.
    #[error("control character U+{0:04X} is not allowed")]
    Control(u32),
}

impl Text {
    /// Checks `value` against the wire rules.
    ///
    /// # Errors
    /// [`TextError`] when the value is too long or holds a control character.
    pub fn new(value: impl Into<CompactString>) -> Result<Text, TextError> {
        let value = value.into();
        if value.len() > MAX_TEXT_BYTES {
            return Err(TextError::TooLong(value.len()));
        }
        if let Some(c) = forbidden_char(&value) {
            return Err(TextError::Control(c as u32));
        }
        Ok(Text(value))
    }

    /// Builds a `Text` from anything a collector read, replacing control characters by spaces
    /// and cutting it at the length limit on a character boundary. Collectors use this so a
    /// strange file on the endpoint never makes the whole inventory unacceptable.
    pub fn sanitize(value: &str) -> Text {
        let mut out: CompactString = value
            .trim()
            .chars()
            .map(|c| if is_forbidden(c) { ' ' } else { c })
            .collect();
        if out.len() > MAX_TEXT_BYTES {
            let mut end = MAX_TEXT_BYTES;
            while !out.is_char_boundary(end) {
                end -= 1;
            }
            out.truncate(end);
        }
        Text(out)
    }

    /// The value as a `&str`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value as an owned `String`.
    pub fn into_string(self) -> String {
        self.0.into_string()
    }
}

/// The first forbidden character of `value`. Every forbidden character's UTF-8 encoding
/// starts with a byte below 0x20, 0x7F, 0xC2 (U+0080–U+009F) or 0xE2 (U+2028, U+2029), so
/// a byte scan, which the compiler vectorizes, clears most strings without decoding them.
fn forbidden_char(value: &str) -> Option<char> {
    // A fold without early exit, so the compiler can vectorize it.
    let suspect = value.bytes().fold(false, |found, b| {
        found | ((b < 0x20) & (b != b'\t')) | (b == 0x7f) | (b == 0xc2) | (b == 0xe2)
    });
    if !suspect {
        return None;
    }
    value.chars().find(|c| is_forbidden(*c))
}

fn is_forbidden(c: char) -> bool {
    (c.is_control() && c != '\t') || c == '\u{2028}' || c == '\u{2029}'
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Text {
    fn from(value: &str) -> Text {
        Text::sanitize(value)
    }
}

impl From<String> for Text {
    fn from(value: String) -> Text {
        Text::sanitize(&value)
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Text, D::Error> {
        let value = CompactString::deserialize(deserializer)?;
        Text::new(value).map_err(serde::de::Error::custom)
    }
}

/// `deserialize_with` helper that refuses lists longer than `N` before they are built in full.
///
/// # Errors
/// A serde error naming the limit when the list is longer.
pub fn capped_vec<'de, D, T, const N: usize>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct CappedVisitor<T, const N: usize>(std::marker::PhantomData<T>);

    impl<'de, T: Deserialize<'de>, const N: usize> serde::de::Visitor<'de> for CappedVisitor<T, N> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "a list of at most {N} entries")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(N).min(4096));
            while let Some(item) = seq.next_element()? {
                if out.len() == N {
                    return Err(serde::de::Error::custom(format!(
                        "list has more than the limit of {N} entries"
                    )));
                }
                out.push(item);
            }
            Ok(out)
        }
    }

    deserializer.deserialize_seq(CappedVisitor::<T, N>(std::marker::PhantomData))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, ok: bool) {
        assert_eq!(Text::new(input).is_ok(), ok, "{input:?}");
    }

    #[test]
    fn accepts_plain_and_japanese_text() {
        check("openssh-server", true);
        check("経理課 PC\t2", true);
    }

    #[test]
    fn refuses_controls_and_long_text() {
        check("a\u{0}b", false);
        check("line\nbreak", false);
        check("esc\u{1b}[31m", false);
        check("c1\u{85}", false);
        check(&"x".repeat(MAX_TEXT_BYTES + 1), false);
        check(&"x".repeat(MAX_TEXT_BYTES), true);
    }

    #[test]
    fn the_byte_scan_only_narrows_the_search() {
        // Forbidden: DEL, the last C1 control, the line and paragraph separators.
        for bad in ["a\u{7f}", "\u{9f}", "x\u{2028}y", "\u{2029}"] {
            check(bad, false);
        }
        // Allowed, though their encodings start with the bytes the scan stops at: a
        // no-break space (C2 A0), the euro sign (E2 82 AC), an en dash (E2 80 93).
        for good in ["\u{a0}", "€ 100", "2020–2024", "é", "経理"] {
            check(good, true);
        }
    }

    #[test]
    fn sanitize_cuts_on_char_boundary() {
        let long = "あ".repeat(MAX_TEXT_BYTES);
        let text = Text::sanitize(&long);
        assert!(text.len() <= MAX_TEXT_BYTES);
        assert!(Text::new(text.as_str()).is_ok());
        assert_eq!(Text::sanitize(" a\nb ").as_str(), "a b");
    }
}
