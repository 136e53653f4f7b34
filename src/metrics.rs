//! Prometheus metrics at `/metrics`: what an operator needs to see from outside whether the
//! bot is doing its job — posts going out, commands answered, the homeserver in reach, the
//! feed polled.
//!
//! Encoded by `prometheus-client` (the Prometheus project's Rust client) in the OpenMetrics text
//! format. Labels carry only bounded, non-private values: kinds of posts and parts, outcomes,
//! command names, endpoints and status codes — never room ids, user ids, tokens or titles, as
//! the endpoint needs no login.
//!
//! Counters are bumped where things happen; the gauges that are facts of the moment (seconds
//! since the last sync, pending deliveries) are set just before each scrape is encoded.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use std::sync::atomic::AtomicU64;

/// The content type of [`Metrics::encode`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// How a delivery (one part of a post in one room) ended this time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The homeserver accepted it.
    Sent,
    /// It failed and will be tried again.
    Failed,
    /// It was given up (kept failing, or the meeting started).
    GivenUp,
}

impl DeliveryOutcome {
    fn label(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::GivenUp => "given_up",
        }
    }
}

/// How a chat command was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandOutcome {
    /// Carried out (its answer may still say that nothing was to do).
    Ok,
    /// Refused: an organizers' or chairs' command from someone else.
    Refused,
    /// Not understood: unknown command or wrong arguments.
    Invalid,
    /// The bot could not carry it out (its database failed).
    Failed,
}

impl CommandOutcome {
    fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Refused => "refused",
            Self::Invalid => "invalid",
            Self::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    post: String,
    part: String,
    outcome: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CommandLabels {
    command: String,
    outcome: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FeedLabels {
    endpoint: String,
    status: String,
}

/// The bot's metrics; shared by every part of the bot.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    deliveries: Family<DeliveryLabels, Counter>,
    fan_out: Histogram,
    pending_deliveries: Gauge,
    open_posts: Gauge,
    since_last_sync: Gauge<f64, AtomicU64>,
    commands: Family<CommandLabels, Counter>,
    reload_failures: Counter,
    feed_requests: Family<FeedLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Every metric at zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("convene");
        let deliveries = Family::<DeliveryLabels, Counter>::default();
        registry.register(
            "deliveries",
            "Parts of posts (message, file, pin, edit) sent to rooms, by kind of post and outcome",
            deliveries.clone(),
        );
        // 0.25 s to 128 s: a fan-out to 40 rooms takes 1–3 s; retries and outages take longer.
        let fan_out = Histogram::new(exponential_buckets(0.25, 2.0, 10));
        registry.register_with_unit(
            "fan_out_duration",
            "How long one pass over a post's rooms took",
            Unit::Seconds,
            fan_out.clone(),
        );
        let pending_deliveries = Gauge::default();
        registry.register(
            "pending_deliveries",
            "Deliveries begun and neither confirmed nor given up",
            pending_deliveries.clone(),
        );
        let open_posts = Gauge::default();
        registry.register(
            "open_posts",
            "Posts (announcements, reminders, minutes, notices) not finished in every room",
            open_posts.clone(),
        );
        let since_last_sync = Gauge::<f64, AtomicU64>::default();
        registry.register_with_unit(
            "since_last_sync",
            "Time since the last successful sync with the homeserver (since the start, before the first)",
            Unit::Seconds,
            since_last_sync.clone(),
        );
        let commands = Family::<CommandLabels, Counter>::default();
        registry.register(
            "commands",
            "Chat commands, by command and outcome",
            commands.clone(),
        );
        let reload_failures = Counter::default();
        registry.register(
            "reload_failures",
            "Changes of the configuration or agenda files that were refused (the last good version stays in force)",
            reload_failures.clone(),
        );
        let feed_requests = Family::<FeedLabels, Counter>::default();
        registry.register(
            "feed_requests",
            "Requests for calendars and minutes, by endpoint and HTTP status (304: not modified)",
            feed_requests.clone(),
        );
        Self {
            registry,
            deliveries,
            fan_out,
            pending_deliveries,
            open_posts,
            since_last_sync,
            commands,
            reload_failures,
            feed_requests,
        }
    }

