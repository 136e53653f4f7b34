//! Start-up without a homeserver: what happens before the bot talks to anyone — the data
//! directory's mode, a broken or too new database stopping the bot (and the backup) before it
//! logs in, and the doctor refusing to run without a stored session — and `convene backup`'s
//! destination, which needs no homeserver either; last, TLS to a homeserver.

use std::os::unix::fs::PermissionsExt as _;
use std::process::Command;

use crate::support::config::{PASSWORD_ENV, TestConfig};

/// A configuration whose homeserver does not exist (port 9 on loopback refuses), so any login
/// attempt would fail and show in the output.
fn config(dir: &std::path::Path) -> std::path::PathBuf {
    TestConfig::minimal()
        .homeserver("http://127.0.0.1:9")
        .accept_invites_from(&["localhost"])
        .with("calendar:\n  contact: info@example.org\n  listen: 127.0.0.1:9\n  public_url: http://127.0.0.1:9/\n")
        .write(dir)
}

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn every_command_keeps_the_data_directory_private() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let data = dir.path().join("data");
    // Created by `convene ics`: 0700.
    let output = Command::new(env!("CARGO_BIN_EXE_convene"))
        .args(["ics", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(mode(&data), 0o700);
    // Opened up by hand (or restored from a backup): tightened again.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_convene"))
        .args(["ics", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(mode(&data), 0o700);
    // `convene links` too (then says that the room's alias needs the stored session, which
    // there is none of: it never logs in).
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_convene"))
        .args(["links", "--config"])
        .arg(&config)
        .env(PASSWORD_ENV, "secret")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!(
            "convene links: Kaiserslautern (#kl:localhost): cannot resolve the room alias: there is no stored session ({}/session.json does not exist): start the bot once with `convene run`, so that it logs in and creates its device\n",
            data.display()
        )
    );
    assert_eq!(mode(&data), 0o700);
    assert!(!data.join("session.json").exists());
}

/// A shared directory named as the data directory (`/tmp` here, in the small: mode 1777) is
/// refused by every command that would make it private, and keeps its mode and sticky bit.
#[test]
fn a_shared_directory_is_refused_as_the_data_directory_and_keeps_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o1777)).unwrap();
    std::fs::write(data.join("someone-elses-file"), "").unwrap();
    let refusal = format!(
        "the data directory {} is shared with other users (mode 1777: the sticky bit is set, as on /tmp); convene does not change the mode of a shared directory: set `data_dir` to a directory of its own, such as /var/lib/convene",
        data.display()
    );
    for (command, stderr_says) in [
        ("ics", format!("cannot render the calendar: {refusal}\n")),
        (
            "links",
            format!("convene links: cannot open the database: {refusal}\n"),
        ),
        ("feed", refusal.clone()),
        ("run", refusal.clone()),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_convene"))
            .args([command, "--config"])
            .arg(&config)
            .env(PASSWORD_ENV, "secret")
            .env("RUST_LOG", "warn,convene=info")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{command}: {stderr}");
        if command == "ics" || command == "links" {
            assert_eq!(stderr, stderr_says, "{command}");
        } else {
            assert!(stderr.contains(&stderr_says), "{command}: {stderr}");
        }
        let mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o1777, "{command}");
        assert!(!data.join("convene.sqlite3").exists(), "{command}");
    }
}

#[test]
fn a_corrupt_database_stops_the_bot_before_it_logs_in() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        data.join("convene.sqlite3"),
        b"this is not a database, but long enough to look like one to nobody",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_convene"))
        .args(["run", "--config"])
        .arg(&config)
        .env(PASSWORD_ENV, "secret")
        .env("RUST_LOG", "warn,convene=info")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("cannot open the database"), "{stderr}");
    // It never got as far as the homeserver: no login was tried, no session or crypto store.
    assert!(!stderr.contains("127.0.0.1:9"), "{stderr}");
    assert!(!data.join("session.json").exists());
    assert!(!data.join("matrix").exists());
    assert_eq!(mode(&data), 0o700);
}

#[test]
fn the_doctor_without_a_stored_session_never_logs_in_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let data = dir.path().join("data");
    let output = Command::new(env!("CARGO_BIN_EXE_convene"))
        .args(["doctor", "--config"])
        .arg(&config)
        .env(PASSWORD_ENV, "secret")
        .env("RUST_LOG", "warn,convene=info")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(
        stderr,
        format!(
            "convene doctor: there is no stored session ({}/session.json does not exist): start the bot once with `convene run`, so that it logs in and creates its device\n",
            data.display()
        )
    );
    assert!(output.stdout.is_empty());
    assert!(!data.exists());
}

