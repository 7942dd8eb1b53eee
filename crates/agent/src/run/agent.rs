//! The main loop: collect on the inventory timer, check in on the check-in timer, send what
//! the server asks for, apply the agent settings it pushes, run commands, and retry the
//! offline queue with backoff.

use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use kanri_proto::settings::CHECKIN_INTERVAL_SECS;
use kanri_proto::{
    Action, AgentSettings, CheckinRequest, CheckinResponse, Command, EnrollResponse, Text,
};

use crate::backoff::{jitter, Backoff};
use crate::collect::CollectContext;
use crate::enroll;
use crate::lock::StateLock;
use crate::log::{log_error, log_info, log_warn, unix_now};
use crate::memory;
use crate::queue::{EntryKind, Queue, QueueConfig};
use crate::shutdown::{self, Shutdown};
use crate::state::{load_settings, save_settings, State, Status};
use crate::transport::{SharedCredentials, Transport, TransportConfig, TransportError};

use super::commands::SeenCommands;
use super::snapshot::{Scope, Snapshot};
use super::{channel, prompts, Event, EVENT_CAPACITY};

/// Check-in intervals vary by this fraction either way, so agents spread out. A failed
/// check-in is retried after 5 s doubling, but never later than the interval.
const CHECKIN_JITTER: f64 = 0.1;

/// How `run` was invoked.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The state dir.
    pub state_dir: PathBuf,
    /// One cycle, then exit.
    pub once: bool,
    /// Overrides the inventory interval of the agent settings.
    pub inventory_interval_secs: Option<u64>,
}

/// Runs the agent until SIGTERM (or one cycle with `once`).
///
/// # Errors
/// Not enrolled, credentials refused ([`TransportError::Unauthorized`], which the caller
/// maps to its own exit code), state that cannot be written, or with `once` any failed step.
pub fn run(config: &RunConfig) -> anyhow::Result<()> {
    memory::limit_arenas();
    let state = State::load_enrolled(&config.state_dir)?;
    let _lock = StateLock::acquire(&config.state_dir)?;
    let shutdown = Shutdown::new();
    let (events, inbox) = sync_channel(EVENT_CAPACITY);
    let wake = events.clone();
    shutdown::install(shutdown.clone(), move || {
        // A full channel already wakes the loop, which then sees the shutdown flag.
        let _ = wake.try_send(Event::Shutdown);
    })?;
    let mut agent = Agent::open(config, state, shutdown.clone())?;
    log_info!(
        "Agent {} starting: server {}, settings version {}, check-in every {} s, inventory every {} s, {} queued.",
        agent.agent_id(),
        agent.state.server_url,
        agent.settings.version,
        agent.checkin_interval.as_secs(),
        agent.inventory_interval.as_secs(),
        agent.queue.len()
    );
    if config.once {
        return agent.run_once();
    }
    let channel_transport = Transport::new(
        &TransportConfig::channel(&agent.state.server_url, agent.state.pin),
        agent.transport.credentials().clone(),
    )?;
    channel::spawn(channel_transport, events, shutdown.clone())
        .context("starting the channel thread")?;
    prompts::spawn(agent.transport.clone(), config.state_dir.clone(), shutdown)
        .context("starting the prompt thread")?;
    agent.run_loop(&inbox)
}

/// A step failed in a way that must stop the agent.
#[derive(Debug)]
struct Fatal(anyhow::Error);

impl From<anyhow::Error> for Fatal {
    fn from(error: anyhow::Error) -> Fatal {
        Fatal(error)
    }
}

/// How a check-in cycle went, when nothing fatal happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cycle {
    /// The check-in itself succeeded.
    checked_in: bool,
    /// Every upload and the queue flush succeeded too.
    complete: bool,
}

