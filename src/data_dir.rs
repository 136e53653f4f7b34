//! The data directory: the bot's session, encryption keys and database live there, so it is
//! readable by its owner only.
//!
//! Every command that creates it creates it with mode 0700, and one that finds it open to
//! others (made by hand, by an older convene, or restored from a backup with other modes)
//! tightens it before it writes anything secret into it — or refuses to go on, saying why.

use std::path::{Path, PathBuf};

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
}

/// Creates `path` (and its parents) with mode 0700, or makes an existing one 0700. Returns
/// whether the mode had to be tightened.
pub fn prepare(path: &Path) -> Result<bool, DataDirError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(path).map_err(|error| DataDirError::Create {
        path: path.to_owned(),
        error,
    })?;
    let metadata = std::fs::metadata(path).map_err(|error| DataDirError::Create {
        path: path.to_owned(),
        error,
    })?;
    if !metadata.is_dir() {
        return Err(DataDirError::NotADirectory(path.to_owned()));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).map_err(
                |error| DataDirError::Open {
                    path: path.to_owned(),
                    mode,
                    error,
                },
            )?;
            return Ok(true);
        }
    }
    Ok(false)
}

#[cfg(all(test, unix))]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_new_data_directory_is_private_and_an_open_one_is_tightened() {
        let root = tempfile::tempdir().unwrap();
        let fresh = root.path().join("a/b/data");
        assert!(!prepare(&fresh).unwrap());
        assert_eq!(mode(&fresh), 0o700);

        let open = root.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(prepare(&open).unwrap());
        assert_eq!(mode(&open), 0o700);

        let file = root.path().join("file");
        std::fs::write(&file, "").unwrap();
        assert!(matches!(
            prepare(&file),
            Err(DataDirError::Create { .. } | DataDirError::NotADirectory(_))
        ));
    }
}
