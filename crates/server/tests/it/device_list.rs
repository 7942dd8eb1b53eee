//! The device list framework through the REST API: combined conditions (CIDR, not
//! installed, last-seen range, department subtree), sorting on any column, bulk actions under
//! the single-device rules, append-only notes, saved filters and column choices.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::support::inventory::sample;
use crate::support::{Backend, ProtoAgent, TestServer};

fn hostnames(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|d| d["hostname"].as_str().map(String::from))
        .collect()
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// An account (with a token) that works on devices in `departments` only.
async fn scoped_account(server: &TestServer, login: &str, departments: &[&Value]) -> String {
    let ids: Vec<Value> = departments.iter().map(|d| d["id"].clone()).collect();
    let (status, body) = server
        .api(
            Method::POST,
            "/api/v1/users",
            Some(json!({
                "login": login, "password": "First-pass-1", "divisions": ["devices"],
                "all_departments": false, "departments": ids
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    kanri_server::accounts::service::create_api_token(&server.state().db, login, "tests", None)
        .await
        .expect("token")
}

async fn department(server: &TestServer, name: &str, parent: Option<&Value>) -> Value {
    let (status, created) = server
        .api(
            Method::POST,
            "/api/v1/departments",
            Some(json!({"name": name, "parent_id": parent.map(|p| p["id"].clone())})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    created
}

async fn move_to(server: &TestServer, device: i64, department: &Value) {
    let (status, body) = server
        .api(
            Method::PATCH,
            &format!("/api/v1/devices/{device}"),
            Some(json!({"department_id": department["id"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// Five devices: name, IPv4 addresses, software, memory in GiB.
async fn estate(server: &TestServer) -> Vec<ProtoAgent> {
    let token = server.enrollment_token(None, None).await;
    let mut agents = Vec::new();
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
        agent.enroll(&token).await;
        let mut inventory = sample(name, &[(software, "1.0")], memory);
        let interface = &mut inventory.network.as_mut().expect("network").interfaces[0];
        interface.ipv4 = ips.iter().map(|ip| (*ip).into()).collect();
        assert_eq!(agent.upload(&inventory).await.0, StatusCode::OK);
        agents.push(agent);
    }
    server.flush().await;
    agents
}

async fn conditions_combine(backend: Backend) {
    let server = TestServer::start(backend).await;
    let agents = estate(&server).await;
    let list = |query: &str| {
        let server = &server;
        let path = format!("/api/v1/devices?sort=hostname&{query}");
        async move {
            let (status, page) = server.get(&path).await;
            assert_eq!(status, StatusCode::OK, "{path}: {page}");
            hostnames(&page)
        }
    };

    // Address blocks, compared as addresses (10.1.10.1 sorts before 10.1.2.x as text).
    assert_eq!(
        list("ip=10.1.0.0/16").await,
        names(&["kango-01", "kango-02", "kensa-01"])
    );
    assert_eq!(list("ip=10.1.0.0/24").await, names(&["kango-01"]));
    assert_eq!(
        list("ip=10.0.0.0/8").await,
        names(&["jimu-01", "kango-01", "kango-02", "kensa-01"])
    );
    assert_eq!(
        list("ip=192.168.5.9").await,
        names(&["jimu-01"]),
        "any address, not only the first"
    );
    assert_eq!(list("ip=10.2.0.5/32").await, names(&["jimu-01"]));
    let (status, body) = server.get("/api/v1/devices?ip=10.0.0.0/40").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("ip"))
    );
    // Rows stored before the keys existed get them at start-up.
    sqlx::query("UPDATE device_addresses SET ip_key = NULL")
        .execute(server.state().db.write())
        .await
        .expect("forget keys");
    assert!(list("ip=10.1.0.0/16").await.is_empty());
    let filled = kanri_server::devices::addresses::backfill_ip_keys(&server.state().db)
        .await
        .expect("backfill");
    assert_eq!(filled, 6, "every stored IP");
    assert_eq!(
        list("ip=10.1.0.0/16").await,
        names(&["kango-01", "kango-02", "kensa-01"])
    );

    // Not installed, also combined with a block.
    assert_eq!(
        list("no_software=libreoffice-core").await,
        names(&["kango-02", "kensa-01", "yakuzai-01"])
    );
    assert_eq!(
        list("no_software=libreoffice-core&ip=10.1.0.0/16").await,
        names(&["kango-02", "kensa-01"])
    );
    assert_eq!(list("no_software=no-such-package").await.len(), 5);

    // Last contact: days in the account's zone (Asia/Tokyo for admin), instants, and "not
    // seen for N days" counted from now.
    let day = 86_400_000_i64;
    let now = kanri_server::core::time::now_ms();
    let tokyo_2026_11_01 = 1_793_458_800_000_i64;
    for (agent, last_seen) in [
        (&agents[0], tokyo_2026_11_01 - 1),
        (&agents[1], tokyo_2026_11_01),
        (&agents[2], 1_577_804_400_000), // 2020-01-01 in Tokyo
        (&agents[3], now - 2 * day),
        (&agents[4], now),
    ] {
        sqlx::query("UPDATE devices SET last_seen = $1 WHERE id = $2")
            .bind(last_seen)
            .bind(agent.device_id())
            .execute(server.state().db.write())
            .await
            .expect("last seen");
    }
    assert_eq!(
        list("seen_before=2026-11-01").await,
        names(&["jimu-01", "kango-01"]),
        "before Tokyo's midnight"
    );
    assert_eq!(
        list("seen_after=2026-11-01&seen_before=2026-11-02").await,
        names(&["kango-02"])
    );
    assert_eq!(
        list("unseen_days=3").await,
        names(&["jimu-01", "kango-01", "kango-02"])
    );
    assert_eq!(
        list("unseen_days=1").await,
        names(&["jimu-01", "kango-01", "kango-02", "yakuzai-01"])
    );
    assert_eq!(
        list("seen_after=2026-10-31T15:00:00Z&unseen_days=1").await,
        names(&["kango-02", "yakuzai-01"])
    );
    let (status, body) = server.get("/api/v1/devices?seen_after=tomorrow").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("seen_after"))
    );

    // A department means its whole subtree; "none" the devices without one.
    let hospital = department(&server, "本院", None).await;
    let nursing = department(&server, "看護部", Some(&hospital)).await;
    let pharmacy = department(&server, "薬剤部", None).await;
    move_to(&server, agents[0].device_id(), &nursing).await;
    move_to(&server, agents[1].device_id(), &hospital).await;
    move_to(&server, agents[3].device_id(), &pharmacy).await;
    assert_eq!(
        list(&format!("department={}", hospital["id"])).await,
        names(&["kango-01", "kango-02"])
    );
    assert_eq!(
        list(&format!("department={}", nursing["id"])).await,
        names(&["kango-01"])
    );
    assert_eq!(
        list("department=none").await,
        names(&["jimu-01", "kensa-01"])
    );
    // A scoped account asking for another department gets nothing of it.
    let token = scoped_account(&server, "yakuzai-admin", &[&pharmacy]).await;
    let (status, page) = server
        .api_as(
            &token,
            Method::GET,
            &format!("/api/v1/devices?department={}", hospital["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(hostnames(&page).is_empty());
    let (_, page) = server
        .api_as(&token, Method::GET, "/api/v1/devices?department=none", None)
        .await;
    assert!(
        hostnames(&page).is_empty(),
        "no-department devices are outside its scope"
    );

    // Locations: a subtree like departments, "none", set one by one or in bulk; no scope.
    let create_location = |name: &'static str, parent: Option<Value>| {
        let server = &server;
        async move {
            let (status, created) = server
                .api(
                    Method::POST,
                    "/api/v1/locations",
                    Some(json!({"name": name, "parent_id": parent.map(|p| p["id"].clone())})),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{created}");
            created
        }
    };
    let building = create_location("本館", None).await;
    let floor = create_location("3F", Some(building.clone())).await;
    let (status, body) = server
        .api(
            Method::POST,
            "/api/v1/locations",
            Some(json!({"name": "3F", "parent_id": building["id"]})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("name_taken"))
    );
    let (status, device) = server
        .api(
            Method::PATCH,
            &format!("/api/v1/devices/{}", agents[0].device_id()),
            Some(json!({"location_id": floor["id"]})),
        )
        .await;
    assert_eq!(
        (status, &device["location_id"]),
        (StatusCode::OK, &floor["id"]),
        "{device}"
    );
    let (status, body) = server
        .api(
            Method::PATCH,
            &format!("/api/v1/devices/{}", agents[0].device_id()),
            Some(json!({"location_id": 999_999})),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("location_id"))
    );
    let (status, outcome) = server
        .api(
            Method::POST,
            "/api/v1/devices/bulk",
            Some(json!({"ids": [agents[1].device_id(), agents[2].device_id()], "action": "set_location", "location_id": building["id"]})),
        )
        .await;
    assert_eq!(
        (status, outcome["done"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(2)),
        "{outcome}"
    );
    assert_eq!(
        list(&format!("location={}", building["id"])).await,
        names(&["jimu-01", "kango-01", "kango-02"]),
        "the building and the floor in it"
    );
    assert_eq!(
        list(&format!("location={}", floor["id"])).await,
        names(&["kango-01"])
    );
    assert_eq!(
        list("location=none").await,
        names(&["kensa-01", "yakuzai-01"])
    );
    let (status, body) = server.get("/api/v1/devices?location=roof").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("location"))
    );
    let (_, seen) = server
        .api_as(&token, Method::GET, "/api/v1/locations", None)
        .await;
    assert_eq!(
        seen.as_array().map(Vec::len),
        Some(2),
        "locations do not scope: {seen}"
    );
    let (status, _) = server
        .api_as(
            &token,
            Method::POST,
            "/api/v1/locations",
            Some(json!({"name": "別館"})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "system administrators edit them"
    );
    let (status, _) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/locations/{}", building["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "it has a floor");
    let (status, _) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/locations/{}", floor["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, device) = server
        .get(&format!("/api/v1/devices/{}", agents[0].device_id()))
        .await;
    assert_eq!(
        device["location_id"],
        Value::Null,
        "a deleted location leaves its devices"
    );
    let (_, audit) = server.get("/api/v1/audit?object=Location").await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(3), "{audit}");

    // Any column sorts, numbers as numbers, and keyset paging walks each device once.
    for (sort, order, expected) in [
        (
            "memory",
            "desc",
            ["yakuzai-01", "kango-02", "kango-01", "jimu-01", "kensa-01"],
        ),
        (
            "memory",
            "asc",
            ["kensa-01", "jimu-01", "kango-01", "kango-02", "yakuzai-01"],
        ),
        (
            "last_seen",
            "asc",
            ["jimu-01", "kango-01", "kango-02", "yakuzai-01", "kensa-01"],
        ),
    ] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/devices?sort={sort}&order={order}&limit=2");
            if let Some(cursor) = &cursor {
                path.push_str(&format!("&cursor={cursor}"));
            }
            let (status, page) = server.get(&path).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            seen.extend(hostnames(&page));
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => break,
            }
        }
        assert_eq!(seen, names(&expected), "{sort} {order}");
    }
    for sort in [
        "state",
        "ip",
        "mac",
        "serial",
        "manufacturer",
        "model",
        "agent_version",
        "inventory_at",
        "created_at",
    ] {
        let (status, page) = server
            .get(&format!("/api/v1/devices?sort={sort}&limit=3"))
            .await;
        assert_eq!(status, StatusCode::OK, "{sort}: {page}");
        let cursor = page["next_cursor"]
            .as_str()
            .expect("a next page")
            .to_string();
        let (status, rest) = server
            .get(&format!(
                "/api/v1/devices?sort={sort}&limit=3&cursor={cursor}"
            ))
            .await;
        assert_eq!(status, StatusCode::OK, "{sort}: {rest}");
        let mut all = hostnames(&page);
        all.extend(hostnames(&rest));
        all.sort();
        assert_eq!(
            all,
            names(&["jimu-01", "kango-01", "kango-02", "kensa-01", "yakuzai-01"]),
            "{sort}"
        );
    }
    // The export's packed page reader returns the very rows of the row-by-row reader.
    let db = server.state().db.clone();
    let sql = kanri_server::inventory::index_store::devices_with_software_sql(db.backend());
    let software = kanri_server::devices::store::SoftwareSql {
        installed: sql,
        absent: sql,
    };
    for (sort, descending) in [
        (kanri_server::devices::model::SortKey::Hostname, false),
        (kanri_server::devices::model::SortKey::Memory, true),
        (kanri_server::devices::model::SortKey::Id, false),
    ] {
        let filter = kanri_server::devices::model::DeviceFilter {
            software_absent: Some("no-such-package".into()),
            ..Default::default()
        };
        let rows = kanri_server::devices::store::list_devices(
            &db, &filter, sort, descending, None, 4, software,
        )
        .await
        .expect("rows");
        let packed = kanri_server::devices::store::list_devices_packed(
            &db, &filter, sort, descending, None, 4, software,
        )
        .await
        .expect("packed");
        let ids = |devices: &[kanri_server::devices::model::Device]| {
            devices
                .iter()
                .map(|d| (d.id, d.hostname.clone(), d.department_id, d.memory_bytes))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&packed), ids(&rows), "{sort:?}");
        assert_eq!(rows.len(), 4);
    }
    let (status, body) = server.get("/api/v1/devices?sort=department").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("sort"))
    );
    server.shutdown().await;
}
both_backends!(conditions_combine, conditions_combine);

