//! The Matrix edge: the running bot.
//!
//! [`run`] connects (restoring the bot's one device, see [`session`]), then drives its own
//! `sync_once` loop until the shutdown future completes. What each sync delivers is heard
//! ([`hearing`]: each room's gap read back first, then every event in order); handlers only
//! *decide*: they turn an event into an [`Action`] and queue it; the [`outbox`] is the one place
//! that sends. Invitations come through the SDK's event handler (they are no timeline event).
//!
//! The loop is ours rather than `Client::sync` because the SDK's loop waits a second whenever two
//! syncs finish within a second of each other, which adds about a second to every reply.
//!
//! Commands in the first sync after start ("catch-up"), or read back from a gap, sent while the
//! bot was away, are carried out and answered late ([`chat::decide_reply`]); each message is
//! handled once (recorded by its event id). Only messages from before the bot's first run are
//! history.
//!
//! The background tasks (outbox, posting, file watcher, HTTP server) must all run as long as the
//! bot does: if one ends, `/healthz` says so and [`run`] returns an error, so the process exits
//! non-zero and its service manager restarts it — never a bot that answers but no longer posts.

pub mod chat;
pub mod doctor;
mod hearing;
pub mod links;
pub mod outbox;
pub mod policy;
pub mod posting;
mod reach;
mod records;
pub mod reload;
pub mod session;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::event_handler::Ctx;
use matrix_sdk::ruma::api::client::filter::{Filter, FilterDefinition, RoomEventFilter};
use matrix_sdk::ruma::api::error::ErrorKind;
use matrix_sdk::ruma::events::room::member::{MembershipState, StrippedRoomMemberEvent};
use matrix_sdk::ruma::{OwnedDeviceId, UInt};
use matrix_sdk::sync::SyncResponse;
use matrix_sdk::{Client, Room};
use tokio::sync::{mpsc, watch};
use tracing::{error, info, warn};

use crate::clock::Clock;
use crate::config::Config;
use crate::data_dir::{Data, OpenError};
use crate::health::Health;
use crate::last_good::Startup;
use crate::metrics::Metrics;
use crate::network::Network;
use crate::store::Store;
use chat::Context;
use posting::{PostingJob, Request};

pub use outbox::Action;
use policy::{InviteDecision, InvitePolicy};

