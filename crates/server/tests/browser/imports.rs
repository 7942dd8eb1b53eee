//! The import wizard in the browser: from the ledger's link, a Shift_JIS file is uploaded,
//! its first rows shown, a column the wizard could not recognise mapped by hand, the file
//! checked (nothing changes), then imported; the assets are on the ledger.

use kanri_server::console::i18n::JA;

use crate::harness::Browser;
use crate::support::{Backend, TestServer};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_is_imported_through_the_wizard() {
    let server = TestServer::start(Backend::Sqlite).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("台帳.csv");
    // "管理No" is not a field's name: the user maps it.
    let text = "管理No,機器名称,利用者名\r\nHW-7001,外来受付PC,受付 花子\r\nHW-7002,検査室PC,検査 次郎\r\n";
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(text);
    std::fs::write(&file, &bytes).expect("write the file");

    let browser = Browser::open(&server, "ja").await;
    browser
        .first_sign_in("admin", &server.admin_password, "Kanri-2026!x")
        .await;
    browser.goto("/hardware-assets").await;
    browser
        .click_and_load("a[href='/imports?kind=assets']")
        .await;
    assert_eq!(browser.text("h1").await, JA.imports_title);
    assert_eq!(
        browser.value("form.upload select[name=kind]").await,
        "assets"
    );
    browser
        .choose_file("form.upload input[type=file]", &file)
        .await;
    browser.screenshot("import-upload").await;
    browser
        .click_and_load("form.upload button[type=submit]")
        .await;

    assert_eq!(browser.text("strong.file-name").await, "台帳.csv");
    assert_eq!(
        browser
            .value("form.file-settings select[name=encoding]")
            .await,
        "shift_jis"
    );
    assert_eq!(
        browser.texts("table.preview tbody td").await,
        [
            "2",
            "HW-7001",
            "外来受付PC",
            "受付 花子",
            "3",
            "HW-7002",
            "検査室PC",
            "検査 次郎"
        ]
    );
    assert_eq!(browser.value("form.mapping select[name=col_0]").await, "");
    assert_eq!(
        browser.value("form.mapping select[name=col_1]").await,
        "name"
    );
    browser
        .select("form.mapping select[name=col_0]", "asset_number")
        .await;
    browser
        .select("form.mapping select[name=key]", "asset_number")
        .await;
    browser
        .fill("form.mapping input[name=name]", "外来の台帳")
        .await;
    browser.screenshot("import-mapping").await;
    browser
        .click_and_load("form.mapping button[value=check]")
        .await;

    assert_eq!(
        browser.text("p.result-status").await,
        JA.import_checked_hint
    );
    assert_eq!(browser.text("dd.added").await, "2");
    assert_eq!(browser.text("dd.failed").await, "0");
    let (_, count) = server
        .api(reqwest::Method::GET, "/api/v1/assets/count", None)
        .await;
    assert_eq!(count["count"], 0, "a check adds nothing");
    browser.screenshot("import-checked").await;
    browser
        .click_and_load("form.import-now button[type=submit]")
        .await;

    assert_eq!(
        browser.text("p.result-status").await,
        JA.import_applied_hint
    );
    assert_eq!(browser.text("dd.added").await, "2");
    browser.screenshot("import-done").await;
    browser.click_and_load("a[href='/hardware-assets']").await;
    let mut numbers = browser.texts("table.list td.col-asset_number").await;
    numbers.sort();
    assert_eq!(numbers, ["HW-7001", "HW-7002"]);
    assert!(browser
        .texts("table.list td.col-user_name")
        .await
        .contains(&"受付 花子".to_string()));
    browser.close().await;
    server.shutdown().await;
}
