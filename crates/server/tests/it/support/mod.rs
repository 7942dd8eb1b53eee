//! Test harness: a real server on an ephemeral port, on SQLite or a throwaway PostgreSQL, a
//! REST client with an API token, a protocol-level agent client for edge cases, and the real
//! `kanri-agent` binary for end-to-end runs.

pub mod inventory;
pub mod postgres;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use kanri_proto::{
    CheckinRequest, EnrollRequest, EnrollResponse, IdentityFacts, Inventory, InventoryUpload,
};
use kanri_server::core::config::Config;
use kanri_server::{Running, Server};
use reqwest::StatusCode;
use serde_json::Value;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Declares one test per backend: `both_backends!(name, async_fn)`.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$body($crate::support::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$body($crate::support::Backend::Postgres).await
            }
        }
    };
}

/// A running server with a temp data dir and an API token for `admin`.
pub struct TestServer {
    pub base_url: String,
    pub client: reqwest::Client,
    pub api_token: String,
    pub _data_dir: tempfile::TempDir,
    pub fingerprint: Option<String>,
    /// `admin`'s generated first password.
    pub admin_password: String,
    pub running: Option<Running>,
    config: Config,
}

impl TestServer {
    /// Plain HTTP with default settings.
    pub async fn start(backend: Backend) -> TestServer {
        TestServer::start_with(backend, |config| config.http = true).await
    }

    /// With settings changed by `adjust` (listen address and database are set here).
    pub async fn start_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestServer {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::new(data_dir.path());
        config.listen = "127.0.0.1:0".parse().expect("address");
        config.flush_interval_ms = 200;
        if backend == Backend::Postgres {
            config.database_url = Some(postgres::fresh_database().await);
            config.db_max_connections = 8;
        }
        adjust(&mut config);
        let server = Server::prepare(config.clone())
            .await
            .expect("prepare server");
        let admin_password = server
            .initial_password
            .clone()
            .expect("a fresh server creates admin");
        let fingerprint = server.tls.as_ref().map(|tls| tls.fingerprint.clone());
        let db = server.state.db.clone();
        let api_token =
            kanri_server::accounts::service::create_api_token(&db, "admin", "tests", None)
                .await
                .expect("api token");
        let running = server.start().await.expect("start server");
        let client = reqwest::Client::builder()
            .danger_accept_invalid_certs(true)
            .timeout(Duration::from_secs(70))
            .build()
            .expect("client");
        TestServer {
            base_url: running.base_url.clone(),
            client,
            api_token,
            _data_dir: data_dir,
            fingerprint,
            admin_password,
            running: Some(running),
            config,
        }
    }

    /// Stops the server and keeps its database, for [`TestServer::resume`].
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await;
        }
    }

    /// Starts the server again on the same database and data dir, as after a restart: every
    /// cache is empty. It listens on a new port.
    pub async fn resume(&mut self) {
        assert!(self.running.is_none(), "stop the server first");
        let server = Server::prepare(self.config.clone())
            .await
            .expect("prepare server again");
        let running = server.start().await.expect("start server again");
        self.base_url = running.base_url.clone();
        self.running = Some(running);
    }

    /// Runs the `kanri-server` binary with `args` on this server's database (`--data-dir`,
    /// and `--database-url` on PostgreSQL), as an administrator would on its machine, off
    /// the runtime's threads.
    pub async fn command(&self, args: &[&str]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kanri-server"));
        command
            .args(args)
            .arg("--data-dir")
            .arg(&self.config.data_dir)
            .env_remove("KANRI_DATABASE_URL")
            .env_remove("KANRI_DATA_DIR")
            .env("USER", "tester")
            .env("KANRI_LOG", "warn");
        if let Some(url) = &self.config.database_url {
            command.arg("--database-url").arg(url);
        }
        tokio::task::spawn_blocking(move || command.output())
            .await
            .expect("join")
            .expect("run kanri-server")
    }

    pub fn state(&self) -> &kanri_server::AppState {
        self.running.as_ref().expect("running").state()
    }

    /// A new enrollment token.
    pub async fn enrollment_token(&self, uses: Option<u64>, expires: Option<Duration>) -> String {
        kanri_server::agents::service::create_token(&self.state().db, "test", expires, uses)
            .await
            .expect("token")
    }

    /// An authenticated REST request; returns status and JSON body (Null when empty).
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.api_as(&self.api_token, method, path, body).await
    }

    /// [`TestServer::api`] with another account's API token.
    pub async fn api_as(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base_url))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.api(reqwest::Method::GET, path, None).await
    }

    /// Events with a code, newest first.
    pub async fn events(&self, code: i64) -> Vec<Value> {
        let (status, body) = self
            .get(&format!("/api/v1/events?code={code}&lang=en"))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["items"].as_array().cloned().unwrap_or_default()
    }

    /// Waits until buffered writes reached the database.
    pub async fn flush(&self) {
        kanri_server::agents::service::flush_last_seen(self.state())
            .await
            .expect("flush last seen");
        kanri_server::inventory::index::merge_queued(self.state())
            .await
            .expect("merge the software index");
    }

    pub async fn shutdown(mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await;
        }
    }
}

