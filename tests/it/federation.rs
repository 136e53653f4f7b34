//! Members on their own homeservers: three Synapses federating over loopback — the bot's and
//! the organizers' server, and one server per member municipality, each holding its member's
//! encrypted room — and what happens when a member's server goes away during a fan-out, or
//! answers only through a slow line.

use std::time::{Duration, Instant};

use matrix_sdk::Room;
use matrix_sdk::ruma::{OwnedUserId, UserId};

use crate::support::delay_proxy::DelayProxy;
use crate::support::meeting::{due_in, series};
use crate::support::member::{Member, Received};
use crate::support::network::{RoomSpec, TestNetwork};
use crate::support::synapse::Synapse;
use convene::minutes;

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
///
/// With all servers up again, the whole flow: a proposal from server B, accepted by the
/// organizer, the outcome in the proposer's room; attendance from server A; minutes taken,
/// approved and published — each exactly once in every room, decrypted by each member on their
/// own server. Last, server B sits behind a slow line (its federation traffic goes through a
/// delay proxy): `!ping` replies in the organizers' room and on server A take as long as
/// without the delay (both figures printed), and server B's member still gets each reply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_federated_network_gets_announcements_even_with_a_member_server_down() {
    let server_a = Synapse::start_federating();
    // Server B is reached through a proxy that adds no latency until the slow-federation phase.
    let line_to_b = DelayProxy::start(crate::support::free_port());
    let server_b = Synapse::start_federating_behind(&line_to_b);
    let network = TestNetwork::setup()
        .on(Synapse::start_federating())
        .person_on("anna", &server_a)
        .person_on("bernd", &server_b)
        .member(RoomSpec::new("Gemeinde A", "gemeinde-a", true).created_by("anna"))
        .member(RoomSpec::new("Gemeinde B", "gemeinde-b", true).created_by("bernd"))
        .create()
        .await;
    let base = network.home.base_config();
    let mut bot = network.start_bot().await;
    let device = bot.ready().await;
    let TestNetwork {
        home,
        organizer,
        people,
        bot_id,
        rooms,
        ..
    } = network;
    let (anna, bernd) = (&people["anna"], &people["bernd"]);
    let [orga_room, room_a, room_b] = rooms.as_slice() else {
        panic!("three rooms");
    };

    // Commands across federation: the reply is encrypted and the member's client decrypts it.
    for (member, room) in [(anna, room_a), (bernd, room_b)] {
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
    for (member, room) in [(&organizer, orga_room), (anna, room_a), (bernd, room_b)] {
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
    for (member, room) in [(&organizer, orga_room), (anna, room_a)] {
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
    let got = announcement(bernd, &bot_id, room_b, "Arbeitsgruppe").await;
    eprintln!(
        "server B back: the announcement reached its member {:?} after the restart began",
        got.arrived.saturating_duration_since(stopped_at)
    );
    assert!(got.encrypted, "{got:?}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    for (member, room) in [(&organizer, orga_room), (anna, room_a), (bernd, room_b)] {
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
    let ask = bernd.say(room_b, "!ping").await;
    let pong = bernd.reply_to(&bot_id, &ask).await;
    assert!(pong.body.starts_with("Pong") && pong.encrypted, "{pong:?}");

    let network = Clients {
        bot: &bot_id,
        organizers: (&organizer, orga_room),
        a: (anna, room_a),
        b: (bernd, room_b),
    };
    let minutes_file = minutes::file_name("videokonferenz", first_start);
    propose_decide_and_publish_minutes(&network, &minutes_file, &server_b.user_id("bernd")).await;
    slow_member_server(&network, &line_to_b).await;
    new_member_on_the_slow_server(&network, &line_to_b, &server_b).await;
    // By now everything sent before the last replies on server B has arrived everywhere: the
    // proposal's outcome and the minutes are in each room once.
    exactly_once_after_the_flow(&network, &minutes_file);

    let log = bot.log();
    assert_eq!(log.matches("convene is ready").count(), 1, "{log}");
    assert!(log.contains(&format!("device_id={device}")), "{log}");
    drop(bot);
}

/// The federated network's clients, each with its room: the organizer on the bot's server,
/// Gemeinde A's member on server A, Gemeinde B's on server B.
struct Clients<'a> {
    bot: &'a UserId,
    organizers: (&'a Member, &'a Room),
    a: (&'a Member, &'a Room),
    b: (&'a Member, &'a Room),
}

impl Clients<'_> {
    fn every_room(&self) -> [(&Member, &Room); 3] {
        [self.organizers, self.a, self.b]
    }
}

/// `member` says `command` in `room` and gets the bot's reply, encrypted.
async fn ask(network: &Clients<'_>, (member, room): (&Member, &Room), command: &str) -> Received {
    let asked = member.say(room, command).await;
    let reply = member.reply_to(network.bot, &asked).await;
    assert!(reply.encrypted, "{reply:?}");
    reply
}

/// Whether `m` is the bot's published minutes of the Videokonferenz.
fn is_minutes(network: &Clients<'_>, m: &Received) -> bool {
    m.sender == network.bot && m.body.starts_with("Protokoll: Videokonferenz")
}

/// The whole flow across federation, all servers up: Gemeinde B's member proposes an item in
/// the room on server B, the organizer accepts it on the bot's server and the proposer hears
/// so; Gemeinde A's member reports attendance from server A; the organizer takes the minutes,
/// which reach every room with their Markdown file, decrypted by each member on their server.
async fn propose_decide_and_publish_minutes(
    network: &Clients<'_>,
    file_name: &str,
    bernd_id: &str,
) {
    let bot = network.bot;
    let thanks = ask(
        network,
        network.b,
        "!agenda add Breitband — Ausbau in der Verbandsgemeinde",
    )
    .await;
    assert!(
        thanks
            .body
            .starts_with("Vielen Dank! Ihr Vorschlag Nr. 1 „Breitband“"),
        "{thanks:?}"
    );
    let list = ask(network, network.organizers, "!agenda proposals").await;
    assert!(
        list.body.contains("Nr. 1 – Breitband (Gemeinde B"),
        "{list:?}"
    );
    ask(network, network.organizers, "!agenda accept 1").await;
    let (bernd_client, room_b) = network.b;
    let outcome = bernd_client
        .wait_for("the outcome in Gemeinde B", |m| {
            m.sender == bot
                && m.room_id == room_b.room_id()
                && m.body.starts_with("Ihr Vorschlag Nr. 1")
        })
        .await;
    assert!(
        outcome.encrypted && outcome.body.contains("aufgenommen"),
        "{outcome:?}"
    );

    // The minutes of the next meeting, with the accepted proposal on its agenda.
    let started = ask(network, network.organizers, "!minutes start").await;
    assert!(
        started
            .body
            .starts_with("Das Protokoll für „Videokonferenz“ am ")
            && started.body.contains("1. Breitband"),
        "{started:?}"
    );
    let here = ask(network, network.a, "!here").await;
    assert!(
        here.body.starts_with(
            "Vielen Dank! Gemeinde A wurde für „Videokonferenz“ als anwesend erfasst."
        ),
        "{here:?}"
    );
    // The owner is a person on server B: the bot finds their municipality by their room.
    let recorded = ask(
        network,
        network.organizers,
        &format!(
            "!topic\n!info Ausbau bis 2028\n!decision Förderantrag stellen\n\
             !action {bernd_id} Förderantrag vorbereiten"
        ),
    )
    .await;
    for line in [
        "[1] Tagesordnungspunkt erfasst: Breitband",
        "[4] Aufgabe erfasst: ",
    ] {
        assert!(recorded.body.contains(line), "{line} missing: {recorded:?}");
    }
    let draft = ask(network, network.organizers, "!minutes end").await;
    assert!(
        draft
            .body
            .starts_with("Protokollentwurf (noch nicht veröffentlicht)"),
        "{draft:?}"
    );
    let approved = ask(network, network.organizers, "!minutes approve").await;
    assert!(approved.body.contains("wurde genehmigt"), "{approved:?}");

    for (member, room) in network.every_room() {
        let room_id = room.room_id().to_owned();
        let minutes = member
            .wait_for("the minutes", |m| {
                is_minutes(network, m) && m.room_id == room_id
            })
            .await;
        assert!(minutes.encrypted, "{minutes:?}");
        for line in [
            "Teilnehmende Kommunen (1): Gemeinde A",
            "TOP 1: Breitband",
            "• Förderantrag stellen",
            &format!("• {bernd_id} (Gemeinde B): Förderantrag vorbereiten"),
        ] {
            assert!(
                minutes.body.contains(line),
                "{line} missing: {}",
                minutes.body
            );
        }
        let file = member
            .wait_for("the minutes file", |m| {
                m.sender == bot && m.room_id == room_id && m.body == file_name
            })
            .await;
        assert!(file.encrypted, "{file:?}");
        let (mime, source) = file.file.unwrap();
        assert_eq!(mime.as_deref(), Some("text/markdown; charset=utf-8"));
        let markdown = String::from_utf8(member.download(&source).await).unwrap();
        assert!(markdown.contains("Breitband"), "{markdown}");
    }
    let (organizer, _) = network.organizers;
    let report = organizer
        .wait_for("the publication report", |m| {
            m.sender == bot && m.body.starts_with("Protokoll „Videokonferenz“")
        })
        .await;
    assert!(
        report.body.ends_with("an 3 von 3 Räumen zugestellt."),
        "{report:?}"
    );
}

/// Checks, after the flow and a while, that the proposal's outcome, the minutes and their file
/// arrived exactly once in each room, and the publication report once.
fn exactly_once_after_the_flow(network: &Clients<'_>, file_name: &str) {
    let bot = network.bot;
    for (member, room) in network.every_room() {
        let received = member.received();
        let in_room = |m: &&Received| m.sender == bot && m.room_id == room.room_id();
        let minutes = received
            .iter()
            .filter(in_room)
            .filter(|m| is_minutes(network, m))
            .count();
        let files = received
            .iter()
            .filter(in_room)
            .filter(|m| m.body == file_name)
            .count();
        assert_eq!(
            (minutes, files),
            (1, 1),
            "{} holds {minutes} minutes and {files} files",
            room.room_id()
        );
    }
    let (bernd, room_b) = network.b;
    let outcomes = bernd
        .received()
        .iter()
        .filter(|m| {
            m.sender == bot
                && m.room_id == room_b.room_id()
                && m.body.starts_with("Ihr Vorschlag Nr. 1")
        })
        .count();
    assert_eq!(outcomes, 1, "outcomes of the proposal in Gemeinde B");
    let (organizer, _) = network.organizers;
    let reports = organizer
        .received()
        .iter()
        .filter(|m| m.sender == bot && m.body.starts_with("Protokoll „Videokonferenz“"))
        .count();
    assert_eq!(reports, 1, "publication reports");
}

/// How many `!ping`s each room sends per measurement, with and without latency to server B.
const PINGS: usize = 5;
/// The delay of every chunk to and from server B while it is slow: with a TLS handshake and a
/// request and its response, a federation round trip to it takes several times this.
const SLOW_LINE: Duration = Duration::from_millis(2500);

/// One `!ping` in `room`: the time from asking until the reply reached the member's client.
async fn ping(network: &Clients<'_>, room: (&Member, &Room)) -> Duration {
    let asked = Instant::now();
    let pong = ask(network, room, "!ping").await;
    assert!(pong.body.starts_with("Pong"), "{pong:?}");
    pong.arrived.saturating_duration_since(asked)
}

/// The `!ping` reply times of one measurement: in the organizers' room, in Gemeinde A's room
/// (server A) and in Gemeinde B's (server B).
struct PingTimes {
    organizers: Vec<Duration>,
    a: Vec<Duration>,
    b: Vec<Duration>,
}

/// `PINGS` rounds of `!ping`: in each, Gemeinde B's member asks without waiting (so that a
/// reply to server B is on its way throughout), then the organizer and Gemeinde A's member ask
/// one after the other, each waiting for the reply; last, server B's replies are awaited,
/// however long they take.
async fn ping_rounds(network: &Clients<'_>) -> PingTimes {
    let (bernd, room_b) = network.b;
    let mut times = PingTimes {
        organizers: Vec::new(),
        a: Vec::new(),
        b: Vec::new(),
    };
    let mut asks_on_b = Vec::new();
    for _ in 0..PINGS {
        asks_on_b.push((Instant::now(), bernd.say(room_b, "!ping").await));
        times
            .organizers
            .push(ping(network, network.organizers).await);
        times.a.push(ping(network, network.a).await);
    }
    for (asked, ask) in &asks_on_b {
        let pong = bernd
            .wait_within(Duration::from_secs(120), |m| {
                m.sender == network.bot && m.in_reply_to.as_ref() == Some(ask)
            })
            .await
            .unwrap_or_else(|| panic!("no reply on server B to {ask}"));
        assert!(pong.body.starts_with("Pong") && pong.encrypted, "{pong:?}");
        times.b.push(pong.arrived.saturating_duration_since(*asked));
    }
    times
}

fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

/// Slow federation: with server B behind a long line, replies in the organizers' room and on
/// server A take as long as without it, and server B's member still gets every reply. Both
/// measurements carry the same load (server B's member asks too), so they differ only in the
/// line.
///
/// Not covered, because it does not hold: a user or device on server B that is new to the bot.
/// matrix-sdk's `sync_once` awaits the E2EE requests after each sync — a `/keys/query` for a
/// new member, which the bot's homeserver forwards to server B, and the client-wide key-claim
/// lock, held by an encrypted send whose `/keys/claim` for the new device waits on server B —
/// so every room's replies wait about one round trip to server B for each (measured with a
/// member joining Gemeinde B's room: 5.1 s and 5.5 s instead of 0.4 s).
async fn slow_member_server(network: &Clients<'_>, line_to_b: &DelayProxy) {
    let without = ping_rounds(network).await;
    line_to_b.set_latency(SLOW_LINE);
    let with = ping_rounds(network).await;
    line_to_b.set_latency(Duration::ZERO);
    let rooms = [
        ("organizers' room", &without.organizers, &with.organizers),
        ("room of Gemeinde A (server A)", &without.a, &with.a),
        ("room of Gemeinde B (server B)", &without.b, &with.b),
    ];
    for (name, without, with) in rooms {
        eprintln!(
            "slow federation: !ping replies in the {name}: {without:.2?} without latency, \
             {with:.2?} with {SLOW_LINE:?} per chunk to and from server B"
        );
    }
    // The line is in the path: nothing reaches server B sooner than one chunk's delay.
    assert!(
        with.b.iter().all(|t| *t >= SLOW_LINE),
        "server B's replies came faster than the line allows: {:?}",
        with.b
    );
    // Generous for a loaded 2-core machine; a bot that waited on server B would take at least
    // one round trip to it (two chunk delays, 5 s) for some of these.
    for (name, without, with) in &rooms[..2] {
        let worst = with.iter().max().copied().unwrap_or_default();
        assert!(
            worst < Duration::from_secs(5),
            "a reply in the {name} took {worst:?} with server B slow: {with:?} (without: {without:?})"
        );
        assert!(
            median(with) < median(without) + Duration::from_secs(2),
            "replies in the {name} slowed down with server B slow: {with:?} (without: {without:?})"
        );
    }
}

/// How long healthy rooms' replies are measured after a new member on the slow server joined.
const NEW_MEMBER_WINDOW: Duration = Duration::from_secs(30);

/// A user new to the bot joins Gemeinde B's room while server B is behind the slow line: the
/// `!ping` replies in the organizers' room and on server A during the following 30 s, and
/// without latency before, are printed (`CONVENE_BENCH_BIN` runs another build for comparison).
///
/// Measured, not bounded: matrix-sdk (0.18 and 0.19 alike) awaits the new user's `/keys/query`
/// — which the bot's homeserver forwards to server B — inside `sync_once`, and the next
/// encrypted send to Gemeinde B's room claims a one-time key of the new device under a
/// client-wide lock that the next `sync_once` needs too, so the whole bot waits about one
/// round trip to server B per new user or device. 0.19 has no public way to run those requests
/// beside the sync (README, "Slow member servers").
async fn new_member_on_the_slow_server(
    network: &Clients<'_>,
    line_to_b: &DelayProxy,
    server_b: &Synapse,
) {
    let mut without = Vec::new();
    for _ in 0..PINGS {
        without.push(ping(network, network.organizers).await);
        without.push(ping(network, network.a).await);
    }
    line_to_b.set_latency(SLOW_LINE);
    let berta_account = server_b.register("berta", "berta-password", true);
    let berta = Member::connect(server_b, &berta_account).await;
    let (bernd, room_b) = network.b;
    room_b
        .invite_user_by_id(&user(&berta_account.user_id))
        .await
        .unwrap();
    berta
        .client
        .join_room_by_id(room_b.room_id())
        .await
        .unwrap();
    bernd
        .wait_for_join(room_b, &user(&berta_account.user_id))
        .await;
    let joined = Instant::now();
    let mut with = Vec::new();
    while joined.elapsed() < NEW_MEMBER_WINDOW {
        with.push(ping(network, network.organizers).await);
        with.push(ping(network, network.a).await);
    }
    // The new member is answered too, encrypted for their device.
    let berta_room = berta.client.get_room(room_b.room_id()).unwrap();
    let asked = berta.say(&berta_room, "!ping").await;
    let pong = berta
        .wait_within(Duration::from_secs(120), |m| {
            m.sender == network.bot && m.in_reply_to.as_ref() == Some(&asked)
        })
        .await
        .expect("no reply to the new member on server B");
    assert!(pong.body.starts_with("Pong") && pong.encrypted, "{pong:?}");
    line_to_b.set_latency(Duration::ZERO);
    let worst = with.iter().max().copied().unwrap_or_default();
    eprintln!(
        "new member on the slow server: !ping replies in the organizers' room and on server A: \
         median {:.2?}, worst {worst:.2?} in the {NEW_MEMBER_WINDOW:?} after the join \
         ({} replies: {with:.2?}); without latency median {:.2?}, worst {:.2?}",
        median(&with),
        with.len(),
        median(&without),
        without.iter().max().copied().unwrap_or_default(),
    );
}

/// The bot's own homeserver is down for a minute across a due announcement: the bot keeps
/// running as the same device, retries, delivers the announcement once when the server is
/// back, and answers a command within seconds of the server's return (the time is printed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bots_homeserver_down_for_a_minute_delays_but_loses_nothing() {
    let network = TestNetwork::setup()
        .member(RoomSpec::new("Kaiserslautern", "kaiserslautern", true))
        .create()
        .await;
    let base = network.home.base_config();
    let mut bot = network.start_bot().await;
    let device = bot.ready().await;
    let TestNetwork {
        synapse,
        home,
        organizer,
        bot_id,
        rooms,
        ..
    } = network;
    let [orga_room, member_room] = rooms.as_slice() else {
        panic!("two rooms");
    };

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
    let ask = organizer.say(member_room, "!ping").await;
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

    let late = announcement(&organizer, &bot_id, member_room, "Videokonferenz").await;
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
    for room in [orga_room, member_room] {
        assert_eq!(copies(&organizer, &bot_id, room, "Videokonferenz"), 1);
    }
    // The same process and the same device throughout: no crash, no new login.
    let log = bot.log();
    assert_eq!(log.matches("convene is ready").count(), 1, "{log}");
    assert!(log.contains(&format!("device_id={device}")), "{log}");
    assert!(log.contains("sync failed"), "{log}");
    drop(bot);
}

