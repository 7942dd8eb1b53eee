//! What an import reads once before its rows, so no row costs a look-up: the choice lists,
//! both hierarchies by path, the kind's custom fields with their options by path, the
//! mapping key's values → record, and the other records rows name (vendors, managed
//! software, asset and licence numbers). Exports label their cells with the same snapshot.
//!
//! Keys are held as 128-bit BLAKE3 hashes rather than strings: a million keys cost ≈ 40 MB
//! instead of ≈ 100, and two different keys share a hash with a probability of about 10⁻²⁷.

use std::collections::{HashMap, HashSet};

use sqlx::AnyConnection;

use crate::assets::choices::{Choice, ChoiceKind};
use crate::assets::contracts::store::Vendor;
use crate::assets::fields::{CustomField, MAX_TEXT_CHARS};
use crate::assets::import::kinds::{custom_name, Cell, Kind, RowError};
use crate::assets::licences::model::ManagedSoftware;
use crate::console::i18n::Lang;
use crate::core::db::DbError;
use crate::departments::store::{Department, Tree};

/// A key's 128-bit hash, as two words (8-byte aligned: a `u128` would pad each map entry
/// to 32 bytes).
pub fn key_hash(key: &str) -> (u64, u64) {
    let hash = blake3::hash(key.as_bytes());
    let bytes = hash.as_bytes();
    let word = |at: usize| {
        let mut part = [0u8; 8];
        part.copy_from_slice(&bytes[at..at + 8]);
        u64::from_le_bytes(part)
    };
    (word(0), word(8))
}

/// The record a key value finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    /// The (first) record with the value.
    pub id: i64,
    /// Its department (scope is checked on it).
    pub department_id: Option<i64>,
    /// How many records have the value (serials and addresses are not unique).
    pub count: u32,
}

/// Key values → records.
#[derive(Debug, Default)]
pub struct KeyIndex {
    map: HashMap<(u64, u64), Match>,
}

impl KeyIndex {
    /// Adds a record's value (empty values are no key).
    pub fn add(&mut self, key: &str, id: i64, department_id: Option<i64>) {
        if key.is_empty() {
            return;
        }
        self.map
            .entry(key_hash(key))
            .and_modify(|found| found.count += 1)
            .or_insert(Match {
                id,
                department_id,
                count: 1,
            });
    }

    /// The records with a value.
    pub fn get(&self, key: &str) -> Option<Match> {
        self.map.get(&key_hash(key)).copied()
    }

    /// How many values it holds.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// The keys one import has seen, with the line each was first seen on (duplicates in a file
/// are refused after the first).
#[derive(Debug, Default)]
pub struct SeenKeys {
    map: HashMap<(u64, u64), u64>,
}

impl SeenKeys {
    /// Room for `count` keys at once, so the map never grows by doubling (which holds the
    /// old and the new table together).
    pub fn with_capacity(count: usize) -> SeenKeys {
        SeenKeys {
            map: HashMap::with_capacity(count),
        }
    }

    /// Records `key` on `line`; returns the earlier line if the key was seen already.
    pub fn first_line(&mut self, key: &str, line: u64) -> Option<u64> {
        match self.map.entry(key_hash(key)) {
            std::collections::hash_map::Entry::Occupied(entry) => Some(*entry.get()),
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(line);
                None
            }
        }
    }
}

/// The choice lists by name, code and id.
#[derive(Debug, Default)]
pub struct Choices {
    by_kind: HashMap<(ChoiceKind, String), i64>,
    entries: HashMap<i64, Choice>,
}

impl Choices {
    /// From every entry of every list.
    pub fn new(all: Vec<Choice>) -> Choices {
        let mut by_kind = HashMap::new();
        // Later inserts win: a name beats a code that spells the same.
        for choice in &all {
            by_kind.insert((choice.kind, choice.id.to_string()), choice.id);
            if !choice.code.is_empty() {
                by_kind.insert((choice.kind, choice.code.to_lowercase()), choice.id);
            }
            if !choice.name_en.is_empty() {
                by_kind.insert((choice.kind, choice.name_en.to_lowercase()), choice.id);
            }
            by_kind.insert((choice.kind, choice.name.to_lowercase()), choice.id);
        }
        Choices {
            by_kind,
            entries: all.into_iter().map(|c| (c.id, c)).collect(),
        }
    }

