//! `convene backup`: a consistent copy of the data directory, taken while the bot runs.
//!
//! The data directory holds the bot's session (`session.json`), the SDK's stores in `matrix/`
//! (among them the device's encryption keys), convene's own database and the minutes archive.
//! Copying SQLite files byte by byte while the bot writes them can give a torn copy (a file and
//! its WAL from different moments), so every SQLite database is copied with `VACUUM INTO`: one
//! read transaction, a consistent snapshot written as a fresh, compact file, without blocking
//! the bot (WAL readers do not block writers). SQLite's online backup API would do the same,
//! but needs rusqlite's `backup` feature, and turning that on rebuilds rusqlite and everything
//! above it (matrix-sdk) for one call. Other files are copied as they are; SQLite's `-wal`,
//! `-shm` and `-journal` files are left out, their content is in the copies.
//!
//! The databases are copied one after another, so they are snapshots of slightly different
//! moments. The encryption store is copied last: keys the bot received up to the state store's
//! sync position are then in the copy, and a restored bot, syncing on from that position, is not
//! missing any of them.
//!
//! The backup goes into a new (or empty) directory with mode 0700 and never overwrites. A
//! `convene.sqlite3` newer than this build knows is refused before anything is written: this
//! build could not vouch for it, nor restore from it.

use std::path::{Component, Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use crate::store::{StoreError, check_schema};

/// Why the backup failed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The data directory does not exist.
    #[error("there is nothing to back up: the data directory {0} does not exist")]
    NoDataDir(PathBuf),
    /// The destination holds something already.
    #[error("{0} exists and is not an empty directory; a backup never overwrites: name a new one")]
    NotEmpty(PathBuf),
    /// The destination is inside the data directory.
    #[error("{dest} is inside the data directory {data_dir}; put the backup elsewhere")]
    Inside {
        /// The destination.
        dest: PathBuf,
        /// The data directory.
        data_dir: PathBuf,
    },
    /// The destination could not be created.
    #[error(transparent)]
    Dest(#[from] crate::data_dir::DataDirError),
    /// A file or directory could not be read.
    #[error("cannot read {path}: {error}")]
    Read {
        /// Which.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// A file or directory could not be written.
    #[error("cannot write {path}: {error}")]
    Write {
        /// Which.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// A database could not be copied (or is too new).
    #[error("cannot back up {path}: {error}")]
    Database {
        /// The database.
        path: PathBuf,
        /// Why.
        error: StoreError,
    },
    /// The copy of a database does not pass SQLite's check.
    #[error("the copy of {path} fails SQLite's integrity check: {result}")]
    Damaged {
        /// The database copied.
        path: PathBuf,
        /// What `PRAGMA quick_check` said.
        result: String,
    },
}

/// What was copied, by path relative to the data directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// SQLite databases, copied as snapshots, in the order they were taken.
    pub databases: Vec<PathBuf>,
    /// Other files, copied as they are.
    pub files: Vec<PathBuf>,
    /// Entries that are neither directories nor regular files (links, sockets), left out.
    pub skipped: Vec<PathBuf>,
}

impl Summary {
    /// What `convene backup` prints: one line per database, file and left-out entry, then
    /// where from and where to.
    pub fn render(&self, data_dir: &Path, dest: &Path) -> String {
        let mut text = String::new();
        for database in &self.databases {
            text.push_str(&format!("database  {}\n", database.display()));
        }
        for file in &self.files {
            text.push_str(&format!("file      {}\n", file.display()));
        }
        for skipped in &self.skipped {
            text.push_str(&format!(
                "skipped   {} (not a regular file)\n",
                skipped.display()
            ));
        }
        text.push_str(&format!(
            "backed up {} to {}\n",
            data_dir.display(),
            dest.display()
        ));
        text
    }
}

/// The first bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// The SDK's encryption store: copied last (see the module docs).
const CRYPTO_STORE: &str = "matrix-sdk-crypto.sqlite3";

/// Copies `data_dir` into `dest`, which must not exist or be empty.
pub fn backup(data_dir: &Path, dest: &Path) -> Result<Summary, BackupError> {
    match std::fs::metadata(data_dir) {
        Ok(metadata) if metadata.is_dir() => {}
        Ok(_) => return Err(BackupError::NoDataDir(data_dir.to_owned())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(BackupError::NoDataDir(data_dir.to_owned()));
        }
        Err(error) => {
            return Err(BackupError::Read {
                path: data_dir.to_owned(),
                error,
            });
        }
    }
    check_dest(data_dir, dest)?;
    let mut entries = Entries::default();
    walk(data_dir, Path::new(""), &mut entries)?;
    // Refused before anything is written.
    let own = Path::new("convene.sqlite3");
    if entries.databases.iter().any(|path| path == own) {
        let path = data_dir.join(own);
        let connection = open_read_only(&path)?;
        check_schema(&connection).map_err(|error| BackupError::Database { path, error })?;
    }
    entries.databases.sort_by_key(|path| {
        (
            path.file_name() == Some(std::ffi::OsStr::new(CRYPTO_STORE)),
            path.clone(),
        )
    });

    crate::data_dir::prepare(dest)?;
    for dir in &entries.dirs {
        crate::data_dir::prepare(&dest.join(dir))?;
    }
    for file in &entries.files {
        std::fs::copy(data_dir.join(file), dest.join(file)).map_err(|error| {
            BackupError::Write {
                path: dest.join(file),
                error,
            }
        })?;
    }
    for database in &entries.databases {
        snapshot(&data_dir.join(database), &dest.join(database))?;
    }
    Ok(Summary {
        databases: entries.databases,
        files: entries.files,
        skipped: entries.skipped,
    })
}

/// The destination must not exist, or be an empty directory, and must not be inside the data
/// directory (the backup would copy itself).
fn check_dest(data_dir: &Path, dest: &Path) -> Result<(), BackupError> {
    match std::fs::read_dir(dest) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(BackupError::NotEmpty(dest.to_owned()));
            }
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(_) if dest.exists() => return Err(BackupError::NotEmpty(dest.to_owned())),
        Err(error) => {
            return Err(BackupError::Read {
                path: dest.to_owned(),
                error,
            });
        }
    }
    let read = |path: &Path| {
        resolve(path).map_err(|error| BackupError::Read {
            path: path.to_owned(),
            error,
        })
    };
    if read(dest)?.starts_with(read(data_dir)?) {
        return Err(BackupError::Inside {
            dest: dest.to_owned(),
            data_dir: data_dir.to_owned(),
        });
    }
    Ok(())
}

