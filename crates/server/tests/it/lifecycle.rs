//! Health, metrics, the OpenAPI document, migrations on both backends, and a clean SIGTERM.

use std::process::{Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;

use crate::both_backends;
use crate::support::inventory::sample;
use crate::support::{Backend, ProtoAgent, TestServer};

async fn health_metrics_and_openapi(backend: Backend) {
    let server = TestServer::start(backend).await;
    let health = server
        .client
        .get(format!("{}/healthz", server.base_url))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), StatusCode::OK);
    let token = server.enrollment_token(None, None).await;
    let mut agent = ProtoAgent::new(&server, "metrics-a");
    agent.enroll(&token).await;
    agent.checkin(&sample("metrics-a", &[], 8)).await;
    agent
        .post_raw("/agent/v1/checkin", b"{".to_vec(), None)
        .await;
    let metrics = server
        .client
        .get(format!("{}/metrics", server.base_url))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    for series in [
        "kanri_checkins_total",
        "kanri_checkin_duration_seconds_bucket",
        "kanri_http_requests_total",
        "kanri_rejected_payloads_total",
        "kanri_db_pool_connections",
    ] {
        assert!(metrics.contains(series), "{series} missing from /metrics");
    }
    let openapi: serde_json::Value = server
        .client
        .get(format!("{}/api/v1/openapi.json", server.base_url))
        .send()
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json");
    for path in [
        "/api/v1/devices",
        "/api/v1/devices/{id}",
        "/api/v1/devices/{id}/refresh",
        "/api/v1/devices/{id}/software",
        "/api/v1/devices/{id}/history",
        "/api/v1/software",
        "/api/v1/software/{id}/devices",
        "/api/v1/events",
        "/api/v1/agent-settings",
        "/api/v1/session",
        "/api/v1/me",
        "/api/v1/me/password",
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/users/{id}/password",
        "/api/v1/users/{id}/unlock",
        "/api/v1/account-policy",
        "/api/v1/departments",
        "/api/v1/departments/{id}",
        "/api/v1/audit",
        "/api/v1/tokens",
        "/api/v1/tokens/{id}",
        "/api/v1/devices/export",
        "/api/v1/devices/bulk",
        "/api/v1/devices/{id}/notes",
        "/api/v1/saved-filters",
        "/api/v1/saved-filters/{id}",
        "/api/v1/list-columns/{list}",
        "/api/v1/events/{id}",
        "/api/v1/events/confirm",
        "/api/v1/events/export",
        "/api/v1/audit/export",
        "/api/v1/locations",
        "/api/v1/locations/{id}",
        "/api/v1/departments/prune-retired",
        "/api/v1/locations/prune-retired",
        "/api/v1/enrollment-tokens",
        "/api/v1/enrollment-tokens/{id}",
        "/api/v1/assets",
        "/api/v1/assets/count",
        "/api/v1/assets/bulk",
        "/api/v1/assets/{id}",
        "/api/v1/assets/{id}/notes",
        "/api/v1/assets/{id}/devices/{device_id}",
        "/api/v1/assets/{id}/related/{other_id}",
        "/api/v1/assets/choices/{kind}",
        "/api/v1/assets/choices/{kind}/{id}",
        "/api/v1/managed-software",
        "/api/v1/managed-software/{id}",
        "/api/v1/managed-software/{id}/devices",
        "/api/v1/licences",
        "/api/v1/licences/{id}",
        "/api/v1/licences/{id}/assignments",
        "/api/v1/licences/{id}/assignments/{device_id}",
        "/api/v1/licences/transfer",
        "/api/v1/contracts",
        "/api/v1/contracts/{id}",
        "/api/v1/contracts/{id}/copy",
        "/api/v1/contracts/monthly-costs",
        "/api/v1/vendors",
        "/api/v1/vendors/{id}",
        "/api/v1/assets/stocktake",
        "/api/v1/licences/stocktake",
        "/api/v1/licences/{id}/move",
        "/api/v1/assets/settings",
        "/api/v1/licences/bulk",
        "/api/v1/contracts/bulk",
        "/api/v1/assets/fields",
        "/api/v1/assets/fields/{id}",
        "/api/v1/assets/fields/{id}/options",
        "/api/v1/assets/fields/{id}/options/{option_id}",
        "/api/v1/assets/export",
        "/api/v1/licences/export",
        "/api/v1/managed-software/export",
        "/api/v1/contracts/export",
        "/api/v1/vendors/export",
        "/api/v1/imports",
        "/api/v1/imports/{id}",
        "/api/v1/imports/{id}/invalid-rows",
        "/api/v1/import-templates",
        "/api/v1/import-templates/{id}",
        "/api/v1/import-templates/{id}/export",
        "/api/v1/import-templates/import",
    ] {
        assert!(
            openapi["paths"].get(path).is_some(),
            "{path} is not documented"
        );
    }
    server.shutdown().await;
}
both_backends!(health_metrics_and_openapi, health_metrics_and_openapi);

