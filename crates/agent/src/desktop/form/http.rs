//! Just enough HTTP/1.1 for one browser and one form: a request head of bounded size, a body
//! only with `Content-Length` and bounded too, and responses that always close the
//! connection. The agent has no HTTP server crate and needs none for two routes.

use std::io::{Read, Write};

/// The largest request head read (request line and headers).
pub const MAX_HEAD_BYTES: usize = 16 * 1024;
/// The largest form body accepted: a few hundred short fields at most.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A request head; the body is read separately, once the route wants one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// Header names in lower case, with their values.
    pub headers: Vec<(String, String)>,
    /// Body bytes that arrived with the head.
    pub early_body: Vec<u8>,
}

/// Why a request could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The head or the body is larger than allowed.
    #[error("request too large")]
    TooLarge {
        /// 431 for the head, 413 for the body.
        status: u16,
    },
    /// Not a request this server understands.
    #[error("malformed request: {0}")]
    Malformed(&'static str),
    /// The connection failed or timed out.
    #[error("connection failed")]
    Io(#[from] std::io::Error),
}

impl Head {
    /// The value of a header (the first one), by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Reads a request head.
///
/// # Errors
/// [`HttpError::TooLarge`] (431) past [`MAX_HEAD_BYTES`], [`HttpError::Malformed`] for
/// anything but `METHOD /path HTTP/1.x` and `Name: value` lines in ASCII.
pub fn read_head(stream: &mut impl Read) -> Result<Head, HttpError> {
    let mut buffer = Vec::with_capacity(2048);
    let mut chunk = [0u8; 2048];
    let end = loop {
        if let Some(at) = find(&buffer, b"\r\n\r\n") {
            break at;
        }
        if buffer.len() > MAX_HEAD_BYTES {
            return Err(HttpError::TooLarge { status: 431 });
        }
        let read = stream.read(&mut chunk)?;
        if read == 0 {
            return Err(HttpError::Malformed(
                "connection closed before the head ended",
            ));
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    if end > MAX_HEAD_BYTES {
        return Err(HttpError::TooLarge { status: 431 });
    }
    let early_body = buffer[end + 4..].to_vec();
    let text = std::str::from_utf8(&buffer[..end])
        .ok()
        .filter(|text| text.is_ascii())
        .ok_or(HttpError::Malformed("the head is not ASCII"))?;
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HttpError::Malformed("bad request line"));
    };
    if !matches!(version, "HTTP/1.1" | "HTTP/1.0")
        || method.is_empty()
        || !method.bytes().all(|b| b.is_ascii_uppercase())
        || !target.starts_with('/')
    {
        return Err(HttpError::Malformed("bad request line"));
    }
    let path = target.split(['?', '#']).next().unwrap_or_default();
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .filter(|(name, _)| !name.is_empty() && !name.contains(' '))
            .ok_or(HttpError::Malformed("bad header line"))?;
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    Ok(Head {
        method: method.to_string(),
        path: path.to_string(),
        headers,
        early_body,
    })
}

/// Reads the body announced by `Content-Length`.
///
/// # Errors
/// [`HttpError::TooLarge`] (413) past `limit`, [`HttpError::Malformed`] without a valid
/// `Content-Length`, with `Transfer-Encoding`, or with more bytes than announced.
pub fn read_body(stream: &mut impl Read, head: &Head, limit: usize) -> Result<Vec<u8>, HttpError> {
    if head.header("transfer-encoding").is_some() {
        return Err(HttpError::Malformed("transfer-encoding is not supported"));
    }
    let length: usize = head
        .header("content-length")
        .and_then(|value| value.parse().ok())
        .ok_or(HttpError::Malformed("a body needs a content-length"))?;
    if length > limit {
        return Err(HttpError::TooLarge { status: 413 });
    }
    if head.early_body.len() > length {
        return Err(HttpError::Malformed("more bytes than content-length"));
    }
    let mut body = head.early_body.clone();
    body.resize(length, 0);
    stream.read_exact(&mut body[head.early_body.len()..])?;
    Ok(body)
}

/// The reason phrase of the statuses this server sends.
fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        410 => "Gone",
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        431 => "Request Header Fields Too Large",
        _ => "Service Unavailable",
    }
}

