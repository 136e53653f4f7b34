//! Finding a workshop's date with a poll: the candidate slots an agenda file offers, the votes
//! of the member municipalities, and the tally the organizers decide by.
//!
//! Pure: no I/O, no clock; callers pass the instants and the votes they have. An agenda file
//! with `candidates:` and `decide_by:` instead of `date:`, `start:` and `duration:` defines a
//! [`PollDraft`]; once the organizers decide, the workshop becomes an ordinary [`OneOff`] on the
//! chosen [`Slot`] ([`PollDraft::to_one_off`]), under the same id, so its agenda and minutes keep
//! their key.
//!
//! The bot asks with a native Matrix poll (`m.poll.start`) whose answers are the slots, with
//! the ids [`answer_id`] gives ("1", "2", …), the same numbers members type with `!vote 1 3`.
//!
//! How a poll response is read ([`read_response`]): as MSC3381 and Element read it, so that a
//! vote is valid or spoiled for the bot exactly when it is for the members' apps.
//!
//! How the [`tally`] counts, the same way Element shows a poll:
//! - Only the latest vote of each user in each room counts: the one with the latest `at`, and
//!   of two at the same instant the one with the greater event id. A vote seen twice (the same
//!   event from a sync and from a `!vote` echo) is the same vote and counts once.
//! - A spoiled latest vote ([`Response::Spoiled`]) counts for nothing: no slot, and not even an
//!   answer. Being the latest, it still replaces the user's earlier vote, whose slots no longer
//!   count either ("Only a user's most recent vote (by `origin_server_ts`) is accepted, even if
//!   that event is invalid", MSC3381). A room whose members' latest votes are all spoiled has
//!   not answered, so it is reminded like a room that never answered.
//! - A stored answer outside the poll's slots (a response cannot give one: it is spoiled on
//!   arrival) is ignored; the rest of the vote stands.
//! - A latest valid vote with no answer means "none of the slots": the room has answered and
//!   is available for nothing. That is how `!vote none` and an empty poll response withdraw.
//! - A municipality (room) is available for a slot when the latest vote of any of its members
//!   includes the slot: one person who can come is enough.
//! - A room without any vote has not answered. Votes from rooms that are not listed are ignored.
//! - A redacted vote is not passed in at all (the caller deletes it), so the user's earlier
//!   vote, if any, counts again.
//! - Rooms are listed in the order the caller gives them, so the result is deterministic.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeDelta, Utc};
use chrono_tz::Tz;
use url::Url;

use crate::schedule::{OneOff, localize};

/// How long before `decide_by` the municipalities that have not answered are reminded.
/// Three days leave a working day or two to ask around in the administration before the
/// organizers decide, and still come late enough that the poll is not forgotten again.
pub const REMIND_BEFORE_DECIDE_BY: Days = Days::new(3);

/// The local time of day the reminder goes out: office hours, like the action items' reminders.
pub const REMIND_AT: NaiveTime = match NaiveTime::from_hms_opt(9, 0, 0) {
    Some(time) => time,
    None => NaiveTime::MIN,
};

/// One candidate date and time of a workshop, in the network's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot {
    /// When it would start.
    pub start: DateTime<Tz>,
    /// When it would end.
    pub end: DateTime<Tz>,
}

impl Slot {
    /// The slot starting at the local `date` and `start` in `timezone` and lasting `duration`;
    /// `None` if its end leaves chrono's range (validation keeps dates and durations far from
    /// that). A start in the spring gap is read as [`localize`] reads it; agenda files refuse it.
    pub fn new(
        timezone: Tz,
        date: NaiveDate,
        start: NaiveTime,
        duration: TimeDelta,
    ) -> Option<Self> {
        let start = localize(timezone, date, start);
        let end = start.checked_add_signed(duration)?;
        Some(Self { start, end })
    }

    /// How long it lasts.
    pub fn duration(&self) -> TimeDelta {
        self.end - self.start
    }

    /// The slot between two instants (as the database keeps slots), shown in `timezone`.
    pub fn between(start: DateTime<Utc>, end: DateTime<Utc>, timezone: Tz) -> Self {
        Self {
            start: start.with_timezone(&timezone),
            end: end.with_timezone(&timezone),
        }
    }

    /// Its start and end as instants, as the database keeps slots.
    pub fn instants(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        (self.start.with_timezone(&Utc), self.end.with_timezone(&Utc))
    }
}

