//! A municipality member's Matrix client: matrix-sdk (the SDK behind Element X) with its own
//! encryption store, syncing in the background and recording every message it receives.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::config::SyncSettings;
use matrix_sdk::deserialized_responses::EncryptionInfo;
use matrix_sdk::ruma::api::client::room::create_room::v3::Request as CreateRoomRequest;
use matrix_sdk::ruma::events::InitialStateEvent;
use matrix_sdk::ruma::events::poll::unstable_end::OriginalSyncUnstablePollEndEvent;
use matrix_sdk::ruma::events::poll::unstable_response::UnstablePollResponseEventContent;
use matrix_sdk::ruma::events::poll::unstable_start::OriginalSyncUnstablePollStartEvent;
use matrix_sdk::ruma::events::room::MediaSource;
use matrix_sdk::ruma::events::room::encryption::RoomEncryptionEventContent;
use matrix_sdk::ruma::events::room::message::{
    MessageType, OriginalSyncRoomMessageEvent, Relation, RoomMessageEventContent,
};
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedUserId, UserId};
use matrix_sdk::store::RoomLoadSettings;
use matrix_sdk::{Client, Room, RoomMemberships, SessionMeta, SessionTokens};
use tempfile::TempDir;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::synapse::{Account, Synapse};

/// A message the member's client received.
#[derive(Debug, Clone)]
pub struct Received {
    /// Who sent it.
    pub sender: OwnedUserId,
    /// Its event id.
    pub event_id: OwnedEventId,
    /// Whether it was an `m.notice`.
    pub notice: bool,
    /// The plain body.
    pub body: String,
    /// The HTML body, if any.
    pub html: Option<String>,
    /// The event it replies to, if any.
    pub in_reply_to: Option<OwnedEventId>,
    /// The event it edits (`m.replace`), if any.
    pub replaces: Option<OwnedEventId>,
    /// The room it arrived in.
    pub room_id: OwnedRoomId,
    /// For an `m.file`: its mimetype and where to download it.
    pub file: Option<(Option<String>, MediaSource)>,
    /// Whether it arrived encrypted (and was decrypted).
    pub encrypted: bool,
    /// For a poll event (start or end): what it is.
    pub poll: Option<PollEvent>,
    /// When this client's event handler saw it (for the benchmarks' latencies).
    #[allow(
        dead_code,
        reason = "used by benches/ping.rs, which shares this module"
    )]
    pub arrived: Instant,
}

/// A poll event, as a client that shows polls reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    dead_code,
    reason = "benches/ping.rs shares this module and reads no polls"
)]
pub enum PollEvent {
    /// `org.matrix.msc3381.poll.start`: the answers (id, text) and how many may be chosen.
    Start {
        /// The answers.
        answers: Vec<(String, String)>,
        /// The most answers a voter may choose.
        max_selections: u64,
    },
    /// `org.matrix.msc3381.poll.end`, ending the poll started by this event.
    End {
        /// The poll start event.
        start: OwnedEventId,
    },
}

/// Messages received so far, and a wake-up for whoever waits for the next one.
#[derive(Debug, Default)]
struct Inbox {
    messages: Mutex<Vec<Received>>,
    arrived: Notify,
}

/// A logged-in member client.
#[derive(Debug)]
pub struct Member {
    /// The SDK client.
    pub client: Client,
    received: Arc<Inbox>,
    sync: JoinHandle<()>,
    _store: TempDir,
}

