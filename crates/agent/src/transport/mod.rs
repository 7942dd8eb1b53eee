//! Talking to the server: a blocking ureq client over TLS pinned to one certificate, JSON
//! bodies gzipped above 4 KiB, the agent's credentials on every request but enrollment, and
//! error replies sorted into "stop", "drop the payload" and "retry later".
//!
//! **Architecture Invariant:** no other module builds HTTP requests or sees the secret in
//! clear; they call [`Transport`] with proto types.

mod client;
mod error;
mod pin;
mod verifier;

pub use client::{
    classify, encode, tls_config, SharedCredentials, Transport, TransportConfig,
    GZIP_THRESHOLD_BYTES,
};
pub use error::TransportError;
pub use pin::{Pin, PinError};
pub use verifier::PinVerifier;

#[cfg(test)]
mod tests;
