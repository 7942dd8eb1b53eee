//! Accounts: administrators, the first `admin` with a generated password, and per-user API
//! tokens that authenticate REST callers as an [`crate::core::auth::Actor`].
//!
//! The console's sessions, roles and department scope build on this (issue 3).

pub mod api;
pub mod auth;
pub mod jobs;
pub mod login;
pub mod passwords;
pub mod policy;
pub mod routes;
pub mod service;
pub mod store;
