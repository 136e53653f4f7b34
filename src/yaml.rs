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
//!
//! That is a parse per problem, quadratic for a file full of mistakes (5,000 in 157 KB took
//! 207 s, and `check`, start-up and every reload waited). So [`Document::finish`] locates all
//! problems in one deserialization ([`locate_all`]): it walks only the paths that lead to
//! problems, in document order, and reads each position off an error raised where it does not
//! disturb the walk — see there. What that walk cannot place the same way (a path through a
//! scalar, a key into a list: nothing validation produces) is left to [`locate`], so every
//! position is exactly the one [`locate`] gives, which the tests check on generated documents.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_yaml::Value;

use crate::diagnostic::{Diagnostic, Diagnostics, Location, echo};
use crate::i18n::Text;
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

    /// Turns collected problems into diagnostics with positions, in document order. All are
    /// located in one pass over the text ([`locate_all`]).
    pub fn finish(&self, problems: Vec<Problem>) -> Diagnostics {
        let wanted: Vec<(&YamlPath, Target)> = problems
            .iter()
            .map(|problem| (&problem.path, problem.target))
            .collect();
        let locations = locate_all(&self.text, &self.root, &wanted);
        let mut diagnostics: Vec<Diagnostic> = problems
            .into_iter()
            .zip(locations)
            .map(|(problem, location)| Diagnostic {
                file: self.file.clone(),
                location,
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

const SYNTAX_HINT: Text = text!(
    const de: "prüfen Sie die Einrückung, und setzen Sie Werte in Anführungszeichen, die `: ` enthalten oder mit `@`, `!`, `#`, `&` oder `*` beginnen",
    en: "check the indentation, and quote values that contain `: ` or start with `@`, `!`, `#`, `&` or `*`",
);

const DUPLICATE_HINT: Text = text!(
    const de: "ein Schlüssel darf in einem Abschnitt nur einmal vorkommen: entfernen Sie die Wiederholung oder führen Sie beide Einträge zusammen",
    en: "a key may appear only once in a section: remove or merge the repeated one",
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
                        de: "Der Schlüssel `{key}` kommt in diesem Abschnitt zweimal vor, zuerst in Zeile {line}",
                        en: "the key `{key}` appears twice in this section, first on line {line}"
                    ),
                    None => text!(
                        de: "Der Schlüssel `{key}` kommt in diesem Abschnitt zweimal vor",
                        en: "the key `{key}` appears twice in this section"
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
                    de: "Hier beginnt ein zweites YAML-Dokument, eine Datei darf aber nur eines enthalten",
                    en: "a second YAML document starts here, but a file holds only one"
                ),
                hint: text!(
                    de: "eine Zeile `---` (oder Text nach einer Zeile `...`) beginnt ein neues Dokument: entfernen Sie sie",
                    en: "a line `---` (or text after a line `...`) starts a new document: remove it"
                ),
            };
        }
        if message.contains("repetition limit exceeded") {
            let (path, location) = find_expansion(text);
            return Self {
                location,
                path,
                message: text!(
                    de: "Aliase (`*name`) wiederholen hier ihre Werte zu oft",
                    en: "aliases (`*name`) here repeat their values too often"
                ),
                hint: text!(
                    de: "schreiben Sie die Werte aus, statt sie mit `&anchor` und `*alias` zu wiederholen",
                    en: "write the values out instead of repeating them with `&anchor` and `*alias`"
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
            message: text!(
                de: "{german}", en: "this is not valid YAML: {message}";
                german = german_syntax_message(&message),
            ),
        }
    }
}

/// The problems of libyaml's syntax errors that organizers run into, in English as the parser
/// phrases them and in German, for [`german_syntax_message`].
const KNOWN_SYNTAX_ERRORS: &[(&str, &str)] = &[
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

/// A syntax error that libyaml (through serde_yaml) reports, in German. The parser's messages
/// are a fixed set of phrases, `problem, while context`; the problems organizers run into are
/// translated ([`KNOWN_SYNTAX_ERRORS`]), and the context is left out, since the position says
/// where. Any other message is quoted in English after a German lead-in, so that nothing is lost.
fn german_syntax_message(message: &str) -> String {
    let problem = message.split(", while ").next().unwrap_or(message);
    KNOWN_SYNTAX_ERRORS
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
    let found = RefCell::new(None);
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
    found: &'f RefCell<Option<(YamlPath, String, bool)>>,
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
    found: &'s RefCell<Option<(YamlPath, String, bool)>>,
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
    let trail = RefCell::new(Vec::new());
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
    trail: &'t RefCell<Vec<Segment>>,
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
        Value::Null => text!(const de: "nichts (ein leerer Wert)", en: "nothing"),
        Value::Bool(_) => text!(const de: "ein Wahrheitswert (true/false)", en: "true/false"),
        Value::Number(_) => text!(const de: "eine Zahl", en: "a number"),
        Value::String(_) => text!(const de: "Text", en: "text"),
        Value::Sequence(_) => text!(const de: "eine Liste", en: "a list"),
        Value::Mapping(_) => {
            text!(const de: "ein Abschnitt mit `Schlüssel: Wert`-Paaren", en: "a mapping")
        }
        Value::Tagged(_) => text!(const de: "ein Wert mit Tag (`!…`)", en: "a tagged value"),
    }
}

/// "expected …, found …" for a node of the wrong kind.
fn wrong_kind(expected: Text, found: &Value) -> Text {
    let found = kind_of(found);
    text!(
        de: "Erwartet wird {expected_de}, gefunden wurde {found_de}",
        en: "expected {expected_en}, found {found_en}";
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
                        de: "setzen Sie den Wert in Anführungszeichen",
                        en: "put the value in quotes"
                    ),
                    _ => text!(
                        de: "schreiben Sie einen einzelnen Wert in dieselbe Zeile wie den Schlüssel",
                        en: "write a single value on the same line as the key"
                    ),
                };
                problems.push(
                    self.problem(wrong_kind(text!(const de: "Text", en: "text"), other), hint),
                );
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
                    wrong_kind(
                        text!(const de: "true oder false", en: "true or false"),
                        other,
                    ),
                    text!(
                        de: "schreiben Sie `true` oder `false`",
                        en: "write `true` or `false`"
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
                    wrong_kind(
                        text!(const de: "eine ganze Zahl", en: "a whole number"),
                        other,
                    ),
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
                    wrong_kind(text!(const de: "eine Liste", en: "a list"), other),
                    text!(
                        de: "schreiben Sie jeden Eintrag in eine eigene Zeile, beginnend mit `- `",
                        en: "write one entry per line, each starting with `- `"
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
                    text!(const de: "ein Abschnitt mit `Schlüssel: Wert`-Paaren", en: "a mapping"),
                    self.value,
                ),
                text!(
                    de: "schreiben Sie `Schlüssel: Wert`-Paare, eingerückt unter diesem Schlüssel",
                    en: "write `key: value` pairs, indented below this key"
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
                        text!(de: "meinten Sie `{candidate}`?", en: "did you mean `{candidate}`?")
                    }
                    None => text!(
                        de: "an dieser Stelle bekannte Schlüssel: {keys}",
                        en: "known keys here: {keys}";
                        keys = known.join(", "),
                    ),
                };
                let shown = echo(&name);
                problems.push(Problem {
                    path: self.path.key(&name),
                    target: Target::Key,
                    message: text!(de: "Unbekannter Schlüssel `{shown}`", en: "unknown key `{shown}`"),
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
                message: text!(de: "Der Schlüssel `{key}` fehlt", en: "missing key `{key}`"),
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

/// The line and column of each `(path, target)` in `text` (whose tree is `root`): exactly what
/// [`locate`] gives for each, in one deserialization of `text` instead of one per target.
///
/// The paths make a trie, walked alongside the tree in document order. serde_yaml tells
/// positions only through errors, and an error ends the deserialization unless the walk catches
/// it where nothing was left half-read. Each position is read with one of these:
///
/// - a scalar, a tagged value and a mapping key are read whole, then failed on ([`ScalarProbe`],
///   [`TaggedProbe`], [`KeyProbe`]): the error carries the node's position (through an alias:
///   the anchored node's, as [`locate`] reports), and the next read starts after the node;
/// - a mapping or list is not entered to fail: [`RawMark`] reads the position of the next event
///   without reading it or following an alias (serde_yaml's recursion limit, reached on
///   purpose), and [`EnumPeek`] the position after following an alias, reading only the alias.
///   The two differ exactly for an alias; then the anchored node's position is the one wanted;
/// - a mapping or list with problems inside is walked ([`Walk`]); its own position is its raw
///   one, unless its first entry lies before that — then the walk is inside an alias's anchored
///   node, which serde_yaml reads apart from the rest, and fails on purpose at its end.
///
/// Targets left unplaced are located one by one: paths through scalars or tagged values, keys
/// into lists, and paths to nothing (where [`locate`] names the innermost mapping or list on
/// the way that has entries after it, as serde_yaml complains about them) — none of which
/// validation produces — and all of them should the walk meet anything it does not expect.
fn locate_all(text: &str, root: &Value, wanted: &[(&YamlPath, Target)]) -> Vec<Option<Location>> {
    let (found, _) = locate_in_one_pass(text, root, wanted);
    found
}

/// [`locate_all`], and how many targets it left to [`locate`] (for the tests).
fn locate_in_one_pass(
    text: &str,
    root: &Value,
    wanted: &[(&YamlPath, Target)],
) -> (Vec<Option<Location>>, usize) {
    let mut trie = Trie::default();
    let pass = Pass {
        found: RefCell::new(vec![None; wanted.len()]),
        broken: Cell::new(false),
    };
    for (index, (path, target)) in wanted.iter().enumerate() {
        if path.0.is_empty() {
            pass.set(&[index], Some(Location { line: 1, column: 1 }));
        } else {
            trie.insert(&path.0, *target, index);
        }
    }
    if !trie.is_empty() {
        let walked = Root {
            pass: &pass,
            trie: &trie,
            value: root,
        }
        .deserialize(serde_yaml::Deserializer::from_str(text));
        if walked.is_err() || pass.broken.get() {
            pass.found.borrow_mut().fill(None);
        }
    }
    let mut left = 0;
    let found = pass
        .found
        .into_inner()
        .into_iter()
        .zip(wanted)
        .map(|(found, (path, target))| {
            found.unwrap_or_else(|| {
                left += 1;
                locate(text, path, *target)
            })
        })
        .collect();
    (found, left)
}

/// The targets below one node, by the path segments that lead on.
#[derive(Debug, Default)]
struct Trie {
    /// Targets at this node (its value).
    here: Vec<usize>,
    /// Targets at the mapping key that leads to this node.
    key: Vec<usize>,
    keys: BTreeMap<String, Trie>,
    indices: BTreeMap<usize, Trie>,
}

impl Trie {
    fn insert(&mut self, segments: &[Segment], target: Target, index: usize) {
        let mut node = self;
        for segment in segments {
            node = match segment {
                Segment::Key(key) => node.keys.entry(key.clone()).or_default(),
                Segment::Index(at) => node.indices.entry(*at).or_default(),
            };
        }
        match (segments.last(), target) {
            // Only a key's own position differs from its value's (see `Locate`).
            (Some(Segment::Key(_)), Target::Key) => node.key.push(index),
            _ => node.here.push(index),
        }
    }

    fn is_empty(&self) -> bool {
        self.here.is_empty() && self.key.is_empty() && !self.has_children()
    }

    fn has_children(&self) -> bool {
        !self.keys.is_empty() || !self.indices.is_empty()
    }

    /// Every target in this subtree.
    fn all(&self, out: &mut Vec<usize>) {
        out.extend(&self.here);
        out.extend(&self.key);
        for child in self.keys.values().chain(self.indices.values()) {
            child.all(out);
        }
    }
}

/// What one walk has found: for each target, its position once placed.
struct Pass {
    found: RefCell<Vec<Option<Option<Location>>>>,
    /// The walk met something it does not expect: nothing it found counts.
    broken: Cell<bool>,
}

impl Pass {
    fn set(&self, targets: &[usize], at: Option<Location>) {
        let mut found = self.found.borrow_mut();
        for target in targets {
            if let Some(slot) = found.get_mut(*target) {
                *slot = Some(at);
            }
        }
    }

    fn set_all(&self, trie: &Trie, at: Option<Location>) {
        let mut targets = Vec::new();
        trie.all(&mut targets);
        self.set(&targets, at);
    }

    /// Gives up the walk: the error that unwinds it.
    fn broken<E: de::Error>(&self) -> E {
        self.broken.set(true);
        E::custom(BROKEN)
    }
}

/// The error that ends a walk that met something unexpected; its text is never shown.
const BROKEN: &str = "convene: the one-pass walk gave up";

/// The message of serde_yaml's recursion limit, which [`RawMark`] reaches on purpose.
const RECURSION_LIMIT: &str = "recursion limit exceeded";

/// The end of serde_yaml's message when [`EnumPeek`] meets a mapping or list without a tag.
const NOT_TAGGED: &str = "a YAML tag starting with '!'";

/// The position serde_yaml appended to `error` (" at line L column C"; nothing for 1:1), if its
/// message ends with `expected` — so that no other error is taken for a position.
fn position<E: fmt::Display>(error: &E, expected: &str) -> Option<Location> {
    let shown = error.to_string();
    let suffix = shown.rfind(" at line ").and_then(|at| {
        let (line, column) = shown
            .get(at + " at line ".len()..)?
            .split_once(" column ")?;
        let location = Location {
            line: line.parse().ok()?,
            column: column.parse().ok()?,
        };
        Some((shown.get(..at)?, location))
    });
    let (message, location) = suffix.unwrap_or((&shown, Location { line: 1, column: 1 }));
    message.ends_with(expected).then_some(location)
}

/// The next node of a mapping (key or value alike) or list, read with a seed: so a walk reads a
/// mapping's keys and values one node at a time, and any node more than once where a seed reads
/// nothing.
trait Next<'de> {
    type Error: de::Error;

    fn next<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, Self::Error>;
}

/// The nodes of a mapping: `next_value_seed` reads whatever comes next, key or value, without
/// looking ahead first.
struct InMap<A>(A);

impl<'de, A: MapAccess<'de>> Next<'de> for InMap<A> {
    type Error = A::Error;

    fn next<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, A::Error> {
        self.0.next_value_seed(seed).map(Some)
    }
}

/// The elements of a list.
struct InSeq<A>(A);

impl<'de, A: SeqAccess<'de>> Next<'de> for InSeq<A> {
    type Error = A::Error;

    fn next<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<Option<S::Value>, A::Error> {
        self.0.next_element_seed(seed)
    }
}

