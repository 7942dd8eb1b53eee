//! The agent's local user-information form in a real browser: the page renders with its style
//! under its Content-Security-Policy, and a user who picks a department, types their details
//! and saves updates the PC's asset on the server.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::harness::Browser;
use crate::support::{agent, agent_binary, Backend, TestServer};

/// The agent, stopped if the test fails before it exits.
struct KilledOnDrop(std::process::Child);

impl Drop for KilledOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_saves_the_local_form_in_the_browser() {
    let server = TestServer::start(Backend::Sqlite).await;
    let (_, ward) = server
        .api(
            reqwest::Method::POST,
            "/api/v1/departments",
            Some(serde_json::json!({"name": "放射線科"})),
        )
        .await;
    let ward_id = ward["id"].as_i64().expect("department id").to_string();
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
    assert!(enrolled.status.success());
    let mut form = KilledOnDrop(
        Command::new(agent_binary())
            .args([
                "user-info",
                "--print-url",
                "--timeout",
                "300",
                "--state-dir",
            ])
            .arg(state.path())
            .env("LANG", "ja_JP.UTF-8")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("kanri-agent user-info"),
    );
    let mut stdout = BufReader::new(form.0.stdout.take().expect("stdout"));
    let (url, mut stdout) = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        stdout.read_line(&mut line).expect("the form's URL");
        (line.trim().to_string(), stdout)
    })
    .await
    .expect("join");

    let browser = Browser::open(&server, "ja").await;
    browser.goto_url(&url).await;
    assert_eq!(browser.text("h1").await, "利用者情報の入力をお願いします");
    // The style element runs under the policy's nonce: without it the body would be as wide
    // as the window.
    let width = browser
        .eval("return getComputedStyle(document.body).maxWidth")
        .await;
    assert_ne!(
        width,
        serde_json::json!("none"),
        "the page's style was blocked"
    );
    browser.select("#department", &ward_id).await;
    browser.fill("#user_name", "技師 四郎").await;
    browser.fill("#user_account", "shiro").await;
    browser.fill("#user_email", "shiro@example.jp").await;
    browser.fill("#user_phone", "PHS 4040").await;
    browser.screenshot("user-info-form").await;
    browser.click_and_load("#save").await;
    assert_eq!(browser.text("h1").await, "保存しました");
    assert!(browser.text("#saved").await.contains("閉じてかまいません"));
    browser.screenshot("user-info-saved").await;
    browser.close().await;

    let finished = tokio::task::spawn_blocking(move || {
        let mut rest = String::new();
        let _ = std::io::Read::read_to_string(&mut stdout, &mut rest);
        (form.0.wait().expect("wait"), rest)
    });
    let (status, printed) = tokio::time::timeout(Duration::from_secs(30), finished)
        .await
        .expect("the agent exits after the answer")
        .expect("join");
    assert!(status.success(), "{printed}");
    let (_, page) = server.get("/api/v1/assets?user=shiro").await;
    let asset = &page["items"][0];
    assert_eq!(asset["user_name"], "技師 四郎", "{page}");
    assert_eq!(asset["user_phone"], "PHS 4040");
    assert_eq!(asset["department_id"], ward["id"]);
    server.shutdown().await;
}
