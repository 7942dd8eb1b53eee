//! Measurements and their presentation: [`Stats`] (shared by every task) counts each request
//! kind, its latency, bytes sent and errors by status and code; [`Progress`] makes the
//! five-second line on stderr; [`Summary`] is the end-of-run report, as text or as JSON.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kanri_proto::SectionKind;
use serde::Serialize;

use crate::histogram::Histogram;

/// The kinds of request the loadgen measures separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `POST /agent/v1/enroll`.
    Enroll,
    /// `POST /agent/v1/checkin`.
    Checkin,
    /// `POST /agent/v1/inventory` with every section.
    InventoryFull,
    /// `POST /agent/v1/inventory` with the sections the server asked for.
    InventoryDelta,
}

impl Kind {
    /// Every kind, in report order.
    pub const ALL: [Kind; 4] = [
        Kind::Enroll,
        Kind::Checkin,
        Kind::InventoryFull,
        Kind::InventoryDelta,
    ];

    /// The name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Enroll => "enroll",
            Kind::Checkin => "checkin",
            Kind::InventoryFull => "inventory-full",
            Kind::InventoryDelta => "inventory-delta",
        }
    }
}

/// Counters shared by every task of a run. Each kind has its own lock, held only to add one
/// measurement.
pub struct Stats {
    started: Instant,
    kinds: [Mutex<KindStats>; 4],
    in_flight: AtomicI64,
    changes: AtomicU64,
    reassigned: AtomicU64,
    refresh_commands: AtomicU64,
    wanted: [AtomicU64; 8],
}

#[derive(Default)]
struct KindStats {
    latency: Histogram,
    lag: Histogram,
    ok: u64,
    bytes_sent: u64,
    errors: BTreeMap<String, ErrorCount>,
    first_start: Option<Duration>,
    last_end: Duration,
}

struct ErrorCount {
    count: u64,
    example: String,
}

impl Stats {
    /// Empty counters; throughput is measured from now.
    pub fn new() -> Stats {
        Stats {
            started: Instant::now(),
            kinds: Default::default(),
            in_flight: AtomicI64::new(0),
            changes: AtomicU64::new(0),
            reassigned: AtomicU64::new(0),
            refresh_commands: AtomicU64::new(0),
            wanted: Default::default(),
        }
    }