/// A workshop whose date is still to be found: what an agenda file with `candidates:` defines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollDraft {
    /// The workshop's id (a slug), the key of its agenda and, once decided, of its meeting.
    pub id: String,
    /// The workshop's title.
    pub title: String,
    /// The candidate slots, in the file's order (at least [`crate::limits::MIN_CANDIDATES`],
    /// at most [`crate::limits::MAX_CANDIDATES`], no two alike).
    pub slots: Vec<Slot>,
    /// The last day to answer, in the network's time zone; every slot starts after it.
    pub decide_by: NaiveDate,
    /// The video conference link, for the workshop once decided.
    pub video_link: Option<Url>,
    /// A note from the organizers, shown with the poll.
    pub note: Option<String>,
}

impl PollDraft {
    /// The end of the `decide_by` day in `timezone`: the start of the day after.
    pub fn decide_by_end(&self, timezone: Tz) -> DateTime<Tz> {
        let next = self.decide_by.succ_opt().unwrap_or(self.decide_by);
        localize(timezone, next, NaiveTime::MIN)
    }

    /// When the rooms that have not answered are reminded: [`REMIND_BEFORE_DECIDE_BY`] before
    /// `decide_by`, at [`REMIND_AT`] local time. The caller decides what to do when that is
    /// already past (a poll opened late).
    pub fn reminder_at(&self, timezone: Tz) -> DateTime<Tz> {
        let day = self
            .decide_by
            .checked_sub_days(REMIND_BEFORE_DECIDE_BY)
            .unwrap_or(self.decide_by);
        localize(timezone, day, REMIND_AT)
    }

    /// The workshop as an ordinary one-off meeting on the decided `slot`, under the poll's id.
    pub fn to_one_off(&self, slot: &Slot) -> OneOff {
        OneOff {
            id: self.id.clone(),
            title: self.title.clone(),
            date: slot.start.date_naive(),
            start: slot.start.time(),
            duration: slot.duration(),
            video_link: self.video_link.clone(),
            cancelled: None,
        }
    }
}

/// Why a decision read back from the database cannot be the workshop's date. The database is
/// the bot's own, but a decision in it is data like any other (a damaged file, a hand-edited
/// row, a bug of an older version): it is checked against the bounds of every meeting before
/// it becomes one, as an agenda file's date is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidDecision {
    /// The decided slot number names no slot of the poll.
    #[error("slot {} is not one of the poll's {count} slots", slot + 1)]
    NoSuchSlot {
        /// The slot, 0-based.
        slot: usize,
        /// How many slots the poll has.
        count: usize,
    },
    /// The decided slot number names a slot with another date than the one decided.
    #[error("slot {} of the poll is not the decided date", slot + 1)]
    NotTheSlot {
        /// The slot, 0-based.
        slot: usize,
    },
    /// It ends before it starts, or when it starts.
    #[error("it ends ({end}) before it starts ({start})")]
    EndNotAfterStart {
        /// The decided start.
        start: DateTime<Utc>,
        /// The decided end.
        end: DateTime<Utc>,
    },
    /// It lasts longer than a meeting may ([`crate::limits::MAX_MEETING`]).
    #[error("it lasts longer than a day")]
    TooLong,
    /// It is outside the dates convene plans with.
    #[error("{0} is outside the dates convene plans with (1970-01-01 to 2200-12-31)")]
    OutOfRange(DateTime<Utc>),
}

/// The decided slot of a poll with `slots` (as stored: instants), shown in `timezone`, if the
/// decision is one a meeting can have: within [`crate::limits::FIRST_DATE`] and
/// [`crate::limits::LAST_DATE`], ending after it starts, at most a day long, and — when it
/// names a slot number — that slot.
pub fn checked_decision(
    slots: &[(DateTime<Utc>, DateTime<Utc>)],
    slot: Option<usize>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    timezone: Tz,
) -> Result<Slot, InvalidDecision> {
    if let Some(slot) = slot {
        match slots.get(slot) {
            None => {
                return Err(InvalidDecision::NoSuchSlot {
                    slot,
                    count: slots.len(),
                });
            }
            Some(&stored) if stored != (start, end) => {
                return Err(InvalidDecision::NotTheSlot { slot });
            }
            Some(_) => {}
        }
    }
    let decided = Slot::between(start, end, timezone);
    checked_slot(&decided)?;
    Ok(decided)
}

/// Whether `slot` is one a meeting can have: see [`checked_decision`].
pub fn checked_slot(slot: &Slot) -> Result<(), InvalidDecision> {
    let (start, end) = slot.instants();
    for (at, local) in [(start, slot.start), (end, slot.end)] {
        let date = local.date_naive();
        if !(crate::limits::FIRST_DATE..=crate::limits::LAST_DATE).contains(&date) {
            return Err(InvalidDecision::OutOfRange(at));
        }
    }
    if end <= start {
        return Err(InvalidDecision::EndNotAfterStart { start, end });
    }
    if end - start > crate::limits::MAX_MEETING {
        return Err(InvalidDecision::TooLong);
    }
    Ok(())
}

