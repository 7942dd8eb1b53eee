//! The user-information form on the desktop, end to end: the real `kanri-agent` serves its
//! local form and sends the answers to the real server (checked through the REST API); a real
//! session bus (`dbus-daemon`) and notification server (`dunst` under `Xvfb`) of a real
//! unprivileged user carry the notification, whose action opens the form through the real
//! `xdg-open` and the user's configured browser (a `curl` script registered in the user's
//! `mimeapps.list`, as a browser registers itself).
//!
//! logind cannot run in this test (it needs systemd as init), so the notification test names
//! the session with `--uid`; finding sessions through `loginctl` is tested on its output in
//! the agent's unit tests.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::both_backends;
use crate::support::{agent, agent_binary, Backend, TestServer};

/// `kanri-agent user-info …` running in the background, and the lines it printed.
struct FormAgent {
    child: Child,
    lines: Receiver<String>,
    /// Where its log goes.
    log: PathBuf,
    /// The form's URL, the first line printed (`--print-url`).
    url: String,
}

impl FormAgent {
    fn start(state: &Path, args: &[&str]) -> FormAgent {
        let log = state.join("user-info.log");
        let mut child = Command::new(agent_binary())
            .arg("user-info")
            .args(args)
            .arg("--state-dir")
            .arg(state)
            .env("LANG", "ja_JP.UTF-8")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("kanri-agent user-info");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    return;
                }
            }
        });
        let url = lines
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| {
                panic!(
                    "the agent printed no URL: {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                )
            });
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        FormAgent {
            child,
            lines,
            log,
            url,
        }
    }

    /// Waits for the agent to exit and returns whether it succeeded, and what it printed after
    /// the URL followed by its log.
    fn finish(mut self) -> (bool, String) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            assert!(Instant::now() < deadline, "the agent did not exit");
            std::thread::sleep(Duration::from_millis(50));
        };
        let printed: Vec<String> = self.lines.try_iter().collect();
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        (status.success(), format!("{}\n{log}", printed.join("\n")))
    }
}

impl Drop for FormAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn enrolled_agent(server: &TestServer, token: &str) -> tempfile::TempDir {
    let state = tempfile::tempdir().expect("state dir");
    let enrolled = agent(
        &[
            "enroll",
            "--server",
            &server.base_url,
            "--token",
            token,
            "--insecure-http",
        ],
        state.path(),
    );
    assert!(
        enrolled.status.success(),
        "enroll: {}",
        String::from_utf8_lossy(&enrolled.stderr)
    );
    state
}

/// A client for the local form, which must not follow anything elsewhere.
fn form_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

async fn post_form(url: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let response = form_client()
        .post(url)
        .form(fields)
        .send()
        .await
        .expect("post");
    let status = response.status();
    (status, response.text().await.expect("body"))
}

