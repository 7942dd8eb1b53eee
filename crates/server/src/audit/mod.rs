//! The audit log (監査ログ): who did what, when, from where, to which object, with which
//! result, in the categories of the JP1 common audit log (spec 001_E §7).
//!
//! **Architecture Invariant:** an entry is written in the transaction of the change it
//! records (or on its own for a refusal), and nothing in the product updates or deletes
//! one. The rotating files in the data directory are copies that a node-scoped job appends
//! from the table, so they never hold an entry whose change rolled back.

pub mod api;
pub mod file;
pub mod jobs;
pub mod model;
pub mod query;
pub mod routes;
pub mod store;