/// Reads the next node with `seed`, which fails on purpose, and gives the position its error
/// carries (its message ending with `expected`).
fn probe<'de, N: Next<'de>, S: DeserializeSeed<'de>>(
    pass: &Pass,
    next: &mut N,
    seed: S,
    expected: &str,
) -> Result<Location, N::Error> {
    match next.next(seed) {
        Err(error) => position(&error, expected).ok_or_else(|| pass.broken()),
        Ok(_) => Err(pass.broken()),
    }
}

/// Reads past the next node, whatever it is (an alias counts as one node and is not followed).
fn skip<'de, N: Next<'de>>(pass: &Pass, next: &mut N) -> Result<(), N::Error> {
    match next.next(std::marker::PhantomData::<IgnoredAny>)? {
        Some(IgnoredAny) => Ok(()),
        None => Err(pass.broken()),
    }
}

/// Places the targets at and below the next node, whose tree is `value`, and reads past it.
fn node<'de, N: Next<'de>>(
    pass: &Pass,
    next: &mut N,
    trie: &Trie,
    value: &Value,
) -> Result<(), N::Error> {
    match value {
        Value::Mapping(_) | Value::Sequence(_) => collection(pass, next, trie, value),
        // Paths through a scalar or a tagged value are left to `locate`.
        _ if trie.has_children() => skip(pass, next),
        Value::Tagged(_) => {
            let at = probe(pass, next, TaggedProbe(pass), FOUND)?;
            pass.set(&trie.here, Some(at));
            Ok(())
        }
        _ => {
            let at = probe(pass, next, ScalarProbe(pass), FOUND)?;
            pass.set(&trie.here, Some(at));
            Ok(())
        }
    }
}

