//! The Kanri agent: collects inventory, checks in with the server, runs immediate actions.
pub mod collect;
