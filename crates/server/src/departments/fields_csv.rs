//! The hierarchy definitions as the field-definition CSV of the seeds' `ioassetsfieldutil`
//! (spec 001_E §6.3): reading and checking a file, planning its rows against the stored
//! hierarchies, the error log, and writing the export. Everything here is pure; the service
//! reads the hierarchies, applies a plan in one transaction and audits it, and the command
//! line only reads and writes files.
//!
//! # The file
//! One row per change, eleven columns: update type (`A` add, `U` change, `D` delete; lower
//! case accepted), asset item kind (`common`), item language key (`ja` or `en`: the
//! language of the next column), item name (`部署`/`Department` or `設置場所`/`Location`),
//! other-language setting (`ja`: other languages fall back to Japanese, the only fallback
//! Kanri has), then per configured language — Japanese, then English — the value before,
//! the value after and the description. Values are whole paths, levels joined by `/`
//! (`営業部/営業1課`), which is why no name may contain `/`. Japanese paths find the
//! entries; of an English path only the last level is read (the entry's English name; the
//! path must have as many levels as the Japanese one), and an empty one means "no English
//! name" (the Japanese name is shown). The English "before" value is ignored. A first row
//! starting with `更新種別` (or `update type`) is a header. Cells that the export guarded
//! against formula injection (`'=…`) are read without the `'`.
//!
//! | Type | required | must be empty |
//! |---|---|---|
//! | `A` | the first five, `ja` after | both "before" values |
//! | `U` | the first five, `ja` before and after | |
//! | `D` | the first four, `ja` before | |
//!
//! Unlike the seeds, an `A` row may carry descriptions: Kanri describes hierarchy entries.
//!
//! # What the rows do
//! Every row is read and checked first; then `A` rows run shallow to deep, `U` rows in file
//! order and `D` rows deep to shallow, each against the hierarchy as the rows before it left
//! it. `A` of a path whose entry is retired puts that entry back into the definition (same
//! id, so the records that kept it are current again). `U` renames and/or moves (the new
//! path's parent must exist) and sets both languages' names and descriptions to the row's;
//! it leaves the retired mark alone. `D` deletes an entry nothing uses; an entry that device
//! records, hardware assets or account scopes still use — or that keeps retired entries
//! below it — is retired instead, so no record's value is ever lost silently; "delete
//! hierarchies used only by the old organisation" removes it later. `D` of an entry with
//! entries still in the definition below it is an error.
//!
//! # Errors
//! Up to [`MAX_ERRORS`] errors are collected. The log lists every line of the file in
//! order as `<line>:<text>`, a failed line prefixed with its message id ([`Problem::id`]).

use std::collections::{BTreeMap, HashMap};

use crate::core::csv::{unguard, CsvEncoding};
use crate::core::error::AppError;
use crate::departments::service::{MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, PATH_SEPARATOR};
use crate::departments::store::{Department, Tree};

mod plan;

pub use plan::{plan, Plan, Step, Target, Trees};

/// Columns of a row: five, then three per configured language.
pub const COLUMNS: usize = 5 + 3 * LANGUAGES.len();

/// The configured languages, default first.
pub const LANGUAGES: [&str; 2] = ["ja", "en"];

/// Most errors collected before reading stops.
pub const MAX_ERRORS: usize = 100;

/// The header row the export writes.
pub const HEADER: [&str; COLUMNS] = [
    "更新種別",
    "資産項目種別",
    "項目言語キー",
    "項目名",
    "その他の言語の設定",
    "ja-値(変更前)",
    "ja-値(変更後)",
    "ja-説明",
    "en-値(変更前)",
    "en-値(変更後)",
    "en-説明",
];

/// Column names in messages.
const COLUMN_NAMES: [&str; COLUMNS] = [
    "update type",
    "asset item kind",
    "item language key",
    "item name",
    "other-language setting",
    "ja-value(before)",
    "ja-value(after)",
    "ja-description",
    "en-value(before)",
    "en-value(after)",
    "en-description",
];

