//! Meetings that fall due while a test (or bench) watches: a `meetings:` series entry and the
//! moment its 7-day announcement is due, as the bot reads it.

use std::time::Instant;

use chrono::{DateTime, Duration as Delta, SubsecRound as _, Utc};
use chrono_tz::{Europe::Berlin, Tz};

/// A `meetings:` series entry with one meeting at `start`, announced 7 days before (with
/// `reminders: [7d]`).
pub fn series(id: &str, title: &str, start: DateTime<Tz>) -> String {
    format!(
        "    - id: {id}
      title: {title}
      rule: FREQ=WEEKLY;COUNT=1
      first: {date}
      start: \"{time}\"
      duration: 90m
",
        date = start.format("%Y-%m-%d"),
        time = start.format("%H:%M:%S"),
    )
}

/// A meeting start whose 7-day announcement falls due `seconds` from now, and that moment.
/// Whole seconds: the configuration has no fractions, so the bot's due time is the start cut to
/// the second.
pub fn due_in(seconds: i64) -> (DateTime<Tz>, Instant) {
    let start = (Utc::now() + Delta::days(7) + Delta::seconds(seconds))
        .trunc_subsecs(0)
        .with_timezone(&Berlin);
    let until = (start - Delta::days(7)).with_timezone(&Utc) - Utc::now();
    let due = Instant::now() + until.to_std().unwrap_or_default();
    (start, due)
}

/// The local date (Europe/Berlin) `days` from today, as agenda files write it.
pub fn days_ahead(days: u64) -> String {
    Utc::now()
        .with_timezone(&Berlin)
        .date_naive()
        .checked_add_days(chrono::Days::new(days))
        .unwrap()
        .format("%Y-%m-%d")
        .to_string()
}

/// The agenda file of a workshop whose date a poll is to find: answers until 10 days from
/// today, three candidates 12, 13 and 14 days from today (10:00–12:00, 14:00–16:00,
/// 09:30–12:30), one agenda item.
pub fn poll_workshop(id: &str, title: &str) -> String {
    format!(
        "meeting:
  id: {id}
  title: {title}
  decide_by: {decide_by}
  candidates:
    - {{ date: {first}, start: \"10:00\", duration: 2h }}
    - {{ date: {second}, start: \"14:00\", duration: 2h }}
    - {{ date: {third}, start: \"09:30\", duration: 3h }}
  video_link: https://meet.example.org/{id}
items:
  - title: Begrüßung
",
        decide_by = days_ahead(10),
        first = days_ahead(12),
        second = days_ahead(13),
        third = days_ahead(14),
    )
}
