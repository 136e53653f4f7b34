//! Texts about minutes: the draft for the organizers, the published message and its Markdown
//! file, the acknowledgements of minute-taking commands, and action items.
//!
//! The draft and the published minutes show the same [`Minutes`] document, grouped per agenda
//! item into notes, decisions, actions and links, so minutes recorded live and minutes written
//! in a file read alike. User text is escaped for HTML and for Markdown, and put on one line.

use std::fmt::Write as _;

use chrono::NaiveDate;

use super::common::{Both, date_argument, date_range, date_short, more_items, quoted};
use super::fan_out::FanOutReport;
use super::rendered::{Rendered, escape_html};
use crate::i18n::{Language, Text};
use crate::minutes::{ActionItem, Entry, EntryKind, Minutes, Topic};
use crate::text;
use crate::text::one_line;

/// The most characters of an action item's text in a line of a list, a reminder or an agenda:
/// a task is a sentence or two, and a longer one (up to [`crate::minutes::MAX_ENTRY`]) is in
/// the minutes in full; cut, a dozen of them still fit one message.
const MAX_SHOWN_ACTION: usize = 1_000;

/// "… und 12 weitere Einträge": minutes entries a message leaves out.
fn more_entries(left_out: usize) -> Text {
    if left_out == 1 {
        text!(de: "… und 1 weiterer Eintrag", en: "… and 1 more entry")
    } else {
        text!(de: "… und {left_out} weitere Einträge", en: "… and {left_out} more entries")
    }
}

/// What a topic without entries shows.
const NOTHING_RECORDED: Text = text!(const de: "(keine Einträge)", en: "(nothing recorded)");

/// What publication adds to the minutes: who approved them, when, and where they are online.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    /// Who approved them.
    pub approved_by: String,
    /// On which day.
    pub approved_on: NaiveDate,
    /// Their link on the bot's HTTP server, if it serves one.
    pub link: Option<String>,
}

/// The labels of the kinds of entries, in the order of [`kind_index`].
const KIND_LABELS: [Text; 4] = [
    text!(const de: "Notizen", en: "Notes"),
    text!(const de: "Beschlüsse", en: "Decisions"),
    text!(const de: "Aufgaben", en: "Action items"),
    text!(const de: "Links", en: "Links"),
];

fn kind_index(kind: &EntryKind) -> usize {
    match kind {
        EntryKind::Info => 0,
        EntryKind::Decision => 1,
        EntryKind::Action(_) => 2,
        EntryKind::Link(_) => 3,
    }
}

/// Entries grouped under their kind's label, in the order notes, decisions, actions, links;
/// kinds without entries are left out.
fn grouped<'e>(
    language: Language,
    entries: impl Iterator<Item = &'e Entry> + Clone,
) -> Vec<(String, Vec<&'e Entry>)> {
    KIND_LABELS
        .into_iter()
        .enumerate()
        .map(|(kind, label)| {
            let of_kind = entries
                .clone()
                .filter(|e| kind_index(&e.kind) == kind)
                .collect::<Vec<_>>();
            (label.take(language), of_kind)
        })
        .filter(|(_, of_kind)| !of_kind.is_empty())
        .collect()
}

/// An action's text after its owner: "Portal prüfen (bis 15.01.2027)" /
/// "Check the portal (due 15 January 2027)".
fn action_text(language: Language, text: &str, due: Option<NaiveDate>) -> String {
    let text = one_line(text);
    match due {
        None => text,
        Some(due) => text!(
            de: "{text} (bis {due})",
            en: "{text} (due {due})";
            due = date_short(language, due),
        )
        .take(language),
    }
}

/// "TOP 2: Open Data" / "Item 2: Open Data"; "Vorab" for what came before the first item.
fn topic_heading(language: Language, index: usize, topic: &Topic, first_untitled: bool) -> String {
    let number = if first_untitled { index } else { index + 1 };
    let heading = match &topic.title {
        None => text!(const de: "Vorab", en: "Before the agenda"),
        Some(title) => text!(
            de: "TOP {number}: {title}",
            en: "Item {number}: {title}";
            title = one_line(title),
        ),
    };
    heading.take(language)
}

/// The heading line: "Protokoll: Videokonferenz – Netzwerk IKONE DS".
fn heading(language: Language, network: &str, minutes: &Minutes, draft: bool) -> String {
    let title = one_line(&minutes.title);
    let network = one_line(network);
    let named = title.contains(&network);
    let what = if draft {
        text!(
            const de: "Protokollentwurf (noch nicht veröffentlicht)",
            en: "Draft minutes (not yet published)",
        )
    } else {
        text!(const de: "Protokoll", en: "Minutes")
    };
    let what = what.get(language);
    if named {
        format!("{what}: {title}")
    } else {
        text!(
            de: "{what}: {title} – Netzwerk {network}",
            en: "{what}: {title} – {network} network",
        )
        .take(language)
    }
}