/// [`node`] for a mapping or list.
fn collection<'de, N: Next<'de>>(
    pass: &Pass,
    next: &mut N,
    trie: &Trie,
    value: &Value,
) -> Result<(), N::Error> {
    let (empty, inside) = match value {
        Value::Mapping(mapping) => (mapping.is_empty(), !trie.keys.is_empty()),
        Value::Sequence(sequence) => (sequence.is_empty(), !trie.indices.is_empty()),
        _ => return Err(pass.broken()),
    };
    if empty || !inside {
        // Targets inside an empty mapping or list, or a key into a list, are left to `locate`.
        if trie.here.is_empty() {
            return skip(pass, next);
        }
        let raw = probe(pass, next, RawMark, RECURSION_LIMIT)?;
        let resolved = probe(pass, next, EnumPeek, NOT_TAGGED)?;
        // Only an alias is read by `EnumPeek`, and only there do the two differ.
        if raw == resolved {
            skip(pass, next)?;
        }
        pass.set(&trie.here, Some(resolved));
        return Ok(());
    }
    let raw = if trie.here.is_empty() {
        None
    } else {
        Some(probe(pass, next, RawMark, RECURSION_LIMIT)?)
    };
    let on_purpose = Cell::new(false);
    let walk = Walk {
        pass,
        trie,
        value,
        raw,
        on_purpose: &on_purpose,
    };
    match next.next(walk) {
        Ok(Some(())) => {
            pass.set(&trie.here, raw);
            Ok(())
        }
        Err(error) if on_purpose.get() => {
            let at = position(&error, FOUND).ok_or_else(|| pass.broken())?;
            pass.set(&trie.here, Some(at));
            Ok(())
        }
        Ok(None) => Err(pass.broken()),
        Err(error) => Err(error),
    }
}

