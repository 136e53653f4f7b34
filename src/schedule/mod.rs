//! The meeting schedule: the network's regular video conferences (series with a recurrence
//! rule) and its one-off workshops, expanded into concrete [`Meeting`]s in local time.
//!
//! Pure: no I/O, no clock; callers pass the instants they care about. Times are planned in the
//! network's time zone, so a 10:00 conference stays 10:00 local across both DST changes; a local
//! time that does not exist (the spring gap) is read with the offset before the gap, and an
//! ambiguous one (the autumn fold) as the earlier instant, as RFC 5545 prescribes. The
//! configuration refuses a first date, a workshop or a moved meeting whose start falls into a
//! gap (see [`gap`]): calendar clients would move the DTSTART and with it every later meeting.
//!
//! Validation bounds every date and duration (see [`crate::limits`]); the arithmetic here is
//! checked all the same, so a value that slipped through is clamped with a warning, never a
//! panic.

pub mod rrule;

use std::collections::BTreeMap;

use chrono::{
    DateTime, Datelike as _, Days, NaiveDate, NaiveDateTime, NaiveTime, Offset as _, TimeDelta,
    TimeZone, Timelike as _, Utc,
};
use chrono_tz::Tz;
use tracing::warn;
use url::Url;

use crate::duration::Compact;
use crate::holidays::{self, State};
use rrule::Rule;

/// A regular meeting, such as the monthly video conference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    /// Stable identifier (a slug); part of every meeting key and calendar UID, so it must never
    /// change once meetings were announced.
    pub id: String,
    /// Title shown in announcements and calendars.
    pub title: String,
    /// The recurrence rule.
    pub rule: Rule,
    /// The first date (DTSTART); an occurrence of the rule.
    pub first: NaiveDate,
    /// Local start time.
    pub start: NaiveTime,
    /// Length of each meeting.
    pub duration: TimeDelta,
    /// The video conference link.
    pub video_link: Option<Url>,
    /// Whether occurrences on a public holiday of the configured state are skipped.
    pub skip_holidays: bool,
    /// Changes to single occurrences, by the occurrence's regular date.
    pub exceptions: BTreeMap<NaiveDate, Exception>,
}

/// A change to one occurrence of a series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exception {
    /// The occurrence does not take place.
    Cancelled {
        /// Why, for the members.
        note: Option<String>,
    },
    /// The occurrence takes place, but differently.
    Moved {
        /// New date, if it changes.
        date: Option<NaiveDate>,
        /// New local start time, if it changes.
        start: Option<NaiveTime>,
        /// New length, if it changes.
        duration: Option<TimeDelta>,
        /// New video link, if it changes.
        video_link: Option<Url>,
        /// Why, for the members.
        note: Option<String>,
    },
}

/// A one-off meeting such as a workshop, defined in an agenda file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneOff {
    /// Stable identifier (a slug), from the agenda file.
    pub id: String,
    /// Title.
    pub title: String,
    /// Local date.
    pub date: NaiveDate,
    /// Local start time.
    pub start: NaiveTime,
    /// Length.
    pub duration: TimeDelta,
    /// The video conference link.
    pub video_link: Option<Url>,
    /// Set when the workshop is called off, with an optional reason.
    pub cancelled: Option<Option<String>>,
}

/// What happens to a meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// As planned.
    Scheduled,
    /// Moved from its regular time.
    Moved {
        /// When it would have been.
        original_start: DateTime<Tz>,
    },
    /// Called off.
    Cancelled,
    /// Skipped because of a public holiday.
    Holiday {
        /// The holiday's German name.
        name_de: &'static str,
        /// The holiday's English name.
        name_en: &'static str,
    },
}

/// One concrete meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    /// Stable key: `series-id/YYYY-MM-DD` (the regular date, unchanged by moves) or the
    /// one-off's id.
    pub key: String,
    /// The series it belongs to, if any.
    pub series: Option<String>,
    /// Title.
    pub title: String,
    /// Start, in the network's time zone.
    pub start: DateTime<Tz>,
    /// End, in the network's time zone.
    pub end: DateTime<Tz>,
    /// The video conference link.
    pub video_link: Option<Url>,
    /// Whether and how it takes place.
    pub status: Status,
    /// A note from the organizers about a change.
    pub note: Option<String>,
}

