//! The organizers' agenda files: one YAML file per meeting under `agendas/`.
//!
//! A file either gives the agenda of one occurrence of a series (`meeting: { series, date }`) or
//! defines a one-off meeting such as a workshop (`meeting: { title, date, start, duration, … }`),
//! optionally in parts with their own audience. A workshop whose date is still to be found gives
//! `candidates:` (the slots to choose from) and `decide_by:` instead of `date:`, `start:` and
//! `duration:`: it becomes a [`PollDraft`], not a meeting, until the organizers decide. The
//! candidates are for the whole workshop; its parts then give no `start:` of their own.
//! Loading validates every file against the
//! configured series and reports every error of every file with `file:line:col`; the bot never
//! writes these files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveTime, TimeDelta};
use chrono_tz::Tz;
use url::Url;

mod minutes;

use crate::diagnostic::{Diagnostic, Diagnostics, echo};
use crate::fields;
use crate::files;
use crate::holidays::State;
use crate::i18n::Text;
use crate::limits;
use crate::poll::{PollDraft, Slot};
use crate::schedule::{Meeting, OneOff, Schedule, Series};
use crate::text;
use crate::yaml::{Document, Mapping, Node, Problem};

/// The agenda of one meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agenda {
    /// The file it came from.
    pub file: PathBuf,
    /// The key of the meeting it belongs to (see [`crate::schedule::Meeting::key`]).
    pub meeting_key: String,
    /// A topic title for the meeting, shown with the meeting's own title.
    pub topic: Option<String>,
    /// The parts of the meeting, in order.
    pub parts: Vec<Part>,
    /// The agenda items, in order.
    pub items: Vec<Item>,
    /// Free notes.
    pub notes: Option<String>,
    /// The minutes, when the organizers wrote them here (for a meeting minuted elsewhere).
    pub minutes: Option<crate::minutes::FileMinutes>,
}

/// A meeting's title, with its agenda's topic: "Videokonferenz: Interne Kommunikation".
pub fn meeting_title(meeting: &Meeting, agenda: Option<&Agenda>) -> String {
    match agenda.and_then(|a| a.topic.as_deref()) {
        Some(topic) => text::one_line(&format!("{}: {topic}", meeting.title)),
        None => text::one_line(&meeting.title),
    }
}

/// A part of a meeting with its own audience (e.g. heads of administration, then specialists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Title.
    pub title: String,
    /// Who it is for.
    pub audience: Option<String>,
    /// Local start time.
    pub start: Option<NaiveTime>,
}

/// One agenda item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Title.
    pub title: String,
    /// Who speaks.
    pub speaker: Option<Speaker>,
    /// Planned length.
    pub duration: Option<TimeDelta>,
    /// Details.
    pub description: Option<String>,
    /// Links for the members.
    pub links: Vec<Link>,
    /// Documents (slides, guides) for the members.
    pub documents: Vec<Link>,
    /// The part it belongs to (0-based), when the meeting has parts.
    pub part: Option<usize>,
}

/// A speaker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Speaker {
    /// Name.
    pub name: String,
    /// Role or office.
    pub role: Option<String>,
    /// Municipality or organization.
    pub municipality: Option<String>,
}

/// A titled link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// What it is.
    pub title: String,
    /// Where.
    pub url: Url,
}

/// All agenda files, validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Agendas {
    /// Agendas by meeting key.
    pub by_meeting: BTreeMap<String, Agenda>,
    /// The one-off meetings the files define.
    pub one_offs: Vec<OneOff>,
    /// The workshops whose date is still to be found, by a poll among the members; they are
    /// not in [`Agendas::one_offs`] (their agendas are in [`Agendas::by_meeting`] all the same).
    pub polls: Vec<PollDraft>,
}

/// What an agenda file defines besides the agenda: a workshop with its date, or one whose date
/// a poll is to find.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Workshop {
    /// A one-off meeting on a fixed date.
    Dated(OneOff),
    /// A workshop with candidate slots and a `decide_by` date.
    Poll(PollDraft),
}

const FILE_KEYS: &[&str] = &["meeting", "topic", "parts", "items", "notes", "minutes"];
const MEETING_KEYS: &[&str] = &[
    "series",
    "date",
    "id",
    "title",
    "start",
    "duration",
    "video_link",
    "cancelled",
    "note",
    "candidates",
    "decide_by",
];
const CANDIDATE_KEYS: &[&str] = &["date", "start", "duration"];
const PART_KEYS: &[&str] = &["title", "audience", "start"];
const ITEM_KEYS: &[&str] = &[
    "title",
    "speaker",
    "duration",
    "description",
    "links",
    "documents",
    "part",
];
const SPEAKER_KEYS: &[&str] = &["name", "role", "municipality"];
const LINK_KEYS: &[&str] = &["title", "url"];

const PARTS: Text = text!(const de: "Teile", en: "parts");
const ITEMS: Text = text!(const de: "Tagesordnungspunkte", en: "items");
const ADD_TITLE: Text = text!(const de: "ergänzen Sie `title:`", en: "add `title:`");

