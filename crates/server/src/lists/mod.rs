//! What every list screen shares beyond its own conditions: named saved filters (private to
//! their owner or shared with every account) and each account's choice of columns.
//!
//! A saved filter is the list's query string (for devices, [`DeviceQuery`]), so it means
//! exactly what the list shows when opened with it, in the console and in the API.
//!
//! [`DeviceQuery`]: crate::devices::query::DeviceQuery

pub mod api;
pub mod routes;
pub mod service;
pub mod store;
