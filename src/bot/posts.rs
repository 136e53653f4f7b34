//! Carrying out posts: every part of every post in every room, exactly once.
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

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use matrix_sdk::Client;
use matrix_sdk::ruma::events::room::message::{
    ReplacementMetadata, RoomMessageEventContentWithoutRelation,
};
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedTransactionId};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

use super::outbox::{self, Attachment, Payload, Target, stable_hash};
use super::polls;
use super::scheduler::{Scheduler, invitation, state_hash};
use crate::change::{self, Shown};
use crate::clock::Clock;
use crate::delivery::{self, Decision, Failure, GiveUp, Policy, Record, RoomStep};
use crate::metrics::{DeliveryOutcome, Metrics};
use crate::network::Network;
use crate::posting::PostKind;
use crate::render::{self, FanOutReport, Rendered, RoomOutcome};
use crate::schedule::{Meeting, Status};
use crate::store::{Delivery, NewDelivery, PostRow, Store};

/// How many rooms are worked on at once: a whole network of 30–40 municipalities in one wave,
/// few enough for a homeserver with a thousand rooms (rate-limited requests are retried by the
/// SDK). Measured with `benches/fanout.rs` (41 encrypted rooms, 10 runs, on a loaded 2-core
/// machine): 8 at once took 4.4–9.1 s (median 7.2 s), 16 took 3.3–6.7 s (5.5 s), 41 took
/// 1.4–5.9 s (3.8 s). Synapse works the requests of different rooms side by side; within a room
/// the parts stay in order.
const ROOMS_AT_ONCE: usize = 40;

/// What a change post needs to be rebuilt after a restart (its `detail`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct ChangeDetail {
    /// The hash of [`ChangeDetail::new`]: the change is superseded when the meeting shows
    /// something else by now.
    pub state: String,
    /// What the posts showed before.
    pub old: Option<Shown>,
    /// What they show now.
    pub new: Shown,
}

/// Who a notice goes to (its `detail`, with the text).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct NoticeDetail {
    /// The room, by its delivery key (its id); `None` for the organizers' room.
    pub room: Option<String>,
    /// The plain text.
    pub plain: String,
    /// The HTML.
    pub html: String,
}

/// One part of a post in one room, ready to send.
#[derive(Debug, Clone)]
enum Part {
    /// A message (announcement, reminder, notice, minutes), showing `shown` if it is an
    /// announcement or reminder.
    Message {
        key: String,
        payload: Payload,
        shown: Option<String>,
        content_hash: String,
    },
    /// A file (.ics invitation, minutes as Markdown).
    File { key: String, attachment: Attachment },
    /// The pin of the message recorded under `message_key` in the same room.
    Pin { key: String, message_key: String },
    /// An edit of an earlier message.
    Edit {
        key: String,
        original: Box<Delivery>,
        content: RoomMessageEventContentWithoutRelation,
        shown: String,
        content_hash: String,
    },
}

impl Part {
    /// What it is, as `/metrics` counts it.
    fn kind_label(&self) -> &'static str {
        match self {
            Self::Message { .. } => "message",
            Self::File { .. } => "file",
            Self::Pin { .. } => "pin",
            Self::Edit { .. } => "edit",
        }
    }

    fn key(&self) -> &str {
        match self {
            Self::Message { key, .. }
            | Self::File { key, .. }
            | Self::Pin { key, .. }
            | Self::Edit { key, .. } => key,
        }
    }
}

/// The parts of a post in one room.
#[derive(Debug, Clone)]
struct RoomPlan {
    target: Target,
    parts: Vec<Part>,
}

impl RoomPlan {
    /// The records of the room's parts, in order. A record that cannot be read counts as
    /// missing: sending it starts with [`Store::begin`], which finds a confirmed delivery and
    /// sends nothing twice.
    fn records(&self, store: &Store) -> Vec<Record> {
        self.parts
            .iter()
            .map(|part| match store.delivery(part.key(), &self.target.key) {
                Ok(Some(delivery)) => delivery.record(),
                _ => Record::Missing,
            })
            .collect()
    }
}

/// A post rebuilt for this round.
#[derive(Debug)]
struct PostPlan {
    rooms: Vec<RoomPlan>,
    /// The key of the summary notice for the organizers, if the post has one.
    summary: Option<String>,
    policy: Policy,
}

