//! Command-line interface: `serve`, `demo`, `token create`, `api-token create`, `fields
//! export|import` (the department and location definitions as the seeds' field-definition
//! CSV), `import` (a CSV file into the asset ledger through an import template) and
//! `templates export|import` (import templates as JSON documents).

use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process};

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};

use crate::app::Server;
use crate::assets::import::apply::{self as imports, ImportResult};
use crate::assets::import::error::{ImportError as LedgerImportError, Refusal};
use crate::assets::import::format::Source;
use crate::assets::import::kinds::Kind;
use crate::audit::model::{Component, Origin};
use crate::core::auth::Actor;
use crate::core::config::{Config, FileConfig};
use crate::core::csv::CsvEncoding;
use crate::core::db::Db;
use crate::departments::service::{CommandUser, ImportError};

/// Exit code of a command that refused its input file (the seeds' 80, "import file format
/// invalid"); other failures exit with 1.
pub const EXIT_REFUSED: u8 = 80;

/// Exit code when the template named does not exist (the seeds' 72).
pub const EXIT_NO_TEMPLATE: u8 = 72;

/// Exit code when a template cannot take the name (the seeds' 74, "invalid template name":
/// taken without --overwrite, or not a valid name).
pub const EXIT_TEMPLATE_NAME: u8 = 74;

/// A command that ran but refused its input; `main` exits with `code`.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Refused {
    /// The exit code.
    pub code: u8,
    /// What was refused and where the details are.
    pub message: String,
}

/// Kanri management server.
#[derive(Debug, Parser)]
#[command(name = "kanri-server", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Start the server on embedded SQLite with an agent managing this machine.
    Demo(ServeArgs),
    /// Enrollment tokens for agents.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// API tokens for the REST API.
    ApiToken {
        #[command(subcommand)]
        command: ApiTokenCommand,
    },
    /// Department and location definitions as the field-definition CSV (the seeds'
    /// ioassetsfieldutil): export, edit, import.
    Fields {
        #[command(subcommand)]
        command: FieldsCommand,
    },
    /// Import a CSV file into the asset ledger through an import template (the seeds'
    /// ioutils importasset): rows whose mapping key finds a record update it, others add
    /// one; invalid rows are written to FILE.invalid.csv. Exit 80 when the file is refused
    /// (nothing imported), 72 when the template does not exist. On SQLite the import holds
    /// the database's write lock while it applies (≈ 7 s per 100,000 rows), and a running
    /// server's writes wait for it (10 s at most): import large files through the REST
    /// API, or with the server stopped.
    Import(ImportArgs),
    /// Import templates as JSON documents (the seeds' exporttemplate/importtemplate).
    Templates {
        #[command(subcommand)]
        command: TemplatesCommand,
    },
}

#[derive(Debug, Args)]
struct ImportArgs {
    #[command(flatten)]
    db: DbArgs,
    /// assets, licences, managed-software, contracts or vendors.
    #[arg(long, value_parser = parse_kind)]
    kind: Kind,
    /// The CSV file to read.
    #[arg(long)]
    file: PathBuf,
    /// The import template's name.
    #[arg(long)]
    template: String,
    /// utf-8 (with or without a BOM), utf-8-bom, shift_jis or utf-16le; default: the
    /// template's.
    #[arg(long, value_parser = parse_encoding)]
    encoding: Option<CsvEncoding>,
    /// Check every row and report; change nothing.
    #[arg(long)]
    check: bool,
    /// The account the import runs as (its divisions and departments apply; the audit log
    /// names it).
    #[arg(long, default_value = "admin")]
    user: String,
}

