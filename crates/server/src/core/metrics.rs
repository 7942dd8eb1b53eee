//! Prometheus metrics: the recorder, the request-timing middleware and metric names.
//!
//! Metric names live here so that every feature records into the same, documented series.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Agent check-ins handled.
pub const CHECKINS: &str = "kanri_checkins_total";
/// Check-in handling time in seconds.
pub const CHECKIN_SECONDS: &str = "kanri_checkin_duration_seconds";
/// Inventory uploads ingested.
pub const INVENTORY_INGESTS: &str = "kanri_inventory_ingests_total";
/// Inventory ingest time in seconds.
pub const INVENTORY_SECONDS: &str = "kanri_inventory_ingest_duration_seconds";
/// Install changes waiting for the software → devices index merge (its lag, in uploads).
pub const INDEX_QUEUED: &str = "kanri_index_queued_changes";
/// (software, device) pairs the index merge added or removed.
pub const INDEX_PAIRS: &str = "kanri_index_pairs_total";
/// Time of one index merge transaction in seconds.
pub const INDEX_MERGE_SECONDS: &str = "kanri_index_merge_duration_seconds";
/// Agent payloads refused, by reason.
pub const REJECTED: &str = "kanri_rejected_payloads_total";
/// HTTP requests, by method, route and status.
pub const HTTP_REQUESTS: &str = "kanri_http_requests_total";
/// HTTP request time in seconds.
pub const HTTP_SECONDS: &str = "kanri_http_request_duration_seconds";
/// Database connections open.
pub const DB_CONNECTIONS: &str = "kanri_db_pool_connections";
/// Database connections idle.
pub const DB_IDLE: &str = "kanri_db_pool_idle_connections";

/// The process-wide recorder; installed once, shared by every server in the process (tests
/// start several).
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let buckets = [
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                10.0,
            ];
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".to_string()), &buckets)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            match builder.install_recorder() {
                Ok(handle) => handle,
                // Another recorder is installed: render from a private one so /metrics still answers.
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            }
        })
        .clone()
}

/// How often [`run_upkeep`] folds recorded samples into the histograms.
const UPKEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// Folds recorded histogram samples into their buckets every [`UPKEEP_INTERVAL`] until
/// `shutdown` turns true. The recorder keeps every sample until then: without this, a server
/// nobody scrapes would hold three samples per check-in for ever (1 GB a day at 50,000 agents).
pub async fn run_upkeep(
    handle: PrometheusHandle,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(UPKEEP_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => handle.run_upkeep(),
            _ = shutdown.changed() => return,
        }
    }
}

/// Middleware recording every request's count and duration by route template.
pub async fn track_http(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_SECONDS, &labels[..2]).record(started.elapsed().as_secs_f64());
    response
}

/// Counts a refused agent payload by kind and reason.
pub fn counter_rejected(kind: &'static str, error: &crate::core::body::BodyError) {
    let reason = match error {
        crate::core::body::BodyError::TooLarge { .. } => "too_large",
        crate::core::body::BodyError::Encoding(_) => "encoding",
        crate::core::body::BodyError::Gzip(_) => "gzip",
        crate::core::body::BodyError::Read(_) => "read",
        crate::core::body::BodyError::Decode(_) => "schema",
    };
    metrics::counter!(REJECTED, "kind" => kind, "reason" => reason).increment(1);
}
