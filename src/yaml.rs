//! The one place that reads YAML.
//!
//! `serde_yaml` is archived upstream, so every use of it stays inside this module: the rest of
//! convene sees [`Node`]s (a value plus the path that leads to it) and [`Diagnostic`]s with
//! `file:line:col`.
//!
//! Loading works in three steps, like ripgrep's and just's parsers: the text is parsed into a
//! tree (a syntax error is reported with its position and ends the load, since nothing after it
//! can be trusted); then the caller walks the tree with [`Node`], validating into domain types and
//! *collecting* every [`Problem`] instead of stopping at the first; finally [`Document::finish`]
//! turns each problem's YAML path into a line and column.
//!
//! serde_yaml has no spanned values, but it does attach the position of the current node to any
//! error raised while deserializing it. [`Document::locate`] uses exactly that: it deserializes
//! the text with a seed that walks down the problem's path and fails on purpose at the target,
//! and reads the position off the error. One YAML dialect (libyaml's), no second parser.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_yaml::Value;

use crate::diagnostic::{Diagnostic, Diagnostics, Location, Text, echo};
use crate::text;

/// One step on the way from the document root to a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// The value under a mapping key.
    Key(String),
    /// The element at an index of a sequence.
    Index(usize),
}

/// The path from the document root to a node, shown as `network.members[2].room`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct YamlPath(Vec<Segment>);

impl YamlPath {
    /// The path one key further down.
    pub fn key(&self, key: &str) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Key(key.to_owned()));
        Self(segments)
    }

    /// The path one sequence element further down.
    pub fn index(&self, index: usize) -> Self {
        let mut segments = self.0.clone();
        segments.push(Segment::Index(index));
        Self(segments)
    }
}

impl fmt::Display for YamlPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(document)");
        }
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => write!(f, "{key}")?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// Which part of a mapping entry a problem points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The value (or, for the root, the whole document).
    Value,
    /// The key itself: for unknown keys, where the value does not matter.
    Key,
}

/// A validation problem found while walking the tree, before it has a line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where in the document.
    pub path: YamlPath,
    /// Whether the key or the value is at fault.
    pub target: Target,
    /// What is wrong, in one sentence without a trailing period.
    pub message: Text,
    /// How to fix it, if there is something useful to say.
    pub hint: Option<Text>,
}

/// A parsed YAML file: its text (for locating problems) and its tree.
#[derive(Debug)]
pub struct Document {
    file: PathBuf,
    text: String,
    root: Value,
}

impl Document {
    /// Parses `text`, read from `file`. A syntax error is returned as a single diagnostic, always
    /// with a position: serde_yaml leaves some errors without one (several documents, a repeated
    /// key in a nested section, aliases that expand too much), and those are located here.
    pub fn parse(file: &Path, text: String) -> Result<Self, Diagnostics> {
        // Windows editors save "UTF-8 with BOM"; libyaml then sees a second document. The mark
        // is invisible in editors, so positions count from after it.
        let text = match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_owned(),
            None => text,
        };
        match serde_yaml::from_str::<Value>(&text) {
            Ok(root) => Ok(Self {
                file: file.to_owned(),
                text,
                root,
            }),
            Err(error) => {
                let syntax = SyntaxError::of(&text, &error);
                Err(Diagnostics::from(vec![Diagnostic {
                    file: file.to_owned(),
                    location: Some(syntax.location),
                    path: syntax.path.map(|path| path.to_string()),
                    message: syntax.message,
                    hint: Some(syntax.hint),
                }]))
            }
        }
    }

    /// The root node, to start validating from.
    pub fn root(&self) -> Node<'_> {
        Node {
            value: &self.root,
            path: YamlPath::default(),
        }
    }

    /// The file this document was read from.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Turns collected problems into diagnostics with positions, in document order.
    pub fn finish(&self, problems: Vec<Problem>) -> Diagnostics {
        let mut diagnostics: Vec<Diagnostic> = problems
            .into_iter()
            .map(|problem| Diagnostic {
                file: self.file.clone(),
                location: self.locate(&problem.path, problem.target),
                path: (!problem.path.0.is_empty()).then(|| problem.path.to_string()),
                message: problem.message,
                hint: problem.hint,
            })
            .collect();
        // A stable sort keeps the validation order for problems at the same position.
        diagnostics.sort_by_key(|d| d.location.map(|l| (l.line, l.column)));
        Diagnostics::from(diagnostics)
    }

    /// Finds the line and column of the node (or key) at `path`.
    pub fn locate(&self, path: &YamlPath, target: Target) -> Option<Location> {
        locate(&self.text, path, target)
    }
}

