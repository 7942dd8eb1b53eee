//! CSV import of the asset ledger through the REST API and the real `kanri-server import` and
//! `templates` commands: every kind added and updated by its mapping key, empty and
//! one-space cells, refused files that change nothing, invalid rows listed and downloadable
//! while the valid ones apply, check runs, templates and their documents, the history,
//! department scope, and import → export → import changing nothing.

use std::path::Path;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::support::{Backend, TestServer};

async fn create(server: &TestServer, path: &str, body: Value) -> Value {
    let (status, created) = server.api(Method::POST, path, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{path}: {created}");
    created
}

/// A template of `kind` reading `columns` (header, field) keyed by `key`.
async fn template(
    server: &TestServer,
    kind: &str,
    name: &str,
    key: &str,
    columns: &[(&str, &str)],
) -> Value {
    let columns: Vec<Value> = columns
        .iter()
        .map(|(header, field)| json!({"header": header, "field": field}))
        .collect();
    create(
        server,
        "/api/v1/import-templates",
        json!({"kind": kind, "name": name, "mapping": {"key": key, "columns": columns}}),
    )
    .await
}

/// Posts a file to `/api/v1/imports?{query}` as `token`.
async fn import_as(
    server: &TestServer,
    token: &str,
    query: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let response = server
        .client
        .post(format!("{}/api/v1/imports?{query}", server.base_url))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .expect("import");
    let status = response.status();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn import(server: &TestServer, query: &str, body: &str) -> (StatusCode, Value) {
    import_as(server, &server.api_token, query, body.as_bytes().to_vec()).await
}

/// An import that must succeed.
async fn imported(server: &TestServer, query: &str, body: &str) -> Value {
    let (status, result) = import(server, query, body).await;
    assert_eq!(status, StatusCode::OK, "{query}: {result}");
    result
}

fn counts(result: &Value) -> [i64; 4] {
    ["added", "updated", "unchanged", "failed"].map(|k| result[k].as_i64().unwrap_or(-1))
}

/// A download's bytes.
async fn download(server: &TestServer, path: &str) -> Vec<u8> {
    let response = server
        .client
        .get(format!("{}{path}", server.base_url))
        .bearer_auth(&server.api_token)
        .send()
        .await
        .expect("download");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.bytes().await.expect("bytes").to_vec()
}

/// The assets with a number, by number.
async fn asset(server: &TestServer, number: &str) -> Value {
    let (status, page) = server
        .get(&format!("/api/v1/assets?asset_number={number}&limit=1000"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .and_then(|items| items.iter().find(|a| a["asset_number"] == number).cloned())
        .unwrap_or_else(|| panic!("no asset {number}: {page}"))
}

async fn asset_count(server: &TestServer) -> i64 {
    let (_, count) = server.get("/api/v1/assets/count").await;
    count["count"].as_i64().expect("count")
}

/// Departments 病院 → 内科, 外科, and location 本館.
async fn places(server: &TestServer) -> (Value, Value, Value) {
    let hospital = create(
        server,
        "/api/v1/departments",
        json!({"name": "病院", "name_en": "Hospital"}),
    )
    .await;
    let internal = create(
        server,
        "/api/v1/departments",
        json!({"name": "内科", "name_en": "Internal medicine", "parent_id": hospital["id"]}),
    )
    .await;
    let surgery = create(
        server,
        "/api/v1/departments",
        json!({"name": "外科", "parent_id": hospital["id"]}),
    )
    .await;
    let building = create(server, "/api/v1/locations", json!({"name": "本館"})).await;
    let _ = surgery;
    (hospital, internal, building)
}

const ASSET_COLUMNS: &[(&str, &str)] = &[
    ("番号", "asset_number"),
    ("名称", "name"),
    ("種別", "type"),
    ("状態", "status"),
    ("部署", "department"),
    ("場所", "location"),
    ("利用者", "user_name"),
    ("シリアル", "serial"),
    ("MAC", "mac_address"),
];

/// Each kind is added, then updated through its mapping key.
async fn each_kind_by_its_key(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (_, internal, building) = places(&server).await;

    // The vendor list.
    template(
        &server,
        "vendors",
        "会社",
        "name",
        &[("会社名", "name"), ("住所", "address")],
    )
    .await;
    let result = imported(
        &server,
        "kind=vendors&template=会社",
        "会社名,住所\r\n株式会社ケア商事,東京都\r\nメディカル販売,大阪府\r\n",
    )
    .await;
    assert_eq!(counts(&result), [2, 0, 0, 0], "{result}");
    let result = imported(
        &server,
        "kind=vendors&template=会社",
        "住所,会社名\r\n東京都千代田区,株式会社ケア商事\r\n大阪府,メディカル販売\r\n",
    )
    .await;
    assert_eq!(
        counts(&result),
        [0, 1, 1, 0],
        "columns in another order: {result}"
    );
    let (_, vendors) = server.get("/api/v1/vendors").await;
    assert!(vendors
        .as_array()
        .expect("vendors")
        .iter()
        .any(|v| v["address"] == "東京都千代田区"));

    // Managed software, its rules in one cell.
    template(
        &server,
        "managed-software",
        "ソフト",
        "name",
        &[("名前", "name"), ("英語名", "name_en"), ("ルール", "rules")],
    )
    .await;
    let result = imported(
        &server,
        "kind=managed-software&template=ソフト",
        "名前,英語名,ルール\nオフィス,Office,pattern:libreoffice-*;exact:firefox-esr@115*\n",
    )
    .await;
    assert_eq!(counts(&result), [1, 0, 0, 0], "{result}");
    let (_, managed) = server.get("/api/v1/managed-software").await;
    let office = managed["items"]
        .as_array()
        .or_else(|| managed.as_array())
        .and_then(|items| items.iter().find(|m| m["name"] == "オフィス").cloned())
        .unwrap_or_else(|| panic!("{managed}"));
    assert_eq!(
        office["rules"],
        json!([{"pattern": true, "name": "libreoffice-*", "version": ""},
               {"pattern": false, "name": "firefox-esr", "version": "115*"}])
    );

    // Licences: the managed software by its English name, the status by its English name.
    template(
        &server,
        "licences",
        "ライセンス",
        "licence_number",
        &[
            ("番号", "licence_number"),
            ("ソフト", "managed_software"),
            ("保有数", "held"),
            ("状態", "status"),
            ("部署", "department"),
        ],
    )
    .await;
    let result = imported(
        &server,
        "kind=licences&template=ライセンス",
        "番号,ソフト,保有数,状態,部署\nL-1,Office,\"1,000\",In use,病院/内科\n",
    )
    .await;
    assert_eq!(counts(&result), [1, 0, 0, 0], "{result}");
    let result = imported(
        &server,
        "kind=licences&template=ライセンス",
        "番号,ソフト,保有数,状態,部署\nL-1,,5,,\n",
    )
    .await;
    assert_eq!(counts(&result), [0, 1, 0, 0], "{result}");
    let (_, licences) = server.get("/api/v1/licences").await;
    let licence = &licences["items"][0];
    assert_eq!(licence["held"], 5);
    assert_eq!(licence["managed_id"], office["id"]);
    assert_eq!(licence["department_id"], internal["id"]);

    // Hardware assets, keyed by number, then by serial and by MAC.
    template(&server, "assets", "資産", "asset_number", ASSET_COLUMNS).await;
    let result = imported(
        &server,
        "kind=assets&template=資産&file_name=assets.csv",
        "番号,名称,種別,状態,部署,場所,利用者,シリアル,MAC\n\
         A-1,受付PC,PC,運用中,病院/内科,本館,山田,SN-1,AA-BB-CC-00-11-22\n\
         A-2,Printer,printer,in stock,Hospital/Internal medicine,,,SN-2,\n",
    )
    .await;
    assert_eq!(counts(&result), [2, 0, 0, 0], "{result}");
    assert_eq!(result["file_name"], "assets.csv");
    let first = asset(&server, "A-1").await;
    assert_eq!(first["type_id"], 11);
    assert_eq!(first["status_id"], 2);
    assert_eq!(first["department_id"], internal["id"]);
    assert_eq!(first["location_id"], building["id"]);
    assert_eq!(first["mac_address"], "aa:bb:cc:00:11:22");
    assert_eq!(asset(&server, "A-2").await["type_id"], 13);
    template(
        &server,
        "assets",
        "シリアル",
        "serial",
        &[("シリアル", "serial"), ("利用者", "user_name")],
    )
    .await;
    let result = imported(
        &server,
        "kind=assets&template=シリアル",
        "シリアル,利用者\nSN-2,佐藤\nSN-9,新規\n",
    )
    .await;
    assert_eq!(counts(&result), [1, 1, 0, 0], "{result}");
    assert_eq!(asset(&server, "A-2").await["user_name"], "佐藤");
    template(
        &server,
        "assets",
        "MAC",
        "mac_address",
        &[("mac", "mac_address"), ("名称", "name")],
    )
    .await;
    let result = imported(
        &server,
        "kind=assets&template=MAC",
        "mac,名称\naabb.cc00.1122,受付PC-2\n",
    )
    .await;
    assert_eq!(counts(&result), [0, 1, 0, 0], "{result}");
    let first = asset(&server, "A-1").await;
    assert_eq!(first["name"], "受付PC-2");
    assert!(first["version"].as_i64() > Some(1));

    // Contracts: the vendor by name, assets and licences by number.
    template(
        &server,
        "contracts",
        "契約",
        "contract_number",
        &[
            ("契約番号", "contract_number"),
            ("会社", "vendor"),
            ("資産", "assets"),
            ("ライセンス", "licences"),
            ("総額", "amount"),
            ("終了日", "ends_on"),
            ("状態", "status"),
        ],
    )
    .await;
    let result = imported(
        &server,
        "kind=contracts&template=契約",
        "契約番号,会社,資産,ライセンス,総額,終了日,状態\nC-1,株式会社ケア商事,A-1;A-2,L-1,1200000,2030-03-31,\n",
    )
    .await;
    assert_eq!(counts(&result), [1, 0, 0, 0], "{result}");
    let (_, contracts) = server.get("/api/v1/contracts").await;
    let contract = contracts["items"][0].clone();
    let (_, detail) = server
        .get(&format!("/api/v1/contracts/{}", contract["id"]))
        .await;
    assert_eq!(
        detail["asset_ids"].as_array().map(Vec::len),
        Some(2),
        "{detail}"
    );
    assert_eq!(detail["vendor"]["name"], "株式会社ケア商事");
    assert_eq!(detail["amount"], 1_200_000);
    let result = imported(
        &server,
        "kind=contracts&template=契約",
        "契約番号,会社,資産,ライセンス,総額,終了日,状態\nC-1,,A-2,,,,満了\n",
    )
    .await;
    assert_eq!(counts(&result), [0, 1, 0, 0], "{result}");
    let (_, detail) = server
        .get(&format!("/api/v1/contracts/{}", contract["id"]))
        .await;
    assert_eq!(
        detail["asset_ids"],
        json!([asset(&server, "A-2").await["id"]])
    );
    assert_eq!(detail["status_id"], 53);
    assert!(
        detail["notes"][0]["body"]
            .as_str()
            .is_some_and(|b| b.contains("契約中 → 満了")),
        "a status change appends its note: {detail}"
    );

    // One audit entry per import, with its counts.
    let (_, audit) = server.get("/api/v1/audit?op=Import&limit=100").await;
    let imports = audit["items"].as_array().map(Vec::len).unwrap_or(0);
    assert!(imports >= 9, "one entry per import: {audit}");
    server.shutdown().await;
}
both_backends!(each_kind_by_its_key, each_kind_by_its_key);

/// An empty cell keeps the value; one space clears text, makes the department and location
/// Unknown, and leaves a choice as it is.
async fn empty_keeps_and_one_space_clears(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (_, internal, building) = places(&server).await;
    template(&server, "assets", "資産", "asset_number", ASSET_COLUMNS).await;
    let header = "番号,名称,種別,状態,部署,場所,利用者,シリアル,MAC\n";
    imported(
        &server,
        "kind=assets&template=資産",
        &format!("{header}A-1,受付PC,PC,運用中,病院/内科,本館,山田,SN-1,\n"),
    )
    .await;
    let before = asset(&server, "A-1").await;
    let result = imported(
        &server,
        "kind=assets&template=資産",
        &format!("{header}A-1,,,,,,,,\n"),
    )
    .await;
    assert_eq!(counts(&result), [0, 0, 1, 0], "{result}");
    assert_eq!(
        asset(&server, "A-1").await,
        before,
        "empty cells keep everything"
    );
    let result = imported(
        &server,
        "kind=assets&template=資産",
        &format!("{header}A-1,\" \", , , , ,\" \",,\n"),
    )
    .await;
    assert_eq!(counts(&result), [0, 1, 0, 0], "{result}");
    let after = asset(&server, "A-1").await;
    assert_eq!(after["name"], "");
    assert_eq!(after["user_name"], "");
    assert_eq!(after["department_id"], Value::Null, "Unknown");
    assert_eq!(after["location_id"], Value::Null, "Unknown");
    assert_eq!(after["type_id"], 11, "a choice is left unchanged");
    assert_eq!(after["status_id"], 2);
    assert_eq!(after["serial"], "SN-1");
    // A new record gets the defaults where cells are empty.
    imported(
        &server,
        "kind=assets&template=資産",
        &format!("{header}A-2,,,,,,,,\n"),
    )
    .await;
    let fresh = asset(&server, "A-2").await;
    assert_eq!(
        (fresh["status_id"].clone(), fresh["type_id"].clone()),
        (json!(1), json!(21))
    );
    let _ = (internal, building);
    server.shutdown().await;
}
both_backends!(
    empty_keeps_and_one_space_clears,
    empty_keeps_and_one_space_clears
);

/// File-level errors refuse the whole file: nothing changes, the history says why.
async fn refused_files_change_nothing(backend: Backend) {
    let server = TestServer::start(backend).await;
    places(&server).await;
    template(&server, "assets", "資産", "asset_number", ASSET_COLUMNS).await;
    let header = "番号,名称,種別,状態,部署,場所,利用者,シリアル,MAC\n";
    let sjis = encoding_rs::SHIFT_JIS
        .encode(&format!("{header}A-1,受付PC,PC,運用中,,,,,\n"))
        .0
        .into_owned();
    let (status, body) = import_as(
        &server,
        &server.api_token,
        "kind=assets&template=資産&encoding=utf-8",
        sjis.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "wrong_encoding");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("Shift_JIS")),
        "the likely encoding is named: {body}"
    );
    for (query, file, code) in [
        (
            "kind=assets&template=資産",
            "名称,種別\n受付PC,PC\n".to_string(),
            "key_column_missing",
        ),
        (
            "kind=assets&template=資産",
            "番号,名称\nA-1,受付PC\n".to_string(),
            "columns_missing",
        ),
        (
            "kind=assets&template=ない",
            format!("{header}A-1,,,,,,,,\n"),
            "unknown_template",
        ),
        ("kind=assets&template=資産", String::new(), "no_header"),
        (
            "kind=assets&template=資産",
            "番号,番号,名称,種別,状態,部署,場所,利用者,シリアル,MAC\nA-1,A-1,,,,,,,,\n".to_string(),
            "duplicate_column",
        ),
    ] {
        let (status, body) = import(&server, query, &file).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{code}: {body}");
        assert_eq!(body["code"], code, "{body}");
    }
    assert_eq!(asset_count(&server).await, 0, "nothing was imported");
    // The same Shift_JIS file read as Shift_JIS is fine.
    let (status, body) = import_as(
        &server,
        &server.api_token,
        "kind=assets&template=資産&encoding=shift_jis",
        sjis,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(asset(&server, "A-1").await["name"], "受付PC");
    let (_, history) = server.get("/api/v1/imports?limit=100").await;
    let items = history["items"].as_array().expect("items");
    assert_eq!(items.len(), 7, "{history}");
    assert_eq!(items[0]["status"], "applied");
    assert_eq!(items[0]["encoding"], "shift_jis");
    assert!(
        items[1..]
            .iter()
            .all(|i| i["status"] == "refused" && !i["message"].as_str().unwrap_or("").is_empty()),
        "{history}"
    );
    let (_, audit) = server
        .get("/api/v1/audit?op=Import&result=Failure&limit=100")
        .await;
    assert!(
        audit["items"].as_array().map(Vec::len) >= Some(6),
        "refusals are audited: {audit}"
    );
    server.shutdown().await;
}
both_backends!(refused_files_change_nothing, refused_files_change_nothing);

/// Bad rows are listed (line and reason), kept and downloadable; the good ones apply
/// together. A check run changes nothing.
async fn invalid_rows_and_check_runs(backend: Backend) {
    let server = TestServer::start(backend).await;
    places(&server).await;
    template(
        &server,
        "assets",
        "資産",
        "asset_number",
        &[
            ("番号", "asset_number"),
            ("名称", "name"),
            ("状態", "status"),
            ("IP", "ip_address"),
            ("部署", "department"),
        ],
    )
    .await;
    // メモ is not in the template: it is read (rows must have every column) and ignored.
    let file = "番号,名称,状態,IP,部署,メモ\n\
                A-1,good,運用中,192.0.2.1,病院,\n\
                A-2,=cmd|' /C calc'!A0,運用中,10.0.0.300,,\n\
                A-1,dup,,,,\n\
                A-3,short\n\
                A-4,x,修理中,,,\n\
                A-5,y,,,病院/歯科,\n\
                A-6,z,,,,\"two\nlines\"\n";
    let (status, check) = import(&server, "kind=assets&template=資産&check=true", file).await;
    assert_eq!(status, StatusCode::OK, "{check}");
    assert_eq!(check["status"], "checked");
    assert_eq!(counts(&check), [2, 0, 0, 5], "{check}");
    assert_eq!(asset_count(&server).await, 0, "a check run changes nothing");

    let result = imported(&server, "kind=assets&template=資産", file).await;
    assert_eq!(counts(&result), [2, 0, 0, 5], "{result}");
    assert_eq!(result["rows"], 7);
    let invalid = result["invalid_rows"].as_array().expect("invalid rows");
    let lines: Vec<i64> = invalid
        .iter()
        .map(|r| r["line"].as_i64().unwrap_or(0))
        .collect();
    assert_eq!(lines, vec![3, 4, 5, 6, 7], "{result}");
    let reason = |line: i64| {
        invalid
            .iter()
            .find(|r| r["line"] == line)
            .and_then(|r| r["reason"].as_str())
            .unwrap_or("")
            .to_string()
    };
    assert!(reason(3).contains("ip_address"), "{}", reason(3));
    assert!(
        reason(4).contains("duplicate key \"A-1\", first on line 2"),
        "{}",
        reason(4)
    );
    assert!(reason(5).contains("columns"), "{}", reason(5));
    assert!(
        reason(6).contains("status") && reason(6).contains("修理中"),
        "{}",
        reason(6)
    );
    assert!(reason(7).contains("department"), "{}", reason(7));
    assert_eq!(
        asset(&server, "A-6").await["name"],
        "z",
        "a quoted cell over two lines is one row"
    );

    let csv = String::from_utf8(
        download(
            &server,
            &format!(
                "/api/v1/imports/{}/invalid-rows?encoding=utf-8",
                result["id"]
            ),
        )
        .await,
    )
    .expect("utf-8");
    let mut rows = csv.lines();
    assert_eq!(
        rows.next(),
        Some("番号,名称,状態,IP,部署,メモ,行 (line),エラー理由 (reason)")
    );
    let formula = rows.next().expect("a row");
    assert!(
        formula.starts_with("A-2,'=cmd|"),
        "formulas are neutralized: {formula}"
    );
    assert!(formula.contains(",3,"), "{formula}");
    assert!(
        csv.contains("\r\nA-3,short,,,,,5,the row has 2 columns"),
        "a short row is padded: {csv}"
    );
    let (_, entry) = server
        .get(&format!("/api/v1/imports/{}", result["id"]))
        .await;
    assert_eq!(
        (
            entry["status"].clone(),
            entry["failed"].clone(),
            entry["added"].clone()
        ),
        (json!("applied"), json!(5), json!(2)),
        "{entry}"
    );
    let (_, checked) = server
        .get(&format!("/api/v1/imports/{}", check["id"]))
        .await;
    assert_eq!(checked["status"], "checked");
    let check_csv = download(
        &server,
        &format!("/api/v1/imports/{}/invalid-rows", check["id"]),
    )
    .await;
    assert_eq!(
        String::from_utf8_lossy(&check_csv).lines().count(),
        6,
        "the check run's rows download too: {}",
        String::from_utf8_lossy(&check_csv)
    );
    server.shutdown().await;
}
both_backends!(invalid_rows_and_check_runs, invalid_rows_and_check_runs);

/// Templates: create, list, change, refuse bad mappings and taken names, export as a
/// document and import it under its name or another, replacing only when asked.
async fn templates_and_documents(backend: Backend) {
    let server = TestServer::start(backend).await;
    let created = template(
        &server,
        "assets",
        "標準",
        "serial",
        &[("シリアル", "serial"), ("名称", "name")],
    )
    .await;
    assert_eq!(created["mapping"]["header_row"], 1);
    assert_eq!(created["mapping"]["data_row"], 2);
    assert_eq!(created["mapping"]["encoding"], "utf-8");
    for (body, field) in [
        (
            json!({"kind": "assets", "name": "x", "mapping": {"key": "colour", "columns": [{"header": "a", "field": "name"}]}}),
            "mapping.key",
        ),
        (
            json!({"kind": "assets", "name": "x", "mapping": {"key": "serial", "columns": [{"header": "a", "field": "name"}]}}),
            "mapping.key",
        ),
        (
            json!({"kind": "gadgets", "name": "x", "mapping": {"key": "serial", "columns": []}}),
            "kind",
        ),
        (
            json!({"kind": "assets", "name": "標準", "mapping": {"key": "serial", "columns": [{"header": "s", "field": "serial"}]}}),
            "name",
        ),
    ] {
        let (status, error) = server
            .api(Method::POST, "/api/v1/import-templates", Some(body))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
        assert_eq!(error["field"], field, "{error}");
    }
    template(&server, "vendors", "標準", "name", &[("会社名", "name")]).await;
    let (_, assets_only) = server.get("/api/v1/import-templates?kind=assets").await;
    assert_eq!(assets_only.as_array().map(Vec::len), Some(1));
    let path = format!("/api/v1/import-templates/{}", created["id"]);
    let (status, changed) = server
        .api(Method::PATCH, &path, Some(json!({"description": "毎月の棚卸", "mapping": {"key": "serial", "columns": [{"header": "S/N", "field": "serial"}], "header_row": 2, "encoding": "shift_jis"}, "version": created["version"]})))
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["mapping"]["data_row"], 3);
    let (status, _) = server
        .api(
            Method::PATCH,
            &path,
            Some(json!({"name": "y", "version": created["version"]})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a stale version");

    let document = download(&server, &format!("{path}/export")).await;
    let value: Value = serde_json::from_slice(&document).expect("json");
    assert_eq!(value["format"], "kanri-import-template");
    assert_eq!(value["name"], "標準");
    let post = |query: &'static str, body: Vec<u8>| {
        let request = server
            .client
            .post(format!(
                "{}/api/v1/import-templates/import?{query}",
                server.base_url
            ))
            .bearer_auth(&server.api_token)
            .body(body);
        async move {
            let response = request.send().await.expect("import");
            let status = response.status();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (status, body) = post("", document.clone()).await;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("name_taken")),
        "{body}"
    );
    let (status, copy) = post("name=写し", document.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{copy}");
    assert_eq!(copy["mapping"], changed["mapping"]);
    assert_eq!(copy["description"], "毎月の棚卸");
    let (status, replaced) = post("overwrite=true", document).await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(replaced["id"], created["id"]);
    let (status, body) = post("", b"{\"name\": \"x\"}".to_vec()).await;
    assert_eq!(
        (status, body["code"].clone()),
        (StatusCode::BAD_REQUEST, json!("not_a_template")),
        "{body}"
    );
    let (status, _) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/import-templates/{}", copy["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server
        .get(&format!("/api/v1/import-templates/{}", copy["id"]))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    server.shutdown().await;
}
both_backends!(templates_and_documents, templates_and_documents);

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

/// A department-scoped account adds and changes only records in its departments; managed
/// software needs every department; it sees only its own imports.
async fn department_scope(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (hospital, internal, _) = places(&server).await;
    template(
        &server,
        "assets",
        "資産",
        "asset_number",
        &[
            ("番号", "asset_number"),
            ("部署", "department"),
            ("名称", "name"),
        ],
    )
    .await;
    template(
        &server,
        "managed-software",
        "ソフト",
        "name",
        &[("名前", "name")],
    )
    .await;
    imported(
        &server,
        "kind=assets&template=資産",
        "番号,部署,名称\nB-1,病院/外科,theirs\nC-1,病院/内科,ours\n",
    )
    .await;
    let token = account(
        &server,
        "naika",
        &["assets"],
        &[internal["id"].as_i64().expect("id")],
    )
    .await;
    let file = "番号,部署,名称\nC-2,病院/内科,new\nB-2,病院/外科,elsewhere\nB-1,,mine now\nC-3,,unknown\nC-1,,renamed\n";
    let (status, result) = import_as(
        &server,
        &token,
        "kind=assets&template=資産",
        file.as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(counts(&result), [1, 1, 0, 3], "{result}");
    let reasons: Vec<String> = result["invalid_rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| format!("{}: {}", r["line"], r["reason"]))
        .collect();
    assert!(
        reasons[0].starts_with("3:") && reasons[0].contains("outside your departments"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].starts_with("4:") && reasons[1].contains("outside your departments"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].starts_with("5:"),
        "Unknown is outside a scoped account's departments: {reasons:?}"
    );
    assert_eq!(asset(&server, "B-1").await["name"], "theirs");
    assert_eq!(asset(&server, "C-1").await["name"], "renamed");
    let (status, body) = import_as(
        &server,
        &token,
        "kind=managed-software&template=ソフト",
        b"name\nx\n".to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // The vendor list has no department: a scoped account keeps it too.
    template(
        &server,
        "vendors",
        "会社",
        "name",
        &[("会社名", "name"), ("住所", "address")],
    )
    .await;
    imported(
        &server,
        "kind=vendors&template=会社",
        "会社名,住所\nケア商事,東京\n",
    )
    .await;
    let vendors = "会社名,住所\nケア商事,大阪\n".as_bytes().to_vec();
    let (status, result) = import_as(&server, &token, "kind=vendors&template=会社", vendors).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(counts(&result), [0, 1, 0, 0], "{result}");
    let response = server
        .client
        .get(format!("{}/api/v1/imports", server.base_url))
        .bearer_auth(&token)
        .send()
        .await
        .expect("history");
    let history: Value = response.json().await.expect("json");
    assert_eq!(
        history["items"].as_array().map(Vec::len),
        Some(2),
        "only its own imports: {history}"
    );
    let (_, all) = server.get("/api/v1/imports").await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(4));
    let _ = hospital;
    server.shutdown().await;
}
both_backends!(department_scope, department_scope);

/// The headers of an export, as a template's columns (each field under its label).
async fn template_of_export(server: &TestServer, kind: &str, name: &str, key: &str, export: &[u8]) {
    template_of_export_with(server, (kind, name, key), export, &[]).await;
}

/// [`template_of_export`] for an export whose header ends with the columns of the custom
/// fields `custom` (ids, in the fields' order).
async fn template_of_export_with(
    server: &TestServer,
    (kind, name, key): (&str, &str, &str),
    export: &[u8],
    custom: &[i64],
) {
    let text = String::from_utf8(export.to_vec()).expect("utf-8");
    let header: Vec<String> = text
        .lines()
        .next()
        .expect("header")
        .split(',')
        .map(str::to_string)
        .collect();
    let fields: &[&str] = match kind {
        "assets" => &[
            "asset_number",
            "name",
            "type",
            "status",
            "planned_status",
            "planned_on",
            "department",
            "location",
            "user_name",
            "user_account",
            "user_email",
            "user_phone",
            "stocktaken_on",
            "hostname",
            "serial",
            "ip_address",
            "mac_address",
        ],
        "licences" => &[
            "licence_number",
            "name",
            "managed_software",
            "held",
            "type",
            "status",
            "planned_status",
            "planned_on",
            "department",
            "stocktaken_on",
        ],
        "managed-software" => &["name", "name_en", "rules"],
        "contracts" => &[
            "contract_number",
            "name",
            "type",
            "status",
            "contracted_on",
            "starts_on",
            "ends_on",
            "amount",
            "vendor",
            "department",
            "assets",
            "licences",
        ],
        "vendors" => &["name", "address", "contact_person", "contact"],
        other => panic!("no kind {other}"),
    };
    let custom: Vec<String> = custom.iter().map(|id| format!("custom:{id}")).collect();
    let fields: Vec<&str> = fields
        .iter()
        .copied()
        .chain(custom.iter().map(String::as_str))
        .collect();
    assert_eq!(header.len(), fields.len(), "{header:?}");
    let columns: Vec<(&str, &str)> = header
        .iter()
        .map(String::as_str)
        .zip(fields.iter().copied())
        .collect();
    template(server, kind, name, key, &columns).await;
}

/// Import → export → import changes nothing, for assets and licences, in either language.
async fn import_export_import(backend: Backend) {
    let server = TestServer::start(backend).await;
    places(&server).await;
    create(
        &server,
        "/api/v1/managed-software",
        json!({"name": "オフィス", "name_en": "Office"}),
    )
    .await;
    let export = download(&server, "/api/v1/assets/export?encoding=utf-8&lang=ja").await;
    template_of_export(&server, "assets", "台帳", "asset_number", &export).await;
    let header = String::from_utf8(export).expect("utf-8");
    let file = format!(
        "{}\
         A-1,受付PC,PC,運用中,在庫,2030-04-01,病院/内科,本館,山田 太郎,yamada,yamada@example.jp,03-0000-0000,2026-03-31,pc-1,SN-1,192.0.2.10,aa:bb:cc:00:11:22\n\
         A-2,\"Printer, 2F\",プリンタ,在庫,,,病院,,,,,,,,,,\n\
         A-3,-dash,不明,未確認,,,,,,,,,,,,,\n",
        header.trim_end_matches(['\r', '\n']).to_string() + "\n"
    );
    let first = imported(&server, "kind=assets&template=台帳", &file).await;
    assert_eq!(counts(&first), [3, 0, 0, 0], "{first}");
    let before = asset(&server, "A-1").await;
    let exported = download(&server, "/api/v1/assets/export?encoding=utf-8&lang=ja").await;
    let again = import_as(
        &server,
        &server.api_token,
        "kind=assets&template=台帳",
        exported.clone(),
    )
    .await;
    assert_eq!(again.0, StatusCode::OK, "{}", again.1);
    assert_eq!(
        counts(&again.1),
        [0, 0, 3, 0],
        "the export re-imports unchanged: {}",
        again.1
    );
    assert_eq!(
        asset(&server, "A-1").await,
        before,
        "not even the version moves"
    );
    let exported_again = download(&server, "/api/v1/assets/export?encoding=utf-8&lang=ja").await;
    assert_eq!(exported_again, exported, "the second export is the first");
    assert!(
        String::from_utf8_lossy(&exported).contains("'-dash"),
        "cells are guarded and read back"
    );

    // English headers and names, Shift_JIS.
    let english = download(&server, "/api/v1/assets/export?encoding=utf-8&lang=en").await;
    template_of_export(&server, "assets", "ledger", "serial", &english).await;
    let sjis = download(&server, "/api/v1/assets/export?encoding=shift_jis&lang=en").await;
    let (status, result) = import_as(
        &server,
        &server.api_token,
        "kind=assets&template=ledger&encoding=shift_jis",
        sjis,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(
        counts(&result),
        [0, 0, 1, 2],
        "rows without a serial insert, which their numbers refuse: {result}"
    );

    // Licences.
    let export = download(&server, "/api/v1/licences/export?encoding=utf-8-bom").await;
    template_of_export(
        &server,
        "licences",
        "ライセンス台帳",
        "licence_number",
        &export[3..],
    )
    .await;
    let header = String::from_utf8(export[3..].to_vec()).expect("utf-8");
    let file = format!("{}L-1,Officeライセンス,オフィス,10,ボリューム,使用中,滅却,2031-01-01,病院/内科,2026-04-01\nL-2,,,0,,,,,,\n", header.trim_end().to_string() + "\n");
    let first = imported(&server, "kind=licences&template=ライセンス台帳", &file).await;
    assert_eq!(counts(&first), [2, 0, 0, 0], "{first}");
    let exported = download(&server, "/api/v1/licences/export?encoding=utf-8-bom").await;
    let (status, again) = import_as(
        &server,
        &server.api_token,
        "kind=licences&template=ライセンス台帳&encoding=utf-8-bom",
        exported.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(counts(&again), [0, 0, 2, 0], "{again}");
    assert_eq!(
        download(&server, "/api/v1/licences/export?encoding=utf-8-bom").await,
        exported
    );
    server.shutdown().await;
}
both_backends!(import_export_import, import_export_import);

/// An import of `file` as `token` that must succeed, with its counts.
async fn counted(server: &TestServer, token: &str, query: &str, file: Vec<u8>) -> [i64; 4] {
    let (status, result) = import_as(server, token, query, file).await;
    assert_eq!(status, StatusCode::OK, "{query}: {result}");
    counts(&result)
}

/// Import → export → import changes nothing for the vendor list, managed software and
/// contracts (covered records the reader cannot name — without a number, or in another
/// department — are neither written nor dropped), and the second export is the first.
async fn import_export_import_of_every_list(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (_, internal, _) = places(&server).await;
    let token = server.api_token.clone();

    // The vendor list.
    let export = download(&server, "/api/v1/vendors/export?encoding=utf-8").await;
    template_of_export(&server, "vendors", "会社台帳", "name", &export).await;
    let header = String::from_utf8(export).expect("utf-8");
    let file = format!(
        "{header}株式会社ケア商事,東京都千代田区,佐藤,03-0000-0000\n\
         \"Medical, Inc.\",\"2F \"\"A\"\"\",,'+81-6-0000-0000\n\
         '=cmd,,'-,\n"
    );
    let first = counted(
        &server,
        &token,
        "kind=vendors&template=会社台帳",
        file.into(),
    )
    .await;
    assert_eq!(first, [3, 0, 0, 0]);
    let (_, vendors) = server.get("/api/v1/vendors").await;
    assert!(
        vendors
            .as_array()
            .expect("vendors")
            .iter()
            .any(|v| v["name"] == "=cmd" && v["contact_person"] == "-"),
        "guarded cells are read back: {vendors}"
    );
    let exported = download(&server, "/api/v1/vendors/export?encoding=utf-8").await;
    let again = counted(
        &server,
        &token,
        "kind=vendors&template=会社台帳",
        exported.clone(),
    )
    .await;
    assert_eq!(
        again,
        [0, 0, 3, 0],
        "the vendor export re-imports unchanged"
    );
    assert_eq!(
        download(&server, "/api/v1/vendors/export?encoding=utf-8").await,
        exported
    );

    // Managed software, in English headers and Shift_JIS.
    let export = download(
        &server,
        "/api/v1/managed-software/export?encoding=utf-8&lang=en",
    )
    .await;
    template_of_export(&server, "managed-software", "software", "name", &export).await;
    let header = String::from_utf8(export).expect("utf-8");
    let file = format!(
        "{header}オフィス,Office,pattern:libreoffice-*;exact:firefox-esr@115*\n\
         圧縮,,exact:pkg@corp@\n\
         空,,\n"
    );
    let first = counted(
        &server,
        &token,
        "kind=managed-software&template=software",
        file.into(),
    )
    .await;
    assert_eq!(first, [3, 0, 0, 0]);
    let path = "/api/v1/managed-software/export?encoding=shift_jis&lang=en";
    let exported = download(&server, path).await;
    let query = "kind=managed-software&template=software&encoding=shift_jis";
    let again = counted(&server, &token, query, exported.clone()).await;
    assert_eq!(
        again,
        [0, 0, 3, 0],
        "the managed software export re-imports unchanged"
    );
    assert_eq!(download(&server, path).await, exported);

    // Contracts: assets and licences by number.
    for (number, department) in [("A-1", &internal), ("A-2", &internal)] {
        create(
            &server,
            "/api/v1/assets",
            json!({"asset_number": number, "department_id": department["id"]}),
        )
        .await;
    }
    let (_, surgery) = server.get("/api/v1/departments").await;
    let surgery = surgery
        .as_array()
        .and_then(|all| all.iter().find(|d| d["name"] == "外科").cloned())
        .expect("外科");
    let elsewhere = create(
        &server,
        "/api/v1/assets",
        json!({"asset_number": "S-1", "department_id": surgery["id"]}),
    )
    .await;
    let unnumbered = create(
        &server,
        "/api/v1/assets",
        json!({"name": "no number", "department_id": internal["id"]}),
    )
    .await;
    create(
        &server,
        "/api/v1/licences",
        json!({"licence_number": "L-1", "held": 3, "department_id": internal["id"]}),
    )
    .await;
    let export = download(&server, "/api/v1/contracts/export?encoding=utf-8").await;
    template_of_export(&server, "contracts", "契約台帳", "contract_number", &export).await;
    let header = String::from_utf8(export).expect("utf-8");
    let file = format!(
        "{header}C-1,保守契約,保守,契約中,2026-03-01,2026-04-01,2027-03-31,\"1,200,000\",株式会社ケア商事,病院/内科,A-1;A-2,L-1\n\
         C-2,,,,,,,0,,病院/内科,,\n\
         C-3,リース,リース,満了,,,2025-03-31,0,,,,\n"
    );
    let first = counted(
        &server,
        &token,
        "kind=contracts&template=契約台帳",
        file.into(),
    )
    .await;
    assert_eq!(first, [3, 0, 0, 0]);
    let (_, page) = server.get("/api/v1/contracts?q=C-1").await;
    let c1 = page["items"][0].clone();
    let (_, detail) = server.get(&format!("/api/v1/contracts/{}", c1["id"])).await;
    let mut asset_ids = detail["asset_ids"].as_array().cloned().expect("ids");
    asset_ids.extend([elsewhere["id"].clone(), unnumbered["id"].clone()]);
    let (status, body) = server
        .api(
            Method::PATCH,
            &format!("/api/v1/contracts/{}", c1["id"]),
            Some(json!({"asset_ids": asset_ids, "version": detail["version"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let linked = |detail: &Value| {
        let mut ids: Vec<i64> = detail["asset_ids"]
            .as_array()
            .expect("ids")
            .iter()
            .filter_map(Value::as_i64)
            .collect();
        ids.sort_unstable();
        ids
    };
    let (_, before) = server.get(&format!("/api/v1/contracts/{}", c1["id"])).await;
    assert_eq!(linked(&before).len(), 4);
    let exported = download(&server, "/api/v1/contracts/export?encoding=utf-8").await;
    assert!(
        String::from_utf8_lossy(&exported).contains(",A-1;A-2;S-1,L-1\r\n"),
        "{}",
        String::from_utf8_lossy(&exported)
    );
    let again = counted(
        &server,
        &token,
        "kind=contracts&template=契約台帳",
        exported.clone(),
    )
    .await;
    assert_eq!(
        again,
        [0, 0, 3, 0],
        "the contract export re-imports unchanged"
    );
    let (_, after) = server.get(&format!("/api/v1/contracts/{}", c1["id"])).await;
    assert_eq!(after, before, "not even the version moves");
    assert_eq!(
        download(&server, "/api/v1/contracts/export?encoding=utf-8").await,
        exported
    );

    // A reader of 内科 exports its contracts without S-1 and re-imports them unchanged;
    // the link to S-1 stays, and so does the one without a number.
    let scoped = account(
        &server,
        "naika",
        &["assets"],
        &[internal["id"].as_i64().expect("id")],
    )
    .await;
    let response = server
        .client
        .get(format!(
            "{}/api/v1/contracts/export?encoding=utf-8",
            server.base_url
        ))
        .bearer_auth(&scoped)
        .send()
        .await
        .expect("export");
    assert_eq!(response.status(), StatusCode::OK);
    let theirs = response.bytes().await.expect("bytes").to_vec();
    let text = String::from_utf8_lossy(&theirs).into_owned();
    assert!(
        text.contains(",A-1;A-2,L-1\r\n") && !text.contains("C-3"),
        "{text}"
    );
    let again = counted(&server, &scoped, "kind=contracts&template=契約台帳", theirs).await;
    assert_eq!(again, [0, 0, 2, 0]);
    let (_, after) = server.get(&format!("/api/v1/contracts/{}", c1["id"])).await;
    assert_eq!(after, before);
    // A row that names fewer records drops only those it could name.
    let file = format!("{header}C-1,,,,,,,,,,A-2,\n");
    let changed = counted(
        &server,
        &scoped,
        "kind=contracts&template=契約台帳",
        file.into(),
    )
    .await;
    assert_eq!(changed, [0, 1, 0, 0]);
    let (_, after) = server.get(&format!("/api/v1/contracts/{}", c1["id"])).await;
    let a1 = asset(&server, "A-1").await["id"].as_i64().expect("id");
    assert_eq!(
        linked(&after),
        linked(&before)
            .into_iter()
            .filter(|id| *id != a1)
            .collect::<Vec<_>>()
    );
    server.shutdown().await;
}
both_backends!(
    import_export_import_of_every_list,
    import_export_import_of_every_list
);

fn file_arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temp path")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The real `kanri-server import` and `templates export|import`.
async fn command_line(backend: Backend) {
    let server = TestServer::start(backend).await;
    places(&server).await;
    template(
        &server,
        "assets",
        "資産",
        "asset_number",
        &[
            ("番号", "asset_number"),
            ("名称", "name"),
            ("部署", "department"),
        ],
    )
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("assets.csv");
    let sjis = encoding_rs::SHIFT_JIS
        .encode("番号,名称,部署\r\nA-1,受付PC,病院/内科\r\nA-2,検査,病院/歯科\r\n")
        .0
        .into_owned();
    std::fs::write(&file, &sjis).expect("write");
    let args = [
        "import",
        "--kind",
        "assets",
        "--template",
        "資産",
        "--encoding",
        "shift_jis",
        "--file",
        file_arg(&file),
    ];
    let output = server.command(&[&args[..], &["--check"]].concat()).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("checked only"),
        "{}",
        text(&output.stdout)
    );
    assert_eq!(asset_count(&server).await, 0);
    let output = server.command(&args).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("added 1, updated 0, unchanged 0, invalid 1"),
        "{}",
        text(&output.stdout)
    );
    assert_eq!(asset(&server, "A-1").await["name"], "受付PC");
    let invalid = std::fs::read(dir.path().join("assets.csv.invalid.csv"))
        .expect("invalid rows beside the file");
    let invalid = encoding_rs::SHIFT_JIS.decode(&invalid).0.into_owned();
    assert!(
        invalid.contains("A-2,検査,病院/歯科,3,") && invalid.contains("department"),
        "{invalid}"
    );
    let (_, audit) = server.get("/api/v1/audit?op=Import&limit=10").await;
    assert_eq!(audit["items"][0]["component"], "Utility", "{audit}");

    // Refused files exit 80, an unknown template 72.
    std::fs::write(&file, "名称\nx\n").expect("write");
    let output = server
        .command(&[
            "import",
            "--kind",
            "assets",
            "--template",
            "資産",
            "--file",
            file_arg(&file),
        ])
        .await;
    assert_eq!(output.status.code(), Some(80), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("番号"),
        "{}",
        text(&output.stderr)
    );
    let output = server
        .command(&[
            "import",
            "--kind",
            "assets",
            "--template",
            "ない",
            "--file",
            file_arg(&file),
        ])
        .await;
    assert_eq!(output.status.code(), Some(72), "{}", text(&output.stderr));

    // Templates travel as documents.
    let document = dir.path().join("template.json");
    let output = server
        .command(&[
            "templates",
            "export",
            "--kind",
            "assets",
            "--name",
            "資産",
            "--file",
            file_arg(&document),
        ])
        .await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = server
        .command(&["templates", "import", "--file", file_arg(&document)])
        .await;
    assert_eq!(
        output.status.code(),
        Some(74),
        "the name is taken: {}",
        text(&output.stderr)
    );
    let output = server
        .command(&[
            "templates",
            "import",
            "--file",
            file_arg(&document),
            "--name",
            "資産の写し",
        ])
        .await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = server
        .command(&[
            "templates",
            "import",
            "--file",
            file_arg(&document),
            "--overwrite",
        ])
        .await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).contains("Replaced"),
        "{}",
        text(&output.stdout)
    );
    let output = server
        .command(&["templates", "import", "--file", file_arg(&file)])
        .await;
    assert_eq!(
        output.status.code(),
        Some(80),
        "not a template: {}",
        text(&output.stderr)
    );
    let (_, list) = server.get("/api/v1/import-templates?kind=assets").await;
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    server.shutdown().await;
}
both_backends!(command_line, command_line);

/// Disposing an asset by import deletes its device records, as the editor does, and the
/// status change leaves its note.
async fn disposal_by_import(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    let mut agent = crate::support::ProtoAgent::new(&server, "pc-to-dispose");
    let (status, body) = agent.enroll(&token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let serial = agent.facts.serial.as_ref().expect("serial").to_string();
    template(
        &server,
        "assets",
        "棚卸",
        "serial",
        &[("シリアル", "serial"), ("状態", "status")],
    )
    .await;
    let result = imported(
        &server,
        "kind=assets&template=棚卸",
        &format!("シリアル,状態\n{serial},滅却\n"),
    )
    .await;
    assert_eq!(counts(&result), [0, 1, 0, 0], "{result}");
    let (status, _) = server
        .get(&format!("/api/v1/devices/{}", agent.device_id()))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "the device record is deleted"
    );
    let (_, page) = server.get(&format!("/api/v1/assets?serial={serial}")).await;
    let asset = &page["items"][0];
    assert_eq!(asset["status_id"], 4, "{page}");
    let (_, detail) = server.get(&format!("/api/v1/assets/{}", asset["id"])).await;
    assert!(
        detail["notes"][0]["body"]
            .as_str()
            .is_some_and(|b| b.contains("→ 滅却")),
        "{detail}"
    );
    server.shutdown().await;
}
both_backends!(disposal_by_import, disposal_by_import);

/// A custom field of `target` with options (`(name, name_en, parent name)`, parents
/// first); returns the field and its option ids by Japanese name.
async fn custom_field(
    server: &TestServer,
    target: &str,
    (name, name_en, data_type): (&str, &str, &str),
    options: &[(&str, &str, Option<&str>)],
) -> (i64, std::collections::HashMap<String, i64>) {
    let field = create(
        server,
        "/api/v1/assets/fields",
        json!({"target": target, "name": name, "name_en": name_en, "data_type": data_type}),
    )
    .await;
    let id = field["id"].as_i64().expect("id");
    let mut ids = std::collections::HashMap::new();
    for (option, option_en, parent) in options {
        let parent_id = parent.map(|p| ids[p]);
        let updated = create(
            server,
            &format!("/api/v1/assets/fields/{id}/options"),
            json!({"name": option, "name_en": option_en, "parent_id": parent_id}),
        )
        .await;
        let added = updated["options"]
            .as_array()
            .and_then(|all| {
                all.iter()
                    .find(|o| o["name"] == *option && o["parent_id"] == json!(parent_id))
            })
            .and_then(|o| o["id"].as_i64())
            .expect("option");
        ids.insert((*option).to_string(), added);
    }
    (id, ids)
}

/// Custom fields in imports and exports: one column per field (its name in the export's
/// language, made distinct where it is a built-in header), text as typed, selection and
/// hierarchy options by name or path in either language; one space clears text and leaves
/// options; bad values make the row invalid; import → export → import changes nothing for
/// assets, licences and contracts; templates naming fields the kind lacks are refused.
async fn custom_fields_in_files(backend: Backend) {
    let server = TestServer::start(backend).await;
    places(&server).await;
    let token = server.api_token.clone();
    let (lease, _) = custom_field(
        &server,
        "hardware",
        ("リース番号", "Lease number", "text"),
        &[],
    )
    .await;
    let (usage, usages) = custom_field(
        &server,
        "hardware",
        ("用途", "Use", "selection"),
        &[("電子カルテ", "Clinical", None), ("事務", "", None)],
    )
    .await;
    let (area, areas) = custom_field(
        &server,
        "hardware",
        ("区画", "", "hierarchy"),
        &[
            ("東棟", "East", None),
            ("3F", "", Some("東棟")),
            ("西棟", "West", None),
        ],
    )
    .await;
    let (clash, _) = custom_field(&server, "hardware", ("部署", "Note", "text"), &[]).await;
    let hardware = [lease, usage, area, clash];

    // The header: the built-in fields, then one column per custom field.
    let export = download(&server, "/api/v1/assets/export?encoding=utf-8&lang=ja").await;
    let header = String::from_utf8(export.clone()).expect("utf-8");
    assert!(
        header.trim_end().ends_with(&format!(
            ",MACアドレス,リース番号,用途,区画,部署 (custom:{clash})"
        )),
        "{header}"
    );
    template_of_export_with(
        &server,
        ("assets", "台帳", "asset_number"),
        &export,
        &hardware,
    )
    .await;
    let file = format!(
        "{}\n\
         A-1,受付PC,PC,運用中,,,病院/内科,本館,,,,,,,,,,L-77,電子カルテ,東棟/3F,=メモ\n\
         A-2,,,,,,,,,,,,,,,,, ,clinical,east / 3f ,\n\
         A-3,,,,,,,,,,,,,,,,,,経理,,\n\
         A-4,,,,,,,,,,,,,,,,,,,北棟,\n",
        header.trim_end()
    );
    let first = imported(&server, "kind=assets&template=台帳", &file).await;
    assert_eq!(counts(&first), [2, 0, 0, 2], "{first}");
    let reasons: Vec<&str> = first["invalid_rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["reason"].as_str())
        .collect();
    assert!(
        reasons[0].contains(&format!("custom:{usage}")) && reasons[0].contains("経理"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].contains(&format!("custom:{area}")),
        "{reasons:?}"
    );
    let one = asset(&server, "A-1").await;
    assert_eq!(
        one["custom"],
        json!({lease.to_string(): "L-77", usage.to_string(): usages["電子カルテ"],
               area.to_string(): areas["3F"], clash.to_string(): "=メモ"})
    );
    let two = asset(&server, "A-2").await;
    assert_eq!(
        two["custom"],
        json!({usage.to_string(): usages["電子カルテ"], area.to_string(): areas["3F"]}),
        "English names in any case; one space in a new record's text sets nothing"
    );
    // One space clears text and leaves options; an empty cell keeps.
    let file = format!("{}\nA-1,,,,,,,,,,,,,,,,, , , ,\n", header.trim_end());
    let cleared = imported(&server, "kind=assets&template=台帳", &file).await;
    assert_eq!(counts(&cleared), [0, 1, 0, 0], "{cleared}");
    assert_eq!(
        asset(&server, "A-1").await["custom"],
        json!({usage.to_string(): usages["電子カルテ"], area.to_string(): areas["3F"],
               clash.to_string(): "=メモ"})
    );

    // Import → export → import, in Japanese and in English.
    let exported = download(&server, "/api/v1/assets/export?encoding=utf-8&lang=ja").await;
    let text = String::from_utf8_lossy(&exported).into_owned();
    assert!(
        text.contains(",電子カルテ,東棟/3F,'=メモ\r\n"),
        "options by path, formulas guarded: {text}"
    );
    let again = counted(
        &server,
        &token,
        "kind=assets&template=台帳",
        exported.clone(),
    )
    .await;
    assert_eq!(again, [0, 0, 2, 0]);
    assert_eq!(
        download(&server, "/api/v1/assets/export?encoding=utf-8&lang=ja").await,
        exported
    );
    let english = download(&server, "/api/v1/assets/export?encoding=utf-8&lang=en").await;
    let text = String::from_utf8_lossy(&english).into_owned();
    assert!(
        text.lines()
            .next()
            .is_some_and(|h| h.ends_with(",Lease number,Use,区画,Note")),
        "{text}"
    );
    assert!(text.contains(",Clinical,East/3F,'=メモ\r\n"), "{text}");
    template_of_export_with(
        &server,
        ("assets", "ledger", "asset_number"),
        &english,
        &hardware,
    )
    .await;
    let again = counted(&server, &token, "kind=assets&template=ledger", english).await;
    assert_eq!(
        again,
        [0, 0, 2, 0],
        "the English export re-imports unchanged"
    );

    // Licences and contracts.
    let (seat, _) = custom_field(&server, "licence", ("契約ID", "", "text"), &[]).await;
    let (budget, budgets) = custom_field(
        &server,
        "contract",
        ("予算", "Budget", "hierarchy"),
        &[("情報", "IT", None), ("保守", "Upkeep", Some("情報"))],
    )
    .await;
    let export = download(&server, "/api/v1/licences/export?encoding=utf-8").await;
    template_of_export_with(
        &server,
        ("licences", "ライセンス", "licence_number"),
        &export,
        &[seat],
    )
    .await;
    let licence_header = String::from_utf8(export).expect("utf-8");
    let file = format!(
        "{}\nL-1,,,5,,,,,,,K-9\nL-2,,,1,,,,,,,\n",
        licence_header.trim_end()
    );
    let first = imported(&server, "kind=licences&template=ライセンス", &file).await;
    assert_eq!(counts(&first), [2, 0, 0, 0], "{first}");
    let exported = download(&server, "/api/v1/licences/export?encoding=utf-8").await;
    assert!(String::from_utf8_lossy(&exported).contains(",K-9\r\n"));
    let again = counted(
        &server,
        &token,
        "kind=licences&template=ライセンス",
        exported,
    )
    .await;
    assert_eq!(again, [0, 0, 2, 0]);
    let export = download(&server, "/api/v1/contracts/export?encoding=utf-8&lang=en").await;
    template_of_export_with(
        &server,
        ("contracts", "contracts", "contract_number"),
        &export,
        &[budget],
    )
    .await;
    let header = String::from_utf8(export).expect("utf-8");
    assert!(header.trim_end().ends_with(",Budget"), "{header}");
    let file = format!(
        "{}\nC-1,,,,,,,0,,,,,IT/Upkeep\nC-2,,,,,,,0,,,,,情報\n",
        header.trim_end()
    );
    let first = imported(&server, "kind=contracts&template=contracts", &file).await;
    assert_eq!(counts(&first), [2, 0, 0, 0], "{first}");
    let (_, page) = server.get("/api/v1/contracts?q=C-1").await;
    assert_eq!(
        page["items"][0]["custom"],
        json!({budget.to_string(): budgets["保守"]})
    );
    let exported = download(&server, "/api/v1/contracts/export?encoding=utf-8&lang=en").await;
    let again = counted(
        &server,
        &token,
        "kind=contracts&template=contracts",
        exported,
    )
    .await;
    assert_eq!(again, [0, 0, 2, 0]);

    // Templates name only fields the kind has; a field deleted since refuses the file.
    for (kind, key, field) in [
        ("licences", "licence_number", format!("custom:{lease}")),
        ("vendors", "name", format!("custom:{seat}")),
        ("assets", "asset_number", "custom:999999".to_string()),
    ] {
        let (status, body) = server
            .api(
                Method::POST,
                "/api/v1/import-templates",
                Some(
                    json!({"kind": kind, "name": "x", "mapping": {"key": key, "columns": [
                    {"header": "k", "field": key}, {"header": "c", "field": field}]}}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{kind} {field}: {body}");
        assert_eq!(body["field"], "mapping.columns[1].field", "{body}");
    }
    let (status, _) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/assets/fields/{seat}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = import(
        &server,
        "kind=licences&template=ライセンス",
        &format!("{}\nL-1,,,6,,,,,,,K-10\n", licence_header.trim_end()),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "unknown_custom_field", "{body}");
    let (_, page) = server.get("/api/v1/licences?licence_number=L-1").await;
    assert_eq!(page["items"][0]["held"], 5, "nothing changed: {page}");
    server.shutdown().await;
}
both_backends!(custom_fields_in_files, custom_fields_in_files);
