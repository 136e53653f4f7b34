//! Minute-taking in chat: `!minutes …`, the chairs' recording commands, `!here`, `!actions`,
//! `!done`, and the RSVP reactions (✅ / ❌) on announcements.
//!
//! Minutes are recorded in the organizers' room (or the configured minutes room), one meeting
//! at a time; every line is stored at once (a restart loses nothing), under the event and
//! position of the command, so a message seen twice records its lines once. Approval keeps the
//! text as approved, archives it as Markdown under `DATA_DIR/minutes/`, records the action
//! items, and asks the posting job to publish it everywhere, exactly once per room.

use chrono::{DateTime, TimeDelta, Utc};
use matrix_sdk::ruma::UserId;
use matrix_sdk::ruma::events::reaction::OriginalSyncReactionEvent;
use tracing::warn;

use super::super::posting::Request;
use super::super::records;
use super::{ChatRoom, HORIZON, Invocation, municipality_of, new_token};
use crate::command::{ActionArguments, CommandError, CommandId, MinutesCommand, Recording};
use crate::minutes::{self, Assignment, Attendance, EntryKind, Owner, OwnerError, RecordKind};
use crate::network::Network;
use crate::render::{self, DoneOutcome, MinutesReply, Publication, RecordedKind, Rendered};
use crate::schedule::Meeting;
use crate::store::{MinutesRow, MinutesSource, MinutesStatus, NewMinutes, Store};

/// How long before its start a meeting counts as running, for `!here`.
const EARLY_ARRIVAL: TimeDelta = TimeDelta::minutes(30);

/// `!minutes …`: show, start, edit, approve or list.
pub async fn minutes(invocation: &Invocation<'_>, sub: MinutesCommand) -> Rendered {
    match sub {
        MinutesCommand::Show => show(invocation),
        MinutesCommand::Start => start(invocation).await,
        MinutesCommand::Edit { number, text } => edit(invocation, number, &text).await,
        MinutesCommand::Approve(date) => approve(invocation, date).await,
        MinutesCommand::List => list(invocation),
    }
}

/// A reply about minutes, in the network's language.
fn reply(invocation: &Invocation<'_>, reply: &MinutesReply) -> Rendered {
    render::minutes_reply(invocation.language(), reply)
}

/// A failure of the database, logged; the chair is told the bot cannot record now.
fn failed(invocation: &Invocation<'_>, error: &crate::store::StoreError) -> Rendered {
    warn!(%error, "the minutes database failed");
    reply(invocation, &MinutesReply::Failed)
}

/// The member municipality whose room `user_id` is in, if exactly one.
async fn municipality_of_user(invocation: &Invocation<'_>, user_id: &str) -> Option<String> {
    let user = UserId::parse(user_id).ok()?;
    let mut found = invocation
        .room
        .municipalities_of(&user, invocation.roster())
        .await;
    (found.len() == 1).then(|| found.remove(0))
}

/// The meeting running now, or else the next one. With `early` (for `!here`) only a running
/// meeting counts, from a little before its start.
fn current_or_next(network: &Network, now: DateTime<Utc>, early: bool) -> Option<Meeting> {
    let lead = if early {
        EARLY_ARRIVAL
    } else {
        TimeDelta::zero()
    };
    let running = network
        .schedule
        .meetings_between(
            crate::schedule::earlier(now, TimeDelta::days(2)),
            crate::schedule::later(now, lead + TimeDelta::seconds(1)),
        )
        .into_iter()
        .rfind(|m| m.takes_place() && m.end > now);
    running.or_else(|| {
        if early {
            None
        } else {
            network.schedule.next_taking_place(now, HORIZON)
        }
    })
}

/// The agenda items a bare `!topic` steps through: the file's items, then accepted proposals.
fn agenda_titles(invocation: &Invocation<'_>, meeting: &Meeting) -> Vec<String> {
    let mut titles: Vec<String> = invocation
        .network
        .agenda(meeting)
        .map(|a| a.items.iter().map(|i| i.title.clone()).collect())
        .unwrap_or_default();
    match invocation.store().accepted_for(&meeting.key) {
        Ok(accepted) => titles.extend(accepted.into_iter().map(|p| p.title)),
        Err(error) => warn!(%error, "cannot read accepted proposals"),
    }
    titles
}

