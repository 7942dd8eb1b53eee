//! The real agent against the real server: enrollment over pinned HTTPS, a full cycle with the
//! test machine's own inventory, and an immediate refresh through the channel.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::both_backends;
use crate::support::{agent, agent_binary, this_hostname, wait_for, Backend, TestServer};

async fn enroll_and_run_once(backend: Backend) {
    let server = TestServer::start_with(backend, |config| config.http = false).await;
    assert!(server.base_url.starts_with("https://"));
    let token = server.enrollment_token(Some(1), None).await;
    let state = tempfile::tempdir().expect("state dir");
    let fingerprint = server.fingerprint.clone().expect("fingerprint");

    // A wrong pin is refused before anything is sent.
    let wrong = "00".repeat(32);
    let refused = agent(
        &[
            "enroll",
            "--server",
            &server.base_url,
            "--token",
            &token,
            "--ca-fingerprint",
            &wrong,
        ],
        state.path(),
    );
    assert!(!refused.status.success(), "a wrong pin must fail");

    let enrolled = agent(
        &[
            "enroll",
            "--server",
            &server.base_url,
            "--token",
            &token,
            "--ca-fingerprint",
            &fingerprint,
        ],
        state.path(),
    );
    assert!(
        enrolled.status.success(),
        "enroll: {}",
        String::from_utf8_lossy(&enrolled.stderr)
    );
    let mode = std::fs::metadata(state.path().join("state.json"))
        .expect("state.json")
        .permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o077,
        0,
        "credentials must be private"
    );

    let once = agent(&["run", "--once"], state.path());
    assert!(
        once.status.success(),
        "run --once: {}",
        String::from_utf8_lossy(&once.stderr)
    );

    let (status, list) = server
        .get(&format!("/api/v1/devices?hostname={}", this_hostname()))
        .await;
    assert_eq!(status, StatusCode::OK);
    let device = &list["items"][0];
    assert_eq!(device["hostname"], this_hostname());
    assert_eq!(device["state"], "managed");
    let id = device["id"].as_i64().expect("id");
    let (_, detail) = server.get(&format!("/api/v1/devices/{id}")).await;
    for section in ["hardware", "os", "network", "users", "services", "security"] {
        assert!(
            detail["sections"].get(section).is_some(),
            "section {section} missing: {detail}"
        );
    }
    assert!(
        detail["sections"]["hardware"]["memory_bytes"]
            .as_u64()
            .unwrap_or(0)
            > 0
    );
    assert!(
        detail["software_count"].as_i64().unwrap_or(0) > 100,
        "the test machine has hundreds of packages"
    );
    // The software → devices index trails uploads by one merge.
    server.flush().await;
    let (_, software) = server
        .get(&format!(
            "/api/v1/devices?software=dpkg&hostname={}",
            this_hostname()
        ))
        .await;
    assert_eq!(
        software["items"][0]["id"], id,
        "software filter finds the device by its dpkg package"
    );
    server.flush().await;
    let (_, catalogue) = server.get("/api/v1/software?name=dpkg").await;
    let dpkg = catalogue["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|s| s["name"] == "dpkg")
        .cloned()
        .expect("dpkg");
    let (_, with) = server
        .get(&format!("/api/v1/software/{}/devices", dpkg["id"]))
        .await;
    assert_eq!(with["items"][0]["id"], id);

    // A second cycle sends nothing new: the section hashes match.
    let again = agent(&["run", "--once"], state.path());
    assert!(again.status.success());
    let (_, history) = server.get(&format!("/api/v1/devices/{id}/history")).await;
    assert_eq!(
        history["items"].as_array().map(Vec::len),
        Some(0),
        "no changes, no history: {history}"
    );

    let status = agent(&["status"], state.path());
    assert!(String::from_utf8_lossy(&status.stdout).contains(&server.base_url));
    server.shutdown().await;
}
both_backends!(enroll_and_run_once, enroll_and_run_once);

