//! The run, in three phases: enroll every agent, send every agent's first full inventory, then
//! check every agent in on its own schedule until `--duration` is over or Ctrl-C, sending the
//! sections the server asks for. A progress line goes to stderr every five seconds.
//!
//! At most `--concurrency` requests are in flight, a quarter of them at most inventory
//! uploads ([`Api`]). Payloads are built, hashed and compressed on blocking threads, at most
//! `--threads` at once, so the async workers only move bytes.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kanri_proto::{Action, CheckinResponse, SectionKind};
use rand::Rng;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::catalogue::Catalogue;
use crate::cli::Config;
use crate::client::{Api, Failure, Payload};
use crate::report::{Kind, Progress, RunInfo, Stats, Summary};
use crate::seed;
use crate::sim::agent::SimAgent;

const PROGRESS_EVERY: Duration = Duration::from_secs(5);
/// Tries per enrollment when the server is overloaded or unreachable.
const ENROLL_ATTEMPTS: u32 = 3;
const SCHEDULE_SALT: u64 = 0x5c4e_d01e;

/// Runs the load test and returns its report.
///
/// # Errors
/// When the server cannot be reached, or no agent could enroll.
pub async fn drive(config: Config) -> anyhow::Result<Summary> {
    let stats = Arc::new(Stats::new());
    let api = Api::new(&config, Arc::clone(&stats))?;
    api.preflight().await?;
    let (seed, packages) = (config.seed, config.software_per_agent);
    let catalogue = tokio::task::spawn_blocking(move || Catalogue::generate(seed, packages))
        .await
        .map_err(|error| anyhow::anyhow!("building the catalogue failed: {error}"))?;
    let (stop, _) = watch::channel(false);
    let cx = Arc::new(Context {
        builders: Semaphore::new(config.threads),
        config,
        api,
        catalogue,
        stats,
        stop,
        phase: Mutex::new("enroll"),
        phase_secs: Mutex::new(0.0),
    });
    tokio::spawn(stop_on_ctrl_c(Arc::clone(&cx)));
    let progress = tokio::spawn(report_progress(Arc::clone(&cx)));
    let mut run = RunInfo {
        server: cx.config.server.clone(),
        seed: cx.config.seed,
        agents: cx.config.agents,
        software_per_agent: cx.config.software_per_agent,
        checkin_interval_secs: cx.config.checkin_interval.as_secs_f64(),
        target_checkins_per_sec: cx.config.target_checkins_per_sec(),
        ..RunInfo::default()
    };

    let started = Instant::now();
    let agents = enroll_all(&cx).await;
    run.phases.enroll_secs = started.elapsed().as_secs_f64();
    run.enrolled = agents.len() as u32;
    if agents.is_empty() {
        progress.abort();
        anyhow::bail!("no agent could enroll: {}", enroll_failure(&cx.stats));
    }

    let agents = upload_all(&cx, agents).await;
    run.phases.inventory_full_secs = cx.phase_secs();

    if !cx.stopped() && !cx.config.settle.is_zero() {
        cx.set_phase("settle");
        let mut stop = cx.stop.subscribe();
        tokio::select! {
            () = tokio::time::sleep(cx.config.settle) => {}
            _ = stop.changed() => {}
        }
        run.phases.settle_secs = cx.config.settle.as_secs_f64();
    }
    if !cx.stopped() {
        cx.set_phase("checkin");
        let started = Instant::now();
        check_in_all(&cx, agents).await;
        run.phases.checkin_secs = started.elapsed().as_secs_f64();
    }
    progress.abort();
    run.interrupted = cx.stopped();
    Ok(cx.stats.summary(run))
}

struct Context {
    config: Config,
    api: Api,
    catalogue: Catalogue,
    stats: Arc<Stats>,
    /// Set by Ctrl-C; kept here so it outlives every receiver.
    stop: watch::Sender<bool>,
    /// Bounds payload building to `--threads` at once.
    builders: Semaphore,
    phase: Mutex<&'static str>,
    /// Length of the last timed phase (upload phases exclude building their payloads).
    phase_secs: Mutex<f64>,
}

impl Context {
    fn stopped(&self) -> bool {
        *self.stop.borrow()
    }

    fn set_phase(&self, phase: &'static str) {
        *self
            .phase
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = phase;
    }

