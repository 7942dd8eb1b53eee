//! Reading agent request bodies: size limits before and after decompression, then strict
//! decoding that names the field at fault.

use std::io::Read;

use axum::body::{Body, Bytes};
use axum::http::HeaderMap;
use flate2::read::GzDecoder;
use kanri_proto::DecodeError;
use serde::de::DeserializeOwned;

/// Why a body was refused; each variant becomes a 4xx and, for inventory, an event.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// Larger than the limit, compressed or after decompression (a decompression bomb).
    #[error("body larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit that was exceeded.
        limit: usize,
    },
    /// A `Content-Encoding` other than gzip or identity.
    #[error("unsupported content encoding {0:?}; use gzip or none")]
    Encoding(String),
    /// The gzip stream is broken.
    #[error("body is not valid gzip: {0}")]
    Gzip(String),
    /// The body could not be read from the connection.
    #[error("body could not be read: {0}")]
    Read(String),
    /// The JSON does not match the schema.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

impl BodyError {
    /// The field at fault, for the JSON error and the event.
    pub fn field(&self) -> Option<&str> {
        match self {
            BodyError::Decode(error) => Some(&error.field),
            _ => None,
        }
    }
}

/// Reads and decodes a body of at most `limit` decompressed bytes.
///
/// # Errors
/// [`BodyError`] for oversized, wrongly encoded or malformed bodies.
pub async fn decode_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<T, BodyError> {
    let plain = receive(headers, body, limit).await?.inflate()?;
    Ok(kanri_proto::decode(&plain)?)
}

/// A body as it came over the wire, its size checked but not yet inflated: inflating and
/// decoding a large upload is CPU work a handler may move off the request threads.
pub struct RawBody {
    encoding: String,
    bytes: Bytes,
    limit: usize,
}

impl RawBody {
    /// The body inflated, to at most the limit it was received with.
    ///
    /// # Errors
    /// [`BodyError`] for unknown encodings, broken streams and oversized output.
    pub fn inflate(self) -> Result<Bytes, BodyError> {
        decompress(&self.encoding, self.bytes, self.limit)
    }
}

/// Reads a body of at most `limit` bytes once inflated (and at most
/// [`kanri_proto::limits::MAX_COMPRESSED_BODY_BYTES`] on the wire when compressed).
///
/// # Errors
/// [`BodyError`] when the body is too large or cannot be read.
pub async fn receive(headers: &HeaderMap, body: Body, limit: usize) -> Result<RawBody, BodyError> {
    let compressed_limit = limit.clamp(1024, kanri_proto::limits::MAX_COMPRESSED_BODY_BYTES);
    let encoding = headers
        .get(axum::http::header::CONTENT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("identity")
        .trim()
        .to_ascii_lowercase();
    let wire_limit = if encoding == "gzip" {
        compressed_limit
    } else {
        limit
    };
    let bytes = axum::body::to_bytes(body, wire_limit)
        .await
        .map_err(|error| {
            if is_length_limit(&error) {
                BodyError::TooLarge { limit: wire_limit }
            } else {
                BodyError::Read(error.to_string())
            }
        })?;
    Ok(RawBody {
        encoding,
        bytes,
        limit,
    })
}

fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(current) = source {
        if current.to_string().contains("length limit") {
            return true;
        }
        source = current.source();
    }
    false
}

/// Inflates a gzip body, stopping as soon as it would pass `limit`, so a small body that
/// inflates to gigabytes costs no more than `limit` bytes of memory.
///
/// # Errors
/// [`BodyError`] for unknown encodings, broken streams and oversized output.
pub fn decompress(encoding: &str, bytes: Bytes, limit: usize) -> Result<Bytes, BodyError> {
    match encoding {
        "identity" | "" => Ok(bytes),
        "gzip" | "x-gzip" => {
            let mut out = Vec::with_capacity((bytes.len() * 4).min(limit));
            let mut decoder = GzDecoder::new(&bytes[..]).take(limit as u64 + 1);
            decoder
                .read_to_end(&mut out)
                .map_err(|error| BodyError::Gzip(error.to_string()))?;
            if out.len() > limit {
                return Err(BodyError::TooLarge { limit });
            }
            Ok(Bytes::from(out))
        }
        other => Err(BodyError::Encoding(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::write::GzEncoder;
    use flate2::Compression;

    use super::*;

    fn gzip(data: &[u8]) -> Bytes {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        Bytes::from(encoder.finish().unwrap())
    }

    #[test]
    fn inflates_within_the_limit() {
        let out = decompress("gzip", gzip(b"{\"a\":1}"), 100).unwrap();
        assert_eq!(&out[..], b"{\"a\":1}");
    }

    #[test]
    fn stops_a_decompression_bomb() {
        // 64 MiB of zeros compresses to about 64 KiB.
        let bomb = gzip(&vec![0u8; 64 * 1024 * 1024]);
        assert!(bomb.len() < 200 * 1024);
        let error = decompress("gzip", bomb, 1024 * 1024).unwrap_err();
        assert!(matches!(error, BodyError::TooLarge { limit } if limit == 1024 * 1024));
    }

    #[test]
    fn refuses_unknown_encodings_and_broken_gzip() {
        assert!(matches!(
            decompress("br", Bytes::from_static(b"x"), 10),
            Err(BodyError::Encoding(_))
        ));
        assert!(matches!(
            decompress("gzip", Bytes::from_static(b"not gzip"), 10),
            Err(BodyError::Gzip(_))
        ));
    }
}
