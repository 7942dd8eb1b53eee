//! The application: shared state, the full router, and the server's start and stop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::sync::watch;

use crate::agents::runtime::AgentRuntime;
use crate::core::config::Config;
use crate::core::db::Db;
use crate::core::jobs::JobRunner;
use crate::core::tls::TlsMaterial;
use crate::inventory::catalogue::SoftwareCatalogue;
use crate::inventory::catalogue_writer::CatalogueWriter;

/// What every handler and job shares.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// Settings.
    pub config: Arc<Config>,
    /// This node's agent caches and buffers.
    pub agents: Arc<AgentRuntime>,
    /// This node's software-catalogue cache.
    pub software: Arc<SoftwareCatalogue>,
    /// Creates the catalogue entries concurrent uploads miss, together.
    pub catalogue_writer: Arc<CatalogueWriter>,
    /// Prometheus recorder.
    pub metrics: PrometheusHandle,
    /// The served certificate's pins, unless serving plain HTTP (the agent install command).
    pub tls: Option<Arc<TlsMaterial>>,
}

/// The full router: agent API, REST API, health and metrics.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/api/v1/openapi.json", get(openapi))
        .merge(crate::agents::routes::router())
        .merge(crate::agent_settings::routes::router())
        .merge(crate::devices::routes::router())
        .merge(crate::inventory::routes::router())
        .merge(crate::events::routes::router())
        .merge(crate::accounts::routes::router())
        .merge(crate::audit::routes::router())
        .merge(crate::departments::routes::router())
        .merge(crate::lists::routes::router())
        .merge(crate::assets::routes::router())
        .merge(crate::console::router())
        .layer(axum::middleware::from_fn(crate::core::metrics::track_http))
        .with_state(state)
}

async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match sqlx::query("SELECT 1").execute(state.db.read()).await {
        Ok(_) => (
            axum::http::StatusCode::OK,
            Json(serde_json::json!({"status": "ok"})),
        ),
        Err(error) => {
            tracing::error!(message = "Health check failed.", %error);
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "database unavailable"})),
            )
        }
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let (size, idle) = state.db.pool_stats();
    ::metrics::gauge!(crate::core::metrics::DB_CONNECTIONS).set(f64::from(size));
    ::metrics::gauge!(crate::core::metrics::DB_IDLE).set(idle as f64);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}

/// The OpenAPI document of the REST API.
pub const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

/// A server that has been prepared (database migrated, admin created, TLS ready) but not
/// yet started.
pub struct Server {
    /// Shared state.
    pub state: AppState,
    /// TLS material, unless serving plain HTTP.
    pub tls: Option<TlsMaterial>,
    /// The first administrator's password, when this start created the account.
    pub initial_password: Option<String>,
    shutdown_tx: watch::Sender<bool>,
}

/// A running server.
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// `http://…` or `https://…`.
    pub base_url: String,
    shutdown_tx: watch::Sender<bool>,
    handle: axum_server::Handle,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    state: AppState,
}

