//! [`FormServer`]: the listener, the one-time token and the form's state.
//!
//! The listener thread accepts connections and hands each to a short-lived thread (at most
//! [`MAX_CONNECTIONS`] at once: browsers open spare connections that may stay silent, and one
//! silent connection must not hold up the real request). Each connection carries one request
//! and is closed after the response. The first answer the server accepts spends the token;
//! the owner waits in [`FormServer::wait`] for that or for the deadline, and dropping the
//! server closes the listener.

use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use kanri_proto::{UserInfo, UserInfoForm};

use super::answers;
use super::http::{self, Head, HttpError};
use super::page::{self, Problem, Texts};
use super::peer;
use crate::desktop::error::DesktopError;
use crate::log::{log_info, log_warn};
use crate::transport::TransportError;

/// Connections served at once; more are closed at once.
pub const MAX_CONNECTIONS: usize = 8;
/// How long a connection may take to send its request or read the response.
const IO_TIMEOUT: Duration = Duration::from_secs(15);
/// Random bytes in the token (hex in the URL): 256 bits, not guessable.
const TOKEN_BYTES: usize = 32;
/// How long and how much a closing connection is drained ([`linger`]).
const LINGER_TIMEOUT: Duration = Duration::from_secs(1);
const LINGER_MAX_BYTES: usize = 1024 * 1024;
/// How often [`FormServer::wait`] looks at its `cancelled` check.
const WAIT_SLICE: Duration = Duration::from_millis(500);

/// Sends the answers to the Kanri server; returns the form as the server now has it.
pub type Submit = Box<dyn Fn(&UserInfo) -> Result<UserInfoForm, TransportError> + Send + Sync>;

/// What the form shows and who may open it.
#[derive(Debug, Clone)]
pub struct FormConfig {
    /// The lists and the current values, as the server sent them.
    pub form: UserInfoForm,
    /// The values the page starts with (the current ones, perhaps with the login name as the
    /// account when the asset has none).
    pub initial: UserInfo,
    /// Japanese or English.
    pub japanese: bool,
    /// The uids whose connections are served: the session's user and root.
    pub allowed_uids: Vec<u32>,
    /// How long the form stays open without an answer.
    pub timeout: Duration,
}

/// How waiting for the form ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Finish {
    /// The server accepted an answer; the form as it now is.
    Answered(Box<UserInfoForm>),
    /// The deadline passed without an accepted answer.
    Expired,
    /// The caller's `cancelled` check said to stop (the agent is stopping).
    Cancelled,
}

/// A running form server; dropping it closes the listener.
pub struct FormServer {
    shared: Arc<Shared>,
    url: String,
    listener: Option<JoinHandle<()>>,
}

struct Shared {
    token: String,
    address: SocketAddr,
    /// The `Host` header a request must carry (DNS rebinding would bring another name).
    host: String,
    /// The `Origin` a browser's POST must carry when it carries one.
    origin: String,
    deadline: Instant,
    texts: &'static Texts,
    config: FormConfig,
    submit: Submit,
    phase: Mutex<Phase>,
    changed: Condvar,
    stopping: AtomicBool,
    connections: AtomicUsize,
}

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    /// Waiting for answers.
    Open,
    /// Answers are on their way to the server; a second submission is turned away.
    Submitting,
    /// The server accepted answers; `delivered` once the saved page has been written.
    Answered {
        saved: Box<UserInfoForm>,
        delivered: bool,
    },
}

