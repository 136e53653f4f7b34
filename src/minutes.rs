//! Minutes: the document both routes produce — recorded live in chat (`!topic`, `!info`,
//! `!decision`, `!action`, `!link`) or written by the organizers in an agenda file's
//! `minutes:` section.
//!
//! Pure: the live route hands in the stored [`Record`]s, the file route the validated
//! [`FileMinutes`]; both become one [`Minutes`], which [`crate::render`] turns into the draft,
//! the published message and the Markdown file. Who owns an action (a municipality, or a person
//! with their municipality) is resolved here against the configured members.
//! The actions agreed stay open across meetings until they are done: [`ActionItem`].

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use url::Url;

use crate::schedule::Meeting;

/// The longest text of one entry, in characters.
pub const MAX_ENTRY: usize = 4_000;
/// The most entries one meeting's minutes may hold, so a runaway script cannot grow them forever.
pub const MAX_ENTRIES: usize = 500;

/// The minutes of one meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Minutes {
    /// The meeting's key.
    pub meeting_key: String,
    /// The meeting's title (with the agenda's topic, if any).
    pub title: String,
    /// When it started.
    pub start: DateTime<Tz>,
    /// When it ended.
    pub end: DateTime<Tz>,
    /// Who chaired, as shown.
    pub chairs: Vec<String>,
    /// The municipalities that took part, in the configured order.
    pub present: Vec<String>,
    /// The municipalities that sent their apologies.
    pub excused: Vec<String>,
    /// The agenda items discussed, in order; a first one without title holds what was recorded
    /// before the first `!topic`.
    pub topics: Vec<Topic>,
}

/// One agenda item in the minutes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    /// Its title; `None` for what came before the first item.
    pub title: Option<String>,
    /// The number of the record that opened it (for `!minutes edit`), if any.
    pub number: Option<u32>,
    /// What was recorded under it, in order.
    pub entries: Vec<Entry>,
}

/// One note, decision, action or link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its number in the draft, by which organizers correct it.
    pub number: u32,
    /// What it is.
    pub kind: EntryKind,
    /// Its text (the task, for an action; the link's title, for a link).
    pub text: String,
}

/// What an entry is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    /// A note of what was discussed.
    Info,
    /// A decision.
    Decision,
    /// Something someone is to do.
    Action(Assignment),
    /// A link shared in the meeting.
    Link(Url),
}

/// Who does an action, by when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    /// The owner.
    pub owner: Owner,
    /// The due date.
    pub due: Option<NaiveDate>,
}

/// The owner of an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// A member municipality (its configured name).
    Municipality(String),
    /// A person, with the municipality whose room they are in, if the bot knows one.
    Person {
        /// Their Matrix id.
        user_id: String,
        /// Their municipality.
        municipality: Option<String>,
    },
}

impl Owner {
    /// The municipality the action belongs to, if any.
    pub fn municipality(&self) -> Option<&str> {
        match self {
            Self::Municipality(name) => Some(name),
            Self::Person { municipality, .. } => municipality.as_deref(),
        }
    }
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Municipality(name) => f.write_str(name),
            Self::Person {
                user_id,
                municipality: Some(municipality),
            } => write!(f, "{user_id} ({municipality})"),
            Self::Person {
                user_id,
                municipality: None,
            } => f.write_str(user_id),
        }
    }
}

/// An action item agreed in a meeting's minutes, as it is tracked until it is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionItem {
    /// Its number, for `!done`.
    pub id: i64,
    /// The meeting it was agreed in.
    pub meeting_key: String,
    /// That meeting's start.
    pub meeting_start: DateTime<Utc>,
    /// Who does it.
    pub owner: Owner,
    /// What.
    pub text: String,
    /// By when.
    pub due: Option<NaiveDate>,
    /// Whether it is still open.
    pub open: bool,
}

/// One line recorded live, as the database keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Its number within the meeting's minutes (stable: an undone record keeps its number).
    pub number: u32,
    /// What it is.
    pub kind: RecordKind,
    /// Its text.
    pub text: String,
    /// Whether `!undo` took it back.
    pub undone: bool,
}

/// What a live record is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordKind {
    /// `!topic`: a new agenda item; `agenda_item` is its 0-based place on the agenda when it
    /// was reached with a bare `!topic`.
    Topic {
        /// The agenda item it stands for.
        agenda_item: Option<usize>,
    },
    /// A note, decision, action or link.
    Entry(EntryKind),
}

/// Attendance of one municipality, from `!here` and the RSVP reactions on the announcement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attendance {
    /// Someone said `!here` (or a chair recorded it).
    Here,
    /// ✅ on the announcement.
    Accepted,
    /// ❌ on the announcement.
    Declined,
}

