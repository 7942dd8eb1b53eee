//! Accounts: administrators, the first `admin` with a generated password, and per-user API
//! tokens that authenticate REST callers as an [`crate::core::auth::Actor`].
//!
//! The console's sessions, roles and department scope build on this (issue 3).

pub mod auth;
pub mod service;
pub mod store;
