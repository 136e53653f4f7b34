//! The one way convene reads the files people write for it — the configuration, the agenda files
//! and the password file — and the files it keeps in its data directory: the session and the
//! minutes archive.
//!
//! These paths come from a configuration that organizers edit and the bot reloads on its own, so
//! a mistake must never hang or exhaust the bot: a named pipe (FIFO) would block a plain
//! `read_to_string` forever (and with it `convene check` and every later hot reload), and a
//! symbolic link to `/dev/zero` would be read until memory runs out. So only regular files are
//! read (a symbolic link to one is fine), and only up to a limit; the text must be UTF-8, and if
//! it is not, the first bad byte is reported with its line and column, since a file saved as
//! Windows-1252 by an editor is the usual cause and the organizer has to find the `ä`.
//!
//! The data directory is the bot's, but it is also where a mistake or an attacker would put a
//! named pipe or a link to `/etc/shadow`, and its database names files in it. So a file there is
//! read by a name of plain components only (no `..`, never absolute), only if it resolves to a
//! place inside the data directory (a symbolic link within it is fine, one out of it is not),
//! and only if it is a regular file within the limit — and the file opened is the one checked:
//! opened without following a link swapped in meanwhile.

use std::fs::{File, FileType, Metadata, OpenOptions};
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};

use crate::diagnostic::{Diagnostic, Location};
use crate::i18n::Text;
use crate::text;

/// The largest configuration or agenda file read: far above any real one (a year of agendas is
/// a few dozen kilobytes), far below what could hurt the bot.
pub const YAML_LIMIT: u64 = 1024 * 1024;

/// The largest password file read: a password, perhaps with a newline, and nothing else.
pub const SECRET_LIMIT: u64 = 4 * 1024;

/// The largest `session.json` read: a user id, a device id and two tokens take a few hundred
/// bytes.
pub const SESSION_LIMIT: u64 = 64 * 1024;

/// Why a file could not be read as text.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The operating system refused (missing file, no permission, …).
    #[error("{0}")]
    Io(#[from] io::Error),
    /// A directory, named pipe, device or socket: reading it could block or never end.
    #[error("it is {}, not a regular file", .0.english)]
    NotAFile(Text),
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
    /// A file the bot keeps in its data directory that is not there: its name leads out of it
    /// (`..`, an absolute path), or it is a symbolic link to a place outside.
    #[error("it leads out of the data directory")]
    OutsideDataDir,
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
    pub fn hint(&self) -> Option<Text> {
        match self {
            Self::Io(_) => None,
            Self::NotAFile(_) => Some(text!(
                de: "convene liest nur reguläre Dateien (oder symbolische Links auf solche): ersetzen Sie sie durch eine normale Datei",
                en: "convene reads only regular files (or symbolic links to them): replace it with a plain file"
            )),
            Self::TooLarge { .. } => Some(text!(
                de: "diese Datei sollte wenige Kilobyte Text enthalten: prüfen Sie, ob es die richtige Datei ist",
                en: "this file should hold a few kilobytes of text: check that it is the right file"
            )),
            Self::NotUtf8 { .. } => Some(text!(
                de: "hier steht das erste Zeichen, das nicht UTF-8 ist: speichern Sie die Datei mit der Codierung UTF-8 (z. B. im Windows-Editor: „Speichern unter“, Codierung „UTF-8“)",
                en: "the first character that is not UTF-8 is here: save the file with the encoding UTF-8 (e.g. in Notepad: \"Save as\", Encoding \"UTF-8\")"
            )),
            Self::OutsideDataDir => Some(text!(
                de: "convene liest nur Dateien in seinem Datenverzeichnis: ersetzen Sie den Link durch die Datei selbst",
                en: "convene reads only files inside its data directory: replace the link with the file itself"
            )),
        }
    }

    /// The error in both languages; the English is the [`fmt::Display`](std::fmt::Display) text.
    /// The operating system's message of an I/O error is its own English; the common ones are
    /// said in German, any other is quoted.
    pub fn text(&self) -> Text {
        match self {
            Self::Io(error) => {
                let german = match error.kind() {
                    io::ErrorKind::NotFound => "die Datei existiert nicht".to_owned(),
                    io::ErrorKind::PermissionDenied => {
                        "convene fehlt die Berechtigung zum Lesen".to_owned()
                    }
                    _ => format!("Fehler des Betriebssystems ({error})"),
                };
                text!(de: "{german}", en: "{error}")
            }
            Self::NotAFile(kind) => text!(
                de: "es handelt sich um {german}, nicht um eine reguläre Datei",
                en: "it is {english}, not a regular file";
                english = &kind.english,
                german = &kind.german,
            ),
            Self::TooLarge { limit } => {
                let size = Size(*limit);
                text!(
                    de: "die Datei ist größer als {size}",
                    en: "it is larger than {size}"
                )
            }
            Self::NotUtf8 { .. } => {
                text!(de: "Dies ist kein UTF-8-Text", en: "this is not UTF-8 text")
            }
            Self::OutsideDataDir => text!(
                de: "sie führt aus dem Datenverzeichnis hinaus",
                en: "it leads out of the data directory"
            ),
        }
    }

    /// This error as a diagnostic about `file`, `what` naming the kind of file
    /// ("configuration", "die Konfiguration"). An error inside the file gets its position and
    /// stands on its own; an error about the file as a whole says what could not be read, with
    /// `io_hint` for I/O errors.
    pub fn to_diagnostic(&self, file: &Path, what: &Text, io_hint: Option<Text>) -> Diagnostic {
        let reason = self.text();
        let (message, hint) = match self {
            Self::NotUtf8 { .. } => (reason, self.hint()),
            _ => (
                text!(
                    de: "{what_de} kann nicht gelesen werden: {reason_de}",
                    en: "cannot read the {what_en}: {reason_en}";
                    what_en = &what.english,
                    reason_en = &reason.english,
                    what_de = what.german_capitalized(),
                    reason_de = &reason.german,
                ),
                match self {
                    Self::Io(_) => io_hint,
                    _ => self.hint(),
                },
            ),
        };
        Diagnostic {
            file: file.to_owned(),
            location: self.location(),
            path: None,
            message,
            hint,
        }
    }
}

