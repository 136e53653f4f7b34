//! Texts about meetings: announcements, reminders, change notices, `!next` and `!schedule`,
//! and the organizers' delivery reports. Dates are written out in the bot's language
//! ("Donnerstag, 17. Dezember 2026, 10:00–11:30 Uhr").

use std::fmt::Write as _;

use chrono::TimeDelta;

use super::common::{
    Both, MORE_ITEMS, date_long, date_range, date_short, quoted, quoted_list, sentence_end,
};
use super::minutes::MORE_ACTIONS;
use super::rendered::{Rendered, escape_html};
use crate::agenda::{Agenda, meeting_title};
use crate::change::Change;
use crate::i18n::Language;
use crate::minutes::ActionItem;
use crate::posting::PostKind;
use crate::proposal::Proposal;
use crate::schedule::{Meeting, Status};
use crate::text::one_line;

/// "in 15 Minuten", "morgen", "in 2 Tagen" / "in 15 minutes", "tomorrow".
fn ahead(language: Language, offset: TimeDelta) -> String {
    let (days, hours, minutes) = (offset.num_days(), offset.num_hours(), offset.num_minutes());
    let (count, unit_de_1, unit_de_n, unit_en) = if days >= 1 && offset == TimeDelta::days(days) {
        if days == 1 {
            return match language {
                Language::German => "morgen".to_owned(),
                Language::English => "tomorrow".to_owned(),
            };
        }
        (days, "Tag", "Tagen", "day")
    } else if hours >= 1 && offset == TimeDelta::hours(hours) {
        (hours, "Stunde", "Stunden", "hour")
    } else {
        (minutes, "Minute", "Minuten", "minute")
    };
    match language {
        Language::German => {
            format!(
                "in {count} {}",
                if count == 1 { unit_de_1 } else { unit_de_n }
            )
        }
        Language::English => {
            format!("in {count} {unit_en}{}", if count == 1 { "" } else { "s" })
        }
    }
}

fn link_line(both: &mut Both, language: Language, meeting: &Meeting) {
    if let Some(link) = &meeting.video_link {
        let label = match language {
            Language::German => "Videokonferenz",
            Language::English => "Video conference",
        };
        let url = escape_html(link.as_str());
        both.raw_line(
            &format!("{label}: {link}"),
            &format!("{label}: <a href=\"{url}\">{url}</a>"),
        );
    }
}

fn status_line(both: &mut Both, language: Language, meeting: &Meeting) {
    let note = meeting.note.as_deref().map(one_line);
    let note = note.as_deref();
    let line = match (&meeting.status, language) {
        (Status::Scheduled, _) => None,
        // The organizers' note is their own words ("wegen der Haushaltsberatungen
        // verschoben", "Raum belegt"): it follows a label, as a sentence of its own.
        (Status::Moved { original_start }, Language::German) => Some(format!(
            "Verschoben – ursprünglich geplant für {}, {} Uhr.{}",
            date_long(language, *original_start),
            original_start.format("%H:%M"),
            note.map(|n| format!(" Anmerkung: {}", sentence_end(n)))
                .unwrap_or_default()
        )),
        (Status::Moved { original_start }, Language::English) => Some(format!(
            "Moved – originally planned for {}, {}.{}",
            date_long(language, *original_start),
            original_start.format("%H:%M"),
            note.map(|n| format!(" Note: {}", sentence_end(n)))
                .unwrap_or_default()
        )),
        (Status::Cancelled, Language::German) => Some(format!(
            "Dieser Termin fällt aus.{}",
            note.map(|n| format!(" Grund: {}", sentence_end(n)))
                .unwrap_or_default()
        )),
        (Status::Cancelled, Language::English) => Some(format!(
            "This meeting is cancelled.{}",
            note.map(|n| format!(" Reason: {}", sentence_end(n)))
                .unwrap_or_default()
        )),
        (Status::Holiday { name_de, .. }, Language::German) => Some(format!(
            "Dieser Termin entfällt wegen des Feiertags {name_de}."
        )),
        (Status::Holiday { name_en, .. }, Language::English) => Some(format!(
            "This meeting does not take place because of the public holiday {name_en}."
        )),
    };
    if let Some(line) = line {
        both.raw_line(&line, &format!("<strong>{}</strong>", escape_html(&line)));
    }
}

