//! The channel thread: holds `GET paths::CHANNEL` open so the server can push commands
//! within seconds, even to agents behind NAT, because the agent opens the connection.

use std::sync::mpsc::SyncSender;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::backoff::Backoff;
use crate::log::{log_info, log_warn};
use crate::shutdown::Shutdown;
use crate::transport::Transport;

use super::Event;

/// A poll that comes back empty sooner than this is treated like a failure (with backoff),
/// so a server or proxy that does not hold the request cannot make the agent spin.
const MIN_EMPTY_POLL: Duration = Duration::from_secs(5);

/// Starts the channel thread. It stops when shutdown is requested or the main loop is gone.
///
/// # Errors
/// The error of starting the thread.
pub fn spawn(
    transport: Transport,
    events: SyncSender<Event>,
    shutdown: Arc<Shutdown>,
) -> std::io::Result<JoinHandle<()>> {
    thread::Builder::new()
        .name("channel".into())
        .stack_size(512 * 1024)
        .spawn(move || poll_loop(&transport, &events, &shutdown))
}

fn poll_loop(transport: &Transport, events: &SyncSender<Event>, shutdown: &Shutdown) {
    let mut backoff = Backoff::standard();
    while !shutdown.is_requested() {
        let started = Instant::now();
        let delay = match transport.channel() {
            Ok(reply) if !reply.commands.is_empty() => {
                backoff.reset();
                log_info!("Channel brought {} command(s).", reply.commands.len());
                if events.send(Event::Commands(reply.commands)).is_err() {
                    return;
                }
                None
            }
            Ok(_) if started.elapsed() < MIN_EMPTY_POLL => Some(backoff.fail()),
            Ok(_) => {
                backoff.reset();
                None
            }
            Err(error) => {
                let delay = backoff.fail();
                log_warn!(
                    "Channel failed: {error}; retrying in {} s.",
                    delay.as_secs()
                );
                Some(delay)
            }
        };
        if let Some(delay) = delay {
            if shutdown.sleep(delay) {
                return;
            }
        }
    }
}