impl Meeting {
    /// The id of its calendar entry (and invitation file): its series' id, or the one-off's
    /// key, which is its id.
    pub fn calendar_id(&self) -> &str {
        self.series.as_deref().unwrap_or(&self.key)
    }

    /// A meeting known only from what the bot stored about it (it is no longer in the files,
    /// or a record is about no meeting at all): key, title and start, ending when it starts.
    pub fn remembered(key: String, title: String, start: DateTime<Tz>, status: Status) -> Self {
        Self {
            key,
            series: None,
            title,
            start,
            end: start,
            video_link: None,
            status,
            note: None,
        }
    }

    /// Whether the meeting takes place (moved or not).
    pub fn takes_place(&self) -> bool {
        matches!(self.status, Status::Scheduled | Status::Moved { .. })
    }
}

/// Everything the network has planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The network's time zone.
    pub timezone: Tz,
    /// Whose public holidays series may skip.
    pub holidays: State,
    /// The regular meetings.
    pub series: Vec<Series>,
    /// The one-off meetings.
    pub one_offs: Vec<OneOff>,
}

/// How far past the end of a window regular dates are still looked at, so that an occurrence
/// moved into the window from a later date is found.
const MOVE_REACH: Days = Days::new(366);

impl Schedule {
    /// Every meeting (including cancelled and skipped ones) that starts in `[from, to)`,
    /// ordered by start, then key.
    pub fn meetings_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Meeting> {
        let last_date = to
            .with_timezone(&self.timezone)
            .date_naive()
            .checked_add_days(MOVE_REACH)
            .unwrap_or(NaiveDate::MAX)
            // Nothing is planned past the last date the files may name, so no expansion runs
            // further, whatever window a caller asks for.
            .min(
                crate::limits::LAST_DATE
                    .checked_add_days(MOVE_REACH)
                    .unwrap_or(NaiveDate::MAX),
            );
        // A regular meeting starts on its regular date, so one whose date lies a day or more
        // before the window cannot be in it unless an exception moves it.
        let first_date = from
            .with_timezone(&self.timezone)
            .date_naive()
            .checked_sub_days(Days::new(1))
            .unwrap_or(NaiveDate::MIN);
        // Likewise one whose date lies a day or more after the window.
        let beyond_date = to
            .with_timezone(&self.timezone)
            .date_naive()
            .checked_add_days(Days::new(1))
            .unwrap_or(NaiveDate::MAX);
        let mut holidays = holidays::Memo::new(self.holidays);
        let mut meetings: Vec<Meeting> = Vec::new();
        for series in &self.series {
            for date in series.rule.dates(series.first) {
                if date > last_date {
                    break;
                }
                let exception = series.exceptions.get(&date);
                if (date < first_date || date > beyond_date) && exception.is_none() {
                    continue;
                }
                // The start decides; the rest of the meeting is only made for those in the window.
                let (regular_start, start) = self.starts(series, date, exception);
                if start >= from && start < to {
                    meetings.push(self.meeting(
                        series,
                        date,
                        exception,
                        (regular_start, start),
                        &mut holidays,
                    ));
                }
            }
        }
        for one_off in &self.one_offs {
            let meeting = self.one_off(one_off);
            if meeting.start >= from && meeting.start < to {
                meetings.push(meeting);
            }
        }
        sort_meetings(&mut meetings);
        meetings
    }

    /// The next `count` meetings that start at or after `now` (cancelled ones included, so
    /// members see them called off), looking at most `horizon` ahead.
    pub fn upcoming(&self, now: DateTime<Utc>, horizon: TimeDelta, count: usize) -> Vec<Meeting> {
        let mut meetings = self.meetings_between(now, later(now, horizon));
        meetings.truncate(count);
        meetings
    }

    /// The next meeting at or after `now` that takes place, looking at most `horizon` ahead.
    pub fn next_taking_place(&self, now: DateTime<Utc>, horizon: TimeDelta) -> Option<Meeting> {
        self.meetings_between(now, later(now, horizon))
            .into_iter()
            .find(Meeting::takes_place)
    }

    /// The meetings (of any status) whose local date is `date`, or whose regular date was.
    pub fn on_date(&self, date: NaiveDate) -> Vec<Meeting> {
        let day_start = localize(self.timezone, date, NaiveTime::MIN).with_timezone(&Utc);
        let mut meetings = self.meetings_between(day_start, later(day_start, TimeDelta::days(1)));
        for series in &self.series {
            if series.rule.is_occurrence(series.first, date) {
                let meeting = self.occurrence(series, date);
                if !meetings.iter().any(|m| m.key == meeting.key) {
                    meetings.push(meeting);
                }
            }
        }
        meetings
    }

