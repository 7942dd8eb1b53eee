//! Agent settings (エージェント設定): the server-wide values every agent runs with — check-in
//! interval, inventory interval, offline-queue caps — stored as one versioned row, edited
//! through the REST API with optimistic versioning, and read by check-ins from a cache.
//!
//! Pushing them is the agents feature's: a check-in reply carries the settings when the agent
//! reports another version, and the agent's applied version lives on its `agents` row.

pub mod api;
pub mod model;
pub mod routes;
pub mod service;
pub mod store;
