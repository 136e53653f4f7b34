//! The Matrix edge: the running bot.
//!
//! [`run`] connects (restoring the bot's one device, see [`session`]), then drives its own
//! `sync_once` loop until the shutdown future completes. Event handlers only *decide*: they turn
//! an incoming event into an [`Action`] and queue it; the [`outbox`] is the one place that sends.
//!
//! The loop is ours rather than `Client::sync` because the SDK's loop waits a second whenever two
//! syncs finish within a second of each other, which adds about a second to every reply.
//!
//! Everything that happened before the bot started is ignored: the first sync after start
//! ("catch-up") is processed for state and invitations, but commands in it are not answered,
//! nor are commands stamped before the start that arrive later.
//!
//! The background tasks (outbox, posting, file watcher, HTTP server) must all run as long as the
//! bot does: if one ends, `/healthz` says so and [`run`] returns an error, so the process exits
//! non-zero and its service manager restarts it — never a bot that answers but no longer posts.

mod commands;
pub mod doctor;
mod follow_up;
mod minutes;
pub mod outbox;
pub mod policy;
mod polls;
mod posts;
mod reach;
pub mod reload;
pub mod scheduler;
pub mod session;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use matrix_sdk::Room;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::event_handler::Ctx;
use matrix_sdk::ruma::OwnedUserId;
use matrix_sdk::ruma::api::client::filter::{Filter, FilterDefinition, RoomEventFilter};
use matrix_sdk::ruma::api::error::ErrorKind;
use matrix_sdk::ruma::events::poll::response::OriginalSyncPollResponseEvent;
use matrix_sdk::ruma::events::poll::unstable_response::OriginalSyncUnstablePollResponseEvent;
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::events::room::member::{MembershipState, StrippedRoomMemberEvent};
use matrix_sdk::ruma::events::room::message::OriginalSyncRoomMessageEvent;
use matrix_sdk::ruma::events::room::redaction::OriginalSyncRoomRedactionEvent;
use tokio::sync::{mpsc, watch};
use tracing::{error, info, warn};

use crate::clock::Clock;
use crate::config::Config;
use crate::data_dir::{Data, OpenError};
use crate::health::Health;
use crate::metrics::Metrics;
use crate::network::Network;
use crate::store::Store;
use scheduler::{Request, Scheduler};

pub use outbox::Action;
use policy::{InviteDecision, InvitePolicy};

