//! Contracts and vendors through the REST API: links to assets and licences, the delete
//! rule, "save as another contract", the expiring list, monthly costs up to the end day,
//! vendors that cannot go while a contract names them, and custom values on licences and
//! contracts.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::support::{Backend, TestServer};

async fn created(server: &TestServer, path: &str, body: Value) -> Value {
    let (status, value) = server.api(Method::POST, path, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{path}: {value}");
    value
}

fn numbers(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["contract_number"].as_str().expect("number").to_string())
        .collect()
}

async fn contracts_and_vendors(backend: Backend) {
    let server = TestServer::start(backend).await;
    let vendor = created(
        &server,
        "/api/v1/vendors",
        json!({"name": "株式会社ケア商事", "contact_person": "佐藤", "contact": "03-0000-0000"}),
    )
    .await;
    let pc = created(
        &server,
        "/api/v1/assets",
        json!({"asset_number": "PC-1", "status_id": 2}),
    )
    .await;
    let licence = created(
        &server,
        "/api/v1/licences",
        json!({"licence_number": "L-1", "held": 10}),
    )
    .await;
    let today = jiff::Zoned::now()
        .with_time_zone(jiff::tz::TimeZone::get("Asia/Tokyo").expect("tz"))
        .date();
    let soon = today.checked_add(jiff::Span::new().days(40)).expect("date");
    let later = today
        .checked_add(jiff::Span::new().months(8))
        .expect("date");
    let lease = created(
        &server,
        "/api/v1/contracts",
        json!({"contract_number": "C-2026-01", "type_id": 63, "starts_on": "2026-01-01", "ends_on": soon.to_string(),
               "amount": 1_200_000, "vendor_id": vendor["id"], "asset_ids": [pc["id"]], "licence_ids": [licence["id"]]}),
    )
    .await;
    created(
        &server,
        "/api/v1/contracts",
        json!({"contract_number": "C-2026-02", "ends_on": later.to_string()}),
    )
    .await;
    let (_, detail) = server
        .get(&format!("/api/v1/contracts/{}", lease["id"]))
        .await;
    assert_eq!(detail["asset_ids"], json!([pc["id"]]));
    assert_eq!(detail["licence_ids"], json!([licence["id"]]));
    assert_eq!(detail["vendor"]["name"], "株式会社ケア商事");
    assert_eq!(detail["status_id"], 51);

    // The dashboard's "expiring within three months" and the split by what contracts cover.
    let (_, expiring) = server.get("/api/v1/contracts?expiring=yes").await;
    assert_eq!(numbers(&expiring), vec!["C-2026-01"]);
    let (_, covering) = server.get("/api/v1/contracts?covers=licences").await;
    assert_eq!(numbers(&covering), vec!["C-2026-01"]);

    // Renewal: save as another contract, then expire the old one, which may then go.
    let (status, renewal) = server
        .api(Method::POST, &format!("/api/v1/contracts/{}/copy", lease["id"]), Some(json!({"contract_number": "C-2027-01", "starts_on": soon.to_string(), "ends_on": later.to_string()})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{renewal}");
    let (_, renewed) = server
        .get(&format!("/api/v1/contracts/{}", renewal["id"]))
        .await;
    assert_eq!(renewed["asset_ids"], json!([pc["id"]]), "links are copied");
    assert_eq!(renewed["amount"], 1_200_000);
    let (status, body) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/contracts/{}", lease["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "status_forbids_delete");
    let (status, body) = server
        .api(
            Method::PATCH,
            &format!("/api/v1/contracts/{}", lease["id"]),
            Some(json!({"status_id": 53, "note": "満了", "version": detail["version"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, expired) = server
        .get(&format!("/api/v1/contracts/{}", lease["id"]))
        .await;
    assert!(
        expired["notes"][0]["body"]
            .as_str()
            .is_some_and(|b| b.contains("契約中 → 満了")),
        "{expired}"
    );

    // Costs accrue monthly up to the end day: a 12-month contract of 1,200,000 costs 100,000 a month.
    let year = created(&server, "/api/v1/contracts", json!({"contract_number": "C-COST", "starts_on": "2030-04-01", "ends_on": "2031-03-31", "amount": 1_200_000, "licence_ids": [licence["id"]]})).await;
    let (status, months) = server
        .get("/api/v1/contracts/monthly-costs?from=2031-02&to=2031-04")
        .await;
    assert_eq!(status, StatusCode::OK, "{months}");
    assert_eq!(
        months,
        json!([
            {"month": "2031-02", "hardware": 0, "licences": 100000, "total": 100000},
            {"month": "2031-03", "hardware": 0, "licences": 100000, "total": 100000},
            {"month": "2031-04", "hardware": 0, "licences": 0, "total": 0}
        ])
    );
    let (status, body) = server
        .get("/api/v1/contracts/monthly-costs?from=2031-13&to=2031-04")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = server
        .api(
            Method::PATCH,
            &format!("/api/v1/contracts/{}", year["id"]),
            Some(json!({"ends_on": "2030-01-01", "version": year["version"]})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "an end before the start: {body}"
    );

    // A vendor named by a contract stays.
    let (status, body) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/vendors/{}", vendor["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/contracts/{}", lease["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server
        .api(
            Method::PATCH,
            &format!("/api/v1/contracts/{}", renewal["id"]),
            Some(json!({"vendor_id": null, "version": renewed["version"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/vendors/{}", vendor["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    server.shutdown().await;
}
both_backends!(contracts_and_vendors, contracts_and_vendors);

/// Bulk status changes of contracts and licences, with a note each; the delete rule applies
/// to each record.
async fn bulk_ledger_changes(backend: Backend) {
    let server = TestServer::start(backend).await;
    let a = created(
        &server,
        "/api/v1/contracts",
        json!({"contract_number": "B-1"}),
    )
    .await;
    let b = created(
        &server,
        "/api/v1/contracts",
        json!({"contract_number": "B-2"}),
    )
    .await;
    let (status, outcome) = server
        .api(Method::POST, "/api/v1/contracts/bulk", Some(json!({"ids": [a["id"], b["id"], 999999], "action": "set_status", "status_id": 53, "note": "年度末"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(outcome["done"], json!([a["id"], b["id"]]));
    assert_eq!(outcome["failed"][0]["code"], "not_found");
    let (_, detail) = server.get(&format!("/api/v1/contracts/{}", a["id"])).await;
    assert!(
        detail["notes"][0]["body"]
            .as_str()
            .is_some_and(|n| n.contains("契約中 → 満了") && n.contains("年度末")),
        "{detail}"
    );
    let (status, body) = server
        .api(
            Method::POST,
            "/api/v1/contracts/bulk",
            Some(json!({"ids": [a["id"]], "action": "stocktake", "on": "2027-01-01"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let l = created(
        &server,
        "/api/v1/licences",
        json!({"licence_number": "BL-1", "held": 1}),
    )
    .await;
    let (_, outcome) = server
        .api(
            Method::POST,
            "/api/v1/licences/bulk",
            Some(json!({"ids": [l["id"]], "action": "delete"})),
        )
        .await;
    assert_eq!(
        outcome["failed"][0]["code"], "status_forbids_delete",
        "in use: {outcome}"
    );
    let (_, outcome) = server
        .api(
            Method::POST,
            "/api/v1/licences/bulk",
            Some(json!({"ids": [l["id"]], "action": "stocktake", "on": "2027-03-31"})),
        )
        .await;
    assert_eq!(outcome["done"], json!([l["id"]]), "{outcome}");
    let (_, detail) = server.get(&format!("/api/v1/licences/{}", l["id"])).await;
    assert_eq!(detail["stocktaken_on"], "2027-03-31");
    let (_, outcome) = server
        .api(
            Method::POST,
            "/api/v1/contracts/bulk",
            Some(json!({"ids": [a["id"], b["id"]], "action": "delete"})),
        )
        .await;
    assert_eq!(
        outcome["done"].as_array().map(Vec::len),
        Some(2),
        "expired ones go: {outcome}"
    );
    server.shutdown().await;
}
both_backends!(bulk_ledger_changes, bulk_ledger_changes);

/// Custom values on licences and contracts, as on assets: checked against the record kind's
/// fields, stored, returned, removed with `null`, copied with a contract; a stored value
/// whose option was deleted is dropped at the next change instead of failing it, while a
/// value sent is checked strictly.
async fn custom_values(backend: Backend) {
    let server = TestServer::start(backend).await;
    let seat = created(
        &server,
        "/api/v1/assets/fields",
        json!({"target": "licence", "name": "契約ID", "data_type": "text"}),
    )
    .await;
    let edition = created(
        &server,
        "/api/v1/assets/fields",
        json!({"target": "licence", "name": "エディション", "data_type": "selection"}),
    )
    .await;
    let with = created(
        &server,
        &format!("/api/v1/assets/fields/{}/options", edition["id"]),
        json!({"name": "Pro"}),
    )
    .await;
    let pro = with["options"][0]["id"].clone();
    let with = created(
        &server,
        &format!("/api/v1/assets/fields/{}/options", edition["id"]),
        json!({"name": "Home"}),
    )
    .await;
    let home = with["options"][1]["id"].clone();
    let budget = created(
        &server,
        "/api/v1/assets/fields",
        json!({"target": "contract", "name": "予算", "data_type": "hierarchy"}),
    )
    .await;
    let tree = created(
        &server,
        &format!("/api/v1/assets/fields/{}/options", budget["id"]),
        json!({"name": "情報システム費"}),
    )
    .await;
    let it = tree["options"][0]["id"].clone();
    let tree = created(
        &server,
        &format!("/api/v1/assets/fields/{}/options", budget["id"]),
        json!({"name": "保守", "parent_id": it}),
    )
    .await;
    let upkeep = tree["options"][1]["id"].clone();
    let hardware = created(
        &server,
        "/api/v1/assets/fields",
        json!({"target": "hardware", "name": "リース番号", "data_type": "text"}),
    )
    .await;
    let key = |field: &Value| field["id"].to_string();

    // Licences.
    let licence = created(
        &server,
        "/api/v1/licences",
        json!({"licence_number": "CL-1", "held": 3,
               "custom": {key(&seat): " K-1 ", key(&edition): pro, key(&hardware): "not a licence field"}}),
    )
    .await;
    assert_eq!(
        licence["custom"],
        json!({key(&seat): "K-1", key(&edition): pro}),
        "text as typed, an option by id, another kind's field dropped"
    );
    for (custom, field) in [
        (json!({key(&edition): 999_999}), key(&edition)),
        (json!({key(&edition): it}), key(&edition)),
        (json!({key(&seat): 7}), key(&seat)),
        (json!({key(&seat): "a\u{1}b"}), key(&seat)),
    ] {
        let (status, body) = server
            .api(
                Method::POST,
                "/api/v1/licences",
                Some(json!({"custom": custom})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{custom}: {body}");
        assert_eq!(body["field"], format!("custom.{field}"));
    }
    let (status, changed) = server
        .api(
            Method::PATCH,
            &format!("/api/v1/licences/{}", licence["id"]),
            Some(json!({"custom": {key(&seat): null, key(&edition): home}, "version": licence["version"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["custom"], json!({key(&edition): home}));
    let (_, detail) = server
        .get(&format!("/api/v1/licences/{}", licence["id"]))
        .await;
    assert_eq!(detail["custom"], json!({key(&edition): home}));
    // The option goes: a bulk change still applies and drops the stale value; sending it
    // is refused.
    let (status, _) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/assets/fields/{}/options/{home}", edition["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = server
        .api(
            Method::PATCH,
            &format!("/api/v1/licences/{}", licence["id"]),
            Some(json!({"custom": {key(&edition): home}, "version": changed["version"]})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], format!("custom.{}", key(&edition)));
    let (_, outcome) = server
        .api(
            Method::POST,
            "/api/v1/licences/bulk",
            Some(json!({"ids": [licence["id"]], "action": "stocktake", "on": "2027-03-31"})),
        )
        .await;
    assert_eq!(outcome["done"], json!([licence["id"]]), "{outcome}");
    let (_, detail) = server
        .get(&format!("/api/v1/licences/{}", licence["id"]))
        .await;
    assert_eq!(detail["custom"], json!({}), "{detail}");

    // Contracts: create, update, copy.
    let contract = created(
        &server,
        "/api/v1/contracts",
        json!({"contract_number": "CC-1", "custom": {key(&budget): upkeep}}),
    )
    .await;
    assert_eq!(contract["custom"], json!({key(&budget): upkeep}));
    let (status, body) = server
        .api(
            Method::POST,
            "/api/v1/contracts",
            Some(json!({"contract_number": "CC-2", "custom": {key(&budget): pro}})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "another field's option: {body}"
    );
    assert_eq!(body["field"], format!("custom.{}", key(&budget)));
    let (status, changed) = server
        .api(
            Method::PATCH,
            &format!("/api/v1/contracts/{}", contract["id"]),
            Some(json!({"custom": {key(&budget): it}, "version": contract["version"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["custom"], json!({key(&budget): it}));
    let copy = created(
        &server,
        &format!("/api/v1/contracts/{}/copy", contract["id"]),
        json!({"contract_number": "CC-3"}),
    )
    .await;
    assert_eq!(copy["custom"], json!({key(&budget): it}), "{copy}");
    let (_, detail) = server
        .get(&format!("/api/v1/contracts/{}", copy["id"]))
        .await;
    assert_eq!(detail["custom"], json!({key(&budget): it}));
    server.shutdown().await;
}
both_backends!(custom_values, custom_values);
