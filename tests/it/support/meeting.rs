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
