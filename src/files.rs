//! The one way convene reads the files people write for it: the configuration, the agenda files
//! and the password file.
//!
//! These paths come from a configuration that organizers edit and the bot reloads on its own, so
//! a mistake must never hang or exhaust the bot: a named pipe (FIFO) would block a plain
//! `read_to_string` forever (and with it `convene check` and every later hot reload), and a
//! symbolic link to `/dev/zero` would be read until memory runs out. So only regular files are
//! read (a symbolic link to one is fine), and only up to a limit; the text must be UTF-8, and if
//! it is not, the first bad byte is reported with its line and column, since a file saved as
//! Windows-1252 by an editor is the usual cause and the organizer has to find the `ä`.

use std::fs::{File, FileType, Metadata, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

use crate::diagnostic::{Diagnostic, Location};

/// The largest configuration or agenda file read: far above any real one (a year of agendas is
/// a few dozen kilobytes), far below what could hurt the bot.
pub const YAML_LIMIT: u64 = 1024 * 1024;

/// The largest password file read: a password, perhaps with a newline, and nothing else.
pub const SECRET_LIMIT: u64 = 4 * 1024;

/// Why a file could not be read as text.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The operating system refused (missing file, no permission, …).
    #[error("{0}")]
    Io(#[from] io::Error),
    /// A directory, named pipe, device or socket: reading it could block or never end.
    #[error("it is {0}, not a regular file")]
    NotAFile(&'static str),
    /// Larger than the limit for this kind of file.
    #[error("it is larger than {}", Size(*.limit))]
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// Not UTF-8. The byte itself is not shown: for a password file it would be part of the
    /// secret.
    #[error("this is not UTF-8 text")]
    NotUtf8 {
        /// Where the first byte that is not UTF-8 is.
        location: Location,
    },
}

impl ReadError {
    /// Where in the file the problem is, when it is inside the file.
    pub fn location(&self) -> Option<Location> {
        match self {
            Self::NotUtf8 { location } => Some(*location),
            _ => None,
        }
    }

    /// How to fix it, when there is something useful to say.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Self::Io(_) => None,
            Self::NotAFile(_) => Some(
                "convene reads only regular files (or symbolic links to them): replace it with a plain file",
            ),
            Self::TooLarge { .. } => Some(
                "this file should hold a few kilobytes of text: check that it is the right file",
            ),
            Self::NotUtf8 { .. } => Some(
                "the first character that is not UTF-8 is here: save the file with the encoding UTF-8 (e.g. in Notepad: \"Save as\", Encoding \"UTF-8\")",
            ),
        }
    }

    /// This error as a diagnostic about `file`, `what` naming the kind of file ("configuration",
    /// "agenda"). An error inside the file gets its position and stands on its own; an error
    /// about the file as a whole says what could not be read, with `io_hint` for I/O errors.
    pub fn to_diagnostic(&self, file: &Path, what: &str, io_hint: Option<&str>) -> Diagnostic {
        let (message, hint) = match self {
            Self::NotUtf8 { .. } => (self.to_string(), self.hint()),
            Self::Io(_) => (format!("cannot read the {what}: {self}"), io_hint),
            _ => (format!("cannot read the {what}: {self}"), self.hint()),
        };
        Diagnostic {
            file: file.to_owned(),
            location: self.location(),
            path: None,
            message,
            hint: hint.map(str::to_owned),
        }
    }
}

/// Reads the text file at `path`, refusing anything but a regular file of at most `limit` bytes
/// in UTF-8. Never blocks on a named pipe and never reads more than `limit + 1` bytes.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    // Refuse special files before opening them: opening some devices has side effects, and
    // opening a named pipe for reading waits for a writer.
    ensure_regular(&std::fs::metadata(path)?)?;
    let file = open_without_waiting(path)?;
    // The path may have been replaced between the two looks; the open handle is what is read.
    let metadata = file.metadata()?;
    ensure_regular(&metadata)?;
    if metadata.len() > limit {
        return Err(ReadError::TooLarge { limit });
    }
    let mut bytes = Vec::new();
    // The file may grow after the check: read one byte more than allowed to notice.
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if u64::try_from(bytes.len()).map_or(true, |len| len > limit) {
        return Err(ReadError::TooLarge { limit });
    }
    decode(bytes)
}

