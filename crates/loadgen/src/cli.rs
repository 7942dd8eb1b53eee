//! Command-line arguments ([`Cli`]) and the validated run configuration ([`Config`]).
//!
//! Parsing only validates; nothing here opens a connection or spawns a task.

use std::fmt;
use std::time::Duration;

use anyhow::{bail, Context as _};
use clap::Parser;
use kanri_proto::limits::MAX_PACKAGES;
use kanri_proto::Text;

/// Simulated Kanri agents for load tests and benchmarks.
///
/// Enrolls `--agents` agents, sends each one's full inventory, then checks every agent in
/// every `--checkin-interval` seconds for `--duration` seconds, sending the inventory sections
/// the server asks for. Progress goes to stderr every 5 s; the summary goes to stdout.
#[derive(Parser)]
#[command(name = "kanri-loadgen", version)]
pub struct Cli {
    /// Base URL of the server, e.g. http://127.0.0.1:31480.
    #[arg(long)]
    pub server: String,
    /// Enrollment token, created with at least `--agents` uses (or unlimited).
    #[arg(long, env = "KANRI_LOADGEN_TOKEN", hide_env_values = true)]
    pub token: String,
    /// Number of simulated agents.
    #[arg(long)]
    pub agents: u32,
    /// Position of the first simulated agent: agents are numbered from here, and their
    /// identities and inventories follow from their numbers and the seed. A second run with
    /// the same seed and `--first-agent` past the first run's agents adds new machines to a
    /// server that already holds the first run's and their software catalogue.
    #[arg(long, default_value_t = 0)]
    pub first_agent: u32,
    /// Length of the check-in phase in seconds; enrollment and the first full inventories
    /// run to completion before it starts.
    #[arg(long)]
    pub duration: f64,
    /// Packages in each agent's software section.
    #[arg(long, default_value_t = 1500)]
    pub software_per_agent: usize,
    /// Seconds between software changes on each agent (a package upgraded, one added, one
    /// removed), which make the server ask for the software section again.
    #[arg(long, default_value_t = 300.0)]
    pub inventory_every: f64,
    /// Seconds between check-ins of each agent (±10 % jitter).
    #[arg(long, default_value_t = 2.0)]
    pub checkin_interval: f64,
    /// Seconds to wait after the first inventories before the check-in phase, so that the
    /// check-ins measured are the steady state and not the server still merging thousands of
    /// first inventories into its software index.
    #[arg(long, default_value_t = 0.0)]
    pub settle: f64,
    /// Most requests in flight at once; at most a quarter of them are inventory uploads, so
    /// slow uploads cannot starve check-ins.
    #[arg(long, default_value_t = 256)]
    pub concurrency: usize,
    /// Accept any TLS certificate (for a server with a self-signed certificate).
    #[arg(long)]
    pub insecure: bool,
    /// Seed for every generated identity and inventory; random when absent.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Tokio worker threads (and payload-building threads); keep it small, the server needs
    /// the CPU.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
}

/// The validated configuration of one run.
#[derive(Clone)]
pub struct Config {
    /// Base URL without a trailing slash.
    pub server: String,
    /// Enrollment token.
    pub token: Text,
    /// Number of simulated agents.
    pub agents: u32,
    /// Number of the first agent.
    pub first_agent: u32,
    /// Length of the check-in phase.
    pub duration: Duration,
    /// Packages per agent.
    pub software_per_agent: usize,
    /// Time between software changes on one agent.
    pub inventory_every: Duration,
    /// Time between check-ins of one agent.
    pub checkin_interval: Duration,
    /// Pause before the check-in phase.
    pub settle: Duration,
    /// Most requests in flight.
    pub concurrency: usize,
    /// Accept any TLS certificate.
    pub insecure: bool,
    /// Run seed.
    pub seed: u64,
    /// Summary as JSON.
    pub json: bool,
    /// Worker threads.
    pub threads: usize,
}

