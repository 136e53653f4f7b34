//! What the organizers are told of a fan-out: which rooms a post reached, which it did not and
//! why, and which wait for an unreachable homeserver — one form for invitations, reminders,
//! minutes and polls.

use std::fmt::Write as _;

use chrono::DateTime;
use chrono_tz::Tz;

use super::common::{date_short, quoted};
use super::rendered::{Rendered, escape_html};
use crate::delivery::{Failure, GiveUp};
use crate::i18n::Language;
use crate::posting::PostKind;
use crate::schedule::Meeting;
use crate::text::one_line;

/// What a fan-out achieved, for the organizers' room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FanOutReport {
    /// Rooms that have the post.
    pub delivered: usize,
    /// Rooms in total.
    pub total: usize,
    /// Rooms that do not have it, by display name, with what became of them.
    pub failed: Vec<(String, RoomOutcome)>,
    /// Rooms the bot's homeserver accepted the post for, but with members on homeservers that
    /// could not be reached when the summary was written: by display name, with those servers.
    /// Federation delivers it when they are back; until then their members do not have it.
    pub unconfirmed: Vec<(String, Vec<String>)>,
}

/// What became of a room that does not have a post (yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomOutcome {
    /// Sending failed; it is tried again.
    Retrying(Failure),
    /// It was given up.
    GivenUp(GiveUp),
}

/// Why a send failed, in the organizers' words.
pub fn failure_reason(language: Language, failure: &Failure) -> String {
    match (failure, language) {
        (Failure::NotInRoom, Language::German) => "der Bot ist nicht im Raum".to_owned(),
        (Failure::NotInRoom, Language::English) => "the bot is not in the room".to_owned(),
        (Failure::AliasNotFound, Language::German) => "die Raumadresse ist unbekannt".to_owned(),
        (Failure::AliasNotFound, Language::English) => "the room address is unknown".to_owned(),
        (Failure::Forbidden, Language::German) => "dem Bot fehlt die Berechtigung".to_owned(),
        (Failure::Forbidden, Language::English) => "the bot lacks permission".to_owned(),
        (Failure::Unreachable, Language::German) => {
            "der Homeserver ist nicht erreichbar".to_owned()
        }
        (Failure::Unreachable, Language::English) => "the homeserver is unreachable".to_owned(),
        (Failure::RateLimited, Language::German) => {
            "der Homeserver drosselt den Versand".to_owned()
        }
        (Failure::RateLimited, Language::English) => {
            "the homeserver is throttling the bot".to_owned()
        }
        (Failure::Database, Language::German) => "die Datenbank des Bots ist gestört".to_owned(),
        (Failure::Database, Language::English) => "the bot's database failed".to_owned(),
        // The text is the homeserver's or the SDK's (in English): quoted as its message.
        (Failure::Other(text), Language::German) if text.trim().is_empty() => {
            "unbekannter technischer Fehler".to_owned()
        }
        (Failure::Other(text), Language::English) if text.trim().is_empty() => {
            "unknown technical error".to_owned()
        }
        (Failure::Other(text), Language::German) => {
            format!(
                "technischer Fehler, Meldung: {}",
                quoted(language, &shorten(text, 200))
            )
        }
        (Failure::Other(text), Language::English) => {
            format!(
                "technical error, message: {}",
                quoted(language, &shorten(text, 200))
            )
        }
    }
}

fn shorten(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(limit).collect();
    short.push('…');
    short
}

/// "Trier (der Bot ist nicht im Raum; wird erneut versucht)".
fn room_outcome(language: Language, room: &str, outcome: &RoomOutcome) -> String {
    let what = match (outcome, language) {
        (RoomOutcome::Retrying(failure), Language::German) => {
            format!(
                "{}; wird erneut versucht",
                failure_reason(language, failure)
            )
        }
        (RoomOutcome::Retrying(failure), Language::English) => {
            format!("{}; will be retried", failure_reason(language, failure))
        }
        (RoomOutcome::GivenUp(GiveUp::MeetingStarted), Language::German) => {
            "nicht mehr versandt, da der Termin bereits begonnen hatte".to_owned()
        }
        (RoomOutcome::GivenUp(GiveUp::MeetingStarted), Language::English) => {
            "not sent, as the meeting had already started".to_owned()
        }
        (RoomOutcome::GivenUp(GiveUp::KeptFailing(failure)), Language::German) => {
            format!(
                "{}; keine weiteren Versuche",
                failure_reason(language, failure)
            )
        }
        (RoomOutcome::GivenUp(GiveUp::KeptFailing(failure)), Language::English) => {
            format!("{}; no further attempts", failure_reason(language, failure))
        }
    };
    format!("{} ({what})", one_line(room))
}

/// How many rooms a delivery report names at most in one of its lists: what
/// [`delivered_to`] may leave out of a report that would be too large for one message.
pub(super) fn rooms_named(report: &FanOutReport) -> usize {
    report.failed.len().max(report.unconfirmed.len())
}