#[derive(Debug, Subcommand)]
enum TemplatesCommand {
    /// Write a template to a JSON file.
    Export {
        #[command(flatten)]
        db: DbArgs,
        /// Its kind: assets, licences, managed-software, contracts or vendors.
        #[arg(long, value_parser = parse_kind)]
        kind: Kind,
        /// Its name.
        #[arg(long)]
        name: String,
        /// The JSON file to write.
        #[arg(long)]
        file: PathBuf,
        /// Replace the file if it exists.
        #[arg(long)]
        overwrite: bool,
        /// The account the command runs as.
        #[arg(long, default_value = "admin")]
        user: String,
    },
    /// Create a template from a file `templates export` wrote; exit 74 when its name is
    /// taken (pass --overwrite to replace that template) and 80 for another file.
    Import {
        #[command(flatten)]
        db: DbArgs,
        /// The JSON file to read.
        #[arg(long)]
        file: PathBuf,
        /// The name to give it (default: the name it was exported under).
        #[arg(long)]
        name: Option<String>,
        /// Replace a template of the same kind and name.
        #[arg(long)]
        overwrite: bool,
        /// The account the command runs as.
        #[arg(long, default_value = "admin")]
        user: String,
    },
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Directory for the SQLite database, TLS material and generated files.
    #[arg(long, env = "KANRI_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// `postgres://user:password@host/db` to use PostgreSQL instead of embedded SQLite.
    #[arg(long, env = "KANRI_DATABASE_URL")]
    database_url: Option<String>,
    /// Address to listen on.
    #[arg(long, env = "KANRI_LISTEN")]
    listen: Option<std::net::SocketAddr>,
    /// Serve plain HTTP (behind a TLS-terminating proxy, or for a local demo).
    #[arg(long, env = "KANRI_HTTP")]
    http: bool,
    /// TOML file with any of these settings.
    #[arg(long, env = "KANRI_CONFIG")]
    config: Option<PathBuf>,
    /// PEM certificate chain to serve instead of the generated self-signed one.
    #[arg(long, env = "KANRI_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(long, env = "KANRI_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Most managed devices (licences); unlimited when absent.
    #[arg(long, env = "KANRI_LICENCE_DEVICES")]
    licence_devices: Option<u64>,
    /// Largest decompressed agent request body in bytes.
    #[arg(long, env = "KANRI_MAX_BODY_BYTES")]
    max_body_bytes: Option<usize>,
    /// Agent check-in interval in seconds while the agent settings have not been changed
    /// (afterwards the stored settings apply: PUT /api/v1/agent-settings).
    #[arg(long, env = "KANRI_CHECKIN_INTERVAL")]
    checkin_interval: Option<u64>,
    /// Days to keep events.
    #[arg(long, env = "KANRI_EVENT_RETENTION_DAYS")]
    event_retention_days: Option<u64>,
    /// Most database connections.
    #[arg(long, env = "KANRI_DB_MAX_CONNECTIONS")]
    db_max_connections: Option<u32>,
    /// The address agents reach this server at, e.g. https://kanri.example:31443, for the
    /// agent install command; without it, the address each request came in on.
    #[arg(long, env = "KANRI_PUBLIC_URL")]
    public_url: Option<String>,
    /// The kanri-agent executable to hand out at /agent/kanri-agent (default: the one beside
    /// kanri-server).
    #[arg(long, env = "KANRI_AGENT_BINARY")]
    agent_binary: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct DbArgs {
    /// Data directory of the server (SQLite).
    #[arg(long, env = "KANRI_DATA_DIR", default_value = "./kanri-data")]
    data_dir: PathBuf,
    /// PostgreSQL URL of the server.
    #[arg(long, env = "KANRI_DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create an enrollment token and print it.
    Create {
        #[command(flatten)]
        db: DbArgs,
        /// Lifetime such as 30m, 12h, 7d.
        #[arg(long, value_parser = crate::core::time::parse_duration)]
        expires: Option<std::time::Duration>,
        /// How many agents may enroll with it.
        #[arg(long)]
        uses: Option<u64>,
        /// A label to recognise it by.
        #[arg(long, default_value = "")]
        label: String,
    },
}

#[derive(Debug, Subcommand)]
enum ApiTokenCommand {
    /// Create an API token for a user and print it.
    Create {
        #[command(flatten)]
        db: DbArgs,
        /// The user the token acts as.
        #[arg(long)]
        user: String,
        /// A name to recognise it by.
        #[arg(long, default_value = "")]
        name: String,
        /// Lifetime such as 90d.
        #[arg(long, value_parser = crate::core::time::parse_duration)]
        expires: Option<std::time::Duration>,
    },
}

#[derive(Debug, Subcommand)]
enum FieldsCommand {
    /// Write both hierarchies' definitions to a CSV file: one A row per entry.
    Export {
        #[command(flatten)]
        db: DbArgs,
        /// The CSV file to write.
        #[arg(long)]
        file: PathBuf,
        /// utf-8, utf-8-bom, shift_jis or utf-16le.
        #[arg(long, default_value = "utf-8", value_parser = parse_encoding)]
        encoding: CsvEncoding,
        /// Replace the file if it exists.
        #[arg(long)]
        overwrite: bool,
    },
    /// Add (A), change (U) and delete (D) entries from a CSV file, all or nothing; on errors
    /// FILE.log lists the file's lines with the failed ones marked, and the exit code is 80.
    Import {
        #[command(flatten)]
        db: DbArgs,
        /// The CSV file to read.
        #[arg(long)]
        file: PathBuf,
        /// utf-8 (with or without a BOM), utf-8-bom, shift_jis or utf-16le.
        #[arg(long, default_value = "utf-8", value_parser = parse_encoding)]
        encoding: CsvEncoding,
        /// Check the file against the hierarchies and report; change nothing.
        #[arg(long)]
        check: bool,
    },
}

fn parse_kind(name: &str) -> Result<Kind, String> {
    Kind::parse(name).ok_or_else(|| {
        "kind must be assets, licences, managed-software, contracts or vendors".to_string()
    })
}

fn parse_encoding(name: &str) -> Result<CsvEncoding, String> {
    CsvEncoding::parse(name)
        .ok_or_else(|| "encoding must be utf-8, utf-8-bom, shift_jis or utf-16le".to_string())
}

/// Runs a parsed command line.
///
/// # Errors
/// Whatever stopped the command, with context.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    init_tracing();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => serve(resolve(args)?).await,
            Command::Demo(args) => demo(args).await,
            Command::Token {
                command:
                    TokenCommand::Create {
                        db,
                        expires,
                        uses,
                        label,
                    },
            } => {
                let db = open(&db).await?;
                let token =
                    crate::agents::service::create_token(&db, &label, expires, uses).await?;
                println!("{token}");
                Ok(())
            }
            Command::ApiToken {
                command:
                    ApiTokenCommand::Create {
                        db,
                        user,
                        name,
                        expires,
                    },
            } => {
                let db = open(&db).await?;
                let expires_at =
                    expires.map(|d| crate::core::time::now_ms() + d.as_millis() as i64);
                let token =
                    crate::accounts::service::create_api_token(&db, &user, &name, expires_at)
                        .await?;
                println!("{token}");
                Ok(())
            }
            Command::Fields {
                command:
                    FieldsCommand::Export {
                        db,
                        file,
                        encoding,
                        overwrite,
                    },
            } => export_fields(&open(&db).await?, &file, encoding, overwrite).await,
            Command::Fields {
                command:
                    FieldsCommand::Import {
                        db,
                        file,
                        encoding,
                        check,
                    },
            } => import_fields(&open(&db).await?, &file, encoding, check).await,
            Command::Import(args) => import_file(args).await,
            Command::Templates {
                command:
                    TemplatesCommand::Export {
                        db,
                        kind,
                        name,
                        file,
                        overwrite,
                        user,
                    },
            } => {
                let db = open(&db).await?;
                let actor = command_actor(&db, &user).await?;
                export_template(&db, &actor, (kind, &name), &file, overwrite).await
            }
            Command::Templates {
                command:
                    TemplatesCommand::Import {
                        db,
                        file,
                        name,
                        overwrite,
                        user,
                    },
            } => {
                let db = open(&db).await?;
                let actor = command_actor(&db, &user).await?;
                import_template(&db, &actor, &file, name.as_deref(), overwrite).await
            }
        }
    })
}