/// What the bot adds to the organizers' agenda of a meeting: the members' proposals accepted
/// for it, and the action items still open from earlier meetings.
#[derive(Debug, Clone, Copy, Default)]
pub struct Additions<'a> {
    /// Accepted proposals, after the organizers' items.
    pub accepted: &'a [Proposal],
    /// Open action items, under "Offene Aufgaben".
    pub open_actions: &'a [ActionItem],
}

/// How many entries an agenda has: items, accepted proposals and open action items, the things
/// [`agenda_lines`] may leave out of a message that would be too large.
fn agenda_entries(agenda: Option<&Agenda>, additions: Additions<'_>) -> usize {
    agenda.map_or(0, |a| a.items.len()) + additions.accepted.len() + additions.open_actions.len()
}

/// The agenda: its heading, the items (by part), the accepted proposals and the open action
/// items, the first `shown` of these entries in this order. When that is not all of them, the
/// rest is counted ("… und 12 weitere Punkte") and the members are told where to find it: the
/// calendar invitation (`!ics`) has every item and proposal, `!actions` the open action items.
fn agenda_lines(
    both: &mut Both,
    language: Language,
    agenda: Option<&Agenda>,
    additions: Additions<'_>,
    shown: usize,
) {
    let total = agenda_entries(agenda, additions);
    let truncated = shown < total;
    // Entries still to be shown, and those left out (items and proposals; action items).
    let mut left = shown;
    let mut hidden_items = 0;
    let take = |left: &mut usize| {
        if *left == 0 {
            false
        } else {
            *left -= 1;
            true
        }
    };
    let accepted = additions.accepted;
    let empty = Agenda {
        file: std::path::PathBuf::new(),
        meeting_key: String::new(),
        topic: None,
        parts: Vec::new(),
        items: Vec::new(),
        notes: None,
        minutes: None,
    };
    let agenda = agenda.unwrap_or(&empty);
    if agenda.items.is_empty()
        && agenda.parts.is_empty()
        && accepted.is_empty()
        && additions.open_actions.is_empty()
    {
        return;
    }
    both.line(match language {
        Language::German => "Tagesordnung:",
        Language::English => "Agenda:",
    });
    let mut number = 0;
    let mut print_item = |both: &mut Both, item: &crate::agenda::Item| {
        number += 1;
        let mut text = format!("{number}. {}", item.title);
        if let Some(duration) = item.duration {
            let minutes = duration.num_minutes();
            match language {
                Language::German => {
                    let _ = write!(text, " ({minutes} Min.)");
                }
                Language::English => {
                    let _ = write!(text, " ({minutes} min)");
                }
            }
        }
        if let Some(speaker) = &item.speaker {
            let mut who = speaker.name.clone();
            for extra in [&speaker.role, &speaker.municipality].into_iter().flatten() {
                who.push_str(", ");
                who.push_str(extra);
            }
            let _ = write!(text, " – {who}");
        }
        both.line(&text);
    };
    let accepted_section = |both: &mut Both, number: usize, count: usize| {
        if count == 0 {
            return;
        }
        let heading = super::proposals::accepted_heading(language);
        both.raw_line(heading, &format!("<em>{}</em>", escape_html(heading)));
        for (offset, proposal) in accepted.iter().take(count).enumerate() {
            let line = format!(
                "{}. {}",
                number + offset + 1,
                super::proposals::accepted_line(language, proposal)
            );
            both.line(&line);
        }
    };
    let rest = |both: &mut Both, left: usize, hidden_items: usize| {
        let proposals = accepted.len().min(left);
        accepted_section(both, agenda.items.len(), proposals);
        let actions = additions.open_actions.len().min(left - proposals);
        super::minutes::open_actions_lines(both, language, &additions.open_actions[..actions]);
        if truncated {
            left_out(
                both,
                language,
                hidden_items + accepted.len() - proposals,
                additions.open_actions.len() - actions,
            );
        }
    };
    if agenda.parts.is_empty() {
        for item in &agenda.items {
            if take(&mut left) {
                print_item(both, item);
            } else {
                hidden_items += 1;
            }
        }
        rest(both, left, hidden_items);
        return;
    }
    for (index, part) in agenda.parts.iter().enumerate() {
        if truncated && left == 0 {
            hidden_items += agenda
                .items
                .iter()
                .filter(|i| i.part == Some(index))
                .count();
            continue;
        }
        let mut heading = match language {
            Language::German => format!("Teil {}: {}", index + 1, part.title),
            Language::English => format!("Part {}: {}", index + 1, part.title),
        };
        if let Some(start) = part.start {
            let _ = match language {
                Language::German => write!(heading, " (ab {} Uhr)", start.format("%H:%M")),
                Language::English => write!(heading, " (from {})", start.format("%H:%M")),
            };
        }
        if let Some(audience) = &part.audience {
            let _ = match language {
                Language::German => write!(heading, " – für {audience}"),
                Language::English => write!(heading, " – for {audience}"),
            };
        }
        both.raw_line(&heading, &format!("<em>{}</em>", escape_html(&heading)));
        for item in agenda.items.iter().filter(|i| i.part == Some(index)) {
            if take(&mut left) {
                print_item(both, item);
            } else {
                hidden_items += 1;
            }
        }
    }
    for item in agenda.items.iter().filter(|i| i.part.is_none()) {
        if take(&mut left) {
            print_item(both, item);
        } else {
            hidden_items += 1;
        }
    }
    rest(both, left, hidden_items);
}

