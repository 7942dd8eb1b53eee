//! [`TransportError`]: what a request to the server can end in, sorted by what the caller
//! must do next (stop, drop the payload, or retry it later).

/// A failed request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// 401 on an authenticated request: the credentials are unknown or revoked. Retrying
    /// cannot help, so `run` stops.
    #[error("agent not enrolled or revoked — run enroll again")]
    Unauthorized,
    /// Any other 4xx (except 408 and 429): the server will never accept this payload.
    #[error("server refused the request ({status} {code}): {message}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// `ErrorBody::code`, or `http_<status>` when the body was not an error body.
        code: String,
        /// `ErrorBody::message`, or a short excerpt of the body.
        message: String,
    },
    /// 5xx, 408 or 429: the server is there but cannot take the request now.
    #[error("server unavailable ({status}): {message}")]
    Unavailable {
        /// HTTP status.
        status: u16,
        /// `ErrorBody::message` or a short excerpt of the body.
        message: String,
    },
    /// Connecting, TLS (including a pin mismatch) or reading failed.
    #[error("cannot reach the server: {0}")]
    Network(String),
    /// A 2xx reply the agent could not decode, or a redirect. The server did get the
    /// request, so the payload is not sent again.
    #[error("unexpected reply from the server: {0}")]
    BadReply(String),
    /// The request itself could not be built (e.g. larger than the server accepts).
    #[error("cannot send the request: {0}")]
    Request(String),
}

impl TransportError {
    /// Whether the same payload may succeed later: network errors, 5xx, 408 and 429.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            TransportError::Network(_) | TransportError::Unavailable { .. }
        )
    }

    /// The `ErrorBody::code` of a refusal, if the server sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            TransportError::Rejected { code, .. } => Some(code),
            _ => None,
        }
    }
}
