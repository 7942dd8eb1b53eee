//! The device list's tools in the browser: the column chooser, an address-block condition,
//! a shared saved filter, and a bulk action on ticked rows. The software, audit and home
//! pages are visited at the end, with data on them.

use std::collections::BTreeMap;

use kanri_server::console::i18n::JA;
use reqwest::StatusCode;

use crate::devices::{sorted, ROW_HOSTNAMES};
use crate::harness::Browser;
use crate::support::inventory::sample;
use crate::support::{Backend, ProtoAgent, TestServer};

/// The list's column headings, as their `col-<key>` classes.
const HEADERS: &str = "table.list thead th[class^=col-]";

/// Five devices with their IPv4 addresses, a package and memory in GiB (as in the `it`
/// binary's device-list tests); their ids by host name.
async fn estate(server: &TestServer) -> BTreeMap<String, i64> {
    let token = server.enrollment_token(None, None).await;
    let mut ids = BTreeMap::new();
    for (name, ips, software, memory) in [
        ("kango-01", vec!["10.1.0.11/24"], "libreoffice-core", 8),
        ("kango-02", vec!["10.1.200.7/24"], "bash", 16),
        (
            "jimu-01",
            vec!["10.2.0.5/24", "192.168.5.9/24"],
            "libreoffice-core",
            4,
        ),
        ("yakuzai-01", vec!["172.16.3.4/16"], "bash", 32),
        ("kensa-01", vec!["10.1.10.1/24"], "bash", 2),
    ] {
        let mut agent = ProtoAgent::new(server, name);
        let (status, body) = agent.enroll(&token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let mut inventory = sample(name, &[(software, "1.0")], memory);
        let interface = &mut inventory.network.as_mut().expect("network").interfaces[0];
        interface.ipv4 = ips.iter().map(|ip| (*ip).into()).collect();
        let (status, body) = agent.upload(&inventory).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        ids.insert(name.to_string(), agent.device_id());
    }
    server.flush().await;
    ids
}

fn classes(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|key| format!("col-{key}")).collect()
}

