//! The one place that sends: replies, joins, declined invitations, and posts fanned out to
//! every room (with their edits and pins).
//!
//! Handlers queue [`Action`]s; [`deliver`] carries them out in order. The scheduler calls
//! [`fan_out`] and [`edit`]. A failure is logged or reported and the next action goes on: a
//! failing send is never a crash.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use matrix_sdk::attachment::AttachmentConfig;
use matrix_sdk::ruma::events::StateEventType;
use matrix_sdk::ruma::events::room::message::{
    ReplacementMetadata, RoomMessageEventContent, RoomMessageEventContentWithoutRelation,
};
use matrix_sdk::ruma::{
    EventId, OwnedEventId, OwnedRoomId, OwnedRoomOrAliasId, OwnedTransactionId, RoomId,
    RoomOrAliasId,
};
use matrix_sdk::{Client, Room, RoomState};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

use crate::clock::Clock;
use crate::render::FanOutReport;
use crate::store::{NewDelivery, Store};

/// Something the bot does on the homeserver.
#[derive(Debug)]
pub enum Action {
    /// Send a message or a file with a transaction id that makes a repeated send harmless.
    Send {
        /// Where.
        room_id: OwnedRoomId,
        /// Deterministic per message, so a retry cannot post it twice.
        transaction_id: OwnedTransactionId,
        /// What.
        payload: Payload,
    },
    /// Join a room the bot was invited to.
    AcceptInvite(OwnedRoomId),
    /// Reject an invitation.
    DeclineInvite(OwnedRoomId),
    /// Join a room from the configuration, unless the bot is in it already.
    JoinConfigured(OwnedRoomOrAliasId),
    /// Stop after everything queued before.
    Stop,
}

/// Joining right after an invitation sometimes fails while the homeserver is still processing
/// it (notably over federation), so joins are retried with these pauses.
const JOIN_RETRIES: [Duration; 4] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
    Duration::from_secs(8),
];

/// Carries out queued actions until [`Action::Stop`].
pub async fn deliver(client: Client, mut queue: mpsc::UnboundedReceiver<Action>) {
    while let Some(action) = queue.recv().await {
        match action {
            Action::Send {
                room_id,
                transaction_id,
                payload,
            } => send(&client, &room_id, transaction_id, &payload).await,
            Action::AcceptInvite(room_id) => {
                // Joins are retried with pauses; they must not hold up replies elsewhere.
                tokio::spawn(accept_invite(client.clone(), room_id));
            }
            Action::DeclineInvite(room_id) => decline_invite(&client, &room_id).await,
            Action::JoinConfigured(room) => join_configured(&client, &room).await,
            Action::Stop => break,
        }
    }
}

/// What a post or reply consists of.
#[derive(Debug, Clone)]
pub enum Payload {
    /// A message.
    Message(Box<RoomMessageEventContent>),
    /// A file (the .ics invitation), uploaded and — in encrypted rooms — encrypted by the SDK.
    File(Attachment),
}

impl Payload {
    /// A rendered text as an `m.notice` with its plain and HTML bodies: how the bot posts.
    pub fn notice(rendered: crate::render::Rendered) -> Self {
        Self::Message(Box::new(RoomMessageEventContent::notice_html(
            rendered.plain,
            rendered.html,
        )))
    }
}

/// The one call that puts a payload into a room, with the given transaction id.
async fn send_payload(
    room: &Room,
    payload: &Payload,
    transaction_id: OwnedTransactionId,
) -> Result<OwnedEventId, matrix_sdk::Error> {
    Ok(match payload {
        Payload::Message(content) => {
            room.send((**content).clone())
                .with_transaction_id(transaction_id)
                .await?
                .response
                .event_id
        }
        Payload::File(file) => {
            room.send_attachment(
                file.filename.clone(),
                &file.mime,
                file.data.clone(),
                AttachmentConfig::new().txn_id(transaction_id),
            )
            .await?
            .event_id
        }
    })
}

/// The room, if the bot is in it.
fn joined_room(client: &Client, room_id: &RoomId) -> Result<Room, String> {
    client
        .get_room(room_id)
        .filter(|room| room.state() == RoomState::Joined)
        .ok_or_else(|| "bot not in the room".to_owned())
}

async fn send(
    client: &Client,
    room_id: &RoomId,
    transaction_id: OwnedTransactionId,
    payload: &Payload,
) {
    let room = match joined_room(client, room_id) {
        Ok(room) => room,
        Err(reason) => {
            warn!(%room_id, reason, "cannot send");
            return;
        }
    };
    match send_payload(&room, payload, transaction_id).await {
        Ok(event_id) => debug!(%room_id, %event_id, "sent"),
        Err(error) => warn!(%room_id, %error, "sending failed"),
    }
}

