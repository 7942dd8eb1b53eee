//! The load generator against a real server: every phase runs without errors over plain HTTP
//! (its own connection pool) and over HTTPS (`reqwest`, `--insecure`), and the server ends up
//! holding every simulated device.

use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::{loadgen_binary, Backend, TestServer};

const AGENTS: u64 = 12;

async fn run_loadgen(server: &TestServer, extra: &[&str]) -> Value {
    let token = server.enrollment_token(None, None).await;
    let mut command = Command::new(loadgen_binary());
    command.args([
        "--server",
        &server.base_url,
        "--token",
        &token,
        "--agents",
        &AGENTS.to_string(),
        "--duration",
        "3",
        "--software-per-agent",
        "40",
        "--checkin-interval",
        "0.5",
        "--inventory-every",
        "1",
        "--settle",
        "0.5",
        "--seed",
        "7",
        "--json",
    ]);
    command.args(extra);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("join")
        .expect("run kanri-loadgen");
    assert!(
        output.status.success(),
        "kanri-loadgen failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON summary")
}

fn kind<'a>(summary: &'a Value, name: &str) -> &'a Value {
    summary["requests"]
        .as_array()
        .expect("requests")
        .iter()
        .find(|entry| entry["kind"] == name)
        .unwrap_or_else(|| panic!("no {name} in {summary}"))
}

async fn check_run(server: &TestServer, summary: &Value) {
    for entry in summary["requests"].as_array().expect("requests") {
        assert_eq!(entry["errors"], 0, "{entry}");
    }
    assert_eq!(kind(summary, "enroll")["ok"], AGENTS, "{summary}");
    assert_eq!(kind(summary, "inventory-full")["ok"], AGENTS, "{summary}");
    // 12 agents every 0.5 s for 3 s: about 72 check-ins.
    let checkins = kind(summary, "checkin")["ok"].as_u64().expect("count");
    assert!(checkins >= 50, "{checkins} check-ins");
    // Software changes every second make the server ask for the software section again.
    assert!(
        summary["changes"].as_u64().expect("changes") > 0,
        "{summary}"
    );
    assert!(
        kind(summary, "inventory-delta")["ok"]
            .as_u64()
            .expect("count")
            > 0,
        "{summary}"
    );
    assert!(summary["phases"]["settle_secs"].as_f64().expect("settle") >= 0.5);

    let (status, page) = server.get("/api/v1/devices?limit=100").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        page["items"].as_array().expect("items").len() as u64,
        AGENTS
    );
}

async fn runs_clean_over_plain_http(backend: Backend) {
    let server = TestServer::start_with(backend, |config| config.http = true).await;
    let summary = run_loadgen(&server, &[]).await;
    check_run(&server, &summary).await;
    server.shutdown().await;
}
crate::both_backends!(runs_clean_over_plain_http, runs_clean_over_plain_http);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_clean_over_https() {
    let server = TestServer::start_with(Backend::Sqlite, |config| config.http = false).await;
    assert!(server.base_url.starts_with("https://"));
    let summary = run_loadgen(&server, &["--insecure"]).await;
    check_run(&server, &summary).await;
    server.shutdown().await;
}

/// A second run numbered after the first (`--first-agent`) adds new machines with the same
/// catalogue instead of re-enrolling the first run's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_adds_new_machines() {
    let server = TestServer::start_with(Backend::Sqlite, |config| config.http = true).await;
    run_loadgen(&server, &[]).await;
    let first_agent = AGENTS.to_string();
    let summary = run_loadgen(&server, &["--first-agent", &first_agent]).await;
    assert_eq!(kind(&summary, "enroll")["ok"], AGENTS, "{summary}");
    assert_eq!(kind(&summary, "inventory-full")["ok"], AGENTS, "{summary}");
    let (status, page) = server.get("/api/v1/devices?limit=100").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        page["items"].as_array().expect("items").len() as u64,
        2 * AGENTS
    );
    server.shutdown().await;
}