/// How long the homeserver may hold a sync request open when nothing happens.
pub const LONG_POLL: Duration = Duration::from_secs(30);
/// How many of a room's newest events each sync asks for (the homeserver's default is 10): a
/// room with more new events than this has a gap the bot reads back ([`hearing`]); with 200,
/// that is rare, and reading back costs a request per 100 events.
const TIMELINE: u32 = 200;
/// How often at most the bot records that it is alive (a late answer says since when it was
/// away: to within this much).
const ALIVE_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(10);
/// How often the bot tries again to join configured rooms it is not in yet.
const REJOIN_INTERVAL: Duration = Duration::from_secs(600);
/// The longest wait between two failed syncs. Short, because it is also how long the bot may
/// stay deaf after its homeserver returns: with 60 s, a minute's restart of the homeserver
/// left `!ping` unanswered for 59 s after the server was back (measured in
/// `tests/it/federation.rs`); with 10 s the bot answers within seconds. A sync against a server
/// that is down costs one refused connection, so trying every 10 s is no load.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// The bot's background tasks, each of which must run as long as the bot does. Each runs inside
/// a watcher task that reports when (and why) it ended, panics included.
#[derive(Debug)]
struct Tasks {
    ended_tx: mpsc::UnboundedSender<(&'static str, String)>,
    ended: mpsc::UnboundedReceiver<(&'static str, String)>,
}

impl Tasks {
    fn new() -> Self {
        let (ended_tx, ended) = mpsc::unbounded_channel();
        Self { ended_tx, ended }
    }

    /// Starts `task`; the handle completes after it ended and that was reported.
    fn spawn(
        &self,
        name: &'static str,
        task: impl Future<Output = anyhow::Result<()>> + Send + 'static,
    ) -> tokio::task::JoinHandle<()> {
        let ended = self.ended_tx.clone();
        let inner = tokio::spawn(task);
        tokio::spawn(async move {
            let why = match inner.await {
                Ok(Ok(())) => "it returned".to_owned(),
                Ok(Err(error)) => format!("{error:#}"),
                Err(error) if error.is_panic() => {
                    let payload = error.into_panic();
                    let message = payload
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| payload.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    format!("it panicked: {message}")
                }
                Err(error) => format!("it was cancelled: {error}"),
            };
            let _ = ended.send((name, why));
        })
    }

    /// The first task that ends: its name and why.
    async fn first_ended(&mut self) -> (&'static str, String) {
        match self.ended.recv().await {
            Some(ended) => ended,
            // Unreachable: `self` holds a sender.
            None => std::future::pending().await,
        }
    }
}

/// Runs the bot until `shutdown` completes, then finishes what it queued and returns.
///
/// `startup` was loaded from `config_path` ([`crate::last_good::start`]); the bot reloads it
/// when the files change. The steps: start-up ([`Bot::start`]); the files kept as the last good
/// version, or, when `startup` is that version standing in for files with errors, those errors
/// logged and queued for the organizers' room as after a failed reload; the catch-up sync; the
/// rooms prepared for the first posts; the file watcher and posting job started; the sync loop
/// ([`Bot::serve`]); shutdown.
pub async fn run(
    config_path: PathBuf,
    startup: Startup,
    clock: Arc<dyn Clock>,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let Startup {
        network,
        errors,
        seen,
    } = startup;
    if let Some(errors) = &errors {
        warn!(
            errors = errors.len(),
            "the files have errors; convene starts with the last good version kept in its data directory and reloads the files once they are fixed:\n{errors}"
        );
    }
    let mut shutdown = std::pin::pin!(shutdown);
    let (mut bot, jobs) = Bot::start(network, clock).await?;
    let data_dir = bot.context.network.borrow().config.data_dir.clone();
    match errors {
        // After the device lock is taken: one bot at a time writes the copy.
        None => reload::keep_last_good(config_path.clone(), data_dir.clone()).await,
        // Sent by the posting job once it runs, exactly as a failed reload.
        Some(errors) => {
            bot.context.metrics.reload_failed();
            let _ = bot.context.requests.send(Request::ReloadFailed(errors));
        }
    }
    if !bot.catch_up(&mut shutdown).await? {
        return finish(bot.context.outbox.clone(), bot.delivery).await;
    }
    bot.prepare_rooms(&mut shutdown).await;
    let watched = reload::Watched {
        config_path,
        data_dir,
        seen,
    };
    let [watcher, posting] = bot.start_jobs(jobs, watched);
    info!(
        user_id = %bot.context.own_user_id,
        device_id = %bot.device_id,
        new_device = bot.new_device,
        "convene is ready"
    );
    let result = bot.serve(&mut shutdown).await;
    info!("shutting down");
    // Away from now on: a command sent during the restart is answered "late since …".
    if let Err(error) = bot.context.store.alive(bot.context.clock.now()) {
        warn!(%error, "cannot record when the bot stopped");
    }
    let _ = bot.stop_tx.send(true);
    let _ = tokio::join!(watcher, posting, bot.http);
    finish(bot.context.outbox.clone(), bot.delivery).await?;
    result
}

/// The running bot between the steps of [`run`]: connected, its event handlers registered, the
/// outbox and the HTTP server running.
#[derive(Debug)]
struct Bot {
    client: Client,
    context: Arc<Context>,
    health: Arc<Health>,
    tasks: Tasks,
    /// Turns true when the bot shuts down: the background tasks then end.
    stop_tx: watch::Sender<bool>,
    stop_rx: watch::Receiver<bool>,
    /// The outbox task, which [`finish`] lets send what is queued.
    delivery: tokio::task::JoinHandle<()>,
    http: tokio::task::JoinHandle<()>,
    device_id: OwnedDeviceId,
    new_device: bool,
    /// Reads back and handles what the syncs deliver.
    hearing: hearing::Hearing,
    /// When [`Bot::alive`] last recorded the bot alive, in milliseconds.
    alive_at: AtomicI64,
    /// Keeps other convene processes (`convene doctor`) off the device while the bot runs.
    _lock: session::DeviceLock,
}

/// What the file watcher and the posting job get when they start, after the catch-up.
#[derive(Debug)]
struct Jobs {
    /// Where a reloaded network, or one with a newly decided poll, is published.
    network: watch::Sender<Arc<Network>>,
    requests: mpsc::UnboundedReceiver<Request>,
}

impl Bot {
    /// Start-up: the database, the HTTP server's address, the session, then the event handlers,
    /// the outbox and the HTTP server.
    async fn start(network: Network, clock: Arc<dyn Clock>) -> anyhow::Result<(Self, Jobs)> {
        let started_at = clock.now();
        let config = network.config.clone();
        let store = open_data(&config)?;
        let (away_since, history_before) = away_and_history(&store, started_at)?;
        let health = Arc::new(Health::bot(Instant::now()));
        let metrics = Arc::new(Metrics::new());
        // The HTTP server's address is taken before logging in: a port in use stops the bot
        // before it could make a new device.
        let listener = crate::http::bind(config.listen)
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let connected = session::connect(&config).await?;
        let client = connected.client;
        let own_user_id = client
            .user_id()
            .context("the client has no user id after logging in")?
            .to_owned();
        let device_id = client
            .device_id()
            .context("the client has no device id after logging in")?
            .to_owned();

        let network = network.with_decisions(&records::decisions(&store, config.timezone));
        let (network_tx, network_rx) = watch::channel(Arc::new(network));
        let (requests_tx, requests_rx) = mpsc::unbounded_channel();
        let (stop_tx, stop_rx) = watch::channel(false);
        let (outbox_tx, outbox_rx) = mpsc::unbounded_channel();
        let context = Arc::new(Context {
            network: network_rx,
            store,
            requests: requests_tx,
            clock,
            own_user_id,
            started_at,
            away_since,
            history_before,
            outbox: outbox_tx,
            metrics,
        });
        register_handlers(&client, &context);
        let tasks = Tasks::new();
        let delivery = tasks.spawn("outbox", {
            let client = client.clone();
            let (store, clock) = (Arc::clone(&context.store), Arc::clone(&context.clock));
            async move {
                outbox::deliver(client, store, clock, outbox_rx).await;
                Ok(())
            }
        });
        // Answers a crash or an unreachable homeserver kept from going out, before any new one.
        resend_owed_answers(&context);
        let http = serve_http(
            &tasks,
            listener,
            &config,
            &context,
            &health,
            stop_rx.clone(),
        );
        let bot = Self {
            client,
            context,
            health,
            tasks,
            stop_tx,
            stop_rx,
            delivery,
            http,
            device_id,
            new_device: connected.new_device,
            hearing: hearing::Hearing::default(),
            alive_at: AtomicI64::new(i64::MIN / 2),
            _lock: connected.lock,
        };
        let jobs = Jobs {
            network: network_tx,
            requests: requests_rx,
        };
        Ok((bot, jobs))
    }

    /// Catch-up: state, keys and invitations that arrived while the bot was away. False if
    /// `shutdown` completed first.
    ///
    /// No long poll: with nothing new since the last run, the first sync returns at once (the
    /// SDK's default would wait 30 s before the bot is ready).
    async fn catch_up(
        &self,
        shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
    ) -> anyhow::Result<bool> {
        // On the first run, what came before is history: the homeserver's default suffices.
        let first_run = self.context.history_before >= self.context.started_at;
        let timeline = (!first_run).then_some(TIMELINE);
        let mut syncing = Syncing::new(&self.client, &self.health, Duration::ZERO, timeline);
        loop {
            tokio::select! {
                () = shutdown.as_mut() => return Ok(false),
                result = syncing.sync_once() => match result {
                    Ok(response) => {
                        // After a start any room may have a gap: a crash may have come between
                        // the SDK storing a sync and the bot handling it.
                        self.hearing
                            .hear(&self.context, &self.client, &response, !first_run)
                            .await;
                        break;
                    }
                    // A homeserver that is briefly away at start is waited for, not fatal.
                    Err(error) if error.client_api_error_kind().is_none() => {
                        if !syncing.back_off("the first sync failed", &error, shutdown).await {
                            return Ok(false);
                        }
                    }
                    Err(error) => return Err(error).context("the first sync failed"),
                }
            }
        }
        self.alive();
        Ok(true)
    }

    /// After the catch-up, before the first posts: the device cross-signed, the configured
    /// rooms joined, and the keys the first posts need fetched.
    async fn prepare_rooms(&self, shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>) {
        // A new device was cross-signed at its login (`session::connect`); this catches devices
        // from before that, and a set-up that failed then.
        if let Err(error) = self
            .client
            .encryption()
            .bootstrap_cross_signing_if_needed(None)
            .await
        {
            warn!(%error, "cannot set up cross-signing for the bot's device; clients that hide unverified devices may not show its messages");
        }
        let network = Arc::clone(&self.context.network.borrow());
        let mut joined = false;
        for room in network.config.rooms() {
            joined |= outbox::join_configured(&self.client, room).await;
        }
        self.settle_keys(joined, shutdown).await;
    }

    /// Fetches, before the posting job starts, the device keys of everyone the first posts are
    /// encrypted for, so that no post has to wait for them.
    ///
    /// matrix-sdk (0.18 and 0.19) sends the `/keys/query` for users it has marked as outdated only
    /// from `sync_once`, and an encrypted send into a room waits up to 5 s for that query when it
    /// knows no device of a member yet — holding the client-wide key-claim lock, which `sync_once`
    /// must take before it sends any query. The bot itself is such a member (its one device does
    /// not count), and it is marked outdated after its first login and whenever it joins rooms
    /// (Synapse lists every member of a newly joined room in `device_lists.changed`, the bot too);
    /// a room's members are marked when it loads them, on its first encrypted send. So the first
    /// post after a first start, or after joining rooms, waited 5 s per round of new users (2 × 5 s
    /// for the demo's date poll to three rooms).
    ///
    /// Here the joins are synced first (the SDK then queries the marked users at the end of that
    /// sync), then the members of every joined encrypted room are loaded, and one more sync sends
    /// their queries: all while nothing else holds the lock. Each sync is an immediate one (no long
    /// poll), and what it delivers is heard like any other; a failing one is left to the main loop.
    async fn settle_keys(
        &self,
        joined: bool,
        shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
    ) {
        let client = &self.client;
        let quick = sync_settings(Duration::ZERO, Some(TIMELINE));
        let settle = async {
            if joined {
                match client.sync_once(quick.clone()).await {
                    Ok(response) => {
                        self.hearing
                            .hear(&self.context, client, &response, false)
                            .await
                    }
                    Err(error) => {
                        warn!(%error, "the sync after joining the configured rooms failed");
                        return;
                    }
                }
            }
            let mut loaded = false;
            for room in client.joined_rooms() {
                let encrypted = room
                    .latest_encryption_state()
                    .await
                    .is_ok_and(|state| state.is_encrypted());
                if encrypted && !room.are_members_synced() {
                    match room.sync_members().await {
                        Ok(()) => loaded = true,
                        Err(error) => {
                            warn!(room_id = %room.room_id(), %error, "cannot load a room's members")
                        }
                    }
                }
            }
            if loaded {
                match client.sync_once(quick).await {
                    Ok(response) => {
                        self.hearing
                            .hear(&self.context, client, &response, false)
                            .await
                    }
                    Err(error) => warn!(%error, "the sync after loading the rooms' members failed"),
                }
            }
        };
        tokio::select! {
            () = settle => {}
            () = shutdown.as_mut() => {}
        }
    }

    /// Starts the file watcher and the posting job.
    fn start_jobs(&self, jobs: Jobs, watched: reload::Watched) -> [tokio::task::JoinHandle<()>; 2] {
        let context = &self.context;
        let publish = jobs.network.clone();
        let watcher = self.tasks.spawn("file watcher", {
            let watching = reload::watch_files(
                watched,
                jobs.network,
                Arc::clone(&context.store),
                context.requests.clone(),
                Arc::clone(&context.metrics),
                self.stop_rx.clone(),
            );
            async move {
                watching.await;
                Ok(())
            }
        });
        let posting = self.tasks.spawn("posting", {
            let job = PostingJob::new(
                self.client.clone(),
                Arc::clone(&context.store),
                Arc::clone(&context.clock),
                context.network.clone(),
                publish,
                jobs.requests,
                Arc::clone(&context.metrics),
            );
            let stop = self.stop_rx.clone();
            async move {
                job.run(stop).await;
                Ok(())
            }
        });
        [watcher, posting]
    }

    /// Records that the bot is alive now (after each sync): a late answer after a crash says
    /// since when the bot was away.
    /// At most every [`ALIVE_EVERY`]: a busy sync loop does not write for every sync.
    fn alive(&self) {
        let now = self.context.clock.now();
        let last = self.alive_at.load(Ordering::Relaxed);
        if now.timestamp_millis() - last < ALIVE_EVERY.num_milliseconds() {
            return;
        }
        self.alive_at
            .store(now.timestamp_millis(), Ordering::Relaxed);
        if let Err(error) = self.context.store.alive(now) {
            warn!(%error, "cannot record that the bot is alive");
        }
    }

    /// The loop: syncs until `shutdown` completes (`Ok`), a background task ends, or the
    /// homeserver no longer accepts the bot's session. Configured rooms the bot is not in are
    /// tried again every [`REJOIN_INTERVAL`].
    async fn serve(
        &mut self,
        shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
    ) -> anyhow::Result<()> {
        let mut syncing = Syncing::new(&self.client, &self.health, LONG_POLL, Some(TIMELINE));
        // Set while syncs fail: the first success after them makes failed deliveries due at once.
        let mut away = false;
        let mut next_rejoin = tokio::time::Instant::now() + REJOIN_INTERVAL;
        loop {
            if tokio::time::Instant::now() >= next_rejoin {
                let network = Arc::clone(&self.context.network.borrow());
                for room in network.config.rooms() {
                    let _ = self
                        .context
                        .outbox
                        .send(Action::JoinConfigured(room.clone()));
                }
                next_rejoin = tokio::time::Instant::now() + REJOIN_INTERVAL;
            }
            tokio::select! {
                () = shutdown.as_mut() => return Ok(()),
                (task, why) = self.tasks.first_ended() => {
                    self.health.task_stopped(task);
                    error!(task, why, "a background task stopped; convene exits so that its service manager restarts it");
                    return Err(anyhow::anyhow!("the {task} task stopped: {why}"));
                }
                result = syncing.sync_once() => match result {
                    Ok(response) => {
                        self.alive();
                        self.hearing.hear(&self.context, &self.client, &response, false).await;
                        if std::mem::take(&mut away) {
                            info!("the homeserver answers again");
                            resend_owed_answers(&self.context);
                            let _ = self.context.requests.send(Request::HomeserverBack);
                        }
                    }
                    Err(error) => {
                        away = true;
                        if matches!(error.client_api_error_kind(), Some(ErrorKind::UnknownToken { .. })) {
                            return Err(anyhow::anyhow!(
                                "the homeserver no longer accepts the bot's session ({error}); \
                                 move session.json and the matrix directory out of the data directory \
                                 to log in again as a new device"
                            ));
                        }
                        if !syncing.back_off("sync failed", &error, shutdown).await {
                            return Ok(());
                        }
                    }
                }
            }
        }
    }
}

/// Syncing with back-off, for the catch-up and the loop alike: each sync is recorded in the
/// health report; after a failure the caller decides whether it is fatal, and if not waits
/// [`Syncing::back_off`], which doubles from 1 s up to [`MAX_BACKOFF`] until a sync succeeds.
struct Syncing<'a> {
    client: &'a Client,
    health: &'a Health,
    settings: SyncSettings,
    backoff: Duration,
}

impl<'a> Syncing<'a> {
    /// Syncs with the [`sync_filter`] (up to `timeline` events per room), the homeserver
    /// holding each request open up to `timeout`.
    fn new(
        client: &'a Client,
        health: &'a Health,
        timeout: Duration,
        timeline: Option<u32>,
    ) -> Self {
        Self {
            client,
            health,
            settings: sync_settings(timeout, timeline),
            backoff: Duration::from_secs(1),
        }
    }

