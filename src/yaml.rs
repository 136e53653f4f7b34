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

use crate::diagnostic::{Diagnostic, Diagnostics, Location};

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
    pub message: String,
    /// How to fix it, if there is something useful to say.
    pub hint: Option<String>,
}

/// A parsed YAML file: its text (for locating problems) and its tree.
#[derive(Debug)]
pub struct Document {
    file: PathBuf,
    text: String,
    root: Value,
}

impl Document {
    /// Parses `text`, read from `file`. A syntax error is returned as a single diagnostic.
    pub fn parse(file: &Path, text: String) -> Result<Self, Diagnostics> {
        match serde_yaml::from_str::<Value>(&text) {
            Ok(root) => Ok(Self {
                file: file.to_owned(),
                text,
                root,
            }),
            Err(error) => {
                let location = error.location().map(|l| Location {
                    line: l.line(),
                    column: l.column(),
                });
                let message = strip_positions(&error.to_string());
                let hint = if message.starts_with("duplicate entry") {
                    "a key may appear only once in a section: remove or merge the repeated one"
                } else {
                    "check the indentation, and quote values that contain `: ` or start with `@`, `!`, `#`, `&` or `*`"
                };
                Err(Diagnostics::from(vec![Diagnostic {
                    file: file.to_owned(),
                    location,
                    path: None,
                    message: format!("this is not valid YAML: {message}"),
                    hint: Some(hint.to_owned()),
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
        if path.0.is_empty() {
            return Some(Location { line: 1, column: 1 });
        }
        let deserializer = serde_yaml::Deserializer::from_str(&self.text);
        let seed = Locate {
            rest: &path.0,
            target,
        };
        match seed.deserialize(deserializer) {
            Ok(()) => None,
            Err(error) => error.location().map(|l| Location {
                line: l.line(),
                column: l.column(),
            }),
        }
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
fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Sequence(_) => "a list",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

impl<'a> Node<'a> {
    /// Where this node is.
    pub fn path(&self) -> &YamlPath {
        &self.path
    }

    /// A problem with this node's value.
    pub fn problem(&self, message: impl Into<String>, hint: Option<&str>) -> Problem {
        Problem {
            path: self.path.clone(),
            target: Target::Value,
            message: message.into(),
            hint: hint.map(str::to_owned),
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
                    Value::Bool(_) | Value::Number(_) => "put the value in quotes",
                    _ => "write a single value on the same line as the key",
                };
                problems.push(self.problem(
                    format!("expected text, found {}", kind_of(other)),
                    Some(hint),
                ));
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
                    format!("expected true or false, found {}", kind_of(other)),
                    Some("write `true` or `false`"),
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
                    format!("expected a whole number, found {}", kind_of(other)),
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
                    format!("expected a list, found {}", kind_of(other)),
                    Some("write one entry per line, each starting with `- `"),
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
                format!("expected a mapping, found {}", kind_of(self.value)),
                Some("write `key: value` pairs, indented below this key"),
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
                    Some(candidate) => format!("did you mean `{candidate}`?"),
                    None => format!("known keys here: {}", known.join(", ")),
                };
                problems.push(Problem {
                    path: self.path.key(&name),
                    target: Target::Key,
                    message: format!("unknown key `{name}`"),
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
    pub fn required(&self, key: &str, hint: &str, problems: &mut Vec<Problem>) -> Option<Node<'a>> {
        let node = self.optional(key);
        if node.is_none() {
            problems.push(Problem {
                path: self.path.clone(),
                target: Target::Value,
                message: format!("missing key `{key}`"),
                hint: Some(hint.to_owned()),
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