impl Member {
    /// Connects as `account` (restoring the session made at registration: no login request).
    pub async fn connect(synapse: &Synapse, account: &Account) -> Self {
        let store = tempfile::Builder::new()
            .prefix("convene-member-")
            .tempdir()
            .unwrap();
        let client = Client::builder()
            .homeserver_url(&synapse.client_url)
            .sqlite_store(store.path(), None)
            .build()
            .await
            .unwrap();
        let session = MatrixSession {
            meta: SessionMeta {
                user_id: account.user_id.as_str().try_into().unwrap(),
                device_id: account.device_id.as_str().into(),
            },
            tokens: SessionTokens {
                access_token: account.access_token.clone(),
                refresh_token: None,
            },
        };
        client
            .matrix_auth()
            .restore_session(session, RoomLoadSettings::default())
            .await
            .unwrap();

        let received = Arc::new(Inbox::default());
        let sink = Arc::clone(&received);
        client.add_event_handler(
            move |event: OriginalSyncRoomMessageEvent,
                  room: Room,
                  encryption: Option<EncryptionInfo>| {
                let sink = Arc::clone(&sink);
                async move {
                    let file = match &event.content.msgtype {
                        MessageType::File(f) => Some((
                            f.info.as_ref().and_then(|i| i.mimetype.clone()),
                            f.source.clone(),
                        )),
                        _ => None,
                    };
                    let (notice, body, html) = match &event.content.msgtype {
                        MessageType::File(f) => (false, f.body.clone(), None),
                        MessageType::Notice(n) => (
                            true,
                            n.body.clone(),
                            n.formatted.as_ref().map(|f| f.body.clone()),
                        ),
                        MessageType::Text(t) => (
                            false,
                            t.body.clone(),
                            t.formatted.as_ref().map(|f| f.body.clone()),
                        ),
                        _ => return,
                    };
                    let replaces = match &event.content.relates_to {
                        Some(Relation::Replacement(replacement)) => {
                            Some(replacement.event_id.clone())
                        }
                        _ => None,
                    };
                    let in_reply_to = match &event.content.relates_to {
                        Some(Relation::Reply(reply)) => Some(reply.in_reply_to.event_id.clone()),
                        Some(Relation::Thread(thread)) => {
                            thread.in_reply_to.as_ref().map(|r| r.event_id.clone())
                        }
                        _ => None,
                    };
                    sink.push(Received {
                        sender: event.sender.clone(),
                        notice,
                        body,
                        html,
                        in_reply_to,
                        replaces,
                        room_id: room.room_id().to_owned(),
                        event_id: event.event_id.clone(),
                        file,
                        encrypted: encryption.is_some(),
                        poll: None,
                        arrived: Instant::now(),
                    });
                }
            },
        );
        let sink = Arc::clone(&received);
        client.add_event_handler(
            move |event: OriginalSyncUnstablePollStartEvent,
                  room: Room,
                  encryption: Option<EncryptionInfo>| {
                let sink = Arc::clone(&sink);
                async move {
                    let start = event.content.poll_start();
                    sink.push(Received {
                        sender: event.sender.clone(),
                        notice: false,
                        body: start.question.text.clone(),
                        html: None,
                        in_reply_to: None,
                        replaces: None,
                        room_id: room.room_id().to_owned(),
                        event_id: event.event_id.clone(),
                        file: None,
                        encrypted: encryption.is_some(),
                        poll: Some(PollEvent::Start {
                            answers: start
                                .answers
                                .iter()
                                .map(|a| (a.id.clone(), a.text.clone()))
                                .collect(),
                            max_selections: start.max_selections.into(),
                        }),
                        arrived: Instant::now(),
                    });
                }
            },
        );
        let sink = Arc::clone(&received);
        client.add_event_handler(
            move |event: OriginalSyncUnstablePollEndEvent,
                  room: Room,
                  encryption: Option<EncryptionInfo>| {
                let sink = Arc::clone(&sink);
                async move {
                    sink.push(Received {
                        sender: event.sender.clone(),
                        notice: false,
                        body: event.content.text.clone(),
                        html: None,
                        in_reply_to: None,
                        replaces: None,
                        room_id: room.room_id().to_owned(),
                        event_id: event.event_id.clone(),
                        file: None,
                        encrypted: encryption.is_some(),
                        poll: Some(PollEvent::End {
                            start: event.content.relates_to.event_id.clone(),
                        }),
                        arrived: Instant::now(),
                    });
                }
            },
        );
        // Our own sync loop: `Client::sync` pauses a second between quick syncs.
        client.sync_once(SyncSettings::default()).await.unwrap();
        let syncing = client.clone();
        let sync = tokio::spawn(async move {
            let settings = SyncSettings::default().timeout(Duration::from_secs(10));
            loop {
                if syncing.sync_once(settings.clone()).await.is_err() {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        });
        Self {
            client,
            received,
            sync,
            _store: store,
        }
    }

    /// Creates a private room, encrypted if asked, and invites `invite`.
    pub async fn create_room(&self, name: &str, encrypted: bool, invite: &[&UserId]) -> Room {
        self.create_room_with_alias(name, None, encrypted, invite)
            .await
    }

    /// Creates a private room with an alias (`#alias:server`), encrypted if asked.
    pub async fn create_room_with_alias(
        &self,
        name: &str,
        alias: Option<&str>,
        encrypted: bool,
        invite: &[&UserId],
    ) -> Room {
        let mut request = CreateRoomRequest::new();
        request.name = Some(name.to_owned());
        request.room_alias_name = alias.map(str::to_owned);
        request.invite = invite.iter().map(|u| (*u).to_owned()).collect();
        if encrypted {
            let content = RoomEncryptionEventContent::with_recommended_defaults();
            request.initial_state = vec![
                Raw::new(&InitialStateEvent::with_empty_state_key(content))
                    .unwrap()
                    .cast_unchecked(),
            ];
        }
        self.client.create_room(request).await.unwrap()
    }

    /// Waits until `user` has joined `room` (as seen by this client's sync).
    pub async fn wait_for_join(&self, room: &Room, user: &UserId) {
        self.wait_for_membership(room, user, true).await;
    }

    /// Waits until `user` has left `room` or rejected its invitation.
    pub async fn wait_for_leave(&self, room: &Room, user: &UserId) {
        self.wait_for_membership(room, user, false).await;
    }

    async fn wait_for_membership(&self, room: &Room, user: &UserId, joined: bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let members = if joined {
                RoomMemberships::JOIN
            } else {
                RoomMemberships::LEAVE
            };
            let found = room
                .members_no_sync(members)
                .await
                .unwrap()
                .iter()
                .any(|m| m.user_id() == user);
            if found {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{user} did not {} {} in time",
                if joined { "join" } else { "leave" },
                room.room_id()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends a text message and returns its event id.
    pub async fn say(&self, room: &Room, text: &str) -> OwnedEventId {
        room.send(RoomMessageEventContent::text_plain(text))
            .await
            .unwrap()
            .response
            .event_id
    }

    /// Waits for a message from `from` replying to `event`.
    pub async fn reply_to(&self, from: &UserId, event: &OwnedEventId) -> Received {
        self.wait_for("a reply", |m| {
            m.sender == from && m.in_reply_to.as_ref() == Some(event)
        })
        .await
    }

    /// Waits (woken by each arrival, not polling) for a message that `matches`.
    pub async fn wait_for(&self, what: &str, matches: impl Fn(&Received) -> bool) -> Received {
        match self.wait_within(Duration::from_secs(30), matches).await {
            Some(found) => found,
            None => panic!("timed out waiting for {what}"),
        }
    }

    /// Waits up to `timeout` for a message that `matches`; `None` if none came.
    pub async fn wait_within(
        &self,
        timeout: Duration,
        matches: impl Fn(&Received) -> bool,
    ) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.received.arrived.notified();
            if let Some(found) = self.received().into_iter().find(|m| matches(m)) {
                return Some(found);
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return None;
            }
        }
    }

    /// Downloads (and decrypts, if encrypted) a file someone sent.
    pub async fn download(&self, source: &MediaSource) -> Vec<u8> {
        let request = matrix_sdk::media::MediaRequestParameters {
            source: source.clone(),
            format: matrix_sdk::media::MediaFormat::File,
        };
        self.client
            .media()
            .get_media_content(&request, false)
            .await
            .unwrap()
    }

    /// Answers the poll started by `start` with the answer ids `answers`, as Element does;
    /// returns the response's event id.
    #[allow(
        dead_code,
        reason = "benches/ping.rs shares this module and votes in no poll"
    )]
    pub async fn vote(&self, room: &Room, start: &OwnedEventId, answers: &[&str]) -> OwnedEventId {
        let answers = answers.iter().map(|a| (*a).to_owned()).collect();
        room.send(UnstablePollResponseEventContent::new(
            answers,
            start.clone(),
        ))
        .await
        .unwrap()
        .response
        .event_id
    }

    /// Every message received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.messages.lock().unwrap().clone()
    }
}

impl Inbox {
    /// Records an event, once: a room holds each event once; a client may see one twice (a sync
    /// retried after its events were handled), and real clients dedupe by event id too.
    fn push(&self, received: Received) {
        let mut messages = self.messages.lock().unwrap();
        if messages.iter().any(|m| m.event_id == received.event_id) {
            eprintln!("member client saw {} a second time", received.event_id);
            return;
        }
        messages.push(received);
        drop(messages);
        self.arrived.notify_waiters();
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.sync.abort();
    }
}
