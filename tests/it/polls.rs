//! Finding a workshop's date with the members, end to end against Synapse: an agenda file with
//! candidates becomes a native poll in every member room (two of them encrypted), members vote
//! through real poll response events (and `!vote`), change, spoil and redact votes, the bot
//! restarts in the middle, the organizers read the tally and decide, and every room then holds
//! the ended poll and the workshop's announcement with its .ics, each exactly once. Then: a
//! workshop decided by writing its date into the file, a file that comes after its own deadline
//! (not posted, the organizers told), and a poll whose reminder is due (only the rooms without
//! an answer reminded, once).

use std::time::Duration;

use chrono::Utc;
use chrono_tz::Europe::Berlin;
use matrix_sdk::Room;
use matrix_sdk::ruma::{OwnedEventId, UserId};

use crate::support::meeting::{days_ahead, poll_workshop};
use crate::support::member::{Member, PollEvent, Received};
use crate::support::network::{RoomSpec, TestNetwork};

const TITLE: &str = "Bewerbung Smart City";

/// The bot's messages (and poll events) in `room`, as `member` received them.
fn from_bot(member: &Member, bot: &UserId, room: &Room) -> Vec<Received> {
    member
        .received()
        .into_iter()
        .filter(|m| m.sender == bot && m.room_id == room.room_id())
        .collect()
}

