//! The version of a calendar entry: its SEQUENCE and DTSTAMP. The store keeps one per entry and
//! moves it on when the entry's content changes ([`crate::store::Store::calendar_version`]);
//! [`crate::ical`] writes it into the entry.

use chrono::{DateTime, Utc};

/// The version of one calendar entry: how often it changed, and when it last did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    /// SEQUENCE.
    pub sequence: u32,
    /// DTSTAMP: the time of the last change.
    pub changed_at: DateTime<Utc>,
}
