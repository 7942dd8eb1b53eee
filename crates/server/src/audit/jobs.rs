//! Copies new audit entries into this node's rotating files.

use std::sync::Arc;
use std::time::Duration;

use crate::app::AppState;
use crate::audit::file::AuditFiles;
use crate::core::jobs::{Job, Scope};

/// Appends entries committed since the last run to `DATA_DIR/audit/audit.log` (every node
/// keeps its own copy of the whole log).
pub fn write_files(state: AppState) -> Job {
    let files = AuditFiles::new(&state.config.data_dir);
    Job {
        name: "audit.files".to_string(),
        interval: Duration::from_secs(1),
        scope: Scope::Node,
        run: Arc::new(move || {
            let state = state.clone();
            let files = files.clone();
            Box::pin(async move {
                files
                    .catch_up(&state.db)
                    .await
                    .map(|_| ())
                    .map_err(|error| error.to_string())
            })
        }),
    }
}