/// Reads the text file at `path`, refusing anything but a regular file of at most `limit` bytes
/// in UTF-8. Never blocks on a named pipe and never reads more than `limit + 1` bytes.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    // Refuse special files before opening them: opening some devices has side effects, and
    // opening a named pipe for reading waits for a writer.
    ensure_regular(&std::fs::metadata(path)?)?;
    read_open(open_without_waiting(path, Follow::Links)?, limit)
}

/// Reads the text file `relative` (plain components only, such as `minutes/x.md`) inside
/// `data_dir`, with the guards of [`read_text`], and only if it is inside the data directory
/// once every symbolic link is resolved. A file that does not exist is an [`io::ErrorKind::NotFound`]
/// error, as for [`read_text`].
pub fn read_in_data_dir(data_dir: &Path, relative: &Path, limit: u64) -> Result<String, ReadError> {
    let path = resolve_in_data_dir(data_dir, relative)?;
    // `path` holds no link any more: one swapped in now is not followed, but refused.
    ensure_regular(&std::fs::symlink_metadata(&path)?)?;
    read_open(open_without_waiting(&path, Follow::Never)?, limit)
}

/// `relative` inside `data_dir` with every symbolic link resolved, if it names a place inside
/// the data directory (which may itself be reached through a link).
pub fn resolve_in_data_dir(data_dir: &Path, relative: &Path) -> Result<PathBuf, ReadError> {
    let plain = relative
        .components()
        .all(|component| matches!(component, Component::Normal(_)));
    if !plain || relative.as_os_str().is_empty() {
        return Err(ReadError::OutsideDataDir);
    }
    let resolved = data_dir.join(relative).canonicalize()?;
    if resolved.starts_with(data_dir.canonicalize()?) {
        Ok(resolved)
    } else {
        Err(ReadError::OutsideDataDir)
    }
}

/// Reads an opened file, checked again through the handle (the path may have been replaced
/// between the two looks; the open handle is what is read).
fn read_open(file: File, limit: u64) -> Result<String, ReadError> {
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

/// Whether an open follows a symbolic link in the last component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Follow {
    Links,
    Never,
}

/// Opens for reading without waiting for a writer, should a named pipe have been swapped in.
#[cfg(unix)]
fn open_without_waiting(path: &Path, follow: Follow) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let no_follow = match follow {
        Follow::Links => 0,
        Follow::Never => libc::O_NOFOLLOW,
    };
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | no_follow)
        .open(path)
}