    fn set_phase_secs(&self, secs: f64) {
        *self
            .phase_secs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = secs;
    }

    fn phase_secs(&self) -> f64 {
        *self
            .phase_secs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn phase(&self) -> &'static str {
        *self
            .phase
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs CPU-heavy `work` (building, hashing, compressing) off the async workers.
    ///
    /// # Panics
    /// When `work` panics: the panic is carried over to the caller.
    async fn on_builder<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> T {
        // The semaphore is never closed.
        let _permit = self.builders.acquire().await.ok();
        match tokio::task::spawn_blocking(work).await {
            Ok(value) => value,
            Err(error) => std::panic::resume_unwind(error.into_panic()),
        }
    }
}

async fn stop_on_ctrl_c(cx: Arc<Context>) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    eprintln!("kanri-loadgen: stopping after the requests in flight (Ctrl-C again to quit now)");
    cx.stop.send_replace(true);
    if tokio::signal::ctrl_c().await.is_ok() {
        std::process::exit(130);
    }
}

async fn report_progress(cx: Arc<Context>) {
    let mut progress = Progress::new();
    let mut ticker = tokio::time::interval_at(Instant::now() + PROGRESS_EVERY, PROGRESS_EVERY);
    loop {
        ticker.tick().await;
        eprintln!("{}", progress.line(&cx.stats, cx.phase()));
    }
}

fn enroll_failure(stats: &Stats) -> String {
    match stats.top_error(Kind::Enroll) {
        Some((key, count, example)) => {
            let hint = if key.starts_with("401") || key.starts_with("403") {
                "; check --token, its expiry and that it has at least --agents uses"
            } else {
                ""
            };
            format!("{key} ×{count} ({example}){hint}")
        }
        None => "stopped before any enrollment".to_string(),
    }
}

enum Enrollment {
    Enrolled(Box<SimAgent>),
    Refused(Failure),
    Failed,
}

/// Enrolls agents until all are in, the token is refused or Ctrl-C; returns them in order.
async fn enroll_all(cx: &Arc<Context>) -> Vec<SimAgent> {
    let mut tasks = JoinSet::new();
    let mut enrolled = Vec::with_capacity(cx.config.agents as usize);
    let mut refusal: Option<Failure> = None;
    let first = cx.config.first_agent;
    // `Config` checked that the last number fits.
    for index in first..first.saturating_add(cx.config.agents) {
        while tasks.len() >= cx.config.concurrency {
            let outcome = tasks.join_next().await;
            collect_enrollment(outcome, &mut enrolled, &mut refusal);
        }
        if cx.stopped() || refusal.is_some() {
            break;
        }
        tasks.spawn(enroll_one(Arc::clone(cx), index));
    }
    while let Some(outcome) = tasks.join_next().await {
        collect_enrollment(Some(outcome), &mut enrolled, &mut refusal);
    }
    if let (Some(failure), false) = (&refusal, enrolled.is_empty()) {
        eprintln!(
            "kanri-loadgen: enrollment refused ({}) after {} agents; going on with them",
            failure.key,
            enrolled.len()
        );
    }
    enrolled.sort_by_key(SimAgent::index);
    enrolled
}

fn collect_enrollment(
    outcome: Option<Result<Enrollment, tokio::task::JoinError>>,
    enrolled: &mut Vec<SimAgent>,
    refusal: &mut Option<Failure>,
) {
    match outcome {
        Some(Ok(Enrollment::Enrolled(agent))) => enrolled.push(*agent),
        Some(Ok(Enrollment::Refused(failure))) => {
            refusal.get_or_insert(failure);
        }
        Some(Ok(Enrollment::Failed)) | None => {}
        Some(Err(error)) => eprintln!("kanri-loadgen: an enrollment task failed: {error}"),
    }
}

