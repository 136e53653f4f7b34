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
mod polls;

pub use minutes::{Approval, MinutesRow, MinutesSource, MinutesStatus, NewMinutes};
pub use polls::{PollDecision, PollRow};

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::calendar_version::Version;
use crate::proposal::{Proposal, ProposalStatus};

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
    // 5: every part of a post is recorded (message, pin, file, edits, notice, summary), with
    // its retries and whether it was given up; posts are recorded until every part is settled;
    // each delivered message remembers what it shows, so a change can say what changed.
    // Posts from before are finished as they were.
    "ALTER TABLE deliveries ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE deliveries ADD COLUMN retry_at TEXT;
    ALTER TABLE deliveries ADD COLUMN failure TEXT;
    ALTER TABLE deliveries ADD COLUMN given_up_at TEXT;
    ALTER TABLE deliveries ADD COLUMN given_up TEXT;
    ALTER TABLE deliveries ADD COLUMN shown TEXT;
    CREATE TABLE posts (
        post_key TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        meeting_key TEXT NOT NULL,
        meeting_title TEXT NOT NULL,
        meeting_start TEXT NOT NULL,
        late INTEGER NOT NULL DEFAULT 0,
        detail TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        finished_at TEXT
    );
    CREATE INDEX posts_open ON posts (finished_at);
    INSERT INTO posts (post_key, kind, meeting_key, meeting_title, meeting_start, created_at,
                       finished_at)
        SELECT post_key, 'legacy', meeting_key, meeting_title, meeting_start, MIN(started_at),
               MIN(started_at)
        FROM deliveries GROUP BY post_key;",
    // 6: date polls: each poll as posted, its decision, and every vote by its event.
    "CREATE TABLE polls (
        poll_key TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        slots TEXT NOT NULL,
        rooms TEXT NOT NULL,
        decide_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        decided_slot INTEGER,
        decided_start TEXT,
        decided_end TEXT,
        decided_by TEXT,
        decided_at TEXT,
        ended_at TEXT
    );
    CREATE TABLE poll_votes (
        event_id TEXT PRIMARY KEY,
        poll_key TEXT NOT NULL,
        room_key TEXT NOT NULL,
        user_id TEXT NOT NULL,
        answers TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX poll_votes_by_poll ON poll_votes (poll_key, at);",
    // 7: the pending deliveries, indexed by themselves: `/metrics` counts them on every scrape
    // and a homeserver that answers again makes the unreachable ones due, under the connection
    // lock the bot needs. Without it both scan every delivery ever made (1 M rows: 0.45 s per
    // scrape); with it they read only the pending ones, a handful. `failure` is its key, for
    // the unreachable ones.
    "CREATE INDEX deliveries_pending ON deliveries (failure)
        WHERE sent_at IS NULL AND given_up_at IS NULL;",
    // 8: spoiled votes (a poll response naming an answer the poll does not have). They are
    // kept, with no answers, because as a member's latest vote one replaces their earlier vote;
    // the flag tells them from an empty vote ("no date suits"), which is an answer while a
    // spoiled one is none. Votes recorded before are valid ones.
    "ALTER TABLE poll_votes ADD COLUMN spoiled INTEGER NOT NULL DEFAULT 0;",
    // 9: what was said to the bot and is handled (so a message seen again after a restart is
    // not carried out twice) with the answer it is owed until that is sent, and the bot's own
    // state: when it first ran (messages before that
    // are history), when it was last seen alive (a late answer says since when it was away).
    "CREATE TABLE handled_events (
        event_id TEXT PRIMARY KEY,
        room_id TEXT NOT NULL,
        handled_at TEXT NOT NULL,
        answer TEXT,
        answered_at TEXT
    );
    CREATE INDEX handled_events_owed ON handled_events (answered_at)
        WHERE answer IS NOT NULL AND answered_at IS NULL;
    CREATE TABLE bot_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );",
    // 10: how far the bot has handled each room's timeline (the last event it handled there),
    // so that a gap — a sync cut short, a crash after the homeserver delivered — is read back
    // to that point and nothing in it is missed.
    "CREATE TABLE room_positions (
        room_id TEXT PRIMARY KEY,
        event_id TEXT NOT NULL,
        sent_at TEXT NOT NULL
    );",
    // 11: which command (its event id and its place in the message) decided a proposal or a
    // poll, or took a minutes line back, written with that change: a command carried out again
    // after a crash (before it was recorded as handled) answers its change as made instead of
    // refusing it as done, or taking back one more line.
    "ALTER TABLE proposals ADD COLUMN decided_by_command TEXT;
    ALTER TABLE polls ADD COLUMN decided_by_command TEXT;
    ALTER TABLE minutes_records ADD COLUMN undone_by_command TEXT;",
    // 12: which command ended or approved minutes, for the same reason.
    "ALTER TABLE minutes ADD COLUMN changed_by_command TEXT;",
    // 13: the organizers' page's secret (one row; `!web` makes it, `!web rotate` replaces it),
    // and the room each configured alias last resolved to, so that the page names the rooms
    // whose deliveries are recorded under their room id.
    "CREATE TABLE organizer_tokens (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        token TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL
    );
    CREATE TABLE room_aliases (
        alias TEXT PRIMARY KEY,
        room_id TEXT NOT NULL,
        resolved_at TEXT NOT NULL
    );",
];

