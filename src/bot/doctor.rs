//! `convene doctor`'s fact-finding: restores the bot's own device from the data directory
//! (never a login, so never a new device), syncs once, looks at every configured room, and asks
//! the calendar feed's public address whether it answers. [`crate::doctor`] judges the facts.
//!
//! The doctor uses the bot's device and stores, so it runs only while the bot is stopped (the
//! device lock in [`super::session`] enforces that). Its sync must not swallow what the bot has
//! yet to see — invitations, RSVP reactions that arrived while it was down — so the stored sync
//! position is put back afterwards: the bot's next catch-up starts where the bot left off.

use std::time::Duration;

use matrix_sdk::config::SyncSettings;
use matrix_sdk::reqwest;
use matrix_sdk::ruma::api::error::ErrorKind;
use matrix_sdk::ruma::events::room::power_levels::UserPowerLevel;
use matrix_sdk::ruma::events::{MessageLikeEventType, StateEventType};
use matrix_sdk::ruma::{OwnedRoomId, OwnedRoomOrAliasId, UserId};
use matrix_sdk::store::{StateStoreDataKey, StateStoreDataValue};
use matrix_sdk::{Client, RoomMemberships, RoomState};

use super::session::{self, SessionError};
use crate::config::{CalendarConfig, Config};
use crate::doctor::{FeedFacts, FeedOutcome, Joined, Level, Membership, Reach, RoomFacts};

pub use crate::doctor::Facts;