async fn accept_invite(client: Client, room_id: OwnedRoomId) {
    for pause in JOIN_RETRIES.iter().copied().chain([Duration::ZERO]) {
        let Some(room) = client.get_room(&room_id) else {
            warn!(%room_id, "cannot join: the invitation is gone");
            return;
        };
        if room.state() == RoomState::Joined {
            return;
        }
        match room.join().await {
            Ok(()) => {
                info!(%room_id, "joined after an invitation");
                return;
            }
            Err(error) if !pause.is_zero() => {
                debug!(%room_id, %error, retry_in = ?pause, "join failed");
                tokio::time::sleep(pause).await;
            }
            Err(error) => warn!(%room_id, %error, "could not join after an invitation"),
        }
    }
}

async fn decline_invite(client: &Client, room_id: &RoomId) {
    let Some(room) = client.get_room(room_id) else {
        return;
    };
    match room.leave().await {
        Ok(()) => info!(%room_id, "declined the invitation"),
        Err(error) => warn!(%room_id, %error, "could not decline the invitation"),
    }
}

/// Joins a configured room unless the bot is in it already.
pub async fn join_configured(client: &Client, room: &OwnedRoomOrAliasId) {
    let (room_id, via) = match OwnedRoomId::try_from(room.clone()) {
        Ok(room_id) => (room_id, Vec::new()),
        Err(alias) => match client.resolve_room_alias(&alias).await {
            Ok(resolved) => (resolved.room_id, resolved.servers),
            Err(error) => {
                warn!(room = %alias, %error, "cannot resolve the configured room alias");
                return;
            }
        },
    };
    if client.get_room(&room_id).map(|r| r.state()) == Some(RoomState::Joined) {
        return;
    }
    let target = <&RoomOrAliasId>::from(&*room_id);
    match client.join_room_by_id_or_alias(target, &via).await {
        Ok(_) => info!(%room, %room_id, "joined a configured room"),
        Err(error) => warn!(%room, %room_id, %error, "cannot join a configured room yet"),
    }
}

/// A post ready to go out to many rooms.
#[derive(Debug, Clone)]
pub struct PreparedPost {
    /// The post's key (see [`crate::posting::Post::key`]).
    pub key: String,
    /// The meeting it is about.
    pub meeting_key: String,
    /// The meeting's title.
    pub meeting_title: String,
    /// The meeting's start.
    pub meeting_start: DateTime<Utc>,
    /// The message or the file.
    pub payload: Payload,
    /// A hash of the meeting's state the message shows, to notice changes later.
    pub state_hash: String,
    /// Whether to pin it in each room (the announcement of the next meeting).
    pub pin: bool,
}

impl PreparedPost {
    /// A payload about `meeting` under `key`: no pin, no state to follow.
    pub fn notice(key: String, meeting: &crate::schedule::Meeting, payload: Payload) -> Self {
        Self {
            key,
            meeting_key: meeting.key.clone(),
            meeting_title: meeting.title.clone(),
            meeting_start: meeting.start.with_timezone(&Utc),
            payload,
            state_hash: String::new(),
            pin: false,
        }
    }
}

/// A file to post.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// Its name, as members see it.
    pub filename: String,
    /// Its type.
    pub mime: mime::Mime,
    /// Its bytes.
    pub data: Vec<u8>,
}

/// A room a post goes to.
#[derive(Debug, Clone)]
pub struct Target {
    /// Its display name, for reports ("Kaiserslautern").
    pub name: String,
    /// The room, if its alias resolved; otherwise why not.
    pub room_id: Result<OwnedRoomId, String>,
}

/// How many rooms are sent to at once: enough to fan out quickly, few enough to stay well inside
/// a homeserver's limits (rate-limited requests are retried by the SDK after `retry_after_ms`).
const FAN_OUT_CONCURRENCY: usize = 8;

pub use crate::hash::stable_hash;

