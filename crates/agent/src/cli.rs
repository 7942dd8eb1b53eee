//! Command-line arguments. Parsing only validates shapes (ripgrep's "low" stage); the
//! commands themselves turn these into state, transports and loops.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::desktop::prompt::FORM_TIMEOUT;

/// `kanri-agent`: the Kanri endpoint agent.
#[derive(Debug, Parser)]
#[command(name = "kanri-agent", version, about = "Kanri endpoint agent")]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The agent's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Exchange an enrollment token for agent credentials and store them in the state dir.
    Enroll(EnrollArgs),
    /// Check in, send inventory and run commands until stopped (the service's command).
    Run(RunArgs),
    /// Collect the inventory and print it as JSON; no network, no state dir.
    Inventory,
    /// Forget the host identifier and credentials, e.g. before capturing a disk image.
    ResetId(StateDirArg),
    /// Show enrollment, the agent settings, the last check-in and the offline queue.
    Status(StateDirArg),
    /// Tell the server this agent is being removed (it revokes the credentials and makes the
    /// device agentless), then delete the agent's state.
    Uninstall(UninstallArgs),
    /// Ask the user of this PC for department, location, name, account, e-mail and phone
    /// (利用者情報) and send the answers to the server's asset ledger: in the terminal, or with
    /// --notify through a desktop notification that opens a local web form.
    UserInfo(UserInfoArgs),
}

/// Arguments of `user-info`.
#[derive(Debug, Args)]
pub struct UserInfoArgs {
    /// Ask only when the server says the answers are due (for a login script); otherwise
    /// say so and exit.
    #[arg(long)]
    pub if_due: bool,
    /// Ask in the desktop instead of the terminal: notify the user of the active graphical
    /// session (or the one --uid names) with an action that opens a local web form, and
    /// wait until it is answered or times out.
    #[arg(long)]
    pub notify: bool,
    /// Serve the local web form and print its one-time URL on standard output (with
    /// --notify as well as notifying).
    #[arg(long)]
    pub print_url: bool,
    /// Seconds the local form stays open without an answer.
    #[arg(long, value_name = "SECS", default_value_t = FORM_TIMEOUT.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: u64,
    /// The session to notify, when logind does not know it: the user's uid.
    #[command(flatten)]
    pub session: SessionArgs,
    /// State directory (the agent's credentials are read from it).
    #[command(flatten)]
    pub state: StateDirArg,
}

/// A graphical session named on the command line (`user-info --notify --uid …`).
#[derive(Debug, Args)]
pub struct SessionArgs {
    /// Notify this user instead of the one logind reports in the active graphical session.
    #[arg(
        long,
        value_name = "UID",
        requires = "notify",
        help_heading = "Session"
    )]
    pub uid: Option<u32>,
    /// The session's X display (e.g. :0).
    #[arg(
        long,
        value_name = "DISPLAY",
        requires = "uid",
        help_heading = "Session"
    )]
    pub display: Option<String>,
    /// The session's Wayland socket in the runtime dir (e.g. wayland-0).
    #[arg(long, value_name = "NAME", requires = "uid", help_heading = "Session")]
    pub wayland_display: Option<String>,
    /// The user's runtime dir, which holds the session bus (default /run/user/UID).
    #[arg(long, value_name = "DIR", requires = "uid", help_heading = "Session")]
    pub runtime_dir: Option<PathBuf>,
    /// The session's language, e.g. ja_JP.UTF-8 (default: the system's).
    #[arg(long, value_name = "LANG", requires = "uid", help_heading = "Session")]
    pub lang: Option<String>,
}

/// Where the agent keeps its state; shared by every command that has one.
#[derive(Debug, Clone, Args)]
pub struct StateDirArg {
    /// State directory (default: /var/lib/kanri-agent as root, else
    /// $XDG_STATE_HOME/kanri-agent or ~/.local/state/kanri-agent).
    #[arg(long, env = "KANRI_AGENT_STATE_DIR", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

/// Arguments of `enroll`.
#[derive(Debug, Args)]
pub struct EnrollArgs {
    /// Server base URL, e.g. https://kanri.example:31443; defaults to the one kept in the
    /// state dir (after `reset-id`).
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// The enrollment token (also read from KANRI_ENROLL_TOKEN, which keeps it out of `ps`).
    #[arg(
        long,
        env = "KANRI_ENROLL_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub token: String,
    /// SHA-256 of the server's DER certificate, hex, colons allowed; required for https.
    #[arg(long, value_name = "SHA256", conflicts_with = "insecure_http")]
    pub ca_fingerprint: Option<String>,
    /// Allow a plain http:// server URL (reverse proxy on the same host, local demo).
    #[arg(long)]
    pub insecure_http: bool,
    /// State directory.
    #[command(flatten)]
    pub state: StateDirArg,
}

/// Arguments of `uninstall`.
#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// Delete the local state even when the server cannot be told (it then still counts the
    /// device as managed).
    #[arg(long)]
    pub force: bool,
    /// State directory.
    #[command(flatten)]
    pub state: StateDirArg,
}

