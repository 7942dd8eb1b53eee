//! `kanri-agent user-info`: the user-information form (利用者情報の入力) in a terminal. It
//! reads the form from the server (the lists to choose from and the values the asset holds),
//! asks for each value with the current one as the default (Enter keeps it), and sends the
//! answers, which update the PC's asset in the ledger. `--if-due` asks only when the server
//! says it is time, for a login script. `--notify` and `--print-url` ask through the local
//! web form of [`crate::desktop`] instead, once, as the service does when the answers are due.
//!
//! It needs the agent's credentials, so it runs as the user the agent runs as (root for the
//! service) — `sudo kanri-agent user-info` on a desktop.

use std::io::{BufRead, Write};

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context};
use kanri_proto::{CustomAnswer, FormChoice, Text, UserInfo, UserInfoForm};

use crate::cli::UserInfoArgs;
use crate::desktop::prompt::{self, Outcome, PromptConfig};
use crate::desktop::session::{self, Session};
use crate::state::{resolve_state_dir, State};
use crate::transport::{SharedCredentials, Transport, TransportConfig};

/// Runs `user-info` on the terminal.
///
/// # Errors
/// No enrollment, an unreachable server, or answers the server refused.
pub fn run(args: &UserInfoArgs) -> anyhow::Result<()> {
    let dir = resolve_state_dir(args.state.state_dir.as_deref())?;
    let state = match State::load(&dir)? {
        Some(state) if state.credentials.is_some() => state,
        _ => bail!(
            "this agent is not enrolled (no credentials in {})",
            dir.display()
        ),
    };
    let transport = Transport::new(
        &TransportConfig::requests(&state.server_url, state.pin),
        SharedCredentials::new(state.credentials.clone()),
    )?;
    let form = transport
        .user_info_form()
        .context("reading the form from the server")?;
    if args.if_due && !form.due {
        println!("User information is up to date.");
        return Ok(());
    }
    if args.notify || args.print_url {
        return in_the_desktop(args, &dir, &transport, form);
    }
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut output = std::io::stdout();
    let answers = ask(&form, &mut input, &mut output)?;
    let after = transport
        .user_info_answer(&answers)
        .context("sending the answers")?;
    writeln!(
        output,
        "Saved. / 保存しました。 ({})",
        after.current.user_name.as_str()
    )?;
    Ok(())
}

/// `--notify` / `--print-url`: the local web form, once.
fn in_the_desktop(
    args: &UserInfoArgs,
    dir: &Path,
    transport: &Transport,
    form: UserInfoForm,
) -> anyhow::Result<()> {
    let session = if !args.notify {
        None
    } else if let Some(uid) = args.session.uid {
        Some(Session::given(
            uid,
            args.session.display.clone(),
            args.session.wayland_display.clone(),
            args.session.runtime_dir.clone(),
            args.session.lang.clone(),
        )?)
    } else {
        let sessions = session::active_graphical().context("listing the login sessions")?;
        Some(session::pick(sessions).context(
            "nobody is logged in to an active graphical session (give --uid to name the user)",
        )?)
    };
    let config = PromptConfig {
        state_dir: dir.to_path_buf(),
        timeout: Duration::from_secs(args.timeout),
        japanese: std::env::var("LANG").is_ok_and(|lang| session::is_japanese(&lang)),
        print_url: args.print_url,
    };
    match prompt::prompt(transport, form, session.as_ref(), &config, &|| false)? {
        Outcome::Answered(saved) => {
            println!(
                "Saved. / 保存しました。 ({})",
                saved.current.user_name.as_str()
            );
            Ok(())
        }
        Outcome::Expired { .. } => bail!(
            "the form was not answered within {} s; nothing was saved",
            args.timeout
        ),
        Outcome::Cancelled => bail!("cancelled; nothing was saved"),
    }
}

