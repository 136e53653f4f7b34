//! Validators for the values organizers write in YAML — dates, times, durations, links,
//! identifiers — shared by the configuration and the agenda files, so both read them alike and
//! explain mistakes alike.

use chrono::{NaiveDate, NaiveTime, TimeDelta, Timelike as _};
use url::Url;

use crate::diagnostic::echo;
use crate::duration::{self, Compact};
use crate::i18n::Text;
use crate::limits;
use crate::text;
use crate::yaml::{Node, Problem};

/// The title of a series, workshop, part, agenda item, topic or link, as [`text`] names it.
pub const TITLE: Text = text!(const de: "der Titel", en: "title");
/// The note on a cancelled or moved meeting.
pub const NOTE: Text = text!(const de: "die Anmerkung", en: "note");
/// A municipality named in an agenda file.
pub const MUNICIPALITY: Text = text!(const de: "die Kommune", en: "municipality");
/// Links and documents, as [`list`] names them.
pub const LINKS: Text = text!(const de: "Links", en: "links");

/// A date written `YYYY-MM-DD`, from [`limits::FIRST_DATE`] to [`limits::LAST_DATE`].
pub fn date(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<NaiveDate> {
    let text = node.as_str(problems)?;
    match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        Ok(date) if (limits::FIRST_DATE..=limits::LAST_DATE).contains(&date) => Some(date),
        Ok(_) => {
            let (shown, first, last) = (echo(text.trim()), limits::FIRST_DATE, limits::LAST_DATE);
            problems.push(node.problem(
                text!(
                    de: "`{shown}` liegt außerhalb des Zeitraums, mit dem convene plant",
                    en: "`{shown}` is outside the dates convene plans with"
                ),
                text!(
                    de: "schreiben Sie ein Datum vom {first} bis zum {last}",
                    en: "write a date from {first} to {last}"
                ),
            ));
            None
        }
        Err(_) => {
            let shown = echo(text);
            problems.push(node.problem(
                text!(de: "`{shown}` ist kein Datum", en: "`{shown}` is not a date"),
                text!(
                    de: "schreiben Sie das Datum als JJJJ-MM-TT, z. B. `2026-12-17`",
                    en: "write the date as YYYY-MM-DD, e.g. `2026-12-17`"
                ),
            ));
            None
        }
    }
}

/// Whether `text`, a Matrix user id (`what_is` "a Matrix user id" / "eine Matrix-Benutzer-ID")
/// or room id or alias, has at most [`limits::MAX_MATRIX_ID`] bytes; the problem if not. Checked
/// before the id is parsed: matrix-sdk parses ids of any length.
pub fn matrix_id_length(
    node: &Node<'_>,
    text: &str,
    what_is: &Text,
    problems: &mut Vec<Problem>,
) -> bool {
    let (length, max) = (text.len(), limits::MAX_MATRIX_ID);
    if length <= max {
        return true;
    }
    let shown = echo(text);
    problems.push(node.problem(
        text!(
            de: "`{shown}` hat {length} Bytes; {what_de} hat höchstens {max} Bytes, mit Kennzeichen und Servername",
            en: "`{shown}` has {length} bytes; {what_en} has at most {max} bytes, with its sigil and server name";
            what_en = &what_is.english,
            what_de = &what_is.german,
        ),
        text!(
            de: "kürzen Sie sie: Matrix lehnt längere IDs ab",
            en: "shorten it: Matrix refuses longer ids"
        ),
    ));
    false
}

/// "a Matrix user id", for [`matrix_id_length`].
pub const USER_ID: Text = text!(const de: "eine Matrix-Benutzer-ID", en: "a Matrix user id");

/// "a room id or alias", for [`matrix_id_length`].
pub const ROOM_ID: Text = text!(
    const de: "eine Raum-ID oder Raumadresse (Alias)",
    en: "a room id or alias",
);