async fn start(invocation: &Invocation<'_>) -> Rendered {
    if !invocation.in_minutes_room() {
        return reply(invocation, &MinutesReply::WrongRoom);
    }
    let store = invocation.store();
    match store.minutes_with_status(MinutesStatus::Recording) {
        Ok(recording) => {
            if let Some(row) = recording.first() {
                return reply(
                    invocation,
                    &MinutesReply::AlreadyRecording {
                        title: row.meeting_title.clone(),
                    },
                );
            }
        }
        Err(error) => return failed(invocation, &error),
    }
    let Some(meeting) = current_or_next(invocation.network, invocation.now, false) else {
        return reply(invocation, &MinutesReply::NoMeeting);
    };
    let agenda = invocation.network.agenda(&meeting);
    let title = crate::agenda::meeting_title(&meeting, agenda);
    if agenda.is_some_and(|a| a.minutes.is_some()) {
        return reply(invocation, &MinutesReply::AlreadyHasMinutes { title });
    }
    let sender = &invocation.sender;
    let shown = invocation.room.shown(sender).await;
    let started = store.start_minutes(
        &NewMinutes {
            meeting_key: &meeting.key,
            source: MinutesSource::Live,
            status: MinutesStatus::Recording,
            room_id: invocation.room.room_id().as_str(),
            started_by: sender.as_str(),
            meeting_title: &title,
            meeting_start: meeting.start.with_timezone(&Utc),
            now: invocation.now,
        },
        &shown,
    );
    match started {
        Ok(true) => reply(
            invocation,
            &MinutesReply::Started {
                when: render::date_range(invocation.language(), meeting.start, meeting.end),
                agenda: agenda_titles(invocation, &meeting),
                title,
            },
        ),
        Ok(false) => reply(invocation, &MinutesReply::AlreadyHasMinutes { title }),
        Err(error) => failed(invocation, &error),
    }
}

/// The minutes being recorded, if the sender may record in them here; otherwise the reply.
fn recording(invocation: &Invocation<'_>, command: CommandId) -> Result<MinutesRow, Rendered> {
    let store = invocation.store();
    let row = match store.minutes_with_status(MinutesStatus::Recording) {
        Ok(mut rows) if !rows.is_empty() => rows.remove(0),
        Ok(_) => return Err(reply(invocation, &MinutesReply::NotRecording)),
        Err(error) => return Err(failed(invocation, &error)),
    };
    if row.room_id != invocation.room.room_id().as_str() {
        return Err(reply(invocation, &MinutesReply::WrongRoom));
    }
    if !invocation
        .is_chair(&row.meeting_key)
        .map_err(|error| failed(invocation, &error))?
    {
        return Err(render::command_error(
            invocation.language(),
            &CommandError::NotChair { command },
        ));
    }
    Ok(row)
}

/// The owner and task of `!action`, with a person's municipality looked up in the member rooms.
async fn assignment(
    invocation: &Invocation<'_>,
    arguments: &ActionArguments,
) -> Result<(Assignment, String), MinutesReply> {
    let municipalities = invocation.municipalities();
    let (owner, task) =
        minutes::split_owner(&arguments.owner_and_task, &municipalities).map_err(|error| {
            match error {
                OwnerError::NoTask => MinutesReply::NoTask,
                OwnerError::Unknown(given) => MinutesReply::UnknownOwner {
                    given,
                    known: municipalities.clone(),
                },
            }
        })?;
    let owner = match owner {
        Owner::Person { user_id, .. } => Owner::Person {
            municipality: municipality_of_user(invocation, &user_id).await,
            user_id,
        },
        owner => owner,
    };
    Ok((
        Assignment {
            owner,
            due: arguments.due,
        },
        task.to_owned(),
    ))
}

