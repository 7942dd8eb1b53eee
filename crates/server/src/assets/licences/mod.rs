//! Managed software (管理ソフトウェア) and software licences (ソフトウェアライセンス): rules
//! that group installed software, licences with held counts assigned to devices, and the
//! reconciliation of owned against installed, kept current as inventories arrive.

pub mod api;
pub mod export;
pub mod jobs;
pub mod managed_store;
pub mod matching;
pub mod model;
pub mod moving;
pub mod reconcile;
pub mod service;
pub mod store;
