//! Errors in files that organizers write, reported the way compilers do: `file:line:col`,
//! the YAML path, what is wrong and how to fix it. They are collected, not stopped at the first,
//! so one run of `convene check` shows everything that needs fixing.
//!
//! The same diagnostics go to the terminal of `convene check` and into the organizers' room after
//! a failed hot reload. The terminal gets them in English ([`fmt::Display`]), as operators and
//! logs expect; the room gets them in the network's language ([`Diagnostics::render`]). So every
//! message and hint is a [`Text`] with both languages, written side by side with [`text!`].
//!
//! Organizers know their files as `agendas/x.yaml`, not as the server path the bot was started
//! with, so files are shown relative to the configuration's directory
//! ([`Diagnostics::relative_to`]). What organizers wrote is echoed shortened and with invisible
//! characters made visible ([`echo`]), and nothing reaches a terminal or a room that could
//! reorder or hide the text around it ([`visible`]).

use std::borrow::Cow;
use std::fmt;
use std::path::{Component, Path, PathBuf};

use crate::i18n::Language;
use crate::i18n::Text;

/// The most characters of organizers' input echoed in a message; longer input is cut with `…`.
pub const MAX_ECHO: usize = 80;

/// Input that organizers wrote, for quoting in a message: at most [`MAX_ECHO`] characters, with
/// invisible characters made visible (see [`visible`]).
pub fn echo(input: &str) -> String {
    let mut short: String = input.chars().take(MAX_ECHO).collect();
    if input.chars().nth(MAX_ECHO).is_some() {
        short.push('…');
    }
    visible(&short).into_owned()
}

/// Whether `c` would be invisible, or change how the text around it is shown: control
/// characters, bidirectional overrides, isolates and marks, zero-width characters and the line
/// and paragraph separators.
fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
        )
}

/// `text` with every invisible character written as an escape: `\n`, `\r`, `\t`, `\0`, or
/// `\u{202e}`. A bidirectional override in an echoed value would otherwise reorder the rest of
/// the line in the room and on the terminal, and a line break would forge a line of its own.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_invisible) {
        return Cow::Borrowed(text);
    }
    let mut shown = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => shown.push_str("\\n"),
            '\r' => shown.push_str("\\r"),
            '\t' => shown.push_str("\\t"),
            '\0' => shown.push_str("\\0"),
            c if is_invisible(c) => shown.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => shown.push(c),
        }
    }
    Cow::Owned(shown)
}

/// A 1-based line and column in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// Line, starting at 1.
    pub line: usize,
    /// Column in characters, starting at 1.
    pub column: usize,
}

/// One error in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file: as it was opened, until [`Diagnostics::relative_to`] shortens it for showing.
    pub file: PathBuf,
    /// Where in the file, when known.
    pub location: Option<Location>,
    /// The YAML path of the offending node, such as `network.members[1].room`.
    pub path: Option<String>,
    /// What is wrong.
    pub message: Text,
    /// How to fix it.
    pub hint: Option<Text>,
}

impl Diagnostic {
    /// The diagnostic in `language`, for the organizers' room: `agendas/x.yaml:5:10: Fehler: …`
    /// with `Hinweis: …` on a second line. In English it is exactly what the terminal shows.
    pub fn render(&self, language: Language) -> String {
        let mut shown = String::new();
        // Writing into a String cannot fail.
        let _ = self.write(&mut shown, language);
        shown
    }

    fn write(&self, f: &mut impl fmt::Write, language: Language) -> fmt::Result {
        let error = crate::text!(const de: "Fehler", en: "error");
        write!(f, "{}", visible(&self.file.display().to_string()))?;
        if let Some(Location { line, column }) = self.location {
            write!(f, ":{line}:{column}")?;
        }
        write!(f, ": {}: ", error.get(language))?;
        if let Some(path) = &self.path {
            write!(f, "{}: ", visible(path))?;
        }
        f.write_str(&visible(self.message.get(language)))?;
        if let Some(hint) = &self.hint {
            // A German hint is a sentence of its own after the colon: "Hinweis: Schreiben Sie …";
            // an English one goes on after it: "hint: write …".
            let hint = crate::text!(
                de: "Hinweis: {german}",
                en: "hint: {english}";
                german = visible(&hint.german_capitalized()).into_owned(),
                english = visible(&hint.english),
            );
            write!(f, "\n  {}", hint.get(language))?;
        }
        Ok(())
    }
}

/// The terminal's form: always English.
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, Language::English)
    }
}

/// All errors found in one or more files; never empty when returned as an error.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// The individual errors.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    /// How many errors there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds the errors of another file.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// Shows the files relative to `dir` (the configuration's directory): `agendas/x.yaml`
    /// instead of `/srv/convene/./agendas/x.yaml`. A file outside `dir` is shown with its
    /// absolute path, since a path with `../` is no easier to find.
    pub fn relative_to(mut self, dir: &Path) -> Self {
        let dir = normalized(dir);
        for diagnostic in &mut self.0 {
            let file = normalized(&diagnostic.file);
            diagnostic.file = relative(&file, &dir).unwrap_or(file);
        }
        self
    }
}

