//! The last good version of the network's files, kept in the data directory, so that one bad
//! file never keeps the bot down.
//!
//! While the bot runs, a changed file with errors leaves the version in force
//! ([`crate::bot::reload`]). A start had no version in force: after a crash, a reboot or a
//! package upgrade, one typo in one agenda file kept the whole network's bot down. So whenever
//! the files load — at the start of `convene run` and at every hot reload — the bot keeps a copy
//! of them, and `convene run` starts with that copy when the files have errors ([`start`]),
//! saying so in its log and in the organizers' room as a failed reload does, while it watches
//! the real files as ever: once they are fixed, they are reloaded (and kept) like any change.
//! `convene check` and the other commands read only the real files.
//!
//! # What is kept
//!
//! `DATA_DIR/last-good/` holds the files as they were, and nothing else:
//! - `config.yaml`: the configuration's text;
//! - `config-path`: the absolute path it was read from (one line);
//! - `agendas/`: the agenda files ([`agenda::agenda_files`]: every `*.yaml` and `*.yml` of the
//!   agenda directory) under their own names, if the configuration names an agenda directory.
//!
//! The kept configuration is read as if it still were at `config-path`, because a configuration
//! names the data directory, the agenda directory and a password file relative to its own
//! directory (`agendas_dir: ../agendas`): read from `last-good/`, it would look for them there.
//! This way every path means what it meant when the copy was made. Only the agenda files are
//! then read from the copy instead of the directory the configuration names; the network made
//! from the copy still names the organizers' directory, so the file watcher watches the real
//! files, not the copy.
//!
//! No secret is copied: the configuration never holds the password, only where it comes from
//! (`password: { env: … }` or `{ file: … }`), and the copy names the same variable or file, so
//! it works exactly when it works for the real configuration (after the first start the bot
//! restores its stored session and needs no password at all). The data directory never holds a
//! password.
//!
//! Each copy is loaded before it replaces the one before (the files may change while they are
//! copied; a copy that does not load is dropped, and the one before stays). It is written beside
//! it, into `last-good.new/` (files 0600, directories 0700, each file flushed), then the one
//! before is moved to `last-good.old/`, the new one renamed to `last-good/`, and the old one
//! removed. A crash between the two renames leaves only `last-good.old/`, which is then read.
//! Every name is inside the data directory, made anew (never written through a link left at
//! it), and the copy is read only through the data directory's guards
//! ([`files::read_in_data_dir`]: regular files of bounded size, no link out).
//!
//! # When `convene run` falls back
//!
//! Only when the files do not load, the configuration — broken or not — still names the data
//! directory (it reads as YAML with a top-level `data_dir:`, see [`Config::peek_data_dir`]), a
//! copy is kept there, it loads, and it names that same data directory. The data directory is
//! where the bot's session and database are; a configuration that is no YAML at all, or names
//! none, gives no safe way to find them, and one naming another directory than its copy means
//! it was moved or copied by hand: then the bot refuses to start, as it always has, and says
//! why there is no version to fall back on. So does a first start, with nothing kept yet.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::agenda;
use crate::config::Config;
use crate::diagnostic::Diagnostics;
use crate::files::{self, ReadError};
use crate::network::{Fingerprint, Network};

/// The kept copy, in the data directory.
pub const DIR: &str = crate::data_dir::LAST_GOOD;
/// A new copy while it is written.
pub const STAGING: &str = crate::data_dir::LAST_GOOD_STAGING;
/// The copy before, while the new one replaces it.
pub const PREVIOUS: &str = crate::data_dir::LAST_GOOD_PREVIOUS;

/// The configuration's text in the copy.
const CONFIG: &str = "config.yaml";
/// The path the configuration was read from, in the copy.
const CONFIG_PATH: &str = "config-path";
/// The agenda files in the copy.
const AGENDAS: &str = "agendas";
/// The longest `config-path` read: a path of Linux's `PATH_MAX`, and then some.
const PATH_LIMIT: u64 = 8 * 1024;