/// Columns chosen in the chooser become the table's headings (and stay); the condition
/// `10.1.0.0/16` keeps the three devices in that block; saved as a shared filter, it is
/// offered in the list and reopens the same rows; two ticked rows excluded in bulk are
/// counted on the result page and shown as excluded back on the list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn columns_conditions_saved_filters_and_bulk_actions() {
    let server = TestServer::start(Backend::Sqlite).await;
    let ids = estate(&server).await;
    let browser = Browser::open(&server, "ja").await;
    browser
        .first_sign_in("admin", &server.admin_password, "Kanri-2026!x")
        .await;
    browser.goto("/devices").await;
    assert_eq!(
        browser.attrs(HEADERS, "class").await,
        classes(kanri_server::devices::model::DEFAULT_COLUMNS)
    );

    // The column chooser.
    let chooser = "form[action='/list-columns']";
    browser
        .click(&format!(".list-tools details:has({chooser}) > summary"))
        .await;
    assert_eq!(
        browser
            .attrs(&format!("{chooser} input[name=columns]"), "value")
            .await,
        kanri_server::devices::model::LIST_COLUMNS,
        "every column is offered"
    );
    for (column, shown) in [
        ("mac", false),
        ("serial", false),
        ("memory", true),
        ("agent_version", true),
    ] {
        browser
            .set_checked(
                &format!("{chooser} input[name=columns][value={column}]"),
                shown,
            )
            .await;
    }
    browser.screenshot("devices-column-chooser").await;
    browser
        .click_and_load(&format!("{chooser} button[type=submit]"))
        .await;
    browser.wait_for_path("/devices").await;
    let chosen = classes(&[
        "hostname",
        "state",
        "os",
        "ip",
        "model",
        "memory",
        "agent_version",
        "department",
        "last_seen",
    ]);
    assert_eq!(browser.attrs(HEADERS, "class").await, chosen);
    assert_eq!(browser.text("th.col-memory").await, JA.memory);
    assert_eq!(browser.text("th.col-agent_version").await, JA.agent_version);
    let kango = format!("tr[data-id='{}']", ids["kango-01"]);
    assert_eq!(
        browser.text(&format!("{kango} td.col-memory")).await,
        "8.0 GiB"
    );
    assert_eq!(
        browser.text(&format!("{kango} td.col-agent_version")).await,
        "9.9.9-test"
    );
    assert_eq!(browser.count("td.col-mac, td.col-serial").await, 0);
    browser.screenshot("devices-columns").await;
    browser.goto("/devices").await;
    assert_eq!(
        browser.attrs(HEADERS, "class").await,
        chosen,
        "the account keeps its columns"
    );

    // An address block.
    browser
        .fill("form.filters input[name=ip]", "10.1.0.0/16")
        .await;
    browser
        .click_and_load("form.filters button[type=submit]")
        .await;
    let block = ["kango-01", "kango-02", "kensa-01"];
    assert_eq!(sorted(browser.texts(ROW_HOSTNAMES).await), block);
    for ip in browser.texts("table.list tbody td.col-ip").await {
        assert!(ip.starts_with("10.1."), "{ip}");
    }

    // Saved as a shared filter, then reopened from a cleared list.
    let saver = "form[action='/saved-filters']";
    browser
        .click(&format!(".list-tools details:has({saver}) > summary"))
        .await;
    browser
        .fill(&format!("{saver} input[name=name]"), "10.1 系ネットワーク")
        .await;
    browser
        .set_checked(&format!("{saver} input[name=shared]"), true)
        .await;
    browser
        .click_and_load(&format!("{saver} button[type=submit]"))
        .await;
    browser.wait_for_path("/devices").await;
    assert_eq!(sorted(browser.texts(ROW_HOSTNAMES).await), block);
    browser
        .click_and_load("form.filters a[href='/devices']")
        .await;
    browser.wait_for_path("/devices").await;
    assert_eq!(browser.texts(ROW_HOSTNAMES).await.len(), 5, "cleared");
    assert_eq!(browser.value("form.filters input[name=ip]").await, "");
    assert_eq!(
        browser
            .text(&format!(".list-tools details:has({saver}) > summary"))
            .await,
        format!("{} (1)", JA.saved_filters)
    );
    browser
        .click(&format!(".list-tools details:has({saver}) > summary"))
        .await;
    assert_eq!(
        browser.texts("ul.saved li .hint").await,
        [format!("{}: admin", JA.shared_by)],
        "shared, by admin"
    );
    browser.screenshot("devices-saved-filters").await;
    browser.click_and_load("ul.saved li a").await;
    browser.wait_for_path("/devices").await;
    assert_eq!(sorted(browser.texts(ROW_HOSTNAMES).await), block);
    assert_eq!(
        browser.value("form.filters input[name=ip]").await,
        "10.1.0.0/16"
    );

    // Two rows excluded in bulk.
    for name in ["kango-01", "kango-02"] {
        browser
            .set_checked(
                &format!("tr[data-id='{}'] input[name=ids]", ids[name]),
                true,
            )
            .await;
    }
    browser
        .select("form#bulk select[name=action]", "exclude")
        .await;
    browser
        .click_and_load("form#bulk button[type=submit]")
        .await;
    browser.wait_for_path("/devices/bulk").await;
    assert_eq!(browser.text("h1").await, JA.bulk_action);
    assert_eq!(browser.text("strong.done-count").await, "2");
    assert_eq!(browser.count("table.failed").await, 0, "nothing failed");
    browser.screenshot("bulk-result").await;
    browser.click_and_load("main section.card a").await;
    browser.wait_for_path("/devices").await;
    assert_eq!(
        browser.value("form.filters input[name=ip]").await,
        "10.1.0.0/16",
        "back to the list as it was"
    );
    for (name, state) in [
        ("kango-01", JA.state_excluded),
        ("kango-02", JA.state_excluded),
        ("kensa-01", JA.state_managed),
    ] {
        assert_eq!(
            browser
                .text(&format!("tr[data-id='{}'] td.col-state", ids[name]))
                .await,
            state,
            "{name}"
        );
    }
    for (name, state) in [("kango-01", "excluded"), ("jimu-01", "managed")] {
        let (_, device) = server.get(&format!("/api/v1/devices/{}", ids[name])).await;
        assert_eq!(device["state"], state, "{name}: {device}");
    }

    // The other pages, with something on them.
    browser
        .click_and_load("header nav a[href='/software']")
        .await;
    browser.wait_for_path("/software").await;
    assert_eq!(browser.text("h1").await, JA.software_catalogue);
    let software = browser.texts("table.list tbody tr").await.join("\n");
    assert!(
        software.contains("libreoffice-core") && software.contains("bash"),
        "{software}"
    );
    browser.screenshot("software").await;
    browser.click_and_load("header nav a[href='/audit']").await;
    browser.wait_for_path("/audit").await;
    assert_eq!(browser.text("h1").await, JA.audit_log);
    assert!(browser.count("table.list tbody tr").await > 0, "entries");
    browser.screenshot("audit").await;
    browser.click_and_load("header nav a[href='/']").await;
    browser.wait_for_path("/").await;
    assert_eq!(
        browser.texts("section.panel h2").await,
        [
            JA.devices_by_state,
            JA.devices_by_os,
            JA.agents_not_seen,
            JA.unconfirmed_events,
            JA.new_software,
            JA.exceeded_licences,
            JA.expiring_contracts
        ]
    );
    browser.screenshot("home-panels").await;
    browser.close().await;
    server.shutdown().await;
}
