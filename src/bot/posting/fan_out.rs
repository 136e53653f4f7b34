//! The fan-out: every part of every recorded post in every room, exactly once.
//!
//! A post is recorded (`posts` table) before any of it is sent, and finished only when every
//! part of it is settled in every room and the organizers have their summary. Each round, the
//! posting job works on every open post: it rebuilds the post's parts per room from the current
//! files and the stored records (see [`PostPlan`]), asks [`delivery::decide`] what to do, and
//! does it: sends what is missing (recording each part before and after the send, with a
//! deterministic transaction id the homeserver deduplicates), records failures with their
//! back-off, gives up what can no longer be sent, and starts the summary and the follow-up
//! report as posts of their own (so they, too, survive a crash). A restart at any point
//! therefore resumes exactly what is missing.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use matrix_sdk::Client;
use matrix_sdk::ruma::OwnedRoomId;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::{info, warn};

use super::super::outbox::Target;
use super::plan::{Planner, PostPlan, meeting_of, report};
use super::record::{Kind, Recorder};
use super::worker::RoomWorker;
use crate::clock::Clock;
use crate::delivery::{self, Decision, Failure, Record, RoomStep};
use crate::metrics::Metrics;
use crate::network::Network;
use crate::posting::PostKind;
use crate::render::{self, FanOutReport, Rendered};
use crate::store::{PostRow, Store};

/// How many rooms are worked on at once: a whole network of 30–40 municipalities in one wave,
/// few enough for a homeserver with a thousand rooms (rate-limited requests are retried by the
/// SDK). Measured with `benches/fanout.rs` (41 encrypted rooms, 10 runs, on a loaded 2-core
/// machine): 8 at once took 4.4–9.1 s (median 7.2 s), 16 took 3.3–6.7 s (5.5 s), 41 took
/// 1.4–5.9 s (3.8 s). Synapse works the requests of different rooms side by side; within a room
/// the parts stay in order.
const ROOMS_AT_ONCE: usize = 40;

/// Works on the recorded posts.
#[derive(Debug)]
pub struct FanOut {
    /// The logged-in client.
    pub client: Client,
    /// The delivery records.
    pub store: Arc<Store>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// Deliveries and fan-outs are counted here.
    pub metrics: Arc<Metrics>,
    /// Summaries and reports are recorded as posts of their own.
    pub recorder: Recorder,
}

impl FanOut {
    /// Works on every open post until nothing more can be done now; returns when a retry is
    /// due.
    pub async fn run_posts(&self, network: &Network, targets: &[Target]) -> Option<DateTime<Utc>> {
        let mut done: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        let mut wake: Option<DateTime<Utc>> = None;
        // Posts started while working (summaries, reports) are worked on in the same round.
        loop {
            let open = match self.store.open_posts() {
                Ok(open) => open,
                Err(error) => {
                    warn!(%error, "cannot read the open posts");
                    return Some(delivery::after(self.clock.now(), delivery::FIRST_RETRY));
                }
            };
            let fresh: Vec<PostRow> = open
                .into_iter()
                .filter(|post| !done.contains(&post.post_key))
                .collect();
            if fresh.is_empty() {
                return wake;
            }
            for post in fresh {
                done.insert(post.post_key.clone());
                if let Some(at) = self.run_post(network, targets, &post).await {
                    wake = Some(wake.map_or(at, |w| w.min(at)));
                }
            }
        }
    }

    /// Works on one post: its rooms, then its summary, then its end.
    async fn run_post(
        &self,
        network: &Network,
        targets: &[Target],
        post: &PostRow,
    ) -> Option<DateTime<Utc>> {
        let planner = Planner {
            store: &self.store,
            now: self.clock.now(),
        };
        let Some(plan) = planner.plan_post(network, targets, post) else {
            self.finish(post, false);
            return None;
        };
        // Each pass either makes progress or returns; a few passes cover rooms, summary, end.
        for _ in 0..4 {
            let now = self.clock.now();
            let records = self.records(&plan);
            let summary = plan.summary.as_deref().map(|key| self.summary_record(key));
            let decision = delivery::decide(&records, summary.as_ref(), now, plan.policy);
            let Decision {
                rooms,
                summarize,
                follow_up,
                finish,
                wake_at,
            } = decision;
            if !rooms.is_empty() {
                self.work_rooms(post, &plan, rooms).await;
                continue;
            }
            if summarize && let Some(key) = &plan.summary {
                let mut report = report(&plan, &records);
                self.add_unconfirmed(&plan, &records, &mut report).await;
                let text = self.summary_text(network, post, &report);
                self.recorder
                    .start_notice(key, &meeting_of(network, post), None, text);
                continue;
            }
            if finish {
                if follow_up {
                    let report = report(&plan, &records);
                    self.follow_up(network, post, &report);
                }
                self.finish(post, true);
                return None;
            }
            return wake_at;
        }
        Some(delivery::after(self.clock.now(), delivery::FIRST_RETRY))
    }

