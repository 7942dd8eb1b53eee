//! Node jobs of the agents feature: flushing last-seen times, re-reading pending commands and
//! cached credentials.

use std::sync::Arc;
use std::time::Duration;

use crate::app::AppState;
use crate::core::jobs::{Job, Scope};

/// Writes this node's buffered last-seen times (every node flushes its own buffer).
pub fn flush_last_seen(state: AppState) -> Job {
    Job {
        name: "agents.flush_last_seen".to_string(),
        interval: Duration::from_millis(state.config.flush_interval_ms),
        scope: Scope::Node,
        run: Arc::new(move || {
            let state = state.clone();
            Box::pin(async move {
                crate::agents::service::flush_last_seen(&state)
                    .await
                    .map(|_| ())
                    .map_err(|error| error.to_string())
            })
        }),
    }
}

/// Picks up commands queued through other nodes, so their channel polls wake within a second.
pub fn sync_pending(state: AppState) -> Job {
    Job {
        name: "agents.sync_pending".to_string(),
        interval: Duration::from_secs(1),
        scope: Scope::Node,
        run: Arc::new(move || {
            let state = state.clone();
            Box::pin(async move {
                crate::agents::service::sync_pending(&state)
                    .await
                    .map_err(|error| error.to_string())
            })
        }),
    }
}

/// Re-reads this node's cached agent credentials before they expire (every node has its own
/// cache).
pub fn refresh_credentials(state: AppState) -> Job {
    Job {
        name: "agents.refresh_credentials".to_string(),
        interval: Duration::from_secs(1),
        scope: Scope::Node,
        run: Arc::new(move || {
            let state = state.clone();
            Box::pin(async move {
                crate::agents::service::refresh_credentials(&state)
                    .await
                    .map(|_| ())
                    .map_err(|error| error.to_string())
            })
        }),
    }
}