    /// The meeting with this key, if it exists.
    pub fn find(&self, key: &str) -> Option<Meeting> {
        if let Some((series_id, date)) = key.split_once('/') {
            let series = self.series.iter().find(|s| s.id == series_id)?;
            let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
            return series
                .rule
                .is_occurrence(series.first, date)
                .then(|| self.occurrence(series, date));
        }
        self.one_offs
            .iter()
            .find(|o| o.id == key)
            .map(|o| self.one_off(o))
    }

    /// The series occurrence whose regular date is `date`, with its exception applied.
    fn occurrence(&self, series: &Series, date: NaiveDate) -> Meeting {
        let exception = series.exceptions.get(&date);
        let starts = self.starts(series, date, exception);
        let mut holidays = holidays::Memo::new(self.holidays);
        self.meeting(series, date, exception, starts, &mut holidays)
    }

    /// The regular start of the occurrence on `date` and its actual one (moved by `exception`).
    fn starts(
        &self,
        series: &Series,
        date: NaiveDate,
        exception: Option<&Exception>,
    ) -> (DateTime<Tz>, DateTime<Tz>) {
        let regular_start = localize(self.timezone, date, series.start);
        let start = match exception {
            Some(Exception::Moved {
                date: new_date,
                start,
                ..
            }) => localize(
                self.timezone,
                new_date.unwrap_or(date),
                start.unwrap_or(series.start),
            ),
            Some(Exception::Cancelled { .. }) | None => regular_start,
        };
        (regular_start, start)
    }

    /// The occurrence on `date` with its `exception` applied, given its regular and actual
    /// start (from [`Schedule::starts`]); a holiday is looked up in `holidays`.
    fn meeting(
        &self,
        series: &Series,
        date: NaiveDate,
        exception: Option<&Exception>,
        (regular_start, start): (DateTime<Tz>, DateTime<Tz>),
        holidays: &mut holidays::Memo,
    ) -> Meeting {
        let (duration, video_link, status, note) = match exception {
            Some(Exception::Cancelled { note }) => (
                series.duration,
                series.video_link.as_ref(),
                Status::Cancelled,
                note.clone(),
            ),
            Some(Exception::Moved {
                duration,
                video_link,
                note,
                ..
            }) => (
                duration.unwrap_or(series.duration),
                video_link.as_ref().or(series.video_link.as_ref()),
                if start == regular_start {
                    Status::Scheduled
                } else {
                    Status::Moved {
                        original_start: regular_start,
                    }
                },
                note.clone(),
            ),
            None => (
                series.duration,
                series.video_link.as_ref(),
                if series.skip_holidays
                    && let Some(holiday) = holidays.holiday_on(date)
                {
                    Status::Holiday {
                        name_de: holiday.name_de,
                        name_en: holiday.name_en,
                    }
                } else {
                    Status::Scheduled
                },
                None,
            ),
        };
        Meeting {
            key: meeting_key(&series.id, date),
            series: Some(series.id.clone()),
            title: series.title.clone(),
            start,
            end: end_of(start, duration),
            video_link: video_link.cloned(),
            status,
            note,
        }
    }

    fn one_off(&self, one_off: &OneOff) -> Meeting {
        let start = localize(self.timezone, one_off.date, one_off.start);
        Meeting {
            key: one_off.id.clone(),
            series: None,
            title: one_off.title.clone(),
            start,
            end: end_of(start, one_off.duration),
            video_link: one_off.video_link.clone(),
            status: if one_off.cancelled.is_some() {
                Status::Cancelled
            } else {
                Status::Scheduled
            },
            note: one_off.cancelled.clone().flatten(),
        }
    }
}

/// Orders `meetings` by start, then key; of equal ones the first stays first. The order is
/// found on indices and applied in place: a meeting is large, and a sort would move it many
/// times (and a second vector of them would cost fresh memory on every expansion).
fn sort_meetings(meetings: &mut [Meeting]) {
    let mut order: Vec<usize> = (0..meetings.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&meetings[a], &meetings[b]);
        (a.start, &a.key).cmp(&(b.start, &b.key))
    });
    // Position `at` takes the meeting now at `order[at]`; follow each cycle once, marking the
    // positions done as `order[at] = at`.
    for start in 0..order.len() {
        let mut at = start;
        loop {
            let from = order[at];
            order[at] = at;
            if from == start {
                break;
            }
            meetings.swap(at, from);
            at = from;
        }
    }
}