/// Loads every `*.yaml` file in `dir` (sorted by name), validated against the configured
/// series. A missing directory means no agendas.
///
/// An entry named `*.yaml` that is not a regular file (a directory, a named pipe, a device) is
/// reported, not skipped: the organizers meant it as an agenda, and silently leaving out a
/// meeting's agenda would be worse than an error. It is never opened for reading.
pub fn load_dir(
    dir: &Path,
    series: &[Series],
    timezone: Tz,
    holidays: State,
    members: &[String],
) -> Result<Agendas, Diagnostics> {
    let files = agenda_files(dir)?;
    let schedule = Schedule {
        timezone,
        holidays,
        series: series.to_vec(),
        one_offs: Vec::new(),
    };
    let mut agendas = Agendas::default();
    let mut diagnostics = Diagnostics::default();
    // Which file claimed which meeting first, valid or not, so that a second file for a
    // meeting is reported even while the first one has errors of its own.
    let mut claimed: BTreeMap<String, PathBuf> = BTreeMap::new();
    for file in files {
        let loaded = load_file(&file, &schedule, members);
        let key = match &loaded {
            Ok((agenda, _)) => Some(agenda.meeting_key.clone()),
            Err(_) => peek_meeting_key(&file),
        };
        if let Err(errors) = &loaded {
            diagnostics.extend(errors.clone());
        }
        if let Some(key) = key {
            if let Some(earlier) = claimed.get(&key) {
                diagnostics.extend(Diagnostics::from(vec![claimed_twice(&file, &key, earlier)]));
                continue;
            }
            claimed.insert(key, file.clone());
        }
        if let Ok((agenda, workshop)) = loaded {
            match workshop {
                Some(Workshop::Dated(one_off)) => agendas.one_offs.push(one_off),
                Some(Workshop::Poll(poll)) => agendas.polls.push(poll),
                None => {}
            }
            agendas
                .by_meeting
                .insert(agenda.meeting_key.clone(), agenda);
        }
    }
    if diagnostics.is_empty() {
        Ok(agendas)
    } else {
        Err(diagnostics)
    }
}

/// The `*.yaml` (and `*.yml`) entries of `dir`, sorted by name; none when `dir` does not exist.
/// These are the files [`load_dir`] reads, and those [`crate::last_good`] keeps.
pub fn agenda_files(dir: &Path) -> Result<Vec<PathBuf>, Diagnostics> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| {
                path.extension()
                    .is_some_and(|ext| ext == "yaml" || ext == "yml")
            })
            .collect(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(error) => {
            let reason = files::ReadError::Io(error).text();
            return Err(Diagnostics::from(vec![Diagnostic {
                file: dir.to_owned(),
                location: None,
                path: None,
                message: text!(
                    de: "Das Verzeichnis der Tagesordnungen kann nicht gelesen werden: {reason_de}",
                    en: "cannot read the agenda directory: {reason_en}";
                    reason_en = &reason.english,
                    reason_de = &reason.german,
                ),
                hint: None,
            }]));
        }
    };
    files.sort();
    Ok(files)
}

/// The error for a second agenda `file` for the meeting `key`, which the file `earlier`
/// already claimed.
fn claimed_twice(file: &Path, key: &str, earlier: &Path) -> Diagnostic {
    Diagnostic {
        file: file.to_owned(),
        location: Some(crate::diagnostic::Location { line: 1, column: 1 }),
        path: None,
        // Both files are in the same directory: the name is enough, and shows no
        // server path in the organizers' room.
        message: text!(
            de: "Für {key} gibt es bereits eine Tagesordnung in {earlier}",
            en: "{key} already has an agenda in {earlier}";
            key = echo(key),
            earlier = echo(&earlier.file_name().map_or_else(
                || earlier.display().to_string(),
                |name| name.to_string_lossy().into_owned()
            )),
        ),
        hint: Some(text!(
            de: "legen Sie für jeden Termin nur eine Datei an",
            en: "keep one file per meeting"
        )),
    }
}

/// The meeting a file is about, read leniently from a file that has errors.
fn peek_meeting_key(file: &Path) -> Option<String> {
    let text = files::read_text(file, files::YAML_LIMIT).ok()?;
    let document = Document::parse(file, text).ok()?;
    let mut ignored = Vec::new();
    let top = document.root().as_mapping(FILE_KEYS, &mut ignored)?;
    let meeting = top
        .optional("meeting")?
        .as_mapping(MEETING_KEYS, &mut ignored)?;
    let text_of = |key: &str, ignored: &mut Vec<Problem>| {
        meeting
            .optional(key)
            .and_then(|n| n.as_str(ignored).map(str::to_owned))
    };
    match text_of("series", &mut ignored) {
        Some(series) => {
            let date = meeting
                .optional("date")
                .and_then(|n| fields::date(&n, &mut ignored))?;
            Some(format!("{series}/{}", date.format("%Y-%m-%d")))
        }
        None => text_of("id", &mut ignored).or_else(|| {
            file.file_stem()
                .and_then(|s| s.to_str())
                .filter(|s| fields::is_slug(s))
                .map(str::to_owned)
        }),
    }
}

/// Loads one agenda file.
pub fn load_file(
    file: &Path,
    schedule: &Schedule,
    members: &[String],
) -> Result<(Agenda, Option<Workshop>), Diagnostics> {
    let text = files::read_text(file, files::YAML_LIMIT).map_err(|error| {
        let agenda = text!(const de: "die Tagesordnung", en: "agenda");
        Diagnostics::from(vec![error.to_diagnostic(file, &agenda, None)])
    })?;
    let document = Document::parse(file, text)?;
    let mut problems = Vec::new();
    let result = validate(document.root(), file, schedule, members, &mut problems);
    match result {
        Some(result) if problems.is_empty() => Ok(result),
        _ => Err(document.finish(problems)),
    }
}

