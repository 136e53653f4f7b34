//! Benchmark: the `!ping` round trip against a plain message between two clients on the same
//! Synapse (median of 20 each, in a plain and an encrypted room), and the bot's resident memory
//! after joining rooms like the demo's; then bursts of `!ping` from 40 encrypted rooms at once
//! (`CONVENE_BENCH_BURST_ROOMS`). Not a test: it prints numbers, it asserts none.
//!
//! Run with `cargo bench --bench ping` (release build of the bot).

#![recursion_limit = "256"]
#![allow(clippy::unwrap_used, clippy::print_stdout)]

#[path = "../tests/it/support/mod.rs"]
#[allow(dead_code)]
mod support;

use std::time::{Duration, Instant};

use matrix_sdk::ruma::UserId;
use support::bot::BotHome;
use support::member::Member;
use support::synapse::Synapse;

const ROUNDS: usize = 20;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

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
    let anna_account = synapse.register("anna", "anna-password", true);
    let bob_account = synapse.register("bob", "bob-password", true);
    let bot_id = UserId::parse(&bot_account.user_id).unwrap();
    let bob_id = UserId::parse(&bob_account.user_id).unwrap();
    let home = BotHome::new(
        &synapse,
        &bot_account.user_id,
        "bench-password",
        &[synapse.user_id("anna")],
        std::slice::from_ref(&synapse.server_name),
    );
    let mut bot = home.start();
    bot.ready().await;

    let anna = Member::connect(&synapse, &anna_account).await;
    let bob = Member::connect(&synapse, &bob_account).await;
    // Rooms like the demo's: the organizers' room and three member rooms, three of four encrypted.
    let mut rooms = Vec::new();
    for (name, encrypted) in [
        ("Organisation", true),
        ("Kaiserslautern", true),
        ("Bitburg-Prüm", false),
        ("Mayen-Koblenz", true),
    ] {
        let room = anna.create_room(name, encrypted, &[&bot_id, &bob_id]).await;
        anna.wait_for_join(&room, &bot_id).await;
        rooms.push(room);
    }
    for room in &rooms {
        bob.client.join_room_by_id(room.room_id()).await.unwrap();
        anna.wait_for_join(room, &bob_id).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!("bot RSS after joining 4 rooms: {} KiB", bot.rss_kib());

    for (label, room) in [("plain", &rooms[2]), ("encrypted", &rooms[1])] {
        // Warm up: the first encrypted message shares the room key.
        let warm = anna.say(room, "!ping").await;
        anna.reply_to(&bot_id, &warm).await;

        let mut pings = Vec::new();
        for _ in 0..ROUNDS {
            let start = Instant::now();
            let ping = anna.say(room, "!ping").await;
            anna.reply_to(&bot_id, &ping).await;
            pings.push(start.elapsed());
        }
        let mut echoes = Vec::new();
        for round in 0..ROUNDS {
            let text = format!("echo {label} {round}");
            let start = Instant::now();
            anna.say(room, &text).await;
            bob.wait_for("the echo", |m| m.body == text).await;
            echoes.push(start.elapsed());
        }
        println!(
            "{label} room: !ping round trip median {:?}; plain message to a second client median {:?} ({ROUNDS} rounds each)",
            median(pings),
            median(echoes)
        );
    }
    println!("bot RSS after the round trips: {} KiB", bot.rss_kib());

    burst(&anna, &bot_id).await;
    println!("bot RSS after the bursts: {} KiB", bot.rss_kib());
    tokio::time::sleep(Duration::from_secs(5)).await;
    println!("bot RSS 5 s later: {} KiB", bot.rss_kib());
}

/// A burst: one `!ping` in each of 40 encrypted rooms as fast as one client can send them, as
/// when a whole network reacts to one announcement. Prints how long Synapse took to accept the
/// 40 commands (the floor no bot can beat) and how long until the last of the 40 replies had
/// arrived (the p99 of 40 samples), for three bursts.
async fn burst(anna: &Member, bot_id: &UserId) {
    let count: usize = std::env::var("CONVENE_BENCH_BURST_ROOMS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(40);
    let mut rooms = Vec::new();
    for i in 1..=count {
        let room = anna
            .create_room(&format!("Gemeinde {i}"), true, &[bot_id])
            .await;
        anna.wait_for_join(&room, bot_id).await;
        rooms.push(room);
    }
    // The first message in each room shares its room key: not part of the burst.
    for room in &rooms {
        let warm = anna.say(room, "!ping").await;
        anna.reply_to(bot_id, &warm).await;
    }
    for round in 1..=3 {
        let start = Instant::now();
        let mut asked = Vec::new();
        for room in &rooms {
            asked.push(anna.say(room, "!ping").await);
        }
        let accepted = start.elapsed();
        for event in &asked {
            anna.reply_to(bot_id, event).await;
        }
        println!(
            "burst {round}: {count} commands accepted by Synapse after {accepted:?}; last reply after {:?}",
            start.elapsed()
        );
    }
}
