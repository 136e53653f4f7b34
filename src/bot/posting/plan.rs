//! A post rebuilt for one round of the fan-out: its parts per room ([`PostPlan`]), built fresh
//! each round from the current files and the stored records, and how it stands per room
//! ([`report`]).

use chrono::Utc;
use matrix_sdk::ruma::events::room::message::RoomMessageEventContentWithoutRelation;

use super::super::outbox::{Attachment, Payload, Target};
use crate::change::Shown;
use crate::delivery::{Failure, Policy, Record};
use crate::network::Network;
use crate::posting::PostKind;
use crate::render;
use crate::render::{FanOutReport, RoomOutcome};
use crate::schedule::Meeting;
use crate::store::{Delivery, Store};

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