    /// Records a post as finished, with what follows from that.
    fn finish(&self, post: &PostRow, complete: bool) {
        let now = self.clock.now();
        if Kind::parse(&post.kind) == Kind::Minutes
            && complete
            && let Err(error) = self.store.minutes_published(&post.meeting_key, now)
        {
            warn!(%error, "cannot record the publication of the minutes");
        }
        if let Err(error) = self.store.finish_post(&post.post_key, now) {
            warn!(post = %post.post_key, %error, "cannot record a finished post");
            return;
        }
        info!(post = %post.post_key, "post finished");
    }

    /// The records of every part in every room, in plan order.
    fn records(&self, plan: &PostPlan) -> Vec<Vec<Record>> {
        plan.rooms
            .iter()
            .map(|room| room.records(&self.store))
            .collect()
    }

    /// The summary counts as sent once its notice post is recorded (that post is then
    /// delivered, retried and resumed like any other).
    fn summary_record(&self, key: &str) -> Record {
        match self.store.post(key) {
            Ok(Some(post)) => Record::Done {
                at: post.created_at,
            },
            Ok(None) => Record::Missing,
            Err(_) => Record::Pending {
                since: self.clock.now(),
                attempts: 1,
                retry_at: Some(delivery::after(self.clock.now(), delivery::FIRST_RETRY)),
                failure: Some(Failure::Database),
            },
        }
    }

    /// Runs the rooms' steps, several rooms at once, each room's parts in order.
    async fn work_rooms(&self, post: &PostRow, plan: &PostPlan, steps: Vec<(usize, RoomStep)>) {
        let started = std::time::Instant::now();
        let limit = Arc::new(Semaphore::new(ROOMS_AT_ONCE));
        let mut tasks = JoinSet::new();
        for (index, _) in steps {
            let Some(room) = plan.rooms.get(index).cloned() else {
                continue;
            };
            let worker = RoomWorker {
                client: self.client.clone(),
                store: Arc::clone(&self.store),
                clock: Arc::clone(&self.clock),
                post: post.clone(),
                policy: plan.policy,
                metrics: Arc::clone(&self.metrics),
            };
            let limit = Arc::clone(&limit);
            tasks.spawn(async move {
                let _permit = limit.acquire_owned().await;
                worker.run(&room).await;
            });
        }
        while let Some(joined) = tasks.join_next().await {
            if let Err(error) = joined {
                warn!(post = %post.post_key, %error, "a delivery task failed");
            }
        }
        self.metrics.fan_out(started.elapsed());
    }

    /// Adds the delivered rooms with members on homeservers that cannot be reached now (see
    /// [`super::reach`]); `records` are the rooms' records, in plan order.
    async fn add_unconfirmed(
        &self,
        plan: &PostPlan,
        records: &[Vec<Record>],
        report: &mut FanOutReport,
    ) {
        let delivered: Vec<(&str, OwnedRoomId)> = plan
            .rooms
            .iter()
            .zip(records)
            .filter(|(_, records)| records.iter().all(|r| matches!(r, Record::Done { .. })))
            .filter_map(|(room, _)| {
                Some((room.target.name.as_str(), room.target.room_id.clone().ok()?))
            })
            .collect();
        let room_ids: Vec<OwnedRoomId> = delivered.iter().map(|(_, id)| id.clone()).collect();
        let unreachable = super::super::reach::unreachable_servers(&self.client, &room_ids).await;
        for (name, room_id) in delivered {
            if let Some(servers) = unreachable.get(&room_id) {
                info!(room = %room_id, ?servers, "delivered, but members' servers are unreachable");
                report.unconfirmed.push((
                    name.to_owned(),
                    servers.iter().map(ToString::to_string).collect(),
                ));
            }
        }
    }

    fn summary_text(&self, network: &Network, post: &PostRow, report: &FanOutReport) -> Rendered {
        let language = network.config.language;
        let meeting = meeting_of(network, post);
        match Kind::parse(&post.kind) {
            Kind::Minutes => {
                render::minutes_summary(language, &post.meeting_title, meeting.start, report)
            }
            Kind::Poll => match self.store.poll(&post.meeting_key) {
                Ok(Some(poll)) => {
                    render::poll_summary(language, &poll.title, poll.decide_by, report)
                }
                _ => render::delivery_summary(language, &meeting, PostKind::Announcement, report),
            },
            Kind::Reminder => render::delivery_summary(
                language,
                &meeting,
                PostKind::Reminder(Default::default()),
                report,
            ),
            _ => render::delivery_summary(language, &meeting, PostKind::Announcement, report),
        }
    }

    /// Tells the organizers how rooms ended that were still open at the summary (or, for posts
    /// without a summary, which rooms were given up).
    fn follow_up(&self, network: &Network, post: &PostRow, report: &FanOutReport) {
        let meeting = meeting_of(network, post);
        if Kind::parse(&post.kind) == Kind::Notice {
            // A notice to the organizers that cannot be delivered cannot be reported there.
            warn!(post = %post.post_key, failed = ?report.failed, "a notice was given up");
            return;
        }
        let text = render::follow_up_report(network.config.language, &meeting, report);
        self.recorder
            .start_notice(&format!("report/{}", post.post_key), &meeting, None, text);
    }
}