/// What a shortened agenda leaves out, and where the members find it.
fn left_out(both: &mut Both, language: Language, items: usize, actions: usize) {
    if items > 0 {
        both.line(&MORE_ITEMS.line(language, items));
    }
    if actions > 0 {
        both.line(&MORE_ACTIONS.line(language, actions));
    }
    if items > 0 {
        both.line(match language {
            Language::German => {
                "Die vollständige Tagesordnung steht in der Kalendereinladung; !ics sendet sie."
            }
            Language::English => "The full agenda is in the calendar invitation; !ics sends it.",
        });
    }
    if actions > 0 {
        both.line(match language {
            Language::German => "Ihre offenen Aufgaben zeigt !actions im Raum Ihrer Kommune.",
            Language::English => {
                "!actions in your municipality's room lists its open action items."
            }
        });
    }
}

/// Date, status, link and agenda (with accepted proposals) of a meeting, under a heading line.
fn details(
    both: &mut Both,
    language: Language,
    meeting: &Meeting,
    agenda: Option<&Agenda>,
    additions: Additions<'_>,
    shown: usize,
) {
    both.line(&date_range(language, meeting.start, meeting.end));
    status_line(both, language, meeting);
    if meeting.takes_place() {
        link_line(both, language, meeting);
        agenda_lines(both, language, agenda, additions, shown);
    }
}

/// A heading line and the meeting's [`details`], with as much of the agenda as fits one
/// message ([`super::size::largest_fitting`]).
fn heading_and_details(
    language: Language,
    heading: &str,
    meeting: &Meeting,
    agenda: Option<&Agenda>,
    additions: Additions<'_>,
) -> Rendered {
    super::size::largest_fitting(agenda_entries(agenda, additions), |shown| {
        let mut both = Both::default();
        both.raw_line(
            heading,
            &format!("<strong>{}</strong>", escape_html(heading)),
        );
        details(&mut both, language, meeting, agenda, additions, shown);
        both.done()
    })
}

/// An announcement or reminder, as posted in every room (and as edited when the meeting
/// changes).
pub fn post(
    language: Language,
    network: &str,
    meeting: &Meeting,
    agenda: Option<&Agenda>,
    additions: Additions<'_>,
    kind: PostKind,
    late: bool,
) -> Rendered {
    let title = meeting_title(meeting, agenda);
    let network = one_line(network);
    // "Videokonferenz des Netzwerks IKONE DS" needs no "– Netzwerk IKONE DS" after it.
    let named = title.contains(&network);
    let late_mark = match (late, language) {
        (false, _) => "",
        (true, Language::German) => " (verspätet)",
        (true, Language::English) => " (late)",
    };
    let heading = match (kind, language) {
        (PostKind::Announcement, Language::German) if named => {
            format!("Einladung{late_mark}: {title}")
        }
        (PostKind::Announcement, Language::English) if named => {
            format!("Invitation{late_mark}: {title}")
        }
        (PostKind::Announcement, Language::German) => {
            format!("Einladung{late_mark}: {title} – Netzwerk {network}")
        }
        (PostKind::Announcement, Language::English) => {
            format!("Invitation{late_mark}: {title} – {network} network")
        }
        // A late reminder goes out after its time ("morgen" could be today): it names the
        // start instead.
        (PostKind::Reminder(_), Language::German) if late => format!(
            "Erinnerung{late_mark}: {title} beginnt am {}, um {} Uhr",
            date_long(language, meeting.start),
            meeting.start.format("%H:%M")
        ),
        (PostKind::Reminder(_), Language::English) if late => format!(
            "Reminder{late_mark}: {title} starts on {}, at {}",
            date_long(language, meeting.start),
            meeting.start.format("%H:%M")
        ),
        (PostKind::Reminder(offset), Language::German) => {
            format!(
                "Erinnerung{late_mark}: {title} beginnt {}",
                ahead(language, offset)
            )
        }
        (PostKind::Reminder(offset), Language::English) => {
            format!(
                "Reminder{late_mark}: {title} starts {}",
                ahead(language, offset)
            )
        }
    };
    heading_and_details(language, &heading, meeting, agenda, additions)
}

