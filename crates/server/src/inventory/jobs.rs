//! Inventory jobs: merging install changes into the index (cluster) and a daily recount.

use std::sync::Arc;
use std::time::Duration;

use crate::app::AppState;
use crate::core::jobs::{Job, Scope};

/// Merges queued install changes into the software → devices index and the install counts.
pub fn merge_index(state: AppState) -> Job {
    Job {
        name: "inventory.index".to_string(),
        interval: Duration::from_millis(state.config.flush_interval_ms),
        scope: Scope::Cluster,
        run: Arc::new(move || {
            let state = state.clone();
            Box::pin(async move {
                crate::inventory::index::merge_queued(&state)
                    .await
                    .map(|_| ())
                    .map_err(|error| error.to_string())
            })
        }),
    }
}

/// Repairs install counts once a day (drift from a bug or a hand-edited database).
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