/// The header facts: (label, value), each list of names with its first `shown` names.
fn facts(language: Language, minutes: &Minutes, shown: usize) -> Vec<(String, String)> {
    let list = |names: &[String]| super::size::names_shown(language, names, shown, one_line);
    let none = text!(const de: "keine erfasst", en: "none recorded");
    let listed = |names: &[String]| {
        if names.is_empty() {
            none.get(language).to_owned()
        } else {
            list(names)
        }
    };
    let present = minutes.present.len();
    let mut facts = vec![
        (
            text!(const de: "Termin", en: "Date").take(language),
            date_range(language, minutes.start, minutes.end),
        ),
        (
            text!(const de: "Vorsitz", en: "Chair").take(language),
            listed(&minutes.chairs),
        ),
        (
            text!(
                de: "Teilnehmende Kommunen ({present})",
                en: "Municipalities present ({present})",
            )
            .take(language),
            listed(&minutes.present),
        ),
    ];
    if !minutes.excused.is_empty() {
        facts.push((
            text!(const de: "Entschuldigt", en: "Apologies").take(language),
            list(&minutes.excused),
        ));
    }
    facts
}

/// Which parts of the minutes to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    /// Everything, with line numbers for corrections.
    Draft,
    /// Everything.
    Full,
    /// Decisions and actions only, each shortened.
    Short,
    /// The header only.
    Header,
}

/// Whether `entry` is shown in the minutes at `detail`.
fn shows(detail: Detail, entry: &Entry) -> bool {
    match detail {
        Detail::Draft | Detail::Full => true,
        Detail::Short => matches!(entry.kind, EntryKind::Decision | EntryKind::Action(_)),
        Detail::Header => false,
    }
}

/// How many entries the minutes show at `detail`, and the most names of a list in the header:
/// what [`message`] may shorten.
fn most_shown(minutes: &Minutes, detail: Detail) -> usize {
    let entries = minutes
        .topics
        .iter()
        .flat_map(|t| &t.entries)
        .filter(|e| shows(detail, e))
        .count();
    let names = [&minutes.chairs, &minutes.present, &minutes.excused]
        .iter()
        .map(|names| names.len())
        .max()
        .unwrap_or(0);
    entries.max(names)
}

/// The minutes as a chat message, with at most `shown` entries and `shown` names in each list
/// of the header (the rest counted).
fn message(
    language: Language,
    network: &str,
    minutes: &Minutes,
    detail: Detail,
    footer: &[String],
    shown: usize,
) -> Rendered {
    let mut both = Both::default();
    let heading = heading(language, network, minutes, detail == Detail::Draft);
    both.raw_line(
        &heading,
        &format!("<strong>{}</strong>", escape_html(&heading)),
    );
    for (label, value) in facts(language, minutes, shown) {
        both.raw_line(
            &format!("{label}: {value}"),
            &format!("<em>{}:</em> {}", escape_html(&label), escape_html(&value)),
        );
    }
    if detail != Detail::Header {
        topics(&mut both, language, minutes, detail, shown);
    }
    for line in footer {
        both.blank();
        both.line(line);
    }
    both.done()
}

/// The message in the first of the `forms` that fits one message in full; the last form with
/// as many entries and names as fit when none does.
fn fitting_message(
    language: Language,
    network: &str,
    minutes: &Minutes,
    forms: &[(Detail, Vec<String>)],
) -> Rendered {
    let Some(((last, last_footer), earlier)) = forms.split_last() else {
        return Rendered {
            plain: String::new(),
            html: String::new(),
        };
    };
    for (detail, footer) in earlier {
        let whole = message(
            language,
            network,
            minutes,
            *detail,
            footer,
            most_shown(minutes, *detail),
        );
        if super::size::fits(&whole) {
            return whole;
        }
    }
    super::size::largest_fitting(most_shown(minutes, *last), |shown| {
        message(language, network, minutes, *last, last_footer, shown)
    })
}

/// The topics of the minutes with their entries as `detail` shows them, at most `most` entries
/// in all (the rest counted).
fn topics(both: &mut Both, language: Language, minutes: &Minutes, detail: Detail, most: usize) {
    let first_untitled = minutes.topics.first().is_some_and(|t| t.title.is_none());
    let total = minutes
        .topics
        .iter()
        .flat_map(|t| &t.entries)
        .filter(|e| shows(detail, e))
        .count();
    let mut left = most;
    for (index, topic) in minutes.topics.iter().enumerate() {
        let all: Vec<&Entry> = topic.entries.iter().filter(|e| shows(detail, e)).collect();
        if detail == Detail::Short && all.is_empty() {
            continue;
        }
        if total > most && left == 0 {
            break;
        }
        // In the order they are shown (grouped by kind), the first `left` of them.
        let mut shown: Vec<&Entry> = Vec::new();
        for (_, entries) in grouped(language, all.iter().copied()) {
            let take = entries.len().min(left - shown.len());
            shown.extend(entries.into_iter().take(take));
        }
        left -= shown.len();
        both.blank();
        let mut title = topic_heading(language, index, topic, first_untitled);
        if detail == Detail::Draft
            && let Some(number) = topic.number
        {
            title = format!("[{number}] {title}");
        }
        topic_lines(both, language, &title, detail, &shown);
    }
    if total > most {
        both.blank();
        both.line(more_entries(total - most).get(language));
    }
}