/// How long the homeserver may hold a sync request open when nothing happens.
pub const LONG_POLL: Duration = Duration::from_secs(30);
/// How often the bot tries again to join configured rooms it is not in yet.
const REJOIN_INTERVAL: Duration = Duration::from_secs(600);
/// The longest wait between two failed syncs. Short, because it is also how long the bot may
/// stay deaf after its homeserver returns: with 60 s, a minute's restart of the homeserver
/// left `!ping` unanswered for 59 s after the server was back (measured in
/// `tests/it/federation.rs`); with 10 s the bot answers within seconds. A sync against a server
/// that is down costs one refused connection, so trying every 10 s is no load.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// What the event handlers need to decide.
#[derive(Debug)]
struct Context {
    network: watch::Receiver<Arc<Network>>,
    store: Arc<Store>,
    requests: mpsc::UnboundedSender<Request>,
    clock: Arc<dyn Clock>,
    own_user_id: OwnedUserId,
    /// Set once the catch-up sync is done; until then commands are history, not requests.
    caught_up: AtomicBool,
    /// When this run started: commands sent earlier are not answered.
    started_at: chrono::DateTime<chrono::Utc>,
    outbox: mpsc::UnboundedSender<Action>,
    metrics: Arc<Metrics>,
}

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
/// `network` was loaded from `config_path`; the bot reloads it when the files change.
pub async fn run(
    config_path: PathBuf,
    network: Network,
    clock: Arc<dyn Clock>,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let started_at = clock.now();
    let config = network.config.clone();
    let store = open_data(&config)?;
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

    let network = network.with_decisions(&polls::decisions(&store, config.timezone));
    let (network_tx, network_rx) = watch::channel(Arc::new(network));
    let (requests_tx, requests_rx) = mpsc::unbounded_channel();
    let (stop_tx, stop_rx) = watch::channel(false);
    let (outbox_tx, outbox_rx) = mpsc::unbounded_channel();
    let context = Arc::new(Context {
        network: network_rx.clone(),
        store: Arc::clone(&store),
        requests: requests_tx.clone(),
        clock: Arc::clone(&clock),
        own_user_id,
        caught_up: AtomicBool::new(false),
        started_at,
        outbox: outbox_tx.clone(),
        metrics: Arc::clone(&metrics),
    });
    client.add_event_handler_context(Arc::clone(&context));
    client.add_event_handler(on_message);
    client.add_event_handler(on_invite);
    client.add_event_handler(on_reaction);
    client.add_event_handler(on_redaction);
    client.add_event_handler(on_poll_response);
    client.add_event_handler(on_stable_poll_response);
    let mut tasks = Tasks::new();
    let delivery = tasks.spawn("outbox", {
        let client = client.clone();
        async move {
            outbox::deliver(client, outbox_rx).await;
            Ok(())
        }
    });
    let http = {
        let address = listener.local_addr().unwrap_or(config.listen);
        info!(%address, calendar = config.calendar.is_some(), "serving HTTP (/healthz, /metrics and, with a calendar, the feeds)");
        let state =
            crate::http::FeedState::new(network_rx.clone(), Arc::clone(&store), Arc::clone(&clock))
                .observed(Arc::clone(&health), Arc::clone(&metrics));
        let mut stop = stop_rx.clone();
        tasks.spawn("HTTP server", async move {
            crate::http::serve(listener, state, async move {
                let _ = stop.changed().await;
            })
            .await
            .context("the HTTP server failed")
        })
    };

    let filter = sync_filter();
    let mut shutdown = std::pin::pin!(shutdown);

    // Catch-up: state, keys and invitations that arrived while the bot was away.
    // No long poll: with nothing new since the last run, the first sync returns at once
    // (the SDK's default would wait 30 s before the bot is ready).
    let catch_up = SyncSettings::default()
        .filter(filter.clone().into())
        .timeout(Duration::ZERO);
    let mut backoff = Duration::from_secs(1);
    loop {
        tokio::select! {
            () = &mut shutdown => return finish(outbox_tx, delivery).await,
            result = client.sync_once(catch_up.clone()) => match result {
                Ok(_) => {
                    health.synced(Instant::now());
                    break;
                }
                // A homeserver that is briefly away at start is waited for, not fatal.
                Err(error) if error.client_api_error_kind().is_none() => {
                    health.sync_failed();
                    warn!(%error, retry_in = ?backoff, "the first sync failed");
                    tokio::select! {
                        () = &mut shutdown => return finish(outbox_tx, delivery).await,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
                Err(error) => return Err(error).context("the first sync failed"),
            }
        }
    }
    context.caught_up.store(true, Ordering::SeqCst);
    // The device's keys are uploaded now (the sync sent them): cross-sign it unless it is.
    if let Err(error) = client
        .encryption()
        .bootstrap_cross_signing_if_needed(None)
        .await
    {
        warn!(%error, "cannot set up cross-signing for the bot's device; clients that hide unverified devices may not show its messages");
    }
    // The configured rooms are joined before the first posts go out.
    let mut joined = false;
    for room in config.rooms() {
        joined |= outbox::join_configured(&client, room).await;
    }
    settle_keys(&client, joined, &mut shutdown).await;
    let publish = network_tx.clone();
    let watcher = tasks.spawn("file watcher", {
        let watching = reload::watch_files(
            config_path,
            network_tx,
            Arc::clone(&store),
            requests_tx,
            Arc::clone(&metrics),
            stop_rx.clone(),
        );
        async move {
            watching.await;
            Ok(())
        }
    });
    let posting = tasks.spawn("posting", {
        let scheduler = Scheduler {
            client: client.clone(),
            store: Arc::clone(&store),
            clock: Arc::clone(&clock),
            network: network_rx,
            publish,
            requests: requests_rx,
            aliases: std::collections::HashMap::new(),
            metrics: Arc::clone(&metrics),
        };
        async move {
            scheduler.run(stop_rx).await;
            Ok(())
        }
    });
    info!(
        user_id = %context.own_user_id,
        device_id = %device_id,
        new_device = connected.new_device,
        "convene is ready"
    );

    let settings = SyncSettings::default()
        .filter(filter.into())
        .timeout(LONG_POLL);
    backoff = Duration::from_secs(1);
    // Set while syncs fail: the first success after them makes failed deliveries due at once.
    let mut away = false;
    let mut next_rejoin = tokio::time::Instant::now() + REJOIN_INTERVAL;
    let result = loop {
        if tokio::time::Instant::now() >= next_rejoin {
            let network = Arc::clone(&context.network.borrow());
            for room in network.config.rooms() {
                let _ = outbox_tx.send(Action::JoinConfigured(room.clone()));
            }
            next_rejoin = tokio::time::Instant::now() + REJOIN_INTERVAL;
        }
        tokio::select! {
            () = &mut shutdown => break Ok(()),
            (task, why) = tasks.first_ended() => {
                health.task_stopped(task);
                error!(task, why, "a background task stopped; convene exits so that its service manager restarts it");
                break Err(anyhow::anyhow!("the {task} task stopped: {why}"));
            }
            result = client.sync_once(settings.clone()) => match result {
                Ok(_) => {
                    health.synced(Instant::now());
                    backoff = Duration::from_secs(1);
                    if std::mem::take(&mut away) {
                        info!("the homeserver answers again");
                        let _ = context.requests.send(Request::HomeserverBack);
                    }
                }
                Err(error) => {
                    away = true;
                    health.sync_failed();
                    if matches!(error.client_api_error_kind(), Some(ErrorKind::UnknownToken { .. })) {
                        break Err(anyhow::anyhow!(
                            "the homeserver no longer accepts the bot's session ({error}); \
                             move session.json and the matrix directory out of the data directory \
                             to log in again as a new device"
                        ));
                    }
                    warn!(%error, retry_in = ?backoff, "sync failed");
                    tokio::select! {
                        () = &mut shutdown => break Ok(()),
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    };
    info!("shutting down");
    let _ = stop_tx.send(true);
    let _ = tokio::join!(watcher, posting, http);
    finish(outbox_tx, delivery).await?;
    result
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
/// poll); a failing one is left to the main loop.
async fn settle_keys(
    client: &matrix_sdk::Client,
    joined: bool,
    shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>,
) {
    let quick = SyncSettings::default()
        .filter(sync_filter().into())
        .timeout(Duration::ZERO);
    let settle = async {
        if joined && let Err(error) = client.sync_once(quick.clone()).await {
            warn!(%error, "the sync after joining the configured rooms failed");
            return;
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
        if loaded && let Err(error) = client.sync_once(quick).await {
            warn!(%error, "the sync after loading the rooms' members failed");
        }
    };
    tokio::select! {
        () = settle => {}
        () = shutdown.as_mut() => {}
    }
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
fn sync_filter() -> FilterDefinition {
    let mut filter = FilterDefinition::default();
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

async fn on_message(event: OriginalSyncRoomMessageEvent, room: Room, context: Ctx<Arc<Context>>) {
    let now = context.clock.now();
    for action in commands::decide_reply(&context, &room, &event, now).await {
        let _ = context.outbox.send(action);
    }
}

/// RSVP reactions on announcements are attendance. Unlike commands, reactions from the catch-up
/// sync count too: they are what members said while the bot was away, not requests.
async fn on_reaction(event: OriginalSyncReactionEvent, room: Room, context: Ctx<Arc<Context>>) {
    if event.sender == context.own_user_id {
        return;
    }
    let network = Arc::clone(&context.network.borrow());
    minutes::react(&network, &context.store, &room, &event, context.clock.now());
}

/// A removed reaction takes its RSVP back; a removed poll response, its vote.
async fn on_redaction(event: OriginalSyncRoomRedactionEvent, context: Ctx<Arc<Context>>) {
    let redacts = event.content.redacts.as_ref().or(event.redacts.as_ref());
    let Some(redacts) = redacts else {
        return;
    };
    if let Err(error) = context.store.forget_attendance_event(redacts.as_str()) {
        warn!(%error, "cannot forget a removed RSVP");
    }
    match context.store.withdraw_vote(redacts.as_str()) {
        Ok(true) => info!(event_id = %redacts, "a redacted vote was withdrawn"),
        Ok(false) => {}
        Err(error) => warn!(%error, "cannot withdraw a redacted vote"),
    }
}

/// A vote in a date poll, as Element and Element X send it. Like reactions, votes from the
/// catch-up sync count: they are what members answered while the bot was away.
async fn on_poll_response(
    event: OriginalSyncUnstablePollResponseEvent,
    room: Room,
    context: Ctx<Arc<Context>>,
) {
    polls::record_response(
        &context,
        &room,
        &event.event_id,
        &event.sender,
        &event.content.relates_to.event_id,
        &event.content.poll_response.answers,
        event.origin_server_ts,
    );
}

/// A vote in the stable form (`m.poll.response`), for clients that send it.
async fn on_stable_poll_response(
    event: OriginalSyncPollResponseEvent,
    room: Room,
    context: Ctx<Arc<Context>>,
) {
    polls::record_response(
        &context,
        &room,
        &event.event_id,
        &event.sender,
        &event.content.relates_to.event_id,
        &event.content.selections,
        event.origin_server_ts,
    );
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
            organizers: network.config.network.organizers.clone(),
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
