//! The bot's own database: `DATA_DIR/convene.sqlite3`, next to the SDK's stores.
//!
//! It records every (post, room) delivery with the transaction id it is sent with, so that a
//! crash or restart at any moment neither duplicates nor drops a post: a delivery is recorded as
//! *pending* before the send and as *sent* after it; a pending one is sent again with the same
//! transaction id, which the homeserver deduplicates. It also records when the bot first saw a
//! meeting, and one-time notices already given.
//!
//! Migrations are numbered and applied in order; `PRAGMA user_version` says how far a file is.
//! rusqlite is the binding matrix-sdk-sqlite already links, so there is one SQLite in the binary.

mod minutes;

pub use minutes::{ActionItem, Approval, MinutesRow, MinutesSource, MinutesStatus, NewMinutes};

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

/// The schema, one migration per entry; never edit a released entry, append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: deliveries, first sightings, one-time notices, pins.
    "CREATE TABLE deliveries (
        post_key TEXT NOT NULL,
        room_id TEXT NOT NULL,
        meeting_key TEXT NOT NULL,
        meeting_title TEXT NOT NULL,
        meeting_start TEXT NOT NULL,
        transaction_id TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        event_id TEXT,
        started_at TEXT NOT NULL,
        sent_at TEXT,
        PRIMARY KEY (post_key, room_id)
    );
    CREATE INDEX deliveries_by_meeting ON deliveries (meeting_start, meeting_key);
    CREATE TABLE first_seen (
        meeting_key TEXT PRIMARY KEY,
        seen_at TEXT NOT NULL
    );
    CREATE TABLE once (
        key TEXT PRIMARY KEY,
        done_at TEXT NOT NULL
    );
    CREATE TABLE pins (
        room_id TEXT PRIMARY KEY,
        event_id TEXT NOT NULL
    );",
    // 2: calendar entry versions (SEQUENCE and DTSTAMP), feed tokens.
    "CREATE TABLE calendar_versions (
        uid TEXT PRIMARY KEY,
        content_hash TEXT NOT NULL,
        sequence INTEGER NOT NULL,
        changed_at TEXT NOT NULL
    );
    CREATE TABLE feed_tokens (
        room_id TEXT PRIMARY KEY,
        token TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
    );",
    // 3: agenda proposals from members' chat.
    "CREATE TABLE proposals (
        id INTEGER PRIMARY KEY,
        meeting_key TEXT NOT NULL,
        room_id TEXT NOT NULL,
        municipality TEXT NOT NULL,
        sender TEXT NOT NULL,
        title TEXT NOT NULL,
        description TEXT,
        created_at TEXT NOT NULL,
        status TEXT NOT NULL,
        part INTEGER,
        reason TEXT,
        decided_at TEXT,
        source_event TEXT NOT NULL UNIQUE
    );
    CREATE INDEX proposals_by_meeting ON proposals (meeting_key, status);",
    // 4: minutes (live records, chairs, attendance, approval and publication), action items.
    "CREATE TABLE minutes (
        meeting_key TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        status TEXT NOT NULL,
        room_id TEXT NOT NULL,
        started_by TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        approved_by TEXT,
        approved_at TEXT,
        token TEXT UNIQUE,
        file_name TEXT,
        meeting_title TEXT NOT NULL,
        meeting_start TEXT NOT NULL,
        plain TEXT,
        html TEXT,
        markdown TEXT,
        published_at TEXT
    );
    CREATE TABLE minutes_chairs (
        meeting_key TEXT NOT NULL,
        user_id TEXT NOT NULL,
        shown TEXT NOT NULL,
        added_at TEXT NOT NULL,
        PRIMARY KEY (meeting_key, user_id)
    );
    CREATE TABLE minutes_records (
        meeting_key TEXT NOT NULL,
        number INTEGER NOT NULL,
        kind TEXT NOT NULL,
        text TEXT NOT NULL,
        agenda_item INTEGER,
        owner_municipality TEXT,
        owner_user TEXT,
        due TEXT,
        url TEXT,
        sender TEXT NOT NULL,
        source_event TEXT NOT NULL UNIQUE,
        undone INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        PRIMARY KEY (meeting_key, number)
    );
    CREATE TABLE attendance (
        meeting_key TEXT NOT NULL,
        municipality TEXT NOT NULL,
        user_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        event_id TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (meeting_key, municipality, user_id, kind)
    );
    CREATE INDEX attendance_by_event ON attendance (event_id);
    CREATE TABLE actions (
        id INTEGER PRIMARY KEY,
        meeting_key TEXT NOT NULL,
        meeting_start TEXT NOT NULL,
        entry_number INTEGER NOT NULL,
        owner_municipality TEXT,
        owner_user TEXT,
        text TEXT NOT NULL,
        due TEXT,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        done_at TEXT,
        done_by TEXT,
        UNIQUE (meeting_key, entry_number)
    );
    CREATE INDEX deliveries_by_event ON deliveries (room_id, event_id);",
];