/// A topic: its `title`, then its `entries` under the label of their kind.
fn topic_lines(
    both: &mut Both,
    language: Language,
    title: &str,
    detail: Detail,
    entries: &[&Entry],
) {
    both.raw_line(title, &format!("<strong>{}</strong>", escape_html(title)));
    if entries.is_empty() {
        both.line(NOTHING_RECORDED.get(language));
    }
    for (label, entries) in grouped(language, entries.iter().copied()) {
        both.raw_line(&format!("{label}:"), &format!("<em>{label}:</em>"));
        let items: Vec<(String, String)> = entries
            .into_iter()
            .map(|entry| entry_item(language, detail, entry))
            .collect();
        both.list(&items);
    }
}

/// One entry as an item of a list (plain, HTML): with its line number in a draft, cut after
/// 300 characters in the short form; an action with its owner, a link as a link.
fn entry_item(language: Language, detail: Detail, entry: &Entry) -> (String, String) {
    let number = match detail {
        Detail::Draft => format!("[{}] ", entry.number),
        _ => String::new(),
    };
    let mut text = one_line(&entry.text);
    if detail == Detail::Short && text.chars().count() > 300 {
        text = format!("{}…", text.chars().take(300).collect::<String>());
    }
    match &entry.kind {
        EntryKind::Action(assignment) => {
            let owner = one_line(&assignment.owner.to_string());
            let rest = action_text(language, &text, assignment.due);
            (
                format!("{number}{owner}: {rest}"),
                format!(
                    "{number}<strong>{}:</strong> {}",
                    escape_html(&owner),
                    escape_html(&rest)
                ),
            )
        }
        EntryKind::Link(url) => {
            let href = escape_html(url.as_str());
            (
                format!("{number}{text}: {url}"),
                format!("{number}<a href=\"{href}\">{}</a>", escape_html(&text)),
            )
        }
        EntryKind::Info | EntryKind::Decision => (
            format!("{number}{text}"),
            format!("{number}{}", escape_html(&text)),
        ),
    }
}

/// The draft, for the organizers' room: every line with its number, and how to go on.
pub fn minutes_draft(language: Language, network: &str, minutes: &Minutes, live: bool) -> Rendered {
    let footer = if live {
        text!(
            const de: "Korrekturen: !minutes edit <Nr.> <Text>. Veröffentlichung in allen Räumen: !minutes approve.",
            en: "Corrections: !minutes edit <no.> <text>. To publish in every room: !minutes approve.",
        )
    } else {
        text!(
            de: "Dieses Protokoll stammt aus der Tagesordnungsdatei; bitte nehmen Sie Korrekturen dort vor. Veröffentlichung in allen Räumen: !minutes approve {date}.",
            en: "These minutes come from the agenda file; please make corrections there. To publish in every room: !minutes approve {date}.";
            date = date_argument(language, minutes.start.date_naive()),
        )
    };
    let footer = vec![footer.take(language)];
    fitting_message(language, network, minutes, &[(Detail::Draft, footer)])
}

fn publication_footer(
    language: Language,
    publication: &Publication,
    detail: Detail,
) -> Vec<String> {
    let date = date_short(language, publication.approved_on);
    let by = one_line(&publication.approved_by);
    let mut footer = vec![approved_by(&by, &date).take(language)];
    let attached = match detail {
        Detail::Short => text!(
            const de: "Diese Nachricht zeigt nur Beschlüsse und Aufgaben; das vollständige Protokoll liegt als Markdown-Datei bei.",
            en: "This message shows decisions and action items only; the full minutes are attached as a Markdown file.",
        ),
        Detail::Header => text!(
            const de: "Das Protokoll ist für eine Nachricht zu umfangreich; es liegt vollständig als Markdown-Datei bei.",
            en: "The minutes are too long for one message; they are attached in full as a Markdown file.",
        ),
        Detail::Draft | Detail::Full => text!(
            const de: "Das Protokoll liegt auch als Markdown-Datei bei.",
            en: "The minutes are also attached as a Markdown file.",
        ),
    };
    let attached = attached.get(language);
    footer.push(match &publication.link {
        Some(link) => text!(
            de: "{attached} Online abrufbar unter {link}",
            en: "{attached} Available online at {link}",
        )
        .take(language),
        None => attached.to_owned(),
    });
    footer
}

/// "Genehmigt von Anna Schmidt am 15.01.2027." / "Approved by Anna Schmidt on 15 January 2027."
fn approved_by(by: &str, date: &str) -> Text {
    text!(de: "Genehmigt von {by} am {date}.", en: "Approved by {by} on {date}.")
}

/// The published minutes, as posted in every room: in full, or — when that would be too large
/// for one message ([`super::size::MESSAGE_BUDGET`]) — decisions and actions only, or the
/// header only; the full minutes are in the attached file either way. A form with more
/// entries or names than fit shows the first of them and counts the rest.
pub fn minutes_message(
    language: Language,
    network: &str,
    minutes: &Minutes,
    publication: &Publication,
) -> Rendered {
    let forms: Vec<(Detail, Vec<String>)> = [Detail::Full, Detail::Short, Detail::Header]
        .into_iter()
        .map(|detail| (detail, publication_footer(language, publication, detail)))
        .collect();
    fitting_message(language, network, minutes, &forms)
}

