//! The data directory: the bot's session, encryption keys and database live there, so it is
//! readable by its owner only.
//!
//! Every command that creates it creates it with mode 0700. One that finds it open to others
//! (made by hand, by an older convene, or restored from a backup with other modes) makes it
//! private before it writes anything secret into it — but only when the directory is the bot's
//! own: owned by the user convene runs as, neither writable by everyone nor sticky, and holding
//! nothing but what convene keeps there, all of it that user's. Anything else is a directory
//! others use too (`/tmp`, a home directory, `/etc` for a bot running as root), and taking it
//! away from them would break their work or the system; convene refuses it and says why.
//!
//! A directory that is private already is used as it is, provided it is the running user's:
//! files another user's bot (or root) wrote into it would not be readable by that user.
//!
//! [`Data`] is how every entry point opens what is in it: the directory prepared, the database
//! opened, the decided date polls applied to the network.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::Config;
use crate::network::Network;
use crate::store::{Store, StoreError};

/// The name of the device lock file in the data directory (empty; what counts is the lock on
/// it, which the bot's session takes).
pub const LOCK_FILE: &str = "convene.lock";

/// The last good configuration and agendas (see `last_good`), in the data directory.
pub const LAST_GOOD: &str = "last-good";
/// A new last good copy while it is written.
pub const LAST_GOOD_STAGING: &str = "last-good.new";
/// The last good copy before, while the new one replaces it.
pub const LAST_GOOD_PREVIOUS: &str = "last-good.old";

/// What convene keeps directly in its data directory; anything else there is someone else's.
/// The database with SQLite's companion files, the device lock, the session (and the temporary
/// file it is written through), the SDK's stores, the minutes archive and the last good version
/// of the configuration and agenda files (with the two names it is replaced through).
pub const OWN_ENTRIES: &[&str] = &[
    "convene.sqlite3",
    "convene.sqlite3-wal",
    "convene.sqlite3-shm",
    "convene.sqlite3-journal",
    LOCK_FILE,
    "session.json",
    "session.json.tmp",
    "matrix",
    "minutes",
    LAST_GOOD,
    LAST_GOOD_STAGING,
    LAST_GOOD_PREVIOUS,
];

/// Why the data directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    /// It could not be created.
    #[error("cannot create the data directory {path}: {error}")]
    Create {
        /// The directory.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// It exists but is no directory.
    #[error("the data directory {0} exists but is not a directory")]
    NotADirectory(PathBuf),
    /// It belongs to another user.
    #[error(
        "the data directory {path} belongs to another user (uid {owner}; convene runs as uid {uid}): run convene as its owner, or set `data_dir` to a directory of convene's own"
    )]
    OtherOwner {
        /// The directory.
        path: PathBuf,
        /// Its owner.
        owner: u32,
        /// The user convene runs as.
        uid: u32,
    },
    /// It is meant to be shared: sticky, or writable by everyone.
    #[error(
        "the data directory {path} is shared with other users (mode {mode:o}: {why}); convene does not change the mode of a shared directory: set `data_dir` to a directory of its own, such as /var/lib/convene"
    )]
    Shared {
        /// The directory.
        path: PathBuf,
        /// Its mode.
        mode: u32,
        /// What makes it shared.
        why: &'static str,
    },
    /// It is open to others and holds something that is not convene's.
    #[error(
        "the data directory {path} is readable by other users (mode {mode:o}) and holds {entry}, {why}; convene makes only a directory of its own private: set `data_dir` to a directory of its own, or run `chmod 700 {path}` yourself if this one is meant for convene"
    )]
    Foreign {
        /// The directory.
        path: PathBuf,
        /// Its mode.
        mode: u32,
        /// The first entry that is not convene's, by name.
        entry: String,
        /// Why it is not.
        why: String,
    },
    /// It is readable by others and its mode could not be changed.
    #[error(
        "the data directory {path} is readable by other users (mode {mode:o}) and its mode cannot be changed: {error}; run `chmod 700 {path}` as its owner"
    )]
    Open {
        /// The directory.
        path: PathBuf,
        /// Its mode.
        mode: u32,
        /// Why it could not be changed.
        error: std::io::Error,
    },
    /// The user convene runs as could not be found out.
    #[error("cannot tell which user convene runs as: {0}")]
    User(std::io::Error),
}

/// Creates `path` (and its parents) with mode 0700, or makes an existing one of the bot's own
/// 0700. Returns whether the mode had to be tightened.
pub fn prepare(path: &Path) -> Result<bool, DataDirError> {
    let create = |error| DataDirError::Create {
        path: path.to_owned(),
        error,
    };
    let metadata = match std::fs::metadata(path) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt as _;
                builder.mode(0o700);
            }
            builder.create(path).map_err(create)?;
            // Looked at again like any existing one: it may have been made meanwhile.
            std::fs::metadata(path).map_err(create)?
        }
        Err(error) => return Err(create(error)),
    };
    if !metadata.is_dir() {
        return Err(DataDirError::NotADirectory(path.to_owned()));
    }
    #[cfg(unix)]
    {
        make_private(path, &metadata)
    }
    #[cfg(not(unix))]
    Ok(false)
}