/// The key of a series' meeting: `series-id/YYYY-MM-DD`, its regular date as
/// `date.format("%Y-%m-%d")` writes it, without parsing a format string per meeting.
pub fn meeting_key(series_id: &str, date: NaiveDate) -> String {
    let mut key = String::with_capacity(series_id.len() + "/YYYY-MM-DD".len());
    key.push_str(series_id);
    key.push('/');
    match u32::try_from(date.year()) {
        Ok(year) if year <= 9999 => {
            for (number, digits) in [(year, 4), (date.month(), 2), (date.day(), 2)] {
                if digits == 2 {
                    key.push('-');
                }
                for place in (0..digits).rev() {
                    let digit = number / 10_u32.pow(place) % 10;
                    key.push(char::from_digit(digit, 10).unwrap_or('0'));
                }
            }
        }
        // chrono writes a sign before years outside 0–9999; validation keeps dates far from them.
        _ => key.push_str(&date.format("%Y-%m-%d").to_string()),
    }
    key
}

/// A local date and time in `tz` as an instant: a time in the spring gap is read with the
/// offset before the gap (02:30 becomes 03:30 summer time), an ambiguous one in the autumn fold
/// as the earlier instant (RFC 5545, 3.3.5).
pub fn localize(tz: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Tz> {
    let naive = NaiveDateTime::new(date, time);
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(instant) => instant,
        chrono::LocalResult::Ambiguous(earlier, _) => earlier,
        chrono::LocalResult::None => {
            // The offset in force a day before: gaps are shorter than a day.
            let offset = naive
                .checked_sub_signed(TimeDelta::days(1))
                .and_then(|before_gap| tz.offset_from_local_datetime(&before_gap).earliest());
            let utc = offset.and_then(|offset| naive.checked_sub_offset(offset.fix()));
            tz.from_utc_datetime(&utc.unwrap_or(naive))
        }
    }
}

/// When `time` on `date` does not exist in `tz` because the clocks are put forward over it:
/// the first local time that is skipped and the first one after the gap (02:00 and 03:00 for
/// Central Europe), to the minute.
pub fn gap(tz: Tz, date: NaiveDate, time: NaiveTime) -> Option<(NaiveTime, NaiveTime)> {
    let exists = |at: NaiveDateTime| tz.from_local_datetime(&at).earliest().is_some();
    let naive = NaiveDateTime::new(date, time);
    if exists(naive) {
        return None;
    }
    // Gaps are whole minutes and shorter than a day: at most 1440 steps either way.
    let minute = TimeDelta::minutes(1);
    let whole = naive.checked_sub_signed(TimeDelta::seconds(i64::from(naive.second())))?;
    let mut first_skipped = whole;
    for _ in 0..1440 {
        match first_skipped.checked_sub_signed(minute) {
            Some(earlier) if !exists(earlier) => first_skipped = earlier,
            _ => break,
        }
    }
    let mut after = whole;
    for _ in 0..1440 {
        if exists(after) {
            break;
        }
        after = after.checked_add_signed(minute)?;
    }
    Some((first_skipped.time(), after.time()))
}

/// A meeting's end: `start + duration`. Validation keeps durations to a day; should a larger one
/// slip through and leave chrono's range, the meeting ends when it starts, with a warning.
pub fn end_of(start: DateTime<Tz>, duration: TimeDelta) -> DateTime<Tz> {
    start.checked_add_signed(duration).unwrap_or_else(|| {
        warn!(%start, duration = %Compact(duration), "a meeting's end is out of range; using its start");
        start
    })
}

/// `at + by`, or the end of time where that leaves chrono's range (with a warning).
pub fn later(at: DateTime<Utc>, by: TimeDelta) -> DateTime<Utc> {
    at.checked_add_signed(by).unwrap_or_else(|| {
        warn!(%at, by = %Compact(by), "an instant is out of range; using the end of time");
        DateTime::<Utc>::MAX_UTC
    })
}