/// Why the database failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The file was written by a newer convene.
    #[error("the database has schema version {found}, newer than this convene knows ({known})")]
    TooNew {
        /// The file's version.
        found: usize,
        /// The newest this build knows.
        known: usize,
    },
    /// A stored time could not be read back.
    #[error("the database holds an unreadable time `{0}`")]
    BadTime(String),
}

/// One (post, room) delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The post.
    pub post_key: String,
    /// The room.
    pub room_id: String,
    /// The meeting the post is about.
    pub meeting_key: String,
    /// The meeting's title when posted, to describe it if it disappears.
    pub meeting_title: String,
    /// The meeting's start when posted.
    pub meeting_start: DateTime<Utc>,
    /// The transaction id the message is (re)sent with.
    pub transaction_id: String,
    /// A hash of the content as last sent or edited.
    pub content_hash: String,
    /// The event, once sent.
    pub event_id: Option<String>,
    /// When the fan-out for this post started.
    pub started_at: DateTime<Utc>,
}

/// What to record before sending.
#[derive(Debug, Clone)]
pub struct NewDelivery<'a> {
    /// The post.
    pub post_key: &'a str,
    /// The room.
    pub room_id: &'a str,
    /// The meeting.
    pub meeting_key: &'a str,
    /// Its title.
    pub meeting_title: &'a str,
    /// Its start.
    pub meeting_start: DateTime<Utc>,
    /// The transaction id to send with.
    pub transaction_id: &'a str,
    /// The content's hash.
    pub content_hash: &'a str,
    /// Now.
    pub now: DateTime<Utc>,
}

/// The database.
#[derive(Debug)]
pub struct Store {
    connection: Mutex<Connection>,
}

fn time(text: String) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StoreError::BadTime(text))
}