/// Finds the line and column of the node (or key) at `path` in `text`.
fn locate(text: &str, path: &YamlPath, target: Target) -> Option<Location> {
    if path.0.is_empty() {
        return Some(Location { line: 1, column: 1 });
    }
    let deserializer = serde_yaml::Deserializer::from_str(text);
    let seed = Locate {
        rest: &path.0,
        target,
    };
    match seed.deserialize(deserializer) {
        Ok(()) => None,
        Err(error) => location_of(&error),
    }
}

/// The position serde_yaml attached to `error`, as a [`Location`] (both count from 1).
fn location_of(error: &serde_yaml::Error) -> Option<Location> {
    error.location().map(|l| Location {
        line: l.line(),
        column: l.column(),
    })
}

/// A syntax error, explained and located.
struct SyntaxError {
    location: Location,
    path: Option<YamlPath>,
    message: Text,
    hint: Text,
}

const SYNTAX_HINT: Text = Text::fixed(
    "check the indentation, and quote values that contain `: ` or start with `@`, `!`, `#`, `&` or `*`",
    "prüfen Sie die Einrückung, und setzen Sie Werte in Anführungszeichen, die `: ` enthalten oder mit `@`, `!`, `#`, `&` oder `*` beginnen",
);

const DUPLICATE_HINT: Text = Text::fixed(
    "a key may appear only once in a section: remove or merge the repeated one",
    "ein Schlüssel darf in einem Abschnitt nur einmal vorkommen: entfernen Sie die Wiederholung oder führen Sie beide Einträge zusammen",
);

/// The message serde_yaml gives when a second document follows the first.
const MORE_THAN_ONE_DOCUMENT: &str = "more than one document";

impl SyntaxError {
    /// Explains `error`, found while parsing `text`, with a position for every kind of error.
    fn of(text: &str, error: &serde_yaml::Error) -> Self {
        let message = strip_positions(&error.to_string());
        if message.contains("duplicate entry")
            && let Some(duplicate) = find_duplicate(text)
        {
            // Locating finds keys by their text, so the first occurrence of the number `1`
            // could be found at a key `"1"`: only text keys get the line of the first.
            let first = locate(text, &duplicate.path, Target::Key).filter(|_| duplicate.is_text);
            let key = echo(&duplicate.key);
            return Self {
                location: duplicate.location,
                message: match first {
                    Some(Location { line, .. }) => text!(
                        "the key `{key}` appears twice in this section, first on line {line}",
                        "Der Schlüssel `{key}` kommt in diesem Abschnitt zweimal vor, zuerst in Zeile {line}"
                    ),
                    None => text!(
                        "the key `{key}` appears twice in this section",
                        "Der Schlüssel `{key}` kommt in diesem Abschnitt zweimal vor"
                    ),
                },
                path: Some(duplicate.path),
                hint: DUPLICATE_HINT,
            };
        }
        if message.contains(MORE_THAN_ONE_DOCUMENT) {
            return Self {
                location: second_document(text).unwrap_or(Location { line: 1, column: 1 }),
                path: None,
                message: text!(
                    "a second YAML document starts here, but a file holds only one",
                    "Hier beginnt ein zweites YAML-Dokument, eine Datei darf aber nur eines enthalten"
                ),
                hint: text!(
                    "a line `---` (or text after a line `...`) starts a new document: remove it",
                    "eine Zeile `---` (oder Text nach einer Zeile `...`) beginnt ein neues Dokument: entfernen Sie sie"
                ),
            };
        }
        if message.contains("repetition limit exceeded") {
            let (path, location) = find_expansion(text);
            return Self {
                location,
                path,
                message: text!(
                    "aliases (`*name`) here repeat their values too often",
                    "Aliase (`*name`) wiederholen hier ihre Werte zu oft"
                ),
                hint: text!(
                    "write the values out instead of repeating them with `&anchor` and `*alias`",
                    "schreiben Sie die Werte aus, statt sie mit `&anchor` und `*alias` zu wiederholen"
                ),
            };
        }
        Self {
            // Every libyaml error has a position; this is a guard for errors serde_yaml adds.
            location: location_of(error).unwrap_or(Location { line: 1, column: 1 }),
            path: None,
            hint: if message.starts_with("duplicate entry") {
                DUPLICATE_HINT
            } else {
                SYNTAX_HINT
            },
            message: Text::new(
                format!("this is not valid YAML: {message}"),
                german_syntax_message(&message),
            ),
        }
    }
}