/// A protocol-level agent: speaks the wire format directly, for edge cases the real agent
/// never produces.
pub struct ProtoAgent {
    pub base_url: String,
    pub client: reqwest::Client,
    pub host_id: String,
    pub facts: IdentityFacts,
    pub credentials: Option<EnrollResponse>,
}

impl ProtoAgent {
    pub fn new(server: &TestServer, hostname: &str) -> ProtoAgent {
        let host_id = kanri_server::core::secrets::random_id();
        let facts = IdentityFacts {
            hostname: hostname.into(),
            serial: Some(format!("SN-{}", &host_id[..10]).as_str().into()),
            uuid: Some(uuid_from(&host_id).as_str().into()),
            machine_id: Some(host_id.as_str().into()),
            macs: vec![mac_from(&host_id).as_str().into()],
        };
        ProtoAgent {
            base_url: server.base_url.clone(),
            client: server.client.clone(),
            host_id,
            facts,
            credentials: None,
        }
    }

    pub async fn enroll(&mut self, token: &str) -> (StatusCode, Value) {
        let request = EnrollRequest {
            token: token.into(),
            host_id: self.host_id.as_str().into(),
            agent_version: "9.9.9-test".into(),
            facts: self.facts.clone(),
        };
        let response = self
            .client
            .post(format!("{}{}", self.base_url, kanri_proto::paths::ENROLL))
            .json(&request)
            .send()
            .await
            .expect("enroll");
        let status = response.status();
        let body: Value = response.json().await.expect("json");
        if status == StatusCode::OK {
            self.credentials = Some(serde_json::from_value(body.clone()).expect("enroll response"));
        }
        (status, body)
    }

    pub fn device_id(&self) -> i64 {
        self.credentials.as_ref().expect("enrolled").device_id
    }

    pub fn agent_id(&self) -> String {
        self.credentials
            .as_ref()
            .expect("enrolled")
            .agent_id
            .to_string()
    }

    fn auth(&self) -> String {
        let credentials = self.credentials.as_ref().expect("enrolled");
        format!(
            "{} {}:{}",
            kanri_proto::AUTH_SCHEME,
            credentials.agent_id,
            credentials.secret
        )
    }

