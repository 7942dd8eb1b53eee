//! The web console over HTTP: sign-in with the form's CSRF token, the forced password
//! change, pages in Japanese and English, escaping of what agents and users typed, sign-out.
//! (Browser-driven tests in Chromium come with the rest of the console.)

use reqwest::header::{ACCEPT_LANGUAGE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::support::{Backend, ProtoAgent, TestServer};

/// A browser without JavaScript: keeps cookies, does not follow redirects.
pub(crate) struct Browser {
    client: reqwest::Client,
    base: String,
    pub(crate) cookies: Vec<(String, String)>,
}

impl Browser {
    pub(crate) fn new(server: &TestServer) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: server.base_url.clone(),
            cookies: Vec::new(),
        }
    }

    async fn send(
        &mut self,
        method: Method,
        path: &str,
        form: Option<&[(&str, &str)]>,
    ) -> (StatusCode, String, String) {
        let (status, location, body) = self.send_raw(method, path, form, None).await;
        (
            status,
            location,
            String::from_utf8_lossy(&body).into_owned(),
        )
    }

    async fn send_body(
        &mut self,
        method: Method,
        path: &str,
        (content_type, body): (&str, Vec<u8>),
    ) -> (StatusCode, String, String) {
        let (status, location, body) = self
            .send_raw(method, path, None, Some((content_type, body)))
            .await;
        (
            status,
            location,
            String::from_utf8_lossy(&body).into_owned(),
        )
    }

    /// A GET whose answer is bytes (a download in another encoding than UTF-8).
    pub(crate) async fn get_bytes(&mut self, path: &str) -> (StatusCode, Vec<u8>) {
        let (status, _, body) = self.send_raw(Method::GET, path, None, None).await;
        (status, body)
    }

    async fn send_raw(
        &mut self,
        method: Method,
        path: &str,
        form: Option<&[(&str, &str)]>,
        raw: Option<(&str, Vec<u8>)>,
    ) -> (StatusCode, String, Vec<u8>) {
        let cookie_header: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header(ACCEPT_LANGUAGE, "ja,en;q=0.5")
            .header(COOKIE, cookie_header.join("; "));
        if let Some(form) = form {
            request = request.form(form);
        }
        if let Some((content_type, body)) = raw {
            request = request
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(body);
        }
        let response = request.send().await.expect("request");
        for value in response.headers().get_all(SET_COOKIE) {
            let pair = value.to_str().unwrap_or("").split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                self.cookies.retain(|(k, _)| k != name);
                if !value.is_empty() {
                    self.cookies.push((name.to_string(), value.to_string()));
                }
            }
        }
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = response
            .bytes()
            .await
            .map(|b| b.to_vec())
            .unwrap_or_default();
        (status, location, body)
    }

    /// Submits the login form with a fresh form token.
    pub(crate) async fn sign_in(
        &mut self,
        login: &str,
        password: &str,
    ) -> (StatusCode, String, String) {
        let (_, _, page) = self.get("/login").await;
        let csrf = csrf_in(&page);
        self.post(
            "/login",
            &[("login", login), ("password", password), ("csrf", &csrf)],
        )
        .await
    }

    pub(crate) async fn get(&mut self, path: &str) -> (StatusCode, String, String) {
        self.send(Method::GET, path, None).await
    }

    pub(crate) async fn post(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String, String) {
        self.send(Method::POST, path, Some(form)).await
    }

    /// Posts a `multipart/form-data` form as a browser sends a file input: the text fields,
    /// then the file as `file_field` named `file_name`.
    pub(crate) async fn post_file(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        (file_field, file_name, bytes): (&str, &str, &[u8]),
    ) -> (StatusCode, String, String) {
        let boundary = "----kanri-test-boundary-7f3a";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; \
                 filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let content_type = format!("multipart/form-data; boundary={boundary}");
        self.send_body(Method::POST, path, (&content_type, body))
            .await
    }
}

/// The value of `<input … name="csrf" value="…">` in a page.
pub(crate) fn csrf_in(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..].split('"').next().unwrap_or("").to_string()
}