/// A syntax error that libyaml (through serde_yaml) reports, in German. The parser's messages
/// are a fixed set of phrases, `problem, while context`; the problems organizers run into are
/// translated, and the context is left out, since the position says where. Any other message is
/// quoted in English after a German lead-in, so that nothing is lost.
fn german_syntax_message(message: &str) -> String {
    let problem = message.split(", while ").next().unwrap_or(message);
    const KNOWN: &[(&str, &str)] = &[
        (
            "did not find expected key",
            "Hier wird ein Schlüssel erwartet",
        ),
        ("did not find expected node content", "Hier fehlt ein Wert"),
        (
            "found unexpected end of stream",
            "Die Datei endet mitten in einem Wert; meist fehlt ein schließendes Anführungszeichen",
        ),
        (
            "mapping values are not allowed in this context",
            "Ein `: ` ist an dieser Stelle nicht erlaubt",
        ),
        (
            "found character that cannot start any token",
            "Mit diesem Zeichen kann kein Wert beginnen",
        ),
        (
            "found a tab character that violates indentation",
            "Hier wird mit einem Tabulator eingerückt; YAML erlaubt nur Leerzeichen",
        ),
        (
            "found a tab character where an indentation space is expected",
            "Hier wird mit einem Tabulator eingerückt; YAML erlaubt nur Leerzeichen",
        ),
        (
            "could not find expected ':'",
            "Hier fehlt ein `:` nach dem Schlüssel",
        ),
        (
            "did not find expected '-' indicator",
            "Hier wird ein Listeneintrag erwartet, der mit `- ` beginnt",
        ),
        (
            "did not find expected ',' or ']'",
            "In der Liste in `[…]` fehlt ein `,` oder die schließende `]`",
        ),
        (
            "did not find expected ',' or '}'",
            "Im Abschnitt in `{…}` fehlt ein `,` oder die schließende `}`",
        ),
        (
            "block sequence entries are not allowed in this context",
            "Ein Listeneintrag `- ` ist an dieser Stelle nicht erlaubt",
        ),
        (
            "found unknown escape character",
            "Im Text in doppelten Anführungszeichen steht ein unbekanntes Escape-Zeichen nach `\\`",
        ),
        (
            "did not find expected comment or line break",
            "Nach dem Wert darf in dieser Zeile nur noch ein Kommentar stehen",
        ),
        (
            "found unexpected document indicator",
            "Eine Zeile `---` oder `...` steht mitten in einem Wert",
        ),
        (
            "did not find expected alphabetic or numeric character",
            "Nach `&` oder `*` wird der Name eines Ankers erwartet",
        ),
        (
            "found undefined tag handle",
            "Dieses Tag (`!…`) ist nicht definiert",
        ),
        (
            "control characters are not allowed",
            "Die Datei enthält ein Steuerzeichen, das in YAML nicht erlaubt ist",
        ),
        (
            "unknown anchor",
            "Der Alias (`*name`) verweist auf keinen vorher definierten Anker (`&name`)",
        ),
        (
            "recursion limit exceeded",
            "Die Werte sind hier zu tief ineinander verschachtelt",
        ),
        (
            "duplicate entry",
            "Ein Schlüssel kommt in einem Abschnitt zweimal vor",
        ),
    ];
    KNOWN
        .iter()
        .find(|(english, _)| problem.starts_with(english))
        .map_or_else(
            || format!("Dies ist kein gültiges YAML (Meldung des Parsers: {message})"),
            |(_, german)| format!("Dies ist kein gültiges YAML: {german}"),
        )
}

/// Where the second document of `text` starts: at its `---` line, or at the first content after
/// a `...` line that ended the first one. Document markers are recognized only at the start of a
/// line, as in YAML itself.
fn second_document(text: &str) -> Option<Location> {
    let at = |index: usize| {
        Some(Location {
            line: index + 1,
            column: 1,
        })
    };
    let is_marker = |line: &str, marker: &str| {
        line.strip_prefix(marker)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']))
    };
    let mut started = false;
    let mut ended = false;
    for (index, line) in text.lines().enumerate() {
        if is_marker(line, "---") {
            if started {
                return at(index);
            }
            started = true;
        } else if is_marker(line, "...") {
            ended = started;
        } else {
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') || (!started && line.starts_with('%'))
            {
                continue;
            }
            if ended {
                return at(index);
            }
            started = true;
        }
    }
    None
}

/// A key that appears twice in one mapping.
struct Duplicate {
    /// The path of the key (and of its first occurrence).
    path: YamlPath,
    /// The key, as written.
    key: String,
    /// Whether the key is text (not a number, `true`/`false` or null).
    is_text: bool,
    /// Where the second occurrence is.
    location: Location,
}

