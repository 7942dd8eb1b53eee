//! The hardware asset ledger through the REST API: assets created and linked as devices
//! become managed, pre-registration by serial, device records and the representative, the
//! status rules (delete, dispose), bulk changes with notes, the schedule, the choice lists,
//! and department scope.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::support::inventory::sample;
use crate::support::{Backend, ProtoAgent, TestServer};

const UNCONFIRMED: i64 = 1;
const IN_OPERATION: i64 = 2;
const IN_STOCK: i64 = 3;
const DISPOSED: i64 = 4;

async fn account(
    server: &TestServer,
    login: &str,
    divisions: &[&str],
    departments: &[i64],
) -> String {
    let (status, body) = server
        .api(
            Method::POST,
            "/api/v1/users",
            Some(json!({
                "login": login, "password": "First-pass-1", "divisions": divisions,
                "all_departments": departments.is_empty(), "departments": departments
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    kanri_server::accounts::service::create_api_token(&server.state().db, login, "tests", None)
        .await
        .expect("token")
}

async fn create(server: &TestServer, path: &str, body: Value) -> Value {
    let (status, created) = server.api(Method::POST, path, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{path}: {created}");
    created
}

async fn enrolled(server: &TestServer, hostname: &str) -> ProtoAgent {
    let token = server.enrollment_token(None, None).await;
    let mut agent = ProtoAgent::new(server, hostname);
    let (status, body) = agent.enroll(&token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    agent
}

async fn asset_of_device(server: &TestServer, device: i64) -> Value {
    let (status, page) = server.get("/api/v1/assets?limit=1000").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|a| a["device_id"] == json!(device))
        .cloned()
        .unwrap_or_else(|| panic!("no asset represents device {device}: {page}"))
}

async fn patch(server: &TestServer, id: &Value, body: Value) -> (StatusCode, Value) {
    server
        .api(Method::PATCH, &format!("/api/v1/assets/{id}"), Some(body))
        .await
}

/// A device that becomes managed gets an Unconfirmed asset that copies its facts and keeps
/// them current; a pre-registered asset with its serial takes the device instead.
async fn assets_follow_devices(backend: Backend) {
    let server = TestServer::start(backend).await;
    let agent = enrolled(&server, "pc-ledger-1").await;
    let asset = asset_of_device(&server, agent.device_id()).await;
    assert_eq!(asset["status_id"], UNCONFIRMED);
    assert_eq!(asset["type_id"], 11, "agent devices are PCs: {asset}");
    assert_eq!(asset["name"], "pc-ledger-1");
    assert_eq!(asset["hostname"], "pc-ledger-1");
    assert_eq!(asset["created_by"], "agent");
    let serial = agent.facts.serial.as_ref().expect("serial").to_string();
    assert_eq!(asset["serial"], serial.as_str());

    // Each inventory of the representative overwrites the device columns, not the name.
    let (status, _) = agent.upload(&sample("pc-renamed", &[], 8)).await;
    assert_eq!(status, StatusCode::OK);
    let (_, detail) = server.get(&format!("/api/v1/assets/{}", asset["id"])).await;
    assert_eq!(detail["hostname"], "pc-renamed", "{detail}");
    assert_eq!(detail["ip_address"], "192.0.2.10");
    assert_eq!(detail["mac_address"], "52:54:00:12:34:56");
    assert_eq!(detail["name"], "pc-ledger-1");
    assert_eq!(detail["devices"][0]["id"], agent.device_id());
    assert_eq!(detail["devices"][0]["representative"], true);

    // Pre-registered by hand with a serial and a department: the device that reports the
    // serial joins it (no second asset) and takes its department.
    let ward = create(&server, "/api/v1/departments", json!({"name": "病棟"})).await;
    let pre = create(
        &server,
        "/api/v1/assets",
        json!({"asset_number": "HW-0001", "serial": "PRE-REG-42", "status_id": IN_STOCK,
               "type_id": 11, "department_id": ward["id"], "user_name": "山田 花子"}),
    )
    .await;
    assert_eq!(pre["device_id"], Value::Null);
    let token = server.enrollment_token(None, None).await;
    let mut second = ProtoAgent::new(&server, "pc-preregistered");
    second.facts.serial = Some("PRE-REG-42".into());
    let (status, _) = second.enroll(&token).await;
    assert_eq!(status, StatusCode::OK);
    let (_, linked) = server.get(&format!("/api/v1/assets/{}", pre["id"])).await;
    assert_eq!(linked["device_id"], second.device_id(), "{linked}");
    assert_eq!(linked["status_id"], IN_STOCK);
    assert_eq!(linked["hostname"], "pc-preregistered");
    let (_, device) = server
        .get(&format!("/api/v1/devices/{}", second.device_id()))
        .await;
    assert_eq!(device["department_id"], ward["id"], "{device}");
    let (_, count) = server.get("/api/v1/assets/count").await;
    assert_eq!(
        count["count"], 2,
        "no duplicate asset for the pre-registered one"
    );

    // Moving the device moves its asset (one shared value); moving the asset moves the device.
    let lab = create(&server, "/api/v1/departments", json!({"name": "検査科"})).await;
    let (status, body) = server
        .api(
            Method::PATCH,
            &format!("/api/v1/devices/{}", second.device_id()),
            Some(json!({"department_id": lab["id"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, moved) = server.get(&format!("/api/v1/assets/{}", pre["id"])).await;
    assert_eq!(moved["department_id"], lab["id"]);
    let (status, body) = patch(
        &server,
        &pre["id"],
        json!({"department_id": ward["id"], "version": moved["version"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, device) = server
        .get(&format!("/api/v1/devices/{}", second.device_id()))
        .await;
    assert_eq!(device["department_id"], ward["id"]);

    // A stale version is a conflict, not an overwrite.
    let (status, body) = patch(
        &server,
        &pre["id"],
        json!({"name": "x", "version": moved["version"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    server.shutdown().await;
}
both_backends!(assets_follow_devices, assets_follow_devices);

/// Several device records per asset, one representative; relations that do not cascade.
async fn device_records_and_relations(backend: Backend) {
    let server = TestServer::start(backend).await;
    let host = enrolled(&server, "vm-host").await;
    let guest = enrolled(&server, "vm-guest").await;
    let host_asset = asset_of_device(&server, host.device_id()).await;
    let guest_asset = asset_of_device(&server, guest.device_id()).await;

    // Map the guest onto the host's asset; the guest's own asset loses its record.
    let (status, detail) = server
        .api(
            Method::PUT,
            &format!(
                "/api/v1/assets/{}/devices/{}",
                host_asset["id"],
                guest.device_id()
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    let ids: Vec<i64> = detail["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .map(|d| d["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, vec![host.device_id(), guest.device_id()]);
    assert_eq!(detail["device_id"], host.device_id());
    let (_, orphan) = server
        .get(&format!("/api/v1/assets/{}", guest_asset["id"]))
        .await;
    assert_eq!(orphan["device_id"], Value::Null, "{orphan}");
    assert_eq!(orphan["devices"], json!([]));
    // The now empty asset is Unconfirmed: it can go.
    let (status, _) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/assets/{}", guest_asset["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Change the representative: the asset copies the guest's facts.
    let (status, detail) = server
        .api(
            Method::PUT,
            &format!(
                "/api/v1/assets/{}/devices/{}",
                host_asset["id"],
                guest.device_id()
            ),
            Some(json!({"representative": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["device_id"], guest.device_id());
    assert_eq!(detail["hostname"], "vm-guest");
    // Deleting the representative device hands the role to the remaining record.
    let (status, _) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/devices/{}", guest.device_id()),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, detail) = server
        .get(&format!("/api/v1/assets/{}", host_asset["id"]))
        .await;
    assert_eq!(detail["device_id"], host.device_id(), "{detail}");

    // A display related to the PC: changing the PC's status leaves the display alone.
    let display = create(
        &server,
        "/api/v1/assets",
        json!({"name": "モニタ", "type_id": 17, "status_id": IN_OPERATION}),
    )
    .await;
    let (status, _) = server
        .api(
            Method::PUT,
            &format!(
                "/api/v1/assets/{}/related/{}",
                host_asset["id"], display["id"]
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, detail) = server
        .get(&format!("/api/v1/assets/{}", display["id"]))
        .await;
    assert_eq!(
        detail["related"][0]["id"], host_asset["id"],
        "relations read both ways: {detail}"
    );
    let (status, body) = patch(
        &server,
        &host_asset["id"],
        json!({"status_id": IN_STOCK, "version": detail_version(&server, &host_asset["id"]).await}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, detail) = server
        .get(&format!("/api/v1/assets/{}", display["id"]))
        .await;
    assert_eq!(detail["status_id"], IN_OPERATION);
    let (status, body) = server
        .api(
            Method::PUT,
            &format!("/api/v1/assets/{}/related/{}", display["id"], display["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    server.shutdown().await;
}
both_backends!(device_records_and_relations, device_records_and_relations);

async fn detail_version(server: &TestServer, id: &Value) -> Value {
    let (_, detail) = server.get(&format!("/api/v1/assets/{id}")).await;
    detail["version"].clone()
}

/// Deletion only when Unconfirmed or Disposed; disposal deletes the device records and the
/// agent must enroll again; status changes write notes; bulk changes and the schedule.
async fn status_rules_and_bulk(backend: Backend) {
    let server = TestServer::start(backend).await;
    let agent = enrolled(&server, "pc-to-dispose").await;
    let asset = asset_of_device(&server, agent.device_id()).await;
    let (status, body) = patch(&server, &asset["id"], json!({"status_id": IN_OPERATION, "asset_number": "HW-9", "note": "配備", "version": asset["version"]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/assets/{}", asset["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "status_forbids_delete");

    let (status, body) = patch(&server, &asset["id"], json!({"status_id": DISPOSED, "note": "故障のため", "version": body_version(&server, &asset["id"]).await})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["device_id"], Value::Null);
    let (status, _) = server
        .get(&format!("/api/v1/devices/{}", agent.device_id()))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "disposal deletes the device record"
    );
    let (status, _) = agent.checkin(&sample("pc-to-dispose", &[], 8)).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the agent must enroll again"
    );
    let (_, detail) = server.get(&format!("/api/v1/assets/{}", asset["id"])).await;
    let notes: Vec<&str> = detail["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .map(|n| n["body"].as_str().expect("body"))
        .collect();
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes[0].contains("未確認 → 運用中") && notes[0].contains("配備"),
        "{notes:?}"
    );
    assert!(
        notes[1].contains("運用中 → 滅却") && notes[1].contains("故障のため"),
        "{notes:?}"
    );
    assert_eq!(detail["notes"][0]["author"], "admin");
    // The record stays, and a disposed asset may be deleted.
    let (status, _) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/assets/{}", asset["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Bulk: plan a move to stock on a day with a reason; the schedule lists it.
    let mut ids = Vec::new();
    for n in 0..3 {
        let a = create(
            &server,
            "/api/v1/assets",
            json!({"asset_number": format!("B-{n}"), "status_id": IN_OPERATION}),
        )
        .await;
        ids.push(a["id"].clone());
    }
    let (status, outcome) = server
        .api(
            Method::POST,
            "/api/v1/assets/bulk",
            Some(
                json!({"ids": [ids[0], ids[1], 999999], "action": "set_planned",
                        "planned_status_id": IN_STOCK, "planned_on": "2027-04-01", "note": "更新"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(outcome["done"], json!([ids[0], ids[1]]));
    assert_eq!(outcome["failed"][0]["id"], 999999);
    assert_eq!(outcome["failed"][0]["code"], "not_found");
    let (_, schedule) = server
        .get("/api/v1/assets?planned_status=any&sort=planned_on")
        .await;
    let planned: Vec<&Value> = schedule["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| &a["id"])
        .collect();
    assert_eq!(planned, vec![&ids[0], &ids[1]], "{schedule}");
    assert_eq!(schedule["items"][0]["planned_on"], "2027-04-01");
    let (_, due) = server.get("/api/v1/assets?planned_before=2027-03-31").await;
    assert_eq!(due["items"], json!([]));
    // Reaching the planned status ends the plan; the note says what happened.
    let (status, outcome) = server
        .api(Method::POST, "/api/v1/assets/bulk", Some(json!({"ids": ids, "action": "set_status", "status_id": IN_STOCK, "note": "回収済み"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(outcome["done"].as_array().map(Vec::len), Some(3));
    let (_, detail) = server.get(&format!("/api/v1/assets/{}", ids[0])).await;
    assert_eq!(detail["planned_status_id"], Value::Null, "{detail}");
    let last = detail["notes"]
        .as_array()
        .and_then(|n| n.last())
        .expect("note");
    assert!(
        last["body"]
            .as_str()
            .is_some_and(|b| b.contains("運用中 → 在庫") && b.contains("回収済み")),
        "{last}"
    );
    // Bulk delete leaves the in-stock assets alone and says why; a bad day refuses all.
    let (_, outcome) = server
        .api(
            Method::POST,
            "/api/v1/assets/bulk",
            Some(json!({"ids": ids, "action": "delete"})),
        )
        .await;
    assert_eq!(outcome["done"], json!([]));
    assert_eq!(outcome["failed"][0]["code"], "status_forbids_delete");
    let (status, body) = server
        .api(
            Method::POST,
            "/api/v1/assets/bulk",
            Some(json!({"ids": ids, "action": "stocktake", "on": "2027-02-30"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "stocktaken_on");
    let (status, _) = server
        .api(
            Method::POST,
            "/api/v1/assets/bulk",
            Some(json!({"ids": [ids[2]], "action": "stocktake", "on": "2027-03-01"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, missing) = server
        .get("/api/v1/assets?stocktaken_before=2027-03-01")
        .await;
    let missing: Vec<&Value> = missing["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| &a["id"])
        .collect();
    assert_eq!(missing, vec![&ids[0], &ids[1]]);
    server.shutdown().await;
}
both_backends!(status_rules_and_bulk, status_rules_and_bulk);

async fn body_version(server: &TestServer, id: &Value) -> Value {
    detail_version(server, id).await
}

/// Custom statuses: built-ins never change, at most 100 own entries, none deleted while an
/// asset holds it or a saved filter names it.
async fn choice_lists(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (status, builtins) = server.get("/api/v1/assets/choices/hardware_status").await;
    assert_eq!(status, StatusCode::OK);
    let codes: Vec<&str> = builtins
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c["code"].as_str().expect("code"))
        .collect();
    assert_eq!(
        codes,
        vec!["unconfirmed", "in_operation", "in_stock", "disposed"]
    );
    let (status, body) = server
        .api(
            Method::PATCH,
            "/api/v1/assets/choices/hardware_status/2",
            Some(json!({"name": "稼働中", "version": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let repair = create(
        &server,
        "/api/v1/assets/choices/hardware_status",
        json!({"name": "修理中", "name_en": "Under repair"}),
    )
    .await;
    assert!(repair["id"].as_i64().expect("id") > 1000);
    assert_eq!(repair["position"], 5);
    let (status, body) = server
        .api(
            Method::POST,
            "/api/v1/assets/choices/hardware_status",
            Some(json!({"name": "Under repair"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "name_taken");
    // Another list's entry is not reachable through this list.
    let (status, _) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/assets/choices/device_type/{}", repair["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let asset = create(
        &server,
        "/api/v1/assets",
        json!({"status_id": repair["id"]}),
    )
    .await;
    let (status, body) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/assets/choices/hardware_status/{}", repair["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (status, _) = patch(
        &server,
        &asset["id"],
        json!({"status_id": UNCONFIRMED, "version": asset["version"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, filter) = server
        .api(Method::POST, "/api/v1/saved-filters", Some(json!({"list": "assets", "name": "修理", "query": format!("status={}", repair["id"])})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filter}");
    let (status, body) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/assets/choices/hardware_status/{}", repair["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| m.contains("修理")),
        "{body}"
    );
    server
        .api(
            Method::DELETE,
            &format!("/api/v1/saved-filters/{}", filter["id"]),
            None,
        )
        .await;
    let (status, _) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/assets/choices/hardware_status/{}", repair["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    for n in 0..100 {
        create(
            &server,
            "/api/v1/assets/choices/device_type",
            json!({"name": format!("種別{n}")}),
        )
        .await;
    }
    let (status, body) = server
        .api(
            Method::POST,
            "/api/v1/assets/choices/device_type",
            Some(json!({"name": "one too many"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "too_many");
    // An asset cannot hold an entry of another list.
    let (status, body) = server
        .api(
            Method::POST,
            "/api/v1/assets",
            Some(json!({"status_id": 11})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "status_id");
    server.shutdown().await;
}
both_backends!(choice_lists, choice_lists);

/// The assets division and department scope apply to assets.
async fn scope_and_division(backend: Backend) {
    let server = TestServer::start(backend).await;
    let ward = create(&server, "/api/v1/departments", json!({"name": "外科"})).await;
    let office = create(&server, "/api/v1/departments", json!({"name": "事務"})).await;
    let mine = create(
        &server,
        "/api/v1/assets",
        json!({"name": "ward pc", "department_id": ward["id"]}),
    )
    .await;
    let theirs = create(
        &server,
        "/api/v1/assets",
        json!({"name": "office pc", "department_id": office["id"]}),
    )
    .await;
    create(&server, "/api/v1/assets", json!({"name": "nowhere"})).await;
    let token = account(
        &server,
        "ward-assets",
        &["assets"],
        &[ward["id"].as_i64().expect("id")],
    )
    .await;
    let (status, page) = server
        .api_as(&token, Method::GET, "/api/v1/assets", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| a["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, vec!["ward pc"]);
    let (status, _) = server
        .api_as(
            &token,
            Method::GET,
            &format!("/api/v1/assets/{}", theirs["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = server
        .api_as(
            &token,
            Method::PATCH,
            &format!("/api/v1/assets/{}", mine["id"]),
            Some(json!({"department_id": office["id"], "version": mine["version"]})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = server
        .api_as(
            &token,
            Method::POST,
            "/api/v1/assets",
            Some(json!({"name": "unknown dept"})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a scoped account cannot file an asset under Unknown: {body}"
    );
    let devices_only = account(&server, "devices-only", &["devices"], &[]).await;
    let (status, body) = server
        .api_as(&devices_only, Method::GET, "/api/v1/assets", None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "division_required");
    server.shutdown().await;
}
both_backends!(scope_and_division, scope_and_division);

async fn post_file(server: &TestServer, path: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let response = server
        .client
        .post(format!("{}{path}", server.base_url))
        .bearer_auth(&server.api_token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .expect("post");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Stocktake by a file of numbers (unknown ones listed, wrong encodings named) and the
/// automatic stocktake from the last contact.
async fn stocktaking(backend: Backend) {
    let server = TestServer::start(backend).await;
    for number in ["HW-1", "ＨＷ－２"] {
        create(
            &server,
            "/api/v1/assets",
            json!({"asset_number": number, "status_id": IN_OPERATION}),
        )
        .await;
    }
    create(
        &server,
        "/api/v1/licences",
        json!({"licence_number": "L-1", "held": 1}),
    )
    .await;
    let file = "資産管理番号\r\nHW-1\r\nHW-404\r\nＨＷ－２\r\n";
    let (status, outcome) = post_file(
        &server,
        "/api/v1/assets/stocktake?on=2027-01-15",
        file.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(outcome["updated"], 2);
    assert_eq!(outcome["unknown"], json!([[3, "HW-404"]]));
    let (_, page) = server
        .get("/api/v1/assets?stocktaken_after=2027-01-15")
        .await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    // Shift_JIS read as UTF-8 is refused and named; read as Shift_JIS it works.
    let sjis = encoding_rs::SHIFT_JIS.encode("ＨＷ－２\r\n").0.into_owned();
    let (status, body) = post_file(
        &server,
        "/api/v1/assets/stocktake?on=2027-02-01",
        sjis.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("Shift_JIS")),
        "{body}"
    );
    let (status, outcome) = post_file(
        &server,
        "/api/v1/assets/stocktake?on=2027-02-01&encoding=shift_jis",
        sjis,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(outcome["updated"], 1);
    let (status, outcome) = post_file(
        &server,
        "/api/v1/licences/stocktake?on=2027-02-01",
        b"L-1\n".to_vec(),
    )
    .await;
    assert_eq!(
        (status, outcome["updated"].clone()),
        (StatusCode::OK, json!(1))
    );
    let (status, _) = post_file(
        &server,
        "/api/v1/assets/stocktake?on=someday",
        b"HW-1\n".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Automatic: from the last contact, once the settings ask for it.
    let agent = enrolled(&server, "pc-seen-today").await;
    let (status, _) = agent.checkin(&sample("pc-seen-today", &[], 8)).await;
    assert_eq!(status, StatusCode::OK);
    server.flush().await;
    let now = jiff::Zoned::now();
    let start = now
        .date()
        .to_zoned(now.time_zone().clone())
        .expect("midnight")
        .timestamp()
        .as_millisecond();
    let today = now.date().to_string();
    let db = &server.state().db;
    assert_eq!(
        kanri_server::assets::stocktake::from_last_contact(db, start, &today)
            .await
            .expect("run"),
        0,
        "off by default"
    );
    let (_, settings) = server.get("/api/v1/assets/settings").await;
    let mut changed = settings.clone();
    changed["stocktake_auto"] = json!("sometimes");
    let (status, _) = server
        .api(
            Method::PUT,
            "/api/v1/assets/settings",
            Some(changed.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    changed["stocktake_auto"] = json!("last_contact");
    let (status, body) = server
        .api(Method::PUT, "/api/v1/assets/settings", Some(changed))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        kanri_server::assets::stocktake::from_last_contact(db, start, &today)
            .await
            .expect("run"),
        1
    );
    let asset = asset_of_device(&server, agent.device_id()).await;
    assert_eq!(asset["stocktaken_on"], today.as_str());
    server.shutdown().await;
}
both_backends!(stocktaking, stocktaking);

/// The user-information form: due when enabled and never answered; the answers update the
/// asset and its device; retired departments and bad e-mail addresses are refused; with the
/// automatic stocktake on user information, an answer is the day's stocktake.
async fn user_information(backend: Backend) {
    let server = TestServer::start(backend).await;
    let hospital = create(&server, "/api/v1/departments", json!({"name": "病院"})).await;
    let internal = create(
        &server,
        "/api/v1/departments",
        json!({"name": "内科", "parent_id": hospital["id"]}),
    )
    .await;
    let old = create(&server, "/api/v1/departments", json!({"name": "旧外来"})).await;
    let agent = enrolled(&server, "pc-user-7").await;
    let (status, form) = agent.get_authed(kanri_proto::paths::USER_INFO).await;
    assert_eq!(status, StatusCode::OK, "{form}");
    assert_eq!(
        (form["enabled"].clone(), form["due"].clone()),
        (json!(false), json!(false)),
        "off by default"
    );

    let (_, mut settings) = server.get("/api/v1/assets/settings").await;
    settings["user_info_enabled"] = json!(true);
    settings["stocktake_auto"] = json!("user_info");
    let (status, body) = server
        .api(Method::PUT, "/api/v1/assets/settings", Some(settings))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = server
        .api(
            Method::PATCH,
            &format!("/api/v1/departments/{}", old["id"]),
            Some(json!({"retired": true, "version": old["version"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let purpose = create(
        &server,
        "/api/v1/assets/fields",
        json!({"target": "hardware", "name": "用途", "data_type": "selection", "input": "user"}),
    )
    .await;
    let purpose = create(
        &server,
        &format!("/api/v1/assets/fields/{}/options", purpose["id"]),
        json!({"name": "電子カルテ"}),
    )
    .await;
    let secret = create(
        &server,
        "/api/v1/assets/fields",
        json!({"target": "hardware", "name": "管理者メモ", "data_type": "text"}),
    )
    .await;
    let (_, form) = agent.get_authed(kanri_proto::paths::USER_INFO).await;
    assert_eq!(form["due"], true, "{form}");
    assert_eq!(
        form["fields"].as_array().map(Vec::len),
        Some(1),
        "only user-entered fields: {form}"
    );
    assert_eq!(form["fields"][0]["options"][0]["path"], "電子カルテ");
    let paths: Vec<&str> = form["departments"]
        .as_array()
        .expect("list")
        .iter()
        .map(|d| d["path"].as_str().expect("path"))
        .collect();
    assert_eq!(
        paths,
        vec!["病院", "病院/内科"],
        "retired entries are not offered: {form}"
    );

    let answer = |department: &Value, email: &str| {
        serde_json::to_vec(&json!({"department_id": department["id"], "user_name": "山田 花子", "user_account": "hyamada", "user_email": email, "user_phone": "内線 1234"})).expect("json")
    };
    let (status, body) = agent
        .post_raw(
            kanri_proto::paths::USER_INFO,
            answer(&old, "h@example.jp"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = agent
        .post_raw(
            kanri_proto::paths::USER_INFO,
            answer(&internal, "no address"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let with_admin_field = serde_json::to_vec(
        &json!({"user_name": "x", "custom": [{"field_id": secret["id"], "text": "!"}]}),
    )
    .expect("json");
    let (status, body) = agent
        .post_raw(kanri_proto::paths::USER_INFO, with_admin_field, None)
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "users do not enter administrators' fields: {body}"
    );
    let mut full: Value = serde_json::from_slice(&answer(&internal, "h@example.jp")).expect("json");
    full["custom"] = json!([{"field_id": purpose["id"], "option_id": purpose["options"][0]["id"]}]);
    let (status, form) = agent
        .post_raw(
            kanri_proto::paths::USER_INFO,
            serde_json::to_vec(&full).expect("json"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{form}");
    assert_eq!(form["due"], false, "answered: {form}");
    assert_eq!(form["current"]["user_name"], "山田 花子");
    let asset = asset_of_device(&server, agent.device_id()).await;
    assert_eq!(asset["department_id"], internal["id"]);
    assert_eq!(asset["user_phone"], "内線 1234");
    assert_eq!(
        asset["custom"][purpose["id"].to_string()],
        purpose["options"][0]["id"]
    );
    assert_eq!(
        asset["stocktaken_on"],
        jiff::Zoned::now().date().to_string()
    );
    let (_, device) = server
        .get(&format!("/api/v1/devices/{}", agent.device_id()))
        .await;
    assert_eq!(
        device["department_id"], internal["id"],
        "the device follows its asset"
    );
    server.shutdown().await;
}
both_backends!(user_information, user_information);

/// Custom fields: text, selection and hierarchy values checked on assets; the data type is
/// fixed; options only where they belong; definitions need every department.
async fn custom_fields(backend: Backend) {
    let server = TestServer::start(backend).await;
    let lease = create(
        &server,
        "/api/v1/assets/fields",
        json!({"target": "hardware", "name": "リース番号", "data_type": "text"}),
    )
    .await;
    let os = create(
        &server,
        "/api/v1/assets/fields",
        json!({"target": "hardware", "name": "用途", "data_type": "selection", "input": "user"}),
    )
    .await;
    let area = create(
        &server,
        "/api/v1/assets/fields",
        json!({"target": "hardware", "name": "区画", "data_type": "hierarchy"}),
    )
    .await;
    let with = create(
        &server,
        &format!("/api/v1/assets/fields/{}/options", os["id"]),
        json!({"name": "電子カルテ"}),
    )
    .await;
    let clinical = with["options"][0]["id"].clone();
    let (status, body) = server
        .api(
            Method::POST,
            &format!("/api/v1/assets/fields/{}/options", os["id"]),
            Some(json!({"name": "x", "parent_id": clinical})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "no hierarchy in a selection: {body}"
    );
    let tree = create(
        &server,
        &format!("/api/v1/assets/fields/{}/options", area["id"]),
        json!({"name": "東棟"}),
    )
    .await;
    let east = tree["options"][0]["id"].clone();
    let tree = create(
        &server,
        &format!("/api/v1/assets/fields/{}/options", area["id"]),
        json!({"name": "3F", "parent_id": east}),
    )
    .await;
    let third = tree["options"][1]["id"].clone();
    let (status, body) = server
        .api(
            Method::POST,
            &format!("/api/v1/assets/fields/{}/options", lease["id"]),
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a text field has no options: {body}"
    );
    let (status, body) = server
        .api(Method::PATCH, &format!("/api/v1/assets/fields/{}", lease["id"]), Some(json!({"name": "リース契約番号", "data_type": "selection", "version": lease["version"]})))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "data_type_fixed");

    let key = |field: &Value| field["id"].to_string();
    let asset = create(&server, "/api/v1/assets", json!({"name": "pc", "custom": {key(&lease): "L-77", key(&os): clinical, key(&area): third}})).await;
    assert_eq!(asset["custom"][key(&lease)], "L-77");
    assert_eq!(asset["custom"][key(&area)], third);
    for (custom, field) in [
        (json!({key(&os): 999_999}), key(&os)),
        (json!({key(&lease): 5}), key(&lease)),
        (json!({key(&lease): "a\u{1}b"}), key(&lease)),
    ] {
        let (status, body) = server
            .api(
                Method::POST,
                "/api/v1/assets",
                Some(json!({"custom": custom})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["field"], format!("custom.{field}"));
    }
    // null removes a value; a deleted field's value goes at the next change.
    let (status, changed) = patch(
        &server,
        &asset["id"],
        json!({"custom": {key(&lease): null}, "version": asset["version"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert!(changed["custom"].get(key(&lease)).is_none());
    let (status, _) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/assets/fields/{}", area["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, changed) = patch(
        &server,
        &asset["id"],
        json!({"name": "pc-2", "version": changed["version"]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["custom"], json!({key(&os): clinical}));
    let (_, list) = server.get("/api/v1/assets/fields?target=hardware").await;
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    assert_eq!(list[1]["input"], "user");
    server.shutdown().await;
}
both_backends!(custom_fields, custom_fields);

/// A custom field with options (`(name, parent name)`, parents first); returns its id and
/// its option ids by name.
async fn field_with(
    server: &TestServer,
    target: &str,
    (name, data_type): (&str, &str),
    options: &[(&str, Option<&str>)],
) -> (i64, std::collections::HashMap<String, i64>) {
    let field = create(
        server,
        "/api/v1/assets/fields",
        json!({"target": target, "name": name, "data_type": data_type}),
    )
    .await;
    let id = field["id"].as_i64().expect("id");
    let mut ids = std::collections::HashMap::new();
    for (option, parent) in options {
        let parent_id = parent.map(|p| ids[p]);
        let updated = create(
            server,
            &format!("/api/v1/assets/fields/{id}/options"),
            json!({"name": option, "parent_id": parent_id}),
        )
        .await;
        let added = updated["options"]
            .as_array()
            .and_then(|all| all.iter().find(|o| o["name"] == *option))
            .and_then(|o| o["id"].as_i64())
            .expect("option");
        ids.insert((*option).to_string(), added);
    }
    (id, ids)
}

/// The numbers a list query returns, sorted.
async fn numbers_of(server: &TestServer, token: &str, path: &str, key: &str) -> Vec<String> {
    let (status, page) = server.api_as(token, Method::GET, path, None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {page}");
    let mut numbers: Vec<String> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item[key].as_str().expect("number").to_string())
        .collect();
    numbers.sort();
    numbers
}

/// The asset numbers the asset list returns for `query`, sorted.
async fn assets_where(server: &TestServer, query: String) -> Vec<String> {
    numbers_of(
        server,
        &server.api_token,
        &format!("/api/v1/assets?{query}"),
        "asset_number",
    )
    .await
}

/// Lists filtered by custom values (`custom.<field id>`): text contains the value in any
/// case (wildcards taken literally), a selection is the option, a hierarchy the option and
/// everything below it; on assets (list, count, export, saved filters), licences and
/// contracts; unknown fields and foreign options refused naming the parameter; scope still
/// applies.
async fn custom_conditions(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.api_token.clone();
    let (lease, _) = field_with(&server, "hardware", ("リース番号", "text"), &[]).await;
    let (area, areas) = field_with(
        &server,
        "hardware",
        ("区画", "hierarchy"),
        &[
            ("東棟", None),
            ("3F", Some("東棟")),
            ("301", Some("3F")),
            ("西棟", None),
        ],
    )
    .await;
    let (usage, usages) = field_with(
        &server,
        "hardware",
        ("用途", "selection"),
        &[("電子カルテ", None), ("事務", None)],
    )
    .await;
    let (edition, editions) = field_with(
        &server,
        "licence",
        ("エディション", "selection"),
        &[("Pro", None), ("Home", None)],
    )
    .await;
    let (ringi, _) = field_with(&server, "contract", ("稟議番号", "text"), &[]).await;
    let ward = create(&server, "/api/v1/departments", json!({"name": "病棟"})).await;
    for (number, custom, department) in [
        (
            "A",
            json!({lease.to_string(): "LS-Alpha", area.to_string(): areas["3F"], usage.to_string(): usages["電子カルテ"]}),
            Value::Null,
        ),
        (
            "B",
            json!({lease.to_string(): "ls-beta", area.to_string(): areas["301"], usage.to_string(): usages["事務"]}),
            ward["id"].clone(),
        ),
        ("C", json!({area.to_string(): areas["西棟"]}), Value::Null),
        ("D", json!({lease.to_string(): "x_y%z"}), Value::Null),
    ] {
        create(
            &server,
            "/api/v1/assets",
            json!({"asset_number": number, "custom": custom, "department_id": department}),
        )
        .await;
    }
    assert_eq!(
        assets_where(&server, format!("custom.{lease}=ls-")).await,
        ["A", "B"]
    );
    assert_eq!(
        assets_where(&server, format!("custom.{lease}=%25")).await,
        ["D"],
        "% is literal"
    );
    assert_eq!(
        assets_where(&server, format!("custom.{lease}=_")).await,
        ["D"],
        "_ is literal"
    );
    assert_eq!(
        assets_where(&server, format!("custom.{area}={}", areas["東棟"])).await,
        ["A", "B"]
    );
    assert_eq!(
        assets_where(&server, format!("custom.{area}={}", areas["301"])).await,
        ["B"]
    );
    assert_eq!(
        assets_where(
            &server,
            format!(
                "custom.{area}={}&custom.{usage}={}",
                areas["東棟"], usages["電子カルテ"]
            )
        )
        .await,
        ["A"]
    );
    assert_eq!(
        assets_where(
            &server,
            format!("custom.{usage}={}&asset_number=A", usages["事務"])
        )
        .await,
        Vec::<String>::new()
    );
    assert_eq!(
        assets_where(&server, format!("custom.{lease}=&x=1"))
            .await
            .len(),
        4,
        "empty: no condition"
    );
    let (_, count) = server
        .get(&format!("/api/v1/assets/count?custom.{lease}=LS"))
        .await;
    assert_eq!(count["count"], 2);
    let response = server
        .client
        .get(format!(
            "{}/api/v1/assets/export?encoding=utf-8&custom.{area}={}",
            server.base_url, areas["東棟"]
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("export");
    let text = response.text().await.expect("text");
    assert_eq!(text.lines().count(), 3, "header, A and B: {text}");
    for (query, field) in [
        (
            format!("custom.{usage}={}", areas["3F"]),
            format!("custom.{usage}"),
        ),
        (format!("custom.{usage}=事務"), format!("custom.{usage}")),
        (format!("custom.{edition}=1"), format!("custom.{edition}")),
        ("custom.999999=x".to_string(), "custom.999999".to_string()),
        ("custom.abc=x".to_string(), "custom.abc".to_string()),
    ] {
        let (status, body) = server.get(&format!("/api/v1/assets?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["field"], field, "{body}");
    }
    // A department-scoped reader still sees only its departments.
    let naika = account(
        &server,
        "naika",
        &["assets"],
        &[ward["id"].as_i64().expect("id")],
    )
    .await;
    assert_eq!(
        numbers_of(
            &server,
            &naika,
            &format!("/api/v1/assets?custom.{lease}=ls"),
            "asset_number"
        )
        .await,
        ["B"]
    );

    // Saved filters of the asset list keep custom conditions, checked when saved.
    let (status, saved) = server
        .api(Method::POST, "/api/v1/saved-filters", Some(json!({"list": "assets", "name": "リース", "query": format!("custom.{lease}=ls-&status=1")})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(
        assets_where(&server, saved["query"].as_str().expect("query").to_string()).await,
        ["A", "B"]
    );
    for query in [format!("custom.{edition}=1"), format!("custom.{area}=0")] {
        let (status, body) = server
            .api(
                Method::POST,
                "/api/v1/saved-filters",
                Some(json!({"list": "assets", "name": "x", "query": query})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
    }

    // Licences and contracts.
    for (number, option) in [("L-1", "Pro"), ("L-2", "Home")] {
        create(
            &server,
            "/api/v1/licences",
            json!({"licence_number": number, "held": 1, "custom": {edition.to_string(): editions[option]}}),
        )
        .await;
    }
    let path = format!("/api/v1/licences?custom.{edition}={}", editions["Pro"]);
    assert_eq!(
        numbers_of(&server, &token, &path, "licence_number").await,
        ["L-1"]
    );
    let response = server
        .client
        .get(format!(
            "{}/api/v1/licences/export?encoding=utf-8&custom.{edition}={}",
            server.base_url, editions["Home"]
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("export");
    let text = response.text().await.expect("text");
    assert!(text.contains("\r\nL-2,") && !text.contains("L-1"), "{text}");
    let (status, body) = server
        .get(&format!("/api/v1/licences?custom.{lease}=x"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a hardware field: {body}");
    for (number, text) in [("K-1", "R-2026-001"), ("K-2", "r-2025-9")] {
        create(
            &server,
            "/api/v1/contracts",
            json!({"contract_number": number, "custom": {ringi.to_string(): text}}),
        )
        .await;
    }
    let path = format!("/api/v1/contracts?custom.{ringi}=2026");
    assert_eq!(
        numbers_of(&server, &token, &path, "contract_number").await,
        ["K-1"]
    );
    let path = format!("/api/v1/contracts?custom.{ringi}=R-20");
    assert_eq!(
        numbers_of(&server, &token, &path, "contract_number").await,
        ["K-1", "K-2"]
    );
    let response = server
        .client
        .get(format!(
            "{}/api/v1/contracts/export?encoding=utf-8&custom.{ringi}=9",
            server.base_url
        ))
        .bearer_auth(&token)
        .send()
        .await
        .expect("export");
    let text = response.text().await.expect("text");
    assert!(text.contains("\r\nK-2,") && !text.contains("K-1"), "{text}");
    server.shutdown().await;
}
both_backends!(custom_conditions, custom_conditions);
