//! One form page for the ledger's simpler records (licences, managed software, contracts,
//! vendors): a list of fields turned into inputs, the submitted form turned into the JSON
//! object the record's REST patch takes, so the console goes through exactly the checks the
//! API does. A page adds sections below the form (a licence's devices, a contract's links)
//! and action buttons (delete, "save as another contract").

use askama::Template;
use serde_json::{Map, Value};

use crate::console::i18n::{Lang, Msgs};
use crate::console::pages::Nav;
use crate::console::web::FormPairs;
use crate::core::error::AppError;

/// How a field is entered.
#[derive(Debug, Clone)]
pub enum Input {
    /// One line of text.
    Text,
    /// A calendar day.
    Day,
    /// A whole number.
    Number,
    /// One of `(value, label)`; the value `""` is "none".
    Select(Vec<(String, String)>),
    /// Several lines (one entry per line).
    Lines,
}

/// How a field's text becomes JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Json {
    /// A string, as typed.
    Text,
    /// A string; empty is `null` (clears it).
    OptionalText,
    /// A number; empty leaves the stored value.
    Int,
    /// A number; empty is `null` (clears it).
    OptionalInt,
    /// The non-empty lines (or `;`-separated parts) as strings; the page turns them into
    /// what its patch takes.
    Lines,
}

/// A field of the form.
#[derive(Debug, Clone)]
pub struct Field {
    /// The patch's key and the input's name.
    pub name: &'static str,
    /// Its label.
    pub label: String,
    /// Its input.
    pub input: Input,
    /// Its JSON.
    pub json: Json,
    /// The value shown (stored, or as typed when the form was refused).
    pub value: String,
    /// Whether the form needs it.
    pub required: bool,
    /// A line under it.
    pub hint: String,
}

impl Field {
    /// A field with no value yet.
    pub fn new(name: &'static str, label: &str, input: Input, json: Json) -> Field {
        Field {
            name,
            label: label.to_string(),
            input,
            json,
            value: String::new(),
            required: false,
            hint: String::new(),
        }
    }

    /// Marks it required.
    #[must_use]
    pub fn required(mut self) -> Field {
        self.required = true;
        self
    }

    /// Gives it a value.
    #[must_use]
    pub fn value(mut self, value: impl Into<String>) -> Field {
        self.value = value.into();
        self
    }

    /// Gives it a hint.
    #[must_use]
    pub fn hint(mut self, hint: &str) -> Field {
        self.hint = hint.to_string();
        self
    }
}

/// An optional id as a select's value (`""` for none).
pub fn id_value(id: Option<i64>) -> String {
    id.map(|id| id.to_string()).unwrap_or_default()
}

/// The fields' values replaced by what `form` sent (to show a refused form as typed).
pub fn keep_typed(fields: &mut [Field], form: &FormPairs) {
    for field in fields {
        field.value = form.get(field.name).to_string();
    }
}

/// The fields as `form` sent them, as the patch's JSON object.
///
/// # Errors
/// 400 naming a number field that holds something else.
pub fn to_json(
    fields: &[Field],
    form: &FormPairs,
    m: &Msgs,
) -> Result<Map<String, Value>, AppError> {
    let mut object = Map::new();
    for field in fields {
        let text = form.get(field.name);
        let trimmed = text.trim();
        let number = || {
            trimmed.parse::<i64>().map(Value::from).map_err(|_| {
                AppError::invalid(
                    field.name,
                    format!("{}: {}", field.label, m.form_number_needed),
                )
            })
        };
        let value = match field.json {
            Json::Text => Value::from(text),
            Json::OptionalText if trimmed.is_empty() => Value::Null,
            Json::OptionalText => Value::from(trimmed),
            Json::Int if trimmed.is_empty() => continue,
            Json::Int => number()?,
            Json::OptionalInt if trimmed.is_empty() || trimmed == "none" => Value::Null,
            Json::OptionalInt => number()?,
            Json::Lines => Value::from(
                text.split(['\n', ';'])
                    .map(str::trim)
                    .filter(|line| !line.is_empty())
                    .map(Value::from)
                    .collect::<Vec<_>>(),
            ),
        };
        object.insert(field.name.to_string(), value);
    }
    Ok(object)
}