impl Server {
    /// Connects the database, applies migrations, creates the first admin and prepares TLS.
    ///
    /// # Errors
    /// Anything that stops the server from starting, with context.
    pub async fn prepare(config: Config) -> anyhow::Result<Server> {
        use anyhow::Context;
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!("cannot create data directory {}", config.data_dir.display())
        })?;
        let url = config.effective_database_url();
        let db = Db::connect(&url, config.db_max_connections)
            .await
            .with_context(|| {
                format!(
                    "cannot open database {}",
                    crate::core::config::redact_url(&url)
                )
            })?;
        let keyed = crate::devices::addresses::backfill_ip_keys(&db)
            .await
            .context("cannot give stored IP addresses their range keys")?;
        if keyed > 0 {
            tracing::info!(
                message = "Stored IP addresses got their range keys.",
                rows = keyed
            );
        }
        let initial_password = crate::accounts::service::bootstrap_admin(&db).await?;
        if let Some(password) = &initial_password {
            let path = config.data_dir.join("initial-admin-password");
            crate::core::tls::write_private(&path, format!("{password}\n").as_bytes())?;
        }
        let tls = if config.http {
            None
        } else {
            Some(crate::core::tls::prepare(
                &config.data_dir,
                config.tls_cert.as_deref(),
                config.tls_key.as_deref(),
            )?)
        };
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let software = Arc::new(SoftwareCatalogue::default());
        let catalogue_writer = Arc::new(CatalogueWriter::start(db.clone(), software.clone()));
        let state = AppState {
            db,
            config: Arc::new(config),
            agents: Arc::new(AgentRuntime::new(shutdown_rx)),
            software,
            catalogue_writer,
            metrics: crate::core::metrics::handle(),
            tls: tls.clone().map(Arc::new),
        };
        Ok(Server {
            state,
            tls,
            initial_password,
            shutdown_tx,
        })
    }

    /// Binds the listener and starts serving and the job runner.
    ///
    /// # Errors
    /// When the address cannot be bound or TLS cannot be loaded.
    pub async fn start(self) -> anyhow::Result<Running> {
        use anyhow::Context;
        let config = self.state.config.clone();
        let listener = std::net::TcpListener::bind(config.listen)
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let handle = axum_server::Handle::new();
        let router = app(self.state.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        let host = if addr.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else {
            addr.ip().to_string()
        };
        let base_url = format!("{scheme}://{host}:{}", addr.port());
        let serve_handle = handle.clone();
        let server_task = match &self.tls {
            Some(tls) => {
                let _ = rustls::crypto::ring::default_provider().install_default();
                let rustls_config = axum_server::tls_rustls::RustlsConfig::from_pem_file(
                    &tls.cert_path,
                    &tls.key_path,
                )
                .await
                .context("cannot load the TLS certificate and key")?;
                let server =
                    axum_server::from_tcp_rustls(listener, rustls_config).handle(serve_handle);
                tokio::spawn(async move {
                    if let Err(error) = server.serve(router).await {
                        tracing::error!(message = "Server stopped with an error.", %error);
                    }
                })
            }
            None => {
                let server = axum_server::from_tcp(listener).handle(serve_handle);
                tokio::spawn(async move {
                    if let Err(error) = server.serve(router).await {
                        tracing::error!(message = "Server stopped with an error.", %error);
                    }
                })
            }
        };
        let runner = JobRunner::new(self.state.db.clone(), crate::core::secrets::random_id())
            .schedule(crate::agents::jobs::flush_last_seen(self.state.clone()))
            .schedule(crate::agents::jobs::sync_pending(self.state.clone()))
            .schedule(crate::agents::jobs::refresh_credentials(self.state.clone()))
            .schedule(crate::inventory::jobs::merge_index(self.state.clone()))
            .schedule(crate::inventory::jobs::recount(self.state.clone()))
            .schedule(crate::assets::licences::jobs::reconcile(self.state.clone()))
            .schedule(crate::assets::jobs::stocktake(self.state.clone()))
            .schedule(crate::audit::jobs::write_files(self.state.clone()))
            .schedule(crate::accounts::jobs::expire_sessions(self.state.clone()))
            .schedule(crate::events::jobs::retention(
                self.state.db.clone(),
                config.event_retention_days,
            ));
        let shutdown_rx = self.shutdown_tx.subscribe();
        let jobs_task = tokio::spawn(async move {
            if let Err(error) = runner.run(shutdown_rx).await {
                tracing::error!(message = "Job runner stopped with an error.", %error);
            }
        });
        let checkpoint_task = tokio::spawn(crate::core::db::run_checkpoints(
            self.state.db.clone(),
            self.shutdown_tx.subscribe(),
        ));
        let metrics_task = tokio::spawn(crate::core::metrics::run_upkeep(
            self.state.metrics.clone(),
            self.shutdown_tx.subscribe(),
        ));
        Ok(Running {
            addr,
            base_url,
            shutdown_tx: self.shutdown_tx,
            handle,
            tasks: vec![server_task, jobs_task, checkpoint_task, metrics_task],
            state: self.state,
        })
    }
}

impl Running {
    /// The shared state (tests inspect it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops accepting, lets requests in flight finish (up to 30 s), ends held channel polls,
    /// flushes buffered writes, and closes the database.
    pub async fn shutdown(self) {
        let _ = self.shutdown_tx.send(true);
        self.handle.graceful_shutdown(Some(Duration::from_secs(30)));
        for task in self.tasks {
            let _ = task.await;
        }
        if let Err(error) = crate::agents::service::flush_last_seen(&self.state).await {
            tracing::error!(message = "Final last-seen flush failed.", %error);
        }
        // Not required (queued changes survive a restart) but leaves the index current.
        if let Err(error) = crate::inventory::index::merge_queued(&self.state).await {
            tracing::error!(message = "Final index merge failed.", %error);
        }
        self.state.db.close().await;
    }
}