/// Records what a chair said: a line of the minutes, a new chair, the end, or an undo.
pub async fn record(invocation: &Invocation<'_>, recording: Recording) -> Rendered {
    // Ended by this very command before a crash: the draft again, not "nothing is recorded".
    if matches!(recording, Recording::End)
        && let Ok(Some(row)) = invocation
            .store()
            .minutes_changed_by(&invocation.command_ref())
    {
        return draft(invocation, &row);
    }
    let row = match self::recording(invocation, recording.id()) {
        Ok(row) => row,
        Err(reply) => return reply,
    };
    let line = match recording {
        Recording::End => return end(invocation, &row),
        Recording::Undo => return undo(invocation, &row),
        Recording::Chair(user) => return add_chair(invocation, &row, &user).await,
        Recording::Topic(Some(title)) => Ok((
            RecordKind::Topic { agenda_item: None },
            title,
            RecordedKind::Topic,
        )),
        Recording::Topic(None) => next_topic(invocation, &row),
        Recording::Info(text) => Ok((RecordKind::Entry(EntryKind::Info), text, RecordedKind::Info)),
        Recording::Decision(text) => Ok((
            RecordKind::Entry(EntryKind::Decision),
            text,
            RecordedKind::Decision,
        )),
        Recording::Action(arguments) => match assignment(invocation, &arguments).await {
            Ok((assignment, task)) => Ok((
                RecordKind::Entry(EntryKind::Action(assignment)),
                task,
                RecordedKind::Action,
            )),
            Err(answer) => Err(reply(invocation, &answer)),
        },
        Recording::Link { url, title } => Ok((
            RecordKind::Entry(EntryKind::Link(url)),
            title,
            RecordedKind::Link,
        )),
    };
    match line {
        Ok((kind, text, what)) => record_line(invocation, &row, &kind, text, what),
        Err(answer) => answer,
    }
}

/// `!end`: the minutes become a draft, shown to the chair (and to the organizers, if they were
/// taken in a minutes room of their own).
fn end(invocation: &Invocation<'_>, row: &MinutesRow) -> Rendered {
    let store = invocation.store();
    if let Err(error) =
        store.end_minutes(&row.meeting_key, invocation.now, &invocation.command_ref())
    {
        return failed(invocation, &error);
    }
    draft(invocation, row)
}

/// The draft of ended minutes, to the chair (and, taken in a room of its own, to the organizers).
fn draft(invocation: &Invocation<'_>, row: &MinutesRow) -> Rendered {
    let store = invocation.store();
    let key = &row.meeting_key;
    let Some(minutes) = records::document(invocation.network, store, row) else {
        return reply(invocation, &MinutesReply::Failed);
    };
    let draft = render::minutes_draft(
        invocation.language(),
        &invocation.network.roster().name,
        &minutes,
        true,
    );
    // Taken in a minutes room of its own: the organizers get the draft, too.
    if !invocation.in_organizers_room() {
        let _ = invocation.context.requests.send(Request::Notify {
            key: format!("minutes-draft/{key}/live"),
            notice: draft.clone(),
        });
    }
    draft
}

/// `!undo`: the last line is taken back.
fn undo(invocation: &Invocation<'_>, row: &MinutesRow) -> Rendered {
    match invocation
        .store()
        .undo_last(&row.meeting_key, &invocation.command_ref())
    {
        Ok(Some(undone)) => reply(
            invocation,
            &MinutesReply::Undone {
                number: undone.number,
                text: undone.text,
            },
        ),
        Ok(None) => reply(invocation, &MinutesReply::NothingToUndo),
        Err(error) => failed(invocation, &error),
    }
}

/// `!chair @user`: one more chair.
async fn add_chair(invocation: &Invocation<'_>, row: &MinutesRow, user: &UserId) -> Rendered {
    let shown = invocation.room.shown(user).await;
    match invocation
        .store()
        .add_chair(&row.meeting_key, user.as_str(), &shown, invocation.now)
    {
        Ok(_) => reply(invocation, &MinutesReply::ChairAdded(shown)),
        Err(error) => failed(invocation, &error),
    }
}

