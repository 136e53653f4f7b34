//! Texts about finding a workshop's date with a poll: the poll's question and answers, the
//! text for clients without polls, the replies to `!vote`, the organizers' tally, the reminder,
//! the end of the poll and the organizers' decision. Slots are written like meetings
//! ("Mittwoch, 3. Februar 2027, 10:00–13:00 Uhr").

use std::fmt::Write as _;

use chrono::{NaiveDate, NaiveTime, TimeZone as _};

use super::common::{Both, and, date_long, date_range, date_short, quoted};
use super::rendered::{Rendered, escape_html};
use crate::i18n::Language;
use crate::poll::{PollDraft, Slot, Tally};
use crate::text;
use crate::text::one_line;

/// A day in a sentence: "Freitag, 15. Januar 2027" / "Friday, 15 January 2027".
fn day_long(language: Language, date: NaiveDate) -> String {
    // Only the calendar day is shown, so the time zone does not matter.
    date_long(
        language,
        chrono_tz::UTC.from_utc_datetime(&date.and_time(NaiveTime::MIN)),
    )
}

/// The example numbers of `!vote` for a poll of `slots` slots: "1 3", or "1 2" for two.
fn vote_example(slots: usize) -> String {
    format!("!vote 1 {}", slots.clamp(2, 3))
}

/// The question of the poll event: "Terminfindung: Bewerbung Smart City – welche Termine
/// passen Ihnen?"
pub fn poll_question(language: Language, draft: &PollDraft) -> String {
    let title = one_line(&draft.title);
    text!(
        de: "Terminfindung: {title} – welche Termine passen Ihnen?",
        en: "Finding a date: {title} – which dates suit you?",
    )
    .take(language)
}

/// The text of one answer of the poll event: the slot, "Mittwoch, 3. Februar 2027,
/// 10:00–13:00 Uhr".
pub fn poll_answer(language: Language, slot: &Slot) -> String {
    date_range(language, slot.start, slot.end)
}

/// "1. Mittwoch, …" for every slot, numbered as `!vote` takes them.
fn numbered_slots(language: Language, slots: &[Slot]) -> (String, String) {
    let mut plain = String::new();
    let mut html = String::from("<ol>\n");
    for (index, slot) in slots.iter().enumerate() {
        let answer = poll_answer(language, slot);
        let _ = write!(plain, "\n{}. {answer}", index + 1);
        let _ = writeln!(html, "<li>{}</li>", escape_html(&answer));
    }
    html.push_str("</ol>\n");
    (plain, html)
}

/// The question, the numbered slots, the organizers' note and how to answer by when; a note
/// too long for one message is cut.
fn ballot(language: Language, heading: &str, draft: &PollDraft) -> Rendered {
    let note = draft.note.as_deref().map(one_line);
    let length = note.as_deref().map_or(0, |note| note.chars().count());
    super::size::largest_fitting(length, |shown| {
        let note = note
            .as_deref()
            .map(|note| super::size::first_chars(note, shown));
        ballot_with(language, heading, draft, note.as_deref())
    })
}

fn ballot_with(
    language: Language,
    heading: &str,
    draft: &PollDraft,
    note: Option<&str>,
) -> Rendered {
    let (slots_plain, slots_html) = numbered_slots(language, &draft.slots);
    let mut plain = format!("{heading}{slots_plain}");
    let mut html = format!(
        "<p><strong>{}</strong></p>\n{slots_html}",
        escape_html(heading)
    );
    if let Some(note) = note {
        let note = text::echo(note);
        let _ = write!(plain, "\n{note}");
        let _ = writeln!(html, "<p>{}</p>", escape_html(&note));
    }
    let (example, until) = (
        vote_example(draft.slots.len()),
        day_long(language, draft.decide_by),
    );
    let how = text!(
        de: "Antworten Sie in der Umfrage oder mit {example} (mehrere Nummern möglich; es gilt Ihre letzte Antwort); passt Ihnen keiner der Termine, mit !vote none. Lässt Ihr Programm in der Umfrage nur einen Termin wählen (etwa Element im Browser), nennen Sie alle passenden mit !vote. Abstimmen bis {until}.",
        en: "Answer in the poll or with {example} (several numbers are fine; your latest answer counts); if none of the dates suits you, with !vote none. If your app lets you pick only one date in the poll (such as Element in the browser), name all that suit you with !vote. Vote by {until}.",
    );
    let how = how.get(language);
    let _ = write!(plain, "\n{how}");
    let _ = write!(html, "<p>{}</p>", escape_html(how));
    Rendered { plain, html }
}

