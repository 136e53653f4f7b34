//! Which announcement or reminder is due now: the pure planning half of "every member room gets
//! each post exactly once".
//!
//! Every meeting that takes place has one post per configured offset: the longest offset is the
//! announcement, the others are reminders. [`plan`] looks at what has been sent so far and the
//! time, and decides:
//!
//! - a due post that was never started is sent; if several are due (the bot was down, or the
//!   meeting was added late), only one goes out — the announcement if the meeting was never
//!   announced, otherwise the latest reminder — so members do not get a burst of messages;
//! - a post is *late* when its due time had passed by more than [`GRACE`] while the bot already
//!   knew the meeting (it was down); a meeting added shortly before is announced, not late;
//! - a post once started is left to the delivery side, which finishes every part of it in
//!   every room (see [`crate::delivery`]), whatever happens in between;
//! - once a meeting has started, posts that never went out are *missed*: not sent, reported to
//!   the organizers (a post that reached only some rooms is reported in its delivery summary).

use chrono::{DateTime, TimeDelta, Utc};

use crate::schedule::{Meeting, Schedule, earlier, later};

/// How long after its due time a post still counts as on time.
pub const GRACE: TimeDelta = TimeDelta::minutes(2);

/// What a post is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostKind {
    /// The first post about a meeting, with everything members need.
    Announcement,
    /// A later reminder, this long before the start.
    Reminder(TimeDelta),
}

impl PostKind {
    /// The kind of a post from its key, as [`posts_of`] makes them; `None` for every other post
    /// (notices, summaries, changes), which are never edited.
    pub fn of_key(post_key: &str) -> Option<Self> {
        let (prefix, _) = post_key.split_once('/')?;
        if prefix == "announcement" {
            return Some(Self::Announcement);
        }
        let offset = prefix.strip_prefix("reminder-")?;
        crate::duration::parse(offset).ok().map(Self::Reminder)
    }

    /// The kind as the `posts` table stores it.
    pub fn stored_name(self) -> &'static str {
        match self {
            Self::Announcement => "announcement",
            Self::Reminder(_) => "reminder",
        }
    }
}

/// One post about one meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    /// Stable key: `announcement/<meeting>` or `reminder-<offset>/<meeting>`.
    pub key: String,
    /// The meeting.
    pub meeting: Meeting,
    /// Announcement or reminder.
    pub kind: PostKind,
    /// When it is due.
    pub due: DateTime<Utc>,
}

/// What is known about a post that was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Started {
    /// When it was started.
    pub at: DateTime<Utc>,
}

/// What the delivery side knows, asked by the planner.
pub trait History {
    /// When the bot first saw the meeting with this key (the caller records it for every
    /// meeting it passes to [`plan`] before planning).
    fn first_seen(&self, meeting_key: &str) -> Option<DateTime<Utc>>;
    /// Whether and when the post with this key was started.
    fn started(&self, post_key: &str) -> Option<Started>;
}

/// A post to send now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// The post.
    pub post: Post,
    /// Whether to mark it as late.
    pub late: bool,
}

/// The outcome of planning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// Posts to start now.
    pub send: Vec<Due>,
    /// Posts that can no longer be sent because their meeting has started.
    pub missed: Vec<Post>,
    /// The next instant at which a post becomes due, to sleep until.
    pub next_due: Option<DateTime<Utc>>,
}

/// The posts of a meeting, longest offset (the announcement) first.
pub fn posts_of(meeting: &Meeting, offsets: &[TimeDelta]) -> Vec<Post> {
    let start = meeting.start.with_timezone(&Utc);
    offsets
        .iter()
        .enumerate()
        .map(|(index, offset)| {
            let (kind, key) = if index == 0 {
                (
                    PostKind::Announcement,
                    format!("announcement/{}", meeting.key),
                )
            } else {
                (
                    PostKind::Reminder(*offset),
                    format!(
                        "reminder-{}/{}",
                        crate::duration::Compact(*offset),
                        meeting.key
                    ),
                )
            };
            Post {
                key,
                meeting: meeting.clone(),
                kind,
                due: earlier(start, *offset),
            }
        })
        .collect()
}