const JA_BEFORE: usize = 5;
const JA_AFTER: usize = 6;
const JA_DESCRIPTION: usize = 7;
const EN_BEFORE: usize = 8;
const EN_AFTER: usize = 9;
const EN_DESCRIPTION: usize = 10;

/// What is wrong with a line; each kind has its message id in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// `KNRI4380-E`: not eleven columns.
    Columns,
    /// `KNRI4381-E`: the update type is not `A`, `U` or `D`.
    Operation,
    /// `KNRI4382-E`: the item kind, language key or name is not a hierarchy Kanri holds.
    Item,
    /// `KNRI4383-E`: the other-language setting is not `ja`.
    Language,
    /// `KNRI4384-E`: a required value is missing or a value that must be empty is not.
    Required,
    /// `KNRI4385-E`: a name in a path is empty, too long or not one line, a description is
    /// too long, or the English path has another number of levels.
    Name,
    /// `KNRI4386-E`: the entry to change or delete, or the parent of a new path, does not
    /// exist.
    NotFound,
    /// `KNRI4387-E`: the path (or the English name among its siblings) is taken.
    Exists,
    /// `KNRI4388-E`: the row cannot be applied: a move under itself, or a delete of an entry
    /// with entries still in the definition below it.
    Conflict,
    /// `KNRI4389-E`: the line is not text in the file's encoding.
    Encoding,
}

impl Problem {
    /// Its message id in the log.
    pub fn id(self) -> &'static str {
        match self {
            Problem::Columns => "KNRI4380-E",
            Problem::Operation => "KNRI4381-E",
            Problem::Item => "KNRI4382-E",
            Problem::Language => "KNRI4383-E",
            Problem::Required => "KNRI4384-E",
            Problem::Name => "KNRI4385-E",
            Problem::NotFound => "KNRI4386-E",
            Problem::Exists => "KNRI4387-E",
            Problem::Conflict => "KNRI4388-E",
            Problem::Encoding => "KNRI4389-E",
        }
    }
}

/// One error: the line it starts on, its kind and what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line of the file.
    pub line: usize,
    /// Kind (message id).
    pub problem: Problem,
    /// What is wrong, naming the column.
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} line {}: {}",
            self.problem.id(),
            self.line,
            self.message
        )
    }
}

/// A row's update type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `A`: add.
    Add,
    /// `U`: rename and/or move.
    Update,
    /// `D`: delete (or retire while used).
    Delete,
}

/// A row as read and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The line it starts on.
    pub line: usize,
    /// What it does.
    pub operation: Operation,
    /// Which hierarchy.
    pub tree: Tree,
    /// Japanese path before (`U`, `D`), levels.
    pub before: Vec<String>,
    /// Japanese path after (`A`, `U`), levels.
    pub after: Vec<String>,
    /// English name after (`A`, `U`); empty: none.
    pub name_en: String,
    /// Japanese description.
    pub description: String,
    /// English description.
    pub description_en: String,
}

/// A file as read: its lines (for the log), the rows that passed the checks, and the errors
/// of those that did not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileRead {
    /// Every line, without its line end.
    pub lines: Vec<String>,
    /// Rows that read cleanly.
    pub rows: Vec<Row>,
    /// Errors found reading.
    pub errors: Vec<RowError>,
}

/// Decodes and reads a file. Bytes that are not text in `encoding` refuse the whole file
/// with one [`Problem::Encoding`] error on the first bad line, naming the encoding the
/// bytes look like when they tell.
pub fn read(bytes: &[u8], encoding: CsvEncoding) -> FileRead {
    match encoding.decode(bytes) {
        Ok(text) => parse(&text),
        Err(error) => {
            let line = match &error {
                crate::core::csv::DecodeError::Malformed { line, .. } => *line,
                crate::core::csv::DecodeError::OtherEncoding { .. } => 1,
            };
            FileRead {
                lines: lines(&encoding.decode_lossy(bytes)),
                rows: Vec::new(),
                errors: vec![RowError {
                    line,
                    problem: Problem::Encoding,
                    message: error.to_string(),
                }],
            }
        }
    }
}

fn lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line).to_string())
        .collect();
    if text.ends_with('\n') || text.is_empty() {
        lines.pop();
    }
    lines
}