/// `file` relative to `dir` when that reads well: inside it (`agendas/x.yaml`) or beside it,
/// at most two levels up (`../agendas/x.yaml`, the layout of the shipped example); `None`
/// otherwise.
fn relative(file: &Path, dir: &Path) -> Option<PathBuf> {
    let common = file
        .components()
        .zip(dir.components())
        .take_while(|(a, b)| a == b)
        .count();
    let ups = dir.components().count().checked_sub(common)?;
    // Only within a shared directory two levels below the root (`/srv/bot`), not merely
    // beside each other in `/tmp` or `/srv`.
    if ups > 2 || common < 3 {
        return None;
    }
    let mut relative = PathBuf::new();
    for _ in 0..ups {
        relative.push("..");
    }
    relative.extend(file.components().skip(common));
    (!relative.as_os_str().is_empty()).then_some(relative)
}

/// `path` made absolute (from the working directory) with `.` and `..` resolved by their names,
/// without asking the file system: for showing a path, not for opening it.
fn normalized(path: &Path) -> PathBuf {
    let path = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let mut normal = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normal.pop();
            }
            other => normal.push(other),
        }
    }
    normal
}

impl From<Vec<Diagnostic>> for Diagnostics {
    fn from(diagnostics: Vec<Diagnostic>) -> Self {
        Self(diagnostics)
    }
}

impl Diagnostics {
    /// All errors in `language`, one after the other, for the organizers' room. In English it is
    /// exactly what the terminal shows.
    pub fn render(&self, language: Language) -> String {
        self.0
            .iter()
            .map(|diagnostic| diagnostic.render(language))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// The terminal's form: always English.
impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, diagnostic) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text;

    fn shown(file: &str, dir: &str) -> String {
        let diagnostics = Diagnostics::from(vec![Diagnostic {
            file: PathBuf::from(file),
            location: None,
            path: None,
            message: text!(const de: "m", en: "m"),
            hint: None,
        }]);
        let shown = diagnostics.relative_to(Path::new(dir));
        shown.iter().map(|d| d.file.display().to_string()).collect()
    }

    #[test]
    fn texts_keep_both_languages_side_by_side() {
        let value = "14.01.2027";
        let message = text!(de: "`{value}` ist kein Datum", en: "`{value}` is not a date");
        assert_eq!(message.english, "`14.01.2027` is not a date");
        assert_eq!(message.german, "`14.01.2027` ist kein Datum");
        assert_eq!(message.get(Language::German), message.german);
        assert_eq!(message.get(Language::English), message.english);

        let what = text!(const de: "der Titel", en: "title");
        let message = text!(
            de: "{what_de} ist länger als {max} Zeichen",
            en: "the {what_en} is longer than {max} characters";
            what_en = &what.english,
            what_de = what.german_capitalized(),
            max = 200,
        );
        assert_eq!(message.english, "the title is longer than 200 characters");
        assert_eq!(message.german, "Der Titel ist länger als 200 Zeichen");

        // Braces are escaped as in `format!`; a fixed text takes them as they are.
        let braces = text!(de: "schreiben Sie `{{ env: X }}`", en: "write `{{ env: X }}`");
        assert_eq!(braces.english, "write `{ env: X }`");
        assert_eq!(
            text!(const de: "`{ env: X }`", en: "`{ env: X }`").english,
            braces.english.trim_start_matches("write ")
        );
        assert_eq!(text::capitalized("über"), "Über");
        assert_eq!(text::capitalized(""), "");
    }

    fn diagnostic(message: Text, hint: Option<Text>) -> Diagnostic {
        Diagnostic {
            file: PathBuf::from("agendas/x.yaml"),
            location: Some(Location {
                line: 5,
                column: 10,
            }),
            path: Some("network.members[1].room".to_owned()),
            message,
            hint,
        }
    }

    #[test]
    fn renders_in_the_network_language_and_english_on_the_terminal() {
        let room = "bitburg";
        let one = diagnostic(
            text!(
                de: "`{room}` ist weder eine Raum-ID noch eine Raumadresse (Alias)",
                en: "`{room}` is not a room id or alias"
            ),
            Some(text!(const de: "schreiben Sie `#a:b`", en: "write `#a:b`")),
        );
        let two = Diagnostic {
            location: None,
            path: None,
            hint: None,
            ..one.clone()
        };
        assert_eq!(
            one.to_string(),
            "agendas/x.yaml:5:10: error: network.members[1].room: `bitburg` is not a room id or alias\n  hint: write `#a:b`"
        );
        assert_eq!(one.render(Language::English), one.to_string());
        assert_eq!(
            one.render(Language::German),
            "agendas/x.yaml:5:10: Fehler: network.members[1].room: `bitburg` ist weder eine Raum-ID noch eine Raumadresse (Alias)\n  Hinweis: Schreiben Sie `#a:b`"
        );
        let both = Diagnostics::from(vec![one, two]);
        assert_eq!(both.render(Language::English), both.to_string());
        assert_eq!(
            both.render(Language::German).lines().nth(2),
            Some(
                "agendas/x.yaml: Fehler: `bitburg` ist weder eine Raum-ID noch eine Raumadresse (Alias)"
            )
        );
    }