impl FormServer {
    /// Listens on `127.0.0.1` on a free port and starts serving the form.
    ///
    /// # Errors
    /// [`DesktopError::Listen`] when the socket or the thread cannot be made.
    pub fn start(config: FormConfig, submit: Submit) -> Result<FormServer, DesktopError> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(DesktopError::Listen)?;
        let address = listener.local_addr().map_err(DesktopError::Listen)?;
        let token = hex::encode(rand::random::<[u8; TOKEN_BYTES]>());
        let host = format!("127.0.0.1:{}", address.port());
        let url = format!("http://{host}/form/{token}");
        let shared = Arc::new(Shared {
            token,
            address,
            origin: format!("http://{host}"),
            host,
            deadline: Instant::now() + config.timeout,
            texts: page::texts(config.japanese),
            config,
            submit,
            phase: Mutex::new(Phase::Open),
            changed: Condvar::new(),
            stopping: AtomicBool::new(false),
            connections: AtomicUsize::new(0),
        });
        let accepting = shared.clone();
        let listener = thread::Builder::new()
            .name("user-info-form".into())
            .stack_size(128 * 1024)
            .spawn(move || accept_loop(&listener, &accepting))
            .map_err(DesktopError::Listen)?;
        Ok(FormServer {
            shared,
            url,
            listener: Some(listener),
        })
    }

    /// The form's URL, with its token. A secret: hand it only to the user's own programs.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The port the form listens on.
    pub fn port(&self) -> u16 {
        self.shared.address.port()
    }

    /// Waits until an answer was accepted and its page written, the deadline passed, or
    /// `cancelled` returns true (asked every half second).
    pub fn wait(&self, cancelled: &dyn Fn() -> bool) -> Finish {
        let mut phase = self.shared.lock();
        loop {
            match &*phase {
                Phase::Answered {
                    saved,
                    delivered: true,
                } => return Finish::Answered(saved.clone()),
                Phase::Open if Instant::now() >= self.shared.deadline => return Finish::Expired,
                _ => {}
            }
            if cancelled() {
                return Finish::Cancelled;
            }
            let left = self
                .shared
                .deadline
                .saturating_duration_since(Instant::now());
            let slice = WAIT_SLICE.min(left).max(Duration::from_millis(10));
            phase = match self.shared.changed.wait_timeout(phase, slice) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
    }

    fn stop(&mut self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        // Wake the blocking accept; it sees the flag and returns.
        let _ = TcpStream::connect_timeout(&self.shared.address, Duration::from_secs(1));
        if let Some(listener) = self.listener.take() {
            let _ = listener.join();
        }
    }
}

impl Drop for FormServer {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Phase> {
        self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set(&self, phase: Phase) {
        *self.lock() = phase;
        self.changed.notify_all();
    }

