//! A list query's WHERE clause built piece by piece with numbered binds, and the keyset
//! condition and order of a sorted page, so every list's store writes only its own
//! conditions.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::Any;

use crate::core::paging::{Cursor, SortValue};

/// A value a condition binds.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    /// Text.
    Text(String),
    /// An integer.
    Int(i64),
}

/// Conditions joined by AND, and their binds numbered `$1…` in order.
#[derive(Debug, Default)]
pub struct Where {
    conditions: Vec<String>,
    binds: Vec<Bind>,
}

impl Where {
    /// No conditions.
    pub fn new() -> Where {
        Where::default()
    }

    /// Adds a bind; returns its placeholder (`$n`).
    pub fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    /// Adds a text bind.
    pub fn text(&mut self, value: impl Into<String>) -> String {
        self.bind(Bind::Text(value.into()))
    }

    /// Adds an integer bind.
    pub fn int(&mut self, value: i64) -> String {
        self.bind(Bind::Int(value))
    }

    /// Adds a condition (its placeholders already made with [`Where::bind`]).
    pub fn push(&mut self, condition: impl Into<String>) {
        self.conditions.push(condition.into());
    }

    /// ` WHERE a AND b`, or nothing.
    pub fn clause(&self) -> String {
        if self.conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.conditions.join(" AND "))
        }
    }

    /// Binds the values to a query made from this clause.
    pub fn apply<'q>(
        &'q self,
        mut query: Query<'q, Any, AnyArguments<'q>>,
    ) -> Query<'q, Any, AnyArguments<'q>> {
        for bind in &self.binds {
            query = match bind {
                Bind::Text(text) => query.bind(text.as_str()),
                Bind::Int(value) => query.bind(*value),
            };
        }
        query
    }

    /// Adds the condition "after the cursor's row" for a page sorted on `sort` (an
    /// expression) and then `id`; returns the ORDER BY clause.
    pub fn keyset(
        &mut self,
        sort: &str,
        id: &str,
        descending: bool,
        after: Option<&Cursor>,
    ) -> String {
        let (comparison, order) = if descending {
            ("<", "DESC")
        } else {
            (">", "ASC")
        };
        if let Some(cursor) = after {
            let value = match &cursor.value {
                SortValue::Int(value) => Bind::Int(*value),
                SortValue::Text(value) => Bind::Text(value.clone()),
            };
            let value = self.bind(value);
            let last = self.int(cursor.id);
            self.push(format!("({sort}, {id}) {comparison} ({value}, {last})"));
        }
        format!("{sort} {order}, {id} {order}")
    }
}

/// `%text%` for `LOWER(column) LIKE … ESCAPE '\'`: LIKE's wildcards escaped, lowercased.
pub fn contains_pattern(text: &str) -> String {
    let escaped = text
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// `column IN (1, 2, 3)` for ids the server computed (never typed by a caller); none matches
/// nothing.
pub fn ids_in(column: &str, ids: &[i64]) -> String {
    if ids.is_empty() {
        return "1 = 0".to_string();
    }
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("{column} IN ({})", list.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_are_numbered_in_order_and_keyset_follows() {
        let mut w = Where::new();
        let a = w.text("x");
        w.push(format!("a = {a}"));
        let cursor = Cursor {
            value: SortValue::Text("m".into()),
            id: 7,
        };
        let order = w.keyset("t.name", "t.id", true, Some(&cursor));
        assert_eq!(order, "t.name DESC, t.id DESC");
        assert_eq!(w.clause(), " WHERE a = $1 AND (t.name, t.id) < ($2, $3)");
        assert_eq!(
            w.binds,
            vec![Bind::Text("x".into()), Bind::Text("m".into()), Bind::Int(7)]
        );
    }

    #[test]
    fn wildcards_are_escaped() {
        assert_eq!(contains_pattern(" A%b_c\\ "), "%a\\%b\\_c\\\\%");
        assert_eq!(ids_in("x", &[]), "1 = 0");
        assert_eq!(ids_in("x", &[1, 2]), "x IN (1, 2)");
    }
}