    #[test]
    fn echoes_are_short_and_show_invisible_characters() {
        assert_eq!(echo("2026-13-01"), "2026-13-01");
        assert_eq!(echo("Grünstadt \\ Zweibrücken"), "Grünstadt \\ Zweibrücken");
        assert_eq!(echo("a\r\nb\t\0\u{1b}"), "a\\r\\nb\\t\\0\\u{1b}");
        assert_eq!(
            echo("\u{202a}\u{202b}\u{202c}\u{202d}\u{202e}"),
            "\\u{202a}\\u{202b}\\u{202c}\\u{202d}\\u{202e}"
        );
        assert_eq!(
            echo("\u{2066}\u{2067}\u{2068}\u{2069}\u{200e}\u{200f}"),
            "\\u{2066}\\u{2067}\\u{2068}\\u{2069}\\u{200e}\\u{200f}"
        );
        assert_eq!(
            echo("a\u{200b}\u{200c}\u{200d}\u{2060}\u{feff}\u{2028}b"),
            "a\\u{200b}\\u{200c}\\u{200d}\\u{2060}\\u{feff}\\u{2028}b"
        );
        let long = "ä".repeat(MAX_ECHO + 20);
        assert_eq!(echo(&long), format!("{}…", "ä".repeat(MAX_ECHO)));
        assert_eq!(echo(&"x".repeat(MAX_ECHO)), "x".repeat(MAX_ECHO));
        // Cut first, then escaped: an escape is never cut in half.
        let cut = format!("{}\u{202e}abc", "x".repeat(MAX_ECHO - 1));
        assert_eq!(
            echo(&cut),
            format!("{}\\u{{202e}}…", "x".repeat(MAX_ECHO - 1))
        );
    }

    #[test]
    fn invisible_characters_are_escaped_wherever_they_come_from() {
        // A message built without `echo`, a YAML path with a key from the file, a file name:
        // nothing raw reaches the terminal or the room.
        let mut hostile = diagnostic(
            text!(de: "schlecht \u{202e}x", en: "bad \u{202e}x"),
            Some(text!(de: "ändern\nSie es", en: "fix\nit")),
        );
        hostile.path = Some("a.\u{200b}b".to_owned());
        hostile.file = PathBuf::from("agendas/\u{2067}x.yaml");
        for language in [Language::German, Language::English] {
            let shown = hostile.render(language);
            assert!(
                !shown.contains(['\u{202e}', '\u{200b}', '\u{2067}']),
                "{shown}"
            );
            assert_eq!(shown.lines().count(), 2, "{shown}");
        }
        assert_eq!(
            hostile.render(Language::German),
            "agendas/\\u{2067}x.yaml:5:10: Fehler: a.\\u{200b}b: schlecht \\u{202e}x\n  Hinweis: Ändern\\nSie es"
        );
    }

    #[test]
    fn shows_files_relative_to_the_configuration_directory() {
        assert_eq!(
            shown("/srv/bot/./agendas/x.yaml", "/srv/bot"),
            "agendas/x.yaml"
        );
        assert_eq!(shown("/srv/bot/convene.yaml", "/srv/bot/"), "convene.yaml");
        // The shipped layout: config/convene.yaml with `agendas_dir: ../agendas`.
        assert_eq!(
            shown("/srv/bot/config/../agendas/x.yaml", "/srv/bot/config"),
            "../agendas/x.yaml"
        );
        assert_eq!(shown("/srv/other/x.yaml", "/srv/bot"), "/srv/other/x.yaml");
        // More than two levels up, or only the root in common: the absolute path.
        assert_eq!(shown("/srv/x.yaml", "/srv/bot/config/deep"), "/srv/x.yaml");
        assert_eq!(shown("/tmp/x.yaml", "/srv/bot"), "/tmp/x.yaml");
        assert_eq!(shown("/srv/bot", "/srv/bot"), "/srv/bot");
        // Relative paths are taken from the working directory.
        assert_eq!(shown("convene.yaml", ""), "convene.yaml");
        assert_eq!(shown("a/b.yaml", "a"), "b.yaml");
        assert_eq!(shown("/x.yaml", "/a/b"), "/x.yaml");
    }
}