#[test]
fn a_database_from_a_newer_convene_stops_the_bot_and_the_backup() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let database = data.join("convene.sqlite3");
    drop(convene::store::Store::open(&database).unwrap());
    let newer = convene::store::SCHEMA_VERSION + 1;
    rusqlite::Connection::open(&database)
        .unwrap()
        .pragma_update(None, "user_version", newer)
        .unwrap();
    let refusal = format!(
        "the database has schema version {newer}, but this convene knows only versions up to {}: it was written by a newer convene; run that version (or a newer one), or restore a backup made before the upgrade",
        convene::store::SCHEMA_VERSION
    );

    let output = Command::new(env!("CARGO_BIN_EXE_convene"))
        .args(["run", "--config"])
        .arg(&config)
        .env(PASSWORD_ENV, "secret")
        .env("RUST_LOG", "warn,convene=info")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot open the database: {refusal}")),
        "{stderr}"
    );
    assert!(!data.join("session.json").exists());

    let dest = dir.path().join("backup");
    let output = Command::new(env!("CARGO_BIN_EXE_convene"))
        .args(["backup", "--config"])
        .arg(&config)
        .arg(&dest)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!(
            "convene backup: cannot back up {}: {refusal}\n",
            database.display()
        )
    );
    assert!(!dest.exists());
}

/// Runs `convene <command>` and waits at most `within` for it to end (killing it otherwise, and
/// failing): a command that hangs on a file is the defect.
fn run_within(
    command: &str,
    config: &std::path::Path,
    within: std::time::Duration,
) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_convene"))
        .args([command, "--config"])
        .arg(config)
        .env(PASSWORD_ENV, "secret")
        .env("RUST_LOG", "warn,convene=info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + within;
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("`convene {command}` still runs after {within:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// `session.json` is read through the data directory's guards: as a named pipe it is refused at
/// once (instead of `run` and `doctor` waiting for a writer forever), and as a link to
/// `/dev/zero` (or anything else outside the data directory) it is refused instead of read
/// until memory runs out. Neither logs in.
#[test]
fn a_session_file_that_is_no_regular_file_inside_the_data_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o700)).unwrap();
    let session = data.join("session.json");
    let within = std::time::Duration::from_secs(20);

    // Both `doctor` and `run` refuse the session file with `message`, before any login.
    let refused_by_both = |message: &str| {
        let doctor = run_within("doctor", &config, within);
        assert_eq!(doctor.status.code(), Some(2));
        assert_eq!(
            String::from_utf8_lossy(&doctor.stderr),
            format!("convene doctor: {message}\n")
        );
        let run = run_within("run", &config, within);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success(), "{stderr}");
        assert!(stderr.contains(message), "{stderr}");
        assert!(!stderr.contains("logging in"), "{stderr}");
    };

    let status = Command::new("mkfifo").arg(&session).status().unwrap();
    assert!(status.success());
    let fifo = format!(
        "cannot read {}: it is a named pipe (FIFO), not a regular file",
        session.display()
    );
    refused_by_both(&fifo);

    std::fs::remove_file(&session).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &session).unwrap();
    let outside = format!(
        "cannot read {}: it leads out of the data directory",
        session.display()
    );
    refused_by_both(&outside);
}