/// Escapes text for Markdown (CommonMark): punctuation that could start markup is
/// backslash-escaped, so a title can never become a heading, a link or HTML. Parentheses and
/// `!` stay as they are: without an unescaped `[…]` before them they start nothing.
pub fn escape_markdown(text: &str) -> String {
    let text = one_line(text);
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '&'
        ) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    // A line starting with "-", "+", "=" or "1." would be a list or an underline.
    if let Some(first) = escaped.chars().next()
        && (matches!(first, '-' | '+' | '=') || first.is_ascii_digit())
    {
        let digits = escaped.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 {
            if let Some(after) = escaped[digits..].chars().next()
                && matches!(after, '.' | ')')
            {
                escaped.insert(digits, '\\');
            }
        } else {
            escaped.insert(0, '\\');
        }
    }
    escaped
}

/// The full minutes as a Markdown file, the form that is attached and archived.
pub fn minutes_markdown(
    language: Language,
    network: &str,
    minutes: &Minutes,
    publication: &Publication,
) -> String {
    let mut md = format!(
        "# {}\n\n",
        escape_markdown(&heading(language, network, minutes, false))
    );
    for (label, value) in facts(language, minutes, usize::MAX) {
        let _ = writeln!(md, "- **{label}:** {}", escape_markdown(&value));
    }
    let first_untitled = minutes.topics.first().is_some_and(|t| t.title.is_none());
    for (index, topic) in minutes.topics.iter().enumerate() {
        let _ = write!(
            md,
            "\n## {}\n",
            escape_markdown(&topic_heading(language, index, topic, first_untitled))
        );
        if topic.entries.is_empty() {
            let _ = write!(md, "\n{}\n", NOTHING_RECORDED.get(language));
        }
        for (label, entries) in grouped(language, topic.entries.iter()) {
            let _ = writeln!(md, "\n### {label}\n");
            for entry in entries {
                let line = match &entry.kind {
                    EntryKind::Action(assignment) => format!(
                        "**{}:** {}",
                        escape_markdown(&assignment.owner.to_string()),
                        escape_markdown(&action_text(language, &entry.text, assignment.due))
                    ),
                    EntryKind::Link(url) => {
                        format!("[{}](<{url}>)", escape_markdown(&entry.text))
                    }
                    EntryKind::Info | EntryKind::Decision => escape_markdown(&entry.text),
                };
                let _ = writeln!(md, "- {line}");
            }
        }
    }
    let date = date_short(language, publication.approved_on);
    let by = escape_markdown(&publication.approved_by);
    let _ = write!(md, "\n---\n\n{}\n", approved_by(&by, &date).get(language));
    md
}

/// What a minutes command achieved, or why it did nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MinutesReply {
    /// `!minutes start` worked.
    Started {
        /// The meeting's title.
        title: String,
        /// Its time, written out.
        when: String,
        /// The agenda items `!topic` will step through.
        agenda: Vec<String>,
    },
    /// A line was recorded.
    Recorded {
        /// Its number.
        number: u32,
        /// What it is.
        what: RecordedKind,
        /// Its text, as recorded.
        text: String,
    },
    /// `!undo` took a line back.
    Undone {
        /// Its number.
        number: u32,
        /// Its text.
        text: String,
    },
    /// `!minutes edit` corrected a line.
    Edited {
        /// Its number.
        number: u32,
    },
    /// `!chair` added a chair.
    ChairAdded(String),
    /// `!here` recorded a municipality.
    Here {
        /// The municipality.
        municipality: String,
        /// The meeting's title.
        title: String,
    },
    /// `!minutes approve` is publishing.
    Approved {
        /// The meeting's title.
        title: String,
    },
    /// No meeting to take minutes of.
    NoMeeting,
    /// No minutes are being recorded.
    NotRecording,
    /// Minutes are being recorded for another meeting already.
    AlreadyRecording {
        /// That meeting's title.
        title: String,
    },
    /// This meeting has minutes already.
    AlreadyHasMinutes {
        /// Its title.
        title: String,
    },
    /// Minute-taking commands belong in the minutes room.
    WrongRoom,
    /// A bare `!topic` after the last agenda item.
    AgendaDone,
    /// No line with this number (or it was taken back).
    NoSuchLine(u32),
    /// Nothing to take back.
    NothingToUndo,
    /// The minutes hold the most lines they may.
    Full,
    /// No draft waits for approval (on that date).
    NoDraft,
    /// Several drafts wait: which one?
    SeveralDrafts(Vec<NaiveDate>),
    /// The owner of an action is unknown.
    UnknownOwner {
        /// What was written.
        given: String,
        /// The configured municipalities.
        known: Vec<String>,
    },
    /// An action without a task.
    NoTask,
    /// File minutes are corrected in the file.
    EditTheFile,
    /// `!here` outside a member room, without a municipality.
    WhichMunicipality,
    /// `!here` while no meeting runs.
    NoRunningMeeting,
    /// `!here <name>` with a name that is no member.
    UnknownMunicipality {
        /// What was written.
        given: String,
        /// The configured municipalities.
        known: Vec<String>,
    },
    /// `!actions` in a room of no member municipality.
    NotAMemberRoom,
    /// The database failed.
    Failed,
}

/// What a recorded line is, for the acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordedKind {
    /// `!topic`.
    Topic,
    /// `!info`.
    Info,
    /// `!decision`.
    Decision,
    /// `!action`.
    Action,
    /// `!link`.
    Link,
}

