//! Departments (部署): the hierarchy that scopes what department administrators see, and
//! that devices (and, with the asset ledger, assets) belong to. Created here by system
//! administrators; a device with no department is seen only by accounts that see every
//! department (the seeds' "Unknown" (不明)).

pub mod api;
pub mod routes;
pub mod service;
pub mod store;