/// A bare `!topic`: the next item of the agenda, or the reply that the agenda is done.
fn next_topic(
    invocation: &Invocation<'_>,
    row: &MinutesRow,
) -> Result<(RecordKind, String, RecordedKind), Rendered> {
    let records = invocation
        .store()
        .records(&row.meeting_key)
        .map_err(|error| failed(invocation, &error))?;
    let meeting = records::meeting_of(invocation.network, row);
    let next = minutes::next_agenda_item(&records);
    let Some(title) = agenda_titles(invocation, &meeting).into_iter().nth(next) else {
        return Err(reply(invocation, &MinutesReply::AgendaDone));
    };
    Ok((
        RecordKind::Topic {
            agenda_item: Some(next),
        },
        title,
        RecordedKind::Topic,
    ))
}

/// Stores one line of the minutes, once per command (by its event and position).
fn record_line(
    invocation: &Invocation<'_>,
    row: &MinutesRow,
    kind: &RecordKind,
    text: String,
    what: RecordedKind,
) -> Rendered {
    let source = format!("{}#{}", invocation.event_id, invocation.position);
    match invocation.store().record(
        &row.meeting_key,
        kind,
        &text,
        invocation.sender.as_str(),
        &source,
        invocation.now,
    ) {
        Ok(Some(number)) => {
            let shown = match kind {
                RecordKind::Entry(EntryKind::Action(assignment)) => {
                    format!("{}: {text}", assignment.owner)
                }
                _ => text,
            };
            reply(
                invocation,
                &MinutesReply::Recorded {
                    number,
                    what,
                    text: shown,
                },
            )
        }
        Ok(None) => reply(invocation, &MinutesReply::Full),
        Err(error) => failed(invocation, &error),
    }
}

/// The minutes `!minutes` and `!minutes edit` are about: those being recorded, or else the
/// newest draft.
fn current_minutes(invocation: &Invocation<'_>) -> Result<Option<MinutesRow>, Rendered> {
    let store = invocation.store();
    let rows = store
        .minutes_with_status(MinutesStatus::Recording)
        .and_then(|mut recording| {
            if recording.is_empty() {
                recording = store.minutes_with_status(MinutesStatus::Draft)?;
            }
            Ok(recording)
        })
        .map_err(|error| failed(invocation, &error))?;
    Ok(rows.into_iter().next_back())
}

fn may_correct(invocation: &Invocation<'_>, row: &MinutesRow) -> bool {
    invocation.is_organizer() || invocation.is_chair(&row.meeting_key).unwrap_or(false)
}

fn show(invocation: &Invocation<'_>) -> Rendered {
    let row = match current_minutes(invocation) {
        Ok(Some(row)) => row,
        Ok(None) => return reply(invocation, &MinutesReply::NotRecording),
        Err(reply) => return reply,
    };
    if !invocation.in_minutes_room() {
        return reply(invocation, &MinutesReply::WrongRoom);
    }
    match records::document(invocation.network, invocation.store(), &row) {
        Some(minutes) => render::minutes_draft(
            invocation.language(),
            &invocation.network.roster().name,
            &minutes,
            row.source == MinutesSource::Live,
        ),
        None => reply(invocation, &MinutesReply::Failed),
    }
}

async fn edit(invocation: &Invocation<'_>, number: u32, text: &str) -> Rendered {
    let row = match current_minutes(invocation) {
        Ok(Some(row)) => row,
        Ok(None) => return reply(invocation, &MinutesReply::NoDraft),
        Err(reply) => return reply,
    };
    if !invocation.in_minutes_room() {
        return reply(invocation, &MinutesReply::WrongRoom);
    }
    if !may_correct(invocation, &row) {
        return render::command_error(
            invocation.language(),
            &CommandError::NotChair {
                command: CommandId::MinutesEdit,
            },
        );
    }
    if row.source == MinutesSource::File {
        return reply(invocation, &MinutesReply::EditTheFile);
    }
    let store = invocation.store();
    let records = match store.records(&row.meeting_key) {
        Ok(records) => records,
        Err(error) => return failed(invocation, &error),
    };
    let Some(existing) = records.iter().find(|r| r.number == number && !r.undone) else {
        return reply(invocation, &MinutesReply::NoSuchLine(number));
    };
    let (kind, text) = match &existing.kind {
        RecordKind::Entry(EntryKind::Action(_)) => {
            let arguments = match crate::command::action_arguments(text) {
                Ok(arguments) => arguments,
                Err(error) => return render::command_error(invocation.language(), &error),
            };
            match assignment(invocation, &arguments).await {
                Ok((assignment, task)) => (RecordKind::Entry(EntryKind::Action(assignment)), task),
                Err(answer) => return reply(invocation, &answer),
            }
        }
        kind => (kind.clone(), text.to_owned()),
    };
    match store.edit_record(&row.meeting_key, number, &kind, &text) {
        Ok(true) => reply(invocation, &MinutesReply::Edited { number }),
        Ok(false) => reply(invocation, &MinutesReply::NoSuchLine(number)),
        Err(error) => failed(invocation, &error),
    }
}