struct Agent {
    dir: PathBuf,
    state: State,
    /// The agent settings in force; their version is reported at every check-in.
    settings: AgentSettings,
    /// `--inventory-interval`, which wins over the settings.
    inventory_override: Option<u64>,
    transport: Transport,
    queue: Queue,
    status: Status,
    collect_cx: CollectContext,
    snapshot: Option<Snapshot>,
    /// When the snapshot was taken; the inventory timer runs from it.
    collected_at: Option<Instant>,
    inventory_interval: Duration,
    checkin_interval: Duration,
    checkin_backoff: Backoff,
    queue_backoff: Backoff,
    queue_retry_at: Option<Instant>,
    seen: SeenCommands,
    shutdown: Arc<Shutdown>,
}

impl Agent {
    /// The agent of an enrolled state dir, with the settings it applied last (or the defaults),
    /// before its first check-in.
    fn open(config: &RunConfig, state: State, shutdown: Arc<Shutdown>) -> anyhow::Result<Agent> {
        let dir = config.state_dir.clone();
        let settings = load_settings(&dir).unwrap_or_else(|error| {
            log_warn!("{error:#}; using the default settings until the server sends them.");
            AgentSettings::default()
        });
        let credentials = SharedCredentials::new(state.credentials.clone());
        let transport = Transport::new(
            &TransportConfig::requests(&state.server_url, state.pin),
            credentials,
        )?;
        let queue = Queue::open(&dir.join("queue"), QueueConfig::from_settings(&settings))
            .context("opening the offline queue")?;
        let mut agent = Agent {
            collect_cx: CollectContext {
                root: "/".into(),
                cache_dir: Some(dir.join("cache")),
            },
            dir,
            inventory_override: config.inventory_interval_secs,
            inventory_interval: Duration::ZERO,
            checkin_interval: Duration::from_secs(clamp_interval(state.checkin_interval_secs)),
            settings,
            state,
            transport,
            queue,
            status: Status::load(&config.state_dir),
            snapshot: None,
            collected_at: None,
            checkin_backoff: Backoff::new(Duration::from_secs(5), Duration::from_secs(300)),
            queue_backoff: Backoff::standard(),
            queue_retry_at: None,
            seen: SeenCommands::default(),
            shutdown,
        };
        agent.inventory_interval = agent.inventory_interval_for(&agent.settings);
        Ok(agent)
    }

    fn inventory_interval_for(&self, settings: &AgentSettings) -> Duration {
        Duration::from_secs(
            self.inventory_override
                .unwrap_or(settings.inventory_interval_secs),
        )
    }

    fn run_once(&mut self) -> anyhow::Result<()> {
        self.collect();
        let cycle = self.cycle().map_err(|Fatal(error)| error)?;
        if !cycle.checked_in || !cycle.complete {
            let last = self
                .status
                .last_error
                .clone()
                .unwrap_or_else(|| "unknown error".into());
            anyhow::bail!("cycle incomplete: {last}");
        }
        log_info!("Cycle complete.");
        Ok(())
    }