async fn user_info_in_the_local_form(backend: Backend) {
    let server = TestServer::start(backend).await;
    let (status, ward) = server
        .api(
            reqwest::Method::POST,
            "/api/v1/departments",
            Some(serde_json::json!({"name": "第三病棟"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{ward}");
    let ward_id = ward["id"].as_i64().expect("id").to_string();
    let token = server.enrollment_token(None, None).await;
    let state = enrolled_agent(&server, &token);

    // Not due (the settings do not ask users): --if-due serves nothing.
    let quiet = agent(&["user-info", "--if-due", "--print-url"], state.path());
    assert!(quiet.status.success());
    let printed = String::from_utf8_lossy(&quiet.stdout);
    assert!(
        printed.contains("up to date") && !printed.contains("http"),
        "{printed}"
    );

    let form = FormAgent::start(state.path(), &["--print-url", "--timeout", "120"]);
    let url = form.url.clone();
    let (origin, token) = url.split_once("/form/").expect("token in the path");
    assert_eq!(token.len(), 64, "256 random bits");
    let client = form_client();
    // Without the token, or with another, there is no form.
    for (path, expected) in [
        ("/".to_string(), StatusCode::NOT_FOUND),
        ("/form/".to_string(), StatusCode::FORBIDDEN),
        (format!("/form/{}", "0".repeat(64)), StatusCode::FORBIDDEN),
    ] {
        let response = client
            .get(format!("{origin}{path}"))
            .send()
            .await
            .expect("get");
        assert_eq!(response.status(), expected, "{path}");
    }
    let wrong = post_form(&format!("{origin}/form/{}", "1".repeat(64)), &[]).await;
    assert_eq!(wrong.0, StatusCode::FORBIDDEN);

    let response = client.get(&url).send().await.expect("get the form");
    assert_eq!(response.status(), StatusCode::OK);
    let policy = response
        .headers()
        .get("content-security-policy")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(policy.starts_with("default-src 'none';"), "{policy}");
    let page = response.text().await.expect("page");
    assert!(page.contains(r#"<html lang="ja">"#), "{page}");
    assert!(page.contains("<h1>利用者情報の入力をお願いします</h1>"));
    assert!(
        page.contains(&format!(r#"<option value="{ward_id}">第三病棟</option>"#)),
        "{page}"
    );
    assert!(page.contains(r#"name="user_email""#));

    // Bodies the page never sends.
    let oversized = "a".repeat(100 * 1024);
    let (status, _) = post_form(&url, &[("user_name", oversized.as_str())]).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let raw = form_client()
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("user_name=%ZZ")
        .send()
        .await
        .expect("post");
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);

    let mut answers = vec![
        ("department", ward_id.as_str()),
        ("user_name", "看護 三郎"),
        ("user_account", "saburo"),
        ("user_email", "saburo"),
        ("user_phone", "内線 77"),
    ];
    // The server refuses the e-mail; the page says so and keeps what was typed.
    let (status, page) = post_form(&url, &answers).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains("サーバーが入力を受け付けませんでした"),
        "{page}"
    );
    assert!(
        page.contains("user_email is not an e-mail address"),
        "{page}"
    );
    assert!(page.contains(r#"value="看護 三郎""#));
    let (_, unchanged) = server.get("/api/v1/assets?user=saburo").await;
    assert_eq!(unchanged["items"].as_array().map(Vec::len), Some(0));

    answers[3].1 = "saburo@example.jp";
    let (status, page) = post_form(&url, &answers).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("<h1>保存しました</h1>") && page.contains("<dd>第三病棟</dd>"),
        "{page}"
    );
    // The token is spent.
    let (status, page) = post_form(&url, &answers).await;
    assert_eq!(status, StatusCode::GONE, "{page}");

    let (succeeded, printed) = tokio::task::spawn_blocking(move || form.finish())
        .await
        .expect("join");
    assert!(succeeded, "{printed}");
    assert!(printed.contains("保存しました"), "{printed}");
    let (_, page) = server.get("/api/v1/assets?user=saburo").await;
    let asset = &page["items"][0];
    assert_eq!(asset["user_name"], "看護 三郎", "{page}");
    assert_eq!(asset["user_email"], "saburo@example.jp");
    assert_eq!(asset["user_phone"], "内線 77");
    assert_eq!(asset["department_id"], ward["id"]);
    // The listener is gone.
    assert!(client.get(&url).send().await.is_err());
    server.shutdown().await;
}
both_backends!(user_info_in_the_local_form, user_info_in_the_local_form);

async fn user_info_form_expires(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    let state = enrolled_agent(&server, &token);
    let form = FormAgent::start(state.path(), &["--print-url", "--timeout", "2"]);
    let url = form.url.clone();
    let (succeeded, _) = tokio::task::spawn_blocking(move || form.finish())
        .await
        .expect("join");
    assert!(!succeeded, "an expired form is not a success");
    assert!(
        form_client().get(&url).send().await.is_err(),
        "closed at the deadline"
    );
    server.shutdown().await;
}
both_backends!(user_info_form_expires, user_info_form_expires);

/// Serializes `useradd`/`userdel`, which lock `/etc/passwd`.
static ACCOUNTS: Mutex<()> = Mutex::new(());
/// Serializes choosing a display number within this process.
static DISPLAYS: Mutex<()> = Mutex::new(());

/// The programs the desktop test runs, and the packages `scripts/test` installs them from.
const DESKTOP_PROGRAMS: [(&str, &str); 9] = [
    ("/usr/bin/Xvfb", "xvfb"),
    ("/usr/bin/dbus-daemon", "dbus-daemon"),
    ("/usr/bin/dbus-send", "dbus-bin"),
    ("/usr/bin/dunst", "dunst"),
    ("/usr/bin/dunstctl", "dunst"),
    ("/usr/bin/notify-send", "libnotify-bin"),
    ("/usr/bin/xdg-open", "xdg-utils"),
    ("/usr/bin/setpriv", "util-linux"),
    ("/usr/bin/curl", "curl"),
];

/// A throwaway desktop user with a session bus, a display and a notification server, all
/// running as that user; everything is stopped and the user removed when dropped.
struct Desktop {
    user: String,
    uid: u32,
    home: tempfile::TempDir,
    runtime: tempfile::TempDir,
    display: String,
    xvfb: Option<Child>,
    bus: Option<Child>,
    dunst: Option<Child>,
}

impl Desktop {
    fn start() -> Desktop {
        // SAFETY: geteuid has no preconditions and cannot fail.
        let euid = unsafe { libc::geteuid() };
        assert_eq!(
            euid, 0,
            "the desktop test creates a user and runs the agent as root, as the service runs: run the tests as root (scripts/test and CI do)"
        );
        for (program, package) in DESKTOP_PROGRAMS {
            assert!(
                Path::new(program).exists(),
                "{program} is missing: run scripts/test, which installs {package}"
            );
        }
        let user = format!("kanri-desk-{}", &hex::encode(rand::random::<[u8; 4]>()));
        let home = tempfile::tempdir().expect("home");
        let runtime = tempfile::tempdir().expect("runtime dir");
        {
            let _guard = ACCOUNTS.lock().unwrap_or_else(|e| e.into_inner());
            let added = Command::new("useradd")
                .args([
                    "--system",
                    "--user-group",
                    "--shell",
                    "/bin/sh",
                    "--home-dir",
                ])
                .arg(home.path())
                .arg(&user)
                .output()
                .expect("useradd");
            assert!(
                added.status.success(),
                "useradd: {}",
                String::from_utf8_lossy(&added.stderr)
            );
        }
        let uid: u32 = String::from_utf8_lossy(
            &Command::new("id")
                .args(["-u", &user])
                .output()
                .expect("id")
                .stdout,
        )
        .trim()
        .parse()
        .expect("uid");
        let mut desktop = Desktop {
            user,
            uid,
            home,
            runtime,
            display: String::new(),
            xvfb: None,
            bus: None,
            dunst: None,
        };
        desktop.install_browser();
        for dir in [desktop.home.path(), desktop.runtime.path()] {
            let owned = Command::new("chown")
                .arg("-R")
                .arg(format!("{}:", desktop.user))
                .arg(dir)
                .status()
                .expect("chown");
            assert!(owned.success());
        }
        desktop.start_display();
        let bus = desktop.runtime.path().join("bus");
        let address = format!("unix:path={}", bus.display());
        let dbus = desktop
            .as_user("/usr/bin/dbus-daemon")
            .args([
                "--session",
                "--nofork",
                "--nopidfile",
                "--address",
                &address,
            ])
            .spawn()
            .expect("dbus-daemon");
        desktop.bus = Some(dbus);
        wait_until(Duration::from_secs(10), || bus.exists(), "the session bus");
        let dunst = desktop.as_user("/usr/bin/dunst").spawn().expect("dunst");
        desktop.dunst = Some(dunst);
        wait_until(
            Duration::from_secs(10),
            || desktop.dunstctl(&["is-paused"]).status.success(),
            "dunst on the session bus",
        );
        desktop
    }

    /// Registers the user's browser the way a browser package does: a desktop entry that
    /// handles http URLs and the user's choice of it in `mimeapps.list`. The "browser" is
    /// curl, which keeps the page and its status in the home directory.
    fn install_browser(&self) {
        let home = self.home.path();
        let applications = home.join(".local/share/applications");
        std::fs::create_dir_all(&applications).expect("applications");
        std::fs::create_dir_all(home.join(".config")).expect("config");
        let script = home.join("browser.sh");
        std::fs::write(
            &script,
            "#!/bin/sh\ncurl -sS -o \"$HOME/form.html\" -w '%{http_code}' \"$1\" > \"$HOME/status.tmp\"\nmv \"$HOME/status.tmp\" \"$HOME/status\"\n",
        )
        .expect("browser script");
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .expect("chmod");
        std::fs::write(
            applications.join("kanri-test-browser.desktop"),
            format!(
                "[Desktop Entry]\nType=Application\nName=Test browser\nExec={} %u\nMimeType=x-scheme-handler/http;\n",
                script.display()
            ),
        )
        .expect("desktop entry");
        std::fs::write(
            home.join(".config/mimeapps.list"),
            "[Default Applications]\nx-scheme-handler/http=kanri-test-browser.desktop\n",
        )
        .expect("mimeapps.list");
    }

    /// Starts Xvfb as the user on the first free display from :90. A display counts as ours
    /// only when its lock file holds our Xvfb's pid: another test may have started one on the
    /// same number a moment earlier.
    fn start_display(&mut self) {
        let _guard = DISPLAYS.lock().unwrap_or_else(|e| e.into_inner());
        // As on any X machine, the socket directory is root's and open to all (sticky).
        let sockets = Path::new("/tmp/.X11-unix");
        if !sockets.exists() {
            std::fs::create_dir_all(sockets).expect("/tmp/.X11-unix");
            std::fs::set_permissions(
                sockets,
                std::os::unix::fs::PermissionsExt::from_mode(0o1777),
            )
            .expect("chmod /tmp/.X11-unix");
        }
        for number in 90..160 {
            let socket = sockets.join(format!("X{number}"));
            let lock = PathBuf::from(format!("/tmp/.X{number}-lock"));
            if socket.exists() || lock.exists() {
                continue;
            }
            let display = format!(":{number}");
            let mut xvfb = self
                .as_user("/usr/bin/Xvfb")
                .args([
                    display.as_str(),
                    "-nolisten",
                    "tcp",
                    "-ac",
                    "-screen",
                    "0",
                    "800x600x24",
                ])
                .stderr(Stdio::null())
                .spawn()
                .expect("Xvfb");
            let ours = xvfb.id().to_string();
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(10) {
                let owner = std::fs::read_to_string(&lock).unwrap_or_default();
                if socket.exists() && owner.trim() == ours {
                    self.display = display;
                    self.xvfb = Some(xvfb);
                    return;
                }
                if xvfb.try_wait().expect("wait").is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = xvfb.kill();
            let _ = xvfb.wait();
        }
        panic!("no free X display for Xvfb");
    }

    /// Stops Xvfb with SIGTERM, on which it removes its lock file and socket; killed, it would
    /// leave them, and every run would take up another display number.
    fn stop_display(&mut self) {
        let Some(mut xvfb) = self.xvfb.take() else {
            return;
        };
        let pid = xvfb.id();
        // SAFETY: kill has no memory preconditions; the pid is our unreaped child.
        unsafe { libc::kill(pid as i32, libc::SIGTERM) };
        let started = Instant::now();
        while xvfb.try_wait().ok().flatten().is_none() && started.elapsed() < Duration::from_secs(5)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = xvfb.kill();
        let _ = xvfb.wait();
        let number = self.display.trim_start_matches(':');
        let lock = PathBuf::from(format!("/tmp/.X{number}-lock"));
        let ours =
            std::fs::read_to_string(&lock).is_ok_and(|owner| owner.trim() == pid.to_string());
        if ours {
            let _ = std::fs::remove_file(&lock);
            let _ = std::fs::remove_file(format!("/tmp/.X11-unix/X{number}"));
        }
    }

    /// A program run as the user with the session's environment.
    fn as_user(&self, program: &str) -> Command {
        let mut command = Command::new("/usr/bin/setpriv");
        command
            .arg(format!("--reuid={}", self.uid))
            .arg(format!("--regid={}", self.uid))
            .arg("--init-groups")
            .arg("--")
            .arg(program)
            .env_clear()
            .env("HOME", self.home.path())
            .env("PATH", "/usr/bin:/bin")
            .env("LC_ALL", "C.UTF-8")
            .env("XDG_RUNTIME_DIR", self.runtime.path())
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                format!("unix:path={}/bus", self.runtime.path().display()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if !self.display.is_empty() {
            command.env("DISPLAY", &self.display);
        }
        command
    }

    fn dunstctl(&self, args: &[&str]) -> Output {
        self.as_user("/usr/bin/dunstctl")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .expect("dunstctl")
    }

    /// dunst's notification history as (app name, summary, body).
    fn history(&self) -> Vec<(String, String, String)> {
        let output = self.dunstctl(&["history"]);
        assert!(output.status.success(), "dunstctl history");
        let history: Value = serde_json::from_slice(&output.stdout).expect("history JSON");
        history["data"][0]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|entry| {
                let field = |name: &str| entry[name]["data"].as_str().unwrap_or("").to_string();
                (field("appname"), field("summary"), field("body"))
            })
            .collect()
    }

    fn displayed(&self) -> u32 {
        let output = self.dunstctl(&["count", "displayed"]);
        String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .unwrap_or(0)
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        // The bus first: with dunst gone but the bus up, a client still waiting on a
        // notification would have the bus start another dunst.
        for process in [&mut self.bus, &mut self.dunst] {
            if let Some(mut process) = process.take() {
                let _ = process.kill();
                let _ = process.wait();
            }
        }
        self.stop_display();
        // What the user's programs started (a notify-send the agent left when it was killed,
        // Xvfb's xkbcomp) ends with them or is ended here, by pid: userdel refuses a user who
        // still runs something.
        let _guard = ACCOUNTS.lock().unwrap_or_else(|e| e.into_inner());
        for attempt in 0..50 {
            let deleted = Command::new("userdel")
                .arg(&self.user)
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success());
            if deleted {
                return;
            }
            if attempt > 10 {
                for pid in processes_of(self.uid) {
                    // SAFETY: kill has no memory preconditions; the pid runs as the test's
                    // throwaway user, so it is one of this test's processes.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!(
            "agent_desktop: could not remove the test user {}",
            self.user
        );
    }
}

/// The processes running as `uid`, from `/proc`.
fn processes_of(uid: u32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let pid: i32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            let real_uid: u32 = status
                .lines()
                .find_map(|line| line.strip_prefix("Uid:"))?
                .split_whitespace()
                .next()?
                .parse()
                .ok()?;
            (real_uid == uid).then_some(pid)
        })
        .collect()
}

fn wait_until(timeout: Duration, mut check: impl FnMut() -> bool, what: &str) {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < timeout, "{what} did not come up");
        std::thread::sleep(Duration::from_millis(50));
    }
}

async fn user_info_through_a_desktop_notification(backend: Backend) {
    let server = TestServer::start(backend).await;
    let token = server.enrollment_token(None, None).await;
    let state = enrolled_agent(&server, &token);
    // Declared before the agent, so that a failing test stops the agent first.
    let desktop = std::sync::Arc::new(
        tokio::task::spawn_blocking(Desktop::start)
            .await
            .expect("desktop"),
    );
    let uid = desktop.uid.to_string();
    // A session without a bus (the user logged out): the agent says so and gives up.
    let empty = tempfile::tempdir().expect("empty runtime dir");
    let unreachable = agent(
        &[
            "user-info",
            "--notify",
            "--uid",
            &uid,
            "--runtime-dir",
            &empty.path().display().to_string(),
        ],
        state.path(),
    );
    let said = String::from_utf8_lossy(&unreachable.stderr);
    assert!(!unreachable.status.success());
    assert!(
        said.contains(&format!(
            "no notification server on the session bus of uid {uid}"
        )),
        "{said}"
    );
    assert!(!said.contains("/form/"), "the URL is a secret: {said}");
    let runtime = desktop.runtime.path().display().to_string();
    let form = FormAgent::start(
        state.path(),
        &[
            "--notify",
            "--uid",
            &uid,
            "--display",
            &desktop.display,
            "--runtime-dir",
            &runtime,
            "--lang",
            "ja_JP.UTF-8",
            "--print-url",
            "--timeout",
            "120",
        ],
    );
    let url = form.url.clone();
    let shown = desktop.clone();
    tokio::task::spawn_blocking(move || {
        wait_until(
            Duration::from_secs(20),
            || shown.displayed() == 1,
            "the notification",
        );
        // The user clicks it: dunst invokes its default action.
        let clicked = shown.dunstctl(&["action", "0"]);
        assert!(clicked.status.success(), "dunstctl action");
        // The agent opens the form in the user's browser, which loads it as the user.
        let status = shown.home.path().join("status");
        wait_until(
            Duration::from_secs(20),
            || status.exists(),
            "the browser loading the form",
        );
    })
    .await
    .expect("click");
    let home = desktop.home.path();
    let status = std::fs::read_to_string(home.join("status")).expect("status");
    let page = std::fs::read_to_string(home.join("form.html")).expect("page");
    assert_eq!(status, "200", "{page}");
    assert!(
        page.contains("<h1>利用者情報の入力をお願いします</h1>"),
        "{page}"
    );
    // The login name is offered as the account, which the asset does not have yet.
    assert!(
        page.contains(&format!(
            r#"name="user_account" type="text" value="{}""#,
            desktop.user
        )),
        "{page}"
    );

    let history = desktop.history();
    assert!(
        history.iter().any(|(app, summary, body)| app == "Kanri"
            && summary == "利用者情報の入力をお願いします"
            && body.contains("部署・設置場所")
            && !body.contains("http")),
        "{history:?}"
    );

    // Another local user who read the URL off a command line gets nothing.
    let nobody = Command::new("/usr/bin/setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .args([
            "/usr/bin/curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
        ])
        .arg(&url)
        .output()
        .expect("curl as nobody");
    assert_eq!(String::from_utf8_lossy(&nobody.stdout), "403");

    let (status, page) = post_form(
        &url,
        &[
            ("user_name", "事務 花子"),
            ("user_account", desktop.user.as_str()),
            ("user_email", "hanako@example.jp"),
            ("user_phone", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let (succeeded, printed) = tokio::task::spawn_blocking(move || form.finish())
        .await
        .expect("join");
    assert!(succeeded, "{printed}");
    assert_eq!(desktop.displayed(), 0, "the notification is gone");
    let (_, page) = server
        .get(&format!("/api/v1/assets?user={}", desktop.user))
        .await;
    assert_eq!(page["items"][0]["user_name"], "事務 花子", "{page}");
    assert_eq!(page["items"][0]["user_email"], "hanako@example.jp");
    drop(desktop);
    server.shutdown().await;
}
both_backends!(
    user_info_through_a_desktop_notification,
    user_info_through_a_desktop_notification
);
