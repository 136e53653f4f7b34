//! iCalendar (RFC 5545) for the network's meetings: the subscription feed, `convene ics`, and
//! the .ics attached to announcements — the same bytes for the same input, so ETags work and
//! snapshots are stable.
//!
//! Each series becomes one VEVENT with an RRULE, EXDATEs for cancelled occurrences and those
//! skipped for a holiday, and an override VEVENT (RECURRENCE-ID) for each moved occurrence, for
//! each occurrence with an agenda (an agenda file, or proposals the organizers accepted), whose
//! DESCRIPTION carries that agenda, and for each occurrence whose time does not exist that day
//! (the spring gap, see [`Context::gap_dates`]); each one-off workshop becomes one VEVENT. The agenda is
//! part of an entry's content, so a changed agenda gives the entry a new version and subscribed
//! calendars pick it up. UIDs never change (`<id>@<domain>`); SEQUENCE and DTSTAMP
//! come from [`Version`]s the caller keeps: when an entry's content changes, its sequence goes
//! up and its DTSTAMP becomes the time of that change.
//!
//! Video links are for members only: every entry is built twice, with and without them
//! ([`Links`]); the private feeds and the invitations carry them, the public calendar does not.
//! The version follows the content with the links, so both variants share SEQUENCE and DTSTAMP.
//!
//! The icalendar crate builds the VEVENTs (which properties, how TEXT values are escaped);
//! convene writes them out itself ([`lines`]): the crate folds lines in quadratic time. The
//! crate stamps a random UID and `DTSTAMP=now` into any component lacking them and writes no
//! VTIMEZONE, so convene always sets both and writes the VCALENDAR frame and the VTIMEZONE
//! itself.

pub mod lines;
pub mod vtimezone;

pub use lines::fold;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Offset as _, TimeZone, Utc};
use chrono_tz::Tz;
use icalendar::{Component as _, Event, EventLike as _, Property};

use crate::agenda::Agenda;
use crate::calendar_version::Version;
use crate::holidays;
use crate::i18n::Language;
use crate::limits;
use crate::network::Network;
use crate::schedule::rrule::End;
use crate::schedule::{Exception, OneOff, Series, end_of, gap, localize, meeting_key};

/// How far ahead of its first meeting the holidays a series skips are listed as EXDATEs, also
/// when its UNTIL lies further ahead: that keeps the feed small (a series until 2200 would list
/// thousands), and the members look at the coming meetings.
const HOLIDAY_YEARS: i32 = 10;

/// What a calendar holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection<'a> {
    /// Every series and workshop: the subscription feed.
    All,
    /// One series or one workshop, by id: an invitation.
    Entry(&'a str),
}

/// Whether a calendar carries the meetings' video links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Links {
    /// With the links (LOCATION, URL, CONFERENCE, the "Videokonferenz:" line): the rooms'
    /// private feeds and the invitations posted to members.
    Include,
    /// Without them: the public network calendar, which anyone who reaches the server can read —
    /// a link in it would let anyone join the network's conferences.
    Omit,
}

/// One series or workshop as VEVENT text, before its version is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its UID.
    pub uid: String,
    /// The series or workshop id.
    pub id: String,
    /// A hash of its content (with the links) without SEQUENCE and DTSTAMP: when it changes, so
    /// does the version.
    pub content_hash: String,
    events: Vec<Event>,
    /// The same events without the video links.
    without_links: Vec<Event>,
}