/// One file: its meeting ([`meeting`]), topic, parts, items, notes and minutes, then whether
/// the items fit into the meeting.
fn validate(
    root: Node<'_>,
    file: &Path,
    schedule: &Schedule,
    members: &[String],
    problems: &mut Vec<Problem>,
) -> Option<(Agenda, Option<Workshop>)> {
    let top = root.as_mapping(FILE_KEYS, problems)?;
    let meeting_node = top.required(
        "meeting",
        text!(
            de: "ergänzen Sie `meeting:`, mit `series:` und `date:` für einen regulären Termin oder mit `title:`, `date:`, `start:` und `duration:` für einen Workshop",
            en: "add `meeting:` with `series:` and `date:` for a regular meeting, or `title:`, `date:`, `start:` and `duration:` for a workshop"
        ),
        problems,
    );
    let meeting = meeting_node
        .as_ref()
        .and_then(|node| meeting(node, file, schedule, problems));
    let topic = top.optional("topic").map(|n| {
        fields::text(
            &n,
            &text!(const de: "das Thema", en: "topic"),
            limits::MAX_TITLE,
            problems,
        )
    });
    let parts = parts(&top, meeting_node.as_ref(), problems);
    let part_count = parts.as_ref().map_or(0, Vec::len);
    let items_node = top.optional("items");
    let items = match &items_node {
        None => Some(Vec::new()),
        Some(node) => fields::list(node, &ITEMS, limits::MAX_ITEMS, problems).map(|list| {
            list.iter()
                .filter_map(|item| agenda_item(item, part_count, problems))
                .collect::<Vec<_>>()
        }),
    };
    let notes = top.optional("notes").map(|n| {
        let notes = text!(const de: "der Text der Notizen", en: "notes");
        fields::prose(&n, &notes, limits::MAX_NOTES, problems)
    });

    let minutes = top.optional("minutes").map(|node| {
        minutes::section(
            &node,
            items.as_deref().unwrap_or_default(),
            members,
            problems,
        )
    });

    let (key, length, workshop) = meeting?;
    let items = items?;
    if let (Some(node), Some(length)) = (&items_node, length) {
        items_fit(node, &items, length, problems);
    }
    Some((
        Agenda {
            file: file.to_owned(),
            meeting_key: key,
            topic: fields::optional(topic)?,
            parts: parts?,
            items,
            notes: fields::optional(notes)?,
            minutes: fields::optional(minutes)?,
        },
        workshop,
    ))
}

/// `parts:`, none when absent; a part with errors is left out (its problems are reported).
/// The parts of a workshop with candidates give no start (see [`part_starts_refused`]).
fn parts(
    top: &Mapping<'_>,
    meeting_node: Option<&Node<'_>>,
    problems: &mut Vec<Problem>,
) -> Option<Vec<Part>> {
    let parts = match top.optional("parts") {
        None => Some(Vec::new()),
        Some(node) => fields::list(&node, &PARTS, limits::MAX_PARTS, problems).map(|items| {
            items
                .iter()
                .filter_map(|item| part(item, problems))
                .collect::<Vec<_>>()
        }),
    };
    if let Some(node) = top.optional("parts")
        && meeting_node.is_some_and(has_candidates)
    {
        part_starts_refused(&node, problems);
    }
    parts
}

/// The items' planned durations together must fit into the meeting's `length`; the problem is
/// shown at `items:`, `node`.
fn items_fit(node: &Node<'_>, items: &[Item], length: TimeDelta, problems: &mut Vec<Problem>) {
    let planned: TimeDelta = items.iter().filter_map(|i| i.duration).sum();
    if planned > length {
        let (planned, length) = (
            crate::duration::Compact(planned),
            crate::duration::Compact(length),
        );
        problems.push(node.problem(
            text!(
                de: "Die Tagesordnungspunkte dauern zusammen {planned} und damit länger als der Termin ({length})",
                en: "the items take {planned}, longer than the meeting's {length}"
            ),
            text!(
                de: "kürzen Sie Tagesordnungspunkte oder verlängern Sie den Termin",
                en: "shorten items or make the meeting longer"
            ),
        ));
    }
}

/// Whether a `meeting:` section gives `candidates:` (read leniently: its own errors are
/// reported by [`meeting`]).
fn has_candidates(node: &Node<'_>) -> bool {
    let mut ignored = Vec::new();
    node.as_mapping(MEETING_KEYS, &mut ignored)
        .is_some_and(|meeting| meeting.optional("candidates").is_some())
}