    /// The entry of list `kind` called `value` in either language (any case), by its code or
    /// its id.
    pub fn find(&self, kind: ChoiceKind, value: &str) -> Option<i64> {
        self.by_kind
            .get(&(kind, value.trim().to_lowercase()))
            .copied()
    }

    /// An entry's name in a language (empty for an unknown id).
    pub fn label(&self, id: i64, lang: Lang) -> &str {
        self.entries
            .get(&id)
            .map_or("", |choice| choice.label(lang.code()))
    }

    /// An entry's Japanese name (for notes, which are bilingual by their labels).
    pub fn name(&self, id: i64) -> &str {
        self.label(id, Lang::Ja)
    }
}

/// A hierarchy by path: Japanese paths (`病院/内科`) and, where they differ, English ones.
#[derive(Debug)]
pub struct Places {
    tree: Tree,
    by_path: HashMap<String, i64>,
    japanese: HashMap<i64, String>,
    english: HashMap<i64, String>,
    retired: HashSet<i64>,
}

impl Places {
    /// From every entry of the hierarchy.
    pub fn new(tree: Tree, entries: &[Department]) -> Places {
        let japanese = crate::departments::fields_csv::japanese_paths(entries);
        let english = crate::departments::fields_csv::english_paths(entries);
        let mut by_path = HashMap::new();
        // Japanese paths win over an English path that spells the same.
        for (id, path) in &english {
            by_path.insert(path.clone(), *id);
        }
        for (id, path) in &japanese {
            by_path.insert(path.clone(), *id);
        }
        Places {
            tree,
            by_path,
            japanese,
            english,
            retired: entries.iter().filter(|e| e.retired).map(|e| e.id).collect(),
        }
    }

    /// The entry at a path (levels trimmed: `病院 / 内科` is `病院/内科`).
    pub fn find(&self, path: &str) -> Option<i64> {
        let normal: Vec<&str> = path
            .split(crate::departments::service::PATH_SEPARATOR)
            .map(str::trim)
            .collect();
        self.by_path.get(&normal.join("/")).copied()
    }

    /// An entry's path in a language (empty for none).
    pub fn path(&self, id: i64, lang: Lang) -> &str {
        let paths = match lang {
            Lang::Ja => &self.japanese,
            Lang::En => &self.english,
        };
        paths.get(&id).map_or("", String::as_str)
    }

    /// Whether the entry is retired (the old organisation).
    pub fn is_retired(&self, id: i64) -> bool {
        self.retired.contains(&id)
    }

    /// What an entry is called in messages.
    pub fn noun(&self) -> &'static str {
        self.tree.noun()
    }
}

/// The custom fields of the kind an import or export reads (追加管理項目), with their options
/// by path in either language.
#[derive(Debug, Default)]
pub struct CustomFields {
    fields: Vec<CustomColumn>,
}

/// One custom field with its options' paths.
#[derive(Debug)]
struct CustomColumn {
    field: CustomField,
    /// Option paths in Japanese and English, levels trimmed and lowercased, → option id.
    by_path: HashMap<String, i64>,
    japanese: HashMap<i64, String>,
    english: HashMap<i64, String>,
}

/// A path as looked up: levels trimmed, lowercased.
fn normal_path(path: &str) -> String {
    path.split('/')
        .map(str::trim)
        .collect::<Vec<_>>()
        .join("/")
        .to_lowercase()
}

