//! Deleting console sessions that have been idle past the policy's timeout.

use std::sync::Arc;
use std::time::Duration;

use crate::app::AppState;
use crate::core::jobs::{Job, Scope};
use crate::core::time::now_ms;

/// Deletes idle sessions every ten minutes (a request on one is refused already; this keeps
/// the table small).
pub fn expire_sessions(state: AppState) -> Job {
    Job {
        name: "accounts.sessions".to_string(),
        interval: Duration::from_secs(600),
        scope: Scope::Cluster,
        run: Arc::new(move || {
            let state = state.clone();
            Box::pin(async move {
                let policy = crate::accounts::store::get_policy(&state.db)
                    .await
                    .map_err(|error| error.to_string())?;
                let cutoff = now_ms() - i64::from(policy.idle_minutes) * 60_000;
                crate::accounts::store::delete_idle_sessions(&state.db, cutoff)
                    .await
                    .map(|_| ())
                    .map_err(|error| error.to_string())
            })
        }),
    }
}