    fn run_loop(&mut self, inbox: &Receiver<Event>) -> anyhow::Result<()> {
        let mut next_checkin = Instant::now();
        while !self.shutdown.is_requested() {
            let now = Instant::now();
            if self.next_collect().is_none_or(|at| now >= at) {
                self.collect();
            }
            if now >= next_checkin && !self.shutdown.is_requested() {
                let cycle = self.cycle().map_err(|Fatal(error)| error)?;
                let delay = if cycle.checked_in {
                    self.checkin_backoff.reset();
                    jitter(self.checkin_interval, CHECKIN_JITTER)
                } else {
                    self.checkin_backoff
                        .fail()
                        .min(jitter(self.checkin_interval, CHECKIN_JITTER))
                };
                next_checkin = Instant::now() + delay;
            }
            if self.queue_retry_at.is_some_and(|at| Instant::now() >= at) {
                self.flush_queue().map_err(|Fatal(error)| error)?;
            }
            // After the check-in: new settings may have moved the inventory timer.
            let mut wake_at = next_checkin;
            if let Some(at) = self.next_collect() {
                wake_at = wake_at.min(at);
            }
            if let Some(at) = self.queue_retry_at {
                wake_at = wake_at.min(at);
            }
            // Hand back what the burst of work since the last wait allocated.
            memory::trim();
            let timeout = wake_at.saturating_duration_since(Instant::now());
            match inbox.recv_timeout(timeout) {
                Ok(Event::Commands(commands)) => {
                    self.execute(commands).map_err(|Fatal(error)| error)?;
                }
                Ok(Event::Shutdown) => break,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    self.shutdown.sleep(timeout);
                }
            }
        }
        log_info!("Stopped.");
        Ok(())
    }

    /// When the inventory timer fires next: one interval after the last collection (any
    /// collection, also one for a refresh command); `None` before the first.
    fn next_collect(&self) -> Option<Instant> {
        self.collected_at.map(|at| at + self.inventory_interval)
    }

    /// Collects the inventory into the snapshot.
    fn collect(&mut self) {
        let started = Instant::now();
        let snapshot = Snapshot::collect(&self.collect_cx, unix_now());
        log_info!(
            "Collected inventory: {} section(s) in {} ms.",
            snapshot.section_count(),
            started.elapsed().as_millis()
        );
        self.snapshot = Some(snapshot);
        self.collected_at = Some(Instant::now());
    }

    /// One check-in with everything its reply asks for.
    fn cycle(&mut self) -> Result<Cycle, Fatal> {
        let request = self.checkin_request();
        let reply = match self.transport.checkin(&request) {
            Ok(reply) => reply,
            Err(error) => {
                self.failed("check-in", &error)?;
                return Ok(Cycle {
                    checked_in: false,
                    complete: false,
                });
            }
        };
        self.status.last_checkin_at = Some(unix_now());
        self.save_status();
        let complete = self.handle_reply(reply)?;
        Ok(Cycle {
            checked_in: true,
            complete,
        })
    }

    fn handle_reply(&mut self, reply: CheckinResponse) -> Result<bool, Fatal> {
        if let Some(reassigned) = reply.reassigned {
            self.adopt(reassigned)?;
        }
        if let Some(settings) = reply.settings {
            self.apply_settings(&settings)?;
        }
        if reply.next_checkin_secs > 0 {
            self.set_checkin_interval(reply.next_checkin_secs)?;
        }
        // Queued uploads are older than anything sent below, so they go first.
        let mut complete = self.flush_queue()?;
        if !self.state.inventory_sent {
            complete &= self.upload(&Scope::Full)?;
        } else if !reply.wanted_sections.is_empty() {
            complete &= self.upload(&Scope::Sections(reply.wanted_sections))?;
        }
        complete &= self.execute(reply.commands)?;
        Ok(complete)
    }

    fn checkin_request(&self) -> CheckinRequest {
        let (fingerprint, section_hashes) = match &self.snapshot {
            Some(snapshot) => (snapshot.fingerprint(), snapshot.hashes().clone()),
            None => (String::new(), Default::default()),
        };
        CheckinRequest {
            host_id: Text::from(self.host_id()),
            agent_version: Text::from(env!("CARGO_PKG_VERSION")),
            fingerprint: Text::from(fingerprint),
            section_hashes,
            queue_len: u32::try_from(self.queue.len()).unwrap_or(u32::MAX),
            settings_version: self.settings.version,
        }
    }

    /// Sends inventory now; on a retryable failure the body goes to the offline queue.
    /// Returns whether it reached the server.
    fn upload(&mut self, scope: &Scope) -> Result<bool, Fatal> {
        if self.snapshot.is_none() {
            self.collect();
        }
        let Some(snapshot) = &self.snapshot else {
            return Ok(false);
        };
        let (kind, body) = match snapshot.upload(self.host_id(), scope) {
            Ok(encoded) => encoded,
            Err(error) => {
                self.failed("encoding inventory", &error)?;
                return Ok(false);
            }
        };
        if self.queue_retry_at.is_some() {
            // The server refused the last queued upload; this one waits behind it rather
            // than add to the load of a struggling server.
            self.enqueue(kind, &body);
            return Ok(false);
        }
        match self.transport.upload(kind.path(), &body) {
            Ok(reply) => {
                log_info!(
                    "Sent {}: {} section(s) accepted.",
                    kind.describe(),
                    reply.accepted.len()
                );
                self.sent(kind)?;
                Ok(true)
            }
            Err(error) => {
                self.failed("inventory upload", &error)?;
                if error.is_retryable() {
                    self.enqueue(kind, &body);
                }
                Ok(false)
            }
        }
    }

    fn enqueue(&mut self, kind: EntryKind, body: &[u8]) {
        match self.queue.push(kind, body) {
            Ok(outcome) if outcome.refused => {
                log_warn!(
                    "Inventory of {} bytes is larger than the offline queue; dropped.",
                    body.len()
                );
            }
            Ok(outcome) => {
                log_info!(
                    "Queued {} for later ({} queued, {} superseded, {} dropped).",
                    kind.describe(),
                    self.queue.len(),
                    outcome.superseded,
                    outcome.dropped
                );
                if self.queue_retry_at.is_none() {
                    self.queue_retry_at = Some(Instant::now() + self.queue_backoff.fail());
                }
            }
            Err(error) => log_error!("Cannot queue {}: {error}.", kind.describe()),
        }
    }

    /// Sends queued uploads oldest first until one fails retryably. Returns whether the
    /// queue is now empty.
    fn flush_queue(&mut self) -> Result<bool, Fatal> {
        loop {
            if self.shutdown.is_requested() {
                return Ok(self.queue.is_empty());
            }
            let entry = match self.queue.front() {
                Ok(Some(entry)) => entry,
                Ok(None) => break,
                Err(error) => {
                    log_error!("Reading the offline queue failed: {error}.");
                    return Ok(false);
                }
            };
            match self.transport.upload(entry.kind.path(), &entry.body) {
                Ok(_) => {
                    log_info!("Sent queued {}.", entry.kind.describe());
                    self.remove_queued(entry.sequence);
                    self.sent(entry.kind)?;
                }
                Err(error) if error.is_retryable() => {
                    self.failed("queued upload", &error)?;
                    self.queue_retry_at = Some(Instant::now() + self.queue_backoff.fail());
                    return Ok(false);
                }
                Err(error) => {
                    self.failed("queued upload (dropped)", &error)?;
                    self.remove_queued(entry.sequence);
                }
            }
        }
        self.queue_backoff.reset();
        self.queue_retry_at = None;
        Ok(true)
    }

    fn remove_queued(&mut self, sequence: u64) {
        if let Err(error) = self.queue.remove(sequence) {
            log_error!("Removing a queued upload failed: {error}.");
        }
    }

    /// Notes that an upload of `kind` reached the server.
    fn sent(&mut self, kind: EntryKind) -> Result<(), Fatal> {
        if kind == EntryKind::InventoryFull && !self.state.inventory_sent {
            self.state.inventory_sent = true;
            self.state.save(&self.dir)?;
        }
        Ok(())
    }

    /// Runs commands not seen before. Returns whether everything they sent arrived.
    fn execute(&mut self, commands: Vec<Command>) -> Result<bool, Fatal> {
        let mut refresh = false;
        for command in commands {
            if !self.seen.first_time(command.id) {
                continue;
            }
            match command.action {
                Action::RefreshInventory => {
                    log_info!("Command {}: refresh inventory.", command.id);
                    refresh = true;
                }
                Action::Unknown => {
                    log_info!(
                        "Command {}: unknown to this agent version, skipped.",
                        command.id
                    );
                }
            }
        }
        if !refresh {
            return Ok(true);
        }
        self.collect();
        self.upload(&Scope::Full)
    }

    /// Takes the identity the server gave this machine after finding its old one elsewhere.
    fn adopt(&mut self, reassigned: EnrollResponse) -> Result<(), Fatal> {
        let device_id = reassigned.device_id;
        enroll::adopt(&mut self.state, reassigned);
        self.state.checkin_interval_secs = clamp_interval(self.state.checkin_interval_secs);
        self.state
            .save(&self.dir)
            .context("saving the reassigned identity")?;
        self.transport
            .credentials()
            .set(self.state.credentials.clone());
        self.checkin_interval = Duration::from_secs(self.state.checkin_interval_secs);
        // Queued bodies carry the old host identifier; a full upload follows anyway.
        if let Err(error) = self.queue.clear() {
            log_error!("Clearing the offline queue failed: {error}.");
        }
        self.queue_retry_at = None;
        log_warn!(
            "The server found this agent's identity on another machine (cloned image); now agent {} for device {}.",
            self.agent_id(),
            device_id
        );
        Ok(())
    }

    /// Puts settings from the server into force and keeps them in `settings.json`, so they
    /// apply from the start after a restart. The next check-in reports their version.
    fn apply_settings(&mut self, received: &AgentSettings) -> Result<(), Fatal> {
        let settings = received.clamped();
        if settings != *received {
            log_warn!(
                "Agent settings version {} hold values out of range; using the nearest allowed.",
                settings.version
            );
        }
        if let Err(error) = save_settings(&self.dir, &settings) {
            // In force until a restart; the server then sees the old version and resends.
            log_error!("{error:#}.");
        }
        match self.queue.set_config(QueueConfig::from_settings(&settings)) {
            Ok(0) => {}
            Ok(dropped) => {
                log_warn!("Dropped {dropped} queued upload(s) to fit the new queue caps.")
            }
            Err(error) => log_error!("Trimming the offline queue failed: {error}."),
        }
        self.inventory_interval = self.inventory_interval_for(&settings);
        self.set_checkin_interval(settings.checkin_interval_secs)?;
        log_info!(
            "Applied agent settings version {}: check-in every {} s, inventory every {} s, offline queue up to {} uploads and {} bytes.",
            settings.version,
            self.checkin_interval.as_secs(),
            self.inventory_interval.as_secs(),
            settings.queue_max_entries,
            settings.queue_max_bytes
        );
        self.settings = settings;
        Ok(())
    }

    fn set_checkin_interval(&mut self, secs: u64) -> Result<(), Fatal> {
        let secs = clamp_interval(secs);
        self.checkin_interval = Duration::from_secs(secs);
        if self.state.checkin_interval_secs != secs {
            log_info!("Check-in interval is now {secs} s.");
            self.state.checkin_interval_secs = secs;
            self.state.save(&self.dir)?;
        }
        Ok(())
    }

    /// Logs and records a failed request; a refusal of the credentials is fatal.
    fn failed(&mut self, what: &str, error: &TransportError) -> Result<(), Fatal> {
        self.status.last_error = Some(format!("{what}: {error}"));
        self.status.last_error_at = Some(unix_now());
        self.save_status();
        if *error == TransportError::Unauthorized {
            log_error!("{what}: {error}.");
            return Err(Fatal(anyhow::Error::new(error.clone())));
        }
        if error.is_retryable() {
            log_warn!("{what} failed: {error}.");
        } else {
            log_error!("{what} failed: {error}.");
        }
        Ok(())
    }

    fn save_status(&self) {
        if let Err(error) = self.status.save(&self.dir) {
            log_warn!("Cannot write status.json: {error}.");
        }
    }

    fn host_id(&self) -> &str {
        self.state.host_id.as_deref().unwrap_or("")
    }

    fn agent_id(&self) -> &str {
        self.state
            .credentials
            .as_ref()
            .map_or("", |credentials| credentials.agent_id.as_str())
    }
}