/// Asks `!poll` in the organizers' room until the tally `shows` what is expected (votes are
/// recorded as the bot's sync brings them); returns the last tally.
async fn tally_until(
    organizer: &Member,
    bot: &UserId,
    room: &Room,
    shows: impl Fn(&str) -> bool,
) -> String {
    let mut last = String::new();
    for _ in 0..20 {
        let ask = organizer.say(room, "!poll").await;
        last = organizer.reply_to(bot, &ask).await.body;
        if shows(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("the tally never showed what was expected; the last one:\n{last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_find_a_workshops_date_in_a_native_poll() {
    let agendas = tempfile::tempdir().unwrap();
    let network = TestNetwork::setup()
        .person("anna")
        .person("bernd")
        .person("carla")
        .member(RoomSpec::new("Kaiserslautern", "kaiserslautern", true).created_by("anna"))
        .member(RoomSpec::new("Bitburg-Prüm", "bitburg-pruem", true).created_by("bernd"))
        .member(RoomSpec::new("Mayen-Koblenz", "mayen-koblenz", false).created_by("carla"))
        .extend_base(&format!(
            "agendas_dir: {}\nmeetings:\n  reminders: [30d]\n",
            agendas.path().display()
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
    let (anna, bernd, carla) = (&people["anna"], &people["bernd"], &people["carla"]);
    let [orga, kl, bp, my] = rooms.as_slice() else {
        panic!("four rooms");
    };

    // The organizers write a workshop with three candidate slots.
    std::fs::write(
        agendas.path().join("smart-city.yaml"),
        poll_workshop("smart-city", TITLE),
    )
    .unwrap();

    // A native poll in every member room, with its text form for clients without polls.
    let mut starts: Vec<OwnedEventId> = Vec::new();
    for (member, room, encrypted) in [(anna, kl, true), (bernd, bp, true), (carla, my, false)] {
        let room_id = room.room_id().to_owned();
        let poll = member
            .wait_within(Duration::from_secs(60), |m| {
                m.sender == bot_id
                    && m.room_id == room_id
                    && matches!(m.poll, Some(PollEvent::Start { .. }))
            })
            .await
            .unwrap_or_else(|| panic!("no poll in {room_id}:\n{}", bot.log()));
        assert_eq!(poll.encrypted, encrypted, "{poll:?}");
        assert_eq!(
            poll.body,
            format!("Terminfindung: {TITLE} – welche Termine passen Ihnen?")
        );
        let Some(PollEvent::Start {
            answers,
            max_selections,
        }) = &poll.poll
        else {
            unreachable!()
        };
        let ids: Vec<&str> = answers.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["1", "2", "3"]);
        assert_eq!(*max_selections, 3);
        assert!(answers[2].1.ends_with("09:30–12:30 Uhr"), "{answers:?}");
        let ballot = member
            .wait_for("the poll's text form", |m| {
                m.sender == bot_id && m.room_id == room_id && m.notice && m.body.contains("!vote")
            })
            .await;
        assert!(ballot.body.contains("3. "), "{ballot:?}");
        starts.push(poll.event_id);
    }
    let summary = organizer
        .wait_for("the poll's summary", |m| {
            m.sender == bot_id && m.body.starts_with("Terminumfrage")
        })
        .await;
    assert!(
        summary.body.ends_with("an 3 von 3 Räumen zugestellt."),
        "{summary:?}"
    );
    assert!(
        from_bot(&organizer, &bot_id, orga)
            .iter()
            .all(|m| m.poll.is_none())
    );

    // Votes: Anna picks 1 and 3, Bernd picks 1 and takes it back (redacts it), Carla answers
    // in text.
    anna.vote(kl, &starts[0], &["1", "3"]).await;
    let bernd_vote = bernd.vote(bp, &starts[1], &["1"]).await;
    let ask = carla.say(my, "!vote 2").await;
    let reply = carla.reply_to(&bot_id, &ask).await;
    assert!(reply.body.starts_with("Vielen Dank"), "{reply:?}");
    tally_until(&organizer, &bot_id, orga, |t| {
        t.contains("3 von 3 Kommunen haben geantwortet")
    })
    .await;
    bp.redact(&bernd_vote, None, None).await.unwrap();
    let tally = tally_until(&organizer, &bot_id, orga, |t| {
        t.contains("Noch keine Antwort: Bitburg-Prüm")
    })
    .await;
    assert!(
        tally.contains("2 von 3 Kommunen haben geantwortet"),
        "{tally}"
    );

    // Anna's app sends an answer the poll does not have: her response is spoiled, counts for
    // nothing and replaces her earlier one, so Kaiserslautern has not answered any more.
    anna.vote(kl, &starts[0], &["1", "99"]).await;
    let tally = tally_until(&organizer, &bot_id, orga, |t| {
        t.contains("1 von 3 Kommunen haben geantwortet")
    })
    .await;
    assert!(tally.contains("Kaiserslautern"), "{tally}");

    // The bot restarts; meanwhile Anna changes her mind and Bernd answers again.
    assert!(bot.terminate().await.success());
    anna.vote(kl, &starts[0], &["3"]).await;
    bernd.vote(bp, &starts[1], &["2", "3"]).await;
    let mut bot = home.start();
    bot.ready().await;
    let tally = tally_until(&organizer, &bot_id, orga, |t| {
        t.contains("3 von 3 Kommunen haben geantwortet")
            && t.contains("2 von 3 Kommunen (Kaiserslautern, Bitburg-Prüm)")
    })
    .await;
    assert!(
        tally.contains("2 von 3 Kommunen (Bitburg-Prüm, Mayen-Koblenz)"),
        "{tally}"
    );
    assert!(
        tally.contains("0 von 3 Kommunen"),
        "slot 1 is free: {tally}"
    );
    assert!(!tally.contains("Noch keine Antwort"), "{tally}");

    // The organizer decides: the polls end, the workshop is announced with its invitation.
    let ask = organizer.say(orga, "!poll decide 3").await;
    let decided = organizer.reply_to(&bot_id, &ask).await;
    assert!(decided.body.contains("09:30–12:30 Uhr"), "{decided:?}");
    let third = days_ahead(14).replace('-', "");
    for ((member, room), start) in [(anna, kl), (bernd, bp), (carla, my)]
        .into_iter()
        .zip(&starts)
    {
        let room_id = room.room_id().to_owned();
        member
            .wait_within(Duration::from_secs(60), |m| {
                m.sender == bot_id
                    && m.room_id == room_id
                    && m.poll
                        == Some(PollEvent::End {
                            start: start.clone(),
                        })
            })
            .await
            .unwrap_or_else(|| panic!("no poll end in {room_id}:\n{}", bot.log()));
        member
            .wait_for("the notice of the date", |m| {
                m.sender == bot_id
                    && m.room_id == room_id
                    && m.notice
                    && m.body.starts_with("Die Umfrage ist beendet:")
            })
            .await;
        member
            .wait_for("the announcement", |m| {
                m.sender == bot_id
                    && m.room_id == room_id
                    && m.body.starts_with("Einladung:")
                    && m.body.contains(TITLE)
            })
            .await;
        let file = member
            .wait_for("the .ics invitation", |m| {
                m.sender == bot_id && m.room_id == room_id && m.file.is_some()
            })
            .await;
        let ics = String::from_utf8(member.download(&file.file.unwrap().1).await).unwrap();
        assert!(
            ics.contains(&format!("DTSTART;TZID=Europe/Berlin:{third}T093000")),
            "{ics}"
        );
    }
    // Nothing twice, and the poll is closed for the organizers.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for (member, room) in [(anna, kl), (bernd, bp), (carla, my)] {
        let got = from_bot(member, &bot_id, room);
        let count = |what: &dyn Fn(&Received) -> bool| got.iter().filter(|m| what(m)).count();
        assert_eq!(
            count(&|m| matches!(m.poll, Some(PollEvent::Start { .. }))),
            1
        );
        assert_eq!(count(&|m| matches!(m.poll, Some(PollEvent::End { .. }))), 1);
        assert_eq!(count(&|m| m.notice && m.body.contains("!vote 1")), 1);
        assert_eq!(
            count(&|m| m.notice && m.body.starts_with("Die Umfrage ist beendet:")),
            1
        );
        assert_eq!(count(&|m| m.body.starts_with("Einladung:")), 1);
        assert_eq!(count(&|m| m.file.is_some()), 1);
    }
    let ask = organizer.say(orga, "!poll").await;
    let none = organizer.reply_to(&bot_id, &ask).await;
    assert_eq!(none.body, "Zurzeit läuft keine Terminumfrage.");

    // A second workshop, decided by writing its date into the file: its poll ends too.
    let file = agendas.path().join("open-data.yaml");
    let open_data = |when: &str| {
        format!("meeting:\n  id: open-data\n  title: Open Data\n{when}items:\n  - title: Start\n")
    };
    std::fs::write(
        &file,
        open_data(&format!(
            "  decide_by: {}\n  candidates:\n    - {{ date: {}, start: \"10:00\", duration: 1h }}\n    - {{ date: {}, start: \"11:00\", duration: 1h }}\n",
            days_ahead(10),
            days_ahead(15),
            days_ahead(16)
        )),
    )
    .unwrap();
    let second_start = anna
        .wait_within(Duration::from_secs(60), |m| {
            m.sender == bot_id
                && m.room_id == kl.room_id()
                && matches!(m.poll, Some(PollEvent::Start { .. }))
                && m.body.contains("Open Data")
        })
        .await
        .unwrap_or_else(|| panic!("no second poll:\n{}", bot.log()))
        .event_id;
    std::fs::write(
        &file,
        open_data(&format!(
            "  date: {}\n  start: \"11:00\"\n  duration: 1h\n",
            days_ahead(16)
        )),
    )
    .unwrap();
    anna.wait_within(Duration::from_secs(60), |m| {
        m.sender == bot_id
            && m.poll
                == Some(PollEvent::End {
                    start: second_start.clone(),
                })
    })
    .await
    .unwrap_or_else(|| panic!("the second poll did not end:\n{}", bot.log()));
    anna.wait_for("the second announcement", |m| {
        m.sender == bot_id
            && m.room_id == kl.room_id()
            && m.body.starts_with("Einladung:")
            && m.body.contains("Open Data")
    })
    .await;

    // A file whose answer deadline has already passed is not posted; the organizers hear why.
    let yesterday = Utc::now()
        .with_timezone(&Berlin)
        .date_naive()
        .pred_opt()
        .unwrap()
        .format("%Y-%m-%d")
        .to_string();
    std::fs::write(
        agendas.path().join("too-late.yaml"),
        format!(
            "meeting:\n  id: too-late\n  title: Zu spät\n  decide_by: {yesterday}\n  candidates:\n    - {{ date: {}, start: \"10:00\", duration: 1h }}\n    - {{ date: {}, start: \"10:00\", duration: 1h }}\n",
            days_ahead(3),
            days_ahead(4)
        ),
    )
    .unwrap();
    organizer
        .wait_for("the notice of a poll too late", |m| {
            m.sender == bot_id
                && m.body
                    .starts_with("Die Terminumfrage für „Zu spät“ wurde nicht gestellt")
        })
        .await;

    // A poll posted days ago, its reminder due: the rooms without an answer are reminded, once.
    std::fs::write(
        agendas.path().join("buergerdienste.yaml"),
        format!(
            "meeting:\n  id: buergerdienste\n  title: Bürgerdienste\n  decide_by: {}\n  candidates:\n    - {{ date: {}, start: \"10:00\", duration: 1h }}\n    - {{ date: {}, start: \"10:00\", duration: 1h }}\n",
            days_ahead(2),
            days_ahead(5),
            days_ahead(6)
        ),
    )
    .unwrap();
    let start = anna
        .wait_within(Duration::from_secs(60), |m| {
            m.sender == bot_id
                && m.room_id == kl.room_id()
                && matches!(m.poll, Some(PollEvent::Start { .. }))
                && m.body.contains("Bürgerdienste")
        })
        .await
        .unwrap_or_else(|| panic!("no third poll:\n{}", bot.log()))
        .event_id;
    anna.vote(kl, &start, &["1"]).await;
    tally_until(&organizer, &bot_id, orga, |t| {
        t.contains("1 von 3 Kommunen haben geantwortet")
    })
    .await;
    assert!(bot.terminate().await.success());
    let database = rusqlite::Connection::open(home.data_dir().join("convene.sqlite3")).unwrap();
    let long_ago = (Utc::now() - chrono::TimeDelta::days(10))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    database
        .execute(
            "UPDATE polls SET created_at = ?1 WHERE poll_key = 'buergerdienste'",
            [&long_ago],
        )
        .unwrap();
    drop(database);
    let mut bot = home.start();
    bot.ready().await;
    for (member, room) in [(bernd, bp), (carla, my)] {
        let room_id = room.room_id().to_owned();
        member
            .wait_within(Duration::from_secs(60), |m| {
                m.sender == bot_id
                    && m.room_id == room_id
                    && m.body
                        .starts_with("Erinnerung: Terminfindung für „Bürgerdienste“")
            })
            .await
            .unwrap_or_else(|| panic!("no reminder in {room_id}:\n{}", bot.log()));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let reminders = |member: &Member, room: &Room| {
        from_bot(member, &bot_id, room)
            .iter()
            .filter(|m| m.body.starts_with("Erinnerung: Terminfindung"))
            .count()
    };
    assert_eq!(reminders(anna, kl), 0, "Kaiserslautern has answered");
    assert_eq!(reminders(bernd, bp), 1);
    assert_eq!(reminders(carla, my), 1);

    let log = bot.log();
    assert!(!log.contains("ERROR"), "{log}");
    drop(bot);
}
