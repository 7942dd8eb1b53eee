//! The Kanri agent: collects inventory, checks in with the server, runs immediate actions.
//!
//! Entry point: [`run`], called by `main.rs` with the parsed [`cli::Cli`]. The long-running
//! part is [`run::run`] (the main loop, the channel thread, the offline queue); the other
//! commands are short: [`enroll`], [`status`] (with `reset-id`), [`uninstall`] and
//! `inventory`.
//!
//! **Architecture Invariant:** no tokio and no async: a few threads and blocking ureq keep
//! the agent near 10 MB resident and idle between its timers. Collectors live in
//! [`collect`] and know nothing of the network; only [`transport`] builds HTTP requests.
//! Every queue is bounded ([`queue`], the event channel in [`run`]).

pub mod backoff;
pub mod cli;
pub mod collect;
pub mod enroll;
pub mod fsutil;
pub mod lock;
pub mod log;
pub mod memory;
pub mod queue;
pub mod run;
pub mod shutdown;
pub mod state;
pub mod status;
pub mod transport;
pub mod uninstall;

use std::io::{self, Write};

use anyhow::Context;

use crate::cli::{Cli, Command};
use crate::collect::CollectContext;
use crate::state::{resolve_state_dir, NotEnrolled};
use crate::transport::TransportError;

/// Exit code when the agent is not enrolled or its credentials were refused (`EX_CONFIG`);
/// a systemd unit sets `RestartPreventExitStatus=78` so it does not restart in a loop.
pub const EXIT_NOT_ENROLLED: u8 = 78;
/// Exit code of every other error.
pub const EXIT_ERROR: u8 = 1;

/// Runs one command.
///
/// # Errors
/// Whatever the command failed with; [`exit_code`] sorts it.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Enroll(args) => enroll::enroll(&args),
        Command::Run(args) => run::run(&run::RunConfig {
            state_dir: resolve_state_dir(args.state.state_dir.as_deref())?,
            once: args.once,
            inventory_interval_secs: args.inventory_interval,
        }),
        Command::Inventory => print_inventory(),
        Command::ResetId(arg) => status::reset_id(&arg),
        Command::Status(arg) => status::status(&arg),
        Command::Uninstall(args) => uninstall::uninstall(&args),
    }
}

/// The process exit code for an error returned by [`run`].
pub fn exit_code(error: &anyhow::Error) -> u8 {
    let needs_enrollment = error.chain().any(|cause| {
        cause.downcast_ref::<NotEnrolled>().is_some()
            || cause.downcast_ref::<TransportError>() == Some(&TransportError::Unauthorized)
    });
    if needs_enrollment {
        EXIT_NOT_ENROLLED
    } else {
        EXIT_ERROR
    }
}

fn print_inventory() -> anyhow::Result<()> {
    let inventory = collect::collect_all(&CollectContext::default());
    let mut stdout = io::stdout().lock();
    let written = serde_json::to_writer_pretty(&mut stdout, &inventory)
        .map_err(io::Error::from)
        .and_then(|()| writeln!(stdout))
        .and_then(|()| stdout.flush());
    match written {
        // `kanri-agent inventory | head` is a normal way to end.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing the inventory"),
    }
}