/// Asks every value of `form` on `output`, reading answers from `input` (Enter keeps the
/// current value; a list entry is chosen by its number).
///
/// # Errors
/// Terminal I/O errors, or input that ended early.
pub fn ask(
    form: &UserInfoForm,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
) -> anyhow::Result<UserInfo> {
    let current = &form.current;
    writeln!(
        output,
        "利用者情報の入力 / User information (Enter keeps the value in [ ])"
    )?;
    let department_id = choose(
        "部署 / Department",
        &form.departments,
        current.department_id,
        input,
        output,
    )?;
    let location_id = choose(
        "設置場所 / Location",
        &form.locations,
        current.location_id,
        input,
        output,
    )?;
    let user_name = text(input, output, "利用者名 / Name", &current.user_name)?;
    let user_account = text(input, output, "アカウント / Account", &current.user_account)?;
    let user_email = text(
        input,
        output,
        "メールアドレス / E-mail",
        &current.user_email,
    )?;
    let user_phone = text(input, output, "電話番号 / Phone", &current.user_phone)?;
    let mut custom = Vec::new();
    for field in &form.fields {
        let now = current.custom.iter().find(|a| a.field_id == field.id);
        if field.data_type == "text" {
            let now_text = now.map(|a| a.text.clone()).unwrap_or_default();
            let value = text(input, output, &field.name, &now_text)?;
            custom.push(CustomAnswer {
                field_id: field.id,
                text: value,
                option_id: None,
            });
        } else {
            let chosen = choose(
                &field.name,
                &field.options,
                now.and_then(|a| a.option_id),
                input,
                output,
            )?;
            if let Some(option_id) = chosen {
                custom.push(CustomAnswer {
                    field_id: field.id,
                    text: Text::default(),
                    option_id: Some(option_id),
                });
            }
        }
    }
    Ok(UserInfo {
        department_id,
        location_id,
        user_name,
        user_account,
        user_email,
        user_phone,
        custom,
    })
}

/// Asks one text value; Enter keeps `now`.
fn text(
    input: &mut dyn BufRead,
    output: &mut dyn Write,
    label: &str,
    now: &Text,
) -> anyhow::Result<Text> {
    write!(output, "{label} [{}]: ", now.as_str())?;
    output.flush()?;
    let line = read_line(input)?;
    Ok(if line.is_empty() {
        now.clone()
    } else {
        Text::sanitize(&line)
    })
}

fn read_line(input: &mut dyn BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    if input.read_line(&mut line)? == 0 {
        bail!("the input ended before every question was answered");
    }
    Ok(line.trim().to_string())
}

fn choose(
    label: &str,
    choices: &[FormChoice],
    now: Option<i64>,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
) -> anyhow::Result<Option<i64>> {
    if choices.is_empty() {
        return Ok(now);
    }
    writeln!(output, "{label}:")?;
    for (n, choice) in choices.iter().enumerate() {
        let mark = if Some(choice.id) == now { " *" } else { "" };
        writeln!(output, "  {:>3}. {}{mark}", n + 1, choice.path)?;
    }
    loop {
        write!(output, "{label} (1–{}): ", choices.len())?;
        output.flush()?;
        let line = read_line(input)?;
        if line.is_empty() {
            return Ok(now);
        }
        match line.parse::<usize>() {
            Ok(n) if (1..=choices.len()).contains(&n) => return Ok(Some(choices[n - 1].id)),
            _ => writeln!(
                output,
                "  1–{} の番号を入力してください。 / Type a number from the list.",
                choices.len()
            )?,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enter_keeps_numbers_choose_and_text_replaces() {
        let form = UserInfoForm {
            enabled: true,
            due: true,
            departments: vec![
                FormChoice {
                    id: 7,
                    path: "病院".into(),
                },
                FormChoice {
                    id: 9,
                    path: "病院/内科".into(),
                },
            ],
            locations: vec![FormChoice {
                id: 3,
                path: "本館/2F".into(),
            }],
            fields: vec![kanri_proto::FormField {
                id: 5,
                name: "用途".into(),
                data_type: "selection".into(),
                options: vec![FormChoice {
                    id: 50,
                    path: "電子カルテ".into(),
                }],
            }],
            current: UserInfo {
                department_id: Some(7),
                location_id: None,
                user_name: "旧姓".into(),
                user_account: "yamada".into(),
                ..UserInfo::default()
            },
        };
        let typed = "x\n2\n\n山田 花子\n\nh@example.jp\n1234\n1\n";
        let mut out = Vec::new();
        let answers = ask(&form, &mut typed.as_bytes(), &mut out).expect("answers");
        assert_eq!(answers.department_id, Some(9));
        assert_eq!(answers.location_id, None, "Enter kept none");
        assert_eq!(answers.user_name.as_str(), "山田 花子");
        assert_eq!(answers.user_account.as_str(), "yamada");
        assert_eq!(answers.user_email.as_str(), "h@example.jp");
        assert_eq!(answers.custom.len(), 1);
        assert_eq!(answers.custom[0].option_id, Some(50));
        let shown = String::from_utf8(out).expect("utf-8");
        assert!(
            shown.contains("  1. 病院 *") && shown.contains("番号を入力"),
            "{shown}"
        );
        let short = "1\n";
        assert!(ask(&form, &mut short.as_bytes(), &mut Vec::new()).is_err());
    }
}
