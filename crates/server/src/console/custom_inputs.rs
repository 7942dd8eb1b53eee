//! The custom fields (追加管理項目) of a record as form inputs: a text box for a text field,
//! a select of choices or of hierarchy paths otherwise. Shared by the asset page and the
//! record forms; the submitted values become the patch's `custom` object (an empty choice
//! clears the value), which the service checks against the definitions.

use serde_json::{Map, Value};

use crate::app::AppState;
use crate::assets::fields::{CustomField, FieldOption};
use crate::console::i18n::Lang;
use crate::console::web::{ConsoleUser, FormPairs};
use crate::core::error::AppError;

/// One custom field as an input.
#[derive(Debug, Clone)]
pub struct CustomInput {
    /// The input's name (`custom_<field id>`).
    pub name: String,
    /// The field id (the key in `custom`).
    pub key: String,
    /// Its name in the page language.
    pub label: String,
    /// Choices (`(option id, path)`), or none for a text field.
    pub options: Option<Vec<(String, String)>>,
    /// The value shown: text, or an option id.
    pub value: String,
}

/// A field's name in the page language (Japanese when it has no English name).
pub fn field_label(field: &CustomField, lang: Lang) -> String {
    match lang {
        Lang::En if !field.name_en.is_empty() => field.name_en.clone(),
        _ => field.name.clone(),
    }
}

/// A field's options as `(id, path)` (`親 / 子` for hierarchy nodes, in path order).
pub fn option_paths(field: &CustomField, lang: Lang) -> Vec<(i64, String)> {
    let name = |o: &FieldOption| match lang {
        Lang::En if !o.name_en.is_empty() => o.name_en.clone(),
        _ => o.name.clone(),
    };
    let path = |id: i64| {
        let mut parts = Vec::new();
        let mut at = field.options.iter().find(|o| o.id == id);
        // A bound on the depth, should the stored tree ever hold a loop.
        while let (Some(option), true) = (at, parts.len() < 32) {
            parts.push(name(option));
            at = option
                .parent_id
                .and_then(|parent| field.options.iter().find(|o| o.id == parent));
        }
        parts.reverse();
        parts.join(" / ")
    };
    let mut paths: Vec<(i64, String)> = field.options.iter().map(|o| (o.id, path(o.id))).collect();
    if field.data_type == "hierarchy" {
        paths.sort_by(|a, b| a.1.cmp(&b.1));
    }
    paths
}

/// The inputs of `target`'s fields holding the values of `stored` (a record's `custom`).
///
/// # Errors
/// Storage errors; 403 without the assets division.
pub async fn inputs(
    state: &AppState,
    user: &ConsoleUser,
    target: &str,
    stored: &Value,
) -> Result<Vec<CustomInput>, AppError> {
    let fields = crate::assets::fields::service::list(state, &user.actor, target).await?;
    Ok(fields
        .iter()
        .map(|field| {
            let key = field.id.to_string();
            let value = match stored.get(&key) {
                Some(Value::String(text)) => text.clone(),
                Some(Value::Number(id)) => id.to_string(),
                _ => String::new(),
            };
            let label = field_label(field, user.lang);
            let options = (field.data_type != "text").then(|| {
                option_paths(field, user.lang)
                    .into_iter()
                    .map(|(id, path)| (id.to_string(), path))
                    .collect()
            });
            CustomInput {
                name: format!("custom_{key}"),
                key,
                label,
                options,
                value,
            }
        })
        .collect())
}

/// The inputs showing what `form` sent (a refused form).
pub fn keep_typed(inputs: &mut [CustomInput], form: &FormPairs) {
    for input in inputs {
        input.value = form.get(&input.name).to_string();
    }
}

/// The `custom` object of the patch: each field's value as sent, `null` for an empty one.
///
/// # Errors
/// 400 naming a choice that is not a number.
pub fn patch(inputs: &[CustomInput], form: &FormPairs) -> Result<Map<String, Value>, AppError> {
    let mut custom = Map::new();
    for input in inputs {
        let sent = form.get(&input.name).trim();
        let value = match (&input.options, sent) {
            (_, "") => Value::Null,
            (None, text) => Value::from(text),
            (Some(_), id) => id.parse::<i64>().map(Value::from).map_err(|_| {
                AppError::invalid(
                    format!("custom.{}", input.key),
                    "choose one of the field's values",
                )
            })?,
        };
        custom.insert(input.key.clone(), value);
    }
    Ok(custom)
}