/// The text of the poll for clients that do not show polls (the poll event's fallback), and
/// what the bot posts with it: question, numbered slots, how to answer and by when.
pub fn poll_fallback(language: Language, draft: &PollDraft) -> Rendered {
    ballot(language, &poll_question(language, draft), draft)
}

/// The reminder to the rooms that have not answered, some days before `decide_by`.
pub fn poll_reminder(language: Language, draft: &PollDraft) -> Rendered {
    let title = quoted(language, &draft.title);
    let heading = text!(
        de: "Erinnerung: Terminfindung für {title} – Ihre Kommune hat noch nicht geantwortet. Welche Termine passen Ihnen?",
        en: "Reminder: finding a date for {title} – your municipality has not answered yet. Which dates suit you?",
    )
    .take(language);
    ballot(language, &heading, draft)
}

fn both(text: String) -> Rendered {
    Rendered {
        html: escape_html(&text),
        plain: text,
    }
}

/// The reply to `!vote` (or a vote in the poll, where the bot confirms one): the slots chosen,
/// by their numbers; `answers` are 0-based. An empty choice is [`vote_withdrawn`].
pub fn vote_recorded(language: Language, answers: &[usize], slots: &[Slot]) -> Rendered {
    let chosen: Vec<(String, String)> = answers
        .iter()
        .filter_map(|&index| {
            let slot = slots.get(index)?;
            let line = format!("{}. {}", index + 1, poll_answer(language, slot));
            Some((line.clone(), escape_html(&line)))
        })
        .collect();
    if chosen.is_empty() {
        return vote_withdrawn(language);
    }
    let mut both = Both::default();
    both.line(
        text!(
            const de: "Vielen Dank, Ihre Antwort ist gespeichert. Diese Termine passen Ihnen:",
            en: "Thank you, your answer has been saved. These dates suit you:",
        )
        .get(language),
    );
    both.list(&chosen);
    both.line(
        text!(
            const de: "Bis zum Ende der Umfrage können Sie Ihre Antwort jederzeit ändern: mit !vote und den Nummern, die passen.",
            en: "You can change your answer until the poll ends: with !vote and the numbers that suit you.",
        )
        .get(language),
    );
    both.done()
}

/// The reply to `!vote none`: none of the slots suits the sender (their earlier choice, if
/// any, no longer counts).
pub fn vote_withdrawn(language: Language) -> Rendered {
    both(
        text!(
            const de: "Vielen Dank, Ihre Antwort ist gespeichert: Ihnen passt keiner der Termine. Eine frühere Auswahl gilt nicht mehr; mit !vote und Nummern können Sie jederzeit neu wählen.",
            en: "Thank you, your answer has been saved: none of the dates suits you. An earlier choice no longer counts; you can choose again at any time with !vote and numbers.",
        )
        .take(language),
    )
}

/// The reply to `!vote` or `!poll` when no poll is open.
pub fn no_open_poll(language: Language) -> Rendered {
    both(
        text!(
            const de: "Zurzeit läuft keine Terminumfrage.",
            en: "There is no open poll at the moment.",
        )
        .take(language),
    )
}

/// The reply to a slot number (as typed, 1-based) that the poll of `count` slots lacks.
pub fn no_such_slot(language: Language, number: usize, count: usize) -> Rendered {
    both(
        text!(
            de: "Einen Termin Nr. {number} gibt es in dieser Umfrage nicht; bitte wählen Sie Nummern von 1 bis {count}.",
            en: "This poll has no date no. {number}; please choose numbers from 1 to {count}.",
        )
        .take(language),
    )
}

/// "2 von 3 Kommunen" / "2 of 3 municipalities".
fn count_of(language: Language, count: usize, total: usize) -> String {
    let text = if total == 1 {
        text!(de: "{count} von 1 Kommune", en: "{count} of 1 municipality")
    } else {
        text!(de: "{count} von {total} Kommunen", en: "{count} of {total} municipalities")
    };
    text.take(language)
}

/// The tally's lines in plain text, one per slot, naming at most `shown` municipalities each.
fn tally_lines(
    language: Language,
    draft: &PollDraft,
    tally: &Tally,
    total: usize,
    shown: usize,
) -> Vec<String> {
    let mut lines = Vec::new();
    for (index, slot) in draft.slots.iter().enumerate() {
        let rooms = tally.per_slot.get(index).map_or(&[][..], Vec::as_slice);
        let mut line = format!(
            "{}. {}: {}",
            index + 1,
            poll_answer(language, slot),
            count_of(language, rooms.len(), total)
        );
        if !rooms.is_empty() && shown > 0 {
            let _ = write!(line, " ({})", names(language, rooms, shown));
        }
        lines.push(line);
    }
    lines
}

