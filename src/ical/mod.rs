//! iCalendar (RFC 5545) for the network's meetings: the subscription feed, `convene ics`, and
//! the .ics attached to announcements — the same bytes for the same input, so ETags work and
//! snapshots are stable.
//!
//! Each series becomes one VEVENT with an RRULE, EXDATEs for cancelled occurrences and those
//! skipped for a holiday, and an override VEVENT (RECURRENCE-ID) for each moved occurrence; each
//! one-off workshop becomes one VEVENT. UIDs never change (`<id>@<domain>`); SEQUENCE and DTSTAMP
//! come from [`Version`]s the caller keeps: when an entry's content changes, its sequence goes
//! up and its DTSTAMP becomes the time of that change.
//!
//! The icalendar crate writes the VEVENTs (escaping TEXT values and folding lines); it stamps a
//! random UID and `DTSTAMP=now` into any component lacking them and writes no VTIMEZONE, so
//! convene always sets both and writes the VCALENDAR frame and the VTIMEZONE itself.

pub mod vtimezone;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use icalendar::{Component as _, Event, EventLike as _, Property};

use crate::agenda::Agenda;
use crate::holidays;
use crate::network::Network;
use crate::schedule::rrule::End;
use crate::schedule::{Exception, OneOff, Series, localize};

/// How far ahead the holidays a never-ending series skips are listed as EXDATEs.
const HOLIDAY_YEARS: i32 = 10;

/// The version of one calendar entry: how often it changed, and when it last did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Version {
    /// SEQUENCE.
    pub sequence: u32,
    /// DTSTAMP: the time of the last change.
    pub changed_at: DateTime<Utc>,
}

/// What a calendar holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection<'a> {
    /// Every series and workshop: the subscription feed.
    All,
    /// One series or one workshop, by id: an invitation.
    Entry(&'a str),
}

/// One series or workshop as VEVENT text, before its version is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its UID.
    pub uid: String,
    /// The series or workshop id.
    pub id: String,
    /// A hash of its content without SEQUENCE and DTSTAMP: when it changes, so does the version.
    pub content_hash: String,
    events: Vec<Event>,
}

/// The calendar entries of a network, in a stable order (series first, then workshops).
pub fn entries(network: &Network) -> Vec<Entry> {
    let context = Context::new(network);
    let mut entries: Vec<Entry> = network
        .config
        .meetings
        .series
        .iter()
        .map(|series| context.series(series))
        .collect();
    entries.extend(
        network
            .schedule
            .one_offs
            .iter()
            .filter(|o| o.cancelled.is_none())
            .map(|one_off| context.one_off(one_off)),
    );
    entries
}

/// Renders a calendar of `entries` with their `versions` (entries without one get sequence 0
/// and the Unix epoch as DTSTAMP, which only happens in tests).
pub fn render(
    network: &Network,
    entries: &[Entry],
    versions: &BTreeMap<String, Version>,
    selection: Selection<'_>,
) -> String {
    let config = &network.config;
    let mut out = String::new();
    let line = |out: &mut String, text: &str| {
        out.push_str(&fold(text));
        out.push_str("\r\n");
    };
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//convene//convene//DE");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(
        &mut out,
        &format!("X-WR-CALNAME:{}", escape(&config.network.name)),
    );
    line(
        &mut out,
        &format!("X-WR-TIMEZONE:{}", config.timezone.name()),
    );
    line(&mut out, "REFRESH-INTERVAL;VALUE=DURATION:PT1H");
    line(&mut out, "X-PUBLISHED-TTL:PT1H");
    out.push_str(&vtimezone::vtimezone(
        config.timezone,
        reference_year(network),
    ));
    for entry in entries {
        if let Selection::Entry(id) = selection
            && entry.id != id
        {
            continue;
        }
        let version = versions.get(&entry.uid).copied().unwrap_or(Version {
            sequence: 0,
            changed_at: DateTime::UNIX_EPOCH,
        });
        for event in &entry.events {
            let mut event = event.clone();
            event.timestamp(version.changed_at);
            event.sequence(version.sequence);
            out.push_str(&icalendar::Component::to_string(&event));
        }
    }
    line(&mut out, "END:VCALENDAR");
    out
}

/// The year whose rules the VTIMEZONE shows: that of the earliest meeting, so the output
/// depends on the input only.
fn reference_year(network: &Network) -> i32 {
    let firsts = network.config.meetings.series.iter().map(|s| s.first);
    let one_offs = network.schedule.one_offs.iter().map(|o| o.date);
    firsts.chain(one_offs).min().map_or(2026, |d| d.year())
}

