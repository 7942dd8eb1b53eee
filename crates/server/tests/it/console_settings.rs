//! The console's account, department, policy and profile screens over HTTP: privileges,
//! CSRF, versioned edits that report conflicts, messages in the page language, escaping.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::console::{csrf_in, signed_in, signed_in_admin};
use crate::support::{Backend, TestServer};

async fn user_by_login(server: &TestServer, login: &str) -> Value {
    let (_, users) = server.get("/api/v1/users").await;
    users
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["login"] == login)
        .cloned()
        .unwrap_or(Value::Null)
}

async fn accounts_screens(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (_, ward) = server
        .api(
            Method::POST,
            "/api/v1/departments",
            Some(json!({"name": "病棟"})),
        )
        .await;
    let mut admin = signed_in_admin(&server).await;
    let (status, _, list) = admin.get("/accounts").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_in(&admin.get("/accounts/new").await.2);
    assert!(list.contains(">admin<"));

    // Add: the policy's refusal in Japanese, what was typed kept; then a valid one.
    let ward_id = ward["id"].to_string();
    let form = |password: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("login", "kango".to_string()),
            ("password", password.to_string()),
            ("name", "<script>alert(1)</script>看護師長".to_string()),
            ("email", "kango@example.jp".to_string()),
            ("language", "ja".to_string()),
            ("time_zone", "Asia/Tokyo".to_string()),
            ("divisions", "devices".to_string()),
            ("divisions", "assets".to_string()),
            ("departments", ward_id.clone()),
        ]
    };
    let pairs = form("short");
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, page) = admin.post("/accounts/new", &borrowed).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("パスワードが短すぎます"), "{page}");
    assert!(
        page.contains("value=\"kango@example.jp\""),
        "what was typed is kept"
    );
    let pairs = form("First-pass-1");
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, location, _) = admin.post("/accounts/new", &borrowed).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/accounts")
    );
    let created = user_by_login(&server, "kango").await;
    assert_eq!(created["all_departments"], false);
    assert_eq!(created["departments"], json!([ward["id"]]));
    assert_eq!(created["divisions"], json!(["assets", "devices"]));
    let (_, _, list) = admin.get("/accounts").await;
    assert!(
        list.contains("&#60;script&#62;alert(1)&#60;/script&#62;看護師長")
            && !list.contains("<script>alert")
    );
    assert!(list.contains(">病棟<"), "the scope by name");

    // Edit: a stale form is refused with the conflict message and changes nothing.
    let id = created["id"].as_i64().expect("id");
    let (_, _, page) = admin.get(&format!("/accounts/{id}")).await;
    assert!(page.contains(&format!(
        "name=\"version\" value=\"{}\"",
        created["version"]
    )));
    let (status, _) = server
        .api(
            Method::PUT,
            &format!("/api/v1/users/{id}"),
            Some(json!({"name": "別の管理者が変更", "email": "kango@example.jp", "divisions": ["devices"],
                "all_departments": false, "departments": [ward["id"]], "version": created["version"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let stale = created["version"].to_string();
    let (status, _, page) = admin
        .post(
            &format!("/accounts/{id}"),
            &[
                ("csrf", &csrf),
                ("version", &stale),
                ("name", "上書き"),
                ("language", "ja"),
                ("time_zone", "Asia/Tokyo"),
                ("divisions", "devices"),
                ("all_departments", "1"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("ほかの管理者が同時に変更しました"), "{page}");
    assert_eq!(
        user_by_login(&server, "kango").await["name"],
        "別の管理者が変更"
    );

    // Lock by failed logins, unlock and reset from the account page.
    for _ in 0..5 {
        server
            .client
            .post(format!("{}/api/v1/session", server.base_url))
            .json(&json!({"login": "kango", "password": "wrong"}))
            .send()
            .await
            .expect("sign in");
    }
    let (_, _, list) = admin.get("/accounts").await;
    assert!(list.contains("ロック中"), "{list}");
    let (_, _, page) = admin.get(&format!("/accounts/{id}")).await;
    assert!(page.contains(&format!("action=\"/accounts/{id}/unlock\"")));
    let (status, _, _) = admin
        .post(&format!("/accounts/{id}/unlock"), &[("csrf", "forged")])
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, location, _) = admin
        .post(&format!("/accounts/{id}/unlock"), &[("csrf", &csrf)])
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/accounts")
    );
    assert_eq!(user_by_login(&server, "kango").await["locked"], false);
    let (status, _, _) = admin
        .post(
            &format!("/accounts/{id}/password"),
            &[("csrf", &csrf), ("password", "Reset-pass-2")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let mut kango = signed_in(&server, "kango", "Reset-pass-2", "Byouin-2026!ok").await;
    let (status, _, _) = kango.get("/accounts").await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "no user-account management privilege"
    );
    let (_, _, home) = kango.get("/").await;
    assert!(!home.contains("href=\"/settings\""), "no settings menu");

    // An account without the devices division: the device screens are 403 pages.
    let (status, _) = server
        .api(
            Method::POST,
            "/api/v1/users",
            Some(json!({"login": "shisan", "password": "First-pass-1", "divisions": ["assets"], "all_departments": true})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let mut assets_only = signed_in(&server, "shisan", "First-pass-1", "Byouin-2026!ok").await;
    for path in ["/devices", "/devices.csv", "/software"] {
        let (status, _, page) = assets_only.get(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(
            page.contains("この画面を表示する権限がありません"),
            "{path}: {page}"
        );
    }
    let (status, _, home) = assets_only.get("/").await;
    assert_eq!(status, StatusCode::OK, "home without device panels");
    assert!(!home.contains("管理状態別の機器数"));

    // The built-in admin cannot be deleted; others can, audited.
    let admin_id = user_by_login(&server, "admin").await["id"]
        .as_i64()
        .expect("admin");
    let (_, _, page) = admin.get(&format!("/accounts/{admin_id}")).await;
    assert!(!page.contains("/delete\""), "no delete button for admin");
    let (status, _, _) = admin
        .post(&format!("/accounts/{admin_id}/delete"), &[("csrf", &csrf)])
        .await;
    assert_ne!(status, StatusCode::SEE_OTHER);
    let (status, location, _) = admin
        .post(&format!("/accounts/{id}/delete"), &[("csrf", &csrf)])
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/accounts")
    );
    assert_eq!(user_by_login(&server, "kango").await, Value::Null);
    server.shutdown().await;
}
both_backends!(accounts_screens, accounts_screens);

async fn departments_policy_and_profile_screens(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut admin = signed_in_admin(&server).await;
    let (status, _, page) = admin.get("/departments").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_in(&page);
    let (status, location, _) = admin
        .post("/departments", &[("csrf", &csrf), ("name", "本院")])
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/departments")
    );
    let (_, list) = server.get("/api/v1/departments").await;
    let hospital = list[0].clone();
    let parent = hospital["id"].to_string();
    admin
        .post(
            "/departments",
            &[
                ("csrf", &csrf),
                // No "</i>": a "/" separates levels and is refused in names.
                ("name", "<i>看護部<i>"),
                ("parent_id", &parent),
            ],
        )
        .await;
    let (_, _, page) = admin.get("/departments").await;
    assert!(
        page.contains("本院 / &#60;i&#62;看護部&#60;i&#62;"),
        "{page}"
    );
    let (status, _, page) = admin
        .post(
            &format!("/departments/{}/delete", hospital["id"]),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("配下に項目があるため削除できません"),
        "{page}"
    );
    let (status, _, page) = admin
        .post(
            &format!("/departments/{}", hospital["id"]),
            &[("csrf", &csrf), ("name", "本院（旧）"), ("version", "999")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("ほかの管理者が同時に変更しました"), "{page}");
    let version = hospital["version"].to_string();
    let (status, _, _) = admin
        .post(
            &format!("/departments/{}", hospital["id"]),
            &[
                ("csrf", &csrf),
                ("name", "本院（新）"),
                ("version", &version),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, list) = server.get("/api/v1/departments").await;
    assert!(list
        .as_array()
        .expect("list")
        .iter()
        .any(|d| d["name"] == "本院（新）"));

    // Policy: saved and read back; a non-number names its field.
    let (_, _, page) = admin.get("/settings/policy").await;
    assert!(page.contains("name=\"min_length\" value=\"8\""));
    let fields = |min: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("version", "1".to_string()),
            ("min_length", min.to_string()),
            ("classes_required", "3".to_string()),
            ("expiry_days", "90".to_string()),
            ("warn_days", "7".to_string()),
            ("history_count", "5".to_string()),
            ("lockout_threshold", "5".to_string()),
            ("lockout_minutes", "30".to_string()),
            ("idle_minutes", "60".to_string()),
        ]
    };
    let pairs = fields("abc");
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, page) = admin.post("/settings/policy", &borrowed).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("min_length") && page.contains("0以上の整数"),
        "{page}"
    );
    let pairs = fields("12");
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, page) = admin.post("/settings/policy", &borrowed).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("保存しました"));
    let (_, policy) = server.get("/api/v1/account-policy").await;
    assert_eq!(policy["min_length"], 12);
    let (status, _, page) = admin.post("/settings/policy", &borrowed).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "the same version again is stale"
    );
    assert!(page.contains("ほかの管理者が同時に変更しました"));
    assert!(
        page.contains("name=\"version\" value=\"2\"")
            && page.contains("name=\"min_length\" value=\"12\""),
        "the stored policy at its version: {page}"
    );

    // Profile: language switch takes effect at once; a token is shown once and works.
    let (_, _, page) = admin.get("/profile").await;
    let version = page
        .split("name=\"version\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("version")
        .to_string();
    let (status, _, page) = admin
        .post(
            "/profile",
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("name", "システム管理者"),
                ("email", ""),
                ("language", "en"),
                ("time_zone", "Asia/Tokyo"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("<html lang=\"en\">") && page.contains("Saved."),
        "{page}"
    );
    let (status, _, page) = admin
        .post(
            "/profile",
            &[
                ("csrf", &csrf),
                ("version", &version),
                ("language", "ja"),
                ("time_zone", "Mars/Olympus"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    let (_, _, page) = admin
        .post(
            "/profile/tokens",
            &[("csrf", &csrf), ("name", "監視"), ("expires_in_days", "30")],
        )
        .await;
    let secret = page
        .split("data-testid=\"new-token\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the token, shown once")
        .to_string();
    let response = server
        .client
        .get(format!("{}/api/v1/me", server.base_url))
        .bearer_auth(&secret)
        .send()
        .await
        .expect("me");
    assert_eq!(response.status(), StatusCode::OK);
    let (_, _, page) = admin.get("/profile").await;
    assert!(!page.contains(&secret), "never shown again");
    let (_, tokens) = server.get("/api/v1/tokens").await;
    let id = tokens
        .as_array()
        .expect("tokens")
        .iter()
        .find(|t| t["name"] == "監視")
        .map(|t| t["id"].clone())
        .expect("listed");
    let (status, _, _) = admin
        .post(&format!("/profile/tokens/{id}/revoke"), &[("csrf", &csrf)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let response = server
        .client
        .get(format!("{}/api/v1/me", server.base_url))
        .bearer_auth(&secret)
        .send()
        .await
        .expect("me");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    server.shutdown().await;
}
both_backends!(
    departments_policy_and_profile_screens,
    departments_policy_and_profile_screens
);

/// An account without a language of its own reads the browser's, and the built-in admin
/// starts that way.
async fn language_follows_the_browser_until_chosen(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (_, me) = server.get("/api/v1/me").await;
    assert_eq!(me["language"], "", "the built-in admin follows the browser");
    let mut admin = signed_in_admin(&server).await;
    let (_, _, home) = admin.get("/").await;
    assert!(home.contains("<html lang=\"ja\">"));
    // The same session from an English browser.
    let cookies: Vec<String> = admin
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let english = server
        .client
        .get(format!("{}/", server.base_url))
        .header(reqwest::header::ACCEPT_LANGUAGE, "en-US,en;q=0.9")
        .header(reqwest::header::COOKIE, cookies.join("; "))
        .send()
        .await
        .expect("home")
        .text()
        .await
        .expect("text");
    assert!(english.contains("<html lang=\"en\">"), "{english}");
    let (_, me) = server.get("/api/v1/me").await;
    let (status, _) = server
        .api(Method::PATCH, "/api/v1/me", Some(json!({"name": "", "email": "", "language": "ja", "time_zone": "Asia/Tokyo", "version": me["version"]})))
        .await;
    assert_eq!(status, StatusCode::OK);
    let chosen = server
        .client
        .get(format!("{}/", server.base_url))
        .header(reqwest::header::ACCEPT_LANGUAGE, "en-US,en;q=0.9")
        .header(reqwest::header::COOKIE, cookies.join("; "))
        .send()
        .await
        .expect("home")
        .text()
        .await
        .expect("text");
    assert!(
        chosen.contains("<html lang=\"ja\">"),
        "a chosen language wins"
    );
    let (status, body) = server
        .api(Method::PATCH, "/api/v1/me", Some(json!({"name": "", "email": "", "language": "fr", "time_zone": "Asia/Tokyo", "version": me["version"].as_i64().unwrap_or(0) + 1})))
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("language"))
    );
    server.shutdown().await;
}
both_backends!(
    language_follows_the_browser_until_chosen,
    language_follows_the_browser_until_chosen
);

/// Locations in the console: the settings page adds them, the device list filters by one and
/// sets one in bulk, the device's summary names it.
async fn locations_in_the_console(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    let mut ids = Vec::new();
    for name in ["pc-01", "pc-02"] {
        let mut agent = crate::support::ProtoAgent::new(&server, name);
        agent.enroll(&token).await;
        ids.push(agent.device_id());
    }
    let mut admin = signed_in_admin(&server).await;
    let (status, _, page) = admin.get("/locations").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<h1>設置場所</h1>"), "{page}");
    let csrf = csrf_in(&page);
    let (status, location, _) = admin
        .post("/locations", &[("csrf", &csrf), ("name", "本館 <2F>")])
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/locations")
    );
    let (_, list) = server.get("/api/v1/locations").await;
    let id = list[0]["id"].to_string();
    let (_, _, page) = admin.get("/devices").await;
    assert!(
        page.contains("本館 &#60;2F&#62;"),
        "the filter offers it, as text"
    );
    let (status, _, page) = admin
        .post(
            "/devices/bulk",
            &[
                ("csrf", &csrf),
                ("action", "set_location"),
                ("location_id", ""),
                ("ids", &ids[0].to_string()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("設定する設置場所を選択してください"));
    let (_, _, result) = admin
        .post(
            "/devices/bulk",
            &[
                ("csrf", &csrf),
                ("action", "set_location"),
                ("location_id", &id),
                ("ids", &ids[0].to_string()),
            ],
        )
        .await;
    assert!(
        result.contains("<strong class=\"done-count\">1</strong>"),
        "{result}"
    );
    let (_, _, page) = admin.get(&format!("/devices?location={id}")).await;
    assert!(
        page.contains(&format!("data-id=\"{}\"", ids[0]))
            && !page.contains(&format!("data-id=\"{}\"", ids[1]))
    );
    let (_, _, page) = admin.get(&format!("/devices/{}", ids[0])).await;
    assert!(
        page.contains("<th>設置場所</th><td>本館 &#60;2F&#62;</td>"),
        "{page}"
    );
    server.shutdown().await;
}
both_backends!(locations_in_the_console, locations_in_the_console);
