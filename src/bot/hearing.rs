//! What the bot hears in its rooms: every timeline event it acts on — commands, poll votes,
//! RSVP reactions and redactions — handled once each and in the order sent, also when it
//! arrived while the bot was away or a sync cut it short.
//!
//! The bot keeps, per room, the last event it has handled there (its [`Position`]). Two things
//! leave a gap between that position and the first event a sync delivers: a timeline the
//! homeserver limited (more new events than the sync filter asks for), and a crash after the
//! SDK had stored a sync's token but before the bot had handled that sync's events. So a limited
//! timeline, every room at the catch-up after a start, and a room whose reading back failed are
//! read back with `/messages`, newest first, down to the position — at most [`MAX_READ_BACK`]
//! events, and never past events sent [`BEFORE_POSITION`] before it (a position the homeserver
//! no longer has must not send the bot through the room's whole history). The gap's events are
//! handled first, oldest first, then the sync's own; then the position moves to the last of
//! them. A gap longer than the bound is reported to the organizers' room once.
//!
//! A room the bot has no position in (its first run, a room it has just joined) has no gap:
//! what was said there before is history.
//!
//! Handling is idempotent per event — a message by its handled record, a vote by its event id, an
//! RSVP by its event id and time, a redaction by what it removes — so an event read twice (by a
//! sync and by a reading back) changes nothing the second time.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use matrix_sdk::deserialized_responses::TimelineEvent;
use matrix_sdk::room::MessagesOptions;
use matrix_sdk::ruma::events::AnySyncTimelineEvent;
use matrix_sdk::ruma::events::poll::response::OriginalSyncPollResponseEvent;
use matrix_sdk::ruma::events::poll::unstable_response::OriginalSyncUnstablePollResponseEvent;
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use matrix_sdk::ruma::events::room::message::OriginalSyncRoomMessageEvent;
use matrix_sdk::ruma::events::room::redaction::OriginalSyncRoomRedactionEvent;
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::{MilliSecondsSinceUnixEpoch, OwnedRoomId, UInt};
use matrix_sdk::sync::SyncResponse;
use matrix_sdk::{Client, Room};
use tracing::{info, warn};

use super::chat::{self, Context};
use super::posting::Request;
use crate::store::Position;

/// The most events read back to close one room's gap: at 100 per request, ten requests.
pub const MAX_READ_BACK: u32 = 1000;
/// Events per `/messages` request.
const PAGE: u32 = 100;
/// Reading back stops at events sent this long before the position.
const BEFORE_POSITION: TimeDelta = TimeDelta::days(1);

/// A timeline event the bot acts on.
#[derive(Debug)]
enum Heard {
    /// A message: commands in it are carried out and answered.
    Message(Box<OriginalSyncRoomMessageEvent>),
    /// A reaction: an RSVP on an announcement or reminder.
    Reaction(OriginalSyncReactionEvent),
    /// A redaction: takes an RSVP or a vote back.
    Redaction(OriginalSyncRoomRedactionEvent),
    /// A vote in a date poll, as Element and Element X send it.
    UnstableVote(OriginalSyncUnstablePollResponseEvent),
    /// A vote in the stable form (`m.poll.response`), for clients that send it.
    Vote(OriginalSyncPollResponseEvent),
}

impl Heard {
    /// The event, if it is one the bot acts on (a redacted one, or one that could not be
    /// decrypted, is not).
    fn read(raw: &Raw<AnySyncTimelineEvent>) -> Option<Self> {
        let kind = raw.get_field::<String>("type").ok().flatten()?;
        let json = raw.json().get();
        match kind.as_str() {
            "m.room.message" => serde_json::from_str(json)
                .ok()
                .map(|event| Self::Message(Box::new(event))),
            "m.reaction" => serde_json::from_str(json).ok().map(Self::Reaction),
            "m.room.redaction" => serde_json::from_str(json).ok().map(Self::Redaction),
            "org.matrix.msc3381.poll.response" => {
                serde_json::from_str(json).ok().map(Self::UnstableVote)
            }
            "m.poll.response" => serde_json::from_str(json).ok().map(Self::Vote),
            _ => None,
        }
    }

    /// Acts on the event. Reactions and votes count whenever they were sent: they are what
    /// members said, not requests.
    async fn handle(self, context: &Context, room: &Room) {
        match self {
            Self::Message(event) => chat::answer(context, room, &event).await,
            Self::Reaction(event) => {
                if event.sender != context.own_user_id {
                    let network = Arc::clone(&context.network.borrow());
                    chat::react(&network, &context.store, room, &event);
                }
            }
            Self::Redaction(event) => redacted(context, &event),
            Self::UnstableVote(event) => chat::record_response(
                context,
                room,
                &event.event_id,
                &event.sender,
                &event.content.relates_to.event_id,
                &event.content.poll_response.answers,
                event.origin_server_ts,
            ),
            Self::Vote(event) => chat::record_response(
                context,
                room,
                &event.event_id,
                &event.sender,
                &event.content.relates_to.event_id,
                &event.content.selections,
                event.origin_server_ts,
            ),
        }
    }
}