/// Escapes a TEXT value written outside the icalendar crate (RFC 5545, 3.3.11); CR is removed.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            ';' => escaped.push_str("\\;"),
            ',' => escaped.push_str("\\,"),
            '\n' => escaped.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => escaped.push(c),
        }
    }
    escaped
}

/// Folds a content line at 75 octets without splitting a UTF-8 character (RFC 5545, 3.1).
pub fn fold(line: &str) -> String {
    let mut folded = String::with_capacity(line.len() + line.len() / 37);
    let mut width = 0;
    for c in line.chars() {
        let size = c.len_utf8();
        if width + size > 75 {
            folded.push_str("\r\n ");
            width = 1;
        }
        folded.push(c);
        width += size;
    }
    folded
}

/// Text for the icalendar crate: it escapes, but CR and other control characters must go.
fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect()
}

struct Context<'a> {
    network: &'a Network,
    tz: Tz,
    domain: String,
}

impl<'a> Context<'a> {
    fn new(network: &'a Network) -> Self {
        let domain = network
            .config
            .calendar
            .as_ref()
            .map(|c| c.uid_domain.clone())
            .unwrap_or_else(|| network.config.bot.user_id.server_name().to_string());
        Self {
            network,
            tz: network.config.timezone,
            domain,
        }
    }

    fn timed(&self, key: &str, at: DateTime<Tz>) -> Property {
        let mut property = Property::new(key, at.format("%Y%m%dT%H%M%S").to_string());
        property.add_parameter("TZID", self.tz.name());
        property
    }

    /// Properties every VEVENT of this network has: organizer, link, status.
    fn common(&self, event: &mut Event, title: &str, link: Option<&url::Url>, description: &str) {
        event.summary(&clean(title));
        if !description.is_empty() {
            event.description(&clean(description));
        }
        if let Some(link) = link {
            event.location(link.as_str());
            event.url(link.as_str());
            let mut conference = Property::new("CONFERENCE", link.as_str());
            conference.add_parameter("VALUE", "URI");
            conference.add_parameter("FEATURE", "VIDEO");
            event.append_property(conference);
        }
        if let Some(calendar) = &self.network.config.calendar {
            let mut organizer = Property::new("ORGANIZER", format!("mailto:{}", calendar.contact));
            let name: String = self
                .network
                .config
                .network
                .name
                .chars()
                .filter(|c| *c != '"' && !c.is_control())
                .collect();
            organizer.add_parameter("CN", &format!("\"{name}\""));
            event.append_property(organizer);
        }
        event.add_property("STATUS", "CONFIRMED");
        event.add_property("TRANSP", "OPAQUE");
    }

    fn description(&self, link: Option<&url::Url>, agenda: Option<&Agenda>) -> String {
        let mut text = String::new();
        if let Some(link) = link {
            let _ = writeln!(text, "Videokonferenz: {link}");
        }
        if let Some(agenda) = agenda {
            if !agenda.items.is_empty() {
                text.push_str("\nTagesordnung:\n");
            }
            for (index, item) in agenda.items.iter().enumerate() {
                let _ = write!(text, "{}. {}", index + 1, item.title);
                if let Some(speaker) = &item.speaker {
                    let _ = write!(text, " – {}", speaker.name);
                }
                text.push('\n');
            }
            if let Some(notes) = &agenda.notes {
                let _ = write!(text, "\n{notes}\n");
            }
        }
        text.trim_end().to_owned()
    }

