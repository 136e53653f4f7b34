//! The bounds of every value organizers write in the configuration and the agenda files.
//!
//! Whatever `convene check` accepts, the schedule, the `.ics` files, the feed and the running bot
//! must handle without panic and in bounded time and memory. Date arithmetic overflows near
//! chrono's range ends, a recurrence rule with a huge COUNT or a far UNTIL costs time on every
//! expansion, and calendar libraries give up on values RFC 5545 allows in principle. So every
//! value is bounded when it is read, all bounds live here, and each is far beyond what a network
//! of municipalities needs.

use chrono::{NaiveDate, TimeDelta};

/// The earliest date convene plans with: nothing happens before the Unix epoch, and 1970 is
/// where the VTIMEZONE observances start.
pub const FIRST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(date) => date,
    None => NaiveDate::MIN,
};

/// The latest date convene plans with: far enough for any series, near enough that every
/// `date ± duration` stays inside chrono's range and the holiday tables compute.
pub const LAST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2200, 12, 31) {
    Some(date) => date,
    None => NaiveDate::MAX,
};

/// The longest meeting, workshop or agenda item: a day. Longer events are several meetings.
pub const MAX_MEETING: TimeDelta = TimeDelta::days(1);

/// The longest time before a meeting that an announcement or reminder goes out: a year and a
/// day, so a yearly meeting can still be announced a year ahead.
pub const MAX_REMINDER: TimeDelta = TimeDelta::days(366);

/// The longest a command may wait for the bot and still be carried out (`late_commands:`): a
/// month; older ones are answered, not carried out.
pub const MAX_LATE_COMMANDS: TimeDelta = TimeDelta::days(31);

/// The largest `INTERVAL` of a recurrence rule: every 1000 weeks (19 years) or months (83
/// years) is beyond any real series; python-dateutil and ical.js expand it without trouble.
pub const MAX_INTERVAL: u32 = 1_000;

/// The largest `COUNT` of a recurrence rule: weekly for almost 200 years. Checking whether a
/// date is an occurrence of a COUNT rule expands it, so COUNT bounds that cost.
pub const MAX_COUNT: u32 = 10_000;

/// The longest title (series, workshop, topic, agenda item, part, link), in characters.
pub const MAX_TITLE: usize = 200;

/// The longest name (network, municipality, speaker, role, audience, device), in characters.
pub const MAX_NAME: usize = 200;

/// The longest note on a cancelled or moved meeting, in characters.
pub const MAX_NOTE: usize = 500;

/// The longest description of an agenda item, in characters.
pub const MAX_DESCRIPTION: usize = 4_000;

/// The longest free notes of an agenda file, in characters.
pub const MAX_NOTES: usize = 10_000;

/// The longest domain of calendar UIDs (a DNS name is at most 253 characters).
pub const MAX_DOMAIN: usize = 253;

/// The longest contact address (RFC 5321 allows 254 characters).
pub const MAX_ADDRESS: usize = 254;

/// The longest Matrix identifier — user id, room id, room alias — in bytes, sigil and server
/// name included, as the Matrix specification allows (appendices, "Identifier grammar").
/// matrix-sdk accepts longer ones (for old rooms' sake), homeservers refuse them.
pub const MAX_MATRIX_ID: usize = 255;

/// The longest link (video conference, document, feed address, homeserver, source), in bytes of
/// the URL as convene writes it out (ASCII: umlauts and spaces percent-encoded, so `ä` counts
/// six). 2,048 is the length every browser, proxy, chat client and calendar takes (the
/// sitemaps protocol's limit, just under old Internet Explorer's 2,083); the links of
/// conference services and document stores are a few hundred bytes at most. Each video link
/// goes into every announcement and into four properties of each calendar entry (LOCATION,
/// URL, CONFERENCE and the DESCRIPTION): unbounded, one link in an agenda file made a feed's
/// render take minutes.
pub const MAX_URL: usize = 2_048;

/// The most member municipalities: every post goes to every member room.
pub const MAX_MEMBERS: usize = 1_000;

/// The most organizers.
pub const MAX_ORGANIZERS: usize = 100;

/// The most homeservers whose users may invite the bot.
pub const MAX_SERVERS: usize = 1_000;

/// The most announcement and reminder times.
pub const MAX_REMINDERS: usize = 10;

/// The most series.
pub const MAX_SERIES: usize = 50;

/// The most exceptions of one series.
pub const MAX_EXCEPTIONS: usize = 200;

/// The most parts of one meeting.
pub const MAX_PARTS: usize = 20;

/// The most agenda items of one meeting.
pub const MAX_ITEMS: usize = 100;

/// The fewest candidate slots of a workshop whose date is found by a poll: with one there is
/// nothing to choose, so it is an ordinary workshop with `date:`.
pub const MIN_CANDIDATES: usize = 2;

/// The most candidate slots of such a workshop: a poll with more answers is hard to read on a
/// phone and the tally table too wide for the organizers' room; 12 is two or three weeks of
/// working days with two slots each. The `!vote` numbers go up to this.
pub const MAX_CANDIDATES: usize = 12;

/// The most links (or documents) of one agenda item or minutes topic.
pub const MAX_LINKS: usize = 50;

/// The most topics of minutes written in an agenda file.
pub const MAX_TOPICS: usize = 100;

/// The most entries (notes, decisions or actions) of one minutes topic.
pub const MAX_ENTRIES: usize = 200;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dates_are_real() {
        assert_eq!(FIRST_DATE.to_string(), "1970-01-01");
        assert_eq!(LAST_DATE.to_string(), "2200-12-31");
    }
}