/// Why the files could not be kept. The bot goes on without a new copy; the one before stays.
#[derive(Debug, thiserror::Error)]
pub enum KeepError {
    /// A file to keep could not be read.
    #[error("cannot read {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: ReadError,
    },
    /// The files changed while they were copied, and the copy has errors.
    #[error("the files changed while they were kept, and the copy has errors:\n{0}")]
    Changed(Diagnostics),
    /// The copy does not load on its own.
    #[error("the copy does not load: {0}")]
    Copy(#[source] LoadError),
    /// The configuration names another data directory than the bot's: the copy would not be
    /// found where it names, nor used where it is.
    #[error(
        "the configuration names the data directory {named}, not {running}, where the bot runs; the files are kept once the bot runs with it"
    )]
    OtherDataDir {
        /// The data directory the configuration names.
        named: PathBuf,
        /// The one the bot runs with.
        running: PathBuf,
    },
    /// The configuration's path is no UTF-8, so it cannot be written into `config-path`.
    #[error("the configuration's path {0} is not UTF-8")]
    PathNotUtf8(PathBuf),
    /// Writing into the data directory failed.
    #[error("cannot write {path}: {error}")]
    Write {
        /// What was being written.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
}

/// Why a kept copy cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// A file of the copy could not be read (or is no regular file inside the data directory).
    #[error("cannot read {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: ReadError,
    },
    /// `config-path` names no absolute path.
    #[error("{0} names no absolute path")]
    NoPath(PathBuf),
    /// The copy has errors (a convene that checks more than the one that kept it).
    #[error("it has errors:\n{0}")]
    Invalid(Diagnostics),
    /// The copy names another data directory than the one it is in.
    #[error("it names the data directory {named}, but it is kept in {kept_in}")]
    OtherDataDir {
        /// The data directory the kept configuration names.
        named: PathBuf,
        /// The one the copy is in.
        kept_in: PathBuf,
    },
}

/// Keeps the configuration at `config_path` and the agenda files it names as the last good
/// version in `data_dir` (the bot's, prepared: see [`crate::data_dir::prepare`]), replacing the
/// one before. Call it after the files loaded; the copy is checked by loading it.
pub fn keep(config_path: &Path, data_dir: &Path) -> Result<(), KeepError> {
    let write_error = |path: &Path| {
        let path = path.to_owned();
        move |error| KeepError::Write { path, error }
    };
    let source = std::path::absolute(config_path).map_err(|error| KeepError::Read {
        path: config_path.to_owned(),
        error: error.into(),
    })?;
    let source_line = match source.to_str() {
        Some(path) => format!("{path}\n"),
        None => return Err(KeepError::PathNotUtf8(source)),
    };
    let text = read_to_keep(&source)?;
    // The agenda directory the configuration names as read now, which may differ from the one
    // loaded a moment ago: the copy is checked as a whole below.
    let config = Config::parse(&source, text.clone()).map_err(KeepError::Changed)?;
    if !same_dir(&config.data_dir, data_dir) {
        return Err(KeepError::OtherDataDir {
            named: config.data_dir,
            running: data_dir.to_owned(),
        });
    }
    let staging = data_dir.join(STAGING);
    remove(&staging).map_err(write_error(&staging))?;
    let staged = stage(&staging, &text, &source_line, config.agendas_dir.as_deref())
        .and_then(|()| read_kept(data_dir, STAGING).map_err(KeepError::Copy));
    if let Err(error) = staged {
        let _ = remove(&staging);
        return Err(error);
    }
    sync_dir(&staging);
    replace(data_dir).map_err(write_error(&data_dir.join(DIR)))
}

/// Writes the copy into `staging`: the configuration's `text`, the `source_line` naming its
/// path, and the files of `agendas_dir`.
fn stage(
    staging: &Path,
    text: &str,
    source_line: &str,
    agendas_dir: Option<&Path>,
) -> Result<(), KeepError> {
    let new_dir =
        |path: PathBuf| private_dir(&path).map_err(|error| KeepError::Write { path, error });
    new_dir(staging.to_owned())?;
    private_file(&staging.join(CONFIG), text)?;
    private_file(&staging.join(CONFIG_PATH), source_line)?;
    if let Some(agendas_dir) = agendas_dir {
        let agendas = staging.join(AGENDAS);
        new_dir(agendas.clone())?;
        for file in agenda::agenda_files(agendas_dir).map_err(KeepError::Changed)? {
            let Some(name) = file.file_name() else {
                continue;
            };
            private_file(&agendas.join(name), &read_to_keep(&file)?)?;
        }
    }
    Ok(())
}