/// A local time written `HH:MM` (or `HH:MM:SS`). A leap second (`23:59:60`) is no time of
/// day a meeting can start at, and calendars cannot represent it.
pub fn time(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<NaiveTime> {
    let text = node.as_str(problems)?.trim();
    let parsed = NaiveTime::parse_from_str(text, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S"));
    match parsed {
        Ok(time) if time.nanosecond() < 1_000_000_000 => Some(time),
        _ => {
            let shown = echo(text);
            problems.push(node.problem(
                text!(
                    de: "`{shown}` ist keine Uhrzeit",
                    en: "`{shown}` is not a time of day"
                ),
                text!(
                    de: "schreiben Sie die Ortszeit als HH:MM in Anführungszeichen, z. B. `\"10:00\"`",
                    en: "write the local time as HH:MM in quotes, e.g. `\"10:00\"`"
                ),
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
        text!(
            de: "planen Sie eine längere Veranstaltung als mehrere Termine",
            en: "plan a longer event as several meetings"
        ),
        problems,
    )
}

/// How long before a meeting a post goes out, such as `7d`: at most [`limits::MAX_REMINDER`].
pub fn reminder(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<TimeDelta> {
    bounded_duration(
        node,
        limits::MAX_REMINDER,
        text!(
            de: "kündigen Sie einen Termin höchstens ein Jahr im Voraus an",
            en: "announce a meeting at most a year ahead"
        ),
        problems,
    )
}

/// How old a command sent while the bot was away may be and still be carried out, such as
/// `24h`: at most [`limits::MAX_LATE_COMMANDS`].
pub fn late_commands(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<TimeDelta> {
    bounded_duration(
        node,
        limits::MAX_LATE_COMMANDS,
        text!(
            de: "ältere Befehle beantwortet der Bot mit der Bitte, sie noch einmal zu senden",
            en: "the bot answers older commands by asking to send them again"
        ),
        problems,
    )
}

fn bounded_duration(
    node: &Node<'_>,
    max: TimeDelta,
    hint: Text,
    problems: &mut Vec<Problem>,
) -> Option<TimeDelta> {
    let text = node.as_str(problems)?;
    match duration::parse(text) {
        Ok(duration) if duration <= max => Some(duration),
        Ok(_) => {
            let (shown, max) = (echo(text.trim()), Compact(max));
            problems.push(node.problem(
                text!(
                    de: "`{shown}` ist länger als {max}",
                    en: "`{shown}` is longer than {max}"
                ),
                hint,
            ));
            None
        }
        Err(error) => {
            problems.push(node.problem(error.text(), duration::HINT));
            None
        }
    }
}

/// A list of at most `max` entries; `what` names them in the plural in the error
/// ("members", "Mitgliedskommunen").
pub fn list<'a>(
    node: &Node<'a>,
    what: &Text,
    max: usize,
    problems: &mut Vec<Problem>,
) -> Option<Vec<Node<'a>>> {
    let items = node.as_list(problems)?;
    if items.len() > max {
        problems.push(node.problem(
            text!(
                de: "Die Liste enthält {count} {what_de}; convene nimmt höchstens {max} an",
                en: "{count} {what_en} are more than the {max} convene accepts";
                count = items.len(),
                what_en = &what.english,
                what_de = &what.german,
            ),
            text!(de: "kürzen Sie die Liste", en: "shorten the list"),
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
    let (time, zone) = (time.format("%H:%M"), timezone.name());
    let (skipped, after) = (skipped.format("%H:%M"), after.format("%H:%M"));
    problems.push(node.problem(
        text!(
            de: "Die Uhrzeit {time} gibt es am {date} in {zone} nicht: die Uhren springen von {skipped} direkt auf {after}",
            en: "{time} does not exist on {date} in {zone}: the clocks go from {skipped} straight to {after}"
        ),
        text!(
            de: "wählen Sie eine Uhrzeit vor {skipped} oder ab {after}, oder ein anderes Datum",
            en: "choose a time before {skipped} or from {after} on, or another date"
        ),
    ));
    None
}

/// An http(s) link of at most [`limits::MAX_URL`] bytes.
pub fn link(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<Url> {
    let text = node.as_str(problems)?;
    match Url::parse(text.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            bounded_url(node, url, problems)
        }
        _ => {
            let shown = echo(text);
            problems.push(node.problem(
                text!(
                    de: "`{shown}` ist kein http(s)-Link",
                    en: "`{shown}` is not an http(s) link"
                ),
                text!(
                    de: "schreiben Sie die vollständige Adresse, z. B. `https://meet.example.org/ikone`",
                    en: "write the full address, e.g. `https://meet.example.org/ikone`"
                ),
            ));
            None
        }
    }
}

/// `url`, unless it is longer than [`limits::MAX_URL`] bytes as written out (then a problem at
/// `node`). The length is that of the URL the bot sends and serves, not of what was typed: an
/// address with umlauts grows when they are percent-encoded.
pub fn bounded_url(node: &Node<'_>, url: Url, problems: &mut Vec<Problem>) -> Option<Url> {
    let (length, max) = (url.as_str().len(), limits::MAX_URL);
    if length <= max {
        return Some(url);
    }
    problems.push(node.problem(
        text!(
            de: "Der Link ist {length} Zeichen lang; convene nimmt höchstens {max} an",
            en: "the link is {length} characters long; convene accepts at most {max}"
        ),
        text!(
            de: "verwenden Sie eine kürzere Adresse, etwa den Kurzlink Ihres Konferenz- oder Dokumentendienstes (Umlaute und Leerzeichen zählen so, wie sie in einer URL stehen: `ä` als `%C3%A4`)",
            en: "use a shorter address, such as the short link of your conference or document service (umlauts and spaces count as written in a URL: `ä` as `%C3%A4`)"
        ),
    ));
    None
}

/// A stable identifier: lower-case letters, digits and dashes. Identifiers go into calendar
/// UIDs and delivery records, so they are kept plain.
pub fn slug(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<String> {
    let text = node.as_str(problems)?;
    if is_slug(text) {
        Some(text.to_owned())
    } else {
        let shown = echo(text);
        problems.push(node.problem(
            text!(
                de: "`{shown}` ist keine gültige Kennung (id)",
                en: "`{shown}` is not a valid id"
            ),
            text!(
                de: "verwenden Sie Kleinbuchstaben, Ziffern und Bindestriche, z. B. `videokonferenz`",
                en: "use lower-case letters, digits and dashes, e.g. `videokonferenz`"
            ),
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
/// control character can only do harm. `what` names the value in the errors, the German with
/// its article ("title", "der Titel").
pub fn text(
    node: &Node<'_>,
    what: &Text,
    max: usize,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    checked_text(node, what, max, false, problems)
}

/// Non-empty text that may span lines (line breaks and tabs), trimmed, at most `max`
/// characters: notes and descriptions. Other control characters are refused.
pub fn prose(
    node: &Node<'_>,
    what: &Text,
    max: usize,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    checked_text(node, what, max, true, problems)
}

fn checked_text(
    node: &Node<'_>,
    what: &Text,
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
            text!(
                de: "{what_de} enthält das Steuerzeichen U+{code:04X}",
                en: "the {what_en} contains the control character U+{code:04X}";
                what_en = &what.english,
                what_de = what.german_capitalized(),
                code = u32::from(control),
            ),
            if multi_line {
                text!(
                    de: "erlaubt sind nur Zeilenumbrüche und Tabulatoren; entfernen Sie die anderen Steuerzeichen",
                    en: "only line breaks and tabs may be in it; remove the other control characters"
                )
            } else {
                text!(
                    de: "schreiben Sie den Text in eine einzige Zeile, ohne Steuerzeichen",
                    en: "write it on one line, as plain text"
                )
            },
        ));
        return None;
    }
    let (what_en, what_de) = (&what.english, what.german_capitalized());
    if text.is_empty() {
        problems.push(node.problem(
            text!(de: "{what_de} ist leer", en: "the {what_en} is empty"),
            None,
        ));
        return None;
    }
    if text.chars().count() > max {
        problems.push(node.problem(
            text!(
                de: "{what_de} ist länger als {max} Zeichen",
                en: "the {what_en} is longer than {max} characters"
            ),
            text!(
                de: "kürzen Sie den Text; Einzelheiten gehören in eine Beschreibung oder ein verlinktes Dokument",
                en: "shorten it; details belong in a description or a linked document"
            ),
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
