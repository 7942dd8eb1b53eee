//! The device list in the browser: the filter form, the CSV files it downloads, the detail
//! page, and what an account scoped to one department sees.

use std::collections::BTreeMap;

use kanri_server::console::i18n::JA;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::harness::Browser;
use crate::support::inventory::sample;
use crate::support::{Backend, ProtoAgent, TestServer};

/// Host names of the device list's rows, in page order.
pub(crate) const ROW_HOSTNAMES: &str = "table.list tbody td.col-hostname a";

/// Enrolls a device per host name, each with an uploaded inventory; returns their ids.
pub(crate) async fn enroll(server: &TestServer, hostnames: &[&str]) -> BTreeMap<String, i64> {
    let token = server.enrollment_token(None, None).await;
    let mut ids = BTreeMap::new();
    for hostname in hostnames {
        let mut agent = ProtoAgent::new(server, hostname);
        let (status, body) = agent.enroll(&token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = agent
            .upload(&sample(hostname, &[("bash", "5.2.15")], 16))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        ids.insert(hostname.to_string(), agent.device_id());
    }
    ids
}

/// The host names of a downloaded CSV file (decoded), checking its header row is the
/// Japanese one.
fn csv_hostnames(text: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("a header row")
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        header[..3],
        ["ID", "ホスト名", "管理状態"],
        "the Japanese header: {header:?}"
    );
    assert_eq!(header.len(), 13, "{header:?}");
    reader
        .records()
        .map(|record| record.expect("a CSV row")[1].to_string())
        .collect()
}

/// Creates a department over REST, under `parent` if given; returns its id.
pub(crate) async fn department(server: &TestServer, name: &str, parent: Option<i64>) -> i64 {
    let (status, created) = server
        .api(
            Method::POST,
            "/api/v1/departments",
            Some(json!({ "name": name, "parent_id": parent })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created["id"].as_i64().expect("department id")
}

/// Puts a device in a department over REST.
pub(crate) async fn place(server: &TestServer, device: i64, department: i64) {
    let (status, body) = server
        .api(
            Method::PATCH,
            &format!("/api/v1/devices/{device}"),
            Some(json!({ "department_id": department })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

pub(crate) fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

/// The filter form narrows the list to matching host names; the CSV links download the list
/// as filtered, in Shift_JIS and in UTF-8 with a BOM; a row opens the device's page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_filtered_list_exports_as_csv() {
    let server = TestServer::start(Backend::Sqlite).await;
    let ids = enroll(
        &server,
        &["看護部-pc01", "看護部-pc02", "薬剤部-pc01", "jimu-pc01"],
    )
    .await;
    let browser = Browser::open(&server, "ja").await;
    browser
        .first_sign_in("admin", &server.admin_password, "Kanri-2026!x")
        .await;
    browser.screenshot("home").await;

    browser.goto("/devices").await;
    let all: Vec<String> = ids.keys().cloned().collect();
    assert_eq!(sorted(browser.texts(ROW_HOSTNAMES).await), all);
    browser.screenshot("devices").await;

    browser
        .fill("form.filters input[name=hostname]", "看護部")
        .await;
    browser
        .click_and_load("form.filters button[type=submit]")
        .await;
    assert_eq!(
        sorted(browser.texts(ROW_HOSTNAMES).await),
        ["看護部-pc01", "看護部-pc02"]
    );
    assert_eq!(
        browser
            .find("form.filters input[name=hostname]")
            .await
            .prop("value")
            .await
            .expect("value"),
        Some("看護部".to_string()),
        "the form keeps the filter"
    );
    let (name, bytes) = browser.download("Shift_JIS").await;
    assert_eq!(name, "devices.csv");
    let (text, _, malformed) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!malformed, "valid Shift_JIS");
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "Japanese text in Shift_JIS is not UTF-8"
    );
    assert_eq!(sorted(csv_hostnames(&text)), ["看護部-pc01", "看護部-pc02"]);

    browser
        .fill("form.filters input[name=hostname]", "pc01")
        .await;
    browser
        .click_and_load("form.filters button[type=submit]")
        .await;
    let pc01 = ["jimu-pc01", "看護部-pc01", "薬剤部-pc01"];
    assert_eq!(sorted(browser.texts(ROW_HOSTNAMES).await), pc01);
    let (name, bytes) = browser.download("UTF-8 (BOM)").await;
    assert_eq!(name, "devices.csv");
    let text = bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .map(std::str::from_utf8)
        .expect("a UTF-8 BOM")
        .expect("UTF-8");
    assert_eq!(sorted(csv_hostnames(text)), pc01);

    browser
        .click_and_load(&format!("a[href='/devices/{}']", ids["薬剤部-pc01"]))
        .await;
    assert_eq!(
        browser.path().await,
        format!("/devices/{}", ids["薬剤部-pc01"])
    );
    assert_eq!(browser.text("h1").await, "薬剤部-pc01");
    assert_eq!(
        browser.text("nav.tabs a[aria-current=page]").await,
        JA.tab_summary
    );
    browser.screenshot("device").await;
    browser.close().await;
    server.shutdown().await;
}

/// An account scoped to one department lists only that department's devices, and another
/// department's device (or one in no department) is not found, even by its URL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_department_account_sees_its_devices_only() {
    let server = TestServer::start(Backend::Sqlite).await;
    let mut departments = BTreeMap::new();
    for name in ["看護部", "薬剤部"] {
        let (status, created) = server
            .api(
                Method::POST,
                "/api/v1/departments",
                Some(json!({ "name": name })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        departments.insert(name, created["id"].clone());
    }
    let ids = enroll(
        &server,
        &["kango-01", "kango-02", "yakuzai-01", "mishozoku-01"],
    )
    .await;
    for (hostname, department) in [
        ("kango-01", "看護部"),
        ("kango-02", "看護部"),
        ("yakuzai-01", "薬剤部"),
    ] {
        let (status, body) = server
            .api(
                Method::PATCH,
                &format!("/api/v1/devices/{}", ids[hostname]),
                Some(json!({ "department_id": departments[department] })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let account: Value = json!({
        "login": "kango-admin", "password": "First-pass-1", "divisions": ["devices"],
        "all_departments": false, "departments": [departments["看護部"]]
    });
    let (status, created) = server
        .api(Method::POST, "/api/v1/users", Some(account))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");

    let browser = Browser::open(&server, "ja").await;
    browser
        .first_sign_in("kango-admin", "First-pass-1", "Kango-2026!ok")
        .await;
    browser.goto("/devices").await;
    assert_eq!(
        sorted(browser.texts(ROW_HOSTNAMES).await),
        ["kango-01", "kango-02"]
    );
    let (_, bytes) = browser.download("UTF-8").await;
    let text = String::from_utf8(bytes).expect("UTF-8");
    assert_eq!(
        sorted(csv_hostnames(&text)),
        ["kango-01", "kango-02"],
        "the export has the same scope"
    );

    browser.goto(&format!("/devices/{}", ids["kango-01"])).await;
    assert_eq!(browser.text("h1").await, "kango-01");
    for hidden in ["yakuzai-01", "mishozoku-01"] {
        browser.goto(&format!("/devices/{}", ids[hidden])).await;
        assert_eq!(browser.text("h1").await, JA.error, "{hidden}");
        assert_eq!(
            browser.text("p.error[role=alert]").await,
            JA.not_found,
            "{hidden}"
        );
    }
    browser.close().await;
    server.shutdown().await;
}