/// Writes an HTML response and the headers that keep it private and self-contained: the
/// Content-Security-Policy allows only the page's own style element (by `nonce`) and posting
/// back to itself; nothing is cached or framed, and the URL (which holds the token) goes as a
/// referrer only to this origin. `same-origin` rather than `no-referrer`: under the latter a
/// browser sends `Origin: null` with the form's POST, and the server checks that header.
///
/// # Errors
/// The I/O error of writing.
pub fn write_html(
    stream: &mut impl Write,
    status: u16,
    nonce: &str,
    html: &str,
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status} {}\r\n\
         Content-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Content-Security-Policy: default-src 'none'; style-src 'nonce-{nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'\r\n\
         Cache-Control: no-store\r\n\
         Referrer-Policy: same-origin\r\n\
         X-Content-Type-Options: nosniff\r\n\
         X-Frame-Options: DENY\r\n\
         Connection: close\r\n\r\n",
        reason(status),
        html.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(html.as_bytes())?;
    stream.flush()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, expected: &str) {
        let actual = match read_head(&mut raw.as_bytes()) {
            Ok(head) => format!(
                "{} {} {:?} {:?}",
                head.method,
                head.path,
                head.header("host"),
                String::from_utf8_lossy(&head.early_body)
            ),
            Err(error) => format!("error: {error}"),
        };
        assert_eq!(actual, expected, "{raw:?}");
    }

    #[test]
    fn reads_heads_and_refuses_what_is_not_http() {
        check(
            "GET /form/ab?x=1 HTTP/1.1\r\nHost: 127.0.0.1:5\r\n\r\n",
            r#"GET /form/ab Some("127.0.0.1:5") """#,
        );
        check(
            "POST /f HTTP/1.1\r\nHOST:a\r\nContent-Length: 3\r\n\r\nx=1",
            r#"POST /f Some("a") "x=1""#,
        );
        check(
            "GET /\r\n\r\n",
            "error: malformed request: bad request line",
        );
        check(
            "get / HTTP/1.1\r\n\r\n",
            "error: malformed request: bad request line",
        );
        check(
            "GET http://x/ HTTP/1.1\r\n\r\n",
            "error: malformed request: bad request line",
        );
        check(
            "GET / HTTP/1.1\r\nno colon\r\n\r\n",
            "error: malformed request: bad header line",
        );
        check(
            "GET / HTTP/1.1\r\nX: é\r\n\r\n",
            "error: malformed request: the head is not ASCII",
        );
        check(
            "GET / HTTP/1.1\r\n",
            "error: malformed request: connection closed before the head ended",
        );
        let huge = format!(
            "GET / HTTP/1.1\r\nX: {}\r\n\r\n",
            "a".repeat(MAX_HEAD_BYTES)
        );
        check(&huge, "error: request too large");
    }

    #[test]
    fn reads_bodies_up_to_the_limit() {
        let raw = "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab";
        let mut stream = raw.as_bytes();
        let head = read_head(&mut stream).unwrap();
        let mut rest: &[u8] = b"cde";
        assert_eq!(read_body(&mut rest, &head, 10).unwrap(), b"abcde");
        assert!(matches!(
            read_body(&mut &b""[..], &head, 4),
            Err(HttpError::TooLarge { status: 413 })
        ));
        let chunked =
            read_head(&mut "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n".as_bytes())
                .unwrap();
        assert!(matches!(
            read_body(&mut &b""[..], &chunked, 10),
            Err(HttpError::Malformed(_))
        ));
        let none = read_head(&mut "POST / HTTP/1.1\r\n\r\n".as_bytes()).unwrap();
        assert!(matches!(
            read_body(&mut &b""[..], &none, 10),
            Err(HttpError::Malformed(_))
        ));
    }

    #[test]
    fn responses_carry_the_policy_and_close() {
        let mut out = Vec::new();
        write_html(&mut out, 410, "n0nce", "<p>x</p>").unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 410 Gone\r\n"), "{text}");
        assert!(text.contains("style-src 'nonce-n0nce'"));
        assert!(text.contains("default-src 'none'"));
        assert!(text.contains("Referrer-Policy: same-origin\r\n"));
        assert!(text.contains("Content-Length: 8\r\n"));
        assert!(text.ends_with("\r\n\r\n<p>x</p>"));
    }
}