/// The answer to a minutes command; the agenda it lists, or the municipalities it names, as
/// many as fit one message.
pub fn minutes_reply(language: Language, reply: &MinutesReply) -> Rendered {
    let most = match reply {
        MinutesReply::Started { agenda, .. } => agenda.len(),
        MinutesReply::UnknownOwner { known, .. }
        | MinutesReply::UnknownMunicipality { known, .. } => known.len(),
        _ => 0,
    };
    super::size::largest_fitting(most, |shown| reply_text(language, reply, shown))
}

/// [`minutes_reply`] with the first `shown` agenda items or municipalities.
fn reply_text(language: Language, reply: &MinutesReply, shown: usize) -> Rendered {
    let quote = |title: &str| quoted(language, title);
    let text = match reply {
        MinutesReply::Started {
            title,
            when,
            agenda,
        } => started(language, &quote(title), when, agenda, shown),
        MinutesReply::Recorded { number, what, text } => {
            recorded(*number, *what, text).take(language)
        }
        MinutesReply::Undone { number, text } => text!(
            de: "Zurückgenommen: [{number}] {text}",
            en: "Undone: [{number}] {text}";
            text = shorten(&one_line(text), 120),
        )
        .take(language),
        MinutesReply::Edited { number } => text!(
            de: "Eintrag [{number}] wurde korrigiert. Den Entwurf zeigt !minutes.",
            en: "Line [{number}] has been corrected. !minutes shows the draft.",
        )
        .take(language),
        MinutesReply::ChairAdded(user) => text!(
            de: "{user} hat jetzt ebenfalls den Vorsitz.",
            en: "{user} is now a chair as well.",
        )
        .take(language),
        MinutesReply::Here {
            municipality,
            title,
        } => here(&one_line(municipality), &quote(title)).take(language),
        MinutesReply::Approved { title } => approved(&quote(title)).take(language),
        MinutesReply::AlreadyRecording { title } => already_recording(&quote(title)).take(language),
        MinutesReply::AlreadyHasMinutes { title } => {
            already_has_minutes(&quote(title)).take(language)
        }
        MinutesReply::NoSuchLine(number) => no_such_line(*number).take(language),
        MinutesReply::Full => full().take(language),
        MinutesReply::SeveralDrafts(dates) => several_drafts(language, dates),
        MinutesReply::UnknownOwner { given, known } => unknown_owner(language, given, known, shown),
        MinutesReply::UnknownMunicipality { given, known } => {
            unknown_municipality(language, given, known, shown)
        }
        MinutesReply::NoMeeting => NO_MEETING.take(language),
        MinutesReply::NotRecording => NOT_RECORDING.take(language),
        MinutesReply::WrongRoom => WRONG_ROOM.take(language),
        MinutesReply::AgendaDone => AGENDA_DONE.take(language),
        MinutesReply::NothingToUndo => NOTHING_TO_UNDO.take(language),
        MinutesReply::NoDraft => NO_DRAFT.take(language),
        MinutesReply::NoTask => NO_TASK.take(language),
        MinutesReply::EditTheFile => EDIT_THE_FILE.take(language),
        MinutesReply::WhichMunicipality => WHICH_MUNICIPALITY.take(language),
        MinutesReply::NoRunningMeeting => NO_RUNNING_MEETING.take(language),
        MinutesReply::NotAMemberRoom => NOT_A_MEMBER_ROOM.take(language),
        MinutesReply::Failed => super::commands::UNAVAILABLE.take(language),
    };
    Rendered {
        html: escape_html(&text),
        plain: text,
    }
}

/// `!minutes start` worked: for which meeting (its `title` quoted), and the first `shown`
/// items of its agenda, which `!topic` steps through.
fn started(language: Language, title: &str, when: &str, agenda: &[String], shown: usize) -> String {
    let agenda = if agenda.is_empty() {
        text!(
            const de: " Die Tagesordnung ist leer; einen Tagesordnungspunkt beginnen Sie mit !topic <Titel>.",
            en: " The agenda is empty; start an item with !topic <title>.",
        )
    } else {
        let mut items: Vec<String> = agenda
            .iter()
            .take(shown)
            .enumerate()
            .map(|(i, t)| format!("{}. {}", i + 1, one_line(t)))
            .collect();
        if agenda.len() > shown {
            items.push(more_items(agenda.len() - shown).take(language));
        }
        text!(
            de: " Mit !topic geht es zum nächsten Tagesordnungspunkt: {items}",
            en: " !topic moves to the next agenda item: {items}";
            items = items.join("; "),
        )
    };
    text!(
        de: "Das Protokoll für {title} am {when} wird jetzt geführt. Sie haben den Vorsitz.{agenda}",
        en: "Minutes for {title} on {when} are now being taken. You are the chair.{agenda}";
        agenda = agenda.get(language),
    )
    .take(language)
}

/// A line was recorded: its number, what it is, and its text (shortened).
fn recorded(number: u32, what: RecordedKind, text: &str) -> Text {
    let what = match what {
        RecordedKind::Topic => text!(const de: "Tagesordnungspunkt", en: "Agenda item"),
        RecordedKind::Info => text!(const de: "Notiz", en: "Note"),
        RecordedKind::Decision => text!(const de: "Beschluss", en: "Decision"),
        RecordedKind::Action => text!(const de: "Aufgabe", en: "Action item"),
        RecordedKind::Link => text!(const de: "Link", en: "Link"),
    };
    text!(
        de: "[{number}] {what_de} erfasst: {text}",
        en: "[{number}] {what_en} recorded: {text}";
        what_de = &what.german,
        what_en = &what.english,
        text = shorten(&one_line(text), 120),
    )
}

