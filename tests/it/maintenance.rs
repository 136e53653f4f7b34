//! Operating the bot, end to end against a real Synapse: `convene doctor` judging the bot's
//! rooms with its stored session (and never a new device), `convene backup` taken while the bot
//! runs and restored into a fresh directory.

use std::path::Path;
use std::process::{Command, Output};

use matrix_sdk::ruma::events::StateEventType;
use matrix_sdk::ruma::events::room::power_levels::RoomPowerLevelsEventContent;
use matrix_sdk::ruma::{Int, OwnedUserId, UserId};

use crate::support::bot::BotHome;
use crate::support::member::Member;
use crate::support::network::{RoomSpec, TestNetwork};
use crate::support::synapse::Synapse;

const BOT_PASSWORD: &str = "bot-secret-password";

fn user(id: &str) -> OwnedUserId {
    UserId::parse(id).unwrap()
}

fn convene(args: &[&str], config: &Path, extra: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_convene"))
        .args(args)
        .arg("--config")
        .arg(config)
        .args(extra)
        .env("RUST_LOG", "warn,convene=info")
        .output()
        .unwrap()
}

/// The ids of every device of the user whose access token is `token` (`GET /devices`): devices
/// with or without encryption keys.
async fn devices(synapse: &Synapse, token: &str) -> Vec<String> {
    let body = reqwest::Client::new()
        .get(format!("{}/_matrix/client/v3/devices", synapse.client_url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value: serde_json::Value = serde_json::from_str(&body).unwrap();
    let mut ids: Vec<String> = value["devices"]
        .as_array()
        .unwrap_or_else(|| panic!("no device list: {body}"))
        .iter()
        .map(|device| device["device_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

/// The device id in the bot's `session.json`.
fn stored_device(data_dir: &Path) -> String {
    let session: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data_dir.join("session.json")).unwrap()).unwrap();
    session["matrix"]["device_id"].as_str().unwrap().to_owned()
}

/// The bot joins three rooms and is stopped. `convene doctor` refuses while the bot runs; once
/// it is stopped, it restores the stored session, sees the power levels changed meanwhile (the
/// bot may not pin in Mayen-Koblenz) and reports each room, and the calendar feed through its
/// public address, exiting 0 with warnings; a configured room the bot is not in makes it exit
/// 1. The session's device stays the same and the bot's account gets no new device.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_reports_every_room_with_the_stored_session_and_creates_no_device() {
    let port = crate::support::free_port();
    let network = TestNetwork::setup()
        .organizers_room(RoomSpec::new("IKONE DS – Organisation", "orga", false))
        .member(RoomSpec::new("Kaiserslautern", "kaiserslautern", true))
        .member(RoomSpec::new("Mayen-Koblenz", "mayen-koblenz", false))
        .without_listen()
        .extend_base(&format!(
            "calendar:\n  contact: info@ikone-ds.example\n  listen: 127.0.0.1:{port}\n"
        ))
        .create()
        .await;
    let mut bot = network.start_bot().await;
    let device = bot.ready().await;
    let TestNetwork {
        synapse,
        home,
        organizer,
        bot_id,
        bot_account,
        rooms,
        ..
    } = network;
    let [orga, kl, mk] = rooms.as_slice() else {
        panic!("three rooms");
    };

    // Beside the running bot, the doctor would share its device: refused.
    let beside = convene(&["doctor"], &home.config_path(), &[]);
    let stderr = String::from_utf8_lossy(&beside.stderr);
    assert_eq!(beside.status.code(), Some(2), "{stderr}");
    let refusal = format!(
        "convene doctor: another convene process (the running bot, or `convene doctor`) is using this data directory ({} is locked); stop it first: two processes on one device break its encryption sessions",
        home.data_dir().join("convene.lock").display()
    );
    assert_eq!(stderr.lines().last(), Some(refusal.as_str()), "{stderr}");
    assert!(bot.terminate().await.success());
    let devices_before = devices(&synapse, &bot_account.access_token).await;
    assert!(devices_before.contains(&device), "{devices_before:?}");

    // While the bot is away: it may pin in Kaiserslautern, and in Mayen-Koblenz pinning needs
    // more than it has.
    kl.update_power_levels(vec![(&*bot_id, Int::from(50_u8))])
        .await
        .unwrap();
    let mut levels = mk.power_levels().await.unwrap();
    levels
        .events
        .insert(StateEventType::RoomPinnedEvents.into(), Int::from(100_u8));
    mk.send_state_event(RoomPowerLevelsEventContent::try_from(levels).unwrap())
        .await
        .unwrap();

    // An invitation that arrives while the bot is away is seen by the doctor's sync, and still
    // handed to the bot when it starts.
    let invited = organizer
        .create_room("Arbeitsgruppe", false, &[&bot_id])
        .await;

    let output = convene(&["doctor"], &home.config_path(), &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    let server = &synapse.server_name;
    let (orga_id, kl_id, mk_id) = (orga.room_id(), kl.room_id(), mk.room_id());
    assert_eq!(
        stdout,
        format!(
            "\
STATUS  SUBJECT           CHECK       DETAIL
OK      bot               session     {bot_id}, device {device}, restored from the data directory (no new device)
OK      organizers' room  membership  #orga:{server} ({orga_id}): joined, 2 members
OK      organizers' room  encryption  not encrypted
OK      organizers' room  send        the bot's power level 0, sending (m.room.message) needs 0
WARN    organizers' room  pin         the bot's power level 0, pinning (m.room.pinned_events) needs 50; announcements are not pinned: raise its power level to 50
OK      Kaiserslautern    membership  #kaiserslautern:{server} ({kl_id}): joined, 2 members
OK      Kaiserslautern    encryption  encrypted
OK      Kaiserslautern    send        the bot's power level 50, sending (m.room.encrypted) needs 0
OK      Kaiserslautern    pin         the bot's power level 50, pinning (m.room.pinned_events) needs 50
OK      Mayen-Koblenz     membership  #mayen-koblenz:{server} ({mk_id}): joined, 2 members
OK      Mayen-Koblenz     encryption  not encrypted
OK      Mayen-Koblenz     send        the bot's power level 0, sending (m.room.message) needs 0
WARN    Mayen-Koblenz     pin         the bot's power level 0, pinning (m.room.pinned_events) needs 100; announcements are not pinned: raise its power level to 100
OK      calendar feed     reachable   http://127.0.0.1:{port}/healthz answered 200 (the doctor listened on 127.0.0.1:{port} for the check)
no blocking problems, 2 warnings
"
        ),
        "{stderr}"
    );

    // A configured room the bot was never invited to is blocking.
    let bitburg = organizer
        .create_room_with_alias("Bitburg-Prüm", Some("bitburg"), false, &[])
        .await;
    let mk_member = format!("      room: \"#mayen-koblenz:{server}\"\n");
    let base = home.base_config();
    assert!(base.contains(&mk_member), "{base}");
    home.configure(
        &base.replace(
            &mk_member,
            &format!("{mk_member}    - name: Bitburg-Prüm\n      room: \"#bitburg:{server}\"\n"),
        ),
        "",
    );
    let output = convene(&["doctor"], &home.config_path(), &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let tail: Vec<&str> = stdout.lines().rev().take(3).collect();
    assert_eq!(
        tail,
        [
            "1 blocking problem, 2 warnings",
            &format!(
                "OK      calendar feed     reachable   http://127.0.0.1:{port}/healthz answered 200 (the doctor listened on 127.0.0.1:{port} for the check)"
            ),
            &format!(
                "FAIL    Bitburg-Prüm      membership  #bitburg:{server} ({}): the bot is not in this room and not invited; invite it, then start the bot",
                bitburg.room_id()
            ),
        ]
    );

    let mut bot = home.start();
    assert_eq!(bot.ready().await, device);
    organizer.wait_for_join(&invited, &bot_id).await;
    assert!(bot.terminate().await.success());

    // The same device throughout, and no new one on the account.
    assert_eq!(stored_device(&home.data_dir()), device);
    assert_eq!(
        devices(&synapse, &bot_account.access_token).await,
        devices_before
    );
}

/// A backup taken while the bot runs in an encrypted room, restored into a fresh data directory
/// (another configuration, another directory): the bot comes back as the same device without
/// logging in, answers in the encrypted room, and its restored keys still decrypt a message
/// sent before the backup.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_the_bot_runs_restores_the_same_device_with_its_keys() {
    let synapse = Synapse::start();
    let bot_account = synapse.register("convene", BOT_PASSWORD, true);
    let anna_account = synapse.register("anna", "anna-password", true);
    let bot_id = user(&bot_account.user_id);
    let new_home = || {
        BotHome::new(
            &synapse,
            &bot_account.user_id,
            BOT_PASSWORD,
            &[synapse.user_id("organizer")],
            std::slice::from_ref(&synapse.server_name),
        )
    };
    let home = new_home();
    let mut bot = home.start();
    let device = bot.ready().await;

    let anna = Member::connect(&synapse, &anna_account).await;
    let encrypted = anna
        .create_room("Kaiserslautern (verschlüsselt)", true, &[&bot_id])
        .await;
    anna.wait_for_join(&encrypted, &bot_id).await;
    let before = anna.say(&encrypted, "!ping").await;
    let pong = anna.reply_to(&bot_id, &before).await;
    assert!(pong.encrypted && pong.body.starts_with("Pong"), "{pong:?}");
    let devices_before = devices(&synapse, &bot_account.access_token).await;

    let backups = tempfile::tempdir().unwrap();
    let dest = backups.path().join("convene-backup");
    let output = convene(&["backup"], &home.config_path(), &[&dest]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The bot's files as they are after a run: every database, the session; the crypto store
    // last.
    let databases: Vec<&str> = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("database  "))
        .collect();
    assert_eq!(databases.first(), Some(&"convene.sqlite3"), "{stdout}");
    assert_eq!(
        databases.last(),
        Some(&"matrix/matrix-sdk-crypto.sqlite3"),
        "{stdout}"
    );
    for store in ["state", "event-cache", "media"] {
        let name = format!("matrix/matrix-sdk-{store}.sqlite3");
        assert!(databases.contains(&name.as_str()), "{stdout}");
    }
    assert!(stdout.contains("\nfile      session.json\n"), "{stdout}");
    assert!(
        stdout.ends_with(&format!(
            "backed up {} to {}\n",
            home.data_dir().display(),
            dest.display()
        )),
        "{stdout}"
    );
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
    }
    // Never over an earlier backup.
    let again = convene(&["backup"], &home.config_path(), &[&dest]);
    assert_eq!(
        String::from_utf8_lossy(&again.stderr),
        format!(
            "convene backup: {} exists and is not an empty directory; a backup never overwrites: name a new one\n",
            dest.display()
        )
    );
    assert!(bot.terminate().await.success());

    // Restore: the backup becomes the data directory of another installation.
    let restored = new_home();
    std::fs::rename(&dest, restored.data_dir()).unwrap();
    let mut bot = restored.start();
    assert_eq!(
        bot.ready().await,
        device,
        "the restored bot is another device"
    );
    let log = bot.log();
    assert!(log.contains("new_device=false"), "{log}");
    assert!(!log.contains("logging in for the first time"), "{log}");
    let after = anna.say(&encrypted, "!ping").await;
    let pong = anna.reply_to(&bot_id, &after).await;
    assert!(pong.encrypted && pong.body.starts_with("Pong"), "{pong:?}");
    assert!(bot.terminate().await.success());
    assert_eq!(
        devices(&synapse, &bot_account.access_token).await,
        devices_before
    );

    // The restored keys decrypt the message sent before the backup, as the bot's device.
    let config = convene::config::Config::load(&restored.config_path()).unwrap();
    let connected = convene::bot::session::restore(&config).await.unwrap();
    let room = connected.client.get_room(encrypted.room_id()).unwrap();
    let event = room.event(&before, None).await.unwrap();
    assert!(event.encryption_info().is_some(), "{event:?}");
    let body = event
        .raw()
        .get_field::<serde_json::Value>("content")
        .unwrap()
        .unwrap();
    assert_eq!(body["body"], "!ping");
}