async fn bulk_actions_follow_single_device_rules(backend: Backend) {
    let server = TestServer::start_with(backend, |config| config.licence_devices = Some(3)).await;
    let token = server.enrollment_token(None, None).await;
    let mut ids = Vec::new();
    for name in ["pc-01", "pc-02", "pc-03"] {
        let mut agent = ProtoAgent::new(&server, name);
        let (status, body) = agent.enroll(&token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        ids.push(agent.device_id());
    }
    let bulk = |body: Value| {
        let server = &server;
        async move {
            server
                .api(Method::POST, "/api/v1/devices/bulk", Some(body))
                .await
        }
    };
    let (status, outcome) =
        bulk(json!({"ids": [ids[0], ids[1], ids[0]], "action": "exclude"})).await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(outcome["done"], json!([ids[0], ids[1]]), "each device once");
    // Two discovered devices (as discovery will bring them) next to the one still managed.
    let mut discovered = Vec::new();
    for name in ["found-01", "found-02"] {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO devices (state, hostname, serial, hw_uuid, created_at, updated_at, last_seen) \
             VALUES ('discovered', $1, '', '', 1, 1, 0) RETURNING id",
        )
        .bind(name)
        .fetch_one(server.state().db.write())
        .await
        .expect("discovered device");
        discovered.push(id);
    }
    let licence_events_before = server.events(4).await.len();
    let wanted = [ids[0], discovered[0], discovered[1], ids[1]];
    let (status, outcome) = bulk(json!({"ids": wanted, "action": "manage"})).await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(
        outcome["done"],
        json!([ids[0], discovered[0]]),
        "up to the cap of 3"
    );
    let failed = outcome["failed"].as_array().expect("failed");
    assert_eq!(failed.len(), 2);
    for (failure, id) in failed.iter().zip([discovered[1], ids[1]]) {
        assert_eq!(failure["id"], id);
        assert_eq!(failure["code"], "licence_exceeded");
    }
    assert_eq!(
        server.events(4).await.len(),
        licence_events_before + 1,
        "one licence event for the refused rest, not one per device"
    );
    let (_, device) = server
        .get(&format!("/api/v1/devices/{}", discovered[1]))
        .await;
    assert_eq!(device["state"], "discovered", "nothing half-done");

    // Departments: the whole request is refused for a department outside the actor's scope;
    // devices outside it are reported one by one.
    let nursing = department(&server, "看護部", None).await;
    let pharmacy = department(&server, "薬剤部", None).await;
    move_to(&server, ids[2], &pharmacy).await;
    let scoped = scoped_account(&server, "kango-admin", &[&nursing]).await;
    move_to(&server, ids[0], &nursing).await;
    let (status, body) = server.api_as(&scoped,
        Method::POST,
        "/api/v1/devices/bulk",
        Some(json!({"ids": [ids[0]], "action": "set_department", "department_id": pharmacy["id"]})),
    )
    .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("department_id"))
    );
    let (status, outcome) = server.api_as(&scoped,
        Method::POST,
        "/api/v1/devices/bulk",
        Some(json!({"ids": [ids[0], ids[2]], "action": "add_note", "body": "点検済み <b>OK</b>"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(outcome["done"], json!([ids[0]]));
    assert_eq!(
        outcome["failed"][0]["code"], "not_found",
        "outside its scope, existence not revealed"
    );
    let (status, outcome) =
        bulk(json!({"ids": [ids[1], ids[2]], "action": "set_department", "department_id": null}))
            .await;
    assert_eq!(
        (status, outcome["done"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(2))
    );
    let (_, device) = server.get(&format!("/api/v1/devices/{}", ids[2])).await;
    assert_eq!(device["department_id"], Value::Null);

    // Bad requests change nothing.
    for (body, field) in [
        (json!({"ids": [], "action": "exclude"}), "ids"),
        (
            json!({"ids": (1..=1001).collect::<Vec<i64>>(), "action": "exclude"}),
            "ids",
        ),
        (
            json!({"ids": [ids[0]], "action": "add_note", "body": "  "}),
            "body",
        ),
        (
            json!({"ids": [ids[0]], "action": "add_note", "body": "x".repeat(4001)}),
            "body",
        ),
        (
            json!({"ids": [ids[0]], "action": "add_note", "body": "a\u{7}b"}),
            "body",
        ),
        (
            json!({"ids": [ids[0]], "action": "set_department", "department_id": 999_999}),
            "department_id",
        ),
    ] {
        let (status, error) = bulk(body).await;
        assert_eq!(
            (status, error["field"].as_str()),
            (StatusCode::BAD_REQUEST, Some(field)),
            "{error}"
        );
    }
    let (status, _) = bulk(json!({"ids": [ids[0]], "action": "paint"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Deletion, audited per device.
    let (status, outcome) =
        bulk(json!({"ids": [discovered[0], discovered[1]], "action": "delete"})).await;
    assert_eq!(
        (status, outcome["done"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(2))
    );
    let (status, _) = server
        .get(&format!("/api/v1/devices/{}", discovered[0]))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, audit) = server
        .get("/api/v1/audit?category=ContentAccess&limit=500")
        .await;
    let deleted: Vec<&str> = audit["items"]
        .as_array()
        .expect("audit")
        .iter()
        .filter(|entry| entry["op"] == "Delete" && entry["object"] == "DeviceInfo")
        .filter_map(|entry| entry["object_id"].as_str())
        .collect();
    for id in &discovered {
        assert!(deleted.contains(&id.to_string().as_str()), "{audit}");
    }
    server.shutdown().await;
}
both_backends!(
    bulk_actions_follow_single_device_rules,
    bulk_actions_follow_single_device_rules
);

async fn notes_are_append_only(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    let mut agent = ProtoAgent::new(&server, "note-pc");
    agent.enroll(&token).await;
    let path = format!("/api/v1/devices/{}/notes", agent.device_id());
    for body in ["2F 受付へ移設", "メモリ増設\n8 GB → 16 GB"] {
        let (status, note) = server
            .api(Method::POST, &path, Some(json!({ "body": body })))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{note}");
        assert_eq!(
            (note["author"].as_str(), note["body"].as_str()),
            (Some("admin"), Some(body))
        );
    }
    let (status, notes) = server.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    let bodies: Vec<&str> = notes
        .as_array()
        .expect("notes")
        .iter()
        .filter_map(|n| n["body"].as_str())
        .collect();
    assert_eq!(
        bodies,
        vec!["2F 受付へ移設", "メモリ増設\n8 GB → 16 GB"],
        "oldest first"
    );
    let note = &notes[0];
    assert!(note["created_at"].as_i64().unwrap_or(0) > 0);
    for method in [Method::PUT, Method::DELETE, Method::PATCH] {
        let (status, _) = server
            .api(
                method.clone(),
                &format!("{path}/{}", note["id"]),
                Some(json!({"body": "changed"})),
            )
            .await;
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::METHOD_NOT_ALLOWED,
            "{method}: {status}"
        );
    }
    let (status, error) = server
        .api(Method::POST, &path, Some(json!({"body": "x".repeat(4001)})))
        .await;
    assert_eq!(
        (status, error["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("body"))
    );
    assert!(
        error["message"].as_str().unwrap_or("").contains("4000"),
        "the limit is named: {error}"
    );
    let (status, _) = server
        .api(
            Method::POST,
            "/api/v1/devices/999999/notes",
            Some(json!({"body": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, notes) = server.get(&path).await;
    assert_eq!(
        notes.as_array().map(Vec::len),
        Some(2),
        "refused notes left nothing"
    );
    server.shutdown().await;
}
both_backends!(notes_are_append_only, notes_are_append_only);

async fn saved_filters_and_columns(backend: Backend) {
    let server = TestServer::start(backend).await;
    let save = |body: Value| {
        let server = &server;
        async move {
            server
                .api(Method::POST, "/api/v1/saved-filters", Some(body))
                .await
        }
    };
    let (status, private) = save(json!({"list": "devices", "name": "看護部の管理対象", "query": "state=managed&hostname=kango"})).await;
    assert_eq!(status, StatusCode::CREATED, "{private}");
    let (status, shared) = save(json!({"list": "devices", "name": "30日未接続", "shared": true, "query": "?unseen_days=30"})).await;
    assert_eq!(status, StatusCode::CREATED, "{shared}");
    assert_eq!(shared["query"], "unseen_days=30");
    let (status, error) =
        save(json!({"list": "devices", "name": "看護部の管理対象", "query": "state=excluded"}))
            .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("name_taken"))
    );
    let (status, error) =
        save(json!({"list": "devices", "name": "bad", "query": "ip=10.0.0.0/99"})).await;
    assert_eq!(
        (status, error["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("ip")),
        "a filter that would not open is refused"
    );
    let (status, _) = save(json!({"list": "nothing", "name": "x", "query": ""})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = save(json!({"list": "devices", "name": "x".repeat(101), "query": ""})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let ward = department(&server, "病棟", None).await;
    let other = scoped_account(&server, "other", &[&ward]).await;
    let (_, listed) = server
        .api_as(
            &other,
            Method::GET,
            "/api/v1/saved-filters?list=devices",
            None,
        )
        .await;
    let seen: Vec<&str> = listed
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|f| f["name"].as_str())
        .collect();
    assert_eq!(seen, vec!["30日未接続"], "only the shared one");
    let (status, _) = server
        .api_as(
            &other,
            Method::DELETE,
            &format!("/api/v1/saved-filters/{}", private["id"]),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another's private filter is invisible"
    );
    let (status, _) = server
        .api_as(
            &other,
            Method::DELETE,
            &format!("/api/v1/saved-filters/{}", shared["id"]),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "only the owner or a system administrator"
    );
    let (_, mine) = server.get("/api/v1/saved-filters?list=devices").await;
    assert_eq!(mine.as_array().map(Vec::len), Some(2));
    let (status, _) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/saved-filters/{}", private["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Columns: per account, in the chosen order, only known ones.
    let (_, columns) = server.get("/api/v1/list-columns/devices").await;
    assert_eq!(columns["columns"][0], "hostname", "the default");
    let (status, error) = server
        .api(
            Method::PUT,
            "/api/v1/list-columns/devices",
            Some(json!({"columns": ["serial", "password"]})),
        )
        .await;
    assert_eq!(
        (status, error["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("columns"))
    );
    let (status, error) = server
        .api(
            Method::PUT,
            "/api/v1/list-columns/devices",
            Some(json!({"columns": []})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    let (status, columns) = server
        .api(
            Method::PUT,
            "/api/v1/list-columns/devices",
            Some(json!({"columns": ["serial", "hostname", "memory", "serial"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(columns["columns"], json!(["serial", "hostname", "memory"]));
    let (_, columns) = server.get("/api/v1/list-columns/devices").await;
    assert_eq!(columns["columns"], json!(["serial", "hostname", "memory"]));
    let (_, theirs) = server
        .api_as(&other, Method::GET, "/api/v1/list-columns/devices", None)
        .await;
    assert_eq!(
        theirs["columns"][0], "hostname",
        "another account keeps the default"
    );
    let (status, error) = server
        .api(
            Method::PUT,
            "/api/v1/list-columns/events",
            Some(json!({"columns": ["message"]})),
        )
        .await;
    assert_eq!(
        (status, error["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("fixed_columns")),
        "the event list has no column chooser"
    );
    server.shutdown().await;
}
both_backends!(saved_filters_and_columns, saved_filters_and_columns);

/// The software catalogue counts installs over the devices the reader sees, and finds what
/// is new; the home dashboard's panels count what the lists they link to show.
async fn software_and_dashboard_in_scope(backend: Backend) {
    let server = TestServer::start(backend).await;
    let agents = estate(&server).await;
    let nursing = department(&server, "看護部", None).await;
    move_to(&server, agents[0].device_id(), &nursing).await; // kango-01: libreoffice-core
    move_to(&server, agents[1].device_id(), &nursing).await; // kango-02: bash
                                                             // Old news: bash was first seen long ago.
    sqlx::query("UPDATE software SET first_seen = 1 WHERE name = 'bash'")
        .execute(server.state().db.write())
        .await
        .expect("age bash");
    let counts = |page: &Value| -> Vec<(String, i64)> {
        let mut rows: Vec<(String, i64)> = page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|s| {
                (
                    s["name"].as_str().unwrap_or("").to_string(),
                    s["install_count"].as_i64().unwrap_or(-1),
                )
            })
            .collect();
        rows.sort();
        rows
    };
    let (_, all) = server.get("/api/v1/software").await;
    assert_eq!(
        counts(&all),
        vec![("bash".to_string(), 3), ("libreoffice-core".to_string(), 2)]
    );
    let (_, new) = server.get("/api/v1/software?new_days=7").await;
    assert_eq!(counts(&new), vec![("libreoffice-core".to_string(), 2)]);
    let token = scoped_account(&server, "kango-admin", &[&nursing]).await;
    let (status, scoped) = server
        .api_as(&token, Method::GET, "/api/v1/software", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        counts(&scoped),
        vec![("bash".to_string(), 1), ("libreoffice-core".to_string(), 1)],
        "counted over its own devices only"
    );
    let (_, scoped) = server
        .api_as(
            &token,
            Method::GET,
            "/api/v1/software?name=libre&new_days=7",
            None,
        )
        .await;
    assert_eq!(counts(&scoped), vec![("libreoffice-core".to_string(), 1)]);
    let (_, paged) = server
        .api_as(&token, Method::GET, "/api/v1/software?limit=1", None)
        .await;
    let cursor = paged["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_string();
    let (_, rest) = server
        .api_as(
            &token,
            Method::GET,
            &format!("/api/v1/software?limit=1&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(counts(&paged).len() + counts(&rest).len(), 2);
    assert_ne!(counts(&paged), counts(&rest));

    // Dashboard counts, within scope.
    let state = server.state().clone();
    let admin = kanri_server::accounts::auth::actor_for(
        &state.db,
        &kanri_server::accounts::store::get_user(
            &state.db,
            kanri_server::accounts::store::get_user_id(&state.db, "admin")
                .await
                .expect("admin"),
        )
        .await
        .expect("admin"),
    )
    .await
    .expect("actor");
    sqlx::query("UPDATE devices SET last_seen = $1 WHERE id = $2")
        .bind(kanri_server::core::time::now_ms() - 40 * 86_400_000)
        .bind(agents[2].device_id())
        .execute(state.db.write())
        .await
        .expect("age a device");
    let summary = kanri_server::devices::service::summary(&state, &admin)
        .await
        .expect("summary");
    assert_eq!(summary.unseen, vec![(7, 1), (30, 1), (90, 0)]);
    let (_, list) = server
        .get("/api/v1/devices?state=managed&unseen_days=30")
        .await;
    assert_eq!(
        hostnames(&list),
        names(&["jimu-01"]),
        "the panel's link shows what it counted"
    );
    let new = kanri_server::inventory::service::count_new_software(
        &state,
        &admin,
        kanri_server::core::time::now_ms() - 7 * 86_400_000,
    )
    .await
    .expect("new software");
    assert_eq!(new, 1);
    server.shutdown().await;
}
both_backends!(
    software_and_dashboard_in_scope,
    software_and_dashboard_in_scope
);
