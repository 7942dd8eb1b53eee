//! End-to-end tests of the web console in headless Chromium, driven over WebDriver by
//! chromedriver. One binary; one module per topic. They run on SQLite only: what the browser
//! adds (forms, redirects, cookies, downloads, the page language) does not depend on the
//! database, which the `it` binary tests on both backends.
//!
//! The tests save screenshots of the pages they pass through in
//! `<workspace>/target/screenshots/`, for a person to look at; nothing checks them.

// The HTTP-level harness of the `it` binary: the server, REST calls and fake agents. The
// browser tests use a part of it.
#[allow(dead_code)]
#[path = "../it/support/mod.rs"]
mod support;

mod harness;

mod accounts;
mod agents;
mod assets;
mod device_list;
mod devices;
mod events;
mod imports;
mod language;
mod sign_in;
mod user_info;