    /// One sync, recorded in the health report; a success resets the back-off.
    async fn sync_once(&mut self) -> Result<SyncResponse, matrix_sdk::Error> {
        match self.client.sync_once(self.settings.clone()).await {
            Ok(response) => {
                self.health.synced(Instant::now());
                self.backoff = Duration::from_secs(1);
                Ok(response)
            }
            Err(error) => {
                self.health.sync_failed();
                Err(error)
            }
        }
    }

    /// After a failed sync: logs `what` failed, waits the back-off and doubles it. False if
    /// `shutdown` completed first.
    async fn back_off(
        &mut self,
        what: &str,
        error: &matrix_sdk::Error,
        shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
    ) -> bool {
        warn!(%error, retry_in = ?self.backoff, "{what}");
        let waited = tokio::select! {
            () = shutdown.as_mut() => false,
            () = tokio::time::sleep(self.backoff) => true,
        };
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        waited
    }
}

/// The SDK's event handler for invitations, deciding with `context`.
fn register_handlers(client: &Client, context: &Arc<Context>) {
    client.add_event_handler_context(Arc::clone(context));
    client.add_event_handler(on_invite);
}

/// Starts the HTTP server on `listener`: `/healthz`, `/metrics` and, with a calendar, the feeds.
fn serve_http(
    tasks: &Tasks,
    listener: tokio::net::TcpListener,
    config: &Config,
    context: &Context,
    health: &Arc<Health>,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let address = listener.local_addr().unwrap_or(config.listen);
    info!(%address, calendar = config.calendar.is_some(), "serving HTTP (/healthz, /metrics and, with a calendar, the feeds)");
    let state = crate::http::ServerState::new(
        context.network.clone(),
        Arc::clone(&context.store),
        Arc::clone(&context.clock),
    )
    .observed(Arc::clone(health), Arc::clone(&context.metrics));
    tasks.spawn("HTTP server", async move {
        crate::http::serve(listener, state, async move {
            let _ = stop.changed().await;
        })
        .await
        .context("the HTTP server failed")
    })
}

/// What each sync asks for ([`sync_filter`], up to `timeline` events per room, the homeserver's
/// default if `None`), the homeserver holding it open up to `timeout`.
fn sync_settings(timeout: Duration, timeline: Option<u32>) -> SyncSettings {
    SyncSettings::default()
        .filter(sync_filter(timeline).into())
        .timeout(timeout)
}

/// The data directory and the database, before anything else: a corrupt or too new database
/// must stop the bot before it logs in (which would make a new device when there is no
/// session yet).
fn open_data(config: &Config) -> anyhow::Result<Arc<Store>> {
    let data = Data::open(config).map_err(|error| match error {
        OpenError::Database(error) => anyhow::Error::new(error).context("cannot open the database"),
        OpenError::DataDir(error) => error.into(),
    })?;
    if data.made_private {
        warn!(path = %config.data_dir.display(), "the data directory was readable by others; it is now 0700");
    }
    Ok(data.store)
}

/// Queues every answer owed and not sent yet (see [`outbox::Answer`]).
fn resend_owed_answers(context: &Context) {
    let owed = match context.store.owed_answers() {
        Ok(owed) => owed,
        Err(error) => {
            warn!(%error, "cannot read the answers owed");
            return;
        }
    };
    for (event_id, json) in owed {
        match outbox::Answer::from_json(&event_id, &json) {
            Some(answer) => {
                info!(%event_id, "sending an answer owed from before");
                let _ = context.outbox.send(Action::Answer(answer));
            }
            None => warn!(%event_id, "an answer owed cannot be read back"),
        }
    }
}

/// Read before this run marks itself alive: since when the bot was away (if it was ever
/// alive), and since when it has been answering at all (messages before its first run with this
/// database are history).
fn away_and_history(
    store: &Store,
    started_at: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<(
    Option<chrono::DateTime<chrono::Utc>>,
    chrono::DateTime<chrono::Utc>,
)> {
    let away_since = store
        .alive_at()
        .map_err(|error| warn!(%error, "cannot read when the bot was last alive"))
        .ok()
        .flatten();
    let history_before = store
        .first_started_at(started_at)
        .context("cannot record the bot's first start")?;
    Ok((away_since, history_before))
}

/// What each sync asks for: every member (no lazy loading), and nothing the bot never reads —
/// no presence, no typing notifications or read receipts, no room tags or read markers. In a
/// network of 40 busy rooms these are most of each sync's bytes and of its processing.
///
/// Lazy loading is off because it stalled fan-outs. With it, Synapse puts the membership of
/// each timeline event's sender into the room's `state` unless it remembers sending that very
/// event; it remembers one membership per user, and the bot has a different one in every room.
/// So during a fan-out nearly every sync carried the bot's own membership, which Synapse counts
/// as a newly joined user and lists in `device_lists.changed`. The SDK then marked the bot's own
/// devices as outdated, and the next encrypted send waited up to 5 s for that `/keys/query`
/// while holding the key-claim lock the sync loop needs before it can send the query: fan-outs
/// took 5 or 10 s longer in about half the runs. The bot's rooms are encrypted, so the SDK
/// loads every room's full member list before its first send anyway; lazy loading saved little.
fn sync_filter(timeline: Option<u32>) -> FilterDefinition {
    let mut filter = FilterDefinition::default();
    filter.room.timeline.limit = timeline.map(UInt::from);
    filter.presence = Filter::ignore_all();
    filter.room.ephemeral = RoomEventFilter::ignore_all();
    filter.room.account_data = RoomEventFilter::ignore_all();
    filter
}

/// Lets the outbox send what is queued, then stops it.
async fn finish(
    outbox: mpsc::UnboundedSender<Action>,
    delivery: tokio::task::JoinHandle<()>,
) -> anyhow::Result<()> {
    let _ = outbox.send(Action::Stop);
    match tokio::time::timeout(Duration::from_secs(10), delivery).await {
        Ok(joined) => joined.context("the outbox task failed"),
        Err(_) => {
            warn!("the outbox did not finish within 10 s; unsent messages are dropped");
            Ok(())
        }
    }
}

async fn on_invite(event: StrippedRoomMemberEvent, room: Room, context: Ctx<Arc<Context>>) {
    if event.state_key != context.own_user_id || event.content.membership != MembershipState::Invite
    {
        return;
    }
    // The current configuration's rule: a reload that adds an organizer applies at once.
    let decision = {
        let network = context.network.borrow();
        InvitePolicy {
            organizers: network.roster().organizers.clone(),
            homeservers: network.config.accept_invites_from.clone(),
        }
        .decide(&event.sender)
    };
    info!(room_id = %room.room_id(), inviter = %event.sender, ?decision, "invitation");
    let action = match decision {
        InviteDecision::Accept => Action::AcceptInvite(room.room_id().to_owned()),
        InviteDecision::Decline => Action::DeclineInvite(room.room_id().to_owned()),
    };
    let _ = context.outbox.send(action);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_background_task_that_panics_or_fails_is_reported_with_its_name() {
        let mut tasks = Tasks::new();
        let quiet = tasks.spawn("file watcher", std::future::pending());
        let panicking = tasks.spawn("posting", async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            panic!("a bug");
        });
        assert_eq!(
            tasks.first_ended().await,
            ("posting", "it panicked: a bug".to_owned())
        );
        panicking.await.unwrap();
        let failing = tasks.spawn("HTTP server", async {
            Err(anyhow::anyhow!("cannot accept"))
        });
        assert_eq!(
            tasks.first_ended().await,
            ("HTTP server", "cannot accept".to_owned())
        );
        failing.await.unwrap();
        assert!(!quiet.is_finished());
    }
}