/// The key of a poll's start event (the post and its part in each room).
pub fn start_key(id: &str) -> String {
    format!("poll/{id}")
}

/// The key of the notice with the slots for clients without polls.
pub fn ballot_key(id: &str) -> String {
    format!("poll-text/{id}")
}

/// The key of the reminder to the rooms that have not answered.
pub fn reminder_key(id: &str) -> String {
    format!("poll-reminder/{id}")
}

/// The key of the poll's end (the post and its end event in each room).
pub fn end_key(id: &str) -> String {
    format!("poll-end/{id}")
}

/// The key of the notice that goes with the end.
pub fn closed_key(id: &str) -> String {
    format!("poll-closed/{id}")
}

/// The id of the answer for slot `index` (0-based) in the poll event: "1", "2", …, the
/// numbers members write with `!vote`.
pub fn answer_id(index: usize) -> String {
    index.saturating_add(1).to_string()
}

/// The slot (0-based) an answer id names, if it is one of `slots` slots. Only the ids
/// [`answer_id`] writes are accepted ("01" and "+1" are not "1").
pub fn answer_index(id: &str, slots: usize) -> Option<usize> {
    let number: usize = id.parse().ok()?;
    let index = number.checked_sub(1)?;
    (index < slots && answer_id(index) == id).then_some(index)
}

/// How many answers the bot's polls allow (`max_selections` of the poll start event): every
/// slot, since a municipality may be able to come on several dates. One function for the poll
/// the bot sends and the responses it reads, so the two cannot disagree.
pub fn max_selections(slots: usize) -> usize {
    slots
}

/// What a vote says, once read against the poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// The slots chosen, 0-based; empty for "none of them" (an empty poll response, or
    /// `!vote none`).
    Valid(BTreeSet<usize>),
    /// A poll response naming an answer the poll does not have: it counts for nothing, and
    /// still replaces the user's earlier vote (see the module documentation).
    Spoiled,
}

/// Reads the answer ids of a poll response (`m.selections`, or `answers` in the unstable
/// `org.matrix.msc3381.poll.response`) against a poll of `slots` slots that allows
/// `max_selections` answers, by the rules of MSC3381 (the polls proposal; the Matrix
/// specification has no polls module yet) as Element applies them:
///
/// > Clients must truncate this array to `max_selections` during processing. Each entry is the
/// > `m.id` of a poll answer option from the poll start event. If *any* of the supplied answers
/// > is unknown, the sender's vote is spoiled (as if they didn't make a selection). If an entry
/// > is repeated after truncation, only one of those entries counts as the sender's vote (each
/// > sender gets 1 vote).
///
/// and of `m.selections`: it "Can be empty to denote 'no selection'", which is how a user
/// withdraws: "To 'unvote' or otherwise override the previous vote state, clients should send a
/// response with an empty `m.selections` array" (MSC3381 puts these in double quotes).
///
/// So:
/// - any unknown id ("99", "01", "") spoils the whole response, even one among known ids;
///   every supplied id is checked, also those past `max_selections` (matrix-js-sdk's
///   `PollResponseEvent::validateAgainst`, which Element counts with, checks before it
///   truncates);
/// - more answers than `max_selections` do not spoil it: only the first `max_selections`
///   count (the bot's polls allow every slot, so only a response that repeats ids can have
///   more);
/// - a repeated id counts once;
/// - no id at all is a valid response choosing nothing. (matrix-js-sdk calls it spoiled; in
///   Element's count both give no slot and both replace the earlier vote. The bot tells them
///   apart only for who has answered: "no date suits" is an answer, a spoiled vote is none.)
pub fn read_response(ids: &[String], slots: usize, max_selections: usize) -> Response {
    let mut indices = Vec::with_capacity(ids.len());
    for id in ids {
        match answer_index(id, slots) {
            Some(index) => indices.push(index),
            None => return Response::Spoiled,
        }
    }
    indices.truncate(max_selections);
    Response::Valid(indices.into_iter().collect())
}

/// One vote, as the bot received it from a poll response or a `!vote` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vote {
    /// The event that carried it; a vote seen twice has the same id.
    pub event_id: String,
    /// The key of the member room it came from.
    pub room: String,
    /// Who voted.
    pub user: String,
    /// What it says: the slots chosen, or spoiled.
    pub response: Response,
    /// When it was sent (the event's origin server timestamp).
    pub at: DateTime<Utc>,
}

