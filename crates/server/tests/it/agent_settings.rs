//! Agent settings pushed by the server (event 6) and agent uninstall (event 5): the real agent
//! binary against the real server, and a protocol-level agent for the exact replies.

use std::path::Path;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::support::inventory::sample;
use crate::support::{agent, this_hostname, Backend, ProtoAgent, TestServer};

fn enroll(server: &TestServer, token: &str, state_dir: &Path) {
    let enrolled = agent(
        &[
            "enroll",
            "--server",
            &server.base_url,
            "--token",
            token,
            "--insecure-http",
        ],
        state_dir,
    );
    assert!(
        enrolled.status.success(),
        "enroll: {}",
        String::from_utf8_lossy(&enrolled.stderr)
    );
}

fn run_once(state_dir: &Path) {
    let once = agent(&["run", "--once"], state_dir);
    assert!(
        once.status.success(),
        "run --once: {}",
        String::from_utf8_lossy(&once.stderr)
    );
}

fn agent_status(state_dir: &Path) -> String {
    let output = agent(&["status"], state_dir);
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_slice(&bytes).expect("json")
}

/// Events with `code` for one device, newest first.
async fn device_events(server: &TestServer, code: i64, device_id: i64) -> Vec<Value> {
    let (status, body) = server
        .get(&format!(
            "/api/v1/events?code={code}&device_id={device_id}&lang=en"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().cloned().unwrap_or_default()
}

async fn put_settings(server: &TestServer, body: Value) -> (StatusCode, Value) {
    server
        .api(Method::PUT, "/api/v1/agent-settings", Some(body))
        .await
}

fn settings_body(version: u64, checkin: u64) -> Value {
    json!({
        "version": version,
        "checkin_interval_secs": checkin,
        "inventory_interval_secs": 7200,
        "queue_max_entries": 8,
        "queue_max_bytes": 8 * 1024 * 1024,
    })
}

async fn settings_reach_the_agent_once(backend: Backend) {
    let server = TestServer::start_with(backend, |config| {
        config.http = true;
        config.checkin_interval_secs = 90;
    })
    .await;
    // Until someone changes them: version 0, --checkin-interval and the agent's own defaults.
    let (status, defaults) = server.get("/api/v1/agent-settings").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        defaults,
        json!({
            "version": 0,
            "checkin_interval_secs": 90,
            "inventory_interval_secs": 3600,
            "queue_max_entries": 16,
            "queue_max_bytes": 32 * 1024 * 1024,
            "updated_at": null,
            "updated_by": null,
        })
    );

    let token = server.enrollment_token(None, None).await;
    let state = tempfile::tempdir().expect("state dir");
    enroll(&server, &token, state.path());
    run_once(state.path());
    let device_id = read_json(&state.path().join("state.json"))["device_id"]
        .as_i64()
        .expect("device id");
    let before = agent_status(state.path());
    assert!(
        before.contains("settings:      version 0 (defaults)\ncheck-in:      every 90 s\ninventory:     every 3600 s\n"),
        "{before}"
    );
    assert!(
        !state.path().join("settings.json").exists(),
        "the defaults are not pushed"
    );

    // An administrator changes them.
    let (status, stored) = put_settings(&server, settings_body(0, 120)).await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["version"], 1);
    assert_eq!(stored["checkin_interval_secs"], 120);
    assert_eq!(stored["updated_by"], "admin");
    assert!(stored["updated_at"].as_i64().unwrap_or(0) > 0, "{stored}");

    // A second administrator who also read version 0 is refused; nothing changes.
    let (status, conflict) = put_settings(&server, settings_body(0, 300)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict}");
    assert_eq!(conflict["code"], "conflict");
    assert!(
        conflict["message"]
            .as_str()
            .unwrap_or("")
            .contains("version 1"),
        "{conflict}"
    );
    // Values out of range are refused naming the field; nothing changes.
    for (field, value) in [
        ("checkin_interval_secs", json!(9)),
        ("inventory_interval_secs", json!(604_801)),
        ("queue_max_entries", json!(0)),
        ("queue_max_bytes", json!(1024)),
        ("queue_max_entries", json!(-1)),
    ] {
        let mut body = settings_body(1, 120);
        body[field] = value.clone();
        let (status, error) = put_settings(&server, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{field}={value}: {error}");
        assert_eq!(error["field"], field, "{error}");
    }
    let mut without_version = settings_body(1, 120);
    without_version
        .as_object_mut()
        .expect("object")
        .remove("version");
    let (status, error) = put_settings(&server, without_version).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    assert!(
        error["message"].as_str().unwrap_or("").contains("version"),
        "{error}"
    );
    let (_, after) = server.get("/api/v1/agent-settings").await;
    assert_eq!(after, stored, "refused updates change nothing");

    // The agent's next check-in brings them; it applies and keeps them.
    run_once(state.path());
    let kept = read_json(&state.path().join("settings.json"));
    assert_eq!(kept, first_change());
    let applied = agent_status(state.path());
    assert!(
        applied.contains(
            "settings:      version 1\ncheck-in:      every 120 s\ninventory:     every 7200 s\n"
        ),
        "{applied}"
    );
    assert!(
        applied.contains("(up to 8 entries, 8388608 bytes)"),
        "{applied}"
    );
    // That check-in still reported version 0: nothing applied yet, no event.
    assert!(device_events(&server, 6, device_id).await.is_empty());

    // The next one reports version 1: event 6, once.
    run_once(state.path());
    let events = device_events(&server, 6, device_id).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["severity"], "info");
    assert_eq!(events[0]["params"]["version"], 1);
    assert_eq!(events[0]["params"]["hostname"], this_hostname());
    assert_eq!(
        events[0]["message"],
        format!(
            "The agent settings were updated. (host name = {}, version = 1)",
            this_hostname()
        )
    );
    run_once(state.path());
    assert_eq!(device_events(&server, 6, device_id).await.len(), 1);
    server.shutdown().await;
}
both_backends!(settings_reach_the_agent_once, settings_reach_the_agent_once);