async fn console_signs_in_changes_password_and_escapes(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    let mut agent = ProtoAgent::new(&server, "<img src=x onerror=alert(1)>");
    agent.enroll(&token).await;
    let mut browser = Browser::new(&server);

    let (status, location, _) = browser.get("/").await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/login")
    );
    let (status, _, page) = browser.get("/login").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("<html lang=\"ja\">") && page.contains("ユーザーID"),
        "{page}"
    );
    let csrf = csrf_in(&page);
    let password = server.admin_password.clone();
    let (status, _, _) = browser
        .post(
            "/login",
            &[
                ("login", "admin"),
                ("password", &password),
                ("csrf", "forged"),
            ],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a login form without its token"
    );
    let (_, _, page) = browser.get("/login").await;
    let csrf_again = csrf_in(&page);
    assert_ne!(csrf, csrf_again, "a fresh token per form");
    let (status, _, page) = browser
        .post(
            "/login",
            &[
                ("login", "admin"),
                ("password", "wrong"),
                ("csrf", &csrf_again),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("ユーザーIDまたはパスワードが正しくありません"));
    let csrf = csrf_in(&page);
    let (status, location, _) = browser
        .post(
            "/login",
            &[("login", "admin"), ("password", &password), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/password")
    );

    let (status, location, _) = browser.get("/devices").await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/password"),
        "forced change first"
    );
    let (status, _, page) = browser.get("/password").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("パスワードを変更してください"));
    let session_csrf = csrf_in(&page);
    let change = |csrf: &str, new: &str, confirm: &str| {
        vec![
            ("csrf".to_string(), csrf.to_string()),
            ("current".to_string(), password.clone()),
            ("new".to_string(), new.to_string()),
            ("confirm".to_string(), confirm.to_string()),
        ]
    };
    let form = change("forged", "Kanri-2026!x", "Kanri-2026!x");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, _, _) = browser.post("/password", &pairs).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let form = change(&session_csrf, "Kanri-2026!x", "Kanri-2026!y");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, _, page) = browser.post("/password", &pairs).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("一致しません"));
    let form = change(&session_csrf, "short", "short");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, _, page) = browser.post("/password", &pairs).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("パスワードが短すぎます"),
        "the rule in Japanese"
    );
    let form = change(&session_csrf, "Kanri-2026!x", "Kanri-2026!x");
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, location, _) = browser.post("/password", &pairs).await;
    assert_eq!((status, location.as_str()), (StatusCode::SEE_OTHER, "/"));

    let (status, _, home) = browser.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("管理状態別の機器数"), "{home}");
    assert!(
        home.contains("/devices?state=managed"),
        "panels link to filtered lists"
    );
    let (status, _, list) = browser.get("/devices?state=managed&limit=100").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.contains("&#60;img src=x onerror=alert(1)&#62;"),
        "escaped: {list}"
    );
    assert!(!list.contains("<img src=x"), "never raw");
    // The detail page: summary, a section laid out from the agent's JSON, software, history.
    let inventory =
        crate::support::inventory::sample("<img src=x onerror=alert(1)>", &[("bash", "5.2.15")], 8);
    let (status, _) = agent.upload(&inventory).await;
    assert_eq!(status, StatusCode::OK);
    let device = agent.device_id();
    assert!(
        list.contains(&format!("href=\"/devices/{device}\"")),
        "rows link to the detail"
    );
    let (status, _, summary) = browser.get(&format!("/devices/{device}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        summary.contains("概要") && summary.contains("&#60;img src=x"),
        "{summary}"
    );
    let (_, _, hardware) = browser
        .get(&format!("/devices/{device}?tab=hardware"))
        .await;
    assert!(hardware.contains("<table class=\"fields\">"), "{hardware}");
    let (_, _, software) = browser
        .get(&format!("/devices/{device}?tab=software"))
        .await;
    assert!(
        software.contains("<td>bash</td><td>5.2.15</td>"),
        "{software}"
    );
    let (status, _, _) = browser.get("/devices/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, _, filtered) = browser.get("/devices?hostname=nothing-like-this").await;
    assert!(filtered.contains("該当する機器はありません"));

    let (_, me) = server.get("/api/v1/me").await;
    let (status, _) = server
        .api(Method::PATCH, "/api/v1/me", Some(json!({"name": "", "email": "", "language": "en", "time_zone": "Asia/Tokyo", "version": me["version"]})))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, english) = browser.get("/devices").await;
    assert!(
        english.contains("<html lang=\"en\">") && english.contains("Host name"),
        "the account's language"
    );

    // A password within the warning days: the login goes to the password page, which says
    // why, and nothing else is blocked.
    let eighty_five_days_ago = kanri_server::core::time::now_ms() - 85 * 86_400_000;
    sqlx::query("UPDATE users SET password_changed_at = $1 WHERE login = 'admin'")
        .bind(eighty_five_days_ago)
        .execute(server.state().db.write())
        .await
        .expect("age the password");
    let mut second = Browser::new(&server);
    let (_, _, page) = second.get("/login").await;
    let csrf = csrf_in(&page);
    let (status, location, _) = second
        .post(
            "/login",
            &[
                ("login", "admin"),
                ("password", "Kanri-2026!x"),
                ("csrf", &csrf),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/password")
    );
    let (_, _, page) = second.get("/password").await;
    assert!(
        page.contains("expires soon"),
        "the account reads English now: {page}"
    );
    let (status, _, _) = second.get("/devices").await;
    assert_eq!(status, StatusCode::OK, "a warning, not a block");

    let session_csrf = csrf_in(&english);
    let (status, _, _) = browser.post("/logout", &[("csrf", "forged")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, location, _) = browser.post("/logout", &[("csrf", &session_csrf)]).await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/login")
    );
    let (status, location, _) = browser.get("/").await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/login")
    );
    let (status, _, css) = browser.get(kanri_server::console::assets::CSS_PATH).await;
    assert_eq!(status, StatusCode::OK);
    assert!(css.contains("1366"));
    server.shutdown().await;
}
both_backends!(
    console_signs_in_changes_password_and_escapes,
    console_signs_in_changes_password_and_escapes
);

