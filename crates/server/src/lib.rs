//! The Kanri management server: agent API, REST API, background jobs and admin commands.
//!
//! Start at [`cli::run`] for the commands, [`app::Server`] for start-up and shutdown, and
//! [`app::app`] for the router. `core/` holds shared machinery; every other module is one
//! feature that owns its tables, service rules and routes (docs/ARCHITECTURE.md).

pub mod accounts;
pub mod agent_settings;
pub mod agents;
pub mod app;
pub mod assets;
pub mod audit;
pub mod cli;
pub mod console;
pub mod core;
pub mod departments;
pub mod devices;
pub mod events;
pub mod inventory;
pub mod lists;

pub use app::{app, AppState, Running, Server};
