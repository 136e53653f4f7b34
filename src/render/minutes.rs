//! Texts about minutes: the draft for the organizers, the published message and its Markdown
//! file, the acknowledgements of minute-taking commands, and action items.
//!
//! The draft and the published minutes show the same [`Minutes`] document, grouped per agenda
//! item into notes, decisions, actions and links, so minutes recorded live and minutes written
//! in a file read alike. User text is escaped for HTML and for Markdown, and put on one line.

use std::fmt::Write as _;

use chrono::NaiveDate;

use super::common::{Both, MORE_ITEMS, date_range, date_short, quoted};
use super::fan_out::FanOutReport;
use super::rendered::{Rendered, escape_html};
use crate::i18n::Language;
use crate::minutes::{ActionItem, Entry, EntryKind, Minutes, Topic};
use crate::text::one_line;

/// The most characters of an action item's text in a line of a list, a reminder or an agenda:
/// a task is a sentence or two, and a longer one (up to [`crate::minutes::MAX_ENTRY`]) is in
/// the minutes in full; cut, a dozen of them still fit one message.
const MAX_SHOWN_ACTION: usize = 1_000;

/// "… und 12 weitere Einträge": minutes entries a message leaves out.
const MORE_ENTRIES: super::size::More = super::size::More {
    german_one: "… und 1 weiterer Eintrag",
    german: "… und {n} weitere Einträge",
    english_one: "… and 1 more entry",
    english: "… and {n} more entries",
};

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

/// A date as the commands take it: "15.01.2027" / "2027-01-15".
fn date_argument(language: Language, date: NaiveDate) -> String {
    match language {
        Language::German => date.format("%d.%m.%Y").to_string(),
        Language::English => date.format("%Y-%m-%d").to_string(),
    }
}

fn kind_labels(language: Language) -> [&'static str; 4] {
    match language {
        Language::German => ["Notizen", "Beschlüsse", "Aufgaben", "Links"],
        Language::English => ["Notes", "Decisions", "Action items", "Links"],
    }
}

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
) -> Vec<(&'static str, Vec<&'e Entry>)> {
    kind_labels(language)
        .into_iter()
        .enumerate()
        .map(|(kind, label)| {
            let of_kind = entries
                .clone()
                .filter(|e| kind_index(&e.kind) == kind)
                .collect::<Vec<_>>();
            (label, of_kind)
        })
        .filter(|(_, of_kind)| !of_kind.is_empty())
        .collect()
}

/// An action's text after its owner: "Portal prüfen (bis 15.01.2027)" /
/// "Check the portal (due 15 January 2027)".
fn action_text(language: Language, text: &str, due: Option<NaiveDate>) -> String {
    let text = one_line(text);
    match (due, language) {
        (None, _) => text,
        (Some(due), Language::German) => format!("{text} (bis {})", date_short(language, due)),
        (Some(due), Language::English) => format!("{text} (due {})", date_short(language, due)),
    }
}

/// "TOP 2: Open Data" / "Item 2: Open Data"; "Vorab" for what came before the first item.
fn topic_heading(language: Language, index: usize, topic: &Topic, first_untitled: bool) -> String {
    let number = if first_untitled { index } else { index + 1 };
    match (&topic.title, language) {
        (None, Language::German) => "Vorab".to_owned(),
        (None, Language::English) => "Before the agenda".to_owned(),
        (Some(title), Language::German) => format!("TOP {number}: {}", one_line(title)),
        (Some(title), Language::English) => format!("Item {number}: {}", one_line(title)),
    }
}

/// The heading line: "Protokoll: Videokonferenz – Netzwerk IKONE DS".
fn heading(language: Language, network: &str, minutes: &Minutes, draft: bool) -> String {
    let title = one_line(&minutes.title);
    let network = one_line(network);
    let named = title.contains(&network);
    let what = match (draft, language) {
        (false, Language::German) => "Protokoll",
        (true, Language::German) => "Protokollentwurf (noch nicht veröffentlicht)",
        (false, Language::English) => "Minutes",
        (true, Language::English) => "Draft minutes (not yet published)",
    };
    match (named, language) {
        (true, _) => format!("{what}: {title}"),
        (false, Language::German) => format!("{what}: {title} – Netzwerk {network}"),
        (false, Language::English) => format!("{what}: {title} – {network} network"),
    }
}