/// Opens for reading (named pipes cannot block an open here).
#[cfg(not(unix))]
fn open_without_waiting(path: &Path, _follow: Follow) -> io::Result<File> {
    OpenOptions::new().read(true).open(path)
}

/// Refuses anything but a regular file, saying what it is.
pub fn ensure_regular(metadata: &Metadata) -> Result<(), ReadError> {
    if metadata.is_file() {
        Ok(())
    } else {
        Err(ReadError::NotAFile(kind_of(metadata.file_type())))
    }
}

/// What a file that is not a regular file is, in words.
fn kind_of(file_type: FileType) -> Text {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if file_type.is_fifo() {
            return text!(const de: "eine benannte Pipe (FIFO)", en: "a named pipe (FIFO)");
        }
        if file_type.is_char_device() || file_type.is_block_device() {
            return text!(const de: "eine Gerätedatei", en: "a device");
        }
        if file_type.is_socket() {
            return text!(const de: "einen Socket", en: "a socket");
        }
    }
    if file_type.is_dir() {
        text!(const de: "ein Verzeichnis", en: "a directory")
    } else {
        text!(const de: "eine Spezialdatei", en: "a special file")
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

    /// The data directory's files: inside it (links within it too), regular, within the limit;
    /// a named pipe is refused at once, never opened for a writer that does not come.
    #[cfg(unix)]
    #[test]
    fn reads_in_the_data_directory_only_what_is_inside_it() {
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("data");
        std::fs::create_dir_all(data.join("minutes")).unwrap();
        std::fs::write(data.join("minutes/a.md"), "# A\n").unwrap();
        std::fs::write(root.path().join("shadow"), "secret\n").unwrap();
        let read = |relative: &str| {
            read_in_data_dir(&data, Path::new(relative), 100).map_err(|e| e.to_string())
        };
        assert_eq!(read("minutes/a.md").unwrap(), "# A\n");
        std::os::unix::fs::symlink("a.md", data.join("minutes/b.md")).unwrap();
        assert_eq!(read("minutes/b.md").unwrap(), "# A\n");
        // The data directory itself may be reached through a link.
        let link = root.path().join("link");
        std::os::unix::fs::symlink(&data, &link).unwrap();
        assert_eq!(
            read_in_data_dir(&link, Path::new("minutes/a.md"), 100).unwrap(),
            "# A\n"
        );

        let outside = "it leads out of the data directory";
        std::os::unix::fs::symlink(root.path().join("shadow"), data.join("minutes/x.md")).unwrap();
        assert_eq!(read("minutes/x.md").unwrap_err(), outside);
        std::os::unix::fs::symlink(root.path(), data.join("up")).unwrap();
        assert_eq!(read("up/shadow").unwrap_err(), outside);
        assert_eq!(read("../shadow").unwrap_err(), outside);
        assert_eq!(read("minutes/../../shadow").unwrap_err(), outside);
        assert_eq!(
            read_in_data_dir(&data, &root.path().join("shadow"), 100)
                .unwrap_err()
                .to_string(),
            outside
        );
        std::os::unix::fs::symlink("/dev/zero", data.join("zero")).unwrap();
        assert_eq!(read("zero").unwrap_err(), outside);
        assert_eq!(
            read_in_data_dir(&data, Path::new("minutes/a.md"), 2)
                .unwrap_err()
                .to_string(),
            "it is larger than 2 bytes"
        );
        assert!(matches!(
            read_in_data_dir(&data, Path::new("missing"), 100),
            Err(ReadError::Io(error)) if error.kind() == io::ErrorKind::NotFound
        ));

        let status = std::process::Command::new("mkfifo")
            .arg(data.join("session.json"))
            .status()
            .unwrap();
        assert!(status.success());
        let (sender, receiver) = std::sync::mpsc::channel();
        let fifo = data.clone();
        std::thread::spawn(move || {
            let result = read_in_data_dir(&fifo, Path::new("session.json"), 100);
            let _ = sender.send(result.map_err(|e| e.to_string()));
        });
        let result = receiver
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("reading a named pipe hangs");
        assert_eq!(
            result.unwrap_err(),
            "it is a named pipe (FIFO), not a regular file"
        );
    }
}
