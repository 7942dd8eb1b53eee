//! Signing in through the login form: the first login's forced password change, and an
//! account locked by wrong passwords until an administrator unlocks it in the console.

use kanri_server::console::i18n::JA;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::harness::Browser;
use crate::support::{Backend, TestServer};

/// `/` sends a stranger to the login page; `admin`'s generated password signs in but leads
/// only to the password page, which refuses a password against the policy with its rule and
/// takes a good one; then home, and the new password is the one that signs in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_login_changes_the_password_first() {
    let server = TestServer::start(Backend::Sqlite).await;
    let browser = Browser::open(&server, "ja").await;

    browser.goto("/").await;
    browser.wait_for_path("/login").await;
    assert_eq!(browser.text("h1").await, JA.login_title);
    browser.screenshot("login").await;
    browser.submit_login("admin", &server.admin_password).await;
    browser.wait_for_path("/password").await;
    assert_eq!(browser.text("p.notice").await, JA.change_password_first);
    assert!(
        browser.texts("header nav a").await.is_empty(),
        "no menu before the change"
    );
    browser.goto("/devices").await;
    browser.wait_for_path("/password").await;

    // Long enough for the form's `minlength`, so the server's policy answers: two classes of
    // characters where three are required.
    browser
        .submit_password_change(&server.admin_password, "alllowercase1")
        .await;
    browser.wait_for_path("/password").await;
    assert_eq!(
        browser.text("p.error[role=alert]").await,
        JA.password_too_few_classes
    );
    browser
        .submit_password_change(&server.admin_password, "Kanri-2026!x")
        .await;
    browser.wait_for_path("/").await;
    assert_eq!(browser.text("h1").await, JA.home);
    assert_eq!(browser.text("header form.user a").await, "admin");

    browser
        .click_and_load("header form.user button[type=submit]")
        .await;
    browser.wait_for_path("/login").await;
    browser.submit_login("admin", "Kanri-2026!x").await;
    browser.wait_for_path("/").await;
    assert_eq!(
        browser.texts("header nav a").await,
        [
            JA.home,
            JA.devices,
            JA.hardware_assets,
            JA.licences_title,
            JA.contracts_title,
            JA.software,
            JA.events,
            JA.audit_log,
            JA.settings
        ],
        "signed in with the new password, no change asked"
    );
    browser.close().await;
    server.shutdown().await;
}

/// Five wrong passwords lock an account: the fifth answer and every sign-in after it say so,
/// the right password included, until an administrator unlocks it from the account's page
/// (Settings → User accounts, where the list marks it locked).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_account_signs_in_after_unlock() {
    let server = TestServer::start(Backend::Sqlite).await;
    let (status, account) = server
        .api(
            Method::POST,
            "/api/v1/users",
            Some(json!({
                "login": "tanaka", "password": "First-pass-1", "divisions": ["devices"],
                "all_departments": true
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{account}");
    let browser = Browser::open(&server, "ja").await;
    browser.goto("/login").await;
    for attempt in 1..=5 {
        browser.submit_login("tanaka", "Wrong-pass-1").await;
        browser.wait_for_path("/login").await;
        let expected = if attempt < 5 {
            JA.login_failed
        } else {
            JA.account_locked
        };
        assert_eq!(
            browser.text("p.error[role=alert]").await,
            expected,
            "attempt {attempt}"
        );
    }
    browser.submit_login("tanaka", "First-pass-1").await;
    browser.wait_for_path("/login").await;
    assert_eq!(
        browser.text("p.error[role=alert]").await,
        JA.account_locked,
        "the right password too"
    );
    browser.screenshot("login-locked").await;

    // An administrator, in a browser of their own, unlocks the account from Settings →
    // User accounts.
    let id = account["id"].as_i64().expect("account id");
    let admin = Browser::open(&server, "ja").await;
    admin
        .first_sign_in("admin", &server.admin_password, "Kanri-2026!x")
        .await;
    admin.click_and_load("header nav a[href='/settings']").await;
    admin.wait_for_path("/settings").await;
    assert_eq!(
        admin.text("ul.settings-menu a[href='/accounts']").await,
        JA.user_accounts
    );
    admin
        .click_and_load("ul.settings-menu a[href='/accounts']")
        .await;
    admin.wait_for_path("/accounts").await;
    let row = format!("table.accounts tr[data-id='{id}']");
    assert_eq!(
        admin.texts(&format!("{row} span.badge")).await,
        [JA.locked],
        "the locked account is marked"
    );
    assert_eq!(
        admin.texts("table.accounts span.badge").await.len(),
        1,
        "admin is not locked"
    );
    admin
        .click_and_load(&format!("{row} a[href='/accounts/{id}']"))
        .await;
    admin.wait_for_path(&format!("/accounts/{id}")).await;
    assert_eq!(admin.text("h1").await, "tanaka");
    let unlock = format!("form[action='/accounts/{id}/unlock']");
    assert_eq!(admin.text(&format!("{unlock} span.badge")).await, JA.locked);
    assert_eq!(admin.text(&format!("{unlock} button")).await, JA.unlock);
    admin.screenshot("account-locked").await;
    admin.scroll_to(&unlock).await;
    admin.screenshot("account-locked-actions").await;
    admin
        .click_and_load(&format!("{unlock} button[type=submit]"))
        .await;
    admin.wait_for_path("/accounts").await;
    assert!(
        admin.texts("table.accounts span.badge").await.is_empty(),
        "no account is marked locked any more"
    );
    let (_, unlocked) = server.get(&format!("/api/v1/users/{id}")).await;
    assert_eq!(unlocked["locked"], false, "{unlocked}");
    admin.close().await;

    browser.submit_login("tanaka", "First-pass-1").await;
    browser.wait_for_path("/password").await;
    assert_eq!(browser.text("p.notice").await, JA.change_password_first);
    browser
        .submit_password_change("First-pass-1", "Kanri-2026!ok")
        .await;
    browser.wait_for_path("/").await;
    assert_eq!(browser.text("header form.user a").await, "tanaka");
    browser.close().await;
    server.shutdown().await;
}
