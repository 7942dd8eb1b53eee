//! Transport tests: status sorting, body encoding, and real TLS handshakes against a rustls
//! server on 127.0.0.1 with a self-signed certificate, pinned right and wrong.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use flate2::read::GzDecoder;
use kanri_proto::paths;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

use super::*;
use crate::state::{Credentials, Secret};

fn check(status: u16, body: &str, auth: bool, expected: &str, retryable: bool) {
    let error = classify(status, body.as_bytes(), auth);
    assert_eq!(error.to_string(), expected);
    assert_eq!(error.is_retryable(), retryable, "{expected}");
}

#[test]
fn sorts_error_statuses() {
    let body = r#"{"code":"token_expired","message":"the token expired"}"#;
    check(
        401,
        body,
        true,
        "agent not enrolled or revoked — run enroll again",
        false,
    );
    check(
        401,
        body,
        false,
        "server refused the request (401 token_expired): the token expired",
        false,
    );
    let field = r#"{"code":"invalid_payload","message":"too long","field":"facts.hostname"}"#;
    check(
        400,
        field,
        true,
        "server refused the request (400 invalid_payload): too long (field facts.hostname)",
        false,
    );
    check(
        404,
        "<html>\nnot here</html>",
        true,
        "server refused the request (404 http_404): <html> not here</html>",
        false,
    );
    check(408, "", true, "server unavailable (408): ", true);
    check(
        429,
        body,
        true,
        "server unavailable (429): the token expired",
        true,
    );
    check(503, "busy", true, "server unavailable (503): busy", true);
}

/// A TLS server for one connection that answers `reply` and hands back the request it read.
struct TlsServer {
    url: String,
    pin: Pin,
    handle: JoinHandle<Result<(String, Vec<u8>), String>>,
}

fn tls_server(reply: &'static str) -> TlsServer {
    let certified = rcgen::generate_simple_self_signed(vec!["kanri.test".to_string()]).unwrap();
    let cert_der: CertificateDer<'static> = certified.cert.der().clone();
    let pin = Pin::of_certificate(&cert_der);
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert_der], key)
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let handle = thread::spawn(move || {
        let (socket, _) = listener.accept().map_err(|e| e.to_string())?;
        let connection = ServerConnection::new(Arc::new(config)).map_err(|e| e.to_string())?;
        let mut stream = BufReader::new(StreamOwned::new(connection, socket));
        let mut head = String::new();
        let mut content_length = 0;
        loop {
            let mut line = String::new();
            stream.read_line(&mut line).map_err(|e| e.to_string())?;
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                content_length = value.trim().parse().map_err(|_| "bad length".to_string())?;
            }
            head.push_str(&line);
            if line == "\r\n" || line.is_empty() {
                break;
            }
        }
        let mut body = vec![0; content_length];
        stream.read_exact(&mut body).map_err(|e| e.to_string())?;
        let response = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
            reply.len()
        );
        let stream = stream.get_mut();
        stream
            .write_all(response.as_bytes())
            .map_err(|e| e.to_string())?;
        stream.flush().map_err(|e| e.to_string())?;
        stream.conn.send_close_notify();
        let _ = stream.flush();
        Ok((head, body))
    });
    TlsServer { url, pin, handle }
}

fn client(url: &str, pin: Pin) -> Transport {
    let credentials = Credentials {
        agent_id: "agent-7".into(),
        secret: Secret::new("s3cret".into()),
    };
    Transport::new(
        &TransportConfig::requests(url, Some(pin)),
        SharedCredentials::new(Some(credentials)),
    )
    .unwrap()
}

#[test]
fn the_pinned_certificate_completes_a_gzipped_authenticated_request() {
    let server = tls_server(r#"{"accepted":["software"]}"#);
    let json = format!(r#"{{"pad":"{}"}}"#, "x".repeat(GZIP_THRESHOLD_BYTES));
    let reply = client(&server.url, server.pin)
        .upload(paths::INVENTORY, json.as_bytes())
        .unwrap();
    assert_eq!(reply.accepted, vec![kanri_proto::SectionKind::Software]);
    let (head, body) = server.handle.join().unwrap().unwrap();
    assert!(
        head.starts_with("POST /agent/v1/inventory HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(
        head.contains("\r\nAuthorization: Kanri-Agent agent-7:s3cret\r\n"),
        "{head}"
    );
    assert!(head.contains("\r\nContent-Encoding: gzip\r\n"), "{head}");
    let mut decoded = String::new();
    GzDecoder::new(&body[..])
        .read_to_string(&mut decoded)
        .unwrap();
    assert_eq!(decoded, json);
}

#[test]
fn a_wrong_pin_refuses_the_server() {
    let server = tls_server(r#"{"commands":[]}"#);
    let wrong = Pin::of_certificate(b"some other certificate");
    let error = client(&server.url, wrong).channel().unwrap_err();
    assert!(matches!(error, TransportError::Network(_)), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("does not match the pinned fingerprint"),
        "{error}"
    );
    assert!(error.is_retryable());
    assert!(
        server.handle.join().unwrap().is_err(),
        "the server must not see a request"
    );
}

#[test]
fn the_right_pin_reads_a_channel_reply() {
    let server = tls_server(r#"{"commands":[{"id":3,"action":{"kind":"refresh_inventory"}}]}"#);
    let reply = client(&server.url, server.pin).channel().unwrap();
    assert_eq!(reply.commands.len(), 1);
    assert_eq!(reply.commands[0].id, 3);
    let (head, _) = server.handle.join().unwrap().unwrap();
    assert!(
        head.starts_with("GET /agent/v1/channel HTTP/1.1\r\n"),
        "{head}"
    );
}

#[test]
fn refuses_inconsistent_urls_and_pins() {
    let pin = Pin::of_certificate(b"c");
    let build = |url: &str, pin| {
        Transport::new(
            &TransportConfig::requests(url, pin),
            SharedCredentials::default(),
        )
    };
    assert!(build("https://s", None).is_err());
    assert!(build("http://s", Some(pin)).is_err());
    assert!(build("ftp://s", None).is_err());
    assert!(build("http://s/", None).is_ok());
    assert!(build("https://s", Some(pin)).is_ok());
}

#[test]
fn authenticated_requests_need_credentials() {
    let transport = Transport::new(
        &TransportConfig::requests("http://127.0.0.1:9", None),
        SharedCredentials::default(),
    )
    .unwrap();
    assert_eq!(
        transport.channel().unwrap_err(),
        TransportError::Unauthorized
    );
    let huge = vec![b' '; kanri_proto::limits::MAX_BODY_BYTES + 1];
    let error =
        client("https://127.0.0.1:9", Pin::of_certificate(b"c")).upload(paths::INVENTORY, &huge);
    assert!(
        matches!(error, Err(TransportError::Request(_))),
        "{error:?}"
    );
}
