//! Console sessions and accounts through the REST API: first login, forced password change,
//! CSRF, lockout and unlock, idle timeout, the audit log and its files.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::both_backends;
use crate::support::{Backend, TestServer};

/// A client holding one console session (cookie and CSRF token), as a browser would.
struct Session<'a> {
    server: &'a TestServer,
    cookie: String,
    csrf: String,
}

/// Signs in; returns the status and body, and the session when it succeeded.
async fn sign_in<'a>(
    server: &'a TestServer,
    login: &str,
    password: &str,
) -> (StatusCode, Value, Option<Session<'a>>) {
    let response = server
        .client
        .post(format!("{}/api/v1/session", server.base_url))
        .json(&json!({"login": login, "password": password}))
        .send()
        .await
        .expect("sign in");
    let status = response.status();
    let cookie = response
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|value| value.to_str().ok())
        .map(str::to_string);
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let session = cookie.map(|cookie| {
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Strict"), "{cookie}");
        Session {
            server,
            cookie: cookie.split(';').next().unwrap_or_default().to_string(),
            csrf: body["csrf_token"].as_str().unwrap_or_default().to_string(),
        }
    });
    (status, body, session)
}

impl Session<'_> {
    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        csrf: bool,
    ) -> (StatusCode, Value) {
        let mut request = self
            .server
            .client
            .request(method, format!("{}{path}", self.server.base_url))
            .header(reqwest::header::COOKIE, &self.cookie);
        if csrf {
            request = request.header("x-csrf-token", &self.csrf);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

async fn audit(server: &TestServer, query: &str) -> Vec<Value> {
    let (status, page) = server
        .get(&format!("/api/v1/audit?limit=1000&{query}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["items"].as_array().cloned().unwrap_or_default()
}

/// The first login must change the generated password before anything else; the new
/// password follows the policy and cannot be the old one; state changes need the CSRF token.
async fn first_login_forces_a_password_change(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (status, body, session) = sign_in(&server, "admin", &server.admin_password).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["must_change_password"], true);
    let session = session.expect("a session cookie");
    let (status, body) = session
        .call(Method::GET, "/api/v1/devices", None, false)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "password_change_required", "{body}");
    let (status, me) = session.call(Method::GET, "/api/v1/me", None, false).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["login"], "admin");
    assert_eq!(me["system_admin"], true);

    let change =
        |new: &str| json!({"current_password": server.admin_password, "new_password": new});
    let (status, body) = session
        .call(
            Method::PUT,
            "/api/v1/me/password",
            Some(change("Kanri-2026!x")),
            false,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "no CSRF token");
    assert_eq!(body["code"], "csrf_token_invalid");
    for (weak, code) in [
        ("short1A", "password_too_short"),
        ("alllowercase1", "password_too_few_classes"),
        ("Admin-1234", "password_contains_login"),
        (server.admin_password.as_str(), "password_reused"),
    ] {
        let (status, body) = session
            .call(Method::PUT, "/api/v1/me/password", Some(change(weak)), true)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{weak}: {body}");
        assert_eq!(body["code"], code, "{weak}");
    }
    let (status, body) = session
        .call(
            Method::PUT,
            "/api/v1/me/password",
            Some(json!({"current_password": "wrong", "new_password": "Kanri-2026!x"})),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, _) = session
        .call(
            Method::PUT,
            "/api/v1/me/password",
            Some(change("Kanri-2026!x")),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = session
        .call(Method::GET, "/api/v1/devices", None, false)
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the session goes on with the new password"
    );
    let (status, _, _) = sign_in(&server, "admin", &server.admin_password).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old password is gone");
    let (status, body, again) = sign_in(&server, "admin", "Kanri-2026!x").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["must_change_password"], false);
    let again = again.expect("session");
    let (status, _) = again
        .call(Method::DELETE, "/api/v1/session", None, true)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = again.call(Method::GET, "/api/v1/me", None, false).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "signed out");

    let ops: Vec<(String, String)> = audit(&server, "category=Authentication")
        .await
        .iter()
        .map(|e| {
            (
                e["op"].as_str().unwrap_or("").into(),
                e["result"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        ops,
        vec![
            ("Logout".into(), "Success".into()),
            ("Login".into(), "Success".into()),
            ("Login".into(), "Failure".into()),
            ("Login".into(), "Success".into()),
        ],
        "newest first"
    );
    let changes = audit(&server, "category=ConfigurationAccess").await;
    let results: Vec<&str> = changes
        .iter()
        .filter_map(|e| e["result"].as_str())
        .collect();
    assert_eq!(
        results,
        vec!["Success", "Failure"],
        "the wrong current password is audited"
    );
    server.shutdown().await;
}
both_backends!(
    first_login_forces_a_password_change,
    first_login_forces_a_password_change
);

/// Five wrong passwords lock the account; the right one is refused until a user-account
/// administrator unlocks it; lock and unlock are audited, and the audit file has them.
async fn lockout_and_unlock(backend: Backend) {
    let server = TestServer::start(backend).await;
    for attempt in 1..=5 {
        let (status, body, _) = sign_in(&server, "admin", "Wrong-pass-1").await;
        let expected = if attempt < 5 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(status, expected, "attempt {attempt}: {body}");
    }
    let (status, body, _) = sign_in(&server, "admin", &server.admin_password).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "account_locked");
    let (_, me) = server.get("/api/v1/me").await;
    assert_eq!(me["locked"], true);
    let (status, unlocked) = server
        .api(
            Method::POST,
            &format!("/api/v1/users/{}/unlock", me["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(unlocked["was_locked"], true);
    let (status, _, _) = sign_in(&server, "admin", &server.admin_password).await;
    assert_eq!(status, StatusCode::OK);
    let (_, me) = server.get("/api/v1/me").await;
    assert_eq!(me["failed_logins"], 0);

    let (_, _, _) = sign_in(&server, "nobody", "Whatever-1").await;
    let failures = audit(&server, "result=Failure").await;
    assert_eq!(
        failures.len(),
        7,
        "five wrong passwords, one locked, one unknown user"
    );
    assert_eq!(failures[0]["login"], "nobody");
    assert_eq!(failures[0]["detail"]["reason"], "unknown_user");
    assert!(failures.iter().all(|e| e["ip"] == "127.0.0.1"));
    let lock_ops: Vec<&str> = audit(&server, "category=ConfigurationAccess")
        .await
        .iter()
        .filter_map(|e| e["op"].as_str())
        .map(|op| {
            if op == "Lock" {
                "Lock"
            } else if op == "Unlock" {
                "Unlock"
            } else {
                "other"
            }
        })
        .collect();
    assert_eq!(lock_ops, vec!["Unlock", "Lock"]);

    let files = kanri_server::audit::file::AuditFiles::new(&server.state().config.data_dir);
    files
        .catch_up(&server.state().db)
        .await
        .expect("audit files");
    let text = std::fs::read_to_string(files.generation(0)).expect("audit.log");
    assert!(text
        .lines()
        .all(|line| line.starts_with("CALFHM 1.0, seqnum=")));
    assert!(text.contains("op=Lock") && text.contains("op=Unlock"));
    assert!(text.contains("subj:uid=\"nobody\""));
    server.shutdown().await;
}
both_backends!(lockout_and_unlock, lockout_and_unlock);

/// A session idle for longer than the policy allows is over; the policy is versioned.
async fn idle_sessions_end(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (_, mut policy) = server.get("/api/v1/account-policy").await;
    assert_eq!(policy["idle_minutes"], 60);
    policy["idle_minutes"] = json!(5);
    let (status, updated) = server
        .api(Method::PUT, "/api/v1/account-policy", Some(policy.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["idle_minutes"], 5);
    let (status, _) = server
        .api(Method::PUT, "/api/v1/account-policy", Some(policy))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a stale version is refused");
    let mut bad = updated.clone();
    bad["classes_required"] = json!(7);
    let (status, body) = server
        .api(Method::PUT, "/api/v1/account-policy", Some(bad))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["field"], "classes_required");

    let (_, _, session) = sign_in(&server, "admin", &server.admin_password).await;
    let session = session.expect("session");
    let (status, _) = session.call(Method::GET, "/api/v1/me", None, false).await;
    assert_eq!(status, StatusCode::OK);
    let six_minutes_ago = kanri_server::core::time::now_ms() - 6 * 60_000;
    sqlx::query("UPDATE console_sessions SET last_seen_at = $1")
        .bind(six_minutes_ago)
        .execute(server.state().db.write())
        .await
        .expect("age the session");
    let (status, _) = session.call(Method::GET, "/api/v1/me", None, false).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    server.shutdown().await;
}
both_backends!(idle_sessions_end, idle_sessions_end);

async fn sign_in_changed<'a>(
    server: &'a TestServer,
    login: &str,
    first: &str,
    new: &str,
) -> Session<'a> {
    let (status, body, session) = sign_in(server, login, first).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["must_change_password"], true,
        "a new account changes its password first"
    );
    let session = session.expect("session");
    let (status, body) = session
        .call(
            Method::PUT,
            "/api/v1/me/password",
            Some(json!({"current_password": first, "new_password": new})),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    session
}

/// A department administrator sees and changes only the devices of its departments (the
/// subtrees it was given); an account without the devices division gets 403; accounts and
/// departments follow their rules.
async fn department_scope_limits_what_an_account_sees(backend: Backend) {
    use crate::support::ProtoAgent;
    let server = TestServer::start(backend).await;
    let department = |name: &str, parent: Option<i64>| {
        let server = &server;
        let body = json!({"name": name, "parent_id": parent});
        async move {
            let (status, created) = server
                .api(Method::POST, "/api/v1/departments", Some(body))
                .await;
            assert_eq!(status, StatusCode::CREATED, "{created}");
            created
        }
    };
    let hospital = department("本院", None).await;
    let nursing = department("看護部", hospital["id"].as_i64()).await;
    let pharmacy = department("薬剤部", None).await;
    let (status, body) = server
        .api(
            Method::POST,
            "/api/v1/departments",
            Some(json!({"name": " 看護部 ", "parent_id": hospital["id"]})),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("name_taken"))
    );
    let (status, _) = server
        .api(
            Method::PUT,
            &format!("/api/v1/departments/{}", hospital["id"]),
            Some(
                json!({"name": "本院", "parent_id": nursing["id"], "version": hospital["version"]}),
            ),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "no department moves under its own child"
    );
    let (status, _) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/departments/{}", hospital["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "it has a sub-department");

    let token = server.enrollment_token(None, None).await;
    let mut ids = Vec::new();
    for (name, department) in [
        ("kango-01", Some(&nursing)),
        ("yakuzai-01", Some(&pharmacy)),
        ("mishozoku-01", None),
    ] {
        let mut agent = ProtoAgent::new(&server, name);
        agent.enroll(&token).await;
        if let Some(department) = department {
            let (status, body) = server
                .api(
                    Method::PATCH,
                    &format!("/api/v1/devices/{}", agent.device_id()),
                    Some(json!({"department_id": department["id"]})),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(body["department_id"], department["id"]);
        }
        ids.push(agent.device_id());
    }

    let account = json!({
        "login": "kango-admin", "password": "First-pass-1", "name": "<script>alert(1)</script>",
        "email": "kango@example.jp", "divisions": ["devices"], "all_departments": false,
        "departments": [hospital["id"]]
    });
    let (status, created) = server
        .api(Method::POST, "/api/v1/users", Some(account.clone()))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(
        created["name"], "<script>alert(1)</script>",
        "stored as typed, escaped where shown"
    );
    let (status, _) = server
        .api(Method::POST, "/api/v1/users", Some(account))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "the user id is taken");
    let scoped = sign_in_changed(&server, "kango-admin", "First-pass-1", "Kango-2026!ok").await;
    let (status, page) = scoped
        .call(Method::GET, "/api/v1/devices", None, false)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let seen: Vec<i64> = page["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["id"].as_i64())
        .collect();
    assert_eq!(seen, vec![ids[0]], "only the nursing department's device");
    for hidden in [ids[1], ids[2]] {
        let (status, _) = scoped
            .call(
                Method::GET,
                &format!("/api/v1/devices/{hidden}"),
                None,
                false,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = scoped
            .call(
                Method::GET,
                &format!("/api/v1/devices/{hidden}/software"),
                None,
                false,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = scoped
            .call(
                Method::DELETE,
                &format!("/api/v1/devices/{hidden}"),
                None,
                true,
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    let (status, body) = scoped
        .call(
            Method::PATCH,
            &format!("/api/v1/devices/{}", ids[0]),
            Some(json!({"department_id": pharmacy["id"]})),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, events) = scoped
        .call(Method::GET, "/api/v1/events?limit=1000", None, false)
        .await;
    assert_eq!(status, StatusCode::OK);
    let event_devices: Vec<Value> = events["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["device_id"].clone())
        .collect();
    assert!(
        !event_devices.is_empty(),
        "the nursing device's enrollment events"
    );
    assert!(
        event_devices.iter().all(|d| d == &json!(ids[0])),
        "only events of the nursing department's device: {event_devices:?}"
    );
    let (status, _) = scoped.call(Method::GET, "/api/v1/users", None, false).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "no user-account management privilege"
    );
    let (status, _) = scoped.call(Method::GET, "/api/v1/audit", None, false).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "no system administration privilege"
    );

    let (status, assets_only) = server
        .api(Method::POST, "/api/v1/users", Some(json!({"login": "shisan", "password": "First-pass-1", "divisions": ["assets"], "all_departments": true})))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let other = sign_in_changed(&server, "shisan", "First-pass-1", "Zaimu-2026!ok").await;
    let (status, body) = other
        .call(Method::GET, "/api/v1/devices", None, false)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "division_required");

    // Stale edits conflict; the built-in admin and one's own account stay.
    let mut edit = assets_only.clone();
    for key in [
        "id",
        "builtin",
        "must_change_password",
        "password_changed_at",
        "locked",
        "failed_logins",
        "created_at",
        "updated_at",
        "login",
    ] {
        edit.as_object_mut().expect("object").remove(key);
    }
    let (status, body) = server
        .api(
            Method::PUT,
            &format!("/api/v1/users/{}", assets_only["id"]),
            Some(edit.clone()),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "the password change moved the version on: {body}"
    );
    let (_, fresh) = server
        .get(&format!("/api/v1/users/{}", assets_only["id"]))
        .await;
    edit["version"] = fresh["version"].clone();
    edit["divisions"] = json!(["assets", "devices"]);
    let (status, body) = server
        .api(
            Method::PUT,
            &format!("/api/v1/users/{}", assets_only["id"]),
            Some(edit),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = other
        .call(Method::GET, "/api/v1/devices", None, false)
        .await;
    assert_eq!(status, StatusCode::OK, "the new division applies at once");
    let (_, me) = server.get("/api/v1/me").await;
    let (status, _) = server
        .api(Method::DELETE, &format!("/api/v1/users/{}", me["id"]), None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the built-in admin stays");
    let (status, _) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/users/{}", assets_only["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = other.call(Method::GET, "/api/v1/me", None, false).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a deleted account's sessions end"
    );

    // Deleting a department leaves its devices without one (seen by all-department accounts).
    let (status, _) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/departments/{}", pharmacy["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, device) = server.get(&format!("/api/v1/devices/{}", ids[1])).await;
    assert_eq!(device["department_id"], Value::Null);
    let ops: Vec<String> = audit(&server, "category=ConfigurationAccess&login=admin")
        .await
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["op"].as_str().unwrap_or(""),
                e["object"].as_str().unwrap_or("")
            )
        })
        .collect();
    let device_changes = audit(&server, "category=ContentAccess").await;
    assert_eq!(device_changes.len(), 2, "the two department assignments");
    assert!(device_changes
        .iter()
        .all(|e| e["object"] == "DeviceInfo" && e["op"] == "Update" && e["login"] == "admin"));
    assert_eq!(device_changes[0]["detail"]["department_id"], pharmacy["id"]);
    assert_eq!(device_changes[0]["detail"]["hostname"], "yakuzai-01");
    for expected in [
        "Add Department",
        "Add User",
        "Update User",
        "Delete User",
        "Delete Department",
    ] {
        assert!(ops.contains(&expected.to_string()), "{expected} in {ops:?}");
    }
    server.shutdown().await;
}
both_backends!(
    department_scope_limits_what_an_account_sees,
    department_scope_limits_what_an_account_sees
);

