//! Texts about meetings: announcements, reminders, change notices, `!next` and `!schedule`,
//! and the organizers' delivery reports. Dates are written out in the bot's language
//! ("Donnerstag, 17. Dezember 2026, 10:00–11:30 Uhr").

use std::fmt::Write as _;

use chrono::TimeDelta;

use super::common::{
    Both, date_long, date_range, date_short, more_items, quoted, quoted_list, sentence_end,
};
use super::minutes::more_actions;
use super::rendered::{Rendered, escape_html};
use crate::agenda::{Agenda, Item, Part, meeting_title};
use crate::change::Change;
use crate::i18n::{Language, Text};
use crate::minutes::ActionItem;
use crate::posting::PostKind;
use crate::proposal::Proposal;
use crate::schedule::{Meeting, Status};
use crate::text;
use crate::text::one_line;

/// "in 15 Minuten", "morgen", "in 2 Tagen" / "in 15 minutes", "tomorrow".
fn ahead(language: Language, offset: TimeDelta) -> String {
    let (days, hours, minutes) = (offset.num_days(), offset.num_hours(), offset.num_minutes());
    let ahead = if days >= 1 && offset == TimeDelta::days(days) {
        if days == 1 {
            text!(const de: "morgen", en: "tomorrow")
        } else {
            text!(de: "in {days} Tagen", en: "in {days} days")
        }
    } else if hours >= 1 && offset == TimeDelta::hours(hours) {
        if hours == 1 {
            text!(const de: "in 1 Stunde", en: "in 1 hour")
        } else {
            text!(de: "in {hours} Stunden", en: "in {hours} hours")
        }
    } else if minutes == 1 {
        text!(const de: "in 1 Minute", en: "in 1 minute")
    } else {
        text!(de: "in {minutes} Minuten", en: "in {minutes} minutes")
    };
    ahead.take(language)
}

fn link_line(both: &mut Both, language: Language, meeting: &Meeting) {
    if let Some(link) = &meeting.video_link {
        let label = text!(const de: "Videokonferenz", en: "Video conference");
        let label = label.get(language);
        let url = escape_html(link.as_str());
        both.raw_line(
            &format!("{label}: {link}"),
            &format!("{label}: <a href=\"{url}\">{url}</a>"),
        );
    }
}

/// " Grund: Raum belegt." — the organizers' note after its label, as a sentence of its own;
/// nothing without a note.
fn labelled_note(language: Language, label: Text, note: Option<&str>) -> String {
    note.map(|note| format!(" {}: {}", label.get(language), sentence_end(note)))
        .unwrap_or_default()
}

