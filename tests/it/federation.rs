//! Members on their own homeservers: three Synapses federating over loopback — the bot's and
//! the organizers' server, and one server per member municipality, each holding its member's
//! encrypted room — and what happens when a member's server goes away during a fan-out.

use std::time::{Duration, Instant};

use matrix_sdk::Room;
use matrix_sdk::ruma::{OwnedUserId, UserId};

use crate::support::bot::BotHome;
use crate::support::meeting::{due_in, series};
use crate::support::member::{Member, Received};
use crate::support::synapse::Synapse;

const BOT_PASSWORD: &str = "bot-secret-password";

fn user(id: &str) -> OwnedUserId {
    UserId::parse(id).unwrap()
}

/// The announcement of `title` in `room`, as `member` received it.
async fn announcement(member: &Member, bot: &UserId, room: &Room, title: &str) -> Received {
    let room_id = room.room_id().to_owned();
    let found = member
        .wait_within(Duration::from_secs(90), |m| {
            m.sender == bot
                && m.room_id == room_id
                && m.body.starts_with("Einladung:")
                && m.body.contains(title)
        })
        .await;
    found.unwrap_or_else(|| panic!("no announcement of {title} in {room_id}"))
}

/// How many announcements of `title` `member` holds in `room`.
fn copies(member: &Member, bot: &UserId, room: &Room, title: &str) -> usize {
    member
        .received()
        .iter()
        .filter(|m| {
            m.sender == bot
                && m.room_id == room.room_id()
                && m.body.starts_with("Einladung:")
                && m.body.contains(title)
        })
        .count()
}

