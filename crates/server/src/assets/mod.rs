//! The asset ledger (資産管理): hardware assets fed by the devices feature, their choice
//! lists (statuses and types) and notes. Licences, contracts, vendors and imports join here.

pub mod api;
pub mod bulk;
pub mod choices;
pub mod contracts;
pub mod fields;
pub mod hardware;
pub mod jobs;
pub mod licences;
pub mod notes;
pub mod routes;
pub mod settings;
pub mod stocktake;
pub mod user_info;
pub mod values;
