//! The console's import wizard over HTTP: a Shift_JIS file uploaded, its encoding guessed and
//! its columns mapped from the export's headers, a check that changes nothing, "import now",
//! the history and the invalid rows' download, the template found again for the next file;
//! refusals (another encoding asked for, an empty file, a forged form, another account's
//! upload) and the staged file's removal.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both_backends;
use crate::console::{csrf_in, signed_in, signed_in_admin};
use crate::support::{Backend, TestServer};

const HEADER: &str = "資産管理番号,機器名称,シリアル番号,利用者名,棚卸日";

/// The token of the staged upload a redirect names.
fn token_of(location: &str) -> String {
    location
        .strip_prefix("/imports/")
        .unwrap_or_else(|| panic!("not a mapping page: {location}"))
        .to_string()
}

/// The value of the option selected in the select named `name`.
fn selected(page: &str, name: &str) -> String {
    let at = page
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no select {name}"));
    let select = &page[at..page[at..]
        .find("</select>")
        .map_or(page.len(), |end| at + end)];
    select
        .split("<option ")
        .find(|option| option.contains(" selected"))
        .and_then(|option| option.split('"').nth(1))
        .unwrap_or("")
        .to_string()
}

async fn asset_count(server: &TestServer) -> i64 {
    let (status, body) = server.api(Method::GET, "/api/v1/assets/count", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["count"].as_i64().expect("count")
}

async fn wizard(backend: Backend) {
    let server = TestServer::start(backend).await;
    let mut admin = signed_in_admin(&server).await;
    let (_, _, list) = admin.get("/hardware-assets").await;
    assert!(
        list.contains("href=\"/imports?kind=assets\"") && list.contains("/api/v1/assets/export?"),
        "the ledger links to the import and its export"
    );
    let (status, _, start) = admin.get("/imports?kind=assets").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_in(&start);

    // A Shift_JIS file as Japanese Excel saves it, with one bad row.
    let text = format!(
        "{HEADER}\r\nHW-0001,ナースステーションPC,SN-1,看護 太郎,2026-04-01\r\n\
         HW-0002,受付PC,SN-2,受付 花子,\r\nHW-0003,薬剤部PC,SN-3,,2026-13-40\r\n"
    );
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(&text);
    let (status, location, _) = admin
        .post_file(
            "/imports",
            &[("csrf", &csrf), ("kind", "assets")],
            ("file", "資産台帳.csv", &bytes),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let token = token_of(&location);

    let (status, _, mapping) = admin.get(&location).await;
    assert_eq!(status, StatusCode::OK, "{mapping}");
    assert!(mapping.contains("資産台帳.csv") && mapping.contains("ナースステーションPC"));
    assert_eq!(selected(&mapping, "encoding"), "shift_jis", "guessed");
    assert_eq!(selected(&mapping, "col_0"), "asset_number");
    assert_eq!(selected(&mapping, "col_3"), "user_name");
    assert_eq!(selected(&mapping, "col_4"), "stocktaken_on");
    assert_eq!(selected(&mapping, "key"), "asset_number");

    // Another encoding asked for: the file is refused with the one it is in.
    let (_, _, wrong) = admin.get(&format!("{location}?encoding=utf-8")).await;
    assert!(
        wrong.contains("role=\"alert\"") && wrong.contains("Shift_JIS"),
        "{wrong}"
    );

    // A mapping without a template name is refused and nothing is saved.
    let mut form = vec![
        ("csrf", csrf.clone()),
        ("template_id", "0".to_string()),
        ("encoding", "shift_jis".to_string()),
        ("header_row", "1".to_string()),
        ("data_row", "0".to_string()),
        ("key", "asset_number".to_string()),
        ("col_0", "asset_number".to_string()),
        ("col_1", "name".to_string()),
        ("col_2", "serial".to_string()),
        ("col_3", "user_name".to_string()),
        ("col_4", "stocktaken_on".to_string()),
        ("name", String::new()),
        ("action", "check".to_string()),
    ];
    let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, page) = admin.post(&location, &borrowed).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("テンプレート名を入力"), "{page}");

    // Check: nothing changes, the bad row is named.
    form.retain(|(k, _)| *k != "name");
    form.push(("name", "資産台帳（病院）".to_string()));
    let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, checked) = admin.post(&location, &borrowed).await;
    assert_eq!(status, StatusCode::OK, "{checked}");
    assert!(checked.contains("まだ何も変更していません"), "{checked}");
    assert!(checked.contains("<dd class=\"added\">2</dd>"), "{checked}");
    assert!(checked.contains("<dd class=\"failed\">1</dd>"), "{checked}");
    assert!(
        checked.contains("stocktaken_on"),
        "the reason names the field"
    );
    assert_eq!(asset_count(&server).await, 0, "a check changes nothing");
    let (_, templates) = server
        .api(Method::GET, "/api/v1/import-templates?kind=assets", None)
        .await;
    assert_eq!(templates[0]["name"], "資産台帳（病院）", "{templates}");
    let template_id = templates[0]["id"].as_i64().expect("id");

    // Import now, with the template as saved.
    let (status, _, done) = admin
        .post(
            &location,
            &[
                ("csrf", &csrf),
                ("saved", "1"),
                ("template_id", &template_id.to_string()),
                ("encoding", "shift_jis"),
                ("action", "import"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert!(done.contains("インポートしました"), "{done}");
    assert!(done.contains("<dd class=\"added\">2</dd>"), "{done}");
    assert_eq!(asset_count(&server).await, 2);
    let (_, found) = server
        .api(Method::GET, "/api/v1/assets?asset_number=HW-0001", None)
        .await;
    assert_eq!(found["items"][0]["user_name"], "看護 太郎", "{found}");
    assert_eq!(found["items"][0]["stocktaken_on"], "2026-04-01", "{found}");
    let (status, _, _) = admin.get(&location).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "an imported file is removed");

    // Stocktake from a file of numbers (Shift_JIS, a header line, an unknown number).
    let (numbers, _, _) = encoding_rs::SHIFT_JIS.encode("資産管理番号\r\nHW-0001\r\nHW-9999\r\n");
    let (status, _, result) = admin
        .post_file(
            "/imports/stocktake",
            &[("csrf", &csrf), ("ledger", "assets"), ("on", "2027-01-15")],
            ("file", "棚卸.csv", &numbers),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert!(
        result.contains("<dd class=\"updated\">1</dd>") && result.contains("<td>HW-9999</td>"),
        "{result}"
    );
    let (_, found) = server
        .api(Method::GET, "/api/v1/assets?asset_number=HW-0001", None)
        .await;
    assert_eq!(found["items"][0]["stocktaken_on"], "2027-01-15", "{found}");
    let (status, _, refused) = admin
        .post_file(
            "/imports/stocktake",
            &[("csrf", &csrf), ("ledger", "assets"), ("on", "someday")],
            ("file", "棚卸.csv", &numbers),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(
        std::fs::read_dir(server.state().config.data_dir.join("imports/staged"))
            .expect("staged dir")
            .all(|entry| !entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .starts_with(&token))
    );

    // The history lists both runs; the invalid rows download in the file's encoding.
    let (_, _, history) = admin.get("/imports").await;
    assert!(
        history.contains("チェックのみ") && history.contains("取り込み済み"),
        "{history}"
    );
    let id = done
        .split("/imports/history/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("a download link")
        .to_string();
    let (status, bytes) = admin
        .get_bytes(&format!("/imports/history/{id}/invalid-rows.csv"))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (csv, _, malformed) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!malformed, "Shift_JIS like the file");
    assert!(
        csv.starts_with(HEADER) && csv.contains("HW-0003") && csv.contains("stocktaken_on"),
        "{csv}"
    );

    // The next file with the same header finds the template by itself.
    let (status, location, _) = admin
        .post_file(
            "/imports",
            &[("csrf", &csrf), ("kind", "assets")],
            (
                "file",
                "next.csv",
                format!("{HEADER}\nHW-0001,,,看護 次郎,\n").as_bytes(),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, _, next) = admin.get(&location).await;
    assert_eq!(
        selected(&next, "template"),
        template_id.to_string(),
        "{next}"
    );
    assert_eq!(selected(&next, "encoding"), "utf-8");

    // Another account cannot reach the upload; a forged form and an empty file are refused.
    let (status, _) = server
        .api(
            Method::POST,
            "/api/v1/users",
            Some(json!({
                "login": "shisan", "password": "First-pass-1",
                "divisions": ["assets"], "all_departments": true
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let mut other = signed_in(&server, "shisan", "First-pass-1", "Daicho-2026!ok").await;
    let (status, _, _) = other.get(&location).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = admin
        .post_file(
            "/imports",
            &[("csrf", "forged"), ("kind", "assets")],
            ("file", "x.csv", HEADER.as_bytes()),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, empty) = admin
        .post_file(
            "/imports",
            &[("csrf", &csrf), ("kind", "licences")],
            ("file", "empty.csv", b""),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(empty.contains("ファイルが空です"), "{empty}");
    let (status, _, _) = admin
        .post(&format!("{location}/discard"), &[("csrf", &csrf)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, _) = admin.get(&location).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a discarded file is gone");

    // Templates leave as JSON documents and come back.
    let (_, _, start) = admin.get("/imports").await;
    let export = format!("/api/v1/import-templates/{template_id}/export");
    assert!(start.contains(&export), "{start}");
    let (status, document) = admin.get_bytes(&export).await;
    assert_eq!(status, StatusCode::OK);
    let delete = format!("/imports/templates/{template_id}/delete");
    let (status, _, _) = admin.post(&delete, &[("csrf", &csrf)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the box is needed");
    let (status, _, _) = admin
        .post(&delete, &[("csrf", &csrf), ("confirm", "1")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, listed) = server
        .api(Method::GET, "/api/v1/import-templates?kind=assets", None)
        .await;
    assert_eq!(listed.as_array().map(Vec::len), Some(0), "{listed}");
    let (status, _, _) = admin
        .post_file(
            "/imports/templates",
            &[("csrf", &csrf)],
            ("file", "template.json", &document),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, page) = admin
        .post_file(
            "/imports/templates",
            &[("csrf", &csrf)],
            ("file", "template.json", &document),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "the name is taken");
    assert!(page.contains("資産台帳（病院）"), "{page}");
    let (status, _, _) = admin
        .post_file(
            "/imports/templates",
            &[("csrf", &csrf), ("overwrite", "1")],
            ("file", "template.json", &document),
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _, page) = admin
        .post_file(
            "/imports/templates",
            &[("csrf", &csrf)],
            ("file", "other.json", b"{\"format\": \"something else\"}"),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("not an exported import template"), "{page}");
    let (_, listed) = server
        .api(Method::GET, "/api/v1/import-templates?kind=assets", None)
        .await;
    assert_eq!(listed[0]["name"], "資産台帳（病院）", "{listed}");
    assert_eq!(listed[0]["mapping"]["key"], "asset_number");
}

both_backends!(import_wizard, wizard);
