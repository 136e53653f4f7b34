//! End to end: the real `convene` binary against a real Synapse, with a matrix-sdk client as the
//! member. Each test has its own homeserver(s), so tests run in parallel and never share state.

use std::time::Duration;

use matrix_sdk::ruma::{OwnedUserId, UserId};

use crate::support::bot::BotHome;
use crate::support::config::MONTHLY_VIDEOKONFERENZ;
use crate::support::member::Member;
use crate::support::network::{RoomSpec, TestNetwork};
use crate::support::synapse::Synapse;

const BOT_PASSWORD: &str = "bot-secret-password";

fn user(id: &str) -> OwnedUserId {
    UserId::parse(id).unwrap()
}

/// A member invites the bot into a plain and an encrypted room; it joins both and answers
/// `!ping` and `!help` in each, as an `m.notice` reply with HTML, encrypted where the room is,
/// and `!about` (in German, `!über`) with its version and source.
/// Restarted, it is the same device, still answers in the encrypted room, and answers the
/// command sent while it was down once, marked late.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joins_answers_in_plain_and_encrypted_rooms_and_survives_a_restart() {
    let synapse = Synapse::start();
    let bot_account = synapse.register("convene", BOT_PASSWORD, true);
    let anna_account = synapse.register("anna", "anna-password", true);
    let bot_id = user(&bot_account.user_id);
    let home = BotHome::new(
        &synapse,
        &bot_account.user_id,
        BOT_PASSWORD,
        &[synapse.user_id("organizer")],
        std::slice::from_ref(&synapse.server_name),
    );
    let mut bot = home.start();
    let device = bot.ready().await;

    let anna = Member::connect(&synapse, &anna_account).await;
    let plain = anna.create_room("Kaiserslautern", false, &[&bot_id]).await;
    let encrypted = anna
        .create_room("Kaiserslautern (verschlüsselt)", true, &[&bot_id])
        .await;
    anna.wait_for_join(&plain, &bot_id).await;
    anna.wait_for_join(&encrypted, &bot_id).await;

    for room in [&plain, &encrypted] {
        let ping = anna.say(room, "!ping").await;
        let pong = anna.reply_to(&bot_id, &ping).await;
        assert!(pong.notice, "the reply is not an m.notice: {pong:?}");
        assert!(
            pong.body.starts_with("Pong – convene ist erreichbar."),
            "{pong:?}"
        );
        assert!(pong.html.is_some(), "the reply has no HTML body: {pong:?}");
        assert_eq!(
            pong.encrypted,
            room.encryption_state().is_encrypted(),
            "{pong:?}"
        );

        let help = anna.say(room, "!help").await;
        let help = anna.reply_to(&bot_id, &help).await;
        assert!(
            help.body
                .contains("!ping – prüft, ob der Bot erreichbar ist"),
            "{help:?}"
        );
        // Placeholders survive as text: `<Titel>` written unescaped would be dropped by the client.
        assert!(
            help.html
                .as_deref()
                .unwrap()
                .contains("<code>!agenda add &lt;Titel&gt; [— &lt;Beschreibung&gt;]</code>"),
            "{help:?}"
        );
        // A member sees the members' commands, not the organizers'.
        assert!(!help.body.contains("!agenda accept"), "{help:?}");
        // The last line offers the source (AGPL-3.0 §13), with the version the bot was built as.
        let version = env!("CARGO_PKG_VERSION");
        assert!(
            help.body.ends_with(&format!(
                "\n\nconvene {version} · Quelltext: https://github.com/ikone-ds/convene · !about"
            )),
            "{help:?}"
        );
    }
    assert!(encrypted.encryption_state().is_encrypted());

    let about = anna.say(&encrypted, "!über").await;
    let about = anna.reply_to(&bot_id, &about).await;
    assert!(
        about.body.starts_with(&format!(
            "Ich bin convene, Version {}:",
            env!("CARGO_PKG_VERSION")
        )),
        "{about:?}"
    );
    assert!(about.body.contains("(AGPL-3.0-or-later)"), "{about:?}");
    assert!(
        about
            .body
            .ends_with("\nQuelltext: https://github.com/ikone-ds/convene"),
        "{about:?}"
    );

    let status = bot.terminate().await;
    assert!(
        status.success(),
        "the bot did not shut down cleanly: {status}"
    );
    let while_down = anna.say(&encrypted, "!ping").await;

    let mut bot = home.start();
    assert_eq!(
        bot.ready().await,
        device,
        "the bot came back as another device"
    );
    assert!(bot.log().contains("restoring the stored session"));
    let ping = anna.say(&encrypted, "!ping").await;
    let pong = anna.reply_to(&bot_id, &ping).await;
    assert!(pong.encrypted && pong.body.starts_with("Pong"), "{pong:?}");

    // The command sent while the bot was down is answered once, late, saying since when the
    // bot was away (it recorded its stop), encrypted like every answer in that room.
    let late = anna.reply_to(&bot_id, &while_down).await;
    assert!(late.encrypted, "{late:?}");
    assert!(
        late.body
            .starts_with("Verspätet beantwortet – der Bot war von "),
        "{late:?}"
    );
    assert!(
        late.body.contains("Pong – convene ist erreichbar."),
        "{late:?}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let answers = anna
        .received()
        .into_iter()
        .filter(|m| m.in_reply_to.as_ref() == Some(&while_down))
        .count();
    assert_eq!(answers, 1, "answered {answers} times:\n{}", bot.log());
    // Only one device for the bot, ever: restarts restore the session instead of logging in.
    let devices = bot_devices(&anna, &bot_id).await;
    assert_eq!(devices, vec![device.clone()], "the bot has other devices");
    assert!(home.data_dir().join("session.json").exists());
    drop(bot);
}

/// The ids of the devices with encryption keys that `bot` has, as the member's client sees them
/// (the session made at registration uploads no keys, so it is not among them).
async fn bot_devices(member: &Member, bot: &UserId) -> Vec<String> {
    let devices = member
        .client
        .encryption()
        .get_user_devices(bot)
        .await
        .unwrap();
    let mut ids: Vec<String> = devices.keys().map(|d| d.to_string()).collect();
    ids.sort();
    ids
}