/// The account a ledger command acts as, with its divisions and departments.
async fn command_actor(db: &Db, login: &str) -> anyhow::Result<Actor> {
    let id = crate::accounts::store::get_user_id(db, login)
        .await
        .with_context(|| format!("no account {login:?}; pass --user"))?;
    let user = crate::accounts::store::get_user(db, id).await?;
    Ok(crate::accounts::auth::actor_for(db, &user).await?)
}

/// Where a command comes from, for the audit log.
fn command_origin() -> Origin {
    Origin {
        ip: String::new(),
        component: Component::Utility,
    }
}

/// `FILE.invalid.csv`, beside the file.
fn invalid_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_os_string();
    name.push(".invalid.csv");
    PathBuf::from(name)
}

async fn import_file(args: ImportArgs) -> anyhow::Result<()> {
    let db = open(&args.db).await?;
    let actor = command_actor(&db, &args.user).await?;
    if !args.file.is_file() {
        bail!("cannot read {}", args.file.display());
    }
    let request = imports::Request {
        kind: args.kind,
        template: args.template.clone(),
        encoding: args.encoding,
        check: args.check,
        file_name: args
            .file
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    let source = Source::File(args.file.clone());
    let result = match imports::run(&db, &actor, &command_origin(), source, request).await {
        Ok(result) => result,
        Err(LedgerImportError::Refused { refusal, id }) => {
            let code = match refusal {
                Refusal::UnknownTemplate { .. } => EXIT_NO_TEMPLATE,
                _ => EXIT_REFUSED,
            };
            let history = id.map_or_else(String::new, |id| format!(" (import {id})"));
            return Err(Refused {
                code,
                message: format!(
                    "{} was refused and nothing was imported{history}: {refusal}",
                    args.file.display()
                ),
            }
            .into());
        }
        Err(LedgerImportError::App(error)) => return Err(error.into()),
    };
    report_import(&args.file, &result)
}

/// Prints an import's counts and writes its invalid rows beside the file, in the file's
/// encoding (a file left by an earlier run is removed when there are none).
fn report_import(file: &Path, result: &ImportResult) -> anyhow::Result<()> {
    println!(
        "{}: {} rows: added {}, updated {}, unchanged {}, invalid {} (import {}){}",
        file.display(),
        result.rows,
        result.added,
        result.updated,
        result.unchanged,
        result.failed,
        result.id,
        if result.status == "checked" {
            "; checked only: nothing changed"
        } else {
            ""
        }
    );
    let invalid_file = invalid_path(file);
    if result.failed == 0 {
        if invalid_file.exists() {
            std::fs::remove_file(&invalid_file)
                .with_context(|| format!("cannot remove {}", invalid_file.display()))?;
        }
        return Ok(());
    }
    let encoding = CsvEncoding::parse(result.encoding).unwrap_or(CsvEncoding::Utf8);
    let text =
        crate::assets::import::history::invalid_rows_text(&result.header, &result.invalid_rows);
    let mut bytes = encoding.preamble().to_vec();
    bytes.extend(encoding.encode(&text));
    std::fs::write(&invalid_file, bytes)
        .with_context(|| format!("cannot write {}", invalid_file.display()))?;
    let kept = result.invalid_rows.len() as u64;
    let more = if kept < result.failed {
        format!(" (the first {kept})")
    } else {
        String::new()
    };
    println!("Invalid rows{more}: {}", invalid_file.display());
    Ok(())
}

/// What a refused template command exits with.
fn template_refusal(error: crate::core::error::AppError) -> anyhow::Error {
    use crate::core::error::AppError;
    let code = match &error {
        AppError::NotFound(_) => EXIT_NO_TEMPLATE,
        AppError::Invalid {
            code: "not_a_template",
            ..
        } => EXIT_REFUSED,
        AppError::Invalid {
            field: Some(field), ..
        } if field == "name" => EXIT_TEMPLATE_NAME,
        AppError::Invalid { .. } => EXIT_REFUSED,
        _ => return error.into(),
    };
    Refused {
        code,
        message: error.to_string(),
    }
    .into()
}

async fn export_template(
    db: &Db,
    actor: &Actor,
    (kind, name): (Kind, &str),
    file: &Path,
    overwrite: bool,
) -> anyhow::Result<()> {
    use crate::assets::import::templates;
    if file.exists() && !overwrite {
        bail!("{} exists; pass --overwrite to replace it", file.display());
    }
    let id = templates::find(db, actor, kind, name)
        .await
        .map_err(template_refusal)?;
    let document = templates::export(db, actor, &command_origin(), id).await?;
    let mut text = serde_json::to_string_pretty(&document)?;
    text.push('\n');
    std::fs::write(file, text).with_context(|| format!("cannot write {}", file.display()))?;
    println!(
        "Wrote the {} template {:?} to {}.",
        kind.as_str(),
        document.name,
        file.display()
    );
    Ok(())
}

async fn import_template(
    db: &Db,
    actor: &Actor,
    file: &Path,
    name: Option<&str>,
    overwrite: bool,
) -> anyhow::Result<()> {
    use crate::assets::import::templates;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let document = templates::read_document(&bytes).map_err(template_refusal)?;
    let (template, created) =
        templates::import(db, actor, &command_origin(), document, (name, overwrite))
            .await
            .map_err(template_refusal)?;
    println!(
        "{} the {} template {:?} (id {}).",
        if created { "Created" } else { "Replaced" },
        template.kind.as_str(),
        template.name,
        template.id
    );
    Ok(())
}

/// The operating-system account running a command, for the audit log.
fn command_user() -> CommandUser {
    let login = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .unwrap_or_default();
    CommandUser { login }
}

async fn export_fields(
    db: &Db,
    file: &Path,
    encoding: CsvEncoding,
    overwrite: bool,
) -> anyhow::Result<()> {
    if file.exists() && !overwrite {
        bail!("{} exists; pass --overwrite to replace it", file.display());
    }
    let text = crate::departments::service::export_fields(db, &command_user()).await?;
    let mut bytes = encoding.preamble().to_vec();
    bytes.extend(encoding.encode(&text));
    if encoding.decode(&bytes).ok().as_deref() != Some(text.as_str()) {
        bail!(
            "some names have characters {} cannot hold; export in utf-8 instead",
            encoding.label()
        );
    }
    std::fs::write(file, &bytes).with_context(|| format!("cannot write {}", file.display()))?;
    let rows = text.lines().count().saturating_sub(1);
    println!("Wrote {rows} definition(s) to {}.", file.display());
    Ok(())
}

/// `FILE.log`, beside the file.
fn log_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_os_string();
    name.push(".log");
    PathBuf::from(name)
}