/// The database's file name in the data directory.
pub const DATABASE: &str = "convene.sqlite3";

/// The bot's data, opened: the database in the data directory. Every entry point that reads
/// the database opens it here, so that none of them forgets to make the directory private
/// first, and applies the decided date polls through it, so that every view of the network
/// has their workshops as meetings.
#[derive(Debug, Clone)]
pub struct Data {
    /// The database (shared: the running bot's tasks all use it).
    pub store: Arc<Store>,
    /// Whether the data directory was readable by others and has been made private.
    pub made_private: bool,
}

/// Why the data cannot be opened; shown as the underlying error, without a prefix of its own,
/// since each command says in its own words what it was about to do.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The data directory cannot be used.
    #[error(transparent)]
    DataDir(#[from] DataDirError),
    /// The database cannot be opened (corrupt, too new, not readable).
    #[error(transparent)]
    Database(#[from] StoreError),
}

impl Data {
    /// Prepares the data directory ([`prepare`]: created with mode 0700, or made private) and
    /// opens the database in it, creating it when there is none yet.
    pub fn open(config: &Config) -> Result<Self, OpenError> {
        let made_private = prepare(&config.data_dir)?;
        let store = Store::open(&config.data_dir.join(DATABASE))?;
        Ok(Self {
            store: Arc::new(store),
            made_private,
        })
    }

    /// Opens the database if there is one, creating nothing: for commands that only read and
    /// work without one, too (`convene schedule`).
    pub fn open_existing(config: &Config) -> Result<Option<Self>, StoreError> {
        let database = config.data_dir.join(DATABASE);
        if !database.is_file() {
            return Ok(None);
        }
        Ok(Some(Self {
            store: Arc::new(Store::open(&database)?),
            made_private: false,
        }))
    }

    /// `network` with the date polls the bot has decided as ordinary workshops
    /// ([`Network::with_decisions`]); an error if they cannot be read. The running bot, which
    /// must go on when the database fails, reads them leniently instead
    /// (`bot::polls::decisions`).
    pub fn apply_decisions(&self, network: Network) -> Result<Network, StoreError> {
        let decided = self.store.decided_slots(network.config.timezone)?;
        Ok(network.with_decisions(&decided))
    }
}

#[cfg(unix)]
fn make_private(path: &Path, metadata: &std::fs::Metadata) -> Result<bool, DataDirError> {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};

    let uid = effective_uid().map_err(DataDirError::User)?;
    if metadata.uid() != uid {
        return Err(DataDirError::OtherOwner {
            path: path.to_owned(),
            owner: metadata.uid(),
            uid,
        });
    }
    let mode = metadata.mode() & 0o7777;
    if mode & 0o077 == 0 {
        return Ok(false);
    }
    let shared = |why| DataDirError::Shared {
        path: path.to_owned(),
        mode,
        why,
    };
    if mode & 0o1000 != 0 {
        return Err(shared("the sticky bit is set, as on /tmp"));
    }
    if mode & 0o002 != 0 {
        return Err(shared("every user may write to it"));
    }
    let read = |error| DataDirError::Create {
        path: path.to_owned(),
        error,
    };
    let mut entries = std::fs::read_dir(path)
        .map_err(read)?
        .map(|entry| {
            let entry = entry?;
            Ok((entry.file_name(), entry.metadata()?.uid()))
        })
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(read)?;
    entries.sort();
    for (name, owner) in entries {
        let shown = name.to_string_lossy().into_owned();
        let why = if owner != uid {
            format!("which belongs to another user (uid {owner})")
        } else if !OWN_ENTRIES.contains(&shown.as_str()) {
            "which is not one of convene's files".to_owned()
        } else {
            continue;
        };
        return Err(DataDirError::Foreign {
            path: path.to_owned(),
            mode,
            entry: shown,
            why,
        });
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).map_err(|error| {
        DataDirError::Open {
            path: path.to_owned(),
            mode,
            error,
        }
    })?;
    Ok(true)
}