/// The delay proxy itself: bytes pass unchanged both ways, each direction waits the latency
/// set when a chunk was read, the end of a stream is passed on, and latency 0 adds none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_delay_proxy_delays_each_chunk_both_ways() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let echo = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = echo.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = echo.accept().await {
            tokio::spawn(async move {
                let (mut from, mut to) = stream.split();
                let _ = tokio::io::copy(&mut from, &mut to).await;
            });
        }
    });
    let proxy = DelayProxy::start(upstream);
    assert_eq!(proxy.upstream_port, upstream);
    let round_trip = |message: &'static [u8]| {
        let port = proxy.port;
        async move {
            let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap();
            let started = Instant::now();
            stream.write_all(message).await.unwrap();
            stream.shutdown().await.unwrap();
            let mut echoed = Vec::new();
            stream.read_to_end(&mut echoed).await.unwrap();
            assert_eq!(echoed, message);
            started.elapsed()
        }
    };
    // Without latency the bytes come back unchanged; the time is printed, not asserted (a
    // loaded machine may take any time, and timing targets belong in benchmarks).
    let quick = round_trip(b"ohne Verzug").await;
    proxy.set_latency(Duration::from_millis(500));
    assert_eq!(proxy.latency(), Duration::from_millis(500));
    // There and back: at least two delays, however fast the machine.
    let slow = round_trip(b"mit Verzug").await;
    eprintln!("delay proxy round trips: {quick:?} without latency, {slow:?} with 500 ms");
    assert!(slow >= Duration::from_secs(1), "{slow:?}");
    let port = proxy.port;
    drop(proxy);
    let refused = tokio::net::TcpStream::connect(("127.0.0.1", port)).await;
    assert!(
        refused.is_err(),
        "the proxy still listens after it was dropped"
    );
}