/// Reads decoded text, one row per line (no value holds a line break: names and
/// descriptions are one line), every row checked on its own, at most [`MAX_ERRORS`] errors.
pub fn parse(text: &str) -> FileRead {
    let mut read = FileRead {
        lines: lines(text),
        ..FileRead::default()
    };
    let mut first = true;
    for (index, text) in read.lines.iter().enumerate() {
        if read.errors.len() >= MAX_ERRORS {
            break;
        }
        let line = index + 1;
        let cells = match cells(text) {
            Ok(cells) => cells,
            Err(message) => {
                read.errors.push(error(line, Problem::Columns, message));
                continue;
            }
        };
        let cells: Vec<&str> = cells.iter().map(|cell| unguard(cell.trim())).collect();
        if cells.iter().all(|cell| cell.is_empty()) {
            continue;
        }
        let header = first && is_header(cells[0]);
        first = false;
        if header {
            continue;
        }
        match row(line, &cells) {
            Ok(row) => read.rows.push(row),
            Err(error) => read.errors.push(error),
        }
    }
    read
}

/// One line's cells.
fn cells(line: &str) -> Result<Vec<String>, String> {
    if line.matches('"').count() % 2 == 1 {
        return Err("a quoted value is not closed (values cannot span lines)".into());
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    match reader.records().next() {
        Some(Ok(record)) => Ok(record.iter().map(str::to_string).collect()),
        Some(Err(error)) => Err(format!("the row is not CSV: {error}")),
        None => Ok(Vec::new()),
    }
}

fn is_header(first_cell: &str) -> bool {
    first_cell == HEADER[0] || first_cell.eq_ignore_ascii_case(COLUMN_NAMES[0])
}

fn error(line: usize, problem: Problem, message: impl Into<String>) -> RowError {
    RowError {
        line,
        problem,
        message: message.into(),
    }
}

fn row(line: usize, cells: &[&str]) -> Result<Row, RowError> {
    if cells.len() != COLUMNS {
        return Err(error(
            line,
            Problem::Columns,
            format!("a row has {COLUMNS} columns, this one {}", cells.len()),
        ));
    }
    let operation = match cells[0].to_ascii_uppercase().as_str() {
        "A" => Operation::Add,
        "U" => Operation::Update,
        "D" => Operation::Delete,
        other => {
            return Err(error(
                line,
                Problem::Operation,
                format!("update type must be A, U or D, not \"{other}\""),
            ))
        }
    };
    let required = |index: usize| {
        if cells[index].is_empty() {
            Err(error(
                line,
                Problem::Required,
                format!("{} is required", COLUMN_NAMES[index]),
            ))
        } else {
            Ok(cells[index])
        }
    };
    let empty = |index: usize| {
        if cells[index].is_empty() {
            Ok(())
        } else {
            Err(error(
                line,
                Problem::Required,
                format!("{} must be empty for this update type", COLUMN_NAMES[index]),
            ))
        }
    };
    let kind = required(1)?;
    if !kind.eq_ignore_ascii_case("common") {
        return Err(error(
            line,
            Problem::Item,
            format!("asset item kind must be common, not \"{kind}\""),
        ));
    }
    let key = required(2)?;
    if !LANGUAGES.iter().any(|l| key.eq_ignore_ascii_case(l)) {
        return Err(error(
            line,
            Problem::Item,
            format!("item language key must be ja or en, not \"{key}\""),
        ));
    }
    let tree = item(required(3)?).ok_or_else(|| {
        error(
            line,
            Problem::Item,
            format!(
                "item name must be 部署 (Department) or 設置場所 (Location), not \"{}\"",
                cells[3]
            ),
        )
    })?;
    if operation != Operation::Delete {
        let other = required(4)?;
        if !other.eq_ignore_ascii_case(LANGUAGES[0]) {
            return Err(error(
                line,
                Problem::Language,
                format!("other-language setting must be ja (other languages fall back to Japanese), not \"{other}\""),
            ));
        }
    }
    let mut row = Row {
        line,
        operation,
        tree,
        before: Vec::new(),
        after: Vec::new(),
        name_en: String::new(),
        description: String::new(),
        description_en: String::new(),
    };
    match operation {
        Operation::Delete => {
            row.before = path(line, JA_BEFORE, required(JA_BEFORE)?)?;
            return Ok(row);
        }
        Operation::Add => {
            empty(JA_BEFORE)?;
            empty(EN_BEFORE)?;
        }
        Operation::Update => row.before = path(line, JA_BEFORE, required(JA_BEFORE)?)?,
    }
    row.after = path(line, JA_AFTER, required(JA_AFTER)?)?;
    if !cells[EN_AFTER].is_empty() {
        let english = path(line, EN_AFTER, cells[EN_AFTER])?;
        if english.len() != row.after.len() {
            return Err(error(
                line,
                Problem::Name,
                format!(
                    "{} has {} levels and {} has {}; give the whole English path",
                    COLUMN_NAMES[EN_AFTER],
                    english.len(),
                    COLUMN_NAMES[JA_AFTER],
                    row.after.len()
                ),
            ));
        }
        row.name_en = english.last().cloned().unwrap_or_default();
    }
    row.description = description(line, JA_DESCRIPTION, cells[JA_DESCRIPTION])?;
    row.description_en = description(line, EN_DESCRIPTION, cells[EN_DESCRIPTION])?;
    Ok(row)
}

fn item(name: &str) -> Option<Tree> {
    match name {
        "部署" => return Some(Tree::Departments),
        "設置場所" => return Some(Tree::Locations),
        _ => {}
    }
    match name.to_ascii_lowercase().as_str() {
        "department" | "departments" => Some(Tree::Departments),
        "location" | "locations" => Some(Tree::Locations),
        _ => None,
    }
}

fn path(line: usize, column: usize, value: &str) -> Result<Vec<String>, RowError> {
    value
        .split(PATH_SEPARATOR)
        .enumerate()
        .map(|(index, level)| {
            let level = level.trim();
            let problem = if level.is_empty() {
                Some("is empty")
            } else if level.chars().count() > MAX_NAME_CHARS {
                Some("is too long")
            } else if level.chars().any(char::is_control) {
                Some("contains control characters")
            } else {
                None
            };
            match problem {
                Some(problem) => Err(error(
                    line,
                    Problem::Name,
                    format!(
                        "{}: level {} {problem} (names have 1 to {MAX_NAME_CHARS} characters on one line)",
                        COLUMN_NAMES[column],
                        index + 1
                    ),
                )),
                None => Ok(level.to_string()),
            }
        })
        .collect()
}

fn description(line: usize, column: usize, value: &str) -> Result<String, RowError> {
    if value.chars().count() > MAX_DESCRIPTION_CHARS || value.chars().any(char::is_control) {
        return Err(error(
            line,
            Problem::Name,
            format!(
                "{} has at most {MAX_DESCRIPTION_CHARS} characters on one line",
                COLUMN_NAMES[column]
            ),
        ));
    }
    Ok(value.to_string())
}

/// The error log: every line in order as `<line>:<text>`, a failed line prefixed with the
/// message id of its first error (`KNRI4388-E 3:u,common,…`).
pub fn error_log(lines: &[String], errors: &[RowError]) -> String {
    let mut ids: HashMap<usize, &'static str> = HashMap::new();
    for error in errors {
        ids.entry(error.line).or_insert(error.problem.id());
    }
    let mut log = String::new();
    for (index, line) in lines.iter().enumerate() {
        let number = index + 1;
        if let Some(id) = ids.get(&number) {
            log.push_str(id);
            log.push(' ');
        }
        log.push_str(&format!("{number}:{line}\n"));
    }
    log
}

/// Each entry's Japanese path, levels joined by `/`.
pub fn japanese_paths(entries: &[Department]) -> HashMap<i64, String> {
    paths(entries, |entry| entry.name.as_str())
        .into_iter()
        .map(|(id, levels)| (id, levels.join("/")))
        .collect()
}

/// Each entry's English path (levels without an English name in Japanese), joined by `/`.
pub fn english_paths(entries: &[Department]) -> HashMap<i64, String> {
    paths(entries, Department::english_name)
        .into_iter()
        .map(|(id, levels)| (id, levels.join("/")))
        .collect()
}

fn paths<'a>(
    entries: &'a [Department],
    name: impl Fn(&'a Department) -> &'a str,
) -> HashMap<i64, Vec<&'a str>> {
    let by_id: HashMap<i64, &Department> = entries.iter().map(|e| (e.id, e)).collect();
    entries
        .iter()
        .map(|entry| {
            let mut levels = vec![name(entry)];
            let mut parent = entry.parent_id;
            // The hierarchy has no cycles (the service refuses them); the bound is a guard.
            for _ in 0..64 {
                let Some(up) = parent.and_then(|id| by_id.get(&id)) else {
                    break;
                };
                levels.push(name(up));
                parent = up.parent_id;
            }
            levels.reverse();
            (entry.id, levels)
        })
        .collect()
}

