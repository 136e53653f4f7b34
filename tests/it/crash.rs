//! Exactly once, every part, across random crashes: the real bot is SIGKILLed at a random
//! moment of each phase of a post — the announcement's messages, files and pins, the organizers'
//! summary, and a change's edits, notice and updated invitation — and started again; then every
//! room is counted.
//!
//! A room that keeps failing is followed to its end: named in the summary, retried, given up
//! when the meeting starts, reported once more.
//!
//! A date poll, the same way: killed while the poll and its text form fan out, and again while,
//! after `!poll decide`, the poll ends in every room (end event and notice) and the workshop is
//! announced with its invitation; every room then holds each of them once.
//!
//! What members and chairs say, the same way: a stream of proposals, pings, votes and minutes
//! lines while the bot is killed and restarted, with other messages piling up while it is down;
//! every command is then carried out and answered exactly once, every vote counted once, and the
//! minutes hold every line in the order sent.
//!
//! CI runs a few trials over a few rooms; `benches/crash.sh` runs the long version (20 trials,
//! 40 rooms) through the same tests with `CONVENE_CRASH_TRIALS` and `CONVENE_CRASH_ROOMS`.

use std::time::Duration;

use crate::support::bot::{BotHome, BotProcess};
use crate::support::meeting::poll_workshop;
use crate::support::member::{Member, PollEvent, Received};
use crate::support::network::{RoomSpec, TestNetwork};
use chrono::{Duration as Delta, Utc};
use chrono_tz::Europe::Berlin;
use matrix_sdk::ruma::OwnedEventId;

