//! Whether the running bot is doing its job, as `/healthz` reports it to a service manager or a
//! monitoring system.
//!
//! A bot process can be alive and useless: its homeserver unreachable, or a background task
//! gone. So health is not "the process answers HTTP" but two facts the bot keeps up to date:
//! the last successful sync is recent (the sync loop long-polls for at most
//! [`crate::bot::LONG_POLL`], so a healthy bot syncs at least that often), and no background
//! task has stopped. A task that stops also ends the process (see `bot::run`), so systemd
//! restarts it; until then `/healthz` already says what is wrong. `convene feed` serves only the
//! feed and has no sync to judge: it is healthy while it serves.
//!
//! `/healthz` answers anyone who reaches the server, so its reasons are general — that the sync
//! fails and for how long, which task stopped — and never the error itself: a sync error names
//! the homeserver's internal URL and the sync position, a task's error whatever it touched. The
//! details are in the log, where the bot writes them as they happen.
//!
//! Pure: the callers pass the time in.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How old the last successful sync may be before the bot counts as unhealthy: one long poll
/// plus a minute for a slow homeserver.
pub const SYNC_STALE_AFTER: Duration = Duration::from_secs(90);

/// What `/healthz` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Doing its job.
    Healthy,
    /// Not doing its job, and what is wrong in general terms (English, for operators).
    Unhealthy(String),
}

/// The facts health is judged on.
#[derive(Debug)]
pub struct Health {
    /// `None` for `convene feed`, which does not sync.
    state: Option<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    started: Instant,
    last_sync: Option<Instant>,
    /// Whether the latest sync failed (cleared by the next success).
    sync_failing: bool,
    /// The first background task that stopped.
    stopped: Option<String>,
}

impl Health {
    /// Health of a running bot that started at `started`: unhealthy until its first sync.
    pub fn bot(started: Instant) -> Self {
        Self {
            state: Some(Mutex::new(State {
                started,
                last_sync: None,
                sync_failing: false,
                stopped: None,
            })),
        }
    }

    /// Health of `convene feed`: healthy while it serves.
    pub fn feed_only() -> Self {
        Self { state: None }
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> Option<T> {
        let state = self.state.as_ref()?;
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        Some(f(&mut state))
    }

    /// A sync succeeded at `at`.
    pub fn synced(&self, at: Instant) {
        self.with(|state| {
            state.last_sync = Some(at);
            state.sync_failing = false;
        });
    }

    /// A sync failed (the caller logs why).
    pub fn sync_failed(&self) {
        self.with(|state| state.sync_failing = true);
    }

    /// A background task stopped while the bot was meant to run (the caller logs why).
    pub fn task_stopped(&self, task: &str) {
        self.with(|state| {
            state
                .stopped
                .get_or_insert_with(|| format!("the {task} task stopped (the log says why)"));
        });
    }

    /// How long the bot has been without a successful sync at `now`: since the last one, or
    /// since the start before the first (`None` for the feed, which does not sync).
    pub fn without_sync(&self, now: Instant) -> Option<Duration> {
        self.with(|state| now.saturating_duration_since(state.last_sync.unwrap_or(state.started)))
    }

    /// The verdict at `now`.
    pub fn verdict(&self, now: Instant) -> Verdict {
        self.with(|state| {
            if let Some(stopped) = &state.stopped {
                return Verdict::Unhealthy(stopped.clone());
            }
            if state.sync_failing {
                let since = |at: Instant| now.saturating_duration_since(at).as_secs();
                return Verdict::Unhealthy(match state.last_sync {
                    Some(at) => format!(
                        "the last sync with the homeserver failed; the last successful one was {} s ago",
                        since(at)
                    ),
                    None => format!(
                        "the last sync with the homeserver failed; none has succeeded since the start {} s ago",
                        since(state.started)
                    ),
                });
            }
            match state.last_sync {
                None => Verdict::Unhealthy(format!(
                    "no successful sync yet (started {} s ago)",
                    now.saturating_duration_since(state.started).as_secs()
                )),
                Some(at) if now.saturating_duration_since(at) > SYNC_STALE_AFTER => {
                    Verdict::Unhealthy(format!(
                        "the last successful sync was {} s ago",
                        now.saturating_duration_since(at).as_secs()
                    ))
                }
                Some(_) => Verdict::Healthy,
            }
        })
        .unwrap_or(Verdict::Healthy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bot_is_healthy_only_between_recent_syncs_and_with_all_tasks() {
        let start = Instant::now();
        let health = Health::bot(start);
        let at = |s: u64| start + Duration::from_secs(s);
        assert_eq!(health.without_sync(at(5)), Some(Duration::from_secs(5)));
        assert_eq!(
            health.verdict(at(5)),
            Verdict::Unhealthy("no successful sync yet (started 5 s ago)".to_owned())
        );
        health.synced(at(6));
        assert_eq!(health.verdict(at(50)), Verdict::Healthy);
        assert_eq!(health.without_sync(at(50)), Some(Duration::from_secs(44)));
        assert_eq!(
            health.verdict(at(97)),
            Verdict::Unhealthy("the last successful sync was 91 s ago".to_owned())
        );
        health.sync_failed();
        assert_eq!(
            health.verdict(at(46)),
            Verdict::Unhealthy(
                "the last sync with the homeserver failed; the last successful one was 40 s ago"
                    .to_owned()
            )
        );
        health.synced(at(47));
        assert_eq!(health.verdict(at(48)), Verdict::Healthy);
        health.task_stopped("posting");
        health.task_stopped("outbox");
        assert_eq!(
            health.verdict(at(49)),
            Verdict::Unhealthy("the posting task stopped (the log says why)".to_owned())
        );
    }

    #[test]
    fn a_bot_that_never_synced_says_how_long_it_has_tried() {
        let start = Instant::now();
        let health = Health::bot(start);
        health.sync_failed();
        assert_eq!(
            health.verdict(start + Duration::from_secs(12)),
            Verdict::Unhealthy(
                "the last sync with the homeserver failed; none has succeeded since the start 12 s ago"
                    .to_owned()
            )
        );
    }

    #[test]
    fn the_feed_alone_is_healthy_while_it_serves() {
        let health = Health::feed_only();
        health.sync_failed();
        assert_eq!(health.verdict(Instant::now()), Verdict::Healthy);
        assert_eq!(health.without_sync(Instant::now()), None);
    }
}
