//! Inventory sections (JSON as the agent sent it) laid out for a page: scalar fields as
//! label/value rows, lists of objects as tables, nested objects flattened into dotted labels.
//! Generic on purpose: a field the agent learns to send shows up without a template change.

use serde_json::Value;

/// A part of a section's page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// Label/value rows.
    Fields(Vec<(String, String)>),
    /// A titled table.
    Table {
        /// The field holding the list.
        title: String,
        /// Column names (every key met, in first-seen order).
        headers: Vec<String>,
        /// Cells, one row per list element.
        rows: Vec<Vec<String>>,
    },
}

/// The blocks of one section.
pub fn layout(section: &Value) -> Vec<Block> {
    let mut fields = Vec::new();
    let mut tables = Vec::new();
    collect(section, "", &mut fields, &mut tables);
    let mut blocks = Vec::new();
    if !fields.is_empty() {
        blocks.push(Block::Fields(fields));
    }
    blocks.extend(tables);
    blocks
}

fn collect(
    value: &Value,
    prefix: &str,
    fields: &mut Vec<(String, String)>,
    tables: &mut Vec<Block>,
) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                let label = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                collect(value, &label, fields, tables);
            }
        }
        Value::Array(items) if items.iter().any(Value::is_object) => {
            let mut headers: Vec<String> = Vec::new();
            for item in items {
                if let Value::Object(map) = item {
                    for key in map.keys() {
                        if !headers.contains(key) {
                            headers.push(key.clone());
                        }
                    }
                }
            }
            let rows = items
                .iter()
                .map(|item| {
                    headers
                        .iter()
                        .map(|header| item.get(header).map(cell).unwrap_or_default())
                        .collect()
                })
                .collect();
            tables.push(Block::Table {
                title: prefix.to_string(),
                headers,
                rows,
            });
        }
        other => fields.push((prefix.to_string(), cell(other))),
    }
}

/// A value as one cell's text.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().map(cell).collect::<Vec<_>>().join(", "),
        Value::Object(_) => value.to_string(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn objects_become_fields_and_lists_become_tables() {
        let section = json!({
            "cpu": {"model": "EPYC", "cores": 2},
            "memory_bytes": 1024,
            "disks": [{"name": "vda", "size": 10}, {"name": "vdb", "rotational": true}],
            "dns": ["10.0.0.1", "10.0.0.2"],
            "empty": null
        });
        let blocks = layout(&section);
        assert_eq!(
            blocks[0],
            Block::Fields(vec![
                ("cpu.cores".into(), "2".into()),
                ("cpu.model".into(), "EPYC".into()),
                ("dns".into(), "10.0.0.1, 10.0.0.2".into()),
                ("empty".into(), String::new()),
                ("memory_bytes".into(), "1024".into()),
            ])
        );
        assert_eq!(
            blocks[1],
            Block::Table {
                title: "disks".into(),
                headers: vec!["name".into(), "size".into(), "rotational".into()],
                rows: vec![
                    vec!["vda".into(), "10".into(), String::new()],
                    vec!["vdb".into(), String::new(), "true".into()],
                ],
            }
        );
    }
}
