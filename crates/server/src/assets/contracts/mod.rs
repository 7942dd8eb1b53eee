//! Contracts (契約) and vendors (契約会社): periods, amounts and statuses of the purchases,
//! rentals and leases behind hardware assets and licences, the "expiring soon" list and the
//! monthly cost they accrue; the CSV exports of both lists (`export`).

pub mod api;
pub mod costs;
pub mod export;
pub mod service;
pub mod store;