impl Config {
    /// Validates the arguments; a missing seed is drawn at random.
    ///
    /// # Errors
    /// When a URL, count or duration is out of range.
    pub fn from_cli(cli: Cli) -> anyhow::Result<Config> {
        let server = cli.server.trim_end_matches('/').to_string();
        let url = reqwest::Url::parse(&server)
            .with_context(|| format!("--server {server:?} is not a URL"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            bail!("--server must be an http:// or https:// URL with a host, not {server:?}");
        }
        let token = Text::new(cli.token.trim()).context("--token is not a valid token")?;
        if token.is_empty() {
            bail!("--token is empty");
        }
        if cli.agents == 0 {
            bail!("--agents must be at least 1");
        }
        if cli.first_agent.checked_add(cli.agents).is_none() {
            bail!("--first-agent plus --agents must stay below {}", u32::MAX);
        }
        if cli.software_per_agent == 0 || cli.software_per_agent > MAX_PACKAGES / 2 {
            bail!(
                "--software-per-agent must be between 1 and {}",
                MAX_PACKAGES / 2
            );
        }
        if cli.concurrency == 0 {
            bail!("--concurrency must be at least 1");
        }
        if cli.threads == 0 {
            bail!("--threads must be at least 1");
        }
        Ok(Config {
            server,
            token,
            agents: cli.agents,
            first_agent: cli.first_agent,
            duration: seconds("--duration", cli.duration)?,
            software_per_agent: cli.software_per_agent,
            inventory_every: seconds("--inventory-every", cli.inventory_every)?,
            checkin_interval: seconds("--checkin-interval", cli.checkin_interval)?,
            settle: if cli.settle == 0.0 {
                Duration::ZERO
            } else {
                seconds("--settle", cli.settle)?
            },
            concurrency: cli.concurrency,
            insecure: cli.insecure,
            seed: cli.seed.unwrap_or_else(rand::random),
            json: cli.json,
            threads: cli.threads,
        })
    }

    /// Check-ins per second the configuration asks for once every agent is running.
    pub fn target_checkins_per_sec(&self) -> f64 {
        f64::from(self.agents) / self.checkin_interval.as_secs_f64()
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("server", &self.server)
            .field("token", &"<redacted>")
            .field("agents", &self.agents)
            .field("first_agent", &self.first_agent)
            .field("duration", &self.duration)
            .field("software_per_agent", &self.software_per_agent)
            .field("inventory_every", &self.inventory_every)
            .field("checkin_interval", &self.checkin_interval)
            .field("settle", &self.settle)
            .field("concurrency", &self.concurrency)
            .field("insecure", &self.insecure)
            .field("seed", &self.seed)
            .field("json", &self.json)
            .field("threads", &self.threads)
            .finish()
    }
}

fn seconds(flag: &str, value: f64) -> anyhow::Result<Duration> {
    if value.is_nan() || value <= 0.0 {
        bail!("{flag} must be a positive number of seconds, not {value}");
    }
    Duration::try_from_secs_f64(value).with_context(|| format!("{flag} {value} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER: &str = "http://127.0.0.1:31480/";

    /// Parses `args` after the required ones and checks the outcome: `Ok(())` or the start
    /// of the error message.
    fn check(server: &str, args: &[&str], expected: Result<(), &str>) {
        let mut argv = vec!["kanri-loadgen", "--server", server];
        argv.extend_from_slice(&["--token", "tok", "--agents", "10", "--duration", "5"]);
        argv.extend_from_slice(args);
        let cli = Cli::try_parse_from(argv).expect("arguments parse");
        match (Config::from_cli(cli), expected) {
            (Ok(config), Ok(())) => {
                assert_eq!(config.server, "http://127.0.0.1:31480");
                assert!(!format!("{config:?}").contains("tok\""));
            }
            (Err(error), Err(prefix)) => {
                let message = format!("{error:#}");
                assert!(message.starts_with(prefix), "{message}");
            }
            (outcome, expected) => panic!("{:?} but expected {expected:?}", outcome.err()),
        }
    }

    #[test]
    fn accepts_defaults_and_float_intervals() {
        check(SERVER, &[], Ok(()));
        check(
            SERVER,
            &["--checkin-interval", "0.5", "--seed", "7"],
            Ok(()),
        );
    }

    #[test]
    fn refuses_out_of_range_values() {
        check(
            SERVER,
            &["--checkin-interval", "0"],
            Err("--checkin-interval must be"),
        );
        check(
            SERVER,
            &["--first-agent", &(u32::MAX - 5).to_string()],
            Err("--first-agent plus --agents must stay below"),
        );
        check(SERVER, &["--first-agent", "1500"], Ok(()));
        check(
            SERVER,
            &["--inventory-every", "NaN"],
            Err("--inventory-every must be"),
        );
        check(
            SERVER,
            &["--concurrency", "0"],
            Err("--concurrency must be"),
        );
        check(
            SERVER,
            &["--software-per-agent", "0"],
            Err("--software-per-agent must be"),
        );
    }

    #[test]
    fn refuses_a_server_that_is_not_a_url() {
        check("ftp://x", &[], Err("--server must be"));
        check("127.0.0.1:31480", &[], Err("--server"));
        check("http://", &[], Err("--server"));
    }
}