    fn message(&self, status: u16, text: &str, nonce: &str) -> Reply {
        Reply {
            status,
            html: page::message_page(self.texts, text, nonce),
            answered: false,
        }
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else {
            // Out of descriptors or similar: let it pass rather than spin.
            thread::sleep(Duration::from_millis(50));
            continue;
        };
        if shared.connections.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            shared.connections.fetch_sub(1, Ordering::SeqCst);
            continue;
        }
        let serving = shared.clone();
        let spawned = thread::Builder::new()
            .name("user-info-conn".into())
            .stack_size(256 * 1024)
            .spawn(move || {
                serve(&serving, stream);
                serving.connections.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            shared.connections.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// A response to write.
struct Reply {
    status: u16,
    html: String,
    /// This response carries the saved page of the accepted answer.
    answered: bool,
}

fn serve(shared: &Shared, mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    // A fresh nonce per response for the Content-Security-Policy's style-src.
    let nonce = hex::encode(rand::random::<[u8; 16]>());
    let Some(reply) = respond(shared, &mut stream, &nonce) else {
        return;
    };
    let _ = http::write_html(&mut stream, reply.status, &nonce, &reply.html);
    if reply.answered {
        let mut phase = shared.lock();
        if let Phase::Answered { delivered, .. } = &mut *phase {
            *delivered = true;
        }
        drop(phase);
        shared.changed.notify_all();
    }
    linger(&mut stream);
}

/// Closes our side and reads what the client still sends (a refused body) before the socket
/// closes: closing with unread bytes makes the kernel reset the connection, and the client
/// would see the reset instead of the response.
fn linger(stream: &mut TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let _ = stream.set_read_timeout(Some(LINGER_TIMEOUT));
    let mut sink = [0u8; 8192];
    let mut drained = 0;
    while drained < LINGER_MAX_BYTES {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => return,
            Ok(read) => drained += read,
        }
    }
}

/// The response to one request; `None` when the connection failed before a request arrived
/// (a browser's spare connection that timed out).
fn respond(shared: &Shared, stream: &mut TcpStream, nonce: &str) -> Option<Reply> {
    let texts = shared.texts;
    let peer_uid = stream
        .peer_addr()
        .ok()
        .and_then(|client| peer::peer_uid(shared.address, client));
    let head = match http::read_head(stream) {
        Ok(head) => head,
        Err(HttpError::TooLarge { status }) => {
            return Some(shared.message(status, texts.too_large, nonce))
        }
        Err(HttpError::Malformed(_)) => return Some(shared.message(400, texts.bad_request, nonce)),
        Err(HttpError::Io(_)) => return None,
    };
    if !peer_uid.is_some_and(|uid| shared.config.allowed_uids.contains(&uid)) {
        log_warn!(
            "The user-information form refused a connection from uid {}.",
            peer_uid.map_or_else(|| "unknown".to_string(), |uid| uid.to_string())
        );
        return Some(shared.message(403, texts.forbidden, nonce));
    }
    if head.header("host") != Some(shared.host.as_str()) {
        return Some(shared.message(403, texts.forbidden, nonce));
    }
    let Some(token) = head.path.strip_prefix("/form/") else {
        return Some(shared.message(404, texts.not_found, nonce));
    };
    if !same_token(token, &shared.token) {
        return Some(shared.message(403, texts.forbidden, nonce));
    }
    if let Some(gone) = spent(shared, nonce) {
        return Some(gone);
    }
    match head.method.as_str() {
        "GET" => Some(Reply {
            status: 200,
            html: page::form_page(
                texts,
                &shared.config.form,
                &shared.config.initial,
                None,
                nonce,
            ),
            answered: false,
        }),
        "POST" => post(shared, stream, &head, nonce),
        _ => Some(shared.message(405, texts.bad_request, nonce)),
    }
}

/// The 410 page when the token was spent by an answer or the deadline passed.
fn spent(shared: &Shared, nonce: &str) -> Option<Reply> {
    let phase = shared.lock();
    if matches!(*phase, Phase::Answered { .. }) {
        return Some(shared.message(410, shared.texts.answered, nonce));
    }
    if *phase == Phase::Open && Instant::now() >= shared.deadline {
        return Some(shared.message(410, shared.texts.expired, nonce));
    }
    None
}

fn post(shared: &Shared, stream: &mut TcpStream, head: &Head, nonce: &str) -> Option<Reply> {
    let texts = shared.texts;
    if head
        .header("origin")
        .is_some_and(|origin| origin != shared.origin)
    {
        return Some(shared.message(403, texts.forbidden, nonce));
    }
    let form_encoded = head.header("content-type").is_some_and(|value| {
        value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    });
    if !form_encoded {
        return Some(shared.message(400, texts.bad_request, nonce));
    }
    let body = match http::read_body(stream, head, http::MAX_BODY_BYTES) {
        Ok(body) => body,
        Err(HttpError::TooLarge { status }) => {
            return Some(shared.message(status, texts.too_large, nonce))
        }
        Err(HttpError::Malformed(_)) => return Some(shared.message(400, texts.bad_request, nonce)),
        Err(HttpError::Io(_)) => return None,
    };
    let answers = match answers::parse(&body, &shared.config.form) {
        Ok(answers) => answers,
        Err(error) => {
            log_info!("The user-information form received a body it does not take: {error}.");
            return Some(shared.message(400, texts.bad_request, nonce));
        }
    };
    {
        let mut phase = shared.lock();
        if *phase != Phase::Open {
            // Spent, or another submission is on its way to the server right now.
            drop(phase);
            return Some(shared.message(410, texts.answered, nonce));
        }
        if Instant::now() >= shared.deadline {
            drop(phase);
            return Some(shared.message(410, texts.expired, nonce));
        }
        *phase = Phase::Submitting;
    }
    let result = (shared.submit)(&answers);
    let reply = match result {
        Ok(saved) => {
            let html = page::saved_page(texts, &saved, nonce);
            shared.set(Phase::Answered {
                saved: Box::new(saved),
                delivered: false,
            });
            log_info!("The user saved their user information through the desktop form.");
            return Some(Reply {
                status: 200,
                html,
                answered: true,
            });
        }
        Err(TransportError::Rejected { message, .. }) => {
            log_info!("The server refused the user's answers: {message}.");
            let html = page::form_page(
                texts,
                &shared.config.form,
                &answers,
                Some(Problem::Refused(&message)),
                nonce,
            );
            Reply {
                status: 422,
                html,
                answered: false,
            }
        }
        Err(error) => {
            log_warn!("Sending the user's answers failed: {error}.");
            let html = page::form_page(
                texts,
                &shared.config.form,
                &answers,
                Some(Problem::Unreachable),
                nonce,
            );
            Reply {
                status: 503,
                html,
                answered: false,
            }
        }
    };
    shared.set(Phase::Open);
    Some(reply)
}

/// Compares tokens in time that does not depend on where they differ.
fn same_token(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::atomic::AtomicU32;

    use kanri_proto::FormChoice;

    use super::*;

    fn me() -> u32 {
        // SAFETY: geteuid has no preconditions and cannot fail.
        unsafe { libc::geteuid() }
    }

    fn config(timeout: Duration, allowed_uids: Vec<u32>) -> FormConfig {
        let form = UserInfoForm {
            enabled: true,
            due: true,
            departments: vec![FormChoice {
                id: 7,
                path: "病院/内科".into(),
            }],
            current: UserInfo {
                user_name: "山田".into(),
                ..UserInfo::default()
            },
            ..UserInfoForm::default()
        };
        FormConfig {
            initial: form.current.clone(),
            form,
            japanese: true,
            allowed_uids,
            timeout,
        }
    }

    /// A submitter that refuses an e-mail without `@`, fails on phone `down`, and counts
    /// what it accepted.
    fn submit(accepted: Arc<AtomicU32>) -> Submit {
        Box::new(move |answers: &UserInfo| {
            if answers.user_phone.as_str() == "down" {
                return Err(TransportError::Network("connection refused".into()));
            }
            if !answers.user_email.as_str().contains('@') {
                return Err(TransportError::Rejected {
                    status: 400,
                    code: "invalid".into(),
                    message: "user_email is not an e-mail address (field user_email)".into(),
                });
            }
            accepted.fetch_add(1, Ordering::SeqCst);
            Ok(UserInfoForm {
                current: answers.clone(),
                ..UserInfoForm::default()
            })
        })
    }

    /// Sends `raw` and returns the status, the head and the body of the response.
    fn send(port: u16, raw: &[u8]) -> (u16, String, String) {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream.write_all(raw).expect("write");
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let text = String::from_utf8_lossy(&response).into_owned();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        (status, head.to_string(), body.to_string())
    }

    fn get(server: &FormServer, path: &str) -> (u16, String, String) {
        let raw = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
            server.port()
        );
        send(server.port(), raw.as_bytes())
    }

    fn post(server: &FormServer, body: &str) -> (u16, String, String) {
        let raw = format!(
            "POST {} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: http://127.0.0.1:{port}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            path(server),
            body.len(),
            port = server.port(),
        );
        send(server.port(), raw.as_bytes())
    }

    fn path(server: &FormServer) -> String {
        server
            .url()
            .split_once(&format!(":{}", server.port()))
            .map(|(_, path)| path.to_string())
            .unwrap_or_default()
    }

    const ANSWERS: &str =
        "department=7&user_name=%E5%B1%B1%E7%94%B0+%E8%8A%B1%E5%AD%90&user_account=hanako&user_email=h%40example.jp&user_phone=55";

    #[test]
    fn serves_the_form_with_the_token_only_and_takes_one_answer() {
        let accepted = Arc::new(AtomicU32::new(0));
        let server = FormServer::start(
            config(Duration::from_secs(60), vec![me()]),
            submit(accepted.clone()),
        )
        .expect("start");
        assert!(server.url().starts_with("http://127.0.0.1:"));
        let token = path(&server).trim_start_matches("/form/").to_string();
        assert_eq!(token.len(), 64);

        assert_eq!(get(&server, "/").0, 404);
        assert_eq!(get(&server, "/form/").0, 403);
        assert_eq!(get(&server, &format!("/form/{}", "0".repeat(64))).0, 403);
        let other_host = format!(
            "GET {} HTTP/1.1\r\nHost: evil.example\r\n\r\n",
            path(&server)
        );
        assert_eq!(send(server.port(), other_host.as_bytes()).0, 403);

        let (status, head, page) = get(&server, &path(&server));
        assert_eq!(status, 200, "{head}");
        assert!(head.contains("Content-Security-Policy: default-src 'none'; style-src 'nonce-"));
        assert!(
            page.contains(r#"<option value="7">病院/内科</option>"#),
            "{page}"
        );
        assert!(page.contains(r#"value="山田""#));

        // Bodies the page never sends.
        let foreign = format!(
            "POST {} HTTP/1.1\r\nHost: 127.0.0.1:{p}\r\nOrigin: http://evil.example\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 0\r\n\r\n",
            path(&server),
            p = server.port()
        );
        assert_eq!(send(server.port(), foreign.as_bytes()).0, 403);
        let json = format!(
            "POST {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{{}}",
            path(&server),
            server.port()
        );
        assert_eq!(send(server.port(), json.as_bytes()).0, 400);
        assert_eq!(post(&server, "user_name=%ZZ").0, 400);
        let huge = format!("user_name={}", "a".repeat(http::MAX_BODY_BYTES));
        assert_eq!(post(&server, &huge).0, 413);

        // The server's refusal is shown with what was typed.
        let bad_email = ANSWERS.replace("h%40example.jp", "nobody");
        let (status, _, page) = post(&server, &bad_email);
        assert_eq!(status, 422);
        assert!(
            page.contains("user_email is not an e-mail address"),
            "{page}"
        );
        assert!(page.contains(r#"value="nobody""#));
        assert!(page.contains(r#"<option value="7" selected>"#));
        let (status, _, page) = post(&server, &ANSWERS.replace("=55", "=down"));
        assert_eq!(status, 503);
        assert!(page.contains("接続できませんでした"), "{page}");
        assert_eq!(accepted.load(Ordering::SeqCst), 0);

        let (status, _, page) = post(&server, ANSWERS);
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("<dd>山田 花子</dd>"), "{page}");
        match server.wait(&|| false) {
            Finish::Answered(saved) => assert_eq!(saved.current.user_account.as_str(), "hanako"),
            other => panic!("{other:?}"),
        }
        // The token is spent.
        let (status, _, page) = post(&server, ANSWERS);
        assert_eq!(status, 410);
        assert!(page.contains("保存済み"), "{page}");
        assert_eq!(get(&server, &path(&server)).0, 410);
        assert_eq!(accepted.load(Ordering::SeqCst), 1);

        let port = server.port();
        drop(server);
        assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "closed");
    }

    #[test]
    fn expires_at_the_deadline() {
        let server = FormServer::start(
            config(Duration::from_millis(300), vec![me()]),
            submit(Arc::new(AtomicU32::new(0))),
        )
        .expect("start");
        let started = Instant::now();
        assert_eq!(server.wait(&|| false), Finish::Expired);
        assert!(started.elapsed() >= Duration::from_millis(300));
        let (status, _, page) = get(&server, &path(&server));
        assert_eq!(status, 410);
        assert!(page.contains("有効期限"), "{page}");
        assert_eq!(post(&server, ANSWERS).0, 410);
        assert_eq!(server.wait(&|| true), Finish::Expired);
    }

    #[test]
    fn waiting_stops_when_cancelled() {
        let server = FormServer::start(
            config(Duration::from_secs(60), vec![me()]),
            submit(Arc::new(AtomicU32::new(0))),
        )
        .expect("start");
        assert_eq!(server.wait(&|| true), Finish::Cancelled);
    }

    #[test]
    fn other_users_are_refused_even_with_the_token() {
        let server = FormServer::start(
            config(Duration::from_secs(60), vec![me().wrapping_add(1)]),
            submit(Arc::new(AtomicU32::new(0))),
        )
        .expect("start");
        assert_eq!(get(&server, &path(&server)).0, 403);
        assert_eq!(post(&server, ANSWERS).0, 403);
    }

    #[test]
    fn silent_connections_do_not_hold_up_the_form() {
        let server = FormServer::start(
            config(Duration::from_secs(60), vec![me()]),
            submit(Arc::new(AtomicU32::new(0))),
        )
        .expect("start");
        let idle: Vec<TcpStream> = (0..3)
            .map(|_| TcpStream::connect(("127.0.0.1", server.port())).expect("connect"))
            .collect();
        let started = Instant::now();
        assert_eq!(get(&server, &path(&server)).0, 200);
        assert!(started.elapsed() < Duration::from_secs(5));
        // Past the cap, connections are closed unanswered.
        let more: Vec<TcpStream> = (0..MAX_CONNECTIONS)
            .map(|_| TcpStream::connect(("127.0.0.1", server.port())).expect("connect"))
            .collect();
        let mut last = more.last().expect("one").try_clone().expect("clone");
        last.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let mut buffer = [0u8; 16];
        assert_eq!(last.read(&mut buffer).expect("closed, not timed out"), 0);
        drop((idle, more));
    }
}
