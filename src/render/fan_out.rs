//! What the organizers are told of a fan-out: which rooms a post reached, which it did not and
//! why, and which wait for an unreachable homeserver — one form for invitations, reminders,
//! minutes and polls.

use chrono::DateTime;
use chrono_tz::Tz;

use super::common::{date_short, quoted};
use super::rendered::{Rendered, escape_html};
use crate::delivery::{Failure, GiveUp};
use crate::i18n::{Language, Text};
use crate::posting::PostKind;
use crate::schedule::Meeting;
use crate::text;
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
    let reason = match failure {
        Failure::NotInRoom => {
            text!(const de: "der Bot ist nicht im Raum", en: "the bot is not in the room")
        }
        Failure::AliasNotFound => {
            text!(const de: "die Raumadresse ist unbekannt", en: "the room address is unknown")
        }
        Failure::Forbidden => {
            text!(const de: "dem Bot fehlt die Berechtigung", en: "the bot lacks permission")
        }
        Failure::Unreachable => text!(
            const de: "der Homeserver ist nicht erreichbar",
            en: "the homeserver is unreachable",
        ),
        Failure::RateLimited => text!(
            const de: "der Homeserver drosselt den Versand",
            en: "the homeserver is throttling the bot",
        ),
        Failure::Database => text!(
            const de: "die Datenbank des Bots ist gestört",
            en: "the bot's database failed",
        ),
        // The text is the homeserver's or the SDK's (in English): quoted as its message.
        Failure::Other(text) if text.trim().is_empty() => {
            text!(const de: "unbekannter technischer Fehler", en: "unknown technical error")
        }
        Failure::Other(text) => text!(
            de: "technischer Fehler, Meldung: {message}",
            en: "technical error, message: {message}";
            message = quoted(language, &shorten(text, 200)),
        ),
    };
    reason.take(language)
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
    format!("{} ({})", one_line(room), outcome_reason(language, outcome))
}

/// "der Bot ist nicht im Raum; wird erneut versucht": what became of a room that does not have
/// a post, and why.
pub(super) fn outcome_reason(language: Language, outcome: &RoomOutcome) -> String {
    let what = match outcome {
        RoomOutcome::Retrying(failure) => text!(
            de: "{reason}; wird erneut versucht",
            en: "{reason}; will be retried";
            reason = failure_reason(language, failure),
        ),
        RoomOutcome::GivenUp(GiveUp::MeetingStarted) => text!(
            const de: "nicht mehr versandt, da der Termin bereits begonnen hatte",
            en: "not sent, as the meeting had already started",
        ),
        RoomOutcome::GivenUp(GiveUp::KeptFailing(failure)) => text!(
            de: "{reason}; keine weiteren Versuche",
            en: "{reason}; no further attempts";
            reason = failure_reason(language, failure),
        ),
    };
    what.take(language)
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
        listed.push(more_rooms(left_out).take(language));
    }
    listed.join(", ")
}

/// "… und 12 weitere Räume": rooms a delivery report leaves out.
fn more_rooms(left_out: usize) -> Text {
    if left_out == 1 {
        text!(de: "… und 1 weiterer Raum", en: "… and 1 more room")
    } else {
        text!(de: "… und {left_out} weitere Räume", en: "… and {left_out} more rooms")
    }
}

/// "an 38 von 40 Räumen zugestellt; nicht zugestellt: …" (without a full stop), naming at
/// most `shown` rooms in each list.
pub(super) fn delivered_to(language: Language, report: &FanOutReport, shown: usize) -> String {
    let (delivered, total) = (report.delivered, report.total);
    let mut text = text!(
        de: "an {delivered} von {total} Räumen zugestellt",
        en: "delivered to {delivered} of {total} rooms",
    )
    .take(language);
    if !report.failed.is_empty() {
        let rooms = rooms_shown(language, &report.failed, shown, |(room, outcome)| {
            room_outcome(language, room, outcome)
        });
        text.push_str(
            text!(de: "; nicht zugestellt: {rooms}", en: "; not delivered: {rooms}").get(language),
        );
    }
    if !report.unconfirmed.is_empty() {
        let rooms = rooms_shown(language, &report.unconfirmed, shown, |(room, servers)| {
            unconfirmed_room(language, room, servers)
        });
        text.push_str(
            text!(de: "; noch nicht bestätigt: {rooms}", en: "; not yet confirmed: {rooms}")
                .get(language),
        );
    }
    text
}

/// "Gemeinde B (Server b.example nicht erreichbar; er erhält die Nachricht, sobald er wieder
/// erreichbar ist)".
fn unconfirmed_room(language: Language, room: &str, servers: &[String]) -> String {
    let servers = servers.join(", ");
    let why = if servers.contains(", ") {
        text!(
            de: "Server {servers} nicht erreichbar; sie erhalten die Nachricht, sobald sie wieder erreichbar sind",
            en: "servers {servers} unreachable; they receive the message once they are back",
        )
    } else {
        text!(
            de: "Server {servers} nicht erreichbar; er erhält die Nachricht, sobald er wieder erreichbar ist",
            en: "server {servers} unreachable; it receives the message once it is back",
        )
    };
    format!("{} ({})", one_line(room), why.get(language))
}

/// "Einladung „…“ (17.12.2026): an 38 von 40 Räumen zugestellt; nicht zugestellt: …" /
/// "Invitation “…” (17 December 2026): delivered to 38 of 40 rooms; …".
pub fn delivery_summary(
    language: Language,
    meeting: &Meeting,
    kind: PostKind,
    report: &FanOutReport,
) -> Rendered {
    let what = match kind {
        PostKind::Announcement => text!(const de: "Einladung", en: "Invitation"),
        PostKind::Reminder(_) => text!(const de: "Erinnerung", en: "Reminder"),
    };
    delivery_line(
        language,
        what.get(language),
        &meeting.title,
        meeting.start,
        report,
    )
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
    let lead = text!(const de: "Nachtrag zu", en: "Update on");
    delivery_line(
        language,
        lead.get(language),
        &meeting.title,
        meeting.start,
        report,
    )
}
