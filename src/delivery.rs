//! What to do next for a post: the pure decision behind "every part of a post reaches every room
//! exactly once, and what cannot be delivered is given up and reported".
//!
//! A post is everything that belongs to it: an announcement is its message, its pin and its
//! .ics file in every room, and one summary for the organizers; a change is its edits, its
//! notice and its updated .ics; minutes are their message and their file. Each of these
//! *parts* has its own record per room (see [`crate::store`]): recorded before it is sent,
//! confirmed after, and — when sending fails — retried with growing back-off until it is given
//! up. [`room_step`] decides, from a room's records, what that room needs next; [`decide`]
//! decides for the whole post: which rooms to work on, whether the organizers' summary is due,
//! and whether the post is finished. Neither does I/O or reads the clock, so every point at
//! which a crash can interrupt a post is a row in the tests below.

use chrono::{DateTime, TimeDelta, Utc};

/// The first pause after a failed send; each further failure doubles it.
pub const FIRST_RETRY: TimeDelta = TimeDelta::seconds(10);
/// The longest pause between two tries.
pub const LONGEST_RETRY: TimeDelta = TimeDelta::minutes(30);
/// How long after its first try a part that keeps failing is given up.
pub const GIVE_UP_AFTER: TimeDelta = TimeDelta::hours(6);

/// Why a part could not be sent, as the organizers are told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The bot is not (or no longer) in the room: never joined, kicked, or the room is gone.
    NotInRoom,
    /// The room's alias does not resolve.
    AliasNotFound,
    /// The homeserver refused: the bot lacks the power level (or is banned).
    Forbidden,
    /// The homeserver could not be reached or answered with a server error.
    Unreachable,
    /// The homeserver asked the bot to slow down for longer than the SDK waits.
    RateLimited,
    /// The bot's own database failed.
    Database,
    /// Anything else, with the error's text (for the log and the organizers).
    Other(String),
}

impl Failure {
    /// The stored form: a code, and for [`Failure::Other`] the text after a colon.
    pub fn to_record(&self) -> String {
        match self {
            Self::NotInRoom => "not-in-room".to_owned(),
            Self::AliasNotFound => "alias-not-found".to_owned(),
            Self::Forbidden => "forbidden".to_owned(),
            Self::Unreachable => "unreachable".to_owned(),
            Self::RateLimited => "rate-limited".to_owned(),
            Self::Database => "database".to_owned(),
            Self::Other(text) => format!("other:{text}"),
        }
    }

    /// Reads the stored form back.
    pub fn from_record(record: &str) -> Self {
        match record {
            "not-in-room" => Self::NotInRoom,
            "alias-not-found" => Self::AliasNotFound,
            "forbidden" => Self::Forbidden,
            "unreachable" => Self::Unreachable,
            "rate-limited" => Self::RateLimited,
            "database" => Self::Database,
            other => Self::Other(other.strip_prefix("other:").unwrap_or(other).to_owned()),
        }
    }
}

/// Why a part was given up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GiveUp {
    /// The meeting has started: an announcement or reminder is not sent late after that.
    MeetingStarted,
    /// It kept failing for [`GIVE_UP_AFTER`]; the last failure.
    KeptFailing(Failure),
}

/// What the records say about one part in one room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// Never started.
    Missing,
    /// Recorded, not confirmed: before its first send, or after failed ones.
    Pending {
        /// When it was first recorded (the start of the give-up clock).
        since: DateTime<Utc>,
        /// How many sends failed.
        attempts: u32,
        /// When the next try is due (after a failure).
        retry_at: Option<DateTime<Utc>>,
        /// The last failure.
        failure: Option<Failure>,
    },
    /// Confirmed by the homeserver (or nothing to do, such as a pin the room does not allow).
    Done {
        /// When.
        at: DateTime<Utc>,
    },
    /// Given up.
    GivenUp {
        /// When.
        at: DateTime<Utc>,
        /// Why.
        reason: GiveUp,
    },
}

impl Record {
    /// Whether nothing more will happen to it.
    pub fn settled(&self) -> bool {
        matches!(self, Self::Done { .. } | Self::GivenUp { .. })
    }
}

/// What one room needs next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomStep {
    /// Send part `n` (counting the room's parts in order) now.
    Send(usize),
    /// Part `n` failed; try again at this time.
    Wait(usize, DateTime<Utc>),
    /// Give up part `n` and every part after it (a file without its message, or a pin of a
    /// message that never arrived, makes no sense).
    GiveUp(usize, GiveUp),
    /// Every part is done or given up.
    Settled,
}

/// When a post's parts stop being sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// The meeting's start, for posts that must not arrive after it (announcements, reminders,
    /// change notices); `None` for minutes and notices, which are still worth having later.
    pub not_after: Option<DateTime<Utc>>,
}