/// The first `shown` of `titles` quoted, then how many more: "„A“, „B“ und 12 weitere" /
/// "“A”, “B” and 12 more"; all of them as [`quoted_list`] writes them when they are shown.
fn quoted_list_shown(language: Language, titles: &[String], shown: usize) -> String {
    if titles.len() <= shown {
        return quoted_list(language, titles);
    }
    let left_out = titles.len() - shown;
    let listed: Vec<String> = titles
        .iter()
        .take(shown)
        .map(|t| quoted(language, t))
        .collect();
    match (language, listed.is_empty(), left_out) {
        (Language::German, true, 1) => "1 Punkt".to_owned(),
        (Language::German, true, n) => format!("{n} Punkte"),
        (Language::English, true, 1) => "1 item".to_owned(),
        (Language::English, true, n) => format!("{n} items"),
        (Language::German, false, n) => format!("{} und {n} weitere", listed.join(", ")),
        (Language::English, false, n) => format!("{} and {n} more", listed.join(", ")),
    }
}

/// "neu „Open Data“; entfällt „Breitband“; „A“ heißt jetzt „B“" / "added …; removed …", each
/// list with its first `shown` titles.
fn agenda_difference(
    language: Language,
    added: &[String],
    removed: &[String],
    retitled: &[(String, String)],
    shown: usize,
) -> String {
    let mut parts = Vec::new();
    if !added.is_empty() {
        let added = quoted_list_shown(language, added, shown);
        parts.push(match language {
            Language::German => format!("neu {added}"),
            Language::English => format!("added {added}"),
        });
    }
    if !removed.is_empty() {
        let listed = quoted_list_shown(language, removed, shown);
        parts.push(match (language, removed.len()) {
            (Language::German, 1) => format!("entfällt {listed}"),
            (Language::German, _) => format!("entfallen {listed}"),
            (Language::English, _) => format!("removed {listed}"),
        });
    }
    for (from, to) in retitled.iter().take(shown) {
        let (from, to) = (quoted(language, from), quoted(language, to));
        parts.push(match language {
            Language::German => format!("{from} heißt jetzt {to}"),
            Language::English => format!("{from} is now {to}"),
        });
    }
    match (language, retitled.len().saturating_sub(shown)) {
        (_, 0) => {}
        (Language::German, 1) => parts.push("1 weiterer Punkt heißt jetzt anders".to_owned()),
        (Language::German, n) => parts.push(format!("{n} weitere Punkte heißen jetzt anders")),
        (Language::English, 1) => parts.push("1 more item has a new title".to_owned()),
        (Language::English, n) => parts.push(format!("{n} more items have new titles")),
    }
    parts.join("; ")
}

/// The short notice posted after the announcements were edited because their meeting
/// changed: what changed (every change in `changes`, see [`crate::change::changes`]), about
/// `meeting` as it is now.
///
/// The first line names the meeting and its most important change; further changes follow
/// one a line; the last line says that the announcement has been updated.
pub fn change_notice(
    language: Language,
    meeting: &Meeting,
    agenda: Option<&Agenda>,
    changes: &[Change],
) -> Rendered {
    // The lists of changed agenda items are what may make it too large for one message.
    let most = changes
        .iter()
        .map(|change| match change {
            Change::Agenda {
                added,
                removed,
                retitled,
            } => added.len().max(removed.len()).max(retitled.len()),
            _ => 0,
        })
        .max()
        .unwrap_or(0);
    super::size::largest_fitting(most, |shown| {
        change_notice_with(language, meeting, agenda, changes, shown)
    })
}