/// Refuses `start:` in the parts of a workshop with candidates: the chosen slot gives the time,
/// and slots per part are not offered.
fn part_starts_refused(parts: &Node<'_>, problems: &mut Vec<Problem>) {
    let mut ignored = Vec::new();
    for part in parts.as_list(&mut ignored).unwrap_or_default() {
        let Some(mapping) = part.as_mapping(PART_KEYS, &mut ignored) else {
            continue;
        };
        if mapping.optional("start").is_some() {
            problems.push(Problem {
                path: part.path().key("start"),
                target: crate::yaml::Target::Key,
                message: text!(
                    de: "Ein Teil eines Workshops mit `candidates:` hat keine eigene Anfangszeit",
                    en: "a part of a workshop with `candidates:` has no start time of its own"
                ),
                hint: Some(text!(
                    de: "entfernen Sie `start:`: der Workshop beginnt zur Zeit des gewählten Termins; tragen Sie die Zeiten der Teile ein, sobald der Termin feststeht",
                    en: "remove `start:`: the workshop starts when the chosen candidate does; give the parts their times once the date is decided"
                )),
            });
        }
    }
}

/// The meeting a file is about: its key, its length, and the one-off it defines. `series:`
/// makes it a meeting of a configured series ([`series_meeting`]), otherwise the file defines
/// a workshop ([`workshop`]).
fn meeting(
    node: &Node<'_>,
    file: &Path,
    schedule: &Schedule,
    problems: &mut Vec<Problem>,
) -> Option<(String, Option<TimeDelta>, Option<Workshop>)> {
    let meeting = node.as_mapping(MEETING_KEYS, problems)?;
    let candidates = meeting
        .optional("candidates")
        .filter(|_| meeting.optional("series").is_none());
    let date_node = if candidates.is_some() {
        // A poll's candidates give the dates; `date:` beside them is refused below.
        None
    } else {
        meeting.required(
            "date",
            text!(
                de: "ergänzen Sie `date:`, z. B. `2026-12-17`",
                en: "add `date:`, e.g. `2026-12-17`"
            ),
            problems,
        )
    };
    let date = date_node.as_ref().and_then(|n| fields::date(n, problems));
    match meeting.optional("series") {
        Some(series_node) => series_meeting(
            node,
            &meeting,
            &series_node,
            (date_node.as_ref(), date),
            schedule,
            problems,
        ),
        None => workshop(
            node,
            &meeting,
            file,
            candidates.as_ref(),
            date,
            schedule,
            problems,
        ),
    }
}

/// A meeting of a configured series, `series:` at `series_node` on the `date` at `date_node`
/// (`None` where it has errors): its key and length. The meeting must be one of the series';
/// nothing else about it can be set here.
fn series_meeting(
    node: &Node<'_>,
    meeting: &Mapping<'_>,
    series_node: &Node<'_>,
    (date_node, date): (Option<&Node<'_>>, Option<NaiveDate>),
    schedule: &Schedule,
    problems: &mut Vec<Problem>,
) -> Option<(String, Option<TimeDelta>, Option<Workshop>)> {
    let series_id = fields::slug(series_node, problems)?;
    series_keys_refused(node, meeting, problems);
    let series = known_series(series_node, &series_id, schedule, problems)?;
    let date = date?;
    let key = format!("{series_id}/{}", date.format("%Y-%m-%d"));
    let Some(found) = schedule.find(&key) else {
        if let Some(date_node) = date_node {
            let (rule, first) = (&series.rule, series.first);
            problems.push(date_node.problem(
                text!(
                    de: "Am {date} findet kein Termin der Serie `{series_id}` statt",
                    en: "{date} is not a date of the series `{series_id}`"
                ),
                text!(
                    de: "die Serie trifft sich nach der Regel `{rule}`, beginnend am {first}",
                    en: "the series meets by the rule `{rule}`, starting {first}"
                ),
            ));
        }
        return None;
    };
    Some((key, Some(found.end - found.start), None))
}

/// Refuses, for a meeting of a series, every key that only a workshop has: such a meeting is
/// changed in the configuration's `exceptions:`.
fn series_keys_refused(node: &Node<'_>, meeting: &Mapping<'_>, problems: &mut Vec<Problem>) {
    // Every meeting key but the two that name the series' meeting.
    for key in MEETING_KEYS
        .iter()
        .copied()
        .filter(|key| !matches!(*key, "series" | "date"))
    {
        if meeting.optional(key).is_some() {
            problems.push(Problem {
                path: node.path().key(key),
                target: crate::yaml::Target::Key,
                message: text!(
                    de: "`{key}` kann für einen Termin einer Serie hier nicht angegeben werden",
                    en: "`{key}` cannot be set for a meeting of a series here"
                ),
                hint: Some(text!(
                    de: "verschieben, streichen oder ändern Sie einen regulären Termin unter `exceptions:` in der Konfiguration",
                    en: "move, cancel or change a regular meeting under `exceptions:` in the configuration"
                )),
            });
        }
    }
}

/// The configured series `series_id`, or a problem at `series_node` naming those there are.
fn known_series<'s>(
    series_node: &Node<'_>,
    series_id: &str,
    schedule: &'s Schedule,
    problems: &mut Vec<Problem>,
) -> Option<&'s Series> {
    let series = schedule.series.iter().find(|s| s.id == series_id);
    if series.is_none() {
        let known: Vec<&str> = schedule.series.iter().map(|s| s.id.as_str()).collect();
        let known = known.join(", ");
        problems.push(series_node.problem(
            text!(
                de: "Es gibt keine Serie `{series_id}`",
                en: "there is no series `{series_id}`"
            ),
            if known.is_empty() {
                text!(
                    de: "die Konfiguration legt unter `meetings.series` keine Serie an",
                    en: "the configuration defines no series under `meetings.series`"
                )
            } else {
                text!(
                    de: "die konfigurierten Serien: {known}",
                    en: "the configured series: {known}"
                )
            },
        ));
    }
    series
}