/// The federated network: the bot and the organizers on one server, each member municipality's
/// encrypted room on its own server with its member's client there. Across federation the bot
/// accepts the invitations, answers `!help`, and announces a meeting with its .ics in every
/// room exactly once, read and decrypted by the members on their own servers.
///
/// Then one member server is stopped (by PID) just before the next announcement is due: the
/// rooms on the servers that are up get it as quickly as with all servers up (both fan-out
/// times are printed), the organizers get their summary, and when the server comes back its
/// member sees the announcement once and decrypts it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_federated_network_gets_announcements_even_with_a_member_server_down() {
    let home_server = Synapse::start_federating();
    let server_a = Synapse::start_federating();
    let server_b = Synapse::start_federating();
    let bot_account = home_server.register("convene", BOT_PASSWORD, true);
    let organizer_account = home_server.register("organizer", "organizer-password", true);
    let anna_account = server_a.register("anna", "anna-password", true);
    let bernd_account = server_b.register("bernd", "bernd-password", true);
    let bot_id = user(&bot_account.user_id);
    let members = vec![
        (
            "Gemeinde A".to_owned(),
            format!("#gemeinde-a:{}", server_a.server_name),
        ),
        (
            "Gemeinde B".to_owned(),
            format!("#gemeinde-b:{}", server_b.server_name),
        ),
    ];
    let home = BotHome::with_member_rooms(
        &home_server,
        &bot_account.user_id,
        BOT_PASSWORD,
        std::slice::from_ref(&organizer_account.user_id),
        &[
            home_server.server_name.clone(),
            server_a.server_name.clone(),
            server_b.server_name.clone(),
        ],
        &members,
    );
    let base = home.base_config();
    let mut bot = home.start();
    let device = bot.ready().await;

    let organizer = Member::connect(&home_server, &organizer_account).await;
    let anna = Member::connect(&server_a, &anna_account).await;
    let bernd = Member::connect(&server_b, &bernd_account).await;
    let orga_room = organizer
        .create_room_with_alias("Organisation", Some("orga"), true, &[&bot_id])
        .await;
    let room_a = anna
        .create_room_with_alias("Gemeinde A", Some("gemeinde-a"), true, &[&bot_id])
        .await;
    let room_b = bernd
        .create_room_with_alias("Gemeinde B", Some("gemeinde-b"), true, &[&bot_id])
        .await;
    organizer.wait_for_join(&orga_room, &bot_id).await;
    anna.wait_for_join(&room_a, &bot_id).await;
    bernd.wait_for_join(&room_b, &bot_id).await;

    // Commands across federation: the reply is encrypted and the member's client decrypts it.
    for (member, room) in [(&anna, &room_a), (&bernd, &room_b)] {
        let ask = member.say(room, "!help").await;
        let help = member.reply_to(&bot_id, &ask).await;
        assert!(help.encrypted, "{help:?}");
        assert!(
            help.body
                .contains("!ping – prüft, ob der Bot erreichbar ist"),
            "{help:?}"
        );
    }

    // An announcement with all servers up.
    let (first_start, first_due) = due_in(12);
    let first = series("videokonferenz", "Videokonferenz", first_start);
    home.configure(
        &base,
        &format!("meetings:\n  reminders: [7d]\n  series:\n{first}"),
    );
    let mut all_up = Duration::ZERO;
    for (member, room) in [
        (&organizer, &orga_room),
        (&anna, &room_a),
        (&bernd, &room_b),
    ] {
        let got = announcement(member, &bot_id, room, "Videokonferenz").await;
        assert!(got.encrypted, "{got:?}");
        all_up = all_up.max(got.arrived.saturating_duration_since(first_due));
        let room_id = room.room_id().to_owned();
        let file = member
            .wait_for("the .ics invitation", |m| {
                m.sender == bot_id && m.room_id == room_id && m.file.is_some()
            })
            .await;
        let (mime, source) = file.file.unwrap();
        assert_eq!(
            mime.as_deref(),
            Some("text/calendar; charset=utf-8"),
            "{:?}",
            file.body
        );
        let ics = String::from_utf8(member.download(&source).await).unwrap();
        assert!(
            ics.starts_with("BEGIN:VCALENDAR") && ics.contains("SUMMARY:Videokonferenz"),
            "{ics}"
        );
    }
    let summary = organizer
        .wait_for("the summary of the first announcement", |m| {
            m.sender == bot_id && m.body.starts_with("Einladung „Videokonferenz“")
        })
        .await;
    assert!(
        summary.body.ends_with("an 3 von 3 Räumen zugestellt."),
        "{summary:?}"
    );
    eprintln!("fan-out across federation, all servers up: {all_up:?} from due to the last room");

    // Member server B goes away just before the next announcement is due.
    let (second_start, second_due) = due_in(10);
    let second = series("arbeitsgruppe", "Arbeitsgruppe", second_start);
    home.configure(
        &base,
        &format!("meetings:\n  reminders: [7d]\n  series:\n{first}{second}"),
    );
    server_b.stop();
    let mut one_down = Duration::ZERO;
    for (member, room) in [(&organizer, &orga_room), (&anna, &room_a)] {
        let got = announcement(member, &bot_id, room, "Arbeitsgruppe").await;
        assert!(got.encrypted, "{got:?}");
        one_down = one_down.max(got.arrived.saturating_duration_since(second_due));
    }
    eprintln!(
        "fan-out across federation, server B down: {one_down:?} from due to the last room that is up"
    );
    // Generous for a loaded machine, far below Synapse's federation timeout (60 s) that a
    // fan-out waiting on the dead server would take.
    assert!(
        one_down < Duration::from_secs(20),
        "the rooms that are up waited {one_down:?} (all servers up: {all_up:?})"
    );
    // The bot's homeserver accepted the announcement for all three rooms (federation queues it
    // for the server that is down), but the summary names the room whose server it cannot reach.
    let summary = organizer
        .wait_for("the summary with server B down", |m| {
            m.sender == bot_id && m.body.starts_with("Einladung „Arbeitsgruppe“")
        })
        .await;
    assert!(
        summary.body.ends_with(&format!(
            "an 3 von 3 Räumen zugestellt; noch nicht bestätigt: Gemeinde B (Server {} nicht \
             erreichbar; er erhält die Nachricht, sobald er wieder erreichbar ist).",
            server_b.server_name
        )),
        "{summary:?}"
    );

    // Server B returns: its member gets the announcement once, and can read it.
    let stopped_at = Instant::now();
    server_b.restart();
    let got = announcement(&bernd, &bot_id, &room_b, "Arbeitsgruppe").await;
    eprintln!(
        "server B back: the announcement reached its member {:?} after the restart began",
        got.arrived.saturating_duration_since(stopped_at)
    );
    assert!(got.encrypted, "{got:?}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    for (member, room) in [
        (&organizer, &orga_room),
        (&anna, &room_a),
        (&bernd, &room_b),
    ] {
        for title in ["Videokonferenz", "Arbeitsgruppe"] {
            assert_eq!(
                copies(member, &bot_id, room, title),
                1,
                "announcements of {title} in {}",
                room.room_id()
            );
        }
    }
    // The bot answers on the server that came back, as the device it started as.
    let ask = bernd.say(&room_b, "!ping").await;
    let pong = bernd.reply_to(&bot_id, &ask).await;
    assert!(pong.body.starts_with("Pong") && pong.encrypted, "{pong:?}");
    let log = bot.log();
    assert_eq!(log.matches("convene is ready").count(), 1, "{log}");
    assert!(log.contains(&format!("device_id={device}")), "{log}");
    drop(bot);
}

