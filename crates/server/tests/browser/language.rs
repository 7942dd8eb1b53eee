//! The console's language: the browser's before sign-in, the account's after, Japanese
//! unless either says English. The words are spelled out here rather than read from the
//! catalogue, so a wrong entry in it fails too.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::Browser;
use crate::support::{Backend, ProtoAgent, TestServer};

/// A Japanese browser gets Japanese pages; an English one an English login page; an account
/// switched to English gets English pages in the Japanese browser.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_follow_the_browser_then_the_account() {
    let server = TestServer::start(Backend::Sqlite).await;
    let token = server.enrollment_token(None, None).await;
    let (status, _) = ProtoAgent::new(&server, "uketsuke-01").enroll(&token).await;
    assert_eq!(status, StatusCode::OK);

    let english = Browser::open(&server, "en").await;
    english.goto("/login").await;
    assert_eq!(english.attr("html", "lang").await.as_deref(), Some("en"));
    assert_eq!(english.text("h1").await, "Sign in");
    english.close().await;

    let browser = Browser::open(&server, "ja").await;
    browser.goto("/login").await;
    assert_eq!(browser.attr("html", "lang").await.as_deref(), Some("ja"));
    assert_eq!(browser.text("h1").await, "ログイン");
    assert_eq!(
        browser.texts("form label").await,
        ["ユーザーID", "パスワード"]
    );
    assert_eq!(browser.text("form button").await, "ログイン");
    browser
        .first_sign_in("admin", &server.admin_password, "Kanri-2026!x")
        .await;
    assert_eq!(browser.text("h1").await, "ホーム");
    assert_eq!(
        browser.texts("section.panel h2").await,
        [
            "管理状態別の機器数",
            "OS別の機器数",
            "一定期間接続のない管理対象機器",
            "未確認のイベント",
            "新しく見つかったソフトウェア",
            "超過したソフトウェアライセンス",
            "3か月以内に満了する契約"
        ]
    );
    assert_eq!(
        browser.texts("header nav a").await,
        [
            "ホーム",
            "機器",
            "ハードウェア資産",
            "ソフトウェアライセンス",
            "契約",
            "ソフトウェア",
            "イベント",
            "監査ログ",
            "設定"
        ]
    );
    assert_eq!(browser.text("header form.user button").await, "ログアウト");
    browser.goto("/devices").await;
    assert_eq!(browser.text("h1").await, "機器");
    assert_eq!(
        browser.texts("table.list thead th[class^=col-]").await[..3],
        ["ホスト名", "管理状態", "OS"]
    );
    assert_eq!(
        browser.text("table.list tbody td.col-state").await,
        "管理対象"
    );
    assert_eq!(browser.text("form.filters button").await, "適用");

    let (_, me) = server.get("/api/v1/me").await;
    assert_eq!(
        me["language"], "",
        "the account follows the browser until it chooses"
    );
    let (status, body) = server
        .api(
            Method::PATCH,
            "/api/v1/me",
            Some(json!({
                "name": "", "email": "", "language": "en", "time_zone": "Asia/Tokyo",
                "version": me["version"]
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    browser.goto("/devices").await;
    assert_eq!(browser.attr("html", "lang").await.as_deref(), Some("en"));
    assert_eq!(browser.text("h1").await, "Devices");
    assert_eq!(
        browser.texts("table.list thead th[class^=col-]").await[..3],
        ["Host name", "State", "OS"]
    );
    assert_eq!(
        browser.text("table.list tbody td.col-state").await,
        "Managed"
    );
    assert_eq!(browser.text("form.filters button").await, "Apply");
    browser.screenshot("devices-en").await;
    browser.goto("/").await;
    assert_eq!(browser.text("h1").await, "Home");
    assert_eq!(
        browser.texts("section.panel h2").await,
        [
            "Devices by state",
            "Devices by OS",
            "Managed devices not seen recently",
            "Unconfirmed events",
            "Newly found software",
            "Exceeded software licences",
            "Contracts expiring within 3 months"
        ]
    );
    assert_eq!(browser.text("header form.user button").await, "Sign out");
    browser.close().await;
    server.shutdown().await;
}
