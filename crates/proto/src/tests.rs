use proptest::prelude::*;

use crate::inventory::{Package, Software};
use crate::limits::MAX_TEXT_BYTES;
use crate::{
    decode, AgentSettings, CheckinRequest, CheckinResponse, Inventory, InventoryUpload,
    SectionKind, Text,
};

fn upload_json(name: &str) -> String {
    format!(
        r#"{{"host_id":"h1","agent_version":"0.1.0","collected_at":1,"facts":{{"hostname":"pc"}},
        "inventory":{{"software":{{"packages":[{{"name":"bash","version":"5.2","arch":"amd64","source":"dpkg"}},
        {{"name":{name},"version":"1","arch":"amd64","source":"dpkg"}}]}}}}}}"#
    )
}

fn check_rejected(json: &str, field: &str) {
    let error = decode::<InventoryUpload>(json.as_bytes()).unwrap_err();
    assert_eq!(error.field, field, "{error}");
}

#[test]
fn decodes_a_valid_upload() {
    let upload: InventoryUpload = decode(upload_json(r#""vim""#).as_bytes()).unwrap();
    let packages = upload.inventory.software.unwrap().packages;
    assert_eq!(packages[1].name.as_str(), "vim");
}

#[test]
fn names_the_field_at_fault() {
    check_rejected(
        &upload_json(r#""a\u0007b""#),
        "inventory.software.packages[1].name",
    );
    check_rejected(&upload_json("42"), "inventory.software.packages[1].name");
    let long = format!("\"{}\"", "x".repeat(MAX_TEXT_BYTES + 1));
    check_rejected(&upload_json(&long), "inventory.software.packages[1].name");
    let unknown = upload_json(r#""vim","colour":"red""#);
    check_rejected(&unknown, "inventory.software.packages[1].colour");
}

fn upload_rows(second: &str) -> String {
    format!(
        r#"{{"host_id":"h1","agent_version":"0.1.0","collected_at":1,"facts":{{"hostname":"pc"}},
        "inventory":{{"software":{{"packages":[["bash","5.2","amd64","dpkg",null,1700000000,null],
        {second}]}}}}}}"#
    )
}

#[test]
fn packages_travel_as_rows_and_decode_from_either_form() {
    let package = Package {
        name: "vim".into(),
        version: "2:9.0".into(),
        arch: "amd64".into(),
        source: "dpkg".into(),
        vendor: Some("Debian Vim Maintainers".into()),
        install_time: Some(1_700_000_000),
        size_bytes: None,
    };
    let row = serde_json::to_string(&package).unwrap();
    assert_eq!(
        row,
        r#"["vim","2:9.0","amd64","dpkg","Debian Vim Maintainers",1700000000,null]"#
    );
    let upload: InventoryUpload = decode(upload_rows(&row).as_bytes()).unwrap();
    let packages = upload.inventory.software.unwrap().packages;
    assert_eq!(packages[1], package);
    assert_eq!(packages[0].install_time, Some(1_700_000_000));
    // Trailing fields may be left out, as in the object form.
    let short: InventoryUpload = decode(upload_rows(r#"["vim"]"#).as_bytes()).unwrap();
    assert_eq!(
        short.inventory.software.unwrap().packages[1].name.as_str(),
        "vim"
    );
}

#[test]
fn names_the_field_at_fault_in_a_row() {
    let path = |row: &str| decode::<InventoryUpload>(upload_rows(row).as_bytes()).unwrap_err();
    assert_eq!(
        path(r#"["ab","1","amd64","dpkg",null,null,null]"#).field,
        "inventory.software.packages[1].name"
    );
    assert_eq!(
        path(r#"["vim","1","amd64","dpkg",null,"yesterday",null]"#).field,
        "inventory.software.packages[1].install_time"
    );
    let long = path(r#"["vim","1","amd64","dpkg",null,null,null,"extra"]"#);
    assert!(
        long.field.starts_with("inventory.software.packages[1]"),
        "{long}"
    );
}

#[test]
fn refuses_invalid_utf8_and_trailing_data() {
    let mut bytes = upload_json(r#""vim""#).into_bytes();
    let at = bytes.windows(3).position(|w| w == b"vim").unwrap();
    bytes[at] = 0xff;
    assert!(decode::<InventoryUpload>(&bytes).is_err());
    let trailing = format!("{} {{}}", upload_json(r#""vim""#));
    assert_eq!(
        decode::<InventoryUpload>(trailing.as_bytes())
            .unwrap_err()
            .field,
        "."
    );
}

#[test]
fn section_hash_changes_with_content() {
    let mut inventory = Inventory {
        software: Some(Software {
            packages: vec![Package {
                name: "a".into(),
                ..Package::default()
            }],
        }),
        ..Inventory::default()
    };
    let first = inventory.section_hash(SectionKind::Software).unwrap();
    assert_eq!(inventory.section_hash(SectionKind::Os), None);
    inventory.software.as_mut().unwrap().packages[0].version = "2".into();
    assert_ne!(
        inventory.section_hash(SectionKind::Software).unwrap(),
        first
    );
    assert_eq!(inventory.present(), vec![SectionKind::Software]);
    inventory.retain(&[SectionKind::Os]);
    assert!(inventory.present().is_empty());
}

#[test]
fn hashes_found_in_an_upload_match_the_agents() {
    let mut upload: InventoryUpload = decode(upload_json(r#""vim \"9\" ü""#).as_bytes()).unwrap();
    upload.inventory.os = Some(crate::inventory::Os {
        hostname: "pc-01".into(),
        ..Default::default()
    });
    let body = serde_json::to_vec(&upload).unwrap();
    let found = crate::upload_section_hashes(&body).unwrap();
    let expected: Vec<(SectionKind, String)> = upload
        .inventory
        .present()
        .into_iter()
        .map(|kind| (kind, upload.inventory.section_hash(kind).unwrap()))
        .collect();
    assert_eq!(found, expected);
    assert_eq!(found.len(), 2);
    // Hashes are of the bytes as sent: other formatting hashes differently.
    let pretty = serde_json::to_vec_pretty(&upload).unwrap();
    assert_ne!(crate::upload_section_hashes(&pretty).unwrap(), expected);
    assert!(crate::upload_section_hashes(b"{}").is_err());
}

#[test]
fn declared_hashes_must_cover_exactly_the_sections_present() {
    let mut upload: InventoryUpload = decode(upload_json(r#""vim""#).as_bytes()).unwrap();
    assert_eq!(upload.declared_hashes(), Ok(None), "none declared");
    let software = upload
        .inventory
        .section_hash(SectionKind::Software)
        .unwrap();
    upload
        .section_hashes
        .insert(SectionKind::Software, software.as_str().into());
    assert_eq!(
        upload.declared_hashes(),
        Ok(Some(vec![(SectionKind::Software, software.clone())]))
    );
    let refused = |upload: &InventoryUpload| {
        let error = upload.declared_hashes().unwrap_err();
        assert_eq!(error.field, "section_hashes");
        error.reason
    };
    // A hash for a section the upload does not hold.
    let mut extra = upload.clone();
    extra
        .section_hashes
        .insert(SectionKind::Os, software.as_str().into());
    assert!(refused(&extra).contains("os"));
    // A section without a hash.
    let mut missing = upload.clone();
    missing.inventory.os = Some(crate::inventory::Os::default());
    assert!(refused(&missing).contains("no hash for section os"));
    // Not a BLAKE3 hex digest.
    let mut malformed = upload.clone();
    malformed.section_hashes.insert(
        SectionKind::Software,
        software.to_uppercase().as_str().into(),
    );
    assert!(refused(&malformed).contains("hex"));
    // Declared hashes survive a round trip through JSON.
    let again: InventoryUpload = decode(&serde_json::to_vec(&upload).unwrap()).unwrap();
    assert_eq!(again.section_hashes, upload.section_hashes);
}

#[test]
fn section_names_round_trip() {
    for kind in SectionKind::ALL {
        assert_eq!(SectionKind::parse(kind.as_str()), Some(kind));
        let json = serde_json::to_string(&kind).unwrap();
        assert_eq!(json, format!("\"{}\"", kind.as_str()));
    }
}

proptest! {
    // Whatever bytes arrive, decoding never panics, and anything accepted holds only valid text.
    #[test]
    fn decoder_never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode::<InventoryUpload>(&bytes);
        let _ = decode::<CheckinRequest>(&bytes);
    }

    #[test]
    fn accepted_names_are_clean(name in "\\PC{0,40}") {
        let json = upload_json(&serde_json::to_string(&name).unwrap());
        match decode::<InventoryUpload>(json.as_bytes()) {
            Ok(upload) => {
                let packages = upload.inventory.software.unwrap().packages;
                prop_assert!(Text::new(packages[1].name.as_str()).is_ok());
                prop_assert_eq!(packages[1].name.as_str(), name.as_str());
            }
            Err(error) => prop_assert_eq!(error.field, "inventory.software.packages[1].name"),
        }
    }

    #[test]
    fn encode_decode_round_trip(names in proptest::collection::vec("[a-z0-9.+-]{1,20}", 0..20)) {
        let packages = names.iter().map(|n| Package { name: n.as_str().into(), version: "1".into(), ..Package::default() }).collect();
        let inventory = Inventory { software: Some(Software { packages }), ..Inventory::default() };
        let bytes = serde_json::to_vec(&inventory).unwrap();
        let decoded: Inventory = decode(&bytes).unwrap();
        prop_assert_eq!(decoded, inventory);
    }
}

#[test]
fn replies_tolerate_what_a_newer_server_adds() {
    let reply = r#"{"next_checkin_secs":60,"wanted_sections":[],"commands":[{"id":1,"action":{"kind":"reboot"},"priority":2}],"motd":"x"}"#;
    let decoded: crate::CheckinResponse = decode(reply.as_bytes()).unwrap();
    assert_eq!(decoded.commands[0].action, crate::Action::Unknown);
    assert_eq!(decoded.next_checkin_secs, 60);
}

#[test]
fn refusal_errors_do_not_echo_hostile_text() {
    let control = r#"{"facts":{"a\u001b[31mRED\nnewline":1}}"#;
    let error = decode::<InventoryUpload>(control.as_bytes()).unwrap_err();
    assert!(!error.field.chars().any(char::is_control), "{error:?}");
    assert!(!error.reason.chars().any(char::is_control), "{error:?}");
    let long = format!(r#"{{"{}":1}}"#, "k".repeat(1_000_000));
    let error = decode::<InventoryUpload>(long.as_bytes()).unwrap_err();
    assert!(
        error.field.len() <= crate::decode::MAX_ERROR_TEXT + 3
            && error.reason.len() <= crate::decode::MAX_ERROR_TEXT + 3
    );
    let error = decode::<InventoryUpload>(br#"{"":0}"#).unwrap_err();
    assert_eq!(error.field, "\"\"");
}

fn check_settings(change: impl FnOnce(&mut AgentSettings), expected: Result<(), &str>) {
    let mut settings = AgentSettings::default();
    change(&mut settings);
    let actual = settings.check().map_err(|error| error.to_string());
    assert_eq!(actual, expected.map_err(str::to_string), "{settings:?}");
}

#[test]
fn settings_are_checked_field_by_field() {
    check_settings(|_| {}, Ok(()));
    check_settings(
        |s| s.checkin_interval_secs = 9,
        Err("checkin_interval_secs must be between 10 and 86400"),
    );
    check_settings(|s| s.checkin_interval_secs = 86_400, Ok(()));
    check_settings(
        |s| s.inventory_interval_secs = 604_801,
        Err("inventory_interval_secs must be between 60 and 604800"),
    );
    check_settings(
        |s| s.queue_max_entries = 0,
        Err("queue_max_entries must be between 1 and 1000"),
    );
    check_settings(
        |s| s.queue_max_bytes = 1024 * 1024 - 1,
        Err("queue_max_bytes must be between 1048576 and 1073741824"),
    );
    // The first field out of range is named.
    check_settings(
        |s| {
            s.inventory_interval_secs = 0;
            s.queue_max_entries = 0;
        },
        Err("inventory_interval_secs must be between 60 and 604800"),
    );
}

#[test]
fn clamping_brings_every_value_into_range() {
    let wild = AgentSettings {
        version: 7,
        checkin_interval_secs: 0,
        inventory_interval_secs: u64::MAX,
        queue_max_entries: 0,
        queue_max_bytes: u64::MAX,
    };
    let clamped = wild.clamped();
    assert_eq!(clamped.check(), Ok(()));
    assert_eq!(
        clamped,
        AgentSettings {
            version: 7,
            checkin_interval_secs: 10,
            inventory_interval_secs: 604_800,
            queue_max_entries: 1,
            queue_max_bytes: 1024 * 1024 * 1024,
        }
    );
    assert_eq!(AgentSettings::default().clamped(), AgentSettings::default());
}

#[test]
fn settings_travel_in_checkins_and_older_peers_still_parse() {
    // An agent older than settings leaves the version out.
    let old_agent = r#"{"host_id":"h","agent_version":"0.1.0","fingerprint":"f"}"#;
    let request: CheckinRequest = decode(old_agent.as_bytes()).unwrap();
    assert_eq!(request.settings_version, 0);
    // A server older than settings sends none.
    let old_server =
        r#"{"next_checkin_secs":60,"wanted_sections":[],"commands":[],"reassigned":null}"#;
    let reply: CheckinResponse = decode(old_server.as_bytes()).unwrap();
    assert_eq!(reply.settings, None);
    // A reply without settings does not carry the key at all.
    let encoded = serde_json::to_string(&CheckinResponse::default()).unwrap();
    assert!(!encoded.contains("settings"), "{encoded}");
    // Settings from a newer server with a field this agent does not know yet.
    let newer = r#"{"next_checkin_secs":120,"settings":{"version":3,"checkin_interval_secs":120,"inventory_interval_secs":600,"queue_max_entries":4,"queue_max_bytes":2097152,"patch_window":"sun"}}"#;
    let reply: CheckinResponse = decode(newer.as_bytes()).unwrap();
    assert_eq!(
        reply.settings,
        Some(AgentSettings {
            version: 3,
            checkin_interval_secs: 120,
            inventory_interval_secs: 600,
            queue_max_entries: 4,
            queue_max_bytes: 2 * 1024 * 1024,
        })
    );
}
