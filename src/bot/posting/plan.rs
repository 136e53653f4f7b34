//! A post rebuilt for one round of the fan-out: its parts per room ([`PostPlan`]), built fresh
//! each round from the current files and the stored records, and how it stands per room
//! ([`report`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use matrix_sdk::ruma::OwnedEventId;
use matrix_sdk::ruma::events::room::message::RoomMessageEventContentWithoutRelation;
use tracing::{info, warn};

use super::super::outbox::{Attachment, Payload, Target};
use super::super::records::{self, invitation};
use super::polls;
use super::record::{ChangeDetail, Kind, NoticeDetail};
use crate::change::{self, Shown};
use crate::delivery::{Failure, Policy, Record};
use crate::network::Network;
use crate::posting::PostKind;
use crate::render::{self, FanOutReport, Rendered, RoomOutcome};
use crate::schedule::{Meeting, Status};
use crate::store::{Delivery, PostRow, Store};

/// One part of a post in one room, ready to send.
#[derive(Debug, Clone)]
pub enum Part {
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
    pub fn kind_label(&self) -> &'static str {
        match self {
            Self::Message { .. } => "message",
            Self::File { .. } => "file",
            Self::Pin { .. } => "pin",
            Self::Edit { .. } => "edit",
        }
    }

    /// Its key in the deliveries.
    pub fn key(&self) -> &str {
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
pub struct RoomPlan {
    /// The room.
    pub target: Target,
    /// The parts, in the order they are sent.
    pub parts: Vec<Part>,
}

impl RoomPlan {
    /// The records of the room's parts, in order. A record that cannot be read counts as
    /// missing: sending it starts with [`Store::begin`], which finds a confirmed delivery and
    /// sends nothing twice.
    pub fn records(&self, store: &Store) -> Vec<Record> {
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
pub struct PostPlan {
    /// The rooms and their parts.
    pub rooms: Vec<RoomPlan>,
    /// The key of the summary notice for the organizers, if the post has one.
    pub summary: Option<String>,
    /// Until when sending is worth it.
    pub policy: Policy,
}

/// A poll and its reminder are sent until the end of its `decide_by` day: later, nobody can
/// answer any more.
pub fn answers_until(draft: &crate::poll::PollDraft, network: &Network) -> Policy {
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
pub fn report(plan: &PostPlan, records: &[Vec<Record>]) -> FanOutReport {
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
pub fn poll_rooms(targets: &[Target], rooms: &[(String, String)]) -> Vec<Target> {
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

/// The same parts in every target room.
pub fn everywhere(targets: &[Target], parts: &[Part]) -> Vec<RoomPlan> {
    targets
        .iter()
        .map(|target| RoomPlan {
            target: target.clone(),
            parts: parts.to_vec(),
        })
        .collect()
}

/// What posts about `meeting` show now.
pub fn shown(
    network: &Network,
    meeting: &Meeting,
    accepted: &[crate::proposal::Proposal],
) -> Shown {
    // The details are hashed from the announcement's form: the same for every kind of post.
    let details = state_hash(network, meeting, accepted, PostKind::Announcement);
    Shown::of(meeting, network.agenda(meeting), accepted, details)
}

/// A hash of what a post shows about its meeting; when it changes, the post is edited.
///
/// Open action items are left out: an item closed during the week does not warrant an edit and
/// a change notice in every room (the next post, and `!agenda`, show the current list).
pub fn state_hash(
    network: &Network,
    meeting: &Meeting,
    accepted: &[crate::proposal::Proposal],
    kind: PostKind,
) -> String {
    let rendered = render::post(
        network.config.language,
        &network.roster().name,
        meeting,
        network.agenda(meeting),
        render::Additions {
            accepted,
            open_actions: &[],
        },
        kind,
        false,
    );
    crate::hash::stable_hash(&[&rendered.plain, &rendered.html])
}

/// Rebuilds posts for a round, from the files, the database and the time.
#[derive(Debug)]
pub struct Planner<'a> {
    /// The database.
    pub store: &'a Store,
    /// Now.
    pub now: DateTime<Utc>,
}

impl Planner<'_> {
    /// Rebuilds a post's parts per room; `None` when there is nothing left to send (the
    /// meeting no longer takes place, a change was superseded, the post is from before).
    pub fn plan_post(
        &self,
        network: &Network,
        targets: &[Target],
        post: &PostRow,
    ) -> Option<PostPlan> {
        match Kind::parse(&post.kind) {
            Kind::Announcement | Kind::Reminder => self.plan_meeting_post(network, targets, post),
            Kind::Change => self.plan_change(network, targets, post),
            Kind::Minutes => self.plan_minutes(targets, post),
            Kind::Notice => plan_notice(targets, post),
            Kind::Poll => self.plan_poll(network, targets, post),
            Kind::PollReminder => self.plan_poll_reminder(network, targets, post),
            Kind::PollEnd => self.plan_poll_end(network, targets, post),
            Kind::Legacy => None,
        }
    }

    /// An announcement (with its .ics and its pin) or a reminder, in every room, until the
    /// meeting starts (until it ends, if an organizer asked for it).
    fn plan_meeting_post(
        &self,
        network: &Network,
        targets: &[Target],
        post: &PostRow,
    ) -> Option<PostPlan> {
        let meeting = network.schedule.find(&post.meeting_key)?;
        if !meeting.takes_place() {
            // The change path edits what was delivered; nothing more goes out.
            return None;
        }
        let kind = PostKind::of_key(&post.post_key)?;
        let message = self.message_part(network, &meeting, &post.post_key, kind, post.late);
        let mut parts = vec![message];
        if kind == PostKind::Announcement {
            if let Some(attachment) = invitation(network, self.store, &meeting, self.now) {
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

    /// Approved minutes: the message and the Markdown file, in every room.
    fn plan_minutes(&self, targets: &[Target], post: &PostRow) -> Option<PostPlan> {
        let row = self.store.minutes(&post.meeting_key).ok().flatten()?;
        let (Some(plain), Some(html), Some(markdown), Some(file_name)) =
            (row.plain, row.html, row.markdown, row.file_name)
        else {
            return None;
        };
        let mime = "text/markdown; charset=utf-8".parse().ok()?;
        let parts = vec![
            notice_part(
                format!("minutes/{}", post.meeting_key),
                Rendered { plain, html },
            ),
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

    fn plan_poll(&self, network: &Network, targets: &[Target], post: &PostRow) -> Option<PostPlan> {
        let poll = self.store.poll(&post.meeting_key).ok().flatten()?;
        if poll.decision.is_some() {
            return None;
        }
        let language = network.config.language;
        let draft = records::posted_draft(&poll, network);
        let content = polls::start_content(language, &draft)?;
        let parts = vec![
            unshown_part(
                crate::poll::start_key(&poll.key),
                Payload::PollStart(Box::new(content)),
            ),
            notice_part(
                crate::poll::ballot_key(&poll.key),
                render::poll_fallback(language, &draft),
            ),
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
        let part = notice_part(
            post.post_key.clone(),
            render::poll_reminder(language, &draft),
        );
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
                    unshown_part(
                        crate::poll::end_key(&poll.key),
                        Payload::PollEnd(Box::new(polls::end_content(
                            language, &draft, &slot, start,
                        ))),
                    ),
                    notice_part(
                        crate::poll::closed_key(&poll.key),
                        render::poll_closed(language, &draft, &slot),
                    ),
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
        let accepted = records::accepted(self.store, meeting);
        let open_actions = records::open_actions(self.store, meeting);
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
        let meeting = meeting_of(network, post);
        let accepted = records::accepted(self.store, &meeting);
        let current = shown(network, &meeting, &accepted);
        if current.state_hash() != detail.state {
            info!(post = %post.post_key, "a newer change supersedes this one");
            return None;
        }
        let changes = detail.old.as_ref().map_or_else(
            || vec![change::Change::Details],
            |old| change::changes(old, &detail.new),
        );
        let edits = Edits {
            network,
            meeting: &meeting,
            accepted: &accepted,
            open_actions: records::open_actions(self.store, &meeting),
            shown: serde_json::to_string(&detail.new).ok()?,
        };
        let mut rooms = self.change_edits(&edits, targets, post)?;
        let language = network.config.language;
        let notice = change::deserves_notice(&changes)
            .then(|| render::change_notice(language, &meeting, network.agenda(&meeting), &changes));
        let file = if change::needs_invitation(&changes) && meeting.takes_place() {
            invitation(network, self.store, &meeting, self.now)
        } else {
            None
        };
        for room in &mut rooms {
            if let Some(notice) = &notice {
                room.parts
                    .push(notice_part(post.post_key.clone(), notice.clone()));
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

    /// The edits of a change, per room: one for every delivered message about the meeting that
    /// does not show the new state yet. `None` if the database cannot say.
    fn change_edits(
        &self,
        edits: &Edits<'_>,
        targets: &[Target],
        post: &PostRow,
    ) -> Option<Vec<RoomPlan>> {
        let messages = self.store.messages_of(&post.meeting_key).ok()?;
        let mut rooms: Vec<RoomPlan> = Vec::new();
        // The edited text and its hash depend only on the kind of post (the announcement, each
        // reminder) and whether it went out late: rendered once per kind, not once per room.
        let mut rendered: BTreeMap<String, (RoomMessageEventContentWithoutRelation, String)> =
            BTreeMap::new();
        for original in messages {
            let already = original.shown.as_deref() == Some(edits.shown.as_str());
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
            let (content, content_hash) = rendered
                .entry(kind_key)
                .or_insert_with(|| edits.render(kind, late))
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
                        &edits.shown,
                    );
                }
                _ => {}
            }
            let position = room_position(&mut rooms, targets, &original.room_id)?;
            rooms[position].parts.push(Part::Edit {
                key: edit_key,
                original: Box::new(original),
                content,
                shown: edits.shown.clone(),
                content_hash,
            });
        }
        Some(rooms)
    }
}

/// The meeting a post is about: as the files say now, or as recorded.
pub fn meeting_of(network: &Network, post: &PostRow) -> Meeting {
    network.schedule.find(&post.meeting_key).unwrap_or_else(|| {
        Meeting::remembered(
            post.meeting_key.clone(),
            post.meeting_title.clone(),
            post.meeting_start.with_timezone(&network.config.timezone),
            Status::Cancelled,
        )
    })
}

/// A notice: its text, in the organizers' room or the room its detail names.
fn plan_notice(targets: &[Target], post: &PostRow) -> Option<PostPlan> {
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
    let text = Rendered {
        plain: detail.plain,
        html: detail.html,
    };
    Some(PostPlan {
        rooms: vec![RoomPlan {
            target,
            parts: vec![notice_part(post.post_key.clone(), text)],
        }],
        summary: None,
        policy: Policy { not_after: None },
    })
}

/// A notice that shows nothing of a meeting (so it is never edited).
fn notice_part(key: String, text: Rendered) -> Part {
    unshown_part(key, Payload::notice(text))
}

/// A message part that shows nothing of a meeting (so it is never edited): a notice, a poll's
/// start or end.
fn unshown_part(key: String, payload: Payload) -> Part {
    Part::Message {
        key,
        payload,
        shown: None,
        content_hash: String::new(),
    }
}

/// What the edits of a change show: the meeting as the files and the accepted proposals say now.
struct Edits<'a> {
    network: &'a Network,
    meeting: &'a Meeting,
    accepted: &'a [crate::proposal::Proposal],
    open_actions: Vec<crate::minutes::ActionItem>,
    /// What the edited messages show, as stored with them.
    shown: String,
}

impl Edits<'_> {
    /// The edited text of a post of `kind` (marked `late` if it went out late) and its hash.
    fn render(
        &self,
        kind: PostKind,
        late: bool,
    ) -> (RoomMessageEventContentWithoutRelation, String) {
        let rendered = render::post(
            self.network.config.language,
            &self.network.roster().name,
            self.meeting,
            self.network.agenda(self.meeting),
            render::Additions {
                accepted: self.accepted,
                open_actions: &self.open_actions,
            },
            kind,
            late,
        );
        (
            RoomMessageEventContentWithoutRelation::notice_html(rendered.plain, rendered.html),
            state_hash(self.network, self.meeting, self.accepted, kind),
        )
    }
}

/// The index of the room `room_id` in `rooms`, added (as configured, or by its id) if it is not
/// there yet; `None` for a room id that is none.
fn room_position(rooms: &mut Vec<RoomPlan>, targets: &[Target], room_id: &str) -> Option<usize> {
    if let Some(position) = rooms.iter().position(|r| r.target.key == room_id) {
        return Some(position);
    }
    let target = targets
        .iter()
        .find(|t| t.key == room_id)
        .cloned()
        .or_else(|| Target::room(room_id))?;
    rooms.push(RoomPlan {
        target,
        parts: Vec::new(),
    });
    Some(rooms.len() - 1)
}
