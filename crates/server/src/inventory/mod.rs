//! Inventory: ingesting the sections agents send, the normalized software catalogue, each
//! device's installed software as a set-diff against it, and per-device change history.
//!
//! **Architecture Invariant:** installed software is never deleted and re-inserted wholesale;
//! an upload changes exactly the rows that differ, in one transaction with its history and
//! events, plus one queued row for the software → devices index. That index and the catalogue
//! install counts are maintained in batches by [`index`], never counted on read.

pub mod api;
pub mod catalogue;
pub mod catalogue_writer;
pub mod device_sets;
pub mod diff;
pub mod index;
pub mod index_store;
pub mod jobs;
pub mod packed;
pub mod routes;
pub mod service;
pub mod store;
