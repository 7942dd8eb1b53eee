//! The reconciliation job.

use std::sync::Arc;
use std::time::Duration;

use crate::app::AppState;
use crate::core::jobs::{Job, Scope};

/// Matches new catalogue entries to managed software and reconciles queued devices, every
/// two seconds, on one node of the cluster.
pub fn reconcile(state: AppState) -> Job {
    Job {
        name: "licences.reconcile".to_string(),
        interval: Duration::from_secs(2),
        scope: Scope::Cluster,
        run: Arc::new(move || {
            let state = state.clone();
            Box::pin(async move {
                crate::assets::licences::reconcile::run(&state.db)
                    .await
                    .map(|_| ())
                    .map_err(|error| error.to_string())
            })
        }),
    }
}