    /// Time since the counters were created.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Marks a request as started (for the in-flight count).
    pub fn begin(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a successful request that started at `started` and sent `bytes_sent` bytes.
    pub fn record_ok(&self, kind: Kind, started: Instant, bytes_sent: usize) {
        let now = Instant::now();
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        let mut stats = self.lock(kind);
        stats.ok += 1;
        stats.latency.record(micros(now - started));
        stats.span(started - self.started, now - self.started);
        stats.bytes_sent += bytes_sent as u64;
    }

    /// Records a failed request under `key` (such as `401 unauthorized` or `connect`),
    /// keeping the first `example` message of each key.
    pub fn record_error(
        &self,
        kind: Kind,
        started: Instant,
        bytes_sent: usize,
        key: &str,
        example: impl FnOnce() -> String,
    ) {
        let now = Instant::now();
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
        let mut stats = self.lock(kind);
        stats.span(started - self.started, now - self.started);
        stats.bytes_sent += bytes_sent as u64;
        match stats.errors.get_mut(key) {
            Some(entry) => entry.count += 1,
            None => {
                let entry = ErrorCount {
                    count: 1,
                    example: example(),
                };
                stats.errors.insert(key.to_string(), entry);
            }
        }
    }

    /// Records how late a request was sent relative to its schedule.
    pub fn record_lag(&self, kind: Kind, lag: Duration) {
        self.lock(kind).lag.record(micros(lag));
    }

    /// Counts one change applied by the change model.
    pub fn record_change(&self) {
        self.changes.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts the sections a check-in reply asked for.
    pub fn record_wanted(&self, kinds: &[SectionKind]) {
        for kind in kinds {
            self.wanted[*kind as usize].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a check-in reply that reassigned the agent's identity.
    pub fn record_reassigned(&self) {
        self.reassigned.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a check-in reply that asked for a full inventory.
    pub fn record_refresh_command(&self) {
        self.refresh_commands.fetch_add(1, Ordering::Relaxed);
    }

    /// Successful requests of `kind` so far.
    pub fn ok(&self, kind: Kind) -> u64 {
        self.lock(kind).ok
    }

    /// The most frequent error of `kind`, with its count and example, if any.
    pub fn top_error(&self, kind: Kind) -> Option<(String, u64, String)> {
        let stats = self.lock(kind);
        stats
            .errors
            .iter()
            .max_by_key(|(_, entry)| entry.count)
            .map(|(key, entry)| (key.clone(), entry.count, entry.example.clone()))
    }

    /// The report of everything recorded so far.
    pub fn summary(&self, run: RunInfo) -> Summary {
        let requests = Kind::ALL
            .into_iter()
            .map(|kind| self.lock(kind).summary(kind))
            .collect();
        let wanted_sections = SectionKind::ALL
            .into_iter()
            .map(|kind| {
                (
                    kind.as_str(),
                    self.wanted[kind as usize].load(Ordering::Relaxed),
                )
            })
            .filter(|(_, count)| *count > 0)
            .collect();
        Summary {
            run,
            requests,
            changes: self.changes.load(Ordering::Relaxed),
            wanted_sections,
            reassigned: self.reassigned.load(Ordering::Relaxed),
            refresh_commands: self.refresh_commands.load(Ordering::Relaxed),
        }
    }

    fn lock(&self, kind: Kind) -> std::sync::MutexGuard<'_, KindStats> {
        // A panic while holding the lock leaves plain counters; keep using them.
        self.kinds[kind as usize]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn counts(&self, kind: Kind) -> (u64, u64) {
        let stats = self.lock(kind);
        (
            stats.ok,
            stats.errors.values().map(|entry| entry.count).sum(),
        )
    }
}

impl Default for Stats {
    fn default() -> Stats {
        Stats::new()
    }
}

impl KindStats {
    fn span(&mut self, start: Duration, end: Duration) {
        self.first_start = Some(self.first_start.map_or(start, |first| first.min(start)));
        self.last_end = self.last_end.max(end);
    }

    fn summary(&self, kind: Kind) -> KindSummary {
        let errors: u64 = self.errors.values().map(|entry| entry.count).sum();
        let span = self
            .first_start
            .map_or(0.0, |first| (self.last_end - first).as_secs_f64());
        let mut errors_by_kind: Vec<ErrorSummary> = self
            .errors
            .iter()
            .map(|(key, entry)| ErrorSummary {
                key: key.clone(),
                count: entry.count,
                example: entry.example.clone(),
            })
            .collect();
        errors_by_kind.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
        KindSummary {
            kind: kind.as_str(),
            requests: self.ok + errors,
            ok: self.ok,
            errors,
            throughput_per_sec: if span > 0.0 {
                self.ok as f64 / span
            } else {
                0.0
            },
            bytes_sent: self.bytes_sent,
            latency_ms: Latency::of(&self.latency),
            schedule_lag_ms: Latency::of(&self.lag),
            errors_by_kind,
        }
    }
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// What the driver knows about the run, reported with the measurements.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunInfo {
    /// Server base URL.
    pub server: String,
    /// Run seed, to reproduce the run.
    pub seed: u64,
    /// Agents asked for.
    pub agents: u32,
    /// Agents enrolled.
    pub enrolled: u32,
    /// Packages per agent.
    pub software_per_agent: usize,
    /// Check-in interval, seconds.
    pub checkin_interval_secs: f64,
    /// Check-ins per second asked for.
    pub target_checkins_per_sec: f64,
    /// Stopped early by Ctrl-C.
    pub interrupted: bool,
    /// Phase lengths.
    pub phases: Phases,
}

/// How long each phase took, seconds.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Phases {
    /// Enrolling every agent.
    pub enroll_secs: f64,
    /// Sending every first full inventory.
    pub inventory_full_secs: f64,
    /// The pause before the check-in phase (`--settle`).
    pub settle_secs: f64,
    /// The check-in phase.
    pub checkin_secs: f64,
}

/// The end-of-run report.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// The run.
    #[serde(flatten)]
    pub run: RunInfo,
    /// One entry per request kind.
    pub requests: Vec<KindSummary>,
    /// Changes the change model applied.
    pub changes: u64,
    /// How often check-in replies asked for each section.
    pub wanted_sections: BTreeMap<&'static str, u64>,
    /// Check-in replies that reassigned an agent's identity.
    pub reassigned: u64,
    /// Check-in replies that asked for a full inventory.
    pub refresh_commands: u64,
}

/// Measurements of one request kind.
#[derive(Debug, Serialize)]
pub struct KindSummary {
    /// `enroll`, `checkin`, `inventory-full` or `inventory-delta`.
    pub kind: &'static str,
    /// Requests sent.
    pub requests: u64,
    /// Requests that succeeded.
    pub ok: u64,
    /// Requests that failed.
    pub errors: u64,
    /// Successful requests per second between the first start and the last end.
    pub throughput_per_sec: f64,
    /// Request bytes sent, after compression.
    pub bytes_sent: u64,
    /// Latency of successful requests.
    pub latency_ms: Option<Latency>,
    /// How late requests went out compared with their schedule (check-ins only).
    pub schedule_lag_ms: Option<Latency>,
    /// Failures by status and code, or by transport error, most frequent first.
    pub errors_by_kind: Vec<ErrorSummary>,
}

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Latency {
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Maximum.
    pub max: f64,
    /// Mean.
    pub mean: f64,
}

impl Latency {
    fn of(histogram: &Histogram) -> Option<Latency> {
        let ms = |micros: u64| micros as f64 / 1000.0;
        (histogram.count() > 0).then(|| Latency {
            p50: ms(histogram.percentile(0.50)),
            p95: ms(histogram.percentile(0.95)),
            p99: ms(histogram.percentile(0.99)),
            max: ms(histogram.max()),
            mean: histogram.mean() / 1000.0,
        })
    }
}

/// One kind of failure.
#[derive(Debug, Serialize)]
pub struct ErrorSummary {
    /// `401 unauthorized`, `422 invalid_payload`, `connect`, `timeout`, …
    pub key: String,
    /// How often.
    pub count: u64,
    /// The first message seen.
    pub example: String,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let run = &self.run;
        writeln!(
            f,
            "kanri-loadgen: {} of {} agents enrolled against {} (seed {}, {} packages each){}",
            run.enrolled,
            run.agents,
            run.server,
            run.seed,
            run.software_per_agent,
            if run.interrupted { ", interrupted" } else { "" }
        )?;
        writeln!(
            f,
            "phases: enroll {:.1} s, first inventories {:.1} s, settle {:.1} s, check-ins {:.1} s \
             (every {} s, target {:.0}/s)",
            run.phases.enroll_secs,
            run.phases.inventory_full_secs,
            run.phases.settle_secs,
            run.phases.checkin_secs,
            run.checkin_interval_secs,
            run.target_checkins_per_sec
        )?;
        writeln!(f)?;
        writeln!(
            f,
            "{:<16} {:>9} {:>9} {:>7} {:>9} {:>8} {:>8} {:>8} {:>9} {:>9}",
            "kind",
            "requests",
            "ok",
            "errors",
            "rate/s",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "sent MiB"
        )?;
        for kind in &self.requests {
            let latency = kind.latency_ms.unwrap_or(Latency {
                p50: 0.0,
                p95: 0.0,
                p99: 0.0,
                max: 0.0,
                mean: 0.0,
            });
            writeln!(
                f,
                "{:<16} {:>9} {:>9} {:>7} {:>9.1} {:>8.2} {:>8.2} {:>8.2} {:>9.2} {:>9.1}",
                kind.kind,
                kind.requests,
                kind.ok,
                kind.errors,
                kind.throughput_per_sec,
                latency.p50,
                latency.p95,
                latency.p99,
                latency.max,
                kind.bytes_sent as f64 / (1024.0 * 1024.0)
            )?;
        }
        if let Some(lag) = self.requests.iter().find_map(|kind| kind.schedule_lag_ms) {
            writeln!(
                f,
                "\ncheck-in schedule lag: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                lag.p50, lag.p99, lag.max
            )?;
        }
        let wanted: Vec<String> = self
            .wanted_sections
            .iter()
            .map(|(section, count)| format!("{section} {count}"))
            .collect();
        writeln!(
            f,
            "changes applied {}; sections asked for: {}; reassigned {}; refresh commands {}",
            self.changes,
            if wanted.is_empty() {
                "none".to_string()
            } else {
                wanted.join(", ")
            },
            self.reassigned,
            self.refresh_commands
        )?;
        let failing: Vec<&KindSummary> = self
            .requests
            .iter()
            .filter(|kind| !kind.errors_by_kind.is_empty())
            .collect();
        if !failing.is_empty() {
            writeln!(f, "\nerrors:")?;
            for kind in failing {
                for error in &kind.errors_by_kind {
                    writeln!(
                        f,
                        "  {:<16} {} ×{} (e.g. {})",
                        kind.kind, error.key, error.count, error.example
                    )?;
                }
            }
        }
        Ok(())
    }
}

/// Makes the progress line from the change in counts since the previous line.
pub struct Progress {
    previous: [(u64, u64); 4],
    previous_at: Instant,
}

impl Progress {
    /// Starts counting from now.
    pub fn new() -> Progress {
        Progress {
            previous: [(0, 0); 4],
            previous_at: Instant::now(),
        }
    }

    /// One line: the phase, then for each kind seen so far its rate over the last interval
    /// and its totals, then the requests in flight.
    pub fn line(&mut self, stats: &Stats, phase: &str) -> String {
        let now = Instant::now();
        let seconds = (now - self.previous_at).as_secs_f64().max(1e-3);
        let mut parts = vec![format!("[{:>5.0}s] {phase}", stats.elapsed().as_secs_f64())];
        for kind in Kind::ALL {
            let (ok, errors) = stats.counts(kind);
            let (previous_ok, previous_errors) = self.previous[kind as usize];
            self.previous[kind as usize] = (ok, errors);
            if ok + errors == 0 {
                continue;
            }
            let rate = (ok + errors - previous_ok - previous_errors) as f64 / seconds;
            parts.push(format!(
                "{} {rate:.0}/s ({ok} ok, {errors} err)",
                kind.as_str()
            ));
        }
        parts.push(format!(
            "in flight {}",
            stats.in_flight.load(Ordering::Relaxed)
        ));
        self.previous_at = now;
        parts.join(" | ")
    }
}

impl Default for Progress {
    fn default() -> Progress {
        Progress::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks the summary of `kind`: requests, ok, errors, and the first error key with its
    /// count, if any.
    fn check(summary: &Summary, kind: Kind, expected: (u64, u64, u64, Option<(&str, u64)>)) {
        let found = summary
            .requests
            .iter()
            .find(|entry| entry.kind == kind.as_str())
            .expect("every kind is reported");
        let first = found
            .errors_by_kind
            .first()
            .map(|error| (error.key.as_str(), error.count));
        assert_eq!((found.requests, found.ok, found.errors, first), expected);
    }

    #[test]
    fn errors_are_grouped_by_key_most_frequent_first() {
        let stats = Stats::new();
        let started = Instant::now();
        for attempt in 0..3 {
            stats.begin();
            let message = format!("agent unknown {attempt}");
            stats.record_error(Kind::Checkin, started, 700, "401 unauthorized", || message);
        }
        stats.begin();
        stats.record_error(Kind::Checkin, started, 700, "connect", || "refused".into());
        stats.begin();
        stats.record_ok(Kind::Checkin, started, 700);
        stats.begin();
        stats.record_ok(Kind::Enroll, started, 300);
        let summary = stats.summary(RunInfo::default());
        check(
            &summary,
            Kind::Checkin,
            (5, 1, 4, Some(("401 unauthorized", 3))),
        );
        check(&summary, Kind::Enroll, (1, 1, 0, None));
        check(&summary, Kind::InventoryDelta, (0, 0, 0, None));
        let checkin = &summary.requests[1];
        assert_eq!(checkin.errors_by_kind[0].example, "agent unknown 0");
        assert_eq!(checkin.bytes_sent, 5 * 700);
        assert!(checkin.latency_ms.is_some() && summary.requests[2].latency_ms.is_none());
        assert_eq!(stats.in_flight.load(Ordering::Relaxed), 0);
        let text = summary.to_string();
        assert!(
            text.contains("401 unauthorized ×3 (e.g. agent unknown 0)"),
            "{text}"
        );
    }

    #[test]
    fn json_summary_has_run_fields_at_the_top() {
        let stats = Stats::new();
        stats.record_wanted(&[SectionKind::Software, SectionKind::Software]);
        stats.record_change();
        let run = RunInfo {
            seed: 9,
            agents: 3,
            ..RunInfo::default()
        };
        let json = serde_json::to_value(stats.summary(run)).expect("encodes");
        assert_eq!(json["seed"], 9);
        assert_eq!(json["agents"], 3);
        assert_eq!(json["changes"], 1);
        assert_eq!(json["wanted_sections"]["software"], 2);
        assert_eq!(json["requests"][1]["kind"], "checkin");
        assert!(json["requests"][1]["latency_ms"].is_null());
    }
}