/// [`change_notice`], naming at most `shown` agenda items in each list.
fn change_notice_with(
    language: Language,
    meeting: &Meeting,
    agenda: Option<&Agenda>,
    changes: &[Change],
    shown: usize,
) -> Rendered {
    let de = language == Language::German;
    let tz = meeting.start.timezone();
    let title = quoted(language, &meeting_title(meeting, agenda));
    let day = date_long(language, meeting.start);
    let now = date_range(language, meeting.start, meeting.end);
    // What was shown before a move: only the times when the day stays the same.
    let before = changes.iter().find_map(|change| match change {
        Change::Moved {
            from_start,
            from_end,
        } => {
            let (start, end) = (from_start.with_timezone(&tz), from_end.with_timezone(&tz));
            let same_day = start.date_naive() == meeting.start.date_naive()
                && end.date_naive() == meeting.end.date_naive()
                && start.date_naive() == end.date_naive();
            Some(if (start, end) == (meeting.start, meeting.end) {
                None
            } else if same_day {
                let times = format!("{}–{}", start.format("%H:%M"), end.format("%H:%M"));
                Some(if de { format!("{times} Uhr") } else { times })
            } else {
                Some(date_range(language, start, end))
            })
        }
        _ => None,
    });
    // "(bisher …)", unless the date shown before is the same (nothing to compare).
    let previously = before
        .flatten()
        .map(|before| {
            if de {
                format!(" (bisher {before})")
            } else {
                format!(" (previously {before})")
            }
        })
        .unwrap_or_default();
    let reinstated = changes.contains(&Change::Reinstated);
    let mut both = Both::default();
    // Whether a line names the meeting yet.
    let mut named = false;
    for change in changes {
        // The first change names the meeting; the others follow on lines of their own.
        let first = !named;
        let (plain, html) = match change {
            Change::Cancelled { note } => {
                let reason = note
                    .as_deref()
                    .map(|note| {
                        if de {
                            format!(" Grund: {}", sentence_end(note))
                        } else {
                            format!(" Reason: {}", sentence_end(note))
                        }
                    })
                    .unwrap_or_default();
                let text = if de {
                    format!("Hinweis: {title} am {day} fällt aus.{reason}")
                } else {
                    format!("Note: {title} on {day} is cancelled.{reason}")
                };
                (text.clone(), escape_html(&text))
            }
            Change::Reinstated => {
                let text = if de {
                    format!("Hinweis: {title} findet nun doch statt: {now}{previously}.")
                } else {
                    format!("Note: {title} takes place after all: {now}{previously}.")
                };
                (text.clone(), escape_html(&text))
            }
            // Said with the reinstatement.
            Change::Moved { .. } if reinstated => continue,
            Change::Moved { .. } => {
                let text = if de {
                    format!("Hinweis: {title} wurde verlegt. Neuer Termin: {now}{previously}.")
                } else {
                    format!("Note: {title} has been moved. New date: {now}{previously}.")
                };
                (text.clone(), escape_html(&text))
            }
            Change::Link {
                new: Some(link), ..
            } => {
                let lead = match (language, first) {
                    (Language::German, true) => {
                        format!(
                            "Hinweis: Für {title} am {day} gilt ein neuer Link zur Videokonferenz:"
                        )
                    }
                    (Language::English, true) => {
                        format!("Note: {title} on {day} has a new video conference link:")
                    }
                    (Language::German, false) => "Neuer Link zur Videokonferenz:".to_owned(),
                    (Language::English, false) => "New video conference link:".to_owned(),
                };
                let url = escape_html(link);
                (
                    format!("{lead} {link}"),
                    format!("{} <a href=\"{url}\">{url}</a>", escape_html(&lead)),
                )
            }
            Change::Link { new: None, .. } => {
                let text = match (language, first) {
                    (Language::German, true) => {
                        format!(
                            "Hinweis: Für {title} am {day} entfällt der Link zur Videokonferenz."
                        )
                    }
                    (Language::English, true) => {
                        format!(
                            "Note: The video conference link for {title} on {day} has been withdrawn."
                        )
                    }
                    (Language::German, false) => "Der Link zur Videokonferenz entfällt.".to_owned(),
                    (Language::English, false) => {
                        "The video conference link has been withdrawn.".to_owned()
                    }
                };
                (text.clone(), escape_html(&text))
            }
            Change::Retitled { from } => {
                let from = quoted(language, from);
                let text = match (language, first) {
                    (Language::German, true) => {
                        format!("Hinweis: {from} am {day} heißt jetzt {title}.")
                    }
                    (Language::English, true) => {
                        format!("Note: {from} on {day} is now called {title}.")
                    }
                    (Language::German, false) => format!("Neuer Titel (bisher {from})."),
                    (Language::English, false) => format!("New title (previously {from})."),
                };
                (text.clone(), escape_html(&text))
            }
            Change::Agenda {
                added,
                removed,
                retitled,
            } => {
                let difference = agenda_difference(language, added, removed, retitled, shown);
                let difference = if difference.is_empty() {
                    String::new()
                } else {
                    format!(": {difference}")
                };
                let text = match (language, first) {
                    (Language::German, true) => format!(
                        "Hinweis: Die Tagesordnung für {title} am {day} wurde geändert{difference}."
                    ),
                    (Language::English, true) => {
                        format!("Note: The agenda for {title} on {day} has changed{difference}.")
                    }
                    (Language::German, false) => {
                        format!("Die Tagesordnung wurde geändert{difference}.")
                    }
                    (Language::English, false) => format!("The agenda has changed{difference}."),
                };
                (text.clone(), escape_html(&text))
            }
            Change::Details => {
                let text = match (language, first) {
                    (Language::German, true) => {
                        format!("Hinweis: Einzelheiten zu {title} am {day} wurden geändert.")
                    }
                    (Language::English, true) => {
                        format!("Note: Some details of {title} on {day} have changed.")
                    }
                    (Language::German, false) => {
                        "Einzelheiten zum Termin wurden geändert.".to_owned()
                    }
                    (Language::English, false) => "Some meeting details have changed.".to_owned(),
                };
                (text.clone(), escape_html(&text))
            }
        };
        named = true;
        both.raw_line(&plain, &html);
    }
    if !named {
        // No change to name: still say which meeting's announcement was updated.
        both.line(&if de {
            format!("Hinweis: Die Einladung zu {title} am {day} wurde aktualisiert.")
        } else {
            format!("Note: The invitation to {title} on {day} has been updated.")
        });
        return both.done();
    }
    both.line(if de {
        "Die Einladung wurde aktualisiert."
    } else {
        "The invitation has been updated."
    });
    both.done()
}

