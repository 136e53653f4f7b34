//! Logging in once and staying the same device ever after.
//!
//! End-to-end encryption ties the bot's keys to one device. So the bot logs in with its password
//! only on its very first start, keeps the session (user, device id, access token) in
//! `DATA_DIR/session.json` next to the SDK's SQLite stores in `DATA_DIR/matrix/`, and restores
//! both on every later start. A new device on every start would leave every encrypted room
//! unable to talk to it.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use matrix_sdk::authentication::matrix::MatrixSession;
use matrix_sdk::encryption::EncryptionSettings;
use matrix_sdk::store::RoomLoadSettings;
use matrix_sdk::{Client, SqliteStoreConfig};
use serde::{Deserialize, Serialize};
use tracing::info;

use crate::config::{Config, SecretError};

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
}

/// Builds the client on the stores in the data directory and restores the stored session, or
/// logs in with the password when there is none yet.
pub async fn connect(config: &Config) -> Result<Connected, SessionError> {
    let data_dir = &config.data_dir;
    create_private_dir(data_dir)?;
    let session_path = data_dir.join("session.json");
    let stored = read_session(&session_path)?;
    if let Some(stored) = &stored
        && stored.matrix.meta.user_id != config.bot.user_id
    {
        return Err(SessionError::OtherAccount {
            path: session_path,
            stored: stored.matrix.meta.user_id.to_string(),
            configured: config.bot.user_id.to_string(),
        });
    }

    let client = Client::builder()
        .homeserver_url(config.homeserver.as_str())
        // The SDK's defaults give each of its stores a pool of four connections per core with
        // 2 MiB of page cache each; a bot reads little and can do with one connection per core,
        // 500 kB of cache and a bounded WAL file (the SDK's "low memory" configuration).
        .sqlite_store_with_config_and_cache_path(
            SqliteStoreConfig::with_low_memory_config(data_dir.join("matrix")),
            None::<&Path>,
        )
        .with_encryption_settings(EncryptionSettings {
            // Cross-signs the bot's own device at the first login, so clients that hide
            // messages from devices their owner has not verified (Element X) trust it.
            auto_enable_cross_signing: true,
            ..EncryptionSettings::default()
        })
        .build()
        .await?;

    if let Some(stored) = stored {
        info!(
            user_id = %stored.matrix.meta.user_id,
            device_id = %stored.matrix.meta.device_id,
            "restoring the stored session"
        );
        client
            .matrix_auth()
            .restore_session(stored.matrix, RoomLoadSettings::default())
            .await?;
        return Ok(Connected {
            client,
            new_device: false,
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
    Ok(Connected {
        client,
        new_device: true,
    })
}

fn read_session(path: &Path) -> Result<Option<StoredSession>, SessionError> {
    match std::fs::read(path) {
        Ok(bytes) => {
            serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|error| SessionError::Damaged {
                    path: path.to_owned(),
                    error,
                })
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(SessionError::DataDir {
            path: path.to_owned(),
            error,
        }),
    }
}

/// Writes the session atomically (temporary file, then rename) and readable by the owner only:
/// it holds the access token.
fn write_session(path: &Path, session: &StoredSession) -> Result<(), SessionError> {
    let io = |error| SessionError::DataDir {
        path: path.to_owned(),
        error,
    };
    let temporary = path.with_extension("json.tmp");
    let bytes = serde_json::to_vec_pretty(session)
        .map_err(std::io::Error::other)
        .map_err(io)?;
    let mut file = private_file_options().open(&temporary).map_err(io)?;
    file.write_all(&bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    std::fs::rename(&temporary, path).map_err(io)
}

#[cfg(unix)]
fn private_file_options() -> std::fs::OpenOptions {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true).mode(0o600);
    options
}

#[cfg(not(unix))]
fn private_file_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
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
