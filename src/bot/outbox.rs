//! The one place that sends: replies, joins and declined invitations.
//!
//! Handlers queue [`Action`]s; [`deliver`] carries them out in order. A failure is logged and
//! the next action goes on: a failing send is never a crash.

use std::time::Duration;

use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;
use matrix_sdk::ruma::{
    OwnedRoomId, OwnedRoomOrAliasId, OwnedTransactionId, RoomId, RoomOrAliasId,
};
use matrix_sdk::{Client, RoomState};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

/// Something the bot does on the homeserver.
#[derive(Debug)]
pub enum Action {
    /// Send a message with a transaction id that makes a repeated send harmless.
    Send {
        /// Where.
        room_id: OwnedRoomId,
        /// Deterministic per message, so a retry cannot post it twice.
        transaction_id: OwnedTransactionId,
        /// What.
        content: Box<RoomMessageEventContent>,
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
                content,
            } => send(&client, &room_id, transaction_id, *content).await,
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

async fn send(
    client: &Client,
    room_id: &RoomId,
    transaction_id: OwnedTransactionId,
    content: RoomMessageEventContent,
) {
    let Some(room) = client.get_room(room_id) else {
        warn!(%room_id, "cannot send: the bot does not know this room");
        return;
    };
    match room.send(content).with_transaction_id(transaction_id).await {
        Ok(response) => debug!(%room_id, event_id = %response.response.event_id, "sent"),
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

async fn join_configured(client: &Client, room: &OwnedRoomOrAliasId) {
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
