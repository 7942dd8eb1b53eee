//! Integration tests: a real server on an ephemeral port, on SQLite and on PostgreSQL.
//! One binary; one module per topic.

mod support;

mod accounts;
mod agent_desktop;
mod agent_e2e;
mod agent_settings;
mod agents_console;
mod assets;
mod assets_console;
mod bad_input;
mod console;
mod console_settings;
mod contracts;
mod device_list;
mod devices_api;
mod enrollment;
mod events_list;
mod fields;
mod history;
mod identity;
mod imports;
mod imports_console;
mod jobs;
mod ledger_console;
mod licences;
mod lifecycle;
mod loadgen;
mod migrations;
