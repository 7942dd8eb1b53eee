//! [`Backoff`]: exponential delays with jitter, so that thousands of agents coming back after
//! a server outage do not all arrive in the same second.

use std::time::Duration;

use rand::Rng;

/// Doubling delays from `base` up to `cap`, each drawn uniformly from the upper half of the
/// current step ("equal jitter"): never shorter than half the step, never longer than it.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    failures: u32,
}

impl Backoff {
    /// 1 s doubling to 5 min: the channel and the offline queue.
    pub fn standard() -> Backoff {
        Backoff::new(Duration::from_secs(1), Duration::from_secs(300))
    }

    /// A backoff from `base` to `cap`.
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        Backoff {
            base,
            cap: cap.max(base),
            failures: 0,
        }
    }

    /// Records a failure and returns how long to wait before the next attempt.
    pub fn fail(&mut self) -> Duration {
        let unit: f64 = rand::thread_rng().gen();
        self.fail_with(unit)
    }

    /// [`Backoff::fail`] with the random draw given (`unit` in `[0, 1)`), for tests.
    pub fn fail_with(&mut self, unit: f64) -> Duration {
        let step = self.step();
        self.failures = self.failures.saturating_add(1);
        step.div_f64(2.0).mul_f64(1.0 + unit.clamp(0.0, 1.0))
    }

    /// Forgets the failures after a success.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// Failures since the last success.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The ceiling of the next delay: `base * 2^failures`, at most `cap`.
    fn step(&self) -> Duration {
        let factor = 1u32.checked_shl(self.failures.min(31)).unwrap_or(u32::MAX);
        self.base
            .checked_mul(factor)
            .map_or(self.cap, |step| step.min(self.cap))
    }
}

/// `interval` scaled by a uniform factor in `[1 - fraction, 1 + fraction]`.
pub fn jitter(interval: Duration, fraction: f64) -> Duration {
    let unit: f64 = rand::thread_rng().gen();
    jitter_with(interval, fraction, unit)
}

/// [`jitter`] with the random draw given (`unit` in `[0, 1]`), for tests.
pub fn jitter_with(interval: Duration, fraction: f64, unit: f64) -> Duration {
    interval.mul_f64(1.0 - fraction + 2.0 * fraction * unit.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(backoff: &mut Backoff, unit: f64, expected_ms: u64) {
        assert_eq!(backoff.fail_with(unit).as_millis(), u128::from(expected_ms));
    }

    #[test]
    fn grows_exponentially_within_the_jitter_band() {
        let mut backoff = Backoff::standard();
        check(&mut backoff, 0.0, 500);
        check(&mut backoff, 0.0, 1000);
        check(&mut backoff, 1.0, 4000);
        check(&mut backoff, 0.5, 6000);
        assert_eq!(backoff.failures(), 4);
    }

    #[test]
    fn stops_at_the_cap_and_resets() {
        let mut backoff = Backoff::standard();
        for _ in 0..100 {
            assert!(backoff.fail() <= Duration::from_secs(300));
        }
        check(&mut backoff, 1.0, 300_000);
        check(&mut backoff, 0.0, 150_000);
        backoff.reset();
        check(&mut backoff, 1.0, 1000);
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        let minute = Duration::from_secs(60);
        assert_eq!(jitter_with(minute, 0.1, 0.0), Duration::from_secs(54));
        assert_eq!(jitter_with(minute, 0.1, 1.0), Duration::from_secs(66));
        for _ in 0..100 {
            let value = jitter(minute, 0.1);
            assert!(value >= Duration::from_secs(54) && value <= Duration::from_secs(66));
        }
    }
}