fn text(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::from_connection(Connection::open(path)?)
    }

    /// An in-memory database, for tests.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::from_connection(Connection::open_in_memory()?)
    }

    fn from_connection(mut connection: Connection) -> Result<Self, StoreError> {
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: usize = connection.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > MIGRATIONS.len() {
            return Err(StoreError::TooNew {
                found: version,
                known: MIGRATIONS.len(),
            });
        }
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(version) {
            let transaction = connection.transaction()?;
            transaction.execute_batch(migration)?;
            transaction.pragma_update(None, "user_version", index + 1)?;
            transaction.commit()?;
        }
        Ok(Self {
            connection: Mutex::new(connection),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (transactions roll
        // back), so a poisoned lock is still usable.
        self.connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The delivery of `post_key` to `room_id`, if started.
    pub fn delivery(&self, post_key: &str, room_id: &str) -> Result<Option<Delivery>, StoreError> {
        let connection = self.lock();
        let row = connection
            .query_row(
                "SELECT post_key, room_id, meeting_key, meeting_title, meeting_start, transaction_id,
                        content_hash, event_id, started_at
                 FROM deliveries WHERE post_key = ?1 AND room_id = ?2",
                params![post_key, room_id],
                row_to_raw,
            )
            .optional()?;
        row.map(Delivery::try_from).transpose()
    }

    /// Every delivery of `post_key`.
    pub fn deliveries_of(&self, post_key: &str) -> Result<Vec<Delivery>, StoreError> {
        self.query(
            "SELECT post_key, room_id, meeting_key, meeting_title, meeting_start, transaction_id,
                    content_hash, event_id, started_at
             FROM deliveries WHERE post_key = ?1 ORDER BY room_id",
            params![post_key],
        )
    }

    /// Every sent delivery about a meeting that starts at or after `since`.
    pub fn sent_since(&self, since: DateTime<Utc>) -> Result<Vec<Delivery>, StoreError> {
        self.query(
            "SELECT post_key, room_id, meeting_key, meeting_title, meeting_start, transaction_id,
                    content_hash, event_id, started_at
             FROM deliveries WHERE meeting_start >= ?1 AND event_id IS NOT NULL
             ORDER BY meeting_start, post_key, room_id",
            params![text(since)],
        )
    }

    fn query(
        &self,
        sql: &str,
        parameters: impl rusqlite::Params,
    ) -> Result<Vec<Delivery>, StoreError> {
        let connection = self.lock();
        let mut statement = connection.prepare_cached(sql)?;
        let rows = statement
            .query_map(parameters, row_to_raw)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(Delivery::try_from).collect()
    }

    /// Records a delivery as pending, unless it is already recorded; returns the record.
    pub fn begin(&self, new: &NewDelivery<'_>) -> Result<Delivery, StoreError> {
        {
            let connection = self.lock();
            connection.execute(
                "INSERT OR IGNORE INTO deliveries
                   (post_key, room_id, meeting_key, meeting_title, meeting_start, transaction_id,
                    content_hash, started_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    new.post_key,
                    new.room_id,
                    new.meeting_key,
                    new.meeting_title,
                    text(new.meeting_start),
                    new.transaction_id,
                    new.content_hash,
                    text(new.now),
                ],
            )?;
        }
        self.delivery(new.post_key, new.room_id)?
            .ok_or(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows))
    }

    /// Records that a delivery was sent as `event_id`.
    pub fn sent(
        &self,
        post_key: &str,
        room_id: &str,
        event_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.lock().execute(
            "UPDATE deliveries SET event_id = ?3, sent_at = ?4 WHERE post_key = ?1 AND room_id = ?2",
            params![post_key, room_id, event_id, text(now)],
        )?;
        Ok(())
    }

    /// Records that a delivered message was edited to content with `content_hash`.
    pub fn edited(
        &self,
        post_key: &str,
        room_id: &str,
        content_hash: &str,
    ) -> Result<(), StoreError> {
        self.lock().execute(
            "UPDATE deliveries SET content_hash = ?3 WHERE post_key = ?1 AND room_id = ?2",
            params![post_key, room_id, content_hash],
        )?;
        Ok(())
    }

    /// When the bot first saw `meeting_key`; records `now` if it never did.
    pub fn first_seen(
        &self,
        meeting_key: &str,
        now: DateTime<Utc>,
    ) -> Result<DateTime<Utc>, StoreError> {
        let connection = self.lock();
        connection.execute(
            "INSERT OR IGNORE INTO first_seen (meeting_key, seen_at) VALUES (?1, ?2)",
            params![meeting_key, text(now)],
        )?;
        let seen: String = connection.query_row(
            "SELECT seen_at FROM first_seen WHERE meeting_key = ?1",
            params![meeting_key],
            |row| row.get(0),
        )?;
        time(seen)
    }

    /// When the bot first saw `meeting_key`, without recording anything.
    pub fn seen_at(&self, meeting_key: &str) -> Result<Option<DateTime<Utc>>, StoreError> {
        let seen: Option<String> = self
            .lock()
            .query_row(
                "SELECT seen_at FROM first_seen WHERE meeting_key = ?1",
                params![meeting_key],
                |row| row.get(0),
            )
            .optional()?;
        seen.map(time).transpose()
    }

    /// Marks `key` as done; `true` if it was not done before. For notices given once.
    pub fn once(&self, key: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let inserted = self.lock().execute(
            "INSERT OR IGNORE INTO once (key, done_at) VALUES (?1, ?2)",
            params![key, text(now)],
        )?;
        Ok(inserted == 1)
    }

    /// The event the bot pinned in `room_id`, if any.
    pub fn pinned(&self, room_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT event_id FROM pins WHERE room_id = ?1",
                params![room_id],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// Records the event the bot pinned in `room_id`.
    pub fn set_pinned(&self, room_id: &str, event_id: &str) -> Result<(), StoreError> {
        self.lock().execute(
            "INSERT INTO pins (room_id, event_id) VALUES (?1, ?2)
             ON CONFLICT (room_id) DO UPDATE SET event_id = excluded.event_id",
            params![room_id, event_id],
        )?;
        Ok(())
    }
}

impl Store {
    /// The version of calendar entry `uid` whose content now hashes to `content_hash`: the
    /// stored one if the content is unchanged, otherwise the next sequence, changed `now`.
    pub fn calendar_version(
        &self,
        uid: &str,
        content_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<crate::ical::Version, StoreError> {
        let mut connection = self.lock();
        let transaction = connection.transaction()?;
        let stored: Option<(String, u32, String)> = transaction
            .query_row(
                "SELECT content_hash, sequence, changed_at FROM calendar_versions WHERE uid = ?1",
                params![uid],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
            )
            .optional()?;
        let version = match stored {
            Some((hash, sequence, changed_at)) if hash == content_hash => crate::ical::Version {
                sequence,
                changed_at: time(changed_at)?,
            },
            Some((_, sequence, _)) => crate::ical::Version {
                sequence: sequence + 1,
                changed_at: now,
            },
            None => crate::ical::Version {
                sequence: 0,
                changed_at: now,
            },
        };
        transaction.execute(
            "INSERT INTO calendar_versions (uid, content_hash, sequence, changed_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (uid) DO UPDATE SET content_hash = excluded.content_hash,
                 sequence = excluded.sequence, changed_at = excluded.changed_at",
            params![
                uid,
                content_hash,
                version.sequence,
                text(version.changed_at)
            ],
        )?;
        transaction.commit()?;
        Ok(version)
    }

    /// The feed token of `room_id`, creating one with `fresh` if it has none.
    pub fn feed_token(
        &self,
        room_id: &str,
        fresh: impl FnOnce() -> String,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let connection = self.lock();
        let existing: Option<String> = connection
            .query_row(
                "SELECT token FROM feed_tokens WHERE room_id = ?1",
                params![room_id],
                |row| row.get(0),
            )
            .optional()?;
        if let Some(token) = existing {
            return Ok(token);
        }
        let token = fresh();
        connection.execute(
            "INSERT INTO feed_tokens (room_id, token, created_at) VALUES (?1, ?2, ?3)",
            params![room_id, token, text(now)],
        )?;
        Ok(token)
    }

    /// Replaces the feed token of `room_id`; the old one stops working at once.
    pub fn rotate_feed_token(
        &self,
        room_id: &str,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.lock().execute(
            "INSERT INTO feed_tokens (room_id, token, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (room_id) DO UPDATE SET token = excluded.token,
                 created_at = excluded.created_at",
            params![room_id, token, text(now)],
        )?;
        Ok(())
    }

    /// The room whose feed token is `token`, if any.
    pub fn room_of_token(&self, token: &str) -> Result<Option<String>, StoreError> {
        if token.len() < 32 {
            return Ok(None);
        }
        Ok(self
            .lock()
            .query_row(
                "SELECT room_id FROM feed_tokens WHERE token = ?1",
                params![token],
                |row| row.get(0),
            )
            .optional()?)
    }
}

/// What became of a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalStatus {
    /// Waiting for the organizers.
    Open,
    /// On the agenda.
    Accepted,
    /// Turned down, with a reason.
    Rejected,
    /// Taken back by its proposer.
    Withdrawn,
}

impl ProposalStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "accepted" => Self::Accepted,
            "rejected" => Self::Rejected,
            "withdrawn" => Self::Withdrawn,
            _ => Self::Open,
        }
    }
}