/// An invitation from a user on a homeserver that is not in the configuration is declined; an
/// organizer on that same homeserver is still let in. Two federating Synapses on loopback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declines_invitations_from_unlisted_homeservers_but_not_from_organizers() {
    let home_server = Synapse::start_federating();
    let foreign_server = Synapse::start_federating();
    let bot_account = home_server.register("convene", BOT_PASSWORD, true);
    let stranger_account = foreign_server.register("stranger", "stranger-password", true);
    let organizer_account = foreign_server.register("organizer", "organizer-password", true);
    let bot_id = user(&bot_account.user_id);
    let home = BotHome::new(
        &home_server,
        &bot_account.user_id,
        BOT_PASSWORD,
        std::slice::from_ref(&organizer_account.user_id),
        std::slice::from_ref(&home_server.server_name),
    );
    let mut bot = home.start();
    bot.ready().await;

    let stranger = Member::connect(&foreign_server, &stranger_account).await;
    let uninvited = stranger.create_room("Werbung", false, &[&bot_id]).await;
    stranger.wait_for_leave(&uninvited, &bot_id).await;

    let organizer = Member::connect(&foreign_server, &organizer_account).await;
    let orga_room = organizer
        .create_room("IKONE DS – Organisation", false, &[&bot_id])
        .await;
    organizer.wait_for_join(&orga_room, &bot_id).await;
    let ping = organizer.say(&orga_room, "!ping").await;
    let pong = organizer.reply_to(&bot_id, &ping).await;
    assert!(pong.body.starts_with("Pong"), "{pong:?}");

    let log = bot.log();
    assert!(log.contains("declined the invitation"), "{log}");
    assert!(
        !stranger.received().iter().any(|m| m.sender == bot_id),
        "the bot spoke in a room it should not be in"
    );
}

