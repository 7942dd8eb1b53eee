//! Conditions on custom values in a list's query string (`custom.<field id>=<value>`), for
//! the asset, licence and contract lists, their exports and saved filters: text contains the
//! value (any case, as the lists' other text conditions), a selection value is the option
//! id, a hierarchy value is the option id or any node below it.

use std::collections::BTreeMap;

use crate::assets::fields::{CustomField, MAX_TEXT_CHARS};
use crate::core::error::AppError;

/// How a query string names a custom condition: `custom.` and the field id.
pub const PREFIX: &str = "custom.";

/// What a condition asks of a record's value of one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomTest {
    /// A text value contains this (compared lowercased).
    Contains(String),
    /// The value is one of these option ids (a hierarchy condition's subtree).
    AnyOf(Vec<i64>),
}

/// A condition on one custom field, checked against the field's definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomCondition {
    /// The field.
    pub field_id: i64,
    /// What its value must be.
    pub test: CustomTest,
}

/// The `custom.<field id>` parameters among a query string's otherwise unknown ones (the
/// rest are ignored, as every list ignores parameters it does not know), as `(field id,
/// value)` in field order; empty values are no condition.
///
/// # Errors
/// 400 naming the parameter, for an id that is not a positive number or a value that is not
/// plain text of at most 255 characters.
pub fn parse(extra: &BTreeMap<String, String>) -> Result<Vec<(i64, String)>, AppError> {
    let mut conditions = Vec::new();
    for (key, value) in extra {
        let Some(id) = key.strip_prefix(PREFIX) else {
            continue;
        };
        let id = id.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
            AppError::invalid(
                key,
                format!("{key}: custom.<field id> names a field by its id"),
            )
        })?;
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        crate::core::extract::check_plain_text(key, value, MAX_TEXT_CHARS)?;
        conditions.push((id, value.to_string()));
    }
    Ok(conditions)
}

/// The given conditions as query pairs (`custom.12`, value), for links and saved filters.
pub fn pairs(extra: &BTreeMap<String, String>) -> Vec<(&str, &str)> {
    extra
        .iter()
        .filter(|(key, value)| key.starts_with(PREFIX) && !value.trim().is_empty())
        .map(|(key, value)| (key.as_str(), value.trim()))
        .collect()
}

/// The conditions checked against `fields`, the record kind's custom fields: each names one
/// of them, and a selection or hierarchy condition names one of its options by id.
///
/// # Errors
/// 400 naming `custom.<id>`.
pub fn resolve(
    fields: &[CustomField],
    wanted: &[(i64, String)],
) -> Result<Vec<CustomCondition>, AppError> {
    wanted
        .iter()
        .map(|(id, value)| {
            let name = format!("{PREFIX}{id}");
            let field = fields.iter().find(|f| f.id == *id).ok_or_else(|| {
                AppError::invalid(
                    &name,
                    format!("{name}: no such custom field of these records"),
                )
            })?;
            let test = match field.data_type.as_str() {
                "text" => CustomTest::Contains(value.clone()),
                _ => {
                    let option = value
                        .parse::<i64>()
                        .ok()
                        .filter(|option| field.options.iter().any(|o| o.id == *option))
                        .ok_or_else(|| {
                            AppError::invalid(
                                &name,
                                format!("{name}: not an option id of the field {:?}", field.name),
                            )
                        })?;
                    CustomTest::AnyOf(field.subtree(option))
                }
            };
            Ok(CustomCondition {
                field_id: *id,
                test,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assets::fields::FieldOption;

    fn check(query: &str) -> Result<Vec<(i64, String)>, AppError> {
        let extra: BTreeMap<String, String> = serde_urlencoded::from_str(query).expect("query");
        parse(&extra)
    }

    fn field(id: i64, data_type: &str, options: &[(i64, Option<i64>)]) -> CustomField {
        CustomField {
            id,
            target: "hardware".into(),
            name: format!("f{id}"),
            name_en: String::new(),
            data_type: data_type.into(),
            input: "admin".into(),
            position: id,
            options: options
                .iter()
                .map(|(option, parent_id)| FieldOption {
                    id: *option,
                    parent_id: *parent_id,
                    name: format!("o{option}"),
                    name_en: String::new(),
                })
                .collect(),
            version: 1,
        }
    }

    #[test]
    fn custom_parameters_parse_and_others_are_ignored() {
        assert_eq!(
            check("custom.3=%20L-7%20&custom.12=&status=2&customer=x").expect("valid"),
            vec![(3, "L-7".to_string())]
        );
        for (query, field) in [
            ("custom.x=1", "custom.x"),
            ("custom.0=1", "custom.0"),
            ("custom.=1", "custom."),
            ("custom.4=a%01b", "custom.4"),
        ] {
            let error = check(query).expect_err(query);
            assert!(
                matches!(&error, AppError::Invalid { field: Some(f), .. } if f == field),
                "{query}: {error:?}"
            );
        }
    }

    #[test]
    fn conditions_follow_the_field_type() {
        let fields = [
            field(1, "text", &[]),
            field(2, "selection", &[(20, None), (21, None)]),
            field(
                3,
                "hierarchy",
                &[(30, None), (31, Some(30)), (32, Some(31)), (33, None)],
            ),
        ];
        let wanted = vec![
            (1, "Lease".to_string()),
            (2, "21".to_string()),
            (3, "31".to_string()),
        ];
        let got = resolve(&fields, &wanted).expect("conditions");
        assert_eq!(got[0].test, CustomTest::Contains("Lease".into()));
        assert_eq!(got[1].test, CustomTest::AnyOf(vec![21]));
        assert_eq!(got[2].test, CustomTest::AnyOf(vec![31, 32]), "the subtree");
        for (id, value) in [(2, "30"), (2, "x"), (9, "1"), (3, "20")] {
            let error = resolve(&fields, &[(id, value.to_string())]).expect_err(value);
            let field = format!("custom.{id}");
            assert!(
                matches!(&error, AppError::Invalid { field: Some(f), .. } if *f == field),
                "{id}={value}: {error:?}"
            );
        }
    }
}
