//! The bot's HTTP server: a private feed per member room at `/feeds/<token>.ics` (with the video
//! links), the network calendar at `/calendar.ics` (only with `calendar.public: true`, and
//! without video links), approved minutes at `/minutes/<token>.md` (from the archive in the data
//! directory), the web pages ([`pages`]: a member room's page behind its feed token, the
//! organizers' page behind its own token, approved minutes as a page, the public page at `/` with
//! `calendar.public: true`), `/healthz` and `/metrics`.
//!
//! Calendars poll: each variant (with or without links) is rendered once per change of the
//! network's files or of the accepted agenda proposals (which the feed shows with each meeting's
//! agenda) and served from memory with a strong ETag (SHA-256 of the body) and Last-Modified
//! (the newest DTSTAMP), so a poll that changes nothing is a 304. Unknown or revoked tokens get
//! 404 (each request looks its token up, so a rotation works at once); request paths (which hold
//! tokens) are never logged.
//!
//! `/healthz` is 200 `ok` only while the bot does its job ([`crate::health`]), 503 with the
//! reason otherwise; `/metrics` serves [`crate::metrics`] (counts only, nothing private). The
//! server runs whenever the bot runs: on `calendar.listen`, or on the top-level `listen` when no
//! calendar is configured.
//!
//! The server faces whoever reaches it, so it speaks HTTP/1.1 only (no h2c), bounds how long a
//! client may take to send its request head, how long a connection may idle and how long a
//! request may take, and caps the open connections: when all slots are taken, the oldest idle
//! connection gives up its slot, so idle sockets cannot starve `/healthz` or the feeds. Rendering
//! runs on the blocking pool, one render at a time, and no lock is held across a request.
//!
//! The accept loop never waits: it takes each connection off the listen queue and hands it to a
//! task of its own, which waits for a slot (asking the oldest idle connection to leave), reads
//! the request head within its timeout and serves. A client that opens connections faster than
//! they time out (half-open sockets, unfinished heads) therefore costs each newcomer at most a
//! task switch, never a wait in line behind the others — with the wait in the accept loop, 60
//! half-open connections a second pushed `/healthz` to seconds. An evicted connection hands its
//! slot over at once; one that never sent a request is closed at once, one that did may finish
//! writing its response within a grace period, without a slot. Beyond the slots, as many
//! connections again may be open (waiting for a slot, or closing); more are closed as they
//! arrive. The listen queue ([`LISTEN_BACKLOG`]) holds what arrives while the runtime is busy.
//!
//! Nothing a render does holds up the server: a request waiting for one is answered 503 when
//! the server stops (the render is abandoned with the process, see [`crate::runtime`]), and
//! while a render has been running longer than a request may take — every calendar request is
//! then answered 503 — `/healthz` says so with a 503 of its own. A render is cheap (the inputs
//! are bounded and the .ics is written in linear time), so this takes a fault, such as a
//! database that does not answer.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use sha2::{Digest as _, Sha256};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::time::Instant;
use tower::Service as _;
use tracing::warn;

mod pages;

use crate::calendar;
use crate::clock::Clock;
use crate::health::{Health, Verdict};
use crate::ical::{Links, Selection};
use crate::metrics::{self as metrics_text, Metrics, Moment};
use crate::network::Network;
use crate::store::{Store, StoreError};

/// How long a new connection waits for a slot when all are taken (after asking the oldest idle
/// connection to leave) before it is closed.
const SLOT_WAIT: Duration = Duration::from_secs(1);

/// How long a connection asked to leave its slot may still finish a response it is writing.
const EVICTION_GRACE: Duration = Duration::from_millis(250);

/// How long open connections may finish their requests after the server is told to stop.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// How many connections the kernel queues until the server accepts them. The accept loop only
/// hands connections to their tasks, so this covers bursts while the runtime is busy; tokio's
/// default (mio's 128, the standard library's) is what overflowed under churn. The kernel caps
/// it at `net.core.somaxconn` (4096 on current Linux).
pub const LISTEN_BACKLOG: u32 = 1024;