/// `convene backup … 'file:bk/x'` (relative, as typed in a shell): refused with the reason and a
/// non-zero exit, and nothing is written — not the 0-byte databases in DEST with the real copies
/// (the crypto store among them) somewhere SQLite chose. `bk/x?mode=ro` is a plain path: the
/// backup lands there, whole and private.
#[test]
fn a_backup_destination_is_a_plain_path_never_an_sqlite_uri() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let data = dir.path().join("data");
    std::fs::create_dir_all(data.join("matrix")).unwrap();
    drop(convene::store::Store::open(&data.join("convene.sqlite3")).unwrap());
    let crypto = rusqlite::Connection::open(data.join("matrix/matrix-sdk-crypto.sqlite3")).unwrap();
    crypto
        .execute_batch("CREATE TABLE keys (key TEXT); INSERT INTO keys VALUES ('device key');")
        .unwrap();
    drop(crypto);
    std::fs::write(data.join("session.json"), "{}").unwrap();
    let entries = |path: &std::path::Path| {
        let mut names: Vec<String> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    let backup = |dest: &str| {
        Command::new(env!("CARGO_BIN_EXE_convene"))
            .current_dir(dir.path())
            .args(["backup", "--config"])
            .arg(&config)
            .arg(dest)
            .output()
            .unwrap()
    };

    let output = backup("file:bk/x");
    assert!(!output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "convene backup: file:bk/x is an SQLite URI, not a path: the backup goes to a directory, named by a plain path; write it without `file:`\n"
    );
    assert!(output.stdout.is_empty());
    assert_eq!(entries(dir.path()), ["convene.yaml", "data"]);

    let output = backup("bk/x?mode=ro");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(entries(dir.path()), ["bk", "convene.yaml", "data"]);
    let dest = dir.path().join("bk/x?mode=ro");
    assert_eq!(
        entries(&dest),
        ["convene.sqlite3", "matrix", "session.json"]
    );
    let key: String = rusqlite::Connection::open(dest.join("matrix/matrix-sdk-crypto.sqlite3"))
        .unwrap()
        .query_row("SELECT key FROM keys", [], |row| row.get(0))
        .unwrap();
    assert_eq!(key, "device key");
    for (path, expected) in [
        ("bk", 0o700),
        ("bk/x?mode=ro", 0o700),
        ("bk/x?mode=ro/matrix", 0o700),
        ("bk/x?mode=ro/convene.sqlite3", 0o600),
        ("bk/x?mode=ro/matrix/matrix-sdk-crypto.sqlite3", 0o600),
        ("bk/x?mode=ro/session.json", 0o600),
    ] {
        assert_eq!(mode(&dir.path().join(path)), expected, "{path}");
    }
}

/// TLS to the homeserver works: against an `https://` homeserver whose certificate nobody
/// signed (a federating Synapse's TLS listener), the bot gets as far as the certificate check
/// and says that is what failed. (matrix-sdk 0.19 builds its HTTP client without a TLS crypto
/// provider unless a feature names one: without `rustls-aws-lc-rs` the bot panicked with
/// "No rustls crypto provider is configured" — checked by building without it.)
#[test]
fn an_https_homeserver_is_reached_and_its_certificate_checked() {
    let synapse = crate::support::synapse::Synapse::start_federating();
    let tls_port = synapse.server_name.rsplit(':').next().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let path = config(dir.path());
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "homeserver: http://127.0.0.1:9",
        &format!("homeserver: https://127.0.0.1:{tls_port}"),
    );
    std::fs::write(&path, text).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_convene"))
        .args(["run", "--config"])
        .arg(&path)
        .env(PASSWORD_ENV, "secret")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("certificate"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// `convene agenda export DATE` finds a workshop whose date the members' poll decided: it read
/// the schedule without the decisions in the database and answered "no meeting on DATE".
#[test]
fn agenda_export_finds_a_workshop_whose_date_poll_was_decided() {
    use convene::store::{PollDecision, PollRow, Store};

    let dir = tempfile::tempdir().unwrap();
    let path = config(dir.path());
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}agendas_dir: agendas\n")).unwrap();
    std::fs::create_dir(dir.path().join("agendas")).unwrap();
    std::fs::write(
        dir.path().join("agendas/smart-city.yaml"),
        crate::support::meeting::poll_workshop("smart-city", "Bewerbung Smart City"),
    )
    .unwrap();
    let network = convene::network::Network::load(&path).unwrap();
    let draft = &network.agendas.polls[0];
    let slots: Vec<_> = draft.slots.iter().map(|slot| slot.instants()).collect();
    let (start, end) = slots[1];
    convene::data_dir::prepare(&network.config.data_dir).unwrap();
    let store = Store::open(&network.config.data_dir.join("convene.sqlite3")).unwrap();
    let now = chrono::Utc::now();
    store
        .open_poll(&PollRow {
            key: draft.id.clone(),
            title: draft.title.clone(),
            slots,
            rooms: vec![("!kl:localhost".to_owned(), "Kaiserslautern".to_owned())],
            decide_by: draft.decide_by,
            created_at: now,
            decision: None,
            ended_at: None,
        })
        .unwrap();
    let decision = PollDecision {
        slot: Some(1),
        start,
        end,
        by: "@orga:localhost".to_owned(),
        at: now,
    };
    assert!(store.decide_poll(&draft.id, &decision).unwrap());
    drop(store);

    let date = draft.slots[1].start.date_naive().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_convene"))
        .args(["agenda", "export", &date, "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