/// Finds the first repeated key of `text`: serde_yaml reports the position of the mapping that
/// holds it, which for the top-level mapping is always 1:1. Walking the document with a seed
/// that fails on the repeated key makes serde_yaml report that key's own position.
fn find_duplicate(text: &str) -> Option<Duplicate> {
    let found = std::cell::RefCell::new(None);
    let seed = FindDuplicate {
        path: YamlPath::default(),
        found: &found,
    };
    let error = seed
        .deserialize(serde_yaml::Deserializer::from_str(text))
        .err()?;
    let (path, key, is_text) = found.into_inner()?;
    Some(Duplicate {
        path,
        key,
        is_text,
        location: location_of(&error)?,
    })
}

/// The scalar visits of a walker that only cares about mappings and sequences: every scalar
/// is a leaf with nothing to find in it.
macro_rules! scalars_are_leaves {
    () => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
            Ok(())
        }

        fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
            Ok(())
        }

        fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
            Ok(())
        }

        fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
            Ok(())
        }

        fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
            Ok(())
        }

        fn visit_unit<E: de::Error>(self) -> Result<(), E> {
            Ok(())
        }
    };
}

/// Walks a document and fails at the first key already seen in its mapping, recording its path.
struct FindDuplicate<'f> {
    path: YamlPath,
    found: &'f std::cell::RefCell<Option<(YamlPath, String, bool)>>,
}

impl<'de> DeserializeSeed<'de> for FindDuplicate<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FindDuplicate<'_> {
    type Value = ();

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        // A tagged value (`!tag value`): walk the value.
        let (IgnoredAny, variant) = data.variant()?;
        de::VariantAccess::newtype_variant_seed(variant, self)
    }

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    scalars_are_leaves!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        while seq
            .next_element_seed(FindDuplicate {
                path: self.path.index(index),
                found: self.found,
            })?
            .is_some()
        {
            index += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = Vec::new();
        while let Some(key) = map.next_key_seed(NewKey {
            seen: &seen,
            path: &self.path,
            found: self.found,
        })? {
            let path = match &key {
                Some((_, text)) => self.path.key(text),
                // A list or mapping as a key: walked, but not compared.
                None => self.path.clone(),
            };
            map.next_value_seed(FindDuplicate {
                path,
                found: self.found,
            })?;
            seen.extend(key.map(|(tagged, _)| tagged));
        }
        Ok(())
    }
}

/// Reads a mapping key; fails (at the key's position) if it was seen before in this mapping.
/// Gives the key compared by kind and text, and as written (`None` for a list or mapping).
struct NewKey<'s> {
    seen: &'s [String],
    path: &'s YamlPath,
    found: &'s std::cell::RefCell<Option<(YamlPath, String, bool)>>,
}

impl<'de> DeserializeSeed<'de> for NewKey<'_> {
    type Value = Option<(String, String)>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Option<(String, String)>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl NewKey<'_> {
    /// Scalar keys are compared by their text and kind, as serde_yaml's mapping compares them
    /// (the number `1` and the text `"1"` are different keys).
    fn check<E: de::Error>(self, kind: &str, text: String) -> Result<Option<(String, String)>, E> {
        let tagged = format!("{kind}{text}");
        if self.seen.contains(&tagged) {
            *self.found.borrow_mut() = Some((self.path.key(&text), text, kind == "s"));
            return Err(E::custom(FOUND));
        }
        Ok(Some((tagged, text)))
    }
}

impl<'de> Visitor<'de> for NewKey<'_> {
    type Value = Option<(String, String)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Option<(String, String)>, E> {
        self.check("s", key.to_owned())
    }

    fn visit_bool<E: de::Error>(self, key: bool) -> Result<Option<(String, String)>, E> {
        self.check("b", key.to_string())
    }

    fn visit_i64<E: de::Error>(self, key: i64) -> Result<Option<(String, String)>, E> {
        self.check("n", key.to_string())
    }

    fn visit_u64<E: de::Error>(self, key: u64) -> Result<Option<(String, String)>, E> {
        self.check("n", key.to_string())
    }

    fn visit_f64<E: de::Error>(self, key: f64) -> Result<Option<(String, String)>, E> {
        self.check("n", key.to_string())
    }

    fn visit_unit<E: de::Error>(self) -> Result<Option<(String, String)>, E> {
        self.check("z", "null".to_owned())
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> Result<Option<(String, String)>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> Result<Option<(String, String)>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

/// Finds where aliases expand too much, for serde_yaml's "repetition limit exceeded", which
/// has no position.
///
/// A walk that follows every alias runs into the same limit; the path it was on says under which
/// entry it happened. Inside the expansion, positions are those of the anchored values (earlier
/// in the file), so the path is followed only as long as each step moves forward in the text:
/// the last such node holds the alias that was expanded.
fn find_expansion(text: &str) -> (Option<YamlPath>, Location) {
    let trail = std::cell::RefCell::new(Vec::new());
    let walked = Expand { trail: &trail }.deserialize(serde_yaml::Deserializer::from_str(text));
    let mut segments = trail.into_inner();
    segments.reverse();
    let start = Location { line: 1, column: 1 };
    if walked.is_ok() {
        return (None, start);
    }
    let mut best = (None, start);
    let mut path = YamlPath::default();
    for segment in segments {
        path.0.push(segment);
        match locate(text, &path, Target::Value) {
            Some(location) if (location.line, location.column) > (best.1.line, best.1.column) => {
                best = (Some(path.clone()), location);
            }
            _ => break,
        }
    }
    best
}

/// Walks everything, following aliases; as an error unwinds, each level adds its step to
/// `trail` (innermost first).
struct Expand<'t> {
    trail: &'t std::cell::RefCell<Vec<Segment>>,
}

