//! The form's pages: one self-contained HTML document each, in Japanese or English, with its
//! style inline (allowed by the response's nonce) and no script, image or other resource, so
//! it renders in any browser without reaching anything but this agent. Every value that
//! comes from the server or the user goes through [`escape`].

use std::fmt::Write as _;

use kanri_proto::{FormChoice, UserInfo, UserInfoForm};

use super::answers::names;

/// The longest text the server keeps in a user field (`MAX_TEXT_CHARS` of the asset ledger).
const MAX_TEXT_CHARS: usize = 255;

/// The words of the pages and of the notification in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Texts {
    /// `lang` of the document.
    pub lang: &'static str,
    /// The notification's summary and the page's title.
    pub title: &'static str,
    /// The notification's body.
    pub notice_body: &'static str,
    /// The notification's action.
    pub notice_action: &'static str,
    /// Above the form.
    pub intro: &'static str,
    /// Department.
    pub department: &'static str,
    /// Location.
    pub location: &'static str,
    /// Name.
    pub user_name: &'static str,
    /// Account.
    pub user_account: &'static str,
    /// E-mail.
    pub user_email: &'static str,
    /// Phone.
    pub user_phone: &'static str,
    /// The empty entry of a list.
    pub not_chosen: &'static str,
    /// The button.
    pub save: &'static str,
    /// Title of the page after saving.
    pub saved_title: &'static str,
    /// Text of the page after saving.
    pub saved: &'static str,
    /// Before the server's reason for refusing the answers.
    pub refused: &'static str,
    /// When the server could not be reached.
    pub unreachable: &'static str,
    /// The link was used already.
    pub answered: &'static str,
    /// The link timed out.
    pub expired: &'static str,
    /// Wrong token, other user, foreign site.
    pub forbidden: &'static str,
    /// No such page.
    pub not_found: &'static str,
    /// A request the form never sends.
    pub bad_request: &'static str,
    /// A request larger than the form ever sends.
    pub too_large: &'static str,
}

/// Japanese, the working language of Kanri's users.
pub const JA: Texts = Texts {
    lang: "ja",
    title: "利用者情報の入力をお願いします",
    notice_body: "このパソコンを使う方の部署・設置場所・連絡先を確認して保存してください。",
    notice_action: "入力する",
    intro: "このパソコンを使う方の情報です。現在の値を確認し、変わっていれば直して「保存」を押してください。",
    department: "部署",
    location: "設置場所",
    user_name: "利用者名",
    user_account: "アカウント",
    user_email: "メールアドレス",
    user_phone: "電話番号",
    not_chosen: "（未選択）",
    save: "保存",
    saved_title: "保存しました",
    saved: "ご協力ありがとうございました。このページは閉じてかまいません。",
    refused: "サーバーが入力を受け付けませんでした。直してもう一度保存してください:",
    unreachable: "サーバーに接続できませんでした。しばらくしてからもう一度保存してください。",
    answered: "この入力は保存済みです。このページは閉じてかまいません。",
    expired: "このリンクの有効期限が切れました。次の通知から入力してください。",
    forbidden: "このページを開く権限がありません。",
    not_found: "ページが見つかりません。",
    bad_request: "要求が正しくありません。",
    too_large: "要求が大きすぎます。",
};

/// English.
pub const EN: Texts = Texts {
    lang: "en",
    title: "Please enter your user information",
    notice_body: "Check the department, location and contact details of this PC's user and save them.",
    notice_action: "Enter",
    intro: "This is about the person who uses this PC. Check the current values, correct what changed and press Save.",
    department: "Department",
    location: "Location",
    user_name: "Name",
    user_account: "Account",
    user_email: "E-mail",
    user_phone: "Phone",
    not_chosen: "(not chosen)",
    save: "Save",
    saved_title: "Saved",
    saved: "Thank you. You can close this page.",
    refused: "The server did not accept the answers. Correct them and save again:",
    unreachable: "The server could not be reached. Please save again in a while.",
    answered: "These answers were saved already. You can close this page.",
    expired: "This link has expired. Please answer from the next notification.",
    forbidden: "You may not open this page.",
    not_found: "No such page.",
    bad_request: "The request is not valid.",
    too_large: "The request is too large.",
};

/// The texts for a language.
pub fn texts(japanese: bool) -> &'static Texts {
    if japanese {
        &JA
    } else {
        &EN
    }
}

