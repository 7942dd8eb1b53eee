//! The console's licence, managed software, contract and vendor forms over HTTP: what they
//! register is what the REST API reads back, refusals show the page again with the reason
//! and change nothing, deletions need their confirmation box.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::console::{csrf_in, signed_in_admin, Browser};
use crate::support::{Backend, ProtoAgent, TestServer};

fn id_in(location: &str, prefix: &str) -> i64 {
    location
        .strip_prefix(prefix)
        .and_then(|rest| rest.split('/').next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("{location} is not under {prefix}"))
}

fn version_in(page: &str) -> String {
    let at = page
        .find("name=\"version\" value=\"")
        .expect("a version field")
        + 22;
    page[at..].split('"').next().unwrap_or("").to_string()
}

async fn get_json(server: &TestServer, path: &str) -> Value {
    let (status, body) = server.api(Method::GET, path, None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

async fn post(
    browser: &mut Browser,
    path: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, String) {
    let (_, _, page) = browser.get("/licences").await;
    let csrf = csrf_in(&page);
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(form);
    browser.post(path, &all).await
}

async fn licences_and_managed_software(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    for host in ["kango-pc-01", "kango-pc-02"] {
        ProtoAgent::new(&server, host).enroll(&token).await;
    }
    let mut admin = signed_in_admin(&server).await;

    // Managed software: rules one per line; a rule without a name refuses the whole form.
    let (status, _, page) = post(
        &mut admin,
        "/licences/managed/new",
        &[
            ("name", "Office"),
            ("name_en", ""),
            ("rules", "pattern:Microsoft Office*\npattern:"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("role=\"alert\"") && page.contains("has no name"),
        "{page}"
    );
    let listed = get_json(&server, "/api/v1/managed-software").await;
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(0),
        "{listed}"
    );
    let (status, location, _) = post(
        &mut admin,
        "/licences/managed/new",
        &[
            ("name", "Microsoft Office"),
            ("name_en", ""),
            ("rules", "pattern:Microsoft Office*\r\nVisio@16.*"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let managed = id_in(&location, "/licences/managed/");
    let stored = get_json(&server, &format!("/api/v1/managed-software/{managed}")).await;
    assert_eq!(
        stored["rules"],
        json!([
            {"pattern": true, "name": "Microsoft Office*", "version": ""},
            {"pattern": false, "name": "Visio", "version": "16.*"}
        ]),
        "{stored}"
    );
    let (_, _, edit) = admin
        .get(&format!("/licences/managed/{managed}/edit"))
        .await;
    assert!(
        edit.contains("pattern:Microsoft Office*\nexact:Visio@16.*"),
        "{edit}"
    );

    // A licence of it, held once.
    let (status, _, page) = post(
        &mut admin,
        "/licences/new",
        &[
            ("licence_number", "L-0001"),
            ("name", "Office 2024"),
            ("managed_id", &managed.to_string()),
            ("held", "one"),
            ("type_id", "41"),
            ("status_id", "31"),
            ("planned_status_id", ""),
            ("planned_on", ""),
            ("department_id", ""),
            ("stocktaken_on", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("数値を入力") && page.contains("value=\"L-0001\""),
        "kept as typed"
    );
    let (status, location, _) = post(
        &mut admin,
        "/licences/new",
        &[
            ("licence_number", "L-0001"),
            ("name", "Office 2024"),
            ("managed_id", &managed.to_string()),
            ("held", "1"),
            ("type_id", "41"),
            ("status_id", "31"),
            ("planned_status_id", ""),
            ("planned_on", ""),
            ("department_id", ""),
            ("stocktaken_on", "2026-04-01"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let licence = id_in(&location, "/licences/");
    let path = format!("/licences/{licence}");
    let api = format!("/api/v1/licences/{licence}");
    let stored = get_json(&server, &api).await;
    assert_eq!(
        (
            &stored["held"],
            &stored["managed_id"],
            &stored["stocktaken_on"]
        ),
        (&json!(1), &json!(managed), &json!("2026-04-01")),
        "{stored}"
    );

    // Assign by host name (any case); beyond the held count and unknown names are refused.
    let (status, _, _) = post(
        &mut admin,
        &format!("{path}/assign"),
        &[("hostname", "KANGO-PC-01")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, page) = post(
        &mut admin,
        &format!("{path}/assign"),
        &[("hostname", "kango-pc-02")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("the licence holds 1"), "{page}");
    let (status, _, page) = post(
        &mut admin,
        &format!("{path}/assign"),
        &[("hostname", "nai-pc")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("そのホスト名の機器はありません"), "{page}");
    let stored = get_json(&server, &api).await;
    assert_eq!(stored["devices"][0]["hostname"], "kango-pc-01", "{stored}");
    assert_eq!(stored["devices"].as_array().map(Vec::len), Some(1));
    let (_, _, page) = admin.get(&path).await;
    assert!(
        page.contains("kango-pc-01") && page.contains("(1/1)"),
        "{page}"
    );
    let device = stored["devices"][0]["id"].as_i64().expect("device id");
    let (status, _, _) = post(&mut admin, &format!("{path}/unassign/{device}"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(get_json(&server, &api).await["assigned"], 0);

    // Move the held licence to another department: the new licence's page opens.
    let (_, clinic) = server
        .api(
            Method::POST,
            "/api/v1/departments",
            Some(json!({"name": "外来"})),
        )
        .await;
    let (_, _, page) = admin.get(&path).await;
    assert!(
        page.contains("action=\"/licences/") && page.contains("/move\""),
        "{page}"
    );
    let clinic = clinic["id"].to_string();
    let (status, location, _) = post(
        &mut admin,
        &format!("{path}/move"),
        &[("count", "1"), ("department_id", &clinic)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let target = id_in(&location, "/licences/");
    assert_ne!(target, licence);
    let moved = get_json(&server, &format!("/api/v1/licences/{target}")).await;
    assert_eq!(
        (&moved["held"], &moved["department_id"].to_string()),
        (&json!(1), &clinic)
    );
    assert_eq!(get_json(&server, &api).await["held"], 0);

    // Dispose with a reason (noted); a stale version is refused.
    let (_, _, page) = admin.get(&path).await;
    let version = version_in(&page);
    let form = |version: &str, status: &str| {
        vec![
            ("version", version.to_string()),
            ("licence_number", "L-0001".to_string()),
            ("name", "Office 2024".to_string()),
            ("managed_id", managed.to_string()),
            ("held", "1".to_string()),
            ("type_id", "41".to_string()),
            ("status_id", status.to_string()),
            ("planned_status_id", String::new()),
            ("planned_on", String::new()),
            ("department_id", String::new()),
            ("stocktaken_on", "2026-04-01".to_string()),
            ("note", "更新せず廃棄".to_string()),
        ]
    };
    let fields = form(&version, "32");
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, _) = post(&mut admin, &path, &borrowed).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let stored = get_json(&server, &api).await;
    assert_eq!(stored["status_id"], 32);
    assert!(
        stored["notes"].to_string().contains("更新せず廃棄"),
        "{stored}"
    );
    let fields = form(&version, "31");
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, page) = post(&mut admin, &path, &borrowed).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("ほかの管理者が同時に変更しました"), "{page}");
    assert_eq!(get_json(&server, &api).await["status_id"], 32, "unchanged");

    // Deleting needs the box ticked.
    let (status, _, _) = post(&mut admin, &format!("{path}/delete"), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, location, _) =
        post(&mut admin, &format!("{path}/delete"), &[("confirm", "1")]).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/licences")
    );
    let (status, _) = server.api(Method::GET, &api, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    server.shutdown().await;
}

both_backends!(licences_and_managed_software, licences_and_managed_software);

async fn contracts_and_vendors(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (status, asset) = server
        .api(
            Method::POST,
            "/api/v1/assets",
            Some(json!({"asset_number": "HW-0100", "name": "複合機"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{asset}");
    let mut admin = signed_in_admin(&server).await;

    let (status, _, _) = post(
        &mut admin,
        "/vendors/new",
        &[
            ("name", "東京医療システム"),
            ("address", "東京都"),
            ("contact_person", "佐藤"),
            ("contact", "03-0000-0000"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = admin
        .post(
            "/vendors/new",
            &[("csrf", "forged"), ("name", "偽の取引先")],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a form without the session's token"
    );
    let vendors = get_json(&server, "/api/v1/vendors").await;
    let vendor = vendors[0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{vendors}"));
    let (_, _, list) = admin.get("/vendors").await;
    assert!(
        list.contains("東京医療システム") && list.contains("佐藤"),
        "{list}"
    );
    assert!(
        list.contains("/api/v1/vendors/export?encoding=shift_jis"),
        "{list}"
    );
    let (status, csv) = admin
        .get_bytes("/api/v1/vendors/export?encoding=shift_jis&lang=ja")
        .await;
    assert_eq!(status, StatusCode::OK);
    let (csv, _, malformed) = encoding_rs::SHIFT_JIS.decode(&csv);
    assert!(!malformed && csv.contains("東京医療システム"), "{csv}");

    let contract = |assets: &str| {
        vec![
            ("contract_number", "C-2026-01".to_string()),
            ("name", "複合機リース".to_string()),
            ("type_id", "62".to_string()),
            ("status_id", "51".to_string()),
            ("contracted_on", "2026-03-15".to_string()),
            ("starts_on", "2026-04-01".to_string()),
            ("ends_on", "2031-03-31".to_string()),
            ("amount", "600000".to_string()),
            ("vendor_id", vendor.to_string()),
            ("department_id", String::new()),
            ("asset_numbers", assets.to_string()),
            ("licence_numbers", String::new()),
        ]
    };
    let fields = contract("HW-0100\nHW-0404");
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, page) = post(&mut admin, "/contracts/new", &borrowed).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("HW-0404") && !page.contains("no such number: HW-0100"),
        "{page}"
    );
    let listed = get_json(&server, "/api/v1/contracts").await;
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(0),
        "nothing half-made"
    );
    let fields = contract("HW-0100");
    let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, location, _) = post(&mut admin, "/contracts/new", &borrowed).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id = id_in(&location, "/contracts/");
    let stored = get_json(&server, &format!("/api/v1/contracts/{id}")).await;
    assert_eq!(stored["asset_ids"], json!([asset["id"]]), "{stored}");
    assert_eq!(stored["vendor_id"], vendor);
    let (_, _, page) = admin.get(&location).await;
    assert!(page.contains(">HW-0100</textarea>"), "{page}");
    let (_, _, list) = admin.get("/contracts?expiring=yes").await;
    assert!(
        list.contains("/api/v1/contracts/export?expiring=yes&amp;encoding=utf-8-bom"),
        "the export link keeps the view: {list}"
    );
    let (_, _, list) = admin
        .get(&format!(
            "/contracts?vendor={vendor}&q=%E3%83%AA%E3%83%BC%E3%82%B9"
        ))
        .await;
    assert!(list.contains("複合機リース"), "{list}");
    assert!(
        list.contains(&format!("<option value=\"{vendor}\" selected>")),
        "{list}"
    );
    let (_, _, list) = admin.get("/contracts?q=%E4%BF%9D%E5%AE%88").await;
    assert!(!list.contains("複合機リース"), "{list}");

    // Save as another contract: a copy without a number, with the same links.
    let (status, location, _) = post(&mut admin, &format!("/contracts/{id}/copy"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let copy = id_in(&location, "/contracts/");
    assert_ne!(copy, id);
    let copied = get_json(&server, &format!("/api/v1/contracts/{copy}")).await;
    assert_eq!(
        (
            &copied["contract_number"],
            &copied["name"],
            &copied["asset_ids"]
        ),
        (&json!(""), &json!("複合機リース"), &json!([asset["id"]])),
        "{copied}"
    );

    // An active contract is kept; a named vendor is kept.
    let (status, _, page) = post(
        &mut admin,
        &format!("/contracts/{id}/delete"),
        &[("confirm", "1")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    let (status, _, page) = post(
        &mut admin,
        &format!("/vendors/{vendor}/delete"),
        &[("confirm", "1")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(page.contains("contracts name"), "{page}");
    assert_eq!(
        get_json(&server, "/api/v1/vendors")
            .await
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    server.shutdown().await;
}

both_backends!(contracts_and_vendors, contracts_and_vendors);

fn ids_after(page: &str, marker: &str) -> Vec<i64> {
    page.match_indices(marker)
        .filter_map(|(at, _)| {
            page[at + marker.len()..]
                .split(['/', '"'])
                .next()
                .and_then(|id| id.parse().ok())
        })
        .collect()
}

async fn ledger_settings_screen(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut admin = signed_in_admin(&server).await;
    let (_, _, hub) = admin.get("/settings").await;
    assert!(hub.contains("href=\"/settings/ledger\""), "{hub}");
    let (status, _, page) = admin.get("/settings/ledger").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_in(&page);
    let version = version_in(&page);

    // Automatic stocktake and user information; a bad interval changes nothing.
    let settings = |interval: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("version", version.clone()),
            ("stocktake_auto", "last_contact".to_string()),
            ("user_info_enabled", "1".to_string()),
            ("user_info_start", "2026-04-01".to_string()),
            ("user_info_interval_days", interval.to_string()),
        ]
    };
    let form = settings("ninety");
    let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, page) = admin.post("/settings/ledger", &borrowed).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("数値を入力"), "{page}");
    assert_eq!(
        get_json(&server, "/api/v1/assets/settings").await["stocktake_auto"],
        "off"
    );
    let form = settings("90");
    let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, _) = admin.post("/settings/ledger", &borrowed).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let stored = get_json(&server, "/api/v1/assets/settings").await;
    assert_eq!(
        (
            &stored["stocktake_auto"],
            &stored["user_info_enabled"],
            &stored["user_info_interval_days"]
        ),
        (&json!("last_contact"), &json!(true), &json!(90)),
        "{stored}"
    );
    let (_, _, page) = admin.get("/settings/ledger").await;
    assert!(
        page.contains("name=\"user_info_start\" value=\"2026-04-01\""),
        "{page}"
    );

    // An entry of the administrators' own in a choice list, then deleted.
    let (status, _, _) = admin
        .post(
            "/settings/ledger/choices/hardware_status",
            &[("csrf", &csrf), ("name", "貸出中"), ("name_en", "On loan")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = admin.get("/settings/ledger").await;
    assert!(page.contains("貸出中"), "{page}");
    let choice = *ids_after(&page, "/settings/ledger/choices/hardware_status/")
        .first()
        .expect("a deletable entry");
    assert!(
        choice > 1000,
        "only custom entries can be deleted: {choice}"
    );
    let (status, _, _) = admin
        .post(
            &format!("/settings/ledger/choices/hardware_status/{choice}/delete"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = admin.get("/settings/ledger").await;
    assert!(!page.contains("貸出中"));

    // A hierarchy field with a node under a node; deleting the field needs the box.
    let (status, _, _) = admin
        .post(
            "/settings/ledger/fields",
            &[
                ("csrf", &csrf),
                ("target", "hardware"),
                ("name", "病棟"),
                ("name_en", "Ward"),
                ("data_type", "hierarchy"),
                ("input", "user"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let fields = get_json(&server, "/api/v1/assets/fields?target=hardware").await;
    let field = fields[0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{fields}"));
    let options = format!("/settings/ledger/fields/{field}/options");
    let (status, _, _) = admin
        .post(
            &options,
            &[
                ("csrf", &csrf),
                ("parent_id", ""),
                ("name", "本館"),
                ("name_en", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let fields = get_json(&server, "/api/v1/assets/fields?target=hardware").await;
    let parent = fields[0]["options"][0]["id"].as_i64().expect("node");
    let (status, _, _) = admin
        .post(
            &options,
            &[
                ("csrf", &csrf),
                ("parent_id", &parent.to_string()),
                ("name", "3階"),
                ("name_en", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = admin.get("/settings/ledger").await;
    assert!(page.contains("本館 / 3階"), "{page}");
    let (status, _, _) = admin
        .post(
            &format!("/settings/ledger/fields/{field}/delete"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = admin
        .post(
            &format!("/settings/ledger/fields/{field}/delete"),
            &[("csrf", &csrf), ("confirm", "1")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let fields = get_json(&server, "/api/v1/assets/fields?target=hardware").await;
    assert_eq!(fields.as_array().map(Vec::len), Some(0), "{fields}");
    server.shutdown().await;
}

both_backends!(ledger_settings_screen, ledger_settings_screen);

/// The licence and contract forms carry their custom fields; the values are stored and a
/// refused form keeps what was typed.
async fn custom_fields_on_the_forms(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut ids = Vec::new();
    for target in ["licence", "contract"] {
        let (status, field) = server
            .api(
                Method::POST,
                "/api/v1/assets/fields",
                Some(json!({"target": target, "name": "予算科目", "data_type": "text"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{field}");
        ids.push(field["id"].as_i64().expect("id"));
    }
    let mut admin = signed_in_admin(&server).await;
    let (_, _, page) = admin.get("/licences/new").await;
    let licence_input = format!("custom_{}", ids[0]);
    assert!(
        page.contains(&format!("name=\"{licence_input}\"")),
        "{page}"
    );
    let (status, _, page) = post(
        &mut admin,
        "/licences/new",
        &[
            ("name", "Visio"),
            ("held", "x"),
            ("type_id", "41"),
            ("status_id", "31"),
            (&licence_input, "研究費"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("value=\"研究費\""), "kept as typed: {page}");
    let (status, location, _) = post(
        &mut admin,
        "/licences/new",
        &[
            ("name", "Visio"),
            ("held", "2"),
            ("type_id", "41"),
            ("status_id", "31"),
            (&licence_input, "研究費"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let licence = get_json(
        &server,
        &format!("/api/v1/licences/{}", id_in(&location, "/licences/")),
    )
    .await;
    assert_eq!(licence["custom"][ids[0].to_string()], "研究費", "{licence}");

    let contract_input = format!("custom_{}", ids[1]);
    let (status, location, _) = post(
        &mut admin,
        "/contracts/new",
        &[
            ("name", "保守契約"),
            ("type_id", "61"),
            ("status_id", "51"),
            (&contract_input, "運営費"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let id = id_in(&location, "/contracts/");
    let contract = get_json(&server, &format!("/api/v1/contracts/{id}")).await;
    assert_eq!(
        contract["custom"][ids[1].to_string()],
        "運営費",
        "{contract}"
    );
    let (_, _, page) = admin.get(&location).await;
    assert!(page.contains("value=\"運営費\""), "{page}");
    server.shutdown().await;
}

both_backends!(custom_fields_on_the_forms, custom_fields_on_the_forms);

/// The licence list on the licence screen: conditions, pages of 200, CSV links that keep
/// the conditions, and a bad condition named on the page.
async fn licence_list_filters_and_pages(backend: Backend) {
    let server = TestServer::start(backend).await;
    for n in 0..202 {
        let status = if n == 0 { 32 } else { 31 };
        let (code, body) = server
            .api(
                Method::POST,
                "/api/v1/licences",
                Some(json!({"licence_number": format!("L-{n:04}"), "name": "Office", "held": 1, "status_id": status})),
            )
            .await;
        assert_eq!(code, StatusCode::CREATED, "{body}");
    }
    let mut admin = signed_in_admin(&server).await;
    let (_, _, page) = admin.get("/licences?status=32").await;
    assert!(
        page.contains(">L-0000<") && !page.contains(">L-0001<"),
        "{page}"
    );
    assert!(
        page.contains("/api/v1/licences/export?status=32&amp;encoding=utf-8-bom"),
        "{page}"
    );
    let (_, _, first) = admin.get("/licences?status=31").await;
    assert_eq!(first.matches("<tr data-id=").count(), 200, "a page of 200");
    let at = first.find("rel=\"next\" href=\"").expect("a next page") + 17;
    let next = first[at..]
        .split('"')
        .next()
        .unwrap_or("")
        .replace("&#38;", "&");
    assert!(
        next.contains("status=31") && next.contains("cursor="),
        "{next}"
    );
    let (_, _, second) = admin.get(&next).await;
    assert_eq!(second.matches("<tr data-id=").count(), 1, "{next}");
    let (status, _, bad) = admin.get("/licences?department=abc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad.contains("role=\"alert\""), "{bad}");
    server.shutdown().await;
}

both_backends!(
    licence_list_filters_and_pages,
    licence_list_filters_and_pages
);