/// The answer to `!next`.
pub fn meeting_details(
    language: Language,
    meeting: Option<(&Meeting, Option<&Agenda>)>,
    additions: Additions<'_>,
) -> Rendered {
    let Some((meeting, agenda)) = meeting else {
        let text = match language {
            Language::German => "Zurzeit ist kein Termin geplant.",
            Language::English => "No meeting is planned at the moment.",
        };
        return Rendered {
            plain: text.to_owned(),
            html: escape_html(text),
        };
    };
    let heading = match language {
        Language::German => format!("Nächster Termin: {}", meeting_title(meeting, agenda)),
        Language::English => format!("Next meeting: {}", meeting_title(meeting, agenda)),
    };
    heading_and_details(language, &heading, meeting, agenda, additions)
}

/// The answer to `!schedule`: one line per coming meeting.
pub fn schedule_list(language: Language, meetings: &[Meeting]) -> Rendered {
    if meetings.is_empty() {
        return meeting_details(language, None, Additions::default());
    }
    let mut plain = match language {
        Language::German => "Die nächsten Termine:".to_owned(),
        Language::English => "Upcoming meetings:".to_owned(),
    };
    let mut html = format!("<p>{}</p>\n<ul>\n", escape_html(&plain));
    for meeting in meetings {
        let status = match (&meeting.status, language) {
            (Status::Scheduled, _) => String::new(),
            (Status::Moved { .. }, Language::German) => " (verschoben)".to_owned(),
            (Status::Moved { .. }, Language::English) => " (moved)".to_owned(),
            (Status::Cancelled, Language::German) => " – fällt aus".to_owned(),
            (Status::Cancelled, Language::English) => " – cancelled".to_owned(),
            (Status::Holiday { name_de, .. }, Language::German) => {
                format!(" – entfällt ({name_de})")
            }
            (Status::Holiday { name_en, .. }, Language::English) => {
                format!(" – skipped ({name_en})")
            }
        };
        let line = format!(
            "{} – {}{status}",
            date_range(language, meeting.start, meeting.end),
            meeting.title
        );
        let _ = write!(plain, "\n• {line}");
        let _ = writeln!(html, "<li>{}</li>", escape_html(&line));
    }
    html.push_str("</ul>");
    Rendered { plain, html }
}