/// The link of approved minutes on the bot's HTTP server, if it serves one.
pub fn minutes_link(network: &Network, token: &str) -> Option<String> {
    let calendar = network.config.calendar.as_ref()?;
    calendar
        .public_url
        .join(&format!("minutes/{token}.md"))
        .ok()
        .map(|url| url.to_string())
}

/// The draft `!minutes approve [date]` is about: the one draft (of that date), or the reply
/// why there is none or more than one.
fn draft_to_approve(
    invocation: &Invocation<'_>,
    date: Option<chrono::NaiveDate>,
) -> Result<MinutesRow, Rendered> {
    let store = invocation.store();
    let timezone = invocation.network.config.timezone;
    let on_date = |row: &MinutesRow| {
        date.is_none_or(|d| row.meeting_start.with_timezone(&timezone).date_naive() == d)
    };
    let drafts: Vec<MinutesRow> = match store.minutes_with_status(MinutesStatus::Draft) {
        Ok(rows) => rows.into_iter().filter(on_date).collect(),
        Err(error) => return Err(failed(invocation, &error)),
    };
    match drafts.as_slice() {
        [row] => Ok(row.clone()),
        [] => {
            if let Ok(recording) = store.minutes_with_status(MinutesStatus::Recording)
                && let Some(row) = recording.iter().find(|r| on_date(r))
            {
                return Err(reply(
                    invocation,
                    &MinutesReply::AlreadyRecording {
                        title: row.meeting_title.clone(),
                    },
                ));
            }
            Err(reply(invocation, &MinutesReply::NoDraft))
        }
        several => {
            let dates = several
                .iter()
                .map(|r| r.meeting_start.with_timezone(&timezone).date_naive())
                .collect();
            Err(reply(invocation, &MinutesReply::SeveralDrafts(dates)))
        }
    }
}

async fn approve(invocation: &Invocation<'_>, date: Option<chrono::NaiveDate>) -> Rendered {
    if !invocation.in_minutes_room() {
        return reply(invocation, &MinutesReply::WrongRoom);
    }
    let store = invocation.store();
    let network = invocation.network;
    let timezone = network.config.timezone;
    let command = invocation.command_ref();
    // Approved by this very command before a crash: confirmed again, not "there is no draft".
    if let Ok(Some(row)) = store.minutes_changed_by(&command)
        && row.status == MinutesStatus::Approved
    {
        let title = records::document(network, store, &row)
            .map_or_else(|| row.meeting_title.clone(), |minutes| minutes.title);
        return reply(invocation, &MinutesReply::Approved { title });
    }
    let row = match draft_to_approve(invocation, date) {
        Ok(row) => row,
        Err(answer) => return answer,
    };
    let Some(minutes) = records::document(network, store, &row) else {
        return reply(invocation, &MinutesReply::Failed);
    };
    let Some(token) = new_token() else {
        return reply(invocation, &MinutesReply::Failed);
    };
    let publication = Publication {
        approved_by: invocation.room.shown(invocation.sender).await,
        approved_on: invocation.now.with_timezone(&timezone).date_naive(),
        link: minutes_link(network, &token),
    };
    let language = invocation.language();
    let name = &network.roster().name;
    let message = render::minutes_message(language, name, &minutes, &publication);
    let markdown = render::minutes_markdown(language, name, &minutes, &publication);
    let file_name = minutes::file_name(&minutes.meeting_key, minutes.start);
    if let Err(error) = archive(&network.config.data_dir, &file_name, &markdown) {
        warn!(%error, file_name, "cannot archive the minutes");
        return reply(invocation, &MinutesReply::Failed);
    }
    let actions = minutes
        .actions()
        .map(|(entry, assignment)| (entry.number, entry.text.as_str(), assignment))
        .collect();
    let approval = crate::store::Approval {
        by: &publication.approved_by,
        token: &token,
        file_name: &file_name,
        plain: &message.plain,
        html: &message.html,
        markdown: &markdown,
        actions,
        now: invocation.now,
        command: &command,
    };
    if let Err(error) = store.approve_minutes(&row.meeting_key, &approval) {
        return failed(invocation, &error);
    }
    let _ = invocation.context.requests.send(Request::PublishMinutes);
    reply(
        invocation,
        &MinutesReply::Approved {
            title: minutes.title,
        },
    )
}