/// A removed reaction takes its RSVP back; a removed poll response, its vote.
fn redacted(context: &Context, event: &OriginalSyncRoomRedactionEvent) {
    let Some(redacts) = event.content.redacts.as_ref().or(event.redacts.as_ref()) else {
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

/// What reading a room's gap back found.
#[derive(Debug, Default)]
struct Gap {
    /// The events in it, oldest first.
    events: Vec<Raw<AnySyncTimelineEvent>>,
    /// The position it was to reach, if the reading stopped at [`MAX_READ_BACK`] before it.
    too_long: Option<Position>,
}

/// The rooms whose gaps are to be read back, and the reading.
#[derive(Debug, Default)]
pub struct Hearing {
    /// Rooms whose reading back failed: read back again after the next sync.
    unsure: Mutex<BTreeSet<OwnedRoomId>>,
}

impl Hearing {
    /// Handles what `response` delivered, each room's gap first. `every_room`: the catch-up
    /// after a start, when any room may have a gap (also one the sync did not mention).
    pub async fn hear(
        &self,
        context: &Context,
        client: &Client,
        response: &SyncResponse,
        every_room: bool,
    ) {
        let mut unsure = std::mem::take(&mut *self.lock());
        for (room_id, update) in &response.rooms.joined {
            let Some(room) = client.get_room(room_id) else {
                continue;
            };
            let timeline = &update.timeline;
            let check = unsure.remove(room_id) || every_room || timeline.limited;
            let from = timeline.prev_batch.clone();
            self.hear_room(context, &room, check.then_some(from), &timeline.events)
                .await;
        }
        for room in client.joined_rooms() {
            let room_id = room.room_id();
            if response.rooms.joined.contains_key(room_id) {
                continue;
            }
            if unsure.remove(room_id) || every_room {
                // Nothing new in this sync: the gap, if any, ends at the room's newest event.
                self.hear_room(context, &room, Some(None), &[]).await;
            }
        }
    }

    /// Reads `room`'s gap back from `read_back` (a sync's `prev_batch` token, or `None` for
    /// the room's newest event) unless that is `None`, then handles the gap's events and
    /// `events`, in order, and moves the room's position past them.
    async fn hear_room(
        &self,
        context: &Context,
        room: &Room,
        read_back: Option<Option<String>>,
        events: &[TimelineEvent],
    ) {
        let room_id = room.room_id();
        let mut heard = Vec::new();
        let mut unread_gap = false;
        if let Some(from) = read_back {
            match read_gap(context, room, from).await {
                Ok(gap) => {
                    if let Some(position) = &gap.too_long {
                        report_gap(context, room, position);
                    }
                    heard = gap.events;
                }
                Err(error) => {
                    warn!(%room_id, %error, "cannot read back what the bot missed in a room; trying again after the next sync");
                    self.lock().insert(room_id.to_owned());
                    unread_gap = true;
                }
            }
        }
        heard.extend(events.iter().map(|event| event.raw().clone()));
        let Some(last) = heard.last().and_then(position_of) else {
            return;
        };
        for raw in &heard {
            if let Some(event) = Heard::read(raw) {
                event.handle(context, room).await;
            }
        }
        // A gap not read yet keeps the position before it: the next try reads back to there
        // (and the events handled now again, which changes nothing).
        if unread_gap {
            return;
        }
        if let Err(error) = context.store.set_position(room_id.as_str(), &last) {
            warn!(%room_id, %error, "cannot record how far a room's timeline is handled");
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeSet<OwnedRoomId>> {
        self.unsure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Reads `room`'s timeline back from `from` (`None`: its newest event) to the bot's position
/// there, within the bounds (see the module documentation).
async fn read_gap(
    context: &Context,
    room: &Room,
    mut from: Option<String>,
) -> Result<Gap, Box<dyn std::error::Error + Send + Sync>> {
    let Some(position) = context.store.position(room.room_id().as_str())? else {
        return Ok(Gap::default());
    };
    let oldest = crate::schedule::earlier(position.sent_at, BEFORE_POSITION);
    let mut gap = Gap::default();
    'pages: loop {
        let mut options = MessagesOptions::backward();
        options.from = from.take();
        options.limit = UInt::from(PAGE);
        let page = room.messages(options).await?;
        let last_page = page.chunk.is_empty() || page.end.is_none();
        for event in &page.chunk {
            // An event without id or time is nothing the bot could act on.
            let Some(at) = position_of(event.raw()) else {
                continue;
            };
            if at.event_id == position.event_id || at.sent_at < oldest {
                break 'pages;
            }
            if gap.events.len() >= MAX_READ_BACK as usize {
                gap.too_long = Some(position);
                break 'pages;
            }
            gap.events.push(event.raw().clone());
        }
        if last_page {
            break;
        }
        from = page.end;
    }
    gap.events.reverse();
    if !gap.events.is_empty() {
        info!(room_id = %room.room_id(), events = gap.events.len(), "read back what the bot missed in a room");
    }
    Ok(gap)
}

/// The event's id and when it was sent.
fn position_of(raw: &Raw<AnySyncTimelineEvent>) -> Option<Position> {
    let event_id = raw.get_field::<String>("event_id").ok().flatten()?;
    let sent = raw
        .get_field::<MilliSecondsSinceUnixEpoch>("origin_server_ts")
        .ok()
        .flatten()?;
    Some(Position {
        event_id,
        sent_at: DateTime::<Utc>::from_timestamp_millis(sent.get().into())?,
    })
}

/// Tells the organizers, once per gap, that a room's gap was longer than the bot reads back.
fn report_gap(context: &Context, room: &Room, position: &Position) {
    let network = Arc::clone(&context.network.borrow());
    let room_id = room.room_id();
    let name = chat::municipality_of(network.roster(), room).unwrap_or_else(|| room_id.to_string());
    let position = &position.event_id;
    warn!(%room_id, limit = MAX_READ_BACK, "a room's gap was longer than the bot reads back: older events were not read");
    let notice = crate::render::timeline_gap(network.config.language, &name, MAX_READ_BACK);
    let _ = context.requests.send(Request::Notify {
        key: format!("timeline-gap/{room_id}/{position}"),
        notice,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(json: serde_json::Value) -> Raw<AnySyncTimelineEvent> {
        Raw::from_json(serde_json::value::to_raw_value(&json).expect("JSON"))
    }

    fn event(kind: &str, content: serde_json::Value) -> Raw<AnySyncTimelineEvent> {
        raw(serde_json::json!({
            "type": kind,
            "event_id": "$e:hs",
            "sender": "@anna:hs",
            "origin_server_ts": 1_796_680_000_000_u64,
            "content": content,
        }))
    }

    #[test]
    fn the_events_the_bot_acts_on_are_read_and_others_are_not() {
        let message = event(
            "m.room.message",
            serde_json::json!({"msgtype": "m.text", "body": "!ping"}),
        );
        assert!(matches!(Heard::read(&message), Some(Heard::Message(_))));
        let reaction = event(
            "m.reaction",
            serde_json::json!({"m.relates_to": {"rel_type": "m.annotation", "event_id": "$a:hs", "key": "✅"}}),
        );
        assert!(matches!(Heard::read(&reaction), Some(Heard::Reaction(_))));
        let redaction = event("m.room.redaction", serde_json::json!({"redacts": "$a:hs"}));
        assert!(matches!(Heard::read(&redaction), Some(Heard::Redaction(_))));
        let vote = event(
            "org.matrix.msc3381.poll.response",
            serde_json::json!({
                "m.relates_to": {"rel_type": "m.reference", "event_id": "$poll:hs"},
                "org.matrix.msc3381.poll.response": {"answers": ["1"]},
            }),
        );
        assert!(matches!(Heard::read(&vote), Some(Heard::UnstableVote(_))));
        let stable = event(
            "m.poll.response",
            serde_json::json!({
                "m.relates_to": {"rel_type": "m.reference", "event_id": "$poll:hs"},
                "m.selections": ["1"],
            }),
        );
        assert!(matches!(Heard::read(&stable), Some(Heard::Vote(_))));
        // What the bot could not decrypt, a redacted message, and state are nothing to act on.
        let encrypted = event(
            "m.room.encrypted",
            serde_json::json!({"algorithm": "m.megolm.v1.aes-sha2", "ciphertext": "x"}),
        );
        assert!(Heard::read(&encrypted).is_none());
        let redacted = event("m.room.message", serde_json::json!({}));
        assert!(Heard::read(&redacted).is_none());
        let topic = event("m.room.topic", serde_json::json!({"topic": "x"}));
        assert!(Heard::read(&topic).is_none());
    }

    #[test]
    fn a_position_is_an_event_id_and_its_time() {
        let message = event(
            "m.room.message",
            serde_json::json!({"msgtype": "m.text", "body": "x"}),
        );
        let position = position_of(&message).expect("a position");
        assert_eq!(position.event_id, "$e:hs");
        assert_eq!(position.sent_at.timestamp_millis(), 1_796_680_000_000);
        assert!(position_of(&raw(serde_json::json!({"type": "m.room.message"}))).is_none());
    }
}