impl CustomFields {
    /// From the fields of one target, in their order.
    pub fn new(fields: Vec<CustomField>) -> CustomFields {
        let fields = fields
            .into_iter()
            .map(|field| {
                let japanese = field.option_paths(Lang::Ja);
                let english = field.option_paths(Lang::En);
                let mut by_path = HashMap::new();
                // In the options' order, so the same file always reads the same: of options
                // whose English paths spell the same the first wins, and a Japanese path
                // (unique: sibling names are) wins over any English one.
                for option in &field.options {
                    if let Some(path) = english.get(&option.id) {
                        by_path.entry(normal_path(path)).or_insert(option.id);
                    }
                }
                for option in &field.options {
                    if let Some(path) = japanese.get(&option.id) {
                        by_path.insert(normal_path(path), option.id);
                    }
                }
                CustomColumn {
                    field,
                    by_path,
                    japanese,
                    english,
                }
            })
            .collect();
        CustomFields { fields }
    }

    fn column(&self, id: i64) -> Option<&CustomColumn> {
        self.fields.iter().find(|c| c.field.id == id)
    }

    /// The export's headers of the fields, in `lang`: each field's name, or, where that is
    /// already a header (one in `taken`, or an earlier field's), the name followed by the
    /// field's template name (`部署 (custom:12)`), so every column of the file is distinct
    /// and a template made from the header finds each.
    pub fn headers(&self, lang: Lang, taken: &[&str]) -> Vec<String> {
        let mut headers: Vec<String> = Vec::with_capacity(self.fields.len());
        for column in &self.fields {
            let label = column.field.label(lang);
            let clash = taken.contains(&label) || headers.iter().any(|h| h == label);
            headers.push(if clash {
                format!("{label} ({})", custom_name(column.field.id))
            } else {
                label.to_string()
            });
        }
        headers
    }

    /// A record's custom cells in the fields' order: text as stored, an option by its path
    /// in `lang`, no value (or a deleted option) as an empty cell.
    pub fn cells<'a>(
        &'a self,
        custom: &'a serde_json::Value,
        lang: Lang,
    ) -> impl Iterator<Item = &'a str> + 'a {
        self.fields.iter().map(move |column| {
            let Some(value) = custom.get(column.field.id.to_string()) else {
                return "";
            };
            if column.field.data_type == "text" {
                return value.as_str().unwrap_or("");
            }
            let paths = match lang {
                Lang::Ja => &column.japanese,
                Lang::En => &column.english,
            };
            value
                .as_i64()
                .and_then(|id| paths.get(&id))
                .map_or("", String::as_str)
        })
    }

    /// What a cell of field `id` sets: `None` keeps the value, `Some(Null)` removes it
    /// (one space in a text field; one space leaves a selection or hierarchy as it is,
    /// as the seeds' import does), else the text or the option found by its path in either
    /// language (any case).
    ///
    /// # Errors
    /// Naming the field, for an unknown field, text that is not plain or too long, or a
    /// path no option has.
    pub fn value(&self, id: i64, cell: Cell<'_>) -> Result<Option<serde_json::Value>, RowError> {
        let name = custom_name(id);
        let column = self
            .column(id)
            .ok_or_else(|| RowError(format!("{name}: the custom field was deleted")))?;
        let text = column.field.data_type == "text";
        match cell {
            Cell::Keep => Ok(None),
            Cell::Clear if text => Ok(Some(serde_json::Value::Null)),
            Cell::Clear => Ok(None),
            Cell::Value(value) if text => {
                crate::core::extract::check_plain_text(&name, value, MAX_TEXT_CHARS)
                    .map_err(RowError::from)?;
                Ok(Some(serde_json::Value::String(value.to_string())))
            }
            Cell::Value(path) => column
                .by_path
                .get(&normal_path(path))
                .map(|id| Some(serde_json::Value::from(*id)))
                .ok_or_else(|| {
                    RowError(format!(
                        "{name}: the field {:?} has no option {path:?}",
                        column.field.name
                    ))
                }),
        }
    }

    /// Drops the values of fields that no longer exist, as a change through the REST API
    /// does.
    pub fn retain_known(&self, custom: &mut serde_json::Value) {
        if let Some(map) = custom.as_object_mut() {
            map.retain(|key, _| self.fields.iter().any(|c| c.field.id.to_string() == *key));
        }
    }
}