/// Binds the server's listener on `address` with [`LISTEN_BACKLOG`] (and `SO_REUSEADDR`, so a
/// restarted bot does not wait for its old connections to time out). Call inside the runtime.
pub fn bind(address: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match address {
        std::net::SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        std::net::SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(LISTEN_BACKLOG)
}

/// How the server treats connections; [`ServerOptions::default`] is what `convene` uses.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// How many connections are served at once at most; as many again may be open, waiting
    /// for a slot or closing, so that at most twice this many sockets are open (each holds a
    /// file descriptor; the default limit is 1024 per process, which the Matrix client shares
    /// in `convene run`).
    pub max_connections: usize,
    /// How long a client may take to send a request's head, from the moment the server waits
    /// for it (a new connection, or the end of the previous response).
    pub header_read_timeout: Duration,
    /// How long a connection may stay open without a request in progress. Calendar clients poll
    /// hourly, so keeping their connections alive longer saves nothing.
    pub idle_timeout: Duration,
    /// How long a request may take before it is answered 503.
    pub request_timeout: Duration,
    /// How often the server looks for changes that another process (the bot beside
    /// `convene feed`) committed to the database: the staleness bound for those.
    pub store_poll: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            max_connections: 256,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            store_poll: Duration::from_secs(2),
        }
    }
}

/// A rendered feed with its validators.
#[derive(Debug)]
struct Rendered {
    /// Which network it was rendered from (the `Arc` swapped in on every reload).
    source: Arc<Network>,
    /// [`Store::changes`] before it was rendered: a different count means it may be stale.
    changes: u64,
    body: axum::body::Bytes,
    etag: HeaderValue,
    last_modified: DateTime<Utc>,
    last_modified_header: HeaderValue,
}

/// The rendered calendars, one slot per variant. Readers hold a slot's lock only to clone the
/// `Arc`; renderers take `render` first, so one render runs at a time and a burst of polls
/// after a change renders once.
#[derive(Debug, Default)]
struct Cache {
    with_links: RwLock<Option<Arc<Rendered>>>,
    without_links: RwLock<Option<Arc<Rendered>>>,
    render: Arc<tokio::sync::Mutex<()>>,
    /// When the render in progress started, if one is.
    rendering_since: Mutex<Option<std::time::Instant>>,
}

/// Marks a render in progress in [`Cache::rendering_since`] while it lives, also when the render
/// fails or panics.
struct Rendering<'a>(&'a Cache);

impl<'a> Rendering<'a> {
    fn start(cache: &'a Cache) -> Self {
        *cache
            .rendering_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(std::time::Instant::now());
        Self(cache)
    }
}

impl Drop for Rendering<'_> {
    fn drop(&mut self) {
        *self
            .0
            .rendering_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
    }
}

impl Cache {
    fn slot(&self, links: Links) -> &RwLock<Option<Arc<Rendered>>> {
        match links {
            Links::Include => &self.with_links,
            Links::Omit => &self.without_links,
        }
    }

    /// The cached rendering of `links`, if it shows `network` with `changes`.
    fn fresh(&self, links: Links, network: &Arc<Network>, changes: u64) -> Option<Arc<Rendered>> {
        let slot = self
            .slot(links)
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        slot.as_ref()
            .filter(|r| Arc::ptr_eq(&r.source, network) && r.changes == changes)
            .map(Arc::clone)
    }

    /// How long the render in progress has been running, if one is.
    fn rendering_for(&self) -> Option<Duration> {
        self.rendering_since
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .map(|since| since.elapsed())
    }

    fn put(&self, links: Links, rendered: Arc<Rendered>) {
        *self
            .slot(links)
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(rendered);
    }
}

/// What every route shares: the network and store the calendars and minutes come from, and
/// what `/healthz` and `/metrics` report.
#[derive(Debug, Clone)]
pub struct ServerState {
    /// The current network.
    pub network: watch::Receiver<Arc<Network>>,
    /// Versions and tokens.
    pub store: Arc<Store>,
    /// The time, for recording versions.
    pub clock: Arc<dyn Clock>,
    /// What `/healthz` judges.
    pub health: Arc<Health>,
    /// What `/metrics` serves.
    pub metrics: Arc<Metrics>,
    cache: Arc<Cache>,
    /// The web pages written, by secret.
    pages: Arc<pages::PageCache>,
    /// Becomes `true` when the server stops: requests waiting for a render are answered then.
    closing: watch::Receiver<bool>,
    /// How long a request may take ([`ServerOptions::request_timeout`]): a render running longer
    /// makes `/healthz` unhealthy.
    request_timeout: Duration,
}

