//! CSV import of the asset ledger (資産情報のインポート): hardware assets, licences, managed
//! software, contracts and the vendor list, read through a template (`mapping`) that says
//! which column fills which field and which field is the mapping key; a row whose key finds
//! a record updates it, any other row (an empty key too) adds one. Used by the REST API
//! (`api`), `kanri-server import` and `kanri-server templates`; the console's wizard is
//! built on the same calls.
//!
//! # Cells
//! An empty cell keeps the stored value (a new record gets the default); a cell of exactly
//! one space clears it: a department or location becomes Unknown (不明), text becomes
//! empty, a day is removed, a vendor, managed software, link list or rule list is removed,
//! and a choice (status, type) or a number is left unchanged (spec 001_D §6.3). Choices are
//! named in Japanese or English, by code or by id; departments and locations by their path
//! (`病院/内科`, Japanese or English). A cell the exports guarded against formulas (`'=…`)
//! is read without the `'`. The rules of managed software are one cell (see
//! `kinds::managed`).
//!
//! # File-level and row-level errors
//! An error in the file as a whole refuses the whole file and changes nothing: no template
//! of that name, a mapping key the kind does not have, bytes that are not text in the
//! encoding (the line and the encoding the file looks like are named), no header at the
//! template's header row, the key's column (or another column the template requires) not in
//! the header, a column read twice, a file over [`format::MAX_FILE_BYTES`]. These mean the
//! file or the template is wrong, and taking any row of it would be guessing. An error in
//! a row — a value that is not valid (the field is named), a key seen on an earlier line
//! ("duplicate key, first on line N"), a key that finds several records or one outside the
//! actor's departments, another column count than the header's — makes only that row
//! invalid: the valid rows are applied together in one transaction (nothing half-written if
//! the server stops), and the invalid rows are listed with their line and reason, kept with
//! the import's history (the first [`apply::MAX_STORED_INVALID`]) and downloadable as CSV.
//! A check run judges every row and changes nothing; it is kept in the history too, so its
//! invalid rows can be downloaded before importing.
//!
//! # Bounded memory
//! The file is streamed twice (`format`), never held: pass 1 decodes and parses it to its end
//! before anything is written; pass 2 applies its rows in chunks. What grows with the file
//! is the set of keys seen (128-bit hashes, ≈ 40 MB for a million rows) and the kept
//! invalid rows. Keys, choice lists and both hierarchies are read once per import (`refs`),
//! each chunk's current records in one query, and one audit entry records the import.
//!
//! **Permissions:** the assets division; a department-scoped account adds and changes only
//! records in its departments (other rows are invalid); managed software, shared by every
//! department, needs an account with all departments.

pub mod api;
pub mod apply;
pub mod error;
pub mod format;
pub mod history;
pub mod kinds;
pub mod mapping;
pub mod refs;
pub mod staged;
pub mod store;
pub mod templates;