/// An agenda item a member proposed in chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// The number members and organizers refer to it by.
    pub id: i64,
    /// The meeting it is proposed for.
    pub meeting_key: String,
    /// The room it was proposed in (where the outcome is told).
    pub room_id: String,
    /// The municipality of that room.
    pub municipality: String,
    /// Who proposed it (the contact).
    pub sender: String,
    /// Its title.
    pub title: String,
    /// Its description.
    pub description: Option<String>,
    /// When it was proposed.
    pub created_at: DateTime<Utc>,
    /// What became of it.
    pub status: ProposalStatus,
    /// The part of the meeting it was accepted into (1-based), if any.
    pub part: Option<u32>,
    /// Why it was rejected.
    pub reason: Option<String>,
}

/// A new proposal.
#[derive(Debug, Clone)]
pub struct NewProposal<'a> {
    /// The meeting.
    pub meeting_key: &'a str,
    /// The room.
    pub room_id: &'a str,
    /// The room's municipality.
    pub municipality: &'a str,
    /// The proposer.
    pub sender: &'a str,
    /// The title.
    pub title: &'a str,
    /// The description.
    pub description: Option<&'a str>,
    /// The event of the command, so that a command seen twice adds one proposal.
    pub source_event: &'a str,
    /// Now.
    pub now: DateTime<Utc>,
}