/// The first `shown` municipalities, and how many more.
fn names(language: Language, rooms: &[String], shown: usize) -> String {
    super::size::names_shown(language, rooms, shown, one_line)
}

/// How many municipalities a tally names at most in one list: what [`poll_tally`] and
/// [`poll_overdue`] may leave out of a message that would be too large.
fn most_named(tally: &Tally) -> usize {
    tally
        .per_slot
        .iter()
        .map(Vec::len)
        .chain([tally.not_answered.len(), tally.answered.len()])
        .max()
        .unwrap_or(0)
}

/// "Noch keine Antwort: C" / "No answer yet: C", or that every room has answered.
fn not_answered_line(language: Language, tally: &Tally, shown: usize) -> String {
    let names = names(language, &tally.not_answered, shown);
    let text = if tally.not_answered.is_empty() {
        text!(
            const de: "Alle Kommunen haben geantwortet.",
            en: "Every municipality has answered.",
        )
    } else {
        text!(de: "Noch keine Antwort: {names}", en: "No answer yet: {names}")
    };
    text.take(language)
}

/// "Die meisten Kommunen können: Nr. 1 und 3." when any slot suits anyone.
fn best_line(language: Language, tally: &Tally) -> Option<String> {
    let best: Vec<String> = tally.best().iter().map(|i| (i + 1).to_string()).collect();
    let (last, rest) = best.split_last()?;
    let numbers = if rest.is_empty() {
        last.clone()
    } else {
        format!("{} {} {last}", rest.join(", "), and(language))
    };
    Some(
        text!(
            de: "Die meisten Kommunen können: Nr. {numbers}.",
            en: "Most municipalities can make: no. {numbers}.",
        )
        .take(language),
    )
}

/// The tally for the organizers (`!poll`): plain, one line per slot ("1. …: 2 von 3 Kommunen
/// (A, B)") and who has not answered; HTML, a table of the slots (rows) against the
/// municipalities that answered (columns, ✓ where available) with a count column, then the
/// same lines after it. `total_rooms` is the number of member rooms asked.
///
/// The plain body and the table say the same in another layout, so this one message is not
/// word for word what a client shows of its HTML (the tests check that every slot, name and
/// count is visible there instead).
///
/// With more municipalities than fit one message, the lists and the table name the first of
/// them and count the rest.
pub fn poll_tally(
    language: Language,
    draft: &PollDraft,
    tally: &Tally,
    total_rooms: usize,
) -> Rendered {
    super::size::largest_fitting(most_named(tally), |shown| {
        tally_with(language, draft, tally, total_rooms, shown)
    })
}

fn tally_with(
    language: Language,
    draft: &PollDraft,
    tally: &Tally,
    total_rooms: usize,
    shown: usize,
) -> Rendered {
    let title = quoted(language, &draft.title);
    let heading = text!(
        de: "Terminfindung {title}: {answered} haben geantwortet (Frist: {until}).",
        en: "Finding a date for {title}: {answered} have answered (deadline: {until}).";
        answered = count_of(language, tally.answered.len(), total_rooms),
        until = day_long(language, draft.decide_by),
    )
    .take(language);
    let lines = tally_lines(language, draft, tally, total_rooms, shown);
    let not_answered = not_answered_line(language, tally, shown);
    let best = best_line(language, tally);
    let decide = decide_line(language, draft);

    let mut plain = heading.clone();
    for line in &lines {
        let _ = write!(plain, "\n{line}");
    }
    for line in [Some(&not_answered), best.as_ref(), Some(&decide)]
        .into_iter()
        .flatten()
    {
        let _ = write!(plain, "\n{line}");
    }

    let slot_label = text!(const de: "Termin", en: "Date");
    let count_label = text!(const de: "Kommunen", en: "Municipalities");
    let (slot_label, count_label) = (slot_label.get(language), count_label.get(language));
    let mut html = format!("<p><strong>{}</strong></p>\n", escape_html(&heading));
    html.push_str("<table>\n<thead>\n<tr><th>");
    html.push_str(slot_label);
    html.push_str("</th>");
    let columns = &tally.answered[..tally.answered.len().min(shown)];
    for name in columns {
        let _ = write!(html, "<th>{}</th>", escape_html(&one_line(name)));
    }
    let _ = writeln!(html, "<th>{count_label}</th></tr>\n</thead>\n<tbody>");
    for (index, slot) in draft.slots.iter().enumerate() {
        let rooms = tally.per_slot.get(index).map_or(&[][..], Vec::as_slice);
        let _ = write!(
            html,
            "<tr><td>{}. {}</td>",
            index + 1,
            escape_html(&poll_answer(language, slot))
        );
        for name in columns {
            let mark = if rooms.contains(name) { "✓" } else { "" };
            let _ = write!(html, "<td>{mark}</td>");
        }
        let _ = writeln!(
            html,
            "<td>{}</td></tr>",
            escape_html(&count_of(language, rooms.len(), total_rooms))
        );
    }
    html.push_str("</tbody>\n</table>\n");
    for line in [Some(&not_answered), best.as_ref(), Some(&decide)]
        .into_iter()
        .flatten()
    {
        let _ = write!(html, "<p>{}</p>", escape_html(line));
    }
    Rendered { plain, html }
}

