//! Settings → User accounts in the browser: adding an account with its divisions and
//! department scope, a save that lost a race with another administrator, a password reset,
//! and what the new account then sees. The departments and policy pages are visited on the
//! way.

use kanri_server::console::i18n::JA;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::devices::{department, enroll, place, sorted, ROW_HOSTNAMES};
use crate::harness::Browser;
use crate::support::{Backend, TestServer};

/// `login`'s account over REST.
async fn account(server: &TestServer, login: &str) -> Value {
    let (status, accounts) = server.get("/api/v1/users").await;
    assert_eq!(status, StatusCode::OK, "{accounts}");
    accounts
        .as_array()
        .expect("a list of accounts")
        .iter()
        .find(|account| account["login"] == login)
        .unwrap_or_else(|| panic!("no account `{login}`: {accounts}"))
        .clone()
}

/// An administrator adds `sato` through the form (two divisions, one department), sees it
/// listed with its scope; a second administrator changes it meanwhile, so the first one's
/// save of the stale form is refused with the conflict message, changes nothing and shows
/// the stored values, which then save; the
/// password reset from the account's page is the one `sato` signs in with, must change,
/// and `sato` then lists only the devices of its department and the one below it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_adds_an_account_that_sees_its_department() {
    let server = TestServer::start(Backend::Sqlite).await;
    let kango = department(&server, "看護部", None).await;
    let byoto = department(&server, "病棟3F", Some(kango)).await;
    let yakuzai = department(&server, "薬剤部", None).await;
    let ids = enroll(
        &server,
        &["kango-01", "byoto-01", "yakuzai-01", "mishozoku-01"],
    )
    .await;
    place(&server, ids["kango-01"], kango).await;
    place(&server, ids["byoto-01"], byoto).await;
    place(&server, ids["yakuzai-01"], yakuzai).await;
    // The second administrator: user accounts only.
    let (status, created) = server
        .api(
            Method::POST,
            "/api/v1/users",
            Some(json!({
                "login": "suzuki", "password": "First-pass-1", "account_admin": true,
                "divisions": [], "all_departments": true
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    let admin = Browser::open(&server, "ja").await;
    admin
        .first_sign_in("admin", &server.admin_password, "Kanri-2026!x")
        .await;
    admin.click_and_load("header nav a[href='/settings']").await;
    admin.wait_for_path("/settings").await;
    assert_eq!(admin.text("h1").await, JA.settings);
    assert_eq!(
        admin.texts("ul.settings-menu a").await,
        [
            JA.user_accounts,
            JA.agents_title,
            JA.departments,
            JA.locations,
            JA.ledger_settings,
            JA.account_policy,
            JA.audit_log
        ]
    );
    admin.screenshot("settings").await;

    admin
        .click_and_load("ul.settings-menu a[href='/departments']")
        .await;
    admin.wait_for_path("/departments").await;
    assert_eq!(
        admin.texts("table.departments tbody td:first-child").await,
        ["看護部", "看護部 / 病棟3F", "薬剤部"]
    );
    admin.screenshot("departments").await;

    admin.goto("/settings").await;
    admin
        .click_and_load("ul.settings-menu a[href='/settings/policy']")
        .await;
    admin.wait_for_path("/settings/policy").await;
    assert_eq!(admin.text("h1").await, JA.account_policy);
    assert_eq!(admin.value("input[name=lockout_threshold]").await, "5");
    admin.screenshot("settings-policy").await;

    admin.goto("/settings").await;
    admin
        .click_and_load("ul.settings-menu a[href='/accounts']")
        .await;
    admin.wait_for_path("/accounts").await;
    admin.click_and_load("a.button[href='/accounts/new']").await;
    admin.wait_for_path("/accounts/new").await;
    assert_eq!(admin.text("h1").await, JA.add_account);
    let form = "form[action='/accounts/new']";
    assert_eq!(
        admin
            .attrs(&format!("{form} input[name=divisions]:checked"), "value")
            .await,
        ["security", "assets", "devices", "distribution"],
        "a new account starts with every division"
    );
    admin
        .fill(&format!("{form} input[name=login]"), "sato")
        .await;
    admin
        .fill(&format!("{form} input[name=password]"), "First-pass-1")
        .await;
    admin
        .fill(&format!("{form} input[name=name]"), "佐藤 花子")
        .await;
    admin
        .fill(&format!("{form} input[name=email]"), "sato@example.jp")
        .await;
    for (division, keep) in [
        ("security", false),
        ("assets", true),
        ("devices", true),
        ("distribution", false),
    ] {
        admin
            .set_checked(
                &format!("{form} input[name=divisions][value={division}]"),
                keep,
            )
            .await;
    }
    admin
        .set_checked(&format!("{form} input[name=all_departments]"), false)
        .await;
    admin
        .select(
            &format!("{form} select[name=departments]"),
            &kango.to_string(),
        )
        .await;
    assert_eq!(
        admin
            .attrs(
                &format!("{form} select[name=departments] option:checked"),
                "value"
            )
            .await,
        [kango.to_string()]
    );
    admin.screenshot("account-new").await;
    admin
        .click_and_load(&format!("{form} button[type=submit]"))
        .await;
    admin.wait_for_path("/accounts").await;

    let sato = account(&server, "sato").await;
    let id = sato["id"].as_i64().expect("id");
    assert_eq!(sato["divisions"], json!(["assets", "devices"]), "{sato}");
    assert_eq!(sato["all_departments"], false, "{sato}");
    assert_eq!(sato["departments"], json!([kango]), "{sato}");
    assert_eq!(sato["must_change_password"], true, "{sato}");
    let row = format!("table.accounts tr[data-id='{id}'] td");
    let cells = admin.texts(&row).await;
    assert_eq!(cells.len(), 8, "{cells:?}");
    assert_eq!(
        cells[..6],
        [
            "sato",
            "佐藤 花子",
            "sato@example.jp",
            "",
            "資産管理, 機器管理",
            "看護部"
        ],
        "the list shows the new account with its scope"
    );
    assert_eq!(cells[7], "", "not locked");

    // The first administrator opens the account and starts typing…
    admin
        .click_and_load(&format!("table.accounts a[href='/accounts/{id}']"))
        .await;
    admin.wait_for_path(&format!("/accounts/{id}")).await;
    assert_eq!(admin.text("h1").await, "sato");
    let edit = format!("form[action='/accounts/{id}']");
    assert_eq!(
        admin
            .attrs(&format!("{edit} input[name=divisions]:checked"), "value")
            .await,
        ["assets", "devices"]
    );
    assert_eq!(
        admin
            .attrs(
                &format!("{edit} select[name=departments] option:checked"),
                "value"
            )
            .await,
        [kango.to_string()]
    );
    admin
        .fill(&format!("{edit} input[name=name]"), "佐藤 花子（病棟）")
        .await;

    // …while the second one changes the e-mail address and saves.
    let other = Browser::open(&server, "ja").await;
    other
        .first_sign_in("suzuki", "First-pass-1", "Niban-2026!ok")
        .await;
    assert_eq!(
        other.texts("header nav a").await,
        [JA.home, JA.devices, JA.software, JA.events, JA.settings]
    );
    other.goto(&format!("/accounts/{id}")).await;
    other
        .fill(
            &format!("{edit} input[name=email]"),
            "hanako.sato@example.jp",
        )
        .await;
    other
        .click_and_load(&format!("{edit} button[type=submit]"))
        .await;
    other.wait_for_path("/accounts").await;
    assert_eq!(
        other
            .text(&format!(
                "table.accounts tr[data-id='{id}'] td:nth-child(3)"
            ))
            .await,
        "hanako.sato@example.jp"
    );
    let changed = account(&server, "sato").await;
    assert!(
        changed["version"].as_i64() > sato["version"].as_i64(),
        "{changed}"
    );

    admin
        .click_and_load(&format!("{edit} button[type=submit]"))
        .await;
    admin.wait_for_path(&format!("/accounts/{id}")).await;
    assert_eq!(
        admin.text("p.error[role=alert]").await,
        JA.conflict_reloaded
    );
    admin.screenshot("account-conflict").await;
    assert_eq!(
        account(&server, "sato").await,
        changed,
        "the stale save changed nothing"
    );
    // The form now holds what the other administrator saved, at its version: saving it is
    // a decision made on the stored values.
    assert_eq!(
        admin.value(&format!("{edit} input[name=email]")).await,
        "hanako.sato@example.jp"
    );
    admin
        .click_and_load(&format!("{edit} button[type=submit]"))
        .await;
    admin.wait_for_path("/accounts").await;
    let saved = account(&server, "sato").await;
    assert_eq!(saved["email"], "hanako.sato@example.jp");
    assert!(saved["version"].as_i64() > changed["version"].as_i64());

    // The password reset from the account's page.
    admin.goto(&format!("/accounts/{id}")).await;
    let reset = format!("form[action='/accounts/{id}/password']");
    admin
        .fill(&format!("{reset} input[name=password]"), "Reset-pass-2")
        .await;
    admin
        .click_and_load(&format!("{reset} button[type=submit]"))
        .await;
    admin.wait_for_path("/accounts").await;
    assert!(
        admin.texts("p.error[role=alert]").await.is_empty(),
        "the reset went through"
    );
    admin.screenshot("accounts").await;

    // `sato` signs in, in the second browser: the reset password, changed at once.
    other
        .click_and_load("header form.user button[type=submit]")
        .await;
    other.wait_for_path("/login").await;
    other.submit_login("sato", "First-pass-1").await;
    other.wait_for_path("/login").await;
    assert_eq!(
        other.text("p.error[role=alert]").await,
        JA.login_failed,
        "the first password no longer signs in"
    );
    other.submit_login("sato", "Reset-pass-2").await;
    other.wait_for_path("/password").await;
    assert_eq!(other.text("p.notice").await, JA.change_password_first);
    other
        .submit_password_change("Reset-pass-2", "Hanako-2026!ok")
        .await;
    other.wait_for_path("/").await;
    assert_eq!(other.text("header form.user a").await, "sato");
    assert_eq!(
        other.texts("header nav a").await,
        [
            JA.home,
            JA.devices,
            JA.hardware_assets,
            JA.licences_title,
            JA.contracts_title,
            JA.software,
            JA.events
        ],
        "the assets division's screens, no settings without a privilege"
    );
    other.goto("/devices").await;
    assert_eq!(
        sorted(other.texts(ROW_HOSTNAMES).await),
        ["byoto-01", "kango-01"],
        "its department and the one below it"
    );
    assert_eq!(
        other
            .texts("form.filters select[name=department] option")
            .await,
        [JA.any, JA.department_none, "看護部", "看護部 / 病棟3F"],
        "only its departments to filter by"
    );
    other.screenshot("devices-department-account").await;
    other.close().await;
    admin.close().await;
    server.shutdown().await;
}
