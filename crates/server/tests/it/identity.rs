//! Device identity: placeholder serials and MACs never merge machines, re-enrollment keeps
//! the device, and a cloned image is split off with an event instead of flapping.

use reqwest::StatusCode;

use crate::both_backends;
use crate::support::inventory::sample;
use crate::support::{Backend, ProtoAgent, TestServer};

async fn bogus_identifiers_do_not_merge(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    let mut ids = Vec::new();
    for hostname in ["oem-a", "oem-b"] {
        let mut agent = ProtoAgent::new(&server, hostname);
        agent.facts.serial = Some("To be filled by O.E.M.".into());
        agent.facts.uuid = Some("03000200-0400-0500-0006-000700080009".into());
        agent.facts.macs = vec!["00:00:00:00:00:00".into()];
        assert_eq!(agent.enroll(&token).await.0, StatusCode::OK);
        ids.push(agent.device_id());
    }
    assert_ne!(
        ids[0], ids[1],
        "two machines with placeholder identifiers stay two devices"
    );
    let (_, list) = server
        .get("/api/v1/devices?serial=To%20be%20filled%20by%20O.E.M.")
        .await;
    assert_eq!(
        list["items"].as_array().map(Vec::len),
        Some(0),
        "placeholder serials are not stored as serials"
    );
    server.shutdown().await;
}
both_backends!(
    bogus_identifiers_do_not_merge,
    bogus_identifiers_do_not_merge
);

async fn reenrollment_keeps_the_device(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    let mut agent = ProtoAgent::new(&server, "same-pc");
    agent.enroll(&token).await;
    let first = agent.credentials.clone().expect("credentials");
    agent.enroll(&token).await;
    assert_eq!(
        agent.device_id(),
        first.device_id,
        "same host identifier and fingerprint: same device"
    );
    // The old credential was revoked.
    let mut old = ProtoAgent::new(&server, "same-pc");
    old.credentials = Some(first);
    assert_eq!(
        old.checkin(&sample("same-pc", &[], 8)).await.0,
        StatusCode::UNAUTHORIZED
    );

    // A reinstall with a new host identifier on the same hardware finds the device by serial and UUID.
    let mut reinstalled = ProtoAgent::new(&server, "same-pc");
    reinstalled.facts = agent.facts.clone();
    reinstalled.enroll(&token).await;
    assert_eq!(reinstalled.device_id(), agent.device_id());
    server.shutdown().await;
}
both_backends!(reenrollment_keeps_the_device, reenrollment_keeps_the_device);

async fn cloned_image_is_split_not_flapping(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    let mut original = ProtoAgent::new(&server, "golden");
    original.enroll(&token).await;
    let inventory = sample("golden", &[("bash", "5.2")], 8);
    assert_eq!(original.checkin(&inventory).await.0, StatusCode::OK);

    // The disk was cloned with the agent's state: same credentials, another machine.
    let mut clone = ProtoAgent::new(&server, "golden");
    clone.host_id = original.host_id.clone();
    clone.credentials = original.credentials.clone();
    let (status, reply) = clone.checkin(&inventory).await;
    assert_eq!(status, StatusCode::OK);
    let reassigned = reply["reassigned"].clone();
    assert!(
        reassigned.is_object(),
        "the clone gets its own identity: {reply}"
    );
    clone.credentials = Some(serde_json::from_value(reassigned).expect("credentials"));
    clone.host_id = clone
        .credentials
        .as_ref()
        .expect("credentials")
        .host_id
        .to_string();
    assert_ne!(clone.device_id(), original.device_id());

    // From now on both check in undisturbed, each as itself.
    for _ in 0..3 {
        let (_, reply) = original.checkin(&inventory).await;
        assert!(reply["reassigned"].is_null(), "{reply}");
        let (_, reply) = clone.checkin(&inventory).await;
        assert!(reply["reassigned"].is_null(), "{reply}");
    }
    let events = server.events(5001).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["params"]["original_device"], original.device_id());
    assert_eq!(events[0]["params"]["new_device"], clone.device_id());

    // Enrolling a clone with the same host identifier (state reset but id kept) is split too.
    let mut third = ProtoAgent::new(&server, "golden");
    third.host_id = original.host_id.clone();
    third.enroll(&token).await;
    assert_ne!(third.device_id(), original.device_id());
    assert_ne!(
        third
            .credentials
            .as_ref()
            .expect("credentials")
            .host_id
            .as_str(),
        original.host_id
    );
    assert_eq!(server.events(5001).await.len(), 2);
    server.shutdown().await;
}
both_backends!(
    cloned_image_is_split_not_flapping,
    cloned_image_is_split_not_flapping
);