/// Tells the organizers that posts about a meeting could not go out before it started.
pub fn missed_notice(language: Language, meeting: &Meeting) -> Rendered {
    let text = match language {
        Language::German => format!(
            "Die Einladung bzw. Erinnerung zu {} am {} konnte nicht vor Beginn versandt werden (der Bot war nicht erreichbar) und wurde übersprungen.",
            quoted(language, &meeting.title),
            date_range(language, meeting.start, meeting.end)
        ),
        Language::English => format!(
            "The invitation or reminder for {} on {} could not be sent before the start (the bot was unreachable) and was skipped.",
            quoted(language, &meeting.title),
            date_range(language, meeting.start, meeting.end)
        ),
    };
    Rendered {
        html: escape_html(&text),
        plain: text,
    }
}

/// The most errors the organizers' room is shown after a failed reload: a dozen is what one
/// fixes before saving again, and `convene check` shows them all. Fewer when they are long:
/// the notice always fits one message.
pub const MAX_RELOAD_ERRORS: usize = 12;

/// The most characters of one error in that notice: an error echoes at most
/// [`crate::diagnostic::MAX_ECHO`] characters of input, but its YAML path holds the file's
/// keys in full.
const MAX_RELOAD_ERROR: usize = 1_000;

/// Tells the organizers that a changed file was rejected: the first errors (at most
/// [`MAX_RELOAD_ERRORS`], as many as fit one message), then how many more there are and that
/// `convene check` shows them all.
pub fn reload_errors(language: Language, errors: &crate::diagnostic::Diagnostics) -> Rendered {
    let intro = match language {
        Language::German => {
            "Eine geänderte Datei enthält Fehler. Es gilt weiter die letzte gültige Fassung."
        }
        Language::English => "A changed file has errors. The last valid version stays in force.",
    };
    // In the network's language; echoed input in it is shortened and shows invisible
    // characters escaped (see `diagnostic::echo`), and the HTML form escapes everything.
    let shown: Vec<String> = errors
        .iter()
        .take(MAX_RELOAD_ERRORS)
        .map(|error| super::size::first_chars(&error.render(language), MAX_RELOAD_ERROR))
        .collect();
    super::size::largest_fitting(shown.len(), |count| {
        let listed = shown[..count].join("\n");
        let more = errors.len() - count;
        let more = (more > 0).then(|| match language {
            Language::German => format!("… und {more} weitere – `convene check` zeigt alle."),
            Language::English => format!("… and {more} more — run `convene check` to see all."),
        });
        let (plain_more, html_more) = more
            .map(|more| {
                (
                    format!("\n{more}"),
                    format!("\n<p>{}</p>", escape_html(&more)),
                )
            })
            .unwrap_or_default();
        let (plain_errors, html_errors) = if count == 0 {
            (String::new(), String::new())
        } else {
            (
                format!("\n\n{listed}"),
                format!("\n<pre><code>{}</code></pre>", escape_html(&listed)),
            )
        };
        Rendered {
            plain: format!("{intro}{plain_errors}{plain_more}"),
            html: format!("<p>{}</p>{html_errors}{html_more}", escape_html(intro)),
        }
    })
}

/// The answer to `!announce <date>`.
pub fn announce_ack(language: Language, date: chrono::NaiveDate, meetings: &[Meeting]) -> Rendered {
    let text = match (meetings, language) {
        ([], Language::German) => format!(
            "Am {} findet kein Termin statt; es wurde nichts angekündigt.",
            date_short(language, date)
        ),
        ([], Language::English) => format!(
            "No meeting takes place on {}; nothing was announced.",
            date_short(language, date)
        ),
        ([meeting], Language::German) => format!(
            "Die Einladung zu {} wird jetzt in allen Räumen veröffentlicht; die Zustellung wird im Organisationsraum gemeldet.",
            quoted(language, &meeting.title)
        ),
        ([meeting], Language::English) => format!(
            "The invitation to {} is being posted in every room; delivery will be reported in the organizers' room.",
            quoted(language, &meeting.title)
        ),
        (meetings, Language::German) => format!(
            "Die Einladungen zu {} werden jetzt in allen Räumen veröffentlicht; die Zustellung wird im Organisationsraum gemeldet.",
            quoted_list(language, &titles(meetings))
        ),
        (meetings, Language::English) => format!(
            "The invitations to {} are being posted in every room; delivery will be reported in the organizers' room.",
            quoted_list(language, &titles(meetings))
        ),
    };
    Rendered {
        html: escape_html(&text),
        plain: text,
    }
}