    fn series(&self, series: &Series) -> Entry {
        let uid = format!("{}@{}", series.id, self.domain);
        let start = localize(self.tz, series.first, series.start);
        let mut master = Event::new();
        master.uid(&uid);
        master.append_property(self.timed("DTSTART", start));
        master.append_property(self.timed("DTEND", start + series.duration));
        master.add_property("RRULE", self.rrule(series));
        let description = self.description(series.video_link.as_ref(), None);
        self.common(
            &mut master,
            &series.title,
            series.video_link.as_ref(),
            &description,
        );

        let mut overrides = Vec::new();
        let mut excluded: Vec<NaiveDate> = Vec::new();
        for (date, exception) in &series.exceptions {
            let original = localize(self.tz, *date, series.start);
            match exception {
                Exception::Cancelled { .. } => excluded.push(*date),
                Exception::Moved {
                    date: new_date,
                    start: new_start,
                    duration,
                    video_link,
                    ..
                } => {
                    let moved = localize(
                        self.tz,
                        new_date.unwrap_or(*date),
                        new_start.unwrap_or(series.start),
                    );
                    let link = video_link.as_ref().or(series.video_link.as_ref());
                    let mut event = Event::new();
                    event.uid(&uid);
                    event.append_property(self.timed("RECURRENCE-ID", original));
                    event.append_property(self.timed("DTSTART", moved));
                    event.append_property(
                        self.timed("DTEND", moved + duration.unwrap_or(series.duration)),
                    );
                    let key = format!("{}/{}", series.id, date.format("%Y-%m-%d"));
                    let agenda = self.network.agendas.by_meeting.get(&key);
                    let description = self.description(link, agenda);
                    self.common(&mut event, &series.title, link, &description);
                    overrides.push(event);
                }
            }
        }
        if series.skip_holidays {
            let horizon = match series.rule.end {
                End::Until(until) => until,
                _ => NaiveDate::from_ymd_opt(series.first.year() + HOLIDAY_YEARS, 12, 31)
                    .unwrap_or(NaiveDate::MAX),
            };
            for date in series.rule.dates(series.first) {
                if date > horizon {
                    break;
                }
                if !series.exceptions.contains_key(&date)
                    && holidays::holiday_on(self.network.config.meetings.holidays, date).is_some()
                {
                    excluded.push(date);
                }
            }
        }
        excluded.sort();
        for date in excluded {
            master
                .append_multi_property(self.timed("EXDATE", localize(self.tz, date, series.start)));
        }
        let mut events = vec![master];
        events.extend(overrides);
        entry(uid, series.id.clone(), events)
    }

    /// The rule for the feed: UNTIL becomes the UTC end of that local day, as RFC 5545
    /// requires when DTSTART has a time zone.
    fn rrule(&self, series: &Series) -> String {
        let rule = series.rule.to_ical();
        match series.rule.end {
            End::Until(until) => {
                let end_of_day = self
                    .tz
                    .from_local_datetime(&NaiveDateTime::new(
                        until,
                        NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN),
                    ))
                    .earliest()
                    .map_or(DateTime::UNIX_EPOCH, |t| t.with_timezone(&Utc));
                rule.split(';')
                    .map(|part| {
                        if part.starts_with("UNTIL=") {
                            format!("UNTIL={}", end_of_day.format("%Y%m%dT%H%M%SZ"))
                        } else {
                            part.to_owned()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(";")
            }
            _ => rule,
        }
    }

    fn one_off(&self, one_off: &OneOff) -> Entry {
        let uid = format!("{}@{}", one_off.id, self.domain);
        let start = localize(self.tz, one_off.date, one_off.start);
        let mut event = Event::new();
        event.uid(&uid);
        event.append_property(self.timed("DTSTART", start));
        event.append_property(self.timed("DTEND", start + one_off.duration));
        let agenda = self.network.agendas.by_meeting.get(&one_off.id);
        let mut description = self.description(one_off.video_link.as_ref(), agenda);
        if let Some(agenda) = agenda
            && !agenda.parts.is_empty()
        {
            let parts: Vec<String> = agenda
                .parts
                .iter()
                .map(|p| match (&p.start, &p.audience) {
                    (Some(start), Some(audience)) => {
                        format!("{} {} ({audience})", start.format("%H:%M"), p.title)
                    }
                    (Some(start), None) => format!("{} {}", start.format("%H:%M"), p.title),
                    (None, Some(audience)) => format!("{} ({audience})", p.title),
                    (None, None) => p.title.clone(),
                })
                .collect();
            description = format!("{description}\n\nTeile:\n{}", parts.join("\n"))
                .trim_start()
                .to_owned();
        }
        self.common(
            &mut event,
            &one_off.title,
            one_off.video_link.as_ref(),
            &description,
        );
        entry(uid, one_off.id.clone(), vec![event])
    }
}

fn entry(uid: String, id: String, events: Vec<Event>) -> Entry {
    // Hashed with a fixed DTSTAMP and SEQUENCE: the crate would stamp "now" into an event
    // without a DTSTAMP, and the version must not depend on itself.
    let text: String = events
        .iter()
        .map(|event| {
            let mut event = event.clone();
            event.timestamp(DateTime::UNIX_EPOCH);
            event.sequence(0);
            icalendar::Component::to_string(&event)
        })
        .collect();
    Entry {
        content_hash: crate::hash::stable_hash(&[&text]),
        uid,
        id,
        events,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let line = format!("SUMMARY:{}", "ä".repeat(80));
        let folded = fold(&line);
        for part in folded.split("\r\n") {
            assert!(part.len() <= 75, "{} octets: {part}", part.len());
        }
        assert_eq!(folded.replace("\r\n ", ""), line);
    }

    #[test]
    fn escapes_text_and_drops_carriage_returns() {
        assert_eq!(escape("a,b;c\\d\r\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
