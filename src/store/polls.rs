//! Date polls in the database: each poll as it was posted (its slots are kept as posted, so
//! the answers members gave keep their meaning whatever the file says later), the decision,
//! and every vote, by the event that carried it.
//!
//! Votes are recorded as they arrive, keyed by their event id: the same event seen twice (a
//! sync repeated after a restart, a poll response and its decrypted form) counts once, and a
//! redacted vote is deleted (a spoiled one too: the member's earlier vote then counts again).
//! A spoiled vote is kept with no answers and `spoiled` set. Which vote of a member counts is
//! decided by [`crate::poll::tally`].

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, text, time};
use crate::poll::{self, InvalidDecision, Response, Slot, Vote};

/// A slot as stored: its start and end.
pub type Span = (DateTime<Utc>, DateTime<Utc>);

/// A poll as posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollRow {
    /// The workshop's id (its agenda key).
    pub key: String,
    /// The workshop's title when the poll was posted.
    pub title: String,
    /// The slots as posted: start and end.
    pub slots: Vec<Span>,
    /// The member rooms it was posted to: key (room id) and name, in the configuration's order.
    pub rooms: Vec<(String, String)>,
    /// The last day to answer.
    pub decide_by: NaiveDate,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// The decision, once there is one.
    pub decision: Option<PollDecision>,
    /// When the poll end events started going out; votes after it do not count.
    pub ended_at: Option<DateTime<Utc>>,
}

/// How a poll was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollDecision {
    /// The slot chosen (0-based), if the decided date is one of the slots.
    pub slot: Option<usize>,
    /// The decided start.
    pub start: DateTime<Utc>,
    /// The decided end.
    pub end: DateTime<Utc>,
    /// Who decided: the organizer's user id, or `file` when `date:` was written into the file.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl PollDecision {
    /// The decided slot, shown in `timezone`.
    pub fn slot(&self, timezone: Tz) -> Slot {
        Slot::between(self.start, self.end, timezone)
    }
}

impl PollRow {
    /// Whether it still takes votes: neither decided nor ended.
    pub fn is_running(&self) -> bool {
        self.decision.is_none() && self.ended_at.is_none()
    }

    /// The decided slot, shown in `timezone`, checked as the date of a meeting
    /// ([`poll::checked_decision`]); `None` while the poll is undecided.
    pub fn decided_slot(&self, timezone: Tz) -> Option<Result<Slot, InvalidDecision>> {
        let decision = self.decision.as_ref()?;
        Some(poll::checked_decision(
            &self.slots,
            decision.slot,
            decision.start,
            decision.end,
            timezone,
        ))
    }
}

fn slots_to_json(slots: &[Span]) -> String {
    let pairs: Vec<[String; 2]> = slots
        .iter()
        .map(|(start, end)| [text(*start), text(*end)])
        .collect();
    serde_json::to_string(&pairs).unwrap_or_default()
}

fn slots_from_json(json: &str) -> Result<Vec<Span>, StoreError> {
    let pairs: Vec<[String; 2]> =
        serde_json::from_str(json).map_err(|_| StoreError::BadTime(json.to_owned()))?;
    pairs
        .into_iter()
        .map(|[start, end]| Ok((time(start)?, time(end)?)))
        .collect()
}

const POLL_COLUMNS: &str = "poll_key, title, slots, rooms, decide_by, created_at, decided_slot, \
     decided_start, decided_end, decided_by, decided_at, ended_at";

/// A `polls` row as SQLite holds it: the NOT NULL columns as text, the decision's columns
/// optional, `decided_slot` as the integer it is.
struct RawPoll {
    key: String,
    title: String,
    slots: String,
    rooms: String,
    decide_by: String,
    created_at: String,
    decided_slot: Option<i64>,
    decided_start: Option<String>,
    decided_end: Option<String>,
    decided_by: Option<String>,
    decided_at: Option<String>,
    ended_at: Option<String>,
}

fn poll_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawPoll> {
    Ok(RawPoll {
        key: row.get("poll_key")?,
        title: row.get("title")?,
        slots: row.get("slots")?,
        rooms: row.get("rooms")?,
        decide_by: row.get("decide_by")?,
        created_at: row.get("created_at")?,
        decided_slot: row.get("decided_slot")?,
        decided_start: row.get("decided_start")?,
        decided_end: row.get("decided_end")?,
        decided_by: row.get("decided_by")?,
        decided_at: row.get("decided_at")?,
        ended_at: row.get("ended_at")?,
    })
}