#[test]
fn migration_sets_match() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let list = |backend: &str| {
        let mut names: Vec<String> = std::fs::read_dir(dir.join(backend))
            .expect("migrations")
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect();
        names.sort();
        names
    };
    assert_eq!(list("sqlite"), list("postgres"));
    assert!(!list("sqlite").is_empty());
}

#[tokio::test]
async fn sigterm_finishes_and_flushes() {
    let data = tempfile::tempdir().expect("dir");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kanri-server"))
        .args([
            "serve",
            "--http",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn server");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "server did not start");
    let password =
        std::fs::read_to_string(data.path().join("initial-admin-password")).expect("password file");
    assert!(password.trim().len() >= 16);
    let mode = std::fs::metadata(data.path().join("initial-admin-password"))
        .expect("meta")
        .permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o600
    );

    let token = Command::new(env!("CARGO_BIN_EXE_kanri-server"))
        .args(["token", "create", "--uses", "1", "--data-dir"])
        .arg(data.path())
        .output()
        .expect("token create");
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    let token = String::from_utf8_lossy(&token.stdout).trim().to_string();
    let enroll = serde_json::json!({"token": token, "host_id": "h-sigterm", "agent_version": "1", "facts": {"hostname": "sigterm-pc"}});
    let reply: serde_json::Value = client
        .post(format!("{base}/agent/v1/enroll"))
        .json(&enroll)
        .send()
        .await
        .expect("enroll")
        .json()
        .await
        .expect("json");
    let auth = format!(
        "Kanri-Agent {}:{}",
        reply["agent_id"].as_str().expect("id"),
        reply["secret"].as_str().expect("secret")
    );
    let fingerprint = kanri_proto::IdentityFacts {
        hostname: "sigterm-pc".into(),
        ..Default::default()
    }
    .fingerprint();
    let checkin = serde_json::json!({"host_id": "h-sigterm", "agent_version": "1", "fingerprint": fingerprint});
    tokio::time::sleep(Duration::from_millis(50)).await;
    let status = client
        .post(format!("{base}/agent/v1/checkin"))
        .header("authorization", &auth)
        .json(&checkin)
        .send()
        .await
        .expect("checkin")
        .status();
    assert_eq!(status, StatusCode::OK);

    // A channel poll is in flight when SIGTERM arrives: it ends, the process exits 0.
    let poll = tokio::spawn({
        let client = client.clone();
        let auth = auth.clone();
        let base = base.clone();
        async move {
            client
                .get(format!("{base}/agent/v1/channel"))
                .header("authorization", auth)
                .send()
                .await
                .map(|r| r.status())
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = child.id() as i32;
    unsafe { kill(pid, 15) };
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .expect("join")
        .expect("wait");
    assert!(status.success(), "exit status {status}");
    assert_eq!(poll.await.expect("join").expect("poll"), StatusCode::OK);

    // The buffered last-seen of the check-in reached the database.
    let db = kanri_server::core::db::Db::connect(
        &format!(
            "sqlite://{}?mode=rw",
            data.path().join("kanri.db").display()
        ),
        1,
    )
    .await
    .expect("db");
    let row: (i64, i64) =
        sqlx::query_as("SELECT last_seen, created_at FROM devices WHERE hostname = 'sigterm-pc'")
            .fetch_one(db.read())
            .await
            .expect("device");
    assert!(
        row.0 > row.1,
        "last_seen {} should be after enrollment {}",
        row.0,
        row.1
    );
}

extern "C" {
    fn kill(pid: i32, signal: i32) -> i32;
}
