//! Benchmark: the wall time to fan announcements out to 40 encrypted member rooms (plus the
//! organizers' room) on a local Synapse, measured at an organizer's client that is in every
//! room, in `CONVENE_BENCH_FANOUT_RUNS` runs (10), every run reported. Not a test: it prints
//! numbers, it asserts none.
//!
//! Run with `cargo bench --bench fanout` (release build of the bot).

#![recursion_limit = "256"]
#![allow(clippy::unwrap_used, clippy::print_stdout)]

#[path = "../tests/it/support/mod.rs"]
#[allow(dead_code)]
mod support;

use std::time::{Duration, Instant};

use support::network::{RoomSpec, TestNetwork};

const ROOMS: usize = 40;

fn main() {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(bench());
}

async fn bench() {
    let network = TestNetwork::setup()
        .members(
            (1..=ROOMS)
                .map(|i| RoomSpec::new(format!("Gemeinde {i}"), format!("gemeinde-{i}"), true)),
        )
        .create()
        .await;
    let bot = network.start_bot().await;
    let TestNetwork {
        home,
        organizer,
        rooms,
        ..
    } = network;
    let runs: usize = std::env::var("CONVENE_BENCH_FANOUT_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(10);
    // Each run adds one more weekly series whose announcement falls due 5 seconds after the bot
    // has reloaded the configuration (every 2 seconds); the series of earlier runs stay, so a
    // reload changes nothing else.
    let mut series = String::new();
    let mut times = Vec::new();
    for run in 1..=runs {
        let title = format!("Videokonferenz Lauf {run:02}");
        let (start, due) = support::meeting::due_in(5);
        series.push_str(&support::meeting::series(
            &format!("lauf-{run}"),
            &title,
            start,
        ));
        home.configure(
            &home.base_config(),
            &format!("meetings:\n  reminders: [7d]\n  series:\n{series}"),
        );
        let announcement = format!("Einladung: {title}");
        let mut first_at = None;
        for room in &rooms {
            let room_id = room.room_id().to_owned();
            organizer
                .wait_for("the announcement in every room", |m| {
                    m.body.starts_with(&announcement) && m.room_id == room_id
                })
                .await;
            first_at.get_or_insert_with(Instant::now);
        }
        let last_at = Instant::now();
        // The fan-out is finished when the bot reports it to the organizers.
        let summary = format!("Einladung „{title}“");
        organizer
            .wait_for("the delivery summary", |m| m.body.starts_with(&summary))
            .await;
        let reported_at = Instant::now();
        let took = last_at.saturating_duration_since(due);
        println!(
            "fan-out run {run:2}: announcement in all {} encrypted rooms {:.2} s after the due time (first room to last {:.2} s); summary after {:.2} s",
            rooms.len(),
            took.as_secs_f64(),
            last_at.duration_since(first_at.unwrap()).as_secs_f64(),
            reported_at.saturating_duration_since(due).as_secs_f64(),
        );
        times.push(took);
    }
    times.sort();
    println!(
        "fan-out over {runs} runs: min {:.2} s, median {:.2} s, max {:.2} s",
        times[0].as_secs_f64(),
        times[times.len() / 2].as_secs_f64(),
        times[times.len() - 1].as_secs_f64()
    );
    let stalls = bot
        .log()
        .lines()
        .filter(|line| line.contains("pending `/keys/query`"))
        .count();
    println!("bot log: {stalls} waits for a pending /keys/query");
    // `CONVENE_BENCH_LOG=path` keeps the bot's whole log for a closer look.
    if let Ok(path) = std::env::var("CONVENE_BENCH_LOG") {
        std::fs::write(path, bot.log()).unwrap();
    }
    println!(
        "bot RSS after joining {} rooms and {runs} fan-outs: {} KiB",
        rooms.len(),
        bot.rss_kib()
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
}
