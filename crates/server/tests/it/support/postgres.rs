//! A throwaway PostgreSQL for the test process: started from the system binaries in a temp
//! directory on first use, one database per test, stopped when the test process exits.
//! `KANRI_TEST_POSTGRES_URL` points the tests at an existing server instead.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use sqlx::{Connection, Executor};

fn bin_dir() -> PathBuf {
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    candidates.sort();
    candidates
        .into_iter()
        .rev()
        .find(|dir| dir.join("initdb").exists())
        .expect("PostgreSQL server binaries not found under /usr/lib/postgresql: run scripts/test, which installs them")
}

fn as_postgres_user(program: &Path) -> Command {
    // initdb and postgres refuse to run as root.
    if unsafe { libc_geteuid() } == 0 {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn start_cluster() -> String {
    let bin = bin_dir();
    let dir = std::env::temp_dir().join(format!(
        "kanri-test-pg-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).expect("pg temp dir");
    let data = dir.join("data");
    if unsafe { libc_geteuid() } == 0 {
        let status = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir)
            .status()
            .expect("chown");
        assert!(status.success(), "chown of the PostgreSQL temp dir failed");
    }
    let status = as_postgres_user(&bin.join("initdb"))
        .args(["-D"])
        .arg(&data)
        .args([
            "-U",
            "kanri",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run initdb");
    assert!(status.success(), "initdb failed");
    let port = free_port();
    let options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400",
        dir.display()
    );
    let status = as_postgres_user(&bin.join("pg_ctl"))
        .args(["-D"])
        .arg(&data)
        .args(["-o", &options, "-l"])
        .arg(dir.join("log"))
        .args(["-w", "start"])
        .stdout(std::process::Stdio::null())
        .status()
        .expect("run pg_ctl");
    assert!(
        status.success(),
        "pg_ctl start failed; see {}",
        dir.join("log").display()
    );
    // Stop the cluster and remove it when this test process ends, however it ends.
    let watchdog = format!(
        "(while [ -d /proc/{pid} ]; do sleep 1; done; {pg_ctl} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {dir}) >/dev/null 2>&1 &",
        pid = std::process::id(),
        pg_ctl = bin.join("pg_ctl").display(),
        data = data.display(),
        dir = dir.display()
    );
    let mut stopper = if unsafe { libc_geteuid() } == 0 {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--", "sh", "-c", &watchdog]);
        command
    } else {
        let mut command = Command::new("sh");
        command.args(["-c", &watchdog]);
        command
    };
    stopper
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // The shell backgrounds the watchdog and returns at once, so nothing is left unwaited.
    let started = stopper.status().expect("start the PostgreSQL watchdog");
    assert!(started.success(), "the PostgreSQL watchdog did not start");
    format!("postgres://kanri@127.0.0.1:{port}")
}

/// The server URL (without database) shared by this test process.
pub fn server_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| match std::env::var("KANRI_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url.trim_end_matches('/').to_string(),
        _ => start_cluster(),
    })
}

/// A new empty database for one test.
pub async fn fresh_database() -> String {
    let base = server_url();
    let name = format!("kanri_{}", kanri_server::core::secrets::random_id());
    let mut admin = sqlx::PgConnection::connect(&format!("{base}/postgres"))
        .await
        .expect("connect to test PostgreSQL");
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create test database");
    format!("{base}/{name}")
}
