//! Validators for the values organizers write in YAML — dates, times, durations, links,
//! identifiers — shared by the configuration and the agenda files, so both read them alike and
//! explain mistakes alike.

use chrono::{NaiveDate, NaiveTime, TimeDelta};
use url::Url;

use crate::duration;
use crate::yaml::{Node, Problem};

/// A date written `YYYY-MM-DD`.
pub fn date(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<NaiveDate> {
    let text = node.as_str(problems)?;
    match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        Ok(date) => Some(date),
        Err(_) => {
            problems.push(node.problem(
                format!("`{text}` is not a date"),
                Some("write the date as YYYY-MM-DD, e.g. `2026-12-17`"),
            ));
            None
        }
    }
}

/// A local time written `HH:MM` (or `HH:MM:SS`).
pub fn time(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<NaiveTime> {
    let text = node.as_str(problems)?.trim();
    let parsed = NaiveTime::parse_from_str(text, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S"));
    match parsed {
        Ok(time) => Some(time),
        Err(_) => {
            problems.push(node.problem(
                format!("`{text}` is not a time of day"),
                Some("write the local time as HH:MM in quotes, e.g. `\"10:00\"`"),
            ));
            None
        }
    }
}

/// A duration such as `90m` or `1h30m`.
pub fn duration(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<TimeDelta> {
    let text = node.as_str(problems)?;
    match duration::parse(text) {
        Ok(duration) => Some(duration),
        Err(error) => {
            problems.push(node.problem(error.to_string(), Some(duration::HINT)));
            None
        }
    }
}

/// An http(s) link.
pub fn link(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<Url> {
    let text = node.as_str(problems)?;
    match Url::parse(text.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Some(url),
        _ => {
            problems.push(node.problem(
                format!("`{text}` is not an http(s) link"),
                Some("write the full address, e.g. `https://meet.example.org/ikone`"),
            ));
            None
        }
    }
}

/// A stable identifier: lower-case letters, digits and dashes. Identifiers go into calendar
/// UIDs and delivery records, so they are kept plain.
pub fn slug(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<String> {
    let text = node.as_str(problems)?;
    if is_slug(text) {
        Some(text.to_owned())
    } else {
        problems.push(node.problem(
            format!("`{text}` is not a valid id"),
            Some("use lower-case letters, digits and dashes, e.g. `videokonferenz`"),
        ));
        None
    }
}

/// Whether `text` is a valid identifier (see [`slug`]).
pub fn is_slug(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !text.starts_with('-')
}

/// Non-empty text, trimmed, at most `max` characters.
pub fn text(
    node: &Node<'_>,
    what: &str,
    max: usize,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let text = node.as_str(problems)?.trim();
    if text.is_empty() {
        problems.push(node.problem(format!("the {what} is empty"), None));
        return None;
    }
    if text.chars().count() > max {
        problems.push(node.problem(
            format!("the {what} is longer than {max} characters"),
            Some("shorten it; details belong in a description or a linked document"),
        ));
        return None;
    }
    Some(text.to_owned())
}

/// `true`/`false`.
pub fn flag(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<bool> {
    node.as_bool(problems)
}

/// Folds an optional field's outcome: absent is fine (`Some(None)`), present and valid is
/// `Some(Some(value))`, present but invalid (already reported) is `None`.
pub fn optional<T>(field: Option<Option<T>>) -> Option<Option<T>> {
    match field {
        None => Some(None),
        Some(Some(value)) => Some(Some(value)),
        Some(None) => None,
    }
}