/// The document's root, walked when it is a mapping or list (the root's own position is 1:1).
struct Root<'p> {
    pass: &'p Pass,
    trie: &'p Trie,
    value: &'p Value,
}

impl<'de> DeserializeSeed<'de> for Root<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        let walk = Walk {
            pass: self.pass,
            trie: self.trie,
            value: self.value,
            raw: None,
            on_purpose: &Cell::new(false),
        };
        match self.value {
            Value::Mapping(m) if !m.is_empty() => deserializer.deserialize_any(walk),
            Value::Sequence(s) if !s.is_empty() => deserializer.deserialize_any(walk),
            // Paths into anything else are left to `locate`.
            _ => Ok(()),
        }
    }
}

/// Walks a non-empty mapping or list with targets inside. With `raw` (its position before any
/// alias is followed), it also tells its own position: `raw`, unless its first entry lies
/// before it — then this is an alias's anchored node, read apart from the rest, and the walk
/// fails at its end, so that the error carries the anchored node's position (`on_purpose`).
struct Walk<'p> {
    pass: &'p Pass,
    trie: &'p Trie,
    value: &'p Value,
    raw: Option<Location>,
    on_purpose: &'p Cell<bool>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl Walk<'_> {
    /// Whether this is an alias's anchored node (see [`Walk`]).
    fn in_alias<'de, N: Next<'de>>(&self, next: &mut N) -> Result<bool, N::Error> {
        let Some(raw) = self.raw else {
            return Ok(false);
        };
        let first = probe(self.pass, next, RawMark, RECURSION_LIMIT)?;
        Ok((first.line, first.column) < (raw.line, raw.column))
    }

    fn end<E: de::Error>(&self, in_alias: bool) -> Result<(), E> {
        if in_alias {
            self.on_purpose.set(true);
            return Err(E::custom(FOUND));
        }
        Ok(())
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the mapping or list of the document's tree")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let Value::Mapping(mapping) = self.value else {
            return Err(self.pass.broken());
        };
        let mut next = InMap(map);
        let in_alias = self.in_alias(&mut next)?;
        entries(self.pass, &mut next, self.trie, mapping)?;
        self.end(in_alias)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        let Value::Sequence(sequence) = self.value else {
            return Err(self.pass.broken());
        };
        let mut next = InSeq(seq);
        let in_alias = self.in_alias(&mut next)?;
        // Every element is read here: serde_yaml takes elements left unread for a wrong length.
        for (index, value) in sequence.iter().enumerate() {
            match self.trie.indices.get(&index) {
                Some(child) => node(self.pass, &mut next, child, value)?,
                None => skip(self.pass, &mut next)?,
            }
        }
        // Indices past the end are left to `locate`.
        self.end(in_alias)
    }
}