/// Why a feed could not be rendered.
#[derive(Debug, thiserror::Error)]
enum RenderError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the render task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("a validator is no header value")]
    Header(#[from] header::InvalidHeaderValue),
    #[error("the server is stopping")]
    Closing,
}

impl ServerState {
    /// What `/healthz` judges now: the bot's health, and a calendar render that has been
    /// running longer than a request may take.
    pub fn verdict(&self) -> Verdict {
        match self.cache.rendering_for() {
            Some(running) if running > self.request_timeout => Verdict::Unhealthy(format!(
                "the calendar has been rendering for {} s; calendar requests time out",
                running.as_secs()
            )),
            _ => self.health.verdict(std::time::Instant::now()),
        }
    }

    /// A state for `network`.
    pub fn new(
        network: watch::Receiver<Arc<Network>>,
        store: Arc<Store>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        // Never closing until `serve_with` gives the state its server's signal.
        let (_, closing) = watch::channel(false);
        Self {
            network,
            store,
            clock,
            health: Arc::new(Health::feed_only()),
            metrics: Arc::default(),
            cache: Arc::default(),
            pages: Arc::default(),
            closing,
            request_timeout: ServerOptions::default().request_timeout,
        }
    }

    /// The same state, judged and counted by the running bot's `health` and `metrics`.
    #[must_use]
    pub fn observed(self, health: Arc<Health>, metrics: Arc<Metrics>) -> Self {
        Self {
            health,
            metrics,
            ..self
        }
    }

    /// The current network and the calendar's change count, read together before a render.
    fn current(&self) -> (Arc<Network>, u64) {
        let changes = self.store.calendar_changes();
        (Arc::clone(&self.network.borrow()), changes)
    }

    /// The current network and the pages' change count, read together before a page is written.
    fn current_for_pages(&self) -> (Arc<Network>, u64) {
        let changes = self.store.changes();
        (Arc::clone(&self.network.borrow()), changes)
    }

    /// The feed with or without `links`, rendered if the network or the accepted proposals
    /// changed since the cached one; [`RenderError::Closing`] as soon as the server stops, also
    /// while waiting for a render.
    async fn rendered(&self, links: Links) -> Result<Arc<Rendered>, RenderError> {
        tokio::select! {
            rendered = self.cached_or_rendered(links) => rendered,
            () = closed(self.closing.clone()) => Err(RenderError::Closing),
        }
    }

    async fn cached_or_rendered(&self, links: Links) -> Result<Arc<Rendered>, RenderError> {
        let (network, changes) = self.current();
        if let Some(rendered) = self.cache.fresh(links, &network, changes) {
            return Ok(rendered);
        }
        let single_flight = Arc::clone(&self.cache.render).lock_owned().await;
        // Whoever held the lock before may have rendered just this.
        let (network, changes) = self.current();
        if let Some(rendered) = self.cache.fresh(links, &network, changes) {
            return Ok(rendered);
        }
        let state = self.clone();
        // The render owns the lock and fills the cache itself: a request that times out
        // meanwhile does not waste it, and no second render starts beside it.
        tokio::task::spawn_blocking(move || {
            let _single_flight = single_flight;
            let _rendering = Rendering::start(&state.cache);
            let rendered = Arc::new(state.render(links, network, changes)?);
            state.cache.put(links, Arc::clone(&rendered));
            Ok(rendered)
        })
        .await?
    }

    fn render(
        &self,
        links: Links,
        network: Arc<Network>,
        changes: u64,
    ) -> Result<Rendered, RenderError> {
        let calendar = calendar::build(
            &network,
            &self.store,
            self.clock.now(),
            Selection::All,
            links,
        )?;
        Ok(Rendered {
            source: network,
            changes,
            etag: strong_etag(calendar.text.as_bytes())?,
            last_modified_header: HeaderValue::from_str(&http_date(calendar.last_modified))?,
            last_modified: calendar.last_modified,
            body: axum::body::Bytes::from(calendar.text),
        })
    }

