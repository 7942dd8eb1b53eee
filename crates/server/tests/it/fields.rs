//! Departments and locations as the asset ledger needs them: names and descriptions in
//! Japanese and English, retiring entries the old organisation still uses and pruning them
//! (records show "Unknown"), and the field-definition CSV through the real `kanri-server
//! fields export|import`.

use std::path::Path;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::console::{csrf_in, signed_in_admin};
use crate::support::{Backend, ProtoAgent, TestServer};

async fn create(server: &TestServer, path: &str, body: Value) -> Value {
    let (status, created) = server.api(Method::POST, path, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{path}: {created}");
    created
}

async fn patch(server: &TestServer, path: &str, body: Value) -> Value {
    let (status, changed) = server.api(Method::PATCH, path, Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{path}: {changed}");
    changed
}

/// A hierarchy as comparable lines, `path|name_en|description|description_en|retired`,
/// sorted: what two servers must agree on, whatever their ids.
async fn tree(server: &TestServer, which: &str) -> Vec<String> {
    let (status, list) = server.get(&format!("/api/v1/{which}")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let list = list.as_array().cloned().unwrap_or_default();
    let path = |entry: &Value| {
        let mut names = vec![entry["name"].as_str().unwrap_or("").to_string()];
        let mut parent = entry["parent_id"].clone();
        while let Some(up) = list.iter().find(|e| e["id"] == parent && !parent.is_null()) {
            names.push(up["name"].as_str().unwrap_or("").to_string());
            parent = up["parent_id"].clone();
        }
        names.reverse();
        names.join("/")
    };
    let mut lines: Vec<String> = list
        .iter()
        .map(|e| {
            format!(
                "{}|{}|{}|{}|{}",
                path(e),
                e["name_en"].as_str().unwrap_or(""),
                e["description"].as_str().unwrap_or(""),
                e["description_en"].as_str().unwrap_or(""),
                e["retired"]
            )
        })
        .collect();
    lines.sort();
    lines
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn file_arg(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temp path")
}

/// Per-language names through REST and the console, unique per language among siblings; a
/// retired entry still shows, marked old, but is no longer offered for records.
async fn names_in_both_languages(backend: Backend) {
    let server = TestServer::start(backend).await;
    let sales = create(
        &server,
        "/api/v1/departments",
        json!({"name": "営業部", "name_en": "Sales", "description": "売る部署",
               "description_en": "Sells things"}),
    )
    .await;
    assert_eq!(
        (
            &sales["name_en"],
            &sales["description"],
            &sales["description_en"],
            &sales["retired"]
        ),
        (
            &json!("Sales"),
            &json!("売る部署"),
            &json!("Sells things"),
            &json!(false)
        )
    );
    let first = create(
        &server,
        "/api/v1/departments",
        json!({"name": "営業1課", "parent_id": sales["id"]}),
    )
    .await;
    for (body, code) in [
        (
            json!({"name": "営業1課", "parent_id": sales["id"]}),
            "name_taken",
        ),
        (
            json!({"name": "営業2課", "name_en": "営業1課", "parent_id": sales["id"]}),
            "name_en_taken",
        ),
        (json!({"name": "営業/企画"}), "name_has_separator"),
        (
            json!({"name": "企画", "name_en": "Plan/Do"}),
            "name_has_separator",
        ),
    ] {
        let (status, refused) = server
            .api(Method::POST, "/api/v1/departments", Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {refused}");
        assert_eq!(refused["code"], code, "{body}: {refused}");
    }
    let path = format!("/api/v1/departments/{}", first["id"]);
    let named = patch(
        &server,
        &path,
        json!({"name_en": "Sales 1", "version": first["version"]}),
    )
    .await;
    assert_eq!(
        (&named["name"], &named["name_en"]),
        (&json!("営業1課"), &json!("Sales 1"))
    );
    // A PUT from a client that knows only name and parent keeps the English name.
    let (status, renamed) = server
        .api(
            Method::PUT,
            &path,
            Some(
                json!({"name": "営業第1課", "parent_id": sales["id"], "version": named["version"]}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{renamed}");
    assert_eq!(renamed["name_en"], "Sales 1");

    // The console names entries in the page language.
    let mut admin = signed_in_admin(&server).await;
    let (_, _, page) = admin.get("/departments").await;
    assert!(page.contains(">営業部 / 営業第1課<"), "{page}");
    assert!(page.contains(">売る部署<"), "{page}");
    let csrf = csrf_in(&page);
    let (_, _, profile) = admin.get("/profile").await;
    let version = profile
        .split("name=\"version\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("version")
        .to_string();
    let (status, _, _) = admin
        .post(
            "/profile",
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("language", "en"),
                ("time_zone", "Asia/Tokyo"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, page) = admin.get("/departments").await;
    assert!(page.contains(">Sales / Sales 1<"), "{page}");
    assert!(page.contains(">Sells things<"), "{page}");

    // Edited in both languages from the console.
    let (status, _, _) = admin
        .post(
            &format!("/departments/{}", sales["id"]),
            &[
                ("csrf", &csrf),
                ("version", &sales["version"].to_string()),
                ("name", "営業本部"),
                ("name_en", "Sales HQ"),
                ("description", ""),
                ("description_en", "HQ"),
                ("retired", "0"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, list) = server.get("/api/v1/departments").await;
    let hq = list
        .as_array()
        .and_then(|l| l.iter().find(|d| d["id"] == sales["id"]).cloned())
        .expect("still there");
    assert_eq!(
        (
            &hq["name"],
            &hq["name_en"],
            &hq["description"],
            &hq["description_en"]
        ),
        (
            &json!("営業本部"),
            &json!("Sales HQ"),
            &json!(""),
            &json!("HQ")
        )
    );

    // Retired: still listed and shown, marked old; not offered to set on devices.
    let retired = patch(
        &server,
        &path,
        json!({"retired": true, "version": renamed["version"]}),
    )
    .await;
    assert_eq!(retired["retired"], true);
    let (_, _, page) = admin.get("/devices").await;
    let filter = page
        .split("<select name=\"department\">")
        .nth(1)
        .and_then(|rest| rest.split("</select>").next())
        .expect("the department filter");
    assert!(filter.contains("Sales HQ / Sales 1 (old)"), "{filter}");
    let offered = page
        .split("<select name=\"department_id\">")
        .nth(1)
        .and_then(|rest| rest.split("</select>").next())
        .expect("the bulk form's department choice");
    assert!(offered.contains(">Sales HQ<"), "{offered}");
    assert!(!offered.contains("Sales 1"), "{offered}");
    let (_, _, page) = admin.get("/departments").await;
    assert!(page.contains("data-retired=\"1\""), "{page}");
    server.shutdown().await;
}
both_backends!(names_in_both_languages, names_in_both_languages);

/// Retired entries pruned through REST and the console: records become Unknown, a retired
/// entry with a current one below it is kept, one audit entry.
async fn retire_and_prune(backend: Backend) {
    let server = TestServer::start(backend).await;
    let old_division = create(&server, "/api/v1/departments", json!({"name": "旧事業部"})).await;
    let old_section = create(
        &server,
        "/api/v1/departments",
        json!({"name": "旧課", "parent_id": old_division["id"]}),
    )
    .await;
    let old_head = create(&server, "/api/v1/departments", json!({"name": "旧本部"})).await;
    let current = create(
        &server,
        "/api/v1/departments",
        json!({"name": "新課", "parent_id": old_head["id"]}),
    )
    .await;
    let store = create(&server, "/api/v1/locations", json!({"name": "旧倉庫"})).await;
    let asset = create(
        &server,
        "/api/v1/assets",
        json!({"name": "old pc", "department_id": old_section["id"], "location_id": store["id"]}),
    )
    .await;
    let token = server.enrollment_token(None, None).await;
    let mut agent = ProtoAgent::new(&server, "pc-old-organisation");
    agent.enroll(&token).await;
    let device_path = format!("/api/v1/devices/{}", agent.device_id());
    patch(
        &server,
        &device_path,
        json!({"department_id": old_division["id"]}),
    )
    .await;

    // Nothing retired yet: nothing to prune.
    let (status, outcome) = server
        .api(Method::POST, "/api/v1/departments/prune-retired", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(outcome, json!({"deleted": [], "kept": []}));

    for entry in [&old_division, &old_section, &old_head] {
        patch(
            &server,
            &format!("/api/v1/departments/{}", entry["id"]),
            json!({"retired": true, "version": entry["version"]}),
        )
        .await;
    }
    let (status, outcome) = server
        .api(Method::POST, "/api/v1/departments/prune-retired", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(
        outcome["deleted"],
        json!([
            {"id": old_section["id"], "path": "旧事業部/旧課", "records": 1, "scopes": 0},
            // The device and the hardware asset it was filed under.
            {"id": old_division["id"], "path": "旧事業部", "records": 2, "scopes": 0},
        ])
    );
    assert_eq!(
        outcome["kept"],
        json!([{"id": old_head["id"], "path": "旧本部", "records": 0, "scopes": 0}])
    );
    let (_, asset_now) = server.get(&format!("/api/v1/assets/{}", asset["id"])).await;
    assert_eq!(asset_now["department_id"], Value::Null, "{asset_now}");
    assert_eq!(asset_now["location_id"], store["id"]);
    let (_, device) = server.get(&device_path).await;
    assert_eq!(device["department_id"], Value::Null, "{device}");
    assert_eq!(
        tree(&server, "departments").await,
        ["旧本部/新課||||false", "旧本部||||true"]
    );
    let _ = current;
    let (_, audit) = server
        .get("/api/v1/audit?limit=1000&category=ConfigurationAccess")
        .await;
    let prunes: Vec<&Value> = audit["items"]
        .as_array()
        .expect("audit items")
        .iter()
        .filter(|e| e["object_id"] == "retired" && e["op"] == "Delete")
        .collect();
    assert_eq!(prunes.len(), 1, "one entry for the prune: {audit}");

    // Locations from the console: a confirmation page, then the prune.
    patch(
        &server,
        &format!("/api/v1/locations/{}", store["id"]),
        json!({"retired": true, "version": store["version"]}),
    )
    .await;
    let mut admin = signed_in_admin(&server).await;
    let (status, _, page) = admin.get("/locations/prune-retired").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("id=\"prune-deleted\"") && page.contains("旧倉庫（旧）"),
        "{page}"
    );
    let (_, asset_before) = server.get(&format!("/api/v1/assets/{}", asset["id"])).await;
    assert_eq!(
        asset_before["location_id"], store["id"],
        "the preview changed nothing"
    );
    let csrf = csrf_in(&page);
    let (status, _, page) = admin
        .post("/locations/prune-retired", &[("csrf", &csrf)])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("data-testid=\"prune-done\""), "{page}");
    let (_, asset_now) = server.get(&format!("/api/v1/assets/{}", asset["id"])).await;
    assert_eq!(asset_now["location_id"], Value::Null, "{asset_now}");
    assert_eq!(tree(&server, "locations").await, Vec::<String>::new());
    server.shutdown().await;
}
both_backends!(retire_and_prune, retire_and_prune);

/// Export, then import into a fresh server: the same hierarchies, and the same file again.
async fn export_import_round_trip(backend: Backend) {
    let source = TestServer::start(backend).await;
    let sales = create(
        &source,
        "/api/v1/departments",
        json!({"name": "営業部", "name_en": "Sales", "description": "売上, 受注", "description_en": "Revenue"}),
    )
    .await;
    create(
        &source,
        "/api/v1/departments",
        json!({"name": "営業1課", "name_en": "Sales 1", "parent_id": sales["id"]}),
    )
    .await;
    create(
        &source,
        "/api/v1/departments",
        json!({"name": "営業2課", "parent_id": sales["id"], "description": "\"引用\""}),
    )
    .await;
    let building = create(&source, "/api/v1/locations", json!({"name": "本館"})).await;
    create(
        &source,
        "/api/v1/locations",
        json!({"name": "-B1F", "parent_id": building["id"], "description": "=地下"}),
    )
    .await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("fields.csv");
    let out = source
        .command(&["fields", "export", "--file", file_arg(&file)])
        .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Wrote 5"),
        "{}",
        text(&out.stdout)
    );
    let again = source
        .command(&["fields", "export", "--file", file_arg(&file)])
        .await;
    assert!(!again.status.success(), "an existing file is kept");
    assert!(
        text(&again.stderr).contains("--overwrite"),
        "{}",
        text(&again.stderr)
    );

    let target = TestServer::start(backend).await;
    let out = target
        .command(&["fields", "import", "--file", file_arg(&file)])
        .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("added 5"),
        "{}",
        text(&out.stdout)
    );
    for which in ["departments", "locations"] {
        assert_eq!(tree(&source, which).await, tree(&target, which).await);
    }
    let copy = dir.path().join("copy.csv");
    let out = target
        .command(&["fields", "export", "--file", file_arg(&copy)])
        .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        std::fs::read(&file).expect("file"),
        std::fs::read(&copy).expect("copy")
    );
    // Both commands are audited, as the operating-system account that ran them.
    let (_, audit) = target.get("/api/v1/audit?limit=1000").await;
    let items = audit["items"].as_array().cloned().unwrap_or_default();
    for op in ["Import", "Export"] {
        assert!(
            items
                .iter()
                .any(|e| e["op"] == op && e["component"] == "Utility" && e["login"] == "tester"),
            "{op}: {audit}"
        );
    }
    source.shutdown().await;
    target.shutdown().await;
}
both_backends!(export_import_round_trip, export_import_round_trip);

const HEADER: &str = "更新種別,資産項目種別,項目言語キー,項目名,その他の言語の設定,ja-値(変更前),ja-値(変更後),ja-説明,en-値(変更前),en-値(変更後),en-説明";

/// Mixed A/U/D rows, `--check`, a refused file with its log, and encodings.
async fn import_rules(backend: Backend) {
    let server = TestServer::start(backend).await;
    let sales = create(&server, "/api/v1/departments", json!({"name": "営業部"})).await;
    let first = create(
        &server,
        "/api/v1/departments",
        json!({"name": "営業1課", "parent_id": sales["id"]}),
    )
    .await;
    let second = create(
        &server,
        "/api/v1/departments",
        json!({"name": "営業2課", "parent_id": sales["id"]}),
    )
    .await;
    create(&server, "/api/v1/departments", json!({"name": "開発部"})).await;
    let asset = create(
        &server,
        "/api/v1/assets",
        json!({"name": "sales pc", "department_id": second["id"]}),
    )
    .await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("change.csv");
    std::fs::write(
        &file,
        format!(
            "{HEADER}\r\n\
             D,common,ja,部署,,営業部,,,,,\r\n\
             u,common,ja,部署,ja,営業部/営業1課,開発部/開発1課,移った課,,Development/Dev 1,\r\n\
             d,common,ja,Department,,営業部/営業2課,,,,,\r\n\
             A,common,ja,部署,ja,,企画部/企画1課,,,,\r\n\
             a,common,ja,部署,ja,,企画部,,,Planning,\r\n"
        ),
    )
    .expect("write");
    let before = tree(&server, "departments").await;
    let out = server
        .command(&["fields", "import", "--file", file_arg(&file), "--check"])
        .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = "added 2, restored 0, updated 1, deleted 0, retired 2";
    assert!(
        text(&out.stdout).contains(summary) && text(&out.stdout).contains("nothing changed"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(
        tree(&server, "departments").await,
        before,
        "--check changes nothing"
    );

    let out = server
        .command(&["fields", "import", "--file", file_arg(&file)])
        .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(summary), "{}", text(&out.stdout));
    assert_eq!(
        tree(&server, "departments").await,
        [
            "企画部/企画1課||||false",
            "企画部|Planning|||false",
            "営業部/営業2課||||true",
            "営業部||||true",
            "開発部/開発1課|Dev 1|移った課||false",
            "開発部||||false",
        ]
    );
    let (_, list) = server.get("/api/v1/departments").await;
    let moved = list
        .as_array()
        .and_then(|l| l.iter().find(|d| d["name"] == "開発1課").cloned())
        .expect("moved");
    assert_eq!(moved["id"], first["id"], "a change keeps the id");
    let (_, asset_now) = server.get(&format!("/api/v1/assets/{}", asset["id"])).await;
    assert_eq!(
        asset_now["department_id"], second["id"],
        "a used entry is retired, never taken from its records"
    );

    // A refused file: the log beside it, every line, failed ones marked; nothing changed.
    let before = tree(&server, "departments").await;
    let bad = dir.path().join("bad.csv");
    let lines = [
        HEADER.to_string(),
        "A,common,ja,部署,ja,,総務部,,,,".to_string(),
        "U,common,ja,部署,ja,無い部,総務部2,,,,".to_string(),
        "X,common,ja,部署,ja,,人事部,,,,".to_string(),
        "D,common,ja,部署,,開発部,,,,,".to_string(),
    ];
    std::fs::write(&bad, lines.join("\n") + "\n").expect("write");
    let out = server
        .command(&["fields", "import", "--file", file_arg(&bad)])
        .await;
    assert_eq!(out.status.code(), Some(80), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("KNRI4386-E line 3") && stderr.contains("KNRI4381-E line 4"),
        "{stderr}"
    );
    let log = std::fs::read_to_string(dir.path().join("bad.csv.log")).expect("the log");
    assert_eq!(
        log.lines().collect::<Vec<_>>(),
        [
            format!("1:{HEADER}"),
            format!("2:{}", lines[1]),
            format!("KNRI4386-E 3:{}", lines[2]),
            format!("KNRI4381-E 4:{}", lines[3]),
            format!("KNRI4388-E 5:{}", lines[4]),
        ]
    );
    assert_eq!(tree(&server, "departments").await, before, "all or nothing");

    // Shift_JIS: refused as UTF-8, naming the problem; read with --encoding shift_jis.
    let sjis = dir.path().join("sjis.csv");
    let content = format!("{HEADER}\r\nA,common,ja,部署,ja,,資材部,,,,\r\n");
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&content);
    assert!(!unmappable);
    std::fs::write(&sjis, &bytes).expect("write");
    let out = server
        .command(&["fields", "import", "--file", file_arg(&sjis)])
        .await;
    assert_eq!(out.status.code(), Some(80));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("KNRI4389-E line 1")
            && stderr.contains("not valid UTF-8")
            && stderr.contains("Shift_JIS"),
        "{stderr}"
    );
    assert_eq!(tree(&server, "departments").await, before);
    let out = server
        .command(&[
            "fields",
            "import",
            "--file",
            file_arg(&sjis),
            "--encoding",
            "shift_jis",
        ])
        .await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(tree(&server, "departments")
        .await
        .contains(&"資材部||||false".to_string()));
    server.shutdown().await;
}
both_backends!(import_rules, import_rules);