/// Arguments of `run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Run one full cycle (check-in, requested uploads, queue flush) and exit.
    #[arg(long)]
    pub once: bool,
    /// Seconds between inventory collections (overrides the agent settings; at least 60).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(60..))]
    pub inventory_interval: Option<u64>,
    /// State directory.
    #[command(flatten)]
    pub state: StateDirArg,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(args: &[&str], expected: &str) {
        let mut argv = vec!["kanri-agent"];
        argv.extend_from_slice(args);
        let actual = match Cli::try_parse_from(argv) {
            Ok(cli) => format!("{:?}", cli.command),
            Err(error) => format!("error: {:?}", error.kind()),
        };
        assert!(actual.starts_with(expected), "{args:?}: {actual}");
    }

    #[test]
    fn parses_enroll() {
        check(
            &[
                "enroll",
                "--server",
                "https://s:31443",
                "--token",
                "t",
                "--ca-fingerprint",
                "AB:cd",
            ],
            r#"Enroll(EnrollArgs { server: Some("https://s:31443"), token: "t", ca_fingerprint: Some("AB:cd"), insecure_http: false, state: StateDirArg { state_dir: None } })"#,
        );
        check(
            &[
                "enroll",
                "--server",
                "http://s",
                "--token",
                "t",
                "--insecure-http",
                "--state-dir",
                "/d",
            ],
            r#"Enroll(EnrollArgs { server: Some("http://s"), token: "t", ca_fingerprint: None, insecure_http: true, state: StateDirArg { state_dir: Some("/d") } })"#,
        );
    }

    #[test]
    fn refuses_pin_with_insecure_http() {
        check(
            &[
                "enroll",
                "--token",
                "t",
                "--ca-fingerprint",
                "ab",
                "--insecure-http",
            ],
            "error: ArgumentConflict",
        );
    }

    #[test]
    fn parses_run_and_bounds_the_inventory_interval() {
        check(
            &["run", "--once", "--inventory-interval", "600"],
            "Run(RunArgs { once: true, inventory_interval: Some(600),",
        );
        check(
            &["run", "--inventory-interval", "5"],
            "error: ValueValidation",
        );
        check(
            &["run"],
            "Run(RunArgs { once: false, inventory_interval: None,",
        );
    }

    #[test]
    fn parses_the_small_commands() {
        check(&["inventory"], "Inventory");
        check(
            &["reset-id", "--state-dir", "/x"],
            r#"ResetId(StateDirArg { state_dir: Some("/x") })"#,
        );
        check(&["status"], "Status(StateDirArg {");
        check(
            &["uninstall", "--state-dir", "/x"],
            r#"Uninstall(UninstallArgs { force: false, state: StateDirArg { state_dir: Some("/x") } })"#,
        );
        check(
            &["uninstall", "--force"],
            "Uninstall(UninstallArgs { force: true,",
        );
        check(&["frobnicate"], "error: InvalidSubcommand");
    }

    #[test]
    fn parses_user_info_and_its_desktop_session() {
        check(
            &["user-info", "--if-due"],
            "UserInfo(UserInfoArgs { if_due: true, notify: false, print_url: false, timeout: 1800, session: SessionArgs { uid: None,",
        );
        check(
            &[
                "user-info",
                "--notify",
                "--uid",
                "1000",
                "--display",
                ":0",
                "--timeout",
                "60",
            ],
            r#"UserInfo(UserInfoArgs { if_due: false, notify: true, print_url: false, timeout: 60, session: SessionArgs { uid: Some(1000), display: Some(":0"),"#,
        );
        check(
            &["user-info", "--uid", "1000"],
            "error: MissingRequiredArgument",
        );
        check(
            &["user-info", "--notify", "--display", ":0"],
            "error: MissingRequiredArgument",
        );
        check(&["user-info", "--timeout", "0"], "error: ValueValidation");
    }
}
