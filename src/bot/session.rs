//! Logging in once and staying the same device ever after.
//!
//! End-to-end encryption ties the bot's keys to one device. So the bot logs in with its password
//! only on its very first start, keeps the session (user, device id, access token) in
//! `DATA_DIR/session.json` next to the SDK's SQLite stores in `DATA_DIR/matrix/`, and restores
//! both on every later start. A new device on every start would leave every encrypted room
//! unable to talk to it.
//!
//! [`connect`] is the bot's way in (restore, or the first login); [`restore`] is the way in for
//! commands that only look (`convene doctor`): it never logs in. Either holds a lock on the data
//! directory while the device is in use, so no two processes use it at once. [`access_token`]
//! is for a command that only asks the homeserver a question (`convene links`): the stored
//! token alone, no client, no device, no lock.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::encryption::EncryptionSettings;
use matrix_sdk::store::RoomLoadSettings;
use matrix_sdk::{Client, SqliteStoreConfig};
use serde::{Deserialize, Serialize};
use tracing::info;

use crate::config::{Config, SecretError};
use crate::data_dir::LOCK_FILE;

/// Why the bot could not get a working session.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The data directory or a file in it could not be read or written.
    #[error("cannot use the data directory {path}: {error}")]
    DataDir {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        error: std::io::Error,
    },
    /// `session.json` (or the lock file) is no regular file inside the data directory, or too
    /// large: a named pipe would hang the start, a link to `/dev/zero` exhaust memory.
    #[error("cannot read {path}: {error}")]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// Why.
        error: crate::files::ReadError,
    },
    /// `session.json` is not what this version wrote.
    #[error(
        "{path} is damaged ({error}); move it and the `matrix` directory beside it away to log in as a new device"
    )]
    Damaged {
        /// The session file.
        path: PathBuf,
        /// The parse error.
        error: serde_json::Error,
    },
    /// The stored session belongs to another account than the configured one.
    #[error(
        "{path} holds a session of {stored}, but the configuration names {configured}; use a separate data directory per account"
    )]
    OtherAccount {
        /// The session file.
        path: PathBuf,
        /// Whose session is stored.
        stored: String,
        /// Who is configured.
        configured: String,
    },
    /// A command that must not log in found no stored session.
    #[error(
        "there is no stored session ({0} does not exist): start the bot once with `convene run`, so that it logs in and creates its device"
    )]
    NoSession(PathBuf),
    /// A session is stored, but the encryption store with the device's keys is not there.
    #[error(
        "a session is stored, but the encryption store {0} is missing, and with it the device's keys: restore the data directory from a backup, or move session.json away so that the bot logs in as a new device"
    )]
    NoCryptoStore(PathBuf),
    /// Another process uses the bot's device.
    #[error(
        "another convene process (the running bot, or `convene doctor`) is using this data directory ({0} is locked); stop it first: two processes on one device break its encryption sessions"
    )]
    InUse(PathBuf),
    /// The password is needed for the first login but is not available.
    #[error("cannot log in for the first time: {0}")]
    Password(#[from] SecretError),
    /// The SDK's client or its stores could not be set up.
    #[error("cannot set up the Matrix client: {0}")]
    Build(Box<matrix_sdk::ClientBuildError>),
    /// The homeserver refused the login or the session.
    #[error("the homeserver refused the login: {0}")]
    Login(Box<matrix_sdk::Error>),
}

impl From<matrix_sdk::ClientBuildError> for SessionError {
    fn from(error: matrix_sdk::ClientBuildError) -> Self {
        Self::Build(Box::new(error))
    }
}

impl From<matrix_sdk::Error> for SessionError {
    fn from(error: matrix_sdk::Error) -> Self {
        Self::Login(Box::new(error))
    }
}

/// What `session.json` holds.
#[derive(Debug, Serialize, Deserialize)]
struct StoredSession {
    /// The homeserver the session belongs to.
    homeserver: url::Url,
    /// The SDK's session: user id, device id, tokens.
    matrix: MatrixSession,
}

/// A logged-in client, and whether this start created its device.
#[derive(Debug)]
pub struct Connected {
    /// The client, restored or freshly logged in.
    pub client: Client,
    /// Whether the bot logged in (a new device) rather than restoring its session.
    pub new_device: bool,
    /// Keeps other convene processes off the device while this one uses it; released when
    /// dropped (or when the process ends), so keep it as long as the client.
    pub lock: DeviceLock,
}

/// The name of the session file in the data directory.
pub const SESSION_FILE: &str = "session.json";

/// An exclusive lock on `DATA_DIR/convene.lock`, held by the process that uses the bot's device.
///
/// Two processes on one device (two bots, or `convene doctor` beside the running bot) would
/// each hold the encryption state in memory and overwrite each other's writes to the shared
/// crypto store, which breaks encryption sessions. The operating system releases the lock when
/// the process ends, however it ends.
#[derive(Debug)]
pub struct DeviceLock {
    _file: std::fs::File,
}