/// The last good version kept in `data_dir`, if there is one.
pub fn load(data_dir: &Path) -> Result<Option<Network>, LoadError> {
    let kept = [DIR, PREVIOUS]
        .into_iter()
        .find(|name| std::fs::symlink_metadata(data_dir.join(name)).is_ok());
    match kept {
        Some(name) => read_kept(data_dir, name).map(Some),
        None => Ok(None),
    }
}

/// What `convene run` starts with.
#[derive(Debug)]
pub struct Startup {
    /// The network: the files' own, or the last good version standing in for them.
    pub network: Network,
    /// The files' errors, when `network` is the last good version: the bot logs them and tells
    /// the organizers' room, as after a failed reload.
    pub errors: Option<Diagnostics>,
    /// The files as they were when loaded: the watcher reloads as soon as they differ, so a fix
    /// made while the bot was still connecting counts too.
    pub seen: Fingerprint,
}

/// Why `convene run` does not start: the files' errors, and why no last good version stands in.
#[derive(Debug, thiserror::Error)]
#[error("{errors}\nno last good version to start with instead: {why}")]
pub struct Refused {
    /// The files' errors.
    pub errors: Diagnostics,
    /// Why there is no version to fall back on.
    pub why: NoFallback,
}

/// Why no last good version can stand in for files with errors.
#[derive(Debug, thiserror::Error)]
pub enum NoFallback {
    /// The configuration names no data directory.
    #[error(
        "the configuration does not name its `data_dir` (it is no YAML, or the key is missing), so the data directory that holds it is unknown"
    )]
    NoDataDir,
    /// None is kept there (a first start).
    #[error("none is kept in {0} yet (convene keeps one at every start and reload without errors)")]
    NoneKept(PathBuf),
    /// The one kept cannot be used.
    #[error("the one kept in {path} cannot be used: {error}")]
    Unusable {
        /// The copy.
        path: PathBuf,
        /// Why.
        error: LoadError,
    },
}

/// Loads the files for `convene run`: the configuration at `config_path` and its agenda files,
/// or, if they have errors, the last good version (see the module docs for when).
pub fn start(config_path: &Path) -> Result<Startup, Refused> {
    let (network, errors) = match Network::load(config_path) {
        Ok(network) => (network, None),
        Err(errors) => match fall_back(config_path) {
            Ok(network) => (network, Some(errors)),
            Err(why) => return Err(Refused { errors, why }),
        },
    };
    let seen = Fingerprint::of(config_path, network.config.agendas_dir.as_deref());
    Ok(Startup {
        network,
        errors,
        seen,
    })
}

/// The last good version for the configuration at `config_path`, which has errors.
fn fall_back(config_path: &Path) -> Result<Network, NoFallback> {
    let data_dir = Config::peek_data_dir(config_path).ok_or(NoFallback::NoDataDir)?;
    match load(&data_dir) {
        Ok(Some(network)) => Ok(network),
        Ok(None) => Err(NoFallback::NoneKept(data_dir.join(DIR))),
        Err(error) => Err(NoFallback::Unusable {
            path: data_dir.join(DIR),
            error,
        }),
    }
}

/// The copy `name` in `data_dir`, loaded: its configuration read as if at its `config-path`,
/// its agenda files from the copy.
fn read_kept(data_dir: &Path, name: &str) -> Result<Network, LoadError> {
    let kept = Path::new(name);
    let read = |file: &str, limit| {
        files::read_in_data_dir(data_dir, &kept.join(file), limit).map_err(|error| {
            LoadError::Read {
                path: data_dir.join(kept).join(file),
                error,
            }
        })
    };
    let line = read(CONFIG_PATH, PATH_LIMIT)?;
    let source = PathBuf::from(line.strip_suffix('\n').unwrap_or(&line));
    if !source.is_absolute() {
        return Err(LoadError::NoPath(data_dir.join(kept).join(CONFIG_PATH)));
    }
    let config =
        Config::parse(&source, read(CONFIG, files::YAML_LIMIT)?).map_err(LoadError::Invalid)?;
    if !same_dir(&config.data_dir, data_dir) {
        return Err(LoadError::OtherDataDir {
            named: config.data_dir,
            kept_in: data_dir.to_owned(),
        });
    }
    let real_agendas = config.agendas_dir.clone();
    let agendas = match &real_agendas {
        Some(_) => Some(kept_agendas(data_dir, &kept.join(AGENDAS))?),
        None => None,
    };
    let mut network = Network::assemble(config, agendas.as_deref()).map_err(LoadError::Invalid)?;
    // Each agenda names the organizers' file it is a copy of, as when loaded from it (minutes
    // drafted from a file are recorded with its name).
    if let Some(real_agendas) = real_agendas {
        for agenda in network.agendas.by_meeting.values_mut() {
            if let Some(name) = agenda.file.file_name() {
                agenda.file = real_agendas.join(name);
            }
        }
    }
    Ok(network)
}