/// Writes `DATA_DIR/minutes/<file_name>` atomically (a temporary file renamed into place),
/// readable by the bot only. Only inside the data directory: a `minutes` that is a link out of
/// it is refused, and the temporary file is made anew, never written through a link left at its
/// name (the rename replaces a link at the final name, never follows it).
fn archive(data_dir: &std::path::Path, file_name: &str, markdown: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    if !minutes::is_archive_name(file_name) {
        return Err(std::io::Error::other(format!(
            "`{file_name}` is not a name for the archive"
        )));
    }
    let relative = std::path::Path::new("minutes");
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        builder.mode(0o700);
    }
    builder.create(data_dir.join(relative))?;
    let dir = crate::files::resolve_in_data_dir(data_dir, relative)
        .map_err(|error| std::io::Error::other(format!("{}: {error}", relative.display())))?;
    let temporary = dir.join(format!(".{file_name}.tmp"));
    match std::fs::remove_file(&temporary) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(&temporary)?;
    file.write_all(markdown.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&temporary, dir.join(file_name))
}

fn list(invocation: &Invocation<'_>) -> Rendered {
    let rows = match invocation
        .store()
        .minutes_with_status(MinutesStatus::Approved)
    {
        Ok(rows) => rows,
        Err(error) => return failed(invocation, &error),
    };
    let timezone = invocation.network.config.timezone;
    let entries: Vec<(String, String, Option<String>)> = rows
        .iter()
        .map(|row| {
            let day = row.meeting_start.with_timezone(&timezone).date_naive();
            let date = render::date_short(invocation.language(), day);
            let link = row
                .token
                .as_deref()
                .and_then(|token| minutes_link(invocation.network, token));
            (date, row.meeting_title.clone(), link)
        })
        .collect();
    render::minutes_list(invocation.language(), &entries)
}

pub fn here(invocation: &Invocation<'_>, name: Option<&str>) -> Rendered {
    let store = invocation.store();
    let recording = match store.minutes_with_status(MinutesStatus::Recording) {
        Ok(rows) => rows.into_iter().next(),
        Err(error) => return failed(invocation, &error),
    };
    let (meeting_key, title) = match recording {
        Some(row) => (row.meeting_key, row.meeting_title),
        None => match current_or_next(invocation.network, invocation.now, true) {
            Some(meeting) => {
                let title =
                    crate::agenda::meeting_title(&meeting, invocation.network.agenda(&meeting));
                (meeting.key, title)
            }
            None => return reply(invocation, &MinutesReply::NoRunningMeeting),
        },
    };
    let municipality = match name {
        Some(name) => {
            if !invocation.is_organizer() && !invocation.is_chair(&meeting_key).unwrap_or(false) {
                return render::command_error(
                    invocation.language(),
                    &CommandError::NotChair {
                        command: CommandId::Here,
                    },
                );
            }
            let known = invocation.municipalities();
            match known
                .iter()
                .find(|m| m.to_lowercase() == name.to_lowercase())
            {
                Some(found) => found.clone(),
                None => {
                    return reply(
                        invocation,
                        &MinutesReply::UnknownMunicipality {
                            given: name.to_owned(),
                            known,
                        },
                    );
                }
            }
        }
        None => match invocation.member_municipality() {
            Some(municipality) => municipality,
            None => return reply(invocation, &MinutesReply::WhichMunicipality),
        },
    };
    match store.set_attendance(
        &meeting_key,
        &municipality,
        invocation.sender.as_str(),
        Attendance::Here,
        invocation.event_id.as_str(),
        invocation.now,
    ) {
        Ok(()) => reply(
            invocation,
            &MinutesReply::Here {
                municipality,
                title,
            },
        ),
        Err(error) => failed(invocation, &error),
    }
}

