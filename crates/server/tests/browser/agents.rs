//! Settings → Agents in the browser: the menu entry, an enrollment token created through the
//! form, the install command shown once, and revocation.

use kanri_server::console::i18n::JA;

use crate::harness::Browser;
use crate::support::{Backend, TestServer};

/// The administrator opens Settings from the menu, creates a token, copies the command the
/// page shows, goes back to the list and revokes the token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_creates_and_revokes_an_enrollment_token() {
    let server = TestServer::start(Backend::Sqlite).await;
    let browser = Browser::open(&server, "ja").await;
    browser
        .first_sign_in("admin", &server.admin_password, "Kanri-2026!x")
        .await;
    browser
        .click_and_load("header nav a[href='/settings']")
        .await;
    browser.wait_for_path("/settings").await;
    browser
        .click_and_load("ul.settings-menu a[href='/settings/agents']")
        .await;
    browser.wait_for_path("/settings/agents").await;
    assert_eq!(browser.text("h1").await, JA.agents_title);
    assert_eq!(browser.text("[data-testid=no-tokens]").await, JA.no_tokens);
    browser.screenshot("settings-agents").await;

    browser
        .fill("#token-create input[name=label]", "病棟 3F")
        .await;
    browser.fill("#token-create input[name=uses]", "40").await;
    browser
        .click_and_load("#token-create button[type=submit]")
        .await;
    browser.wait_for_path("/settings/agents/tokens").await;
    assert_eq!(browser.text("h1").await, JA.token_created_title);
    let token = browser.text("#enrollment-token").await;
    assert!(token.starts_with("ket_"), "{token}");
    assert_eq!(
        browser.text("#install-command").await,
        format!(
            "curl -fsSL {}/agent/install.sh | sudo sh -s -- --token {token}",
            server.base_url
        )
    );
    browser.screenshot("settings-agents-created").await;

    browser.click_and_load("[data-testid=back-to-tokens]").await;
    browser.wait_for_path("/settings/agents").await;
    assert_eq!(
        browser.texts("#enrollment-tokens td.col-label").await,
        ["病棟 3F"]
    );
    assert_eq!(
        browser.texts("#enrollment-tokens td.col-state").await,
        [JA.token_active]
    );
    assert_eq!(
        browser.texts("#enrollment-tokens td.col-uses").await,
        ["0 / 40"]
    );
    browser
        .click_and_load("#enrollment-tokens button[data-testid^=revoke-]")
        .await;
    browser.wait_for_path("/settings/agents").await;
    assert_eq!(
        browser.texts("#enrollment-tokens td.col-state").await,
        [JA.token_revoked]
    );
    browser.screenshot("settings-agents-revoked").await;
    browser.close().await;
    server.shutdown().await;
}