fn to_poll(raw: RawPoll) -> Result<PollRow, StoreError> {
    let decision = match (raw.decided_start, raw.decided_end, raw.decided_at) {
        (Some(start), Some(end), Some(at)) => Some(PollDecision {
            slot: raw.decided_slot.and_then(|n| usize::try_from(n).ok()),
            start: time(start)?,
            end: time(end)?,
            by: raw.decided_by.unwrap_or_default(),
            at: time(at)?,
        }),
        _ => None,
    };
    Ok(PollRow {
        slots: slots_from_json(&raw.slots)?,
        rooms: serde_json::from_str(&raw.rooms).unwrap_or_default(),
        decide_by: NaiveDate::parse_from_str(&raw.decide_by, "%Y-%m-%d")
            .map_err(|_| StoreError::BadTime(raw.decide_by.clone()))?,
        created_at: time(raw.created_at)?,
        decision,
        ended_at: raw.ended_at.map(time).transpose()?,
        key: raw.key,
        title: raw.title,
    })
}

/// A `poll_votes` row as SQLite holds it.
struct RawVote {
    event_id: String,
    room: String,
    user: String,
    answers: String,
    at: String,
    spoiled: bool,
}

impl Store {
    /// Records a poll as posted, unless it is recorded already; true if it is new.
    pub fn open_poll(&self, poll: &PollRow) -> Result<bool, StoreError> {
        let added = self.lock().execute(
            "INSERT OR IGNORE INTO polls (poll_key, title, slots, rooms, decide_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                poll.key,
                poll.title,
                slots_to_json(&poll.slots),
                serde_json::to_string(&poll.rooms).unwrap_or_default(),
                poll.decide_by.format("%Y-%m-%d").to_string(),
                text(poll.created_at)
            ],
        )?;
        self.changed();
        Ok(added == 1)
    }

    /// The poll of a workshop, if one was posted.
    pub fn poll(&self, key: &str) -> Result<Option<PollRow>, StoreError> {
        let values = self
            .lock()
            .query_row(
                &format!("SELECT {POLL_COLUMNS} FROM polls WHERE poll_key = ?1"),
                params![key],
                poll_row,
            )
            .optional()?;
        values.map(to_poll).transpose()
    }

    /// Every poll, oldest first.
    pub fn polls(&self) -> Result<Vec<PollRow>, StoreError> {
        let rows: Vec<RawPoll> = {
            let connection = self.lock();
            let mut statement = connection.prepare(&format!(
                "SELECT {POLL_COLUMNS} FROM polls ORDER BY created_at, poll_key"
            ))?;
            statement
                .query_map([], poll_row)?
                .collect::<Result<_, _>>()?
        };
        rows.into_iter().map(to_poll).collect()
    }

    /// Records the decision of an undecided poll; false if it was decided already.
    pub fn decide_poll(&self, key: &str, decision: &PollDecision) -> Result<bool, StoreError> {
        self.decide_poll_by(key, decision, None)
    }

    /// [`Store::decide_poll`] by a command (`!poll decide`; see [`Store::decide`]), recorded
    /// with the decision.
    pub fn decide_poll_by(
        &self,
        key: &str,
        decision: &PollDecision,
        command: Option<&str>,
    ) -> Result<bool, StoreError> {
        let changed = self.lock().execute(
            "UPDATE polls SET decided_slot = ?2, decided_start = ?3, decided_end = ?4,
                 decided_by = ?5, decided_at = ?6, decided_by_command = ?7
             WHERE poll_key = ?1 AND decided_at IS NULL",
            params![
                key,
                decision.slot.and_then(|n| i64::try_from(n).ok()),
                text(decision.start),
                text(decision.end),
                decision.by,
                text(decision.at),
                command
            ],
        )?;
        self.changed();
        Ok(changed == 1)
    }

    /// The poll `command` decided (see [`Store::decide_poll_by`]), if it decided one.
    pub fn poll_decided_by(&self, command: &str) -> Result<Option<PollRow>, StoreError> {
        let key: Option<String> = self
            .lock()
            .query_row(
                "SELECT poll_key FROM polls WHERE decided_by_command = ?1",
                params![command],
                |row| row.get(0),
            )
            .optional()?;
        match key {
            Some(key) => self.poll(&key),
            None => Ok(None),
        }
    }

    /// The decided polls' slots by workshop id, in `timezone`, for
    /// [`crate::network::Network::with_decisions`]: only the valid decisions
    /// ([`PollRow::decided_slot`]); [`Store::invalid_decisions`] has the others.
    pub fn decided_slots(&self, timezone: Tz) -> Result<BTreeMap<String, Slot>, StoreError> {
        Ok(self
            .polls()?
            .into_iter()
            .filter_map(|poll| {
                let slot = poll.decided_slot(timezone)?.ok()?;
                Some((poll.key, slot))
            })
            .collect())
    }

    /// The decided polls whose decision is invalid, by workshop id, with why.
    pub fn invalid_decisions(
        &self,
        timezone: Tz,
    ) -> Result<Vec<(String, InvalidDecision)>, StoreError> {
        Ok(self
            .polls()?
            .into_iter()
            .filter_map(|poll| {
                let error = poll.decided_slot(timezone)?.err()?;
                Some((poll.key, error))
            })
            .collect())
    }

    /// Records that the poll's end goes out now; votes arriving after this do not count.
    pub fn end_poll(&self, key: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.lock().execute(
            "UPDATE polls SET ended_at = ?2 WHERE poll_key = ?1 AND ended_at IS NULL",
            params![key, text(now)],
        )?;
        self.changed();
        Ok(())
    }

    /// Records a vote on `poll_key`; false if its event was recorded already.
    pub fn record_vote(&self, poll_key: &str, vote: &Vote) -> Result<bool, StoreError> {
        let (answers, spoiled): (Vec<usize>, bool) = match &vote.response {
            Response::Valid(answers) => (answers.iter().copied().collect(), false),
            Response::Spoiled => (Vec::new(), true),
        };
        let added = self.lock().execute(
            "INSERT OR IGNORE INTO poll_votes
                 (event_id, poll_key, room_key, user_id, answers, at, spoiled)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                vote.event_id,
                poll_key,
                vote.room,
                vote.user,
                serde_json::to_string(&answers).unwrap_or_default(),
                text(vote.at),
                spoiled
            ],
        )?;
        self.changed();
        Ok(added == 1)
    }

    /// Deletes the vote carried by a redacted event; true if there was one.
    pub fn withdraw_vote(&self, event_id: &str) -> Result<bool, StoreError> {
        let deleted = self.lock().execute(
            "DELETE FROM poll_votes WHERE event_id = ?1",
            params![event_id],
        )?;
        self.changed();
        Ok(deleted == 1)
    }

    /// Every vote on a poll, in the order they were cast.
    pub fn votes(&self, poll_key: &str) -> Result<Vec<Vote>, StoreError> {
        let rows: Vec<RawVote> = {
            let connection = self.lock();
            let mut statement = connection.prepare(
                "SELECT event_id, room_key, user_id, answers, at, spoiled FROM poll_votes
                 WHERE poll_key = ?1 ORDER BY at, event_id",
            )?;
            statement
                .query_map(params![poll_key], |row| {
                    Ok(RawVote {
                        event_id: row.get("event_id")?,
                        room: row.get("room_key")?,
                        user: row.get("user_id")?,
                        answers: row.get("answers")?,
                        at: row.get("at")?,
                        spoiled: row.get("spoiled")?,
                    })
                })?
                .collect::<Result<_, _>>()?
        };
        rows.into_iter()
            .map(|raw| {
                let response = if raw.spoiled {
                    Response::Spoiled
                } else {
                    let answers: Vec<usize> =
                        serde_json::from_str(&raw.answers).unwrap_or_default();
                    Response::Valid(answers.into_iter().collect::<BTreeSet<usize>>())
                };
                Ok(Vote {
                    event_id: raw.event_id,
                    room: raw.room,
                    user: raw.user,
                    response,
                    at: time(raw.at)?,
                })
            })
            .collect()
    }

    /// The part the bot delivered as `event_id` in `room_id`, if it did.
    pub fn part_of_event(
        &self,
        room_id: &str,
        event_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT post_key FROM deliveries WHERE room_id = ?1 AND event_id = ?2",
                params![room_id, event_id],
                |row| row.get(0),
            )
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn poll() -> PollRow {
        PollRow {
            key: "smart-city".to_owned(),
            title: "Bewerbung Smart City".to_owned(),
            slots: vec![
                (at("2027-02-03T09:00:00Z"), at("2027-02-03T12:00:00Z")),
                (at("2027-02-05T13:00:00Z"), at("2027-02-05T16:00:00Z")),
            ],
            rooms: vec![("!kl:example.org".to_owned(), "Kaiserslautern".to_owned())],
            decide_by: NaiveDate::from_ymd_opt(2027, 1, 15).unwrap(),
            created_at: at("2027-01-05T10:00:00Z"),
            decision: None,
            ended_at: None,
        }
    }

    fn vote(event: &str, answers: &[usize]) -> Vote {
        Vote {
            event_id: event.to_owned(),
            room: "!kl:example.org".to_owned(),
            user: "@anna:example.org".to_owned(),
            response: Response::Valid(answers.iter().copied().collect()),
            at: at("2027-01-06T10:00:00Z"),
        }
    }

    fn spoiled(event: &str, minute: u32) -> Vote {
        Vote {
            response: Response::Spoiled,
            at: at(&format!("2027-01-06T10:{minute:02}:00Z")),
            ..vote(event, &[])
        }
    }

    #[test]
    fn a_poll_is_kept_as_posted_and_decided_once() {
        let store = Store::in_memory().unwrap();
        assert!(store.open_poll(&poll()).unwrap());
        let mut changed = poll();
        changed.title = "Something else".to_owned();
        assert!(!store.open_poll(&changed).unwrap(), "recorded once");
        assert_eq!(store.poll("smart-city").unwrap(), Some(poll()));
        let decision = PollDecision {
            slot: Some(1),
            start: at("2027-02-05T13:00:00Z"),
            end: at("2027-02-05T16:00:00Z"),
            by: "@organizer:example.org".to_owned(),
            at: at("2027-01-10T10:00:00Z"),
        };
        assert!(store.decide_poll("smart-city", &decision).unwrap());
        let mut other = decision.clone();
        other.slot = Some(0);
        assert!(
            !store.decide_poll("smart-city", &other).unwrap(),
            "decided once"
        );
        store
            .end_poll("smart-city", at("2027-01-10T10:00:01Z"))
            .unwrap();
        let stored = store.poll("smart-city").unwrap().unwrap();
        assert_eq!(stored.decision, Some(decision));
        assert_eq!(stored.ended_at, Some(at("2027-01-10T10:00:01Z")));
        assert_eq!(store.polls().unwrap(), vec![stored]);
    }

    /// Decisions read back from the database are checked like a meeting's date: slot 99 of a
    /// poll with two, an end before the start, a date in the year 9999 (shown "+10000-01-01")
    /// or an end in the year 1 are skipped, never rendered; the valid one is used.
    #[test]
    fn invalid_stored_decisions_are_skipped() {
        let store = Store::in_memory().unwrap();
        let timezone = chrono_tz::Europe::Berlin;
        let decided = |key: &str, slot: Option<usize>, start: &str, end: &str| {
            let mut row = poll();
            row.key = key.to_owned();
            store.open_poll(&row).unwrap();
            let decision = PollDecision {
                slot,
                start: at(start),
                end: at(end),
                by: "@organizer:example.org".to_owned(),
                at: at("2027-01-10T10:00:00Z"),
            };
            assert!(store.decide_poll(key, &decision).unwrap());
        };
        decided(
            "valid",
            Some(1),
            "2027-02-05T13:00:00Z",
            "2027-02-05T16:00:00Z",
        );
        decided(
            "slot-99",
            Some(98),
            "2027-02-05T13:00:00Z",
            "2027-02-05T16:00:00Z",
        );
        decided(
            "other-slot",
            Some(0),
            "2027-02-05T13:00:00Z",
            "2027-02-05T16:00:00Z",
        );
        decided(
            "backwards",
            None,
            "2027-02-05T16:00:00Z",
            "2027-02-05T13:00:00Z",
        );
        decided(
            "year-9999",
            None,
            "9999-12-31T23:30:00Z",
            "9999-12-31T23:45:00Z",
        );
        decided(
            "year-1",
            None,
            "2027-02-05T13:00:00Z",
            "0001-01-01T00:00:00Z",
        );
        decided(
            "two-days",
            None,
            "2027-02-05T13:00:00Z",
            "2027-02-07T13:00:00Z",
        );
        let slots = store.decided_slots(timezone).unwrap();
        assert_eq!(slots.keys().collect::<Vec<_>>(), ["valid"]);
        assert_eq!(
            slots["valid"].start.to_rfc3339(),
            "2027-02-05T14:00:00+01:00"
        );
        let invalid: BTreeMap<String, InvalidDecision> = store
            .invalid_decisions(timezone)
            .unwrap()
            .into_iter()
            .collect();
        assert_eq!(
            invalid["slot-99"],
            InvalidDecision::NoSuchSlot { slot: 98, count: 2 }
        );
        assert_eq!(
            invalid["other-slot"],
            InvalidDecision::NotTheSlot { slot: 0 }
        );
        assert_eq!(
            invalid["backwards"],
            InvalidDecision::EndNotAfterStart {
                start: at("2027-02-05T16:00:00Z"),
                end: at("2027-02-05T13:00:00Z"),
            }
        );
        assert_eq!(
            invalid["year-9999"],
            InvalidDecision::OutOfRange(at("9999-12-31T23:30:00Z"))
        );
        assert_eq!(
            invalid["year-1"],
            InvalidDecision::OutOfRange(at("0001-01-01T00:00:00Z"))
        );
        assert_eq!(invalid["two-days"], InvalidDecision::TooLong);
        assert_eq!(invalid.len(), 6);
        assert_eq!(
            invalid["slot-99"].to_string(),
            "slot 99 is not one of the poll's 2 slots"
        );
    }

    #[test]
    fn a_vote_seen_twice_counts_once_and_a_redacted_one_is_gone() {
        let store = Store::in_memory().unwrap();
        store.open_poll(&poll()).unwrap();
        assert!(
            store
                .record_vote("smart-city", &vote("$a", &[0, 1]))
                .unwrap()
        );
        assert!(!store.record_vote("smart-city", &vote("$a", &[0])).unwrap());
        assert!(store.record_vote("smart-city", &vote("$b", &[])).unwrap());
        assert_eq!(
            store.votes("smart-city").unwrap(),
            vec![vote("$a", &[0, 1]), vote("$b", &[])]
        );
        assert!(store.withdraw_vote("$b").unwrap());
        assert!(!store.withdraw_vote("$b").unwrap());
        assert_eq!(
            store.votes("smart-city").unwrap(),
            vec![vote("$a", &[0, 1])]
        );
        assert!(store.votes("other").unwrap().is_empty());
    }

    #[test]
    fn a_spoiled_vote_is_kept_apart_from_an_empty_one_and_redacted_like_any() {
        let store = Store::in_memory().unwrap();
        store.open_poll(&poll()).unwrap();
        let earlier = vote("$a", &[1]);
        store.record_vote("smart-city", &earlier).unwrap();
        assert!(store.record_vote("smart-city", &spoiled("$b", 5)).unwrap());
        assert!(store.record_vote("smart-city", &vote("$c", &[])).unwrap());
        assert_eq!(
            store.votes("smart-city").unwrap(),
            vec![earlier.clone(), vote("$c", &[]), spoiled("$b", 5)]
        );
        // In the tally the spoiled vote is Anna's latest: nothing counts, not even an answer.
        store.withdraw_vote("$c").unwrap();
        let rooms = poll().rooms;
        let tally = poll::tally(2, &rooms, &store.votes("smart-city").unwrap());
        assert!(tally.answered.is_empty());
        assert_eq!(tally.per_slot, vec![Vec::<String>::new(), vec![]]);
        // Redacted, it is gone, and her earlier vote counts again.
        assert!(store.withdraw_vote("$b").unwrap());
        assert_eq!(store.votes("smart-city").unwrap(), vec![earlier]);
        let tally = poll::tally(2, &rooms, &store.votes("smart-city").unwrap());
        assert_eq!(
            tally.per_slot,
            vec![vec![], vec!["Kaiserslautern".to_owned()]]
        );
    }

    /// A database from before migration 8 keeps its votes, read as valid ones.
    #[test]
    fn votes_recorded_before_the_spoiled_flag_are_valid() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("convene.sqlite3");
        {
            let connection = rusqlite::Connection::open(&path).unwrap();
            let before = super::super::MIGRATIONS.len() - 1;
            for migration in &super::super::MIGRATIONS[..before] {
                connection.execute_batch(migration).unwrap();
            }
            connection
                .pragma_update(None, "user_version", before)
                .unwrap();
            connection
                .execute(
                    "INSERT INTO poll_votes (event_id, poll_key, room_key, user_id, answers, at)
                     VALUES ('$a', 'smart-city', '!kl:example.org', '@anna:example.org',
                             '[0,1]', '2027-01-06T10:00:00.000Z')",
                    [],
                )
                .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.votes("smart-city").unwrap(),
            vec![vote("$a", &[0, 1])]
        );
    }
}
