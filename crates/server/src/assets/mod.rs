//! The asset ledger (資産管理): hardware assets fed by the devices feature, their choice
//! lists (statuses and types) and notes; licences and managed software, contracts and vendors;
//! the CSV import of all of them (`import`).

pub mod api;
pub mod bulk;
pub mod choices;
pub mod contracts;
pub mod fields;
pub mod hardware;
pub mod import;
pub mod jobs;
pub mod licences;
pub mod notes;
pub mod numbers;
pub mod routes;
pub mod settings;
pub mod stocktake;
pub mod user_info;
pub mod values;