/// `!here` recorded `municipality` as present at the meeting `title` (quoted).
fn here(municipality: &str, title: &str) -> Text {
    text!(
        de: "Vielen Dank! {municipality} wurde für {title} als anwesend erfasst.",
        en: "Thank you! {municipality} has been recorded as present at {title}.",
    )
}

/// The minutes `title` (quoted) are being published.
fn approved(title: &str) -> Text {
    text!(
        de: "Das Protokoll {title} wurde genehmigt und wird jetzt in allen Räumen veröffentlicht; die Zustellung wird hier gemeldet.",
        en: "The minutes {title} have been approved and are being published in every room; delivery will be reported here.",
    )
}

/// Minutes of the meeting `title` (quoted) are being recorded already.
fn already_recording(title: &str) -> Text {
    text!(
        de: "Es wird bereits ein Protokoll für {title} geführt. Bitte beenden Sie es zuerst mit !minutes end.",
        en: "Minutes for {title} are already being taken. Please end them first with !minutes end.",
    )
}

/// The meeting `title` (quoted) has minutes already.
fn already_has_minutes(title: &str) -> Text {
    text!(
        de: "Für {title} gibt es bereits ein Protokoll. Den aktuellen Stand zeigt !minutes.",
        en: "There are already minutes for {title}. !minutes shows their current state.",
    )
}

/// The minutes have no line `number` (or no longer).
fn no_such_line(number: u32) -> Text {
    text!(
        de: "Einen Eintrag [{number}] gibt es in diesem Protokoll nicht (mehr). Den Entwurf mit Nummern zeigt !minutes.",
        en: "These minutes have no line [{number}] (or it was removed). !minutes shows the draft with its line numbers.",
    )
}

/// The minutes hold [`crate::minutes::MAX_ENTRIES`] lines, the most they may.
fn full() -> Text {
    text!(
        de: "Dieses Protokoll hat die Höchstzahl von {max} Einträgen erreicht. Bitte beenden Sie es mit !minutes end.",
        en: "These minutes have reached the maximum of {max} lines. Please end them with !minutes end.";
        max = crate::minutes::MAX_ENTRIES,
    )
}

/// Drafts of several dates wait for approval: which one, with the first as the example.
fn several_drafts(language: Language, dates: &[NaiveDate]) -> String {
    let listed = dates
        .iter()
        .map(|d| date_short(language, *d))
        .collect::<Vec<_>>()
        .join(", ");
    let example = dates
        .first()
        .map(|d| date_argument(language, *d))
        .unwrap_or_default();
    text!(
        de: "Mehrere Entwürfe warten auf Genehmigung ({listed}). Bitte geben Sie das Datum an, z. B. „!minutes approve {example}“.",
        en: "Several drafts are waiting for approval ({listed}). Please give the date, e.g. “!minutes approve {example}”.",
    )
    .take(language)
}

/// The owner `given` to `!action` is neither a member nor a Matrix ID: the first `shown` of
/// the `known` municipalities, and how the command is written.
fn unknown_owner(language: Language, given: &str, known: &[String], shown: usize) -> String {
    text!(
        de: "{given} ist weder eine Mitgliedskommune noch eine Matrix-ID (@name:server). Mitgliedskommunen: {names}. Der Befehl lautet: !action <Kommune oder @Nutzer> <Aufgabe> [bis TT.MM.JJJJ].",
        en: "{given} is neither a member municipality nor a Matrix ID (@name:server). Member municipalities: {names}. The command is: !action <municipality or @user> <task> [due YYYY-MM-DD].";
        given = quoted(language, &shorten(&one_line(given), 64)),
        names = super::size::names_shown(language, known, shown, str::to_owned),
    )
    .take(language)
}

/// The municipality `given` to `!here` is no member: the first `shown` of the `known` ones.
fn unknown_municipality(language: Language, given: &str, known: &[String], shown: usize) -> String {
    text!(
        de: "{given} ist keine Mitgliedskommune. Mitgliedskommunen: {names}.",
        en: "{given} is not a member municipality. Member municipalities: {names}.";
        given = quoted(language, &shorten(&one_line(given), 64)),
        names = super::size::names_shown(language, known, shown, str::to_owned),
    )
    .take(language)
}

// The replies that say nothing but their text.

/// No meeting to take minutes of.
const NO_MEETING: Text = text!(
    const de: "Es gibt keinen laufenden oder kommenden Termin, zu dem ein Protokoll geführt werden könnte.",
    en: "There is no current or upcoming meeting to take minutes of.",
);

/// No minutes are being recorded.
const NOT_RECORDING: Text = text!(
    const de: "Zurzeit wird kein Protokoll geführt. Das Organisationsteam beginnt ein Protokoll mit !minutes start.",
    en: "No minutes are being taken at the moment. The organizers start them with !minutes start.",
);