/// Builds the client on the stores in the data directory and restores the stored session, or
/// logs in with the password when there is none yet.
pub async fn connect(config: &Config) -> Result<Connected, SessionError> {
    let data_dir = &config.data_dir;
    create_private_dir(data_dir)?;
    let session_path = data_dir.join(SESSION_FILE);
    let stored = read_session(data_dir)?;
    if let Some(stored) = &stored {
        same_account(config, &session_path, stored)?;
    }
    let lock = lock_device(data_dir)?;
    let client = build_client(config).await?;

    if let Some(stored) = stored {
        restore_into(&client, stored).await?;
        return Ok(Connected {
            client,
            new_device: false,
            lock,
        });
    }

    let password = config.bot.password.read()?;
    info!(user_id = %config.bot.user_id, "logging in for the first time");
    client
        .matrix_auth()
        .login_username(&config.bot.user_id, password.expose())
        .initial_device_display_name(&config.bot.device_name)
        .send()
        .await?;
    if let Some(session) = client.matrix_auth().session() {
        write_session(
            &session_path,
            &StoredSession {
                homeserver: config.homeserver.clone(),
                matrix: session,
            },
        )?;
    }
    cross_sign_new_device(&client).await;
    Ok(Connected {
        client,
        new_device: true,
        lock,
    })
}

/// Uploads a new device's keys, and its cross-signing identity, before the first sync.
///
/// Left to the sync, the SDK sends the upload of the device's keys and the query for the bot's
/// own keys side by side; when the homeserver answers the query first, the answer lacks the new
/// device and matrix-sdk-crypto warns that "our own device might have been deleted" — a false
/// alarm in the log of a healthy first start. Setting up cross-signing uploads the device keys
/// first, then the identity, with nothing else running. An account that already has an identity
/// (its data directory was lost) keeps it: this device holds none of its private keys, and a new
/// identity would tell every member that the bot's identity changed. Nothing here is fatal:
/// `Bot::prepare_rooms` tries the set-up again after the first sync and warns if it fails.
async fn cross_sign_new_device(client: &Client) {
    use matrix_sdk::ruma::api::client::keys::get_keys;

    let Some(user_id) = client.user_id() else {
        return;
    };
    let mut query = get_keys::v3::Request::new();
    query.device_keys.insert(user_id.to_owned(), Vec::new());
    match client.send(query).await {
        Ok(keys) if keys.master_keys.contains_key(user_id) => {
            info!(
                "the account has a cross-signing identity from an earlier device; this new device is not signed by it"
            );
        }
        Ok(_) => {
            if let Err(error) = client.encryption().bootstrap_cross_signing(None).await {
                info!(%error, "cross-signing the new device before the first sync failed; trying again after it");
            }
        }
        Err(error) => {
            info!(%error, "cannot look up the account's keys before the first sync; cross-signing after it");
        }
    }
}

/// Restores the stored session and never logs in: for commands that look at the bot's device
/// (`convene doctor`) and must not create one. Fails if there is no stored session, or if the
/// encryption store beside it is missing (restoring onto an empty one would give the existing
/// device new keys). Creates nothing in the data directory but the lock file.
pub async fn restore(config: &Config) -> Result<Connected, SessionError> {
    let data_dir = &config.data_dir;
    let session_path = data_dir.join(SESSION_FILE);
    let Some(stored) = read_session(data_dir)? else {
        return Err(SessionError::NoSession(session_path));
    };
    same_account(config, &session_path, &stored)?;
    let crypto_store = data_dir.join("matrix").join(CRYPTO_STORE);
    if !crypto_store.is_file() {
        return Err(SessionError::NoCryptoStore(crypto_store));
    }
    let lock = lock_device(data_dir)?;
    let client = build_client(config).await?;
    restore_into(&client, stored).await?;
    Ok(Connected {
        client,
        new_device: false,
        lock,
    })
}

/// The stored session's access token, for a command that only asks the homeserver a question
/// (`convene links` resolving room aliases), of the configured account only. It never logs in
/// and builds no client: the device's stores and keys stay untouched and its lock free, so it
/// may run beside the bot (a request with the token is no new device and changes no state of
/// the bot's). Fails if there is no stored session.
pub fn access_token(config: &Config) -> Result<crate::config::Secret, SessionError> {
    let session_path = config.data_dir.join(SESSION_FILE);
    let Some(stored) = read_session(&config.data_dir)? else {
        return Err(SessionError::NoSession(session_path));
    };
    same_account(config, &session_path, &stored)?;
    Ok(crate::config::Secret::new(
        stored.matrix.tokens.access_token,
    ))
}

/// The SDK's encryption store in `DATA_DIR/matrix/`: the device's keys.
const CRYPTO_STORE: &str = "matrix-sdk-crypto.sqlite3";

fn same_account(
    config: &Config,
    session_path: &Path,
    stored: &StoredSession,
) -> Result<(), SessionError> {
    if stored.matrix.meta.user_id == config.bot.user_id {
        return Ok(());
    }
    Err(SessionError::OtherAccount {
        path: session_path.to_owned(),
        stored: stored.matrix.meta.user_id.to_string(),
        configured: config.bot.user_id.to_string(),
    })
}