/// `path` made absolute with links resolved as far as it exists; the rest appended as given.
fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if existing.exists() {
            let mut resolved = existing.canonicalize()?;
            for component in rest.iter().rev() {
                resolved.push(component);
            }
            return Ok(resolved);
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(Component::Normal(name))) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return Ok(absolute),
        }
    }
}

/// The data directory's content, by path relative to it, each list in path order.
#[derive(Debug, Default)]
struct Entries {
    dirs: Vec<PathBuf>,
    databases: Vec<PathBuf>,
    files: Vec<PathBuf>,
    skipped: Vec<PathBuf>,
}

fn walk(root: &Path, relative: &Path, entries: &mut Entries) -> Result<(), BackupError> {
    let dir = root.join(relative);
    let read = |path: &Path, error| BackupError::Read {
        path: path.to_owned(),
        error,
    };
    let mut names = std::fs::read_dir(&dir)
        .map_err(|e| read(&dir, e))?
        .map(|entry| entry.map(|e| e.file_name()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| read(&dir, e))?;
    names.sort();
    for name in names {
        let path = relative.join(&name);
        let full = root.join(&path);
        let name = name.to_string_lossy();
        if relative.as_os_str().is_empty() && name == crate::bot::session::LOCK_FILE {
            continue;
        }
        if ["-wal", "-shm", "-journal"]
            .iter()
            .any(|suffix| name.ends_with(suffix))
        {
            continue;
        }
        let metadata = std::fs::symlink_metadata(&full).map_err(|e| read(&full, e))?;
        if metadata.is_dir() {
            entries.dirs.push(path.clone());
            walk(root, &path, entries)?;
        } else if !metadata.is_file() {
            entries.skipped.push(path);
        } else if is_sqlite(&full).map_err(|e| read(&full, e))? {
            entries.databases.push(path);
        } else {
            entries.files.push(path);
        }
    }
    Ok(())
}

fn is_sqlite(path: &Path) -> std::io::Result<bool> {
    use std::io::Read as _;
    let mut header = [0; 16];
    let mut file = std::fs::File::open(path)?;
    match file.read_exact(&mut header) {
        Ok(()) => Ok(&header == SQLITE_HEADER),
        Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(error) => Err(error),
    }
}

fn open_read_only(path: &Path) -> Result<Connection, BackupError> {
    let database = |error: rusqlite::Error| BackupError::Database {
        path: path.to_owned(),
        error: error.into(),
    };
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(database)?;
    // A reader waits only while the bot recovers or checkpoints its WAL; a moment at most.
    connection
        .busy_timeout(std::time::Duration::from_secs(10))
        .map_err(database)?;
    Ok(connection)
}

/// Writes a snapshot of the database at `source` to `target` (a new file, mode 0600) and checks
/// the copy.
fn snapshot(source: &Path, target: &Path) -> Result<(), BackupError> {
    let database = |error: rusqlite::Error| BackupError::Database {
        path: source.to_owned(),
        error: error.into(),
    };
    // Created empty first, so it has the private mode before it holds anything.
    private_file(target).map_err(|error| BackupError::Write {
        path: target.to_owned(),
        error,
    })?;
    let target_text = target.to_str().ok_or_else(|| BackupError::Write {
        path: target.to_owned(),
        error: std::io::Error::other("the path is not UTF-8"),
    })?;
    open_read_only(source)?
        .execute("VACUUM INTO ?1", [target_text])
        .map_err(database)?;
    let result: String = Connection::open_with_flags(target, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .and_then(|copy| copy.query_row("PRAGMA quick_check", [], |row| row.get(0)))
        .map_err(database)?;
    if result != "ok" {
        return Err(BackupError::Damaged {
            path: source.to_owned(),
            result,
        });
    }
    Ok(())
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map(drop)
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::os::unix::fs::PermissionsExt as _;

    use super::*;
    use crate::store::Store;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    /// A data directory as the bot leaves it: its database (open, with a WAL, or closed), an SDK
    /// store in `matrix/`, the session, an archived minutes file, the lock.
    fn data_dir(root: &Path) -> PathBuf {
        let data = root.join("data");
        crate::data_dir::prepare(&data.join("matrix")).unwrap();
        crate::data_dir::prepare(&data.join("minutes")).unwrap();
        std::fs::write(data.join("session.json"), "{}").unwrap();
        std::fs::write(data.join("minutes/2026-12-17.md"), "# Protokoll\n").unwrap();
        std::fs::write(data.join("convene.lock"), "").unwrap();
        for name in [CRYPTO_STORE, "matrix-sdk-state.sqlite3"] {
            let connection = Connection::open(data.join("matrix").join(name)).unwrap();
            connection
                .pragma_update(None, "journal_mode", "WAL")
                .unwrap();
            connection
                .execute_batch(
                    "CREATE TABLE kv (key TEXT, value TEXT); INSERT INTO kv VALUES ('k', 'v');",
                )
                .unwrap();
        }
        data
    }

    #[test]
    fn copies_every_database_as_a_snapshot_and_every_file_and_never_overwrites() {
        let root = tempfile::tempdir().unwrap();
        let data = data_dir(root.path());
        // The bot is running: its database is open, with committed rows still in the WAL.
        let store = Store::open(&data.join("convene.sqlite3")).unwrap();
        store.set_pinned("!a:hs", "$pinned").unwrap();
        assert!(data.join("convene.sqlite3-wal").exists());

        let dest = root.path().join("backups/2026-12-17");
        let summary = backup(&data, &dest).unwrap();
        assert_eq!(
            summary,
            Summary {
                databases: vec![
                    "convene.sqlite3".into(),
                    "matrix/matrix-sdk-state.sqlite3".into(),
                    "matrix/matrix-sdk-crypto.sqlite3".into(),
                ],
                files: vec!["minutes/2026-12-17.md".into(), "session.json".into()],
                skipped: Vec::new(),
            }
        );
        assert_eq!(mode(&dest), 0o700);
        assert_eq!(mode(&dest.join("matrix")), 0o700);
        assert_eq!(mode(&dest.join("convene.sqlite3")), 0o600);
        assert!(!dest.join("convene.lock").exists());
        assert!(!dest.join("convene.sqlite3-wal").exists());
        let copy = Store::open(&dest.join("convene.sqlite3")).unwrap();
        assert_eq!(copy.pinned("!a:hs").unwrap().as_deref(), Some("$pinned"));
        let value: String = Connection::open(dest.join("matrix").join(CRYPTO_STORE))
            .unwrap()
            .query_row("SELECT value FROM kv", [], |row| row.get(0))
            .unwrap();
        assert_eq!(value, "v");
        assert_eq!(
            std::fs::read_to_string(dest.join("minutes/2026-12-17.md")).unwrap(),
            "# Protokoll\n"
        );
        drop(store);

        // The bot stopped (no WAL left): a second backup works too, but not into the first.
        let error = backup(&data, &dest).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "{} exists and is not an empty directory; a backup never overwrites: name a new one",
                dest.display()
            )
        );
        let empty = root.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        std::fs::set_permissions(&empty, std::fs::Permissions::from_mode(0o755)).unwrap();
        backup(&data, &empty).unwrap();
        assert_eq!(mode(&empty), 0o700);
    }

    #[test]
    fn refuses_a_destination_inside_the_data_directory_or_a_missing_data_directory() {
        let root = tempfile::tempdir().unwrap();
        let data = data_dir(root.path());
        let inside = data.join("matrix/../backup");
        assert_eq!(
            backup(&data, &inside).unwrap_err().to_string(),
            format!(
                "{} is inside the data directory {}; put the backup elsewhere",
                inside.display(),
                data.display()
            )
        );
        assert!(!data.join("backup").exists());
        let missing = root.path().join("nothing");
        assert_eq!(
            backup(&missing, &root.path().join("b"))
                .unwrap_err()
                .to_string(),
            format!(
                "there is nothing to back up: the data directory {} does not exist",
                missing.display()
            )
        );
    }

    #[test]
    fn refuses_a_database_from_a_newer_convene_before_writing_anything() {
        let root = tempfile::tempdir().unwrap();
        let data = data_dir(root.path());
        let path = data.join("convene.sqlite3");
        drop(Store::open(&path).unwrap());
        let newer = crate::store::SCHEMA_VERSION + 1;
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", newer)
            .unwrap();
        let dest = root.path().join("backup");
        assert_eq!(
            backup(&data, &dest).unwrap_err().to_string(),
            format!(
                "cannot back up {}: the database has schema version {newer}, but this convene knows only versions up to {}: it was written by a newer convene; run that version (or a newer one), or restore a backup made before the upgrade",
                path.display(),
                crate::store::SCHEMA_VERSION
            )
        );
        assert!(!dest.exists());
    }
}
