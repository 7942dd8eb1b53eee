//! Headless Chromium through chromedriver: a chromedriver child on a free port per test, killed
//! with its browser when the test ends (or panics), a temp profile and download directory, and
//! the page helpers the tests share. A missing Chromium or chromedriver fails the test.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::support::TestServer;

/// Where `scripts/test` installs Debian's `chromium`.
const CHROMIUM: &str = "/usr/bin/chromium";
/// Where `scripts/test` installs Debian's `chromium-driver`.
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long a page, a download or chromedriver may take to show up.
const PATIENCE: Duration = Duration::from_secs(20);

/// One browser session against one [`TestServer`].
pub struct Browser {
    client: Client,
    base_url: String,
    /// Declared before the directories: dropped, so killed, before they are removed.
    _driver: Driver,
    downloads: tempfile::TempDir,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium whose language (`Accept-Language` and UI)
    /// is `lang`, in a 1366×768 window: pages and screenshots are 1366×625, as in a browser
    /// on a screen of that size.
    ///
    /// # Panics
    /// If Chromium or chromedriver is not installed, or the session does not start.
    pub async fn open(server: &TestServer, lang: &str) -> Browser {
        for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
            assert!(
                Path::new(path).exists(),
                "{path} is missing: the browser tests need Debian's `{package}` package \
                 (scripts/test installs it)"
            );
        }
        let profile = tempfile::tempdir().expect("temp dir for the browser profile");
        let downloads = tempfile::tempdir().expect("temp dir for downloads");
        let driver = Driver::start().await;
        let options = json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--window-size=1366,768",
                format!("--lang={lang}"),
                format!("--user-data-dir={}", profile.path().display()),
            ],
            "prefs": {
                "intl.accept_languages": lang,
                "download.default_directory": downloads.path(),
                "download.prompt_for_download": false,
            },
        });
        let mut capabilities = Capabilities::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert("goog:chromeOptions".into(), options);
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://{}", driver.address))
            .await
            .unwrap_or_else(|error| {
                panic!(
                    "no Chromium session through chromedriver: {error}\n{}",
                    driver.log()
                )
            });
        Browser {
            client,
            base_url: server.base_url.clone(),
            _driver: driver,
            downloads,
            _profile: profile,
        }
    }

    /// Opens a path of the server.
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base_url))
            .await
            .unwrap_or_else(|error| panic!("open {path}: {error}"));
    }

    /// Opens an address that is not the server's (the agent's local form).
    pub async fn goto_url(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|error| panic!("open {url}: {error}"));
    }

    /// Runs a script in the page and returns its result.
    pub async fn eval(&self, script: &str) -> serde_json::Value {
        self.client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|error| panic!("script `{script}`: {error}"))
    }

    /// The current URL's path.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current URL");
        url.path().to_string()
    }

    /// The current URL.
    pub async fn url(&self) -> String {
        let url = self.client.current_url().await.expect("current URL");
        url.to_string()
    }

    /// Waits until the browser is at `path` (after a redirect or a form post).
    ///
    /// # Panics
    /// If it is elsewhere after a while.
    pub async fn wait_for_path(&self, path: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let now = self.path().await;
            if now == path {
                return;
            }
            if Instant::now() >= deadline {
                let alerts = self.texts("[role=alert]").await;
                panic!("expected to be at {path}, still at {now}; the page says {alerts:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The one element matching `css`.
    pub async fn find(&self, css: &str) -> Element {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element,
            Err(error) => panic!("no `{css}` at {}: {error}", self.url().await),
        }
    }

    /// The visible text of the element matching `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("element text")
    }

    /// The visible texts of every element matching `css`, in page order.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let elements = self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("find elements");
        let mut texts = Vec::with_capacity(elements.len());
        for element in elements {
            texts.push(element.text().await.expect("element text"));
        }
        texts
    }

    /// An attribute of the element matching `css`.
    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.find(css).await.attr(name).await.expect("attribute")
    }

    /// An attribute of every element matching `css`, in page order ("" where it is missing).
    pub async fn attrs(&self, css: &str, name: &str) -> Vec<String> {
        let elements = self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("find elements");
        let mut values = Vec::with_capacity(elements.len());
        for element in elements {
            let value = element.attr(name).await.expect("attribute");
            values.push(value.unwrap_or_default());
        }
        values
    }

    /// How many elements match `css`.
    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .expect("find elements")
            .len()
    }

    /// The current value of the form control matching `css` (what the user sees in it).
    pub async fn value(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    }

    /// Picks the option whose value is `value` in the `<select>` matching `css` (in a
    /// `multiple` one, clicking toggles the option).
    pub async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|error| panic!("no option `{value}` in `{css}`: {error}"));
    }

    /// Ticks (`true`) or unticks the checkbox matching `css`, clicking it only if needed.
    pub async fn set_checked(&self, css: &str, checked: bool) {
        let checkbox = self.find(css).await;
        if checkbox.is_selected().await.expect("checkbox state") != checked {
            checkbox.click().await.expect("click the checkbox");
        }
        assert_eq!(
            checkbox.is_selected().await.expect("checkbox state"),
            checked,
            "`{css}` did not change"
        );
    }

    /// Replaces what the input matching `css` holds with `value`, typed as a user would.
    pub async fn fill(&self, css: &str, value: &str) {
        let input = self.find(css).await;
        input.clear().await.expect("clear input");
        input.send_keys(value).await.expect("type into input");
    }

    /// Chooses the file at `path` in the file input matching `css`, as a user picking it
    /// in the file dialog.
    pub async fn choose_file(&self, css: &str, path: &Path) {
        self.find(css)
            .await
            .send_keys(&path.display().to_string())
            .await
            .expect("choose the file");
    }

    /// Clicks the element matching `css`.
    pub async fn click(&self, css: &str) {
        self.find(css).await.click().await.expect("click");
    }

    /// Clicks the element matching `css` and waits until a new page has loaded in place of
    /// this one, even one at the same URL (a form that answers with itself).
    pub async fn click_and_load(&self, css: &str) {
        self.client
            .execute("document.documentElement.dataset.e2eOld = '1'", Vec::new())
            .await
            .expect("mark the page");
        self.click(css).await;
        let deadline = Instant::now() + PATIENCE;
        loop {
            let loaded = self
                .client
                .execute(
                    "return document.readyState === 'complete' \
                     && document.documentElement.dataset.e2eOld === undefined",
                    Vec::new(),
                )
                .await
                // A script run while the page changes may fail: ask again.
                .map(|answer| answer == json!(true))
                .unwrap_or(false);
            if loaded {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "clicking `{css}` loaded no new page; still at {}",
                self.url().await
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Signs in through the login form (the browser must be on the login page).
    pub async fn submit_login(&self, login: &str, password: &str) {
        self.fill("input[name=login]", login).await;
        self.fill("input[name=password]", password).await;
        self.click_and_load("form[action='/login'] button[type=submit]")
            .await;
    }

    /// Fills and sends the password form (the browser must be on the password page).
    pub async fn submit_password_change(&self, current: &str, new: &str) {
        self.fill("input[name=current]", current).await;
        self.fill("input[name=new]", new).await;
        self.fill("input[name=confirm]", new).await;
        self.click_and_load("form[action='/password'] button[type=submit]")
            .await;
    }

    /// A new account's first sign-in: the login page, the forced password change, home.
    pub async fn first_sign_in(&self, login: &str, first: &str, new: &str) {
        self.goto("/login").await;
        self.submit_login(login, first).await;
        self.wait_for_path("/password").await;
        self.submit_password_change(first, new).await;
        self.wait_for_path("/").await;
    }

    /// Clicks the link reading `link_text` and waits for the file it downloads: its name and
    /// bytes. The file is removed, so the next download gets the same name.
    pub async fn download(&self, link_text: &str) -> (String, Vec<u8>) {
        self.client
            .find(Locator::LinkText(link_text))
            .await
            .unwrap_or_else(|error| panic!("no link `{link_text}`: {error}"))
            .click()
            .await
            .expect("click the download link");
        let deadline = Instant::now() + PATIENCE;
        loop {
            let names: Vec<String> = std::fs::read_dir(self.downloads.path())
                .expect("read downloads")
                .filter_map(|entry| entry.ok())
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect();
            // Chromium writes `*.crdownload` (or a dot file) and renames it when complete.
            let partial = names
                .iter()
                .any(|name| name.starts_with('.') || name.ends_with(".crdownload"));
            if let [name] = names.as_slice() {
                if !partial {
                    let path = self.downloads.path().join(name);
                    let bytes = std::fs::read(&path).expect("read the download");
                    std::fs::remove_file(&path).expect("remove the download");
                    return (name.clone(), bytes);
                }
            }
            assert!(
                Instant::now() < deadline,
                "no finished download from `{link_text}`: {names:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Scrolls the element matching `css` into the middle of the window (for a screenshot
    /// of what lies below the fold).
    pub async fn scroll_to(&self, css: &str) {
        let element = self.find(css).await;
        let argument = serde_json::to_value(&element).expect("element as an argument");
        self.client
            .execute(
                "arguments[0].scrollIntoView({block: 'center'})",
                vec![argument],
            )
            .await
            .expect("scroll");
    }

    /// Saves the page as `<workspace>/target/screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// Ends the WebDriver session; dropping the browser then stops chromedriver.
    pub async fn close(self) {
        self.client.clone().close().await.expect("end the session");
    }
}

/// A chromedriver process, in a process group of its own with the browsers it starts, all
/// killed on drop (also when a test panics before ending its session).
struct Driver {
    child: Child,
    address: SocketAddr,
    log: tempfile::NamedTempFile,
}

impl Driver {
    async fn start() -> Driver {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, free_port()));
        let log = tempfile::NamedTempFile::new().expect("chromedriver log");
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={}", address.port()))
            .stdin(Stdio::null())
            .stdout(log.reopen().expect("log handle"))
            .stderr(log.reopen().expect("log handle"))
            .process_group(0)
            .spawn()
            .expect("start chromedriver");
        let driver = Driver {
            child,
            address,
            log,
        };
        let deadline = Instant::now() + PATIENCE;
        while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on {address}: {}",
                driver.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        driver
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = -(self.child.id() as i32);
        // SAFETY: kill(2) on a process group this test started; no memory is involved.
        unsafe {
            libc::kill(group, libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

/// `<workspace>/target/screenshots`, whatever `CARGO_TARGET_DIR` says: a fixed place to look.
pub fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("the workspace above crates/server")
        .join("target/screenshots")
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("free port")
}