/// The definitions of both hierarchies as the file: a header, then one `A` row per entry,
/// parents before children, which imported into empty hierarchies gives the same trees.
/// Retired entries are not part of the definition and are left out, except those that
/// entries still in it sit below (they come back un-retired). Cells are guarded against
/// formula injection like every export (the import reads them back). Returns the text and
/// the number of rows.
///
/// # Errors
/// 400 naming the entry when a name holds a `/` (saved before names were checked for it).
pub fn export(
    departments: &[Department],
    locations: &[Department],
) -> Result<(String, usize), AppError> {
    let mut rows: Vec<[String; COLUMNS]> = Vec::new();
    for (tree, entries) in [
        (Tree::Departments, departments),
        (Tree::Locations, locations),
    ] {
        let (deleted, _) = crate::departments::service::plan_prune(entries);
        let japanese = paths(entries, |e| e.name.as_str());
        let english = paths(entries, |e| e.english_name());
        for entry in in_tree_order(entries) {
            if deleted.contains(&entry.id) {
                continue;
            }
            if entry.name.contains(PATH_SEPARATOR) || entry.name_en.contains(PATH_SEPARATOR) {
                return Err(AppError::invalid(
                    "name",
                    format!(
                        "the {} \"{}\" (id {}) has \"{PATH_SEPARATOR}\" in its name; rename it before exporting",
                        tree.noun(),
                        entry.name,
                        entry.id
                    ),
                ));
            }
            let join = |levels: Option<&Vec<&str>>| levels.map(|l| l.join("/")).unwrap_or_default();
            let name_en = if entry.name_en.is_empty() {
                String::new()
            } else {
                join(english.get(&entry.id))
            };
            rows.push([
                "A".into(),
                "common".into(),
                LANGUAGES[0].into(),
                item_name(tree).into(),
                LANGUAGES[0].into(),
                String::new(),
                join(japanese.get(&entry.id)),
                entry.description.clone(),
                String::new(),
                name_en,
                entry.description_en.clone(),
            ]);
        }
    }
    let count = rows.len();
    let header = HEADER.map(String::from);
    let text = crate::core::csv::rows(std::iter::once(&header).chain(rows.iter()));
    Ok((text, count))
}