/// The meetings planning looks at: from a day ago (to notice missed posts) to just past the
/// longest offset.
pub fn window(schedule: &Schedule, offsets: &[TimeDelta], now: DateTime<Utc>) -> Vec<Meeting> {
    let longest = offsets.first().copied().unwrap_or_default();
    schedule.meetings_between(
        earlier(now, TimeDelta::days(1)),
        later(later(now, longest), TimeDelta::minutes(1)),
    )
}

/// Decides what to send now. `offsets` are sorted longest first (the configuration does that).
pub fn plan(
    meetings: &[Meeting],
    offsets: &[TimeDelta],
    now: DateTime<Utc>,
    history: &dyn History,
) -> Plan {
    let mut plan = Plan::default();
    for meeting in meetings.iter().filter(|m| m.takes_place()) {
        let started_meeting = meeting.start.with_timezone(&Utc) <= now;
        let seen = history.first_seen(&meeting.key).unwrap_or(now);
        let posts = posts_of(meeting, offsets);
        // Asked once per post: behind it is a database query.
        let started: Vec<Option<Started>> = posts.iter().map(|p| history.started(&p.key)).collect();
        let latest_start = started.iter().flatten().map(|s| s.at).max();
        let late = |post: &Post| post.due >= seen && now.signed_duration_since(post.due) > GRACE;

        let mut candidates: Vec<&Post> = Vec::new();
        for (post, started) in posts.iter().zip(started) {
            match started {
                // The delivery side owns it from its start to its summary.
                Some(Started { .. }) => {}
                None if post.due > now => {
                    plan.next_due = Some(plan.next_due.map_or(post.due, |d| d.min(post.due)));
                }
                // Superseded by a later post that already went out.
                None if latest_start.is_some_and(|at| post.due <= at) => {}
                None => candidates.push(post),
            }
        }
        if candidates.is_empty() {
            continue;
        }
        if started_meeting {
            plan.missed
                .extend(candidates.into_iter().filter(|p| p.due >= seen).cloned());
            continue;
        }
        let never_announced = latest_start.is_none();
        let chosen = if never_announced {
            candidates[0]
        } else {
            candidates[candidates.len() - 1]
        };
        plan.send.push(Due {
            post: chosen.clone(),
            late: late(chosen),
        });
    }
    plan
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use chrono_tz::Europe::Berlin;

    use super::*;
    use crate::schedule::Status;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn meeting(start: &str) -> Meeting {
        let start = utc(start).with_timezone(&Berlin);
        Meeting {
            key: "videokonferenz/2026-12-17".to_owned(),
            series: Some("videokonferenz".to_owned()),
            title: "Videokonferenz".to_owned(),
            start,
            end: start + TimeDelta::minutes(90),
            video_link: None,
            status: Status::Scheduled,
            note: None,
        }
    }

    const OFFSETS: [TimeDelta; 3] = [
        TimeDelta::days(7),
        TimeDelta::days(1),
        TimeDelta::minutes(15),
    ];

    #[derive(Default)]
    struct Fake {
        seen: Option<DateTime<Utc>>,
        started: Mutex<BTreeMap<String, Started>>,
    }

    impl History for Fake {
        fn first_seen(&self, _: &str) -> Option<DateTime<Utc>> {
            self.seen
        }
        fn started(&self, key: &str) -> Option<Started> {
            self.started.lock().unwrap().get(key).copied()
        }
    }

    fn keys(plan: &Plan) -> Vec<(&str, bool)> {
        plan.send
            .iter()
            .map(|d| (d.post.key.as_str(), d.late))
            .collect()
    }

    #[test]
    fn posts_go_out_one_by_one_on_time() {
        let m = meeting("2026-12-17T09:00:00Z");
        let history = Fake {
            seen: Some(utc("2026-12-01T00:00:00Z")),
            ..Fake::default()
        };
        let early = plan(
            std::slice::from_ref(&m),
            &OFFSETS,
            utc("2026-12-09T00:00:00Z"),
            &history,
        );
        assert!(early.send.is_empty());
        assert_eq!(early.next_due, Some(utc("2026-12-10T09:00:00Z")));

        let now = utc("2026-12-10T09:00:30Z");
        let first = plan(std::slice::from_ref(&m), &OFFSETS, now, &history);
        assert_eq!(
            keys(&first),
            [("announcement/videokonferenz/2026-12-17", false)]
        );
        history
            .started
            .lock()
            .unwrap()
            .insert(first.send[0].post.key.clone(), Started { at: now });
        let again = plan(std::slice::from_ref(&m), &OFFSETS, now, &history);
        assert!(again.send.is_empty());
        assert_eq!(again.next_due, Some(utc("2026-12-16T09:00:00Z")));

        let reminder = plan(&[m], &OFFSETS, utc("2026-12-16T09:00:01Z"), &history);
        assert_eq!(
            keys(&reminder),
            [("reminder-1d/videokonferenz/2026-12-17", false)]
        );
    }

    #[test]
    fn after_downtime_one_late_post_goes_out() {
        let m = meeting("2026-12-17T09:00:00Z");
        let history = Fake {
            seen: Some(utc("2026-12-01T00:00:00Z")),
            ..Fake::default()
        };
        // Down from before the announcement until ten minutes before the start.
        let plan = plan(&[m], &OFFSETS, utc("2026-12-17T08:50:00Z"), &history);
        assert_eq!(
            keys(&plan),
            [("announcement/videokonferenz/2026-12-17", true)]
        );
    }

    #[test]
    fn a_meeting_added_late_is_announced_not_late() {
        let m = meeting("2026-12-17T09:00:00Z");
        let history = Fake {
            seen: Some(utc("2026-12-14T12:00:00Z")),
            ..Fake::default()
        };
        let plan = plan(&[m], &OFFSETS, utc("2026-12-14T12:00:00Z"), &history);
        assert_eq!(
            keys(&plan),
            [("announcement/videokonferenz/2026-12-17", false)]
        );
    }

    #[test]
    fn reminders_superseded_by_a_late_announcement_are_not_sent() {
        let m = meeting("2026-12-17T09:00:00Z");
        let history = Fake {
            seen: Some(utc("2026-12-01T00:00:00Z")),
            ..Fake::default()
        };
        history.started.lock().unwrap().insert(
            "announcement/videokonferenz/2026-12-17".to_owned(),
            Started {
                at: utc("2026-12-17T08:50:00Z"),
            },
        );
        let plan = plan(&[m], &OFFSETS, utc("2026-12-17T08:51:00Z"), &history);
        assert!(plan.send.is_empty());
        assert!(plan.missed.is_empty());
    }

    #[test]
    fn a_started_post_is_left_to_the_delivery_side() {
        let m = meeting("2026-12-17T09:00:00Z");
        let history = Fake {
            seen: Some(utc("2026-12-01T00:00:00Z")),
            ..Fake::default()
        };
        history.started.lock().unwrap().insert(
            "announcement/videokonferenz/2026-12-17".to_owned(),
            Started {
                at: utc("2026-12-10T09:00:00Z"),
            },
        );
        // Whether or not every part of it arrived: the delivery side finishes it.
        let plan = plan(&[m], &OFFSETS, utc("2026-12-10T09:01:00Z"), &history);
        assert!(plan.send.is_empty() && plan.missed.is_empty());
        assert_eq!(plan.next_due, Some(utc("2026-12-16T09:00:00Z")));
    }

    #[test]
    fn posts_missed_before_the_start_are_reported() {
        let m = meeting("2026-12-17T09:00:00Z");
        let history = Fake {
            seen: Some(utc("2026-12-01T00:00:00Z")),
            ..Fake::default()
        };
        let plan = plan(&[m], &OFFSETS, utc("2026-12-17T09:30:00Z"), &history);
        assert!(plan.send.is_empty());
        let missed: Vec<&str> = plan.missed.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(
            missed,
            [
                "announcement/videokonferenz/2026-12-17",
                "reminder-1d/videokonferenz/2026-12-17",
                "reminder-15m/videokonferenz/2026-12-17"
            ]
        );
    }

    #[test]
    fn cancelled_meetings_get_no_posts() {
        let mut m = meeting("2026-12-17T09:00:00Z");
        m.status = Status::Cancelled;
        let plan = plan(
            &[m],
            &OFFSETS,
            utc("2026-12-16T09:00:00Z"),
            &Fake::default(),
        );
        assert_eq!(plan, Plan::default());
    }
}