/// A small deterministic generator for the kill times (xorshift64*); the seed is printed, and
/// `CONVENE_CRASH_SEED` replays a run.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A duration between `from` and `to` milliseconds.
    fn millis(&mut self, from: u64, to: u64) -> Duration {
        Duration::from_millis(from + self.next() % (to - from).max(1))
    }
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The seed of a run: `CONVENE_CRASH_SEED`, or the time.
fn seed() -> u64 {
    std::env::var("CONVENE_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| Utc::now().timestamp_nanos_opt().unwrap_or(1) as u64 | 1)
}

/// One series per trial, each with a single meeting; `moved` lists the trials whose meeting was
/// moved by an hour.
fn meetings_yaml(starts: &[chrono::DateTime<chrono_tz::Tz>], moved: &[usize]) -> String {
    let mut yaml = String::from("meetings:\n  reminders: [7d]\n  series:\n");
    for (trial, start) in starts.iter().enumerate() {
        yaml.push_str(&format!(
            "    - id: sitzung-{trial:02}
      title: Sitzung {trial:02}
      rule: FREQ=WEEKLY;COUNT=1
      first: {date}
      start: \"{time}\"
      duration: 60m
      video_link: https://meet.example.org/sitzung-{trial:02}
",
            date = start.format("%Y-%m-%d"),
            time = start.format("%H:%M:%S"),
        ));
        if moved.contains(&trial) {
            let later = *start + Delta::hours(1);
            yaml.push_str(&format!(
                "      exceptions:\n        - date: {}\n          new_start: \"{}\"\n",
                start.format("%Y-%m-%d"),
                later.format("%H:%M:%S")
            ));
        }
    }
    yaml
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_part_of_a_post_arrives_exactly_once_across_random_kills() {
    let trials = env_number("CONVENE_CRASH_TRIALS", 3);
    let member_rooms = env_number("CONVENE_CRASH_ROOMS", 6);
    let seed = seed();
    eprintln!("crash test: {trials} trials, {member_rooms} member rooms, seed {seed}");
    let mut dice = Dice(seed);

    let network =
        TestNetwork::setup()
            .members((1..=member_rooms).map(|i| {
                RoomSpec::new(format!("Gemeinde {i}"), format!("gemeinde-{i}"), i % 2 == 1)
            }))
            .create()
            .await;
    let mut bot = network.start_bot().await;
    let TestNetwork {
        home,
        organizer,
        bot_id,
        rooms,
        ..
    } = network;
    let base = home.base_config();

    // Waits for a message; on a timeout, shows the bot's log before failing.
    let timeout = Duration::from_secs(30 + rooms.len() as u64);
    macro_rules! wait {
        ($what:expr, $matches:expr) => {
            match organizer.wait_within(timeout, $matches).await {
                Some(found) => found,
                None => {
                    let log = bot.log();
                    let tail: Vec<&str> = log.lines().rev().take(80).collect();
                    for line in tail.into_iter().rev() {
                        eprintln!("{line}");
                    }
                    panic!("timed out after {timeout:?} waiting for {}", $what);
                }
            }
        };
    }
    let mut starts = Vec::new();
    let mut moved = Vec::new();
    let from_bot = |m: &Received| m.sender == bot_id;
    for trial in 0..trials {
        let title = format!("Sitzung {trial:02}");
        // The announcement (7 days ahead) falls due 3 s from now; the bot is killed somewhere
        // between just before that and the end of a typical fan-out with its files.
        let start = (Utc::now() + Delta::days(7) + Delta::seconds(3)).with_timezone(&Berlin);
        starts.push(start);
        home.configure(&base, &meetings_yaml(&starts, &moved));
        let kill_after = dice.millis(2_500, 3_000 + 300 * rooms.len() as u64);
        tokio::time::sleep(kill_after).await;
        bot.kill();
        eprintln!("trial {trial}: announcement, killed after {kill_after:?}");
        bot = home.start();
        bot.ready().await;

        let announcement = |m: &Received| {
            from_bot(m)
                && m.replaces.is_none()
                && m.body.starts_with(&format!("Einladung: {title}"))
        };
        let invitation = |m: &Received| {
            from_bot(m) && m.file.is_some() && m.body == format!("sitzung-{trial:02}.ics")
        };
        let summary =
            |m: &Received| from_bot(m) && m.body.starts_with(&format!("Einladung „{title}“"));
        for room in &rooms {
            let room_id = room.room_id().to_owned();
            wait!(format!("the announcement in {room_id}"), |m| {
                announcement(m) && m.room_id == room_id
            });
            wait!(format!("the invitation file in {room_id}"), |m| {
                invitation(m) && m.room_id == room_id
            });
        }
        wait!("the summary", summary);
        tokio::time::sleep(Duration::from_secs(2)).await;
        let received = organizer.received();
        for room in &rooms {
            let in_room = |test: &dyn Fn(&Received) -> bool| {
                received
                    .iter()
                    .filter(|m| m.room_id == room.room_id() && test(m))
                    .count()
            };
            assert_eq!(
                in_room(&announcement),
                1,
                "trial {trial}: announcements in {}",
                room.room_id()
            );
            assert_eq!(
                in_room(&invitation),
                1,
                "trial {trial}: invitations in {}",
                room.room_id()
            );
        }
        let summaries: Vec<&Received> = received.iter().filter(|m| summary(m)).collect();
        assert_eq!(summaries.len(), 1, "trial {trial}: {summaries:#?}");
        assert!(
            summaries[0]
                .body
                .ends_with(&format!("an {0} von {0} Räumen zugestellt.", rooms.len())),
            "{summaries:#?}"
        );

        // Move the meeting by an hour; kill the bot while it edits, notifies and sends the new
        // invitation (it notices the change within 2 s).
        moved.push(trial);
        home.configure(&base, &meetings_yaml(&starts, &moved));
        let kill_after = dice.millis(1_000, 2_500 + 300 * rooms.len() as u64);
        tokio::time::sleep(kill_after).await;
        bot.kill();
        eprintln!("trial {trial}: change, killed after {kill_after:?}");
        bot = home.start();
        bot.ready().await;

        let originals: Vec<(matrix_sdk::ruma::OwnedRoomId, OwnedEventId)> = received
            .iter()
            .filter(|m| announcement(m))
            .map(|m| (m.room_id.clone(), m.event_id.clone()))
            .collect();
        let notice =
            |m: &Received| from_bot(m) && m.body.starts_with("Hinweis:") && m.body.contains(&title);
        for (room_id, original) in &originals {
            wait!(format!("the edited announcement in {room_id}"), |m| {
                from_bot(m) && m.replaces.as_ref() == Some(original)
            });
            wait!(format!("the change notice in {room_id}"), |m| notice(m)
                && m.room_id == *room_id);
            wait!(format!("the updated invitation in {room_id}"), |m| {
                m.room_id == *room_id
                    && received.iter().all(|old| old.event_id != m.event_id)
                    && invitation(m)
            });
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let received = organizer.received();
        for (room_id, original) in &originals {
            let count = |test: &dyn Fn(&Received) -> bool| {
                received
                    .iter()
                    .filter(|m| m.room_id == *room_id && test(m))
                    .count()
            };
            assert_eq!(
                count(&|m| from_bot(m) && m.replaces.as_ref() == Some(original)),
                1,
                "trial {trial}: edits in {room_id}"
            );
            assert_eq!(count(&notice), 1, "trial {trial}: notices in {room_id}");
            assert_eq!(
                count(&invitation),
                2,
                "trial {trial}: invitations in {room_id}"
            );
        }
        let notice_text = received.iter().find(|m| notice(m)).unwrap();
        assert!(
            notice_text.body.contains("verlegt"),
            "the notice does not say the meeting moved: {notice_text:?}"
        );
    }
    // Nothing was given up, so the organizers got no follow-up report.
    let reports: Vec<Received> = organizer
        .received()
        .into_iter()
        .filter(|m| from_bot(m) && m.body.starts_with("Nachtrag"))
        .collect();
    assert!(reports.is_empty(), "{reports:#?}");
    drop(bot);
}

/// A room that keeps failing is retried, named in the organizers' summary, and given up when the
/// meeting starts — with one follow-up report — while the other rooms get the post as usual.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_that_keeps_failing_is_reported_and_given_up() {
    let network = TestNetwork::setup()
        .member(RoomSpec::new("Gemeinde A", "gemeinde-a", false))
        .member(RoomSpec::new("Gemeinde B", "gemeinde-b", true))
        .create()
        .await;
    let bot = network.start_bot().await;
    let TestNetwork {
        home,
        organizer,
        bot_id,
        rooms,
        ..
    } = network;
    let [orga, _room_a, room_b] = rooms.as_slice() else {
        panic!("three rooms");
    };
    let base = home.base_config();
    // Gemeinde B throws the bot out; it cannot come back without a new invitation.
    room_b.kick_user(&bot_id, Some("test")).await.unwrap();
    organizer.wait_for_leave(room_b, &bot_id).await;

    // The announcement (one minute ahead) falls due 15 s from now; the meeting starts at 75 s.
    let start = (Utc::now() + Delta::seconds(75)).with_timezone(&Berlin);
    home.configure(
        &base,
        &format!(
            "meetings:
  reminders: [1m]
  series:
    - id: videokonferenz
      title: Videokonferenz
      rule: FREQ=WEEKLY;COUNT=1
      first: {date}
      start: \"{time}\"
      duration: 60m
",
            date = start.format("%Y-%m-%d"),
            time = start.format("%H:%M:%S"),
        ),
    );
    let from_bot = |m: &Received| m.sender == bot_id;
    let summary = organizer
        .wait_for("the summary", |m| {
            from_bot(m) && m.body.starts_with("Einladung „Videokonferenz“")
        })
        .await;
    assert!(
        summary.body.ends_with(
            "an 2 von 3 Räumen zugestellt; nicht zugestellt: Gemeinde B (der Bot ist nicht im Raum; wird erneut versucht)."
        ),
        "{summary:?}"
    );
    assert_eq!(summary.room_id, orga.room_id());
    let report = organizer
        .wait_within(Duration::from_secs(120), |m| {
            from_bot(m) && m.body.starts_with("Nachtrag zu „Videokonferenz“")
        })
        .await
        .unwrap_or_else(|| panic!("no follow-up report:\n{}", bot.log()));
    assert!(
        report.body.ends_with(
            "an 2 von 3 Räumen zugestellt; nicht zugestellt: Gemeinde B (nicht mehr versandt, da der Termin bereits begonnen hatte)."
        ),
        "{report:?}"
    );
    // Once each, and nothing was sent late into the room that came back too late.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = organizer.received();
    let count = |prefix: &str| {
        received
            .iter()
            .filter(|m| from_bot(m) && m.body.starts_with(prefix))
            .count()
    };
    assert_eq!(count("Einladung „Videokonferenz“"), 1);
    assert_eq!(count("Nachtrag"), 1);
    assert!(
        !received.iter().any(|m| from_bot(m)
            && m.room_id == room_b.room_id()
            && m.body.starts_with("Einladung")),
        "the kicked room got the announcement"
    );
    drop(bot);
}

/// The workshop whose date is found in the poll crash test.
const WORKSHOP: &str = "werkstatt-daten";
const WORKSHOP_TITLE: &str = "Werkstatt Offene Daten";

/// Waits for a message the organizer's client receives; on a timeout, shows the bot's log.
async fn arrives(
    organizer: &Member,
    bot: &BotProcess,
    timeout: Duration,
    what: &str,
    matches: impl Fn(&Received) -> bool,
) -> Received {
    if let Some(found) = organizer.wait_within(timeout, matches).await {
        return found;
    }
    let log = bot.log();
    let tail: Vec<&str> = log.lines().rev().take(80).collect();
    for line in tail.into_iter().rev() {
        eprintln!("{line}");
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}

/// Kills the bot `kills` times, each at a random moment up to `window` ms after the call (the
/// first time) or after it is ready again (the others), and starts it again each time.
async fn kill_repeatedly(
    home: &BotHome,
    mut bot: BotProcess,
    dice: &mut Dice,
    kills: usize,
    window: u64,
    phase: &str,
) -> BotProcess {
    for kill in 0..kills {
        let after = dice.millis(0, window);
        tokio::time::sleep(after).await;
        bot.kill();
        eprintln!("{phase}: kill {kill} after {after:?}; {}", progress(home));
        bot = home.start();
        bot.ready().await;
    }
    bot
}

/// How far the posts had come when the bot was killed, from its database: the parts sent and
/// those begun but not confirmed (in flight at the kill), by kind, and the finished posts.
fn progress(home: &BotHome) -> String {
    let database = rusqlite::Connection::open(home.data_dir().join("convene.sqlite3")).unwrap();
    let kinds = |sql: &str| -> std::collections::BTreeMap<String, usize> {
        let mut statement = database.prepare(sql).unwrap();
        let keys: Vec<String> = statement
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut counted = std::collections::BTreeMap::new();
        for key in keys {
            let kind = key.split('/').next().unwrap_or_default().to_owned();
            *counted.entry(kind).or_default() += 1;
        }
        counted
    };
    format!(
        "sent {:?}, in flight {:?}, posts finished {:?}",
        kinds("SELECT post_key FROM deliveries WHERE sent_at IS NOT NULL"),
        kinds("SELECT post_key FROM deliveries WHERE sent_at IS NULL"),
        kinds("SELECT post_key FROM posts WHERE finished_at IS NOT NULL"),
    )
}

/// Whether the workshop's poll is decided, read from the bot's database while it is down.
fn decided_in_database(home: &BotHome) -> bool {
    let database = rusqlite::Connection::open(home.data_dir().join("convene.sqlite3")).unwrap();
    database
        .query_row(
            "SELECT count(*) FROM polls WHERE poll_key = ?1 AND decided_at IS NOT NULL",
            [WORKSHOP],
            |row| row.get::<_, i64>(0),
        )
        .unwrap()
        == 1
}

/// A date poll across random kills: the bot is SIGKILLed while the poll and its text form fan
/// out to the member rooms (some encrypted) and while, after `!poll decide`, the poll ends
/// everywhere and the workshop is announced with its invitation; each time it is started again
/// on the same data. Then every room holds each part exactly once, and every poll end refers to
/// its own room's poll.
///
/// `CONVENE_CRASH_ROOMS` (default 5) and `CONVENE_CRASH_KILLS` (kills per phase, default 3)
/// make it longer; `CONVENE_CRASH_SEED` replays a run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_part_of_a_date_poll_arrives_exactly_once_across_random_kills() {
    let room_count = env_number("CONVENE_CRASH_ROOMS", 5);
    let kills = env_number("CONVENE_CRASH_KILLS", 3);
    let seed = seed();
    eprintln!("poll crash test: {room_count} member rooms, {kills} kills per phase, seed {seed}");
    let mut dice = Dice(seed);
    let test_started = std::time::Instant::now();

    let agendas = tempfile::tempdir().unwrap();
    let network = TestNetwork::setup()
        .members(
            (1..=room_count)
                .map(|i| RoomSpec::new(format!("Kreis {i}"), format!("kreis-{i}"), i % 2 == 1)),
        )
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
        bot_id,
        rooms,
        ..
    } = network;
    let [orga, member_rooms @ ..] = rooms.as_slice() else {
        panic!("no organizers' room");
    };
    let timeout = Duration::from_secs(30 + rooms.len() as u64);
    let setup = test_started.elapsed();

    std::fs::write(
        agendas.path().join(format!("{WORKSHOP}.yaml")),
        poll_workshop(WORKSHOP, WORKSHOP_TITLE),
    )
    .unwrap();

    let from_bot = |m: &Received| m.sender == bot_id;
    let poll_start = |m: &Received| from_bot(m) && matches!(m.poll, Some(PollEvent::Start { .. }));
    let ballot = |m: &Received| {
        from_bot(m) && m.notice && m.body.starts_with("Terminfindung:") && m.body.contains("!vote")
    };
    let poll_summary = |m: &Received| from_bot(m) && m.body.starts_with("Terminumfrage");

    // (1) The poll and its text form fan out; the bot is killed from the moment it records the
    // poll (the file watcher sees the file within 2 s).
    crate::support::eventually("the bot to open the poll", Duration::from_secs(30), || {
        bot.log().contains("poll opened").then_some(())
    })
    .await;
    let opened = std::time::Instant::now();
    let window = 300 + 100 * member_rooms.len() as u64;
    let bot = kill_repeatedly(&home, bot, &mut dice, kills, window, "poll").await;
    let mut starts: Vec<OwnedEventId> = Vec::new();
    for room in member_rooms {
        let room_id = room.room_id().to_owned();
        let start = arrives(
            &organizer,
            &bot,
            timeout,
            &format!("the poll in {room_id}"),
            |m| poll_start(m) && m.room_id == room_id,
        )
        .await;
        arrives(
            &organizer,
            &bot,
            timeout,
            &format!("the poll's text form in {room_id}"),
            |m| ballot(m) && m.room_id == room_id,
        )
        .await;
        starts.push(start.event_id);
    }
    arrives(
        &organizer,
        &bot,
        timeout,
        "the poll's summary",
        poll_summary,
    )
    .await;
    let poll_phase = opened.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = organizer.received();
    for room in member_rooms {
        let count = |test: &dyn Fn(&Received) -> bool| {
            received
                .iter()
                .filter(|m| m.room_id == room.room_id() && test(m))
                .count()
        };
        assert_eq!(count(&poll_start), 1, "polls in {}", room.room_id());
        assert_eq!(count(&ballot), 1, "text forms in {}", room.room_id());
    }
    let summaries: Vec<&Received> = received.iter().filter(|m| poll_summary(m)).collect();
    assert_eq!(summaries.len(), 1, "{summaries:#?}");
    assert_eq!(summaries[0].room_id, orga.room_id());
    assert!(
        summaries[0].body.ends_with(&format!(
            "an {0} von {0} Räumen zugestellt.",
            member_rooms.len()
        )),
        "{summaries:#?}"
    );

    // (2) An organizer decides; the bot is killed from the moment the command is sent: before
    // or after the decision is recorded, while the poll ends in every room with its notice, and
    // while the workshop is announced with its invitation. The command is carried out once
    // whenever the kills come — late if the bot had not handled it before it died — and
    // answered once.
    let ask = organizer.say(orga, "!poll decide 2").await;
    let asked = std::time::Instant::now();
    let window = 300 + 150 * member_rooms.len() as u64;
    let mut bot = bot;
    for kill in 0..kills {
        let after = dice.millis(0, window);
        tokio::time::sleep(after).await;
        bot.kill();
        let decided = decided_in_database(&home);
        eprintln!(
            "decision: kill {kill} after {after:?}; decided: {decided}, {}",
            progress(&home)
        );
        bot = home.start();
        bot.ready().await;
    }
    let confirmed = arrives(
        &organizer,
        &bot,
        timeout,
        "the decision's confirmation",
        |m| from_bot(m) && m.in_reply_to.as_ref() == Some(&ask),
    )
    .await;
    assert!(confirmed.body.contains("Entschieden:"), "{confirmed:?}");
    let poll_end = |m: &Received| from_bot(m) && matches!(m.poll, Some(PollEvent::End { .. }));
    let closed =
        |m: &Received| from_bot(m) && m.notice && m.body.starts_with("Die Umfrage ist beendet:");
    let announcement = |m: &Received| {
        from_bot(m)
            && m.replaces.is_none()
            && m.body.starts_with(&format!("Einladung: {WORKSHOP_TITLE}"))
    };
    let invitation =
        |m: &Received| from_bot(m) && m.file.is_some() && m.body == format!("{WORKSHOP}.ics");
    let announced =
        |m: &Received| from_bot(m) && m.body.starts_with(&format!("Einladung „{WORKSHOP_TITLE}“"));
    for (room, start) in member_rooms.iter().zip(&starts) {
        let room_id = room.room_id().to_owned();
        let end = Some(PollEvent::End {
            start: start.clone(),
        });
        arrives(
            &organizer,
            &bot,
            timeout,
            &format!("the poll's end in {room_id}"),
            |m| from_bot(m) && m.room_id == room_id && m.poll == end,
        )
        .await;
        arrives(
            &organizer,
            &bot,
            timeout,
            &format!("the notice of the date in {room_id}"),
            |m| closed(m) && m.room_id == room_id,
        )
        .await;
    }
    // The announcement goes to the organizers' room, too.
    for room in &rooms {
        let room_id = room.room_id().to_owned();
        for (what, test) in [
            (
                "the announcement",
                &announcement as &dyn Fn(&Received) -> bool,
            ),
            ("the invitation file", &invitation),
        ] {
            arrives(
                &organizer,
                &bot,
                timeout,
                &format!("{what} in {room_id}"),
                |m| test(m) && m.room_id == room_id,
            )
            .await;
        }
    }
    arrives(
        &organizer,
        &bot,
        timeout,
        "the announcement's summary",
        announced,
    )
    .await;
    let decision_phase = asked.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;

    let received = organizer.received();
    for (room, start) in member_rooms.iter().zip(&starts) {
        let room_id = room.room_id();
        let count = |test: &dyn Fn(&Received) -> bool| {
            received
                .iter()
                .filter(|m| m.room_id == room_id && test(m))
                .count()
        };
        assert_eq!(count(&poll_start), 1, "polls in {room_id}");
        assert_eq!(count(&ballot), 1, "text forms in {room_id}");
        let ends: Vec<&Received> = received
            .iter()
            .filter(|m| m.room_id == room_id && poll_end(m))
            .collect();
        assert_eq!(ends.len(), 1, "poll ends in {room_id}: {ends:#?}");
        assert_eq!(
            ends[0].poll,
            Some(PollEvent::End {
                start: start.clone()
            }),
            "the end in {room_id} refers to another poll"
        );
        assert_eq!(count(&closed), 1, "notices of the date in {room_id}");
        // In the room's order: the poll ends, its notice says the invitation follows, and it
        // does (the posting job ends a decided poll before it announces the workshop).
        let position = |test: &dyn Fn(&Received) -> bool| {
            received
                .iter()
                .filter(|m| m.room_id == room_id)
                .position(test)
        };
        let order = [
            position(&poll_end),
            position(&closed),
            position(&announcement),
        ];
        assert!(
            order.is_sorted(),
            "in {room_id} the poll's end, its notice and the announcement came in the order \
             {order:?}"
        );
    }
    for room in &rooms {
        let room_id = room.room_id();
        let count = |test: &dyn Fn(&Received) -> bool| {
            received
                .iter()
                .filter(|m| m.room_id == room_id && test(m))
                .count()
        };
        assert_eq!(count(&announcement), 1, "announcements in {room_id}");
        assert_eq!(count(&invitation), 1, "invitations in {room_id}");
    }
    // The organizers' room: each summary once, and none of the poll's parts.
    let in_orga: Vec<&Received> = received
        .iter()
        .filter(|m| m.room_id == orga.room_id() && from_bot(m))
        .collect();
    assert_eq!(
        in_orga.iter().filter(|m| poll_summary(m)).count(),
        1,
        "{in_orga:#?}"
    );
    let summaries: Vec<&&Received> = in_orga.iter().filter(|m| announced(m)).collect();
    assert_eq!(summaries.len(), 1, "{summaries:#?}");
    assert!(
        summaries[0]
            .body
            .ends_with(&format!("an {0} von {0} Räumen zugestellt.", rooms.len())),
        "{summaries:#?}"
    );
    assert!(
        !in_orga
            .iter()
            .any(|m| m.poll.is_some() || ballot(m) || closed(m) || m.body.starts_with("Nachtrag")),
        "{in_orga:#?}"
    );
    // The decision was carried out once and confirmed once.
    let replies: Vec<&Received> = received
        .iter()
        .filter(|m| from_bot(m) && m.in_reply_to.as_ref() == Some(&ask))
        .collect();
    assert!(
        replies.len() == 1 && replies[0].body.contains("Entschieden:"),
        "{replies:#?}"
    );
    eprintln!(
        "poll crash test: seed {seed}; setup {setup:?}, poll fan-out with kills {poll_phase:?}, \
         end and announcement with kills {decision_phase:?}, in all {:?}",
        test_started.elapsed()
    );
    drop(bot);
}

/// What the command crash test said, to count afterwards.
struct Said {
    /// The commands, each with a text its answer must contain.
    commands: Vec<(OwnedEventId, String)>,
    /// The minutes lines, in the order sent.
    lines: Vec<String>,
    /// The proposals' titles.
    proposals: Vec<String>,
    /// Per member room: every vote sent there, the last one last.
    votes: Vec<Vec<String>>,
}

impl Said {
    fn new(rooms: usize) -> Self {
        Self {
            commands: Vec::new(),
            lines: Vec::new(),
            proposals: Vec::new(),
            votes: vec![Vec::new(); rooms],
        }
    }

    /// Says command number `i`: by `i` modulo 4 a minutes line in the organizers' room, or a
    /// proposal, a ping or a date-poll vote in member room `i` modulo the number of rooms.
    async fn say(
        &mut self,
        organizer: &Member,
        network: &TestNetwork,
        poll_starts: &[OwnedEventId],
        i: usize,
    ) {
        let which = i % self.votes.len();
        let member_room = &network.rooms[1 + which];
        let (room, command, expected) = match i % 4 {
            0 => {
                self.lines.push(format!("Zeile {i}"));
                (
                    &network.rooms[0],
                    format!("!info Zeile {i}"),
                    format!("Zeile {i}"),
                )
            }
            1 => {
                self.proposals.push(format!("Thema {i}"));
                (
                    member_room,
                    format!("!agenda add Thema {i}"),
                    format!("Thema {i}"),
                )
            }
            2 => (member_room, "!ping".to_owned(), "Pong".to_owned()),
            _ => {
                let answer = (1 + (i / 4) % 3).to_string();
                let vote = organizer
                    .vote(member_room, &poll_starts[which], &[answer.as_str()])
                    .await;
                self.votes[which].push(vote.to_string());
                return;
            }
        };
        let event = organizer.say(room, &command).await;
        self.commands.push((event, expected));
    }
}

/// Exactly once for what members and chairs say, across random kills: a stream of commands —
/// proposals, pings and date-poll votes in the member rooms, minutes lines by the chair in the
/// organizers' room — while the bot is SIGKILLed at random moments (seeded, printed) and started
/// again, sometimes at once, sometimes after a pause in which a member room gets 11 to 30 other
/// messages (the first time 210: more than a sync delivers, so the bot must read the room back).
/// Afterwards every command has exactly one answer, every proposal exists exactly once, every
/// vote is counted once (each member's latest is the last one sent), and the minutes hold every
/// line once, in the order sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_is_carried_out_and_answered_once_across_random_kills() {
    let seed = seed();
    eprintln!("commands: seed {seed} (CONVENE_CRASH_SEED={seed} replays this run)");
    let mut dice = Dice(seed);
    let rooms = env_number("CONVENE_CRASH_ROOMS", 2).max(1);
    let count = env_number("CONVENE_CRASH_COMMANDS", 16);
    let agendas = tempfile::tempdir().unwrap();
    std::fs::write(
        agendas.path().join(format!("{WORKSHOP}.yaml")),
        poll_workshop(WORKSHOP, WORKSHOP_TITLE),
    )
    .unwrap();
    let network =
        TestNetwork::setup()
            .members((1..=rooms).map(|i| {
                RoomSpec::new(format!("Gemeinde {i}"), format!("gemeinde-{i}"), i % 2 == 1)
            }))
            .extend_base(&format!(
                "max_open_proposals: 100\nagendas_dir: {}\n{}",
                agendas.path().display(),
                crate::support::config::MONTHLY_VIDEOKONFERENZ
            ))
            .create()
            .await;
    let (organizer, bot_id) = (&network.organizer, network.bot_id.clone());
    let orga = &network.rooms[0];
    let mut bot = network.start_bot().await;
    let mut poll_starts = Vec::new();
    for room in &network.rooms[1..] {
        let room_id = room.room_id().to_owned();
        let poll = organizer
            .wait_within(Duration::from_secs(60), |m| {
                m.sender == bot_id
                    && m.room_id == room_id
                    && matches!(m.poll, Some(PollEvent::Start { .. }))
            })
            .await
            .unwrap_or_else(|| panic!("no poll in {room_id}:\n{}", bot.log()));
        poll_starts.push(poll.event_id);
    }
    let start = organizer.say(orga, "!minutes start").await;
    organizer.reply_to(&bot_id, &start).await;
    let mut said = Said::new(rooms);
    let mut fillers_sent = 0;
    let mut first_pause = true;
    let down_for = Duration::from_secs(env_number("CONVENE_CRASH_DOWN_SECS", 0) as u64);
    for i in 0..count {
        said.say(organizer, &network, &poll_starts, i).await;
        let last = i + 1 == count;
        // The last command always comes with a kill and 210 other messages unless a kill had
        // them already: every run reads a room back.
        if dice.next().is_multiple_of(3) || (last && first_pause) {
            let after = dice.millis(0, 600);
            tokio::time::sleep(after).await;
            bot.kill();
            let pause = dice.next().is_multiple_of(2) || (last && first_pause);
            let first = pause && std::mem::take(&mut first_pause);
            let fillers = match (pause, first) {
                (false, _) => 0,
                (true, true) => 210,
                (true, false) => 11 + dice.next() % 20,
            };
            eprintln!(
                "commands: kill after command {i} (+{after:?}), restart after {fillers} other messages"
            );
            if pause {
                // While the bot is down: a proposal and a vote (numbers 1 and 3 modulo 4) ...
                let base = 1000 + 100 * i;
                said.say(organizer, &network, &poll_starts, base + 1).await;
                said.say(organizer, &network, &poll_starts, base + 3).await;
                // ... the first time, optionally, a stream of commands for a while ...
                let until =
                    tokio::time::Instant::now() + if first { down_for } else { Duration::ZERO };
                let mut n = base + 4;
                while tokio::time::Instant::now() < until {
                    said.say(organizer, &network, &poll_starts, n).await;
                    n += 1;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
                // ... then other messages.
                let member_room = &network.rooms[1 + i % rooms];
                for n in 0..fillers {
                    organizer
                        .say(member_room, &format!("Zwischendurch {i}.{n}"))
                        .await;
                }
            }
            fillers_sent += fillers;
            bot = network.home.start();
            bot.ready().await;
        }
    }
    let Said {
        commands: sent,
        lines,
        proposals,
        votes,
    } = said;
    for (event, expected) in &sent {
        // Generous: on a loaded 2-core CI machine a restart, its catch-up and the late answers
        // can take longer than the usual 30 s.
        let answer = organizer
            .wait_within(Duration::from_secs(120), |m| {
                m.sender == bot_id && m.in_reply_to.as_ref() == Some(event)
            })
            .await
            .unwrap_or_else(|| panic!("`{expected}` was never answered:\n{}", bot.log()));
        assert!(answer.body.contains(expected.as_str()), "{answer:?}");
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = organizer.received();
    for (event, expected) in &sent {
        let answers = received
            .iter()
            .filter(|m| m.in_reply_to.as_ref() == Some(event))
            .count();
        assert_eq!(
            answers,
            1,
            "`{expected}` answered {answers} times:\n{}",
            bot.log()
        );
    }
    let status = bot.terminate().await;
    assert!(status.success(), "{status}");
    let store =
        convene::store::Store::open(&network.home.data_dir().join("convene.sqlite3")).unwrap();
    let made = store.open_proposals().unwrap();
    for title in &proposals {
        let times = made.iter().filter(|p| &p.title == title).count();
        assert_eq!(times, 1, "{title} proposed {times} times");
    }
    assert_eq!(made.len(), proposals.len());
    let polls = store.polls().unwrap();
    let [poll] = polls.as_slice() else {
        panic!("one poll: {polls:?}");
    };
    let counted = store.votes(&poll.key).unwrap();
    let mut counted_ids: Vec<&str> = counted.iter().map(|v| v.event_id.as_str()).collect();
    let mut sent_ids: Vec<&str> = votes.iter().flatten().map(String::as_str).collect();
    counted_ids.sort_unstable();
    sent_ids.sort_unstable();
    assert_eq!(counted_ids, sent_ids, "every vote is counted, once");
    for (which, room) in network.rooms[1..].iter().enumerate() {
        let latest = counted
            .iter()
            .filter(|v| v.room == room.room_id().as_str())
            .max_by_key(|v| v.at)
            .map(|v| v.event_id.clone());
        assert_eq!(
            latest,
            votes[which].last().cloned(),
            "the latest vote counts"
        );
    }
    let recording = store
        .minutes_with_status(convene::store::MinutesStatus::Recording)
        .unwrap();
    let [minutes] = recording.as_slice() else {
        panic!("one meeting's minutes being recorded: {recording:?}");
    };
    let recorded: Vec<String> = store
        .records(&minutes.meeting_key)
        .unwrap()
        .into_iter()
        .map(|record| record.text)
        .collect();
    assert_eq!(
        recorded, lines,
        "the minutes hold every line once, in the order sent"
    );
    eprintln!(
        "commands crash test: seed {seed}; {} commands answered once each, {} proposals, {} \
         minutes lines in order, {} votes counted, {fillers_sent} other messages while down",
        sent.len(),
        proposals.len(),
        lines.len(),
        counted.len()
    );
}
