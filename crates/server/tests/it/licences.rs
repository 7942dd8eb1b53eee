//! Managed software and licences through the REST API: rules by name and pattern,
//! reconciliation kept current as inventories arrive (owned, consumed, remaining, assigned,
//! unauthorised, idle), the device tabs, assignment within the held count, transfer, the
//! delete rule and department scope.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::support::inventory::sample;
use crate::support::{Backend, ProtoAgent, TestServer};

async fn agent_with(server: &TestServer, hostname: &str, packages: &[(&str, &str)]) -> ProtoAgent {
    let token = server.enrollment_token(None, None).await;
    let mut agent = ProtoAgent::new(server, hostname);
    let (status, body) = agent.enroll(&token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = agent.upload(&sample(hostname, packages, 8)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    agent
}

async fn reconcile(server: &TestServer) {
    kanri_server::assets::licences::reconcile::run(&server.state().db)
        .await
        .expect("reconcile");
}

async fn created(server: &TestServer, path: &str, body: Value) -> Value {
    let (status, value) = server.api(Method::POST, path, Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{path}: {value}");
    value
}

async fn figures(server: &TestServer, id: &Value) -> Value {
    let (status, body) = server.get(&format!("/api/v1/managed-software/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["figures"].clone()
}

async fn tab(server: &TestServer, id: &Value, query: &str) -> Vec<String> {
    let (status, body) = server
        .get(&format!("/api/v1/managed-software/{id}/devices?{query}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|d| d["hostname"].as_str().expect("hostname").to_string())
        .collect()
}

async fn reconciliation_follows_inventories(backend: Backend) {
    let server = TestServer::start(backend).await;
    let a = agent_with(
        &server,
        "pc-a",
        &[("libreoffice-calc", "7.4.7"), ("firefox-esr", "115.3")],
    )
    .await;
    let b = agent_with(&server, "pc-b", &[("libreoffice-writer", "7.4.7")]).await;
    let c = agent_with(&server, "pc-c", &[("firefox-esr", "115.3")]).await;
    let office = created(
        &server,
        "/api/v1/managed-software",
        json!({"name": "LibreOffice", "rules": [{"pattern": true, "name": "libreoffice-*"}]}),
    )
    .await;
    let firefox = created(
        &server,
        "/api/v1/managed-software",
        json!({"name": "Firefox ESR", "rules": [{"name": "firefox-esr", "version": "115*"}]}),
    )
    .await;
    let licence = created(
        &server,
        "/api/v1/licences",
        json!({"licence_number": "LIC-1", "name": "LibreOffice 1 seat", "managed_id": office["id"], "held": 1}),
    )
    .await;
    let (status, body) = server
        .api(
            Method::POST,
            &format!("/api/v1/licences/{}/assignments", licence["id"]),
            Some(json!({"device_ids": [a.device_id()]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    reconcile(&server).await;

    let got = figures(&server, &office["id"]).await;
    assert_eq!(
        (
            got["owned"].clone(),
            got["consumed"].clone(),
            got["remaining"].clone()
        ),
        (json!(1), json!(2), json!(-1)),
        "{got}"
    );
    assert_eq!(
        (
            got["assigned"].clone(),
            got["unauthorised"].clone(),
            got["idle"].clone()
        ),
        (json!(1), json!(1), json!(0))
    );
    assert_eq!(figures(&server, &firefox["id"]).await["consumed"], 2);
    assert_eq!(
        tab(&server, &office["id"], "view=installed&only=unassigned").await,
        vec!["pc-b"]
    );
    let (_, exceeded) = server.get("/api/v1/managed-software?exceeded=yes").await;
    let names: Vec<&str> = exceeded["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| m["name"].as_str().expect("name"))
        .collect();
    // Firefox has no licence at all: two installs over none held.
    assert_eq!(names, vec!["Firefox ESR", "LibreOffice"], "{exceeded}");

    // Beyond the held count: refused, nothing assigned.
    let (status, body) = server
        .api(
            Method::POST,
            &format!("/api/v1/licences/{}/assignments", licence["id"]),
            Some(json!({"device_ids": [c.device_id()]})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "over_assigned");
    let (status, body) = server
        .api(
            Method::PATCH,
            &format!("/api/v1/licences/{}", licence["id"]),
            Some(json!({"held": 3, "version": licence["version"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = server
        .api(
            Method::POST,
            &format!("/api/v1/licences/{}/assignments", licence["id"]),
            Some(json!({"device_ids": [c.device_id()]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let got = figures(&server, &office["id"]).await;
    assert_eq!(
        (
            got["owned"].clone(),
            got["assigned"].clone(),
            got["idle"].clone()
        ),
        (json!(3), json!(2), json!(1)),
        "{got}"
    );
    assert_eq!(
        tab(&server, &office["id"], "view=assigned&only=not_installed").await,
        vec!["pc-c"]
    );

    // pc-b uninstalls: the next reconciliation counts one device fewer.
    let (status, _) = b.upload(&sample("pc-b", &[("vim", "9.0")], 8)).await;
    assert_eq!(status, StatusCode::OK);
    reconcile(&server).await;
    let got = figures(&server, &office["id"]).await;
    assert_eq!(
        (got["consumed"].clone(), got["unauthorised"].clone()),
        (json!(1), json!(0)),
        "{got}"
    );
    // A package the catalogue has never seen joins through the pattern.
    let d = agent_with(&server, "pc-d", &[("libreoffice-impress", "7.5")]).await;
    reconcile(&server).await;
    assert_eq!(figures(&server, &office["id"]).await["consumed"], 2);
    assert_eq!(
        tab(&server, &office["id"], "view=installed").await,
        vec!["pc-a", "pc-d"]
    );
    // A deleted device stops counting at once.
    let (status, _) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/devices/{}", d.device_id()),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(figures(&server, &office["id"]).await["consumed"], 1);
    // Narrowing the rules recounts.
    let (status, body) = server
        .api(
            Method::PATCH,
            &format!("/api/v1/managed-software/{}", office["id"]),
            Some(json!({"rules": [{"name": "libreoffice-calc"}], "version": office["version"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    reconcile(&server).await;
    assert_eq!(
        tab(&server, &office["id"], "view=installed").await,
        vec!["pc-a"]
    );

    // Transfer: refused while the target holds a licence, then all of a's move to b.
    let (status, body) = server
        .api(
            Method::POST,
            "/api/v1/licences/transfer",
            Some(json!({"from_device_id": a.device_id(), "to_device_id": c.device_id()})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "target_has_licences");
    let (status, body) = server
        .api(
            Method::POST,
            "/api/v1/licences/transfer",
            Some(json!({"from_device_id": a.device_id(), "to_device_id": b.device_id()})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["moved"], 1);
    let (_, detail) = server
        .get(&format!("/api/v1/licences/{}", licence["id"]))
        .await;
    let holders: Vec<&str> = detail["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .map(|d| d["hostname"].as_str().expect("h"))
        .collect();
    assert_eq!(holders, vec!["pc-b", "pc-c"]);

    // Only disposed licences may be deleted; the status change is noted.
    let (status, body) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/licences/{}", licence["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = server
        .api(
            Method::PATCH,
            &format!("/api/v1/licences/{}", licence["id"]),
            Some(json!({"status_id": 32, "note": "契約終了", "version": detail["version"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, detail) = server
        .get(&format!("/api/v1/licences/{}", licence["id"]))
        .await;
    assert!(
        detail["notes"][0]["body"]
            .as_str()
            .is_some_and(|b| b.contains("使用中 → 滅却") && b.contains("契約終了")),
        "{detail}"
    );
    assert_eq!(
        figures(&server, &office["id"]).await["owned"],
        0,
        "disposed licences own nothing"
    );
    let (status, _) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/licences/{}", licence["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    drop(c);
    server.shutdown().await;
}
both_backends!(
    reconciliation_follows_inventories,
    reconciliation_follows_inventories
);

/// Figures split by department and limited to a scoped reader's departments.
async fn departments_and_scope(backend: Backend) {
    let server = TestServer::start(backend).await;
    let ward = created(&server, "/api/v1/departments", json!({"name": "病棟"})).await;
    let a = agent_with(&server, "ward-pc", &[("acrobat", "1")]).await;
    agent_with(&server, "office-pc", &[("acrobat", "1")]).await;
    let (status, _) = server
        .api(
            Method::PATCH,
            &format!("/api/v1/devices/{}", a.device_id()),
            Some(json!({"department_id": ward["id"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let acrobat = created(
        &server,
        "/api/v1/managed-software",
        json!({"name": "Acrobat", "rules": [{"name": "acrobat"}]}),
    )
    .await;
    created(
        &server,
        "/api/v1/licences",
        json!({"managed_id": acrobat["id"], "held": 5, "department_id": ward["id"]}),
    )
    .await;
    created(
        &server,
        "/api/v1/licences",
        json!({"managed_id": acrobat["id"], "held": 2}),
    )
    .await;
    reconcile(&server).await;
    let (_, detail) = server
        .get(&format!("/api/v1/managed-software/{}", acrobat["id"]))
        .await;
    assert_eq!(detail["figures"]["owned"], 7);
    assert_eq!(detail["figures"]["consumed"], 2);
    assert_eq!(
        detail["departments"],
        json!([
            {"department_id": ward["id"], "owned": 5, "consumed": 1, "remaining": 4, "assigned": 0},
            {"department_id": null, "owned": 2, "consumed": 1, "remaining": 1, "assigned": 0}
        ]),
        "{detail}"
    );
    let (status, body) = server
        .api(Method::POST, "/api/v1/users", Some(json!({"login": "ward", "password": "First-pass-1", "divisions": ["assets"], "all_departments": false, "departments": [ward["id"]]})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token =
        kanri_server::accounts::service::create_api_token(&server.state().db, "ward", "t", None)
            .await
            .expect("token");
    let path = format!("/api/v1/managed-software/{}", acrobat["id"]);
    let (status, scoped) = server.api_as(&token, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{scoped}");
    assert_eq!(
        (
            scoped["figures"]["owned"].clone(),
            scoped["figures"]["consumed"].clone()
        ),
        (json!(5), json!(1)),
        "{scoped}"
    );
    // Shared definitions need every department.
    let body = Some(json!({"name": "x"}));
    let (status, _) = server
        .api_as(&token, Method::POST, "/api/v1/managed-software", body)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    server.shutdown().await;
}
both_backends!(departments_and_scope, departments_and_scope);

/// Moving held licences between departments: the count leaves the source and joins the
/// target department's licence of the same product and type, created the first time; the
/// figures by department follow; what is assigned cannot move.
async fn moving_between_departments(backend: Backend) {
    let server = TestServer::start(backend).await;
    let ward = created(&server, "/api/v1/departments", json!({"name": "病棟"})).await;
    let clinic = created(&server, "/api/v1/departments", json!({"name": "外来"})).await;
    let a = agent_with(&server, "ward-pc", &[("acrobat", "1")]).await;
    let acrobat = created(
        &server,
        "/api/v1/managed-software",
        json!({"name": "Acrobat", "rules": [{"name": "acrobat"}]}),
    )
    .await;
    let source = created(
        &server,
        "/api/v1/licences",
        json!({"licence_number": "AC-1", "name": "Acrobat 2024", "managed_id": acrobat["id"],
               "held": 5, "department_id": ward["id"]}),
    )
    .await;
    let path = format!("/api/v1/licences/{}", source["id"]);
    let (status, _) = server
        .api(
            Method::POST,
            &format!("{path}/assignments"),
            Some(json!({"device_ids": [a.device_id()]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let moving =
        |count: i64, department: &Value| json!({"count": count, "department_id": department["id"]});

    let (status, body) = server
        .api(
            Method::POST,
            &format!("{path}/move"),
            Some(moving(5, &clinic)),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "one is assigned: {body}");
    let (status, _) = server
        .api(
            Method::POST,
            &format!("{path}/move"),
            Some(moving(1, &ward)),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the same department");
    let (status, moved) = server
        .api(
            Method::POST,
            &format!("{path}/move"),
            Some(moving(2, &clinic)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["created"], true);
    assert_eq!(moved["source"]["held"], 3);
    assert_eq!(
        (
            &moved["target"]["held"],
            &moved["target"]["department_id"],
            &moved["target"]["managed_id"]
        ),
        (&json!(2), &clinic["id"], &acrobat["id"]),
        "{moved}"
    );
    assert_eq!(moved["target"]["licence_number"], "", "numbers stay unique");
    let (status, again) = server
        .api(
            Method::POST,
            &format!("{path}/move"),
            Some(moving(1, &clinic)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["created"], false);
    assert_eq!(again["target"]["id"], moved["target"]["id"]);
    assert_eq!(again["target"]["held"], 3);
    assert_eq!(again["source"]["held"], 2);
    let (_, target) = server
        .get(&format!("/api/v1/licences/{}", moved["target"]["id"]))
        .await;
    assert!(target["notes"].to_string().contains("+1"), "{target}");

    reconcile(&server).await;
    let (_, detail) = server
        .get(&format!("/api/v1/managed-software/{}", acrobat["id"]))
        .await;
    assert_eq!(
        detail["figures"]["owned"], 5,
        "the total is unchanged: {detail}"
    );
    let owned: Vec<(Value, Value)> = detail["departments"]
        .as_array()
        .expect("departments")
        .iter()
        .map(|d| (d["department_id"].clone(), d["owned"].clone()))
        .collect();
    assert!(owned.contains(&(ward["id"].clone(), json!(2))), "{owned:?}");
    assert!(
        owned.contains(&(clinic["id"].clone(), json!(3))),
        "{owned:?}"
    );
    server.shutdown().await;
}

both_backends!(moving_between_departments, moving_between_departments);

/// A CSV download's records after its BOM, as `token`.
async fn exported(server: &TestServer, token: &str, path: &str) -> Vec<Vec<String>> {
    let response = server
        .client
        .get(format!("{}{path}", server.base_url))
        .bearer_auth(token)
        .send()
        .await
        .expect("download");
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    let text = response.text().await.expect("text");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes())
        .records()
        .map(|record| record.expect("record").iter().map(String::from).collect())
        .collect()
}

/// The managed software export: name, English name and rules as the import reads them, by
/// name; `exceeded=yes` keeps those exceeded over the reader's departments, as the list
/// does; the assets division only.
async fn managed_export(backend: Backend) {
    let server = TestServer::start(backend).await;
    let ward = created(&server, "/api/v1/departments", json!({"name": "病棟"})).await;
    let packages = [("acrobat", "1"), ("zip", "3.0"), ("editor", "2")];
    let a = agent_with(&server, "ward-pc", &packages).await;
    agent_with(&server, "office-pc", &packages).await;
    let (status, _) = server
        .api(
            Method::PATCH,
            &format!("/api/v1/devices/{}", a.device_id()),
            Some(json!({"department_id": ward["id"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let acrobat = created(
        &server,
        "/api/v1/managed-software",
        json!({"name": "Acrobat", "name_en": "Adobe Acrobat", "rules": [{"name": "acrobat"}]}),
    )
    .await;
    created(
        &server,
        "/api/v1/managed-software",
        json!({"name": "Zip", "rules": [{"pattern": true, "name": "zip*", "version": "3.*"}, {"name": "unzip"}]}),
    )
    .await;
    let editor = created(
        &server,
        "/api/v1/managed-software",
        json!({"name": "Editor", "rules": [{"name": "editor"}]}),
    )
    .await;
    created(
        &server,
        "/api/v1/licences",
        json!({"managed_id": acrobat["id"], "held": 5, "department_id": ward["id"]}),
    )
    .await;
    created(
        &server,
        "/api/v1/licences",
        json!({"managed_id": editor["id"], "held": 1, "department_id": ward["id"]}),
    )
    .await;
    reconcile(&server).await;

    let token = server.api_token.clone();
    let all = exported(
        &server,
        &token,
        "/api/v1/managed-software/export?encoding=utf-8&lang=ja",
    )
    .await;
    assert_eq!(
        all,
        [
            [
                "管理ソフトウェア名",
                "管理ソフトウェア名(英語)",
                "インストールソフトウェア"
            ],
            ["Acrobat", "Adobe Acrobat", "exact:acrobat"],
            ["Editor", "", "exact:editor"],
            ["Zip", "", "pattern:zip*@3.*;exact:unzip"],
        ]
    );
    // Over every department: Editor (1 held, 2 installed) and Zip (none held).
    let exceeded = exported(
        &server,
        &token,
        "/api/v1/managed-software/export?exceeded=yes&lang=en",
    )
    .await;
    assert_eq!(exceeded[0][0], "Managed software");
    let names: Vec<&str> = exceeded[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["Editor", "Zip"]);
    // Over the ward: Editor's one install there is covered.
    let (status, body) = server
        .api(Method::POST, "/api/v1/users", Some(json!({"login": "ward", "password": "First-pass-1", "divisions": ["assets"], "all_departments": false, "departments": [ward["id"]]})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let ward_token =
        kanri_server::accounts::service::create_api_token(&server.state().db, "ward", "t", None)
            .await
            .expect("token");
    let scoped = exported(
        &server,
        &ward_token,
        "/api/v1/managed-software/export?exceeded=yes",
    )
    .await;
    let names: Vec<&str> = scoped[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["Zip"]);
    assert_eq!(
        exported(&server, &ward_token, "/api/v1/managed-software/export").await,
        all,
        "the definitions are shared by every department"
    );
    let (status, body) = server
        .api(Method::POST, "/api/v1/users", Some(json!({"login": "devices", "password": "First-pass-1", "divisions": ["devices"], "all_departments": true})))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let devices_only =
        kanri_server::accounts::service::create_api_token(&server.state().db, "devices", "t", None)
            .await
            .expect("token");
    for (token, path, expected) in [
        (
            &devices_only,
            "/api/v1/managed-software/export",
            StatusCode::FORBIDDEN,
        ),
        (
            &token,
            "/api/v1/managed-software/export?encoding=ebcdic",
            StatusCode::BAD_REQUEST,
        ),
        (
            &token,
            "/api/v1/managed-software/export?sort=name",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let response = server
            .client
            .get(format!("{}{path}", server.base_url))
            .bearer_auth(token)
            .send()
            .await
            .expect("download");
        assert_eq!(response.status(), expected, "{path}");
    }
    server.shutdown().await;
}
both_backends!(managed_export, managed_export);