/// `at - by`, or the beginning of time where that leaves chrono's range (with a warning).
pub fn earlier(at: DateTime<Utc>, by: TimeDelta) -> DateTime<Utc> {
    at.checked_sub_signed(by).unwrap_or_else(|| {
        warn!(%at, by = %Compact(by), "an instant is out of range; using the beginning of time");
        DateTime::<Utc>::MIN_UTC
    })
}

#[cfg(test)]
mod tests {
    use chrono_tz::Europe::Berlin;

    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn time(text: &str) -> NaiveTime {
        NaiveTime::parse_from_str(text, "%H:%M").unwrap()
    }

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn conference(rule: &str, first: &str) -> Series {
        Series {
            id: "videokonferenz".to_owned(),
            title: "Videokonferenz".to_owned(),
            rule: rule.parse().unwrap(),
            first: date(first),
            start: time("10:00"),
            duration: TimeDelta::minutes(90),
            video_link: Some(Url::parse("https://meet.example.org/ikone").unwrap()),
            skip_holidays: true,
            exceptions: BTreeMap::new(),
        }
    }

    fn schedule(series: Vec<Series>) -> Schedule {
        Schedule {
            timezone: Berlin,
            holidays: State::RheinlandPfalz,
            series,
            one_offs: Vec::new(),
        }
    }

    fn starts(meetings: &[Meeting]) -> Vec<String> {
        meetings.iter().map(|m| m.start.to_rfc3339()).collect()
    }

    #[test]
    fn meetings_are_sorted_as_a_stable_sort_by_start_and_key_sorts_them() {
        // Starts and keys repeat (a key and start twice, told apart by the title), in an order
        // with long cycles and fixed points.
        let meetings: Vec<Meeting> = (0..200_u32)
            .map(|n| {
                let start = localize(Berlin, date("2026-03-01"), time("10:00"))
                    + TimeDelta::hours(i64::from((n * 37) % 23));
                let mut meeting = Meeting::remembered(
                    format!("k{}", (n * 11) % 7),
                    format!("meeting {n}"),
                    start,
                    Status::Scheduled,
                );
                meeting.end = start + TimeDelta::hours(1);
                meeting
            })
            .collect();
        let mut expected = meetings.clone();
        expected.sort_by(|a, b| (a.start, &a.key).cmp(&(b.start, &b.key)));
        for length in [0, 1, 2, 3, 50, 200] {
            let mut got = meetings[..length].to_vec();
            sort_meetings(&mut got);
            let mut want = meetings[..length].to_vec();
            want.sort_by(|a, b| (a.start, &a.key).cmp(&(b.start, &b.key)));
            assert_eq!(got, want, "{length} meetings");
        }
        let mut got = meetings;
        sort_meetings(&mut got);
        assert_eq!(got, expected);
    }