    /// Runs a store query on the blocking pool, so a busy database never stalls the
    /// server's threads.
    async fn query<T: Send + 'static>(
        &self,
        query: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StatusCode> {
        let store = Arc::clone(&self.store);
        match tokio::task::spawn_blocking(move || query(&store)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => {
                warn!(%error, "cannot read the database");
                Err(StatusCode::INTERNAL_SERVER_ERROR)
            }
            Err(error) => {
                warn!(%error, "a database query failed");
                Err(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    /// Whether the configuration publishes the network calendar.
    fn public(&self) -> bool {
        self.network
            .borrow()
            .config
            .calendar
            .as_ref()
            .is_some_and(|c| c.public)
    }
}

/// Completes when `closing` becomes `true`; never if its sender is gone first.
async fn closed(mut closing: watch::Receiver<bool>) {
    if closing.wait_for(|closing| *closing).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110, 5.6.7).
fn http_date(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn parse_http_date(text: &str) -> Option<DateTime<Utc>> {
    chrono::NaiveDateTime::parse_from_str(text.trim(), "%a, %d %b %Y %H:%M:%S GMT")
        .ok()
        .map(|naive| naive.and_utc())
}

/// The routes.
pub fn router(state: ServerState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/calendar.ics", get(network_calendar))
        .route("/feeds/{file}", get(room_calendar))
        .route("/minutes/{file}", get(minutes_file))
        .route("/rooms/{token}", get(pages::room_page))
        .route("/organizers/{token}", get(pages::organizers_page))
        .route("/rooms/{token}/invitations/{file}", get(pages::invitation))
        .route("/style.css", get(pages::style_sheet))
        .route("/", get(pages::public_page))
        .with_state(state)
}

/// Serves with the default [`ServerOptions`] until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: ServerState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, ServerOptions::default(), shutdown).await
}

/// Serves until `shutdown` completes, then lets open requests finish (for a bounded time).
pub async fn serve_with(
    listener: TcpListener,
    state: ServerState,
    options: ServerOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let max_connections = options.max_connections.max(1);
    let slots = Arc::new(Semaphore::new(max_connections));
    let all_sockets = max_connections.saturating_mul(2);
    let sockets = Arc::new(Semaphore::new(all_sockets));
    let open = Arc::new(Open::default());
    let (closing_tx, closing) = watch::channel(false);
    tokio::spawn(watch_store(
        Arc::clone(&state.store),
        options.store_poll,
        closing.clone(),
    ));
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .keep_alive(true);
    let state = ServerState {
        closing: closing.clone(),
        request_timeout: options.request_timeout,
        ..state
    };
    let connection = Arc::new(ConnectionOptions {
        builder,
        router: router(state),
        idle_timeout: options.idle_timeout,
        request_timeout: options.request_timeout,
    });
    let mut next_id: u64 = 0;
    let mut refused = Refused::default();
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Out of file descriptors, most likely: wait for some to close instead
                    // of spinning.
                    warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        // Never a wait here: a socket beyond the bound is closed at once.
        let Ok(socket) = Arc::clone(&sockets).try_acquire_owned() else {
            drop(stream);
            refused.count();
            continue;
        };
        next_id += 1;
        tokio::spawn(connection_task(Arriving {
            stream,
            options: Arc::clone(&connection),
            slots: Arc::clone(&slots),
            open: Arc::clone(&open),
            id: next_id,
            closing: closing.clone(),
            _socket: socket,
        }));
    }
    drop(listener);
    closing_tx.send_replace(true);
    let all = u32::try_from(all_sockets).unwrap_or(u32::MAX);
    if tokio::time::timeout(SHUTDOWN_GRACE, sockets.acquire_many(all))
        .await
        .is_err()
    {
        warn!("some connections were still open at shutdown");
    }
    Ok(())
}

/// Counts the connections closed on arrival, and says so at most once a minute: a flood must
/// not flood the log too.
#[derive(Debug, Default)]
struct Refused {
    since_warning: u64,
    warned_at: Option<Instant>,
}

impl Refused {
    fn count(&mut self) {
        self.since_warning += 1;
        if self
            .warned_at
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(60))
        {
            warn!(
                connections = self.since_warning,
                "too many open connections; closing new ones"
            );
            self.since_warning = 0;
            self.warned_at = Some(Instant::now());
        }
    }
}

/// A connection just accepted, with what its task needs.
struct Arriving {
    stream: TcpStream,
    options: Arc<ConnectionOptions>,
    slots: Arc<Semaphore>,
    open: Arc<Open>,
    id: u64,
    closing: watch::Receiver<bool>,
    /// Its place among the open sockets, held until it is closed.
    _socket: OwnedSemaphorePermit,
}

/// Gets the connection a slot — at once, or after asking the oldest idle connection to leave
/// (within [`SLOT_WAIT`], else it is closed) — and serves it.
async fn connection_task(arriving: Arriving) {
    let Arriving {
        stream,
        options,
        slots,
        open,
        id,
        mut closing,
        _socket,
    } = arriving;
    let slot = match Arc::clone(&slots).try_acquire_owned() {
        Ok(slot) => slot,
        Err(_) => {
            open.evict_oldest_idle();
            let waited = tokio::select! {
                waited = tokio::time::timeout(SLOT_WAIT, slots.acquire_owned()) => waited,
                _ = closing.wait_for(|closing| *closing) => return,
            };
            match waited {
                Ok(Ok(slot)) => slot,
                _ => {
                    warn!("all connections are busy; closing a new one");
                    return;
                }
            }
        }
    };
    let activity = open.add(id);
    serve_connection(stream, options, activity, open, id, slot, closing).await;
}

/// Looks for other processes' changes to the database every `every` (see
/// [`Store::notice_external_changes`]) until the server closes.
async fn watch_store(store: Arc<Store>, every: Duration, mut closing: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = closing.wait_for(|closing| *closing) => return,
        }
        let store = Arc::clone(&store);
        match tokio::task::spawn_blocking(move || store.notice_external_changes()).await {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => warn!(%error, "cannot look for changes in the database"),
            Err(error) => warn!(%error, "the database check failed"),
        }
    }
}

