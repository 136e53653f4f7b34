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
//! The backup is written into a temporary directory beside `DEST` (`.<name>.partial-<random>`,
//! mode 0700) and renamed to `DEST` only when every copy is complete and checked, so `DEST`
//! either holds a whole backup or does not exist: a run that fails removes what it wrote and
//! exits non-zero with the reason. Every file in it is 0600 and every directory 0700 whatever
//! the originals' modes (a backup holds the device's keys and the access token), and it never
//! overwrites (`DEST` must be new or an empty directory).
//!
//! `DEST` is a plain path. The bundled SQLite reads a file name that starts with `file:` as a
//! URI (`VACUUM INTO 'file:bk/x?…'` would write somewhere else, or into memory), so SQLite is
//! only ever given absolute paths, which it never reads as URIs (`?` and `#` in them are just
//! characters), and a `DEST` written as a `file:` URI is refused: whoever wrote it meant
//! something a path does not say. A `convene.sqlite3` newer than this build knows is refused
//! before anything is written: this build could not vouch for it, nor restore from it.

use std::fs::File;
use std::io::Read as _;
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
    /// The destination is written as an SQLite URI.
    #[error(
        "{0} is an SQLite URI, not a path: the backup goes to a directory, named by a plain path; write it without `file:`"
    )]
    Uri(PathBuf),
    /// The destination names no directory of its own (`/`, `..`).
    #[error("{0} names no new directory; name one, such as /var/backups/convene/2026-12-17")]
    NoName(PathBuf),
    /// The destination is inside the data directory.
    #[error("{dest} is inside the data directory {data_dir}; put the backup elsewhere")]
    Inside {
        /// The destination.
        dest: PathBuf,
        /// The data directory.
        data_dir: PathBuf,
    },
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
    if dest
        .to_str()
        .and_then(|text| text.get(..5))
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("file:"))
    {
        return Err(BackupError::Uri(dest.to_owned()));
    }
    let absolute = |path: &Path| {
        std::path::absolute(path).map_err(|error| BackupError::Read {
            path: path.to_owned(),
            error,
        })
    };
    let source = absolute(data_dir)?;
    let target = absolute(dest)?;
    let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
        return Err(BackupError::NoName(dest.to_owned()));
    };
    check_dest(data_dir, dest)?;
    let mut entries = Entries::default();
    walk(&source, Path::new(""), &mut entries)?;
    // Refused before anything is written.
    let own = Path::new("convene.sqlite3");
    if entries.databases.iter().any(|path| path == own) {
        let path = source.join(own);
        let connection = open_read_only(&path)?;
        check_schema(&connection).map_err(|error| BackupError::Database {
            path: data_dir.join(own),
            error,
        })?;
    }
    entries.databases.sort_by_key(|path| {
        (
            path.file_name() == Some(std::ffi::OsStr::new(CRYPTO_STORE)),
            path.clone(),
        )
    });

    let mut staging = Staging::create(parent, name)?;
    for dir in &entries.dirs {
        private_dir(&staging.path.join(dir))?;
    }
    for file in &entries.files {
        copy_file(&source.join(file), &staging.path.join(file))?;
    }
    for database in &entries.databases {
        snapshot(
            &data_dir.join(database),
            &source.join(database),
            &staging.path.join(database),
        )?;
    }
    staging.commit(&target)?;
    Ok(Summary {
        databases: entries.databases,
        files: entries.files,
        skipped: entries.skipped,
    })
}

/// The directory the backup is written into, beside `DEST`; removed, with whatever it holds and
/// the parents made for it, unless it was renamed to `DEST`.
#[derive(Debug)]
struct Staging {
    path: PathBuf,
    /// Directories created on the way to `DEST`'s parent, outermost first.
    created: Vec<PathBuf>,
    committed: bool,
}

impl Staging {
    fn create(parent: &Path, name: &std::ffi::OsStr) -> Result<Self, BackupError> {
        let mut staging = Self {
            path: PathBuf::new(),
            created: Vec::new(),
            committed: false,
        };
        let mut missing = Vec::new();
        let mut existing = parent;
        while !existing.exists() {
            missing.push(existing.to_owned());
            match existing.parent() {
                Some(up) => existing = up,
                None => break,
            }
        }
        for dir in missing.into_iter().rev() {
            match private_dir(&dir) {
                Ok(()) => staging.created.push(dir),
                Err(BackupError::Write { error, .. })
                    if error.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(error) => return Err(error),
            }
        }
        for _ in 0..8 {
            let mut random = [0_u8; 6];
            getrandom::fill(&mut random).map_err(|error| BackupError::Write {
                path: parent.to_owned(),
                error: std::io::Error::other(error),
            })?;
            let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
            let mut file_name = std::ffi::OsString::from(".");
            file_name.push(name);
            file_name.push(format!(".partial-{suffix}"));
            let path = parent.join(file_name);
            match private_dir(&path) {
                Ok(()) => {
                    staging.path = path;
                    return Ok(staging);
                }
                Err(BackupError::Write { error, .. })
                    if error.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(error) => return Err(error),
            }
        }
        Err(BackupError::Write {
            path: parent.to_owned(),
            error: std::io::Error::other("no free name for the temporary directory"),
        })
    }

