//! Benchmark: convene side by side with a Python anchor, matrix-reminder-bot 0.4.0 (matrix-nio
//! with end-to-end encryption; `benches/anchor.py` installs it from PyPI into a venv on first
//! use), on one local Synapse, in one run, alternating convene and anchor rounds:
//!
//! - reply round trip in an encrypted room (convene: `!ping`, the anchor: `!help`), p50 and p90,
//!   against the one-way echo (a plain message from one member's client to another's in the
//!   same rooms, measured in the same rounds): "= N.NN × echo";
//! - bursts: one command in each of `CONVENE_BENCH_BURST_ROOMS` encrypted rooms, all sent at
//!   once, three per bot: how long Synapse took to accept the commands (the floor no bot can
//!   beat), and the p50, p99 and last reply after the burst started;
//! - resident memory (VmRSS) and CPU time of both bot processes after joining, after the bursts
//!   and 5 s later;
//! - start-up: each bot is stopped and started again. The anchor answers commands sent while
//!   it starts: one sent at once is timed until answered. convene leaves commands from before
//!   its start unanswered: the time to "convene is ready" in its log (after a catch-up sync),
//!   then a first `!ping`; and a new device of convene (password login and a first sync of all
//!   its rooms, with an empty store) until ready.
//!
//! Each bot is in its own `CONVENE_BENCH_ROOMS` encrypted rooms, created by one member and
//! joined on invitation. A second member is in the first room of each bot, for the echo. The
//! first command in a room (which shares the room key) is a warm-up, reported but not counted.
//! Not a test: it prints numbers, it asserts none. Everything runs on 127.0.0.1.
//!
//! Run with `cargo bench --bench ping` (release build of the bot). Environment:
//!
//! - `CONVENE_BENCH_ROOMS`: encrypted rooms per bot (default 40; 200 and 1000 work, room
//!   creation takes a while then);
//! - `CONVENE_BENCH_BURST_ROOMS`: rooms in a burst, the first of the bot's rooms (default 40,
//!   at most `CONVENE_BENCH_ROOMS`);
//! - `CONVENE_BENCH_ROUNDS`: round trips per bot (default 20);
//! - `CONVENE_BENCH_ANCHOR=0`: convene alone, without the anchor.

#![recursion_limit = "256"]
#![allow(clippy::unwrap_used, clippy::print_stdout)]

#[path = "../tests/it/support/mod.rs"]
#[allow(dead_code)]
mod support;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use matrix_sdk::ruma::api::client::room::create_room::v3::Request as CreateRoomRequest;
use matrix_sdk::ruma::events::InitialStateEvent;
use matrix_sdk::ruma::events::room::encryption::RoomEncryptionEventContent;
use matrix_sdk::ruma::events::room::message::RoomMessageEventContent;
use matrix_sdk::ruma::serde::Raw;
use matrix_sdk::ruma::{OwnedEventId, OwnedUserId, UserId};
use matrix_sdk::{Client, Room};
use serde::Deserialize;
use support::bot::BotHome;
use support::member::{Member, Received};
use support::synapse::{Account, Synapse};
use tempfile::TempDir;

