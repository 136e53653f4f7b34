//! The Debian package's files agree with each other and with the bot: the packaged
//! configuration (`packaging/convene.yaml`) is valid and names the paths that the systemd unit
//! (`packaging/convene.service`), the tmpfiles.d file and the package's assets provide. Building
//! the package itself (`scripts/package`) needs a release build, which CI does not make; these
//! checks catch a path that drifts in one file and not in the others.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use convene::config::{Config, SecretSource};

/// The `Key=value` lines of the unit's `[Service]` section (a key given twice keeps both).
fn service_settings() -> BTreeMap<String, Vec<String>> {
    let unit = std::fs::read_to_string("packaging/convene.service").unwrap();
    let mut settings: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut in_service = false;
    for line in unit.lines().map(str::trim) {
        if line.starts_with('[') {
            in_service = line == "[Service]";
        } else if in_service
            && !line.starts_with('#')
            && let Some((key, value)) = line.split_once('=')
        {
            settings
                .entry(key.to_owned())
                .or_default()
                .push(value.to_owned());
        }
    }
    settings
}

fn one(settings: &BTreeMap<String, Vec<String>>, key: &str) -> String {
    match settings.get(key).map(Vec::as_slice) {
        Some([value]) => value.clone(),
        other => panic!("{key}= should be set once, is {other:?}"),
    }
}

#[test]
fn the_packaged_configuration_is_valid_and_names_the_service_paths() {
    let config = Config::load(Path::new("packaging/convene.yaml")).unwrap();
    assert_eq!(config.data_dir, PathBuf::from("/var/lib/convene"));
    assert_eq!(
        config.agendas_dir,
        Some(PathBuf::from("/etc/convene/agendas"))
    );
    assert_eq!(
        config.bot.password,
        SecretSource::File(PathBuf::from("/run/credentials/convene.service/password"))
    );
}

#[test]
fn the_unit_hands_the_bot_what_the_packaged_configuration_names() {
    let settings = service_settings();
    let config = Config::load(Path::new("packaging/convene.yaml")).unwrap();

    // systemd puts credential NAME of convene.service at /run/credentials/convene.service/NAME.
    let credential = one(&settings, "LoadCredential");
    let (name, source) = credential.split_once(':').unwrap();
    assert_eq!(source, "/etc/convene/password");
    assert_eq!(
        config.bot.password,
        SecretSource::File(Path::new("/run/credentials/convene.service").join(name))
    );

    // The data directory is the unit's state directory, private to the bot.
    assert_eq!(
        Path::new("/var/lib").join(one(&settings, "StateDirectory")),
        config.data_dir
    );
    assert_eq!(one(&settings, "StateDirectoryMode"), "0700");
    // Configuration and agendas are under the configuration directory, read-only for the bot.
    let etc = Path::new("/etc").join(one(&settings, "ConfigurationDirectory"));
    assert!(config.agendas_dir.unwrap().starts_with(&etc));
    assert_eq!(one(&settings, "ProtectSystem"), "strict");

    assert_eq!(
        one(&settings, "ExecStart"),
        "/usr/bin/convene run --config /etc/convene/convene.yaml"
    );
    assert_eq!(one(&settings, "User"), "convene");
}

#[test]
fn the_package_installs_the_files_the_unit_and_the_configuration_name() {
    let manifest = std::fs::read_to_string("Cargo.toml").unwrap();
    for asset in [
        r#"["target/release/convene", "usr/bin/", "755"]"#,
        r#"["packaging/convene.yaml", "etc/convene/convene.yaml", "644"]"#,
    ] {
        assert!(
            manifest.contains(asset),
            "Cargo.toml lacks the asset {asset}"
        );
    }
    assert!(manifest.contains(r#"conf-files = ["/etc/convene/convene.yaml"]"#));

    let sysusers = std::fs::read_to_string("packaging/convene.sysusers").unwrap();
    assert!(
        sysusers
            .lines()
            .any(|l| l.starts_with("u convene - ") && l.ends_with(" /var/lib/convene"))
    );
    let tmpfiles = std::fs::read_to_string("packaging/convene.tmpfile").unwrap();
    let lines: Vec<&str> = tmpfiles.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        lines,
        [
            "d /var/lib/convene 0700 convene convene -",
            "d /etc/convene/agendas 0755 root root -",
        ]
    );
}
