//! Agents: enrollment tokens, enrollment with identity matching, agent authentication,
//! check-ins, the long-lived channel that brings immediate actions, the agent API routes, and
//! installing agents with one command (`install.rs`: the install script and executable the
//! server hands out).
//!
//! Inventory ingestion itself is the inventory feature's; this feature authenticates the
//! upload and hands it over.

pub mod api;
pub mod identity;
pub mod install;
pub mod jobs;
pub mod model;
pub mod routes;
pub mod runtime;
pub mod service;
pub mod store;