/// The `minutes:` section of an agenda file, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMinutes {
    /// Who chaired.
    pub chairs: Vec<String>,
    /// The municipalities present.
    pub present: Vec<String>,
    /// The municipalities excused.
    pub excused: Vec<String>,
    /// The items discussed.
    pub topics: Vec<FileTopic>,
}

/// One item of a file's minutes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileTopic {
    /// Its title (from the agenda item it names, or its own).
    pub title: String,
    /// Its entries: notes, decisions, actions, links.
    pub entries: Vec<(EntryKind, String)>,
}

impl Minutes {
    /// An empty document for `meeting`.
    fn empty(meeting: &Meeting, title: String) -> Self {
        Self {
            meeting_key: meeting.key.clone(),
            title,
            start: meeting.start,
            end: meeting.end,
            chairs: Vec::new(),
            present: Vec::new(),
            excused: Vec::new(),
            topics: Vec::new(),
        }
    }

    /// The minutes recorded live: records in order, undone ones left out.
    pub fn from_records(
        meeting: &Meeting,
        title: String,
        chairs: Vec<String>,
        attendance: &[(String, Attendance)],
        records: &[Record],
    ) -> Self {
        let mut minutes = Self::empty(meeting, title);
        minutes.chairs = chairs;
        (minutes.present, minutes.excused) = split_attendance(attendance);
        for record in records.iter().filter(|r| !r.undone) {
            match &record.kind {
                RecordKind::Topic { .. } => minutes.topics.push(Topic {
                    title: Some(record.text.clone()),
                    number: Some(record.number),
                    entries: Vec::new(),
                }),
                RecordKind::Entry(kind) => {
                    if minutes.topics.is_empty() {
                        minutes.topics.push(Topic {
                            title: None,
                            number: None,
                            entries: Vec::new(),
                        });
                    }
                    if let Some(topic) = minutes.topics.last_mut() {
                        topic.entries.push(Entry {
                            number: record.number,
                            kind: kind.clone(),
                            text: record.text.clone(),
                        });
                    }
                }
            }
        }
        minutes
    }

    /// The minutes an organizer wrote in the meeting's agenda file, numbered as if recorded
    /// live in the same order.
    pub fn from_file(meeting: &Meeting, title: String, file: &FileMinutes) -> Self {
        let mut minutes = Self::empty(meeting, title);
        minutes.chairs.clone_from(&file.chairs);
        minutes.present.clone_from(&file.present);
        minutes.excused.clone_from(&file.excused);
        let mut number = 0;
        for topic in &file.topics {
            number += 1;
            let topic_number = number;
            let mut entries = Vec::new();
            for (kind, text) in &topic.entries {
                number += 1;
                entries.push(Entry {
                    number,
                    kind: kind.clone(),
                    text: text.clone(),
                });
            }
            minutes.topics.push(Topic {
                title: Some(topic.title.clone()),
                number: Some(topic_number),
                entries,
            });
        }
        minutes
    }

    /// Every action, with the title of the item it was agreed under.
    pub fn actions(&self) -> impl Iterator<Item = (&Entry, &Assignment)> {
        self.topics
            .iter()
            .flat_map(|t| &t.entries)
            .filter_map(|e| match &e.kind {
                EntryKind::Action(assignment) => Some((e, assignment)),
                _ => None,
            })
    }
}

/// Municipalities present (`!here`, or ✅ without a later ❌) and excused (❌), each in the
/// order given (the configured order).
fn split_attendance(attendance: &[(String, Attendance)]) -> (Vec<String>, Vec<String>) {
    let mut present = Vec::new();
    let mut excused = Vec::new();
    for (municipality, status) in attendance {
        match status {
            Attendance::Here | Attendance::Accepted => present.push(municipality.clone()),
            Attendance::Declined => excused.push(municipality.clone()),
        }
    }
    (present, excused)
}

/// The agenda item a bare `!topic` reaches: the one after the last item reached that way.
pub fn next_agenda_item(records: &[Record]) -> usize {
    records
        .iter()
        .rev()
        .filter(|r| !r.undone)
        .find_map(|r| match r.kind {
            RecordKind::Topic {
                agenda_item: Some(index),
            } => Some(index + 1),
            _ => None,
        })
        .unwrap_or(0)
}

/// Why the owner of an action could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OwnerError {
    /// Nothing after the owner.
    #[error("the action has no task")]
    NoTask,
    /// The first words name no member municipality and are no user id.
    #[error("`{0}` is no member municipality and no user id")]
    Unknown(String),
}

