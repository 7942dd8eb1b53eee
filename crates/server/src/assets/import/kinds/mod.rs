//! The record kinds an import fills, their fields and mapping keys, and what one cell means.
//!
//! Each kind's module turns a row (the cells the template maps, by field) into that kind's
//! patch (`parse`, pure, against the snapshot in [`Refs`]) and applies a chunk of patches to
//! the stored records (`apply`), with the same rules as the REST API's create and update.
//! The field labels here are also the exports' headers (each kind's `cells` writes a record
//! as its export does), so a template made from an export's header reads the export back.

pub mod assets;
pub mod contracts;
pub mod licences;
pub mod managed;
pub mod vendors;

use serde::{Serialize, Serializer};

use crate::assets::choices::ChoiceKind;
use crate::assets::import::refs::{Places, Refs};
use crate::console::i18n::Lang;
use crate::core::error::AppError;

/// What an import fills (the seeds' template types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Hardware assets (`assetImport`).
    Assets,
    /// Software licences (`licenseImport`).
    Licences,
    /// Managed software (`softwareImport`).
    ManagedSoftware,
    /// Contracts (`contractImport`).
    Contracts,
    /// The vendor list (`vendorCatalogImport`).
    Vendors,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 5] = [
        Kind::Assets,
        Kind::Licences,
        Kind::ManagedSoftware,
        Kind::Contracts,
        Kind::Vendors,
    ];

    /// Its name in URLs, on the command line and in the tables.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Assets => "assets",
            Kind::Licences => "licences",
            Kind::ManagedSoftware => "managed-software",
            Kind::Contracts => "contracts",
            Kind::Vendors => "vendors",
        }
    }

    /// From its name.
    pub fn parse(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.as_str() == name)
    }

    /// From a request's `kind`.
    ///
    /// # Errors
    /// 400 naming `kind`.
    pub fn requested(name: &str) -> Result<Kind, AppError> {
        Kind::parse(name.trim()).ok_or_else(|| {
            AppError::invalid(
                "kind",
                "kind must be assets, licences, managed-software, contracts or vendors",
            )
        })
    }

    /// The fields a template may map, in export order.
    pub fn fields(self) -> &'static [Field] {
        match self {
            Kind::Assets => assets::FIELDS,
            Kind::Licences => licences::FIELDS,
            Kind::ManagedSoftware => managed::FIELDS,
            Kind::Contracts => contracts::FIELDS,
            Kind::Vendors => vendors::FIELDS,
        }
    }

    /// The fields that may be the mapping key (マッピングキー).
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            Kind::Assets => assets::KEYS,
            Kind::Licences => &["licence_number"],
            Kind::ManagedSoftware => &["name"],
            Kind::Contracts => &["contract_number"],
            Kind::Vendors => &["name"],
        }
    }

    /// The index of a field in [`Kind::fields`].
    pub fn field(self, name: &str) -> Option<usize> {
        self.fields().iter().position(|field| field.name == name)
    }

    /// The target of the kind's custom fields (`fields::TARGETS`), for the kinds that have
    /// them: hardware assets, licences and contracts.
    pub fn custom_target(self) -> Option<&'static str> {
        match self {
            Kind::Assets => Some("hardware"),
            Kind::Licences => Some("licence"),
            Kind::Contracts => Some("contract"),
            Kind::ManagedSoftware | Kind::Vendors => None,
        }
    }
}

/// How templates name a custom field: `custom:` and the field's id.
pub const CUSTOM_PREFIX: &str = "custom:";

/// A custom field's name in templates and messages (`custom:12`).
pub fn custom_name(id: i64) -> String {
    format!("{CUSTOM_PREFIX}{id}")
}

/// The custom field a template's field name names (`custom:12` → 12), if it names one.
pub fn custom_field_id(name: &str) -> Option<i64> {
    name.strip_prefix(CUSTOM_PREFIX)?
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
}

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// How a field's cells are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Text; one space clears it.
    Text,
    /// A calendar day `YYYY-MM-DD`; one space clears it.
    Day,
    /// A whole number; one space leaves it unchanged.
    Number,
    /// An entry of a choice list by Japanese or English name, code or id; one space leaves it
    /// unchanged.
    Choice(ChoiceKind),
    /// A department path `病院/内科`; one space makes it Unknown (不明).
    Department,
    /// A location path; one space makes it Unknown.
    Location,
    /// Another record by its name (a contract's vendor, a licence's managed software); one
    /// space removes it.
    Reference,
    /// Record numbers separated by `;` (a contract's assets or licences); one space removes
    /// them all.
    Numbers,
    /// A managed software's rules (see [`managed`]); one space removes them all.
    Rules,
}