/// The calendar entries of a network, in a stable order (series first, then workshops).
///
/// `accepted` holds the titles of the proposals the organizers accepted, by meeting key
/// (`series-id/YYYY-MM-DD` of the regular date, or a workshop's id), each list in the order
/// they were proposed; they follow the agenda file's items in the DESCRIPTION.
pub fn entries(network: &Network, accepted: &BTreeMap<String, Vec<String>>) -> Vec<Entry> {
    let forward = ForwardDays::default();
    let with = Context::new(network, accepted, Links::Include, &forward);
    let without = Context::new(network, accepted, Links::Omit, &forward);
    let mut entries: Vec<Entry> = network
        .config
        .meetings
        .series
        .iter()
        .map(|series| with.series(series).or_without(without.series(series)))
        .collect();
    entries.extend(
        network
            .schedule
            .one_offs
            .iter()
            .filter(|o| o.cancelled.is_none())
            .map(|one_off| with.one_off(one_off).or_without(without.one_off(one_off))),
    );
    entries
}

impl Entry {
    /// This entry, with the events of `without` (the same entry built without links) as its
    /// link-free variant.
    fn or_without(self, without: Entry) -> Entry {
        Entry {
            without_links: without.events,
            ..self
        }
    }
}

/// Renders a calendar of `entries` with their `versions` (entries without one get sequence 0
/// and the Unix epoch as DTSTAMP, which only happens in tests), with or without the video
/// `links`.
pub fn render(
    network: &Network,
    entries: &[Entry],
    versions: &BTreeMap<String, Version>,
    selection: Selection<'_>,
    links: Links,
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
        &format!("X-WR-CALNAME:{}", escape(&config.roster.name)),
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
        let events = match links {
            Links::Include => &entry.events,
            Links::Omit => &entry.without_links,
        };
        for event in events {
            let mut event = event.clone();
            event.timestamp(version.changed_at);
            event.sequence(version.sequence);
            lines::write(&event, &mut out);
        }
    }
    line(&mut out, "END:VCALENDAR");
    out
}

/// The earliest year whose time-zone rules the VTIMEZONE may show.
///
/// The two-observance form Outlook reads holds one set of rules, and the rules that matter are
/// those of the meetings people still attend: a series that started in 1985 must not carry the
/// rules of 1985 (in Germany, summer time then ended in September) into this year's meetings.
/// Germany's present rules date from 1996.
const MODERN_RULES_FROM: i32 = 2000;

/// The year whose rules the VTIMEZONE shows: that of the earliest meeting, but not before
/// [`MODERN_RULES_FROM`], so the output depends on the input only.
fn reference_year(network: &Network) -> i32 {
    let firsts = network.config.meetings.series.iter().map(|s| s.first);
    let one_offs = network.schedule.one_offs.iter().map(|o| o.date);
    firsts
        .chain(one_offs)
        .min()
        .map_or(2026, |d| d.year())
        .max(MODERN_RULES_FROM)
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

/// Text for the icalendar crate: it escapes, but CR and other control characters must go.
fn clean(text: &str) -> String {
    text.chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect()
}

/// The days on which the clocks go forward, by year, found once per calendar (see
/// [`Context::gap_dates`]).
#[derive(Debug, Default)]
struct ForwardDays(RefCell<BTreeMap<i32, Vec<NaiveDate>>>);

impl ForwardDays {
    /// The days of `year` that may hold a gap in `tz`: a month whose UTC offset at noon is
    /// larger at its end than at its start has a change forward, found by halving; the gap is
    /// on the last day with the old offset at noon or on the first with the new one.
    fn of(&self, tz: Tz, year: i32) -> Vec<NaiveDate> {
        if let Some(days) = self.0.borrow().get(&year) {
            return days.clone();
        }
        let noon = NaiveTime::from_hms_opt(12, 0, 0).unwrap_or(NaiveTime::MIN);
        let offset = |date: NaiveDate| localize(tz, date, noon).offset().fix().local_minus_utc();
        let first_of = |year: i32, month: u32| NaiveDate::from_ymd_opt(year, month, 1);
        let mut days = Vec::new();
        for month in 1..=12 {
            let next = if month == 12 {
                year.checked_add(1).and_then(|year| first_of(year, 1))
            } else {
                first_of(year, month + 1)
            };
            let (Some(mut before), Some(mut after)) = (first_of(year, month), next) else {
                continue;
            };
            let old = offset(before);
            if offset(after) <= old {
                continue;
            }
            while let Some(middle) = before.checked_add_days(chrono::Days::new(
                u64::try_from((after - before).num_days() / 2).unwrap_or(0),
            )) {
                if middle == before {
                    break;
                }
                if offset(middle) > old {
                    after = middle;
                } else {
                    before = middle;
                }
            }
            days.extend([before, after]);
        }
        self.0.borrow_mut().insert(year, days.clone());
        days
    }
}

struct Context<'a> {
    network: &'a Network,
    accepted: &'a BTreeMap<String, Vec<String>>,
    tz: Tz,
    domain: String,
    links: Links,
    forward: &'a ForwardDays,
}