async fn checkin_replies_follow_the_settings(backend: Backend) {
    let mut server = TestServer::start(backend).await;
    let (status, _) = put_settings(&server, settings_body(0, 120)).await;
    assert_eq!(status, StatusCode::OK);
    let token = server.enrollment_token(None, None).await;
    let mut proto = ProtoAgent::new(&server, "settings-proto");
    let (status, enrolled) = proto.enroll(&token).await;
    assert_eq!(status, StatusCode::OK, "{enrolled}");
    assert_eq!(enrolled["checkin_interval_secs"], 120);
    let device_id = proto.device_id();
    let inventory = sample("settings-proto", &[], 4);

    // An agent on another version gets the settings; the interval follows them either way.
    let (status, reply) = proto.checkin_reporting(&inventory, 0).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["next_checkin_secs"], 120);
    assert_eq!(reply["settings"], first_change());
    assert!(device_events(&server, 6, device_id).await.is_empty());
    let (_, reply) = proto.checkin_reporting(&inventory, 1).await;
    assert_eq!(reply["next_checkin_secs"], 120);
    assert!(reply.get("settings").is_none(), "{reply}");
    assert_eq!(device_events(&server, 6, device_id).await.len(), 1);
    let (_, _) = proto.checkin_reporting(&inventory, 1).await;
    assert_eq!(device_events(&server, 6, device_id).await.len(), 1);

    // A restart forgets every cache: the applied version comes back from the database, and
    // the event is not raised again.
    server.stop().await;
    server.resume().await;
    proto.base_url = server.base_url.clone();
    let (status, reply) = proto.checkin_reporting(&inventory, 1).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["next_checkin_secs"], 120);
    assert!(reply.get("settings").is_none(), "{reply}");
    assert_eq!(device_events(&server, 6, device_id).await.len(), 1);

    // A new change reaches the agent and is recorded once more.
    let (status, _) = put_settings(&server, settings_body(1, 600)).await;
    assert_eq!(status, StatusCode::OK);
    let (_, reply) = proto.checkin_reporting(&inventory, 1).await;
    assert_eq!(reply["next_checkin_secs"], 600);
    assert_eq!(reply["settings"]["version"], 2);
    proto.checkin_reporting(&inventory, 2).await;
    let events = device_events(&server, 6, device_id).await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0]["params"]["version"], 2);
    assert_eq!(events[0]["params"]["hostname"], "settings-proto");
    server.shutdown().await;
}
both_backends!(
    checkin_replies_follow_the_settings,
    checkin_replies_follow_the_settings
);

