//! What an operator sees of a running bot from outside: `/healthz`, `/metrics` (parsed by the
//! Prometheus project's own OpenMetrics parser, from its Python client) and a log at the
//! default level that holds no warning or error in a healthy run; and a start with a broken
//! file, on the last good version.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use matrix_sdk::ruma::UserId;

use crate::support::bot::BotProcess;
use crate::support::meeting::{due_in, series};
use crate::support::member::{Member, Received};
use crate::support::network::{RoomSpec, TestNetwork};
use crate::support::synapse;

/// GET `url`: status and body.
async fn get(url: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .get(url)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// The samples of an OpenMetrics text, as the Prometheus client's own parser reads it:
/// `name{label="value",…}` (labels sorted) → value. The parser rejects malformed text.
fn parse_metrics(text: &str) -> BTreeMap<String, f64> {
    const PARSE: &str = r#"
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
samples = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
        samples[f"{s.name}{{{labels}}}" if labels else s.name] = s.value
print(json.dumps(samples))
"#;
    let mut child = Command::new(synapse::venv_python())
        .args(["-c", PARSE])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "the OpenMetrics parser refused the text:\n{}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The log lines at WARN or ERROR.
fn warnings(bot: &BotProcess) -> Vec<String> {
    bot.log()
        .lines()
        .filter(|line| line.contains(" WARN ") || line.contains(" ERROR "))
        .map(str::to_owned)
        .collect()
}

/// A healthy run as an operator meets it — start, an announcement to two encrypted rooms,
/// commands, a restart — leaves no WARN or ERROR at the default log level; `/healthz` is 200
/// while the bot syncs and 503 with the reason once its homeserver is gone; `/metrics` counts
/// the deliveries and commands and parses as OpenMetrics.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_metrics_and_a_quiet_log_in_a_healthy_run() {
    let network = TestNetwork::setup()
        .member(RoomSpec::new("Kaiserslautern", "kaiserslautern", true))
        .create()
        .await;
    // The announcement (7 days before) falls due while the test watches.
    let (start, _) = due_in(15);
    network.home.configure(
        &network.home.base_config(),
        &format!(
            "meetings:\n  reminders: [7d]\n  series:\n{}      video_link: https://meet.example.org/ikone\n",
            series("videokonferenz", "Videokonferenz", start)
        ),
    );

    let bot = network.home.start_at_default_log_level();
    let bot = network.joined(bot, Duration::from_secs(60)).await;
    let TestNetwork {
        synapse,
        home,
        organizer,
        bot_id,
        rooms,
        ..
    } = network;
    let base = format!("http://{}", bot.http_address().await);
    assert_eq!(
        get(&format!("{base}/healthz")).await,
        (200, "ok\n".to_owned())
    );

    let ping = organizer.say(&rooms[1], "!ping").await;
    organizer.reply_to(&bot_id, &ping).await;
    let unknown = organizer.say(&rooms[1], "!frobnicate").await;
    organizer.reply_to(&bot_id, &unknown).await;
    let is_announcement = |m: &Received| m.sender == bot_id && m.body.starts_with("Einladung:");
    for room in &rooms {
        let room_id = room.room_id().to_owned();
        organizer
            .wait_for("the announcement in every room", |m| {
                is_announcement(m) && m.room_id == room_id
            })
            .await;
    }
    organizer
        .wait_for("the delivery summary", |m| {
            m.sender == bot_id && m.body.starts_with("Einladung „Videokonferenz“")
        })
        .await;

    let (status, text) = get(&format!("{base}/metrics")).await;
    assert_eq!(status, 200);
    let samples = parse_metrics(&text);
    let sample = |key: &str| {
        samples
            .get(key)
            .copied()
            .unwrap_or_else(|| panic!("{key} missing in\n{text}"))
    };
    assert_eq!(
        sample(r#"convene_deliveries_total{outcome="sent",part="message",post="announcement"}"#),
        2.0
    );
    assert_eq!(
        sample(r#"convene_deliveries_total{outcome="sent",part="file",post="announcement"}"#),
        2.0
    );
    assert_eq!(
        sample(r#"convene_commands_total{command="ping",outcome="ok"}"#),
        1.0
    );
    assert_eq!(
        sample(r#"convene_commands_total{command="unknown",outcome="invalid"}"#),
        1.0
    );
    assert!(sample("convene_fan_out_duration_seconds_count") >= 1.0);
    assert!(sample("convene_since_last_sync_seconds") < 60.0);
    assert_eq!(sample("convene_reload_failures_total"), 0.0);

    // A restart is quiet too, and the new process is healthy again.
    let first_run = warnings(&bot);
    let first_log = bot.log();
    let status = bot.terminate().await;
    assert!(status.success(), "{status}");
    let mut bot = home.start_at_default_log_level();
    bot.ready().await;
    let base = format!("http://{}", bot.http_address().await);
    let ping = organizer.say(&rooms[1], "!ping").await;
    organizer.reply_to(&bot_id, &ping).await;
    assert_eq!(
        get(&format!("{base}/healthz")).await,
        (200, "ok\n".to_owned())
    );
    assert_eq!(first_run, Vec::<String>::new(), "{first_log}");
    assert_eq!(warnings(&bot), Vec::<String>::new(), "{}", bot.log());

    // Without its homeserver the bot is alive but useless, and says so.
    drop(organizer);
    drop(synapse);
    let unhealthy = crate::support::eventually_async(
        "/healthz to report the lost homeserver",
        Duration::from_secs(60),
        || async {
            let (status, body) = get(&format!("{base}/healthz")).await;
            (status == 503).then_some(body)
        },
    )
    .await;
    assert!(
        unhealthy
            .starts_with("the last sync with the homeserver failed; the last successful one was ")
            && unhealthy.ends_with(" s ago\n"),
        "{unhealthy}"
    );
    // Nothing for strangers: neither the homeserver's address nor the sync position.
    assert!(
        !unhealthy.contains("127.0.0.1")
            && !unhealthy.contains("http")
            && !unhealthy.contains("since"),
        "{unhealthy}"
    );
    // The log has the details.
    assert!(bot.log().contains("sync failed"), "{}", bot.log());
}

/// The log level the README documents for operators: the value after "default:" in the
/// sentence that introduces `RUST_LOG`.
fn documented_log_level() -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let sentence = readme
        .split("`RUST_LOG`")
        .nth(1)
        .expect("the README introduces RUST_LOG");
    let level = sentence
        .split("default: `")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .expect("the README gives RUST_LOG's default as default: `…`");
    level.to_owned()
}

#[test]
fn the_readme_documents_the_default_log_level() {
    assert_eq!(documented_log_level(), convene::DEFAULT_LOG_FILTER);
}

/// How many member rooms the busy run has (with the organizers' room, 40).
const BUSY_MEMBER_ROOMS: usize = 39;

/// A busy healthy run, at the log level the README documents (set explicitly, as an operator
/// following it would): 40 rooms (three in four encrypted), a date poll and an announcement
/// fanned out to all of them, bursts of commands from many rooms at once, and a restart. Not a
/// line at WARN or ERROR — and not because anything is filtered beyond what the README shows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_run_of_40_rooms_logs_no_warning_at_the_documented_level() {
    let level = documented_log_level();
    let network =
        TestNetwork::setup()
            .members((1..=BUSY_MEMBER_ROOMS).map(|i| {
                RoomSpec::new(format!("Gemeinde {i}"), format!("gemeinde-{i}"), i % 4 != 0)
            }))
            .create()
            .await;
    let home = &network.home;
    let agendas = tempfile::tempdir().unwrap();
    std::fs::write(
        agendas.path().join("smart-city.yaml"),
        crate::support::meeting::poll_workshop("smart-city", "Bewerbung Smart City"),
    )
    .unwrap();
    let (start, _) = due_in(40);
    home.configure(
        &home.base_config(),
        &format!(
            "agendas_dir: {}\nmeetings:\n  reminders: [7d]\n  series:\n{}      video_link: https://meet.example.org/ikone\n",
            agendas.path().display(),
            series("videokonferenz", "Videokonferenz", start)
        ),
    );

    let bot = home.start_logging_at(&level);
    let mut bot = network.joined(bot, Duration::from_secs(120)).await;
    let device_id = bot.ready().await;
    let TestNetwork {
        organizer,
        bot_id,
        rooms,
        ..
    } = network;
    // The bot's new device is cross-signed, so clients that hide unverified devices show it.
    organizer
        .client
        .encryption()
        .request_user_identity(&bot_id)
        .await
        .unwrap();
    let device = organizer
        .client
        .encryption()
        .get_device(&bot_id, device_id.as_str().into())
        .await
        .unwrap()
        .expect("the bot's device");
    assert!(device.is_cross_signed_by_owner(), "{device:?}");
    let member_rooms = &rooms[1..];
    for room in member_rooms {
        let room_id = room.room_id().to_owned();
        organizer
            .wait_for("the date poll in every member room", |m| {
                m.sender == bot_id && m.room_id == room_id && m.poll.is_some()
            })
            .await;
    }
    burst(&organizer, &bot_id, &rooms).await;
    for room in &rooms {
        let room_id = room.room_id().to_owned();
        organizer
            .wait_for("the announcement in every room", |m| {
                m.sender == bot_id && m.room_id == room_id && m.body.starts_with("Einladung:")
            })
            .await;
    }
    burst(&organizer, &bot_id, &rooms).await;
    let first_run = warnings(&bot);
    let first_log = bot.log();
    let status = bot.terminate().await;
    assert!(status.success(), "{status}");

    let mut bot = home.start_logging_at(&level);
    bot.ready_within(Duration::from_secs(120)).await;
    burst(&organizer, &bot_id, &rooms).await;
    let vote = organizer.say(&rooms[1], "!vote 1 3").await;
    organizer.reply_to(&bot_id, &vote).await;
    let second_run = warnings(&bot);
    let second_log = bot.log();
    let status = bot.terminate().await;
    assert!(status.success(), "{status}");
    assert_eq!(first_run, Vec::<String>::new(), "{first_log}");
    assert_eq!(second_run, Vec::<String>::new(), "{second_log}");
}

/// A `!ping` in every room at once, then every reply awaited.
async fn burst(organizer: &Member, bot_id: &UserId, rooms: &[matrix_sdk::Room]) {
    let mut asked = Vec::new();
    for room in rooms {
        asked.push(organizer.say(room, "!ping").await);
    }
    for ping in &asked {
        organizer.reply_to(bot_id, ping).await;
    }
}

/// One bad file never keeps the bot down: killed, and restarted with an agenda file broken
/// meanwhile, the bot starts with the last good version it kept, answers, tells the organizers'
/// room once, and reloads (and keeps) the file when it is fixed. The agenda directory is named
/// relative to the configuration, as the kept copy must read it too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_broken_while_the_bot_was_down_leaves_it_running_on_the_last_good_version() {
    let network = TestNetwork::setup()
        .member(RoomSpec::new("Kaiserslautern", "kaiserslautern", false))
        .extend_base("agendas_dir: agendas\n")
        .create()
        .await;
    let agendas = network.home.config_path().parent().unwrap().join("agendas");
    std::fs::create_dir(&agendas).unwrap();
    let agenda_file = agendas.join("workshop.yaml");
    let agenda = |item: &str| {
        format!(
            "meeting:\n  id: workshop\n  title: Workshop\n  date: {}\n  start: \"10:00\"\n  duration: 2h\nitems:\n  - title: {item}\n",
            crate::support::meeting::days_ahead(30)
        )
    };
    std::fs::write(&agenda_file, agenda("Begrüßung")).unwrap();
    let bot = network.start_bot().await;
    let TestNetwork {
        home,
        organizer,
        bot_id,
        rooms,
        ..
    } = &network;
    let orga = &rooms[0];
    let kept = home.data_dir().join("last-good/agendas/workshop.yaml");
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), agenda("Begrüßung"));

    bot.kill();
    std::fs::write(
        &agenda_file,
        format!("{}  - titel: Pause\n", agenda("Begrüßung")),
    )
    .unwrap();
    let mut bot = home.start();
    bot.ready().await;
    assert!(
        bot.log()
            .contains("the files have errors; convene starts with the last good version"),
        "{}",
        bot.log()
    );
    let ping = organizer.say(orga, "!ping").await;
    organizer.reply_to(bot_id, &ping).await;
    let is_report = |m: &Received| {
        m.sender == *bot_id && m.body.starts_with("Eine geänderte Datei enthält Fehler")
    };
    let report = organizer
        .wait_for("the report of the broken file", is_report)
        .await;
    assert_eq!(report.room_id, orga.room_id());
    assert!(
        report.body.contains(
            "agendas/workshop.yaml:9:5: Fehler: items[1].titel: Unbekannter Schlüssel `titel`"
        ),
        "{report:?}"
    );

    std::fs::write(&agenda_file, agenda("Open Data")).unwrap();
    crate::support::eventually("the fixed file kept", Duration::from_secs(30), || {
        (std::fs::read_to_string(&kept).ok()? == agenda("Open Data")).then_some(())
    })
    .await;
    assert!(bot.log().contains("reloaded the configuration and agendas"));
    let reports = organizer.received().into_iter().filter(is_report).count();
    assert_eq!(reports, 1, "{}", bot.log());
}