/// A workshop the file defines: its id, title, video link, whether it is cancelled, and when
/// it takes place: on a fixed `date`, or, with `candidates`, when a poll decides. Its key is
/// its id, which no series may have.
fn workshop(
    node: &Node<'_>,
    meeting: &Mapping<'_>,
    file: &Path,
    candidates: Option<&Node<'_>>,
    date: Option<NaiveDate>,
    schedule: &Schedule,
    problems: &mut Vec<Problem>,
) -> Option<(String, Option<TimeDelta>, Option<Workshop>)> {
    let id = workshop_id(node, meeting, file, problems);
    let title = workshop_title(meeting, problems);
    let video_link = fields::optional(
        meeting
            .optional("video_link")
            .map(|n| fields::link(&n, problems)),
    );
    let cancelled_node = meeting.optional("cancelled");
    let cancelled = match &cancelled_node {
        None => Some(false),
        Some(n) => fields::flag(n, problems),
    };
    let note = fields::optional(
        meeting
            .optional("note")
            .map(|n| fields::prose(&n, &fields::NOTE, limits::MAX_NOTE, problems)),
    );
    let timing = match candidates {
        Some(candidates) => {
            if let (Some(true), Some(cancelled_node)) = (cancelled, &cancelled_node) {
                poll_cancel_refused(cancelled_node, problems);
            }
            poll_timing(node, meeting, candidates, schedule, problems).map(Timing::Poll)
        }
        None => dated_timing(meeting, date, schedule, problems).map(Timing::Dated),
    };
    let id = id?;
    if schedule.series.iter().any(|s| s.id == id) {
        series_id_refused(node, &id, problems);
        return None;
    }
    let note = note?;
    let (title, video_link, cancelled) = (title?, video_link?, cancelled?);
    match timing? {
        Timing::Dated((date, start, duration)) => {
            let one_off = OneOff {
                id: id.clone(),
                title,
                date,
                start,
                duration,
                video_link,
                cancelled: cancelled.then(|| note.clone()),
            };
            Some((id, Some(duration), Some(Workshop::Dated(one_off))))
        }
        Timing::Poll((slots, decide_by)) => {
            if cancelled {
                return None;
            }
            // The agenda's items must fit into whichever slot is chosen.
            let shortest = slots.iter().map(Slot::duration).min();
            let poll = PollDraft {
                id: id.clone(),
                title,
                slots,
                decide_by,
                video_link,
                note,
            };
            Some((id, shortest, Some(Workshop::Poll(poll))))
        }
    }
}

/// A workshop's id: `id:`, or else the file's name when that is a valid id.
fn workshop_id(
    node: &Node<'_>,
    meeting: &Mapping<'_>,
    file: &Path,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default()
        .to_owned();
    match meeting.optional("id") {
        Some(n) => fields::slug(&n, problems),
        None if fields::is_slug(&stem) => Some(stem),
        None => {
            problems.push(node.problem(
                text!(
                    de: "Dieser Workshop braucht eine Kennung `id:`",
                    en: "this workshop needs an `id:`"
                ),
                text!(
                    de: "der Dateiname ist keine gültige Kennung; ergänzen Sie `id:` mit Kleinbuchstaben, Ziffern und Bindestrichen",
                    en: "the file name is no valid id; add `id:` with lower-case letters, digits and dashes"
                ),
            ));
            None
        }
    }
}

/// A workshop's `title:`, which the file must give.
fn workshop_title(meeting: &Mapping<'_>, problems: &mut Vec<Problem>) -> Option<String> {
    meeting
        .required(
            "title",
            text!(
                de: "ergänzen Sie `title:`, den Titel des Workshops",
                en: "add `title:`, the workshop's title"
            ),
            problems,
        )
        .and_then(|n| fields::text(&n, &fields::TITLE, limits::MAX_TITLE, problems))
}

/// Refuses `cancelled: true` (at `cancelled_node`) for a workshop whose date a poll is still
/// to find: the poll is called off by deleting the file.
fn poll_cancel_refused(cancelled_node: &Node<'_>, problems: &mut Vec<Problem>) {
    problems.push(cancelled_node.problem(
        text!(
            de: "Ein Workshop, dessen Termin noch gesucht wird, kann nicht abgesagt werden",
            en: "a workshop whose date is still to be found cannot be cancelled"
        ),
        text!(
            de: "entfernen Sie `cancelled: true`; um die Umfrage abzubrechen, löschen Sie die Datei",
            en: "remove `cancelled: true`; to call the poll off, delete the file"
        ),
    ));
}

/// Refuses a workshop's `id` that is already a series' id; the problem is shown at the
/// `meeting:` section, `node`.
fn series_id_refused(node: &Node<'_>, id: &str, problems: &mut Vec<Problem>) {
    problems.push(node.problem(
        text!(
            de: "Die Kennung `{id}` ist bereits die Kennung einer Serie",
            en: "the id `{id}` is already the id of a series"
        ),
        text!(
            de: "geben Sie dem Workshop eine eigene Kennung",
            en: "give the workshop an id of its own"
        ),
    ));
}

