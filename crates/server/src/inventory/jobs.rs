//! Inventory jobs: flushing install-count deltas (every node) and a daily recount (cluster).

use std::sync::Arc;
use std::time::Duration;

use crate::app::AppState;
use crate::core::jobs::{Job, Scope};

/// Writes this node's buffered install-count changes.
pub fn flush_counts(state: AppState) -> Job {
    Job {
        name: "inventory.flush_counts".to_string(),
        interval: Duration::from_millis(state.config.flush_interval_ms),
        scope: Scope::Node,
        run: Arc::new(move || {
            let state = state.clone();
            Box::pin(async move {
                crate::inventory::service::flush_counts(&state)
                    .await
                    .map_err(|error| error.to_string())
            })
        }),
    }
}

/// Repairs install counts once a day (deltas lost when a node died before flushing).
pub fn recount(state: AppState) -> Job {
    Job {
        name: "inventory.recount".to_string(),
        interval: Duration::from_secs(86_400),
        scope: Scope::Cluster,
        run: Arc::new(move || {
            let state = state.clone();
            Box::pin(async move {
                let fixed = crate::inventory::store::recount_installs(&state.db)
                    .await
                    .map_err(|error| error.to_string())?;
                if fixed > 0 {
                    tracing::info!(message = "Install counts repaired.", fixed);
                }
                Ok(())
            })
        }),
    }
}