async fn import_fields(
    db: &Db,
    file: &Path,
    encoding: CsvEncoding,
    check: bool,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let user = command_user();
    match crate::departments::service::import_fields(db, &user, &bytes, encoding, check).await {
        Ok(summary) => {
            println!(
                "{}: added {}, restored {}, updated {}, deleted {}, retired {}{}",
                file.display(),
                summary.added,
                summary.restored,
                summary.updated,
                summary.deleted,
                summary.retired,
                if check {
                    " (checked only: nothing changed)"
                } else {
                    ""
                }
            );
            Ok(())
        }
        Err(ImportError::Refused { errors, log }) => {
            let log_file = log_path(file);
            let mut log_bytes = encoding.preamble().to_vec();
            log_bytes.extend(encoding.encode(&log));
            std::fs::write(&log_file, log_bytes)
                .with_context(|| format!("cannot write {}", log_file.display()))?;
            for error in &errors {
                eprintln!("{error}");
            }
            Err(Refused {
                code: EXIT_REFUSED,
                message: format!(
                    "{} was refused with {} error(s) and nothing changed; see {}",
                    file.display(),
                    errors.len(),
                    log_file.display()
                ),
            }
            .into())
        }
        Err(ImportError::App(error)) => Err(error.into()),
    }
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KANRI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn open(args: &DbArgs) -> anyhow::Result<Db> {
    let mut config = Config::new(&args.data_dir);
    config.database_url = args.database_url.clone();
    if config.database_url.is_none() && !args.data_dir.join("kanri.db").exists() {
        bail!(
            "no Kanri database in {}; start the server once or pass --data-dir",
            args.data_dir.display()
        );
    }
    let url = config.effective_database_url();
    Db::connect(&url, 2)
        .await
        .with_context(|| format!("cannot open {}", crate::core::config::redact_url(&url)))
}

/// Applies defaults, the config file, then environment and flags.
fn resolve(args: ServeArgs) -> anyhow::Result<Config> {
    let file = match &args.config {
        Some(path) => FileConfig::load(path).map_err(anyhow::Error::msg)?,
        None => FileConfig::default(),
    };
    let data_dir = args
        .data_dir
        .or(file.data_dir)
        .unwrap_or_else(|| PathBuf::from("./kanri-data"));
    let mut config = Config::new(data_dir);
    config.database_url = args.database_url.or(file.database_url);
    config.listen = args.listen.or(file.listen).unwrap_or(config.listen);
    config.http = args.http || file.http.unwrap_or(false);
    config.tls_cert = args.tls_cert.or(file.tls_cert);
    config.tls_key = args.tls_key.or(file.tls_key);
    config.licence_devices = args.licence_devices.or(file.licence_devices);
    config.max_body_bytes = args
        .max_body_bytes
        .or(file.max_body_bytes)
        .unwrap_or(config.max_body_bytes);
    config.checkin_interval_secs = args
        .checkin_interval
        .or(file.checkin_interval_secs)
        .unwrap_or(config.checkin_interval_secs)
        .max(1);
    config.event_retention_days = args
        .event_retention_days
        .or(file.event_retention_days)
        .unwrap_or(config.event_retention_days);
    config.flush_interval_ms = file
        .flush_interval_ms
        .unwrap_or(config.flush_interval_ms)
        .max(100);
    config.db_max_connections = args
        .db_max_connections
        .or(file.db_max_connections)
        .unwrap_or(config.db_max_connections);
    config.public_url = args
        .public_url
        .or(file.public_url)
        .map(|url| crate::core::config::check_public_url(&url, config.http))
        .transpose()
        .map_err(anyhow::Error::msg)?;
    config.agent_binary = args.agent_binary.or(file.agent_binary);
    if config.tls_cert.is_some() != config.tls_key.is_some() {
        bail!("tls_cert and tls_key must be given together");
    }
    Ok(config)
}

/// What an administrator needs right after start: where to go, what to pin, how to log in.
fn banner(
    base_url: &str,
    data_dir: &Path,
    tls: Option<&crate::core::tls::TlsMaterial>,
    password: Option<&str>,
) -> String {
    let mut lines = vec![
        format!("Kanri server listening on {base_url}"),
        format!("Web console: {}/", base_url.trim_end_matches('/')),
    ];
    if let Some(tls) = tls {
        lines.push(format!(
            "TLS certificate SHA-256 fingerprint (agents' --ca-fingerprint): {}",
            tls.fingerprint
        ));
    }
    if let Some(password) = password {
        lines.push(format!("First administrator: admin / {password}"));
        lines.push(format!(
            "(also written to {}; you will be asked to change it at first login)",
            data_dir.join("initial-admin-password").display()
        ));
    }
    lines.join("\n")
}

async fn serve(config: Config) -> anyhow::Result<()> {
    tracing::info!(message = "Starting.", config = ?config);
    let data_dir = config.data_dir.clone();
    let server = Server::prepare(config).await?;
    let (tls, password) = (server.tls.clone(), server.initial_password.clone());
    let running = server.start().await?;
    println!(
        "{}",
        banner(
            &running.base_url,
            &data_dir,
            tls.as_ref(),
            password.as_deref()
        )
    );
    wait_for_signal().await;
    tracing::info!(message = "Shutting down.");
    running.shutdown().await;
    Ok(())
}

async fn wait_for_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}

