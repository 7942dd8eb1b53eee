//! Ledger jobs: the automatic stocktake.

use std::sync::Arc;
use std::time::Duration;

use crate::app::AppState;
use crate::core::jobs::{Job, Scope};

/// Every hour, assets whose representative device was in contact today (server time zone)
/// get today as their stocktake day, when the settings ask for it.
pub fn stocktake(state: AppState) -> Job {
    Job {
        name: "assets.stocktake".to_string(),
        interval: Duration::from_secs(3600),
        scope: Scope::Cluster,
        run: Arc::new(move || {
            let state = state.clone();
            Box::pin(async move {
                let now = jiff::Zoned::now();
                let today = now.date();
                let start = today
                    .to_zoned(now.time_zone().clone())
                    .map_err(|e| e.to_string())?
                    .timestamp()
                    .as_millisecond();
                crate::assets::stocktake::from_last_contact(&state.db, start, &today.to_string())
                    .await
                    .map(|_| ())
                    .map_err(|error| error.to_string())
            })
        }),
    }
}