/// A field a template may map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Its name in templates.
    pub name: &'static str,
    /// Japanese label (the exports' header).
    pub ja: &'static str,
    /// English label.
    pub en: &'static str,
    /// How its cells are read.
    pub ty: FieldType,
}

impl Field {
    /// Its label in a language.
    pub fn label(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Ja => self.ja,
            Lang::En => self.en,
        }
    }
}

/// What one cell asks for (spec 001_D §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell<'a> {
    /// An empty cell: keep the stored value (a new record gets the default).
    Keep,
    /// A cell of exactly one space: clear the value (see [`FieldType`] for what each type
    /// does with it).
    Clear,
    /// A value, trimmed.
    Value(&'a str),
}

impl<'a> Cell<'a> {
    /// What a raw cell asks for. Only a cell of exactly one space clears; a cell of other
    /// white space alone is empty, since spreadsheets pad cells with spaces unasked.
    pub fn of(raw: &'a str) -> Cell<'a> {
        if raw == " " {
            return Cell::Clear;
        }
        match raw.trim() {
            "" => Cell::Keep,
            value => Cell::Value(value),
        }
    }
}

/// Why a row cannot be taken, as the invalid-row list shows it (naming the field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError(pub String);

impl From<AppError> for RowError {
    fn from(error: AppError) -> RowError {
        match error {
            AppError::Internal(_) => RowError("the row could not be checked".into()),
            other => RowError(other.to_string()),
        }
    }
}

/// A row as the template maps it: for each of the kind's fields, its cell (unguarded: a
/// cell an export protected against formulas, `'=…`, is read as `=…`), or none when the
/// template leaves the field out; and the cells of the custom fields it maps, by field id.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    fields: &'static [Field],
    cells: Vec<Option<&'a str>>,
    custom: Vec<(i64, &'a str)>,
}

impl<'a> Row<'a> {
    /// A row from its cells by field index, and its custom fields' cells.
    pub fn new(kind: Kind, cells: Vec<Option<&'a str>>, custom: Vec<(i64, &'a str)>) -> Row<'a> {
        Row {
            fields: kind.fields(),
            cells,
            custom,
        }
    }

    /// The custom values the row sets, as a patch's `custom` (a value sets, `null`
    /// removes; fields whose cells keep are left out), or none when the template maps no
    /// custom field.
    ///
    /// # Errors
    /// Naming the field (see [`crate::assets::import::refs::CustomFields::value`]).
    pub fn custom_values(
        &self,
        refs: &Refs,
    ) -> Result<Option<serde_json::Map<String, serde_json::Value>>, RowError> {
        if self.custom.is_empty() {
            return Ok(None);
        }
        let mut values = serde_json::Map::new();
        for (id, raw) in &self.custom {
            if let Some(value) = refs.custom.value(*id, Cell::of(raw))? {
                values.insert(id.to_string(), value);
            }
        }
        Ok((!values.is_empty()).then_some(values))
    }

    /// The cell of a field (`Keep` when the template does not map it).
    pub fn cell(&self, field: &str) -> Cell<'a> {
        self.fields
            .iter()
            .position(|f| f.name == field)
            .and_then(|index| self.cells.get(index).copied().flatten())
            .map_or(Cell::Keep, Cell::of)
    }
}

/// A text field: `None` keeps, `Some("")` clears.
pub fn text(cell: Cell<'_>) -> Option<String> {
    match cell {
        Cell::Keep => None,
        Cell::Clear => Some(String::new()),
        Cell::Value(value) => Some(value.to_string()),
    }
}

/// A nullable day: `None` keeps, `Some(None)` clears (the format is checked by the kind's
/// patch rules).
pub fn day(cell: Cell<'_>) -> Option<Option<String>> {
    match cell {
        Cell::Keep => None,
        Cell::Clear => Some(None),
        Cell::Value(value) => Some(Some(value.to_string())),
    }
}