    /// A GET of the agent API with the agent's credentials.
    pub async fn get_authed(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.base_url))
            .header("authorization", self.auth())
            .send()
            .await
            .expect("get");
        let status = response.status();
        let text = response.text().await.expect("text");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Posts raw bytes with optional content encoding.
    pub async fn post_raw(
        &self,
        path: &str,
        body: Vec<u8>,
        encoding: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base_url))
            .header("authorization", self.auth())
            .header("content-type", "application/json")
            .body(body);
        if let Some(encoding) = encoding {
            request = request.header("content-encoding", encoding);
        }
        let response = request.send().await.expect("post");
        let status = response.status();
        let text = response.text().await.expect("text");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn checkin(&self, inventory: &Inventory) -> (StatusCode, Value) {
        self.checkin_reporting(inventory, 0).await
    }

    /// A check-in that reports `settings_version` as the agent settings applied.
    pub async fn checkin_reporting(
        &self,
        inventory: &Inventory,
        settings_version: u64,
    ) -> (StatusCode, Value) {
        let section_hashes = inventory
            .present()
            .into_iter()
            .filter_map(|kind| Some((kind, inventory.section_hash(kind)?.as_str().into())))
            .collect();
        let request = CheckinRequest {
            host_id: self.host_id.as_str().into(),
            agent_version: "9.9.9-test".into(),
            fingerprint: self.facts.fingerprint().as_str().into(),
            section_hashes,
            queue_len: 0,
            settings_version,
        };
        self.post_raw(
            kanri_proto::paths::CHECKIN,
            serde_json::to_vec(&request).expect("json"),
            None,
        )
        .await
    }

    pub async fn upload(&self, inventory: &Inventory) -> (StatusCode, Value) {
        // None declared: the server hashes the sections as received.
        self.upload_declaring(inventory, Default::default()).await
    }

    /// An upload declaring `section_hashes` for its sections, as the agent does.
    pub async fn upload_declaring(
        &self,
        inventory: &Inventory,
        section_hashes: std::collections::BTreeMap<kanri_proto::SectionKind, kanri_proto::Text>,
    ) -> (StatusCode, Value) {
        let upload = InventoryUpload {
            host_id: self.host_id.as_str().into(),
            agent_version: "9.9.9-test".into(),
            collected_at: 0,
            facts: self.facts.clone(),
            inventory: inventory.clone(),
            section_hashes,
        };
        self.post_raw(
            kanri_proto::paths::INVENTORY,
            serde_json::to_vec(&upload).expect("json"),
            None,
        )
        .await
    }
}

fn uuid_from(hex: &str) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

fn mac_from(hex: &str) -> String {
    format!(
        "52:54:{}:{}:{}:{}",
        &hex[0..2],
        &hex[2..4],
        &hex[4..6],
        &hex[6..8]
    )
}

/// The host name the real agent reports for the test machine.
pub fn this_hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .expect("hostname")
        .trim()
        .to_string()
}

/// Runs the real agent with `args` and `--state-dir state_dir`.
pub fn agent(args: &[&str], state_dir: &Path) -> Output {
    Command::new(agent_binary())
        .args(args)
        .arg("--state-dir")
        .arg(state_dir)
        .stdin(Stdio::null())
        .output()
        .expect("run kanri-agent")
}

/// The real `kanri-agent` binary, built once if missing.
pub fn agent_binary() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| workspace_binary("kanri-agent")).clone()
}

/// The `kanri-loadgen` binary of this build.
pub fn loadgen_binary() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| workspace_binary("kanri-loadgen"))
        .clone()
}

/// A binary of the workspace, built beside the test executable.
fn workspace_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test exe");
    let target_profile = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir")
        .to_path_buf();
    let binary = target_profile.join(name);
    let mut cargo = Command::new(env!("CARGO"));
    // The same build scripts/test does first, so this is a no-op there, provided cargo sees
    // the environment that build saw: `cargo test` gives this process variables such as
    // CARGO_MANIFEST_DIR, which `ring`'s build script watches, and passing them on rebuilt
    // ring and everything above it (70 s) on every test run.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        let injected = key.starts_with("CARGO_PKG_")
            || key.starts_with("CARGO_BIN_")
            || matches!(
                &*key,
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_TARGET_TMPDIR"
                    | "CARGO_PRIMARY_PACKAGE"
            );
        if injected {
            cargo.env_remove(&*key);
        }
    }
    let status = cargo
        .args(["build", "--workspace", "--bins"])
        .status()
        .expect("cargo build");
    assert!(status.success(), "building {name} failed");
    assert!(binary.exists(), "{name} not at {}", binary.display());
    binary
}

/// Polls `check` until it returns Some or the time runs out.
pub async fn wait_for<T>(
    timeout: Duration,
    mut check: impl AsyncFnMut() -> Option<T>,
) -> Option<T> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