    /// A part of a post (`post`: its kind, such as `announcement`; `part`: `message`, `file`,
    /// `pin` or `edit`) was sent, failed or given up in one room.
    pub fn delivery(&self, post: &str, part: &str, outcome: DeliveryOutcome) {
        self.deliveries
            .get_or_create(&DeliveryLabels {
                post: post.to_owned(),
                part: part.to_owned(),
                outcome: outcome.label().to_owned(),
            })
            .inc();
    }

    /// One pass over a post's rooms took `took`.
    pub fn fan_out(&self, took: Duration) {
        self.fan_out.observe(took.as_secs_f64());
    }

    /// A chat command (`command` as `!help` names it, without the `!`) was taken.
    pub fn command(&self, command: &str, outcome: CommandOutcome) {
        self.commands
            .get_or_create(&CommandLabels {
                command: command.to_owned(),
                outcome: outcome.label().to_owned(),
            })
            .inc();
    }

    /// A change of the files was refused.
    pub fn reload_failed(&self) {
        self.reload_failures.inc();
    }

    /// A feed or minutes request (`endpoint`: `calendar`, `feed`, `minutes` or `page`) was answered
    /// with `status`.
    pub fn feed_request(&self, endpoint: &str, status: u16) {
        self.feed_requests
            .get_or_create(&FeedLabels {
                endpoint: endpoint.to_owned(),
                status: status.to_string(),
            })
            .inc();
    }

    /// The facts of the moment, then every metric in the OpenMetrics text format.
    pub fn encode(&self, moment: &Moment) -> String {
        self.since_last_sync
            .set(moment.since_last_sync.as_secs_f64());
        self.pending_deliveries
            .set(i64::try_from(moment.pending_deliveries).unwrap_or(i64::MAX));
        self.open_posts
            .set(i64::try_from(moment.open_posts).unwrap_or(i64::MAX));
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// What is read fresh for each scrape.
#[derive(Debug, Clone, Copy, Default)]
pub struct Moment {
    /// Time since the last successful sync (or since the start, before the first).
    pub since_last_sync: Duration,
    /// Deliveries begun and neither confirmed nor given up.
    pub pending_deliveries: u64,
    /// Posts not finished.
    pub open_posts: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_names_every_metric_with_its_labels() {
        let metrics = Metrics::new();
        metrics.delivery("announcement", "message", DeliveryOutcome::Sent);
        metrics.delivery("announcement", "message", DeliveryOutcome::Sent);
        metrics.delivery("reminder", "pin", DeliveryOutcome::GivenUp);
        metrics.command("ping", CommandOutcome::Ok);
        metrics.command("minutes start", CommandOutcome::Refused);
        metrics.reload_failed();
        metrics.feed_request("feed", 304);
        metrics.fan_out(Duration::from_millis(1500));
        let text = metrics.encode(&Moment {
            since_last_sync: Duration::from_millis(2500),
            pending_deliveries: 3,
            open_posts: 1,
        });
        for line in [
            "convene_deliveries_total{post=\"announcement\",part=\"message\",outcome=\"sent\"} 2",
            "convene_deliveries_total{post=\"reminder\",part=\"pin\",outcome=\"given_up\"} 1",
            "convene_commands_total{command=\"ping\",outcome=\"ok\"} 1",
            "convene_commands_total{command=\"minutes start\",outcome=\"refused\"} 1",
            "convene_reload_failures_total 1",
            "convene_feed_requests_total{endpoint=\"feed\",status=\"304\"} 1",
            "convene_fan_out_duration_seconds_count 1",
            "convene_fan_out_duration_seconds_bucket{le=\"2.0\"} 1",
            "convene_fan_out_duration_seconds_bucket{le=\"1.0\"} 0",
            "convene_since_last_sync_seconds 2.5",
            "convene_pending_deliveries 3",
            "convene_open_posts 1",
            "# EOF",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
    }
}
