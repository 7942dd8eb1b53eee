//! Custom fields of the ledger (追加管理項目): administrators define, per record kind, text,
//! selection or hierarchy fields entered by administrators or by the PC's user; records keep
//! their values by field id (text, or an option id). The data type is fixed once created, so
//! stored values never change meaning. Lists filter on them (`query`).

pub mod api;
pub mod query;
pub mod service;
pub mod store;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::console::i18n::Lang;

/// A custom field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomField {
    /// Id (the key of values in a record's `custom`).
    pub id: i64,
    /// `hardware`, `licence` or `contract`.
    pub target: String,
    /// Japanese name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// `text`, `selection` or `hierarchy`.
    pub data_type: String,
    /// `admin` or `user` (asked in the user-information form).
    pub input: String,
    /// Place among the target's fields.
    pub position: i64,
    /// Choices (selection) or nodes (hierarchy), in order.
    pub options: Vec<FieldOption>,
    /// Optimistic version.
    pub version: i64,
}

impl CustomField {
    /// Its name in a language (the Japanese one where it has no English name).
    pub fn label(&self, lang: Lang) -> &str {
        match lang {
            Lang::En if !self.name_en.is_empty() => &self.name_en,
            _ => &self.name,
        }
    }

    /// Each option's path in a language: its ancestors' names and its own joined by `/` (a
    /// selection's options are one level; names without an English one in Japanese), as
    /// exports write hierarchy values and imports read them.
    pub fn option_paths(&self, lang: Lang) -> HashMap<i64, String> {
        let by_id: HashMap<i64, &FieldOption> = self.options.iter().map(|o| (o.id, o)).collect();
        let name = |option: &FieldOption| match lang {
            Lang::En if !option.name_en.is_empty() => option.name_en.clone(),
            _ => option.name.clone(),
        };
        self.options
            .iter()
            .map(|option| {
                let mut levels = vec![name(option)];
                let mut parent = option.parent_id;
                // Options form a tree (a parent exists before its children); the bound is a
                // guard.
                for _ in 0..64 {
                    let Some(up) = parent.and_then(|id| by_id.get(&id)) else {
                        break;
                    };
                    levels.push(name(up));
                    parent = up.parent_id;
                }
                levels.reverse();
                (option.id, levels.join("/"))
            })
            .collect()
    }

    /// An option and every node below it (a selection's option is alone), as a hierarchy
    /// condition matches them.
    pub fn subtree(&self, option_id: i64) -> Vec<i64> {
        let mut found = vec![option_id];
        let mut next = 0;
        while let Some(&parent) = found.get(next) {
            next += 1;
            found.extend(
                self.options
                    .iter()
                    .filter(|o| o.parent_id == Some(parent) && !found.contains(&o.id))
                    .map(|o| o.id)
                    .collect::<Vec<_>>(),
            );
        }
        found
    }
}

/// A choice of a selection field or a node of a hierarchy field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldOption {
    /// Id (what a record stores).
    pub id: i64,
    /// Parent node (hierarchy).
    pub parent_id: Option<i64>,
    /// Japanese name.
    pub name: String,
    /// English name.
    pub name_en: String,
}

/// Record kinds with custom fields.
pub const TARGETS: [&str; 3] = ["hardware", "licence", "contract"];
/// Data types.
pub const DATA_TYPES: [&str; 3] = ["text", "selection", "hierarchy"];
/// Longest text value.
pub const MAX_TEXT_CHARS: usize = 255;

#[cfg(test)]
mod tests {
    use super::*;

    fn option(id: i64, parent_id: Option<i64>, name: &str, name_en: &str) -> FieldOption {
        FieldOption {
            id,
            parent_id,
            name: name.into(),
            name_en: name_en.into(),
        }
    }

    #[test]
    fn paths_in_either_language_and_subtrees() {
        let field = CustomField {
            id: 7,
            target: "hardware".into(),
            name: "区画".into(),
            name_en: String::new(),
            data_type: "hierarchy".into(),
            input: "admin".into(),
            position: 1,
            options: vec![
                option(1, None, "東棟", "East"),
                option(2, Some(1), "3F", ""),
                option(3, Some(2), "301", "Room 301"),
                option(4, None, "西棟", ""),
            ],
            version: 1,
        };
        let japanese = field.option_paths(Lang::Ja);
        assert_eq!(japanese[&3], "東棟/3F/301");
        assert_eq!(field.option_paths(Lang::En)[&3], "East/3F/Room 301");
        assert_eq!(field.label(Lang::En), "区画", "no English name");
        let mut below = field.subtree(1);
        below.sort_unstable();
        assert_eq!(below, [1, 2, 3]);
        assert_eq!(field.subtree(4), [4]);
    }
}