async fn uninstall_makes_the_device_agentless(backend: Backend) {
    // One licence: the uninstall must free it.
    let server = TestServer::start_with(backend, |config| {
        config.http = true;
        config.licence_devices = Some(1);
    })
    .await;
    let token = server.enrollment_token(None, None).await;
    let state = tempfile::tempdir().expect("state dir");
    enroll(&server, &token, state.path());
    run_once(state.path());
    let saved = read_json(&state.path().join("state.json"));
    let device_id = saved["device_id"].as_i64().expect("device id");
    let old_auth = format!(
        "{} {}:{}",
        kanri_proto::AUTH_SCHEME,
        saved["credentials"]["agent_id"].as_str().expect("agent id"),
        saved["credentials"]["secret"].as_str().expect("secret")
    );
    let mut other = ProtoAgent::new(&server, "waiting-for-a-licence");
    let (status, _) = other.enroll(&token).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the licence is in use");

    let uninstalled = agent(&["uninstall"], state.path());
    let stdout = String::from_utf8_lossy(&uninstalled.stdout);
    assert!(
        uninstalled.status.success(),
        "uninstall: {stdout}{}",
        String::from_utf8_lossy(&uninstalled.stderr)
    );
    assert!(
        stdout.contains(&format!("device {device_id} is now discovered")),
        "{stdout}"
    );
    assert!(
        !state.path().exists(),
        "the state dir held only the agent's files: {stdout}"
    );

    let (_, device) = server.get(&format!("/api/v1/devices/{device_id}")).await;
    assert_eq!(device["state"], "discovered", "{device}");
    assert_eq!(device["agent_active"], false);
    assert_eq!(device["agent_version"], "");
    let events = device_events(&server, 5, device_id).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["severity"], "alert");
    assert_eq!(events[0]["params"], json!({"hostname": this_hostname()}));
    assert_eq!(
        events[0]["message"],
        format!(
            "The agent was uninstalled. (host name = {})",
            this_hostname()
        )
    );
    assert!(
        device_events(&server, 2, device_id).await.is_empty(),
        "no 'excluded' event for an uninstall"
    );

    // The old credentials are refused everywhere, as for any revoked agent.
    let post = |path: &'static str, auth: Option<String>, body: Value| {
        let mut request = server
            .client
            .post(format!("{}{path}", server.base_url))
            .json(&body);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        async move { request.send().await.expect("post").status() }
    };
    let checkin = json!({"host_id": "h", "agent_version": "0.1.0", "fingerprint": "f"});
    let uninstall = json!({"host_id": "h", "agent_version": "0.1.0"});
    assert_eq!(
        post(kanri_proto::paths::CHECKIN, Some(old_auth.clone()), checkin).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post(
            kanri_proto::paths::UNINSTALL,
            Some(old_auth),
            uninstall.clone()
        )
        .await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post(kanri_proto::paths::UNINSTALL, None, uninstall).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(device_events(&server, 5, device_id).await.len(), 1);

    // The freed licence can be used.
    let (status, body) = other.enroll(&token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    server.shutdown().await;
}
both_backends!(
    uninstall_makes_the_device_agentless,
    uninstall_makes_the_device_agentless
);

async fn uninstall_needs_the_server_unless_forced(backend: Backend) {
    let mut server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    let state = tempfile::tempdir().expect("state dir");
    enroll(&server, &token, state.path());
    let device_id = read_json(&state.path().join("state.json"))["device_id"]
        .as_i64()
        .expect("device id");
    server.stop().await;

    let refused = agent(&["uninstall"], state.path());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "without the server: {stderr}");
    assert!(
        stderr.contains("not told") && stderr.contains("--force"),
        "{stderr}"
    );
    let kept = read_json(&state.path().join("state.json"));
    assert!(kept["credentials"]["secret"].is_string(), "nothing removed");

    let forced = agent(&["uninstall", "--force"], state.path());
    let stdout = String::from_utf8_lossy(&forced.stdout);
    assert!(
        forced.status.success(),
        "--force: {stdout}{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    assert!(stdout.contains("NOT told"), "{stdout}");
    assert!(!state.path().join("state.json").exists());

    // The server really was not told: the device is still managed, without event 5.
    server.resume().await;
    let (_, device) = server.get(&format!("/api/v1/devices/{device_id}")).await;
    assert_eq!(device["state"], "managed", "{device}");
    assert!(device_events(&server, 5, device_id).await.is_empty());
    server.shutdown().await;
}
both_backends!(
    uninstall_needs_the_server_unless_forced,
    uninstall_needs_the_server_unless_forced
);

/// The settings after the tests' first change, as the agent keeps them and the server sends them.
fn first_change() -> Value {
    json!({
        "version": 1,
        "checkin_interval_secs": 120,
        "inventory_interval_secs": 7200,
        "queue_max_entries": 8,
        "queue_max_bytes": 8 * 1024 * 1024,
    })
}
