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

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use matrix_sdk::Client;
use matrix_sdk::ruma::events::room::message::RoomMessageEventContentWithoutRelation;
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tracing::{info, warn};

use super::super::outbox::{Attachment, Payload, Target};
use super::super::records::{self, invitation};
use super::plan::{
    Part, PostPlan, RoomPlan, answers_until, everywhere, poll_rooms, report, shown, state_hash,
};
use super::polls;
use super::record::{ChangeDetail, Kind, NoticeDetail, Recorder};
use super::worker::RoomWorker;
use crate::change;
use crate::clock::Clock;
use crate::delivery::{self, Decision, Failure, Policy, Record, RoomStep};
use crate::metrics::Metrics;
use crate::network::Network;
use crate::posting::PostKind;
use crate::render::{self, FanOutReport, Rendered};
use crate::schedule::{Meeting, Status};
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
                self.recorder
                    .start_notice(key, &self.meeting_of(network, post), None, text);
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
        self.recorder
            .start_notice(&format!("report/{}", post.post_key), &meeting, None, text);
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
                let kind = PostKind::of_key(&post.post_key)?;
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
                        not_after: Some(if post.detail == super::REQUESTED {
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
        let draft = records::posted_draft(&poll, network);
        let content = polls::start_content(language, &draft)?;
        let parts = vec![
            Part::Message {
                key: crate::poll::start_key(&poll.key),
                payload: Payload::PollStart(Box::new(content)),
                shown: None,
                content_hash: String::new(),
            },
            Part::Message {
                key: crate::poll::ballot_key(&poll.key),
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
        let draft = records::posted_draft(&poll, network);
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
        let draft = records::posted_draft(&poll, network);
        let start_key = crate::poll::start_key(&poll.key);
        let rooms = poll_rooms(targets, &poll.rooms)
            .into_iter()
            .filter_map(|target| {
                let started = self.store.delivery(&start_key, &target.key).ok()??;
                let start = OwnedEventId::try_from(started.event_id?).ok()?;
                let parts = vec![
                    Part::Message {
                        key: crate::poll::end_key(&poll.key),
                        payload: Payload::PollEnd(Box::new(polls::end_content(
                            language, &draft, &slot, start,
                        ))),
                        shown: None,
                        content_hash: String::new(),
                    },
                    Part::Message {
                        key: crate::poll::closed_key(&poll.key),
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
        let accepted = records::accepted(&self.store, meeting);
        let open_actions = records::open_actions(&self.store, meeting);
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
        let shown = shown(network, meeting, &accepted);
        Part::Message {
            key: key.to_owned(),
            payload: Payload::notice(rendered),
            shown: serde_json::to_string(&shown).ok(),
            content_hash: state_hash(network, meeting, &accepted, kind),
        }
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
        let accepted = records::accepted(&self.store, &meeting);
        let current = shown(network, &meeting, &accepted);
        if current.state_hash() != detail.state {
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
        let open_actions = records::open_actions(&self.store, &meeting);
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
            let kind = PostKind::of_key(&original.post_key)?;
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