async fn enroll_one(cx: Arc<Context>, index: u32) -> Enrollment {
    let config = &cx.config;
    let mut agent = SimAgent::new(&cx.catalogue, config.seed, index, config.software_per_agent);
    let body = serde_json::to_vec(&agent.enroll_request(&config.token)).unwrap_or_default();
    for attempt in 1..=ENROLL_ATTEMPTS {
        match cx.api.enroll(body.clone()).await {
            Ok(credentials) => {
                agent.adopt(&credentials);
                return Enrollment::Enrolled(Box::new(agent));
            }
            Err(failure) if failure.is_refusal() => return Enrollment::Refused(failure),
            Err(failure) if failure.is_transient() && attempt < ENROLL_ATTEMPTS => {
                let backoff = 500 * 2u64.pow(attempt) + rand::thread_rng().gen_range(0..250);
                tokio::time::sleep(Duration::from_millis(backoff)).await;
                if cx.stopped() {
                    return Enrollment::Failed;
                }
            }
            Err(_) => return Enrollment::Failed,
        }
    }
    Enrollment::Failed
}

/// Most bytes of compressed first-inventory payloads built ahead of the upload phase; past
/// this, payloads are built while uploading (and the load generator competes with the server
/// for CPU, which the report then understates).
const PREBUILD_BUDGET: u64 = 2 << 30;
/// Compressed bytes per package, to estimate the payloads' total before building them.
const GZ_BYTES_PER_PACKAGE: u64 = 40;

/// Sends every agent's first full inventory; returns the agents in order, with the hashes of
/// what they sent, whether or not the upload succeeded (the server asks again if it must).
///
/// The payloads are built (serialized, hashed, compressed) before the first upload when they
/// fit in [`PREBUILD_BUDGET`], so the upload phase measures the server, not this process.
async fn upload_all(cx: &Arc<Context>, agents: Vec<SimAgent>) -> Vec<SimAgent> {
    let estimate =
        agents.len() as u64 * (cx.config.software_per_agent as u64 + 50) * GZ_BYTES_PER_PACKAGE;
    let prepared: Vec<(SimAgent, Option<Payload>)> = if estimate <= PREBUILD_BUDGET {
        cx.set_phase("inventory-build");
        build_all(cx, agents).await
    } else {
        eprintln!(
            "kanri-loadgen: first inventories (~{} MiB) are built while uploading",
            estimate >> 20
        );
        agents.into_iter().map(|agent| (agent, None)).collect()
    };
    cx.set_phase("inventory-full");
    let started = Instant::now();
    let mut tasks = JoinSet::new();
    let mut done = Vec::with_capacity(prepared.len());
    let mut collect = |outcome: Option<Result<SimAgent, tokio::task::JoinError>>| match outcome {
        Some(Ok(agent)) => done.push(agent),
        Some(Err(error)) => eprintln!("kanri-loadgen: an inventory task failed: {error}"),
        None => {}
    };
    for (agent, payload) in prepared {
        while tasks.len() >= cx.config.concurrency {
            collect(tasks.join_next().await);
        }
        tasks.spawn(upload_full(Arc::clone(cx), agent, payload));
    }
    while let Some(outcome) = tasks.join_next().await {
        collect(Some(outcome));
    }
    done.sort_by_key(SimAgent::index);
    cx.set_phase_secs(started.elapsed().as_secs_f64());
    done
}

/// Builds every agent's first full upload on the builder threads.
async fn build_all(cx: &Arc<Context>, agents: Vec<SimAgent>) -> Vec<(SimAgent, Option<Payload>)> {
    let mut tasks = JoinSet::new();
    let mut built = Vec::with_capacity(agents.len());
    for agent in agents {
        while tasks.len() >= cx.config.threads.max(1) * 2 {
            if let Some(Ok(pair)) = tasks.join_next().await {
                built.push(pair);
            }
        }
        let cx = Arc::clone(cx);
        tasks.spawn(async move {
            let builder = Arc::clone(&cx);
            let (agent, payload) = cx.on_builder(move || build_full(agent, &builder)).await;
            (agent, Some(payload))
        });
    }
    while let Some(outcome) = tasks.join_next().await {
        match outcome {
            Ok(pair) => built.push(pair),
            Err(error) => eprintln!("kanri-loadgen: building an inventory failed: {error}"),
        }
    }
    built.sort_by_key(|(agent, _)| agent.index());
    built
}

fn build_full(mut agent: SimAgent, cx: &Context) -> (SimAgent, Payload) {
    let json = agent.full_upload(&cx.catalogue);
    (agent, Payload::json(json))
}