/// The device list exports as CSV in the encoding chosen — Shift_JIS from the console,
/// UTF-16LE and UTF-8 from the API — with every filtered row across pages, and the export
/// is audited.
async fn device_list_exports_in_every_encoding(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    let mut ids = Vec::new();
    for name in [
        "看護部-pc01",
        "看護部-pc02",
        "薬剤部-pc01",
        "jimu,\"quoted\"",
    ] {
        let mut agent = ProtoAgent::new(&server, name);
        agent.enroll(&token).await;
        ids.push(agent.device_id());
    }
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
            &format!("/api/v1/devices/{}", ids[0]),
            Some(json!({"department_id": nursing["id"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Through the API, as an administrator's script would.
    let response = server
        .client
        .get(format!(
            "{}/api/v1/devices/export?encoding=utf-16le&hostname=看護部",
            server.base_url
        ))
        .bearer_auth(&server.api_token)
        .send()
        .await
        .expect("export");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap_or(""),
        "text/csv; charset=utf-16le"
    );
    let bytes = response.bytes().await.expect("body");
    assert_eq!(&bytes[..2], b"\xFF\xFE", "a BOM");
    let units: Vec<u16> = bytes[2..]
        .chunks(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .collect();
    let text = String::from_utf16(&units).expect("utf-16");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "header and the two nursing PCs: {text}");
    assert!(lines[0].starts_with("ID,ホスト名,管理状態"), "{}", lines[0]);
    assert!(lines[1].contains("看護部-pc01") && lines[1].contains("管理対象"));
    assert!(
        lines[0].ends_with(",部署,設置場所") && lines[1].ends_with(",看護部,"),
        "the department by name, no location: {}",
        lines[1]
    );

    let response = server
        .client
        .get(format!(
            "{}/api/v1/devices/export?encoding=utf-8&lang=en",
            server.base_url
        ))
        .bearer_auth(&server.api_token)
        .send()
        .await
        .expect("export");
    let text = response.text().await.expect("utf-8");
    assert!(text.starts_with("ID,Host name,State"), "{text}");
    assert!(
        text.contains("\"jimu,\"\"quoted\"\"\""),
        "CSV quoting: {text}"
    );
    assert_eq!(text.lines().count(), 5);
    let (status, body) = server.get("/api/v1/devices/export?encoding=ebcdic").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("encoding"))
    );

    // From the console, in Shift_JIS (CP932), which Japanese Excel opens as is.
    let mut browser = Browser::new(&server);
    let (_, _, page) = browser.get("/login").await;
    let csrf = csrf_in(&page);
    let password = server.admin_password.clone();
    browser
        .post(
            "/login",
            &[("login", "admin"), ("password", &password), ("csrf", &csrf)],
        )
        .await;
    let (_, _, page) = browser.get("/password").await;
    let csrf = csrf_in(&page);
    browser
        .post(
            "/password",
            &[
                ("csrf", &csrf),
                ("current", &password),
                ("new", "Kanri-2026!x"),
                ("confirm", "Kanri-2026!x"),
            ],
        )
        .await;
    let (_, _, list) = browser.get("/devices?hostname=%E8%96%AC").await;
    assert!(
        list.contains("/devices.csv?hostname="),
        "the list links its export"
    );
    let response = browser
        .client
        .get(format!(
            "{}/devices.csv?hostname=%E8%96%AC%E5%89%A4&encoding=shift_jis",
            server.base_url
        ))
        .header(
            COOKIE,
            browser
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
        .send()
        .await
        .expect("csv");
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.bytes().await.expect("body");
    let (text, _, errors) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!errors, "valid Shift_JIS");
    assert!(text.starts_with("ID,ホスト名"), "{text}");
    assert!(text.contains("薬剤部-pc01"));
    assert_eq!(text.lines().count(), 2);
    let (_, audit) = server.get("/api/v1/audit?category=ContentAccess").await;
    let exports = audit["items"]
        .as_array()
        .map(|items| items.iter().filter(|e| e["op"] == "Export").count());
    assert_eq!(exports, Some(3), "each export is audited: {audit}");
    assert_eq!(audit["items"][0]["detail"]["encoding"], "shift_jis");
    assert_eq!(audit["items"][0]["detail"]["filter"]["hostname"], "薬剤");
    let (_, _, page) = browser.get(&format!("/devices/{}", ids[0])).await;
    assert!(
        page.contains("<th>部署</th><td>看護部</td>"),
        "the summary names the department: {page}"
    );
    server.shutdown().await;
}
both_backends!(
    device_list_exports_in_every_encoding,
    device_list_exports_in_every_encoding
);

/// Under HTTPS every cookie the console and the API set is `Secure`.
#[tokio::test]
async fn cookies_are_secure_under_https() {
    let server = TestServer::start_with(Backend::Sqlite, |config| config.http = false).await;
    assert!(server.base_url.starts_with("https://"));
    let response = server
        .client
        .get(format!("{}/login", server.base_url))
        .send()
        .await
        .expect("login page");
    let cookie = response.headers()[SET_COOKIE]
        .to_str()
        .unwrap_or("")
        .to_string();
    assert!(
        cookie.starts_with("kanri_login_csrf=") && cookie.contains("; Secure"),
        "{cookie}"
    );
    let response = server
        .client
        .post(format!("{}/api/v1/session", server.base_url))
        .json(&json!({"login": "admin", "password": server.admin_password}))
        .send()
        .await
        .expect("sign in");
    let cookie = response.headers()[SET_COOKIE]
        .to_str()
        .unwrap_or("")
        .to_string();
    assert!(
        cookie.starts_with("kanri_session=") && cookie.contains("; Secure"),
        "{cookie}"
    );
    server.shutdown().await;
}

/// A browser signed in as `admin` with its first password changed.
pub(crate) async fn signed_in_admin(server: &TestServer) -> Browser {
    signed_in(server, "admin", &server.admin_password, "Kanri-2026!x").await
}

/// A browser signed in as `login` through the console's forms, its first password `first`
/// changed to `new`.
pub(crate) async fn signed_in(server: &TestServer, login: &str, first: &str, new: &str) -> Browser {
    let mut browser = Browser::new(server);
    browser.sign_in(login, first).await;
    let (_, _, page) = browser.get("/password").await;
    let csrf = csrf_in(&page);
    let (status, _, _) = browser
        .post(
            "/password",
            &[
                ("csrf", &csrf),
                ("current", first),
                ("new", new),
                ("confirm", new),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    browser
}

/// The device list's framework in the console: chosen columns, a mistyped condition shown
/// on the form, saved filters, bulk actions behind the CSRF token, and notes shown as text.
async fn device_list_framework_in_the_console(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    let mut ids = Vec::new();
    for name in ["kango-01", "kango-02", "jimu-01"] {
        let mut agent = ProtoAgent::new(&server, name);
        agent.enroll(&token).await;
        ids.push(agent.device_id());
    }
    let mut browser = signed_in_admin(&server).await;
    let (status, _, list) = browser.get("/devices").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_in(&list);
    assert!(
        list.contains("部署") && list.contains("最終接続日時"),
        "default columns"
    );
    assert!(!list.contains(">メーカー</a>"), "not a default column");

    // Columns: the chosen ones, in order, sortable.
    let (status, location, _) = browser
        .post(
            "/list-columns",
            &[
                ("csrf", &csrf),
                ("list", "devices"),
                ("columns", "serial"),
                ("columns", "hostname"),
                ("columns", "manufacturer"),
                ("back", "/devices?hostname=kango"),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/devices?hostname=kango")
    );
    let (_, _, list) = browser.get("/devices?hostname=kango").await;
    let head = &list[list.find("<thead>").expect("table")..list.find("</thead>").expect("end")];
    let serial = head.find(">シリアル番号").expect("serial column");
    let host = head.find(">ホスト名").expect("host column");
    let maker = head.find(">メーカー").expect("manufacturer column");
    assert!(serial < host && host < maker, "in the chosen order: {head}");
    assert!(
        !head.contains(">最終接続日時"),
        "columns not chosen are gone"
    );
    assert!(list.contains("sort=manufacturer"), "every column sorts");
    let (_, location, _) = browser
        .post(
            "/list-columns",
            &[
                ("csrf", &csrf),
                ("list", "devices"),
                ("columns", "hostname"),
                ("back", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(location, "/devices", "a form never returns to another site");

    // A mistyped condition: the list again, with the reason, and no rows.
    let (status, _, list) = browser.get("/devices?ip=10.0.0.0%2F99").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        list.contains("role=\"alert\"") && list.contains("CIDR"),
        "{list}"
    );

    // Saved filters: save the current conditions, open them from the list.
    let (status, location, _) = browser
        .post(
            "/saved-filters",
            &[
                ("csrf", &csrf),
                ("list", "devices"),
                ("name", "看護部 <端末>"),
                ("shared", "1"),
                ("query", "hostname=kango&state=managed"),
                ("back", "/devices"),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (
            StatusCode::SEE_OTHER,
            "/devices?hostname=kango&state=managed"
        )
    );
    let (_, _, list) = browser.get("/devices").await;
    assert!(
        list.contains("看護部 &#60;端末&#62;")
            && list.contains("href=\"/devices?hostname=kango&#38;state=managed\""),
        "{list}"
    );

    // Bulk: without the token nothing happens; with it, the result page counts.
    let forged = browser
        .post(
            "/devices/bulk",
            &[
                ("csrf", "forged"),
                ("action", "exclude"),
                ("ids", &ids[0].to_string()),
            ],
        )
        .await;
    assert_eq!(forged.0, StatusCode::FORBIDDEN);
    let (_, device) = server.get(&format!("/api/v1/devices/{}", ids[0])).await;
    assert_eq!(device["state"], "managed");
    let (status, _, result) = browser
        .post(
            "/devices/bulk",
            &[
                ("csrf", &csrf),
                ("action", "exclude"),
                ("ids", &ids[0].to_string()),
                ("ids", &ids[1].to_string()),
                ("ids", "999999"),
                ("back", "/devices?hostname=kango"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        result.contains("<strong class=\"done-count\">2</strong>"),
        "{result}"
    );
    assert!(
        result.contains("999999") && result.contains("見つかりません"),
        "{result}"
    );
    assert!(result.contains("href=\"/devices?hostname=kango\""));
    for id in &ids[..2] {
        let (_, device) = server.get(&format!("/api/v1/devices/{id}")).await;
        assert_eq!(device["state"], "excluded");
    }
    // "Set department" without choosing one is refused, not read as "no department".
    let (status, _, page) = browser
        .post(
            "/devices/bulk",
            &[
                ("csrf", &csrf),
                ("action", "set_department"),
                ("department_id", ""),
                ("ids", &ids[0].to_string()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("設定する部署を選択してください"), "{page}");
    let (_, _, result) = browser
        .post(
            "/devices/bulk",
            &[
                ("csrf", &csrf),
                ("action", "set_department"),
                ("department_id", "none"),
                ("ids", &ids[0].to_string()),
            ],
        )
        .await;
    assert!(
        result.contains("<strong class=\"done-count\">1</strong>"),
        "{result}"
    );
    let (status, _, page) = browser
        .post("/devices/bulk", &[("csrf", &csrf), ("action", "exclude")])
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("機器を選択してください"), "{page}");
    let (_, _, _) = browser
        .post(
            "/devices/bulk",
            &[
                ("csrf", &csrf),
                ("action", "add_note"),
                ("note", "<script>alert(1)</script> 交換予定"),
                ("ids", &ids[2].to_string()),
            ],
        )
        .await;

    // Notes: appended from the device page too, shown newest first, as text.
    let (_, _, page) = browser.get(&format!("/devices/{}?tab=notes", ids[2])).await;
    assert!(
        page.contains("&#60;script&#62;alert(1)&#60;/script&#62; 交換予定"),
        "{page}"
    );
    assert!(!page.contains("<script>alert(1)"));
    let (status, location, _) = browser
        .post(
            &format!("/devices/{}/notes", ids[2]),
            &[("csrf", &csrf), ("body", "2F へ移設")],
        )
        .await;
    assert_eq!(
        (status, location),
        (
            StatusCode::SEE_OTHER,
            format!("/devices/{}?tab=notes", ids[2])
        )
    );
    let (_, _, page) = browser.get(&format!("/devices/{}?tab=notes", ids[2])).await;
    let newest = page.find("2F へ移設").expect("new note");
    let older = page.find("交換予定").expect("older note");
    assert!(newest < older, "newest first");
    assert!(page.contains(">admin<"), "the author");
    let (status, _, _) = browser
        .post(
            &format!("/devices/{}/notes", ids[2]),
            &[("csrf", "forged"), ("body", "x")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, _, page) = browser
        .get(&format!("/devices/{}?tab=events", ids[0]))
        .await;
    assert!(
        page.contains("機器を除外対象にしました"),
        "the device's events tab: {page}"
    );
    server.shutdown().await;
}
both_backends!(
    device_list_framework_in_the_console,
    device_list_framework_in_the_console
);

/// The event list in the console: filters, confirmation behind the CSRF token, the detail
/// page, CSV links, agent-sent text shown as text.
async fn events_screen(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    let mut agent = ProtoAgent::new(&server, "<img src=x onerror=alert(2)>");
    agent.enroll(&token).await;
    let (status, _) = server
        .api(
            Method::PATCH,
            &format!("/api/v1/devices/{}", agent.device_id()),
            Some(json!({"state": "excluded"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, page) = server.get("/api/v1/events?code=2").await;
    let event = page["items"][0]["id"].as_i64().expect("event");
    let mut browser = signed_in_admin(&server).await;
    let (status, _, list) = browser.get("/events?confirmed=no&code=2").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_in(&list);
    assert!(list.contains(&format!("data-id=\"{event}\"")), "{list}");
    assert!(list.contains("機器を除外対象にしました"));
    assert!(list.contains("&#60;img src=x onerror=alert(2)&#62;") && !list.contains("<img src=x"));
    assert!(
        list.contains("/events.csv?code=2&#38;confirmed=no"),
        "the CSV link keeps the filter"
    );
    let (status, _, list) = browser.get("/events?since=yesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(list.contains("role=\"alert\""));

    let (status, _, _) = browser
        .post(
            "/events/confirm",
            &[("csrf", "forged"), ("ids", &event.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, location, _) = browser
        .post(
            "/events/confirm",
            &[
                ("csrf", &csrf),
                ("action", "confirm"),
                ("ids", &event.to_string()),
                ("back", "/events?confirmed=no"),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_str()),
        (StatusCode::SEE_OTHER, "/events?confirmed=no")
    );
    let (_, _, list) = browser.get("/events?confirmed=no&code=2").await;
    assert!(
        !list.contains(&format!("data-id=\"{event}\"")),
        "confirmed events leave the unconfirmed list"
    );
    let (status, _, detail) = browser.get(&format!("/events/{event}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        detail.contains("イベントの詳細") && detail.contains(">admin<"),
        "{detail}"
    );
    assert!(
        detail.contains("value=\"unconfirm\""),
        "a confirmed event offers to unconfirm"
    );
    let (status, _, _) = browser.get("/events/99999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let response = browser
        .client
        .get(format!(
            "{}/events.csv?code=2&encoding=utf-8",
            server.base_url
        ))
        .header(
            reqwest::header::COOKIE,
            browser
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
        .send()
        .await
        .expect("csv");
    let text = response.text().await.expect("text");
    assert!(text.starts_with("ID,日時,重大度,種別"), "{text}");
    assert_eq!(text.lines().count(), 2);
    server.shutdown().await;
}
both_backends!(events_screen, events_screen);

/// The audit log screen: system administrators only, conditions, failures marked, CSV in
/// Shift_JIS, and its own export is audited.
async fn audit_screen(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (status, _) = server
        .api(
            Method::POST,
            "/api/v1/users",
            Some(json!({"login": "kango", "password": "First-pass-1", "divisions": ["devices"], "all_departments": true})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let mut browser = signed_in_admin(&server).await;
    // A failed sign-in of someone else, from another browser.
    let mut stranger = Browser::new(&server);
    stranger.sign_in("kango", "wrong-<b>").await;

    // A sign-in attempt with markup for a user id.
    stranger.sign_in("<script>alert(3)</script>", "x").await;
    let (status, _, page) = browser.get("/audit?category=Authentication").await;
    assert!(
        page.contains("&#60;script&#62;alert(3)&#60;/script&#62;")
            && !page.contains("<script>alert(3)"),
        "typed user ids are text: {page}"
    );
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(">監査ログ</a>"),
        "in the menu for system administrators"
    );
    assert!(
        page.contains("class=\"result-Failure\"") && page.contains(">kango<"),
        "{page}"
    );
    assert!(page.contains("<td>ログイン</td>") && page.contains(">認証<"));
    assert!(!page.contains(">ConfigurationAccess<") && !page.contains(">設定変更</td>"));
    assert!(!page.contains("wrong-"), "passwords are never in the log");
    let (status, _, page) = browser.get("/audit?op=Explode").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("role=\"alert\""));
    let (_, _, page) = browser.get("/audit?result=Failure&login=kango").await;
    assert_eq!(
        page.matches("class=\"result-Failure\"").count(),
        1,
        "{page}"
    );

    let cookies = browser
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let response = browser
        .client
        .get(format!(
            "{}/audit.csv?category=Authentication&encoding=shift_jis",
            server.base_url
        ))
        .header(reqwest::header::COOKIE, cookies)
        .send()
        .await
        .expect("csv");
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.bytes().await.expect("bytes");
    let (text, _, errors) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!errors);
    assert!(
        text.starts_with("ID,日時,種別,操作,対象,対象ID,結果,ユーザーID"),
        "{text}"
    );
    assert!(
        text.contains(",認証,ログイン,") && text.contains(",失敗,kango,"),
        "{text}"
    );
    let (_, audit) = server.get("/api/v1/audit?object=AuditLog&op=Export").await;
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(1), "{audit}");
    let (status, body) = server.get("/api/v1/audit?object=Nothing").await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("object"))
    );

    // Someone without the system administration privilege: no menu entry, 403 pages.
    let mut stranger = signed_in(&server, "kango", "First-pass-1", "Byouin-2026!x").await;
    let (status, _, home) = stranger.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(!home.contains("/audit"), "{home}");
    for path in ["/audit", "/audit.csv"] {
        let (status, _, _) = stranger.get(path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    server.shutdown().await;
}
both_backends!(audit_screen, audit_screen);

/// The home panels link to the lists they count; the software screen lists the catalogue
/// with counts that link to the devices, agent-sent names shown as text.
async fn home_panels_and_software_screen(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    let mut agent = ProtoAgent::new(&server, "pc-01");
    agent.enroll(&token).await;
    let inventory = crate::support::inventory::sample("pc-01", &[("<b>evil</b>", "1.0")], 8);
    assert_eq!(agent.upload(&inventory).await.0, StatusCode::OK);
    server.flush().await;
    let mut browser = signed_in_admin(&server).await;
    let (_, _, home) = browser.get("/").await;
    for link in [
        "/devices?state=managed&amp;unseen_days=7",
        "/devices?state=managed&amp;unseen_days=90",
        "/events?confirmed=no&amp;severity=emergency",
        "/software?new_days=7",
    ] {
        assert!(home.contains(link), "{link}: {home}");
    }
    assert!(home.contains("hx-trigger=\"every 60s\""), "panels refresh");
    let (status, _, page) = browser.get("/software?new_days=7").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("&#60;b&#62;evil&#60;/b&#62;") && !page.contains("<b>evil"),
        "{page}"
    );
    assert!(
        page.contains("href=\"/devices?software=%3Cb%3Eevil%3C%2Fb%3E\""),
        "the count links to the devices: {page}"
    );
    let (_, _, page) = browser.get("/software?name=zzz").await;
    assert!(page.contains("該当するソフトウェアはありません"));
    // Inventory fields under the seeds' Japanese names.
    let (_, _, page) = browser
        .get(&format!("/devices/{}?tab=hardware", agent.device_id()))
        .await;
    assert!(
        page.contains("<th>メーカー</th>") && page.contains("<th>CPUコア数</th>"),
        "{page}"
    );
    let (_, _, page) = browser
        .get(&format!("/devices/{}?tab=network", agent.device_id()))
        .await;
    assert!(page.contains("<h2>ネットワークアダプター</h2>"), "{page}");
    server.shutdown().await;
}
both_backends!(
    home_panels_and_software_screen,
    home_panels_and_software_screen
);

/// The device list shows the licences in use and left; making devices managed beyond the
/// cap is refused with the reason in the page language.
async fn licence_headroom_and_cap(backend: Backend) {
    let server = TestServer::start_with(backend, |config| {
        config.http = true;
        config.licence_devices = Some(2);
    })
    .await;
    let token = server.enrollment_token(None, None).await;
    let mut ids = Vec::new();
    for name in ["pc-01", "pc-02"] {
        let mut agent = ProtoAgent::new(&server, name);
        agent.enroll(&token).await;
        ids.push(agent.device_id());
    }
    let found: i64 = sqlx::query_scalar(
        "INSERT INTO devices (state, hostname, serial, hw_uuid, created_at, updated_at, last_seen) \
         VALUES ('discovered', 'found-01', '', '', 1, 1, 0) RETURNING id",
    )
    .fetch_one(server.state().db.write())
    .await
    .expect("discovered device");
    let mut browser = signed_in_admin(&server).await;
    let (_, _, list) = browser.get("/devices").await;
    assert!(
        list.contains("<strong class=\"in-use\">2</strong> / 2")
            && list.contains("<strong class=\"left\">0</strong>"),
        "{list}"
    );
    let csrf = csrf_in(&list);
    let (_, _, result) = browser
        .post(
            "/devices/bulk",
            &[
                ("csrf", &csrf),
                ("action", "exclude"),
                ("ids", &ids[0].to_string()),
            ],
        )
        .await;
    assert!(result.contains("<strong class=\"done-count\">1</strong>"));
    let (_, _, list) = browser.get("/devices").await;
    assert!(list.contains("<strong class=\"left\">1</strong>"), "{list}");
    let (_, _, result) = browser
        .post(
            "/devices/bulk",
            &[
                ("csrf", &csrf),
                ("action", "manage"),
                ("ids", &found.to_string()),
                ("ids", &ids[0].to_string()),
            ],
        )
        .await;
    assert!(
        result.contains("<strong class=\"done-count\">1</strong>"),
        "{result}"
    );
    assert!(
        result.contains("ライセンス数の上限に達しているため"),
        "{result}"
    );
    let (_, device) = server.get(&format!("/api/v1/devices/{}", ids[0])).await;
    assert_eq!(device["state"], "excluded");
    server.shutdown().await;
}
both_backends!(licence_headroom_and_cap, licence_headroom_and_cap);