/// An API token acts as its owner, scope included, until it is revoked; every account edits
/// its own profile.
async fn tokens_and_profile_belong_to_their_owner(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (_, pharmacy) = server
        .api(
            Method::POST,
            "/api/v1/departments",
            Some(json!({"name": "薬剤部"})),
        )
        .await;
    let (status, _) = server
        .api(
            Method::POST,
            "/api/v1/users",
            Some(json!({
                "login": "yakuzai", "password": "First-pass-1", "divisions": ["devices"],
                "all_departments": false, "departments": [pharmacy["id"]]
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let token = server.enrollment_token(None, None).await;
    let mut agent = crate::support::ProtoAgent::new(&server, "somewhere-01");
    agent.enroll(&token).await;
    let session = sign_in_changed(&server, "yakuzai", "First-pass-1", "Kusuri-2026!ok").await;
    let (status, created) = session
        .call(
            Method::POST,
            "/api/v1/tokens",
            Some(json!({"name": "監視スクリプト", "expires_in_days": 30})),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["token"].as_str().expect("token").to_string();
    let with_token = |path: &str| {
        server
            .client
            .get(format!("{}{path}", server.base_url))
            .bearer_auth(&secret)
            .send()
    };
    let response = with_token("/api/v1/devices").await.expect("list");
    assert_eq!(response.status(), StatusCode::OK);
    let page: Value = response.json().await.expect("json");
    assert_eq!(
        page["items"].as_array().map(Vec::len),
        Some(0),
        "the token has the owner's scope"
    );
    let response = with_token(&format!("/api/v1/devices/{}", agent.device_id()))
        .await
        .expect("get");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let (_, listed) = session
        .call(Method::GET, "/api/v1/tokens", None, false)
        .await;
    assert_eq!(listed[0]["name"], "監視スクリプト");
    assert!(listed[0].get("token").is_none(), "never listed again");
    let (status, _) = session
        .call(
            Method::DELETE,
            &format!("/api/v1/tokens/{}", created["id"]),
            None,
            true,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let response = with_token("/api/v1/devices").await.expect("list");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "revoked");
    let (status, _) = server
        .api(
            Method::DELETE,
            &format!("/api/v1/tokens/{}", created["id"]),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another account's token is not yours to revoke"
    );

    let (_, me) = session.call(Method::GET, "/api/v1/me", None, false).await;
    let profile = |tz: &str, version: &Value| {
        json!({
            "name": "薬剤 太郎", "email": "yakuzai@example.jp", "language": "en",
            "time_zone": tz, "version": version
        })
    };
    let (status, body) = session
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(profile("Mars/Olympus", &me["version"])),
            true,
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("time_zone"))
    );
    let (status, body) = session
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(profile("Asia/Tokyo", &me["version"])),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["name"].as_str(), body["language"].as_str()),
        (Some("薬剤 太郎"), Some("en"))
    );
    let (status, _) = session
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(profile("Asia/Tokyo", &me["version"])),
            true,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a stale version");

    // An administrator's reset: the account's sessions end, the next login must change the
    // password, and the audit log names the administrator as the actor.
    let (status, _) = server
        .api(
            Method::PUT,
            &format!("/api/v1/users/{}/password", me["id"]),
            Some(json!({"new_password": "Reset-pass-9"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = session.call(Method::GET, "/api/v1/me", None, false).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a reset ends the sessions"
    );
    let (status, body, _) = sign_in(&server, "yakuzai", "Reset-pass-9").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["must_change_password"], true);
    let resets: Vec<Value> = audit(&server, "category=ConfigurationAccess&login=admin")
        .await
        .into_iter()
        .filter(|e| e["detail"]["reset"] == true)
        .collect();
    assert_eq!(resets.len(), 1);
    assert_eq!(resets[0]["object_id"], "yakuzai");
    server.shutdown().await;
}
both_backends!(
    tokens_and_profile_belong_to_their_owner,
    tokens_and_profile_belong_to_their_owner
);
