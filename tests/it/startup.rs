//! Start-up without a homeserver: what happens before the bot talks to anyone — the data
//! directory's mode, and a broken database stopping the bot before it logs in.

use std::os::unix::fs::PermissionsExt as _;
use std::process::Command;

/// A configuration whose homeserver does not exist (port 9 on loopback refuses), so any login
/// attempt would fail and show in the output.
fn config(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("convene.yaml");
    std::fs::write(
        &path,
        "homeserver: http://127.0.0.1:9
bot:
  user_id: \"@convene:localhost\"
  password: { env: CONVENE_TEST_PASSWORD }
data_dir: data
network:
  name: IKONE DS
  organizers: [\"@orga:localhost\"]
  organizers_room: \"#orga:localhost\"
  members:
    - name: Kaiserslautern
      room: \"#kl:localhost\"
accept_invites_from: [localhost]
calendar:
  contact: info@example.org
  listen: 127.0.0.1:9
  public_url: http://127.0.0.1:9/
",
    )
    .unwrap();
    path
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
        .env("CONVENE_TEST_PASSWORD", "secret")
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