/// What every connection shares.
#[derive(Debug)]
struct ConnectionOptions {
    builder: http1::Builder,
    router: Router,
    idle_timeout: Duration,
    request_timeout: Duration,
}

/// The open connections, oldest first, so a full server knows whom to ask to leave.
#[derive(Debug, Default)]
struct Open(Mutex<BTreeMap<u64, Arc<Activity>>>);

impl Open {
    fn add(&self, id: u64) -> Arc<Activity> {
        let activity = Arc::new(Activity::default());
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, Arc::clone(&activity));
        activity
    }

    fn remove(&self, id: u64) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }

    /// Asks the oldest connection without a request in progress to close (it hands its slot
    /// over at once). Idle sockets are what an exhausting client holds; a poller whose
    /// connection goes simply reconnects.
    fn evict_oldest_idle(&self) {
        let mut open = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let idle = open
            .iter()
            .find(|(_, a)| {
                a.in_flight.load(Ordering::Acquire) == 0 && !a.evicted.load(Ordering::Acquire)
            })
            .map(|(id, _)| *id);
        if let Some(activity) = idle.and_then(|id| open.remove(&id)) {
            activity.evicted.store(true, Ordering::Release);
            activity.evict.notify_one();
        }
    }
}

/// What one connection is doing, for the idle timeout and for eviction.
#[derive(Debug, Default)]
struct Activity {
    /// Requests being handled.
    in_flight: AtomicUsize,
    /// Whether a request ever began: a connection without one has no response to finish.
    served: AtomicBool,
    /// When the last request ended (or the connection opened): milliseconds since `EPOCH`.
    idle_since: AtomicU64,
    evicted: AtomicBool,
    evict: Notify,
}

/// The clock the idle times are read from.
fn millis(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Counts a request in progress while it lives (also when its connection drops it).
struct InFlight<'a> {
    activity: &'a Activity,
    epoch: Instant,
}