/// When a workshop takes place: its date, start and duration, or its candidate slots and the
/// day by which the members answer.
enum Timing {
    Dated((NaiveDate, NaiveTime, TimeDelta)),
    Poll((Vec<Slot>, NaiveDate)),
}

/// `date:`, `start:` and `duration:` of a workshop on a fixed date; `decide_by:` without
/// `candidates:` is refused.
fn dated_timing(
    meeting: &Mapping<'_>,
    date: Option<NaiveDate>,
    schedule: &Schedule,
    problems: &mut Vec<Problem>,
) -> Option<(NaiveDate, NaiveTime, TimeDelta)> {
    if let Some(decide_by) = meeting.optional("decide_by") {
        problems.push(Problem {
            path: decide_by.path().clone(),
            target: crate::yaml::Target::Key,
            message: text!(
                de: "`decide_by` gibt es nur für einen Workshop, dessen Termin eine Umfrage findet",
                en: "`decide_by` is only for a workshop whose date a poll finds"
            ),
            hint: Some(text!(
                de: "ergänzen Sie statt `date:`, `start:` und `duration:` die Liste `candidates:` mit den Terminen zur Auswahl, oder entfernen Sie `decide_by:`",
                en: "add `candidates:` with the slots to choose from instead of `date:`, `start:` and `duration:`, or remove `decide_by:`"
            )),
        });
    }
    let start_node = meeting.required(
        "start",
        text!(de: "ergänzen Sie `start: \"10:00\"`", en: "add `start: \"10:00\"`"),
        problems,
    );
    let start = start_node.as_ref().and_then(|n| fields::time(n, problems));
    if let (Some(date), Some(start), Some(start_node)) = (date, start, &start_node) {
        fields::existing_time(start_node, schedule.timezone, date, start, problems);
    }
    let duration = meeting
        .required(
            "duration",
            text!(de: "ergänzen Sie `duration: 2h`", en: "add `duration: 2h`"),
            problems,
        )
        .and_then(|n| fields::duration(&n, problems));
    Some((date?, start?, duration?))
}

/// The candidate slots and `decide_by` of a workshop whose date a poll finds. `date:`,
/// `start:` and `duration:` beside them are refused; every slot is a real local time, starts
/// after the `decide_by` day and differs from the others.
fn poll_timing(
    node: &Node<'_>,
    meeting: &Mapping<'_>,
    candidates: &Node<'_>,
    schedule: &Schedule,
    problems: &mut Vec<Problem>,
) -> Option<(Vec<Slot>, NaiveDate)> {
    fixed_timing_refused(node, meeting, problems);
    let decide_by = meeting
        .required(
            "decide_by",
            text!(
                de: "ergänzen Sie `decide_by:`, den letzten Tag für Antworten auf die Umfrage, z. B. `2027-01-15`",
                en: "add `decide_by:`, the last day to answer the poll, e.g. `2027-01-15`"
            ),
            problems,
        )
        .and_then(|n| fields::date(&n, problems));
    let what = text!(const de: "Termine zur Auswahl", en: "candidates");
    let list = fields::list(candidates, &what, limits::MAX_CANDIDATES, problems)?;
    if list.len() < limits::MIN_CANDIDATES {
        let (count, min) = (list.len(), limits::MIN_CANDIDATES);
        problems.push(candidates.problem(
            text!(
                de: "Eine Umfrage braucht mindestens {min} Termine zur Auswahl, nicht {count}",
                en: "a poll needs at least {min} candidates, not {count}"
            ),
            text!(
                de: "ergänzen Sie einen weiteren Termin, oder geben Sie dem Workshop stattdessen `date:`, `start:` und `duration:`",
                en: "add another candidate, or give the workshop `date:`, `start:` and `duration:` instead"
            ),
        ));
    }
    let poll_end = decide_by.map(|decide_by| poll_end(decide_by, schedule.timezone));
    let mut slots: Vec<Option<Slot>> = Vec::new();
    for item in &list {
        let slot = candidate(item, schedule, problems);
        if let Some(slot) = slot {
            if let Some(first) = slots.iter().position(|s| *s == Some(slot)) {
                repeated_slot(item, first, &slot, problems);
            }
            if let (Some(poll_end), Some(decide_by)) = (poll_end, decide_by)
                && slot.start < poll_end
            {
                slot_before_decision(item, &slot, decide_by, problems);
            }
        }
        slots.push(slot);
    }
    let slots: Option<Vec<Slot>> = slots.into_iter().collect();
    let slots = slots
        .filter(|slots| (limits::MIN_CANDIDATES..=limits::MAX_CANDIDATES).contains(&slots.len()))?;
    Some((slots, decide_by?))
}

/// Refuses `date:`, `start:` and `duration:` beside `candidates:` in the `meeting:` section
/// `node`: every candidate gives its own.
fn fixed_timing_refused(node: &Node<'_>, meeting: &Mapping<'_>, problems: &mut Vec<Problem>) {
    for key in ["date", "start", "duration"] {
        if meeting.optional(key).is_some() {
            problems.push(Problem {
                path: node.path().key(key),
                target: crate::yaml::Target::Key,
                message: text!(
                    de: "`{key}` und `candidates` können nicht zugleich angegeben werden",
                    en: "`{key}` and `candidates` cannot both be given"
                ),
                hint: Some(text!(
                    de: "entfernen Sie `{key}:`: jeder Termin unter `candidates:` hat eigene Angaben `date:`, `start:` und `duration:`; oder entfernen Sie `candidates:` und `decide_by:` für einen Workshop mit festem Termin",
                    en: "remove `{key}:`: every candidate has its own `date:`, `start:` and `duration:`; or remove `candidates:` and `decide_by:` for a workshop on a fixed date"
                )),
            });
        }
    }
}