/// The pause after the `attempts`-th failure: 10 s, 20 s, 40 s, … up to 30 min.
pub fn backoff(attempts: u32) -> TimeDelta {
    let doublings = attempts.saturating_sub(1).min(16);
    let pause = FIRST_RETRY
        .checked_mul(1 << doublings)
        .unwrap_or(LONGEST_RETRY);
    pause.min(LONGEST_RETRY)
}

/// `pause` after `now`, saturating at the latest instant chrono knows (date arithmetic is
/// checked everywhere; a retry time is never worth a panic).
pub fn after(now: DateTime<Utc>, pause: TimeDelta) -> DateTime<Utc> {
    now.checked_add_signed(pause)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The next step for a room whose parts, in the order they are sent, have these records.
pub fn room_step(parts: &[Record], now: DateTime<Utc>, policy: Policy) -> RoomStep {
    for (index, record) in parts.iter().enumerate() {
        match record {
            Record::Done { .. } => {}
            Record::GivenUp { reason, .. } => return RoomStep::GiveUp(index, reason.clone()),
            _ if policy.not_after.is_some_and(|start| now >= start) => {
                return RoomStep::GiveUp(index, GiveUp::MeetingStarted);
            }
            Record::Missing => return RoomStep::Send(index),
            Record::Pending {
                since,
                retry_at,
                failure,
                ..
            } => {
                let Some(retry_at) = retry_at else {
                    // Recorded but never tried, or interrupted while sending: send again with
                    // the same transaction id, which the homeserver deduplicates.
                    return RoomStep::Send(index);
                };
                if now - *since >= GIVE_UP_AFTER {
                    let failure = failure.clone().unwrap_or(Failure::Other(String::new()));
                    return RoomStep::GiveUp(index, GiveUp::KeptFailing(failure));
                }
                if *retry_at <= now {
                    return RoomStep::Send(index);
                }
                return RoomStep::Wait(index, *retry_at);
            }
        }
    }
    // A part given up was matched above, so every part is done; but the cascade of a give-up
    // leaves later parts given up too, which is settled as well.
    RoomStep::Settled
}

/// Whether a room has had its chance: settled, or its first open part failed at least once.
/// The organizers' summary waits for every room to have had it.
fn tried(parts: &[Record]) -> bool {
    parts
        .iter()
        .find(|r| !r.settled())
        .is_none_or(|record| matches!(record, Record::Pending { attempts, .. } if *attempts > 0))
}

/// What the whole post needs next.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decision {
    /// The step of each room that has something to do now (by index), in room order.
    pub rooms: Vec<(usize, RoomStep)>,
    /// Send the organizers' summary now.
    pub summarize: bool,
    /// Tell the organizers afterwards how rooms that were still open at the summary ended
    /// (delivered late, or given up); also for posts without a summary whose rooms gave up.
    pub follow_up: bool,
    /// Everything is settled: record the post as finished.
    pub finish: bool,
    /// The earliest retry, to wake up for.
    pub wake_at: Option<DateTime<Utc>>,
}

/// Decides for a post whose rooms have these part records; `summary` is the record of the
/// organizers' summary, `None` for posts that have none (changes, notices).
pub fn decide(
    rooms: &[Vec<Record>],
    summary: Option<&Record>,
    now: DateTime<Utc>,
    policy: Policy,
) -> Decision {
    let mut decision = Decision::default();
    let mut all_settled = true;
    for (index, parts) in rooms.iter().enumerate() {
        let step = room_step(parts, now, policy);
        match &step {
            RoomStep::Settled => continue,
            RoomStep::Wait(_, at) => {
                all_settled = false;
                decision.wake_at = Some(decision.wake_at.map_or(*at, |w| w.min(*at)));
                continue;
            }
            RoomStep::GiveUp(part, _) if parts[*part..].iter().all(Record::settled) => continue,
            _ => all_settled = false,
        }
        decision.rooms.push((index, step));
    }
    if !decision.rooms.is_empty() {
        // Work first; the summary and the end follow once the rooms have had their turn.
        return decision;
    }
    let every_room_tried = rooms.iter().all(|parts| tried(parts));
    match summary {
        Some(Record::Done { at }) | Some(Record::GivenUp { at, .. }) => {
            if all_settled {
                decision.finish = true;
                decision.follow_up = rooms
                    .iter()
                    .flatten()
                    .any(|record| settled_after(record, *at));
            }
        }
        Some(record) => {
            if every_room_tried {
                let step = room_step(
                    std::slice::from_ref(record),
                    now,
                    Policy { not_after: None },
                );
                match step {
                    RoomStep::Send(_) => decision.summarize = true,
                    RoomStep::Wait(_, at) => decision.wake_at = Some(at),
                    // Given up (logged by the caller): the post can still finish.
                    RoomStep::GiveUp(..) | RoomStep::Settled => {
                        decision.finish = all_settled;
                    }
                }
            }
        }
        None => {
            if all_settled {
                decision.finish = true;
                decision.follow_up = rooms
                    .iter()
                    .flatten()
                    .any(|record| matches!(record, Record::GivenUp { .. }));
            }
        }
    }
    decision
}

