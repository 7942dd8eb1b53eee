//! The event-retention job.

use std::sync::Arc;
use std::time::Duration;

use crate::core::db::Db;
use crate::core::jobs::{Job, Scope};

/// Deletes events past the retention once an hour, on one node of the cluster.
pub fn retention(db: Db, retention_days: u64) -> Job {
    Job {
        name: "events.retention".to_string(),
        interval: Duration::from_secs(3600),
        scope: Scope::Cluster,
        run: Arc::new(move || {
            let db = db.clone();
            Box::pin(async move {
                let deleted = crate::events::service::apply_retention(&db, retention_days)
                    .await
                    .map_err(|error| error.to_string())?;
                if deleted > 0 {
                    tracing::info!(message = "Old events deleted.", deleted);
                }
                Ok(())
            })
        }),
    }
}
