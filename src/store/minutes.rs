//! Minutes in the database: the live records of a meeting, its chairs and attendance, the
//! approved text as published, and the action items agreed in it.
//!
//! A meeting's minutes go `recording` → `draft` → `approved`; the approved text is kept as it
//! was approved, so a restart in the middle of publishing posts the very same minutes.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, text, time};
use crate::minutes::{ActionItem, Assignment, Attendance, EntryKind, Owner, Record, RecordKind};

/// Where a meeting's minutes stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinutesStatus {
    /// Being recorded live.
    Recording,
    /// Ended (or written in a file), waiting for the organizers' approval.
    Draft,
    /// Approved: published, or being published.
    Approved,
}

impl MinutesStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Recording => "recording",
            Self::Draft => "draft",
            Self::Approved => "approved",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "recording" => Self::Recording,
            "approved" => Self::Approved,
            _ => Self::Draft,
        }
    }
}

/// Where minutes come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinutesSource {
    /// Recorded in chat.
    Live,
    /// Written in the meeting's agenda file.
    File,
}

/// A meeting's minutes as the database holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinutesRow {
    /// The meeting.
    pub meeting_key: String,
    /// Live or from a file.
    pub source: MinutesSource,
    /// Where they stand.
    pub status: MinutesStatus,
    /// The room they are recorded in.
    pub room_id: String,
    /// Who started them.
    pub started_by: String,
    /// The meeting's title when they were started.
    pub meeting_title: String,
    /// The meeting's start.
    pub meeting_start: DateTime<Utc>,
    /// Who approved them.
    pub approved_by: Option<String>,
    /// When.
    pub approved_at: Option<DateTime<Utc>>,
    /// The token of their link on the bot's HTTP server.
    pub token: Option<String>,
    /// The archive file's name in `DATA_DIR/minutes/`; `None` also if the database names one
    /// that convene never makes ([`crate::minutes::is_archive_name`]).
    pub file_name: Option<String>,
    /// The approved message, plain.
    pub plain: Option<String>,
    /// The approved message, HTML.
    pub html: Option<String>,
    /// The approved Markdown file.
    pub markdown: Option<String>,
    /// When every room had them.
    pub published_at: Option<DateTime<Utc>>,
}

/// New minutes.
#[derive(Debug, Clone)]
pub struct NewMinutes<'a> {
    /// The meeting.
    pub meeting_key: &'a str,
    /// Live or from a file.
    pub source: MinutesSource,
    /// Recording (live) or draft (file).
    pub status: MinutesStatus,
    /// The room (empty for a file).
    pub room_id: &'a str,
    /// Who started them (the chair), or the file.
    pub started_by: &'a str,
    /// The meeting's title.
    pub meeting_title: &'a str,
    /// The meeting's start.
    pub meeting_start: DateTime<Utc>,
    /// Now.
    pub now: DateTime<Utc>,
}

/// What approval records, besides the status.
#[derive(Debug, Clone)]
pub struct Approval<'a> {
    /// Who approved.
    pub by: &'a str,
    /// The link token.
    pub token: &'a str,
    /// The archive file's name.
    pub file_name: &'a str,
    /// The message, plain.
    pub plain: &'a str,
    /// The message, HTML.
    pub html: &'a str,
    /// The Markdown file.
    pub markdown: &'a str,
    /// The actions agreed: (entry number, text, assignment).
    pub actions: Vec<(u32, &'a str, &'a Assignment)>,
    /// Now.
    pub now: DateTime<Utc>,
    /// The command that approved them (see [`Store::decide`]).
    pub command: &'a str,
}

const MINUTES_COLUMNS: &str = "meeting_key, source, status, room_id, started_by, meeting_title,
    meeting_start, approved_by, approved_at, token, file_name, plain, html, markdown, published_at";

/// A stored time, read inside a row mapping (where errors are SQLite's).
fn sql_time(text: String) -> rusqlite::Result<DateTime<Utc>> {
    time(text).map_err(|error| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(error))
    })
}