/// "A (…), B (…), … und 12 weitere Räume" / "A (…), B (…), … and 12 more rooms": the first
/// `shown` of `rooms`, each written by `room`.
fn rooms_shown<T>(
    language: Language,
    rooms: &[T],
    shown: usize,
    room: impl Fn(&T) -> String,
) -> String {
    let left_out = rooms.len().saturating_sub(shown);
    let mut listed: Vec<String> = rooms.iter().take(shown).map(room).collect();
    if left_out > 0 {
        listed.push(MORE_ROOMS.line(language, left_out));
    }
    listed.join(", ")
}

/// "… und 12 weitere Räume": rooms a delivery report leaves out.
const MORE_ROOMS: super::size::More = super::size::More {
    german_one: "… und 1 weiterer Raum",
    german: "… und {n} weitere Räume",
    english_one: "… and 1 more room",
    english: "… and {n} more rooms",
};

/// "an 38 von 40 Räumen zugestellt; nicht zugestellt: …" (without a full stop), naming at
/// most `shown` rooms in each list.
pub(super) fn delivered_to(language: Language, report: &FanOutReport, shown: usize) -> String {
    let mut text = match language {
        Language::German => format!(
            "an {} von {} Räumen zugestellt",
            report.delivered, report.total
        ),
        Language::English => format!(
            "delivered to {} of {} rooms",
            report.delivered, report.total
        ),
    };
    if !report.failed.is_empty() {
        let rooms = rooms_shown(language, &report.failed, shown, |(room, outcome)| {
            room_outcome(language, room, outcome)
        });
        let _ = match language {
            Language::German => write!(text, "; nicht zugestellt: {rooms}"),
            Language::English => write!(text, "; not delivered: {rooms}"),
        };
    }
    if !report.unconfirmed.is_empty() {
        let rooms = rooms_shown(language, &report.unconfirmed, shown, |(room, servers)| {
            unconfirmed_room(language, room, servers)
        });
        let _ = match language {
            Language::German => write!(text, "; noch nicht bestätigt: {rooms}"),
            Language::English => write!(text, "; not yet confirmed: {rooms}"),
        };
    }
    text
}

/// "Gemeinde B (Server b.example nicht erreichbar; er erhält die Nachricht, sobald er wieder
/// erreichbar ist)".
fn unconfirmed_room(language: Language, room: &str, servers: &[String]) -> String {
    let servers = servers.join(", ");
    let why = match (language, servers.contains(", ")) {
        (Language::German, false) => format!(
            "Server {servers} nicht erreichbar; er erhält die Nachricht, sobald er wieder erreichbar ist"
        ),
        (Language::German, true) => format!(
            "Server {servers} nicht erreichbar; sie erhalten die Nachricht, sobald sie wieder erreichbar sind"
        ),
        (Language::English, false) => {
            format!("server {servers} unreachable; it receives the message once it is back")
        }
        (Language::English, true) => {
            format!("servers {servers} unreachable; they receive the message once they are back")
        }
    };
    format!("{} ({why})", one_line(room))
}

/// "Einladung „…“ (17.12.2026): an 38 von 40 Räumen zugestellt; nicht zugestellt: …" /
/// "Invitation “…” (17 December 2026): delivered to 38 of 40 rooms; …".
pub fn delivery_summary(
    language: Language,
    meeting: &Meeting,
    kind: PostKind,
    report: &FanOutReport,
) -> Rendered {
    let what = match (kind, language) {
        (PostKind::Announcement, Language::German) => "Einladung",
        (PostKind::Announcement, Language::English) => "Invitation",
        (PostKind::Reminder(_), Language::German) => "Erinnerung",
        (PostKind::Reminder(_), Language::English) => "Reminder",
    };
    delivery_line(language, what, &meeting.title, meeting.start, report)
}

/// "<lead> „<title>“ (17.12.2026): an 38 von 40 Räumen zugestellt; …." — the one form of every
/// delivery report to the organizers.
pub(super) fn delivery_line(
    language: Language,
    lead: &str,
    title: &str,
    start: DateTime<Tz>,
    report: &FanOutReport,
) -> Rendered {
    let title = quoted(language, title);
    let date = date_short(language, start.date_naive());
    super::size::largest_fitting(rooms_named(report), |shown| {
        let text = format!(
            "{lead} {title} ({date}): {}.",
            delivered_to(language, report, shown)
        );
        Rendered {
            html: escape_html(&text),
            plain: text,
        }
    })
}

/// How rooms ended that were still open when the organizers got the summary (delivered late or
/// given up), or which rooms a change notice could not reach.
pub fn follow_up_report(language: Language, meeting: &Meeting, report: &FanOutReport) -> Rendered {
    let lead = match language {
        Language::German => "Nachtrag zu",
        Language::English => "Update on",
    };
    delivery_line(language, lead, &meeting.title, meeting.start, report)
}