/// Keeps a server-given interval within [`CHECKIN_INTERVAL_SECS`].
fn clamp_interval(secs: u64) -> u64 {
    secs.clamp(*CHECKIN_INTERVAL_SECS.start(), *CHECKIN_INTERVAL_SECS.end())
}

#[cfg(test)]
mod tests {
    use tempfile::TempDir;

    use super::*;
    use crate::queue::EntryKind;
    use crate::state::{Credentials, Secret};

    fn check(secs: u64, expected: u64) {
        assert_eq!(clamp_interval(secs), expected);
    }

    #[test]
    fn bounds_the_checkin_interval() {
        check(0, 10);
        check(60, 60);
        check(u64::MAX, 86_400);
    }

    /// An enrolled state dir for a server nobody listens on (no test here reaches it).
    fn enrolled(inventory_override: Option<u64>) -> (TempDir, RunConfig) {
        let dir = tempfile::tempdir().unwrap();
        let mut state = State::new("http://127.0.0.1:9".into(), None);
        state.host_id = Some("h1".into());
        state.credentials = Some(Credentials {
            agent_id: "a1".into(),
            secret: Secret::new("s".into()),
        });
        state.inventory_sent = true;
        state.save(dir.path()).unwrap();
        let config = RunConfig {
            state_dir: dir.path().to_path_buf(),
            once: true,
            inventory_interval_secs: inventory_override,
        };
        (dir, config)
    }