/// Why the database failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The file was written by a newer convene.
    #[error(
        "the database has schema version {found}, but this convene knows only versions up to {known}: it was written by a newer convene; run that version (or a newer one), or restore a backup made before the upgrade"
    )]
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
    /// When the homeserver confirmed it (or, for a part with nothing to send, when that was
    /// found).
    pub sent_at: Option<DateTime<Utc>>,
    /// How many sends failed.
    pub attempts: u32,
    /// When the next try is due after a failure.
    pub retry_at: Option<DateTime<Utc>>,
    /// The last failure, in [`crate::delivery::Failure::to_record`] form.
    pub failure: Option<String>,
    /// When it was given up.
    pub given_up_at: Option<DateTime<Utc>>,
    /// Why: `meeting-started`, or the last failure.
    pub given_up: Option<String>,
    /// What a delivered announcement or reminder shows (JSON of [`crate::change::Shown`]).
    pub shown: Option<String>,
}

impl Delivery {
    /// The record as the delivery planner reads it.
    pub fn record(&self) -> crate::delivery::Record {
        use crate::delivery::{Failure, GiveUp, Record};
        if let Some(at) = self.sent_at {
            return Record::Done { at };
        }
        if let Some(at) = self.given_up_at {
            let reason = match self.given_up.as_deref() {
                Some("meeting-started") => GiveUp::MeetingStarted,
                Some(failure) => GiveUp::KeptFailing(Failure::from_record(failure)),
                None => GiveUp::KeptFailing(Failure::Other(String::new())),
            };
            return Record::GivenUp { at, reason };
        }
        Record::Pending {
            since: self.started_at,
            attempts: self.attempts,
            retry_at: self.retry_at,
            failure: self.failure.as_deref().map(Failure::from_record),
        }
    }
}

/// How much is unfinished.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnfinishedCounts {
    /// Deliveries begun and neither confirmed nor given up.
    pub pending_deliveries: u64,
    /// Posts not finished in every room.
    pub open_posts: u64,
}

/// A post, recorded when it starts and finished when every part of it is settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostRow {
    /// Its key, e.g. `announcement/<meeting>` or `change/<state>/<meeting>`.
    pub post_key: String,
    /// `announcement`, `reminder`, `change`, `minutes`, `notice` (or `legacy`).
    pub kind: String,
    /// The meeting it is about (empty for notices about no meeting).
    pub meeting_key: String,
    /// The meeting's title when the post started.
    pub meeting_title: String,
    /// The meeting's start when the post started.
    pub meeting_start: DateTime<Utc>,
    /// Whether it went out late (the bot was down when it was due).
    pub late: bool,
    /// What the post needs to be rebuilt after a restart (JSON; its shape depends on the kind).
    pub detail: String,
    /// When it started.
    pub created_at: DateTime<Utc>,
    /// When every part was settled.
    pub finished_at: Option<DateTime<Utc>>,
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

/// How far the bot has handled a room's timeline: the last event it handled there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// That event.
    pub event_id: String,
    /// When it was sent (its `origin_server_ts`).
    pub sent_at: DateTime<Utc>,
}

/// The database.
#[derive(Debug)]
pub struct Store {
    connection: Mutex<Connection>,
    /// Counts the changes that can alter a web page ([`Store::changes`]), so the HTTP server
    /// notices them with one atomic read per request instead of a query.
    changes: AtomicU64,
    /// Counts those that can alter the calendar ([`Store::calendar_changes`]): fewer, so a
    /// delivery or a vote does not make the feeds render again.
    calendar_changes: AtomicU64,
    /// SQLite's `data_version` when [`Store::notice_external_changes`] last looked: it moves
    /// when another connection (another process, such as the bot beside `convene feed`)
    /// commits.
    data_version: AtomicI64,
}

/// The deliveries begun and neither confirmed nor given up (answered from `deliveries_pending`).
const COUNT_PENDING_DELIVERIES: &str =
    "SELECT COUNT(*) FROM deliveries WHERE sent_at IS NULL AND given_up_at IS NULL";

/// Makes the pending deliveries that found the homeserver unreachable due at `?1` (found
/// through `deliveries_pending`).
const RETRY_UNREACHABLE: &str = "UPDATE deliveries SET retry_at = ?1
    WHERE sent_at IS NULL AND given_up_at IS NULL AND failure = 'unreachable'";

/// The posts not finished (answered from `posts_open`).
const COUNT_OPEN_POSTS: &str = "SELECT COUNT(*) FROM posts WHERE finished_at IS NULL";

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: usize = MIGRATIONS.len();

