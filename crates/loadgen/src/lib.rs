//! `kanri-loadgen`: simulated Kanri agents for load tests and benchmarks.
//!
//! It enrolls thousands of agents with one token, sends each one's full inventory (gzip, as
//! real agents do), then checks every agent in on its schedule, answering the server's requests
//! for inventory sections and changing each agent's software now and then so the server's diff
//! path is exercised. It reports, per request kind, throughput, latency percentiles and errors
//! by status and code.
//!
//! Code map: [`cli`] (arguments), [`catalogue`] (the shared package pool and per-agent package
//! sets), [`sim`] (identities, inventory sections, the change model), [`client`] (HTTP),
//! [`plain`] (the lean plain-HTTP connection pool), [`driver`] (the phases and schedules),
//! [`histogram`] and [`report`] (measurements).
//!
//! **Architecture Invariant:** the loadgen speaks only the wire contract in `kanri-proto`; it
//! never depends on the server crate. Per-agent state is small (indices into the shared
//! catalogue, a serialized check-in body), so 20,000 agents fit in well under a gigabyte.

pub mod catalogue;
pub mod cli;
pub mod client;
pub mod driver;
pub mod histogram;
pub mod plain;
pub mod report;
pub mod seed;
pub mod sim;

use std::io::Write as _;

use anyhow::Context as _;

use crate::cli::{Cli, Config};

/// Runs a load test as the command line asks, printing the summary on stdout.
///
/// # Errors
/// Invalid arguments, an unreachable server, no agent enrolled, or a stdout failure.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::from_cli(cli)?;
    let json = config.json;
    // A few extra blocking threads so name resolution never waits behind payload building,
    // which is bounded to `threads` on its own.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.threads)
        .max_blocking_threads(config.threads + 4)
        .thread_name("kanri-loadgen")
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let summary = runtime.block_on(driver::drive(config))?;
    runtime.shutdown_background();
    let text = if json {
        let mut text =
            serde_json::to_string_pretty(&summary).context("cannot encode the summary")?;
        text.push('\n');
        text
    } else {
        summary.to_string()
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(error).context("cannot write the summary")
        }
        _ => Ok(()),
    }
}