/// Whether a record settled after the summary went out (so the summary did not tell its end).
fn settled_after(record: &Record, summary_at: DateTime<Utc>) -> bool {
    match record {
        Record::Done { at } | Record::GivenUp { at, .. } => *at > summary_at,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-10T09:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
            + TimeDelta::minutes(minutes)
    }

    fn done(minutes: i64) -> Record {
        Record::Done { at: at(minutes) }
    }

    /// Recorded, never tried (the crash came between the record and the send).
    fn recorded() -> Record {
        Record::Pending {
            since: at(0),
            attempts: 0,
            retry_at: None,
            failure: None,
        }
    }

    fn failed(attempts: u32, retry_in: i64) -> Record {
        Record::Pending {
            since: at(0),
            attempts,
            retry_at: Some(at(retry_in)),
            failure: Some(Failure::Forbidden),
        }
    }

    const OPEN: Policy = Policy { not_after: None };
    const BEFORE_START: Policy = Policy {
        not_after: Some(DateTime::from_timestamp_nanos(1_797_000_000_000_000_000)),
    };

    #[test]
    fn backoff_doubles_up_to_half_an_hour() {
        let pauses: Vec<i64> = (1..=10).map(|n| backoff(n).num_seconds()).collect();
        assert_eq!(pauses, [10, 20, 40, 80, 160, 320, 640, 1280, 1800, 1800]);
        assert_eq!(backoff(u32::MAX), LONGEST_RETRY);
    }

    /// Every point at which a crash can interrupt an announcement in one room (message, pin,
    /// file), and what the room needs after the restart.
    #[test]
    fn a_room_resumes_exactly_where_it_stopped() {
        let now = at(1);
        let table: Vec<(Vec<Record>, RoomStep)> = vec![
            // Nothing recorded yet.
            (
                vec![Record::Missing, Record::Missing, Record::Missing],
                RoomStep::Send(0),
            ),
            // Killed after recording the message, before (or during) its send.
            (
                vec![recorded(), Record::Missing, Record::Missing],
                RoomStep::Send(0),
            ),
            // Killed after the message was confirmed, before the pin.
            (
                vec![done(0), Record::Missing, Record::Missing],
                RoomStep::Send(1),
            ),
            // Killed while pinning.
            (
                vec![done(0), recorded(), Record::Missing],
                RoomStep::Send(1),
            ),
            // Killed after the pin, before the file.
            (vec![done(0), done(0), Record::Missing], RoomStep::Send(2)),
            // Killed while uploading or sending the file.
            (vec![done(0), done(0), recorded()], RoomStep::Send(2)),
            // Everything there.
            (vec![done(0), done(0), done(1)], RoomStep::Settled),
        ];
        for (parts, expected) in table {
            assert_eq!(room_step(&parts, now, BEFORE_START), expected, "{parts:?}");
        }
    }

    #[test]
    fn a_failing_room_waits_retries_and_gives_up() {
        let parts = [failed(2, 5), Record::Missing];
        assert_eq!(room_step(&parts, at(3), OPEN), RoomStep::Wait(0, at(5)));
        assert_eq!(room_step(&parts, at(5), OPEN), RoomStep::Send(0));
        let late = at(0) + GIVE_UP_AFTER;
        assert_eq!(
            room_step(&parts, late, OPEN),
            RoomStep::GiveUp(0, GiveUp::KeptFailing(Failure::Forbidden))
        );
    }

    #[test]
    fn nothing_is_sent_once_the_meeting_has_started() {
        let policy = Policy {
            not_after: Some(at(10)),
        };
        let parts = [done(0), Record::Missing];
        assert_eq!(room_step(&parts, at(9), policy), RoomStep::Send(1));
        assert_eq!(
            room_step(&parts, at(10), policy),
            RoomStep::GiveUp(1, GiveUp::MeetingStarted)
        );
        // A room that has everything is settled whatever the time.
        assert_eq!(
            room_step(&[done(0), done(1)], at(99), policy),
            RoomStep::Settled
        );
    }

    fn two_rooms(first: Vec<Record>, second: Vec<Record>) -> Vec<Vec<Record>> {
        vec![first, second]
    }

    /// Every point at which a crash can interrupt a post across rooms and its summary.
    #[test]
    fn a_post_resumes_its_rooms_then_summarizes_then_finishes() {
        let now = at(1);
        let missing_summary = Record::Missing;
        // Killed in the middle of the fan-out: one room has all, one has nothing.
        let decision = decide(
            &two_rooms(
                vec![done(0), done(0)],
                vec![Record::Missing, Record::Missing],
            ),
            Some(&missing_summary),
            now,
            BEFORE_START,
        );
        assert_eq!(decision.rooms, [(1, RoomStep::Send(0))]);
        assert!(!decision.summarize && !decision.finish);

        // Killed after the messages, before any file.
        let decision = decide(
            &two_rooms(
                vec![done(0), Record::Missing],
                vec![done(0), Record::Missing],
            ),
            Some(&missing_summary),
            now,
            BEFORE_START,
        );
        assert_eq!(
            decision.rooms,
            [(0, RoomStep::Send(1)), (1, RoomStep::Send(1))]
        );

        // Killed after every part, before the summary.
        let all = two_rooms(vec![done(0), done(0)], vec![done(0), done(0)]);
        let decision = decide(&all, Some(&missing_summary), now, BEFORE_START);
        assert!(decision.summarize && !decision.finish && decision.rooms.is_empty());

        // Killed while sending the summary.
        let decision = decide(&all, Some(&recorded()), now, BEFORE_START);
        assert!(decision.summarize && !decision.finish);

        // Killed after the summary, before recording the post as finished.
        let decision = decide(&all, Some(&done(1)), now, BEFORE_START);
        assert!(decision.finish && !decision.summarize && !decision.follow_up);
    }

    #[test]
    fn the_summary_waits_until_every_room_was_tried_and_names_late_endings() {
        let now = at(1);
        // One room failed once and waits for its retry: the summary goes out, saying so.
        let rooms = two_rooms(vec![done(0), done(0)], vec![failed(1, 3), Record::Missing]);
        let decision = decide(&rooms, Some(&Record::Missing), now, OPEN);
        assert!(decision.summarize, "{decision:?}");
        assert_eq!(decision.wake_at, Some(at(3)));
        assert!(!decision.finish);

        // After the summary the room gives up: the post finishes with a follow-up report.
        let gave_up = Record::GivenUp {
            at: at(400),
            reason: GiveUp::KeptFailing(Failure::Forbidden),
        };
        let rooms = two_rooms(vec![done(0), done(0)], vec![gave_up.clone(), gave_up]);
        let decision = decide(&rooms, Some(&done(1)), at(400), OPEN);
        assert!(decision.finish && decision.follow_up, "{decision:?}");

        // A room still never tried holds the summary back.
        let rooms = two_rooms(vec![done(0), done(0)], vec![recorded(), Record::Missing]);
        let decision = decide(&rooms, Some(&Record::Missing), now, OPEN);
        assert_eq!(decision.rooms, [(1, RoomStep::Send(0))]);
        assert!(!decision.summarize);
    }

    #[test]
    fn rooms_left_over_at_the_start_are_given_up_and_the_post_still_reports() {
        let policy = Policy {
            not_after: Some(at(10)),
        };
        let rooms = two_rooms(vec![done(0)], vec![Record::Missing]);
        let decision = decide(&rooms, Some(&Record::Missing), at(11), policy);
        assert_eq!(
            decision.rooms,
            [(1, RoomStep::GiveUp(0, GiveUp::MeetingStarted))]
        );
        // Once recorded as given up, the summary goes out.
        let rooms = two_rooms(
            vec![done(0)],
            vec![Record::GivenUp {
                at: at(11),
                reason: GiveUp::MeetingStarted,
            }],
        );
        let decision = decide(&rooms, Some(&Record::Missing), at(11), policy);
        assert!(decision.summarize && decision.rooms.is_empty());
    }

    #[test]
    fn posts_without_a_summary_finish_and_report_only_failures() {
        let rooms = two_rooms(vec![done(0)], vec![done(0)]);
        let decision = decide(&rooms, None, at(1), OPEN);
        assert!(decision.finish && !decision.follow_up && !decision.summarize);
        let rooms = two_rooms(
            vec![done(0)],
            vec![Record::GivenUp {
                at: at(1),
                reason: GiveUp::KeptFailing(Failure::NotInRoom),
            }],
        );
        let decision = decide(&rooms, None, at(1), OPEN);
        assert!(decision.finish && decision.follow_up);
    }

    #[test]
    fn failures_survive_the_database() {
        for failure in [
            Failure::NotInRoom,
            Failure::AliasNotFound,
            Failure::Forbidden,
            Failure::Unreachable,
            Failure::RateLimited,
            Failure::Database,
            Failure::Other("M_UNKNOWN: boom".to_owned()),
        ] {
            assert_eq!(Failure::from_record(&failure.to_record()), failure);
        }
    }
}
