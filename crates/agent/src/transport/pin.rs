//! [`Pin`]: the SHA-256 of the server's DER end-entity certificate, as the administrator
//! copies it from the console or `openssl x509 -fingerprint -sha256` (colons, any case).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

/// A pinned certificate digest.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Pin([u8; 32]);

/// Why a fingerprint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    /// Not 64 hex digits once colons and whitespace are removed.
    #[error(
        "certificate fingerprint must be 64 hex digits (SHA-256), colons allowed; got {0} digits"
    )]
    Length(usize),
    /// A character that is not a hex digit or a colon.
    #[error("certificate fingerprint holds {0:?}, which is not a hex digit")]
    NotHex(char),
}

impl Pin {
    /// Parses `AB:CD:…`, `abcd…`, or openssl's whole `sha256 Fingerprint=AB:CD:…` line.
    ///
    /// # Errors
    /// [`PinError`] for anything but 32 hex-encoded bytes.
    pub fn parse(text: &str) -> Result<Pin, PinError> {
        let value = text.rsplit_once('=').map_or(text, |(_, value)| value);
        let digits: String = value
            .trim()
            .chars()
            .filter(|c| *c != ':' && !c.is_whitespace())
            .collect();
        if let Some(bad) = digits.chars().find(|c| !c.is_ascii_hexdigit()) {
            return Err(PinError::NotHex(bad));
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(&digits, &mut bytes).map_err(|_| PinError::Length(digits.len()))?;
        Ok(Pin(bytes))
    }

    /// The pin of a DER certificate.
    pub fn of_certificate(der: &[u8]) -> Pin {
        Pin(Sha256::digest(der).into())
    }

    /// Whether `der` is the pinned certificate.
    pub fn matches(&self, der: &[u8]) -> bool {
        Pin::of_certificate(der) == *self
    }
}

impl fmt::Display for Pin {
    /// Lowercase hex with colons, the form `status` prints and `state.json` keeps.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, byte) in self.0.iter().enumerate() {
            if index > 0 {
                f.write_str(":")?;
            }
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pin({self})")
    }
}

impl Serialize for Pin {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Pin {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Pin, D::Error> {
        let text = String::deserialize(deserializer)?;
        Pin::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<&str, PinError>) {
        let actual = Pin::parse(input).map(|pin| pin.to_string());
        assert_eq!(
            actual.as_deref().map_err(Clone::clone),
            expected,
            "{input:?}"
        );
    }

    const COLONS: &str = "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff";

    #[test]
    fn accepts_colons_and_any_case() {
        check(COLONS, Ok(COLONS));
        check(&COLONS.to_uppercase(), Ok(COLONS));
        check(&COLONS.replace(':', ""), Ok(COLONS));
        check(&format!("  {}\n", COLONS.to_uppercase()), Ok(COLONS));
    }

    #[test]
    fn refuses_wrong_length_and_non_hex() {
        check("ab:cd", Err(PinError::Length(4)));
        check(&format!("{COLONS}:00"), Err(PinError::Length(66)));
        check(&COLONS.replace('a', "g"), Err(PinError::NotHex('g')));
        check("sha256 ab", Err(PinError::NotHex('s')));
        check(
            &format!("sha256 Fingerprint={}", COLONS.to_uppercase()),
            Ok(COLONS),
        );
    }

    #[test]
    fn matches_only_its_certificate() {
        let pin = Pin::of_certificate(b"cert one");
        assert!(pin.matches(b"cert one"));
        assert!(!pin.matches(b"cert two"));
        let json = serde_json::to_string(&pin).unwrap();
        assert_eq!(serde_json::from_str::<Pin>(&json).unwrap(), pin);
    }
}
