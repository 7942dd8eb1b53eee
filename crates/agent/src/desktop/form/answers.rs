//! The submitted form (`application/x-www-form-urlencoded`) turned into the answers the
//! server takes. Decoding is strict — bad percent escapes, bytes that are not UTF-8, unknown
//! or repeated names are refused — since only the page this agent served posts here; the
//! values themselves (an e-mail's form, a department on the list) are the server's to judge.

use kanri_proto::{CustomAnswer, Text, UserInfo, UserInfoForm};

/// The names of the form's inputs.
pub mod names {
    /// The department select.
    pub const DEPARTMENT: &str = "department";
    /// The location select.
    pub const LOCATION: &str = "location";
    /// Name.
    pub const USER_NAME: &str = "user_name";
    /// Account.
    pub const USER_ACCOUNT: &str = "user_account";
    /// E-mail.
    pub const USER_EMAIL: &str = "user_email";
    /// Phone.
    pub const USER_PHONE: &str = "user_phone";
    /// Prefix of a custom field's input, followed by its id.
    pub const CUSTOM_PREFIX: &str = "custom_";
}

/// Why a submitted body is not this form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AnswerError(pub String);

/// Decodes a submitted body into answers for `form`. An empty choice leaves the department,
/// location or custom choice unchanged, as Enter does in the terminal form.
///
/// # Errors
/// [`AnswerError`] naming what is wrong with the body.
pub fn parse(body: &[u8], form: &UserInfoForm) -> Result<UserInfo, AnswerError> {
    let mut answers = UserInfo::default();
    let mut seen: Vec<String> = Vec::new();
    let mut texts_seen = 0;
    for pair in body
        .split(|byte| *byte == b'&')
        .filter(|pair| !pair.is_empty())
    {
        let (raw_name, raw_value) = match pair.iter().position(|byte| *byte == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &b""[..]),
        };
        let name = decode(raw_name)?;
        let value = decode(raw_value)?;
        if seen.contains(&name) {
            return Err(AnswerError(format!("{name} is given twice")));
        }
        match name.as_str() {
            names::DEPARTMENT => answers.department_id = choice(&name, &value)?,
            names::LOCATION => answers.location_id = choice(&name, &value)?,
            names::USER_NAME => answers.user_name = text(&name, &value)?,
            names::USER_ACCOUNT => answers.user_account = text(&name, &value)?,
            names::USER_EMAIL => answers.user_email = text(&name, &value)?,
            names::USER_PHONE => answers.user_phone = text(&name, &value)?,
            other => {
                let field = other
                    .strip_prefix(names::CUSTOM_PREFIX)
                    .and_then(|id| id.parse::<i64>().ok())
                    .and_then(|id| form.fields.iter().find(|field| field.id == id))
                    .ok_or_else(|| AnswerError(format!("{} is not on the form", shorten(other))))?;
                if field.data_type == "text" {
                    answers.custom.push(CustomAnswer {
                        field_id: field.id,
                        text: text(&name, &value)?,
                        option_id: None,
                    });
                } else if let Some(option_id) = choice(&name, &value)? {
                    answers.custom.push(CustomAnswer {
                        field_id: field.id,
                        text: Text::default(),
                        option_id: Some(option_id),
                    });
                }
            }
        }
        if matches!(
            name.as_str(),
            names::USER_NAME | names::USER_ACCOUNT | names::USER_EMAIL | names::USER_PHONE
        ) {
            texts_seen += 1;
        }
        seen.push(name);
    }
    // A browser sends every text input, empty or not; a body without them is not this form,
    // and taking it would blank the asset's values.
    if texts_seen < 4 {
        return Err(AnswerError(
            "the name, account, e-mail and phone are missing".into(),
        ));
    }
    Ok(answers)
}

fn choice(name: &str, value: &str) -> Result<Option<i64>, AnswerError> {
    if value.is_empty() {
        return Ok(None);
    }
    value
        .parse()
        .map(Some)
        .map_err(|_| AnswerError(format!("{name} is not a choice")))
}