/// Sends `post` to every target that does not have it yet, recording each delivery before and
/// after the send, so that a crash at any moment neither duplicates nor drops it.
pub async fn fan_out(
    client: &Client,
    store: &Arc<Store>,
    clock: &Arc<dyn Clock>,
    post: &PreparedPost,
    targets: &[Target],
) -> FanOutReport {
    let limit = Arc::new(Semaphore::new(FAN_OUT_CONCURRENCY));
    let mut tasks = JoinSet::new();
    for (index, target) in targets.iter().enumerate() {
        let (client, store, clock, post, target, limit) = (
            client.clone(),
            Arc::clone(store),
            Arc::clone(clock),
            post.clone(),
            target.clone(),
            Arc::clone(&limit),
        );
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let outcome = deliver_one(&client, &store, &clock, &post, &target).await;
            (index, target.name, outcome)
        });
    }
    let mut outcomes = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(outcome) => outcomes.push(outcome),
            Err(error) => warn!(%error, "a delivery task failed"),
        }
    }
    outcomes.sort_by_key(|(index, _, _)| *index);
    let mut report = FanOutReport {
        delivered: 0,
        total: targets.len(),
        failed: Vec::new(),
    };
    for (_, name, outcome) in outcomes {
        match outcome {
            Ok(()) => report.delivered += 1,
            Err(reason) => report.failed.push((name, reason)),
        }
    }
    report
}

async fn deliver_one(
    client: &Client,
    store: &Store,
    clock: &Arc<dyn Clock>,
    post: &PreparedPost,
    target: &Target,
) -> Result<(), String> {
    let room_id = target.room_id.clone()?;
    let transaction_id = format!("convene-{}", stable_hash(&[&post.key, room_id.as_str()]));
    let record = store
        .begin(&NewDelivery {
            post_key: &post.key,
            room_id: room_id.as_str(),
            meeting_key: &post.meeting_key,
            meeting_title: &post.meeting_title,
            meeting_start: post.meeting_start,
            transaction_id: &transaction_id,
            content_hash: &post.state_hash,
            now: clock.now(),
        })
        .map_err(|e| e.to_string())?;
    if record.event_id.is_some() {
        return Ok(());
    }
    let room = joined_room(client, &room_id)?;
    let transaction_id = OwnedTransactionId::from(record.transaction_id.clone());
    let event_id = send_payload(&room, &post.payload, transaction_id)
        .await
        .map_err(|e| e.to_string())?;
    store
        .sent(&post.key, room_id.as_str(), event_id.as_str(), clock.now())
        .map_err(|e| e.to_string())?;
    debug!(post = %post.key, %room_id, %event_id, "delivered");
    if post.pin {
        pin(store, &room, &event_id).await;
    }
    Ok(())
}

/// Pins `event_id` in `room` in place of what the bot pinned there before, where the bot's power
/// level allows it; pins set by people are left alone.
async fn pin(store: &Store, room: &Room, event_id: &EventId) {
    let Some(own) = room.client().user_id().map(ToOwned::to_owned) else {
        return;
    };
    let allowed = match room.power_levels().await {
        Ok(levels) => levels.user_can_send_state(&own, StateEventType::RoomPinnedEvents),
        Err(_) => false,
    };
    if !allowed {
        debug!(room_id = %room.room_id(), "not allowed to pin");
        return;
    }
    let room_id = room.room_id().as_str();
    if let Ok(Some(previous)) = store.pinned(room_id)
        && let Ok(previous) = OwnedEventId::try_from(previous)
        && previous != event_id
        && let Err(error) = room.unpin_event(&previous).await
    {
        warn!(%room_id, %error, "could not unpin the previous announcement");
    }
    match room.pin_event(event_id).await {
        Ok(_) => {
            if let Err(error) = store.set_pinned(room_id, event_id.as_str()) {
                warn!(%room_id, %error, "could not record the pin");
            }
        }
        Err(error) => warn!(%room_id, %error, "could not pin the announcement"),
    }
}

/// Replaces a delivered message (`m.replace`) with new content, once per new state.
pub async fn edit(
    client: &Client,
    store: &Store,
    delivery: &crate::store::Delivery,
    content: RoomMessageEventContentWithoutRelation,
    state_hash: &str,
) -> Result<(), String> {
    let room_id = OwnedRoomId::try_from(delivery.room_id.as_str()).map_err(|e| e.to_string())?;
    let event_id = delivery
        .event_id
        .as_deref()
        .map(OwnedEventId::try_from)
        .transpose()
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "not sent yet".to_owned())?;
    let room = joined_room(client, &room_id)?;
    let transaction_id = format!(
        "convene-edit-{}",
        stable_hash(&[&delivery.post_key, room_id.as_str(), state_hash])
    );
    let replacement = content.make_replacement(ReplacementMetadata::new(event_id, None));
    room.send(replacement)
        .with_transaction_id(OwnedTransactionId::from(transaction_id))
        .await
        .map_err(|e| e.to_string())?;
    store
        .edited(&delivery.post_key, room_id.as_str(), state_hash)
        .map_err(|e| e.to_string())
}