/// Minute-taking commands belong in the minutes room.
const WRONG_ROOM: Text = text!(
    const de: "Protokolle werden im Organisationsraum (oder im dafür eingerichteten Protokollraum) geführt; bitte senden Sie den Befehl dort.",
    en: "Minutes are taken in the organizers' room (or the room set up for minutes); please send the command there.",
);

/// A bare `!topic` after the last agenda item.
const AGENDA_DONE: Text = text!(
    const de: "Die Tagesordnung hat keine weiteren Punkte. Einen weiteren Punkt beginnen Sie mit !topic <Titel>.",
    en: "The agenda has no further items. Start another one with !topic <title>.",
);

/// `!undo` with nothing to take back.
const NOTHING_TO_UNDO: Text = text!(
    const de: "Es gibt keinen Eintrag, der zurückgenommen werden könnte.",
    en: "There is no line to undo.",
);

/// `!minutes approve` without a draft.
const NO_DRAFT: Text = text!(
    const de: "Es wartet kein Protokollentwurf auf Genehmigung.",
    en: "No draft minutes are waiting for approval.",
);

/// An action without a task.
const NO_TASK: Text = text!(
    const de: "Bitte geben Sie nach der Zuständigkeit die Aufgabe an: !action <Kommune oder @Nutzer> <Aufgabe> [bis TT.MM.JJJJ].",
    en: "Please give the task after its owner: !action <municipality or @user> <task> [due YYYY-MM-DD].",
);

/// File minutes are corrected in the file.
const EDIT_THE_FILE: Text = text!(
    const de: "Dieses Protokoll stammt aus der Tagesordnungsdatei; bitte korrigieren Sie es dort. Die Änderung gilt nach dem Speichern.",
    en: "These minutes come from the agenda file; please correct them there. Changes take effect once the file is saved.",
);

/// `!here` outside a member room, without a municipality.
const WHICH_MUNICIPALITY: Text = text!(
    const de: "Bitte senden Sie !here im Raum Ihrer Kommune. Wer den Vorsitz hat, kann die Kommune auch angeben: !here <Kommune>.",
    en: "Please send !here in your municipality's room. The chair can also name the municipality: !here <municipality>.",
);

/// `!here` while no meeting runs.
const NO_RUNNING_MEETING: Text = text!(
    const de: "Zurzeit läuft keine Sitzung. Die Anwesenheit kann ab 30 Minuten vor Beginn gemeldet werden.",
    en: "No meeting is in progress. Attendance can be reported from 30 minutes before the start.",
);

/// `!actions` in a room of no member municipality.
const NOT_A_MEMBER_ROOM: Text = text!(
    const de: "Dieser Raum gehört zu keiner Mitgliedskommune. Ihre offenen Aufgaben zeigt !actions im Raum Ihrer Kommune.",
    en: "This room does not belong to a member municipality. !actions in your municipality's room lists its open action items.",
);

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    format!("{}…", text.chars().take(max).collect::<String>())
}

/// "… und 12 ältere Protokolle": published minutes `!minutes list` leaves out.
fn more_minutes(left_out: usize) -> Text {
    if left_out == 1 {
        text!(
            de: "… und 1 älteres Protokoll",
            en: "… and the minutes of 1 earlier meeting",
        )
    } else {
        text!(
            de: "… und {left_out} ältere Protokolle",
            en: "… and the minutes of {left_out} earlier meetings",
        )
    }
}

/// The answer to `!minutes list`: each published minutes with its date and link; the newest
/// of them (the list is oldest first) when all would not fit one message.
pub fn minutes_list(
    language: Language,
    published: &[(String, String, Option<String>)],
) -> Rendered {
    super::size::largest_fitting(published.len(), |shown| {
        let skipped = published.len() - shown;
        let mut listed = minutes_list_of(language, &published[skipped..]);
        if skipped > 0 {
            let mut both = Both::default();
            both.raw_line(&listed.plain, &listed.html);
            both.line(more_minutes(skipped).get(language));
            listed = both.done();
        }
        listed
    })
}

fn minutes_list_of(language: Language, published: &[(String, String, Option<String>)]) -> Rendered {
    if published.is_empty() {
        let text = text!(
            const de: "Es wurden noch keine Protokolle veröffentlicht.",
            en: "No minutes have been published yet.",
        );
        let text = text.get(language);
        return Rendered {
            plain: text.to_owned(),
            html: escape_html(text),
        };
    }
    let mut both = Both::default();
    both.line(
        text!(const de: "Veröffentlichte Protokolle:", en: "Published minutes:").get(language),
    );
    let items: Vec<(String, String)> = published
        .iter()
        .map(|(date, title, link)| {
            let title = one_line(title);
            match link {
                Some(link) => {
                    let href = escape_html(link);
                    (
                        format!("{date} – {title}: {link}"),
                        format!(
                            "{} – <a href=\"{href}\">{}</a>",
                            escape_html(date),
                            escape_html(&title)
                        ),
                    )
                }
                None => {
                    let line = format!("{date} – {title}");
                    (line.clone(), escape_html(&line))
                }
            }
        })
        .collect();
    both.list(&items);
    both.done()
}

/// One action item on a line: "Nr. 3 – Kaiserslautern: Portal prüfen (bis 15.01.2027)".
pub fn action_line(language: Language, action: &ActionItem) -> String {
    let owner = one_line(&action.owner.to_string());
    let task = super::size::first_chars(&one_line(&action.text), MAX_SHOWN_ACTION);
    let text = action_text(language, &task, action.due);
    let id = action.id;
    text!(de: "Nr. {id} – {owner}: {text}", en: "No. {id} – {owner}: {text}").take(language)
}