    fn open(config: &RunConfig) -> Agent {
        let state = State::load_enrolled(&config.state_dir).unwrap();
        Agent::open(config, state, Shutdown::new()).unwrap()
    }

    /// What the agent runs with: (settings version reported, check-in s, inventory s, queue).
    fn in_force(agent: &Agent) -> (u64, u64, u64, QueueConfig) {
        (
            agent.checkin_request().settings_version,
            agent.checkin_interval.as_secs(),
            agent.inventory_interval.as_secs(),
            agent.queue.config(),
        )
    }

    const PUSHED: AgentSettings = AgentSettings {
        version: 3,
        checkin_interval_secs: 120,
        inventory_interval_secs: 600,
        queue_max_entries: 2,
        queue_max_bytes: 2 * 1024 * 1024,
    };

    fn pushed_caps() -> QueueConfig {
        QueueConfig {
            max_entries: 2,
            max_bytes: 2 * 1024 * 1024,
        }
    }

    #[test]
    fn settings_in_a_reply_apply_persist_and_hold_after_a_restart() {
        let (dir, config) = enrolled(None);
        let mut agent = open(&config);
        assert_eq!(in_force(&agent), (0, 60, 3600, QueueConfig::default()));
        let reply = CheckinResponse {
            next_checkin_secs: 120,
            settings: Some(PUSHED),
            ..CheckinResponse::default()
        };
        assert!(agent.handle_reply(reply).unwrap());
        assert_eq!(in_force(&agent), (3, 120, 600, pushed_caps()));
        assert_eq!(load_settings(dir.path()).unwrap(), PUSHED);
        drop(agent);

        // A restart runs with them before its first check-in.
        let agent = open(&config);
        assert_eq!(in_force(&agent), (3, 120, 600, pushed_caps()));
        drop(agent);
        // `--inventory-interval` still wins over the settings.
        let overridden = RunConfig {
            inventory_interval_secs: Some(90),
            ..config
        };
        assert_eq!(in_force(&open(&overridden)).2, 90);
    }

