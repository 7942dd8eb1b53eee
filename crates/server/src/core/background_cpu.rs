//! Running CPU-heavy work (inflating and decoding large uploads) at a lower scheduling
//! priority than the threads that serve requests and drive database transactions.
//!
//! With SQLite, every write goes through one connection thread; when it competes for a core
//! with threads decoding the next uploads, it holds the write lock while waiting for CPU and
//! every upload behind it waits too. Decoding on lowered-priority threads lets the writer, the
//! request threads and check-ins run first, and uses whatever CPU is left for the backlog.

use std::cell::Cell;

/// Niceness added to threads running heavy work: the kernel then gives a thread of normal
/// priority about ten times their share of a contended core.
const NICE: libc::c_int = 10;

thread_local! {
    static LOWERED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `work` on tokio's blocking pool, on a thread whose priority is lowered first.
///
/// # Errors
/// When the work panicked (the panic's text).
pub async fn run<T, F>(work: F) -> Result<T, String>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(move || {
        lower_priority();
        work()
    })
    .await
    .map_err(|error| error.to_string())
}

fn lower_priority() {
    if LOWERED.get() {
        return;
    }
    LOWERED.set(true);
    // SAFETY: plain system calls; on Linux PRIO_PROCESS with a thread id sets that thread's
    // niceness, and raising one's own niceness needs no privilege. A failure leaves the
    // thread at normal priority, which is only slower.
    unsafe {
        let tid = libc::gettid();
        let current = libc::getpriority(libc::PRIO_PROCESS, tid as libc::id_t);
        libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, current.max(0) + NICE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own_niceness() -> libc::c_int {
        // SAFETY: plain system calls on the calling thread.
        unsafe { libc::getpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t) }
    }

    /// The work runs on another thread, at least `NICE` below normal priority, and the
    /// caller's own thread keeps its priority.
    #[tokio::test]
    async fn work_runs_at_lowered_priority_off_the_calling_thread() {
        let caller = own_niceness();
        let (niceness, thread) = run(|| (own_niceness(), std::thread::current().id()))
            .await
            .expect("work ran");
        assert!(niceness >= NICE, "niceness {niceness}");
        assert_ne!(thread, std::thread::current().id());
        assert_eq!(own_niceness(), caller);
    }

    #[tokio::test]
    async fn a_panic_is_reported_as_an_error() {
        let outcome = run(|| -> u8 { panic!("decoder bug") }).await;
        assert!(outcome.is_err());
    }
}
