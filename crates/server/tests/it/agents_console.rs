//! Settings → Agents: enrollment tokens through the REST API and the console (states,
//! validation, revocation that a real enrollment then meets, audit entries, system
//! administrators only), and the one-line install — the real `curl` pinning the server's
//! public key, the served script run by `sh`, the real agent enrolling this machine.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::console::{csrf_in, signed_in, signed_in_admin};
use crate::support::{agent, agent_binary, this_hostname, Backend, ProtoAgent, TestServer};

const TOKENS: &str = "/api/v1/enrollment-tokens";

/// A REST call with another account's API token.
async fn call_as(
    server: &TestServer,
    api_token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = server
        .client
        .request(method, format!("{}{path}", server.base_url))
        .bearer_auth(api_token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// An account with every division, every department and the user-account management
/// privilege, but not the system administration privilege; returns its API token.
async fn non_system_admin(server: &TestServer, login: &str) -> String {
    let (status, body) = server
        .api(
            Method::POST,
            "/api/v1/users",
            Some(json!({
                "login": login, "password": "First-pass-1", "account_admin": true,
                "divisions": ["security", "assets", "devices", "distribution"],
                "all_departments": true
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    kanri_server::accounts::service::create_api_token(&server.state().db, login, "tests", None)
        .await
        .expect("token")
}

async fn create(server: &TestServer, body: Value) -> Value {
    let (status, created) = server.api(Method::POST, TOKENS, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

/// The listed token with `id`.
async fn listed(server: &TestServer, id: &Value) -> Value {
    let (status, list) = server.get(TOKENS).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array()
        .and_then(|items| items.iter().find(|item| item["id"] == *id))
        .cloned()
        .unwrap_or_else(|| panic!("token {id} not listed: {list}"))
}

/// Audit entries about agents and enrollment tokens, newest first.
async fn agent_audit(server: &TestServer) -> Vec<Value> {
    let (status, page) = server
        .get("/api/v1/audit?category=ConfigurationAccess&limit=1000")
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|entry| entry["object"] == "Agent")
        .cloned()
        .collect()
}

/// The real agent's `enroll` against a plain-HTTP server.
fn real_enroll(server: &TestServer, token: &str, state_dir: &Path) -> Output {
    agent(
        &[
            "enroll",
            "--server",
            &server.base_url,
            "--token",
            token,
            "--insecure-http",
        ],
        state_dir,
    )
}

async fn enrollment_tokens_through_the_api(backend: Backend) {
    let server = TestServer::start(backend).await;
    let before = kanri_server::core::time::now_ms();
    let created = create(
        &server,
        json!({"label": "病棟 <b>3F</b>", "expires_in_days": 7, "uses": 2}),
    )
    .await;
    let token = created["token"].as_str().expect("token").to_string();
    assert!(token.starts_with("ket_") && token.len() == 68, "{token}");
    assert_eq!(created["label"], "病棟 <b>3F</b>");
    assert_eq!(created["state"], "active");
    assert_eq!(created["uses"], 0);
    assert_eq!(created["uses_allowed"], 2);
    let expires_at = created["expires_at"].as_i64().expect("expiry");
    let week = 7 * 86_400_000;
    assert!(
        (before + week..before + week + 60_000).contains(&expires_at),
        "{expires_at}"
    );
    assert_eq!(
        created["install_command"],
        format!(
            "curl -fsSL {}/agent/install.sh | sudo sh -s -- --token {token}",
            server.base_url
        ),
        "plain HTTP: nothing to pin"
    );
    assert_eq!(
        created["enroll_command"],
        format!(
            "sudo kanri-agent enroll --server {} --token {token} --insecure-http",
            server.base_url
        )
    );
    assert_eq!(created["server_url"], server.base_url);
    assert!(created["ca_fingerprint"].is_null() && created["public_key_pin"].is_null());
    let id = created["id"].clone();

    // The list never shows the token or its hash.
    let (_, list) = server.get(TOKENS).await;
    let text = list.to_string();
    assert!(!text.contains(&token), "{text}");
    let item = listed(&server, &id).await;
    let mut keys: Vec<&str> = item
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "created_at",
            "expires_at",
            "id",
            "label",
            "revoked_at",
            "state",
            "uses",
            "uses_allowed"
        ]
    );

    // Refused input names the field.
    for (body, field) in [
        (json!({"label": "x".repeat(101)}), "label"),
        (json!({"label": "bell\u{7}"}), "label"),
        (json!({"label": "two\nlines"}), "label"),
        (json!({"uses": 0}), "uses"),
        (json!({"uses": 100_001}), "uses"),
        (json!({"uses": -1}), "uses"),
        (json!({"expires_in_days": 0}), "expires_in_days"),
        (json!({"expires_in_days": 3651}), "expires_in_days"),
        (json!({"secret": "mine"}), ""),
    ] {
        let (status, refused) = server.api(Method::POST, TOKENS, Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {refused}");
        if !field.is_empty() {
            assert_eq!(refused["field"], field, "{body}: {refused}");
        }
    }
    let (_, list) = server.get(TOKENS).await;
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(1),
        "nothing refused was stored"
    );
    // The limits themselves pass, and no limit at all.
    let widest = create(
        &server,
        json!({"label": "x".repeat(100), "expires_in_days": 3650, "uses": 100_000}),
    )
    .await;
    assert_eq!(widest["uses_allowed"], 100_000);
    let open = create(&server, json!({})).await;
    assert!(open["expires_at"].is_null() && open["uses_allowed"].is_null());
    assert_eq!(open["state"], "active");

    // Used: counted; used up after the allowed uses.
    let mut first = ProtoAgent::new(&server, "ward-3f-01");
    assert_eq!(first.enroll(&token).await.0, StatusCode::OK);
    assert_eq!(listed(&server, &id).await["uses"], 1);
    let mut second = ProtoAgent::new(&server, "ward-3f-02");
    assert_eq!(second.enroll(&token).await.0, StatusCode::OK);
    let item = listed(&server, &id).await;
    assert_eq!(
        (item["uses"].as_i64(), item["state"].as_str()),
        (Some(2), Some("used_up"))
    );

    // Expired: past its expiry (moved back in the database, as a week would).
    sqlx::query("UPDATE enrollment_tokens SET expires_at = $1 WHERE id = $2")
        .bind(before - 1)
        .bind(widest["id"].as_i64().expect("id"))
        .execute(server.state().db.write())
        .await
        .expect("age the token");
    assert_eq!(listed(&server, &widest["id"]).await["state"], "expired");
    let mut late = ProtoAgent::new(&server, "ward-3f-03");
    let (status, body) = late.enroll(widest["token"].as_str().expect("token")).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("token_expired"))
    );

    // Revoked: a real enrollment is refused from then on; agents enrolled keep working.
    let spare = create(&server, json!({"label": "spare", "uses": 5})).await;
    let spare_token = spare["token"].as_str().expect("token").to_string();
    let path = format!("{TOKENS}/{}", spare["id"]);
    let (status, _) = server.api(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let item = listed(&server, &spare["id"]).await;
    assert_eq!(item["state"], "revoked");
    assert!(item["revoked_at"].as_i64().is_some_and(|at| at >= before));
    let state = tempfile::tempdir().expect("state dir");
    let refused = real_enroll(&server, &spare_token, state.path());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "a revoked token enrolled");
    assert!(stderr.contains("revoked"), "{stderr}");
    assert!(!state.path().join("state.json").exists());
    let (status, _) = first
        .checkin(&crate::support::inventory::sample(
            "ward-3f-01",
            &[("bash", "5.2")],
            8,
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "enrolled agents are not affected");
    let (status, body) = server.api(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "revoked already: {body}");
    let (status, _) = server
        .api(Method::DELETE, &format!("{TOKENS}/999999"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A live token still enrolls the real agent.
    let live = create(&server, json!({"label": "live", "uses": 1})).await;
    let enrolled = real_enroll(
        &server,
        live["token"].as_str().expect("token"),
        state.path(),
    );
    assert!(
        enrolled.status.success(),
        "{}",
        String::from_utf8_lossy(&enrolled.stderr)
    );

    // Each creation and the one revocation are audited, with the label, never the token.
    let entries = agent_audit(&server).await;
    let adds: Vec<&Value> = entries.iter().filter(|e| e["op"] == "Add").collect();
    let deletes: Vec<&Value> = entries.iter().filter(|e| e["op"] == "Delete").collect();
    assert_eq!((adds.len(), deletes.len()), (5, 1), "{entries:?}");
    let first_add = adds.last().expect("the first creation");
    assert_eq!(first_add["object_id"], id.to_string());
    assert_eq!(first_add["detail"]["label"], "病棟 <b>3F</b>");
    assert_eq!(first_add["detail"]["uses_allowed"], 2);
    assert_eq!(first_add["component"], "Api");
    assert_eq!(first_add["login"], "admin");
    assert_eq!(deletes[0]["object_id"], spare["id"].to_string());
    assert_eq!(deletes[0]["detail"]["label"], "spare");
    assert!(!Value::Array(entries.clone()).to_string().contains("ket_"));

    // Only system administrators, whatever else an account may do.
    let other = non_system_admin(&server, "jimu-kanri").await;
    let (status, body) = call_as(&server, &other, Method::GET, TOKENS, None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("system_admin_required"))
    );
    let (status, _) = call_as(&server, &other, Method::POST, TOKENS, Some(json!({}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let live_path = format!("{TOKENS}/{}", open["id"]);
    let (status, _) = call_as(&server, &other, Method::DELETE, &live_path, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(listed(&server, &open["id"]).await["state"], "active");
    let (_, list) = server.get(TOKENS).await;
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(5),
        "the refusals created nothing"
    );
    let anonymous = server
        .client
        .get(format!("{}{TOKENS}", server.base_url))
        .send()
        .await
        .expect("request");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    server.shutdown().await;
}
both_backends!(
    enrollment_tokens_through_the_api,
    enrollment_tokens_through_the_api
);

/// The text of the element with `id="…"` (its first text, up to the next tag).
fn text_of(html: &str, id: &str) -> String {
    let marker = format!("id=\"{id}\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let start = at + html[at..].find('>').expect("tag end") + 1;
    let end = start + html[start..].find('<').expect("next tag");
    html[start..end].to_string()
}

/// The row of token `id` in the list page.
fn row_of(html: &str, id: &Value) -> String {
    let marker = format!("data-testid=\"token-{id}\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no row for token {id}: {html}"));
    let end = at + html[at..].find("</tr>").expect("row end");
    html[at..end].to_string()
}

async fn settings_agents_page(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut browser = signed_in_admin(&server).await;
    let (status, _, page) = browser.get("/settings/agents").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("エージェントの導入"), "{page}");
    assert!(page.contains("href=\"/settings\" aria-current=\"page\""));
    assert!(page.contains("data-testid=\"no-tokens\""));
    assert!(
        page.contains("data-testid=\"http-warning\""),
        "a plain-HTTP server says nothing verifies it"
    );
    assert!(page.contains(&format!(
        "<code data-testid=\"server-url\">{}</code>",
        server.base_url
    )));
    let csrf = csrf_in(&page);

    // A forged form creates nothing.
    let label = "<script>alert(1)</script>";
    let (status, _, _) = browser
        .post(
            "/settings/agents/tokens",
            &[
                ("csrf", "forged"),
                ("label", label),
                ("expires_in_days", "7"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, list) = server.get(TOKENS).await;
    assert_eq!(list.as_array().map(Vec::len), Some(0));

    // A refused form comes back with what was typed and why, in Japanese.
    let (status, _, page) = browser
        .post(
            "/settings/agents/tokens",
            &[
                ("csrf", &csrf),
                ("label", "病棟"),
                ("expires_in_days", "7"),
                ("uses", "abc"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("data-testid=\"token-error\"") && page.contains("使用回数の上限は1〜100000"),
        "{page}"
    );
    assert!(page.contains("name=\"uses\" value=\"abc\"") && page.contains("value=\"病棟\""));
    let (status, _, page) = browser
        .post(
            "/settings/agents/tokens",
            &[("csrf", &csrf), ("label", "x"), ("expires_in_days", "3651")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("有効期限は1〜3650日"), "{page}");

    // Created: the token and the whole command, once, with the label escaped.
    let (status, _, created) = browser
        .post(
            "/settings/agents/tokens",
            &[
                ("csrf", &csrf),
                ("label", label),
                ("expires_in_days", "7"),
                ("uses", "3"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert!(created.contains("登録トークンを作成しました"));
    assert!(
        created.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
        "{created}"
    );
    assert!(!created.contains("<script>alert"), "never raw");
    let token = text_of(&created, "enrollment-token");
    assert!(token.starts_with("ket_"), "{token}");
    assert_eq!(
        text_of(&created, "install-command"),
        format!(
            "curl -fsSL {}/agent/install.sh | sudo sh -s -- --token {token}",
            server.base_url
        )
    );
    assert!(text_of(&created, "enroll-command").contains(&format!("--token {token}")));
    let (_, list) = server.get(TOKENS).await;
    let id = list[0]["id"].clone();
    assert_eq!(
        (list[0]["label"].as_str(), list[0]["uses_allowed"].as_i64()),
        (Some(label), Some(3))
    );
    let mut agent = ProtoAgent::new(&server, "console-made");
    assert_eq!(
        agent.enroll(&token).await.0,
        StatusCode::OK,
        "the shown token enrolls"
    );

    // The list: state, uses, escaped label; the token itself is never shown again.
    let (_, _, page) = browser.get("/settings/agents").await;
    let row = row_of(&page, &id);
    assert!(
        row.contains("data-state=\"active\"") && row.contains(">有効<"),
        "{row}"
    );
    assert!(row.contains("1 / 3"), "{row}");
    assert!(
        row.contains("&#60;script&#62;") && !row.contains("<script>"),
        "{row}"
    );
    assert!(!page.contains(&token), "shown once");

    // Revoking needs the form's token too.
    let revoke = format!("/settings/agents/tokens/{id}/revoke");
    let (status, _, _) = browser.post(&revoke, &[("csrf", "forged")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, list) = server.get(TOKENS).await;
    assert_eq!(list[0]["state"], "active");
    let (status, location, _) = browser.post(&revoke, &[("csrf", &csrf)]).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/settings/agents")
    );
    let (_, _, page) = browser.get("/settings/agents").await;
    let row = row_of(&page, &id);
    assert!(
        row.contains("data-state=\"revoked\"") && row.contains(">失効<"),
        "{row}"
    );
    assert!(
        !row.contains("revoke-"),
        "no button for a revoked token: {row}"
    );
    let mut late = ProtoAgent::new(&server, "too-late");
    let (status, body) = late.enroll(&token).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("token_revoked"))
    );
    let entries = agent_audit(&server).await;
    let ops: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["op"].as_str().unwrap_or(""),
                e["component"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(ops, [("Delete", "Gui"), ("Add", "Gui")], "{entries:?}");

    // Anyone else: no menu entry, the 403 page, and nothing created or revoked.
    non_system_admin(&server, "jimu-kanri").await;
    let (_, live) = server
        .api(Method::POST, TOKENS, Some(json!({"label": "live"})))
        .await;
    let mut other = signed_in(&server, "jimu-kanri", "First-pass-1", "Jimu-2026!ok").await;
    let (status, _, devices) = other.get("/devices").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!devices.contains("/settings/agents"), "no settings menu");
    let (status, _, page) = other.get("/settings/agents").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        page.contains("この画面を表示する権限がありません"),
        "{page}"
    );
    let other_csrf = csrf_in(&devices);
    let (status, _, _) = other
        .post(
            "/settings/agents/tokens",
            &[("csrf", &other_csrf), ("label", "mine")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let revoke = format!("/settings/agents/tokens/{}/revoke", live["id"]);
    let (status, _, _) = other.post(&revoke, &[("csrf", &other_csrf)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, list) = server.get(TOKENS).await;
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    assert_eq!(list[0]["state"], "active");
    server.shutdown().await;
}
both_backends!(settings_agents_page, settings_agents_page);

/// Runs `command` with `sh -c` and the install script's settings, capturing its output.
fn run_install(command: &str, root: &Path) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(command)
        .env("KANRI_PREFIX", root.join("bin"))
        .env("KANRI_STATE_DIR", root.join("state"))
        .env("KANRI_NO_SERVICE", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run sh")
}

/// The one-line install over HTTPS, as an administrator copies it (minus `sudo`): curl pins
/// the server's public key, the script installs the executable the server hands out, and the
/// agent enrolls this machine.
async fn one_line_install_enrolls_this_machine(backend: Backend) {
    let server = TestServer::start_with(backend, |config| {
        config.http = false;
        config.agent_binary = Some(agent_binary());
    })
    .await;
    assert!(server.base_url.starts_with("https://"));
    let created = create(&server, json!({"label": "e2e", "uses": 1})).await;
    let token = created["token"].as_str().expect("token").to_string();
    let command = created["install_command"]
        .as_str()
        .expect("command")
        .to_string();
    let pin = server
        .state()
        .tls
        .as_ref()
        .and_then(|tls| tls.public_key_pin.clone())
        .expect("a pin");
    assert_eq!(
        command,
        format!(
            "curl --pinnedpubkey '{pin}' -kfsSL {}/agent/install.sh | sudo sh -s -- --token {token}",
            server.base_url
        )
    );
    assert_eq!(
        created["ca_fingerprint"],
        server.fingerprint.clone().expect("fingerprint")
    );

    // curl refuses a server whose key is not the pinned one, -k notwithstanding.
    let wrong = Command::new("curl")
        .args([
            "--pinnedpubkey",
            "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "-kfsSL",
            &format!("{}/agent/install.sh", server.base_url),
        ])
        .output()
        .expect("run curl");
    assert!(
        !wrong.status.success() && wrong.stdout.is_empty(),
        "a wrong pin must fail"
    );

    let root = tempfile::tempdir().expect("install root");
    let local = command.replacen(" | sudo sh ", " | sh ", 1);
    assert_ne!(local, command);
    let installed = run_install(&local, root.path());
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&installed.stdout),
        String::from_utf8_lossy(&installed.stderr)
    );
    assert!(installed.status.success(), "install: {output}");
    assert!(
        !output.contains(&token),
        "the script printed the token: {output}"
    );
    assert!(output.contains("no systemd service was set up"), "{output}");
    let binary = root.path().join("bin/kanri-agent");
    assert_eq!(
        std::fs::read(&binary).expect("installed agent"),
        std::fs::read(agent_binary()).expect("served agent"),
        "the executable the server hands out"
    );
    let mode = std::fs::metadata(&binary).expect("mode").permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o755
    );
    assert!(root.path().join("state/state.json").exists());
    let leftovers: Vec<_> = std::fs::read_dir(root.path().join("bin"))
        .expect("bin")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(leftovers, ["kanri-agent"], "no temporary file left");

    let (status, list) = server
        .get(&format!("/api/v1/devices?hostname={}", this_hostname()))
        .await;
    assert_eq!(status, StatusCode::OK);
    let device = &list["items"][0];
    assert_eq!(device["hostname"], this_hostname(), "{list}");
    assert_eq!(device["state"], "managed");
    assert_eq!(listed(&server, &created["id"]).await["state"], "used_up");
    let status = agent(&["status"], &root.path().join("state"));
    assert!(
        String::from_utf8_lossy(&status.stdout).contains(&server.base_url),
        "{}",
        String::from_utf8_lossy(&status.stdout)
    );

    // Again with the spent token: the script fails loudly, still without printing it.
    let again = run_install(&local, tempfile::tempdir().expect("root").path());
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&again.stdout),
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(
        !again.status.success(),
        "a used-up token installed: {output}"
    );
    assert!(output.contains("enrollment failed"), "{output}");
    assert!(!output.contains(&token), "{output}");
    server.shutdown().await;
}
both_backends!(
    one_line_install_enrolls_this_machine,
    one_line_install_enrolls_this_machine
);

/// Without an agent executable the server says what to do; the script is served anyway (it
/// holds no secret), names the address it was asked at, and fails loudly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_agent_executable_the_install_fails_loudly() {
    let missing = tempfile::tempdir().expect("dir");
    let absent = missing.path().join("kanri-agent");
    let server = TestServer::start_with(Backend::Sqlite, |config| {
        config.http = true;
        config.agent_binary = Some(absent);
    })
    .await;
    let response = server
        .client
        .get(format!("{}/agent/kanri-agent", server.base_url))
        .send()
        .await
        .expect("binary");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response
        .text()
        .await
        .unwrap_or_default()
        .contains("--agent-binary"));

    let response = server
        .client
        .get(format!("{}/agent/install.sh", server.base_url))
        .send()
        .await
        .expect("script");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let script = response.text().await.expect("text");
    assert!(script.starts_with("#!/bin/sh\n") && script.contains("\nset -eu\n"));
    assert!(
        script.contains(&format!("server='{}'", server.base_url)),
        "{script}"
    );
    assert!(script.contains("fingerprint=''") && script.contains("pin=''"));
    // A Host that is not host[:port] never reaches a script.
    let response = server
        .client
        .get(format!("{}/agent/install.sh", server.base_url))
        .header("host", "evil.example/$(id)")
        .send()
        .await
        .expect("script");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    let mut browser = signed_in_admin(&server).await;
    let (_, _, page) = browser.get("/settings/agents").await;
    assert!(page.contains("data-testid=\"binary-missing\""), "{page}");

    let created = create(&server, json!({"label": "no binary"})).await;
    let command = created["install_command"].as_str().expect("command");
    let root = tempfile::tempdir().expect("root");
    let failed = run_install(&command.replacen(" | sudo sh ", " | sh ", 1), root.path());
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(!failed.status.success());
    assert!(stderr.contains("cannot download"), "{stderr}");
    assert!(!root.path().join("bin/kanri-agent").exists());
    assert_eq!(listed(&server, &created["id"]).await["uses"], 0);
    server.shutdown().await;
}