/// Ten member rooms (and the organizers' room) each get the announcement exactly once, even
/// though the bot is killed with SIGKILL in the middle of the fan-out and started again; when
/// the meeting is moved in the configuration, the announcement is edited in every room and a
/// short notice follows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announces_in_every_room_exactly_once_across_a_crash_and_edits_on_a_move() {
    use chrono::{Duration as Delta, Utc};
    use chrono_tz::Europe::Berlin;

    let network =
        TestNetwork::setup()
            .members((1..=10).map(|i| {
                RoomSpec::new(format!("Gemeinde {i}"), format!("gemeinde-{i}"), i % 2 == 1)
            }))
            .create()
            .await;

    // A weekly series whose only meeting starts 7 days and 25 seconds from now: the
    // announcement (7 days before) falls due while the test watches.
    let start = (Utc::now() + Delta::days(7) + Delta::seconds(25)).with_timezone(&Berlin);
    let meetings = |extra: &str| {
        format!(
            "meetings:
  reminders: [7d]
  series:
    - id: videokonferenz
      title: Videokonferenz
      rule: FREQ=WEEKLY;COUNT=1
      first: {date}
      start: \"{time}\"
      duration: 90m
      video_link: https://meet.example.org/ikone
{extra}",
            date = start.format("%Y-%m-%d"),
            time = start.format("%H:%M:%S"),
        )
    };
    let base = network.home.base_config();
    network.home.configure(&base, &meetings(""));

    let bot = network.start_bot().await;
    let TestNetwork {
        home,
        organizer,
        bot_id,
        rooms,
        ..
    } = network;

    // Kill the bot as soon as the first room holds the announcement.
    let is_announcement = |m: &crate::support::member::Received| {
        m.sender == bot_id && m.body.starts_with("Einladung:")
    };
    organizer
        .wait_for("the first announcement", is_announcement)
        .await;
    bot.kill();
    let before_restart = organizer
        .received()
        .iter()
        .filter(|m| is_announcement(m))
        .count();
    eprintln!("rooms holding the announcement when the bot was killed: {before_restart} of 11");

    let mut bot = home.start();
    bot.ready().await;
    for room in &rooms {
        let room_id = room.room_id().to_owned();
        organizer
            .wait_for("the announcement in every room", |m| {
                is_announcement(m) && m.room_id == room_id
            })
            .await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = organizer.received();
    for room in &rooms {
        let copies = received
            .iter()
            .filter(|m| is_announcement(m) && m.room_id == room.room_id())
            .count();
        assert_eq!(
            copies,
            1,
            "{} holds {copies} copies of the announcement: {:#?}",
            room.room_id(),
            received
                .iter()
                .filter(|m| is_announcement(m) && m.room_id == room.room_id())
                .collect::<Vec<_>>()
        );
    }
    // The organizers hear once how the fan-out went.
    organizer
        .wait_for("the delivery summary", |m| {
            m.sender == bot_id && m.body.starts_with("Einladung „Videokonferenz“")
        })
        .await;
    // Every room also gets the invitation file, once.
    for room in &rooms {
        let room_id = room.room_id().to_owned();
        organizer
            .wait_for("the .ics invitation in every room", |m| {
                m.sender == bot_id && m.file.is_some() && m.room_id == room_id
            })
            .await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = organizer.received();
    for room in &rooms {
        let files = received
            .iter()
            .filter(|m| m.sender == bot_id && m.file.is_some() && m.room_id == room.room_id())
            .count();
        assert_eq!(
            files,
            1,
            "{} holds {files} invitation files",
            room.room_id()
        );
    }
    let summaries: Vec<_> = received
        .iter()
        .filter(|m| m.sender == bot_id && m.body.starts_with("Einladung „Videokonferenz“"))
        .collect();
    assert_eq!(summaries.len(), 1, "{summaries:#?}");
    assert!(
        summaries[0]
            .body
            .ends_with("an 11 von 11 Räumen zugestellt."),
        "{summaries:#?}"
    );
    assert_eq!(summaries[0].room_id, rooms[0].room_id());
    let announcement = received.iter().find(|m| is_announcement(m)).unwrap();
    assert!(
        announcement
            .body
            .contains("Videokonferenz: https://meet.example.org/ikone"),
        "{announcement:?}"
    );
    assert!(announcement.body.contains(" Uhr"), "{announcement:?}");

    // A member's proposal is accepted: every announcement is edited in place and a notice
    // names the agenda change — no "moved", and no new invitation file.
    let ask = organizer
        .say(&rooms[1], "!agenda add Open Data — ein gemeinsames Portal")
        .await;
    organizer.reply_to(&bot_id, &ask).await;
    let ask = organizer.say(&rooms[0], "!agenda accept 1").await;
    organizer.reply_to(&bot_id, &ask).await;
    let agenda_notice = |m: &crate::support::member::Received| {
        m.sender == bot_id
            && m.body
                .starts_with("Hinweis: Die Tagesordnung für „Videokonferenz“")
    };
    for room in &rooms {
        let room_id = room.room_id().to_owned();
        let original = received
            .iter()
            .find(|m| is_announcement(m) && m.room_id == room_id)
            .unwrap()
            .event_id
            .clone();
        let edit = organizer
            .wait_for("the announcement edited for the agenda", |m| {
                m.sender == bot_id && m.replaces.as_ref() == Some(&original)
            })
            .await;
        assert!(edit.body.contains("Open Data"), "{edit:?}");
        let notice = organizer
            .wait_for("the agenda notice", |m| {
                agenda_notice(m) && m.room_id == room_id
            })
            .await;
        assert!(
            notice.body.contains("neu „Open Data“") && !notice.body.contains("verlegt"),
            "{notice:?}"
        );
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = organizer.received();
    for room in &rooms {
        let in_room = |test: &dyn Fn(&crate::support::member::Received) -> bool| {
            received
                .iter()
                .filter(|m| m.room_id == room.room_id() && test(m))
                .count()
        };
        assert_eq!(
            in_room(&agenda_notice),
            1,
            "agenda notices in {}",
            room.room_id()
        );
        assert_eq!(
            in_room(&|m| m.sender == bot_id && m.file.is_some()),
            1,
            "an agenda change sent a new invitation to {}",
            room.room_id()
        );
    }

    // Move the meeting by an hour: every announcement is edited, and a notice follows.
    let moved = start + Delta::hours(1);
    home.configure(
        &base,
        &meetings(&format!(
            "      exceptions:\n        - date: {}\n          new_start: \"{}\"\n",
            start.format("%Y-%m-%d"),
            moved.format("%H:%M:%S")
        )),
    );
    let new_time = moved.format("%H:%M").to_string();
    for room in &rooms {
        let room_id = room.room_id().to_owned();
        let original = received
            .iter()
            .find(|m| is_announcement(m) && m.room_id == room_id)
            .unwrap()
            .event_id
            .clone();
        let edit = organizer
            .wait_for("the edited announcement", |m| {
                m.sender == bot_id
                    && m.replaces.as_ref() == Some(&original)
                    && m.body.contains(&new_time)
            })
            .await;
        assert!(
            edit.body.contains(&new_time),
            "the edit does not show {new_time}: {edit:?}"
        );
        assert!(edit.body.contains("Verschoben"), "{edit:?}");
        let notice = organizer
            .wait_for("the change notice", |m| {
                m.sender == bot_id
                    && m.room_id == room_id
                    && m.body
                        .starts_with("Hinweis: „Videokonferenz“ wurde verlegt.")
            })
            .await;
        assert!(notice.body.contains(&new_time), "{notice:?}");
    }

    // A broken edit is reported to the organizers with file:line:col, and changes nothing.
    home.configure(&base, &meetings("      exceptions: [oops]\n"));
    let report = organizer
        .wait_for("the report of the broken file", |m| {
            m.sender == bot_id && m.body.starts_with("Eine geänderte Datei enthält Fehler")
        })
        .await;
    assert_eq!(report.room_id, rooms[0].room_id());
    assert!(
        report.body.contains("convene.yaml:")
            && report
                .body
                .contains("meetings.series[0].exceptions[0]: Erwartet wird ein Abschnitt"),
        "{report:?}"
    );
    let ask = organizer.say(&rooms[0], "!next").await;
    let next = organizer.reply_to(&bot_id, &ask).await;
    assert!(
        next.body.contains(&new_time),
        "the last good version is not in force: {next:?}"
    );
    drop(bot);
}

/// In an encrypted member room, `!subscribe` gives the room's private feed link, which the
/// bot's HTTP server answers; `!ics` sends the invitation as an encrypted `text/calendar` file
/// that the member's client downloads and decrypts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hands_out_invitations_and_subscription_links_in_an_encrypted_room() {
    let port = crate::support::free_port();
    let network = TestNetwork::setup()
        .person("anna")
        .member(RoomSpec::new("Kaiserslautern", "kaiserslautern", true).created_by("anna"))
        .without_listen()
        .extend_base(&format!(
            "calendar:
  contact: info@ikone-ds.example
  listen: 127.0.0.1:{port}
  public_url: http://127.0.0.1:{port}/
{MONTHLY_VIDEOKONFERENZ}      video_link: https://meet.example.org/ikone
"
        ))
        .create()
        .await;
    let bot = network.start_bot().await;
    let (anna, bot_id) = (&network.people["anna"], network.bot_id.clone());
    let room = &network.rooms[1];

    let ask = anna.say(room, "!subscribe").await;
    let links = anna.reply_to(&bot_id, &ask).await;
    assert!(links.encrypted, "{links:?}");
    let https = links
        .body
        .lines()
        .find_map(|line| line.strip_prefix("Adresse zum Einfügen: "))
        .unwrap_or_else(|| panic!("no link in {links:?}"))
        .to_owned();
    assert!(
        https.starts_with(&format!("http://127.0.0.1:{port}/feeds/")),
        "{https}"
    );
    assert!(
        links
            .body
            .contains(&format!("webcal://127.0.0.1:{port}/feeds/"))
    );
    assert!(
        links
            .body
            .contains("https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2F")
    );
    let feed = reqwest::get(&https).await.unwrap();
    assert_eq!(feed.status(), reqwest::StatusCode::OK);
    assert_eq!(
        feed.headers()["content-type"],
        "text/calendar; charset=utf-8"
    );
    let feed = feed.text().await.unwrap();
    assert!(
        feed.contains("UID:videokonferenz@ikone-ds.example\r\n"),
        "{feed}"
    );

    let ask = anna.say(room, "!ics").await;
    let file = anna
        .wait_for("the invitation file", |m| {
            m.sender == bot_id && m.file.is_some()
        })
        .await;
    let _ = ask;
    assert!(file.encrypted, "the file was not sent encrypted: {file:?}");
    assert_eq!(file.body, "videokonferenz.ics");
    let (mimetype, source) = file.file.clone().unwrap();
    assert_eq!(mimetype.as_deref(), Some("text/calendar; charset=utf-8"));
    assert!(matches!(
        source,
        matrix_sdk::ruma::events::room::MediaSource::Encrypted(_)
    ));
    let ics = String::from_utf8(anna.download(&source).await).unwrap();
    assert_eq!(ics, feed, "the invitation differs from the feed's entry");
    drop(bot);
}

/// Two member rooms propose agenda items; the organizers accept one and reject the other; each
/// proposer's room hears the outcome; `!agenda` in a third room shows the accepted item after
/// the organizers' own. A broken edit of the agenda file is reported to the organizers with
/// file:line:col, and the last good agenda stays in force.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_propose_agenda_items_and_organizers_decide() {
    use chrono::Utc;
    use convene::network::Network;

    let agendas = tempfile::tempdir().unwrap();
    let network = TestNetwork::setup()
        .person("anna")
        .person("bert")
        .member(RoomSpec::new("Kaiserslautern", "gemeinde-1", true).joined_by("anna"))
        .member(RoomSpec::new("Bitburg-Prüm", "gemeinde-2", false).joined_by("bert"))
        .member(RoomSpec::new("Mayen-Koblenz", "gemeinde-3", true))
        .extend_base(&format!(
            "agendas_dir: {}\n{MONTHLY_VIDEOKONFERENZ}",
            agendas.path().display()
        ))
        .create()
        .await;
    let next = Network::load(&network.home.config_path())
        .unwrap()
        .schedule
        .next_taking_place(Utc::now(), chrono::TimeDelta::days(400))
        .unwrap();
    let date = next.key.split_once('/').unwrap().1.to_owned();
    let agenda_file = agendas.path().join(format!("{date}-videokonferenz.yaml"));
    let good_agenda = format!(
        "meeting:\n  series: videokonferenz\n  date: {date}\nitems:\n  - title: Begrüßung\n    duration: 10m\n"
    );
    std::fs::write(&agenda_file, &good_agenda).unwrap();

    let bot = network.start_bot().await;
    let TestNetwork {
        home,
        organizer,
        people,
        bot_id,
        rooms,
        ..
    } = network;
    let (anna, bert) = (&people["anna"], &people["bert"]);
    let [orga, room1, room2, room3] = rooms.as_slice() else {
        panic!("four rooms");
    };
    let anna_room = anna.client.get_room(room1.room_id()).unwrap();
    let bert_room = bert.client.get_room(room2.room_id()).unwrap();

    let ask = anna
        .say(
            &anna_room,
            "!agenda add Open Data — ein gemeinsames Portal für alle Kommunen",
        )
        .await;
    let thanks = anna.reply_to(&bot_id, &ask).await;
    assert!(
        thanks
            .body
            .starts_with("Vielen Dank! Ihr Vorschlag Nr. 1 „Open Data“"),
        "{thanks:?}"
    );
    // Markup stays text, and a right-to-left override typed into the title is not echoed (it
    // would flip the rest of the bot's sentence on screen).
    let ask = bert
        .say(&bert_room, "!agenda add <b>Fette</b> \u{202E}Idee\u{200B}")
        .await;
    let thanks = bert.reply_to(&bot_id, &ask).await;
    assert!(
        thanks.body.contains("Nr. 2 „<b>Fette</b> Idee“")
            && !thanks.body.contains('\u{202E}')
            && !thanks.body.contains('\u{200B}'),
        "{thanks:?}"
    );
    assert!(
        thanks.html.unwrap().contains("&lt;b&gt;Fette&lt;/b&gt;"),
        "markup was rendered"
    );

    // Members cannot decide, nor withdraw someone else's proposal.
    let ask = bert.say(&bert_room, "!agenda accept 2").await;
    let refused = bert.reply_to(&bot_id, &ask).await;
    assert!(
        refused.body.contains(
            "Der Befehl !agenda accept ist dem Organisationsteam des Netzwerks vorbehalten"
        ),
        "{refused:?}"
    );
    let ask = bert.say(&bert_room, "!agenda withdraw 1").await;
    let refused = bert.reply_to(&bot_id, &ask).await;
    assert!(refused.body.contains("Nr. 1"), "{refused:?}");
    let ask = bert.say(&bert_room, "!agenda withdraw 99").await;
    let refused = bert.reply_to(&bot_id, &ask).await;
    assert!(refused.body.contains("Nr. 99"), "{refused:?}");

    let ask = organizer.say(orga, "!agenda proposals").await;
    let list = organizer.reply_to(&bot_id, &ask).await;
    assert!(
        list.body.contains("Nr. 1 – Open Data (Kaiserslautern"),
        "{list:?}"
    );
    assert!(
        list.body
            .contains("Nr. 2 – <b>Fette</b> Idee (Bitburg-Prüm"),
        "{list:?}"
    );
    let ask = organizer.say(orga, "!agenda accept 1").await;
    organizer.reply_to(&bot_id, &ask).await;
    let ask = organizer
        .say(orga, "!agenda reject 2 passt nicht zum Thema")
        .await;
    organizer.reply_to(&bot_id, &ask).await;

    let accepted = anna
        .wait_for("the outcome in Kaiserslautern", |m| {
            m.sender == bot_id && m.body.starts_with("Ihr Vorschlag Nr. 1")
        })
        .await;
    assert!(accepted.body.contains("aufgenommen"), "{accepted:?}");
    assert_eq!(accepted.room_id, room1.room_id());
    let rejected = bert
        .wait_for("the outcome in Bitburg-Prüm", |m| {
            m.sender == bot_id && m.body.starts_with("Ihr Vorschlag Nr. 2")
        })
        .await;
    assert!(
        rejected.body.contains("Begründung: passt nicht zum Thema"),
        "{rejected:?}"
    );

    // The organizers can paste the accepted proposals into their file.
    let export = std::process::Command::new(env!("CARGO_BIN_EXE_convene"))
        .args(["agenda", "export", &date, "--config"])
        .arg(home.config_path())
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let export = String::from_utf8(export.stdout).unwrap();
    assert!(
        export.contains(
            "- title: Open Data\n  description: ein gemeinsames Portal für alle Kommunen\n"
        ),
        "{export}"
    );
    assert!(
        export.contains("    municipality: Kaiserslautern\n"),
        "{export}"
    );
    assert!(!export.contains("Fette"), "{export}");

    let ask = organizer.say(room3, "!agenda").await;
    let agenda = organizer.reply_to(&bot_id, &ask).await;
    let begruessung = agenda
        .body
        .find("1. Begrüßung")
        .expect("the organizers' item");
    let section = agenda
        .body
        .find("Vorschläge aus dem Netzwerk:")
        .expect("the section");
    assert!(begruessung < section, "{agenda:?}");
    assert!(
        agenda
            .body
            .contains("2. Open Data – vorgeschlagen von Kaiserslautern"),
        "{agenda:?}"
    );
    assert!(!agenda.body.contains("Fette"), "{agenda:?}");

    // A broken edit of the agenda file: reported, and the last good agenda stays.
    std::fs::write(
        &agenda_file,
        format!("{good_agenda}  - titel: Kaffeepause\n"),
    )
    .unwrap();
    let report = organizer
        .wait_for("the report of the broken agenda", |m| {
            m.sender == bot_id && m.body.starts_with("Eine geänderte Datei enthält Fehler")
        })
        .await;
    assert_eq!(report.room_id, orga.room_id());
    assert!(
        report.body.contains(&format!(
            "{date}-videokonferenz.yaml:7:5: Fehler: items[1].titel: Unbekannter Schlüssel `titel`"
        )),
        "{report:?}"
    );
    let ask = organizer.say(room3, "!agenda").await;
    let agenda = organizer.reply_to(&bot_id, &ask).await;
    assert!(agenda.body.contains("1. Begrüßung"), "{agenda:?}");
    assert!(!agenda.body.contains("Kaffeepause"), "{agenda:?}");
    drop(bot);
}