    /// Makes the backup `target`: every file 0600 and directory 0700 (whatever SQLite left
    /// there, too), flushed to disk, then renamed in one step.
    fn commit(&mut self, target: &Path) -> Result<(), BackupError> {
        seal(&self.path)?;
        match std::fs::rename(&self.path, target) {
            Ok(()) => {
                self.committed = true;
                if let Some(parent) = target.parent()
                    && let Ok(dir) = File::open(parent)
                {
                    let _ = dir.sync_all();
                }
                Ok(())
            }
            Err(error) => Err(BackupError::Write {
                path: target.to_owned(),
                error,
            }),
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.path);
        }
        for dir in self.created.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Every file in `dir` 0600 and every directory 0700, each file flushed to disk.
fn seal(dir: &Path) -> Result<(), BackupError> {
    let write = |path: &Path, error| BackupError::Write {
        path: path.to_owned(),
        error,
    };
    set_mode(dir, 0o700).map_err(|e| write(dir, e))?;
    for entry in std::fs::read_dir(dir).map_err(|e| write(dir, e))? {
        let path = entry.map_err(|e| write(dir, e))?.path();
        let metadata = std::fs::symlink_metadata(&path).map_err(|e| write(&path, e))?;
        if metadata.is_dir() {
            seal(&path)?;
        } else if metadata.is_file() {
            set_mode(&path, 0o600).map_err(|e| write(&path, e))?;
            File::open(&path)
                .and_then(|file| file.sync_all())
                .map_err(|e| write(&path, e))?;
        } else {
            std::fs::remove_file(&path).map_err(|e| write(&path, e))?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) -> std::io::Result<()> {
    Ok(())
}

/// Creates the directory `path` (not its parents) with mode 0700.
fn private_dir(path: &Path) -> Result<(), BackupError> {
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder
        .create(path)
        .and_then(|()| set_mode(path, 0o700))
        .map_err(|error| BackupError::Write {
            path: path.to_owned(),
            error,
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
        if relative.as_os_str().is_empty() && name == crate::data_dir::LOCK_FILE {
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

/// Opens a file of the data directory to read it: never through a link, never waiting on a
/// named pipe swapped in after the walk, and only if it is (still) a regular file.
fn open_source(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    crate::files::ensure_regular(&file.metadata()?).map_err(std::io::Error::other)?;
    Ok(file)
}

fn is_sqlite(path: &Path) -> std::io::Result<bool> {
    let mut header = [0; 16];
    match open_source(path)?.read_exact(&mut header) {
        Ok(()) => Ok(&header == SQLITE_HEADER),
        Err(error) if error.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(error) => Err(error),
    }
}

/// Copies the regular file `source` to the new file `target`, mode 0600 from the start.
fn copy_file(source: &Path, target: &Path) -> Result<(), BackupError> {
    let mut from = open_source(source).map_err(|error| BackupError::Read {
        path: source.to_owned(),
        error,
    })?;
    let write = |error| BackupError::Write {
        path: target.to_owned(),
        error,
    };
    let mut to = private_file(target).map_err(write)?;
    std::io::copy(&mut from, &mut to).map_err(write)?;
    Ok(())
}

/// Opens the database at `path` (absolute: never read as a URI) to read it, without following
/// a link.
fn open_read_only(path: &Path) -> Result<Connection, BackupError> {
    let database = |error: rusqlite::Error| BackupError::Database {
        path: path.to_owned(),
        error: error.into(),
    };
    let connection = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_NOFOLLOW,
    )
    .map_err(database)?;
    // A reader waits only while the bot recovers or checkpoints its WAL; a moment at most.
    connection
        .busy_timeout(std::time::Duration::from_secs(10))
        .map_err(database)?;
    Ok(connection)
}

/// Writes a snapshot of the database at `source` (named `shown` in errors) to `target` (a new
/// file, mode 0600; both paths absolute) and checks that the copy is there and sound.
fn snapshot(shown: &Path, source: &Path, target: &Path) -> Result<(), BackupError> {
    let database = |error: rusqlite::Error| BackupError::Database {
        path: shown.to_owned(),
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
    // SQLite reads a name as a URI only if it starts with `file:`; an absolute path never does.
    debug_assert!(target.is_absolute());
    let source_connection = open_read_only(source).map_err(|error| match error {
        BackupError::Database { error, .. } => BackupError::Database {
            path: shown.to_owned(),
            error,
        },
        other => other,
    })?;
    source_connection
        .execute("VACUUM INTO ?1", [target_text])
        .map_err(database)?;
    // The copy must be where it was asked to go: an empty file there passes `quick_check`.
    let mut header = [0; 16];
    File::open(target)
        .and_then(|mut file| file.read_exact(&mut header))
        .map_err(|error| BackupError::Write {
            path: target.to_owned(),
            error,
        })?;
    if &header != SQLITE_HEADER {
        return Err(BackupError::Damaged {
            path: shown.to_owned(),
            result: "the copy is not an SQLite database".to_owned(),
        });
    }
    let result: String = Connection::open_with_flags(
        target,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NOFOLLOW,
    )
    .and_then(|copy| copy.query_row("PRAGMA quick_check", [], |row| row.get(0)))
    .map_err(database)?;
    if result != "ok" {
        return Err(BackupError::Damaged {
            path: shown.to_owned(),
            result,
        });
    }
    Ok(())
}

/// A new file, mode 0600.
#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
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

        // Files and directories as people leave them: readable by all, one writable by all.
        std::fs::set_permissions(data.join("minutes"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        std::fs::set_permissions(
            data.join("minutes/2026-12-17.md"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        std::fs::write(data.join("notes.txt"), "for everyone").unwrap();
        std::fs::set_permissions(
            data.join("notes.txt"),
            std::fs::Permissions::from_mode(0o666),
        )
        .unwrap();

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
                files: vec![
                    "minutes/2026-12-17.md".into(),
                    "notes.txt".into(),
                    "session.json".into()
                ],
                skipped: Vec::new(),
            }
        );
        // Private throughout, whatever the originals' modes.
        for dir in ["", "matrix", "minutes"] {
            assert_eq!(mode(&dest.join(dir)), 0o700, "{dir}");
        }
        for file in [
            "convene.sqlite3",
            "matrix/matrix-sdk-state.sqlite3",
            "matrix/matrix-sdk-crypto.sqlite3",
            "minutes/2026-12-17.md",
            "notes.txt",
            "session.json",
        ] {
            assert_eq!(mode(&dest.join(file)), 0o600, "{file}");
        }
        // Nothing beside it: the temporary directory became the backup.
        assert_eq!(
            std::fs::read_dir(root.path().join("backups"))
                .unwrap()
                .count(),
            1
        );
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

    /// Every entry of `dir`, by name.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// A database that cannot be copied, after the files and some databases were: the run
    /// fails with the reason and leaves nothing, neither a partial backup nor the directories
    /// made for it.
    #[test]
    fn a_failed_backup_leaves_nothing_behind() {
        let root = tempfile::tempdir().unwrap();
        let data = data_dir(root.path());
        drop(Store::open(&data.join("convene.sqlite3")).unwrap());
        let broken = data.join("matrix/matrix-sdk-media.sqlite3");
        let mut bytes = SQLITE_HEADER.to_vec();
        bytes.extend_from_slice(&[0xff; 4080]);
        std::fs::write(&broken, bytes).unwrap();

        let dest = root.path().join("backups/daily/2026-12-17");
        assert_eq!(
            backup(&data, &dest).unwrap_err().to_string(),
            format!(
                "cannot back up {}: database error: file is not a database",
                broken.display()
            )
        );
        assert!(!root.path().join("backups").exists());

        // Into an empty directory that exists: it stays as it was, and nothing is beside it.
        let empty = root.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        backup(&data, &empty).unwrap_err();
        assert_eq!(names(root.path()), ["data", "empty"]);
        assert!(names(&empty).is_empty());
    }

    /// `DEST` is a plain path: a `file:` URI is refused before anything is written, and `?` and
    /// `#` are characters of the directory's name, not a query SQLite would read.
    #[test]
    fn the_destination_is_a_plain_path() {
        let root = tempfile::tempdir().unwrap();
        let data = data_dir(root.path());
        let store = Store::open(&data.join("convene.sqlite3")).unwrap();
        store.set_pinned("!a:hs", "$pinned").unwrap();
        for uri in ["file:bk/x", "FILE:///tmp/bk"] {
            assert_eq!(
                backup(&data, Path::new(uri)).unwrap_err().to_string(),
                format!(
                    "{uri} is an SQLite URI, not a path: the backup goes to a directory, named by a plain path; write it without `file:`"
                )
            );
        }
        assert_eq!(names(root.path()), ["data"]);

        let dest = root.path().join("bk?mode=memory&vfs=unix#x");
        backup(&data, &dest).unwrap();
        assert_eq!(names(root.path()), ["bk?mode=memory&vfs=unix#x", "data"]);
        let copy = Store::open(&dest.join("convene.sqlite3")).unwrap();
        assert_eq!(copy.pinned("!a:hs").unwrap().as_deref(), Some("$pinned"));
        let value: String = Connection::open(dest.join("matrix").join(CRYPTO_STORE))
            .unwrap()
            .query_row("SELECT value FROM kv", [], |row| row.get(0))
            .unwrap();
        assert_eq!(value, "v");

        assert_eq!(
            backup(&data, Path::new("/")).unwrap_err().to_string(),
            "/ names no new directory; name one, such as /var/backups/convene/2026-12-17"
        );
    }
}