/// A row of a section: cells (text, optional link) and an optional remove button.
#[derive(Debug, Clone, Default)]
pub struct SectionRow {
    /// The cells.
    pub cells: Vec<(String, Option<String>)>,
    /// Where the remove button posts.
    pub remove: Option<String>,
}

/// A one-input form under a section (assign a device by host name…).
#[derive(Debug, Clone)]
pub struct AddForm {
    /// Where it posts.
    pub action: String,
    /// The input's name.
    pub input: &'static str,
    /// Its label.
    pub label: String,
    /// The button.
    pub button: String,
}

/// A list under the form.
#[derive(Debug, Clone)]
pub struct Section {
    /// Heading.
    pub title: String,
    /// A class for the table (and tests).
    pub class: &'static str,
    /// Column headings.
    pub headers: Vec<String>,
    /// Rows.
    pub rows: Vec<SectionRow>,
    /// The form that adds a row.
    pub add: Option<AddForm>,
}

/// A small form of its own under the record's (move held licences…).
#[derive(Debug, Clone)]
pub struct ExtraForm {
    /// Heading.
    pub title: String,
    /// Where it posts.
    pub action: String,
    /// A class for the form (and tests).
    pub class: &'static str,
    /// Its fields.
    pub fields: Vec<Field>,
    /// The button.
    pub button: String,
}

/// A button that posts to `path` (delete, copy).
#[derive(Debug, Clone)]
pub struct Action {
    /// Where it posts.
    pub path: String,
    /// The button.
    pub label: String,
    /// A class for the form (and tests).
    pub class: &'static str,
    /// A box the user ticks first (the handler checks `confirm=1`); empty: none.
    pub confirm: String,
}

/// The page.
#[derive(Template)]
#[template(path = "record_form.html")]
pub struct RecordPage {
    /// Page language.
    pub lang: Lang,
    /// Its messages.
    pub m: &'static Msgs,
    /// The menu.
    pub nav: Option<Nav>,
    /// The session's CSRF token.
    pub csrf: String,
    /// Heading.
    pub title: String,
    /// Where the list is.
    pub back: (String, String),
    /// Where the form posts.
    pub action: String,
    /// The version edited (none: a new record).
    pub version: Option<i64>,
    /// The fields.
    pub fields: Vec<Field>,
    /// The record's custom fields (追加管理項目).
    pub custom: Vec<crate::console::custom_inputs::CustomInput>,
    /// Whether a reason line is asked for (recorded in the notes with a status change).
    pub with_note: bool,
    /// A refusal to show.
    pub error: Option<String>,
    /// Lists under the form.
    pub sections: Vec<Section>,
    /// Forms of their own under the lists.
    pub extra_forms: Vec<ExtraForm>,
    /// Buttons under the form.
    pub actions: Vec<Action>,
    /// The record's notes: (when, who, text).
    pub notes: Vec<(String, String, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::i18n::JA;

    #[test]
    fn a_form_becomes_the_patch_json() {
        let fields = [
            Field::new("name", "名称", Input::Text, Json::Text),
            Field::new("planned_on", "予定日", Input::Day, Json::OptionalText),
            Field::new("held", "保有数", Input::Number, Json::Int),
            Field::new(
                "department_id",
                "部署",
                Input::Select(Vec::new()),
                Json::OptionalInt,
            ),
            Field::new("asset_numbers", "資産", Input::Lines, Json::Lines),
        ];
        let form = FormPairs::parse(
            "name=%20A%20&planned_on=&held=&department_id=none&asset_numbers=HW-1%0D%0A%0AHW-2;HW-3"
                .as_bytes(),
        );
        let json = to_json(&fields, &form, &JA).expect("valid");
        assert_eq!(
            Value::Object(json),
            serde_json::json!({"name": " A ", "planned_on": null, "department_id": null,
                "asset_numbers": ["HW-1", "HW-2", "HW-3"]})
        );
        let form = FormPairs::parse(b"held=ten");
        let error = to_json(&fields, &form, &JA).expect_err("not a number");
        assert!(error.to_string().contains("保有数"), "{error}");
    }
}
