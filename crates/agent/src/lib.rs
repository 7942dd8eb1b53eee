//! The Kanri agent: collects inventory, checks in with the server, runs immediate actions.
//!
//! Entry point: [`run`], called by `main.rs` with the parsed [`cli::Cli`]. The long-running
//! part is [`run::run`] (the main loop, the channel and prompt threads, the offline queue); the
//! other commands are short: [`enroll`], [`status`] (with `reset-id`), [`uninstall`],
//! [`user_info`] and `inventory`. [`desktop`] reaches the PC's user in their graphical session
//! (a notification and a local web form).
//!
//! **Architecture Invariant:** no tokio and no async: a few threads and blocking ureq keep
//! the agent near 10 MB resident and idle between its timers. Collectors live in
//! [`collect`] and know nothing of the network; only [`transport`] builds HTTP requests.
//! Every queue is bounded ([`queue`], the event channel in [`run`]).

pub mod backoff;
pub mod cli;
pub mod collect;
pub mod desktop;
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
pub mod user_info;

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
        Command::UserInfo(args) => user_info::run(&args),
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

/// The inventory as JSON for people: packages as objects with their field names rather than
/// the rows they travel as.
fn readable_inventory(inventory: &kanri_proto::Inventory) -> serde_json::Result<serde_json::Value> {
    let mut value = serde_json::to_value(inventory)?;
    if let Some(packages) = value
        .pointer_mut("/software/packages")
        .and_then(serde_json::Value::as_array_mut)
    {
        for package in packages.iter_mut() {
            if let serde_json::Value::Array(row) = package.take() {
                let fields = kanri_proto::inventory::Package::FIELDS.iter();
                *package = fields.map(|field| field.to_string()).zip(row).collect();
            }
        }
    }
    Ok(value)
}

fn print_inventory() -> anyhow::Result<()> {
    let inventory = collect::collect_all(&CollectContext::default());
    let mut stdout = io::stdout().lock();
    let readable = readable_inventory(&inventory).context("serializing the inventory")?;
    let written = serde_json::to_writer_pretty(&mut stdout, &readable)
        .map_err(io::Error::from)
        .and_then(|()| writeln!(stdout))
        .and_then(|()| stdout.flush());
    match written {
        // `kanri-agent inventory | head` is a normal way to end.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing the inventory"),
    }
}

#[cfg(test)]
mod tests {
    use kanri_proto::inventory::{Package, Software};
    use kanri_proto::Inventory;

    #[test]
    fn the_printed_inventory_names_package_fields() {
        let inventory = Inventory {
            software: Some(Software {
                packages: vec![Package {
                    name: "bash".into(),
                    version: "5.2.15-2+b2".into(),
                    install_time: Some(1_700_000_000),
                    ..Package::default()
                }],
            }),
            ..Inventory::default()
        };
        let value = super::readable_inventory(&inventory).expect("serializes");
        let package = &value["software"]["packages"][0];
        assert_eq!(package["name"], "bash");
        assert_eq!(package["version"], "5.2.15-2+b2");
        assert_eq!(package["install_time"], 1_700_000_000);
        assert!(package["vendor"].is_null());
        // What is printed still decodes as an inventory.
        let back: Inventory = serde_json::from_value(value).expect("decodes");
        assert_eq!(back, inventory);
    }
}
