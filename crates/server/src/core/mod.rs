//! Shared machinery every feature uses: configuration, the database, errors, request bodies,
//! authentication of API callers, background jobs, metrics, TLS and small helpers.
//!
//! **Architecture Invariant:** nothing here knows about a particular feature's tables.

pub mod auth;
pub mod background_cpu;
pub mod body;
pub mod config;
pub mod csv;
pub mod db;
pub mod error;
pub mod extract;
pub mod jobs;
pub mod metrics;
pub mod paging;
pub mod query;
pub mod secrets;
pub mod sql;
pub mod time;
pub mod tls;