/// Everything an import's rows are read against.
#[derive(Debug)]
pub struct Refs {
    /// The choice lists.
    pub choices: Choices,
    /// Departments.
    pub departments: Places,
    /// Locations.
    pub locations: Places,
    /// The mapping key's values.
    pub keys: KeyIndex,
    /// The kind's unique number (asset, licence or contract number) when it is not the key
    /// and the template maps it: a row must not take another record's number.
    pub numbers: Option<KeyIndex>,
    /// Asset numbers (contracts link assets by number).
    pub asset_numbers: KeyIndex,
    /// Licence numbers (contracts link licences by number).
    pub licence_numbers: KeyIndex,
    /// Vendors by name (contracts, the vendor list).
    pub vendors: HashMap<String, i64>,
    /// Vendor records by id (the vendor list).
    pub vendor_records: HashMap<i64, Vendor>,
    /// Managed software by Japanese and English name (licences), and their records.
    pub managed: HashMap<String, i64>,
    /// Managed software records by id.
    pub managed_records: HashMap<i64, ManagedSoftware>,
    /// The kind's custom fields.
    pub custom: CustomFields,
}

impl Refs {
    /// What an export of `kind` labels its cells with: the choice lists, both hierarchies,
    /// the kind's custom fields and, for licences, the managed software (no keys).
    ///
    /// # Errors
    /// [`DbError`] from the database.
    pub async fn for_export(conn: &mut AnyConnection, kind: Kind) -> Result<Refs, DbError> {
        let mut refs = Refs::labels(conn, kind).await?;
        if kind == Kind::Licences {
            for managed in crate::assets::licences::managed_store::list(conn).await? {
                refs.managed_records.insert(managed.id, managed);
            }
        }
        Ok(refs)
    }

    /// The choice lists, both hierarchies and the custom fields of `kind`, and nothing else
    /// yet.
    async fn labels(conn: &mut AnyConnection, kind: Kind) -> Result<Refs, DbError> {
        let custom = match kind.custom_target() {
            Some(target) => crate::assets::fields::store::list(conn, target).await?,
            None => Vec::new(),
        };
        let choices = Choices::new(crate::assets::choices::store::all_in(conn).await?);
        let departments = crate::departments::store::list_in(conn, Tree::Departments).await?;
        let locations = crate::departments::store::list_in(conn, Tree::Locations).await?;
        Ok(Refs {
            choices,
            departments: Places::new(Tree::Departments, &departments),
            locations: Places::new(Tree::Locations, &locations),
            keys: KeyIndex::default(),
            numbers: None,
            asset_numbers: KeyIndex::default(),
            licence_numbers: KeyIndex::default(),
            vendors: HashMap::new(),
            vendor_records: HashMap::new(),
            managed: HashMap::new(),
            managed_records: HashMap::new(),
            custom: CustomFields::new(custom),
        })
    }