/// Reads the schema version of the database on `connection` and refuses one written by a newer
/// convene: its tables may mean what this build does not know.
pub fn check_schema(connection: &Connection) -> Result<usize, StoreError> {
    let version: usize = connection.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    Ok(version)
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
    /// Opens (creating if needed) and migrates the database at `path`. SQLite is given the
    /// path made absolute: the bundled SQLite reads a name that starts with `file:` as a URI,
    /// and an absolute path never does.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
        Self::from_connection(Connection::open(absolute)?)
    }

    /// An in-memory database, for tests.
    pub fn in_memory() -> Result<Self, StoreError> {
        Self::from_connection(Connection::open_in_memory()?)
    }

    fn from_connection(mut connection: Connection) -> Result<Self, StoreError> {
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        let version = check_schema(&connection)?;
        for (index, migration) in MIGRATIONS.iter().enumerate().skip(version) {
            let transaction = connection.transaction()?;
            transaction.execute_batch(migration)?;
            transaction.pragma_update(None, "user_version", index + 1)?;
            transaction.commit()?;
        }
        let data_version: i64 =
            connection.pragma_query_value(None, "data_version", |r| r.get(0))?;
        Ok(Self {
            connection: Mutex::new(connection),
            changes: AtomicU64::new(0),
            calendar_changes: AtomicU64::new(0),
            data_version: AtomicI64::new(data_version),
        })
    }

    /// How many changes that can alter a web page this store has seen: through its own writes
    /// (proposals made, decided, deferred; polls opened, decided, ended; votes cast or
    /// withdrawn; minutes approved; attendance; posts and their deliveries; a feed or
    /// organizers' token replaced; a resolved alias) at once, through other processes' writes
    /// once [`Store::notice_external_changes`] has seen them. Equal counts mean the same data;
    /// a different count means "render again".
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    /// How many changes that can alter the calendar this store has seen: the accepted
    /// proposals (made, decided, deferred), and other processes' writes, as [`Store::changes`].
    pub fn calendar_changes(&self) -> u64 {
        self.calendar_changes.load(Ordering::Acquire)
    }

    /// Counts a change a page shows; called after it is committed, so a count read before a
    /// render never claims a change the render did not see.
    fn changed(&self) {
        self.changes.fetch_add(1, Ordering::AcqRel);
    }

    /// Counts a change the calendar shows (and so the pages, which show the agendas too).
    fn calendar_changed(&self) {
        self.calendar_changes.fetch_add(1, Ordering::AcqRel);
        self.changed();
    }

    /// Looks whether another connection committed since the last look (SQLite's
    /// `PRAGMA data_version`, one cheap statement) and counts that as a change if so. Any
    /// commit counts, not only proposals: a spare render costs less than a missed one.
    pub fn notice_external_changes(&self) -> Result<bool, StoreError> {
        let version: i64 = self
            .lock()
            .pragma_query_value(None, "data_version", |r| r.get(0))?;
        let previous = self.data_version.swap(version, Ordering::AcqRel);
        if previous == version {
            return Ok(false);
        }
        self.calendar_changed();
        Ok(true)
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
        Ok(self
            .query(
                &format!(
                    "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE post_key = ?1 AND room_id = ?2"
                ),
                params![post_key, room_id],
            )?
            .pop())
    }

    /// Every delivery of `post_key`.
    pub fn deliveries_of(&self, post_key: &str) -> Result<Vec<Delivery>, StoreError> {
        self.query(
            &format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE post_key = ?1 ORDER BY room_id"
            ),
            params![post_key],
        )
    }

    /// Every delivered announcement and reminder about a meeting that starts at or after
    /// `since`: the messages a change edits.
    pub fn messages_since(&self, since: DateTime<Utc>) -> Result<Vec<Delivery>, StoreError> {
        self.query(
            &format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries
                 WHERE meeting_start >= ?1 AND event_id IS NOT NULL AND sent_at IS NOT NULL
                   AND (post_key LIKE 'announcement/%' OR post_key LIKE 'reminder-%')
                 ORDER BY meeting_start, post_key, room_id"
            ),
            params![text(since)],
        )
    }

    /// Every delivered announcement and reminder about one meeting.
    pub fn messages_of(&self, meeting_key: &str) -> Result<Vec<Delivery>, StoreError> {
        self.query(
            &format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries
                 WHERE meeting_key = ?1 AND event_id IS NOT NULL AND sent_at IS NOT NULL
                   AND (post_key LIKE 'announcement/%' OR post_key LIKE 'reminder-%')
                 ORDER BY room_id, started_at, post_key"
            ),
            params![meeting_key],
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
        self.changed();
        self.delivery(new.post_key, new.room_id)?
            .ok_or(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows))
    }

    /// Records that a delivery was confirmed, as `event_id` (none for a part that sends no
    /// event of its own, such as a pin), showing `shown` (for announcements and reminders).
    pub fn sent(
        &self,
        post_key: &str,
        room_id: &str,
        event_id: Option<&str>,
        shown: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.lock().execute(
            "UPDATE deliveries SET event_id = ?3, sent_at = ?4, shown = ?5, retry_at = NULL
             WHERE post_key = ?1 AND room_id = ?2",
            params![post_key, room_id, event_id, text(now), shown],
        )?;
        self.changed();
        Ok(())
    }

    /// Records a failed send and when to try again.
    pub fn failed(
        &self,
        post_key: &str,
        room_id: &str,
        failure: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.lock().execute(
            "UPDATE deliveries SET attempts = attempts + 1, failure = ?3, retry_at = ?4
             WHERE post_key = ?1 AND room_id = ?2",
            params![post_key, room_id, failure, text(retry_at)],
        )?;
        self.changed();
        Ok(())
    }

    /// Makes every delivery that failed because the homeserver was unreachable due at `now`:
    /// once it answers again, there is no reason to wait out the back-off (up to 30 min).
    /// Attempts are kept, so a failure after this waits as long as it would have. Returns how
    /// many deliveries were made due.
    pub fn retry_unreachable_now(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        Ok(self.lock().execute(RETRY_UNREACHABLE, params![text(now)])?)
    }

    /// Records that a delivery is given up (recording it first if it never started).
    pub fn give_up(&self, new: &NewDelivery<'_>, reason: &str) -> Result<(), StoreError> {
        self.begin(new)?;
        self.lock().execute(
            "UPDATE deliveries SET given_up_at = ?3, given_up = ?4
             WHERE post_key = ?1 AND room_id = ?2 AND sent_at IS NULL AND given_up_at IS NULL",
            params![new.post_key, new.room_id, text(new.now), reason],
        )?;
        self.changed();
        Ok(())
    }

    /// Records that a delivered message was edited to show `shown`.
    pub fn edited(
        &self,
        post_key: &str,
        room_id: &str,
        content_hash: &str,
        shown: &str,
    ) -> Result<(), StoreError> {
        self.lock().execute(
            "UPDATE deliveries SET content_hash = ?3, shown = ?4 WHERE post_key = ?1 AND room_id = ?2",
            params![post_key, room_id, content_hash, shown],
        )?;
        Ok(())
    }

    /// Records a post as started, unless it is; `true` if it is new.
    pub fn start_post(&self, post: &PostRow) -> Result<bool, StoreError> {
        let inserted = self.lock().execute(
            "INSERT OR IGNORE INTO posts (post_key, kind, meeting_key, meeting_title,
                meeting_start, late, detail, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                post.post_key,
                post.kind,
                post.meeting_key,
                post.meeting_title,
                text(post.meeting_start),
                post.late,
                post.detail,
                text(post.created_at),
            ],
        )?;
        self.changed();
        Ok(inserted == 1)
    }

    /// The post with this key.
    pub fn post(&self, post_key: &str) -> Result<Option<PostRow>, StoreError> {
        Ok(self.posts_where("post_key = ?1", params![post_key])?.pop())
    }

    /// Every post not finished yet, oldest first; posts started within the same millisecond in
    /// the order they were started (a decided poll's end is started just before its workshop's
    /// announcement, and must go out first: its notice says that the invitation follows).
    pub fn open_posts(&self) -> Result<Vec<PostRow>, StoreError> {
        self.posts_where("finished_at IS NULL", params![])
    }

    /// How much is unfinished, for `/metrics`: two counts read from indexes of the unfinished
    /// rows only (`deliveries_pending`, `posts_open`), so a scrape costs as much as there is
    /// pending, never the whole history, and holds the connection lock for microseconds.
    pub fn unfinished_counts(&self) -> Result<UnfinishedCounts, StoreError> {
        let connection = self.lock();
        let count = |sql: &str| -> Result<u64, StoreError> {
            let n: i64 = connection
                .prepare_cached(sql)?
                .query_row([], |row| row.get(0))?;
            Ok(u64::try_from(n).unwrap_or(0))
        };
        Ok(UnfinishedCounts {
            pending_deliveries: count(COUNT_PENDING_DELIVERIES)?,
            open_posts: count(COUNT_OPEN_POSTS)?,
        })
    }

    /// Records that every part of a post is settled.
    pub fn finish_post(&self, post_key: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.lock().execute(
            "UPDATE posts SET finished_at = ?2 WHERE post_key = ?1 AND finished_at IS NULL",
            params![post_key, text(now)],
        )?;
        self.changed();
        Ok(())
    }

    fn posts_where(
        &self,
        condition: &str,
        parameters: impl rusqlite::Params,
    ) -> Result<Vec<PostRow>, StoreError> {
        let connection = self.lock();
        let mut statement = connection.prepare_cached(&format!(
            "SELECT post_key, kind, meeting_key, meeting_title, meeting_start, late, detail,
                    created_at, finished_at
             FROM posts WHERE {condition} ORDER BY created_at, rowid"
        ))?;
        let rows = statement
            .query_map(parameters, |row| {
                Ok((
                    PostRow {
                        post_key: row.get(0)?,
                        kind: row.get(1)?,
                        meeting_key: row.get(2)?,
                        meeting_title: row.get(3)?,
                        meeting_start: DateTime::UNIX_EPOCH,
                        late: row.get(5)?,
                        detail: row.get(6)?,
                        created_at: DateTime::UNIX_EPOCH,
                        finished_at: None,
                    },
                    row.get::<_, String>(4)?,
                    row.get::<_, String>(7)?,
                    row.get::<_, Option<String>>(8)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(mut post, start, created, finished)| {
                post.meeting_start = time(start)?;
                post.created_at = time(created)?;
                post.finished_at = finished.map(time).transpose()?;
                Ok(post)
            })
            .collect()
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

    /// Whether the event `event_id` (a message to the bot) has been handled.
    pub fn handled(&self, event_id: &str) -> Result<bool, StoreError> {
        let found: Option<i64> = self
            .lock()
            .query_row(
                "SELECT 1 FROM handled_events WHERE event_id = ?1",
                params![event_id],
                |row| row.get(0),
            )
            .optional()?;
        Ok(found.is_some())
    }

    /// Records the event `event_id` in `room_id` as handled and, in the same statement, the
    /// `answer` it is owed (until [`Store::answered`]); false if it was handled already.
    pub fn mark_handled(
        &self,
        event_id: &str,
        room_id: &str,
        answer: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let added = self.lock().execute(
            "INSERT OR IGNORE INTO handled_events (event_id, room_id, handled_at, answer)
             VALUES (?1, ?2, ?3, ?4)",
            params![event_id, room_id, text(now), answer],
        )?;
        Ok(added == 1)
    }

    /// Records the answer to `event_id` as sent.
    pub fn answered(&self, event_id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.lock().execute(
            "UPDATE handled_events SET answered_at = ?2
             WHERE event_id = ?1 AND answered_at IS NULL",
            params![event_id, text(now)],
        )?;
        Ok(())
    }

    /// The answers owed and not sent yet, oldest first: event id and answer.
    pub fn owed_answers(&self) -> Result<Vec<(String, String)>, StoreError> {
        let connection = self.lock();
        let mut statement = connection.prepare(
            "SELECT event_id, answer FROM handled_events
             WHERE answer IS NOT NULL AND answered_at IS NULL ORDER BY handled_at, event_id",
        )?;
        let rows = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// How far the bot has handled the timeline of `room_id`, if it has handled any of it.
    pub fn position(&self, room_id: &str) -> Result<Option<Position>, StoreError> {
        let row: Option<(String, String)> = self
            .lock()
            .query_row(
                "SELECT event_id, sent_at FROM room_positions WHERE room_id = ?1",
                params![room_id],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        row.map(|(event_id, sent_at)| {
            Ok(Position {
                event_id,
                sent_at: time(sent_at)?,
            })
        })
        .transpose()
    }

    /// Records that the bot has handled the timeline of `room_id` up to `position`.
    pub fn set_position(&self, room_id: &str, position: &Position) -> Result<(), StoreError> {
        self.lock().execute(
            "INSERT INTO room_positions (room_id, event_id, sent_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (room_id) DO UPDATE
             SET event_id = excluded.event_id, sent_at = excluded.sent_at",
            params![room_id, position.event_id, text(position.sent_at)],
        )?;
        Ok(())
    }

    /// When the bot first ran with this database (recorded as `now` the first time asked):
    /// messages sent before that are history, not requests.
    pub fn first_started_at(&self, now: DateTime<Utc>) -> Result<DateTime<Utc>, StoreError> {
        let connection = self.lock();
        connection.execute(
            "INSERT OR IGNORE INTO bot_state (key, value) VALUES ('first_started_at', ?1)",
            params![text(now)],
        )?;
        let value: String = connection.query_row(
            "SELECT value FROM bot_state WHERE key = 'first_started_at'",
            [],
            |row| row.get(0),
        )?;
        time(value)
    }

    /// Records that the bot is alive at `now` (it syncs).
    pub fn alive(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.lock().execute(
            "INSERT INTO bot_state (key, value) VALUES ('alive_at', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![text(now)],
        )?;
        Ok(())
    }

    /// When the bot was last recorded alive, if ever.
    pub fn alive_at(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let value: Option<String> = self
            .lock()
            .query_row(
                "SELECT value FROM bot_state WHERE key = 'alive_at'",
                [],
                |row| row.get(0),
            )
            .optional()?;
        value.map(time).transpose()
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
    ) -> Result<Version, StoreError> {
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
            Some((hash, sequence, changed_at)) if hash == content_hash => Version {
                sequence,
                changed_at: time(changed_at)?,
            },
            Some((_, sequence, _)) => Version {
                sequence: sequence + 1,
                changed_at: now,
            },
            None => Version {
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

    /// The feed token of `room_id`, creating one with `fresh` if it has none. Two processes
    /// (the bot answering `!subscribe`, `convene links`) may make one at the same moment: the
    /// one stored first is the room's, and both return it.
    pub fn feed_token(
        &self,
        room_id: &str,
        fresh: impl FnOnce() -> String,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let connection = self.lock();
        let stored = |connection: &Connection| {
            connection
                .query_row(
                    "SELECT token FROM feed_tokens WHERE room_id = ?1",
                    params![room_id],
                    |row| row.get::<_, String>(0),
                )
                .optional()
        };
        if let Some(token) = stored(&connection)? {
            return Ok(token);
        }
        connection.execute(
            "INSERT INTO feed_tokens (room_id, token, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (room_id) DO NOTHING",
            params![room_id, fresh(), text(now)],
        )?;
        stored(&connection)?.ok_or(StoreError::Sqlite(rusqlite::Error::QueryReturnedNoRows))
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
        self.changed();
        Ok(())
    }

    /// The organizers' page token, creating one with `fresh` if there is none (the first
    /// `!web`).
    pub fn organizers_token(
        &self,
        fresh: impl FnOnce() -> String,
        now: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let connection = self.lock();
        connection.execute(
            "INSERT INTO organizer_tokens (id, token, created_at) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO NOTHING",
            params![fresh(), text(now)],
        )?;
        Ok(connection.query_row(
            "SELECT token FROM organizer_tokens WHERE id = 1",
            [],
            |row| row.get(0),
        )?)
    }

    /// Replaces the organizers' page token; the old one stops working at once.
    pub fn rotate_organizers_token(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.lock().execute(
            "INSERT INTO organizer_tokens (id, token, created_at) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET token = excluded.token,
                 created_at = excluded.created_at",
            params![token, text(now)],
        )?;
        self.changed();
        Ok(())
    }

    /// Whether `token` is the organizers' page token.
    pub fn is_organizers_token(&self, token: &str) -> Result<bool, StoreError> {
        if token.len() < 32 {
            return Ok(false);
        }
        Ok(self.lock().query_row(
            "SELECT EXISTS (SELECT 1 FROM organizer_tokens WHERE token = ?1)",
            params![token],
            |row| row.get(0),
        )?)
    }

    /// Records that `alias` resolved to `room_id` (the posting job, as it resolves).
    pub fn remember_alias(
        &self,
        alias: &str,
        room_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.lock().execute(
            "INSERT INTO room_aliases (alias, room_id, resolved_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (alias) DO UPDATE SET room_id = excluded.room_id,
                 resolved_at = excluded.resolved_at",
            params![alias, room_id, text(now)],
        )?;
        self.changed();
        Ok(())
    }

    /// The room each alias last resolved to.
    pub fn room_aliases(&self) -> Result<BTreeMap<String, String>, StoreError> {
        let connection = self.lock();
        let mut statement = connection.prepare_cached("SELECT alias, room_id FROM room_aliases")?;
        let rows = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// The posts started at or after `since`, oldest first.
    pub fn posts_since(&self, since: DateTime<Utc>) -> Result<Vec<PostRow>, StoreError> {
        self.posts_where("created_at >= ?1", params![text(since)])
    }

    /// Every delivery of the posts started at or after `since` (their messages, and their
    /// other parts: pins, files, edits, summaries), by post and room.
    pub fn deliveries_since(&self, since: DateTime<Utc>) -> Result<Vec<Delivery>, StoreError> {
        self.query(
            &format!(
                "SELECT {DELIVERY_COLUMNS} FROM deliveries
                 WHERE post_key IN (SELECT post_key FROM posts WHERE created_at >= ?1)
                 ORDER BY post_key, room_id"
            ),
            params![text(since)],
        )
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
        self.calendar_changed();
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

    /// The titles of the accepted proposals of every meeting, by meeting key, each list in the
    /// order they were proposed (for the calendar, which shows them with the agenda).
    pub fn accepted_titles(&self) -> Result<BTreeMap<String, Vec<String>>, StoreError> {
        let connection = self.lock();
        let mut statement = connection.prepare_cached(
            "SELECT meeting_key, title FROM proposals WHERE status = 'accepted' ORDER BY id",
        )?;
        let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
        let mut titles: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for row in rows {
            let (meeting_key, title): (String, String) = row?;
            titles.entry(meeting_key).or_default().push(title);
        }
        Ok(titles)
    }

    /// Sets what became of a proposal, decided by `command` (the deciding message's event id and
    /// the command's place in it, see [`crate::bot::chat::Invocation::command_ref`]).
    pub fn decide(
        &self,
        id: i64,
        status: ProposalStatus,
        part: Option<u32>,
        reason: Option<&str>,
        now: DateTime<Utc>,
        command: &str,
    ) -> Result<(), StoreError> {
        self.lock().execute(
            "UPDATE proposals SET status = ?2, part = ?3, reason = ?4, decided_at = ?5,
                decided_by_command = ?6
             WHERE id = ?1",
            params![id, status.as_str(), part, reason, text(now), command],
        )?;
        self.calendar_changed();
        Ok(())
    }

    /// Moves a proposal to another meeting (it stays open), by `command`.
    pub fn defer(&self, id: i64, meeting_key: &str, command: &str) -> Result<(), StoreError> {
        self.lock().execute(
            "UPDATE proposals SET meeting_key = ?2, decided_by_command = ?3 WHERE id = ?1",
            params![id, meeting_key, command],
        )?;
        self.calendar_changed();
        Ok(())
    }

    /// The command (see [`Store::decide`]) that last decided or deferred proposal `id`.
    pub fn proposal_decided_by(&self, id: i64) -> Result<Option<String>, StoreError> {
        let command: Option<Option<String>> = self
            .lock()
            .query_row(
                "SELECT decided_by_command FROM proposals WHERE id = ?1",
                params![id],
                |row| row.get(0),
            )
            .optional()?;
        Ok(command.flatten())
    }
}

const DELIVERY_COLUMNS: &str = "post_key, room_id, meeting_key, meeting_title, meeting_start,
    transaction_id, content_hash, event_id, started_at, sent_at, attempts, retry_at, failure,
    given_up_at, given_up, shown";

/// A delivery row as stored, its times still text.
struct RawDelivery {
    delivery: Delivery,
    meeting_start: String,
    started_at: String,
    sent_at: Option<String>,
    retry_at: Option<String>,
    given_up_at: Option<String>,
}

fn row_to_raw(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawDelivery> {
    Ok(RawDelivery {
        delivery: Delivery {
            post_key: row.get(0)?,
            room_id: row.get(1)?,
            meeting_key: row.get(2)?,
            meeting_title: row.get(3)?,
            meeting_start: DateTime::UNIX_EPOCH,
            transaction_id: row.get(5)?,
            content_hash: row.get(6)?,
            event_id: row.get(7)?,
            started_at: DateTime::UNIX_EPOCH,
            sent_at: None,
            attempts: row.get(10)?,
            retry_at: None,
            failure: row.get(12)?,
            given_up_at: None,
            given_up: row.get(14)?,
            shown: row.get(15)?,
        },
        meeting_start: row.get(4)?,
        started_at: row.get(8)?,
        sent_at: row.get(9)?,
        retry_at: row.get(11)?,
        given_up_at: row.get(13)?,
    })
}

impl TryFrom<RawDelivery> for Delivery {
    type Error = StoreError;

    fn try_from(raw: RawDelivery) -> Result<Self, StoreError> {
        let mut delivery = raw.delivery;
        delivery.meeting_start = time(raw.meeting_start)?;
        delivery.started_at = time(raw.started_at)?;
        delivery.sent_at = raw.sent_at.map(time).transpose()?;
        delivery.retry_at = raw.retry_at.map(time).transpose()?;
        delivery.given_up_at = raw.given_up_at.map(time).transpose()?;
        Ok(delivery)
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
    fn a_database_from_a_newer_convene_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("convene.sqlite3");
        drop(Store::open(&path).unwrap());
        let newer = SCHEMA_VERSION + 1;
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", newer)
            .unwrap();
        let error = Store::open(&path).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "the database has schema version {newer}, but this convene knows only versions up to {SCHEMA_VERSION}: it was written by a newer convene; run that version (or a newer one), or restore a backup made before the upgrade"
            )
        );
        let version: usize = Connection::open(&path)
            .unwrap()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, newer);
    }

    /// Two processes making a room's first feed token at the same moment (the bot answering
    /// `!subscribe`, `convene links`) agree on one: the one stored first. Here the other process
    /// stores its token just as this one has found none.
    #[test]
    fn a_feed_token_made_by_another_process_meanwhile_is_the_rooms() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("convene.sqlite3");
        let (bot, links) = (Store::open(&path).unwrap(), Store::open(&path).unwrap());
        let token = links
            .feed_token(
                "!kl:example.org",
                || {
                    let theirs = bot
                        .feed_token("!kl:example.org", || "a".repeat(40), now())
                        .unwrap();
                    assert_eq!(theirs, "a".repeat(40));
                    "b".repeat(40)
                },
                now(),
            )
            .unwrap();
        assert_eq!(token, "a".repeat(40));
        assert_eq!(
            bot.room_of_token(&"a".repeat(40)).unwrap().as_deref(),
            Some("!kl:example.org")
        );
        assert_eq!(bot.room_of_token(&"b".repeat(40)).unwrap(), None);
    }

    /// What `/metrics` counts on every scrape, and what a homeserver back after an outage makes
    /// due, is read from the indexes of the unfinished rows, never by a scan of every delivery
    /// and post ever made: O(pending), not O(history), under the lock the bot needs.
    #[test]
    fn unfinished_rows_are_counted_from_their_own_indexes() {
        let store = Store::in_memory().unwrap();
        let connection = store.lock();
        let plan = |sql: &str| -> Vec<String> {
            let mut statement = connection
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap();
            let parameters = vec![rusqlite::types::Null; statement.parameter_count()];
            statement
                .query_map(rusqlite::params_from_iter(parameters), |row| {
                    row.get::<_, String>(3)
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        };
        assert_eq!(
            plan(COUNT_PENDING_DELIVERIES),
            ["SCAN deliveries USING INDEX deliveries_pending"]
        );
        assert_eq!(
            plan(COUNT_OPEN_POSTS),
            ["SEARCH posts USING COVERING INDEX posts_open (finished_at=?)"]
        );
        assert_eq!(
            plan(RETRY_UNREACHABLE),
            ["SEARCH deliveries USING INDEX deliveries_pending (failure=?)"]
        );
        drop(connection);

        // And the counts are right: pending, failed and due later, given up, sent.
        for (room, outcome) in [("!a:hs", 0), ("!b:hs", 1), ("!c:hs", 2), ("!d:hs", 3)] {
            let delivery = new("announcement/x", room, room);
            store.begin(&delivery).unwrap();
            match outcome {
                1 => store
                    .failed("announcement/x", room, "unreachable", now())
                    .unwrap(),
                2 => store.give_up(&delivery, "meeting-started").unwrap(),
                3 => store
                    .sent("announcement/x", room, Some("$e"), None, now())
                    .unwrap(),
                _ => {}
            }
        }
        assert_eq!(store.unfinished_counts().unwrap().pending_deliveries, 2);
    }

    #[test]
    fn deliveries_that_found_the_homeserver_unreachable_are_due_once_it_answers() {
        let store = Store::in_memory().unwrap();
        let later = now() + chrono::TimeDelta::minutes(30);
        for (room, failure) in [("!a:hs", "unreachable"), ("!b:hs", "forbidden")] {
            store.begin(&new("announcement/x", room, room)).unwrap();
            store
                .failed("announcement/x", room, failure, later)
                .unwrap();
        }
        store.begin(&new("announcement/x", "!c:hs", "c")).unwrap();
        store
            .failed("announcement/x", "!c:hs", "unreachable", later)
            .unwrap();
        store
            .sent("announcement/x", "!c:hs", Some("$e"), None, now())
            .unwrap();
        assert_eq!(store.retry_unreachable_now(now()).unwrap(), 1);
        let retry = |room| {
            store
                .delivery("announcement/x", room)
                .unwrap()
                .unwrap()
                .retry_at
        };
        assert_eq!(retry("!a:hs"), Some(now()));
        assert_eq!(retry("!b:hs"), Some(later));
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
            .sent("announcement/x", "!a:hs", Some("$event"), None, now())
            .unwrap();
        let sent = store.delivery("announcement/x", "!a:hs").unwrap().unwrap();
        assert_eq!(sent.event_id.as_deref(), Some("$event"));
        assert_eq!(sent.record(), crate::delivery::Record::Done { at: now() });
        assert_eq!(store.messages_since(now()).unwrap(), vec![sent]);
    }

    #[test]
    fn failed_deliveries_are_retried_then_given_up_and_posts_finish() {
        use crate::delivery::{Failure, GiveUp, Record};
        let store = Store::in_memory().unwrap();
        let later = now() + chrono::TimeDelta::minutes(1);
        store.begin(&new("invitation/x", "!a:hs", "txn")).unwrap();
        store
            .failed(
                "invitation/x",
                "!a:hs",
                &Failure::Forbidden.to_record(),
                later,
            )
            .unwrap();
        let record = store
            .delivery("invitation/x", "!a:hs")
            .unwrap()
            .unwrap()
            .record();
        assert_eq!(
            record,
            Record::Pending {
                since: now(),
                attempts: 1,
                retry_at: Some(later),
                failure: Some(Failure::Forbidden),
            }
        );
        // Given up, recording a part that never started, too.
        store
            .give_up(&new("invitation/x", "!a:hs", "txn"), "forbidden")
            .unwrap();
        store
            .give_up(&new("pin/x", "!a:hs", "txn"), "meeting-started")
            .unwrap();
        assert_eq!(
            store.delivery("pin/x", "!a:hs").unwrap().unwrap().record(),
            Record::GivenUp {
                at: now(),
                reason: GiveUp::MeetingStarted
            }
        );
        // A confirmed delivery is never given up afterwards.
        store.begin(&new("announcement/x", "!a:hs", "t")).unwrap();
        store
            .sent("announcement/x", "!a:hs", Some("$e"), Some("{}"), now())
            .unwrap();
        store
            .give_up(&new("announcement/x", "!a:hs", "t"), "forbidden")
            .unwrap();
        let sent = store.delivery("announcement/x", "!a:hs").unwrap().unwrap();
        assert_eq!(sent.record(), Record::Done { at: now() });
        assert_eq!(sent.shown.as_deref(), Some("{}"));

        let post = PostRow {
            post_key: "announcement/x".to_owned(),
            kind: "announcement".to_owned(),
            meeting_key: "videokonferenz/2026-12-17".to_owned(),
            meeting_title: "Videokonferenz".to_owned(),
            meeting_start: now(),
            late: true,
            detail: String::new(),
            created_at: now(),
            finished_at: None,
        };
        assert!(store.start_post(&post).unwrap());
        assert!(!store.start_post(&post).unwrap());
        assert_eq!(store.open_posts().unwrap(), vec![post.clone()]);
        store.finish_post("announcement/x", later).unwrap();
        assert!(store.open_posts().unwrap().is_empty());
        assert_eq!(
            store.post("announcement/x").unwrap().unwrap().finished_at,
            Some(later)
        );
    }

    #[test]
    fn open_posts_started_in_the_same_millisecond_stay_in_the_order_they_were_started() {
        let store = Store::in_memory().unwrap();
        let post = |key: &str, kind: &str| PostRow {
            post_key: key.to_owned(),
            kind: kind.to_owned(),
            meeting_key: "werkstatt".to_owned(),
            meeting_title: "Werkstatt".to_owned(),
            meeting_start: now(),
            late: false,
            detail: String::new(),
            created_at: now(),
            finished_at: None,
        };
        // The order a round starts them in: the poll's end, then the workshop's announcement.
        store
            .start_post(&post("poll-end/werkstatt", "poll-end"))
            .unwrap();
        store
            .start_post(&post("announcement/werkstatt", "announcement"))
            .unwrap();
        let open: Vec<String> = store
            .open_posts()
            .unwrap()
            .into_iter()
            .map(|post| post.post_key)
            .collect();
        assert_eq!(open, ["poll-end/werkstatt", "announcement/werkstatt"]);
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
            .decide(1, ProposalStatus::Accepted, Some(2), None, now(), "$a#0")
            .unwrap();
        store.defer(2, "videokonferenz/2027-01-21", "$b#0").unwrap();
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
    fn the_organizers_token_is_one_of_its_own_and_rotates() {
        let store = Store::in_memory().unwrap();
        let token = store.organizers_token(|| "a".repeat(40), now()).unwrap();
        assert_eq!(
            store.organizers_token(|| "b".repeat(40), now()).unwrap(),
            token
        );
        assert!(store.is_organizers_token(&token).unwrap());
        assert_eq!(store.room_of_token(&token).unwrap(), None);
        store
            .rotate_organizers_token(&"c".repeat(40), now())
            .unwrap();
        assert!(!store.is_organizers_token(&token).unwrap());
        assert!(store.is_organizers_token(&"c".repeat(40)).unwrap());
        assert!(!store.is_organizers_token("").unwrap());
        // A room's feed token does not open the organizers' page.
        let feed = store
            .feed_token("!kl:hs", || "d".repeat(40), now())
            .unwrap();
        assert!(!store.is_organizers_token(&feed).unwrap());
    }

    #[test]
    fn recent_posts_come_with_their_deliveries_and_aliases_with_their_rooms() {
        let store = Store::in_memory().unwrap();
        let post = |key: &str, created: DateTime<Utc>| PostRow {
            post_key: key.to_owned(),
            kind: "announcement".to_owned(),
            meeting_key: "m".to_owned(),
            meeting_title: "M".to_owned(),
            meeting_start: now(),
            late: false,
            detail: String::new(),
            created_at: created,
            finished_at: None,
        };
        let old = now() - chrono::TimeDelta::days(100);
        store.start_post(&post("old", old)).unwrap();
        store.start_post(&post("new", now())).unwrap();
        store.begin(&new("old", "!a:hs", "t1")).unwrap();
        store.begin(&new("new", "!a:hs", "t2")).unwrap();
        store.begin(&new("pin/new", "!a:hs", "t3")).unwrap();
        let since = now() - chrono::TimeDelta::days(90);
        let posts = store.posts_since(since).unwrap();
        assert_eq!(posts.len(), 1);
        assert_eq!(posts[0].post_key, "new");
        let deliveries = store.deliveries_since(since).unwrap();
        assert_eq!(deliveries.len(), 1);
        assert_eq!(deliveries[0].post_key, "new");
        store.remember_alias("#a:hs", "!a:hs", now()).unwrap();
        store.remember_alias("#a:hs", "!b:hs", now()).unwrap();
        assert_eq!(
            store
                .room_aliases()
                .unwrap()
                .get("#a:hs")
                .map(String::as_str),
            Some("!b:hs")
        );
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
    fn a_room_position_is_kept_and_moves() {
        let store = Store::in_memory().unwrap();
        assert_eq!(store.position("!r:hs").unwrap(), None);
        let at = DateTime::<Utc>::from_timestamp(1_796_680_000, 0).unwrap();
        let first = Position {
            event_id: "$1".to_owned(),
            sent_at: at,
        };
        store.set_position("!r:hs", &first).unwrap();
        assert_eq!(store.position("!r:hs").unwrap(), Some(first));
        let second = Position {
            event_id: "$2".to_owned(),
            sent_at: at + chrono::TimeDelta::seconds(1),
        };
        store.set_position("!r:hs", &second).unwrap();
        assert_eq!(store.position("!r:hs").unwrap(), Some(second));
        assert_eq!(store.position("!other:hs").unwrap(), None);
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
