//! Departments (部署) and locations (設置場所): the two hierarchies that device records and
//! hardware assets belong to, with Japanese and English names and descriptions. Departments
//! also scope what department administrators see; a record with no department is seen only
//! by accounts that see every department (the seeds' "Unknown" (不明)).
//!
//! Definition and values are kept apart, as in the seeds: an entry taken out of the
//! definition is *retired* (the old organisation) while records still name it, and is
//! deleted later by "delete hierarchies used only by the old organisation". The definitions
//! travel as the seeds' field-definition CSV (`fields_csv`, `kanri-server fields`).
//! Records point at entries by id, so a rename shows on them at once. Changed by system
//! administrators only.

pub mod api;
pub mod fields_csv;
pub mod routes;
pub mod service;
pub mod store;
