//! Malformed, oversized and hostile payloads: a clear 4xx naming the field, an event, and
//! nothing written.

use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;
use reqwest::StatusCode;

use crate::both_backends;
use crate::support::inventory::sample;
use crate::support::{Backend, ProtoAgent, TestServer};

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(data).expect("gzip");
    encoder.finish().expect("gzip")
}

async fn rejected_uploads_write_nothing(backend: Backend) {
    let server = TestServer::start_with(backend, |config| {
        config.http = true;
        config.max_body_bytes = 1024 * 1024;
    })
    .await;
    let token = server.enrollment_token(None, None).await;
    let mut agent = ProtoAgent::new(&server, "bad-a");
    agent.enroll(&token).await;
    let id = agent.device_id();
    assert_eq!(
        agent
            .upload(&sample("bad-a", &[("bash", "5.2")], 8))
            .await
            .0,
        StatusCode::OK
    );
    let (_, before) = server.get(&format!("/api/v1/devices/{id}")).await;

    let good = serde_json::to_string(&serde_json::json!({
        "host_id": agent.host_id, "agent_version": "1", "collected_at": 0, "facts": {"hostname": "bad-a"},
        "inventory": {"software": {"packages": [{"name": "NAME", "version": "1", "arch": "amd64", "source": "dpkg"}]}}
    }))
    .expect("json");

    // A control character in a package name.
    let control = good.replace("NAME", "evil\\u001b[31m");
    let (status, body) = agent
        .post_raw("/agent/v1/inventory", control.into_bytes(), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "inventory.software.packages[0].name");
    assert_eq!(body["code"], "invalid_payload");

    // Invalid UTF-8.
    let mut invalid = good.clone().into_bytes();
    let at = invalid.windows(4).position(|w| w == b"NAME").expect("name");
    invalid[at] = 0xc3;
    invalid[at + 1] = 0x28;
    assert_eq!(
        agent.post_raw("/agent/v1/inventory", invalid, None).await.0,
        StatusCode::BAD_REQUEST
    );

    // An unknown field: the schema is strict.
    let unknown = good.replace("\"arch\"", "\"colour\":\"red\",\"arch\"");
    let (status, body) = agent
        .post_raw("/agent/v1/inventory", unknown.into_bytes(), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "inventory.software.packages[0].colour");

    // Declared section hashes that do not match the sections sent (an os hash, no os).
    let wrong_hashes = good.replace(
        "\"inventory\":",
        &format!(
            "\"section_hashes\":{{\"os\":\"{}\"}},\"inventory\":",
            "0".repeat(64)
        ),
    );
    assert_ne!(wrong_hashes, good);
    let (status, body) = agent
        .post_raw("/agent/v1/inventory", wrong_hashes.into_bytes(), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "section_hashes");

    // Over the size limit, plain and as a decompression bomb.
    let (status, _) = agent
        .post_raw("/agent/v1/inventory", vec![b' '; 2 * 1024 * 1024], None)
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let bomb = gzip(&vec![b' '; 64 * 1024 * 1024]);
    assert!(bomb.len() < 256 * 1024);
    let (status, body) = agent
        .post_raw("/agent/v1/inventory", bomb, Some("gzip"))
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");

    // An unknown encoding.
    let (status, _) = agent
        .post_raw("/agent/v1/inventory", good.clone().into_bytes(), Some("br"))
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // A gzip body that is fine is accepted.
    let (status, body) = agent
        .post_raw("/agent/v1/inventory", gzip(good.as_bytes()), Some("gzip"))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Each refused upload left an event naming the device and the reason.
    let events = server.events(211).await;
    assert!(events.len() >= 6, "{events:?}");
    assert!(events.iter().all(|event| event["device_id"] == id));
    assert!(events
        .iter()
        .any(|event| event["params"]["field"] == "inventory.software.packages[0].name"));
    // And the device is as it was, apart from the one good upload.
    let (_, after) = server.get(&format!("/api/v1/devices/{id}")).await;
    assert_eq!(
        before["sections"]["hardware"],
        after["sections"]["hardware"]
    );
    let (_, software) = server.get(&format!("/api/v1/devices/{id}/software")).await;
    let names: Vec<&str> = software["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["NAME"]);
    server.shutdown().await;
}
both_backends!(
    rejected_uploads_write_nothing,
    rejected_uploads_write_nothing
);

async fn malformed_checkins_are_refused(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    let mut agent = ProtoAgent::new(&server, "bad-c");
    agent.enroll(&token).await;
    let (status, body) = agent
        .post_raw("/agent/v1/checkin", b"{\"host_id\": 5}".to_vec(), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "host_id");
    let (status, _) = agent
        .post_raw("/agent/v1/checkin", b"not json".to_vec(), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = server.get("/api/v1/devices?limit=5000").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("limit"))
    );
    let (status, _) = server.get("/api/v1/devices?cursor=garbage").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    server.shutdown().await;
}
both_backends!(
    malformed_checkins_are_refused,
    malformed_checkins_are_refused
);

async fn rest_rejections_are_json_naming_the_field(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (status, body) = server.get("/api/v1/devices?state=broken").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("state")),
        "{body}"
    );
    let (status, body) = server.get("/api/v1/devices?limit=many").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("limit")),
        "{body}"
    );
    let token = server.enrollment_token(None, None).await;
    let mut agent = ProtoAgent::new(&server, "rest-json");
    agent.enroll(&token).await;
    let path = format!("/api/v1/devices/{}", agent.device_id());
    let (status, body) = server
        .api(
            reqwest::Method::PATCH,
            &path,
            Some(serde_json::json!({"state": "gone"})),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("state")),
        "{body}"
    );
    let (status, body) = server
        .api(
            reqwest::Method::PATCH,
            &path,
            Some(serde_json::json!({"colour": "red"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    server.shutdown().await;
}
both_backends!(
    rest_rejections_are_json_naming_the_field,
    rest_rejections_are_json_naming_the_field
);