pub fn actions(invocation: &Invocation<'_>, all: bool) -> Rendered {
    let whose = if all || invocation.in_minutes_room() {
        None
    } else {
        match invocation.member_municipality() {
            Some(name) => Some(name),
            None => return reply(invocation, &MinutesReply::NotAMemberRoom),
        }
    };
    match invocation.store().open_actions(whose.as_deref()) {
        Ok(actions) => render::action_list(invocation.language(), &actions, whose.as_deref()),
        Err(error) => failed(invocation, &error),
    }
}

pub fn done(invocation: &Invocation<'_>, number: i64) -> Rendered {
    let store = invocation.store();
    let language = invocation.language();
    let action = match store.action(number) {
        Ok(action) => action,
        Err(error) => return failed(invocation, &error),
    };
    let own = action.as_ref().is_some_and(|a| {
        invocation.is_organizer()
            || invocation
                .member_municipality()
                .is_some_and(|m| a.owner.municipality() == Some(m.as_str()))
    });
    match action {
        Some(action) if own && !action.open => {
            render::action_done(language, number, Some(&action), DoneOutcome::AlreadyDone)
        }
        Some(action) if own => {
            match store.close_action(number, invocation.sender.as_str(), invocation.now) {
                Ok(()) => render::action_done(language, number, Some(&action), DoneOutcome::Closed),
                Err(error) => failed(invocation, &error),
            }
        }
        _ => render::action_done(language, number, None, DoneOutcome::Unknown),
    }
}

/// The attendance an RSVP reaction key says: ✅ (and its look-alikes) or ❌.
fn rsvp(key: &str) -> Option<Attendance> {
    let key = key.trim_end_matches('\u{fe0f}');
    match key {
        "✅" | "✔" | "☑" | "👍" => Some(Attendance::Accepted),
        "❌" | "✖" | "👎" => Some(Attendance::Declined),
        _ => None,
    }
}

/// Records an RSVP reaction (✅ / ❌) on one of the bot's announcements or reminders in a
/// member room as that municipality's attendance, as of when it was sent (so a reaction read
/// back after a gap does not replace a newer one); other reactions are no RSVP.
pub fn react(
    network: &Network,
    store: &Store,
    room: &dyn ChatRoom,
    event: &OriginalSyncReactionEvent,
) {
    let Some(attendance) = rsvp(&event.content.relates_to.key) else {
        return;
    };
    if room.is(&network.roster().organizers_room) {
        return;
    }
    let Some(municipality) = municipality_of(network.roster(), room) else {
        return;
    };
    let reacted_to = event.content.relates_to.event_id.as_str();
    let delivery = match store.delivery_by_event(room.room_id().as_str(), reacted_to) {
        Ok(Some(delivery)) => delivery,
        Ok(None) => return,
        Err(error) => {
            warn!(%error, "cannot look up a reacted-to event");
            return;
        }
    };
    let is_invitation = delivery.post_key.starts_with("announcement/")
        || delivery.post_key.starts_with("reminder-");
    if !is_invitation {
        return;
    }
    if let Err(error) = store.set_attendance(
        &delivery.meeting_key,
        &municipality,
        event.sender.as_str(),
        attendance,
        event.event_id.as_str(),
        DateTime::<Utc>::from_timestamp_millis(event.origin_server_ts.get().into())
            .unwrap_or_default(),
    ) {
        warn!(%error, "cannot record an RSVP");
    }
}