impl<'de> DeserializeSeed<'de> for Expand<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Expand<'_> {
    type Value = ();

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        // A tagged value (`!tag value`): walk the value.
        let (IgnoredAny, variant) = data.variant()?;
        de::VariantAccess::newtype_variant_seed(variant, self)
    }

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    scalars_are_leaves!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0;
        loop {
            match seq.next_element_seed(Expand { trail: self.trail }) {
                Ok(Some(())) => index += 1,
                Ok(None) => return Ok(()),
                Err(error) => {
                    self.trail.borrow_mut().push(Segment::Index(index));
                    return Err(error);
                }
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<KeyText>()? {
            if let Err(error) = map.next_value_seed(Expand { trail: self.trail }) {
                self.trail.borrow_mut().push(Segment::Key(key.0));
                return Err(error);
            }
        }
        Ok(())
    }
}

/// A mapping key as text, for paths (a list or mapping as a key is shown as `?`).
struct KeyText(String);

impl<'de> serde::Deserialize<'de> for KeyText {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(deserializer)? {
            Value::String(text) => Self(text),
            Value::Number(number) => Self(number.to_string()),
            Value::Bool(flag) => Self(flag.to_string()),
            Value::Null => Self("null".to_owned()),
            _ => Self("?".to_owned()),
        })
    }
}

/// serde_yaml and libyaml put " at line L column C" into their messages, sometimes twice;
/// diagnostics carry the position separately.
fn strip_positions(message: &str) -> String {
    let mut rest = message;
    let mut stripped = String::with_capacity(message.len());
    while let Some(index) = rest.find(" at line ") {
        stripped.push_str(&rest[..index]);
        let after = &rest[index + " at line ".len()..];
        let position_len = after
            .find(|c: char| !(c.is_ascii_digit() || c == ' ' || "column".contains(c)))
            .unwrap_or(after.len());
        rest = &after[position_len..];
    }
    stripped.push_str(rest);
    stripped.trim_end().to_owned()
}

/// Writes `value` as YAML, for text organizers paste into their files.
pub fn to_yaml<T: serde::Serialize>(value: &T) -> Result<String, String> {
    serde_yaml::to_string(value).map_err(|error| error.to_string())
}

/// A value in the tree together with its path, for validation code.
#[derive(Debug, Clone)]
pub struct Node<'a> {
    value: &'a Value,
    path: YamlPath,
}

/// The kinds of YAML value, for messages such as "expected a list, found a number".
fn kind_of(value: &Value) -> Text {
    match value {
        Value::Null => Text::fixed("nothing", "nichts (ein leerer Wert)"),
        Value::Bool(_) => Text::fixed("true/false", "ein Wahrheitswert (true/false)"),
        Value::Number(_) => Text::fixed("a number", "eine Zahl"),
        Value::String(_) => Text::fixed("text", "Text"),
        Value::Sequence(_) => Text::fixed("a list", "eine Liste"),
        Value::Mapping(_) => Text::fixed("a mapping", "ein Abschnitt mit `Schlüssel: Wert`-Paaren"),
        Value::Tagged(_) => Text::fixed("a tagged value", "ein Wert mit Tag (`!…`)"),
    }
}

/// "expected …, found …" for a node of the wrong kind.
fn wrong_kind(expected: Text, found: &Value) -> Text {
    let found = kind_of(found);
    text!(
        "expected {expected_en}, found {found_en}",
        "Erwartet wird {expected_de}, gefunden wurde {found_de}";
        expected_en = &expected.english,
        found_en = &found.english,
        expected_de = &expected.german,
        found_de = &found.german,
    )
}

impl<'a> Node<'a> {
    /// Where this node is.
    pub fn path(&self) -> &YamlPath {
        &self.path
    }

