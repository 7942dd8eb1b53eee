//! Stopping on SIGTERM and SIGINT: the current request finishes, then the agent exits 0.
//!
//! Rather than a signal handler, the two signals are blocked in every thread and one small
//! thread takes them with `sigwait`, so the reaction runs as ordinary code: it sets the
//! [`Shutdown`] flag, wakes every [`Shutdown::sleep`], and calls the hook that wakes the main
//! loop. A second signal exits at once, for an operator whose server stopped answering.
//! Children started by collectors get a clean signal mask from `std::process`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::log::{log_info, log_warn};

/// A latch that is set once when the agent should stop.
#[derive(Debug, Default)]
pub struct Shutdown {
    requested: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
}

impl Shutdown {
    /// A latch that is not set.
    pub fn new() -> Arc<Shutdown> {
        Arc::new(Shutdown::default())
    }

    /// Sets the latch and wakes every sleeper.
    pub fn request(&self) {
        let _guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.requested.store(true, Ordering::SeqCst);
        self.wake.notify_all();
    }

    /// Whether the agent should stop.
    pub fn is_requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    /// Sleeps for `duration` or until the latch is set; returns whether it is set.
    pub fn sleep(&self, duration: Duration) -> bool {
        let deadline = Instant::now() + duration;
        let mut guard = self.lock.lock().unwrap_or_else(PoisonError::into_inner);
        while !self.is_requested() {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            guard = match self.wake.wait_timeout(guard, deadline - now) {
                Ok((guard, _)) => guard,
                Err(poisoned) => poisoned.into_inner().0,
            };
        }
        self.is_requested()
    }
}

/// Blocks SIGTERM and SIGINT in the calling thread (and so in every thread it starts later)
/// and starts the thread that waits for them. Call it before starting any other thread.
///
/// # Errors
/// The error of changing the signal mask or starting the thread.
pub fn install(
    shutdown: Arc<Shutdown>,
    on_signal: impl Fn() + Send + 'static,
) -> anyhow::Result<()> {
    let set = signal_set();
    // SAFETY: `set` is an initialised signal set; a null old-set pointer is allowed.
    let result = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    if result != 0 {
        return Err(std::io::Error::from_raw_os_error(result)).context("blocking SIGTERM/SIGINT");
    }
    std::thread::Builder::new()
        .name("signals".into())
        .stack_size(64 * 1024)
        .spawn(move || wait_for_signals(&set, &shutdown, &on_signal))
        .context("starting the signal thread")?;
    Ok(())
}

fn signal_set() -> libc::sigset_t {
    // SAFETY: sigemptyset initialises the set before sigaddset reads it; both only fail for
    // invalid signal numbers, and these two are valid.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGINT);
        set
    }
}

fn wait_for_signals(set: &libc::sigset_t, shutdown: &Shutdown, on_signal: &dyn Fn()) {
    loop {
        let mut signal: libc::c_int = 0;
        // SAFETY: `set` is initialised and `signal` is a valid place for the result.
        let result = unsafe { libc::sigwait(set, &mut signal) };
        if result != 0 {
            log_warn!("Waiting for signals failed (error {result}); SIGTERM will not stop the agent cleanly.");
            return;
        }
        if shutdown.is_requested() {
            log_warn!("Second signal {signal}; exiting now.");
            std::process::exit(130);
        }
        log_info!("Signal {signal} received; finishing the current request, then stopping.");
        shutdown.request();
        on_signal();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(request_after: Option<Duration>, sleep_for: Duration, expected: bool) -> Duration {
        let shutdown = Shutdown::new();
        if let Some(delay) = request_after {
            let setter = shutdown.clone();
            std::thread::spawn(move || {
                std::thread::sleep(delay);
                setter.request();
            });
        }
        let started = Instant::now();
        assert_eq!(shutdown.sleep(sleep_for), expected);
        started.elapsed()
    }

    #[test]
    fn sleep_runs_its_course_without_a_request() {
        let elapsed = check(None, Duration::from_millis(50), false);
        assert!(elapsed >= Duration::from_millis(50));
    }

    #[test]
    fn a_request_wakes_a_long_sleep_promptly() {
        let elapsed = check(
            Some(Duration::from_millis(20)),
            Duration::from_secs(30),
            true,
        );
        assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    }
}
