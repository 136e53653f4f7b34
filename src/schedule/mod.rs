//! The meeting schedule: the network's regular video conferences (series with a recurrence
//! rule) and its one-off workshops, expanded into concrete [`Meeting`]s in local time.
//!
//! Pure: no I/O, no clock; callers pass the instants they care about. Times are planned in the
//! network's time zone, so a 10:00 conference stays 10:00 local across both DST changes; a local
//! time that does not exist (the spring gap) is read with the offset before the gap, and an
//! ambiguous one (the autumn fold) as the earlier instant, as RFC 5545 prescribes.

pub mod rrule;

use std::collections::BTreeMap;

use chrono::{
    DateTime, Days, NaiveDate, NaiveDateTime, NaiveTime, Offset as _, TimeDelta, TimeZone, Utc,
};
use chrono_tz::Tz;
use url::Url;

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
            .unwrap_or(NaiveDate::MAX);
        let mut meetings: Vec<Meeting> = Vec::new();
        for series in &self.series {
            for date in series.rule.dates(series.first) {
                if date > last_date {
                    break;
                }
                let meeting = self.occurrence(series, date);
                if meeting.start >= from && meeting.start < to {
                    meetings.push(meeting);
                }
            }
        }
        for one_off in &self.one_offs {
            let meeting = self.one_off(one_off);
            if meeting.start >= from && meeting.start < to {
                meetings.push(meeting);
            }
        }
        meetings.sort_by(|a, b| (a.start, &a.key).cmp(&(b.start, &b.key)));
        meetings
    }

    /// The next `count` meetings that start at or after `now` (cancelled ones included, so
    /// members see them called off), looking at most `horizon` ahead.
    pub fn upcoming(&self, now: DateTime<Utc>, horizon: TimeDelta, count: usize) -> Vec<Meeting> {
        let mut meetings = self.meetings_between(now, now + horizon);
        meetings.truncate(count);
        meetings
    }

    /// The next meeting at or after `now` that takes place, looking at most `horizon` ahead.
    pub fn next_taking_place(&self, now: DateTime<Utc>, horizon: TimeDelta) -> Option<Meeting> {
        self.meetings_between(now, now + horizon)
            .into_iter()
            .find(Meeting::takes_place)
    }

    /// The meetings (of any status) whose local date is `date`, or whose regular date was.
    pub fn on_date(&self, date: NaiveDate) -> Vec<Meeting> {
        let day_start = localize(self.timezone, date, NaiveTime::MIN).with_timezone(&Utc);
        let mut meetings = self.meetings_between(day_start, day_start + TimeDelta::days(1));
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
        let regular_start = localize(self.timezone, date, series.start);
        let mut meeting = Meeting {
            key: format!("{}/{}", series.id, date.format("%Y-%m-%d")),
            series: Some(series.id.clone()),
            title: series.title.clone(),
            start: regular_start,
            end: regular_start + series.duration,
            video_link: series.video_link.clone(),
            status: Status::Scheduled,
            note: None,
        };
        match series.exceptions.get(&date) {
            Some(Exception::Cancelled { note }) => {
                meeting.status = Status::Cancelled;
                meeting.note.clone_from(note);
            }
            Some(Exception::Moved {
                date: new_date,
                start,
                duration,
                video_link,
                note,
            }) => {
                let start = localize(
                    self.timezone,
                    new_date.unwrap_or(date),
                    start.unwrap_or(series.start),
                );
                meeting.start = start;
                meeting.end = start + duration.unwrap_or(series.duration);
                if let Some(link) = video_link {
                    meeting.video_link = Some(link.clone());
                }
                if start != regular_start {
                    meeting.status = Status::Moved {
                        original_start: regular_start,
                    };
                }
                meeting.note.clone_from(note);
            }
            None => {
                if series.skip_holidays
                    && let Some(holiday) = holidays::holiday_on(self.holidays, date)
                {
                    meeting.status = Status::Holiday {
                        name_de: holiday.name_de,
                        name_en: holiday.name_en,
                    };
                }
            }
        }
        meeting
    }

    fn one_off(&self, one_off: &OneOff) -> Meeting {
        let start = localize(self.timezone, one_off.date, one_off.start);
        Meeting {
            key: one_off.id.clone(),
            series: None,
            title: one_off.title.clone(),
            start,
            end: start + one_off.duration,
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

/// A local date and time in `tz` as an instant: a time in the spring gap is read with the
/// offset before the gap (02:30 becomes 03:30 summer time), an ambiguous one in the autumn fold
/// as the earlier instant (RFC 5545, 3.3.5).
pub fn localize(tz: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Tz> {
    let naive = NaiveDateTime::new(date, time);
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(instant) => instant,
        chrono::LocalResult::Ambiguous(earlier, _) => earlier,
        chrono::LocalResult::None => {
            let before_gap = naive - TimeDelta::days(1);
            let offset = tz.offset_from_local_datetime(&before_gap).earliest();
            match offset {
                Some(offset) => {
                    let utc = naive - offset.fix();
                    tz.from_utc_datetime(&utc)
                }
                None => tz.from_utc_datetime(&naive),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Offset as _, Timelike as _};
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
