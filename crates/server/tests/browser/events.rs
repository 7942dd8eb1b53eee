//! The event list in the browser: unconfirmed events, confirming a ticked one, and an
//! event's detail page.

use std::collections::BTreeMap;

use kanri_server::console::i18n::JA;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::devices::enroll;
use crate::harness::Browser;
use crate::support::{Backend, TestServer};

/// The ids of the rows of the event list, in page order.
const ROW_IDS: &str = "table.events tbody tr";

/// Excluding two devices raises an info event each; `/events?confirmed=no` lists both; the
/// one ticked and confirmed leaves that list; the other's detail page (its time links to
/// it) shows its fields, and confirming it there names the confirmer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unconfirmed_events_are_confirmed_and_shown() {
    let server = TestServer::start(Backend::Sqlite).await;
    let ids = enroll(&server, &["kango-01", "kango-02", "jimu-01"]).await;
    let mut events = BTreeMap::new();
    for name in ["kango-01", "kango-02"] {
        let (status, body) = server
            .api(
                Method::PATCH,
                &format!("/api/v1/devices/{}", ids[name]),
                Some(json!({ "state": "excluded" })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    for event in server.events(2).await {
        events.insert(
            event["hostname"].as_str().expect("hostname").to_string(),
            event["id"].as_i64().expect("id"),
        );
    }
    assert_eq!(events.len(), 2, "{events:?}");
    let (first, second) = (events["kango-01"], events["kango-02"]);

    let browser = Browser::open(&server, "ja").await;
    browser
        .first_sign_in("admin", &server.admin_password, "Kanri-2026!x")
        .await;
    browser.goto("/events?confirmed=no").await;
    assert_eq!(browser.text("h1").await, JA.events);
    assert_eq!(
        browser.value("form.filters select[name=confirmed]").await,
        "no"
    );
    let listed = browser.attrs(ROW_IDS, "data-id").await;
    for id in [first, second] {
        assert!(listed.contains(&id.to_string()), "{id} in {listed:?}");
    }
    assert!(
        browser
            .texts("table.events td.col-confirmed")
            .await
            .iter()
            .all(String::is_empty),
        "none confirmed"
    );
    let row = format!("tr[data-id='{first}']");
    assert_eq!(
        browser.text(&format!("{row} td.col-severity")).await,
        JA.severity_info
    );
    assert_eq!(
        browser.text(&format!("{row} td.message")).await,
        "機器を除外対象にしました。(ホスト名 = kango-01)"
    );
    browser.screenshot("events").await;

    browser
        .set_checked(&format!("{row} input[name=ids]"), true)
        .await;
    browser
        .click_and_load("form#confirm button[value=confirm]")
        .await;
    browser.wait_for_path("/events").await;
    assert!(
        browser.url().await.contains("confirmed=no"),
        "back on the unconfirmed list: {}",
        browser.url().await
    );
    let listed = browser.attrs(ROW_IDS, "data-id").await;
    assert!(!listed.contains(&first.to_string()), "{listed:?}");
    assert!(listed.contains(&second.to_string()), "{listed:?}");
    let event = |id: i64| {
        let server = &server;
        async move {
            let (status, event): (_, Value) = server.get(&format!("/api/v1/events/{id}")).await;
            assert_eq!(status, StatusCode::OK, "{event}");
            event
        }
    };
    assert_eq!(event(first).await["confirmed_by"], "admin");
    assert_eq!(event(second).await["confirmed_by"], Value::Null);

    // The other one's details, through the link on its time.
    browser
        .click_and_load(&format!(
            "tr[data-id='{second}'] a[href='/events/{second}']"
        ))
        .await;
    browser.wait_for_path(&format!("/events/{second}")).await;
    let title = "機器を除外対象にしました。";
    assert_eq!(browser.text("h1").await, title);
    let fields = || async {
        let names = browser.texts("table.fields th").await;
        let values = browser.texts("table.fields td").await;
        assert_eq!(names.len(), values.len());
        names.into_iter().zip(values).collect::<BTreeMap<_, _>>()
    };
    let shown = fields().await;
    for (name, value) in [
        ("ID", second.to_string()),
        (JA.severity, JA.severity_info.to_string()),
        (JA.event_type, format!("{title} (2)")),
        (JA.hostname, "kango-02".to_string()),
        (
            JA.message,
            "機器を除外対象にしました。(ホスト名 = kango-02)".to_string(),
        ),
        (JA.confirmed_at, String::new()),
        (JA.confirmed_by, String::new()),
    ] {
        assert_eq!(shown.get(name), Some(&value), "{name}: {shown:?}");
    }
    assert!(!shown[JA.when].is_empty(), "a time: {shown:?}");
    assert!(
        !shown.contains_key("by") && !shown.contains_key("hostname"),
        "no raw parameter names: {shown:?}"
    );
    assert_eq!(
        browser.attr("table.fields td a", "href").await.as_deref(),
        Some(format!("/devices/{}", ids["kango-02"]).as_str()),
        "the host name links to the device"
    );
    browser.screenshot("event").await;

    browser
        .click_and_load("form[action='/events/confirm'] button[value=confirm]")
        .await;
    browser.wait_for_path(&format!("/events/{second}")).await;
    let shown = fields().await;
    assert_eq!(shown[JA.confirmed_by], "admin");
    assert!(!shown[JA.confirmed_at].is_empty(), "{shown:?}");
    assert_eq!(
        browser
            .text("form[action='/events/confirm'] button[type=submit]")
            .await,
        JA.unconfirm_events
    );
    browser.goto("/events?confirmed=no").await;
    let listed = browser.attrs(ROW_IDS, "data-id").await;
    for id in [first, second] {
        assert!(!listed.contains(&id.to_string()), "{id} in {listed:?}");
    }
    browser.close().await;
    server.shutdown().await;
}