fn kind_name(kind: &RecordKind) -> &'static str {
    match kind {
        RecordKind::Topic { .. } => "topic",
        RecordKind::Entry(EntryKind::Info) => "info",
        RecordKind::Entry(EntryKind::Decision) => "decision",
        RecordKind::Entry(EntryKind::Action(_)) => "action",
        RecordKind::Entry(EntryKind::Link(_)) => "link",
    }
}

/// The owner columns of an action: (municipality, user).
fn owner_columns(owner: &Owner) -> (Option<&str>, Option<&str>) {
    match owner {
        Owner::Municipality(name) => (Some(name), None),
        Owner::Person {
            user_id,
            municipality,
        } => (municipality.as_deref(), Some(user_id)),
    }
}

fn owner_of(municipality: Option<String>, user: Option<String>) -> Owner {
    match user {
        Some(user_id) => Owner::Person {
            user_id,
            municipality,
        },
        None => Owner::Municipality(municipality.unwrap_or_default()),
    }
}

fn parse_date(text: Option<String>) -> Option<NaiveDate> {
    text.and_then(|t| NaiveDate::parse_from_str(&t, "%Y-%m-%d").ok())
}

impl Store {
    fn minutes_where(
        &self,
        condition: &str,
        parameters: impl rusqlite::Params,
    ) -> Result<Vec<MinutesRow>, StoreError> {
        let connection = self.lock();
        let mut statement = connection.prepare(&format!(
            "SELECT {MINUTES_COLUMNS} FROM minutes WHERE {condition} ORDER BY meeting_start, meeting_key"
        ))?;
        let rows = statement
            .query_map(parameters, |row| {
                let source: String = row.get(1)?;
                let status: String = row.get(2)?;
                Ok(MinutesRow {
                    meeting_key: row.get(0)?,
                    source: if source == "file" {
                        MinutesSource::File
                    } else {
                        MinutesSource::Live
                    },
                    status: MinutesStatus::parse(&status),
                    room_id: row.get(3)?,
                    started_by: row.get(4)?,
                    meeting_title: row.get(5)?,
                    meeting_start: sql_time(row.get(6)?)?,
                    approved_by: row.get(7)?,
                    approved_at: row.get::<_, Option<String>>(8)?.map(sql_time).transpose()?,
                    token: row.get(9)?,
                    // Checked again: only a name convene makes may reach the file system.
                    file_name: row
                        .get::<_, Option<String>>(10)?
                        .filter(|name| crate::minutes::is_archive_name(name)),
                    plain: row.get(11)?,
                    html: row.get(12)?,
                    markdown: row.get(13)?,
                    published_at: row
                        .get::<_, Option<String>>(14)?
                        .map(sql_time)
                        .transpose()?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// The minutes of a meeting, if any were started.
    pub fn minutes(&self, meeting_key: &str) -> Result<Option<MinutesRow>, StoreError> {
        Ok(self
            .minutes_where("meeting_key = ?1", params![meeting_key])?
            .pop())
    }

    /// Minutes in a given state, oldest meeting first.
    pub fn minutes_with_status(
        &self,
        status: MinutesStatus,
    ) -> Result<Vec<MinutesRow>, StoreError> {
        self.minutes_where("status = ?1", params![status.as_str()])
    }

    /// Approved minutes not yet in every room.
    pub fn minutes_to_publish(&self) -> Result<Vec<MinutesRow>, StoreError> {
        self.minutes_where("status = 'approved' AND published_at IS NULL", params![])
    }

    /// The approved minutes whose link has this token.
    pub fn minutes_by_token(&self, token: &str) -> Result<Option<MinutesRow>, StoreError> {
        if token.len() < 32 {
            return Ok(None);
        }
        Ok(self
            .minutes_where("token = ?1 AND status = 'approved'", params![token])?
            .pop())
    }

    /// Starts minutes; the starter of live minutes is their first chair. `false` if the
    /// meeting has minutes already.
    pub fn start_minutes(&self, new: &NewMinutes<'_>, shown: &str) -> Result<bool, StoreError> {
        let mut connection = self.lock();
        let transaction = connection.transaction()?;
        let inserted = transaction.execute(
            "INSERT OR IGNORE INTO minutes (meeting_key, source, status, room_id, started_by,
                started_at, meeting_title, meeting_start)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                new.meeting_key,
                match new.source {
                    MinutesSource::Live => "live",
                    MinutesSource::File => "file",
                },
                new.status.as_str(),
                new.room_id,
                new.started_by,
                text(new.now),
                new.meeting_title,
                text(new.meeting_start),
            ],
        )?;
        if inserted == 1 && new.source == MinutesSource::Live {
            transaction.execute(
                "INSERT OR IGNORE INTO minutes_chairs (meeting_key, user_id, shown, added_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![new.meeting_key, new.started_by, shown, text(new.now)],
            )?;
        }
        transaction.commit()?;
        Ok(inserted == 1)
    }

    /// The minutes `command` ended or approved (see [`Store::end_minutes`] and
    /// [`Store::approve_minutes`]), as they are now.
    pub fn minutes_changed_by(&self, command: &str) -> Result<Option<MinutesRow>, StoreError> {
        let key: Option<String> = self
            .lock()
            .query_row(
                "SELECT meeting_key FROM minutes WHERE changed_by_command = ?1",
                params![command],
                |row| row.get(0),
            )
            .optional()?;
        match key {
            Some(key) => self.minutes(&key),
            None => Ok(None),
        }
    }

    /// Ends the recording: the minutes become a draft.
    pub fn end_minutes(
        &self,
        meeting_key: &str,
        now: DateTime<Utc>,
        command: &str,
    ) -> Result<(), StoreError> {
        self.lock().execute(
            "UPDATE minutes SET status = 'draft', ended_at = ?2, changed_by_command = ?3
             WHERE meeting_key = ?1 AND status = 'recording'",
            params![meeting_key, text(now), command],
        )?;
        Ok(())
    }

    /// Adds a chair; `false` if they chair already.
    pub fn add_chair(
        &self,
        meeting_key: &str,
        user_id: &str,
        shown: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let inserted = self.lock().execute(
            "INSERT OR IGNORE INTO minutes_chairs (meeting_key, user_id, shown, added_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![meeting_key, user_id, shown, text(now)],
        )?;
        Ok(inserted == 1)
    }

    /// The chairs, in the order they were added: (user id, as shown).
    pub fn chairs(&self, meeting_key: &str) -> Result<Vec<(String, String)>, StoreError> {
        let connection = self.lock();
        let mut statement = connection.prepare_cached(
            "SELECT user_id, shown FROM minutes_chairs WHERE meeting_key = ?1
             ORDER BY added_at, rowid",
        )?;
        let rows = statement
            .query_map(params![meeting_key], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Records a line of live minutes and returns its number. A command seen twice (the same
    /// `source_event`) is recorded once; `None` when the minutes are full.
    pub fn record(
        &self,
        meeting_key: &str,
        kind: &RecordKind,
        record_text: &str,
        sender: &str,
        source_event: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<u32>, StoreError> {
        let mut connection = self.lock();
        let transaction = connection.transaction()?;
        let existing: Option<u32> = transaction
            .query_row(
                "SELECT number FROM minutes_records WHERE source_event = ?1",
                params![source_event],
                |row| row.get(0),
            )
            .optional()?;
        if existing.is_some() {
            return Ok(existing);
        }
        let count: u32 = transaction.query_row(
            "SELECT COUNT(*) FROM minutes_records WHERE meeting_key = ?1",
            params![meeting_key],
            |row| row.get(0),
        )?;
        if count as usize >= crate::minutes::MAX_ENTRIES {
            return Ok(None);
        }
        let number = count + 1;
        let (agenda_item, owner, due, url) = record_columns(kind);
        transaction.execute(
            "INSERT INTO minutes_records (meeting_key, number, kind, text, agenda_item,
                owner_municipality, owner_user, due, url, sender, source_event, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                meeting_key,
                number,
                kind_name(kind),
                record_text,
                agenda_item,
                owner.0,
                owner.1,
                due,
                url,
                sender,
                source_event,
                text(now),
            ],
        )?;
        transaction.commit()?;
        Ok(Some(number))
    }

    /// Every record of a meeting's live minutes, in order, undone ones included.
    pub fn records(&self, meeting_key: &str) -> Result<Vec<Record>, StoreError> {
        let connection = self.lock();
        let mut statement = connection.prepare_cached(
            "SELECT number, kind, text, agenda_item, owner_municipality, owner_user, due, url,
                    undone
             FROM minutes_records WHERE meeting_key = ?1 ORDER BY number",
        )?;
        let rows = statement
            .query_map(params![meeting_key], |row| {
                let kind: String = row.get(1)?;
                let agenda_item: Option<i64> = row.get(3)?;
                let url: Option<String> = row.get(7)?;
                let kind = match kind.as_str() {
                    "topic" => RecordKind::Topic {
                        agenda_item: agenda_item.and_then(|i| usize::try_from(i).ok()),
                    },
                    "decision" => RecordKind::Entry(EntryKind::Decision),
                    "action" => RecordKind::Entry(EntryKind::Action(Assignment {
                        owner: owner_of(row.get(4)?, row.get(5)?),
                        due: parse_date(row.get(6)?),
                    })),
                    "link" => match url.as_deref().map(url::Url::parse) {
                        Some(Ok(url)) => RecordKind::Entry(EntryKind::Link(url)),
                        _ => RecordKind::Entry(EntryKind::Info),
                    },
                    _ => RecordKind::Entry(EntryKind::Info),
                };
                Ok(Record {
                    number: row.get(0)?,
                    kind,
                    text: row.get(2)?,
                    undone: row.get(8)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Takes back the newest record that is not taken back yet, and returns it.
    pub fn undo_last(
        &self,
        meeting_key: &str,
        command: &str,
    ) -> Result<Option<Record>, StoreError> {
        // Taken back by this very command before a crash: that line, not one more.
        let undone: Option<u32> = self
            .lock()
            .query_row(
                "SELECT number FROM minutes_records
                 WHERE meeting_key = ?1 AND undone_by_command = ?2",
                params![meeting_key, command],
                |row| row.get(0),
            )
            .optional()?;
        let records = self.records(meeting_key)?.into_iter().rev();
        if let Some(number) = undone {
            return Ok(records.into_iter().find(|r| r.number == number));
        }
        let last = records.into_iter().find(|r| !r.undone);
        if let Some(record) = &last {
            self.lock().execute(
                "UPDATE minutes_records SET undone = 1, undone_by_command = ?3
                 WHERE meeting_key = ?1 AND number = ?2",
                params![meeting_key, record.number, command],
            )?;
        }
        Ok(last)
    }

    /// Replaces a record's text (and, for an action, its owner and due date); `false` if there
    /// is no such record, or it was taken back.
    pub fn edit_record(
        &self,
        meeting_key: &str,
        number: u32,
        kind: &RecordKind,
        record_text: &str,
    ) -> Result<bool, StoreError> {
        let (_, owner, due, _) = record_columns(kind);
        let changed = self.lock().execute(
            "UPDATE minutes_records SET text = ?3,
                owner_municipality = CASE WHEN kind = 'action' THEN ?4 ELSE owner_municipality END,
                owner_user = CASE WHEN kind = 'action' THEN ?5 ELSE owner_user END,
                due = CASE WHEN kind = 'action' THEN ?6 ELSE due END
             WHERE meeting_key = ?1 AND number = ?2 AND undone = 0",
            params![meeting_key, number, record_text, owner.0, owner.1, due],
        )?;
        Ok(changed == 1)
    }

    /// Records attendance: `!here` (kind `here`) or an RSVP reaction (`yes`, `no`), under the
    /// event that said so, `at` the time it was said.
    pub fn set_attendance(
        &self,
        meeting_key: &str,
        municipality: &str,
        user_id: &str,
        attendance: Attendance,
        event_id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let kind = match attendance {
            Attendance::Here => "here",
            Attendance::Accepted => "yes",
            Attendance::Declined => "no",
        };
        let connection = self.lock();
        // A newer RSVP replaces the same person's earlier one; an older one, read back after
        // a gap, changes nothing.
        if attendance != Attendance::Here {
            let newer: bool = connection.query_row(
                "SELECT EXISTS (SELECT 1 FROM attendance WHERE meeting_key = ?1
                    AND municipality = ?2 AND user_id = ?3 AND kind IN ('yes', 'no') AND at > ?4)",
                params![meeting_key, municipality, user_id, text(at)],
                |row| row.get(0),
            )?;
            if newer {
                return Ok(());
            }
            connection.execute(
                "DELETE FROM attendance WHERE meeting_key = ?1 AND municipality = ?2
                    AND user_id = ?3 AND kind IN ('yes', 'no')",
                params![meeting_key, municipality, user_id],
            )?;
        }
        connection.execute(
            "INSERT INTO attendance (meeting_key, municipality, user_id, kind, event_id, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (meeting_key, municipality, user_id, kind)
             DO UPDATE SET event_id = excluded.event_id, at = excluded.at",
            params![meeting_key, municipality, user_id, kind, event_id, text(at)],
        )?;
        self.changed();
        Ok(())
    }

    /// Forgets the attendance an event gave (its reaction was removed); `true` if it gave any.
    pub fn forget_attendance_event(&self, event_id: &str) -> Result<bool, StoreError> {
        let removed = self.lock().execute(
            "DELETE FROM attendance WHERE event_id = ?1",
            params![event_id],
        )?;
        self.changed();
        Ok(removed > 0)
    }

    /// Each municipality's attendance at a meeting: `!here` from anyone wins; otherwise the
    /// newest RSVP.
    pub fn attendance(
        &self,
        meeting_key: &str,
    ) -> Result<std::collections::BTreeMap<String, Attendance>, StoreError> {
        let connection = self.lock();
        let mut statement = connection.prepare_cached(
            "SELECT municipality, kind FROM attendance WHERE meeting_key = ?1 ORDER BY at, rowid",
        )?;
        let rows: Vec<(String, String)> = statement
            .query_map(params![meeting_key], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        let mut attendance = std::collections::BTreeMap::new();
        for (municipality, kind) in rows {
            let status = match kind.as_str() {
                "here" => Attendance::Here,
                "yes" => Attendance::Accepted,
                _ => Attendance::Declined,
            };
            let entry = attendance.entry(municipality).or_insert(status);
            if *entry != Attendance::Here {
                *entry = status;
            }
        }
        Ok(attendance)
    }

    /// The sent delivery that is `event_id` in `room_id`, if the bot posted it.
    pub fn delivery_by_event(
        &self,
        room_id: &str,
        event_id: &str,
    ) -> Result<Option<super::Delivery>, StoreError> {
        Ok(self
            .query(
                &format!(
                    "SELECT {} FROM deliveries WHERE room_id = ?1 AND event_id = ?2",
                    super::DELIVERY_COLUMNS
                ),
                params![room_id, event_id],
            )?
            .pop())
    }

    /// Approves minutes: keeps the text as published and records their actions, at once.
    pub fn approve_minutes(
        &self,
        meeting_key: &str,
        approval: &Approval<'_>,
    ) -> Result<(), StoreError> {
        let mut connection = self.lock();
        let transaction = connection.transaction()?;
        let meeting_start: String = transaction.query_row(
            "SELECT meeting_start FROM minutes WHERE meeting_key = ?1",
            params![meeting_key],
            |row| row.get(0),
        )?;
        transaction.execute(
            "UPDATE minutes SET status = 'approved', approved_by = ?2, approved_at = ?3,
                token = ?4, file_name = ?5, plain = ?6, html = ?7, markdown = ?8,
                ended_at = COALESCE(ended_at, ?3), changed_by_command = ?9
             WHERE meeting_key = ?1",
            params![
                meeting_key,
                approval.by,
                text(approval.now),
                approval.token,
                approval.file_name,
                approval.plain,
                approval.html,
                approval.markdown,
                approval.command,
            ],
        )?;
        for (number, task, assignment) in &approval.actions {
            let (municipality, user) = owner_columns(&assignment.owner);
            transaction.execute(
                "INSERT OR IGNORE INTO actions (meeting_key, meeting_start, entry_number,
                    owner_municipality, owner_user, text, due, status, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'open', ?8)",
                params![
                    meeting_key,
                    meeting_start,
                    number,
                    municipality,
                    user,
                    task,
                    assignment.due.map(|d| d.format("%Y-%m-%d").to_string()),
                    text(approval.now),
                ],
            )?;
        }
        transaction.commit()?;
        self.changed();
        Ok(())
    }

    /// Records that every room has the minutes.
    pub fn minutes_published(
        &self,
        meeting_key: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.lock().execute(
            "UPDATE minutes SET published_at = ?2 WHERE meeting_key = ?1",
            params![meeting_key, text(now)],
        )?;
        Ok(())
    }

    fn actions_where(
        &self,
        condition: &str,
        parameters: impl rusqlite::Params,
    ) -> Result<Vec<ActionItem>, StoreError> {
        let connection = self.lock();
        let mut statement = connection.prepare(&format!(
            "SELECT id, meeting_key, meeting_start, owner_municipality, owner_user, text, due,
                    status
             FROM actions WHERE {condition} ORDER BY id"
        ))?;
        let rows = statement
            .query_map(parameters, |row| {
                let status: String = row.get(7)?;
                Ok(ActionItem {
                    id: row.get(0)?,
                    meeting_key: row.get(1)?,
                    meeting_start: sql_time(row.get(2)?)?,
                    owner: owner_of(row.get(3)?, row.get(4)?),
                    text: row.get(5)?,
                    due: parse_date(row.get(6)?),
                    open: status == "open",
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// The action with this number.
    pub fn action(&self, id: i64) -> Result<Option<ActionItem>, StoreError> {
        Ok(self.actions_where("id = ?1", params![id])?.pop())
    }

    /// Every open action, or those of one municipality.
    pub fn open_actions(&self, municipality: Option<&str>) -> Result<Vec<ActionItem>, StoreError> {
        match municipality {
            Some(name) => {
                self.actions_where("status = 'open' AND owner_municipality = ?1", params![name])
            }
            None => self.actions_where("status = 'open'", params![]),
        }
    }

    /// The open actions agreed in meetings that started before `start`: what the meeting at
    /// `start` has to follow up on.
    pub fn open_actions_before(&self, start: DateTime<Utc>) -> Result<Vec<ActionItem>, StoreError> {
        self.actions_where(
            "status = 'open' AND meeting_start < ?1",
            params![text(start)],
        )
    }

    /// Closes an action.
    pub fn close_action(&self, id: i64, by: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.lock().execute(
            "UPDATE actions SET status = 'done', done_at = ?2, done_by = ?3 WHERE id = ?1",
            params![id, text(now), by],
        )?;
        Ok(())
    }
}

/// The typed columns of a record: agenda item, owner (municipality, user), due date, link.
#[allow(clippy::type_complexity, reason = "the columns of one row")]
fn record_columns(
    kind: &RecordKind,
) -> (
    Option<i64>,
    (Option<&str>, Option<&str>),
    Option<String>,
    Option<String>,
) {
    match kind {
        RecordKind::Topic { agenda_item } => (
            agenda_item.and_then(|i| i64::try_from(i).ok()),
            (None, None),
            None,
            None,
        ),
        RecordKind::Entry(EntryKind::Action(assignment)) => (
            None,
            owner_columns(&assignment.owner),
            assignment.due.map(|d| d.format("%Y-%m-%d").to_string()),
            None,
        ),
        RecordKind::Entry(EntryKind::Link(url)) => {
            (None, (None, None), None, Some(url.to_string()))
        }
        RecordKind::Entry(EntryKind::Info | EntryKind::Decision) => {
            (None, (None, None), None, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-12-17T09:00:00Z".parse().unwrap()
    }

    #[test]
    fn records_are_numbered_deduplicated_undone_and_edited() {
        let store = Store::in_memory().unwrap();
        let key = "videokonferenz/2026-12-17";
        assert!(
            store
                .start_minutes(
                    &NewMinutes {
                        meeting_key: key,
                        source: MinutesSource::Live,
                        status: MinutesStatus::Recording,
                        room_id: "!orga:hs",
                        started_by: "@orga:hs",
                        meeting_title: "Videokonferenz",
                        meeting_start: now(),
                        now: now(),
                    },
                    "Orga"
                )
                .unwrap()
        );
        let info = RecordKind::Entry(EntryKind::Info);
        assert_eq!(
            store
                .record(key, &info, "eins", "@orga:hs", "$a#0", now())
                .unwrap(),
            Some(1)
        );
        assert_eq!(
            store
                .record(key, &info, "eins", "@orga:hs", "$a#0", now())
                .unwrap(),
            Some(1)
        );
        let action = RecordKind::Entry(EntryKind::Action(Assignment {
            owner: Owner::Municipality("Kaiserslautern".to_owned()),
            due: NaiveDate::from_ymd_opt(2027, 1, 15),
        }));
        assert_eq!(
            store
                .record(key, &action, "Portal", "@orga:hs", "$a#1", now())
                .unwrap(),
            Some(2)
        );
        assert_eq!(store.undo_last(key, "$u#0").unwrap().unwrap().number, 2);
        // The same `!undo` carried out again (after a crash) takes back the same line only.
        assert_eq!(store.undo_last(key, "$u#0").unwrap().unwrap().number, 2);
        assert!(!store.records(key).unwrap()[0].undone);
        assert!(!store.edit_record(key, 2, &action, "neu").unwrap());
        assert!(store.edit_record(key, 1, &info, "korrigiert").unwrap());
        let records = store.records(key).unwrap();
        assert_eq!(records[0].text, "korrigiert");
        assert!(records[1].undone);
        assert_eq!(records[1].kind, action);
        assert_eq!(
            store.chairs(key).unwrap(),
            vec![("@orga:hs".to_owned(), "Orga".to_owned())]
        );
    }

    #[test]
    fn here_wins_over_reactions_and_removed_reactions_are_forgotten() {
        let store = Store::in_memory().unwrap();
        let key = "m";
        store
            .set_attendance(key, "A", "@a:hs", Attendance::Accepted, "$1", now())
            .unwrap();
        store
            .set_attendance(key, "A", "@a:hs", Attendance::Declined, "$2", now())
            .unwrap();
        store
            .set_attendance(key, "B", "@b:hs", Attendance::Declined, "$3", now())
            .unwrap();
        store
            .set_attendance(key, "B", "@c:hs", Attendance::Here, "$4", now())
            .unwrap();
        store
            .set_attendance(key, "C", "@d:hs", Attendance::Accepted, "$5", now())
            .unwrap();
        assert!(store.forget_attendance_event("$5").unwrap());
        let attendance = store.attendance(key).unwrap();
        assert_eq!(attendance.get("A"), Some(&Attendance::Declined));
        assert_eq!(attendance.get("B"), Some(&Attendance::Here));
        assert_eq!(attendance.get("C"), None);
    }

    #[test]
    fn an_older_rsvp_read_back_after_a_newer_one_changes_nothing() {
        let store = Store::in_memory().unwrap();
        let earlier = now() - chrono::TimeDelta::minutes(5);
        store
            .set_attendance("m", "A", "@a:hs", Attendance::Declined, "$new", now())
            .unwrap();
        store
            .set_attendance("m", "A", "@a:hs", Attendance::Accepted, "$old", earlier)
            .unwrap();
        assert_eq!(
            store.attendance("m").unwrap().get("A"),
            Some(&Attendance::Declined)
        );
        // The same reaction read twice is one RSVP.
        store
            .set_attendance("m", "A", "@a:hs", Attendance::Declined, "$new", now())
            .unwrap();
        assert!(store.forget_attendance_event("$new").unwrap());
        assert_eq!(store.attendance("m").unwrap().get("A"), None);
    }
}