    /// A problem with this node's value.
    pub fn problem(&self, message: Text, hint: impl Into<Option<Text>>) -> Problem {
        Problem {
            path: self.path.clone(),
            target: Target::Value,
            message,
            hint: hint.into(),
        }
    }

    /// Whether the node is a mapping; for values that may be either a mapping or something else.
    pub fn is_mapping(&self) -> bool {
        matches!(self.value, Value::Mapping(_))
    }

    /// Whether the node is a list; for values that may be either one value or a list of them.
    pub fn is_list(&self) -> bool {
        matches!(self.value, Value::Sequence(_))
    }

    /// The node as text. Numbers and booleans are not silently turned into text.
    pub fn as_str(&self, problems: &mut Vec<Problem>) -> Option<&'a str> {
        match self.value {
            Value::String(text) => Some(text),
            other => {
                let hint = match other {
                    Value::Bool(_) | Value::Number(_) => text!(
                        "put the value in quotes",
                        "setzen Sie den Wert in Anführungszeichen"
                    ),
                    _ => text!(
                        "write a single value on the same line as the key",
                        "schreiben Sie einen einzelnen Wert in dieselbe Zeile wie den Schlüssel"
                    ),
                };
                problems.push(self.problem(wrong_kind(Text::fixed("text", "Text"), other), hint));
                None
            }
        }
    }

    /// The node as `true` or `false`.
    pub fn as_bool(&self, problems: &mut Vec<Problem>) -> Option<bool> {
        match self.value {
            Value::Bool(flag) => Some(*flag),
            other => {
                problems.push(self.problem(
                    wrong_kind(Text::fixed("true or false", "true oder false"), other),
                    text!(
                        "write `true` or `false`",
                        "schreiben Sie `true` oder `false`"
                    ),
                ));
                None
            }
        }
    }

    /// The node as a whole number.
    pub fn as_integer(&self, problems: &mut Vec<Problem>) -> Option<i64> {
        match self.value {
            Value::Number(number) if number.as_i64().is_some() => number.as_i64(),
            other => {
                problems.push(self.problem(
                    wrong_kind(Text::fixed("a whole number", "eine ganze Zahl"), other),
                    None,
                ));
                None
            }
        }
    }

    /// The node as a list of nodes.
    pub fn as_list(&self, problems: &mut Vec<Problem>) -> Option<Vec<Node<'a>>> {
        match self.value {
            Value::Sequence(items) => Some(
                items
                    .iter()
                    .enumerate()
                    .map(|(index, value)| Node {
                        value,
                        path: self.path.index(index),
                    })
                    .collect(),
            ),
            other => {
                problems.push(self.problem(
                    wrong_kind(Text::fixed("a list", "eine Liste"), other),
                    text!(
                        "write one entry per line, each starting with `- `",
                        "schreiben Sie jeden Eintrag in eine eigene Zeile, beginnend mit `- `"
                    ),
                ));
                None
            }
        }
    }

    /// The node as a mapping whose keys are checked against `known`.
    ///
    /// Unknown keys are problems (with a did-you-mean hint), so that a typo never silently
    /// turns into a default.
    pub fn as_mapping(
        &self,
        known: &'static [&'static str],
        problems: &mut Vec<Problem>,
    ) -> Option<Mapping<'a>> {
        let Value::Mapping(mapping) = self.value else {
            problems.push(self.problem(
                wrong_kind(
                    Text::fixed("a mapping", "ein Abschnitt mit `Schlüssel: Wert`-Paaren"),
                    self.value,
                ),
                text!(
                    "write `key: value` pairs, indented below this key",
                    "schreiben Sie `Schlüssel: Wert`-Paare, eingerückt unter diesem Schlüssel"
                ),
            ));
            return None;
        };
        for key in mapping.keys() {
            let name = match key {
                Value::String(name) => name.clone(),
                other => format!("{other:?}"),
            };
            if !known.contains(&name.as_str()) {
                let hint = match closest(&name, known) {
                    Some(candidate) => {
                        text!("did you mean `{candidate}`?", "meinten Sie `{candidate}`?")
                    }
                    None => text!(
                        "known keys here: {keys}",
                        "an dieser Stelle bekannte Schlüssel: {keys}";
                        keys = known.join(", "),
                    ),
                };
                let shown = echo(&name);
                problems.push(Problem {
                    path: self.path.key(&name),
                    target: Target::Key,
                    message: text!("unknown key `{shown}`", "Unbekannter Schlüssel `{shown}`"),
                    hint: Some(hint),
                });
            }
        }
        Some(Mapping {
            mapping,
            path: self.path.clone(),
        })
    }
}

/// A mapping node whose keys were checked.
#[derive(Debug)]
pub struct Mapping<'a> {
    mapping: &'a serde_yaml::Mapping,
    path: YamlPath,
}