/// Why a proposal was not recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalRefusal {
    /// The proposer already has this many open proposals.
    TooMany(usize),
}

const PROPOSAL_COLUMNS: &str = "id, meeting_key, room_id, municipality, sender, title, description,
    created_at, status, part, reason";

fn row_to_proposal(row: &rusqlite::Row<'_>) -> rusqlite::Result<(Proposal, String)> {
    let created_at: String = row.get(7)?;
    let status: String = row.get(8)?;
    Ok((
        Proposal {
            id: row.get(0)?,
            meeting_key: row.get(1)?,
            room_id: row.get(2)?,
            municipality: row.get(3)?,
            sender: row.get(4)?,
            title: row.get(5)?,
            description: row.get(6)?,
            created_at: DateTime::UNIX_EPOCH,
            status: ProposalStatus::parse(&status),
            part: row.get(9)?,
            reason: row.get(10)?,
        },
        created_at,
    ))
}

impl Store {
    fn proposals_where(
        &self,
        condition: &str,
        parameters: impl rusqlite::Params,
    ) -> Result<Vec<Proposal>, StoreError> {
        let connection = self.lock();
        let mut statement = connection.prepare(&format!(
            "SELECT {PROPOSAL_COLUMNS} FROM proposals WHERE {condition} ORDER BY id"
        ))?;
        let rows = statement
            .query_map(parameters, row_to_proposal)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(mut proposal, created_at)| {
                proposal.created_at = time(created_at)?;
                Ok(proposal)
            })
            .collect()
    }

    /// Records a proposal, unless its proposer has `max_open` open ones already. A command
    /// seen twice (same event) returns the proposal recorded the first time.
    pub fn propose(
        &self,
        new: &NewProposal<'_>,
        max_open: usize,
    ) -> Result<Result<Proposal, ProposalRefusal>, StoreError> {
        if let Some(existing) = self
            .proposals_where("source_event = ?1", params![new.source_event])?
            .pop()
        {
            return Ok(Ok(existing));
        }
        let open = self
            .proposals_where("sender = ?1 AND status = 'open'", params![new.sender])?
            .len();
        if open >= max_open {
            return Ok(Err(ProposalRefusal::TooMany(open)));
        }
        let id = {
            let connection = self.lock();
            connection.execute(
                "INSERT INTO proposals (meeting_key, room_id, municipality, sender, title,
                    description, created_at, status, source_event)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'open', ?8)",
                params![
                    new.meeting_key,
                    new.room_id,
                    new.municipality,
                    new.sender,
                    new.title,
                    new.description,
                    text(new.now),
                    new.source_event,
                ],
            )?;
            connection.last_insert_rowid()
        };
        self.proposal(id)?
            .map(Ok)
            .ok_or(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows))
    }

    /// The proposal with this number.
    pub fn proposal(&self, id: i64) -> Result<Option<Proposal>, StoreError> {
        Ok(self.proposals_where("id = ?1", params![id])?.pop())
    }

    /// The proposals `sender` made, newest last.
    pub fn proposals_of(&self, sender: &str) -> Result<Vec<Proposal>, StoreError> {
        self.proposals_where("sender = ?1", params![sender])
    }

    /// Every open proposal.
    pub fn open_proposals(&self) -> Result<Vec<Proposal>, StoreError> {
        self.proposals_where("status = 'open'", params![])
    }

    /// The accepted proposals for a meeting, in the order they were proposed.
    pub fn accepted_for(&self, meeting_key: &str) -> Result<Vec<Proposal>, StoreError> {
        self.proposals_where(
            "meeting_key = ?1 AND status = 'accepted'",
            params![meeting_key],
        )
    }

    /// Sets what became of a proposal.
    pub fn decide(
        &self,
        id: i64,
        status: ProposalStatus,
        part: Option<u32>,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.lock().execute(
            "UPDATE proposals SET status = ?2, part = ?3, reason = ?4, decided_at = ?5 WHERE id = ?1",
            params![id, status.as_str(), part, reason, text(now)],
        )?;
        Ok(())
    }

    /// Moves a proposal to another meeting (it stays open).
    pub fn defer(&self, id: i64, meeting_key: &str) -> Result<(), StoreError> {
        self.lock().execute(
            "UPDATE proposals SET meeting_key = ?2 WHERE id = ?1",
            params![id, meeting_key],
        )?;
        Ok(())
    }
}