async fn refresh_arrives_through_the_channel(backend: Backend) {
    // Check-ins an hour apart: only the channel can bring the refresh in time.
    let server = TestServer::start_with(backend, |config| {
        config.http = true;
        config.checkin_interval_secs = 3600;
    })
    .await;
    let token = server.enrollment_token(None, None).await;
    let state = tempfile::tempdir().expect("state dir");
    let enrolled = agent(
        &[
            "enroll",
            "--server",
            &server.base_url,
            "--token",
            &token,
            "--insecure-http",
        ],
        state.path(),
    );
    assert!(
        enrolled.status.success(),
        "enroll: {}",
        String::from_utf8_lossy(&enrolled.stderr)
    );
    let mut child = Command::new(agent_binary())
        .args(["run", "--state-dir"])
        .arg(state.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("agent run");
    let (_, list) = server
        .get(&format!("/api/v1/devices?hostname={}", this_hostname()))
        .await;
    let id = list["items"][0]["id"].as_i64().expect("device");
    let first = wait_for(Duration::from_secs(30), async || {
        let (_, device) = server.get(&format!("/api/v1/devices/{id}")).await;
        device["inventory_at"].as_i64().filter(|at| *at > 0)
    })
    .await
    .expect("first inventory");
    // Let the agent settle into its channel poll.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let asked = Instant::now();
    let (status, _) = server
        .api(
            reqwest::Method::POST,
            &format!("/api/v1/devices/{id}/refresh"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let refreshed = wait_for(Duration::from_secs(15), async || {
        let (_, device) = server.get(&format!("/api/v1/devices/{id}")).await;
        device["inventory_at"].as_i64().filter(|at| *at > first)
    })
    .await;
    let latency = asked.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        refreshed.is_some(),
        "the refresh did not arrive within 15 s"
    );
    eprintln!("refresh latency ({backend:?}): {} ms", latency.as_millis());
    server.shutdown().await;
}
both_backends!(
    refresh_arrives_through_the_channel,
    refresh_arrives_through_the_channel
);

/// `kanri-agent user-info` in a terminal: the real agent reads the form, the user picks a
/// department by its number and types a name, and the asset of the PC has them.
async fn user_info_in_the_terminal(backend: Backend) {
    use std::io::Write;
    let server = TestServer::start(backend).await;
    let (status, ward) = server
        .api(
            reqwest::Method::POST,
            "/api/v1/departments",
            Some(serde_json::json!({"name": "第二病棟"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ward}");
    let token = server.enrollment_token(None, None).await;
    let state = tempfile::tempdir().expect("state dir");
    let enrolled = agent(
        &[
            "enroll",
            "--server",
            &server.base_url,
            "--token",
            &token,
            "--insecure-http",
        ],
        state.path(),
    );
    assert!(
        enrolled.status.success(),
        "enroll: {}",
        String::from_utf8_lossy(&enrolled.stderr)
    );
    // Not due (the settings do not ask users): --if-due says so and asks nothing.
    let quiet = agent(&["user-info", "--if-due"], state.path());
    assert!(quiet.status.success());
    assert!(String::from_utf8_lossy(&quiet.stdout).contains("up to date"));

    let mut child = Command::new(agent_binary())
        .args(["user-info", "--state-dir"])
        .arg(state.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("user-info");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all("1\n看護 次郎\njiro\njiro@example.jp\n内線 55\n".as_bytes())
        .expect("answers");
    let done = child.wait_with_output().expect("wait");
    assert!(
        done.status.success(),
        "user-info: {}",
        String::from_utf8_lossy(&done.stderr)
    );
    let shown = String::from_utf8_lossy(&done.stdout);
    assert!(
        shown.contains("1. 第二病棟") && shown.contains("保存しました"),
        "{shown}"
    );
    let (_, page) = server.get("/api/v1/assets?user=jiro").await;
    let asset = &page["items"][0];
    assert_eq!(asset["user_name"], "看護 次郎", "{page}");
    assert_eq!(asset["department_id"], ward["id"]);
    assert_eq!(asset["user_phone"], "内線 55");
    server.shutdown().await;
}
both_backends!(user_info_in_the_terminal, user_info_in_the_terminal);