impl<'a> Mapping<'a> {
    /// The value under `key`, if present and not null.
    pub fn optional(&self, key: &str) -> Option<Node<'a>> {
        match self.mapping.get(key) {
            None | Some(Value::Null) => None,
            Some(value) => Some(Node {
                value,
                path: self.path.key(key),
            }),
        }
    }

    /// The value under `key`; its absence is a problem located at this mapping.
    pub fn required(&self, key: &str, hint: Text, problems: &mut Vec<Problem>) -> Option<Node<'a>> {
        let node = self.optional(key);
        if node.is_none() {
            problems.push(Problem {
                path: self.path.clone(),
                target: Target::Value,
                message: text!("missing key `{key}`", "Der Schlüssel `{key}` fehlt"),
                hint: Some(hint),
            });
        }
        node
    }
}

/// The known name nearest to a misspelt one, if it is near enough to be a typo.
fn closest<'k>(name: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|candidate| (edit_distance(name, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= candidate.len().max(3) / 3)
        .min()
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// The seed that walks down a path and fails at its end, so that serde_yaml reports the
/// position of the node it was looking at.
struct Locate<'p> {
    rest: &'p [Segment],
    target: Target,
}

/// The error raised on purpose at the target; its text is never shown.
const FOUND: &str = "convene: located";

impl<'de> DeserializeSeed<'de> for Locate<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        match self.rest.first() {
            None => deserializer.deserialize_any(FailHere),
            Some(Segment::Key(_)) => deserializer.deserialize_map(self),
            Some(Segment::Index(_)) => deserializer.deserialize_seq(self),
        }
    }
}

impl<'de> Visitor<'de> for Locate<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping or a list on the way to a located node")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some((Segment::Key(wanted), rest)) = self.rest.split_first() else {
            return Ok(());
        };
        let key_is_target = rest.is_empty() && self.target == Target::Key;
        while let Some(found) = map.next_key_seed(MatchKey {
            wanted,
            fail_on_match: key_is_target,
        })? {
            if found {
                return map.next_value_seed(Locate {
                    rest,
                    target: self.target,
                });
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Some((Segment::Index(wanted), rest)) = self.rest.split_first() else {
            return Ok(());
        };
        for _ in 0..*wanted {
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Ok(());
            }
        }
        seq.next_element_seed(Locate {
            rest,
            target: self.target,
        })
        .map(|_| ())
    }
}

/// Reads a mapping key and tells whether it is the wanted one (or fails there, for a key target).
struct MatchKey<'w> {
    wanted: &'w str,
    fail_on_match: bool,
}