fn status_line(both: &mut Both, language: Language, meeting: &Meeting) {
    let note = meeting.note.as_deref().map(one_line);
    let note = note.as_deref();
    let line = match &meeting.status {
        Status::Scheduled => None,
        // The organizers' note is their own words ("wegen der Haushaltsberatungen
        // verschoben", "Raum belegt"): it follows a label, as a sentence of its own.
        Status::Moved { original_start } => Some(text!(
            de: "Verschoben – ursprünglich geplant für {day}, {time} Uhr.{note}",
            en: "Moved – originally planned for {day}, {time}.{note}";
            day = date_long(language, *original_start),
            time = original_start.format("%H:%M"),
            note = labelled_note(language, text!(const de: "Anmerkung", en: "Note"), note),
        )),
        Status::Cancelled => Some(text!(
            de: "Dieser Termin fällt aus.{reason}",
            en: "This meeting is cancelled.{reason}";
            reason = labelled_note(language, text!(const de: "Grund", en: "Reason"), note),
        )),
        Status::Holiday { name_de, name_en } => Some(text!(
            de: "Dieser Termin entfällt wegen des Feiertags {name_de}.",
            en: "This meeting does not take place because of the public holiday {name_en}.",
        )),
    };
    if let Some(line) = line {
        let line = line.get(language);
        both.raw_line(line, &format!("<strong>{}</strong>", escape_html(line)));
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
    let (items, parts) = agenda.map_or((&[][..], &[][..]), |agenda| {
        (agenda.items.as_slice(), agenda.parts.as_slice())
    });
    if items.is_empty()
        && parts.is_empty()
        && additions.accepted.is_empty()
        && additions.open_actions.is_empty()
    {
        return;
    }
    both.line(text!(const de: "Tagesordnung:", en: "Agenda:").get(language));
    let mut listing = Listing {
        language,
        truncated: shown < agenda_entries(agenda, additions),
        left: shown,
        hidden_items: 0,
        number: 0,
    };
    if parts.is_empty() {
        for item in items {
            listing.item(both, item);
        }
    } else {
        listing.parts(both, parts, items);
    }
    listing.additions(both, items.len(), additions);
}

/// How far [`agenda_lines`] has got.
struct Listing {
    language: Language,
    /// Whether not every entry fits, so that some are left out and counted.
    truncated: bool,
    /// How many more entries may be shown.
    left: usize,
    /// How many items were left out.
    hidden_items: usize,
    /// The number of the last item shown.
    number: usize,
}

impl Listing {
    /// The next item, numbered, when one more entry may be shown; otherwise it is counted.
    fn item(&mut self, both: &mut Both, item: &Item) {
        if self.left == 0 {
            self.hidden_items += 1;
            return;
        }
        self.left -= 1;
        self.number += 1;
        both.line(&item_line(self.language, self.number, item));
    }

    /// The items part by part, each part under its heading, then the items of no part. A part
    /// reached when nothing more may be shown is left out, heading and all, and its items
    /// counted.
    fn parts(&mut self, both: &mut Both, parts: &[Part], items: &[Item]) {
        for (index, part) in parts.iter().enumerate() {
            let of_part = items.iter().filter(|item| item.part == Some(index));
            if self.truncated && self.left == 0 {
                self.hidden_items += of_part.count();
                continue;
            }
            let heading = part_heading(self.language, index, part);
            both.raw_line(&heading, &format!("<em>{}</em>", escape_html(&heading)));
            for item in of_part {
                self.item(both, item);
            }
        }
        for item in items.iter().filter(|item| item.part.is_none()) {
            self.item(both, item);
        }
    }

    /// After the agenda's `items`: the accepted proposals and the open action items that may
    /// still be shown, then what was left out.
    fn additions(self, both: &mut Both, items: usize, additions: Additions<'_>) {
        let (accepted, open_actions) = (additions.accepted, additions.open_actions);
        let proposals = accepted.len().min(self.left);
        accepted_lines(both, self.language, items, &accepted[..proposals]);
        let actions = open_actions.len().min(self.left - proposals);
        super::minutes::open_actions_lines(both, self.language, &open_actions[..actions]);
        if self.truncated {
            left_out(
                both,
                self.language,
                self.hidden_items + accepted.len() - proposals,
                open_actions.len() - actions,
            );
        }
    }
}

/// "3. Open Data (20 Min.) – Anna Schmidt, Referentin, Trier": an agenda item with its number,
/// and its length and speaker when known.
fn item_line(language: Language, number: usize, item: &Item) -> String {
    let mut text = format!("{number}. {}", item.title);
    if let Some(duration) = item.duration {
        text.push_str(
            text!(
                de: " ({minutes} Min.)",
                en: " ({minutes} min)";
                minutes = duration.num_minutes(),
            )
            .get(language),
        );
    }
    if let Some(speaker) = &item.speaker {
        let mut who = speaker.name.clone();
        for extra in [&speaker.role, &speaker.municipality].into_iter().flatten() {
            who.push_str(", ");
            who.push_str(extra);
        }
        let _ = write!(text, " – {who}");
    }
    text
}

/// "Teil 1: Verwaltungsspitzen (ab 10:00 Uhr) – für Bürgermeister": a part's heading (its
/// index is 0-based), with its start and audience when known.
fn part_heading(language: Language, index: usize, part: &Part) -> String {
    let mut heading = text!(
        de: "Teil {number}: {title}",
        en: "Part {number}: {title}";
        number = index + 1,
        title = &part.title,
    )
    .take(language);
    if let Some(start) = part.start {
        heading.push_str(
            text!(
                de: " (ab {time} Uhr)",
                en: " (from {time})";
                time = start.format("%H:%M"),
            )
            .get(language),
        );
    }
    if let Some(audience) = &part.audience {
        heading.push_str(text!(de: " – für {audience}", en: " – for {audience}").get(language));
    }
    heading
}

/// The accepted proposals under their heading, numbered after the agenda's `items`.
fn accepted_lines(both: &mut Both, language: Language, items: usize, accepted: &[Proposal]) {
    if accepted.is_empty() {
        return;
    }
    let heading = super::proposals::ACCEPTED_HEADING;
    let heading = heading.get(language);
    both.raw_line(heading, &format!("<em>{}</em>", escape_html(heading)));
    for (offset, proposal) in accepted.iter().enumerate() {
        let line = format!(
            "{}. {}",
            items + offset + 1,
            super::proposals::accepted_line(language, proposal)
        );
        both.line(&line);
    }
}

/// What a shortened agenda leaves out, and where the members find it.
fn left_out(both: &mut Both, language: Language, items: usize, actions: usize) {
    if items > 0 {
        both.line(more_items(items).get(language));
    }
    if actions > 0 {
        both.line(more_actions(actions).get(language));
    }
    if items > 0 {
        both.line(
            text!(
                const de: "Die vollständige Tagesordnung steht in der Kalendereinladung; !ics sendet sie.",
                en: "The full agenda is in the calendar invitation; !ics sends it.",
            )
            .get(language),
        );
    }
    if actions > 0 {
        both.line(
            text!(
                const de: "Ihre offenen Aufgaben zeigt !actions im Raum Ihrer Kommune.",
                en: "!actions in your municipality's room lists its open action items.",
            )
            .get(language),
        );
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
    let late_mark = if late {
        text!(const de: " (verspätet)", en: " (late)").take(language)
    } else {
        String::new()
    };
    let heading = match kind {
        PostKind::Announcement if named => text!(
            de: "Einladung{late_mark}: {title}",
            en: "Invitation{late_mark}: {title}",
        ),
        PostKind::Announcement => text!(
            de: "Einladung{late_mark}: {title} – Netzwerk {network}",
            en: "Invitation{late_mark}: {title} – {network} network",
        ),
        // A late reminder goes out after its time ("morgen" could be today): it names the
        // start instead.
        PostKind::Reminder(_) if late => text!(
            de: "Erinnerung{late_mark}: {title} beginnt am {day}, um {time} Uhr",
            en: "Reminder{late_mark}: {title} starts on {day}, at {time}";
            day = date_long(language, meeting.start),
            time = meeting.start.format("%H:%M"),
        ),
        PostKind::Reminder(offset) => text!(
            de: "Erinnerung{late_mark}: {title} beginnt {when}",
            en: "Reminder{late_mark}: {title} starts {when}";
            when = ahead(language, offset),
        ),
    };
    heading_and_details(language, heading.get(language), meeting, agenda, additions)
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
    let text = match (listed.is_empty(), left_out) {
        (true, 1) => text!(const de: "1 Punkt", en: "1 item"),
        (true, n) => text!(de: "{n} Punkte", en: "{n} items"),
        (false, n) => text!(
            de: "{listed} und {n} weitere",
            en: "{listed} and {n} more";
            listed = listed.join(", "),
        ),
    };
    text.take(language)
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
        parts.push(text!(de: "neu {added}", en: "added {added}").take(language));
    }
    if !removed.is_empty() {
        let listed = quoted_list_shown(language, removed, shown);
        let text = if removed.len() == 1 {
            text!(de: "entfällt {listed}", en: "removed {listed}")
        } else {
            text!(de: "entfallen {listed}", en: "removed {listed}")
        };
        parts.push(text.take(language));
    }
    for (from, to) in retitled.iter().take(shown) {
        let (from, to) = (quoted(language, from), quoted(language, to));
        parts.push(text!(de: "{from} heißt jetzt {to}", en: "{from} is now {to}").take(language));
    }
    let more = match retitled.len().saturating_sub(shown) {
        0 => None,
        1 => Some(text!(
            const de: "1 weiterer Punkt heißt jetzt anders",
            en: "1 more item has a new title",
        )),
        n => Some(text!(
            de: "{n} weitere Punkte heißen jetzt anders",
            en: "{n} more items have new titles",
        )),
    };
    parts.extend(more.map(|more| more.take(language)));
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
    let notice = Notice::new(language, meeting, agenda, changes);
    let reinstated = changes.contains(&Change::Reinstated);
    let mut both = Both::default();
    // Whether a line names the meeting yet.
    let mut named = false;
    for change in changes {
        // Said with the reinstatement.
        if reinstated && matches!(change, Change::Moved { .. }) {
            continue;
        }
        // The first change names the meeting; the others follow on lines of their own.
        let (plain, html) = notice.line(change, !named, shown);
        named = true;
        both.raw_line(&plain, &html);
    }
    both.line(notice.updated(named).get(language));
    both.done()
}

/// What the lines of a change notice say about its meeting.
struct Notice {
    language: Language,
    /// The meeting's title, quoted.
    title: String,
    /// Its day, written out.
    day: String,
    /// Its date and time now.
    now: String,
    /// " (bisher …)" after a move, unless the date shown before is the same.
    previously: String,
}

impl Notice {
    fn new(
        language: Language,
        meeting: &Meeting,
        agenda: Option<&Agenda>,
        changes: &[Change],
    ) -> Self {
        let before = changes
            .iter()
            .find_map(|change| match change {
                Change::Moved {
                    from_start,
                    from_end,
                } => Some(shown_before(language, meeting, *from_start, *from_end)),
                _ => None,
            })
            .flatten();
        Self {
            language,
            title: quoted(language, &meeting_title(meeting, agenda)),
            day: date_long(language, meeting.start),
            now: date_range(language, meeting.start, meeting.end),
            previously: before
                .map(|before| {
                    text!(de: " (bisher {before})", en: " (previously {before})").take(language)
                })
                .unwrap_or_default(),
        }
    }

    /// The line about `change` (plain and HTML); the `first` line names the meeting.
    fn line(&self, change: &Change, first: bool, shown: usize) -> (String, String) {
        let Self {
            title,
            now,
            previously,
            ..
        } = self;
        let text = match change {
            Change::Cancelled { note } => self.cancelled(note.as_deref()),
            Change::Reinstated => text!(
                de: "Hinweis: {title} findet nun doch statt: {now}{previously}.",
                en: "Note: {title} takes place after all: {now}{previously}.",
            ),
            Change::Moved { .. } => text!(
                de: "Hinweis: {title} wurde verlegt. Neuer Termin: {now}{previously}.",
                en: "Note: {title} has been moved. New date: {now}{previously}.",
            ),
            Change::Link {
                new: Some(link), ..
            } => return self.new_link(first, link),
            Change::Link { new: None, .. } => self.link_withdrawn(first),
            Change::Retitled { from } => self.retitled(first, from),
            Change::Agenda {
                added,
                removed,
                retitled,
            } => self.agenda_changed(
                first,
                &agenda_difference(self.language, added, removed, retitled, shown),
            ),
            Change::Details => self.details_changed(first),
        };
        let text = text.take(self.language);
        let html = escape_html(&text);
        (text, html)
    }

    /// The meeting is cancelled, for the reason in the organizers' `note`.
    fn cancelled(&self, note: Option<&str>) -> Text {
        let Self { title, day, .. } = self;
        let reason = labelled_note(self.language, text!(const de: "Grund", en: "Reason"), note);
        text!(
            de: "Hinweis: {title} am {day} fällt aus.{reason}",
            en: "Note: {title} on {day} is cancelled.{reason}",
        )
    }

    /// The video conference has a new `link`, shown as a link in HTML.
    fn new_link(&self, first: bool, link: &str) -> (String, String) {
        let Self { title, day, .. } = self;
        let lead = if first {
            text!(
                de: "Hinweis: Für {title} am {day} gilt ein neuer Link zur Videokonferenz:",
                en: "Note: {title} on {day} has a new video conference link:",
            )
        } else {
            text!(const de: "Neuer Link zur Videokonferenz:", en: "New video conference link:")
        };
        let lead = lead.get(self.language);
        let url = escape_html(link);
        (
            format!("{lead} {link}"),
            format!("{} <a href=\"{url}\">{url}</a>", escape_html(lead)),
        )
    }

    /// The video conference link was withdrawn.
    fn link_withdrawn(&self, first: bool) -> Text {
        let Self { title, day, .. } = self;
        if first {
            text!(
                de: "Hinweis: Für {title} am {day} entfällt der Link zur Videokonferenz.",
                en: "Note: The video conference link for {title} on {day} has been withdrawn.",
            )
        } else {
            text!(
                const de: "Der Link zur Videokonferenz entfällt.",
                en: "The video conference link has been withdrawn.",
            )
        }
    }

    /// The meeting was called `from` before.
    fn retitled(&self, first: bool, from: &str) -> Text {
        let Self { title, day, .. } = self;
        let from = quoted(self.language, from);
        if first {
            text!(
                de: "Hinweis: {from} am {day} heißt jetzt {title}.",
                en: "Note: {from} on {day} is now called {title}.",
            )
        } else {
            text!(de: "Neuer Titel (bisher {from}).", en: "New title (previously {from}).")
        }
    }

    /// The agenda changed, by the `difference` [`agenda_difference`] wrote (if any).
    fn agenda_changed(&self, first: bool, difference: &str) -> Text {
        let Self { title, day, .. } = self;
        let difference = if difference.is_empty() {
            String::new()
        } else {
            format!(": {difference}")
        };
        if first {
            text!(
                de: "Hinweis: Die Tagesordnung für {title} am {day} wurde geändert{difference}.",
                en: "Note: The agenda for {title} on {day} has changed{difference}.",
            )
        } else {
            text!(
                de: "Die Tagesordnung wurde geändert{difference}.",
                en: "The agenda has changed{difference}.",
            )
        }
    }

    /// Something else the announcement shows changed.
    fn details_changed(&self, first: bool) -> Text {
        let Self { title, day, .. } = self;
        if first {
            text!(
                de: "Hinweis: Einzelheiten zu {title} am {day} wurden geändert.",
                en: "Note: Some details of {title} on {day} have changed.",
            )
        } else {
            text!(
                const de: "Einzelheiten zum Termin wurden geändert.",
                en: "Some meeting details have changed.",
            )
        }
    }

    /// The last line: the invitation has been updated; naming the meeting when no line has.
    fn updated(&self, named: bool) -> Text {
        let Self { title, day, .. } = self;
        if named {
            text!(
                const de: "Die Einladung wurde aktualisiert.",
                en: "The invitation has been updated.",
            )
        } else {
            // No change to name: still say which meeting's announcement was updated.
            text!(
                de: "Hinweis: Die Einladung zu {title} am {day} wurde aktualisiert.",
                en: "Note: The invitation to {title} on {day} has been updated.",
            )
        }
    }
}

/// What the announcement showed before `meeting` moved from `from_start`–`from_end`: only the
/// times when the day stays the same; nothing when the date shown is the same.
fn shown_before(
    language: Language,
    meeting: &Meeting,
    from_start: chrono::DateTime<chrono::Utc>,
    from_end: chrono::DateTime<chrono::Utc>,
) -> Option<String> {
    let tz = meeting.start.timezone();
    let (start, end) = (from_start.with_timezone(&tz), from_end.with_timezone(&tz));
    if (start, end) == (meeting.start, meeting.end) {
        return None;
    }
    let same_day = start.date_naive() == meeting.start.date_naive()
        && end.date_naive() == meeting.end.date_naive()
        && start.date_naive() == end.date_naive();
    if !same_day {
        return Some(date_range(language, start, end));
    }
    let times = text!(
        de: "{start}–{end} Uhr",
        en: "{start}–{end}";
        start = start.format("%H:%M"),
        end = end.format("%H:%M"),
    );
    Some(times.take(language))
}

/// The answer to `!next`.
pub fn meeting_details(
    language: Language,
    meeting: Option<(&Meeting, Option<&Agenda>)>,
    additions: Additions<'_>,
) -> Rendered {
    let Some((meeting, agenda)) = meeting else {
        let text = text!(
            const de: "Zurzeit ist kein Termin geplant.",
            en: "No meeting is planned at the moment.",
        );
        let text = text.get(language);
        return Rendered {
            plain: text.to_owned(),
            html: escape_html(text),
        };
    };
    let heading = text!(
        de: "Nächster Termin: {title}",
        en: "Next meeting: {title}";
        title = meeting_title(meeting, agenda),
    );
    heading_and_details(language, heading.get(language), meeting, agenda, additions)
}

/// The answer to `!schedule`: one line per coming meeting.
pub fn schedule_list(language: Language, meetings: &[Meeting]) -> Rendered {
    if meetings.is_empty() {
        return meeting_details(language, None, Additions::default());
    }
    let mut plain =
        text!(const de: "Die nächsten Termine:", en: "Upcoming meetings:").take(language);
    let mut html = format!("<p>{}</p>\n<ul>\n", escape_html(&plain));
    for meeting in meetings {
        let status = match &meeting.status {
            Status::Scheduled => None,
            Status::Moved { .. } => Some(text!(const de: " (verschoben)", en: " (moved)")),
            Status::Cancelled => Some(text!(const de: " – fällt aus", en: " – cancelled")),
            Status::Holiday { name_de, name_en } => Some(text!(
                de: " – entfällt ({name_de})",
                en: " – skipped ({name_en})",
            )),
        };
        let line = format!(
            "{} – {}{}",
            date_range(language, meeting.start, meeting.end),
            meeting.title,
            status
                .map(|status| status.take(language))
                .unwrap_or_default()
        );
        let _ = write!(plain, "\n• {line}");
        let _ = writeln!(html, "<li>{}</li>", escape_html(&line));
    }
    html.push_str("</ul>");
    Rendered { plain, html }
}

/// Tells the organizers that posts about a meeting could not go out before it started.
pub fn missed_notice(language: Language, meeting: &Meeting) -> Rendered {
    let text = text!(
        de: "Die Einladung bzw. Erinnerung zu {title} am {when} konnte nicht vor Beginn versandt werden (der Bot war nicht erreichbar) und wurde übersprungen.",
        en: "The invitation or reminder for {title} on {when} could not be sent before the start (the bot was unreachable) and was skipped.";
        title = quoted(language, &meeting.title),
        when = date_range(language, meeting.start, meeting.end),
    )
    .take(language);
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
    let intro = text!(
        const de: "Eine geänderte Datei enthält Fehler. Es gilt weiter die letzte gültige Fassung.",
        en: "A changed file has errors. The last valid version stays in force.",
    );
    let intro = intro.get(language);
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
        let more = (more > 0).then(|| {
            text!(
                de: "… und {more} weitere – `convene check` zeigt alle.",
                en: "… and {more} more — run `convene check` to see all.",
            )
            .take(language)
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
    let text = match meetings {
        [] => text!(
            de: "Am {day} findet kein Termin statt; es wurde nichts angekündigt.",
            en: "No meeting takes place on {day}; nothing was announced.";
            day = date_short(language, date),
        ),
        [meeting] => text!(
            de: "Die Einladung zu {title} wird jetzt in allen Räumen veröffentlicht; die Zustellung wird im Organisationsraum gemeldet.",
            en: "The invitation to {title} is being posted in every room; delivery will be reported in the organizers' room.";
            title = quoted(language, &meeting.title),
        ),
        meetings => text!(
            de: "Die Einladungen zu {titles} werden jetzt in allen Räumen veröffentlicht; die Zustellung wird im Organisationsraum gemeldet.",
            en: "The invitations to {titles} are being posted in every room; delivery will be reported in the organizers' room.";
            titles = quoted_list(language, &titles(meetings)),
        ),
    }
    .take(language);
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

/// The answer to `!subscribe` (and `!subscribe rotate`): the feed's links and, for a member
/// room, its web `page` (behind the same secret).
pub fn subscribe(
    language: Language,
    network: &str,
    links: Option<&FeedLinks>,
    page: Option<&str>,
    private: bool,
    rotated: bool,
) -> Rendered {
    let Some(links) = links else {
        let text = text!(
            const de: "Für dieses Netzwerk ist kein Kalender-Abonnement eingerichtet.",
            en: "This network offers no calendar subscription.",
        );
        let text = text.get(language);
        return Rendered {
            plain: text.to_owned(),
            html: escape_html(text),
        };
    };
    let network = one_line(network);
    let intro = if rotated {
        text!(
            const de: "Der bisherige Kalenderlink dieses Raums ist ab sofort ungültig. Der neue Link:",
            en: "This room's previous calendar link is no longer valid. The new link:",
        )
    } else {
        text!(
            de: "So abonnieren Sie den Kalender des Netzwerks {network} (Änderungen werden danach automatisch übernommen):",
            en: "How to subscribe to the {network} network's calendar (changes will then appear automatically):",
        )
    }
    .take(language);
    let apps = text!(
        const de: "Outlook, Apple Kalender, Thunderbird",
        en: "Outlook, Apple Calendar, Thunderbird",
    );
    let web = text!(const de: "Adresse zum Einfügen", en: "Address to paste");
    let google = text!(const de: "Google Kalender", en: "Google Calendar");
    let note = private.then_some(text!(
        const de: "Der Link gehört zu diesem Raum; bitte geben Sie ihn nicht weiter.",
        en: "This link belongs to this room; please do not pass it on.",
    ));
    let (apps, web, google) = (apps.get(language), web.get(language), google.get(language));
    let browser = text!(
        const de: "Termine, Umfragen und Protokolle im Browser",
        en: "Meetings, polls and minutes in a browser",
    );
    let page = page.map(|page| (browser.get(language), page));
    let mut both = Both::default();
    both.line(&intro);
    for (label, link) in [
        (apps, links.webcal.as_str()),
        (web, links.https.as_str()),
        (google, links.google.as_str()),
    ]
    .into_iter()
    .chain(page)
    {
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
        both.line(note.get(language));
    }
    both.done()
}
