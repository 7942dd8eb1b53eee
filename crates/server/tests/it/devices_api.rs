//! The device REST API: filters, sorting, keyset paging, edits with versions, deletion.

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

async fn list_filters_sorts_and_pages(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    let mut agents = Vec::new();
    for (index, name) in ["kango-03", "jimu-01", "kango-01", "Kango-02", "yakuzai-01"]
        .iter()
        .enumerate()
    {
        let mut agent = ProtoAgent::new(&server, name);
        agent.enroll(&token).await;
        let software: &[(&str, &str)] = if index % 2 == 0 {
            &[("libreoffice-core", "7.4")]
        } else {
            &[("bash", "5.2")]
        };
        let mut inventory = sample(name, software, 8);
        let interface = &mut inventory.network.as_mut().expect("network").interfaces[0];
        interface.ipv4 = vec![format!("10.1.0.{}/24", index + 10).as_str().into()];
        interface.mac = Some(format!("52:54:00:00:00:{:02x}", index + 1).as_str().into());
        assert_eq!(agent.upload(&inventory).await.0, StatusCode::OK);
        agents.push(agent);
    }

    // Case-insensitive "contains", sorted by host name (byte order), both directions.
    let (_, page) = server
        .get("/api/v1/devices?hostname=KANGO&sort=hostname")
        .await;
    assert_eq!(
        hostnames(&page),
        names(&["Kango-02", "kango-01", "kango-03"])
    );
    let (_, page) = server
        .get("/api/v1/devices?hostname=kango&sort=hostname&order=desc")
        .await;
    assert_eq!(
        hostnames(&page),
        names(&["kango-03", "kango-01", "Kango-02"])
    );

    // The software → devices index trails uploads by one merge.
    server.flush().await;
    // Installed software, IP, MAC (any notation) and serial.
    let (_, page) = server
        .get("/api/v1/devices?software=libreoffice-core&sort=hostname")
        .await;
    assert_eq!(
        hostnames(&page),
        names(&["kango-01", "kango-03", "yakuzai-01"])
    );
    let (_, page) = server
        .get("/api/v1/devices?software=libreoffice-core&hostname=kango&sort=hostname")
        .await;
    assert_eq!(hostnames(&page), names(&["kango-01", "kango-03"]));
    // Both plans of the software condition (chosen by install count) give the same rows.
    let filter = kanri_server::devices::model::DeviceFilter {
        software: Some("libreoffice-core".into()),
        ..Default::default()
    };
    let by_plan = |sql: &'static str| {
        let db = server.state().db.clone();
        let filter = filter.clone();
        async move {
            let sort = kanri_server::devices::model::SortKey::Hostname;
            let software = kanri_server::devices::store::SoftwareSql {
                installed: sql,
                absent: sql,
            };
            let rows = kanri_server::devices::store::list_devices(
                &db, &filter, sort, false, None, 250, software,
            )
            .await
            .expect("list");
            rows.into_iter().map(|d| d.hostname).collect::<Vec<_>>()
        }
    };
    let backend = server.state().db.backend();
    let index = || kanri_server::inventory::index_store::devices_with_software_sql(backend);
    let as_set = by_plan(index()).await;
    let probed =
        by_plan(kanri_server::inventory::index_store::device_has_software_sql(backend)).await;
    assert_eq!(as_set, names(&["kango-01", "kango-03", "yakuzai-01"]));
    assert_eq!(probed, as_set);
    let (_, page) = server.get("/api/v1/devices?ip=10.1.0.11").await;
    assert_eq!(hostnames(&page), names(&["jimu-01"]));
    let (_, page) = server.get("/api/v1/devices?mac=52-54-00-00-00-04").await;
    assert_eq!(hostnames(&page), names(&["Kango-02"]));
    // A new address replaces the old one (the network section is stored again).
    let mut moved = sample("jimu-01", &[("bash", "5.2")], 8);
    let interface = &mut moved.network.as_mut().expect("network").interfaces[0];
    interface.ipv4 = vec!["10.2.0.5/24".into(), "10.2.0.6/24".into()];
    interface.mac = Some("52:54:00:00:00:02".into());
    assert_eq!(agents[1].upload(&moved).await.0, StatusCode::OK);
    let (_, page) = server.get("/api/v1/devices?ip=10.1.0.11").await;
    assert_eq!(hostnames(&page), Vec::<String>::new());
    for ip in ["10.2.0.5", "10.2.0.6"] {
        let (_, page) = server.get(&format!("/api/v1/devices?ip={ip}")).await;
        assert_eq!(hostnames(&page), names(&["jimu-01"]));
    }
    let (_, page) = server.get("/api/v1/devices?mac=52:54:00:00:00:02").await;
    assert_eq!(hostnames(&page), names(&["jimu-01"]));
    let serial = agents[4].facts.serial.clone().expect("serial");
    let (_, page) = server
        .get(&format!("/api/v1/devices?serial={serial}"))
        .await;
    assert_eq!(hostnames(&page), names(&["yakuzai-01"]));
    let (_, page) = server
        .get("/api/v1/devices?os=gnu%2Flinux%2012&state=managed")
        .await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(5));
    let (_, page) = server.get("/api/v1/devices?hostname=%25").await;
    assert_eq!(
        page["items"].as_array().map(Vec::len),
        Some(0),
        "LIKE wildcards in input are literal"
    );

    // Keyset paging walks every device exactly once, in order.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/api/v1/devices?sort=hostname&limit=2&cursor={cursor}"),
            None => "/api/v1/devices?sort=hostname&limit=2".to_string(),
        };
        let (status, page) = server.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(hostnames(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        names(&["Kango-02", "jimu-01", "kango-01", "kango-03", "yakuzai-01"])
    );
    // A cursor from one sort order is refused by another.
    let (_, page) = server.get("/api/v1/devices?sort=hostname&limit=2").await;
    let cursor = page["next_cursor"].as_str().expect("cursor").to_string();
    let (status, _) = server
        .get(&format!("/api/v1/devices?sort=last_seen&cursor={cursor}"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, _) = server
        .client
        .get(format!("{}/api/v1/devices", server.base_url))
        .send()
        .await
        .map(|r| (r.status(), ()))
        .expect("send");
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the REST API needs a token"
    );
    server.shutdown().await;
}
both_backends!(list_filters_sorts_and_pages, list_filters_sorts_and_pages);

