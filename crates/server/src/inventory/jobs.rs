//! Inventory jobs: merging install changes into the index (cluster) and a daily recount.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::app::AppState;
use crate::core::jobs::{Job, Scope};

/// Merges queued install changes into the software → devices index and the install counts,
/// when [`merge_due`](crate::inventory::index::merge_due) says so.
pub fn merge_index(state: AppState) -> Job {
    let last_merge = Arc::new(std::sync::Mutex::new(Instant::now()));
    Job {
        name: "inventory.index".to_string(),
        interval: Duration::from_millis(state.config.flush_interval_ms),
        scope: Scope::Cluster,
        run: Arc::new(move || {
            let state = state.clone();
            let last_merge = last_merge.clone();
            Box::pin(async move {
                let since = last_merge
                    .lock()
                    .map(|last| last.elapsed())
                    .unwrap_or_default();
                let queued = crate::inventory::index_store::count_install_changes(&state.db)
                    .await
                    .map_err(|error| error.to_string())?;
                if !crate::inventory::index::merge_due(queued, since) {
                    return Ok(());
                }
                crate::inventory::index::merge_queued(&state)
                    .await
                    .map_err(|error| error.to_string())?;
                if let Ok(mut last) = last_merge.lock() {
                    *last = Instant::now();
                }
                Ok(())
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
                let fixed = crate::inventory::index_store::recount_installs(&state.db)
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