/// Opens for reading without waiting for a writer, should a named pipe have been swapped in.
#[cfg(unix)]
fn open_without_waiting(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

/// Opens for reading (named pipes cannot block an open here).
#[cfg(not(unix))]
fn open_without_waiting(path: &Path) -> io::Result<File> {
    OpenOptions::new().read(true).open(path)
}

fn ensure_regular(metadata: &Metadata) -> Result<(), ReadError> {
    if metadata.is_file() {
        Ok(())
    } else {
        Err(ReadError::NotAFile(kind_of(metadata.file_type())))
    }
}

/// What a file that is not a regular file is, in words.
fn kind_of(file_type: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if file_type.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return "a device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

/// Decodes UTF-8, locating the first invalid byte by line and column (in characters, as
/// [`Location`] counts them).
fn decode(bytes: Vec<u8>) -> Result<String, ReadError> {
    String::from_utf8(bytes).map_err(|error| {
        let valid_up_to = error.utf8_error().valid_up_to();
        // Everything before the bad byte is valid UTF-8, so it can be counted in characters.
        let valid =
            String::from_utf8_lossy(error.as_bytes().get(..valid_up_to).unwrap_or_default());
        let line_start = valid.rfind('\n').map_or(0, |i| i + 1);
        ReadError::NotUtf8 {
            location: Location {
                line: valid.matches('\n').count() + 1,
                column: valid[line_start..].chars().count() + 1,
            },
        }
    })
}

/// A byte count as people write limits: `1 MiB`, `4 KiB`, `100 bytes`.
struct Size(u64);

impl std::fmt::Display for Size {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const KIB: u64 = 1024;
        match self.0 {
            n if n >= KIB * KIB && n % (KIB * KIB) == 0 => write!(f, "{} MiB", n / (KIB * KIB)),
            n if n >= KIB && n % KIB == 0 => write!(f, "{} KiB", n / KIB),
            n => write!(f, "{n} bytes"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location_of(bytes: &[u8]) -> (usize, usize) {
        match decode(bytes.to_vec()) {
            Err(ReadError::NotUtf8 { location }) => (location.line, location.column),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn locates_the_first_invalid_byte_in_characters() {
        assert_eq!(location_of(b"\xE4"), (1, 1));
        assert_eq!(location_of(b"a: 1\nb: Gr\xFCn\n"), (2, 6));
        // Valid multi-byte characters before it count as one column each.
        assert_eq!(location_of(b"x\nt\xC3\xA4st: \xE4"), (2, 7));
        // A sequence cut off at the end of the file.
        assert_eq!(location_of(b"ab\xC3"), (1, 3));
    }

    #[test]
    fn names_limits_in_binary_units() {
        assert_eq!(Size(YAML_LIMIT).to_string(), "1 MiB");
        assert_eq!(Size(SECRET_LIMIT).to_string(), "4 KiB");
        assert_eq!(Size(100).to_string(), "100 bytes");
    }

    #[test]
    fn reads_regular_files_and_symbolic_links_to_them() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.yaml");
        std::fs::write(&file, "a: ä\n").unwrap();
        assert_eq!(read_text(&file, 100).unwrap(), "a: ä\n");
        #[cfg(unix)]
        {
            let link = dir.path().join("link.yaml");
            std::os::unix::fs::symlink(&file, &link).unwrap();
            assert_eq!(read_text(&link, 100).unwrap(), "a: ä\n");
        }
        assert_eq!(
            read_text(&file, 5).unwrap_err().to_string(),
            "it is larger than 5 bytes"
        );
        assert_eq!(
            read_text(dir.path(), 100).unwrap_err().to_string(),
            "it is a directory, not a regular file"
        );
    }
}
