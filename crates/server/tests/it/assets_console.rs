//! The hardware asset screens over HTTP: the ledger list with its conditions, the asset page
//! (edit with a note, a stale version, escaping), registration, bulk stocktake.

use reqwest::StatusCode;

use crate::both_backends;
use crate::console::{csrf_in, signed_in_admin};
use crate::support::{Backend, ProtoAgent, TestServer};

fn value_of(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = page.find(&marker).map(|at| at + marker.len()).unwrap_or(0);
    page[at..].split('"').next().unwrap_or("").to_string()
}

async fn asset_screens(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    let mut agent = ProtoAgent::new(&server, "kango-pc-07");
    agent.enroll(&token).await;
    let mut browser = signed_in_admin(&server).await;

    let (status, _, list) = browser.get("/hardware-assets").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.contains("kango-pc-07") && list.contains("未確認"),
        "{list}"
    );
    let id = {
        let at = list.find("data-id=\"").expect("a row") + 9;
        list[at..].split('"').next().unwrap_or("").to_string()
    };
    assert!(id.parse::<i64>().is_ok(), "{id}");

    // Edit: status with a reason, user, asset number; a name that would be markup is escaped.
    let (_, _, page) = browser.get(&format!("/hardware-assets/{id}")).await;
    let csrf = csrf_in(&page);
    let version = value_of(&page, "version");
    let form = [
        ("csrf", csrf.as_str()),
        ("version", version.as_str()),
        ("asset_number", "HW-0007"),
        ("name", "<b>看護</b>"),
        ("type_id", "11"),
        ("status_id", "2"),
        ("planned_status_id", ""),
        ("planned_on", ""),
        ("department_id", "none"),
        ("location_id", "none"),
        ("user_name", "山田 花子"),
        ("user_account", "hyamada"),
        ("user_email", "hyamada@example.jp"),
        ("user_phone", ""),
        ("stocktaken_on", ""),
        ("hostname", "kango-pc-07"),
        ("serial", ""),
        ("ip_address", ""),
        ("mac_address", ""),
        ("note", "配備しました"),
    ];
    let (status, location, _) = browser.post(&format!("/hardware-assets/{id}"), &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "saved");
    assert_eq!(location, format!("/hardware-assets/{id}"));
    let (_, _, page) = browser.get(&location).await;
    assert!(page.contains("class=\"status\">運用中"), "{page}");
    assert!(
        page.contains("未確認 → 運用中") && page.contains("配備しました"),
        "{page}"
    );
    assert!(
        page.contains("&#60;b&#62;看護&#60;/b&#62;") && !page.contains("<b>看護"),
        "{page}"
    );
    // The same form again is stale: the stored values come back with the conflict message.
    let (status, _, page) = browser.post(&format!("/hardware-assets/{id}"), &form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("ほかの管理者が同時に変更しました"), "{page}");
    // A bad e-mail is refused with what was typed kept.
    let mut bad = form.to_vec();
    let version = value_of(&page, "version");
    bad[1] = ("version", version.as_str());
    bad[12] = ("user_email", "not-an-address");
    let (status, _, page) = browser.post(&format!("/hardware-assets/{id}"), &bad).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("value=\"not-an-address\""), "{page}");

    // Register by hand, then stocktake both from the list.
    let (_, _, page) = browser.get("/hardware-assets/new").await;
    let csrf = csrf_in(&page);
    let (status, location, _) = browser
        .post(
            "/hardware-assets/new",
            &[
                ("csrf", csrf.as_str()),
                ("asset_number", "DISP-1"),
                ("name", "モニタ"),
                ("type_id", "17"),
                ("status_id", "3"),
                ("department_id", "none"),
                ("location_id", "none"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let new_id = location.rsplit('/').next().unwrap_or("").to_string();
    let (_, _, list) = browser.get("/hardware-assets?type=17").await;
    assert!(
        list.contains("DISP-1") && !list.contains("HW-0007"),
        "{list}"
    );
    let csrf = csrf_in(&list);
    let (status, _, result) = browser
        .post(
            "/hardware-assets/bulk",
            &[
                ("csrf", csrf.as_str()),
                ("action", "stocktake"),
                ("on", "2027-03-31"),
                ("ids", id.as_str()),
                ("ids", new_id.as_str()),
                ("back", "/hardware-assets"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(result.contains("class=\"done-count\">2<"), "{result}");
    let (_, _, list) = browser
        .get("/hardware-assets?stocktaken_before=2027-03-31")
        .await;
    assert!(list.contains("該当する資産はありません"), "{list}");
    // Device records and related assets from the asset page.
    let mut second = ProtoAgent::new(&server, "kango-vm-07");
    second.enroll(&token).await;
    let (_, _, page) = browser.get(&format!("/hardware-assets/{id}")).await;
    let csrf = csrf_in(&page);
    let device = second.device_id().to_string();
    let (status, _, _) = browser
        .post(
            &format!("/hardware-assets/{id}/devices"),
            &[
                ("csrf", csrf.as_str()),
                ("device_id", device.as_str()),
                ("representative", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = browser
        .post(
            &format!("/hardware-assets/{id}/related"),
            &[("csrf", csrf.as_str()), ("other_id", new_id.as_str())],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, page) = browser.get(&format!("/hardware-assets/{id}")).await;
    assert!(
        page.contains(&format!("data-device=\"{device}\"")) && page.contains("kango-vm-07"),
        "{page}"
    );
    assert!(page.contains("DISP-1 モニタ"), "{page}");
    let (status, _, page) = browser
        .post(
            &format!("/hardware-assets/{id}/related"),
            &[("csrf", csrf.as_str()), ("other_id", "999999")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");

    // The home panels of the ledger: a product with no licence but an install, and a contract
    // ending within three months.
    let inventory = crate::support::inventory::sample("kango-pc-07", &[("acrobat", "1")], 8);
    assert_eq!(agent.upload(&inventory).await.0, StatusCode::OK);
    let (status, _) = server
        .api(
            reqwest::Method::POST,
            "/api/v1/managed-software",
            Some(serde_json::json!({"name": "Acrobat <Pro>", "rules": [{"name": "acrobat"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    kanri_server::assets::licences::reconcile::run(&server.state().db)
        .await
        .expect("reconcile");
    let ends = jiff::Zoned::now()
        .date()
        .checked_add(jiff::Span::new().days(30))
        .expect("day");
    let (status, _) = server
        .api(
            reqwest::Method::POST,
            "/api/v1/contracts",
            Some(serde_json::json!({"contract_number": "LEASE-9", "ends_on": ends.to_string()})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, _, home) = browser.get("/").await;
    assert!(
        home.contains("超過したソフトウェアライセンス") && home.contains("Acrobat &#60;Pro&#62;"),
        "{home}"
    );
    assert!(home.contains("1 / 0"), "{home}");
    assert!(
        home.contains("LEASE-9") && home.contains(&ends.to_string()),
        "{home}"
    );
    // The licence screens: the product is exceeded, its unauthorised install is listed.
    let (status, _, page) = browser.get("/licences").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("class=\"exceeded\"") && page.contains("Acrobat &#60;Pro&#62;"),
        "{page}"
    );
    let product = {
        let at = page
            .find("table class=\"list managed\"")
            .expect("the products")
            + 1;
        let at = at
            + page[at..]
                .find("/licences/managed/")
                .expect("a product link")
            + 18;
        page[at..]
            .split(['"', '?'])
            .next()
            .unwrap_or("")
            .to_string()
    };
    let (_, _, page) = browser
        .get(&format!(
            "/licences/managed/{product}?view=installed&only=1"
        ))
        .await;
    assert!(
        page.contains("kango-pc-07") && page.contains("class=\"num consumed\">1<"),
        "{page}"
    );
    let (_, _, page) = browser
        .get(&format!("/licences/managed/{product}?view=assigned&only=1"))
        .await;
    assert!(!page.contains(">kango-pc-07<"), "nothing assigned: {page}");
    let (_, _, page) = browser.get("/contracts?expiring=yes").await;
    assert!(
        page.contains("LEASE-9") && page.contains("契約中"),
        "{page}"
    );
    let (_, _, list) = browser.get("/hardware-assets?status=2").await;
    assert!(list.contains("HW-0007"), "{list}");
    server.shutdown().await;
}
both_backends!(asset_screens, asset_screens);

/// Disposing from the asset page or the list deletes device records, so it is confirmed
/// first: without the box nothing changes and the page asks for it.
async fn disposal_is_confirmed(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    let mut agent = ProtoAgent::new(&server, "haiki-pc-01");
    agent.enroll(&token).await;
    let device = agent.device_id().to_string();
    let mut browser = signed_in_admin(&server).await;
    let (_, _, list) = browser.get("/hardware-assets").await;
    let id = {
        let at = list.find("data-id=\"").expect("a row") + 9;
        list[at..].split('"').next().unwrap_or("").to_string()
    };
    let csrf = csrf_in(&list);
    let (status, _, page) = browser
        .post(
            "/hardware-assets/bulk",
            &[
                ("csrf", csrf.as_str()),
                ("action", "set_status"),
                ("status_id", "4"),
                ("ids", id.as_str()),
                ("back", "/hardware-assets"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("滅却の確認欄"), "{page}");

    let (_, _, page) = browser.get(&format!("/hardware-assets/{id}")).await;
    assert!(
        !page.contains("name=\"confirm_dispose\""),
        "asked only when disposing"
    );
    let version = value_of(&page, "version");
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("version", version.as_str()),
        ("asset_number", ""),
        ("name", ""),
        ("type_id", "11"),
        ("status_id", "4"),
        ("planned_status_id", ""),
        ("planned_on", ""),
        ("department_id", "none"),
        ("location_id", "none"),
        ("hostname", "haiki-pc-01"),
        ("note", "リース返却"),
    ];
    let (status, _, page) = browser.post(&format!("/hardware-assets/{id}"), &form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("name=\"confirm_dispose\" value=\"1\" required"),
        "{page}"
    );
    let device_path = format!("/api/v1/devices/{device}");
    let (status, _) = server.api(reqwest::Method::GET, &device_path, None).await;
    assert_eq!(status, StatusCode::OK, "nothing deleted yet");

    form.push(("confirm_dispose", "1"));
    let (status, _, _) = browser.post(&format!("/hardware-assets/{id}"), &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = server.api(reqwest::Method::GET, &device_path, None).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "disposal deleted the device record"
    );
    let (_, _, page) = browser.get(&format!("/hardware-assets/{id}")).await;
    assert!(page.contains("class=\"status\">滅却"), "{page}");
    server.shutdown().await;
}

both_backends!(disposal_is_confirmed, disposal_is_confirmed);

/// The asset page shows the hardware custom fields as inputs; what is chosen or typed is
/// stored (checked against the definitions), and an emptied input clears the value.
async fn custom_fields_on_the_asset_page(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    ProtoAgent::new(&server, "custom-pc-01")
        .enroll(&token)
        .await;
    let (status, ward) = server
        .api(
            reqwest::Method::POST,
            "/api/v1/assets/fields",
            Some(
                serde_json::json!({"target": "hardware", "name": "病棟", "data_type": "selection"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ward}");
    let ward_id = ward["id"].as_i64().expect("id");
    let (status, option) = server
        .api(
            reqwest::Method::POST,
            &format!("/api/v1/assets/fields/{ward_id}/options"),
            Some(serde_json::json!({"name": "東3病棟"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{option}");
    let (_, memo) = server
        .api(
            reqwest::Method::POST,
            "/api/v1/assets/fields",
            Some(serde_json::json!({"target": "hardware", "name": "備考", "data_type": "text"})),
        )
        .await;
    let memo_id = memo["id"].as_i64().expect("id");
    let option_id = option["options"]
        .as_array()
        .and_then(|options| options.first())
        .map_or_else(|| option["id"].clone(), |o| o["id"].clone())
        .to_string();

    let mut browser = signed_in_admin(&server).await;
    let (_, _, list) = browser.get("/hardware-assets").await;
    let id = {
        let at = list.find("data-id=\"").expect("a row") + 9;
        list[at..].split('"').next().unwrap_or("").to_string()
    };
    let path = format!("/hardware-assets/{id}");
    let (_, _, page) = browser.get(&path).await;
    assert!(
        page.contains(&format!("name=\"custom_{ward_id}\"")) && page.contains("東3病棟"),
        "{page}"
    );
    let save = |page: &str, ward: &str, memo: &str| {
        let csrf = csrf_in(page);
        let version = value_of(page, "version");
        [
            ("csrf", csrf.as_str()),
            ("version", version.as_str()),
            ("type_id", "11"),
            ("status_id", "1"),
            ("department_id", "none"),
            ("location_id", "none"),
            ("hostname", "custom-pc-01"),
            (&format!("custom_{ward_id}"), ward),
            (&format!("custom_{memo_id}"), memo),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect::<Vec<_>>()
    };
    let form = save(&page, "999999", "窓際");
    let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, _, refused) = browser.post(&path, &borrowed).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "not a value of the field");
    assert!(
        refused.contains("value=\"窓際\""),
        "kept as typed: {refused}"
    );
    let form = save(&page, &option_id, "窓際");
    let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, _, _) = browser.post(&path, &borrowed).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, stored) = server.get(&format!("/api/v1/assets/{id}")).await;
    assert_eq!(
        stored["custom"],
        serde_json::json!({ward_id.to_string(): option_id.parse::<i64>().expect("id"), memo_id.to_string(): "窓際"}),
        "{stored}"
    );
    // A custom field as a column of the list.
    let (status, body) = server
        .api(
            reqwest::Method::PUT,
            "/api/v1/list-columns/assets",
            Some(serde_json::json!({"columns": ["hostname", "custom.999999"]})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (_, _, list) = browser.get("/hardware-assets").await;
    let csrf_list = csrf_in(&list);
    let ward_column = format!("custom.{ward_id}");
    let (status, _, _) = browser
        .post(
            "/list-columns",
            &[
                ("csrf", csrf_list.as_str()),
                ("list", "assets"),
                ("back", "/hardware-assets"),
                ("columns", "hostname"),
                ("columns", ward_column.as_str()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, list) = browser.get("/hardware-assets").await;
    assert!(
        list.contains(&format!("<td class=\"col-custom-{ward_id}\">東3病棟</td>")),
        "{list}"
    );
    assert!(
        list.contains(&format!("<th class=\"col-custom-{ward_id}\">病棟</th>")),
        "{list}"
    );

    // The list filters on them.
    let (_, _, list) = browser
        .get(&format!(
            "/hardware-assets?custom.{ward_id}={option_id}&custom.{memo_id}=%E7%AA%93"
        ))
        .await;
    assert!(list.contains("custom-pc-01"), "{list}");
    assert!(
        list.contains(&format!("<option value=\"{option_id}\" selected>東3病棟")),
        "the condition shows in its select: {list}"
    );
    let (_, _, list) = browser
        .get(&format!(
            "/hardware-assets?custom.{memo_id}=%E5%BB%8A%E4%B8%8B"
        ))
        .await;
    assert!(list.contains("該当する資産はありません"), "{list}");
    let (_, _, page) = browser.get(&path).await;
    let form = save(&page, &option_id, "");
    let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, _, _) = browser.post(&path, &borrowed).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, stored) = server.get(&format!("/api/v1/assets/{id}")).await;
    assert!(
        stored["custom"].get(memo_id.to_string()).is_none(),
        "{stored}"
    );
    server.shutdown().await;
}

both_backends!(
    custom_fields_on_the_asset_page,
    custom_fields_on_the_asset_page
);
