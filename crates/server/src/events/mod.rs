//! Events: what happened to devices and the server, stored as a type code with structured
//! parameters and rendered in the reader's language when read (spec/001_E.md §2).
//!
//! Other features record events through [`service::record`] inside their own transaction, so
//! an event exists exactly when the change it reports does.

pub mod api;
pub mod catalogue;
pub mod jobs;
pub mod query;
pub mod routes;
pub mod service;
pub mod store;