/// Splits `<municipality or @user> <task>`: the longest configured municipality name the text
/// starts with (case-insensitively, so "Bad Dürkheim" wins over "Bad"), or a user id.
pub fn split_owner<'t>(
    text: &'t str,
    municipalities: &[String],
) -> Result<(Owner, &'t str), OwnerError> {
    let text = text.trim();
    if text.starts_with('@') {
        let (user, task) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        let task = task.trim();
        if task.is_empty() {
            return Err(OwnerError::NoTask);
        }
        if user.len() > crate::limits::MAX_MATRIX_ID {
            return Err(OwnerError::Unknown(user.chars().take(64).collect()));
        }
        return match matrix_sdk::ruma::UserId::parse(user) {
            Ok(user_id) => Ok((
                Owner::Person {
                    user_id: user_id.to_string(),
                    municipality: None,
                },
                task,
            )),
            Err(_) => Err(OwnerError::Unknown(user.chars().take(64).collect())),
        };
    }
    let lower = text.to_lowercase();
    let found = municipalities
        .iter()
        .filter(|name| {
            let name = name.to_lowercase();
            lower.starts_with(&name)
                && lower[name.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| c.is_whitespace() || c == ':' || c == ',')
        })
        .max_by_key(|name| name.len());
    let Some(name) = found else {
        let word = text.split_whitespace().next().unwrap_or_default();
        return Err(OwnerError::Unknown(word.chars().take(64).collect()));
    };
    // The lower-cased text has the same byte length where the name matched only if the name
    // lower-cases to the same length; find the boundary on the original text instead.
    let cut = text
        .char_indices()
        .nth(name.chars().count())
        .map_or(text.len(), |(index, _)| index);
    let task = text[cut..].trim_start_matches([':', ',']).trim();
    if task.is_empty() {
        return Err(OwnerError::NoTask);
    }
    Ok((Owner::Municipality(name.clone()), task))
}

/// When, on the day before it is due, an action's owner is reminded (local time).
const REMINDER_TIME: chrono::NaiveTime = match chrono::NaiveTime::from_hms_opt(9, 0, 0) {
    Some(time) => time,
    None => chrono::NaiveTime::MIN,
};

/// When the reminder of an action due on `due` may go out: from 09:00 local time the day
/// before until the end of the due date (a bot that was away reminds late, never after).
pub fn reminder_window(due: NaiveDate, timezone: Tz) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let day_before = due.pred_opt()?;
    let day_after = due.succ_opt()?;
    let from = crate::schedule::localize(timezone, day_before, REMINDER_TIME);
    let until = crate::schedule::localize(timezone, day_after, chrono::NaiveTime::MIN);
    Some((from.to_utc(), until.to_utc()))
}

/// The file name of a meeting's minutes: `2026-12-17-videokonferenz.md`.
pub fn file_name(meeting_key: &str, start: DateTime<Tz>) -> String {
    let id = meeting_key.split('/').next().unwrap_or(meeting_key);
    format!("{}-{id}.md", start.format("%Y-%m-%d"))
}

