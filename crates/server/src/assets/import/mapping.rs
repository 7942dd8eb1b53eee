//! Import templates (インポートテンプレート): which column of a file fills which field of a
//! kind, the mapping key (マッピングキー) that finds the record a row updates, the header
//! row, the data start row and the default encoding; checked when saved, and matched against
//! a file's header when it is read.
//!
//! Columns are found by their header name, whatever their order; columns the template does
//! not name are ignored. A template column missing from the file refuses the file, unless
//! the column is marked `optional` (then the field is treated as omitted: new records get
//! the default, existing ones keep their value, as the seeds' `importasset` does for every
//! mapped column); the key's column is never optional. Custom fields of assets, licences and
//! contracts are named `custom:<field id>`.

use serde::{Deserialize, Serialize};

use crate::assets::import::error::Refusal;
use crate::assets::import::kinds::{custom_field_id, custom_name, Kind, CUSTOM_PREFIX};
use crate::core::csv::CsvEncoding;
use crate::core::error::AppError;

/// Longest template name, in characters.
pub const MAX_NAME_CHARS: usize = 64;
/// Longest description.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;
/// Longest column header.
pub const MAX_HEADER_CHARS: usize = 255;
/// The furthest header row and data start row (files with a long preamble are edited
/// first).
pub const MAX_ROW: u64 = 10_000;

/// One column a template reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    /// The column's header in the file.
    pub header: String,
    /// The field it fills.
    pub field: String,
    /// A file without the column is still read (the field is omitted).
    #[serde(default, skip_serializing_if = "is_false")]
    pub optional: bool,
}

fn is_false(value: &bool) -> bool {
    !value
}

fn first_row() -> u64 {
    1
}

fn default_encoding() -> String {
    CsvEncoding::Utf8.name().to_string()
}

/// A template's mapping, as stored (JSON) and exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The field that finds the record a row updates.
    pub key: String,
    /// The columns read.
    pub columns: Vec<Column>,
    /// The line of the header (1 = the first).
    #[serde(default = "first_row")]
    pub header_row: u64,
    /// The line the data starts on; 0 (or absent) is the line after the header.
    #[serde(default)]
    pub data_row: u64,
    /// The encoding files are read in unless an import names another.
    #[serde(default = "default_encoding")]
    pub encoding: String,
}

