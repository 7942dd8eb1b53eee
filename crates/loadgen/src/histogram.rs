//! A fixed-bucket log-linear latency histogram.
//!
//! Values are microseconds. Below 64 every value has its own bucket; above, each power of two
//! is split into 32 equal buckets, so a reported percentile is at most about 3 % above the true
//! value. The whole `u64` range fits in 1,920 buckets (15 KiB), so recording never allocates
//! and never saturates.

/// Linear sub-buckets per power of two, as a power of two.
const SUB_BITS: u32 = 5;
const SUB_COUNT: u64 = 1 << SUB_BITS;
const BUCKETS: usize = ((64 - SUB_BITS) as usize + 1) * SUB_COUNT as usize;

/// Counts of values in log-linear buckets, with the exact minimum, maximum and sum.
#[derive(Clone)]
pub struct Histogram {
    counts: Box<[u64; BUCKETS]>,
    count: u64,
    sum: u128,
    min: u64,
    max: u64,
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Histogram {
        Histogram {
            counts: Box::new([0; BUCKETS]),
            count: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
        }
    }

    /// Records one value.
    pub fn record(&mut self, value: u64) {
        self.counts[bucket_of(value)] += 1;
        self.count += 1;
        self.sum += u128::from(value);
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    /// Adds every value recorded in `other`.
    pub fn merge(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts.iter()) {
            *mine += theirs;
        }
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Number of values recorded.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The largest value recorded, or 0 when empty.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// The smallest value recorded, or 0 when empty.
    pub fn min(&self) -> u64 {
        if self.count == 0 {
            0
        } else {
            self.min
        }
    }

    /// The mean of the values recorded, or 0 when empty.
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum as f64 / self.count as f64
        }
    }

    /// The value below or at which `quantile` (0.0–1.0) of the values lie: the highest value
    /// of the bucket holding that rank, capped by the exact maximum. 0 when empty.
    pub fn percentile(&self, quantile: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((quantile.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (bucket, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return bucket_high(bucket).clamp(self.min, self.max);
            }
        }
        self.max
    }
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram::new()
    }
}

fn bucket_of(value: u64) -> usize {
    if value < 2 * SUB_COUNT {
        return value as usize;
    }
    let exponent = 63 - value.leading_zeros();
    let shift = exponent - SUB_BITS;
    (u64::from(shift) * SUB_COUNT + (value >> shift)) as usize
}

/// The highest value that falls into `bucket`.
fn bucket_high(bucket: usize) -> u64 {
    let bucket = bucket as u64;
    if bucket < 2 * SUB_COUNT {
        return bucket;
    }
    let shift = bucket / SUB_COUNT - 1;
    let mantissa = bucket - shift * SUB_COUNT;
    // The top bucket's end is u64::MAX itself, one past which would overflow.
    ((mantissa + 1) << shift)
        .wrapping_sub(1)
        .max(mantissa << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records `values` and checks each `(quantile, expected)` within 3.2 % relative error.
    fn check(values: impl IntoIterator<Item = u64>, expected: &[(f64, u64)]) {
        let mut histogram = Histogram::new();
        for value in values {
            histogram.record(value);
        }
        for &(quantile, want) in expected {
            let got = histogram.percentile(quantile);
            let tolerance = (want as f64 * 0.032).ceil() as u64;
            assert!(
                got >= want && got <= want + tolerance,
                "p{} = {got}, expected {want} (+{tolerance})",
                quantile * 100.0
            );
        }
    }

    #[test]
    fn small_values_are_exact() {
        check(1..=60, &[(0.5, 30), (0.95, 57), (1.0, 60), (0.0, 1)]);
    }

    #[test]
    fn percentiles_of_a_uniform_range() {
        // 1 ms to 1 s in microseconds.
        check(
            (1..=1000).map(|ms| ms * 1000),
            &[
                (0.5, 500_000),
                (0.95, 950_000),
                (0.99, 990_000),
                (1.0, 1_000_000),
            ],
        );
    }

    #[test]
    fn a_slow_tail_shows_in_p99_but_not_p50() {
        let fast = std::iter::repeat_n(2_000, 985);
        let slow = std::iter::repeat_n(750_000, 15);
        check(
            fast.chain(slow),
            &[(0.5, 2_000), (0.95, 2_000), (0.99, 750_000)],
        );
    }

    #[test]
    fn max_min_mean_and_merge_are_exact() {
        let mut first = Histogram::new();
        let mut second = Histogram::new();
        first.record(10);
        first.record(1_000_003);
        second.record(7);
        second.record(u64::MAX);
        first.merge(&second);
        assert_eq!(first.count(), 4);
        assert_eq!(first.min(), 7);
        assert_eq!(first.max(), u64::MAX);
        assert_eq!(first.percentile(1.0), u64::MAX);
        assert_eq!(first.percentile(0.25), 7);
        assert!(Histogram::new().percentile(0.5) == 0 && Histogram::new().mean() == 0.0);
    }

    #[test]
    fn buckets_are_contiguous_and_monotonic() {
        let mut previous_high = None;
        for bucket in 0..BUCKETS {
            let high = bucket_high(bucket);
            if let Some(previous) = previous_high {
                assert!(high > previous, "bucket {bucket}");
                assert_eq!(bucket_of(previous + 1), bucket, "first value of {bucket}");
            }
            assert_eq!(bucket_of(high), bucket, "last value of {bucket}");
            previous_high = Some(high);
        }
        assert_eq!(previous_high, Some(u64::MAX));
    }
}
