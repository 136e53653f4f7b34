//! The one place that sends: replies, joins, declined invitations, and the sends, edits and
//! pins of posts (which the [`posting`](super::posting) job decides on and records).
//!
//! Handlers queue [`Action`]s; [`deliver`] carries them out, in order within each room. A failure is logged, or
//! classified as a [`Failure`] for the delivery records, and the next action goes on: a failing
//! send is never a crash.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

use matrix_sdk::attachment::AttachmentConfig;
use matrix_sdk::ruma::api::error::ErrorKind;
use matrix_sdk::ruma::events::poll::unstable_end::UnstablePollEndEventContent;
use matrix_sdk::ruma::events::poll::unstable_start::UnstablePollStartEventContent;
use matrix_sdk::ruma::events::room::message::{
    MessageType, Relation, ReplacementMetadata, RoomMessageEventContent,
    RoomMessageEventContentWithoutRelation,
};
use matrix_sdk::ruma::events::{MessageLikeEventContent, StateEventType};
use matrix_sdk::ruma::{
    EventId, OwnedEventId, OwnedRoomId, OwnedRoomOrAliasId, OwnedTransactionId, RoomId,
    RoomOrAliasId,
};
use matrix_sdk::{Client, HttpError, Room, RoomState};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tracing::{debug, info, warn};

use crate::clock::Clock;
use crate::delivery::Failure;
use crate::render::size::{EVENT_BUDGET, notice_size};
use crate::render::{self, Rendered};
use crate::store::Store;

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
    /// Send the answer to a command; once every part is sent, it is recorded as answered.
    Answer(Answer),
    /// Join a room the bot was invited to.
    AcceptInvite(OwnedRoomId),
    /// Reject an invitation.
    DeclineInvite(OwnedRoomId),
    /// Join a room from the configuration, unless the bot is in it already.
    JoinConfigured(OwnedRoomOrAliasId),
    /// Stop after everything queued before.
    Stop,
}

/// One message or file to send.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// Where.
    pub room_id: OwnedRoomId,
    /// Deterministic, so a retry cannot post it twice.
    pub transaction_id: OwnedTransactionId,
    /// What.
    pub payload: Payload,
}

/// The answer owed to a command: its reply, files and notices, in order. It is stored with the
/// command's record ([`Store::mark_handled`]) before it is sent and marked sent after every part
/// went out ([`Store::answered`]); what a crash or an unreachable homeserver kept from going out
/// is sent again at the next start, or when the homeserver answers again, with the same
/// transaction ids, which the homeserver deduplicates.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The command's event.
    pub event_id: String,
    /// The parts.
    pub sends: Vec<Outgoing>,
}

/// An [`Outgoing`] as the database keeps it.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Stored {
    room_id: String,
    transaction_id: String,
    #[serde(flatten)]
    payload: StoredPayload,
}

/// A message by its event content; a text file (an .ics invitation) by its text.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum StoredPayload {
    Message {
        content: serde_json::Value,
    },
    File {
        filename: String,
        mime: String,
        text: String,
    },
}