/// Whether `name` is one [`file_name`] makes: a date, a dash, an id ([`crate::fields::is_slug`])
/// and `.md` — one plain file name, never a path. Names read back from the database are checked
/// again with it before they touch the file system or a header: the database is a file in the
/// data directory, and `../../../../etc/passwd` written into it must not lead out.
pub fn is_archive_name(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".md") else {
        return false;
    };
    let (Some(date), Some(id)) = (stem.get(..10), stem.get(10..)) else {
        return false;
    };
    let date_ok = NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .is_ok_and(|day| day.format("%Y-%m-%d").to_string() == date);
    date_ok && id.strip_prefix('-').is_some_and(crate::fields::is_slug)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Status;
    use chrono::TimeZone as _;
    use chrono_tz::Europe::Berlin;

    fn meeting() -> Meeting {
        let start = Berlin.with_ymd_and_hms(2026, 12, 17, 10, 0, 0).unwrap();
        Meeting {
            key: "videokonferenz/2026-12-17".to_owned(),
            series: Some("videokonferenz".to_owned()),
            title: "Videokonferenz".to_owned(),
            start,
            end: start + chrono::TimeDelta::minutes(90),
            video_link: None,
            status: Status::Scheduled,
            note: None,
        }
    }

    fn members() -> Vec<String> {
        ["Bad", "Bad Dürkheim", "Kaiserslautern"]
            .map(str::to_owned)
            .to_vec()
    }

    #[test]
    fn owners_are_the_longest_municipality_or_a_user() {
        assert_eq!(
            split_owner("bad dürkheim Radwege zählen", &members()),
            Ok((
                Owner::Municipality("Bad Dürkheim".to_owned()),
                "Radwege zählen"
            ))
        );
        assert_eq!(
            split_owner("Kaiserslautern: Portal prüfen", &members()),
            Ok((
                Owner::Municipality("Kaiserslautern".to_owned()),
                "Portal prüfen"
            ))
        );
        assert_eq!(
            split_owner("@anna:example.org Folien teilen", &members()),
            Ok((
                Owner::Person {
                    user_id: "@anna:example.org".to_owned(),
                    municipality: None
                },
                "Folien teilen"
            ))
        );
        assert_eq!(
            split_owner("Kaiserslauterner Portal", &members()),
            Err(OwnerError::Unknown("Kaiserslauterner".to_owned()))
        );
        assert_eq!(
            split_owner("Kaiserslautern", &members()),
            Err(OwnerError::NoTask)
        );
    }

    #[test]
    fn undone_records_vanish_and_topics_advance_along_the_agenda() {
        let record = |number, kind, text: &str, undone| Record {
            number,
            kind,
            text: text.to_owned(),
            undone,
        };
        let records = vec![
            record(1, RecordKind::Entry(EntryKind::Info), "Vorab", false),
            record(
                2,
                RecordKind::Topic {
                    agenda_item: Some(0),
                },
                "Begrüßung",
                false,
            ),
            record(3, RecordKind::Entry(EntryKind::Decision), "Falsch", true),
            record(4, RecordKind::Entry(EntryKind::Decision), "Richtig", false),
        ];
        assert_eq!(next_agenda_item(&records), 1);
        let minutes = Minutes::from_records(
            &meeting(),
            "Videokonferenz".to_owned(),
            vec!["@orga:hs".to_owned()],
            &[
                ("Kaiserslautern".to_owned(), Attendance::Here),
                ("Mayen-Koblenz".to_owned(), Attendance::Declined),
            ],
            &records,
        );
        assert_eq!(minutes.topics.len(), 2);
        assert_eq!(minutes.topics[0].title, None);
        assert_eq!(minutes.topics[1].entries.len(), 1);
        assert_eq!(minutes.topics[1].entries[0].number, 4);
        assert_eq!(minutes.present, vec!["Kaiserslautern"]);
        assert_eq!(minutes.excused, vec!["Mayen-Koblenz"]);
    }

    #[test]
    fn reminders_go_out_from_nine_the_day_before_until_the_due_date_ends() {
        // The day before is the last day of summer time: 09:00 CEST is 07:00 UTC.
        let due = NaiveDate::from_ymd_opt(2026, 10, 26).unwrap();
        let (from, until) = reminder_window(due, Berlin).unwrap();
        assert_eq!(from.to_rfc3339(), "2026-10-25T08:00:00+00:00");
        assert_eq!(until.to_rfc3339(), "2026-10-26T23:00:00+00:00");
        let due = NaiveDate::from_ymd_opt(2027, 1, 15).unwrap();
        let (from, until) = reminder_window(due, Berlin).unwrap();
        assert_eq!(from.to_rfc3339(), "2027-01-14T08:00:00+00:00");
        assert_eq!(until.to_rfc3339(), "2027-01-15T23:00:00+00:00");
    }

    #[test]
    fn only_names_convene_makes_are_archive_names() {
        for name in [
            "2026-12-17-videokonferenz.md",
            "2027-03-04-workshop-smart-city.md",
            &file_name("videokonferenz/2026-12-17", meeting().start),
        ] {
            assert!(is_archive_name(name), "{name}");
        }
        for name in [
            "../../../../etc/passwd",
            "2026-12-17-../../x.md",
            "2026-12-17-videokonferenz.md/../../../etc/passwd",
            "/etc/2026-12-17-x.md",
            ".2026-12-17-x.md",
            "2026-12-17-.md",
            "2026-12-17-Video.md",
            "2026-02-30-x.md",
            "+2026-1-17-x.md",
            "2026-12-17-x.md.tmp",
            "2026-12-17-x",
            "",
        ] {
            assert!(!is_archive_name(name), "{name}");
        }
    }

    #[test]
    fn file_names_start_with_the_date() {
        assert_eq!(
            file_name("videokonferenz/2026-12-17", meeting().start),
            "2026-12-17-videokonferenz.md"
        );
        assert_eq!(
            file_name("workshop-smart-city", meeting().start),
            "2026-12-17-workshop-smart-city.md"
        );
    }
}