impl<'de> DeserializeSeed<'de> for MatchKey<'_> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<bool, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MatchKey<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<bool, E> {
        let found = key == self.wanted;
        if found && self.fail_on_match {
            return Err(E::custom(FOUND));
        }
        Ok(found)
    }

    fn visit_bool<E: de::Error>(self, key: bool) -> Result<bool, E> {
        self.visit_str(&format!("Bool({key})"))
    }

    fn visit_i64<E: de::Error>(self, key: i64) -> Result<bool, E> {
        self.visit_str(&format!("Number({key})"))
    }

    fn visit_u64<E: de::Error>(self, key: u64) -> Result<bool, E> {
        self.visit_str(&format!("Number({key})"))
    }

    fn visit_f64<E: de::Error>(self, key: f64) -> Result<bool, E> {
        self.visit_str(&format!("Number({key})"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        self.visit_str("Null")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(false)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    }
}

/// Fails on whatever node it is given.
struct FailHere;

impl<'de> Visitor<'de> for FailHere {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(FOUND)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(text: &str) -> Document {
        Document::parse(Path::new("t.yaml"), text.to_owned()).expect("valid yaml")
    }

    #[test]
    fn locates_values_keys_and_list_elements() {
        let doc = document("a: 1\nb:\n  c: [x, y]\n  d:\n    - e: 2\n      f: three\n");
        let path = YamlPath::default();
        let at = |p: &YamlPath, t| doc.locate(p, t).map(|l| (l.line, l.column));
        assert_eq!(at(&path.key("a"), Target::Value), Some((1, 4)));
        assert_eq!(at(&path.key("a"), Target::Key), Some((1, 1)));
        assert_eq!(
            at(&path.key("b").key("c").index(1), Target::Value),
            Some((3, 10))
        );
        assert_eq!(
            at(&path.key("b").key("d").index(0).key("f"), Target::Key),
            Some((6, 7))
        );
        assert_eq!(
            at(&path.key("b").key("d").index(0).key("f"), Target::Value),
            Some((6, 10))
        );
        assert_eq!(
            at(&path.key("b").key("d").index(0), Target::Value),
            Some((5, 7))
        );
        assert_eq!(at(&path.key("missing"), Target::Value), None);
    }

    fn error_of(text: &str) -> String {
        Document::parse(Path::new("t.yaml"), text.to_owned())
            .unwrap_err()
            .iter()
            .map(|d| d.to_string().lines().next().unwrap_or_default().to_owned())
            .collect()
    }

    #[test]
    fn a_byte_order_mark_does_not_shift_positions() {
        assert_eq!(
            document("\u{feff}a: 1\n").root().value,
            &serde_yaml::from_str::<Value>("a: 1").unwrap()
        );
        assert_eq!(
            error_of("\u{feff}a: [\n"),
            "t.yaml:2:1: error: this is not valid YAML: did not find expected node content, while parsing a flow node"
        );
    }

    #[test]
    fn repeated_keys_are_located_in_every_kind_of_section() {
        assert_eq!(
            error_of("a:\n  - b: 1\n    c: 2\n    b: 3\n"),
            "t.yaml:4:5: error: a[0].b: the key `b` appears twice in this section, first on line 2"
        );
        assert_eq!(
            error_of("1: x\n\"1\": y\n1: z\n"),
            "t.yaml:3:1: error: 1: the key `1` appears twice in this section"
        );
    }

    #[test]
    fn second_documents_are_located_at_their_start() {
        assert_eq!(
            second_document("a: 1\n---\nb: 2\n"),
            Some(Location { line: 2, column: 1 })
        );
        assert_eq!(
            second_document("# c\n---\na: 1\n--- \nb: 2\n"),
            Some(Location { line: 4, column: 1 })
        );
        assert_eq!(
            second_document("a: 1\n...\n# c\nb: 2\n"),
            Some(Location { line: 4, column: 1 })
        );
        assert_eq!(second_document("a: ---x\n"), None);
    }

    #[test]
    fn syntax_errors_are_explained_in_german() {
        let german = |text: &str| {
            let diagnostics = Document::parse(Path::new("t.yaml"), text.to_owned()).unwrap_err();
            let diagnostic = diagnostics.iter().next().unwrap();
            (
                diagnostic.message.german.to_string(),
                diagnostic.hint.as_ref().unwrap().german.to_string(),
            )
        };
        assert_eq!(
            german("a: [\n").0,
            "Dies ist kein gültiges YAML: Hier fehlt ein Wert"
        );
        assert_eq!(
            german("a:\n  b: 1\n c: 2\n").0,
            "Dies ist kein gültiges YAML: Hier wird ein Schlüssel erwartet"
        );
        assert_eq!(
            german("a: \"x\n").0,
            "Dies ist kein gültiges YAML: Die Datei endet mitten in einem Wert; meist fehlt ein schließendes Anführungszeichen"
        );
        assert_eq!(
            german("a: b: c\n").0,
            "Dies ist kein gültiges YAML: Ein `: ` ist an dieser Stelle nicht erlaubt"
        );
        assert_eq!(
            german("a: @x\n"),
            (
                "Dies ist kein gültiges YAML: Mit diesem Zeichen kann kein Wert beginnen"
                    .to_owned(),
                SYNTAX_HINT.german.to_string()
            )
        );
        assert_eq!(
            german("a: *nirgends\n").0,
            "Dies ist kein gültiges YAML: Der Alias (`*name`) verweist auf keinen vorher definierten Anker (`&name`)"
        );
        assert_eq!(
            german("a: 1\na: 2\n").0,
            "Der Schlüssel `a` kommt in diesem Abschnitt zweimal vor, zuerst in Zeile 1"
        );
        // A message of the parser that is not known is quoted after a German lead-in.
        assert_eq!(
            german_syntax_message("found something new, while parsing"),
            "Dies ist kein gültiges YAML (Meldung des Parsers: found something new, while parsing)"
        );
    }

    #[test]
    fn strips_positions_from_parser_messages() {
        assert_eq!(
            strip_positions(
                "did not find expected key at line 4 column 4, while parsing a block mapping at line 2 column 3"
            ),
            "did not find expected key, while parsing a block mapping"
        );
        assert_eq!(strip_positions("plain"), "plain");
    }

    #[test]
    fn suggests_near_keys_only() {
        assert_eq!(
            closest("homeservr", &["homeserver", "bot"]),
            Some("homeserver")
        );
        assert_eq!(closest("zzz", &["homeserver", "bot"]), None);
    }

    #[test]
    fn displays_paths_like_the_documentation() {
        let path = YamlPath::default()
            .key("network")
            .key("members")
            .index(2)
            .key("room");
        assert_eq!(path.to_string(), "network.members[2].room");
    }
}
