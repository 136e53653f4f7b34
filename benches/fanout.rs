//! Benchmark: the wall time to fan one announcement out to 40 encrypted member rooms (plus the
//! organizers' room) on a local Synapse, measured at an organizer's client that is in every
//! room. Not a test: it prints numbers, it asserts none.
//!
//! Run with `cargo bench --bench fanout` (release build of the bot).

#![recursion_limit = "256"]
#![allow(clippy::unwrap_used, clippy::print_stdout)]

#[path = "../tests/it/support/mod.rs"]
#[allow(dead_code)]
mod support;

use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use chrono_tz::Europe::Berlin;
use matrix_sdk::ruma::UserId;
use support::bot::BotHome;
use support::member::Member;
use support::synapse::Synapse;

const ROOMS: usize = 40;

fn main() {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(bench());
}

async fn bench() {
    let synapse = Synapse::start();
    let bot_account = synapse.register("convene", "bench-password", true);
    let organizer_account = synapse.register("organizer", "organizer-password", true);
    let bot_id = UserId::parse(&bot_account.user_id).unwrap();
    let members: Vec<(String, String)> = (1..=ROOMS)
        .map(|i| (format!("Gemeinde {i}"), format!("gemeinde-{i}")))
        .collect();
    let home = BotHome::with_members(
        &synapse,
        &bot_account.user_id,
        "bench-password",
        std::slice::from_ref(&organizer_account.user_id),
        std::slice::from_ref(&synapse.server_name),
        &members,
    );
    let organizer = Member::connect(&synapse, &organizer_account).await;
    let mut rooms = vec![
        organizer
            .create_room_with_alias("Organisation", Some("orga"), true, &[&bot_id])
            .await,
    ];
    for (name, alias) in &members {
        rooms.push(
            organizer
                .create_room_with_alias(name, Some(alias), true, &[&bot_id])
                .await,
        );
    }
    let mut bot = home.start();
    bot.ready().await;
    for room in &rooms {
        organizer.wait_for_join(room, &bot_id).await;
    }
    // With every room joined, a meeting whose announcement falls due in 5 seconds is added to
    // the configuration; the bot picks it up within its 2-second reload.
    let lead = TimeDelta::seconds(5);
    let start = (Utc::now() + TimeDelta::days(7) + lead).with_timezone(&Berlin);
    home.configure(
        &home.base_config(),
        &format!(
            "meetings:\n  reminders: [7d]\n  series:\n    - id: videokonferenz\n      title: Videokonferenz\n      rule: FREQ=WEEKLY;COUNT=1\n      first: {}\n      start: \"{}\"\n      duration: 90m\n",
            start.format("%Y-%m-%d"),
            start.format("%H:%M:%S")
        ),
    );
    let due = Instant::now() + lead.to_std().unwrap();
    let first = organizer
        .wait_for("the first announcement", |m| {
            m.body.starts_with("Einladung:")
        })
        .await;
    let first_at = Instant::now();
    let _ = first;
    for room in &rooms {
        let room_id = room.room_id().to_owned();
        organizer
            .wait_for("the announcement in every room", |m| {
                m.body.starts_with("Einladung:") && m.room_id == room_id
            })
            .await;
    }
    let last_at = Instant::now();
    println!(
        "fan-out of one announcement to {} encrypted rooms: {:?} from the due time to the last room, {:?} from the first room to the last",
        rooms.len(),
        last_at.saturating_duration_since(due),
        last_at.duration_since(first_at)
    );
    // The bot's own view: from the start of the fan-out to its end.
    for line in bot.log().lines() {
        if line.contains("fanning out") || line.contains("fan-out done") {
            println!("bot log: {line}");
        }
    }
    println!(
        "bot RSS after joining {} rooms and fanning out: {} KiB",
        rooms.len(),
        bot.rss_kib()
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
}