fn text(name: &str, value: &str) -> Result<Text, AnswerError> {
    Text::new(value).map_err(|error| AnswerError(format!("{name}: {error}")))
}

/// Percent-decoding with `+` as a space, refusing broken escapes and non-UTF-8 results.
fn decode(raw: &[u8]) -> Result<String, AnswerError> {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut index = 0;
    while index < raw.len() {
        match raw[index] {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hex = raw
                    .get(index + 1..index + 3)
                    .and_then(|pair| std::str::from_utf8(pair).ok())
                    .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                    .ok_or_else(|| AnswerError("a broken percent escape".into()))?;
                bytes.push(hex);
                index += 2;
            }
            byte => bytes.push(byte),
        }
        index += 1;
    }
    String::from_utf8(bytes).map_err(|_| AnswerError("text that is not UTF-8".into()))
}

/// A name echoed in an error, cut short and without control characters.
fn shorten(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).take(40).collect()
}

#[cfg(test)]
mod tests {
    use kanri_proto::{FormChoice, FormField};

    use super::*;

    fn form() -> UserInfoForm {
        UserInfoForm {
            fields: vec![
                FormField {
                    id: 5,
                    name: "用途".into(),
                    data_type: "selection".into(),
                    options: vec![FormChoice {
                        id: 50,
                        path: "電子カルテ".into(),
                    }],
                },
                FormField {
                    id: 6,
                    name: "内線".into(),
                    data_type: "text".into(),
                    options: vec![],
                },
            ],
            ..UserInfoForm::default()
        }
    }

    fn check(body: &str, expected: &str) {
        let actual = match parse(body.as_bytes(), &form()) {
            Ok(info) => format!(
                "{:?} {:?} {} {} {} {} {:?}",
                info.department_id,
                info.location_id,
                info.user_name.as_str(),
                info.user_account.as_str(),
                info.user_email.as_str(),
                info.user_phone.as_str(),
                info.custom
                    .iter()
                    .map(|a| (a.field_id, a.text.as_str().to_string(), a.option_id))
                    .collect::<Vec<_>>()
            ),
            Err(error) => format!("error: {error}"),
        };
        assert_eq!(actual, expected, "{body}");
    }

    const TEXTS: &str = "user_name=%E5%B1%B1%E7%94%B0+%E8%8A%B1%E5%AD%90&user_account=hanako&user_email=h%40example.jp&user_phone=";

    #[test]
    fn decodes_what_the_page_posts() {
        check(
            &format!("department=9&location=&{TEXTS}&custom_5=50&custom_6=%E5%86%85+1"),
            r#"Some(9) None 山田 花子 hanako h@example.jp  [(5, "", Some(50)), (6, "内 1", None)]"#,
        );
        check(
            &format!("{TEXTS}&custom_5="),
            "None None 山田 花子 hanako h@example.jp  []",
        );
    }

    #[test]
    fn refuses_what_the_page_never_posts() {
        check(
            &format!("{TEXTS}&department=x"),
            "error: department is not a choice",
        );
        check(
            &format!("{TEXTS}&user_name=again"),
            "error: user_name is given twice",
        );
        check(
            &format!("{TEXTS}&custom_7=1"),
            "error: custom_7 is not on the form",
        );
        check(
            &format!("{TEXTS}&admin=1"),
            "error: admin is not on the form",
        );
        check(
            &format!("{TEXTS}&custom_6=%E5%B1"),
            "error: text that is not UTF-8",
        );
        check(
            &format!("{TEXTS}&custom_6=%G1"),
            "error: a broken percent escape",
        );
        check(
            &format!("{TEXTS}&custom_6=%4"),
            "error: a broken percent escape",
        );
        check(
            &format!("{TEXTS}&custom_6=a%0Ab"),
            "error: custom_6: control character U+000A is not allowed",
        );
        check(
            "department=1",
            "error: the name, account, e-mail and phone are missing",
        );
        check("", "error: the name, account, e-mail and phone are missing");
    }
}
