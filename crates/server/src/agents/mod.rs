//! Agents: enrollment tokens, enrollment with identity matching, agent authentication,
//! check-ins, the long-lived channel that brings immediate actions, and the agent API routes.
//!
//! Inventory ingestion itself is the inventory feature's; this feature authenticates the
//! upload and hands it over.

pub mod api;
pub mod identity;
pub mod jobs;
pub mod routes;
pub mod runtime;
pub mod service;
pub mod store;