/// The user id files are created with and checked against: the effective one (the `Uid:` line
/// of `/proc/self/status` on Linux; elsewhere the owner of a file made for the purpose). The
/// standard library does not say, and `libc::geteuid` would need `unsafe`.
#[cfg(unix)]
pub fn effective_uid() -> std::io::Result<u32> {
    use std::os::unix::fs::MetadataExt as _;

    if let Ok(status) = crate::files::read_text(Path::new("/proc/self/status"), 64 * 1024) {
        let effective = status
            .lines()
            .find_map(|line| line.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            .and_then(|id| id.parse().ok());
        if let Some(uid) = effective {
            return Ok(uid);
        }
    }
    let mut random = [0_u8; 8];
    getrandom::fill(&mut random).map_err(std::io::Error::other)?;
    let probe = std::env::temp_dir().join(format!(
        ".convene-uid-{}",
        random
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    ));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)?;
    let uid = file.metadata().map(|m| m.uid());
    let _ = std::fs::remove_file(&probe);
    uid
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    fn dir_with_mode(root: &Path, name: &str, mode: u32) -> PathBuf {
        let dir = root.join(name);
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode)).unwrap();
        dir
    }

    #[test]
    fn a_new_data_directory_is_private_and_an_open_one_of_the_bots_own_is_tightened() {
        let root = tempfile::tempdir().unwrap();
        let fresh = root.path().join("a/b/data");
        assert!(!prepare(&fresh).unwrap());
        assert_eq!(mode(&fresh), 0o700);

        let open = dir_with_mode(root.path(), "open", 0o755);
        assert!(prepare(&open).unwrap());
        assert_eq!(mode(&open), 0o700);

        // What convene keeps there, as an older convene or a backup restored with `cp` left it.
        let restored = dir_with_mode(root.path(), "restored", 0o750);
        std::fs::create_dir(restored.join("matrix")).unwrap();
        std::fs::write(restored.join("convene.sqlite3"), "").unwrap();
        std::fs::write(restored.join("session.json"), "{}").unwrap();
        assert!(prepare(&restored).unwrap());
        assert_eq!(mode(&restored), 0o700);

        let file = root.path().join("file");
        std::fs::write(&file, "").unwrap();
        assert!(matches!(
            prepare(&file),
            Err(DataDirError::Create { .. } | DataDirError::NotADirectory(_))
        ));
    }

    #[test]
    fn a_shared_directory_is_refused_and_keeps_its_mode() {
        let root = tempfile::tempdir().unwrap();
        let tmp = dir_with_mode(root.path(), "tmp", 0o1777);
        assert_eq!(
            prepare(&tmp).unwrap_err().to_string(),
            format!(
                "the data directory {} is shared with other users (mode 1777: the sticky bit is set, as on /tmp); convene does not change the mode of a shared directory: set `data_dir` to a directory of its own, such as /var/lib/convene",
                tmp.display()
            )
        );
        assert_eq!(mode(&tmp), 0o1777);

        let writable = dir_with_mode(root.path(), "writable", 0o777);
        assert_eq!(
            prepare(&writable).unwrap_err().to_string(),
            format!(
                "the data directory {} is shared with other users (mode 777: every user may write to it); convene does not change the mode of a shared directory: set `data_dir` to a directory of its own, such as /var/lib/convene",
                writable.display()
            )
        );
        assert_eq!(mode(&writable), 0o777);
    }

    #[test]
    fn an_open_directory_holding_other_files_is_refused_and_a_private_one_is_used() {
        let root = tempfile::tempdir().unwrap();
        let home = dir_with_mode(root.path(), "home", 0o755);
        std::fs::write(home.join(".profile"), "").unwrap();
        std::fs::write(home.join("convene.sqlite3"), "").unwrap();
        assert_eq!(
            prepare(&home).unwrap_err().to_string(),
            format!(
                "the data directory {} is readable by other users (mode 755) and holds .profile, which is not one of convene's files; convene makes only a directory of its own private: set `data_dir` to a directory of its own, or run `chmod 700 {}` yourself if this one is meant for convene",
                home.display(),
                home.display()
            )
        );
        assert_eq!(mode(&home), 0o755);

        // Private already: nothing to change, so nothing to refuse.
        std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert!(!prepare(&home).unwrap());
    }

    /// Files and directories of another user: only root can make them, so only root runs this.
    #[test]
    fn another_users_directory_or_files_are_refused() {
        if effective_uid().unwrap() != 0 {
            eprintln!("skipped: needs root to give files to another user");
            return;
        }
        let nobody = 65534;
        let root = tempfile::tempdir().unwrap();
        let theirs = dir_with_mode(root.path(), "theirs", 0o700);
        std::os::unix::fs::chown(&theirs, Some(nobody), Some(nobody)).unwrap();
        assert_eq!(
            prepare(&theirs).unwrap_err().to_string(),
            format!(
                "the data directory {} belongs to another user (uid 65534; convene runs as uid 0): run convene as its owner, or set `data_dir` to a directory of convene's own",
                theirs.display()
            )
        );

        let mixed = dir_with_mode(root.path(), "mixed", 0o755);
        std::fs::create_dir(mixed.join("minutes")).unwrap();
        std::os::unix::fs::chown(mixed.join("minutes"), Some(nobody), None).unwrap();
        assert_eq!(
            prepare(&mixed).unwrap_err().to_string(),
            format!(
                "the data directory {} is readable by other users (mode 755) and holds minutes, which belongs to another user (uid 65534); convene makes only a directory of its own private: set `data_dir` to a directory of its own, or run `chmod 700 {}` yourself if this one is meant for convene",
                mixed.display(),
                mixed.display()
            )
        );
        assert_eq!(mode(&mixed), 0o755);
    }
}
