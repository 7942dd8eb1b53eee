//! `kanri-agent run`: the main loop and the threads around it.
//!
//! Four threads: the main loop ([`agent`]) collects, checks in, uploads and flushes the
//! offline queue on its own timers; the channel thread ([`channel`]) holds the long poll and
//! hands commands over a bounded channel; the prompt thread ([`prompts`]) asks the desktop
//! user for their user information when it is due; the signal thread ([`crate::shutdown`])
//! turns SIGTERM into an [`Event::Shutdown`]. The main loop sleeps in `recv_timeout` on that one
//! channel, so a command or a signal wakes it at once and an idle agent costs no wake-ups
//! between its timers.
//!
//! **Architecture Invariant:** only the main loop writes `state.json`, `settings.json`,
//! `status.json` and the queue; the channel thread only reads the network and sends
//! [`Event`]s; the prompt thread writes nothing but its form lock.

mod agent;
mod channel;
mod commands;
pub mod prompts;
mod snapshot;

pub use agent::{run, RunConfig};

use kanri_proto::Command;

/// What wakes the main loop besides its timers.
#[derive(Debug)]
pub enum Event {
    /// Commands that arrived over the channel.
    Commands(Vec<Command>),
    /// SIGTERM or SIGINT.
    Shutdown,
}

/// Capacity of the event channel. A full channel makes the channel thread wait, which is
/// the back-pressure we want: it must not read more commands than the main loop can run.
pub const EVENT_CAPACITY: usize = 8;