/// What a post is, from its stored kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Announcement,
    Reminder,
    Change,
    Minutes,
    Notice,
    /// A date poll and its text form, in the member rooms.
    Poll,
    /// The reminder to the rooms that have not answered a poll.
    PollReminder,
    /// A poll's end, in the rooms it reached.
    PollEnd,
    /// Recorded before posts were; finished by the migration.
    Legacy,
}

impl Kind {
    fn parse(kind: &str) -> Self {
        match kind {
            "announcement" => Self::Announcement,
            "reminder" => Self::Reminder,
            "change" => Self::Change,
            "minutes" => Self::Minutes,
            "notice" => Self::Notice,
            "poll" => Self::Poll,
            "poll-reminder" => Self::PollReminder,
            "poll-end" => Self::PollEnd,
            _ => Self::Legacy,
        }
    }
}

/// The stored kind of an announcement or reminder.
pub(super) fn kind_name(kind: PostKind) -> &'static str {
    match kind {
        PostKind::Announcement => "announcement",
        PostKind::Reminder(_) => "reminder",
    }
}

impl Scheduler {
    /// Records a post about `meeting`, unless it exists already.
    pub(super) fn start_post(
        &self,
        key: &str,
        kind: &str,
        meeting: &Meeting,
        late: bool,
        detail: String,
    ) {
        let row = PostRow {
            post_key: key.to_owned(),
            kind: kind.to_owned(),
            meeting_key: meeting.key.clone(),
            meeting_title: meeting.title.clone(),
            meeting_start: meeting.start.with_timezone(&Utc),
            late,
            detail,
            created_at: self.clock.now(),
            finished_at: None,
        };
        match self.store.start_post(&row) {
            Ok(true) => info!(post = key, "post started"),
            Ok(false) => {}
            Err(error) => warn!(post = key, %error, "cannot record a post"),
        }
    }

    /// Records a notice (to the organizers' room, or to `room`) as a post of its own.
    pub(super) fn start_notice(
        &self,
        key: &str,
        meeting: &Meeting,
        room: Option<&str>,
        notice: Rendered,
    ) {
        let detail = NoticeDetail {
            room: room.map(ToOwned::to_owned),
            plain: notice.plain,
            html: notice.html,
        };
        match serde_json::to_string(&detail) {
            Ok(detail) => self.start_post(key, "notice", meeting, false, detail),
            Err(error) => warn!(post = key, %error, "cannot record a notice"),
        }
    }

