//! The event list through the REST API and the console: conditions, confirmation in bulk
//! within the reader's departments, one event, CSV export with formulas neutralized.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::support::{Backend, ProtoAgent, TestServer};

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["id"].as_i64())
        .collect()
}

async fn events_filter_confirm_and_export(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    let mut devices = Vec::new();
    for name in ["kango-01", "=HYPERLINK(\"x\")", "yakuzai-01"] {
        let mut agent = ProtoAgent::new(&server, name);
        agent.enroll(&token).await;
        devices.push(agent.device_id());
    }
    // Excluding each device raises an info event naming it (code 2).
    for id in &devices {
        let (status, _) = server
            .api(
                Method::PATCH,
                &format!("/api/v1/devices/{id}"),
                Some(json!({"state": "excluded"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (_, page) = server.get("/api/v1/events?code=2&lang=en").await;
    // Newest first; reversed, they follow `devices`.
    let mut excluded = ids(&page);
    excluded.reverse();
    assert_eq!(excluded.len(), 3);
    let (_, page) = server.get("/api/v1/events?code=2&hostname=KANGO").await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(page["items"][0]["hostname"], "kango-01");
    let (_, page) = server.get("/api/v1/events?severity=emergency").await;
    assert_eq!(ids(&page), Vec::<i64>::new());
    let (_, page) = server.get("/api/v1/events?code=2&until=2000-01-01").await;
    assert_eq!(ids(&page), Vec::<i64>::new(), "nothing before 2000");
    let (_, page) = server.get("/api/v1/events?code=2&since=2000-01-01").await;
    assert_eq!(ids(&page).len(), 3);
    let (status, body) = server.get("/api/v1/events?confirmed=perhaps").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("confirmed"))
    );

    // Confirmation: counted, idempotent, reversible, with who and when.
    let confirm = |body: Value| {
        let server = &server;
        async move {
            server
                .api(Method::POST, "/api/v1/events/confirm", Some(body))
                .await
        }
    };
    let (status, done) = confirm(json!({"ids": [excluded[0], excluded[1], 99_999_999]})).await;
    assert_eq!(
        (status, done["changed"].as_u64()),
        (StatusCode::OK, Some(2))
    );
    let (_, done) = confirm(json!({"ids": [excluded[0]]})).await;
    assert_eq!(done["changed"], 0, "already confirmed");
    let (_, page) = server.get("/api/v1/events?code=2&confirmed=yes").await;
    assert_eq!(ids(&page), vec![excluded[1], excluded[0]]);
    assert_eq!(page["items"][0]["confirmed_by"], "admin");
    assert!(page["items"][0]["confirmed_at"].as_i64().unwrap_or(0) > 0);
    let (_, done) = confirm(json!({"ids": [excluded[1]], "confirmed": false})).await;
    assert_eq!(done["changed"], 1);
    let (_, page) = server.get("/api/v1/events?code=2&confirmed=no").await;
    assert_eq!(ids(&page), vec![excluded[2], excluded[1]]);
    let (status, error) = confirm(json!({"ids": []})).await;
    assert_eq!(
        (status, error["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("ids"))
    );
    let (status, _) = confirm(json!({"ids": (1..=1001).collect::<Vec<i64>>()})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A department administrator confirms and reads only its devices' events.
    let (_, nursing) = server
        .api(
            Method::POST,
            "/api/v1/departments",
            Some(json!({"name": "看護部"})),
        )
        .await;
    let (status, _) = server
        .api(
            Method::PATCH,
            &format!("/api/v1/devices/{}", devices[0]),
            Some(json!({"department_id": nursing["id"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server
        .api(
            Method::POST,
            "/api/v1/users",
            Some(
                json!({"login": "kango", "password": "First-pass-1", "divisions": ["devices"],
                "all_departments": false, "departments": [nursing["id"]]}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let scoped =
        kanri_server::accounts::service::create_api_token(&server.state().db, "kango", "t", None)
            .await
            .expect("token");
    let as_scoped = |method: Method, path: String, body: Option<Value>| {
        let server = &server;
        let scoped = scoped.clone();
        async move {
            let mut request = server
                .client
                .request(method, format!("{}{path}", server.base_url))
                .bearer_auth(scoped);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let response = request.send().await.expect("request");
            let status = response.status();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (_, page) = as_scoped(Method::GET, "/api/v1/events?code=2".into(), None).await;
    assert_eq!(ids(&page), vec![excluded[0]]);
    let (_, done) = as_scoped(
        Method::POST,
        "/api/v1/events/confirm".into(),
        Some(json!({"ids": [excluded[2]]})),
    )
    .await;
    assert_eq!(
        done["changed"], 0,
        "another department's event is left alone"
    );
    let (status, _) = as_scoped(Method::GET, format!("/api/v1/events/{}", excluded[2]), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, event) = as_scoped(
        Method::GET,
        format!("/api/v1/events/{}?lang=ja", excluded[0]),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        event["message"].as_str().unwrap_or("").contains("除外対象"),
        "{event}"
    );

    // Export: Shift_JIS with the reader's headers, the formula-like host name made text.
    let response = server
        .client
        .get(format!(
            "{}/api/v1/events/export?code=2&encoding=shift_jis&lang=ja",
            server.base_url
        ))
        .bearer_auth(&server.api_token)
        .send()
        .await
        .expect("export");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap_or(""),
        "text/csv; charset=shift_jis"
    );
    let bytes = response.bytes().await.expect("bytes");
    let (text, _, errors) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!errors);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(
        lines[0],
        "ID,日時,重大度,種別,ホスト名,内容,確認日時,確認者"
    );
    assert!(
        text.contains(",\"'=HYPERLINK("),
        "formulas neutralized: {text}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("kango-01") && l.ends_with(",admin")),
        "{text}"
    );
    let (status, body) = server.get("/api/v1/events/export?encoding=latin1").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("encoding"))
    );
    let (_, audit) = server
        .get("/api/v1/audit?category=ContentAccess&limit=500")
        .await;
    let entries = audit["items"].as_array().expect("audit");
    assert!(entries
        .iter()
        .any(|e| e["object"] == "Event" && e["op"] == "Export"));
    assert!(entries
        .iter()
        .any(|e| e["object"] == "Event" && e["op"] == "Update"));
    server.shutdown().await;
}
both_backends!(
    events_filter_confirm_and_export,
    events_filter_confirm_and_export
);