/// The answer to `!poll`: the tally of every open poll, as many as fit one message.
pub fn poll_tallies(language: Language, tallies: &[Rendered]) -> Rendered {
    super::size::join_fitting(tallies, ("\n\n", "<br>\n"), |left_out| {
        let text = if left_out == 1 {
            text!(
                de: "… und 1 weitere offene Terminumfrage; sie passt nicht mehr in diese Nachricht.",
                en: "… and 1 more open date poll, which does not fit into this message.",
            )
        } else {
            text!(
                de: "… und {left_out} weitere offene Terminumfragen; sie passen nicht mehr in diese Nachricht.",
                en: "… and {left_out} more open date polls, which do not fit into this message.",
            )
        };
        both(text.take(language))
    })
}

/// How the organizers decide: "!poll decide smart-city <Nr.>", with the id so that it works
/// whatever other polls are open.
fn decide_line(language: Language, draft: &PollDraft) -> String {
    let id = &draft.id;
    text!(
        de: "Entscheiden Sie mit !poll decide {id} <Nr.> oder tragen Sie in der Datei `date:`, `start:` und `duration:` statt `candidates:` ein.",
        en: "Decide with !poll decide {id} <no.>, or write `date:`, `start:` and `duration:` instead of `candidates:` in the file.",
    )
    .take(language)
}

/// To the organizers when `decide_by` has passed and the workshop's date is still open: the
/// tally and how to decide.
pub fn poll_overdue(language: Language, draft: &PollDraft, tally: &Tally) -> Rendered {
    super::size::largest_fitting(most_named(tally), |shown| {
        overdue_with(language, draft, tally, shown)
    })
}

fn overdue_with(language: Language, draft: &PollDraft, tally: &Tally, shown: usize) -> Rendered {
    let title = quoted(language, &draft.title);
    let until = day_long(language, draft.decide_by);
    let heading = text!(
        de: "Die Frist der Terminfindung für {title} ist abgelaufen ({until}); der Termin ist noch nicht entschieden.",
        en: "The deadline for finding a date for {title} has passed ({until}); the date is not decided yet.",
    )
    .take(language);
    let total = tally.answered.len() + tally.not_answered.len();
    let mut both = Both::default();
    both.raw_line(
        &heading,
        &format!("<strong>{}</strong>", escape_html(&heading)),
    );
    for line in tally_lines(language, draft, tally, total, shown) {
        both.line(&line);
    }
    both.line(&not_answered_line(language, tally, shown));
    if let Some(best) = best_line(language, tally) {
        both.line(&best);
    }
    both.line(&decide_line(language, draft));
    both.done()
}

/// The end of the poll, in every room (the text of the poll's end event): the date found.
pub fn poll_closed(language: Language, draft: &PollDraft, slot: &Slot) -> Rendered {
    let title = quoted(language, &draft.title);
    let when = poll_answer(language, slot);
    both(
        text!(
            de: "Die Umfrage ist beendet: {title} findet am {when} statt; die Einladung folgt.",
            en: "The poll has ended: {title} will take place on {when}; the invitation will follow.",
        )
        .take(language),
    )
}

/// The organizer's confirmation of `!poll decide`.
pub fn poll_decided(language: Language, draft: &PollDraft, slot: &Slot) -> Rendered {
    let title = quoted(language, &draft.title);
    let when = poll_answer(language, slot);
    both(
        text!(
            de: "Entschieden: {title} findet am {when} statt. Die Umfrage ist in allen Räumen beendet; die Einladung geht wie bei jedem Workshop an alle Kommunen.",
            en: "Decided: {title} will take place on {when}. The poll has ended in every room; the invitation goes to every municipality as for any workshop.",
        )
        .take(language),
    )
}