    /// Works on every open post until nothing more can be done now; returns when a retry is
    /// due.
    pub(super) async fn run_posts(
        &self,
        network: &Network,
        targets: &[Target],
    ) -> Option<DateTime<Utc>> {
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
        let Some(plan) = self.plan_post(network, targets, post) else {
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
                self.start_notice(key, &self.meeting_of(network, post), None, text);
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
        let unreachable = super::reach::unreachable_servers(&self.client, &room_ids).await;
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
        let meeting = self.meeting_of(network, post);
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
        let meeting = self.meeting_of(network, post);
        if Kind::parse(&post.kind) == Kind::Notice {
            // A notice to the organizers that cannot be delivered cannot be reported there.
            warn!(post = %post.post_key, failed = ?report.failed, "a notice was given up");
            return;
        }
        let text = render::follow_up_report(network.config.language, &meeting, report);
        self.start_notice(&format!("report/{}", post.post_key), &meeting, None, text);
    }

    /// The meeting a post is about: as the files say now, or as recorded.
    fn meeting_of(&self, network: &Network, post: &PostRow) -> Meeting {
        network.schedule.find(&post.meeting_key).unwrap_or_else(|| {
            Meeting::remembered(
                post.meeting_key.clone(),
                post.meeting_title.clone(),
                post.meeting_start.with_timezone(&network.config.timezone),
                Status::Cancelled,
            )
        })
    }

    /// Rebuilds a post's parts per room; `None` when there is nothing left to send (the
    /// meeting no longer takes place, a change was superseded, the post is from before).
    fn plan_post(&self, network: &Network, targets: &[Target], post: &PostRow) -> Option<PostPlan> {
        match Kind::parse(&post.kind) {
            Kind::Announcement | Kind::Reminder => {
                let meeting = network.schedule.find(&post.meeting_key)?;
                if !meeting.takes_place() {
                    // The change path edits what was delivered; nothing more goes out.
                    return None;
                }
                let kind = super::scheduler::post_kind(&post.post_key)?;
                let message = self.message_part(network, &meeting, &post.post_key, kind, post.late);
                let mut parts = vec![message];
                if kind == PostKind::Announcement {
                    if let Some(attachment) =
                        invitation(network, &self.store, &meeting, self.clock.now())
                    {
                        parts.push(Part::File {
                            key: format!("invitation/{}", meeting.key),
                            attachment,
                        });
                    }
                    parts.push(Part::Pin {
                        key: format!("pin/{}", post.post_key),
                        message_key: post.post_key.clone(),
                    });
                }
                Some(PostPlan {
                    rooms: everywhere(targets, &parts),
                    summary: Some(format!("summary/{}", post.post_key)),
                    policy: Policy {
                        not_after: Some(if post.detail == super::scheduler::REQUESTED {
                            meeting.end.with_timezone(&Utc)
                        } else {
                            meeting.start.with_timezone(&Utc)
                        }),
                    },
                })
            }
            Kind::Change => self.plan_change(network, targets, post),
            Kind::Minutes => {
                let row = self.store.minutes(&post.meeting_key).ok().flatten()?;
                let (Some(plain), Some(html), Some(markdown), Some(file_name)) =
                    (row.plain, row.html, row.markdown, row.file_name)
                else {
                    return None;
                };
                let mime = "text/markdown; charset=utf-8".parse().ok()?;
                let parts = vec![
                    Part::Message {
                        key: format!("minutes/{}", post.meeting_key),
                        payload: Payload::notice(Rendered { plain, html }),
                        shown: None,
                        content_hash: String::new(),
                    },
                    Part::File {
                        key: format!("minutes-file/{}", post.meeting_key),
                        attachment: Attachment {
                            filename: file_name,
                            mime,
                            data: markdown.into_bytes(),
                        },
                    },
                ];
                Some(PostPlan {
                    rooms: everywhere(targets, &parts),
                    summary: Some(format!("minutes-summary/{}", post.meeting_key)),
                    policy: Policy { not_after: None },
                })
            }
            Kind::Notice => {
                let detail: NoticeDetail = serde_json::from_str(&post.detail)
                    .map_err(|error| warn!(post = %post.post_key, %error, "unreadable notice"))
                    .ok()?;
                let target = match &detail.room {
                    None => targets.first()?.clone(),
                    Some(room) => targets
                        .iter()
                        .find(|t| t.key == *room)
                        .cloned()
                        .or_else(|| Target::room(room))?,
                };
                Some(PostPlan {
                    rooms: vec![RoomPlan {
                        target,
                        parts: vec![Part::Message {
                            key: post.post_key.clone(),
                            payload: Payload::notice(Rendered {
                                plain: detail.plain,
                                html: detail.html,
                            }),
                            shown: None,
                            content_hash: String::new(),
                        }],
                    }],
                    summary: None,
                    policy: Policy { not_after: None },
                })
            }
            Kind::Poll => self.plan_poll(network, targets, post),
            Kind::PollReminder => self.plan_poll_reminder(network, targets, post),
            Kind::PollEnd => self.plan_poll_end(network, targets, post),
            Kind::Legacy => None,
        }
    }

    /// A poll: in every member room it was opened for, the poll and its text form; nothing more
    /// once it is decided (the rooms it reached then get its end).
    fn plan_poll(&self, network: &Network, targets: &[Target], post: &PostRow) -> Option<PostPlan> {
        let poll = self.store.poll(&post.meeting_key).ok().flatten()?;
        if poll.decision.is_some() {
            return None;
        }
        let language = network.config.language;
        let draft = polls::posted_draft(&poll, network);
        let content = polls::start_content(language, &draft)?;
        let parts = vec![
            Part::Message {
                key: polls::start_key(&poll.key),
                payload: Payload::PollStart(Box::new(content)),
                shown: None,
                content_hash: String::new(),
            },
            Part::Message {
                key: polls::ballot_key(&poll.key),
                payload: Payload::notice(render::poll_fallback(language, &draft)),
                shown: None,
                content_hash: String::new(),
            },
        ];
        let rooms = poll_rooms(targets, &poll.rooms)
            .into_iter()
            .map(|target| RoomPlan {
                target,
                parts: parts.clone(),
            })
            .collect();
        Some(PostPlan {
            rooms,
            summary: Some(format!("poll-summary/{}", poll.key)),
            policy: answers_until(&draft, network),
        })
    }

    /// The reminder, to the rooms that had not answered when it was recorded (its detail), while
    /// the poll is undecided.
    fn plan_poll_reminder(
        &self,
        network: &Network,
        targets: &[Target],
        post: &PostRow,
    ) -> Option<PostPlan> {
        let poll = self.store.poll(&post.meeting_key).ok().flatten()?;
        if poll.decision.is_some() {
            return None;
        }
        let keys: Vec<String> = serde_json::from_str(&post.detail).ok()?;
        let language = network.config.language;
        let draft = polls::posted_draft(&poll, network);
        let part = Part::Message {
            key: post.post_key.clone(),
            payload: Payload::notice(render::poll_reminder(language, &draft)),
            shown: None,
            content_hash: String::new(),
        };
        let rooms = poll_rooms(targets, &poll.rooms)
            .into_iter()
            .filter(|target| keys.contains(&target.key))
            .map(|target| RoomPlan {
                target,
                parts: vec![part.clone()],
            })
            .collect();
        Some(PostPlan {
            rooms,
            summary: None,
            policy: answers_until(&draft, network),
        })
    }

    /// A poll's end: in every room the poll reached, the end event (referring to that room's
    /// poll) and a notice with the date.
    fn plan_poll_end(
        &self,
        network: &Network,
        targets: &[Target],
        post: &PostRow,
    ) -> Option<PostPlan> {
        let poll = self.store.poll(&post.meeting_key).ok().flatten()?;
        // An invalid decision is never shown (the organizers are told by `run_polls`).
        let slot = poll.decided_slot(network.config.timezone)?.ok()?;
        let language = network.config.language;
        let draft = polls::posted_draft(&poll, network);
        let start_key = polls::start_key(&poll.key);
        let rooms = poll_rooms(targets, &poll.rooms)
            .into_iter()
            .filter_map(|target| {
                let started = self.store.delivery(&start_key, &target.key).ok()??;
                let start = OwnedEventId::try_from(started.event_id?).ok()?;
                let parts = vec![
                    Part::Message {
                        key: polls::end_key(&poll.key),
                        payload: Payload::PollEnd(Box::new(polls::end_content(
                            language, &draft, &slot, start,
                        ))),
                        shown: None,
                        content_hash: String::new(),
                    },
                    Part::Message {
                        key: polls::closed_key(&poll.key),
                        payload: Payload::notice(render::poll_closed(language, &draft, &slot)),
                        shown: None,
                        content_hash: String::new(),
                    },
                ];
                Some(RoomPlan { target, parts })
            })
            .collect();
        Some(PostPlan {
            rooms,
            summary: None,
            policy: Policy { not_after: None },
        })
    }

    /// The message part of an announcement or reminder, with what it shows.
    fn message_part(
        &self,
        network: &Network,
        meeting: &Meeting,
        key: &str,
        kind: PostKind,
        late: bool,
    ) -> Part {
        let language = network.config.language;
        let agenda = network.agenda(meeting);
        let accepted = self.accepted(meeting);
        let open_actions = super::commands::open_actions(&self.store, meeting);
        let rendered = render::post(
            language,
            &network.roster().name,
            meeting,
            agenda,
            render::Additions {
                accepted: &accepted,
                open_actions: &open_actions,
            },
            kind,
            late,
        );
        let shown = self.shown(network, meeting, &accepted);
        Part::Message {
            key: key.to_owned(),
            payload: Payload::notice(rendered),
            shown: serde_json::to_string(&shown).ok(),
            content_hash: state_hash(network, meeting, &accepted, kind),
        }
    }

    /// What posts about `meeting` show now.
    pub(super) fn shown(
        &self,
        network: &Network,
        meeting: &Meeting,
        accepted: &[crate::store::Proposal],
    ) -> Shown {
        // The details are hashed from the announcement's form: the same for every kind of post.
        let details = state_hash(network, meeting, accepted, PostKind::Announcement);
        Shown::of(meeting, network.agenda(meeting), accepted, details)
    }

    /// A change: in every room that has a message about the meeting, the edits of those
    /// messages, then (for a change members should hear of) a notice, then (for a new date,
    /// time, link or a cancellation) the updated invitation.
    fn plan_change(
        &self,
        network: &Network,
        targets: &[Target],
        post: &PostRow,
    ) -> Option<PostPlan> {
        let detail: ChangeDetail = serde_json::from_str(&post.detail)
            .map_err(|error| warn!(post = %post.post_key, %error, "unreadable change"))
            .ok()?;
        let meeting = self.meeting_of(network, post);
        let accepted = self.accepted(&meeting);
        let current = self.shown(network, &meeting, &accepted);
        if shown_hash(&current) != detail.state {
            info!(post = %post.post_key, "a newer change supersedes this one");
            return None;
        }
        let new_json = serde_json::to_string(&detail.new).ok()?;
        let changes = detail.old.as_ref().map_or_else(
            || vec![change::Change::Details],
            |old| change::changes(old, &detail.new),
        );
        let language = network.config.language;
        let agenda = network.agenda(&meeting);
        let open_actions = super::commands::open_actions(&self.store, &meeting);
        let messages = self.store.messages_of(&post.meeting_key).ok()?;
        let mut rooms: Vec<RoomPlan> = Vec::new();
        // The edited text and its hash depend only on the kind of post (the announcement, each
        // reminder) and whether it went out late: rendered once per kind, not once per room.
        let mut edits: BTreeMap<String, (RoomMessageEventContentWithoutRelation, String)> =
            BTreeMap::new();
        for original in messages {
            let already = original.shown.as_deref() == Some(new_json.as_str());
            let edit_key = format!("edit/{}/{}", post.post_key, original.post_key);
            let edit = self
                .store
                .delivery(&edit_key, &original.room_id)
                .ok()
                .flatten();
            let kind = super::scheduler::post_kind(&original.post_key)?;
            // A post that went out late ("Erinnerung (verspätet)") stays marked late when edited.
            let late = self
                .store
                .post(&original.post_key)
                .ok()
                .flatten()
                .is_some_and(|row| row.late);
            let kind_key = format!(
                "{}/{late}",
                original
                    .post_key
                    .split_once('/')
                    .map_or("", |(kind, _)| kind)
            );
            let (content, content_hash) = edits
                .entry(kind_key)
                .or_insert_with(|| {
                    let rendered = render::post(
                        language,
                        &network.roster().name,
                        &meeting,
                        agenda,
                        render::Additions {
                            accepted: &accepted,
                            open_actions: &open_actions,
                        },
                        kind,
                        late,
                    );
                    (
                        RoomMessageEventContentWithoutRelation::notice_html(
                            rendered.plain,
                            rendered.html,
                        ),
                        state_hash(network, &meeting, &accepted, kind),
                    )
                })
                .clone();
            match &edit {
                // A message that shows the new state without an edit of this change (sent
                // after it) needs neither an edit nor the notice.
                None if already => continue,
                // Edited, but the crash came before the message recorded what it now shows.
                Some(edit) if edit.sent_at.is_some() && !already => {
                    let _ = self.store.edited(
                        &original.post_key,
                        &original.room_id,
                        &content_hash,
                        &new_json,
                    );
                }
                _ => {}
            }
            let position = match rooms.iter().position(|r| r.target.key == original.room_id) {
                Some(position) => position,
                None => {
                    let target = targets
                        .iter()
                        .find(|t| t.key == original.room_id)
                        .cloned()
                        .or_else(|| Target::room(&original.room_id))?;
                    rooms.push(RoomPlan {
                        target,
                        parts: Vec::new(),
                    });
                    rooms.len() - 1
                }
            };
            rooms[position].parts.push(Part::Edit {
                key: edit_key,
                original: Box::new(original),
                content,
                shown: new_json.clone(),
                content_hash,
            });
        }
        let notice = change::deserves_notice(&changes)
            .then(|| render::change_notice(language, &meeting, agenda, &changes));
        let file = if change::needs_invitation(&changes) && meeting.takes_place() {
            invitation(network, &self.store, &meeting, self.clock.now())
        } else {
            None
        };
        for room in &mut rooms {
            if let Some(notice) = &notice {
                room.parts.push(Part::Message {
                    key: post.post_key.clone(),
                    payload: Payload::notice(notice.clone()),
                    shown: None,
                    content_hash: String::new(),
                });
            }
            if let Some(attachment) = &file {
                room.parts.push(Part::File {
                    key: format!("invitation-{}/{}", detail.state, post.meeting_key),
                    attachment: attachment.clone(),
                });
            }
        }
        Some(PostPlan {
            rooms,
            summary: None,
            policy: Policy {
                not_after: Some(meeting.start.with_timezone(&Utc).max(post.meeting_start)),
            },
        })
    }
}

/// The same parts in every target room.
/// A poll and its reminder are sent until the end of its `decide_by` day: later, nobody can
/// answer any more.
fn answers_until(draft: &crate::poll::PollDraft, network: &Network) -> Policy {
    Policy {
        not_after: Some(
            draft
                .decide_by_end(network.config.timezone)
                .with_timezone(&Utc),
        ),
    }
}

/// How the post stands in each room, from the rooms' `records` (in plan order): delivered when
/// every part is, otherwise what became of its first part that is not.
fn report(plan: &PostPlan, records: &[Vec<Record>]) -> FanOutReport {
    let mut report = FanOutReport {
        delivered: 0,
        total: plan.rooms.len(),
        failed: Vec::new(),
        unconfirmed: Vec::new(),
    };
    for (room, records) in plan.rooms.iter().zip(records) {
        let outcome = match records.iter().find(|r| !matches!(r, Record::Done { .. })) {
            None => {
                report.delivered += 1;
                continue;
            }
            Some(Record::GivenUp { reason, .. }) => RoomOutcome::GivenUp(reason.clone()),
            Some(Record::Pending {
                failure: Some(failure),
                ..
            }) => RoomOutcome::Retrying(failure.clone()),
            Some(_) => RoomOutcome::Retrying(Failure::Other(String::new())),
        };
        report.failed.push((room.target.name.clone(), outcome));
    }
    report
}

/// The rooms a poll was opened for, as targets: the current one where the room is still
/// configured, otherwise the room by its id under the name it had.
fn poll_rooms(targets: &[Target], rooms: &[(String, String)]) -> Vec<Target> {
    rooms
        .iter()
        .filter_map(|(key, name)| {
            targets
                .iter()
                .find(|target| target.key == *key)
                .cloned()
                .or_else(|| {
                    Target::room(key).map(|mut target| {
                        target.name.clone_from(name);
                        target
                    })
                })
        })
        .collect()
}

fn everywhere(targets: &[Target], parts: &[Part]) -> Vec<RoomPlan> {
    targets
        .iter()
        .map(|target| RoomPlan {
            target: target.clone(),
            parts: parts.to_vec(),
        })
        .collect()
}

/// The stable hash of what posts show: the state a change brings them to.
pub(super) fn shown_hash(shown: &Shown) -> String {
    stable_hash(&[&serde_json::to_string(shown).unwrap_or_default()])
}

/// What one room task needs.
struct RoomWorker {
    client: Client,
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    post: PostRow,
    policy: Policy,
    metrics: Arc<Metrics>,
}

impl RoomWorker {
    /// Sends the room's parts in order until one has to wait, is given up, or all are done.
    async fn run(&self, room: &RoomPlan) {
        loop {
            let records = room.records(&self.store);
            match delivery::room_step(&records, self.clock.now(), self.policy) {
                RoomStep::Send(index) => {
                    let Some(part) = room.parts.get(index) else {
                        return;
                    };
                    let delivered = self.deliver(room, part).await;
                    let outcome = match delivered {
                        Ok(()) => DeliveryOutcome::Sent,
                        Err(_) => DeliveryOutcome::Failed,
                    };
                    self.metrics
                        .delivery(&self.post.kind, part.kind_label(), outcome);
                    if let Err(failure) = delivered {
                        warn!(post = %self.post.post_key, part = part.key(), room = %room.target.key, ?failure, "sending failed");
                        let attempts = match records.get(index) {
                            Some(Record::Pending { attempts, .. }) => attempts + 1,
                            _ => 1,
                        };
                        let retry_at =
                            delivery::after(self.clock.now(), delivery::backoff(attempts));
                        if let Err(error) = self.store.failed(
                            part.key(),
                            &room.target.key,
                            &failure.to_record(),
                            retry_at,
                        ) {
                            warn!(%error, "cannot record a failed send");
                        }
                        return;
                    }
                }
                RoomStep::GiveUp(index, reason) => {
                    let reason_record = match &reason {
                        GiveUp::MeetingStarted => "meeting-started".to_owned(),
                        GiveUp::KeptFailing(failure) => failure.to_record(),
                    };
                    for part in room.parts.iter().skip(index) {
                        self.metrics.delivery(
                            &self.post.kind,
                            part.kind_label(),
                            DeliveryOutcome::GivenUp,
                        );
                        let new = self.new_delivery(room, part);
                        if let Err(error) = self.store.give_up(&new, &reason_record) {
                            warn!(%error, "cannot record a given-up delivery");
                        }
                    }
                    info!(post = %self.post.post_key, room = %room.target.key, ?reason, "given up");
                    return;
                }
                RoomStep::Wait(..) | RoomStep::Settled => return,
            }
        }
    }