/// The entries of a mapping, keys compared as [`MatchKey`] does: the first key of a name counts,
/// mappings and lists as keys match nothing, and at a key that has no name (a tagged value, a
/// number too large) [`locate`] stops with that key's position for every name not found before.
fn entries<'de, A: MapAccess<'de>>(
    pass: &Pass,
    next: &mut InMap<A>,
    trie: &Trie,
    mapping: &serde_yaml::Mapping,
) -> Result<(), A::Error> {
    let mut found = BTreeSet::new();
    let mut stopped_at = None;
    for (key, value) in mapping {
        // Every entry is read here: serde_yaml takes entries left unread for a wrong length.
        let done = found.len() == trie.keys.len() || stopped_at.is_some();
        if done || matches!(key, Value::Mapping(_) | Value::Sequence(_)) {
            skip(pass, next)?;
            skip(pass, next)?;
            continue;
        }
        let name = RefCell::new(None);
        let at = probe(pass, next, KeyProbe { pass, name: &name }, FOUND)?;
        match name.into_inner() {
            Some(Some(name)) => match trie.keys.get(&name) {
                Some(child) if found.insert(name) => {
                    pass.set(&child.key, Some(at));
                    node(pass, next, child, value)?;
                }
                _ => skip(pass, next)?,
            },
            Some(None) => {
                stopped_at = Some(at);
                skip(pass, next)?;
            }
            None => return Err(pass.broken()),
        }
    }
    // `locate` stops at a key without a name with that key's position; names not there at all
    // are left to it.
    if let Some(at) = stopped_at {
        for (name, child) in &trie.keys {
            if !found.contains(name) {
                pass.set_all(child, Some(at));
            }
        }
    }
    Ok(())
}

/// Reads the position of the next event and nothing else: each `deserialize_newtype_struct`
/// peeks at the event (not following an alias) and counts a level of nesting, until serde_yaml's
/// recursion limit fails with that event's position.
struct RawMark;

impl<'de> DeserializeSeed<'de> for RawMark {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_newtype_struct("RawMark", RawMark)
    }
}

impl<'de> Visitor<'de> for RawMark {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any node")
    }

    fn visit_newtype_struct<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<(), D::Error> {
        deserializer.deserialize_newtype_struct("RawMark", RawMark)
    }
}

/// Fails at a mapping or list without reading it; an alias before it is read and followed, so
/// the position is the anchored node's.
struct EnumPeek;

impl<'de> DeserializeSeed<'de> for EnumPeek {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_enum("EnumPeek", &[], FailHere)
    }
}

/// Reads a scalar, then fails at it.
struct ScalarProbe<'p>(&'p Pass);

impl<'de> DeserializeSeed<'de> for ScalarProbe<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// The visits of a scalar, each ending in `$then`.
macro_rules! scalars_then {
    ($then:expr) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
            $then(self)
        }

        fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
            $then(self)
        }

        fn visit_i128<E: de::Error>(self, _: i128) -> Result<(), E> {
            $then(self)
        }

        fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
            $then(self)
        }

        fn visit_u128<E: de::Error>(self, _: u128) -> Result<(), E> {
            $then(self)
        }

        fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
            $then(self)
        }

        fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
            $then(self)
        }

        fn visit_unit<E: de::Error>(self) -> Result<(), E> {
            $then(self)
        }
    };
}

impl<'de> Visitor<'de> for ScalarProbe<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a scalar")
    }

    scalars_then!(|_| Err(E::custom(FOUND)));

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(self.0.broken())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(self.0.broken())
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(self.0.broken())
    }
}

/// Reads a tagged value (`!tag value`) whole, then fails at it.
struct TaggedProbe<'p>(&'p Pass);

impl<'de> DeserializeSeed<'de> for TaggedProbe<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TaggedProbe<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a tagged value")
    }

    scalars_then!(|probe: Self| Err(probe.0.broken()));

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(self.0.broken())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(self.0.broken())
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        let (IgnoredAny, variant) = data.variant()?;
        de::VariantAccess::newtype_variant::<IgnoredAny>(variant)?;
        Err(de::Error::custom(FOUND))
    }
}

/// Reads a mapping key whole and fails at it, recording its name as [`MatchKey`] compares it
/// (`Some(name)`), or `None` for a key at which [`MatchKey`] fails (a tagged value, a number
/// too large); a mapping or list as a key is read without failing and matches nothing.
struct KeyProbe<'p> {
    pass: &'p Pass,
    name: &'p RefCell<Option<Option<String>>>,
}