/// Who can come when: the result of [`tally`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// For every slot, the names of the rooms available for it, in the rooms' order.
    pub per_slot: Vec<Vec<String>>,
    /// The names of the rooms that have answered, in the rooms' order.
    pub answered: Vec<String>,
    /// The names of the rooms that have not answered, in the rooms' order.
    pub not_answered: Vec<String>,
}

impl Tally {
    /// The slots (0-based, ascending) that the most rooms are available for; empty when no room
    /// is available for any slot.
    pub fn best(&self) -> Vec<usize> {
        let most = self.per_slot.iter().map(Vec::len).max().unwrap_or(0);
        if most == 0 {
            return Vec::new();
        }
        self.per_slot
            .iter()
            .enumerate()
            .filter(|(_, rooms)| rooms.len() == most)
            .map(|(index, _)| index)
            .collect()
    }
}

/// The latest vote of each user in each room, by (room, user).
fn latest(votes: &[Vote]) -> BTreeMap<(&str, &str), &Vote> {
    let mut latest: BTreeMap<(&str, &str), &Vote> = BTreeMap::new();
    for vote in votes {
        let key = (vote.room.as_str(), vote.user.as_str());
        let newer = latest
            .get(&key)
            .is_none_or(|seen| (vote.at, &vote.event_id) > (seen.at, &seen.event_id));
        if newer {
            latest.insert(key, vote);
        }
    }
    latest
}

/// The keys of the rooms that have answered, as [`tally`] counts them: those where the latest
/// vote of at least one member is not spoiled. The reminder goes to the others.
pub fn answered_rooms(votes: &[Vote]) -> BTreeSet<&str> {
    latest(votes)
        .into_iter()
        .filter(|(_, vote)| matches!(vote.response, Response::Valid(_)))
        .map(|((room, _), _)| room)
        .collect()
}

/// Counts `votes` for a poll of `slots` slots among `rooms` (room key, display name), by the
/// rules in the module documentation.
pub fn tally(slots: usize, rooms: &[(String, String)], votes: &[Vote]) -> Tally {
    let latest = latest(votes);
    let mut tally = Tally {
        per_slot: vec![Vec::new(); slots],
        ..Tally::default()
    };
    for (key, name) in rooms {
        let mut answered = false;
        let mut available = BTreeSet::new();
        for ((_, _), vote) in latest
            .range((key.as_str(), "")..)
            .take_while(|((room, _), _)| room == key)
        {
            // A spoiled vote counts for nothing, not even as an answer.
            let Response::Valid(answers) = &vote.response else {
                continue;
            };
            answered = true;
            available.extend(answers.iter().copied().filter(|&answer| answer < slots));
        }
        if !answered {
            tally.not_answered.push(name.clone());
            continue;
        }
        tally.answered.push(name.clone());
        for slot in available {
            tally.per_slot[slot].push(name.clone());
        }
    }
    tally
}

/// What an undecided poll needs at a given instant: the pure decision behind posting it,
/// reminding the rooms that have not answered, and reporting it overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// Post the poll now: it has not been posted and can still be answered.
    pub open: bool,
    /// Remind the rooms that have not answered (the caller does it once).
    pub remind: bool,
    /// `decide_by` has passed without a decision: tell the organizers (once).
    pub overdue: bool,
    /// When to look again, if something is still to come.
    pub wake_at: Option<DateTime<Utc>>,
}

