//! Hardware assets in the browser: the ledger lists the asset a managed device brought, the
//! asset page changes its status with a reason, its user and department, and the change
//! shows on the page, in its notes and on the filtered list.

use kanri_server::console::i18n::JA;

use crate::devices::{department, enroll};
use crate::harness::Browser;
use crate::support::{Backend, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_asset_is_edited_in_the_browser() {
    let server = TestServer::start(Backend::Sqlite).await;
    enroll(&server, &["kango-21"]).await;
    let ward = department(&server, "第一病棟", None).await;

    let browser = Browser::open(&server, "ja").await;
    browser
        .first_sign_in("admin", &server.admin_password, "Kanri-2026!x")
        .await;
    browser.goto("/hardware-assets").await;
    assert_eq!(
        browser.text("h1").await.split(' ').next(),
        Some(JA.hardware_assets)
    );
    assert_eq!(
        browser.texts("table.list td.col-hostname").await,
        vec!["kango-21"]
    );
    assert_eq!(
        browser.texts("table.list td.col-status").await,
        vec!["未確認"]
    );
    browser.screenshot("hardware-assets").await;

    browser
        .click_and_load("table.list tbody tr td:last-child a")
        .await;
    browser
        .fill("form.edit input[name=asset_number]", "HW-2026-0021")
        .await;
    browser
        .select("form.edit select[name=status_id]", "2")
        .await;
    browser
        .select("form.edit select[name=department_id]", &ward.to_string())
        .await;
    browser
        .fill("form.edit input[name=user_name]", "看護 太郎")
        .await;
    browser
        .fill("form.edit input[name=note]", "第一病棟へ配備")
        .await;
    browser.screenshot("hardware-asset-edit").await;
    browser
        .click_and_load("form.edit button[type=submit]")
        .await;

    assert_eq!(browser.text("p.hint strong.status").await, "運用中");
    assert_eq!(
        browser.value("form.edit input[name=user_name]").await,
        "看護 太郎"
    );
    let note = browser.text("ol.notes li:last-child pre").await;
    assert!(
        note.contains("未確認 → 運用中") && note.contains("第一病棟へ配備"),
        "{note}"
    );
    browser.screenshot("hardware-asset-saved").await;

    browser
        .goto(&format!("/hardware-assets?department={ward}&status=2"))
        .await;
    assert_eq!(
        browser.texts("table.list td.col-asset_number").await,
        vec!["HW-2026-0021"]
    );
    assert_eq!(
        browser.texts("table.list td.col-user_name").await,
        vec!["看護 太郎"]
    );
    browser.close().await;
    server.shutdown().await;
}