type RawDelivery = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    String,
);

fn row_to_raw(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawDelivery> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
    ))
}

impl TryFrom<RawDelivery> for Delivery {
    type Error = StoreError;

    fn try_from(raw: RawDelivery) -> Result<Self, StoreError> {
        let (post_key, room_id, meeting_key, meeting_title, start, transaction_id, hash, event, at) =
            raw;
        Ok(Self {
            post_key,
            room_id,
            meeting_key,
            meeting_title,
            meeting_start: time(start)?,
            transaction_id,
            content_hash: hash,
            event_id: event,
            started_at: time(at)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-10T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    fn new<'a>(post: &'a str, room: &'a str, txn: &'a str) -> NewDelivery<'a> {
        NewDelivery {
            post_key: post,
            room_id: room,
            meeting_key: "videokonferenz/2026-12-17",
            meeting_title: "Videokonferenz",
            meeting_start: now(),
            transaction_id: txn,
            content_hash: "h1",
            now: now(),
        }
    }

    #[test]
    fn a_pending_delivery_keeps_its_transaction_id() {
        let store = Store::in_memory().unwrap();
        let first = store
            .begin(&new("announcement/x", "!a:hs", "txn-1"))
            .unwrap();
        let again = store
            .begin(&new("announcement/x", "!a:hs", "txn-2"))
            .unwrap();
        assert_eq!(first.transaction_id, "txn-1");
        assert_eq!(again, first);
        assert_eq!(again.event_id, None);
        store
            .sent("announcement/x", "!a:hs", "$event", now())
            .unwrap();
        let sent = store.delivery("announcement/x", "!a:hs").unwrap().unwrap();
        assert_eq!(sent.event_id.as_deref(), Some("$event"));
        assert_eq!(store.sent_since(now()).unwrap(), vec![sent]);
    }

    #[test]
    fn proposals_are_capped_deduplicated_and_decided() {
        let store = Store::in_memory().unwrap();
        let proposal = |event: &'static str, title: &'static str| NewProposal {
            meeting_key: "videokonferenz/2026-12-17",
            room_id: "!kl:hs",
            municipality: "Kaiserslautern",
            sender: "@anna:hs",
            title,
            description: None,
            source_event: event,
            now: now(),
        };
        let first = store
            .propose(&proposal("$1", "Open Data"), 2)
            .unwrap()
            .unwrap();
        assert_eq!(first.id, 1);
        // The same command seen again is the same proposal.
        assert_eq!(
            store.propose(&proposal("$1", "Open Data"), 2).unwrap(),
            Ok(first.clone())
        );
        store
            .propose(&proposal("$2", "Breitband"), 2)
            .unwrap()
            .unwrap();
        assert_eq!(
            store.propose(&proposal("$3", "Drittes"), 2).unwrap(),
            Err(ProposalRefusal::TooMany(2))
        );
        store
            .decide(1, ProposalStatus::Accepted, Some(2), None, now())
            .unwrap();
        store.defer(2, "videokonferenz/2027-01-21").unwrap();
        let accepted = store.accepted_for("videokonferenz/2026-12-17").unwrap();
        assert_eq!(accepted.len(), 1);
        assert_eq!(accepted[0].part, Some(2));
        assert_eq!(accepted[0].created_at, now());
        let open = store.open_proposals().unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].meeting_key, "videokonferenz/2027-01-21");
        // With one open proposal left, the member may propose again.
        assert!(
            store
                .propose(&proposal("$3", "Drittes"), 2)
                .unwrap()
                .is_ok()
        );
        assert_eq!(store.proposals_of("@anna:hs").unwrap().len(), 3);
    }

    #[test]
    fn feed_tokens_rotate_and_short_ones_never_match() {
        let store = Store::in_memory().unwrap();
        let token = store
            .feed_token("!kl:hs", || "a".repeat(40), now())
            .unwrap();
        assert_eq!(
            store
                .feed_token("!kl:hs", || "b".repeat(40), now())
                .unwrap(),
            token
        );
        assert_eq!(
            store.room_of_token(&token).unwrap().as_deref(),
            Some("!kl:hs")
        );
        store
            .rotate_feed_token("!kl:hs", &"c".repeat(40), now())
            .unwrap();
        assert_eq!(store.room_of_token(&token).unwrap(), None);
        assert_eq!(store.room_of_token("").unwrap(), None);
    }

    #[test]
    fn calendar_versions_change_only_with_the_content() {
        let store = Store::in_memory().unwrap();
        let later = now() + chrono::TimeDelta::days(1);
        let first = store.calendar_version("uid", "h1", now()).unwrap();
        assert_eq!((first.sequence, first.changed_at), (0, now()));
        let same = store.calendar_version("uid", "h1", later).unwrap();
        assert_eq!((same.sequence, same.changed_at), (0, now()));
        let changed = store.calendar_version("uid", "h2", later).unwrap();
        assert_eq!((changed.sequence, changed.changed_at), (1, later));
    }

    #[test]
    fn migrations_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("convene.sqlite3");
        {
            let store = Store::open(&path).unwrap();
            store.begin(&new("p", "!r:hs", "t")).unwrap();
            assert!(store.once("missed/p", now()).unwrap());
        }
        let store = Store::open(&path).unwrap();
        assert!(store.delivery("p", "!r:hs").unwrap().is_some());
        assert!(!store.once("missed/p", now()).unwrap());
        assert_eq!(store.first_seen("m", now()).unwrap(), now());
    }
}