/// A whole number (`1234`, or `1,234` as spreadsheets write it); one space keeps.
///
/// # Errors
/// Naming `field` when the cell is not a whole number.
pub fn number(field: &str, cell: Cell<'_>) -> Result<Option<i64>, RowError> {
    match cell {
        Cell::Keep | Cell::Clear => Ok(None),
        Cell::Value(value) => value
            .replace(',', "")
            .parse::<i64>()
            .map(Some)
            .map_err(|_| RowError(format!("{field} must be a whole number, not {value:?}"))),
    }
}

/// A choice-list entry by name, code or id; one space keeps.
///
/// # Errors
/// Naming `field` when the list has no such entry.
pub fn choice(
    refs: &Refs,
    field: &str,
    kind: ChoiceKind,
    cell: Cell<'_>,
) -> Result<Option<i64>, RowError> {
    match cell {
        Cell::Keep | Cell::Clear => Ok(None),
        Cell::Value(value) => refs.choices.find(kind, value).map(Some).ok_or_else(|| {
            RowError(format!(
                "{field}: the {} list has no entry {value:?}",
                kind.as_str()
            ))
        }),
    }
}

/// A department or location by path: `None` keeps, `Some(None)` is Unknown.
///
/// # Errors
/// Naming `field` when no entry has the path.
pub fn place(
    places: &Places,
    field: &str,
    cell: Cell<'_>,
) -> Result<Option<Option<i64>>, RowError> {
    match cell {
        Cell::Keep => Ok(None),
        Cell::Clear => Ok(Some(None)),
        Cell::Value(path) => places
            .find(path)
            .map(|id| Some(Some(id)))
            .ok_or_else(|| RowError(format!("{field}: no {} {path:?}", places.noun()))),
    }
}

/// Checks that a changed department or location is not retired (an entry of the old
/// organisation stays on the records that hold it but is given to no other).
///
/// # Errors
/// Naming `field`.
pub fn check_current(
    places: &Places,
    field: &str,
    before: Option<i64>,
    after: Option<i64>,
) -> Result<(), RowError> {
    match after {
        Some(id) if before != Some(id) && places.is_retired(id) => Err(RowError(format!(
            "{field}: {:?} is retired (the old organisation)",
            places.path(id, Lang::Ja)
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_keeps_one_space_clears_values_are_trimmed() {
        assert_eq!(Cell::of(""), Cell::Keep);
        assert_eq!(Cell::of(" "), Cell::Clear);
        assert_eq!(Cell::of("   "), Cell::Keep, "padding is not a clear");
        assert_eq!(Cell::of(" PC-1 "), Cell::Value("PC-1"));
        assert_eq!(text(Cell::of(" ")), Some(String::new()));
        assert_eq!(text(Cell::of("")), None);
        assert_eq!(day(Cell::of(" ")), Some(None));
        assert_eq!(number("held", Cell::of(" ")), Ok(None));
        assert_eq!(number("held", Cell::of("1,200")), Ok(Some(1200)));
        assert!(number("held", Cell::of("ten"))
            .is_err_and(|e| e.0.contains("held must be a whole number")));
    }

    #[test]
    fn custom_fields_are_named_by_id() {
        assert_eq!(custom_field_id("custom:12"), Some(12));
        assert_eq!(custom_field_id(&custom_name(7)), Some(7));
        for name in [
            "custom:",
            "custom:x",
            "custom:0",
            "custom:-3",
            "name",
            "Custom:1",
        ] {
            assert_eq!(custom_field_id(name), None, "{name}");
        }
        assert_eq!(Kind::Contracts.custom_target(), Some("contract"));
        assert_eq!(Kind::Vendors.custom_target(), None);
    }

    #[test]
    fn every_key_is_a_field_and_names_are_unique() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
            for key in kind.keys() {
                assert!(kind.field(key).is_some(), "{key} of {kind:?}");
            }
            let fields = kind.fields();
            for (index, field) in fields.iter().enumerate() {
                assert_eq!(kind.field(field.name), Some(index), "{}", field.name);
                assert!(
                    fields.iter().filter(|f| f.ja == field.ja).count() == 1
                        && fields.iter().filter(|f| f.en == field.en).count() == 1,
                    "labels of {} are unique",
                    field.name
                );
            }
        }
    }
}