impl Mapping {
    /// The mapping checked against `kind` and written canonically (data row filled in,
    /// encoding by its name, headers trimmed).
    ///
    /// # Errors
    /// 400 naming the part at fault.
    pub fn checked(mut self, kind: Kind) -> Result<Mapping, AppError> {
        if !kind.keys().contains(&self.key.as_str()) {
            return Err(AppError::invalid(
                "mapping.key",
                format!(
                    "{:?} cannot be the mapping key of {}; use one of {}",
                    self.key,
                    kind.as_str(),
                    kind.keys().join(", ")
                ),
            ));
        }
        if self.columns.is_empty() {
            return Err(AppError::invalid(
                "mapping.columns",
                "a template reads at least the key's column",
            ));
        }
        let mut fields = Vec::new();
        let mut headers = Vec::new();
        for (index, column) in self.columns.iter_mut().enumerate() {
            let at = format!("mapping.columns[{index}]");
            column.header = column.header.trim().to_string();
            if column.header.is_empty() {
                return Err(AppError::invalid(
                    format!("{at}.header"),
                    "a column needs its header",
                ));
            }
            crate::core::extract::check_plain_text(
                &format!("{at}.header"),
                &column.header,
                MAX_HEADER_CHARS,
            )?;
            if let Some(id) = custom_field_id(&column.field) {
                if kind.custom_target().is_none() {
                    return Err(AppError::invalid(
                        format!("{at}.field"),
                        format!("{} has no custom fields", kind.as_str()),
                    ));
                }
                column.field = custom_name(id);
            } else if kind.field(&column.field).is_none() {
                let custom = if kind.custom_target().is_some() {
                    format!(", {CUSTOM_PREFIX}<field id>")
                } else {
                    String::new()
                };
                return Err(AppError::invalid(
                    format!("{at}.field"),
                    format!(
                        "{} has no field {:?}; fields: {}{custom}",
                        kind.as_str(),
                        column.field,
                        kind.fields()
                            .iter()
                            .map(|f| f.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            if fields.contains(&column.field) {
                return Err(AppError::invalid(
                    format!("{at}.field"),
                    format!("the field {} is read from two columns", column.field),
                ));
            }
            if headers.contains(&column.header) {
                return Err(AppError::invalid(
                    format!("{at}.header"),
                    format!("the column {:?} is named twice", column.header),
                ));
            }
            if column.field == self.key && column.optional {
                return Err(AppError::invalid(
                    format!("{at}.optional"),
                    "the mapping key's column cannot be optional",
                ));
            }
            fields.push(column.field.clone());
            headers.push(column.header.clone());
        }
        if !fields.contains(&self.key) {
            return Err(AppError::invalid(
                "mapping.key",
                format!("no column is read into {}, the mapping key", self.key),
            ));
        }
        if !(1..=MAX_ROW).contains(&self.header_row) {
            return Err(AppError::invalid(
                "mapping.header_row",
                format!("header_row must be 1 to {MAX_ROW}"),
            ));
        }
        if self.data_row == 0 {
            self.data_row = self.header_row + 1;
        }
        if self.data_row <= self.header_row || self.data_row > MAX_ROW + 1 {
            return Err(AppError::invalid(
                "mapping.data_row",
                "data_row must come after header_row",
            ));
        }
        let encoding = CsvEncoding::parse(self.encoding.trim()).ok_or_else(|| {
            AppError::invalid(
                "mapping.encoding",
                "encoding must be utf-8, utf-8-bom, shift_jis or utf-16le",
            )
        })?;
        self.encoding = encoding.name().to_string();
        Ok(self)
    }

    /// The custom fields the template reads, by id (whether they exist is checked against
    /// the database by the callers: templates when saved, imports before reading a file).
    pub fn custom_ids(&self) -> Vec<(usize, i64)> {
        self.columns
            .iter()
            .enumerate()
            .filter_map(|(index, column)| Some((index, custom_field_id(&column.field)?)))
            .collect()
    }

    /// The encoding files are read in by default.
    pub fn default_encoding(&self) -> CsvEncoding {
        CsvEncoding::parse(&self.encoding).unwrap_or(CsvEncoding::Utf8)
    }

    /// Which column of a file with `header` holds each of the kind's fields.
    ///
    /// # Errors
    /// [`Refusal`] when the key is not the kind's, the key's column or a required one is
    /// missing, or a column the template reads appears twice.
    pub fn resolve(&self, kind: Kind, header: &[String]) -> Result<Resolved, Refusal> {
        let Some(key) = kind
            .field(&self.key)
            .filter(|_| kind.keys().contains(&self.key.as_str()))
        else {
            return Err(Refusal::UnknownKey {
                kind: kind.as_str(),
                key: self.key.clone(),
                keys: kind.keys().join(", "),
            });
        };
        let mut columns = vec![None; kind.fields().len()];
        let mut custom = Vec::new();
        let mut missing = Vec::new();
        for column in &self.columns {
            let mut found = header
                .iter()
                .enumerate()
                .filter(|(_, name)| **name == column.header);
            if let Some(id) = custom_field_id(&column.field) {
                match (found.next(), found.next()) {
                    (Some(_), Some(_)) => {
                        return Err(Refusal::DuplicateColumn {
                            header: column.header.clone(),
                        })
                    }
                    (Some((index, _)), None) => custom.push((id, index)),
                    (None, _) if column.optional => {}
                    (None, _) => missing.push(column.header.clone()),
                }
                continue;
            }
            let Some(field) = kind.field(&column.field) else {
                continue;
            };
            match (found.next(), found.next()) {
                (Some(_), Some(_)) => {
                    return Err(Refusal::DuplicateColumn {
                        header: column.header.clone(),
                    })
                }
                (Some((index, _)), None) => columns[field] = Some(index),
                (None, _) if field == key => {
                    return Err(Refusal::KeyColumnMissing {
                        header: column.header.clone(),
                    })
                }
                (None, _) if column.optional => {}
                (None, _) => missing.push(column.header.clone()),
            }
        }
        if columns[key].is_none() {
            return Err(Refusal::KeyColumnMissing {
                header: self.key.clone(),
            });
        }
        if !missing.is_empty() {
            return Err(Refusal::ColumnsMissing { headers: missing });
        }
        Ok(Resolved {
            columns,
            custom,
            key,
            width: header.len(),
        })
    }
}

/// A template matched against a file's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// For each of the kind's fields, the column that holds it.
    pub columns: Vec<Option<usize>>,
    /// The custom fields the file holds, by id, with their columns.
    pub custom: Vec<(i64, usize)>,
    /// The key field's index.
    pub key: usize,
    /// How many columns the header has (every row must have as many).
    pub width: usize,
}

/// A stored template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Template {
    /// Id.
    pub id: i64,
    /// The kind it imports.
    pub kind: Kind,
    /// Name, unique within the kind.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// The mapping.
    pub mapping: Mapping,
    /// Created (Unix ms).
    pub created_at: i64,
    /// Who created it.
    pub created_by: String,
    /// Last changed (Unix ms).
    pub updated_at: i64,
    /// Optimistic version.
    pub version: i64,
}

/// The marker of an exported template document (the only files a template import takes).
pub const DOCUMENT_FORMAT: &str = "kanri-import-template";

/// A template as exported and imported (the seeds' `exporttemplate`/`importtemplate`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// Always [`DOCUMENT_FORMAT`].
    pub format: String,
    /// Version of the document's shape (1).
    pub version: u32,
    /// The kind (`assets`, `licences`, `managed-software`, `contracts`, `vendors`).
    pub kind: String,
    /// The name it was exported under.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// The mapping.
    pub mapping: Mapping,
}

/// A template name, trimmed and checked.
///
/// # Errors
/// 400 naming `name`.
pub fn checked_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::invalid("name", "a template needs a name"));
    }
    crate::core::extract::check_plain_text("name", name, MAX_NAME_CHARS)?;
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(key: &str, columns: &[(&str, &str, bool)]) -> Mapping {
        Mapping {
            key: key.into(),
            columns: columns
                .iter()
                .map(|(header, field, optional)| Column {
                    header: (*header).into(),
                    field: (*field).into(),
                    optional: *optional,
                })
                .collect(),
            header_row: 1,
            data_row: 0,
            encoding: "SJIS".into(),
        }
    }

    fn header(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| (*c).to_string()).collect()
    }

    #[test]
    fn templates_are_checked_and_written_canonically() {
        let good = mapping(
            "serial",
            &[
                (" シリアル ", "serial", false),
                ("部署", "department", true),
            ],
        )
        .checked(Kind::Assets)
        .expect("valid");
        assert_eq!(good.columns[0].header, "シリアル");
        assert_eq!((good.header_row, good.data_row), (1, 2));
        assert_eq!(good.encoding, "shift_jis");
        for (bad, field) in [
            (mapping("name", &[("名称", "name", false)]), "mapping.key"),
            (mapping("serial", &[("名称", "name", false)]), "mapping.key"),
            (
                mapping("serial", &[("s", "serial", false), ("x", "colour", false)]),
                "mapping.columns[1].field",
            ),
            (
                mapping("serial", &[("s", "serial", false), ("s", "name", false)]),
                "mapping.columns[1].header",
            ),
            (
                mapping("serial", &[("s", "serial", false), ("t", "serial", false)]),
                "mapping.columns[1].field",
            ),
            (
                mapping("serial", &[("s", "serial", true)]),
                "mapping.columns[0].optional",
            ),
            (mapping("serial", &[]), "mapping.columns"),
        ] {
            let error = bad.checked(Kind::Assets).expect_err(field);
            assert!(
                matches!(&error, AppError::Invalid { field: Some(f), .. } if f == field),
                "{field}: {error:?}"
            );
        }
        let mut rows = mapping("serial", &[("s", "serial", false)]);
        rows.header_row = 3;
        rows.data_row = 3;
        assert!(
            rows.checked(Kind::Assets).is_err(),
            "data before the header"
        );
    }

    #[test]
    fn custom_fields_by_id_where_the_kind_has_them() {
        let mut with = mapping(
            "licence_number",
            &[
                ("番号", "licence_number", false),
                ("リース", "custom:012", false),
                ("区画", "custom:3", true),
            ],
        );
        with = with.checked(Kind::Licences).expect("valid");
        assert_eq!(with.columns[1].field, "custom:12", "written canonically");
        assert_eq!(with.custom_ids(), vec![(1, 12), (2, 3)]);
        let resolved = with
            .resolve(Kind::Licences, &header(&["リース", "番号"]))
            .expect("fits");
        assert_eq!(
            resolved.custom,
            vec![(12, 0)],
            "an optional one may be absent"
        );
        assert_eq!(
            with.resolve(Kind::Licences, &header(&["番号"])),
            Err(Refusal::ColumnsMissing {
                headers: vec!["リース".into()]
            })
        );
        for (kind, key, field) in [
            (Kind::Vendors, "name", "custom:1"),
            (Kind::Licences, "licence_number", "custom:x"),
            (Kind::Licences, "licence_number", "custom:0"),
        ] {
            let bad = mapping(key, &[("k", key, false), ("c", field, false)]);
            let error = bad.checked(kind).expect_err(field);
            assert!(
                matches!(&error, AppError::Invalid { field: Some(f), .. } if f == "mapping.columns[1].field"),
                "{field}: {error:?}"
            );
        }
        let twice = mapping(
            "licence_number",
            &[
                ("k", "licence_number", false),
                ("a", "custom:5", false),
                ("b", "custom:05", false),
            ],
        );
        assert!(
            twice.checked(Kind::Licences).is_err(),
            "one field, two columns"
        );
    }

    #[test]
    fn columns_are_found_by_header_whatever_their_order() {
        let template = mapping(
            "asset_number",
            &[
                ("番号", "asset_number", false),
                ("名称", "name", false),
                ("部署", "department", true),
            ],
        );
        let resolved = template
            .resolve(Kind::Assets, &header(&["メモ", "名称", "番号"]))
            .expect("fits");
        assert_eq!(resolved.key, 0);
        assert_eq!(resolved.columns[0], Some(2));
        assert_eq!(resolved.columns[1], Some(1));
        assert_eq!(
            resolved.columns[Kind::Assets.field("department").expect("field")],
            None
        );
        assert_eq!(resolved.width, 3);
        assert_eq!(
            template.resolve(Kind::Assets, &header(&["名称", "部署"])),
            Err(Refusal::KeyColumnMissing {
                header: "番号".into()
            })
        );
        let strict = mapping(
            "asset_number",
            &[("番号", "asset_number", false), ("名称", "name", false)],
        );
        assert_eq!(
            strict.resolve(Kind::Assets, &header(&["番号"])),
            Err(Refusal::ColumnsMissing {
                headers: vec!["名称".into()]
            })
        );
        assert_eq!(
            strict.resolve(Kind::Assets, &header(&["番号", "名称", "番号"])),
            Err(Refusal::DuplicateColumn {
                header: "番号".into()
            })
        );
        let unknown = mapping("name", &[("名称", "name", false)]);
        assert!(matches!(
            unknown.resolve(Kind::Assets, &header(&["名称"])),
            Err(Refusal::UnknownKey { .. })
        ));
    }
}