/// The header facts: (label, value), each list of names with its first `shown` names.
fn facts(language: Language, minutes: &Minutes, shown: usize) -> Vec<(String, String)> {
    let list = |names: &[String]| super::size::names_shown(language, names, shown, one_line);
    let none = match language {
        Language::German => "keine erfasst",
        Language::English => "none recorded",
    };
    let mut facts = vec![
        (
            match language {
                Language::German => "Termin",
                Language::English => "Date",
            }
            .to_owned(),
            date_range(language, minutes.start, minutes.end),
        ),
        (
            match language {
                Language::German => "Vorsitz",
                Language::English => "Chair",
            }
            .to_owned(),
            if minutes.chairs.is_empty() {
                none.to_owned()
            } else {
                list(&minutes.chairs)
            },
        ),
        (
            match language {
                Language::German => format!("Teilnehmende Kommunen ({})", minutes.present.len()),
                Language::English => {
                    format!("Municipalities present ({})", minutes.present.len())
                }
            },
            if minutes.present.is_empty() {
                none.to_owned()
            } else {
                list(&minutes.present)
            },
        ),
    ];
    if !minutes.excused.is_empty() {
        facts.push((
            match language {
                Language::German => "Entschuldigt",
                Language::English => "Apologies",
            }
            .to_owned(),
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
        both.raw_line(&title, &format!("<strong>{}</strong>", escape_html(&title)));
        if shown.is_empty() {
            both.line(match language {
                Language::German => "(keine Einträge)",
                Language::English => "(nothing recorded)",
            });
        }
        for (label, entries) in grouped(language, shown.iter().copied()) {
            both.raw_line(&format!("{label}:"), &format!("<em>{label}:</em>"));
            let mut items = Vec::new();
            for entry in entries {
                let number = match detail {
                    Detail::Draft => format!("[{}] ", entry.number),
                    _ => String::new(),
                };
                let mut text = one_line(&entry.text);
                if detail == Detail::Short && text.chars().count() > 300 {
                    text = format!("{}…", text.chars().take(300).collect::<String>());
                }
                let (plain, html) = match &entry.kind {
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
                };
                items.push((plain, html));
            }
            both.list(&items);
        }
    }
    if total > most {
        both.blank();
        both.line(&MORE_ENTRIES.line(language, total - most));
    }
}

/// The draft, for the organizers' room: every line with its number, and how to go on.
pub fn minutes_draft(language: Language, network: &str, minutes: &Minutes, live: bool) -> Rendered {
    let footer = match (language, live) {
        (Language::German, true) => vec![
            "Korrekturen: !minutes edit <Nr.> <Text>. Veröffentlichung in allen Räumen: !minutes approve.".to_owned(),
        ],
        (Language::German, false) => vec![format!(
            "Dieses Protokoll stammt aus der Tagesordnungsdatei; bitte nehmen Sie Korrekturen dort vor. Veröffentlichung in allen Räumen: !minutes approve {}.",
            date_argument(language, minutes.start.date_naive())
        )],
        (Language::English, true) => vec![
            "Corrections: !minutes edit <no.> <text>. To publish in every room: !minutes approve.".to_owned(),
        ],
        (Language::English, false) => vec![format!(
            "These minutes come from the agenda file; please make corrections there. To publish in every room: !minutes approve {}.",
            date_argument(language, minutes.start.date_naive())
        )],
    };
    fitting_message(language, network, minutes, &[(Detail::Draft, footer)])
}

fn publication_footer(
    language: Language,
    publication: &Publication,
    detail: Detail,
) -> Vec<String> {
    let date = date_short(language, publication.approved_on);
    let by = one_line(&publication.approved_by);
    let mut footer = vec![match language {
        Language::German => format!("Genehmigt von {by} am {date}."),
        Language::English => format!("Approved by {by} on {date}."),
    }];
    let attached = match (language, detail) {
        (Language::German, Detail::Short) => {
            "Diese Nachricht zeigt nur Beschlüsse und Aufgaben; das vollständige Protokoll liegt als Markdown-Datei bei."
        }
        (Language::German, Detail::Header) => {
            "Das Protokoll ist für eine Nachricht zu umfangreich; es liegt vollständig als Markdown-Datei bei."
        }
        (Language::German, _) => "Das Protokoll liegt auch als Markdown-Datei bei.",
        (Language::English, Detail::Short) => {
            "This message shows decisions and action items only; the full minutes are attached as a Markdown file."
        }
        (Language::English, Detail::Header) => {
            "The minutes are too long for one message; they are attached in full as a Markdown file."
        }
        (Language::English, _) => "The minutes are also attached as a Markdown file.",
    };
    footer.push(match (&publication.link, language) {
        (Some(link), Language::German) => format!("{attached} Online abrufbar unter {link}"),
        (Some(link), Language::English) => format!("{attached} Available online at {link}"),
        (None, _) => attached.to_owned(),
    });
    footer
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
            md.push_str(match language {
                Language::German => "\n(keine Einträge)\n",
                Language::English => "\n(nothing recorded)\n",
            });
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
    let _ = write!(
        md,
        "\n---\n\n{}\n",
        match language {
            Language::German => format!("Genehmigt von {by} am {date}."),
            Language::English => format!("Approved by {by} on {date}."),
        }
    );
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
    let de = language == Language::German;
    let text = match reply {
        MinutesReply::Started {
            title,
            when,
            agenda,
        } => {
            let title = quoted(language, title);
            let mut text = if de {
                format!(
                    "Das Protokoll für {title} am {when} wird jetzt geführt. Sie haben den Vorsitz."
                )
            } else {
                format!("Minutes for {title} on {when} are now being taken. You are the chair.")
            };
            if agenda.is_empty() {
                text.push_str(if de {
                    " Die Tagesordnung ist leer; einen Tagesordnungspunkt beginnen Sie mit !topic <Titel>."
                } else {
                    " The agenda is empty; start an item with !topic <title>."
                });
            } else {
                let mut items: Vec<String> = agenda
                    .iter()
                    .take(shown)
                    .enumerate()
                    .map(|(i, t)| format!("{}. {}", i + 1, one_line(t)))
                    .collect();
                if agenda.len() > shown {
                    items.push(MORE_ITEMS.line(language, agenda.len() - shown));
                }
                let _ = write!(
                    text,
                    "{}{}",
                    if de {
                        " Mit !topic geht es zum nächsten Tagesordnungspunkt: "
                    } else {
                        " !topic moves to the next agenda item: "
                    },
                    items.join("; ")
                );
            }
            text
        }
        MinutesReply::Recorded { number, what, text } => {
            let what = match (what, de) {
                (RecordedKind::Topic, true) => "Tagesordnungspunkt",
                (RecordedKind::Info, true) => "Notiz",
                (RecordedKind::Decision, true) => "Beschluss",
                (RecordedKind::Action, true) => "Aufgabe",
                (RecordedKind::Link, true) => "Link",
                (RecordedKind::Topic, false) => "Agenda item",
                (RecordedKind::Info, false) => "Note",
                (RecordedKind::Decision, false) => "Decision",
                (RecordedKind::Action, false) => "Action item",
                (RecordedKind::Link, false) => "Link",
            };
            let text = shorten(&one_line(text), 120);
            if de {
                format!("[{number}] {what} erfasst: {text}")
            } else {
                format!("[{number}] {what} recorded: {text}")
            }
        }
        MinutesReply::Undone { number, text } => {
            let text = shorten(&one_line(text), 120);
            if de {
                format!("Zurückgenommen: [{number}] {text}")
            } else {
                format!("Undone: [{number}] {text}")
            }
        }
        MinutesReply::Edited { number } => {
            if de {
                format!("Eintrag [{number}] wurde korrigiert. Den Entwurf zeigt !minutes.")
            } else {
                format!("Line [{number}] has been corrected. !minutes shows the draft.")
            }
        }
        MinutesReply::ChairAdded(user) => {
            if de {
                format!("{user} hat jetzt ebenfalls den Vorsitz.")
            } else {
                format!("{user} is now a chair as well.")
            }
        }
        MinutesReply::Here {
            municipality,
            title,
        } => {
            if de {
                format!(
                    "Vielen Dank! {} wurde für {} als anwesend erfasst.",
                    one_line(municipality),
                    quoted(language, title)
                )
            } else {
                format!(
                    "Thank you! {} has been recorded as present at {}.",
                    one_line(municipality),
                    quoted(language, title)
                )
            }
        }
        MinutesReply::Approved { title } => {
            if de {
                format!(
                    "Das Protokoll {} wurde genehmigt und wird jetzt in allen Räumen veröffentlicht; die Zustellung wird hier gemeldet.",
                    quoted(language, title)
                )
            } else {
                format!(
                    "The minutes {} have been approved and are being published in every room; delivery will be reported here.",
                    quoted(language, title)
                )
            }
        }
        MinutesReply::NoMeeting => if de {
            "Es gibt keinen laufenden oder kommenden Termin, zu dem ein Protokoll geführt werden könnte."
        } else {
            "There is no current or upcoming meeting to take minutes of."
        }
        .to_owned(),
        MinutesReply::NotRecording => if de {
            "Zurzeit wird kein Protokoll geführt. Das Organisationsteam beginnt ein Protokoll mit !minutes start."
        } else {
            "No minutes are being taken at the moment. The organizers start them with !minutes start."
        }
        .to_owned(),
        MinutesReply::AlreadyRecording { title } => {
            if de {
                format!(
                    "Es wird bereits ein Protokoll für {} geführt. Bitte beenden Sie es zuerst mit !minutes end.",
                    quoted(language, title)
                )
            } else {
                format!(
                    "Minutes for {} are already being taken. Please end them first with !minutes end.",
                    quoted(language, title)
                )
            }
        }
        MinutesReply::AlreadyHasMinutes { title } => {
            if de {
                format!(
                    "Für {} gibt es bereits ein Protokoll. Den aktuellen Stand zeigt !minutes.",
                    quoted(language, title)
                )
            } else {
                format!(
                    "There are already minutes for {}. !minutes shows their current state.",
                    quoted(language, title)
                )
            }
        }
        MinutesReply::WrongRoom => if de {
            "Protokolle werden im Organisationsraum (oder im dafür eingerichteten Protokollraum) geführt; bitte senden Sie den Befehl dort."
        } else {
            "Minutes are taken in the organizers' room (or the room set up for minutes); please send the command there."
        }
        .to_owned(),
        MinutesReply::AgendaDone => if de {
            "Die Tagesordnung hat keine weiteren Punkte. Einen weiteren Punkt beginnen Sie mit !topic <Titel>."
        } else {
            "The agenda has no further items. Start another one with !topic <title>."
        }
        .to_owned(),
        MinutesReply::NoSuchLine(number) => {
            if de {
                format!(
                    "Einen Eintrag [{number}] gibt es in diesem Protokoll nicht (mehr). Den Entwurf mit Nummern zeigt !minutes."
                )
            } else {
                format!(
                    "These minutes have no line [{number}] (or it was removed). !minutes shows the draft with its line numbers."
                )
            }
        }
        MinutesReply::NothingToUndo => if de {
            "Es gibt keinen Eintrag, der zurückgenommen werden könnte."
        } else {
            "There is no line to undo."
        }
        .to_owned(),
        MinutesReply::Full => {
            if de {
                format!(
                    "Dieses Protokoll hat die Höchstzahl von {} Einträgen erreicht. Bitte beenden Sie es mit !minutes end.",
                    crate::minutes::MAX_ENTRIES
                )
            } else {
                format!(
                    "These minutes have reached the maximum of {} lines. Please end them with !minutes end.",
                    crate::minutes::MAX_ENTRIES
                )
            }
        }
        MinutesReply::NoDraft => if de {
            "Es wartet kein Protokollentwurf auf Genehmigung."
        } else {
            "No draft minutes are waiting for approval."
        }
        .to_owned(),
        MinutesReply::SeveralDrafts(dates) => {
            let listed = dates
                .iter()
                .map(|d| date_short(language, *d))
                .collect::<Vec<_>>()
                .join(", ");
            let example = dates
                .first()
                .map(|d| date_argument(language, *d))
                .unwrap_or_default();
            if de {
                format!(
                    "Mehrere Entwürfe warten auf Genehmigung ({listed}). Bitte geben Sie das Datum an, z. B. „!minutes approve {example}“."
                )
            } else {
                format!(
                    "Several drafts are waiting for approval ({listed}). Please give the date, e.g. “!minutes approve {example}”."
                )
            }
        }
        MinutesReply::UnknownOwner { given, known } => {
            let given = quoted(language, &shorten(&one_line(given), 64));
            if de {
                format!(
                    "{given} ist weder eine Mitgliedskommune noch eine Matrix-ID (@name:server). Mitgliedskommunen: {}. Der Befehl lautet: !action <Kommune oder @Nutzer> <Aufgabe> [bis TT.MM.JJJJ].",
                    super::size::names_shown(language, known, shown, str::to_owned)
                )
            } else {
                format!(
                    "{given} is neither a member municipality nor a Matrix ID (@name:server). Member municipalities: {}. The command is: !action <municipality or @user> <task> [due YYYY-MM-DD].",
                    super::size::names_shown(language, known, shown, str::to_owned)
                )
            }
        }
        MinutesReply::NoTask => if de {
            "Bitte geben Sie nach der Zuständigkeit die Aufgabe an: !action <Kommune oder @Nutzer> <Aufgabe> [bis TT.MM.JJJJ]."
        } else {
            "Please give the task after its owner: !action <municipality or @user> <task> [due YYYY-MM-DD]."
        }
        .to_owned(),
        MinutesReply::EditTheFile => if de {
            "Dieses Protokoll stammt aus der Tagesordnungsdatei; bitte korrigieren Sie es dort. Die Änderung gilt nach dem Speichern."
        } else {
            "These minutes come from the agenda file; please correct them there. Changes take effect once the file is saved."
        }
        .to_owned(),
        MinutesReply::WhichMunicipality => if de {
            "Bitte senden Sie !here im Raum Ihrer Kommune. Wer den Vorsitz hat, kann die Kommune auch angeben: !here <Kommune>."
        } else {
            "Please send !here in your municipality's room. The chair can also name the municipality: !here <municipality>."
        }
        .to_owned(),
        MinutesReply::NoRunningMeeting => if de {
            "Zurzeit läuft keine Sitzung. Die Anwesenheit kann ab 30 Minuten vor Beginn gemeldet werden."
        } else {
            "No meeting is in progress. Attendance can be reported from 30 minutes before the start."
        }
        .to_owned(),
        MinutesReply::UnknownMunicipality { given, known } => {
            let given = quoted(language, &shorten(&one_line(given), 64));
            if de {
                format!(
                    "{given} ist keine Mitgliedskommune. Mitgliedskommunen: {}.",
                    super::size::names_shown(language, known, shown, str::to_owned)
                )
            } else {
                format!(
                    "{given} is not a member municipality. Member municipalities: {}.",
                    super::size::names_shown(language, known, shown, str::to_owned)
                )
            }
        }
        MinutesReply::NotAMemberRoom => if de {
            "Dieser Raum gehört zu keiner Mitgliedskommune. Ihre offenen Aufgaben zeigt !actions im Raum Ihrer Kommune."
        } else {
            "This room does not belong to a member municipality. !actions in your municipality's room lists its open action items."
        }
        .to_owned(),
        MinutesReply::Failed => super::commands::unavailable(language).to_owned(),
    };
    Rendered {
        html: escape_html(&text),
        plain: text,
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    format!("{}…", text.chars().take(max).collect::<String>())
}

/// "… und 12 ältere Protokolle": published minutes `!minutes list` leaves out.
const MORE_MINUTES: super::size::More = super::size::More {
    german_one: "… und 1 älteres Protokoll",
    german: "… und {n} ältere Protokolle",
    english_one: "… and the minutes of 1 earlier meeting",
    english: "… and the minutes of {n} earlier meetings",
};

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
            both.line(&MORE_MINUTES.line(language, skipped));
            listed = both.done();
        }
        listed
    })
}