/// A short meeting is minuted live in the organizers' room: attendance from `!here` and from
/// RSVP reactions on the announcement (one of them taken back), several commands in one
/// message, a correction, the approval. A member who is not a chair can neither record nor approve. Every room then holds
/// exactly one copy of the minutes with the Markdown file attached, which the bot's HTTP server
/// also serves; the action item is listed in its municipality's room, carries into the next
/// meeting's agenda under "Offene Aufgaben", and is closed with `!done`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minutes_are_taken_live_approved_and_published_once_per_room() {
    use chrono::{Duration as Delta, Utc};
    use chrono_tz::Europe::Berlin;
    use matrix_sdk::ruma::events::reaction::ReactionEventContent;
    use matrix_sdk::ruma::events::relation::Annotation;

    // A weekly meeting that began ten minutes ago, with a two-item agenda.
    let start = (Utc::now() - Delta::minutes(10)).with_timezone(&Berlin);
    let date = start.format("%Y-%m-%d").to_string();
    let agendas = tempfile::tempdir().unwrap();
    std::fs::write(
        agendas.path().join(format!("{date}-videokonferenz.yaml")),
        format!(
            "meeting:\n  series: videokonferenz\n  date: {date}\nitems:\n  - title: Begrüßung\n  - title: Open Data\n"
        ),
    )
    .unwrap();
    let port = crate::support::free_port();
    let network = TestNetwork::setup()
        .person("anna")
        .organizers_room(RoomSpec::new("Organisation", "orga", true).joined_by("anna"))
        .member(RoomSpec::new("Kaiserslautern", "gemeinde-1", true).joined_by("anna"))
        .member(RoomSpec::new("Bitburg-Prüm", "gemeinde-2", false))
        .member(RoomSpec::new("Mayen-Koblenz", "gemeinde-3", true))
        .member(RoomSpec::new("Trier", "gemeinde-4", false))
        .without_listen()
        .extend_base(&format!(
            "agendas_dir: {agendas}
calendar:
  contact: info@ikone-ds.example
  listen: 127.0.0.1:{port}
  public_url: http://127.0.0.1:{port}/
meetings:
  reminders: [7d]
  series:
    - id: videokonferenz
      title: Videokonferenz
      rule: FREQ=WEEKLY
      first: {date}
      start: \"{time}\"
      duration: 90m
",
            agendas = agendas.path().display(),
            time = start.format("%H:%M:%S"),
        ))
        .create()
        .await;
    let bot = network.start_bot().await;
    let TestNetwork {
        home,
        organizer,
        people,
        bot_id,
        rooms,
        ..
    } = network;
    let anna = &people["anna"];
    let [orga, room1, room2, room3, room4] = rooms.as_slice() else {
        panic!("five rooms");
    };
    let anna_orga = anna.client.get_room(orga.room_id()).unwrap();
    let anna_room = anna.client.get_room(room1.room_id()).unwrap();

    // RSVPs: ✅ from Bitburg-Prüm, ❌ from Mayen-Koblenz, and a ✅ from Trier that is taken
    // back, on today's announcement (next week's is announced, too: it is seven days ahead).
    let ask = organizer.say(orga, &format!("!announce {date}")).await;
    organizer.reply_to(&bot_id, &ask).await;
    let today = convene::render::date_range(
        convene::i18n::Language::German,
        start,
        start + Delta::minutes(90),
    );
    for (room, key) in [(room2, "✅"), (room3, "❌"), (room4, "✅")] {
        let room_id = room.room_id().to_owned();
        let announcement = organizer
            .wait_for("the announcement", |m| {
                m.sender == bot_id
                    && m.room_id == room_id
                    && m.body.starts_with("Einladung")
                    && m.body.contains(&today)
            })
            .await;
        let reaction = room
            .send(ReactionEventContent::new(Annotation::new(
                announcement.event_id.clone(),
                key.to_owned(),
            )))
            .await
            .unwrap()
            .response
            .event_id;
        // Trier's RSVP is counted, then taken back when the reaction is removed.
        if room.room_id() == room4.room_id() {
            let store =
                convene::store::Store::open(&home.data_dir().join("convene.sqlite3")).unwrap();
            let key = format!("videokonferenz/{date}");
            let trier = |store: &convene::store::Store| {
                store.attendance(&key).unwrap().get("Trier").copied()
            };
            crate::support::eventually("Trier's RSVP", Duration::from_secs(30), || {
                trier(&store).filter(|a| *a == convene::minutes::Attendance::Accepted)
            })
            .await;
            room.redact(&reaction, None, None).await.unwrap();
            crate::support::eventually("Trier's RSVP taken back", Duration::from_secs(30), || {
                trier(&store).is_none().then_some(())
            })
            .await;
        }
    }

    // In the organizers' room, `!help` adds the chairs' and organizers' sections.
    let ask = organizer.say(orga, "!help").await;
    let help = organizer.reply_to(&bot_id, &ask).await;
    assert!(
        help.body.contains("Für das Organisationsteam:")
            && help.body.contains("!minutes approve [Datum]"),
        "{help:?}"
    );

    let ask = organizer.say(orga, "!minutes start").await;
    let started = organizer.reply_to(&bot_id, &ask).await;
    assert!(
        started
            .body
            .starts_with("Das Protokoll für „Videokonferenz“ am "),
        "{started:?}"
    );
    assert!(
        started.body.contains("1. Begrüßung; 2. Open Data"),
        "{started:?}"
    );

    // Anna is no chair: she may neither record nor approve.
    let ask = anna.say(&anna_orga, "!info Ich schreibe mit").await;
    let refused = anna.reply_to(&bot_id, &ask).await;
    assert!(
        refused
            .body
            .starts_with("Den Befehl !info kann nur die Sitzungsleitung"),
        "{refused:?}"
    );
    let ask = anna.say(&anna_orga, "!minutes approve").await;
    let refused = anna.reply_to(&bot_id, &ask).await;
    assert!(
        refused.body.contains(
            "Der Befehl !minutes approve ist dem Organisationsteam des Netzwerks vorbehalten"
        ),
        "{refused:?}"
    );
    let ask = anna.say(&anna_room, "!here").await;
    let here = anna.reply_to(&bot_id, &ask).await;
    assert!(
        here.body.starts_with(
            "Vielen Dank! Kaiserslautern wurde für „Videokonferenz“ als anwesend erfasst."
        ),
        "{here:?}"
    );

    // Several commands in one message, all recorded, in one reply.
    let ask = organizer
        .say(
            orga,
            "!topic\n!info Vorstellungsrunde\n!topic\n!decision Portal prüfen\n\
             !action Kaiserslautern Kosten ermitteln due 2027-01-15\n\
             !link https://opendata.example.org/ Portal <Entwurf>\n!info Versehen\n!undo",
        )
        .await;
    let recorded = organizer.reply_to(&bot_id, &ask).await;
    for line in [
        "[1] Tagesordnungspunkt erfasst: Begrüßung",
        "[2] Notiz erfasst: Vorstellungsrunde",
        "[3] Tagesordnungspunkt erfasst: Open Data",
        "[4] Beschluss erfasst: Portal prüfen",
        "[5] Aufgabe erfasst: Kaiserslautern: Kosten ermitteln",
        "[6] Link erfasst: Portal <Entwurf>",
        "Zurückgenommen: [7] Versehen",
    ] {
        assert!(recorded.body.contains(line), "{line} missing: {recorded:?}");
    }
    assert!(
        recorded
            .html
            .as_deref()
            .unwrap()
            .contains("Portal &lt;Entwurf&gt;"),
        "{recorded:?}"
    );

    let ask = organizer.say(orga, "!minutes end").await;
    let draft = organizer.reply_to(&bot_id, &ask).await;
    assert!(
        draft
            .body
            .starts_with("Protokollentwurf (noch nicht veröffentlicht)"),
        "{draft:?}"
    );
    assert!(
        draft
            .body
            .contains("[5] Kaiserslautern: Kosten ermitteln (bis 15.01.2027)"),
        "{draft:?}"
    );
    assert!(!draft.body.contains("Versehen"), "{draft:?}");
    let ask = organizer
        .say(
            orga,
            "!minutes edit 4 Das Netzwerk betreibt ein gemeinsames Portal.",
        )
        .await;
    let edited = organizer.reply_to(&bot_id, &ask).await;
    assert!(
        edited.body.starts_with("Eintrag [4] wurde korrigiert."),
        "{edited:?}"
    );
    let ask = organizer.say(orga, "!minutes approve").await;
    let approved = organizer.reply_to(&bot_id, &ask).await;
    assert!(approved.body.contains("wurde genehmigt"), "{approved:?}");

    // Every room gets the minutes once, with the Markdown file, even though the bot is killed
    // as soon as the first room has them.
    let file_name = format!("{date}-videokonferenz.md");
    let is_minutes = |m: &crate::support::member::Received| {
        m.sender == bot_id && m.body.starts_with("Protokoll: Videokonferenz")
    };
    organizer.wait_for("the first minutes", is_minutes).await;
    bot.kill();
    eprintln!(
        "rooms holding the minutes when the bot was killed: {} of 5",
        organizer
            .received()
            .iter()
            .filter(|m| is_minutes(m))
            .count()
    );
    let mut bot = home.start();
    bot.ready().await;
    for room in &rooms {
        let room_id = room.room_id().to_owned();
        organizer
            .wait_for("the minutes in every room", |m| {
                is_minutes(m) && m.room_id == room_id
            })
            .await;
        organizer
            .wait_for("the minutes file in every room", |m| {
                m.sender == bot_id && m.room_id == room_id && m.body == file_name
            })
            .await;
    }
    let summary = organizer
        .wait_for("the publication report", |m| {
            m.sender == bot_id && m.body.starts_with("Protokoll „Videokonferenz“")
        })
        .await;
    assert!(
        summary.body.ends_with("an 5 von 5 Räumen zugestellt."),
        "{summary:?}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = organizer.received();
    for room in &rooms {
        let copies = received
            .iter()
            .filter(|m| is_minutes(m) && m.room_id == room.room_id())
            .count();
        let files = received
            .iter()
            .filter(|m| m.sender == bot_id && m.room_id == room.room_id() && m.body == file_name)
            .count();
        assert_eq!(
            (copies, files),
            (1, 1),
            "{} holds {copies} minutes and {files} files",
            room.room_id()
        );
    }
    let minutes = received
        .iter()
        .find(|m| is_minutes(m) && m.room_id == room1.room_id())
        .unwrap();
    assert!(minutes.encrypted, "{minutes:?}");
    for line in [
        "Vorsitz: organizer",
        "Teilnehmende Kommunen (2): Kaiserslautern, Bitburg-Prüm",
        "Entschuldigt: Mayen-Koblenz\n",
        "TOP 1: Begrüßung",
        "• Das Netzwerk betreibt ein gemeinsames Portal.",
        "• Kaiserslautern: Kosten ermitteln (bis 15.01.2027)",
        "• Portal <Entwurf>: https://opendata.example.org/",
    ] {
        assert!(
            minutes.body.contains(line),
            "{line} missing: {}",
            minutes.body
        );
    }
    // Trier's ✅ was taken back: it is neither present nor excused.
    assert!(!minutes.body.contains("Trier"), "{}", minutes.body);
    let file = received
        .iter()
        .find(|m| m.sender == bot_id && m.room_id == room1.room_id() && m.body == file_name)
        .unwrap();
    assert!(file.encrypted);
    let (mimetype, source) = file.file.clone().unwrap();
    assert_eq!(mimetype.as_deref(), Some("text/markdown; charset=utf-8"));
    let markdown = String::from_utf8(organizer.download(&source).await).unwrap();
    assert!(markdown.contains("## TOP 2: Open Data\n"), "{markdown}");
    assert!(
        markdown.contains("- [Portal \\<Entwurf\\>](<https://opendata.example.org/>)"),
        "{markdown}"
    );
    // The archive, served over HTTP under the link in the message.
    let link = minutes
        .body
        .split("Online abrufbar unter ")
        .nth(1)
        .unwrap_or_else(|| panic!("no link in {}", minutes.body))
        .trim()
        .to_owned();
    let served = reqwest::get(&link).await.unwrap();
    assert_eq!(served.status(), reqwest::StatusCode::OK);
    assert_eq!(
        served.headers()["content-type"],
        "text/markdown; charset=utf-8"
    );
    assert_eq!(served.text().await.unwrap(), markdown);
    assert!(home.data_dir().join("minutes").join(&file_name).exists());
    let ask = anna.say(&anna_room, "!minutes list").await;
    let list = anna.reply_to(&bot_id, &ask).await;
    assert!(list.body.contains(&link), "{list:?}");

    // The action item: in its municipality's room, in the next agenda, then done.
    let ask = anna.say(&anna_room, "!actions").await;
    let actions = anna.reply_to(&bot_id, &ask).await;
    assert!(
        actions
            .body
            .contains("• Nr. 1 – Kaiserslautern: Kosten ermitteln (bis 15.01.2027)"),
        "{actions:?}"
    );
    let ask = anna.say(&anna_room, "!agenda").await;
    let agenda = anna.reply_to(&bot_id, &ask).await;
    let next = (start + Delta::days(7)).format("%-d.").to_string();
    assert!(
        agenda.body.contains(&next),
        "not next week's meeting: {agenda:?}"
    );
    assert!(
        agenda.body.contains(
            "Offene Aufgaben:\n• Nr. 1 – Kaiserslautern: Kosten ermitteln (bis 15.01.2027)"
        ),
        "{agenda:?}"
    );
    let ask = anna.say(&anna_room, "!done 1").await;
    let done = anna.reply_to(&bot_id, &ask).await;
    assert!(done.body.starts_with("Erledigt: Nr. 1"), "{done:?}");
    let ask = anna.say(&anna_room, "!actions").await;
    let actions = anna.reply_to(&bot_id, &ask).await;
    assert!(
        actions
            .body
            .starts_with("Kaiserslautern hat keine offenen Aufgaben."),
        "{actions:?}"
    );
    drop(bot);
}