/// Room creations in flight at once (one member's client).
const CREATE_BATCH: usize = 16;
/// How long to wait for an answer, and for a bot to start (a first sync of 1,000 rooms).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);
const STARTUP_TIMEOUT: Duration = Duration::from_secs(600);

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// The sample at `quantile` by nearest rank (p99 of 40 samples is the last).
fn percentile(samples: &[Duration], quantile: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss
    )]
    let rank = (quantile * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

fn secs(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

fn ratio(a: Duration, b: Duration) -> String {
    format!("{:.2}", a.as_secs_f64() / b.as_secs_f64())
}

/// VmRSS of a process in KiB, from `/proc`.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// User plus system CPU time a process has used, from `/proc`.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name (which may hold spaces): state is field 3, utime 14.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    let hz: u64 = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|hz| hz.trim().parse().ok())
        .unwrap_or(100);
    Duration::from_millis(ticks * 1000 / hz)
}

/// One of the bots under measurement, in its own rooms.
struct Contender {
    name: &'static str,
    user: OwnedUserId,
    /// The command it answers, and (when its answer is no `m.in_reply_to` reply) a piece of
    /// the answer's text.
    command: &'static str,
    answer_text: Option<&'static str>,
    rooms: Vec<Room>,
    pid: u32,
}

impl Contender {
    /// The bot's messages anna has so far: an answer that is no reply is a message not among them.
    fn seen(&self, anna: &Member) -> HashSet<OwnedEventId> {
        if self.answer_text.is_none() {
            return HashSet::new();
        }
        anna.received()
            .into_iter()
            .filter(|m| m.sender == self.user)
            .map(|m| m.event_id)
            .collect()
    }

    /// Waits for the answer to `command` in `room`: convene's reply, or the anchor's next message
    /// in that room after the command.
    async fn answer(
        &self,
        anna: &Member,
        room: &Room,
        command: &OwnedEventId,
        seen: &HashSet<OwnedEventId>,
        timeout: Duration,
    ) -> Received {
        let found = anna
            .wait_within(timeout, |m| {
                m.sender == self.user
                    && match self.answer_text {
                        None => m.in_reply_to.as_ref() == Some(command),
                        Some(_) => m.room_id == room.room_id() && !seen.contains(&m.event_id),
                    }
            })
            .await;
        let answer = found.unwrap_or_else(|| {
            panic!(
                "the {} did not answer {} within {timeout:?}",
                self.name, self.command
            )
        });
        let Some(text) = self.answer_text else {
            return answer;
        };
        assert!(
            answer.body.contains(text),
            "the {} answered {:?} instead",
            self.name,
            answer.body
        );
        answer
    }

    /// One command in `room`, timed from before sending until the answer arrived.
    async fn ask(&self, anna: &Member, room: &Room) -> Duration {
        let seen = self.seen(anna);
        let start = Instant::now();
        let command = anna.say(room, self.command).await;
        let answer = self
            .answer(anna, room, &command, &seen, ANSWER_TIMEOUT)
            .await;
        answer.arrived - start
    }

    /// A command in each of `rooms`, all sent at once (as when members in many rooms ask
    /// together): how long Synapse took to accept them all, and when each answer arrived after
    /// the start. Sending one after the other would make the sending client the bottleneck:
    /// the last command would leave only when a bot could have answered the first 39.
    async fn burst(&self, anna: &Member, rooms: &[Room]) -> (Duration, Vec<Duration>) {
        let seen = self.seen(anna);
        let start = Instant::now();
        let mut sending = tokio::task::JoinSet::new();
        for (index, room) in rooms.iter().enumerate() {
            let room = room.clone();
            let command = self.command;
            sending.spawn(async move {
                let content = RoomMessageEventContent::text_plain(command);
                (index, room.send(content).await.unwrap().response.event_id)
            });
        }
        let mut asked = vec![None; rooms.len()];
        while let Some(sent) = sending.join_next().await {
            let (index, event_id) = sent.unwrap();
            asked[index] = Some(event_id);
        }
        let asked: Vec<OwnedEventId> = asked.into_iter().map(Option::unwrap).collect();
        let accepted = start.elapsed();
        let mut answers = Vec::new();
        for (room, command) in rooms.iter().zip(&asked) {
            let answer = self
                .answer(anna, room, command, &seen, ANSWER_TIMEOUT)
                .await;
            answers.push(answer.arrived - start);
        }
        (accepted, answers)
    }

    fn resources(&self, when: &str) {
        println!(
            "{:<7} {when}: RSS {} KiB, CPU time so far {}",
            self.name,
            rss_kib(self.pid),
            secs(cpu_time(self.pid))
        );
    }
}

/// The anchor's files: configuration, encryption store and database, log.
struct AnchorHome {
    dir: TempDir,
    account: Account,
    password: String,
    client_url: String,
}

/// A running anchor; stopped by PID (through the script) when dropped.
struct AnchorProcess {
    dir: PathBuf,
    pid: u32,
    log: PathBuf,
}

#[derive(Deserialize)]
struct AnchorVenv {
    versions: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct AnchorStarted {
    pid: u32,
    log: PathBuf,
}

fn anchor_script(args: &[&str]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/anchor.py");
    let output = Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .expect("cannot run python3 benches/anchor.py");
    assert!(
        output.status.success(),
        "anchor.py {:?} failed:\n{}",
        args.first(),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

impl AnchorHome {
    fn new(synapse: &Synapse, account: &Account, password: &str) -> Self {
        let venv: AnchorVenv = serde_json::from_str(&anchor_script(&["venv"])).unwrap();
        let versions: Vec<String> = venv
            .versions
            .iter()
            .map(|(name, version)| format!("{name} {version}"))
            .collect();
        println!("anchor: {}", versions.join(", "));
        Self {
            dir: tempfile::Builder::new()
                .prefix("convene-anchor-")
                .tempdir()
                .unwrap(),
            account: account.clone(),
            password: password.to_owned(),
            client_url: synapse.client_url.clone(),
        }
    }

    /// Starts the bot; it logs in with the password, as the same device every time.
    fn start(&self) -> AnchorProcess {
        let dir = self.dir.path().to_str().unwrap();
        let started: AnchorStarted = serde_json::from_str(&anchor_script(&[
            "start",
            "--dir",
            dir,
            "--homeserver",
            &self.client_url,
            "--user-id",
            &self.account.user_id,
            "--password",
            &self.password,
            "--device-id",
            &self.account.device_id,
        ]))
        .unwrap();
        AnchorProcess {
            dir: self.dir.path().to_owned(),
            pid: started.pid,
            log: started.log,
        }
    }
}

impl AnchorProcess {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the anchor has logged in ("Startup complete").
    async fn logged_in(&self) {
        support::eventually("the anchor to log in", Duration::from_secs(120), || {
            assert!(
                Path::new(&format!("/proc/{}", self.pid)).exists(),
                "the anchor exited:\n{}",
                self.log()
            );
            self.log().contains("Startup complete").then_some(())
        })
        .await;
    }
}

impl Drop for AnchorProcess {
    fn drop(&mut self) {
        let _ = Command::new("python3")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/anchor.py"))
            .args(["stop", "--dir", self.dir.to_str().unwrap_or_default()])
            .output();
    }
}

/// Creates a private encrypted room as `client`'s user and invites `invite`.
async fn create_encrypted_room(client: &Client, name: &str, invite: Vec<OwnedUserId>) -> Room {
    let mut request = CreateRoomRequest::new();
    request.name = Some(name.to_owned());
    request.invite = invite;
    let content = RoomEncryptionEventContent::with_recommended_defaults();
    request.initial_state = vec![
        Raw::new(&InitialStateEvent::with_empty_state_key(content))
            .unwrap()
            .cast_unchecked(),
    ];
    client.create_room(request).await.unwrap()
}

/// Creates the rooms, `CREATE_BATCH` at a time, in the order given.
async fn create_rooms(anna: &Member, rooms: Vec<(String, Vec<OwnedUserId>)>) -> Vec<Room> {
    let mut created = Vec::with_capacity(rooms.len());
    for batch in rooms.chunks(CREATE_BATCH) {
        let mut tasks = tokio::task::JoinSet::new();
        for (index, (name, invite)) in batch.iter().cloned().enumerate() {
            let client = anna.client.clone();
            tasks
                .spawn(async move { (index, create_encrypted_room(&client, &name, invite).await) });
        }
        let mut batch = tasks.join_all().await;
        batch.sort_by_key(|(index, _)| *index);
        created.extend(batch.into_iter().map(|(_, room)| room));
    }
    created
}

fn main() {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(bench());
}

#[allow(clippy::too_many_lines)]
async fn bench() {
    let room_count = env_usize("CONVENE_BENCH_ROOMS", 40).max(1);
    let burst_rooms = env_usize("CONVENE_BENCH_BURST_ROOMS", 40).clamp(1, room_count);
    let rounds = env_usize("CONVENE_BENCH_ROUNDS", 20).max(1);
    let with_anchor = std::env::var("CONVENE_BENCH_ANCHOR").map_or(true, |v| v != "0");

    // Not `support::network::TestNetwork`: the rooms here are no network's (no aliases, not in
    // the configuration), a member creates them in concurrent batches for two bots at once,
    // and each bot joins on invitation while they are being created.
    let synapse = Synapse::start();
    let bot_account = synapse.register("convene", "bench-password", true);
    let anna_account = synapse.register("anna", "anna-password", true);
    let bob_account = synapse.register("bob", "bob-password", true);
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
    let anchor_home = with_anchor.then(|| {
        let account = synapse.register("reminder", "anchor-password", true);
        AnchorHome::new(&synapse, &account, "anchor-password")
    });
    let mut anchor = anchor_home.as_ref().map(AnchorHome::start);
    if let Some(anchor) = &anchor {
        anchor.logged_in().await;
    }

    let anna = Member::connect(&synapse, &anna_account).await;
    let bob = Member::connect(&synapse, &bob_account).await;
    let mut contenders = vec![Contender {
        name: "convene",
        user: UserId::parse(&bot_account.user_id).unwrap(),
        command: "!ping",
        answer_text: None,
        rooms: Vec::new(),
        pid: bot.pid(),
    }];
    if let (Some(home), Some(process)) = (&anchor_home, &anchor) {
        contenders.push(Contender {
            name: "anchor",
            user: UserId::parse(&home.account.user_id).unwrap(),
            command: "!help",
            answer_text: Some("I am a reminder bot"),
            rooms: Vec::new(),
            pid: process.pid,
        });
    }
    println!(
        "{} encrypted rooms per bot, bursts of {burst_rooms} rooms, {rounds} round trips per bot",
        room_count
    );

    // Room i of each bot in turn, so that both join while the rooms are being created.
    let start = Instant::now();
    let mut wanted = Vec::new();
    for i in 0..room_count {
        for contender in &contenders {
            let mut invite = vec![contender.user.clone()];
            if i == 0 {
                invite.push(bob_id.clone());
            }
            wanted.push((format!("{} {}", contender.name, i + 1), invite));
        }
    }
    let mut created = create_rooms(&anna, wanted).await.into_iter();
    let created_after = start.elapsed();
    for _ in 0..room_count {
        for contender in &mut contenders {
            contender.rooms.push(created.next().unwrap());
        }
    }
    for contender in &contenders {
        for room in &contender.rooms {
            anna.wait_for_join(room, &contender.user).await;
        }
    }
    println!(
        "{} rooms created after {}, all joined by their bot after {}",
        room_count * contenders.len(),
        secs(created_after),
        secs(start.elapsed())
    );
    for contender in &contenders {
        bob.client
            .join_room_by_id(contender.rooms[0].room_id())
            .await
            .unwrap();
        anna.wait_for_join(&contender.rooms[0], &bob_id).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    for contender in &contenders {
        contender.resources(&format!("after joining {room_count} rooms"));
    }

    // Warm-up: the first message in each room shares its room key (and each bot's first answer
    // its own); not part of the measurements.
    for contender in &contenders {
        let (accepted, answers) = contender
            .burst(&anna, &contender.rooms[..burst_rooms])
            .await;
        println!(
            "{:<7} warm-up: first {} in each of {burst_rooms} rooms accepted after {}, last answer after {}",
            contender.name,
            contender.command,
            ms(accepted),
            ms(*answers.iter().max().unwrap())
        );
    }

    let mut round_trips = vec![Vec::new(); contenders.len()];
    let mut echoes = Vec::new();
    for round in 0..rounds {
        for (index, contender) in contenders.iter().enumerate() {
            let room = &contender.rooms[0];
            round_trips[index].push(contender.ask(&anna, room).await);
            let text = format!("echo {} {round}", contender.name);
            let start = Instant::now();
            anna.say(room, &text).await;
            let echo = bob.wait_for("the echo", |m| m.body == text).await;
            echoes.push(echo.arrived - start);
        }
    }
    let echo = percentile(&echoes, 0.5);
    println!(
        "echo (anna's message arriving at bob's client, same rooms): p50 {}, p90 {} ({} samples)",
        ms(echo),
        ms(percentile(&echoes, 0.9)),
        echoes.len()
    );
    for (contender, samples) in contenders.iter().zip(&round_trips) {
        let (p50, p90) = (percentile(samples, 0.5), percentile(samples, 0.9));
        println!(
            "{:<7} {} round trip: p50 {} = {} × echo, p90 {} = {} × echo ({rounds} rounds)",
            contender.name,
            contender.command,
            ms(p50),
            ratio(p50, echo),
            ms(p90),
            ratio(p90, echo)
        );
    }

    for round in 1..=3 {
        for contender in &contenders {
            let (accepted, answers) = contender
                .burst(&anna, &contender.rooms[..burst_rooms])
                .await;
            println!(
                "{:<7} burst {round}: {burst_rooms} × {} accepted by Synapse after {}; answers p50 {}, p99 {}, last {}",
                contender.name,
                contender.command,
                ms(accepted),
                ms(percentile(&answers, 0.5)),
                ms(percentile(&answers, 0.99)),
                ms(*answers.iter().max().unwrap())
            );
        }
    }
    for contender in &contenders {
        contender.resources("after the bursts");
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    for contender in &contenders {
        contender.resources("5 s later");
    }

    // Start-up: stop, start again, and time a command sent right at the start.
    if let (Some(home), Some(process)) = (&anchor_home, anchor.take()) {
        drop(process);
        let contender = &contenders[1];
        let seen = contender.seen(&anna);
        let room = &contender.rooms[0];
        let start = Instant::now();
        let process = home.start();
        let command = anna.say(room, contender.command).await;
        let answer = contender
            .answer(&anna, room, &command, &seen, STARTUP_TIMEOUT)
            .await;
        println!(
            "anchor  restart: {} sent at the start answered after {} (start-up, login, catch-up sync); RSS then {} KiB",
            contender.command,
            ms(answer.arrived - start),
            rss_kib(process.pid)
        );
        anchor = Some(process);
    }
    let contender = &contenders[0];
    let stopping = Instant::now();
    bot.terminate().await;
    println!(
        "convene stopped by SIGTERM after {}",
        ms(stopping.elapsed())
    );
    // convene leaves commands from before its start unanswered: the first one goes once ready.
    let start = Instant::now();
    let mut bot = home.start();
    bot.ready_within(STARTUP_TIMEOUT).await;
    let ready = start.elapsed();
    let first = contender.ask(&anna, &contender.rooms[0]).await;
    println!(
        "convene restart: \"convene is ready\" (catch-up sync of {room_count} rooms) after {}; first {} then answered in {}; RSS then {} KiB",
        ms(ready),
        contender.command,
        ms(first),
        rss_kib(bot.pid())
    );
    let log = bot.log();
    bot.terminate().await;

    // A new device: password login and a first sync of every room, with an empty store.
    let fresh = BotHome::new(
        &synapse,
        &bot_account.user_id,
        "bench-password",
        &[synapse.user_id("anna")],
        std::slice::from_ref(&synapse.server_name),
    );
    let start = Instant::now();
    let mut new_device = fresh.start();
    new_device.ready_within(STARTUP_TIMEOUT).await;
    println!(
        "convene new device: login and initial sync of {room_count} rooms, ready after {}; RSS then {} KiB",
        ms(start.elapsed()),
        rss_kib(new_device.pid())
    );
    new_device.terminate().await;
    drop(anchor);

    // What the logs say beyond the measurements.
    for (name, log) in [
        ("convene (first run)", first_log(&home)),
        ("convene (restart)", log),
        ("convene (new device)", first_log(&fresh)),
    ] {
        report_warnings(name, &log, &["WARN", "ERROR"]);
    }
    if let Some(home) = &anchor_home {
        let log = std::fs::read_to_string(home.dir.path().join("bot.log")).unwrap_or_default();
        report_warnings("anchor", &log, &["[WARNING]", "[ERROR]", "[CRITICAL]"]);
    }
}

/// The log of the bot's first run from `home` (`bot-N.log` with the smallest N).
fn first_log(home: &BotHome) -> String {
    let dir = home.config_path().parent().unwrap().to_owned();
    let mut logs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("bot-") && name.ends_with(".log"))
        })
        .collect();
    logs.sort_by_key(|path| {
        path.file_stem()
            .and_then(|stem| stem.to_str())
            .and_then(|stem| stem.trim_start_matches("bot-").parse::<u32>().ok())
    });
    logs.first()
        .map(|path| std::fs::read_to_string(path).unwrap_or_default())
        .unwrap_or_default()
}

/// Prints how many log lines carry one of `levels`, grouped by their message (the line without
/// its timestamp, cut before the first `field=value`).
fn report_warnings(name: &str, log: &str, levels: &[&str]) {
    let mut groups: Vec<(String, usize)> = Vec::new();
    let mut total = 0;
    for line in log.lines() {
        let Some(level) = levels.iter().find_map(|level| line.find(level)) else {
            continue;
        };
        total += 1;
        let message: Vec<&str> = line[level..]
            .split_whitespace()
            .take_while(|word| {
                !word
                    .split_once('=')
                    .is_some_and(|(key, _)| key.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            })
            .collect();
        let message: String = message.join(" ").chars().take(200).collect();
        match groups.iter_mut().find(|(known, _)| *known == message) {
            Some((_, count)) => *count += 1,
            None => groups.push((message, 1)),
        }
    }
    println!("{name} log: {total} warning or error lines");
    for (message, count) in groups {
        println!("  {count} × {message}");
    }
}