fn minutes_list_of(language: Language, published: &[(String, String, Option<String>)]) -> Rendered {
    if published.is_empty() {
        let text = match language {
            Language::German => "Es wurden noch keine Protokolle veröffentlicht.",
            Language::English => "No minutes have been published yet.",
        };
        return Rendered {
            plain: text.to_owned(),
            html: escape_html(text),
        };
    }
    let mut both = Both::default();
    both.line(match language {
        Language::German => "Veröffentlichte Protokolle:",
        Language::English => "Published minutes:",
    });
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
    match language {
        Language::German => format!("Nr. {} – {owner}: {text}", action.id),
        Language::English => format!("No. {} – {owner}: {text}", action.id),
    }
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
    let intro = match (actions.is_empty(), whose, language) {
        (true, Some(name), Language::German) => {
            format!("{} hat keine offenen Aufgaben.", one_line(name))
        }
        (true, None, Language::German) => "Es gibt keine offenen Aufgaben.".to_owned(),
        (true, Some(name), Language::English) => {
            format!("{} has no open action items.", one_line(name))
        }
        (true, None, Language::English) => "There are no open action items.".to_owned(),
        (false, Some(name), Language::German) => {
            format!("Offene Aufgaben von {}:", one_line(name))
        }
        (false, None, Language::German) => "Alle offenen Aufgaben:".to_owned(),
        (false, Some(name), Language::English) => {
            format!("Open action items for {}:", one_line(name))
        }
        (false, None, Language::English) => "All open action items:".to_owned(),
    };
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
        both.line(&MORE_ACTIONS.line(language, actions.len() - shown));
    }
    if !actions.is_empty() {
        both.line(match language {
            Language::German => "Eine erledigte Aufgabe melden Sie mit !done <Nr.>",
            Language::English => "To report an action item as done, send !done <no.>",
        });
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
    let text = match (outcome, action, language) {
        (DoneOutcome::Closed, Some(action), Language::German) => {
            format!("Erledigt: {}. Vielen Dank!", action_line(language, action))
        }
        (DoneOutcome::Closed, Some(action), Language::English) => {
            format!("Done: {}. Thank you!", action_line(language, action))
        }
        (DoneOutcome::AlreadyDone, _, Language::German) => {
            format!("Die Aufgabe Nr. {number} ist bereits erledigt.")
        }
        (DoneOutcome::AlreadyDone, _, Language::English) => {
            format!("Action item no. {number} is already marked as done.")
        }
        (_, _, Language::German) => format!(
            "Eine offene Aufgabe Nr. {number} Ihrer Kommune gibt es nicht. Ihre offenen Aufgaben zeigt !actions."
        ),
        (_, _, Language::English) => {
            format!(
                "Your municipality has no open action item no. {number}. !actions lists your open action items."
            )
        }
    };
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
    let text = match language {
        Language::German => format!(
            "Erinnerung: Diese Aufgabe aus dem Netzwerk ist am {due} fällig: {}. Sobald sie erledigt ist, melden Sie dies bitte mit !done {}",
            action_line(language, action),
            action.id
        ),
        Language::English => format!(
            "Reminder: this action item from the network is due on {due}: {}. Once it is done, please report it with !done {}",
            action_line(language, action),
            action.id
        ),
    };
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
    let lead = match language {
        Language::German => "Protokoll",
        Language::English => "Minutes",
    };
    super::fan_out::delivery_line(language, lead, title, start, report)
}

/// "… und 7 weitere offene Aufgaben": open action items an agenda leaves out.
pub(super) const MORE_ACTIONS: super::size::More = super::size::More {
    german_one: "… und 1 weitere offene Aufgabe",
    german: "… und {n} weitere offene Aufgaben",
    english_one: "… and 1 more open action item",
    english: "… and {n} more open action items",
};

/// The "Offene Aufgaben" section of an agenda: one line per open action.
pub(super) fn open_actions_lines(both: &mut Both, language: Language, actions: &[ActionItem]) {
    if actions.is_empty() {
        return;
    }
    let heading = match language {
        Language::German => "Offene Aufgaben:",
        Language::English => "Open action items:",
    };
    both.raw_line(heading, &format!("<em>{}</em>", escape_html(heading)));
    for action in actions {
        let line = format!("• {}", action_line(language, action));
        both.line(&line);
    }
}
