//! Hardware assets (ハードウェア資産): the ledger's records of machines and peripherals,
//! created for each device that becomes managed (or registered by hand and by import, then
//! linked by serial), each with device records, one of them representative.

pub mod api;
pub mod bulk;
pub mod export;
pub mod link;
pub mod model;
pub mod query;
pub mod service;
pub mod store;