impl<'a> InFlight<'a> {
    fn new(activity: &'a Activity, epoch: Instant) -> Self {
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        activity.served.store(true, Ordering::Release);
        Self { activity, epoch }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.activity
            .idle_since
            .store(millis(self.epoch), Ordering::Release);
        self.activity.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Serves one connection until it closes, idles too long, is evicted or the server stops; a
/// connection asked to close finishes the response it is writing, within a grace period. An
/// evicted one gives its slot up at once, and closes at once if it never had a request.
async fn serve_connection(
    stream: TcpStream,
    options: Arc<ConnectionOptions>,
    activity: Arc<Activity>,
    open: Arc<Open>,
    id: u64,
    slot: OwnedSemaphorePermit,
    mut closing: watch::Receiver<bool>,
) {
    let mut slot = Some(slot);
    let epoch = Instant::now();
    let service = {
        let options = Arc::clone(&options);
        let activity = Arc::clone(&activity);
        hyper::service::service_fn(move |request: Request<Incoming>| {
            let options = Arc::clone(&options);
            let activity = Arc::clone(&activity);
            async move {
                let _in_flight = InFlight::new(&activity, epoch);
                Ok::<_, Infallible>(handle(&options, request).await)
            }
        })
    };
    let connection = options
        .builder
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let mut deadline: Option<Instant> = None;
    loop {
        let idle_check = if activity.in_flight.load(Ordering::Acquire) == 0 {
            epoch
                + Duration::from_millis(activity.idle_since.load(Ordering::Acquire))
                + options.idle_timeout
        } else {
            Instant::now() + options.idle_timeout
        };
        tokio::select! {
            _ = connection.as_mut() => break,
            () = activity.evict.notified(), if slot.is_some() => {
                drop(slot.take());
                if !activity.served.load(Ordering::Acquire) {
                    break;
                }
                if deadline.is_none() {
                    connection.as_mut().graceful_shutdown();
                    deadline = Some(Instant::now() + EVICTION_GRACE);
                }
            }
            _ = closing.wait_for(|closing| *closing), if deadline.is_none() => {
                if !activity.served.load(Ordering::Acquire) {
                    break;
                }
                connection.as_mut().graceful_shutdown();
                deadline = Some(Instant::now() + SHUTDOWN_GRACE);
            }
            () = tokio::time::sleep_until(idle_check), if deadline.is_none() => {
                let idle_since = epoch
                    + Duration::from_millis(activity.idle_since.load(Ordering::Acquire));
                if activity.in_flight.load(Ordering::Acquire) == 0
                    && idle_since.elapsed() >= options.idle_timeout
                {
                    if !activity.served.load(Ordering::Acquire) {
                        break;
                    }
                    connection.as_mut().graceful_shutdown();
                    deadline = Some(Instant::now() + EVICTION_GRACE);
                }
            }
            () = sleep_until_some(deadline) => break,
        }
    }
    open.remove(id);
}

/// Sleeps until `deadline`, or forever without one.
async fn sleep_until_some(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Routes one request, within the request timeout, and marks every response `nosniff`: a
/// browser must not read a calendar or minutes as HTML.
async fn handle(options: &ConnectionOptions, request: Request<Incoming>) -> Response {
    let request = request.map(axum::body::Body::new);
    let mut router = options.router.clone();
    let mut response =
        match tokio::time::timeout(options.request_timeout, router.call(request)).await {
            Ok(Ok(response)) => response,
            Ok(Err(never)) => match never {},
            Err(_) => {
                warn!("a request took too long; answering 503");
                StatusCode::SERVICE_UNAVAILABLE.into_response()
            }
        };
    response.headers_mut().insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// 200 `ok` while the bot does its job, 503 and the reason otherwise; never cached. A render
/// that has been running longer than a request may take is a reason: every calendar request
/// times out meanwhile.
async fn healthz(State(state): State<ServerState>) -> Response {
    let verdict = state.verdict();
    let (status, body) = match verdict {
        Verdict::Healthy => (StatusCode::OK, "ok\n".to_owned()),
        Verdict::Unhealthy(why) => (StatusCode::SERVICE_UNAVAILABLE, format!("{why}\n")),
    };
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The metrics, with the facts of the moment read fresh.
async fn metrics(State(state): State<ServerState>) -> Response {
    let counts = state
        .query(|store| store.unfinished_counts())
        .await
        .unwrap_or_default();
    let since_last_sync = state
        .health
        .without_sync(std::time::Instant::now())
        .unwrap_or_default();
    let text = state.metrics.encode(&Moment {
        since_last_sync,
        pending_deliveries: counts.pending_deliveries,
        open_posts: counts.open_posts,
    });
    let mut response = (StatusCode::OK, text).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(metrics_text::CONTENT_TYPE),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Counts a feed or minutes response by its status.
fn counted(state: &ServerState, endpoint: &str, response: Response) -> Response {
    state
        .metrics
        .feed_request(endpoint, response.status().as_u16());
    response
}

async fn network_calendar(State(state): State<ServerState>, headers: HeaderMap) -> Response {
    let response = if state.public() {
        respond(&state, &headers, Links::Omit, "public, max-age=3600").await
    } else {
        StatusCode::NOT_FOUND.into_response()
    };
    counted(&state, "calendar", response)
}

async fn room_calendar(
    State(state): State<ServerState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let response = room_calendar_response(&state, file, &headers).await;
    counted(&state, "feed", response)
}

async fn room_calendar_response(
    state: &ServerState,
    file: String,
    headers: &HeaderMap,
) -> Response {
    let Some(token) = file.strip_suffix(".ics").map(str::to_owned) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match state.query(move |store| store.room_of_token(&token)).await {
        Ok(Some(_)) => respond(state, headers, Links::Include, "private, max-age=3600").await,
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(status) => status.into_response(),
    }
}

/// Approved minutes, as archived: only their link's unguessable token finds them, as minutes
/// are for the network's members (the link is posted in their rooms).
/// The largest archived minutes file served (minutes are bounded far below: 200 entries of at
/// most 4,000 characters).
const MINUTES_LIMIT: u64 = 8 * 1024 * 1024;

async fn minutes_file(
    State(state): State<ServerState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let response = match file.strip_suffix(".md") {
        Some(token) => minutes_response(&state, token.to_owned()).await,
        None => pages::minutes_page(&state, file, &headers).await,
    };
    counted(&state, "minutes", response)
}

async fn minutes_response(state: &ServerState, token: String) -> Response {
    let row = match state
        .query(move |store| store.minutes_by_token(&token))
        .await
    {
        Ok(Some(row)) => row,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(status) => return status.into_response(),
    };
    let data_dir = state.network.borrow().config.data_dir.clone();
    // The store hands out only names convene makes; read through the data directory's guards
    // (inside it, a regular file, never more than the limit): the archive is the bot's own,
    // but the data directory is where a mistake or an attacker would put a link to
    // `/etc/shadow` or `/dev/zero`.
    let archived = row
        .file_name
        .as_deref()
        .map(|name| std::path::Path::new("minutes").join(name));
    let read = match archived {
        Some(relative) => Some(
            tokio::task::spawn_blocking(move || {
                crate::files::read_in_data_dir(&data_dir, &relative, MINUTES_LIMIT)
                    .map_err(|e| e.to_string())
            })
            .await
            .unwrap_or_else(|error| Err(error.to_string())),
        ),
        None => None,
    };
    let body = match read {
        Some(Ok(body)) => body,
        other => {
            if let Some(Err(error)) = other {
                warn!(%error, minutes = %row.meeting_key, "the archived minutes are unreadable; serving the database's copy");
            }
            match row.markdown {
                Some(markdown) => markdown,
                None => return StatusCode::NOT_FOUND.into_response(),
            }
        }
    };
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/markdown; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    if let Some(name) = row.file_name
        && let Ok(value) = HeaderValue::from_str(&format!("inline; filename=\"{name}\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

async fn respond(
    state: &ServerState,
    headers: &HeaderMap,
    links: Links,
    cache_control: &'static str,
) -> Response {
    let rendered = match state.rendered(links).await {
        Ok(rendered) => rendered,
        Err(RenderError::Closing) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Err(error) => {
            warn!(%error, "cannot render the calendar");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let not_modified = match headers.get(header::IF_NONE_MATCH) {
        // If-None-Match wins over If-Modified-Since (RFC 9110, 13.1.3).
        Some(_) => etag_matches(headers, &rendered.etag),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_http_date)
            .is_some_and(|since| rendered.last_modified.timestamp() <= since.timestamp()),
    };
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, rendered.body.clone()).into_response()
    };
    let response_headers = response.headers_mut();
    response_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    response_headers.insert(header::ETAG, rendered.etag.clone());
    response_headers.insert(header::LAST_MODIFIED, rendered.last_modified_header.clone());
    response_headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    response
}

/// The strong ETag of `body`: its SHA-256, quoted.
fn strong_etag(body: &[u8]) -> Result<HeaderValue, header::InvalidHeaderValue> {
    let hex: String = Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    HeaderValue::from_str(&format!("\"{hex}\""))
}

/// Whether the request's `If-None-Match` names `etag` (weak comparison, RFC 9110, 13.1.2).
fn etag_matches(headers: &HeaderMap, etag: &HeaderValue) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|list| {
            list.split(',')
                .map(str::trim)
                .any(|tag| tag == "*" || tag.trim_start_matches("W/").as_bytes() == etag.as_bytes())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_round_trip() {
        let at: DateTime<Utc> = "1994-11-06T08:49:37Z".parse().unwrap();
        assert_eq!(http_date(at), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(at));
    }
}