/// The bot's own homeserver is down for a minute across a due announcement: the bot keeps
/// running as the same device, retries, delivers the announcement once when the server is
/// back, and answers a command within seconds of the server's return (the time is printed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bots_homeserver_down_for_a_minute_delays_but_loses_nothing() {
    let synapse = Synapse::start();
    let bot_account = synapse.register("convene", BOT_PASSWORD, true);
    let organizer_account = synapse.register("organizer", "organizer-password", true);
    let bot_id = user(&bot_account.user_id);
    let home = BotHome::with_members(
        &synapse,
        &bot_account.user_id,
        BOT_PASSWORD,
        std::slice::from_ref(&organizer_account.user_id),
        std::slice::from_ref(&synapse.server_name),
        &[("Kaiserslautern".to_owned(), "kaiserslautern".to_owned())],
    );
    let base = home.base_config();
    let organizer = Member::connect(&synapse, &organizer_account).await;
    let orga_room = organizer
        .create_room_with_alias("Organisation", Some("orga"), true, &[&bot_id])
        .await;
    let member_room = organizer
        .create_room_with_alias("Kaiserslautern", Some("kaiserslautern"), true, &[&bot_id])
        .await;
    let mut bot = home.start();
    let device = bot.ready().await;
    organizer.wait_for_join(&orga_room, &bot_id).await;
    organizer.wait_for_join(&member_room, &bot_id).await;

    // The announcement falls due while the server is down.
    let (start, _) = due_in(8);
    home.configure(
        &base,
        &format!(
            "meetings:\n  reminders: [7d]\n  series:\n{}",
            series("videokonferenz", "Videokonferenz", start)
        ),
    );
    synapse.stop();
    let stopped = Instant::now();
    tokio::time::sleep(Duration::from_secs(60)).await;
    synapse.restart();
    let back = Instant::now();
    eprintln!(
        "the bot's homeserver was down for {:?}",
        back.duration_since(stopped)
    );
    let ask = organizer.say(&member_room, "!ping").await;
    let pong = organizer
        .wait_within(Duration::from_secs(90), |m| {
            m.sender == bot_id && m.in_reply_to.as_ref() == Some(&ask)
        })
        .await
        .unwrap_or_else(|| panic!("no reply after the server returned:\n{}", bot.log()));
    let first_reply = pong.arrived.duration_since(back);
    eprintln!("first reply after the bot's homeserver returned: {first_reply:?}");
    assert!(pong.body.starts_with("Pong"), "{pong:?}");
    assert!(
        first_reply < Duration::from_secs(30),
        "the first reply took {first_reply:?}"
    );

    let late = announcement(&organizer, &bot_id, &member_room, "Videokonferenz").await;
    eprintln!(
        "the announcement arrived {:?} after the server returned",
        late.arrived.saturating_duration_since(back)
    );
    organizer
        .wait_for("the summary", |m| {
            m.sender == bot_id && m.body.starts_with("Einladung „Videokonferenz“")
        })
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    for room in [&orga_room, &member_room] {
        assert_eq!(copies(&organizer, &bot_id, room, "Videokonferenz"), 1);
    }
    // The same process and the same device throughout: no crash, no new login.
    let log = bot.log();
    assert_eq!(log.matches("convene is ready").count(), 1, "{log}");
    assert!(log.contains(&format!("device_id={device}")), "{log}");
    assert!(log.contains("sync failed"), "{log}");
    drop(bot);
}