    #[test]
    fn a_reply_without_settings_keeps_the_applied_ones() {
        let (_dir, config) = enrolled(None);
        let mut agent = open(&config);
        agent.apply_settings(&PUSHED).unwrap();
        let reply = CheckinResponse {
            next_checkin_secs: 120,
            ..CheckinResponse::default()
        };
        assert!(agent.handle_reply(reply).unwrap());
        assert_eq!(in_force(&agent), (3, 120, 600, pushed_caps()));
    }

    #[test]
    fn settings_out_of_range_are_clamped_and_smaller_caps_trim_the_queue() {
        let (dir, config) = enrolled(None);
        let mut agent = open(&config);
        for body in ["a", "b", "c"] {
            agent
                .queue
                .push(EntryKind::InventoryPartial, body.as_bytes())
                .unwrap();
        }
        let wild = AgentSettings {
            version: 9,
            checkin_interval_secs: 1,
            inventory_interval_secs: 60,
            queue_max_entries: 0,
            queue_max_bytes: 0,
        };
        agent.apply_settings(&wild).unwrap();
        let floor = QueueConfig {
            max_entries: 1,
            max_bytes: 1024 * 1024,
        };
        assert_eq!(in_force(&agent), (9, 10, 60, floor));
        assert_eq!(agent.queue.len(), 1, "the oldest uploads make room");
        assert_eq!(load_settings(dir.path()).unwrap(), wild.clamped());
    }
}