    fn new_delivery<'a>(&'a self, room: &'a RoomPlan, part: &'a Part) -> NewDelivery<'a> {
        NewDelivery {
            post_key: part.key(),
            room_id: &room.target.key,
            meeting_key: &self.post.meeting_key,
            meeting_title: &self.post.meeting_title,
            meeting_start: self.post.meeting_start,
            transaction_id: "",
            content_hash: match part {
                Part::Message { content_hash, .. } | Part::Edit { content_hash, .. } => {
                    content_hash
                }
                _ => "",
            },
            now: self.clock.now(),
        }
    }

    /// Sends one part: recorded before, confirmed after.
    async fn deliver(&self, room: &RoomPlan, part: &Part) -> Result<(), Failure> {
        let transaction_id = format!("convene-{}", stable_hash(&[part.key(), &room.target.key]));
        let mut new = self.new_delivery(room, part);
        new.transaction_id = &transaction_id;
        let record = self.store.begin(&new).map_err(|_| Failure::Database)?;
        if record.sent_at.is_some() {
            return Ok(());
        }
        let room_id = room.target.room_id.clone()?;
        let joined = outbox::joined_room(&self.client, &room_id)?;
        let transaction_id = OwnedTransactionId::from(record.transaction_id.clone());
        let now = || self.clock.now();
        match part {
            Part::Message {
                key,
                payload,
                shown,
                ..
            } => {
                let event_id = outbox::send_payload(&joined, payload, transaction_id)
                    .await
                    .map_err(|e| outbox::classify(&e))?;
                self.store
                    .sent(
                        key,
                        &room.target.key,
                        Some(event_id.as_str()),
                        shown.as_deref(),
                        now(),
                    )
                    .map_err(|_| Failure::Database)?;
                debug!(post = key, %room_id, %event_id, "delivered");
            }
            Part::File { key, attachment } => {
                let payload = Payload::File(attachment.clone());
                let event_id = outbox::send_payload(&joined, &payload, transaction_id)
                    .await
                    .map_err(|e| outbox::classify(&e))?;
                self.store
                    .sent(key, &room.target.key, Some(event_id.as_str()), None, now())
                    .map_err(|_| Failure::Database)?;
            }
            Part::Pin { key, message_key } => {
                let message = self
                    .store
                    .delivery(message_key, &room.target.key)
                    .map_err(|_| Failure::Database)?
                    .and_then(|d| d.event_id)
                    .and_then(|id| OwnedEventId::try_from(id).ok());
                if let Some(event_id) = message {
                    outbox::pin(&self.store, &joined, &event_id).await?;
                }
                self.store
                    .sent(key, &room.target.key, None, None, now())
                    .map_err(|_| Failure::Database)?;
            }
            Part::Edit {
                key,
                original,
                content,
                shown,
                content_hash,
            } => {
                let event_id = original
                    .event_id
                    .as_deref()
                    .and_then(|id| OwnedEventId::try_from(id).ok())
                    .ok_or(Failure::Other("the edited message has no event".to_owned()))?;
                let replacement = Payload::Message(Box::new(
                    content
                        .clone()
                        .make_replacement(ReplacementMetadata::new(event_id, None)),
                ));
                let sent = outbox::send_payload(&joined, &replacement, transaction_id)
                    .await
                    .map_err(|e| outbox::classify(&e))?;
                self.store
                    .sent(key, &room.target.key, Some(sent.as_str()), None, now())
                    .map_err(|_| Failure::Database)?;
                self.store
                    .edited(&original.post_key, &room.target.key, content_hash, shown)
                    .map_err(|_| Failure::Database)?;
                info!(post = %original.post_key, %room_id, "edited after a change");
            }
        }
        Ok(())
    }
}