/// The client on the SDK's stores in `DATA_DIR/matrix/`, not yet logged in.
async fn build_client(config: &Config) -> Result<Client, SessionError> {
    Ok(Client::builder()
        .homeserver_url(config.homeserver.as_str())
        // The SDK's defaults give each of its stores a pool of four connections per core with
        // 2 MiB of page cache each; a bot reads little and can do with one connection per core,
        // 500 kB of cache and a bounded WAL file (the SDK's "low memory" configuration).
        .sqlite_store_with_config_and_cache_path(
            SqliteStoreConfig::with_low_memory_config(config.data_dir.join("matrix")),
            None::<&Path>,
        )
        // Cross-signing (so that clients that hide messages from devices their owner has not
        // verified, like Element X, trust the bot's) is set up by `bot::run` after the first
        // sync, not by the SDK at login: its automatic set-up queries the bot's own keys before
        // the first sync has uploaded them and warns "Our own device might have been deleted".
        .with_encryption_settings(EncryptionSettings::default())
        .build()
        .await?)
}

async fn restore_into(client: &Client, stored: StoredSession) -> Result<(), SessionError> {
    info!(
        user_id = %stored.matrix.meta.user_id,
        device_id = %stored.matrix.meta.device_id,
        "restoring the stored session"
    );
    client
        .matrix_auth()
        .restore_session(stored.matrix, RoomLoadSettings::default())
        .await?;
    Ok(())
}

/// Takes the device lock without waiting: another process holding it is an error, not a queue.
fn lock_device(data_dir: &Path) -> Result<DeviceLock, SessionError> {
    let path = data_dir.join(LOCK_FILE);
    let io = |error| SessionError::DataDir {
        path: path.clone(),
        error,
    };
    // Opened without following a link and without waiting: a named pipe put there would
    // otherwise hang the start until someone reads it.
    let file = lock_file_options().open(&path).map_err(io)?;
    if let Err(error) = crate::files::ensure_regular(&file.metadata().map_err(io)?) {
        return Err(SessionError::Unreadable { path, error });
    }
    match file.try_lock() {
        Ok(()) => Ok(DeviceLock { _file: file }),
        Err(std::fs::TryLockError::WouldBlock) => Err(SessionError::InUse(path)),
        Err(std::fs::TryLockError::Error(error)) => Err(io(error)),
    }
}

/// The stored session, read through the data directory's guards ([`crate::files`]); `None`
/// if there is none.
fn read_session(data_dir: &Path) -> Result<Option<StoredSession>, SessionError> {
    let path = data_dir.join(SESSION_FILE);
    match crate::files::read_in_data_dir(
        data_dir,
        Path::new(SESSION_FILE),
        crate::files::SESSION_LIMIT,
    ) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|error| SessionError::Damaged { path, error }),
        Err(crate::files::ReadError::Io(error)) if error.kind() == std::io::ErrorKind::NotFound => {
            Ok(None)
        }
        Err(error) => Err(SessionError::Unreadable { path, error }),
    }
}

/// Writes the session atomically (temporary file, then rename) and readable by the owner only:
/// it holds the access token. The temporary file is made anew, so that whatever was left at its
/// name (a link to a file elsewhere) is replaced, never written through.
fn write_session(path: &Path, session: &StoredSession) -> Result<(), SessionError> {
    let io = |error| SessionError::DataDir {
        path: path.to_owned(),
        error,
    };
    let temporary = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec_pretty(session)
        .map_err(std::io::Error::other)
        .map_err(io)?;
    match std::fs::remove_file(&temporary) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(io(error)),
        _ => {}
    }
    let mut file = new_private_file_options().open(&temporary).map_err(io)?;
    file.write_all(&bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&temporary, path).map_err(io)
}

/// A new file (never one that exists, nor a link's target), readable by the owner only.
#[cfg(unix)]
fn new_private_file_options() -> std::fs::OpenOptions {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true).mode(0o600);
    options
}

#[cfg(not(unix))]
fn new_private_file_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    options
}

/// The lock file, created if needed (owner only), never through a link, never waiting.
#[cfg(unix)]
fn lock_file_options() -> std::fs::OpenOptions {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut options = std::fs::OpenOptions::new();
    options
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    options
}

#[cfg(not(unix))]
fn lock_file_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    options
}

/// Creates the data directory, readable by the owner only: it holds keys and tokens.
fn create_private_dir(path: &Path) -> Result<(), SessionError> {
    match crate::data_dir::prepare(path) {
        Ok(true) => {
            tracing::warn!(path = %path.display(), "the data directory was readable by others; it is now 0700");
            Ok(())
        }
        Ok(false) => Ok(()),
        Err(error) => Err(SessionError::DataDir {
            path: path.to_owned(),
            error: std::io::Error::other(error.to_string()),
        }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn one_process_at_a_time_holds_the_device() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_device(dir.path()).unwrap();
        let error = lock_device(dir.path()).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "another convene process (the running bot, or `convene doctor`) is using this data directory ({} is locked); stop it first: two processes on one device break its encryption sessions",
                dir.path().join(LOCK_FILE).display()
            )
        );
        drop(first);
        lock_device(dir.path()).unwrap();
    }
}