    #[test]
    fn meeting_keys_are_written_as_chrono_formats_them() {
        let mut dates = vec![
            NaiveDate::MIN,
            NaiveDate::MAX,
            NaiveDate::from_ymd_opt(-1, 12, 31).unwrap(),
            NaiveDate::from_ymd_opt(0, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(7, 8, 9).unwrap(),
            NaiveDate::from_ymd_opt(999, 10, 10).unwrap(),
            NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
            NaiveDate::from_ymd_opt(10000, 1, 1).unwrap(),
        ];
        dates.extend(date("2025-12-25").iter_days().take(800));
        for day in dates {
            assert_eq!(
                meeting_key("videokonferenz", day),
                format!("videokonferenz/{}", day.format("%Y-%m-%d"))
            );
        }
        assert_eq!(
            meeting_key("videokonferenz", date("2026-12-17")),
            "videokonferenz/2026-12-17"
        );
    }

    #[test]
    fn ten_o_clock_stays_ten_o_clock_across_both_dst_changes() {
        // Weekly on Sundays across the last Sundays of March and October 2026.
        let s = schedule(vec![conference("FREQ=WEEKLY;BYDAY=SU", "2026-03-22")]);
        let meetings = s.meetings_between(utc("2026-03-21T00:00:00Z"), utc("2026-04-06T00:00:00Z"));
        assert_eq!(
            starts(&meetings),
            [
                "2026-03-22T10:00:00+01:00",
                "2026-03-29T10:00:00+02:00",
                "2026-04-05T10:00:00+02:00"
            ]
        );
        let meetings = s.meetings_between(utc("2026-10-18T00:00:00Z"), utc("2026-11-02T00:00:00Z"));
        assert_eq!(
            starts(&meetings),
            [
                "2026-10-18T10:00:00+02:00",
                "2026-10-25T10:00:00+01:00",
                "2026-11-01T10:00:00+01:00"
            ]
        );
        assert!(meetings.iter().all(|m| m.start.hour() == 10));
    }

    #[test]
    fn local_times_in_the_gap_and_the_fold() {
        let gap = localize(Berlin, date("2026-03-29"), time("02:30"));
        assert_eq!(gap.to_rfc3339(), "2026-03-29T03:30:00+02:00");
        let fold = localize(Berlin, date("2026-10-25"), time("02:30"));
        assert_eq!(fold.to_rfc3339(), "2026-10-25T02:30:00+02:00");
        assert_eq!(fold.offset().fix().local_minus_utc(), 7200);
    }

    #[test]
    fn the_gap_is_named_to_the_minute() {
        assert_eq!(
            gap(Berlin, date("2026-03-29"), time("02:30")),
            Some((time("02:00"), time("03:00")))
        );
        assert_eq!(
            gap(Berlin, date("2026-03-29"), time("02:00")),
            Some((time("02:00"), time("03:00")))
        );
        assert_eq!(gap(Berlin, date("2026-03-29"), time("03:00")), None);
        assert_eq!(gap(Berlin, date("2026-03-29"), time("01:59")), None);
        // The fold exists (twice): no gap.
        assert_eq!(gap(Berlin, date("2026-10-25"), time("02:30")), None);
    }

    #[test]
    fn later_meetings_in_the_gap_are_read_as_rfc_5545_says() {
        // Weekly on Sundays at 02:30 from 22 March: the first exists, 29 March 02:30 does not
        // and is 03:30 summer time, as calendar clients expand the RRULE; 5 April is 02:30
        // again. In the fold on 25 October it is the first 02:30 (summer time).
        let mut series = conference("FREQ=WEEKLY;BYDAY=SU", "2026-03-22");
        series.start = time("02:30");
        let s = schedule(vec![series]);
        let meetings = s.meetings_between(utc("2026-03-21T00:00:00Z"), utc("2026-04-06T00:00:00Z"));
        assert_eq!(
            starts(&meetings),
            [
                "2026-03-22T02:30:00+01:00",
                "2026-03-29T03:30:00+02:00",
                "2026-04-05T02:30:00+02:00"
            ]
        );
        let fold = s.meetings_between(utc("2026-10-24T00:00:00Z"), utc("2026-10-26T00:00:00Z"));
        assert_eq!(starts(&fold), ["2026-10-25T02:30:00+02:00"]);
    }

    #[test]
    fn values_past_validation_are_clamped_not_panicking() {
        // What validation refuses, built directly: a duration of chrono's maximum, a first date
        // at the end of the calendar, a moved meeting there.
        let mut series = conference("FREQ=WEEKLY", "2026-03-02");
        series.duration = TimeDelta::MAX;
        series.exceptions.insert(
            date("2026-03-09"),
            Exception::Moved {
                date: Some(NaiveDate::MAX),
                start: Some(time("23:59")),
                duration: Some(TimeDelta::MAX),
                video_link: None,
                note: None,
            },
        );
        let mut far = conference("FREQ=MONTHLY", "2026-03-02");
        far.first = NaiveDate::MAX;
        let mut s = schedule(vec![series, far]);
        s.one_offs.push(OneOff {
            id: "ende".to_owned(),
            title: "Ende".to_owned(),
            date: NaiveDate::MIN,
            start: time("00:00"),
            duration: TimeDelta::MAX,
            video_link: None,
            cancelled: None,
        });
        let meetings = s.meetings_between(utc("2026-03-01T00:00:00Z"), utc("2026-03-20T00:00:00Z"));
        assert_eq!(meetings.len(), 2);
        assert_eq!(meetings[0].end, meetings[0].start, "clamped to its start");
        assert!(s.find("videokonferenz/2026-03-09").is_some());
        assert!(s.find("ende").is_some());
        assert_eq!(
            later(DateTime::<Utc>::MAX_UTC, TimeDelta::days(1)),
            DateTime::<Utc>::MAX_UTC
        );
        assert_eq!(
            earlier(DateTime::<Utc>::MIN_UTC, TimeDelta::days(1)),
            DateTime::<Utc>::MIN_UTC
        );
        let end = localize(Berlin, NaiveDate::MAX, time("23:59"));
        assert_eq!(end_of(end, TimeDelta::days(2)), end);
    }

    #[test]
    fn third_thursday_with_holidays_skipped() {
        // Fronleichnam 2026 is Thursday 4 June, the first Thursday; Himmelfahrt 14 May the second.
        let s = schedule(vec![conference("FREQ=MONTHLY;BYDAY=1TH", "2026-05-07")]);
        let meetings = s.meetings_between(utc("2026-05-01T00:00:00Z"), utc("2026-07-01T00:00:00Z"));
        let statuses: Vec<_> = meetings
            .iter()
            .map(|m| (m.key.as_str(), &m.status))
            .collect();
        assert_eq!(
            statuses,
            [
                ("videokonferenz/2026-05-07", &Status::Scheduled),
                (
                    "videokonferenz/2026-06-04",
                    &Status::Holiday {
                        name_de: "Fronleichnam",
                        name_en: "Corpus Christi"
                    }
                ),
            ]
        );
    }

    #[test]
    fn pfingstmontag_is_skipped_for_a_monday_series() {
        let s = schedule(vec![conference("FREQ=WEEKLY;BYDAY=MO", "2026-05-18")]);
        let meetings = s.meetings_between(utc("2026-05-18T00:00:00Z"), utc("2026-06-02T00:00:00Z"));
        assert_eq!(meetings.len(), 3);
        assert!(matches!(
            meetings[1].status,
            Status::Holiday {
                name_de: "Pfingstmontag",
                ..
            }
        ));
        assert_eq!(meetings[1].start.date_naive(), date("2026-05-25"));
        assert!(meetings[0].takes_place() && !meetings[1].takes_place());
    }

    #[test]
    fn cancelled_and_moved_occurrences() {
        let mut series = conference("FREQ=MONTHLY;BYDAY=3TH", "2026-01-15");
        series.exceptions.insert(
            date("2026-11-19"),
            Exception::Cancelled {
                note: Some("Weihnachtspause".to_owned()),
            },
        );
        series.exceptions.insert(
            date("2026-10-15"),
            Exception::Moved {
                date: Some(date("2026-10-22")),
                start: Some(time("14:00")),
                duration: None,
                video_link: Some(Url::parse("https://meet.example.org/other").unwrap()),
                note: None,
            },
        );
        let s = schedule(vec![series]);
        let meetings = s.meetings_between(utc("2026-10-01T00:00:00Z"), utc("2026-12-31T00:00:00Z"));
        assert_eq!(
            starts(&meetings),
            [
                "2026-10-22T14:00:00+02:00",
                "2026-11-19T10:00:00+01:00",
                "2026-12-17T10:00:00+01:00"
            ]
        );
        assert_eq!(meetings[0].key, "videokonferenz/2026-10-15");
        assert!(matches!(meetings[0].status, Status::Moved { .. }));
        assert_eq!(meetings[0].end.to_rfc3339(), "2026-10-22T15:30:00+02:00");
        assert_eq!(
            meetings[0].video_link.as_ref().unwrap().as_str(),
            "https://meet.example.org/other"
        );
        assert_eq!(meetings[1].status, Status::Cancelled);
        assert_eq!(meetings[1].note.as_deref(), Some("Weihnachtspause"));
        assert_eq!(s.find("videokonferenz/2026-10-15").unwrap(), meetings[0]);
        assert!(s.find("videokonferenz/2026-10-16").is_none());
        // The regular date of a moved meeting still finds it.
        assert_eq!(
            s.on_date(date("2026-10-15"))[0].key,
            "videokonferenz/2026-10-15"
        );
    }

    #[test]
    fn a_meeting_moved_into_the_window_from_a_later_date_is_found() {
        let mut series = conference("FREQ=MONTHLY;BYDAY=3TH", "2026-01-15");
        series.exceptions.insert(
            date("2026-12-17"),
            Exception::Moved {
                date: Some(date("2026-11-26")),
                start: None,
                duration: None,
                video_link: None,
                note: None,
            },
        );
        let s = schedule(vec![series]);
        let meetings = s.meetings_between(utc("2026-11-20T00:00:00Z"), utc("2026-11-30T00:00:00Z"));
        assert_eq!(meetings.len(), 1);
        assert_eq!(meetings[0].key, "videokonferenz/2026-12-17");
    }
}
