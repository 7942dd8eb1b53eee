//! Enrollment tokens, agent authentication and the licence cap.

use std::time::Duration;

use reqwest::StatusCode;

use crate::both_backends;
use crate::support::inventory::sample;
use crate::support::{Backend, ProtoAgent, TestServer};

async fn tokens_are_enforced(backend: Backend) {
    let server = TestServer::start(backend).await;
    let once = server.enrollment_token(Some(1), None).await;
    let mut first = ProtoAgent::new(&server, "tok-a");
    assert_eq!(first.enroll(&once).await.0, StatusCode::OK);
    let mut second = ProtoAgent::new(&server, "tok-b");
    let (status, body) = second.enroll(&once).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("token_used_up")),
        "{body}"
    );

    let expired = server
        .enrollment_token(None, Some(Duration::from_millis(1)))
        .await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let (status, body) = second.enroll(&expired).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("token_expired")),
        "{body}"
    );

    let (status, body) = second.enroll("ket_nonsense").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("token_invalid")),
        "{body}"
    );
    server.shutdown().await;
}
both_backends!(tokens_are_enforced, tokens_are_enforced);

async fn unknown_and_wrong_credentials_get_401(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    let mut agent = ProtoAgent::new(&server, "auth-a");
    agent.enroll(&token).await;
    let inventory = sample("auth-a", &[], 8);
    assert_eq!(agent.checkin(&inventory).await.0, StatusCode::OK);

    let mut forged = ProtoAgent::new(&server, "auth-b");
    let mut credentials = agent.credentials.clone().expect("credentials");
    credentials.secret = "0".repeat(64).as_str().into();
    forged.credentials = Some(credentials.clone());
    assert_eq!(forged.checkin(&inventory).await.0, StatusCode::UNAUTHORIZED);
    credentials.agent_id = "no-such-agent".into();
    forged.credentials = Some(credentials);
    let (status, body) = forged.checkin(&inventory).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "unauthorized");

    let anonymous = server
        .client
        .post(format!("{}/agent/v1/checkin", server.base_url))
        .body("{}")
        .send()
        .await
        .expect("send");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    server.shutdown().await;
}
both_backends!(
    unknown_and_wrong_credentials_get_401,
    unknown_and_wrong_credentials_get_401
);

async fn licence_cap_refuses_with_an_event(backend: Backend) {
    let server = TestServer::start_with(backend, |config| {
        config.http = true;
        config.licence_devices = Some(1);
    })
    .await;
    let token = server.enrollment_token(None, None).await;
    let mut first = ProtoAgent::new(&server, "lic-a");
    assert_eq!(first.enroll(&token).await.0, StatusCode::OK);
    let mut second = ProtoAgent::new(&server, "lic-b");
    let (status, body) = second.enroll(&token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "licence_exceeded");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .contains("licence limit of 1"),
        "{body}"
    );
    let events = server.events(4).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["params"]["hostname"], "lic-b");
    assert_eq!(events[0]["severity"], "alert");
    let (_, devices) = server.get("/api/v1/devices").await;
    assert_eq!(
        devices["items"].as_array().map(Vec::len),
        Some(1),
        "nothing half-written"
    );

    // Excluding the first frees the licence; making it managed again is refused while the
    // second holds it.
    let id = first.device_id();
    let (status, _) = server
        .api(
            reqwest::Method::PATCH,
            &format!("/api/v1/devices/{id}"),
            Some(serde_json::json!({"state": "excluded"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(second.enroll(&token).await.0, StatusCode::OK);
    let (status, body) = server
        .api(
            reqwest::Method::PATCH,
            &format!("/api/v1/devices/{id}"),
            Some(serde_json::json!({"state": "managed"})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("licence_exceeded"))
    );
    server.shutdown().await;
}
both_backends!(
    licence_cap_refuses_with_an_event,
    licence_cap_refuses_with_an_event
);

/// A credential revoked through another node (here: straight in the database) stops working
/// on this node once the refresh job has re-read it, without a check-in reading the database.
async fn credentials_revoked_elsewhere_are_dropped_by_the_refresh(backend: Backend) {
    use kanri_server::agents::runtime::REFRESH_AFTER_MS;

    let server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    let inventory = sample("revoke-a", &[], 8);
    let mut agent = ProtoAgent::new(&server, "revoke-a");
    agent.enroll(&token).await;
    let mut kept = ProtoAgent::new(&server, "revoke-b");
    kept.enroll(&token).await;
    let state = server.state();
    for proto in [&agent, &kept] {
        assert_eq!(proto.checkin(&inventory).await.0, StatusCode::OK);
        // Age the cached credential so that it is due for a re-read.
        state.agents.update_auth(&proto.agent_id(), |auth| {
            auth.loaded_at -= REFRESH_AFTER_MS + 1
        });
    }

    sqlx::query("UPDATE agents SET revoked_at = 1 WHERE id = $1")
        .bind(agent.agent_id())
        .execute(state.db.write())
        .await
        .expect("revoke");
    // The refresh job (every second) re-reads the aged credentials; without it the revoked
    // one would keep working until the cache TTL, a minute later.
    let refused = crate::support::wait_for(Duration::from_secs(10), async || {
        (agent.checkin(&inventory).await.0 == StatusCode::UNAUTHORIZED).then_some(())
    })
    .await;
    assert!(refused.is_some(), "the revoked credential still works");
    assert_eq!(kept.checkin(&inventory).await.0, StatusCode::OK);
    let cached = state
        .agents
        .cached_auth(&kept.agent_id())
        .expect("kept is cached");
    assert!(kanri_server::core::time::now_ms() - cached.loaded_at < REFRESH_AFTER_MS);
    server.shutdown().await;
}
both_backends!(
    credentials_revoked_elsewhere_are_dropped_by_the_refresh,
    credentials_revoked_elsewhere_are_dropped_by_the_refresh
);