fn titles(meetings: &[Meeting]) -> Vec<String> {
    meetings.iter().map(|m| m.title.clone()).collect()
}

/// The table `convene schedule` prints: one meeting per line, local start and end with their
/// UTC offsets, title, key and status.
pub fn schedule_table(meetings: &[Meeting]) -> String {
    let mut table = String::new();
    for meeting in meetings {
        let status = match &meeting.status {
            Status::Scheduled => String::new(),
            Status::Moved { original_start } => format!(
                "  moved (regularly {})",
                original_start.format("%Y-%m-%d %H:%M %:z")
            ),
            Status::Cancelled => format!(
                "  cancelled{}",
                meeting
                    .note
                    .as_ref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default()
            ),
            Status::Holiday { name_de, .. } => format!("  skipped for a holiday: {name_de}"),
        };
        let _ = writeln!(
            table,
            "{} – {}  {}  [{}]{status}",
            meeting.start.format("%a %Y-%m-%d %H:%M %:z"),
            meeting.end.format("%H:%M %:z"),
            meeting.title,
            meeting.key
        );
    }
    if meetings.is_empty() {
        table.push_str("no meetings\n");
    }
    table
}

/// The links of a calendar feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedLinks {
    /// `https://…/feeds/<token>.ics`.
    pub https: String,
    /// The same as `webcal://`, which calendar programs open directly.
    pub webcal: String,
    /// Google Calendar's "add by URL" link.
    pub google: String,
}

impl FeedLinks {
    /// The links for the feed at `url`.
    pub fn for_url(url: &url::Url) -> Self {
        let https = url.to_string();
        let webcal = match https.split_once("://") {
            Some((_, rest)) => format!("webcal://{rest}"),
            None => https.clone(),
        };
        let encoded: String = url::form_urlencoded::byte_serialize(webcal.as_bytes()).collect();
        Self {
            google: format!("https://calendar.google.com/calendar/r?cid={encoded}"),
            https,
            webcal,
        }
    }
}

/// The answer to `!subscribe` (and `!subscribe rotate`).
pub fn subscribe(
    language: Language,
    network: &str,
    links: Option<&FeedLinks>,
    private: bool,
    rotated: bool,
) -> Rendered {
    let Some(links) = links else {
        let text = match language {
            Language::German => "Für dieses Netzwerk ist kein Kalender-Abonnement eingerichtet.",
            Language::English => "This network offers no calendar subscription.",
        };
        return Rendered {
            plain: text.to_owned(),
            html: escape_html(text),
        };
    };
    let network = one_line(network);
    let (intro, apps, web, google, note) = match language {
        Language::German => (
            if rotated {
                "Der bisherige Kalenderlink dieses Raums ist ab sofort ungültig. Der neue Link:"
                    .to_owned()
            } else {
                format!(
                    "So abonnieren Sie den Kalender des Netzwerks {network} (Änderungen werden danach automatisch übernommen):"
                )
            },
            "Outlook, Apple Kalender, Thunderbird",
            "Adresse zum Einfügen",
            "Google Kalender",
            private.then_some("Der Link gehört zu diesem Raum; bitte geben Sie ihn nicht weiter."),
        ),
        Language::English => (
            if rotated {
                "This room's previous calendar link is no longer valid. The new link:".to_owned()
            } else {
                format!(
                    "How to subscribe to the {network} network's calendar (changes will then appear automatically):"
                )
            },
            "Outlook, Apple Calendar, Thunderbird",
            "Address to paste",
            "Google Calendar",
            private.then_some("This link belongs to this room; please do not pass it on."),
        ),
    };
    let mut both = Both::default();
    both.line(&intro);
    for (label, link) in [
        (apps, &links.webcal),
        (web, &links.https),
        (google, &links.google),
    ] {
        let escaped = escape_html(link);
        both.raw_line(
            &format!("{label}: {link}"),
            &format!(
                "{}: <a href=\"{escaped}\">{escaped}</a>",
                escape_html(label)
            ),
        );
    }
    if let Some(note) = note {
        both.line(note);
    }
    both.done()
}
