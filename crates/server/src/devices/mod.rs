//! Devices: one row per machine whatever brought it in (agent now, discovery later), its
//! lifecycle state (discovered / managed / excluded) under the licence cap, summary columns
//! that lists filter and sort on, and the device REST API.
//!
//! Inventory sections, software and change history are the inventory feature's; this feature
//! keeps only what a device list needs.

pub mod addresses;
pub mod api;
pub mod bulk;
pub mod export;
pub mod model;
pub mod notes;
pub mod query;
pub mod routes;
pub mod service;
pub mod store;