    /// Reads what rows of `kind` keyed by `key` need; `maps_number` tells whether the template
    /// maps the kind's unique number.
    ///
    /// # Errors
    /// [`DbError`] from the database.
    pub async fn load(
        conn: &mut AnyConnection,
        kind: Kind,
        key: &str,
        maps_number: bool,
    ) -> Result<Refs, DbError> {
        use crate::assets::contracts::store as contracts;
        use crate::assets::hardware::store as hardware;
        use crate::assets::licences::{managed_store, store as licences};
        let mut refs = Refs::labels(conn, kind).await?;
        let mut numbers = KeyIndex::default();
        match kind {
            Kind::Assets => {
                let column = crate::assets::import::kinds::assets::key_column(key);
                let keys = &mut refs.keys;
                let mac = key == "mac_address";
                hardware::each_key(conn, column, |value, id, department| {
                    if mac {
                        let normal = crate::assets::hardware::service::normalize_mac(&value);
                        keys.add(&normal, id, department);
                    } else {
                        keys.add(value.trim(), id, department);
                    }
                })
                .await?;
                if key != "asset_number" && maps_number {
                    hardware::each_key(conn, "asset_number", |value, id, department| {
                        numbers.add(&value, id, department);
                    })
                    .await?;
                    refs.numbers = Some(numbers);
                }
            }
            Kind::Licences => {
                let keys = &mut refs.keys;
                licences::each_number(conn, |value, id, department| {
                    keys.add(&value, id, department);
                })
                .await?;
                for managed in managed_store::list(conn).await? {
                    refs.managed.insert(managed.name.clone(), managed.id);
                    if !managed.name_en.is_empty() {
                        refs.managed.insert(managed.name_en.clone(), managed.id);
                    }
                }
            }
            Kind::ManagedSoftware => {
                for managed in managed_store::list(conn).await? {
                    refs.keys.add(&managed.name, managed.id, None);
                    refs.managed.insert(managed.name.clone(), managed.id);
                    if !managed.name_en.is_empty() {
                        refs.managed.insert(managed.name_en.clone(), managed.id);
                    }
                    refs.managed_records.insert(managed.id, managed);
                }
            }
            Kind::Contracts => {
                let keys = &mut refs.keys;
                contracts::each_number(conn, |value, id, department| {
                    keys.add(&value, id, department);
                })
                .await?;
                let assets = &mut refs.asset_numbers;
                hardware::each_key(conn, "asset_number", |value, id, department| {
                    assets.add(&value, id, department);
                })
                .await?;
                let licence_numbers = &mut refs.licence_numbers;
                licences::each_number(conn, |value, id, department| {
                    licence_numbers.add(&value, id, department);
                })
                .await?;
                for vendor in contracts::vendors_in(conn).await? {
                    refs.vendors.insert(vendor.name.clone(), vendor.id);
                }
            }
            Kind::Vendors => {
                for vendor in contracts::vendors_in(conn).await? {
                    refs.keys.add(&vendor.name, vendor.id, None);
                    refs.vendors.insert(vendor.name.clone(), vendor.id);
                    refs.vendor_records.insert(vendor.id, vendor);
                }
            }
        }
        Ok(refs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assets::fields::FieldOption;

    fn choice(id: i64, kind: ChoiceKind, code: &str, name: &str, name_en: &str) -> Choice {
        Choice {
            id,
            kind,
            code: code.into(),
            name: name.into(),
            name_en: name_en.into(),
            position: id,
            builtin: !code.is_empty(),
            version: 1,
        }
    }

    #[test]
    fn choices_by_either_name_code_or_id_within_their_list() {
        let choices = Choices::new(vec![
            choice(
                2,
                ChoiceKind::HardwareStatus,
                "in_operation",
                "運用中",
                "In operation",
            ),
            choice(31, ChoiceKind::LicenceStatus, "in_use", "使用中", "In use"),
            choice(1001, ChoiceKind::HardwareStatus, "", "修理中", ""),
        ]);
        let find = |value| choices.find(ChoiceKind::HardwareStatus, value);
        assert_eq!(find("運用中"), Some(2));
        assert_eq!(find("in operation"), Some(2));
        assert_eq!(find("IN_OPERATION"), Some(2));
        assert_eq!(find("2"), Some(2));
        assert_eq!(find("修理中"), Some(1001));
        assert_eq!(find("使用中"), None, "another list's entry");
        assert_eq!(choices.label(1001, Lang::En), "修理中", "no English name");
    }

    fn entry(
        id: i64,
        parent_id: Option<i64>,
        name: &str,
        name_en: &str,
        retired: bool,
    ) -> Department {
        Department {
            id,
            parent_id,
            name: name.into(),
            name_en: name_en.into(),
            description: String::new(),
            description_en: String::new(),
            retired,
            created_at: 0,
            updated_at: 0,
            version: 1,
        }
    }

    #[test]
    fn places_by_japanese_or_english_path() {
        let places = Places::new(
            Tree::Departments,
            &[
                entry(1, None, "病院", "Hospital", false),
                entry(2, Some(1), "内科", "", false),
                entry(3, Some(1), "旧外科", "Surgery", true),
            ],
        );
        assert_eq!(places.find("病院/内科"), Some(2));
        assert_eq!(places.find(" 病院 / 内科 "), Some(2));
        assert_eq!(
            places.find("Hospital/内科"),
            Some(2),
            "no English name: the Japanese one"
        );
        assert_eq!(places.find("Hospital/Surgery"), Some(3));
        assert_eq!(places.find("病院/外科"), None);
        assert_eq!(places.path(3, Lang::En), "Hospital/Surgery");
        assert_eq!(places.path(3, Lang::Ja), "病院/旧外科");
        assert!(places.is_retired(3));
    }

    fn custom_field(id: i64, data_type: &str, name: &str, name_en: &str) -> CustomField {
        CustomField {
            id,
            target: "hardware".into(),
            name: name.into(),
            name_en: name_en.into(),
            data_type: data_type.into(),
            input: "admin".into(),
            position: id,
            options: Vec::new(),
            version: 1,
        }
    }

    fn option(id: i64, parent_id: Option<i64>, name: &str, name_en: &str) -> FieldOption {
        FieldOption {
            id,
            parent_id,
            name: name.into(),
            name_en: name_en.into(),
        }
    }

    #[test]
    fn custom_values_by_path_and_back() {
        let mut area = custom_field(2, "hierarchy", "区画", "Area");
        area.options = vec![
            option(10, None, "東棟", "East"),
            option(11, Some(10), "3F", ""),
            option(12, None, "West", "East"),
        ];
        let fields = CustomFields::new(vec![
            custom_field(1, "text", "部署", "Lease"),
            area,
            custom_field(3, "text", "部署", "Lease"),
        ]);
        let value = |id, raw| fields.value(id, Cell::of(raw));
        assert_eq!(value(2, " east / 3F "), Ok(Some(11.into())));
        assert_eq!(
            value(2, "EAST"),
            Ok(Some(10.into())),
            "the first of equal English paths"
        );
        assert_eq!(
            value(2, "west"),
            Ok(Some(12.into())),
            "a Japanese name wins"
        );
        assert_eq!(value(2, " "), Ok(None), "one space leaves an option");
        assert!(value(2, "北棟").is_err_and(|e| e.0.starts_with("custom:2")));
        assert_eq!(
            value(1, " "),
            Ok(Some(serde_json::Value::Null)),
            "one space clears text"
        );
        assert_eq!(value(1, ""), Ok(None));
        assert_eq!(value(1, " L-1 "), Ok(Some("L-1".into())));
        assert!(value(9, "x").is_err(), "a field deleted since");
        assert_eq!(
            fields.headers(Lang::Ja, &["部署"]),
            ["部署 (custom:1)", "区画", "部署 (custom:3)"]
        );
        assert_eq!(
            fields.headers(Lang::En, &[]),
            ["Lease", "Area", "Lease (custom:3)"]
        );
        let custom = serde_json::json!({"1": "L-1", "2": 11, "3": 5});
        let cells: Vec<&str> = fields.cells(&custom, Lang::En).collect();
        assert_eq!(cells, ["L-1", "East/3F", ""]);
        let mut stale = serde_json::json!({"1": "x", "9": "gone"});
        fields.retain_known(&mut stale);
        assert_eq!(stale, serde_json::json!({"1": "x"}));
    }

    #[test]
    fn keys_count_their_records_and_files_their_first_line() {
        let mut index = KeyIndex::default();
        index.add("SN-1", 7, Some(3));
        index.add("SN-1", 9, None);
        index.add("", 10, None);
        assert_eq!(
            index.get("SN-1"),
            Some(Match {
                id: 7,
                department_id: Some(3),
                count: 2
            })
        );
        assert_eq!(index.len(), 1, "an empty value is no key");
        let mut seen = SeenKeys::default();
        assert_eq!(seen.first_line("A-1", 2), None);
        assert_eq!(seen.first_line("A-2", 3), None);
        assert_eq!(seen.first_line("A-1", 4), Some(2));
    }
}