/// The answer to `!actions`: as many of them as fit one message, the rest counted.
pub fn action_list(language: Language, actions: &[ActionItem], whose: Option<&str>) -> Rendered {
    super::size::largest_fitting(actions.len(), |shown| {
        action_list_of(language, actions, whose, shown)
    })
}

fn action_list_of(
    language: Language,
    actions: &[ActionItem],
    whose: Option<&str>,
    shown: usize,
) -> Rendered {
    let intro = match (actions.is_empty(), whose.map(one_line)) {
        (true, Some(name)) => text!(
            de: "{name} hat keine offenen Aufgaben.",
            en: "{name} has no open action items.",
        ),
        (true, None) => text!(
            const de: "Es gibt keine offenen Aufgaben.",
            en: "There are no open action items.",
        ),
        (false, Some(name)) => text!(
            de: "Offene Aufgaben von {name}:",
            en: "Open action items for {name}:",
        ),
        (false, None) => text!(const de: "Alle offenen Aufgaben:", en: "All open action items:"),
    };
    let intro = intro.take(language);
    let mut both = Both::default();
    both.line(&intro);
    let items: Vec<(String, String)> = actions
        .iter()
        .take(shown)
        .map(|a| {
            let line = action_line(language, a);
            let html = escape_html(&line);
            (line, html)
        })
        .collect();
    both.list(&items);
    if actions.len() > shown {
        both.line(more_actions(actions.len() - shown).get(language));
    }
    if !actions.is_empty() {
        both.line(
            text!(
                const de: "Eine erledigte Aufgabe melden Sie mit !done <Nr.>",
                en: "To report an action item as done, send !done <no.>",
            )
            .get(language),
        );
    }
    both.done()
}

/// What `!done` achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DoneOutcome {
    /// Closed now.
    Closed,
    /// It was closed already.
    AlreadyDone,
    /// No such action, or not this room's.
    Unknown,
}

/// The answer to `!done <n>`.
pub fn action_done(
    language: Language,
    number: i64,
    action: Option<&ActionItem>,
    outcome: DoneOutcome,
) -> Rendered {
    let text = match (outcome, action) {
        (DoneOutcome::Closed, Some(action)) => text!(
            de: "Erledigt: {line}. Vielen Dank!",
            en: "Done: {line}. Thank you!";
            line = action_line(language, action),
        ),
        (DoneOutcome::AlreadyDone, _) => text!(
            de: "Die Aufgabe Nr. {number} ist bereits erledigt.",
            en: "Action item no. {number} is already marked as done.",
        ),
        _ => text!(
            de: "Eine offene Aufgabe Nr. {number} Ihrer Kommune gibt es nicht. Ihre offenen Aufgaben zeigt !actions.",
            en: "Your municipality has no open action item no. {number}. !actions lists your open action items.",
        ),
    }
    .take(language);
    Rendered {
        html: escape_html(&text),
        plain: text,
    }
}

/// The reminder sent to the owner's room the day before an action is due (or later, if the
/// bot was away then), naming the due date rather than "tomorrow".
pub fn action_reminder(language: Language, action: &ActionItem) -> Rendered {
    let due = action
        .due
        .map(|due| date_short(language, due))
        .unwrap_or_default();
    let text = text!(
        de: "Erinnerung: Diese Aufgabe aus dem Netzwerk ist am {due} fällig: {line}. Sobald sie erledigt ist, melden Sie dies bitte mit !done {id}",
        en: "Reminder: this action item from the network is due on {due}: {line}. Once it is done, please report it with !done {id}";
        line = action_line(language, action),
        id = action.id,
    )
    .take(language);
    Rendered {
        html: escape_html(&text),
        plain: text,
    }
}

/// "Protokoll „…“ (17.12.2026): an 4 von 4 Räumen zugestellt."
pub fn minutes_summary(
    language: Language,
    title: &str,
    start: chrono::DateTime<chrono_tz::Tz>,
    report: &FanOutReport,
) -> Rendered {
    let lead = text!(const de: "Protokoll", en: "Minutes");
    super::fan_out::delivery_line(language, lead.get(language), title, start, report)
}

/// "… und 7 weitere offene Aufgaben": open action items an agenda leaves out.
pub(super) fn more_actions(left_out: usize) -> Text {
    if left_out == 1 {
        text!(de: "… und 1 weitere offene Aufgabe", en: "… and 1 more open action item")
    } else {
        text!(
            de: "… und {left_out} weitere offene Aufgaben",
            en: "… and {left_out} more open action items",
        )
    }
}

/// The "Offene Aufgaben" section of an agenda: one line per open action.
pub(super) fn open_actions_lines(both: &mut Both, language: Language, actions: &[ActionItem]) {
    if actions.is_empty() {
        return;
    }
    let heading = text!(const de: "Offene Aufgaben:", en: "Open action items:");
    let heading = heading.get(language);
    both.raw_line(heading, &format!("<em>{}</em>", escape_html(heading)));
    for action in actions {
        let line = format!("• {}", action_line(language, action));
        both.line(&line);
    }
}