/// The [`Step`] of `draft` at `now`, for a poll posted at `posted` (`None`: not yet).
///
/// A poll that appears only after `decide_by` is not posted (nobody could answer it in time);
/// it is reported as overdue. The reminder goes out only for a poll posted before its
/// reminder time: one posted later is still fresh in the rooms, and reminding at once would
/// only repeat it.
pub fn step(
    draft: &PollDraft,
    timezone: Tz,
    posted: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Step {
    let deadline = draft.decide_by_end(timezone).with_timezone(&Utc);
    let remind_at = draft.reminder_at(timezone).with_timezone(&Utc);
    if now >= deadline {
        return Step {
            open: false,
            remind: false,
            overdue: true,
            wake_at: None,
        };
    }
    let posted_at = posted.unwrap_or(now);
    let reminds = posted_at < remind_at;
    Step {
        open: posted.is_none(),
        remind: reminds && now >= remind_at,
        overdue: false,
        wake_at: Some(if reminds && now < remind_at {
            remind_at
        } else {
            deadline
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: u32) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2027-01-10T09:{minute:02}:00Z"))
            .unwrap()
            .with_timezone(&Utc)
    }

    fn vote(event: &str, room: &str, user: &str, answers: &[usize], minute: u32) -> Vote {
        Vote {
            event_id: event.to_owned(),
            room: room.to_owned(),
            user: user.to_owned(),
            response: Response::Valid(answers.iter().copied().collect()),
            at: at(minute),
        }
    }

    fn spoiled(event: &str, room: &str, user: &str, minute: u32) -> Vote {
        Vote {
            response: Response::Spoiled,
            ..vote(event, room, user, &[], minute)
        }
    }

    fn ids(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|id| (*id).to_owned()).collect()
    }

    fn valid(answers: &[usize]) -> Response {
        Response::Valid(answers.iter().copied().collect())
    }

    fn rooms() -> Vec<(String, String)> {
        [
            ("kl", "Kaiserslautern"),
            ("bp", "Bitburg-Prüm"),
            ("my", "Mayen-Koblenz"),
        ]
        .into_iter()
        .map(|(key, name)| (key.to_owned(), name.to_owned()))
        .collect()
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn rooms_without_votes_have_not_answered() {
        let tally = tally(2, &rooms(), &[vote("$a", "kl", "@anna", &[0], 1)]);
        assert_eq!(tally.per_slot, vec![names(&["Kaiserslautern"]), vec![]]);
        assert_eq!(tally.answered, names(&["Kaiserslautern"]));
        assert_eq!(
            tally.not_answered,
            names(&["Bitburg-Prüm", "Mayen-Koblenz"])
        );
        assert_eq!(tally.best(), vec![0]);
    }

    #[test]
    fn only_the_latest_vote_of_a_user_counts() {
        // Given out of order: the later one wins, whatever the order of arrival.
        let votes = [
            vote("$b", "kl", "@anna", &[1], 5),
            vote("$a", "kl", "@anna", &[0], 1),
        ];
        let tally = tally(2, &rooms(), &votes);
        assert_eq!(tally.per_slot, vec![vec![], names(&["Kaiserslautern"])]);
        // At the same instant, the greater event id.
        let votes = [
            vote("$z", "kl", "@anna", &[0], 1),
            vote("$y", "kl", "@anna", &[1], 1),
        ];
        assert_eq!(
            super::tally(2, &rooms(), &votes).per_slot,
            vec![names(&["Kaiserslautern"]), vec![]]
        );
    }

    #[test]
    fn an_empty_latest_vote_answers_none_of_the_slots() {
        let votes = [
            vote("$a", "kl", "@anna", &[0, 1], 1),
            vote("$b", "kl", "@anna", &[], 2),
        ];
        let tally = tally(2, &rooms(), &votes);
        assert_eq!(tally.per_slot, vec![Vec::<String>::new(), vec![]]);
        assert_eq!(tally.answered, names(&["Kaiserslautern"]));
        assert_eq!(
            tally.not_answered,
            names(&["Bitburg-Prüm", "Mayen-Koblenz"])
        );
        assert!(tally.best().is_empty());
    }

    #[test]
    fn a_room_is_available_when_any_member_is() {
        let votes = [
            vote("$a", "kl", "@anna", &[0], 1),
            vote("$b", "kl", "@bernd", &[1], 2),
            vote("$c", "kl", "@clara", &[], 3),
            vote("$d", "bp", "@dora", &[1], 4),
        ];
        let tally = tally(3, &rooms(), &votes);
        assert_eq!(
            tally.per_slot,
            vec![
                names(&["Kaiserslautern"]),
                names(&["Kaiserslautern", "Bitburg-Prüm"]),
                vec![]
            ]
        );
        assert_eq!(tally.answered, names(&["Kaiserslautern", "Bitburg-Prüm"]));
        assert_eq!(tally.best(), vec![1]);
    }

    #[test]
    fn the_same_user_in_two_rooms_votes_for_each() {
        let votes = [
            vote("$a", "kl", "@anna", &[0], 1),
            vote("$b", "bp", "@anna", &[1], 2),
        ];
        let tally = tally(2, &rooms(), &votes);
        assert_eq!(
            tally.per_slot,
            vec![names(&["Kaiserslautern"]), names(&["Bitburg-Prüm"])]
        );
        assert_eq!(tally.best(), vec![0, 1]);
    }

    #[test]
    fn a_vote_seen_twice_counts_once() {
        let once = [vote("$a", "kl", "@anna", &[0], 1)];
        let twice = [once[0].clone(), once[0].clone()];
        assert_eq!(tally(2, &rooms(), &once), tally(2, &rooms(), &twice));
        assert_eq!(tally(2, &rooms(), &twice).per_slot[0].len(), 1);
    }

    #[test]
    fn answers_outside_the_slots_are_ignored() {
        let votes = [
            vote("$a", "kl", "@anna", &[1, 2, 99, usize::MAX], 1),
            vote("$b", "bp", "@bernd", &[5], 2),
        ];
        let tally = tally(2, &rooms(), &votes);
        assert_eq!(tally.per_slot, vec![vec![], names(&["Kaiserslautern"])]);
        // Only invalid answers: answered, available for nothing.
        assert_eq!(tally.answered, names(&["Kaiserslautern", "Bitburg-Prüm"]));
    }

    #[test]
    fn a_redacted_vote_leaves_the_earlier_one() {
        let earlier = vote("$a", "kl", "@anna", &[0], 1);
        let later = vote("$b", "kl", "@anna", &[1], 2);
        let both = tally(2, &rooms(), &[earlier.clone(), later]);
        assert_eq!(both.per_slot, vec![vec![], names(&["Kaiserslautern"])]);
        // The caller deletes the redacted later vote: the earlier one counts again.
        let after = tally(2, &rooms(), &[earlier]);
        assert_eq!(after.per_slot, vec![names(&["Kaiserslautern"]), vec![]]);
    }

    #[test]
    fn a_response_with_known_ids_is_valid() {
        assert_eq!(read_response(&ids(&["1", "3"]), 3, 3), valid(&[0, 2]));
        // The order of the ids does not matter.
        assert_eq!(read_response(&ids(&["3", "1"]), 3, 3), valid(&[0, 2]));
        assert_eq!(read_response(&ids(&["2"]), 3, 3), valid(&[1]));
    }

    /// MSC3381: "If an entry is repeated after truncation, only one of those entries counts as
    /// the sender's vote (each sender gets 1 vote)."
    #[test]
    fn a_repeated_id_counts_once() {
        assert_eq!(read_response(&ids(&["2", "2"]), 3, 3), valid(&[1]));
        assert_eq!(read_response(&ids(&["1", "2", "1"]), 3, 3), valid(&[0, 1]));
    }

    /// MSC3381: "If *any* of the supplied answers is unknown, the sender's vote is spoiled".
    #[test]
    fn one_unknown_id_spoils_the_whole_response() {
        for unknown in ["99", "0", "4", "01", "+1", "", "eins", " 1", "pizza"] {
            assert_eq!(
                read_response(&ids(&["1", unknown]), 3, 3),
                Response::Spoiled,
                "{unknown:?}"
            );
            assert_eq!(
                read_response(&ids(&[unknown]), 3, 3),
                Response::Spoiled,
                "{unknown:?}"
            );
        }
        // Also an unknown id past `max_selections`: every supplied id is checked, as Element
        // checks them.
        assert_eq!(
            read_response(&ids(&["1", "2", "99"]), 3, 2),
            Response::Spoiled
        );
    }

    /// MSC3381: "Clients must truncate this array to `max_selections` during processing": more
    /// answers than allowed do not spoil a response; the first `max_selections` count.
    #[test]
    fn answers_past_max_selections_are_cut_off() {
        assert_eq!(read_response(&ids(&["3", "1", "2"]), 3, 2), valid(&[0, 2]));
        assert_eq!(read_response(&ids(&["3", "1", "2"]), 3, 1), valid(&[2]));
        // The bot's polls allow every slot: only repeated ids can be too many, and the repeats
        // are cut off before what follows them.
        let max = max_selections(2);
        assert_eq!(read_response(&ids(&["1", "1", "2"]), 2, max), valid(&[0]));
        assert_eq!(
            read_response(&ids(&["2", "1", "1"]), 2, max),
            valid(&[0, 1])
        );
    }

    /// MSC3381: `m.selections` "Can be empty to denote 'no selection'" (double quotes there).
    #[test]
    fn an_empty_response_is_valid_and_chooses_nothing() {
        assert_eq!(read_response(&[], 3, 3), valid(&[]));
    }

    #[test]
    fn a_spoiled_latest_vote_counts_for_nothing_and_replaces_the_earlier_one() {
        let votes = [
            vote("$a", "kl", "@anna", &[0, 1], 1),
            spoiled("$b", "kl", "@anna", 2),
            vote("$c", "bp", "@bernd", &[1], 3),
        ];
        let tally = tally(2, &rooms(), &votes);
        // Anna's earlier slots no longer count, and her room has not answered.
        assert_eq!(tally.per_slot, vec![vec![], names(&["Bitburg-Prüm"])]);
        assert_eq!(tally.answered, names(&["Bitburg-Prüm"]));
        assert_eq!(
            tally.not_answered,
            names(&["Kaiserslautern", "Mayen-Koblenz"])
        );
        assert_eq!(answered_rooms(&votes), BTreeSet::from(["bp"]));
    }

    #[test]
    fn a_spoiled_vote_followed_by_a_valid_one_is_replaced() {
        let votes = [
            spoiled("$a", "kl", "@anna", 1),
            vote("$b", "kl", "@anna", &[0], 2),
        ];
        let tally = tally(2, &rooms(), &votes);
        assert_eq!(tally.per_slot, vec![names(&["Kaiserslautern"]), vec![]]);
        assert_eq!(tally.answered, names(&["Kaiserslautern"]));
    }

    #[test]
    fn a_spoiled_vote_leaves_the_other_members_of_the_room() {
        let votes = [
            vote("$a", "kl", "@anna", &[0], 1),
            spoiled("$b", "kl", "@bernd", 2),
            vote("$c", "bp", "@clara", &[], 3),
        ];
        let tally = tally(2, &rooms(), &votes);
        assert_eq!(tally.per_slot, vec![names(&["Kaiserslautern"]), vec![]]);
        // An empty vote is an answer (no date suits); a spoiled one is none.
        assert_eq!(tally.answered, names(&["Kaiserslautern", "Bitburg-Prüm"]));
        assert_eq!(answered_rooms(&votes), BTreeSet::from(["bp", "kl"]));
    }

    #[test]
    fn a_redacted_spoiled_vote_leaves_the_earlier_one() {
        let earlier = vote("$a", "kl", "@anna", &[1], 1);
        let spoiling = spoiled("$b", "kl", "@anna", 2);
        let both = tally(2, &rooms(), &[earlier.clone(), spoiling]);
        assert!(both.answered.is_empty());
        // The caller deletes the redacted spoiled vote: the earlier one counts again.
        let after = tally(2, &rooms(), &[earlier]);
        assert_eq!(after.per_slot, vec![vec![], names(&["Kaiserslautern"])]);
    }

    /// The reminder's rooms and the tally's agree, whatever the votes.
    #[test]
    fn answered_rooms_are_the_tallys() {
        let votes = [
            vote("$a", "kl", "@anna", &[0], 1),
            spoiled("$b", "kl", "@anna", 2),
            vote("$c", "bp", "@bernd", &[], 3),
            spoiled("$d", "my", "@dora", 4),
            vote("$e", "my", "@emil", &[1], 5),
            vote("$f", "elsewhere", "@x", &[1], 6),
        ];
        let rooms = rooms();
        let tally = tally(2, &rooms, &votes);
        let answered = answered_rooms(&votes);
        let by_key: Vec<String> = rooms
            .iter()
            .filter(|(key, _)| answered.contains(key.as_str()))
            .map(|(_, name)| name.clone())
            .collect();
        assert_eq!(by_key, tally.answered);
        assert_eq!(tally.answered, names(&["Bitburg-Prüm", "Mayen-Koblenz"]));
    }

    #[test]
    fn votes_from_rooms_not_listed_are_ignored() {
        let tally = tally(2, &rooms(), &[vote("$a", "elsewhere", "@x", &[0], 1)]);
        assert_eq!(tally.per_slot, vec![Vec::<String>::new(), vec![]]);
        assert!(tally.answered.is_empty());
        assert_eq!(tally.not_answered.len(), 3);
    }

    #[test]
    fn answer_ids_are_one_based() {
        assert_eq!(answer_id(0), "1");
        assert_eq!(answer_id(11), "12");
        assert_eq!(answer_index("1", 2), Some(0));
        assert_eq!(answer_index("2", 2), Some(1));
        for id in ["0", "3", "01", "+1", "-1", "", "eins", " 1"] {
            assert_eq!(answer_index(id, 2), None, "{id}");
        }
        for index in 0..12 {
            assert_eq!(answer_index(&answer_id(index), 12), Some(index));
        }
    }

    fn draft(tz: Tz) -> PollDraft {
        let date = |d| NaiveDate::from_ymd_opt(2027, 2, d).unwrap();
        let ten = NaiveTime::from_hms_opt(10, 0, 0).unwrap();
        PollDraft {
            id: "smart-city".to_owned(),
            title: "Bewerbung Smart City".to_owned(),
            slots: vec![
                Slot::new(tz, date(3), ten, TimeDelta::hours(3)).unwrap(),
                Slot::new(tz, date(5), ten, TimeDelta::hours(3)).unwrap(),
            ],
            decide_by: NaiveDate::from_ymd_opt(2027, 1, 15).unwrap(),
            video_link: Some(Url::parse("https://meet.example.org/smart-city").unwrap()),
            note: None,
        }
    }

    #[test]
    fn deadlines_are_local() {
        let tz = chrono_tz::Europe::Berlin;
        let draft = draft(tz);
        assert_eq!(
            draft.decide_by_end(tz).to_rfc3339(),
            "2027-01-16T00:00:00+01:00"
        );
        assert_eq!(
            draft.reminder_at(tz).to_rfc3339(),
            "2027-01-12T09:00:00+01:00"
        );
        // Across the change to summer time, the reminder stays at 09:00 local.
        let mut spring = draft.clone();
        spring.decide_by = NaiveDate::from_ymd_opt(2027, 3, 30).unwrap();
        assert_eq!(
            spring.reminder_at(tz).to_rfc3339(),
            "2027-03-27T09:00:00+01:00"
        );
        spring.decide_by = NaiveDate::from_ymd_opt(2027, 4, 1).unwrap();
        assert_eq!(
            spring.reminder_at(tz).to_rfc3339(),
            "2027-03-29T09:00:00+02:00"
        );
    }

    #[test]
    fn the_decided_slot_becomes_a_one_off_under_the_same_id() {
        let tz = chrono_tz::Europe::Berlin;
        let draft = draft(tz);
        let one_off = draft.to_one_off(&draft.slots[1]);
        assert_eq!(one_off.id, "smart-city");
        assert_eq!(one_off.title, "Bewerbung Smart City");
        assert_eq!(one_off.date, NaiveDate::from_ymd_opt(2027, 2, 5).unwrap());
        assert_eq!(one_off.start, NaiveTime::from_hms_opt(10, 0, 0).unwrap());
        assert_eq!(one_off.duration, TimeDelta::hours(3));
        assert_eq!(one_off.video_link, draft.video_link);
        assert_eq!(one_off.cancelled, None);
        // The schedule shows it exactly on the slot.
        let schedule = crate::schedule::Schedule {
            timezone: tz,
            holidays: crate::holidays::State::RheinlandPfalz,
            series: Vec::new(),
            one_offs: vec![one_off],
        };
        let meeting = schedule.find("smart-city").unwrap();
        assert_eq!(
            (meeting.start, meeting.end),
            (draft.slots[1].start, draft.slots[1].end)
        );
    }

    #[test]
    fn a_slot_past_the_end_of_time_is_none() {
        let tz = chrono_tz::Europe::Berlin;
        let ten = NaiveTime::from_hms_opt(10, 0, 0).unwrap();
        assert!(Slot::new(tz, NaiveDate::MAX, ten, TimeDelta::days(1)).is_none());
    }

    #[test]
    fn a_poll_is_posted_reminded_once_due_and_reported_when_overdue() {
        let tz = chrono_tz::Europe::Berlin;
        let draft = draft(tz);
        let utc = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&Utc)
        };
        let early = utc("2027-01-05T12:00:00+01:00");
        let remind = utc("2027-01-12T09:00:00+01:00");
        let deadline = utc("2027-01-16T00:00:00+01:00");
        // A new file: posted now; the reminder is the next thing.
        let fresh = step(&draft, tz, None, early);
        assert_eq!(
            fresh,
            Step {
                open: true,
                remind: false,
                overdue: false,
                wake_at: Some(remind)
            }
        );
        // Posted early, at the reminder time: remind, then wait for the deadline.
        let due = step(&draft, tz, Some(early), remind);
        assert_eq!(
            (due.open, due.remind, due.wake_at),
            (false, true, Some(deadline))
        );
        // Posted after the reminder time: never reminded.
        let late_post = utc("2027-01-14T10:00:00+01:00");
        let late = step(&draft, tz, None, late_post);
        assert_eq!(
            (late.open, late.remind, late.wake_at),
            (true, false, Some(deadline))
        );
        let later = step(
            &draft,
            tz,
            Some(late_post),
            utc("2027-01-15T10:00:00+01:00"),
        );
        assert!(!later.remind && !later.open);
        // One second before the end of decide_by the poll is still open; at the end, overdue.
        let last = step(&draft, tz, Some(early), deadline - TimeDelta::seconds(1));
        assert!(!last.overdue && last.remind);
        for posted in [Some(early), None] {
            assert_eq!(
                step(&draft, tz, posted, deadline),
                Step {
                    open: false,
                    remind: false,
                    overdue: true,
                    wake_at: None
                }
            );
        }
    }
}