async fn upload_full(cx: Arc<Context>, agent: SimAgent, payload: Option<Payload>) -> SimAgent {
    let (agent, payload) = match payload {
        Some(payload) => (agent, payload),
        None => {
            let builder = Arc::clone(&cx);
            cx.on_builder(move || build_full(agent, &builder)).await
        }
    };
    if cx.stopped() {
        return agent;
    }
    if let Some(auth) = agent.auth() {
        // Failures are counted; the server will ask for what it lacks at check-in.
        let _ = cx.api.inventory(Kind::InventoryFull, auth, payload).await;
    }
    agent
}

/// Runs every agent's check-in loop until the duration is over or Ctrl-C.
async fn check_in_all(cx: &Arc<Context>, agents: Vec<SimAgent>) {
    let start = Instant::now();
    let deadline = start + cx.config.duration;
    let mut tasks = JoinSet::new();
    for agent in agents {
        tasks.spawn(check_in_loop(Arc::clone(cx), agent, start, deadline));
    }
    while let Some(outcome) = tasks.join_next().await {
        if let Err(error) = outcome {
            eprintln!("kanri-loadgen: a check-in task failed: {error}");
        }
    }
}

/// One agent: the first check-in at a random point of the first interval, then one every
/// interval ±10 %, never catching up on missed ones; a change every `--inventory-every`,
/// the first at a random point of the first period.
async fn check_in_loop(cx: Arc<Context>, mut agent: SimAgent, start: Instant, deadline: Instant) {
    let mut stop = cx.stop.subscribe();
    let mut rng = seed::rng(
        cx.config.seed,
        SCHEDULE_SALT + (u64::from(agent.index()) << 20),
    );
    let interval = cx.config.checkin_interval;
    let every = cx.config.inventory_every;
    let mut next = start + interval.mul_f64(rng.gen::<f64>());
    let mut next_change = start + every.mul_f64(rng.gen::<f64>());
    while next < deadline {
        tokio::select! {
            () = tokio::time::sleep_until(next) => {}
            _ = stop.changed() => break,
        }
        if Instant::now() >= next_change {
            let builder = Arc::clone(&cx);
            agent = Box::pin(cx.on_builder(move || {
                let mut agent = agent;
                agent.change(&builder.catalogue);
                agent
            }))
            .await;
            cx.stats.record_change();
            next_change += every;
        }
        let Some(auth) = agent.auth() else { break };
        // Boxed, here and below, so the 20,000 idle loops stay a few hundred bytes each
        // instead of carrying a request's state.
        let reply = Box::pin(cx.api.checkin(auth, agent.checkin_body(), next.into_std())).await;
        if let Ok(reply) = reply {
            agent = Box::pin(answer(&cx, agent, reply, deadline)).await;
        }
        next += interval.mul_f64(rng.gen_range(0.9..1.1));
        next = next.max(Instant::now());
    }
}

/// Acts on a check-in reply: adopts reassigned credentials and sends the sections asked for
/// (all of them for a refresh command), unless the run is over.
async fn answer(
    cx: &Arc<Context>,
    mut agent: SimAgent,
    reply: CheckinResponse,
    deadline: Instant,
) -> SimAgent {
    if let Some(credentials) = &reply.reassigned {
        cx.stats.record_reassigned();
        agent.adopt(credentials);
    }
    let refresh = reply
        .commands
        .iter()
        .any(|command| command.action == Action::RefreshInventory);
    if refresh {
        cx.stats.record_refresh_command();
    }
    cx.stats.record_wanted(&reply.wanted_sections);
    let wanted: Vec<SectionKind> = if refresh {
        SectionKind::ALL.to_vec()
    } else {
        SectionKind::ALL
            .into_iter()
            .filter(|kind| reply.wanted_sections.contains(kind))
            .collect()
    };
    if wanted.is_empty() || Instant::now() >= deadline || cx.stopped() {
        return agent;
    }
    let kind = if wanted.len() == SectionKind::ALL.len() {
        Kind::InventoryFull
    } else {
        Kind::InventoryDelta
    };
    let builder = Arc::clone(cx);
    let (agent, payload) = cx
        .on_builder(move || {
            let json = agent.sections_upload(&builder.catalogue, &wanted);
            (agent, Payload::json(json))
        })
        .await;
    if let Some(auth) = agent.auth() {
        // Failures are counted; the server asks again at the next check-in.
        let _ = cx.api.inventory(kind, auth, payload).await;
    }
    agent
}