/// Minutes an organizer wrote in the agenda file: once the meeting has begun, the draft reaches
/// the organizers' room; it is corrected in the file, not in chat; `!minutes approve <date>`
/// publishes it to the organizers' and member rooms (not to the separate minutes room), and
/// the owner of an action due tomorrow is reminded in its room. The configured minutes room
/// is a place for minutes commands; a member room is not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minutes_from_an_agenda_file_are_approved_by_date_and_remind_owners() {
    use chrono::{Duration as Delta, NaiveTime, Utc};
    use chrono_tz::Europe::Berlin;

    let network = TestNetwork::setup()
        .member(RoomSpec::new("Kaiserslautern", "gemeinde-1", true))
        .member(RoomSpec::new("Bitburg-Prüm", "gemeinde-2", false))
        .create()
        .await;
    let (home, synapse, organizer) = (&network.home, &network.synapse, &network.organizer);
    let bot_id = network.bot_id.clone();
    let now = Utc::now().with_timezone(&Berlin);
    let start = now - Delta::minutes(10);
    let date = start.format("%Y-%m-%d").to_string();
    // Reminders go out from 09:00 the day before: an action due tomorrow is reminded now if
    // it is past nine, one due today otherwise.
    let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
    let due = if now.time() >= nine {
        now.date_naive() + Delta::days(1)
    } else {
        now.date_naive()
    };
    let agendas = tempfile::tempdir().unwrap();
    std::fs::write(
        agendas.path().join(format!("{date}-videokonferenz.yaml")),
        format!(
            "meeting:
  series: videokonferenz
  date: {date}
items:
  - title: Begrüßung
  - title: Open Data
minutes:
  chair: Dirk Andres
  present: [Kaiserslautern]
  topics:
    - item: 2
      decisions: [\"Das Netzwerk betreibt ein gemeinsames Portal.\"]
      actions:
        - owner: Kaiserslautern
          task: Kosten ermitteln
          due: {due}
"
        ),
    )
    .unwrap();
    let base = home.base_config().replace(
        &format!("  organizers_room: \"#orga:{}\"\n", synapse.server_name),
        &format!(
            "  organizers_room: \"#orga:{0}\"\n  minutes_room: \"#sitzung:{0}\"\n",
            synapse.server_name
        ),
    );
    assert!(base.contains("minutes_room"), "{base}");
    home.configure(
        &base,
        &format!(
            "agendas_dir: {agendas}
meetings:
  reminders: [7d]
  series:
    - id: videokonferenz
      title: Videokonferenz
      rule: FREQ=WEEKLY
      first: {date}
      start: \"{time}\"
      duration: 90m
",
            agendas = agendas.path().display(),
            time = start.format("%H:%M:%S"),
        ),
    );

    let sitzung = organizer
        .create_room_with_alias("Sitzung", Some("sitzung"), false, &[&bot_id])
        .await;
    let bot = network.start_bot().await;
    organizer.wait_for_join(&sitzung, &bot_id).await;
    let [orga, room1, room2] = network.rooms.as_slice() else {
        panic!("three rooms");
    };

    let draft = organizer
        .wait_for("the draft from the file", |m| {
            m.sender == bot_id
                && m.room_id == orga.room_id()
                && m.body
                    .starts_with("Protokollentwurf (noch nicht veröffentlicht)")
        })
        .await;
    assert!(draft.body.contains("Tagesordnungsdatei"), "{draft:?}");
    assert!(draft.body.contains("[1] TOP 1: Open Data"), "{draft:?}");

    let ask = organizer.say(&sitzung, "!minutes start").await;
    let refused = organizer.reply_to(&bot_id, &ask).await;
    assert!(
        refused
            .body
            .starts_with("Für „Videokonferenz“ gibt es bereits ein Protokoll."),
        "{refused:?}"
    );
    let ask = organizer.say(room1, "!minutes start").await;
    let refused = organizer.reply_to(&bot_id, &ask).await;
    assert!(
        refused
            .body
            .starts_with("Protokolle werden im Organisationsraum"),
        "{refused:?}"
    );
    let ask = organizer.say(orga, "!minutes edit 2 Anders").await;
    let refused = organizer.reply_to(&bot_id, &ask).await;
    assert!(
        refused
            .body
            .starts_with("Dieses Protokoll stammt aus der Tagesordnungsdatei"),
        "{refused:?}"
    );
    let ask = organizer
        .say(
            orga,
            &format!("!minutes approve {}", start.format("%d.%m.%Y")),
        )
        .await;
    let approved = organizer.reply_to(&bot_id, &ask).await;
    assert!(approved.body.contains("wurde genehmigt"), "{approved:?}");

    let file_name = format!("{date}-videokonferenz.md");
    for room in [orga, room1, room2] {
        let room_id = room.room_id().to_owned();
        organizer
            .wait_for("the file in every room", |m| {
                m.sender == bot_id && m.room_id == room_id && m.body == file_name
            })
            .await;
    }
    let due_text = due.format("%d.%m.%Y").to_string();
    let reminder = organizer
        .wait_for("the action reminder", |m| {
            m.sender == bot_id && m.body.starts_with("Erinnerung: Diese Aufgabe")
        })
        .await;
    assert_eq!(reminder.room_id, room1.room_id());
    assert!(
        reminder.body.contains(&format!(
            "ist am {due_text} fällig: Nr. 1 – Kaiserslautern: Kosten ermitteln (bis {due_text})"
        )),
        "{reminder:?}"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = organizer.received();
    let count = |room: &matrix_sdk::Room, what: &dyn Fn(&str) -> bool| {
        received
            .iter()
            .filter(|m| m.sender == bot_id && m.room_id == room.room_id() && what(&m.body))
            .count()
    };
    let is_minutes = |body: &str| body.starts_with("Protokoll: Videokonferenz");
    for room in [orga, room1, room2] {
        assert_eq!(count(room, &is_minutes), 1, "{}", room.room_id());
        assert_eq!(
            count(room, &|b: &str| b == file_name),
            1,
            "{}",
            room.room_id()
        );
    }
    assert_eq!(count(&sitzung, &is_minutes), 0);
    assert_eq!(
        count(room1, &|b: &str| b.starts_with("Erinnerung: Diese Aufgabe")),
        1
    );
    let minutes = received
        .iter()
        .find(|m| m.sender == bot_id && m.room_id == room2.room_id() && is_minutes(&m.body))
        .unwrap();
    assert!(minutes.body.contains("Vorsitz: Dirk Andres"), "{minutes:?}");
    assert!(
        minutes
            .body
            .contains("• Das Netzwerk betreibt ein gemeinsames Portal."),
        "{minutes:?}"
    );
    drop(bot);
}

/// What a member says while the bot is stopped is carried out when it is back, also when more
/// messages came after it in the room than the catch-up sync delivers (200 per room): the bot
/// reads the room back to where it had handled it, the proposal is made, and answered once,
/// marked late.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proposal_sent_while_the_bot_was_stopped_is_carried_out_past_250_other_messages() {
    let network = TestNetwork::setup()
        .person("anna")
        .member(RoomSpec::new("Kaiserslautern", "kaiserslautern", true).created_by("anna"))
        .extend_base(MONTHLY_VIDEOKONFERENZ)
        .create()
        .await;
    let bot = network.start_bot().await;
    let (anna, bot_id) = (&network.people["anna"], network.bot_id.clone());
    let room = &network.rooms[1];
    let status = bot.terminate().await;
    assert!(status.success(), "the bot did not stop cleanly: {status}");

    let proposal = anna.say(room, "!agenda add Breitbandausbau").await;
    // More than a sync's timeline holds (200): the catch-up is cut short, the bot reads back.
    for i in 1..=250 {
        anna.say(room, &format!("Unterhaltung {i}")).await;
    }
    let bot = network.start_bot().await;
    let answer = anna.reply_to(&bot_id, &proposal).await;
    assert!(answer.encrypted, "{answer:?}");
    assert!(
        answer
            .body
            .starts_with("Verspätet beantwortet – der Bot war von "),
        "{answer:?}"
    );
    assert!(answer.body.contains("Breitbandausbau"), "{answer:?}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let answers = anna
        .received()
        .into_iter()
        .filter(|m| m.in_reply_to.as_ref() == Some(&proposal))
        .count();
    assert_eq!(answers, 1, "answered {answers} times:\n{}", bot.log());
}

/// An answer the bot owed when it stopped (a crash after it carried a command out, before the
/// answer went out) is sent when it is back, once, and then no longer owed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_owed_when_the_bot_stopped_is_sent_once_when_it_is_back() {
    use convene::bot::outbox::{Answer, Outgoing, Payload};
    use convene::render::Rendered;
    use matrix_sdk::ruma::OwnedTransactionId;

    let network = TestNetwork::setup()
        .person("anna")
        .member(RoomSpec::new("Kaiserslautern", "kaiserslautern", true).created_by("anna"))
        .create()
        .await;
    let bot = network.start_bot().await;
    let (anna, bot_id) = (&network.people["anna"], network.bot_id.clone());
    let room = &network.rooms[1];
    let status = bot.terminate().await;
    assert!(status.success(), "the bot did not stop cleanly: {status}");

    // What the bot had recorded when it was killed: the command handled, its answer owed.
    let store =
        convene::store::Store::open(&network.home.data_dir().join("convene.sqlite3")).unwrap();
    let answer = Answer {
        event_id: "$owed:test".to_owned(),
        sends: vec![Outgoing {
            room_id: room.room_id().to_owned(),
            transaction_id: OwnedTransactionId::from("convene-reply-owed-test"),
            payload: Payload::notice(Rendered {
                plain: "Die geschuldete Antwort".to_owned(),
                html: "Die geschuldete Antwort".to_owned(),
            }),
        }],
    };
    let json = answer.to_json().unwrap();
    let now = chrono::Utc::now();
    assert!(
        store
            .mark_handled("$owed:test", room.room_id().as_str(), Some(&json), now)
            .unwrap()
    );
    drop(store);

    let bot = network.start_bot().await;
    anna.wait_for("the owed answer", |m| {
        m.sender == bot_id && m.body == "Die geschuldete Antwort"
    })
    .await;
    let store =
        convene::store::Store::open(&network.home.data_dir().join("convene.sqlite3")).unwrap();
    crate::support::eventually(
        "the answer recorded as sent",
        Duration::from_secs(10),
        || store.owed_answers().unwrap().is_empty().then_some(()),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let copies = anna
        .received()
        .into_iter()
        .filter(|m| m.body == "Die geschuldete Antwort")
        .count();
    assert_eq!(copies, 1, "{}", bot.log());
}