impl KeyProbe<'_> {
    fn named<E: de::Error>(self, name: String) -> Result<(), E> {
        *self.name.borrow_mut() = Some(Some(name));
        Err(E::custom(FOUND))
    }

    fn nameless<E: de::Error>(self) -> Result<(), E> {
        *self.name.borrow_mut() = Some(None);
        Err(E::custom(FOUND))
    }
}

impl<'de> DeserializeSeed<'de> for KeyProbe<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeyProbe<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<(), E> {
        self.named(key.to_owned())
    }

    fn visit_bool<E: de::Error>(self, key: bool) -> Result<(), E> {
        self.named(format!("Bool({key})"))
    }

    fn visit_i64<E: de::Error>(self, key: i64) -> Result<(), E> {
        self.named(format!("Number({key})"))
    }

    fn visit_u64<E: de::Error>(self, key: u64) -> Result<(), E> {
        self.named(format!("Number({key})"))
    }

    fn visit_f64<E: de::Error>(self, key: f64) -> Result<(), E> {
        self.named(format!("Number({key})"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.named("Null".to_owned())
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<(), E> {
        self.nameless()
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<(), E> {
        self.nameless()
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        let (IgnoredAny, variant) = data.variant()?;
        de::VariantAccess::newtype_variant::<IgnoredAny>(variant)?;
        self.nameless()
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        // Mappings as keys are skipped before a probe.
        Err(self.pass.broken())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<(), A::Error> {
        Err(self.pass.broken())
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

    /// Every node's path (keys named as validation names them), and with `missing` one more key
    /// or index that is not there in every mapping and list, and one through every scalar.
    fn paths_of(value: &Value, path: &YamlPath, missing: bool, out: &mut Vec<YamlPath>) {
        out.push(path.clone());
        match value {
            Value::Mapping(mapping) => {
                for (key, value) in mapping {
                    let name = match key {
                        Value::String(name) => name.clone(),
                        Value::Mapping(_) | Value::Sequence(_) => continue,
                        other => format!("{other:?}"),
                    };
                    paths_of(value, &path.key(&name), missing, out);
                }
                if missing {
                    out.push(path.key("not-there"));
                    out.push(path.index(0));
                }
            }
            Value::Sequence(sequence) => {
                for (index, value) in sequence.iter().enumerate() {
                    paths_of(value, &path.index(index), missing, out);
                }
                if missing {
                    out.push(path.index(sequence.len() + 2));
                    out.push(path.key("0"));
                }
            }
            _ if missing => out.push(path.key("inside").index(1)),
            _ => {}
        }
    }

    /// Locates every node of `text` and its key (with `missing`, also paths to nothing) in one
    /// pass, and asserts that each position is the one `locate` gives alone; gives how many the
    /// pass left to `locate`.
    fn one_pass_agrees(text: &str, missing: bool) -> usize {
        let doc = document(text);
        let mut paths = Vec::new();
        paths_of(&doc.root, &YamlPath::default(), missing, &mut paths);
        let wanted: Vec<(&YamlPath, Target)> = paths
            .iter()
            .flat_map(|path| [(path, Target::Value), (path, Target::Key)])
            .collect();
        let (found, left) = locate_in_one_pass(&doc.text, &doc.root, &wanted);
        for ((path, target), found) in wanted.iter().zip(&found) {
            assert_eq!(
                *found,
                locate(&doc.text, path, *target),
                "{path} ({target:?}) in\n{text}"
            );
        }
        left
    }

    #[test]
    fn one_pass_finds_what_locate_finds() {
        let documents = [
            "a: 1\nb:\n  c: [x, y]\n  d:\n    - e: 2\n      f: three\n",
            // Anchors and aliases of every kind, also into anchored nodes.
            "base: &b\n  name: x\n  list: &l [1, 2, {z: 3}]\n  empty: &e {}\n  emptylist: &el []\nother: *b\nmore:\n  - *b\n  - *l\n  - *e\n  - *el\n  - &s scalar\n  - *s\n  - k: *l\n    m: *e\n    n: &deep\n      - *b\n      - [*l, *s]\nlast: *deep\n",
            // Tagged values, and tagged keys, at which `locate` stops.
            "a: !t {x: 1}\nb:\n  !k tagged: 1\n  after: 2\nc: !s scalar\nd:\n  first: [1]\n  !k stop: 2\n  later: {x: 3}\ne: !l [1, 2]\n",
            // Keys that are no text: lists and mappings, numbers, booleans, null, floats.
            "? [1, 2]\n: list key\n? {a: 1}\n: map key\n1: one\ntrue: yes\n~: null key\n\"Null\": string null\n1.5: float\nx: {y: after}\nz: [1]\n",
            // Flow style, empty collections and empty values.
            "{a: [], b: {}, c: [[], {}], d: {e: [ {}, [] ]}, \"q\": '', n: , m: [\n  1,\n  {o: p}\n]}\n",
            "a:\nb:\n  c:\n  d: []\n  e: {}\nf: [[[]]]\n",
            // An alias as a key, anchors on keys and on block mappings.
            "x: &k key\nm:\n  *k : v\n  other: w\nn: &map\n  p: 1\n  q: [2]\no: *map\n",
            "- - - a\n    - b\n  - []\n- {}\n- - {c: d}\n  - &x\n    e: f\n- *x\n",
            "a: |\n  text\n  more\nb: >\n  folded\nc: 'q'\nd: \"dq\"\ne:\n  - x\n  -\n  - {}\n",
            // A document marker and comments.
            "%YAML 1.2\n---\n# comment\na: # after\n  - 1 # one\n  # between\n  - {b: [2, 3]}\n...\n",
            "[&u 1, {a: [2, {b: 3}]}, [], {}, *u, &m {c: *u}, *m]\n",
        ];
        for text in documents {
            one_pass_agrees(text, true);
            // What is there is found in the pass itself.
            assert_eq!(one_pass_agrees(text, false), 0, "{text}");
        }
    }

    /// Ten thousand problems are placed in one pass, none one by one.
    #[test]
    fn ten_thousand_problems_take_one_pass() {
        let text: String = (0..10_000)
            .map(|n| format!("key{n}: {{ name: {n} }}\n"))
            .collect();
        let doc = document(&text);
        let paths: Vec<YamlPath> = (0..10_000)
            .map(|n| YamlPath::default().key(&format!("key{n}")))
            .collect();
        let wanted: Vec<(&YamlPath, Target)> = paths
            .iter()
            .flat_map(|path| [(path, Target::Key), (path, Target::Value)])
            .collect();
        let (found, left) = locate_in_one_pass(&doc.text, &doc.root, &wanted);
        assert_eq!(left, 0);
        assert_eq!(found[0], Some(Location { line: 1, column: 1 }));
        assert_eq!(
            found[19_999],
            Some(Location {
                line: 10_000,
                column: 10
            })
        );
    }

    /// A generated YAML node: what it is, and how it is written.
    #[derive(Debug, Clone)]
    enum Generated {
        /// A scalar, one of several forms.
        Scalar(u8),
        /// A mapping; written in flow style (`{…}`) with `true`.
        Mapping(Vec<Generated>, bool),
        /// A list.
        List(Vec<Generated>, bool),
    }

    fn generated() -> impl proptest::strategy::Strategy<Value = (Generated, Vec<u8>)> {
        use proptest::prelude::*;
        let leaf = any::<u8>().prop_map(Generated::Scalar);
        let tree = leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                (prop::collection::vec(inner.clone(), 0..5), any::<bool>())
                    .prop_map(|(entries, flow)| Generated::Mapping(entries, flow)),
                (prop::collection::vec(inner, 0..5), any::<bool>())
                    .prop_map(|(items, flow)| Generated::List(items, flow)),
            ]
        });
        (tree, prop::collection::vec(any::<u8>(), 64))
    }

    /// Writes generated nodes as YAML, drawing the choices of style (anchors, aliases, tags,
    /// keys of every kind, indentation) from `dice`.
    struct Writer {
        dice: Vec<u8>,
        thrown: usize,
        anchors: usize,
        keys: usize,
        out: String,
    }

    impl Writer {
        fn throw(&mut self) -> u8 {
            self.thrown += 1;
            self.dice[self.thrown % self.dice.len()].wrapping_add(self.thrown as u8)
        }

        /// An anchor, a tag or nothing before a node; or an alias instead of it (`Err`).
        fn properties(&mut self) -> Result<String, String> {
            match self.throw() % 10 {
                0 => {
                    self.anchors += 1;
                    Ok(format!("&a{} ", self.anchors))
                }
                1 => Ok("!t ".to_owned()),
                2..=4 if self.anchors > 0 => {
                    let anchor = usize::from(self.throw()) % self.anchors + 1;
                    Err(format!("*a{anchor}"))
                }
                _ => Ok(String::new()),
            }
        }

        fn key(&mut self) -> String {
            self.keys += 1;
            let n = self.keys;
            match self.throw() % 12 {
                0 => format!("{}", 1000 + n),
                1 => format!("\"q {n}\""),
                2 => format!("!t k{n}"),
                3 if n == 1 => "~".to_owned(),
                4 => format!("&a{} k{n}", {
                    self.anchors += 1;
                    self.anchors
                }),
                5 => format!("[{n}, x]"),
                _ => format!("k{n}"),
            }
        }

        fn scalar(&mut self, form: u8) -> String {
            match form % 8 {
                0 => format!("w{form}"),
                1 => format!("{form}"),
                2 => "~".to_owned(),
                3 => format!("'s {form}'"),
                4 => format!("\"d {form}\""),
                5 => "true".to_owned(),
                6 => String::new(),
                _ => format!("{form}.5"),
            }
        }

        /// A node in flow style (or a scalar), on one line or broken after commas.
        fn flow(&mut self, node: &Generated, indent: usize) -> String {
            let properties = match self.properties() {
                Ok(properties) => properties,
                Err(alias) => return alias,
            };
            let separator = if self.throw().is_multiple_of(4) {
                format!(",\n{}", " ".repeat(indent + 2))
            } else {
                ", ".to_owned()
            };
            match node {
                Generated::Scalar(form) => {
                    let scalar = self.scalar(*form);
                    if scalar.is_empty() {
                        format!("{properties}''")
                    } else {
                        format!("{properties}{scalar}")
                    }
                }
                Generated::Mapping(entries, _) => {
                    let mut parts = Vec::new();
                    for entry in entries {
                        let key = self.key();
                        let value = self.flow(entry, indent + 2);
                        parts.push(format!("{key}: {value}"));
                    }
                    format!("{properties}{{{}}}", parts.join(&separator))
                }
                Generated::List(items, _) => {
                    let parts: Vec<String> = items
                        .iter()
                        .map(|item| self.flow(item, indent + 2))
                        .collect();
                    format!("{properties}[{}]", parts.join(&separator))
                }
            }
        }

        /// A node as the value after `key:` or `-` at `indent`: block style where it is a
        /// non-empty mapping or list not meant for flow style.
        fn value(&mut self, node: &Generated, indent: usize) {
            let block = match node {
                Generated::Mapping(entries, flow) | Generated::List(entries, flow) => {
                    !entries.is_empty() && !flow
                }
                Generated::Scalar(_) => false,
            };
            if !block {
                let text = self.flow(node, indent);
                if !text.is_empty() {
                    self.out.push(' ');
                }
                self.out.push_str(&text);
                self.out.push('\n');
                return;
            }
            match self.properties() {
                Ok(properties) => {
                    if !properties.is_empty() {
                        self.out.push(' ');
                        self.out.push_str(properties.trim_end());
                    }
                    self.out.push('\n');
                    self.block(node, indent + 2);
                }
                Err(alias) => {
                    self.out.push(' ');
                    self.out.push_str(&alias);
                    self.out.push('\n');
                }
            }
        }

        /// A non-empty mapping or list in block style at `indent`.
        fn block(&mut self, node: &Generated, indent: usize) {
            let pad = " ".repeat(indent);
            match node {
                Generated::Mapping(entries, _) => {
                    for entry in entries {
                        let key = self.key();
                        let key = if key.starts_with('[') {
                            format!("? {key}\n{pad}")
                        } else {
                            key
                        };
                        self.out.push_str(&format!("{pad}{key}:"));
                        self.value(entry, indent);
                    }
                }
                Generated::List(items, _) => {
                    for item in items {
                        self.out.push_str(&format!("{pad}-"));
                        self.value(item, indent);
                    }
                }
                Generated::Scalar(_) => {}
            }
        }
    }

    proptest::proptest! {
        /// On generated documents — block and flow style, anchors and aliases (also to keys),
        /// tags (also on keys, where `locate` stops), keys that are numbers, null, lists or
        /// quoted, empty values — the pass finds every position `locate` finds, and what is
        /// there is found in the pass itself.
        #[test]
        fn one_pass_finds_what_locate_finds_in_generated_documents((tree, dice) in generated()) {
            let mut writer = Writer { dice, thrown: 0, anchors: 0, keys: 0, out: String::new() };
            match &tree {
                Generated::Mapping(entries, _) | Generated::List(entries, _) if !entries.is_empty() => {
                    writer.block(&tree, 0);
                }
                other => {
                    let text = writer.flow(other, 0);
                    writer.out = format!("{text}\n");
                }
            }
            let text = writer.out;
            proptest::prop_assume!(Document::parse(Path::new("t.yaml"), text.clone()).is_ok());
            one_pass_agrees(&text, true);
            proptest::prop_assert_eq!(one_pass_agrees(&text, false), 0, "{}", text);
        }
    }

    /// Every problem of a large file is located, all in one pass over the text (a parse per
    /// problem once took 207 s for 5,000 problems in 157 KB). How the time grows with the file
    /// is measured by `benches/locate.rs`: timings belong in benchmarks, not in tests.
    #[test]
    fn locating_problems_in_a_large_file_finds_each() {
        let count = 100_000;
        let text: String = (0..count / 2)
            .map(|n| format!("unknown_{n}: {{ value: {n} }}\n"))
            .collect();
        let doc = document(&text);
        let problems: Vec<Problem> = (0..count / 2)
            .flat_map(|n| {
                let key = YamlPath::default().key(&format!("unknown_{n}"));
                let problem = |path: YamlPath, target| Problem {
                    path,
                    target,
                    message: text!(const de: "Unbekannter Schlüssel", en: "unknown key"),
                    hint: None,
                };
                [
                    problem(key.clone(), Target::Key),
                    problem(key.key("value"), Target::Value),
                ]
            })
            .collect();
        let diagnostics = doc.finish(problems.clone());
        assert_eq!(diagnostics.len(), problems.len());
        let last = diagnostics.iter().last().map(|d| d.location);
        let line = problems.len() / 2;
        let column = format!("unknown_{}: {{ value: ", line - 1).len() + 1;
        assert_eq!(last, Some(Some(Location { line, column })));
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