impl<'a> Context<'a> {
    fn new(
        network: &'a Network,
        accepted: &'a BTreeMap<String, Vec<String>>,
        links: Links,
        forward: &'a ForwardDays,
    ) -> Self {
        let domain = network
            .config
            .calendar
            .as_ref()
            .map(|c| c.uid_domain.clone())
            .unwrap_or_else(|| network.config.bot.user_id.server_name().to_string());
        Self {
            network,
            accepted,
            tz: network.config.timezone,
            domain,
            links,
            forward,
        }
    }

    /// The network's language, in which the DESCRIPTION's labels are written.
    fn language(&self) -> Language {
        self.network.config.language
    }

    /// `link`, unless this calendar omits the links.
    fn shown<'l>(&self, link: Option<&'l url::Url>) -> Option<&'l url::Url> {
        link.filter(|_| self.links == Links::Include)
    }

    fn timed(&self, key: &str, at: DateTime<Tz>) -> Property {
        self.local(key, at.naive_local())
    }

    /// A local date and time as written, also one that does not exist (in the spring gap): an
    /// occurrence as the RRULE names it, for RECURRENCE-ID and EXDATE, which every client
    /// matches against the occurrences it expands from the RRULE in the same way.
    fn local(&self, key: &str, at: NaiveDateTime) -> Property {
        let mut property = Property::new(key, at.format("%Y%m%dT%H%M%S").to_string());
        property.add_parameter("TZID", self.tz.name());
        property
    }

    /// The regular dates of `series` whose start does not exist that day, because the clocks
    /// go forward over it (a series at 02:30 on the last Sunday of March in Central Europe).
    ///
    /// RFC 5545 reads such a time with the offset before the gap (03:30 summer time), and so do
    /// convene and python's calendar libraries; Mozilla's ical.js (Thunderbird) reads it with
    /// the offset after the gap, an hour early. An override with its own, existing DTSTART
    /// makes every calendar show the same instant.
    fn gap_dates(&self, series: &Series) -> Vec<NaiveDate> {
        let last_year = match series.rule.end {
            End::Until(until) => until.min(limits::LAST_DATE),
            _ => limits::LAST_DATE,
        }
        .year();
        let candidates: BTreeSet<NaiveDate> = (series.first.year()..=last_year)
            .flat_map(|year| self.forward.of(self.tz, year))
            .filter(|date| *date >= series.first && gap(self.tz, *date, series.start).is_some())
            .collect();
        if candidates.is_empty() {
            return Vec::new();
        }
        match series.rule.end {
            // Whether a date is among the first COUNT is known only from the dates before it:
            // one expansion for all candidates.
            End::Count(_) => {
                let last = candidates.last().copied().unwrap_or(series.first);
                series
                    .rule
                    .dates(series.first)
                    .take_while(|date| *date <= last)
                    .filter(|date| candidates.contains(date))
                    .collect()
            }
            _ => candidates
                .into_iter()
                .filter(|date| series.rule.is_occurrence(series.first, *date))
                .collect(),
        }
    }

    /// Properties every VEVENT of this network has: organizer, link, status.
    fn common(&self, event: &mut Event, title: &str, link: Option<&url::Url>, description: &str) {
        event.summary(&clean(title));
        if !description.is_empty() {
            event.description(&clean(description));
        }
        if let Some(link) = self.shown(link) {
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
                .roster
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

    /// The titles of the accepted proposals for the meeting with this key, in order.
    fn accepted(&self, key: &str) -> &'a [String] {
        self.accepted.get(key).map_or(&[], Vec::as_slice)
    }

    /// The video link, then the agenda: the file's items, the accepted proposals numbered on
    /// after them, and the file's notes.
    fn description(
        &self,
        link: Option<&url::Url>,
        agenda: Option<&Agenda>,
        accepted: &[String],
    ) -> String {
        let german = self.language() == Language::German;
        let mut text = String::new();
        if let Some(link) = self.shown(link) {
            let label = if german {
                "Videokonferenz"
            } else {
                "Video conference"
            };
            let _ = writeln!(text, "{label}: {link}");
        }
        let items = agenda.map_or(&[][..], |a| a.items.as_slice());
        if !items.is_empty() || !accepted.is_empty() {
            text.push_str(if german {
                "\nTagesordnung:\n"
            } else {
                "\nAgenda:\n"
            });
        }
        for (index, item) in items.iter().enumerate() {
            let _ = write!(text, "{}. {}", index + 1, item.title);
            if let Some(speaker) = &item.speaker {
                let _ = write!(text, " – {}", speaker.name);
            }
            text.push('\n');
        }
        for (index, title) in accepted.iter().enumerate() {
            let _ = writeln!(text, "{}. {title}", items.len() + index + 1);
        }
        if let Some(notes) = agenda.and_then(|a| a.notes.as_ref()) {
            let _ = write!(text, "\n{notes}\n");
        }
        // Without a link line, the agenda's blank separator line would lead the description.
        text.trim().to_owned()
    }

    fn series(&self, series: &Series) -> Entry {
        let uid = format!("{}@{}", series.id, self.domain);
        let start = localize(self.tz, series.first, series.start);
        let mut master = Event::new();
        master.uid(&uid);
        master.append_property(self.timed("DTSTART", start));
        master.append_property(self.timed("DTEND", end_of(start, series.duration)));
        master.add_property("RRULE", self.rrule(series));
        let description = self.description(series.video_link.as_ref(), None, &[]);
        self.common(
            &mut master,
            &series.title,
            series.video_link.as_ref(),
            &description,
        );

        let mut excluded: Vec<NaiveDate> = series
            .exceptions
            .iter()
            .filter(|(_, exception)| matches!(exception, Exception::Cancelled { .. }))
            .map(|(date, _)| *date)
            .collect();
        // The occurrences that differ from the master: moved ones, and those with an agenda
        // (by the regular date in their meeting key), in date order.
        let prefix = format!("{}/", series.id);
        let mut dates: BTreeSet<NaiveDate> = series
            .exceptions
            .iter()
            .filter(|(_, exception)| matches!(exception, Exception::Moved { .. }))
            .map(|(date, _)| *date)
            .collect();
        dates.extend(
            self.network
                .agendas
                .by_meeting
                .keys()
                .chain(self.accepted.keys())
                .filter_map(|key| key.strip_prefix(&prefix))
                .filter_map(|date| NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()),
        );
        dates.extend(self.gap_dates(series));
        let overrides: Vec<Event> = dates
            .into_iter()
            .filter_map(|date| self.occurrence(series, &uid, date, &description))
            .collect();
        if series.skip_holidays {
            let years = series
                .first
                .year()
                .checked_add(HOLIDAY_YEARS)
                .and_then(|year| NaiveDate::from_ymd_opt(year, 12, 31))
                .unwrap_or(NaiveDate::MAX);
            let horizon = match series.rule.end {
                End::Until(until) => until.min(years),
                _ => years,
            };
            let mut holidays = holidays::Memo::new(self.network.config.meetings.holidays);
            for date in series.rule.dates(series.first) {
                if date > horizon {
                    break;
                }
                if !series.exceptions.contains_key(&date) && holidays.holiday_on(date).is_some() {
                    excluded.push(date);
                }
            }
        }
        excluded.sort();
        for date in excluded {
            master.append_multi_property(
                self.local("EXDATE", NaiveDateTime::new(date, series.start)),
            );
        }
        let mut events = vec![master];
        events.extend(overrides);
        entry(uid, series.id.clone(), events)
    }

    /// The override VEVENT of the occurrence whose regular date is `date`: when it is moved,
    /// when it takes place as planned with an agenda (its description differs from the
    /// master's), or when its time does not exist that day (see [`Context::gap_dates`]). None
    /// for cancelled and holiday-skipped occurrences (they are EXDATEs), for dates that are no
    /// occurrence, and for occurrences the master already describes.
    fn occurrence(
        &self,
        series: &Series,
        uid: &str,
        date: NaiveDate,
        master_description: &str,
    ) -> Option<Event> {
        let key = meeting_key(&series.id, date);
        let agenda = self.network.agendas.by_meeting.get(&key);
        let accepted = self.accepted(&key);
        let original = localize(self.tz, date, series.start);
        let (start, duration, link) = match series.exceptions.get(&date) {
            Some(Exception::Cancelled { .. }) => return None,
            Some(Exception::Moved {
                date: new_date,
                start: new_start,
                duration,
                video_link,
                ..
            }) => (
                localize(
                    self.tz,
                    new_date.unwrap_or(date),
                    new_start.unwrap_or(series.start),
                ),
                duration.unwrap_or(series.duration),
                video_link.as_ref().or(series.video_link.as_ref()),
            ),
            None => {
                let skipped = series.skip_holidays
                    && holidays::holiday_on(self.network.config.meetings.holidays, date).is_some();
                if skipped || !series.rule.is_occurrence(series.first, date) {
                    return None;
                }
                (original, series.duration, series.video_link.as_ref())
            }
        };
        let description = self.description(link, agenda, accepted);
        let in_gap = gap(self.tz, date, series.start).is_some();
        if !series.exceptions.contains_key(&date) && !in_gap && description == master_description {
            return None;
        }
        let mut event = Event::new();
        event.uid(uid);
        event.append_property(self.local("RECURRENCE-ID", NaiveDateTime::new(date, series.start)));
        event.append_property(self.timed("DTSTART", start));
        event.append_property(self.timed("DTEND", end_of(start, duration)));
        self.common(&mut event, &series.title, link, &description);
        Some(event)
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
        event.append_property(self.timed("DTEND", end_of(start, one_off.duration)));
        let agenda = self.network.agendas.by_meeting.get(&one_off.id);
        let mut description = self.description(
            one_off.video_link.as_ref(),
            agenda,
            self.accepted(&one_off.id),
        );
        if let Some(agenda) = agenda
            && !agenda.parts.is_empty()
        {
            let german = self.language() == Language::German;
            // "10:00 Uhr: Offizieller Teil – für Stadtspitzen" / "10:00: Official part – for …".
            let parts: Vec<String> = agenda
                .parts
                .iter()
                .map(|p| {
                    let mut line = match (p.start, german) {
                        (Some(start), true) => {
                            format!("{} Uhr: {}", start.format("%H:%M"), p.title)
                        }
                        (Some(start), false) => format!("{}: {}", start.format("%H:%M"), p.title),
                        (None, _) => p.title.clone(),
                    };
                    if let Some(audience) = &p.audience {
                        let _ = if german {
                            write!(line, " – für {audience}")
                        } else {
                            write!(line, " – for {audience}")
                        };
                    }
                    line
                })
                .collect();
            let heading = if german { "Teile" } else { "Parts" };
            description = format!("{description}\n\n{heading}:\n{}", parts.join("\n"))
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
    // Hashed with a fixed DTSTAMP and SEQUENCE: the version must not depend on itself. The text
    // is the crate's own, as the stored hashes were made from it.
    let text: String = events
        .iter()
        .map(|event| {
            let mut event = event.clone();
            event.timestamp(DateTime::UNIX_EPOCH);
            event.sequence(0);
            lines::crate_text(&event)
        })
        .collect();
    Entry {
        content_hash: crate::hash::stable_hash(&[&text]),
        uid,
        id,
        events,
        without_links: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A network with one monthly series and no agenda files.
    fn network() -> Network {
        network_with("")
    }

    /// The same network with `extra` YAML at the top level (e.g. `language: en`).
    #[allow(clippy::unwrap_used)]
    fn network_with(extra: &str) -> Network {
        let yaml = extra.to_owned()
            + r##"
homeserver: http://127.0.0.1:8008
bot: { user_id: "@convene:localhost", password: { env: CONVENE_PASSWORD } }
data_dir: data
network:
  name: IKONE DS
  organizers: ["@organizer:localhost"]
  organizers_room: "#orga:localhost"
  members: [{ name: Kaiserslautern, room: "#kl:localhost" }]
meetings:
  series:
    - { id: vk, title: Videokonferenz, rule: FREQ=MONTHLY;BYDAY=3TH, first: 2026-01-15, start: "10:00", duration: 90m }
"##;
        let config =
            crate::config::Config::parse(std::path::Path::new("convene.yaml"), yaml).unwrap();
        let schedule = crate::schedule::Schedule {
            timezone: config.timezone,
            holidays: config.meetings.holidays,
            series: config.meetings.series.clone(),
            one_offs: Vec::new(),
        };
        Network {
            config,
            agendas: crate::agenda::Agendas::default(),
            schedule,
        }
    }

    #[test]
    fn an_accepted_proposal_changes_the_content_hash() {
        let network = network();
        let mut accepted = BTreeMap::new();
        let before = entries(&network, &accepted);
        assert_eq!(before.len(), 1);
        assert_eq!(before[0].events.len(), 1, "no override without an agenda");
        accepted.insert("vk/2026-03-19".to_owned(), vec!["Open Data".to_owned()]);
        let after = entries(&network, &accepted);
        assert_eq!(after[0].events.len(), 2, "an override for the occurrence");
        assert_ne!(after[0].content_hash, before[0].content_hash);
        accepted.insert(
            "vk/2026-03-19".to_owned(),
            vec!["Open Data".to_owned(), "Breitband".to_owned()],
        );
        let more = entries(&network, &accepted);
        assert_ne!(more[0].content_hash, after[0].content_hash);
        // The same input gives the same hash.
        assert_eq!(entries(&network, &accepted), more);
    }

    /// The DESCRIPTION's labels are in the network's language.
    #[test]
    fn the_description_speaks_the_networks_language() {
        let accepted = BTreeMap::from([("vk/2026-03-19".to_owned(), vec!["Open Data".to_owned()])]);
        let link =
            url::Url::parse("https://meet.example.org/vk").unwrap_or_else(|_| unreachable!());
        for (extra, expected) in [
            (
                "",
                "Videokonferenz: https://meet.example.org/vk\n\nTagesordnung:\n1. Open Data",
            ),
            (
                "language: en\n",
                "Video conference: https://meet.example.org/vk\n\nAgenda:\n1. Open Data",
            ),
        ] {
            let network = network_with(extra);
            let forward = ForwardDays::default();
            let context = Context::new(&network, &accepted, Links::Include, &forward);
            let description =
                context.description(Some(&link), None, context.accepted("vk/2026-03-19"));
            assert_eq!(description, expected);
        }
    }

    /// The meetings in the spring gap, for every kind of end of a series; none at 10:00.
    #[test]
    fn gap_dates_are_the_meetings_in_the_spring_gap() {
        let mut network = network();
        let accepted = BTreeMap::new();
        let forward = ForwardDays::default();
        let date = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
        let gaps = |network: &Network, rule: &str, start: u32| {
            let mut series = network.config.meetings.series[0].clone();
            series.rule = rule.parse().unwrap();
            series.first = date("2026-03-22");
            series.start = NaiveTime::from_hms_opt(start, 30, 0).unwrap();
            Context::new(network, &accepted, Links::Include, &forward).gap_dates(&series)
        };
        assert_eq!(
            gaps(&network, "FREQ=WEEKLY;BYDAY=SU;COUNT=60", 2),
            [date("2026-03-29"), date("2027-03-28")]
        );
        assert_eq!(
            gaps(&network, "FREQ=WEEKLY;BYDAY=SU;UNTIL=20270301", 2),
            [date("2026-03-29")]
        );
        // Every year as far as chrono-tz knows summer time (its table ends after 2099).
        let forever = gaps(&network, "FREQ=WEEKLY;BYDAY=SU", 2);
        assert_eq!(forever.len(), 2099 - 2026 + 1);
        assert_eq!(forever.last(), Some(&date("2099-03-29")));
        assert!(forever.iter().all(|day| day.month() == 3 && day.day() > 24));
        assert_eq!(
            gaps(&network, "FREQ=MONTHLY;BYDAY=-1SU", 2).first(),
            Some(&date("2026-03-29"))
        );
        assert!(gaps(&network, "FREQ=WEEKLY;BYDAY=SU", 10).is_empty());
        assert!(gaps(&network, "FREQ=WEEKLY;BYDAY=SA", 2).is_empty());
        network.config.timezone = chrono_tz::UTC;
        assert!(gaps(&network, "FREQ=WEEKLY;BYDAY=SU", 2).is_empty());
    }

    #[test]
    fn proposals_for_no_occurrence_add_nothing() {
        let network = network();
        let before = entries(&network, &BTreeMap::new());
        let accepted = BTreeMap::from([
            ("vk/2026-03-20".to_owned(), vec!["Kein Termin".to_owned()]),
            (
                "vk/2025-12-18".to_owned(),
                vec!["Vor dem Beginn".to_owned()],
            ),
            (
                "andere/2026-03-19".to_owned(),
                vec!["Andere Reihe".to_owned()],
            ),
            ("vk/kein-datum".to_owned(), vec!["Kein Datum".to_owned()]),
        ]);
        assert_eq!(entries(&network, &accepted), before);
    }

    /// Every line of an event is at most 75 octets, for titles and descriptions of every
    /// length from 1 to 400 bytes, ASCII and multibyte, and unfolding gives the text back.
    #[test]
    fn every_line_of_an_event_is_at_most_75_octets() {
        for length in 1..=400_usize {
            for unit in ["a", "ä", "€", "😀"] {
                let count = length.div_ceil(unit.len());
                let text: String = unit.repeat(count);
                let mut event = Event::new();
                event.uid("uid@example.org");
                event.timestamp(DateTime::UNIX_EPOCH);
                event.summary(&text);
                event.description(&text);
                let mut refolded = String::new();
                lines::write(&event, &mut refolded);
                for line in refolded.split("\r\n") {
                    assert!(
                        line.len() <= 75,
                        "{} octets for a {length}-byte {unit:?} text: {line}",
                        line.len()
                    );
                }
                let unfolded = refolded.replace("\r\n ", "");
                assert!(
                    unfolded.contains(&format!("SUMMARY:{text}\r\n")),
                    "{length} {unit:?}"
                );
                assert!(
                    unfolded.contains(&format!("DESCRIPTION:{text}\r\n")),
                    "{length} {unit:?}"
                );
            }
        }
    }

    #[test]
    fn escapes_text_and_drops_carriage_returns() {
        assert_eq!(escape("a,b;c\\d\r\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