async fn demo(mut args: ServeArgs) -> anyhow::Result<()> {
    if args.listen.is_none() {
        args.listen = Some(std::net::SocketAddr::from(([127, 0, 0, 1], 31443)));
    }
    let config = resolve(args)?;
    let data_dir = config.data_dir.clone();
    let server = Server::prepare(config).await?;
    let fingerprint = server.tls.as_ref().map(|tls| tls.fingerprint.clone());
    let token = crate::agents::service::create_token(
        &server.state.db,
        "demo",
        Some(std::time::Duration::from_secs(600)),
        Some(1),
    )
    .await?;
    let (tls, password) = (server.tls.clone(), server.initial_password.clone());
    let running = server.start().await?;
    println!(
        "{}",
        banner(
            &running.base_url,
            &data_dir,
            tls.as_ref(),
            password.as_deref()
        )
    );
    if password.is_none() {
        println!(
            "The admin password was shown at the first start ({}).",
            data_dir.join("initial-admin-password").display()
        );
    }
    let agent_state = data_dir.join("demo-agent");
    let mut child = start_demo_agent(
        &running.base_url,
        &token,
        fingerprint.as_deref(),
        &agent_state,
    )?;
    println!(
        "A local agent (state in {}) is managing this machine. Press Ctrl-C to stop.",
        agent_state.display()
    );
    wait_for_signal().await;
    let _ = child.kill();
    let _ = child.wait();
    running.shutdown().await;
    Ok(())
}

fn agent_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let beside = exe.with_file_name("kanri-agent");
    if beside.exists() {
        return Ok(beside);
    }
    bail!(
        "kanri-agent was not found beside {}; build both with `cargo build --release` first",
        exe.display()
    )
}

fn start_demo_agent(
    base_url: &str,
    token: &str,
    fingerprint: Option<&str>,
    state_dir: &Path,
) -> anyhow::Result<Child> {
    let agent = agent_binary()?;
    if !state_dir.join("state.json").exists() {
        let mut enroll = Process::new(&agent);
        enroll
            .args([
                "enroll",
                "--server",
                base_url,
                "--token",
                token,
                "--state-dir",
            ])
            .arg(state_dir);
        match fingerprint {
            Some(fingerprint) => enroll.args(["--ca-fingerprint", fingerprint]),
            None => enroll.arg("--insecure-http"),
        };
        let status = enroll.status().context("cannot run kanri-agent enroll")?;
        if !status.success() {
            bail!("kanri-agent enroll failed ({status})");
        }
    }
    Process::new(&agent)
        .args(["run", "--state-dir"])
        .arg(state_dir)
        .spawn()
        .context("cannot start kanri-agent run")
}
