//! Upgrades keep the bot's device: a network as the build on matrix-sdk 0.18 left it (convene
//! `c3a4569`; `tests/fixtures/upgrade-0.18/`, made once by `generator.rs` beside it) is restored
//! by this build — the same device, no new login, the keys the old build stored still decrypt,
//! and it answers encrypted.
//!
//! A fixture rather than building the old version in the test's setup: that build needs the old
//! toolchain and ~15 minutes of a 2-core CI run for every clean machine, while the fixture is
//! 3 MB made once. Its homeserver database comes along, since a device's keys mean nothing to a
//! homeserver that never saw them; Synapse upgrades that database itself when a newer Synapse
//! opens it.

use std::path::{Path, PathBuf};

use matrix_sdk::deserialized_responses::TimelineEventKind;
use matrix_sdk::room::MessagesOptions;
use matrix_sdk::ruma::events::room::message::MessageType;
use matrix_sdk::ruma::events::{
    AnySyncMessageLikeEvent, AnySyncTimelineEvent, SyncMessageLikeEvent,
};
use matrix_sdk::ruma::{OwnedEventId, RoomId, UserId};
use serde::Deserialize;

use crate::support::bot::BotHome;
use crate::support::member::Member;
use crate::support::synapse::Synapse;

/// What `generator.rs` recorded of the network it left.
#[derive(Debug, Deserialize)]
struct Fixture {
    server_name: String,
    bot_user_id: String,
    bot_device_id: String,
    bot_password: String,
    organizer_user_id: String,
    organizer_password: String,
    member_room_id: String,
    ping_event_id: OwnedEventId,
    reply_event_id: OwnedEventId,
    while_stopped_event_id: OwnedEventId,
    while_stopped_body: String,
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upgrade-0.18")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_device_the_0_18_build_stored_is_restored_decrypts_and_answers_encrypted() {
    let fixture: Fixture =
        serde_json::from_str(&std::fs::read_to_string(fixture_dir().join("fixture.json")).unwrap())
            .unwrap();
    let synapse = Synapse::start_from_copy(&fixture_dir().join("synapse"));
    assert_eq!(synapse.server_name, fixture.server_name);
    let bot_id = UserId::parse(&fixture.bot_user_id).unwrap();
    let home = BotHome::new(
        &synapse,
        &fixture.bot_user_id,
        &fixture.bot_password,
        std::slice::from_ref(&fixture.organizer_user_id),
        std::slice::from_ref(&synapse.server_name),
    );
    home.copy_data_dir_from(&fixture_dir().join("bot/data"));

    let mut bot = home.start();
    let device_id = bot.ready().await;
    assert_eq!(device_id, fixture.bot_device_id, "{}", bot.log());
    assert!(bot.log().contains("new_device=false"), "{}", bot.log());
    assert!(!bot.log().contains("logging in"), "{}", bot.log());

    // The organizer's old device's keys are not in the fixture: a new device of theirs asks.
    let organizer_account = synapse.register("organizer", &fixture.organizer_password, true);
    let organizer = Member::connect(&synapse, &organizer_account).await;
    let room_id = RoomId::parse(&fixture.member_room_id).unwrap();
    let room = organizer
        .client
        .get_room(&room_id)
        .expect("the member room");
    let ping = organizer.say(&room, "!ping").await;
    let reply = organizer.reply_to(&bot_id, &ping).await;
    assert!(reply.encrypted, "{reply:?}");
    assert!(reply.body.contains("Pong"), "{reply:?}");
    let log = bot.log();
    assert!(
        !log.contains("Failed to decrypt") && !log.contains("UnableToDecrypt"),
        "{log}"
    );
    let status = bot.terminate().await;
    assert!(status.success(), "{status}\n{log}");

    // What was said before the upgrade — to the 0.18 build, and while it was stopped — decrypts
    // with the keys the 0.18 build stored, read through the bot's device as `convene doctor`
    // opens it.
    let config = convene::config::Config::load(&home.config_path()).unwrap();
    let connected = convene::bot::session::restore(&config).await.unwrap();
    assert_eq!(
        connected.client.device_id().map(ToString::to_string),
        Some(fixture.bot_device_id.clone())
    );
    let room = connected
        .client
        .get_room(&room_id)
        .expect("the bot's member room");
    let mut options = MessagesOptions::backward();
    options.limit = 100u32.into();
    let history = room.messages(options).await.unwrap();
    let body_of = |event_id: &OwnedEventId| {
        let event = history
            .chunk
            .iter()
            .find(|e| e.event_id() == Some(&**event_id))
            .unwrap_or_else(|| panic!("{event_id} not in the room's history"));
        assert!(
            matches!(event.kind, TimelineEventKind::Decrypted(_)),
            "{event_id} was not decrypted: {:?}",
            event.kind
        );
        match event.raw().deserialize().unwrap() {
            AnySyncTimelineEvent::MessageLike(AnySyncMessageLikeEvent::RoomMessage(
                SyncMessageLikeEvent::Original(message),
            )) => match message.content.msgtype {
                MessageType::Text(text) => text.body,
                MessageType::Notice(notice) => notice.body,
                other => panic!("{event_id}: {other:?}"),
            },
            other => panic!("{event_id}: {other:?}"),
        }
    };
    assert_eq!(body_of(&fixture.ping_event_id), "!ping");
    assert!(body_of(&fixture.reply_event_id).contains("Pong"));
    assert_eq!(
        body_of(&fixture.while_stopped_event_id),
        fixture.while_stopped_body
    );
}