/// The copy's agenda directory `relative` in `data_dir`, once it is checked to be inside it
/// and to hold regular files only: the agenda loader reads them with the guards for
/// organizers' files, which follow links.
fn kept_agendas(data_dir: &Path, relative: &Path) -> Result<PathBuf, LoadError> {
    let unreadable = |path: &Path| {
        let path = path.to_owned();
        move |error| LoadError::Read { path, error }
    };
    let shown = data_dir.join(relative);
    let dir = files::resolve_in_data_dir(data_dir, relative).map_err(unreadable(&shown))?;
    let entries = std::fs::read_dir(&dir).map_err(|error| unreadable(&shown)(error.into()))?;
    for entry in entries {
        let path = entry
            .map_err(|error| unreadable(&shown)(error.into()))?
            .path();
        std::fs::symlink_metadata(&path)
            .map_err(ReadError::from)
            .and_then(|metadata| files::ensure_regular(&metadata))
            .map_err(unreadable(&path))?;
    }
    Ok(dir)
}

/// A file to keep, read as the bot reads it.
fn read_to_keep(path: &Path) -> Result<String, KeepError> {
    files::read_text(path, files::YAML_LIMIT).map_err(|error| KeepError::Read {
        path: path.to_owned(),
        error,
    })
}

/// Whether `a` and `b` are the same directory (the same path, or both resolving to one).
fn same_dir(a: &Path, b: &Path) -> bool {
    a == b
        || matches!(
            (a.canonicalize(), b.canonicalize()),
            (Ok(a), Ok(b)) if a == b
        )
}

/// The staged copy in place of the one before (see the module docs).
fn replace(data_dir: &Path) -> std::io::Result<()> {
    let current = data_dir.join(DIR);
    let previous = data_dir.join(PREVIOUS);
    // Without a current copy, one left at `last-good.old` is the only one: it stays until
    // the new one is in place.
    if std::fs::symlink_metadata(&current).is_ok() {
        remove(&previous)?;
        std::fs::rename(&current, &previous)?;
    }
    std::fs::rename(data_dir.join(STAGING), &current)?;
    sync_dir(data_dir);
    remove(&previous)
}

/// Removes `path` if it is there: a directory with what it holds, anything else (a link too,
/// never followed) by itself.
fn remove(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error),
    }
}

/// A new directory (never one that exists), for the owner only.
fn private_dir(path: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(path)
}

/// A new file (never one that exists, nor a link's target) holding `text`, for the owner only,
/// flushed to disk.
fn private_file(path: &Path, text: &str) -> Result<(), KeepError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options
        .open(path)
        .and_then(|mut file| {
            file.write_all(text.as_bytes())?;
            file.sync_all()
        })
        .map_err(|error| KeepError::Write {
            path: path.to_owned(),
            error,
        })
}

