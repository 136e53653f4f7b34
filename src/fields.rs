//! Validators for the values organizers write in YAML — dates, times, durations, links,
//! identifiers — shared by the configuration and the agenda files, so both read them alike and
//! explain mistakes alike.

use chrono::{NaiveDate, NaiveTime, TimeDelta, Timelike as _};
use url::Url;

use crate::duration::{self, Compact};
use crate::limits;
use crate::yaml::{Node, Problem};

/// A date written `YYYY-MM-DD`, from [`limits::FIRST_DATE`] to [`limits::LAST_DATE`].
pub fn date(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<NaiveDate> {
    let text = node.as_str(problems)?;
    match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        Ok(date) if (limits::FIRST_DATE..=limits::LAST_DATE).contains(&date) => Some(date),
        Ok(_) => {
            problems.push(node.problem(
                format!("`{}` is outside the dates convene plans with", text.trim()),
                Some(&format!(
                    "write a date from {} to {}",
                    limits::FIRST_DATE,
                    limits::LAST_DATE
                )),
            ));
            None
        }
        Err(_) => {
            problems.push(node.problem(
                format!("`{text}` is not a date"),
                Some("write the date as YYYY-MM-DD, e.g. `2026-12-17`"),
            ));
            None
        }
    }
}

/// A local time written `HH:MM` (or `HH:MM:SS`). A leap second (`23:59:60`) is no time of
/// day a meeting can start at, and calendars cannot represent it.
pub fn time(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<NaiveTime> {
    let text = node.as_str(problems)?.trim();
    let parsed = NaiveTime::parse_from_str(text, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S"));
    match parsed {
        Ok(time) if time.nanosecond() < 1_000_000_000 => Some(time),
        _ => {
            problems.push(node.problem(
                format!("`{text}` is not a time of day"),
                Some("write the local time as HH:MM in quotes, e.g. `\"10:00\"`"),
            ));
            None
        }
    }
}

/// The length of a meeting, a workshop or an agenda item, such as `90m` or `1h30m`: at most
/// [`limits::MAX_MEETING`].
pub fn duration(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<TimeDelta> {
    bounded_duration(
        node,
        limits::MAX_MEETING,
        "plan a longer event as several meetings",
        problems,
    )
}

/// How long before a meeting a post goes out, such as `7d`: at most [`limits::MAX_REMINDER`].
pub fn reminder(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<TimeDelta> {
    bounded_duration(
        node,
        limits::MAX_REMINDER,
        "announce a meeting at most a year ahead",
        problems,
    )
}

fn bounded_duration(
    node: &Node<'_>,
    max: TimeDelta,
    hint: &str,
    problems: &mut Vec<Problem>,
) -> Option<TimeDelta> {
    let text = node.as_str(problems)?;
    match duration::parse(text) {
        Ok(duration) if duration <= max => Some(duration),
        Ok(_) => {
            problems.push(node.problem(
                format!("`{}` is longer than {}", text.trim(), Compact(max)),
                Some(hint),
            ));
            None
        }
        Err(error) => {
            problems.push(node.problem(error.to_string(), Some(duration::HINT)));
            None
        }
    }
}

/// A list of at most `max` entries; `what` names them in the error ("members").
pub fn list<'a>(
    node: &Node<'a>,
    what: &str,
    max: usize,
    problems: &mut Vec<Problem>,
) -> Option<Vec<Node<'a>>> {
    let items = node.as_list(problems)?;
    if items.len() > max {
        problems.push(node.problem(
            format!(
                "{} {what} are more than the {max} convene accepts",
                items.len()
            ),
            Some("shorten the list"),
        ));
        return None;
    }
    Some(items)
}

/// Refuses a local start that does not exist because the clocks are put forward over it
/// (`02:30` on the last Sunday of March in Central Europe). RFC 5545 reads such a time with the
/// offset before the gap, so calendars would show 03:30; for a series they would also move every
/// later meeting to 03:30, while the rule says 02:30. `node` is where the problem is shown.
pub fn existing_time(
    node: &Node<'_>,
    timezone: chrono_tz::Tz,
    date: NaiveDate,
    time: NaiveTime,
    problems: &mut Vec<Problem>,
) -> Option<()> {
    let Some((skipped, after)) = crate::schedule::gap(timezone, date, time) else {
        return Some(());
    };
    problems.push(node.problem(
        format!(
            "{} does not exist on {date} in {}: the clocks go from {} straight to {}",
            time.format("%H:%M"),
            timezone.name(),
            skipped.format("%H:%M"),
            after.format("%H:%M"),
        ),
        Some(&format!(
            "choose a time before {} or from {} on, or another date",
            skipped.format("%H:%M"),
            after.format("%H:%M"),
        )),
    ));
    None
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

/// Non-empty text on one line, trimmed, at most `max` characters. Titles and names go into
/// message headings, calendar properties and delivery records, where a line break or another
/// control character can only do harm.
pub fn text(
    node: &Node<'_>,
    what: &str,
    max: usize,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    checked_text(node, what, max, false, problems)
}

/// Non-empty text that may span lines (line breaks and tabs), trimmed, at most `max`
/// characters: notes and descriptions. Other control characters are refused.
pub fn prose(
    node: &Node<'_>,
    what: &str,
    max: usize,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    checked_text(node, what, max, true, problems)
}

fn checked_text(
    node: &Node<'_>,
    what: &str,
    max: usize,
    multi_line: bool,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let text = node.as_str(problems)?.trim();
    if let Some(control) = text
        .chars()
        .find(|&c| c.is_control() && !(multi_line && matches!(c, '\n' | '\t')))
    {
        problems.push(node.problem(
            format!(
                "the {what} contains the control character U+{:04X}",
                u32::from(control)
            ),
            Some(if multi_line {
                "only line breaks and tabs may be in it; remove the other control characters"
            } else {
                "write it on one line, as plain text"
            }),
        ));
        return None;
    }
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