impl Answer {
    /// The answer as the database keeps it; `None` if a part cannot be kept (a poll, or a file
    /// that is not text: answers have neither).
    pub fn to_json(&self) -> Option<String> {
        let stored = self
            .sends
            .iter()
            .map(|send| {
                let payload = match &send.payload {
                    Payload::Message(content) => StoredPayload::Message {
                        content: serde_json::to_value(content).ok()?,
                    },
                    Payload::File(file) => StoredPayload::File {
                        filename: file.filename.clone(),
                        mime: file.mime.to_string(),
                        text: String::from_utf8(file.data.clone()).ok()?,
                    },
                    Payload::PollStart(_) | Payload::PollEnd(_) => return None,
                };
                Some(Stored {
                    room_id: send.room_id.to_string(),
                    transaction_id: send.transaction_id.to_string(),
                    payload,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        serde_json::to_string(&stored).ok()
    }

    /// The answer to `event_id` as the database kept it; `None` if it cannot be read back.
    pub fn from_json(event_id: &str, json: &str) -> Option<Self> {
        let stored: Vec<Stored> = serde_json::from_str(json).ok()?;
        let sends = stored
            .into_iter()
            .map(|stored| {
                let payload = match stored.payload {
                    StoredPayload::Message { content } => {
                        Payload::Message(Box::new(serde_json::from_value(content).ok()?))
                    }
                    StoredPayload::File {
                        filename,
                        mime,
                        text,
                    } => Payload::File(Attachment {
                        filename,
                        mime: mime.parse().ok()?,
                        data: text.into_bytes(),
                    }),
                };
                Some(Outgoing {
                    room_id: OwnedRoomId::try_from(stored.room_id).ok()?,
                    transaction_id: OwnedTransactionId::from(stored.transaction_id),
                    payload,
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Self {
            event_id: event_id.to_owned(),
            sends,
        })
    }
}

/// Joining right after an invitation sometimes fails while the homeserver is still processing
/// it (notably over federation), so joins are retried with these pauses.
const JOIN_RETRIES: [Duration; 4] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
    Duration::from_secs(8),
];

/// Carries out queued actions until [`Action::Stop`], then finishes every send queued before.
///
/// Sends go out in one lane per room: in order within a room (a reply, then its file), at the
/// same time across rooms, so a burst of commands from 40 rooms is answered in about the time
/// of one send, and a slow room (a member server that is down, a large upload) holds up only
/// its own lane. Joins and declines run on their own for the same reason.
pub async fn deliver(
    client: Client,
    store: std::sync::Arc<Store>,
    clock: std::sync::Arc<dyn Clock>,
    mut queue: mpsc::UnboundedReceiver<Action>,
) {
    let mut lanes: BTreeMap<OwnedRoomId, mpsc::UnboundedSender<LaneItem>> = BTreeMap::new();
    let mut tasks = JoinSet::new();
    while let Some(action) = queue.recv().await {
        let routed = match action {
            Action::Send {
                room_id,
                transaction_id,
                payload,
            } => Some((room_id, LaneItem::Send(transaction_id, payload))),
            // In the lane of the room the command came from (its reply's room).
            Action::Answer(answer) => answer
                .sends
                .first()
                .map(|first| (first.room_id.clone(), LaneItem::Answer(answer.clone()))),
            Action::AcceptInvite(room_id) => {
                // Joins are retried with pauses; they must not hold up replies elsewhere.
                tasks.spawn(accept_invite(client.clone(), room_id));
                None
            }
            Action::DeclineInvite(room_id) => {
                let client = client.clone();
                tasks.spawn(async move { decline_invite(&client, &room_id).await });
                None
            }
            Action::JoinConfigured(room) => {
                let client = client.clone();
                tasks.spawn(async move {
                    join_configured(&client, &room).await;
                });
                None
            }
            Action::Stop => break,
        };
        if let Some((room_id, item)) = routed {
            let lane = lanes.entry(room_id.clone()).or_insert_with(|| {
                let (lane, items) = mpsc::unbounded_channel();
                let records = (std::sync::Arc::clone(&store), std::sync::Arc::clone(&clock));
                tasks.spawn(room_lane(client.clone(), records, room_id, items));
                lane
            });
            // The lane ends only when its sender is dropped below.
            let _ = lane.send(item);
        }
        // Finished lanes and joins are reaped as we go, so the set stays small.
        while let Some(finished) = tasks.try_join_next() {
            if let Err(error) = finished {
                warn!(%error, "an outbox task failed");
            }
        }
    }
    // Closing the lanes lets each send what it holds, then end.
    drop(lanes);
    while let Some(finished) = tasks.join_next().await {
        if let Err(error) = finished {
            warn!(%error, "an outbox task failed");
        }
    }
}

/// What a room's lane sends: one message or file, or a command's whole answer.
#[derive(Debug)]
enum LaneItem {
    Send(OwnedTransactionId, Payload),
    Answer(Answer),
}

/// Sends one room's messages, one after the other, until the outbox closes the lane. An answer
/// is recorded as sent when all of its parts are.
async fn room_lane(
    client: Client,
    (store, clock): (std::sync::Arc<Store>, std::sync::Arc<dyn Clock>),
    room_id: OwnedRoomId,
    mut items: mpsc::UnboundedReceiver<LaneItem>,
) {
    while let Some(item) = items.recv().await {
        match item {
            LaneItem::Send(transaction_id, payload) => {
                send(&client, &room_id, transaction_id, &payload).await;
            }
            LaneItem::Answer(answer) => {
                let mut all = true;
                for part in &answer.sends {
                    let transaction_id = part.transaction_id.clone();
                    all &= send(&client, &part.room_id, transaction_id, &part.payload).await;
                }
                if all && let Err(error) = store.answered(&answer.event_id, clock.now()) {
                    warn!(%error, "cannot record an answer as sent");
                }
            }
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
    /// A date poll (`org.matrix.msc3381.poll.start`).
    PollStart(Box<UnstablePollStartEventContent>),
    /// The end of a date poll (`org.matrix.msc3381.poll.end`).
    PollEnd(Box<UnstablePollEndEventContent>),
}

impl Payload {
    /// A rendered text as an `m.notice` with its plain and HTML bodies: how the bot posts.
    pub fn notice(rendered: Rendered) -> Self {
        Self::Message(Box::new(RoomMessageEventContent::notice_html(
            rendered.plain,
            rendered.html,
        )))
    }

    /// The edit of the message `original` to show `rendered` instead: the new content and its
    /// `* …` fallback for clients without edits, so the text twice.
    pub fn edit(rendered: Rendered, original: OwnedEventId) -> Self {
        Self::Message(Box::new(
            RoomMessageEventContentWithoutRelation::notice_html(rendered.plain, rendered.html)
                .make_replacement(ReplacementMetadata::new(original, None)),
        ))
    }

    /// How many bytes the content of its event takes, serialized as it is sent; 0 for a file,
    /// whose event the SDK writes after the upload (its name, type, size and address, a few
    /// hundred bytes: the bot's file names are short ids).
    pub fn size(&self) -> usize {
        let json = match self {
            Self::Message(content) => serde_json::to_vec(&**content),
            Self::PollStart(content) => serde_json::to_vec(&**content),
            Self::PollEnd(content) => serde_json::to_vec(&**content),
            Self::File(_) => return 0,
        };
        json.map_or(usize::MAX, |json| json.len())
    }

    /// The payload as it is sent: itself when its content fits [`EVENT_BUDGET`] (the render
    /// layer keeps every text within [`crate::render::size::MESSAGE_BUDGET`], so it always
    /// should); otherwise its text cut ([`crate::render::size::cut`]) until it fits, with a
    /// warning. A homeserver would refuse it whole (413 `M_TOO_LARGE`), and retrying could only
    /// end in giving it up.
    pub fn fitted(&self) -> Cow<'_, Self> {
        let size = self.size();
        if size <= EVENT_BUDGET {
            return Cow::Borrowed(self);
        }
        warn!(
            size,
            budget = EVENT_BUDGET,
            "a message is too large for the homeserver; it is cut"
        );
        // Each pass cuts the text by what the event is over the budget (an edit holds the text
        // twice); a few passes at most, since the rest of the event does not grow.
        let mut fitted = self.clone();
        let mut over = size - EVENT_BUDGET;
        for _ in 0..8 {
            fitted = fitted.cut_by(over);
            let size = fitted.size();
            if size <= EVENT_BUDGET {
                break;
            }
            over = size - EVENT_BUDGET;
        }
        Cow::Owned(fitted)
    }

    /// Its text made `over` bytes shorter (by at least that, for each copy of the text).
    fn cut_by(&self, over: usize) -> Self {
        let shorter = |rendered: &Rendered, copies: usize| {
            let size = notice_size(rendered);
            let budget = size.saturating_sub(over.div_ceil(copies) + 16);
            render::size::cut(rendered, budget)
        };
        match self {
            Self::Message(content) => Self::Message(Box::new(cut_message(content, shorter))),
            Self::PollStart(content) => {
                let mut content = content.clone();
                if let UnstablePollStartEventContent::New(new) = &mut *content
                    && let Some(text) = &new.text
                {
                    new.text = Some(shorter(&plain(text), 1).plain);
                }
                Self::PollStart(content)
            }
            Self::PollEnd(content) => {
                let mut content = content.clone();
                content.text = shorter(&plain(&content.text), 1).plain;
                Self::PollEnd(content)
            }
            Self::File(_) => self.clone(),
        }
    }
}

/// A plain text as a [`Rendered`], for cutting.
fn plain(text: &str) -> Rendered {
    Rendered {
        plain: text.to_owned(),
        html: String::new(),
    }
}

/// The texts of a notice: its body and formatted body (its body escaped when it has none).
fn texts_of(msgtype: &MessageType) -> Option<Rendered> {
    let MessageType::Notice(notice) = msgtype else {
        return None;
    };
    Some(Rendered {
        plain: notice.body.clone(),
        html: notice
            .formatted
            .as_ref()
            .map_or_else(|| render::escape_html(&notice.body), |f| f.body.clone()),
    })
}

/// `content` with its text cut by `shorter` (given the text and how often the event holds
/// it): a reply keeps its relation, an edit is made again from its cut new content. Only
/// notices are cut: the bot sends nothing else as a message.
fn cut_message(
    content: &RoomMessageEventContent,
    shorter: impl Fn(&Rendered, usize) -> Rendered,
) -> RoomMessageEventContent {
    if let Some(Relation::Replacement(replacement)) = &content.relates_to
        && let Some(texts) = texts_of(&replacement.new_content.msgtype)
    {
        let cut = shorter(&texts, 2);
        return RoomMessageEventContentWithoutRelation::notice_html(cut.plain, cut.html)
            .make_replacement(ReplacementMetadata::new(replacement.event_id.clone(), None));
    }
    let Some(texts) = texts_of(&content.msgtype) else {
        return content.clone();
    };
    let cut = shorter(&texts, 1);
    let mut shortened = RoomMessageEventContent::notice_html(cut.plain, cut.html);
    shortened.relates_to.clone_from(&content.relates_to);
    shortened.mentions.clone_from(&content.mentions);
    shortened
}

/// The one call that puts a payload into a room, with the given transaction id: every event
/// the bot sends passes here, and is measured and fitted to [`EVENT_BUDGET`] first.
pub(super) async fn send_payload(
    room: &Room,
    payload: &Payload,
    transaction_id: OwnedTransactionId,
) -> Result<OwnedEventId, matrix_sdk::Error> {
    let payload = payload.fitted();
    Ok(match &*payload {
        Payload::Message(content) => send_event(room, (**content).clone(), transaction_id).await?,
        Payload::PollStart(content) => {
            send_event(room, (**content).clone(), transaction_id).await?
        }
        Payload::PollEnd(content) => send_event(room, (**content).clone(), transaction_id).await?,
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

/// Sends one event (encrypted in an encrypted room) with the given transaction id.
async fn send_event(
    room: &Room,
    content: impl MessageLikeEventContent,
    transaction_id: OwnedTransactionId,
) -> Result<OwnedEventId, matrix_sdk::Error> {
    Ok(room
        .send(content)
        .with_transaction_id(transaction_id)
        .await?
        .response
        .event_id)
}

/// The room, if the bot is in it.
pub(super) fn joined_room(client: &Client, room_id: &RoomId) -> Result<Room, Failure> {
    client
        .get_room(room_id)
        .filter(|room| room.state() == RoomState::Joined)
        .ok_or(Failure::NotInRoom)
}

/// What a failed request means for the organizers.
pub(super) fn classify(error: &matrix_sdk::Error) -> Failure {
    if let Some(kind) = error.client_api_error_kind() {
        return match kind {
            ErrorKind::Forbidden => Failure::Forbidden,
            ErrorKind::LimitExceeded(_) => Failure::RateLimited,
            ErrorKind::NotFound => Failure::NotInRoom,
            _ => Failure::Other(error.to_string()),
        };
    }
    if let Some(api) = error.as_client_api_error()
        && api.status_code.is_server_error()
    {
        return Failure::Unreachable;
    }
    if let matrix_sdk::Error::Http(http) = error
        && matches!(**http, HttpError::Reqwest(_))
    {
        return Failure::Unreachable;
    }
    Failure::Other(error.to_string())
}

async fn send(
    client: &Client,
    room_id: &RoomId,
    transaction_id: OwnedTransactionId,
    payload: &Payload,
) -> bool {
    let room = match joined_room(client, room_id) {
        Ok(room) => room,
        Err(reason) => {
            warn!(%room_id, ?reason, "cannot send");
            return false;
        }
    };
    match send_payload(&room, payload, transaction_id).await {
        Ok(event_id) => {
            debug!(%room_id, %event_id, "sent");
            true
        }
        Err(error) => {
            warn!(%room_id, %error, "sending failed");
            false
        }
    }
}

/// Held while the bot joins a room, so an invitation and the configuration never join the same
/// room at once: two concurrent joins of one room race inside the SDK (the second reads the
/// invitation the first is replacing and warns that its event is missing). Joins are rare —
/// at the start and on invitations — so one lock for all rooms costs nothing.
static JOINING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn accept_invite(client: Client, room_id: OwnedRoomId) {
    for pause in JOIN_RETRIES.iter().copied().chain([Duration::ZERO]) {
        let joining = JOINING.lock().await;
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
                drop(joining);
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

/// Joins a configured room unless the bot is in it already; whether it joined it now.
pub async fn join_configured(client: &Client, room: &OwnedRoomOrAliasId) -> bool {
    let (room_id, via) = match OwnedRoomId::try_from(room.clone()) {
        Ok(room_id) => (room_id, Vec::new()),
        Err(alias) => match client.resolve_room_alias(&alias).await {
            Ok(resolved) => (resolved.room_id, resolved.servers),
            Err(error) => {
                warn!(room = %alias, %error, "cannot resolve the configured room alias");
                return false;
            }
        },
    };
    let _joining = JOINING.lock().await;
    if client.get_room(&room_id).map(|r| r.state()) == Some(RoomState::Joined) {
        return false;
    }
    let target = <&RoomOrAliasId>::from(&*room_id);
    match client.join_room_by_id_or_alias(target, &via).await {
        Ok(_) => {
            info!(%room, %room_id, "joined a configured room");
            true
        }
        Err(error) => {
            warn!(%room, %room_id, %error, "cannot join a configured room yet");
            false
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
    /// What its delivery records are kept under: the room id, or the configured alias while
    /// it does not resolve.
    pub key: String,
    /// The room, if its alias resolved; otherwise why not.
    pub room_id: Result<OwnedRoomId, Failure>,
}

impl Target {
    /// A room known only by its id (no longer configured), named by it.
    pub fn room(room_id: &str) -> Option<Self> {
        let id = OwnedRoomId::try_from(room_id).ok()?;
        Some(Self {
            name: room_id.to_owned(),
            key: room_id.to_owned(),
            room_id: Ok(id),
        })
    }
}

pub use crate::hash::stable_hash;

/// Pins `event_id` in `room` in place of what the bot pinned there before, where the bot's power
/// level allows it (where it does not, there is nothing to do); pins set by people are left
/// alone.
pub(super) async fn pin(store: &Store, room: &Room, event_id: &EventId) -> Result<(), Failure> {
    let Some(own) = room.client().user_id().map(ToOwned::to_owned) else {
        return Err(Failure::NotInRoom);
    };
    let allowed = match room.power_levels().await {
        Ok(levels) => levels.user_can_send_state(&own, StateEventType::RoomPinnedEvents),
        Err(_) => false,
    };
    if !allowed {
        debug!(room_id = %room.room_id(), "not allowed to pin");
        return Ok(());
    }
    let room_id = room.room_id().as_str();
    if let Ok(Some(previous)) = store.pinned(room_id)
        && let Ok(previous) = OwnedEventId::try_from(previous)
        && previous != event_id
        && let Err(error) = room.unpin_event(&previous).await
    {
        warn!(%room_id, %error, "could not unpin the previous announcement");
    }
    room.pin_event(event_id).await.map_err(|e| classify(&e))?;
    if let Err(error) = store.set_pinned(room_id, event_id.as_str()) {
        warn!(%room_id, %error, "could not record the pin");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use matrix_sdk::ruma::events::room::message::{AddMentions, ForwardThread, ReplyMetadata};
    use matrix_sdk::ruma::{event_id, user_id};

    use super::*;
    use crate::render::size::MESSAGE_BUDGET;

    fn rendered(lines: usize) -> Rendered {
        let plain: Vec<String> = (0..lines)
            .map(|i| format!("{i}. Tagesordnungspunkt „Open Data“ <mit> & \"Zeichen\""))
            .collect();
        Rendered {
            html: plain
                .iter()
                .map(|l| render::escape_html(l))
                .collect::<Vec<_>>()
                .join("<br>\n"),
            plain: plain.join("\n"),
        }
    }

    #[test]
    fn a_notice_is_measured_as_serialized() {
        let text = rendered(3);
        assert_eq!(Payload::notice(text.clone()).size(), notice_size(&text));
        let small = Payload::notice(text);
        assert!(matches!(small.fitted(), Cow::Borrowed(_)));
    }

    #[test]
    fn an_edit_holds_the_text_twice_and_fits_when_the_text_does() {
        let text = render::size::cut(&rendered(2_000), MESSAGE_BUDGET);
        let edit = Payload::edit(
            text.clone(),
            event_id!("$announcement:example.org").to_owned(),
        );
        assert!(edit.size() > 2 * notice_size(&text));
        assert!(edit.size() <= EVENT_BUDGET, "{}", edit.size());
    }

    #[test]
    fn whatever_is_too_large_is_cut_to_the_budget() {
        let huge = rendered(4_000);
        assert!(notice_size(&huge) > 3 * EVENT_BUDGET);
        // A notice, a reply and an edit: each cut, its relation kept.
        let notice = Payload::notice(huge.clone());
        let reply = Payload::Message(Box::new(
            RoomMessageEventContent::notice_html(huge.plain.clone(), huge.html.clone())
                .make_reply_to(
                    ReplyMetadata::new(
                        event_id!("$command:example.org"),
                        user_id!("@anna:example.org"),
                        None,
                    ),
                    ForwardThread::Yes,
                    AddMentions::No,
                ),
        ));
        let edit = Payload::edit(huge, event_id!("$announcement:example.org").to_owned());
        for payload in [notice, reply, edit] {
            let fitted = payload.fitted();
            let size = fitted.size();
            assert!(size <= EVENT_BUDGET, "{size}");
            assert!(
                size > EVENT_BUDGET - 4_096,
                "cut no more than needed: {size}"
            );
            let Payload::Message(content) = &*fitted else {
                panic!("not a message");
            };
            let Payload::Message(before) = &payload else {
                panic!("not a message");
            };
            assert_eq!(
                std::mem::discriminant(&content.relates_to),
                std::mem::discriminant(&before.relates_to)
            );
            let json = serde_json::to_string(&**content).unwrap();
            assert!(json.contains("[…]"), "marked as cut");
            assert!(json.contains("0. Tagesordnungspunkt"), "from the start");
        }
    }
}