/// How long the calendar feed may take to answer.
const FEED_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the doctor could not examine anything.
#[derive(Debug, thiserror::Error)]
pub enum DoctorError {
    /// The stored session could not be restored (none, another account, the bot running).
    #[error(transparent)]
    Session(#[from] SessionError),
    /// The session has no user or device id after restoring.
    #[error("the restored session has no user or device id")]
    NoIdentity,
    /// The sync failed (homeserver down, session no longer valid).
    #[error("cannot sync with the homeserver: {0}")]
    Sync(Box<matrix_sdk::Error>),
    /// The stored sync position could not be read or put back.
    #[error("cannot keep the bot's sync position in its state store: {0}")]
    SyncPosition(matrix_sdk::StoreError),
}

/// Gathers the facts about the bot's device, its configured rooms and the calendar feed.
pub async fn examine(config: &Config) -> Result<Facts, DoctorError> {
    let connected = session::restore(config).await?;
    let client = &connected.client;
    let (Some(user_id), Some(device_id)) = (client.user_id(), client.device_id()) else {
        return Err(DoctorError::NoIdentity);
    };
    sync_without_moving_on(client).await?;
    let mut rooms = Vec::new();
    for (label, room) in labeled_rooms(config) {
        rooms.push(RoomFacts {
            label,
            configured: room.to_string(),
            reach: reach(client, user_id, room).await,
        });
    }
    let feed = match &config.calendar {
        Some(calendar) => Some(check_feed(calendar).await),
        None => None,
    };
    Ok(Facts {
        user_id: user_id.to_string(),
        device_id: device_id.to_string(),
        rooms,
        feed,
    })
}

/// One catch-up sync (no long poll), then the stored sync position as it was before.
async fn sync_without_moving_on(client: &Client) -> Result<(), DoctorError> {
    let store = client.state_store();
    let before = store
        .get_kv_data(StateStoreDataKey::SyncToken)
        .await
        .map_err(DoctorError::SyncPosition)?
        .and_then(StateStoreDataValue::into_sync_token);
    let synced = client
        .sync_once(SyncSettings::default().timeout(Duration::ZERO))
        .await;
    let put_back = match before {
        Some(token) => {
            store
                .set_kv_data(
                    StateStoreDataKey::SyncToken,
                    StateStoreDataValue::SyncToken(token),
                )
                .await
        }
        None => store.remove_kv_data(StateStoreDataKey::SyncToken).await,
    };
    synced.map_err(|error| DoctorError::Sync(Box::new(error)))?;
    put_back.map_err(DoctorError::SyncPosition)
}

/// The configured rooms with what they are to the network, in the order of
/// [`Config::rooms`].
fn labeled_rooms(config: &Config) -> Vec<(String, &OwnedRoomOrAliasId)> {
    let roster = &config.roster;
    let mut rooms = vec![("organizers' room".to_owned(), &roster.organizers_room)];
    if let Some(minutes) = &roster.minutes_room {
        rooms.push(("minutes room".to_owned(), minutes));
    }
    rooms.extend(
        roster
            .members
            .iter()
            .map(|member| (member.name.clone(), &member.room)),
    );
    rooms
}

async fn reach(client: &Client, own: &UserId, room: &OwnedRoomOrAliasId) -> Reach {
    let room_id = match OwnedRoomId::try_from(room.clone()) {
        Ok(room_id) => room_id,
        Err(alias) => match client.resolve_room_alias(&alias).await {
            Ok(resolved) => resolved.room_id,
            Err(error) if matches!(error.client_api_error_kind(), Some(ErrorKind::NotFound)) => {
                return Reach::NoSuchAlias;
            }
            Err(error) => return Reach::Unresolvable(error.to_string()),
        },
    };
    let membership = match client.get_room(&room_id) {
        None => Ok(Membership::None),
        Some(room) => match room.state() {
            RoomState::Invited => Ok(Membership::Invited),
            RoomState::Knocked => Ok(Membership::Knocked),
            RoomState::Left => Ok(Membership::Left),
            RoomState::Banned => Ok(Membership::Banned),
            RoomState::Joined => joined(&room, own).await.map(Membership::Joined),
        },
    };
    match membership {
        Ok(membership) => Reach::Room {
            room_id: room_id.to_string(),
            membership,
        },
        Err(error) => Reach::Unreadable {
            room_id: room_id.to_string(),
            error: error.to_string(),
        },
    }
}

async fn joined(room: &matrix_sdk::Room, own: &UserId) -> Result<Joined, matrix_sdk::Error> {
    let encrypted = room.latest_encryption_state().await?.is_encrypted();
    let members = room.members(RoomMemberships::JOIN).await?.len();
    // A room without a power levels event has the defaults, which let every member post.
    let levels = room.power_levels_or_default().await;
    let level = match levels.for_user(own) {
        UserPowerLevel::Int(level) => Level::Number(level.into()),
        _ => Level::Creator,
    };
    let message_type = if encrypted {
        MessageLikeEventType::RoomEncrypted
    } else {
        MessageLikeEventType::RoomMessage
    };
    Ok(Joined {
        encrypted,
        members,
        level,
        send_needs: levels.for_message(message_type).into(),
        pin_needs: levels.for_state(StateEventType::RoomPinnedEvents).into(),
    })
}

/// Asks `public_url` + `healthz`. The bot, which serves the feed, is stopped while the doctor
/// runs, so the doctor listens on the feed's address itself for the check (answering
/// `/healthz` only): an answer then proves the way from the public address (reverse proxy,
/// TLS) to this host. If the address is taken, whatever holds it answers.
async fn check_feed(calendar: &CalendarConfig) -> FeedFacts {
    let listen = calendar.listen.to_string();
    let url = match calendar.public_url.join("healthz") {
        Ok(url) => url,
        Err(error) => {
            return FeedFacts {
                url: format!("{}healthz", calendar.public_url),
                listen,
                doctor_listened: false,
                outcome: FeedOutcome::Failed(error.to_string()),
            };
        }
    };
    let listener = tokio::net::TcpListener::bind(calendar.listen).await.ok();
    let doctor_listened = listener.is_some();
    let server = listener.map(|listener| {
        let router = axum::Router::new().route("/healthz", axum::routing::get(|| async { "ok\n" }));
        tokio::spawn(async move { axum::serve(listener, router).await })
    });
    let outcome = fetch(url.clone()).await;
    if let Some(server) = server {
        server.abort();
    }
    FeedFacts {
        url: url.to_string(),
        listen,
        doctor_listened,
        outcome,
    }
}

async fn fetch(url: url::Url) -> FeedOutcome {
    let client = match reqwest::Client::builder().timeout(FEED_TIMEOUT).build() {
        Ok(client) => client,
        Err(error) => return FeedOutcome::Failed(chain(&error)),
    };
    match client.get(url).send().await {
        Ok(response) => FeedOutcome::Status(response.status().as_u16()),
        Err(error) if error.is_timeout() => FeedOutcome::Timeout(FEED_TIMEOUT.as_secs()),
        Err(error) if refused(&error) => FeedOutcome::NoConnection,
        Err(error) => FeedOutcome::Failed(chain(&error)),
    }
}

/// Whether the connection was refused (nothing listens), as opposed to TLS or DNS trouble,
/// which is shown with its cause.
fn refused(error: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        source = cause.source();
    }
    false
}

/// An error with its causes, "outer: inner: innermost" (also for `convene links`).
pub(super) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