fn item_name(tree: Tree) -> &'static str {
    match tree {
        Tree::Departments => "部署",
        Tree::Locations => "設置場所",
    }
}

/// Entries depth first, siblings by name: every parent before its children.
fn in_tree_order(entries: &[Department]) -> Vec<&Department> {
    let mut children: BTreeMap<Option<i64>, Vec<&Department>> = BTreeMap::new();
    let ids: std::collections::HashSet<i64> = entries.iter().map(|e| e.id).collect();
    for entry in entries {
        let parent = entry.parent_id.filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(entry);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    }
    let mut ordered = Vec::with_capacity(entries.len());
    let mut stack: Vec<&Department> = children
        .get(&None)
        .map(|roots| roots.iter().rev().copied().collect())
        .unwrap_or_default();
    while let Some(entry) = stack.pop() {
        ordered.push(entry);
        if let Some(below) = children.get(&Some(entry.id)) {
            stack.extend(below.iter().rev().copied());
        }
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `text` and compares the rows' summaries (`op tree before -> after [en] desc`)
    /// and the errors (`id line`) with what is expected.
    fn check(text: &str, rows: &[&str], errors: &[&str]) {
        let read = parse(text);
        let got_rows: Vec<String> = read
            .rows
            .iter()
            .map(|row| {
                format!(
                    "{:?} {} {} -> {} [{}] {}|{}",
                    row.operation,
                    row.tree.noun(),
                    row.before.join("/"),
                    row.after.join("/"),
                    row.name_en,
                    row.description,
                    row.description_en
                )
            })
            .collect();
        let got_errors: Vec<String> = read
            .errors
            .iter()
            .map(|e| format!("{} {}", e.problem.id(), e.line))
            .collect();
        assert_eq!(got_rows, rows, "rows of {text:?}");
        assert_eq!(got_errors, errors, "errors of {text:?}: {:?}", read.errors);
    }

    #[test]
    fn rows_read_with_a_header_lower_case_and_both_item_names() {
        check(
            &format!(
                "{}\r\na,common,ja,部署,ja,,営業部,営業の部,,Sales,sales dept\r\n\
                 u,COMMON,en,Location,ja,本館,本館 / 2F,,,Main/2F,\r\n\
                 \r\n\
                 D,common,ja,設置場所,,別館,,,,,\r\n",
                HEADER.join(",")
            ),
            &[
                "Add department  -> 営業部 [Sales] 営業の部|sales dept",
                "Update location 本館 -> 本館/2F [2F] |",
                "Delete location 別館 ->  [] |",
            ],
            &[],
        );
        // Without a header; cells the export guarded read back as typed.
        check(
            "A,common,ja,部署,ja,,'-B1F,'=1+1,,,\n",
            &["Add department  -> -B1F [] =1+1|"],
            &[],
        );
    }

    #[test]
    fn each_kind_of_mistake_has_its_message_id_and_line() {
        check(
            "A,common,ja,部署,ja,,営業部\n\
             X,common,ja,部署,ja,,営業部,,,,\n\
             A,asset,ja,部署,ja,,営業部,,,,\n\
             A,common,fr,部署,ja,,営業部,,,,\n\
             A,common,ja,機器種別,ja,,営業部,,,,\n\
             A,common,ja,部署,en,,営業部,,,,\n\
             A,common,ja,部署,ja,営業部,営業部,,,,\n\
             U,common,ja,部署,ja,,営業部,,,,\n\
             A,common,ja,部署,ja,,営業部//1課,,,,\n\
             A,common,ja,部署,ja,,営業部/1課,,,Sales,\n\
             A,common,ja,部署,,,営業部,,,,\n\
             A,common,ja,部署,ja,,\"営業部,,,,\n",
            &[],
            &[
                "KNRI4380-E 1",
                "KNRI4381-E 2",
                "KNRI4382-E 3",
                "KNRI4382-E 4",
                "KNRI4382-E 5",
                "KNRI4383-E 6",
                "KNRI4384-E 7",
                "KNRI4384-E 8",
                "KNRI4385-E 9",
                "KNRI4385-E 10",
                "KNRI4384-E 11",
                "KNRI4380-E 12",
            ],
        );
        // A delete ignores what it does not need.
        check(
            "d,common,ja,部署,whatever,営業部,junk,junk,junk,junk,junk\n",
            &["Delete department 営業部 ->  [] |"],
            &[],
        );
    }

    #[test]
    fn reading_stops_at_a_hundred_errors() {
        let text = "X,common,ja,部署,ja,,a,,,,\n".repeat(150);
        assert_eq!(parse(&text).errors.len(), MAX_ERRORS);
    }

    #[test]
    fn the_log_lists_every_line_and_marks_the_failed_ones() {
        let text = "更新種別,資産項目種別,項目言語キー,項目名,その他の言語の設定,ja-値(変更前),ja-値(変更後),ja-説明,en-値(変更前),en-値(変更後),en-説明\r\n\
                    A,common,ja,部署,ja,,営業部,,,,\r\n\
                    u,common,ja,部署,ja,営業部/営業1課err,営業部/営業課,,,,\r\n\
                    \r\n\
                    Z,common,ja,部署,ja,,a,,,,\r\n";
        let read = parse(text);
        let mut errors = read.errors.clone();
        errors.push(RowError {
            line: 3,
            problem: Problem::Conflict,
            message: "planned".into(),
        });
        errors.sort_by_key(|e| e.line);
        let log = error_log(&read.lines, &errors);
        let lines: Vec<&str> = log.lines().collect();
        assert_eq!(lines.len(), 5);
        assert!(lines[0].starts_with("1:更新種別,"));
        assert_eq!(lines[1], "2:A,common,ja,部署,ja,,営業部,,,,");
        assert_eq!(
            lines[2],
            "KNRI4388-E 3:u,common,ja,部署,ja,営業部/営業1課err,営業部/営業課,,,,"
        );
        assert_eq!(lines[3], "4:");
        assert_eq!(lines[4], "KNRI4381-E 5:Z,common,ja,部署,ja,,a,,,,");
    }

    #[test]
    fn a_file_in_another_encoding_is_one_error_on_its_first_bad_line() {
        let sjis = CsvEncoding::ShiftJis.encode("A,common,ja,部署,ja,,営業部,,,,\n");
        let read = read(&sjis, CsvEncoding::Utf8);
        assert!(read.rows.is_empty());
        assert_eq!(read.errors.len(), 1);
        assert_eq!(read.errors[0].problem, Problem::Encoding);
        assert_eq!(read.errors[0].line, 1);
        assert!(
            read.errors[0].message.contains("not valid UTF-8")
                && read.errors[0].message.contains("Shift_JIS"),
            "{}",
            read.errors[0].message
        );
        assert_eq!(read.lines.len(), 1, "the log still echoes the line");
        let fine = super::read(&sjis, CsvEncoding::ShiftJis);
        assert_eq!(fine.errors, []);
        assert_eq!(fine.rows[0].after, ["営業部"]);
    }

    pub(super) fn entry(id: i64, parent_id: Option<i64>, name: &str) -> Department {
        Department {
            id,
            parent_id,
            name: name.into(),
            name_en: String::new(),
            description: String::new(),
            description_en: String::new(),
            retired: false,
            created_at: 0,
            updated_at: 0,
            version: 1,
        }
    }

    #[test]
    fn the_export_writes_parents_first_with_english_paths_and_skips_the_old_organisation() {
        let mut sales = entry(1, None, "営業部");
        sales.name_en = "Sales".into();
        sales.description = "=売上".into();
        let mut first = entry(2, Some(1), "営業1課");
        first.name_en = "Sales 1".into();
        let plain = entry(3, Some(1), "企画課");
        let mut old = entry(4, None, "旧総務部");
        old.retired = true;
        let mut old_parent = entry(5, None, "旧本社");
        old_parent.retired = true;
        let live_child = entry(6, Some(5), "残る課");
        let room = entry(7, None, "本館");
        let (text, count) =
            export(&[live_child, plain, first, old, old_parent, sales], &[room]).expect("export");
        assert_eq!(count, 6);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], HEADER.join(","));
        assert_eq!(
            &lines[1..],
            [
                "A,common,ja,部署,ja,,営業部,'=売上,,Sales,",
                "A,common,ja,部署,ja,,営業部/企画課,,,,",
                "A,common,ja,部署,ja,,営業部/営業1課,,,Sales/Sales 1,",
                "A,common,ja,部署,ja,,旧本社,,,,",
                "A,common,ja,部署,ja,,旧本社/残る課,,,,",
                "A,common,ja,設置場所,ja,,本館,,,,",
            ]
        );
        // Read back, every row is an add of the same entry.
        let read = parse(&text);
        assert_eq!(read.errors, []);
        assert_eq!(read.rows[0].description, "=売上");
        assert_eq!(read.rows[2].name_en, "Sales 1");
        let refused = export(&[entry(1, None, "a/b")], &[]);
        assert!(refused.is_err());
    }
}
