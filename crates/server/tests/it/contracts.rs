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

/// A download as `token`: status and bytes.
async fn download_as(server: &TestServer, token: &str, path: &str) -> (StatusCode, Vec<u8>) {
    let response = server
        .client
        .get(format!("{}{path}", server.base_url))
        .bearer_auth(token)
        .send()
        .await
        .expect("download");
    let status = response.status();
    (status, response.bytes().await.expect("bytes").to_vec())
}

/// A CSV file's records, the header first.
fn records(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes())
        .records()
        .map(|record| record.expect("record").iter().map(String::from).collect())
        .collect()
}

/// A UTF-8 export's records (after its BOM, when it has one).
async fn exported(server: &TestServer, token: &str, path: &str) -> Vec<Vec<String>> {
    let (status, bytes) = download_as(server, token, path).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "{path}: {}",
        String::from_utf8_lossy(&bytes)
    );
    let text = String::from_utf8(bytes).expect("utf-8");
    records(text.trim_start_matches('\u{feff}'))
}

async fn scoped_account(server: &TestServer, login: &str, departments: &[&Value]) -> String {
    let ids: Vec<Value> = departments.iter().map(|d| d["id"].clone()).collect();
    let (status, body) = server
        .api(Method::POST, "/api/v1/users", Some(json!({"login": login, "password": "First-pass-1", "divisions": ["assets"], "all_departments": ids.is_empty(), "departments": ids})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    kanri_server::accounts::service::create_api_token(&server.state().db, login, "t", None)
        .await
        .expect("token")
}

/// The contract and vendor exports: the import's fields under its labels in either
/// language, names for ids, numbers for links, empty cells for no value, guarded formulas,
/// every encoding, the list's conditions and the reader's departments, the assets
/// division, an audit entry each, and a vendor list longer than a page.
async fn exports(backend: Backend) {
    let server = TestServer::start(backend).await;
    let hospital = created(
        &server,
        "/api/v1/departments",
        json!({"name": "病院", "name_en": "Hospital"}),
    )
    .await;
    let ward = created(
        &server,
        "/api/v1/departments",
        json!({"name": "病棟", "parent_id": hospital["id"]}),
    )
    .await;
    let office = created(&server, "/api/v1/departments", json!({"name": "事務"})).await;
    let vendor = created(
        &server,
        "/api/v1/vendors",
        json!({"name": "=HYPERLINK(\"http://x\")", "address": "東京都", "contact_person": "佐藤", "contact": "+81-3-0000-0000"}),
    )
    .await;
    let ward_pc = created(
        &server,
        "/api/v1/assets",
        json!({"asset_number": "W-2", "department_id": ward["id"]}),
    )
    .await;
    let ward_pc_1 = created(
        &server,
        "/api/v1/assets",
        json!({"asset_number": "W-1", "department_id": ward["id"]}),
    )
    .await;
    let office_pc = created(
        &server,
        "/api/v1/assets",
        json!({"asset_number": "O-1", "department_id": office["id"]}),
    )
    .await;
    let unnumbered = created(
        &server,
        "/api/v1/assets",
        json!({"department_id": ward["id"]}),
    )
    .await;
    let licence = created(
        &server,
        "/api/v1/licences",
        json!({"licence_number": "-L-1", "held": 1, "department_id": ward["id"]}),
    )
    .await;
    created(
        &server,
        "/api/v1/contracts",
        json!({"contract_number": "K-1", "name": "保守", "type_id": 64, "contracted_on": "2026-03-01",
               "starts_on": "2026-04-01", "ends_on": "2027-03-31", "amount": 1_200_000,
               "vendor_id": vendor["id"], "department_id": ward["id"],
               "asset_ids": [ward_pc["id"], ward_pc_1["id"], office_pc["id"], unnumbered["id"]],
               "licence_ids": [licence["id"]]}),
    )
    .await;
    created(
        &server,
        "/api/v1/contracts",
        json!({"contract_number": "K-2", "status_id": 53, "department_id": office["id"]}),
    )
    .await;
    created(
        &server,
        "/api/v1/contracts",
        json!({"contract_number": "K-3"}),
    )
    .await;

    let all = exported(
        &server,
        &server.api_token,
        "/api/v1/contracts/export?encoding=utf-8&lang=ja",
    )
    .await;
    assert_eq!(
        all[0],
        [
            "契約番号",
            "契約名",
            "契約種別",
            "契約状態",
            "契約日",
            "契約開始日",
            "契約終了日",
            "総額",
            "契約会社",
            "部署",
            "ハードウェア資産",
            "ソフトウェアライセンス"
        ]
    );
    assert_eq!(
        all[1],
        [
            "K-1",
            "保守",
            "保守",
            "契約中",
            "2026-03-01",
            "2026-04-01",
            "2027-03-31",
            "1200000",
            "'=HYPERLINK(\"http://x\")",
            "病院/病棟",
            "O-1;W-1;W-2",
            "'-L-1"
        ],
        "the asset without a number cannot be named: {all:?}"
    );
    assert_eq!(all.len(), 4, "{all:?}");
    assert_eq!(
        all[2..].iter().map(|r| r[0].as_str()).collect::<Vec<_>>(),
        ["K-2", "K-3"],
        "by end day (none last), then id"
    );
    assert_eq!(
        all[3][2..],
        ["購入", "契約中", "", "", "", "0", "", "", "", ""],
        "no value is an empty cell"
    );
    let english = exported(
        &server,
        &server.api_token,
        "/api/v1/contracts/export?encoding=utf-8-bom&lang=en&status=53",
    )
    .await;
    assert_eq!(english[0][0], "Contract number");
    assert_eq!(english.len(), 2, "the list's conditions: {english:?}");
    assert_eq!(english[1][3], "Expired");
    assert_eq!(english[1][9], "事務", "no English name: the Japanese one");

    // A reader of the ward sees its contract and, of what it covers, only the ward's.
    let ward_token = scoped_account(&server, "ward", &[&ward]).await;
    let scoped = exported(
        &server,
        &ward_token,
        "/api/v1/contracts/export?encoding=utf-8",
    )
    .await;
    assert_eq!(scoped.len(), 2, "{scoped:?}");
    assert_eq!(scoped[1][10], "W-1;W-2");

    // Encodings.
    let (status, sjis) = download_as(
        &server,
        &server.api_token,
        "/api/v1/contracts/export?encoding=shift_jis",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&sjis);
    assert!(!bad && text.starts_with("契約番号,"), "{text}");
    let (_, utf16) = download_as(
        &server,
        &server.api_token,
        "/api/v1/vendors/export?encoding=utf-16le&lang=ja",
    )
    .await;
    assert!(utf16.starts_with(&[0xFF, 0xFE]), "a BOM");
    let (text, _, bad) = encoding_rs::UTF_16LE.decode(&utf16);
    assert!(!bad && text.contains("会社名,住所,担当者,連絡先"), "{text}");
    let (_, bom) = download_as(&server, &server.api_token, "/api/v1/vendors/export").await;
    assert!(
        bom.starts_with(b"\xEF\xBB\xBF"),
        "UTF-8 with a BOM by default"
    );
    for path in [
        "/api/v1/contracts/export?encoding=latin-1",
        "/api/v1/vendors/export?encoding=latin-1",
        "/api/v1/contracts/export?ends_before=soon",
        "/api/v1/vendors/export?q=x",
    ] {
        let (status, body) = download_as(&server, &server.api_token, path).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            String::from_utf8_lossy(&body)
        );
    }

    // The vendor list, whole for every reader of the assets division.
    let vendors = exported(&server, &ward_token, "/api/v1/vendors/export?lang=en").await;
    assert_eq!(
        vendors,
        [
            ["Company name", "Address", "Contact person", "Contact"],
            [
                "'=HYPERLINK(\"http://x\")",
                "東京都",
                "佐藤",
                "'+81-3-0000-0000"
            ]
        ]
    );
    let devices_only = {
        let (status, body) = server
            .api(Method::POST, "/api/v1/users", Some(json!({"login": "devices", "password": "First-pass-1", "divisions": ["devices"], "all_departments": true})))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        kanri_server::accounts::service::create_api_token(&server.state().db, "devices", "t", None)
            .await
            .expect("token")
    };
    for path in ["/api/v1/contracts/export", "/api/v1/vendors/export"] {
        let (status, _) = download_as(&server, &devices_only, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let (_, audit) = server.get("/api/v1/audit?op=Export&limit=100").await;
    let lists: Vec<String> = audit["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["detail"]["list"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(
        lists.iter().filter(|l| *l == "contracts").count(),
        4,
        "one entry per contract export: {lists:?}"
    );
    assert_eq!(lists.iter().filter(|l| *l == "vendors").count(), 3);

    // More vendors than a page: every one, once, in name order.
    let mut file = String::from("会社名,住所\n");
    for n in 0..2_050 {
        file.push_str(&format!("業者{n:05},\n"));
    }
    let (status, body) = server
        .api(
            Method::POST,
            "/api/v1/import-templates",
            Some(json!({"kind": "vendors", "name": "会社", "mapping": {"key": "name", "columns": [{"header": "会社名", "field": "name"}, {"header": "住所", "field": "address"}]}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let response = server
        .client
        .post(format!(
            "{}/api/v1/imports?kind=vendors&template=会社",
            server.base_url
        ))
        .bearer_auth(&server.api_token)
        .body(file)
        .send()
        .await
        .expect("import");
    assert_eq!(response.status(), StatusCode::OK);
    let vendors = exported(&server, &server.api_token, "/api/v1/vendors/export").await;
    assert_eq!(vendors.len(), 2_052, "header, the first vendor, 2,050 more");
    let names: Vec<&str> = vendors[1..].iter().map(|r| r[0].as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(names, sorted, "in name order, each once");
    server.shutdown().await;
}
both_backends!(exports, exports);