/// To the organizers, when the decision of a poll stored in the bot's database is one no
/// meeting can have: it is not used, and what to do instead (a date in the file decides the
/// workshop).
pub fn poll_decision_invalid(
    language: Language,
    draft: &PollDraft,
    why: &crate::poll::InvalidDecision,
) -> Rendered {
    use crate::poll::InvalidDecision;
    let title = quoted(language, &draft.title);
    let at = |instant: &chrono::DateTime<chrono::Utc>| instant.format("%Y-%m-%d %H:%M UTC");
    let why = match why {
        InvalidDecision::NoSuchSlot { slot, count } => text!(
            de: "Termin Nr. {number} gibt es nicht, die Umfrage hat {count}",
            en: "there is no date no. {number}, the poll has {count}";
            number = slot + 1,
        ),
        InvalidDecision::NotTheSlot { slot } => text!(
            de: "Termin Nr. {number} hat ein anderes Datum",
            en: "date no. {number} has another date";
            number = slot + 1,
        ),
        InvalidDecision::EndNotAfterStart { start, end } => text!(
            de: "das Ende ({end}) liegt nicht nach dem Beginn ({start})",
            en: "its end ({end}) is not after its start ({start})";
            end = at(end),
            start = at(start),
        ),
        InvalidDecision::TooLong => text!(
            const de: "er dauert länger als einen Tag",
            en: "it lasts longer than a day",
        ),
        InvalidDecision::OutOfRange(instant) => text!(
            de: "{instant} liegt außerhalb des Zeitraums, mit dem convene plant (1970 bis 2200)",
            en: "{instant} is outside the dates convene plans with (1970 to 2200)";
            instant = at(instant),
        ),
    };
    let why = why.get(language);
    both(
        text!(
            de: "Die gespeicherte Entscheidung der Terminumfrage für {title} ist ungültig und wird nicht verwendet: {why}. Bitte tragen Sie den Termin in der Datei mit `date:`, `start:` und `duration:` statt `candidates:` ein.",
            en: "The stored decision of the date poll for {title} is invalid and is not used: {why}. Please write the date into the file with `date:`, `start:` and `duration:` instead of `candidates:`.",
        )
        .take(language),
    )
}

/// The answer to `!poll decide <n>` while several polls are open: which workshop is meant.
pub fn which_poll(language: Language, ids: &[String]) -> Rendered {
    let list = ids.join(", ");
    let example = ids.first().map(String::as_str).unwrap_or("workshop");
    both(
        text!(
            de: "Es laufen mehrere Terminumfragen ({list}). Bitte nennen Sie den Workshop, z. B. !poll decide {example} 1.",
            en: "Several polls are open ({list}). Please name the workshop, e.g. !poll decide {example} 1.",
        )
        .take(language),
    )
}

/// "Terminumfrage „…“ (Antworten bis 15.01.2027): an 3 von 3 Räumen zugestellt." — the
/// organizers' summary of a poll's fan-out.
pub fn poll_summary(
    language: Language,
    title: &str,
    decide_by: NaiveDate,
    report: &super::fan_out::FanOutReport,
) -> Rendered {
    let title = quoted(language, title);
    let until = date_short(language, decide_by);
    super::size::largest_fitting(super::fan_out::rooms_named(report), |shown| {
        let delivered = super::fan_out::delivered_to(language, report, shown);
        both(
            text!(
                de: "Terminumfrage {title} (Antworten bis {until}): {delivered}.",
                en: "Date poll {title} (answers until {until}): {delivered}.",
            )
            .take(language),
        )
    })
}

/// To the organizers, when a file with candidates appears after its own `decide_by`: the poll
/// is not posted, since nobody could answer it in time.
pub fn poll_too_late(language: Language, draft: &PollDraft) -> Rendered {
    let title = quoted(language, &draft.title);
    let until = day_long(language, draft.decide_by);
    both(
        text!(
            de: "Die Terminumfrage für {title} wurde nicht gestellt: die Antwortfrist ist bereits abgelaufen ({until}). Setzen Sie ein späteres `decide_by:` oder tragen Sie in der Datei `date:`, `start:` und `duration:` statt `candidates:` ein.",
            en: "The date poll for {title} was not posted: its deadline has already passed ({until}). Set a later `decide_by:`, or write `date:`, `start:` and `duration:` instead of `candidates:` into the file.",
        )
        .take(language),
    )
}