/// HTML-escapes text for element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str =
    "body{font-family:sans-serif;max-width:40em;margin:2em auto;padding:0 1em;color:#222}\
h1{font-size:1.4em}label{display:block;margin-top:1em;font-weight:bold}\
input,select{width:100%;box-sizing:border-box;padding:.4em;font-size:1em}\
button{margin-top:1.5em;padding:.5em 2em;font-size:1em}\
.error{border:2px solid #b00;background:#fee;padding:.6em;color:#700}\
dl dt{font-weight:bold;margin-top:.6em}";

/// Why the answers were not saved, shown above the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem<'a> {
    /// The server refused them, for this reason (its message).
    Refused(&'a str),
    /// The server could not be reached.
    Unreachable,
}

/// The form with `values` filled in, and why the last answers were not saved when they were
/// not.
pub fn form_page(
    texts: &Texts,
    form: &UserInfoForm,
    values: &UserInfo,
    problem: Option<Problem<'_>>,
    nonce: &str,
) -> String {
    let mut body = String::new();
    let _ = write!(body, "<p>{}</p>", escape(texts.intro));
    match problem {
        Some(Problem::Refused(reason)) => {
            let _ = write!(
                body,
                r#"<p class="error" role="alert" id="error">{}<br>{}</p>"#,
                escape(texts.refused),
                escape(reason)
            );
        }
        Some(Problem::Unreachable) => {
            let _ = write!(
                body,
                r#"<p class="error" role="alert" id="error">{}</p>"#,
                escape(texts.unreachable)
            );
        }
        None => {}
    }
    body.push_str(r#"<form method="post">"#);
    select(
        &mut body,
        texts,
        names::DEPARTMENT,
        texts.department,
        &form.departments,
        values.department_id,
    );
    select(
        &mut body,
        texts,
        names::LOCATION,
        texts.location,
        &form.locations,
        values.location_id,
    );
    for (name, label, value, kind) in [
        (
            names::USER_NAME,
            texts.user_name,
            values.user_name.as_str(),
            "text",
        ),
        (
            names::USER_ACCOUNT,
            texts.user_account,
            values.user_account.as_str(),
            "text",
        ),
        (
            names::USER_EMAIL,
            texts.user_email,
            values.user_email.as_str(),
            "email",
        ),
        (
            names::USER_PHONE,
            texts.user_phone,
            values.user_phone.as_str(),
            "tel",
        ),
    ] {
        input(&mut body, name, label, value, kind);
    }
    for field in &form.fields {
        let name = format!("{}{}", names::CUSTOM_PREFIX, field.id);
        let answer = values.custom.iter().find(|a| a.field_id == field.id);
        if field.data_type == "text" {
            let value = answer.map(|a| a.text.as_str()).unwrap_or("");
            input(&mut body, &name, &field.name, value, "text");
        } else {
            select(
                &mut body,
                texts,
                &name,
                &field.name,
                &field.options,
                answer.and_then(|a| a.option_id),
            );
        }
    }
    let _ = write!(
        body,
        r#"<button type="submit" id="save">{}</button></form>"#,
        escape(texts.save)
    );
    document(texts, texts.title, &body, nonce)
}

/// The page after saving: the values the asset holds now.
pub fn saved_page(texts: &Texts, saved: &UserInfoForm, nonce: &str) -> String {
    let current = &saved.current;
    let path = |choices: &[FormChoice], id: Option<i64>| {
        id.and_then(|id| choices.iter().find(|c| c.id == id))
            .map(|c| c.path.clone())
            .unwrap_or_default()
    };
    let mut body = format!(r#"<p id="saved">{}</p><dl>"#, escape(texts.saved));
    for (label, value) in [
        (
            texts.department,
            path(&saved.departments, current.department_id),
        ),
        (texts.location, path(&saved.locations, current.location_id)),
        (texts.user_name, current.user_name.as_str().to_string()),
        (
            texts.user_account,
            current.user_account.as_str().to_string(),
        ),
        (texts.user_email, current.user_email.as_str().to_string()),
        (texts.user_phone, current.user_phone.as_str().to_string()),
    ] {
        let _ = write!(
            body,
            "<dt>{}</dt><dd>{}</dd>",
            escape(label),
            escape(&value)
        );
    }
    body.push_str("</dl>");
    document(texts, texts.saved_title, &body, nonce)
}

/// A page with one message (answered, expired, refused requests).
pub fn message_page(texts: &Texts, message: &str, nonce: &str) -> String {
    let body = format!(r#"<p id="message">{}</p>"#, escape(message));
    document(texts, texts.title, &body, nonce)
}

fn document(texts: &Texts, heading: &str, body: &str, nonce: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style nonce=\"{nonce}\">{STYLE}</style></head>\
         <body><h1>{heading}</h1>{body}</body></html>",
        lang = texts.lang,
        title = escape(texts.title),
        nonce = escape(nonce),
        heading = escape(heading),
    )
}

fn input(body: &mut String, name: &str, label: &str, value: &str, kind: &str) {
    let _ = write!(
        body,
        r#"<label for="{name}">{label}</label><input id="{name}" name="{name}" type="{kind}" value="{value}" maxlength="{MAX_TEXT_CHARS}">"#,
        name = escape(name),
        label = escape(label),
        value = escape(value),
    );
}

fn select(
    body: &mut String,
    texts: &Texts,
    name: &str,
    label: &str,
    choices: &[FormChoice],
    current: Option<i64>,
) {
    if choices.is_empty() {
        return;
    }
    let _ = write!(
        body,
        r#"<label for="{name}">{label}</label><select id="{name}" name="{name}">"#,
        name = escape(name),
        label = escape(label),
    );
    // Without a value yet, the empty entry is chosen, and sending it leaves the value unset.
    if !current.is_some_and(|id| choices.iter().any(|c| c.id == id)) {
        let _ = write!(
            body,
            r#"<option value="" selected>{}</option>"#,
            escape(texts.not_chosen)
        );
    }
    for choice in choices {
        let selected = if Some(choice.id) == current {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            body,
            r#"<option value="{}"{selected}>{}</option>"#,
            choice.id,
            escape(&choice.path)
        );
    }
    body.push_str("</select>");
}

#[cfg(test)]
mod tests {
    use kanri_proto::{CustomAnswer, FormField};

    use super::*;

    fn form() -> UserInfoForm {
        UserInfoForm {
            enabled: true,
            due: true,
            departments: vec![
                FormChoice {
                    id: 7,
                    path: "病院".into(),
                },
                FormChoice {
                    id: 9,
                    path: "<script>alert(1)</script>".into(),
                },
            ],
            locations: vec![],
            fields: vec![FormField {
                id: 5,
                name: "用途 \"A&B\"".into(),
                data_type: "text".into(),
                options: vec![],
            }],
            current: UserInfo {
                department_id: Some(9),
                user_name: "O'Brien <b>".into(),
                custom: vec![CustomAnswer {
                    field_id: 5,
                    text: "x\"><img src=x>".into(),
                    option_id: None,
                }],
                ..UserInfo::default()
            },
        }
    }

    #[test]
    fn everything_from_outside_is_escaped() {
        let page = form_page(
            &JA,
            &form(),
            &form().current,
            Some(Problem::Refused("<i>bad</i>")),
            "abc",
        );
        for raw in ["<script>", "<b>", "<img", "<i>", "\"A&B\""] {
            assert!(!page.contains(raw), "{raw} unescaped in {page}");
        }
        assert!(page.contains(
            r#"<option value="9" selected>&lt;script&gt;alert(1)&lt;/script&gt;</option>"#
        ));
        assert!(page.contains(r#"value="O&#39;Brien &lt;b&gt;""#));
        assert!(page.contains(r#"value="x&quot;&gt;&lt;img src=x&gt;""#));
        assert!(page.contains(r#"<p class="error" role="alert" id="error">"#));
        assert!(page.contains(r#"<style nonce="abc">"#));
        assert!(!page.contains("<script"), "no script at all");
        assert!(!page.contains("http"), "no external resource");
    }

    #[test]
    fn lists_offer_an_empty_entry_only_without_a_value() {
        let page = form_page(&EN, &form(), &form().current, None, "n");
        assert!(!page.contains("(not chosen)"), "{page}");
        assert!(
            !page.contains(r#"name="location""#),
            "no locations, no list"
        );
        let empty = form_page(&EN, &form(), &UserInfo::default(), None, "n");
        assert!(empty.contains(r#"<option value="" selected>(not chosen)</option>"#));
        assert!(empty.contains(r#"<html lang="en">"#));
        assert!(!empty.contains(r#"id="error""#));
    }

    #[test]
    fn the_saved_page_shows_the_paths() {
        let mut saved = form();
        saved.current.department_id = Some(7);
        let page = saved_page(&JA, &saved, "n");
        assert!(page.contains("<dt>部署</dt><dd>病院</dd>"), "{page}");
        assert!(page.contains("<h1>保存しました</h1>"));
    }
}