async fn edits_are_versioned_and_deletion_revokes(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    let mut agent = ProtoAgent::new(&server, "edit-a");
    agent.enroll(&token).await;
    let id = agent.device_id();
    let path = format!("/api/v1/devices/{id}");
    let (_, device) = server.get(&path).await;
    let version = device["version"].as_i64().expect("version");

    let (status, updated) = server
        .api(
            Method::PATCH,
            &path,
            Some(json!({"notes": "3F 経理課", "version": version})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["notes"], "3F 経理課");
    // A second administrator saving from the old version gets a conflict, not an overwrite.
    let (status, body) = server
        .api(
            Method::PATCH,
            &path,
            Some(json!({"notes": "stale", "version": version})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (_, device) = server.get(&path).await;
    assert_eq!(device["notes"], "3F 経理課");

    let (status, body) = server
        .api(
            Method::PATCH,
            &path,
            Some(json!({"notes": "x".repeat(4001)})),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("notes"))
    );
    let (status, _) = server
        .api(Method::PATCH, &path, Some(json!({"state": "excluded"})))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(server.events(2).await.len(), 1);
    let (_, reply) = agent.checkin(&sample("edit-a", &[], 8)).await;
    assert_eq!(
        reply["wanted_sections"],
        json!([]),
        "an excluded device is not asked for inventory"
    );

    let (status, _) = server.api(Method::DELETE, &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(server.get(&path).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        agent.checkin(&sample("edit-a", &[], 8)).await.0,
        StatusCode::UNAUTHORIZED
    );
    let deleted = server.events(3).await;
    assert_eq!(deleted[0]["params"]["hostname"], "edit-a");
    assert_eq!(deleted[0]["params"]["by"], "admin");
    server.shutdown().await;
}
both_backends!(
    edits_are_versioned_and_deletion_revokes,
    edits_are_versioned_and_deletion_revokes
);

/// Migration 0010 turns a failure to create the trigram index into a notice (so a database
/// without pg_trgm still starts); this makes sure it is really created on ours, and that it
/// matches the expression the devices list filters on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostname_search_uses_the_trigram_index_on_postgres() {
    let server = TestServer::start(Backend::Postgres).await;
    let index: Option<(String,)> =
        sqlx::query_as("SELECT indexdef FROM pg_indexes WHERE indexname = 'devices_hostname_trgm'")
            .fetch_optional(server.state().db.read())
            .await
            .expect("indexes");
    assert!(index.is_some(), "migration 0010 did not create the index");
    let mut tx = server.state().db.read().begin().await.expect("begin");
    // Too few rows for the planner to prefer an index by itself: rule out the table scan
    // and the plain host name index (dropped inside this transaction, which is rolled back)
    // to see whether the trigram index can serve the expression at all.
    for statement in [
        "SET LOCAL enable_seqscan = off",
        "DROP INDEX devices_hostname",
    ] {
        sqlx::query(statement)
            .execute(&mut *tx)
            .await
            .expect(statement);
    }
    let sql = format!(
        "EXPLAIN SELECT d.id FROM devices d WHERE {}",
        kanri_server::devices::store::HOSTNAME_CONTAINS_SQL.replace('?', "$1")
    );
    let plan: Vec<(String,)> = sqlx::query_as(&sql)
        .bind("%kango%")
        .fetch_all(&mut *tx)
        .await
        .expect("explain");
    let plan: Vec<String> = plan.into_iter().map(|(line,)| line).collect();
    assert!(
        plan.iter()
            .any(|line| line.contains("devices_hostname_trgm")),
        "plan does not use the trigram index: {plan:#?}"
    );
    tx.rollback().await.expect("rollback");
    server.shutdown().await;
}

/// The server keeps the section hashes an upload declares (as it trusts the check-in's)
/// instead of hashing the body again: a check-in reporting other hashes is asked for exactly
/// the sections whose declared hash differs.
async fn declared_section_hashes_are_kept(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    let mut agent = ProtoAgent::new(&server, "decl-a");
    agent.enroll(&token).await;
    let inventory = sample("decl-a", &[("bash", "5.2")], 8);
    let hashes = |software: Option<&str>| {
        inventory
            .present()
            .into_iter()
            .map(|kind| {
                let hash = match (kind, software) {
                    (kanri_proto::SectionKind::Software, Some(declared)) => declared.to_string(),
                    _ => inventory.section_hash(kind).expect("present"),
                };
                (kind, hash.as_str().into())
            })
            .collect()
    };
    let (status, body) = agent
        .upload_declaring(&inventory, hashes(Some(&"a".repeat(64))))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, reply) = agent.checkin(&inventory).await;
    assert_eq!(reply["wanted_sections"], json!(["software"]));

    let (status, body) = agent.upload_declaring(&inventory, hashes(None)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, reply) = agent.checkin(&inventory).await;
    assert_eq!(reply["wanted_sections"], json!([]));
    let (_, software) = server
        .get(&format!("/api/v1/devices/{}/software", agent.device_id()))
        .await;
    assert_eq!(software["items"][0]["name"], "bash");
    server.shutdown().await;
}
both_backends!(
    declared_section_hashes_are_kept,
    declared_section_hashes_are_kept
);

/// Buffered contact times reach the devices in batches larger than one statement's chunk, and
/// an older time never replaces a newer one.
async fn last_seen_flush_moves_forward_only(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    let mut ids = Vec::new();
    for name in ["uketsuke-01", "uketsuke-02"] {
        let mut agent = ProtoAgent::new(&server, name);
        agent.enroll(&token).await;
        assert_eq!(agent.checkin(&sample(name, &[], 1)).await.0, StatusCode::OK);
        ids.push(agent.device_id());
    }
    server.flush().await;
    let last_seen = |body: &Value| body["last_seen"].as_i64().expect("last_seen");
    let (_, first) = server.get(&format!("/api/v1/devices/{}", ids[0])).await;
    let (_, second) = server.get(&format!("/api/v1/devices/{}", ids[1])).await;
    let (first_seen, second_seen) = (last_seen(&first), last_seen(&second));
    assert!(first_seen > 0 && second_seen > 0, "{first} {second}");

    // 12,000 entries for devices that do not exist, then the two real ones at the end.
    let mut entries: Vec<(i64, i64)> = (1..=12_000).map(|n| (1_000_000 + n, n)).collect();
    entries.push((ids[0], first_seen - 60_000));
    entries.push((ids[1], second_seen + 60_000));
    kanri_server::devices::store::update_last_seen(&server.state().db, &entries)
        .await
        .expect("update");

    let (_, first) = server.get(&format!("/api/v1/devices/{}", ids[0])).await;
    let (_, second) = server.get(&format!("/api/v1/devices/{}", ids[1])).await;
    assert_eq!(
        last_seen(&first),
        first_seen,
        "an older time moved last_seen back"
    );
    assert_eq!(last_seen(&second), second_seen + 60_000);
}

both_backends!(
    last_seen_flush_moves_forward_only,
    last_seen_flush_moves_forward_only
);

/// On PostgreSQL the last-seen flush must stay a heap-only update (migration 0014): an index
/// on `last_seen` again would make each of its thousands of updates per flush write every
/// index of `devices`, which took check-ins' p99 from 8 to 61 ms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_seen_flush_is_heap_only_on_postgres() {
    let server = TestServer::start(Backend::Postgres).await;
    let token = server.enrollment_token(None, None).await;
    let mut entries = Vec::new();
    for name in ["kango-01", "kango-02", "kango-03"] {
        let mut agent = ProtoAgent::new(&server, name);
        agent.enroll(&token).await;
        entries.push((agent.device_id(), i64::MAX / 2));
    }
    let db = &server.state().db;
    // The backend's pending counters may still hold earlier transactions' updates on this
    // connection (enrollment's), which are not flushed at once: count the difference.
    let counters = "SELECT pg_stat_get_xact_tuples_updated('devices'::regclass), \
                    pg_stat_get_xact_tuples_hot_updated('devices'::regclass)";
    let mut tx = db.write().begin().await.expect("begin");
    let (updated_before, heap_only_before): (i64, i64) = sqlx::query_as(counters)
        .fetch_one(&mut *tx)
        .await
        .expect("statistics");
    kanri_server::devices::store::update_last_seen_in(&mut tx, db.backend(), &entries)
        .await
        .expect("update");
    let (updated, heap_only): (i64, i64) = sqlx::query_as(counters)
        .fetch_one(&mut *tx)
        .await
        .expect("statistics");
    let (updated, heap_only) = (updated - updated_before, heap_only - heap_only_before);
    tx.rollback().await.expect("rollback");
    // At least three: a row the server's own flush job changed meanwhile can count twice.
    assert!(
        updated >= 3,
        "the flush updated {updated} rows, not the three devices"
    );
    assert_eq!(heap_only, updated, "last-seen updates touched an index");
    server.shutdown().await;
}