/// When a poll answered by `decide_by` ends: the end of that day in `timezone` (see
/// [`PollDraft::decide_by_end`]).
fn poll_end(decide_by: NaiveDate, timezone: Tz) -> chrono::DateTime<Tz> {
    let draft = PollDraft {
        id: String::new(),
        title: String::new(),
        slots: Vec::new(),
        decide_by,
        video_link: None,
        note: None,
    };
    draft.decide_by_end(timezone)
}

/// Refuses the candidate `item` whose `slot` is the same as `candidates[first]`.
fn repeated_slot(item: &Node<'_>, first: usize, slot: &Slot, problems: &mut Vec<Problem>) {
    let shown = slot_text(slot);
    problems.push(item.problem(
        text!(
            de: "Derselbe Termin wie `candidates[{first}]` ({shown})",
            en: "the same slot as `candidates[{first}]` ({shown})"
        ),
        text!(
            de: "bieten Sie jeden Termin nur einmal an",
            en: "offer every slot once"
        ),
    ));
}

/// Refuses the candidate `item` whose `slot` starts before the poll ends, at the end of the
/// `decide_by` day; the problem is shown at its `date:` where it has one.
fn slot_before_decision(
    item: &Node<'_>,
    slot: &Slot,
    decide_by: NaiveDate,
    problems: &mut Vec<Problem>,
) {
    let (day, time) = (slot.start.format("%Y-%m-%d"), slot.start.format("%H:%M"));
    let date_node = item
        .as_mapping(CANDIDATE_KEYS, &mut Vec::new())
        .and_then(|m| m.optional("date"))
        .unwrap_or_else(|| item.clone());
    problems.push(date_node.problem(
        text!(
            de: "Dieser Termin beginnt am {day} um {time} und damit vor dem Ende von `decide_by` ({decide_by})",
            en: "this candidate starts on {day} at {time}, before the end of `decide_by` ({decide_by})"
        ),
        text!(
            de: "jeder Termin muss nach dem letzten Tag für Antworten beginnen: wählen Sie ein späteres Datum oder ein früheres `decide_by:`",
            en: "every candidate must start after the day the members answer by: choose a later date or an earlier `decide_by:`"
        ),
    ));
}

/// A slot as organizers wrote it: "2027-02-03 10:00, 3h".
fn slot_text(slot: &Slot) -> String {
    format!(
        "{}, {}",
        slot.start.format("%Y-%m-%d %H:%M"),
        crate::duration::Compact(slot.duration())
    )
}

/// One candidate: a mapping of exactly `date:`, `start:` and `duration:`.
fn candidate(node: &Node<'_>, schedule: &Schedule, problems: &mut Vec<Problem>) -> Option<Slot> {
    let candidate = node.as_mapping(CANDIDATE_KEYS, problems)?;
    let date = candidate
        .required(
            "date",
            text!(
                de: "ergänzen Sie `date:`, z. B. `2027-02-03`",
                en: "add `date:`, e.g. `2027-02-03`"
            ),
            problems,
        )
        .and_then(|n| fields::date(&n, problems));
    let start_node = candidate.required(
        "start",
        text!(de: "ergänzen Sie `start: \"10:00\"`", en: "add `start: \"10:00\"`"),
        problems,
    );
    let start = start_node.as_ref().and_then(|n| fields::time(n, problems));
    let exists = match (date, start, &start_node) {
        (Some(date), Some(start), Some(start_node)) => {
            fields::existing_time(start_node, schedule.timezone, date, start, problems)
        }
        _ => None,
    };
    let duration = candidate
        .required(
            "duration",
            text!(de: "ergänzen Sie `duration: 3h`", en: "add `duration: 3h`"),
            problems,
        )
        .and_then(|n| fields::duration(&n, problems));
    exists?;
    let slot = Slot::new(schedule.timezone, date?, start?, duration?);
    if slot.is_none() {
        problems.push(node.problem(
            text!(
                de: "Dieser Termin endet außerhalb des Zeitraums, mit dem convene plant",
                en: "this slot ends outside the dates convene plans with"
            ),
            None,
        ));
    }
    slot
}