/// Flushes a directory's entries to disk, as far as the system allows.
fn sync_dir(path: &Path) {
    if let Ok(dir) = std::fs::File::open(path) {
        let _ = dir.sync_all();
    }
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    /// A network's files under `root`: `etc/convene.yaml` naming its data directory, agenda
    /// directory and password file relative to itself, and one agenda file.
    fn network(root: &Path) -> PathBuf {
        let etc = root.join("etc");
        std::fs::create_dir_all(etc.join("agendas")).unwrap();
        let config = etc.join("convene.yaml");
        std::fs::write(
            &config,
            "homeserver: https://matrix.example.org
bot:
  user_id: \"@convene:example.org\"
  password: { file: secret }
data_dir: ../data
agendas_dir: agendas
network:
  name: IKONE DS
  organizers: [\"@orga:example.org\"]
  organizers_room: \"#orga:example.org\"
  members:
    - name: Kaiserslautern
      room: \"#kl:example.org\"
meetings:
  series:
    - id: videokonferenz
      title: Videokonferenz
      rule: FREQ=MONTHLY;BYDAY=3TH
      first: 2026-01-15
      start: \"10:00\"
      duration: 90m
",
        )
        .unwrap();
        std::fs::write(etc.join("secret"), "password\n").unwrap();
        std::fs::write(etc.join("agendas/2026-01-15.yaml"), agenda("Begrüßung")).unwrap();
        crate::data_dir::prepare(&root.join("data")).unwrap();
        config
    }

    fn agenda(item: &str) -> String {
        format!(
            "meeting:\n  series: videokonferenz\n  date: 2026-01-15\nitems:\n  - title: {item}\n    duration: 10m\n"
        )
    }

    fn items(network: &Network) -> Vec<String> {
        network
            .agendas
            .by_meeting
            .values()
            .flat_map(|agenda| agenda.items.iter().map(|item| item.title.clone()))
            .collect()
    }

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path)
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn a_kept_copy_loads_on_its_own_with_every_path_as_the_configuration_meant_it() {
        let root = tempfile::tempdir().unwrap();
        let config = network(root.path());
        let data = root.path().join("data");
        assert!(load(&data).unwrap().is_none());
        keep(&config, &data).unwrap();

        let kept = data.join(DIR);
        assert_eq!(
            std::fs::read_to_string(kept.join(CONFIG)).unwrap(),
            std::fs::read_to_string(&config).unwrap()
        );
        assert_eq!(
            std::fs::read_to_string(kept.join("agendas/2026-01-15.yaml")).unwrap(),
            agenda("Begrüßung")
        );
        for dir in [kept.clone(), kept.join(AGENDAS)] {
            assert_eq!(mode(&dir), 0o700, "{}", dir.display());
        }
        for file in [CONFIG, CONFIG_PATH, "agendas/2026-01-15.yaml"] {
            assert_eq!(mode(&kept.join(file)), 0o600, "{file}");
        }
        assert!(!data.join(STAGING).exists() && !data.join(PREVIOUS).exists());

        // The real files are broken, then gone: the copy does not need them.
        std::fs::write(root.path().join("etc/agendas/2026-01-15.yaml"), "items: [").unwrap();
        let etc = root.path().join("etc");
        std::fs::rename(etc.join("agendas"), root.path().join("moved")).unwrap();
        std::fs::remove_file(&config).unwrap();
        let network = load(&data).unwrap().unwrap();
        assert_eq!(items(&network), ["Begrüßung"]);
        let files: Vec<_> = network
            .agendas
            .by_meeting
            .values()
            .map(|a| a.file.clone())
            .collect();
        // Every path as the configuration meant it: beside the real configuration, so the
        // watcher watches the real agenda directory and the password file is the real one.
        let config = network.config;
        assert_eq!(
            config.agendas_dir.as_deref(),
            Some(etc.join("agendas").as_path())
        );
        assert_eq!(config.data_dir, etc.join("../data"));
        assert_eq!(
            config.bot.password,
            crate::config::SecretSource::File(etc.join("secret"))
        );
        assert_eq!(files, [etc.join("agendas/2026-01-15.yaml")]);
    }

    #[test]
    fn each_good_version_replaces_the_one_before_and_one_that_does_not_load_never_does() {
        let root = tempfile::tempdir().unwrap();
        let config = network(root.path());
        let data = root.path().join("data");
        let agendas = root.path().join("etc/agendas");
        keep(&config, &data).unwrap();
        std::fs::write(agendas.join("2026-01-15.yaml"), agenda("Open Data")).unwrap();
        std::fs::write(agendas.join("notes.txt"), "not an agenda").unwrap();
        keep(&config, &data).unwrap();
        assert_eq!(items(&load(&data).unwrap().unwrap()), ["Open Data"]);
        // Only the files the bot reads are kept.
        assert!(!data.join(DIR).join("agendas/notes.txt").exists());

        // Broken after it loaded (a save between the load and the copy): no copy is made.
        std::fs::write(agendas.join("2026-01-15.yaml"), "items: [").unwrap();
        assert!(matches!(
            keep(&config, &data),
            Err(KeepError::Copy(LoadError::Invalid(_)))
        ));
        assert_eq!(items(&load(&data).unwrap().unwrap()), ["Open Data"]);
        assert!(!data.join(STAGING).exists());
    }

    #[test]
    fn a_crash_between_the_renames_leaves_the_copy_before_and_leftovers_are_replaced() {
        let root = tempfile::tempdir().unwrap();
        let config = network(root.path());
        let data = root.path().join("data");
        keep(&config, &data).unwrap();
        std::fs::rename(data.join(DIR), data.join(PREVIOUS)).unwrap();
        assert_eq!(items(&load(&data).unwrap().unwrap()), ["Begrüßung"]);

        // A half-written copy and a link where the new one goes are removed, never followed.
        let outside = root.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, data.join(STAGING)).unwrap();
        std::fs::write(
            root.path().join("etc/agendas/2026-01-15.yaml"),
            agenda("Open Data"),
        )
        .unwrap();
        keep(&config, &data).unwrap();
        assert_eq!(items(&load(&data).unwrap().unwrap()), ["Open Data"]);
        assert!(!data.join(PREVIOUS).exists());
        assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
    }

    #[test]
    fn a_copy_with_a_link_out_of_the_data_directory_or_for_another_data_directory_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let config = network(root.path());
        let data = root.path().join("data");
        keep(&config, &data).unwrap();
        let kept_agenda = data.join(DIR).join("agendas/2026-01-15.yaml");
        std::fs::remove_file(&kept_agenda).unwrap();
        std::os::unix::fs::symlink(
            root.path().join("etc/agendas/2026-01-15.yaml"),
            &kept_agenda,
        )
        .unwrap();
        assert!(matches!(load(&data), Err(LoadError::Read { path, .. }) if path == kept_agenda));

        // Kept by a bot with another data directory: its own is not this one.
        let elsewhere = root.path().join("elsewhere");
        crate::data_dir::prepare(&elsewhere).unwrap();
        assert!(matches!(
            keep(&config, &elsewhere),
            Err(KeepError::OtherDataDir { .. })
        ));
        std::fs::rename(data.join(DIR), elsewhere.join(DIR)).unwrap();
        assert!(matches!(
            load(&elsewhere),
            Err(LoadError::OtherDataDir { .. })
        ));
    }

    #[test]
    fn run_falls_back_only_when_the_configuration_still_names_the_data_directory() {
        let root = tempfile::tempdir().unwrap();
        let config = network(root.path());
        let data = root.path().join("data");
        let agenda_file = root.path().join("etc/agendas/2026-01-15.yaml");
        let good = start(&config).unwrap();
        assert!(good.errors.is_none());

        // A first start: refused, as ever.
        std::fs::write(&agenda_file, "items: [").unwrap();
        let refused = start(&config).unwrap_err();
        assert!(matches!(refused.why, NoFallback::NoneKept(_)), "{refused}");
        assert_eq!(refused.errors, Network::load(&config).unwrap_err());

        // With a copy kept: the copy, and the errors of the real files.
        std::fs::write(&agenda_file, agenda("Begrüßung")).unwrap();
        keep(&config, &data).unwrap();
        std::fs::write(&agenda_file, "items: [").unwrap();
        let fallback = start(&config).unwrap();
        assert_eq!(items(&fallback.network), ["Begrüßung"]);
        assert_eq!(fallback.errors, Network::load(&config).err());
        assert_eq!(fallback.seen, good_fingerprint_now(&config));

        // A broken configuration that still names the data directory: the copy.
        let text = std::fs::read_to_string(&config).unwrap();
        std::fs::write(&config, text.replace("rule:", "rul:")).unwrap();
        assert!(start(&config).unwrap().errors.is_some());
        // One that is no YAML: no data directory, refused.
        std::fs::write(&config, format!("{text}\n  - [")).unwrap();
        assert!(matches!(
            start(&config).unwrap_err().why,
            NoFallback::NoDataDir
        ));
    }

    fn good_fingerprint_now(config: &Path) -> Fingerprint {
        Fingerprint::of(config, Some(&config.parent().unwrap().join("agendas")))
    }
}