fn part(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<Part> {
    let part = node.as_mapping(PART_KEYS, problems)?;
    let title = part
        .required(
            "title",
            text!(
                de: "ergänzen Sie `title:`, z. B. `Offizieller Teil`",
                en: "add `title:`, e.g. `Offizieller Teil`"
            ),
            problems,
        )
        .and_then(|n| fields::text(&n, &fields::TITLE, limits::MAX_TITLE, problems));
    let audience = part.optional("audience").map(|n| {
        let audience = text!(const de: "die Zielgruppe", en: "audience");
        fields::text(&n, &audience, limits::MAX_NAME, problems)
    });
    let start = part.optional("start").map(|n| fields::time(&n, problems));
    Some(Part {
        title: title?,
        audience: fields::optional(audience)?,
        start: fields::optional(start)?,
    })
}

fn agenda_item(node: &Node<'_>, part_count: usize, problems: &mut Vec<Problem>) -> Option<Item> {
    let item = node.as_mapping(ITEM_KEYS, problems)?;
    let title = item
        .required("title", ADD_TITLE, problems)
        .and_then(|n| fields::text(&n, &fields::TITLE, limits::MAX_TITLE, problems));
    let speaker = item.optional("speaker").map(|n| speaker(&n, problems));
    let duration = item
        .optional("duration")
        .map(|n| fields::duration(&n, problems));
    let description = item.optional("description").map(|n| {
        let description = text!(const de: "die Beschreibung", en: "description");
        fields::prose(&n, &description, limits::MAX_DESCRIPTION, problems)
    });
    let links = links_of(item.optional("links"), problems);
    let documents = links_of(item.optional("documents"), problems);
    let part = match item.optional("part") {
        None => Some(None),
        Some(n) => {
            let number = n.as_integer(problems);
            match number.and_then(|n| usize::try_from(n).ok()) {
                Some(index) if (1..=part_count).contains(&index) => Some(Some(index - 1)),
                _ if number.is_some() => {
                    let number = number.unwrap_or_default();
                    problems.push(n.problem(
                        text!(de: "Es gibt keinen Teil {number}", en: "there is no part {number}"),
                        if part_count == 0 {
                            text!(
                                de: "diese Tagesordnung hat keine `parts:`",
                                en: "this agenda has no `parts:`"
                            )
                        } else {
                            text!(
                                de: "nummerieren Sie die Teile von 1 bis {part_count}",
                                en: "number the parts from 1 to {part_count}"
                            )
                        },
                    ));
                    None
                }
                _ => None,
            }
        }
    };
    Some(Item {
        title: title?,
        speaker: fields::optional(speaker)?,
        duration: fields::optional(duration)?,
        description: fields::optional(description)?,
        links: links?,
        documents: documents?,
        part: part?,
    })
}

fn speaker(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<Speaker> {
    let speaker = node.as_mapping(SPEAKER_KEYS, problems)?;
    let name = speaker
        .required(
            "name",
            text!(de: "ergänzen Sie `name:`", en: "add `name:`"),
            problems,
        )
        .and_then(|n| {
            fields::text(
                &n,
                &text!(const de: "der Name", en: "name"),
                limits::MAX_NAME,
                problems,
            )
        });
    let role = speaker.optional("role").map(|n| {
        fields::text(
            &n,
            &text!(const de: "die Rolle", en: "role"),
            limits::MAX_NAME,
            problems,
        )
    });
    let municipality = speaker
        .optional("municipality")
        .map(|n| fields::text(&n, &fields::MUNICIPALITY, limits::MAX_NAME, problems));
    Some(Speaker {
        name: name?,
        role: fields::optional(role)?,
        municipality: fields::optional(municipality)?,
    })
}

pub(super) fn links_of(node: Option<Node<'_>>, problems: &mut Vec<Problem>) -> Option<Vec<Link>> {
    let Some(node) = node else {
        return Some(Vec::new());
    };
    let items = fields::list(&node, &fields::LINKS, limits::MAX_LINKS, problems)?;
    let links: Vec<Option<Link>> = items
        .iter()
        .map(|item| {
            let link = item.as_mapping(LINK_KEYS, problems)?;
            let title = link
                .required("title", ADD_TITLE, problems)
                .and_then(|n| fields::text(&n, &fields::TITLE, limits::MAX_TITLE, problems));
            let url = link
                .required(
                    "url",
                    text!(de: "ergänzen Sie `url:`", en: "add `url:`"),
                    problems,
                )
                .and_then(|n| fields::link(&n, problems));
            Some(Link {
                title: title?,
                url: url?,
            })
        })
        .collect();
    links.into_iter().collect()
}

/// An accepted proposal as an agenda item, in the file format (`convene agenda export`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExportedItem {
    /// The title.
    pub title: String,
    /// The description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Who proposed it.
    pub speaker: ExportedSpeaker,
    /// The part it was accepted into.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<u32>,
}

/// The proposer, as the item's speaker.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExportedSpeaker {
    /// Their Matrix id (the organizers may put the name instead).
    pub name: String,
    /// Their municipality.
    pub municipality: String,
}

/// The YAML for the accepted proposals of a meeting, ready to paste under `items:`.
pub fn export(meeting_key: &str, accepted: &[crate::proposal::Proposal]) -> Result<String, String> {
    let items: Vec<ExportedItem> = accepted
        .iter()
        .map(|p| ExportedItem {
            title: p.title.clone(),
            description: p.description.clone(),
            speaker: ExportedSpeaker {
                name: p.sender.clone(),
                municipality: p.municipality.clone(),
            },
            part: p.part,
        })
        .collect();
    let header = format!(
        "# Accepted proposals for {meeting_key}: paste under `items:` in the meeting's agenda file.\n"
    );
    if items.is_empty() {
        return Ok(format!("{header}# (none)\n"));
    }
    Ok(format!("{header}{}", crate::yaml::to_yaml(&items)?))
}
