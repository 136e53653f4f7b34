//! The .ics convene writes: snapshots of the bytes, the line rules of RFC 5545, and — through
//! `scripts/ical-conformance/expand` — what real calendar parsers (python icalendar with
//! recurring-ical-events, Mozilla ical.js) make of it.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use convene::calendar_version::Version;
use convene::ical::{self, Links, Selection};
use convene::network::Network;
use convene::proposal::ProposalStatus;
use convene::schedule::OneOff;
use convene::store::{NewProposal, Store};

use crate::support::config::TestConfig;

fn network() -> Network {
    Network::load(Path::new("config/convene.example.yaml")).unwrap()
}

/// Every entry at version 3, last changed at a fixed instant.
fn render(network: &Network, selection: Selection<'_>) -> String {
    let entries = ical::entries(network, &BTreeMap::new());
    let changed_at: DateTime<Utc> = "2026-11-20T08:30:00Z".parse().unwrap();
    let versions: BTreeMap<String, Version> = entries
        .iter()
        .map(|e| {
            (
                e.uid.clone(),
                Version {
                    sequence: 3,
                    changed_at,
                },
            )
        })
        .collect();
    ical::render(network, &entries, &versions, selection, Links::Include)
}

/// RFC 5545, 3.1: CRLF after every line, at most 75 octets, folded lines start with a space.
fn assert_well_formed(ics: &str) {
    assert!(ics.ends_with("END:VCALENDAR\r\n"));
    for line in ics.split("\r\n").filter(|l| !l.is_empty()) {
        assert!(
            !line.contains('\n') && !line.contains('\r'),
            "bare line break in {line:?}"
        );
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }
}

#[test]
fn a_series_with_a_cancelled_and_a_moved_occurrence() {
    let mut network = network();
    network.schedule.one_offs.clear();
    let ics = render(&network, Selection::Entry("videokonferenz"));
    assert_well_formed(&ics);
    insta::assert_snapshot!("series", ics.replace("\r\n", "⏎\n"));
}

#[test]
fn a_two_part_workshop() {
    let ics = render(&network(), Selection::Entry("workshop-smart-city-2026"));
    assert_well_formed(&ics);
    insta::assert_snapshot!("workshop", ics.replace("\r\n", "⏎\n"));
}

#[test]
fn hostile_text_is_escaped_and_folded() {
    let mut network = network();
    network.schedule.one_offs = vec![OneOff {
        id: "hostile".to_owned(),
        // Commas, semicolons, backslashes, newlines, emoji and umlauts around the fold, and an
        // attempt to inject a property with CR/LF.
        title: "Workshop; Teil 1, \\ Teil 2\r\nATTENDEE:mailto:evil@example.org\nÄÖÜäöüß 🎉🎉🎉 Größenordnung ÄÖÜ 🎉 Straße – Übung".to_owned(),
        date: NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
        start: NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
        duration: TimeDelta::hours(2),
        video_link: None,
        cancelled: None,
    }];
    network.config.roster.name = "IKONE DS; \"Netzwerk\", \\ 🎉\r\nX-INJECTED:1".to_owned();
    let ics = render(&network, Selection::Entry("hostile"));
    assert_well_formed(&ics);
    assert!(!ics.contains("\r\nATTENDEE"), "a property was injected");
    assert!(!ics.contains("\r\nX-INJECTED"), "a property was injected");
    insta::assert_snapshot!("hostile", ics.replace("\r\n", "⏎\n"));
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    assert_eq!(
        render(&network(), Selection::All),
        render(&network(), Selection::All)
    );
}

/// One occurrence as a parser or convene sees it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Occurrence {
    start: String,
    uid: String,
    end: String,
}

#[derive(Debug, serde::Deserialize)]
struct ParsedOccurrence {
    uid: String,
    start: String,
    end: String,
    summary: Option<String>,
    recurrence_id: Option<String>,
    description: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct Expanded {
    occurrences: Vec<ParsedOccurrence>,
    pub(crate) errors: Vec<String>,
}

/// Runs a real parser over `ics` through `scripts/ical-conformance/expand` (which installs
/// python icalendar + recurring-ical-events or Mozilla ical.js on first use).
pub(crate) fn expand(parser: &str, ics: &str, from: &str, to: &str) -> Expanded {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("feed.ics");
    std::fs::write(&file, ics).unwrap();
    let output = std::process::Command::new("scripts/ical-conformance/expand")
        .args([parser, file.to_str().unwrap(), from, to])
        .output()
        .expect("cannot run scripts/ical-conformance/expand");
    assert!(
        output.status.success(),
        "{parser} could not read the feed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// Both parsers expand the whole feed — a monthly series over two years with both DST changes,
/// holidays skipped, a cancelled and a moved occurrence, and a workshop — to exactly the
/// meetings convene's own schedule says take place, at the same local times.
#[test]
fn real_parsers_expand_the_feed_to_convenes_own_schedule() {
    let network = network();
    let ics = render(&network, Selection::All);
    let from: DateTime<Utc> = "2025-12-31T23:00:00Z".parse().unwrap();
    let to: DateTime<Utc> = "2027-12-31T23:00:00Z".parse().unwrap();
    let mut expected: Vec<Occurrence> = network
        .schedule
        .meetings_between(from, to)
        .into_iter()
        .filter(convene::schedule::Meeting::takes_place)
        .map(|m| Occurrence {
            uid: format!("{}@ikone-ds.de", m.series.clone().unwrap_or(m.key.clone())),
            start: m.start.to_rfc3339(),
            end: m.end.to_rfc3339(),
        })
        .collect();
    expected.sort();
    assert!(
        expected.len() > 20,
        "too few meetings to be a test: {expected:?}"
    );
    assert!(expected.iter().any(|o| o.start.ends_with("+02:00")));
    assert!(expected.iter().any(|o| o.start.ends_with("+01:00")));
    for parser in ["python", "icaljs"] {
        let expanded = expand(parser, &ics, "2026-01-01", "2028-01-01");
        assert_eq!(
            expanded.errors,
            Vec::<String>::new(),
            "{parser} reported errors"
        );
        let mut found: Vec<Occurrence> = expanded
            .occurrences
            .into_iter()
            .map(|o| Occurrence {
                uid: o.uid,
                start: o.start,
                end: o.end,
            })
            .collect();
        found.sort();
        assert_eq!(found, expected, "{parser} expands the feed differently");
    }
}

/// Hostile text parses without errors in both, and comes back exactly as it went in.
#[test]
fn real_parsers_read_hostile_text_back() {
    let mut network = network();
    let title = "Workshop; Teil 1, \\ Teil 2\nÄÖÜäöüß 🎉🎉🎉 Größenordnung ÄÖÜ 🎉 Straße – Übung, ein \"Zitat\"; und noch mehr Text, damit gefaltet wird";
    network.schedule.one_offs[0].title = title.to_owned();
    let ics = render(&network, Selection::Entry("workshop-smart-city-2026"));
    assert_well_formed(&ics);
    for parser in ["python", "icaljs"] {
        let expanded = expand(parser, &ics, "2026-12-01", "2026-12-31");
        assert_eq!(
            expanded.errors,
            Vec::<String>::new(),
            "{parser} reported errors"
        );
        assert_eq!(expanded.occurrences.len(), 1, "{parser}");
        assert_eq!(
            expanded.occurrences[0].summary.as_deref(),
            Some(title),
            "{parser}"
        );
    }
}

/// The network of `tests/fixtures/calendar`: a series with an agenda file for a regular
/// occurrence (2026-11-19) and one for a cancelled occurrence, a moved occurrence, a workshop.
fn agenda_network() -> Network {
    Network::load(Path::new("tests/fixtures/calendar/config.yaml")).unwrap()
}

/// A store with proposals for the agenda network, decided as `(meeting key, title, status)`.
fn store_with(proposals: &[(&str, &str, ProposalStatus)]) -> Store {
    let store = Store::in_memory().unwrap();
    let now: DateTime<Utc> = "2026-11-01T09:00:00Z".parse().unwrap();
    for (index, (meeting_key, title, status)) in proposals.iter().enumerate() {
        let event = format!("${index}");
        let proposal = store
            .propose(
                &NewProposal {
                    meeting_key,
                    room_id: "!kl:localhost",
                    municipality: "Kaiserslautern",
                    sender: "@anna:localhost",
                    title,
                    description: None,
                    source_event: &event,
                    now,
                },
                100,
            )
            .unwrap()
            .unwrap();
        store
            .decide(proposal.id, *status, None, None, now, "$test#0")
            .unwrap();
    }
    store
}

/// The feed of the agenda network with accepted proposals for the regular occurrence with an
/// agenda file, the moved occurrence, a holiday-skipped occurrence, a date that is no
/// occurrence, and the workshop.
fn agenda_feed(network: &Network) -> String {
    agenda_feed_with(network, Links::Include)
}

/// [`agenda_feed`], with or without the video links.
fn agenda_feed_with(network: &Network, links: Links) -> String {
    let store = store_with(&[
        (
            "videokonferenz/2026-11-19",
            "Open Data im Netzwerk",
            ProposalStatus::Accepted,
        ),
        (
            "videokonferenz/2026-11-19",
            "Abgelehnt",
            ProposalStatus::Rejected,
        ),
        (
            "videokonferenz/2026-11-19",
            "Förderprogramme, Fristen",
            ProposalStatus::Accepted,
        ),
        (
            "videokonferenz/2027-01-21",
            "Haushaltsberatungen",
            ProposalStatus::Accepted,
        ),
        // Fronleichnam: skipped for the holiday, it stays an EXDATE.
        (
            "videokonferenz/2028-06-15",
            "Am Feiertag",
            ProposalStatus::Accepted,
        ),
        (
            "videokonferenz/2026-11-20",
            "Kein Termin",
            ProposalStatus::Accepted,
        ),
        (
            "workshop-open-data",
            "Datenportal",
            ProposalStatus::Accepted,
        ),
    ]);
    let accepted = store.accepted_titles().unwrap();
    let entries = ical::entries(network, &accepted);
    let versions = entries
        .iter()
        .map(|e| {
            (
                e.uid.clone(),
                Version {
                    sequence: 1,
                    changed_at: "2026-11-20T08:30:00Z".parse().unwrap(),
                },
            )
        })
        .collect();
    ical::render(network, &entries, &versions, Selection::All, links)
}

/// Every video link the network's files name: the series', moved occurrences', workshops'.
fn video_links(network: &Network) -> Vec<String> {
    let mut links: Vec<String> = Vec::new();
    for series in &network.schedule.series {
        links.extend(series.video_link.iter().map(ToString::to_string));
        for exception in series.exceptions.values() {
            if let convene::schedule::Exception::Moved {
                video_link: Some(link),
                ..
            } = exception
            {
                links.push(link.to_string());
            }
        }
    }
    for one_off in &network.schedule.one_offs {
        links.extend(one_off.video_link.iter().map(ToString::to_string));
    }
    links.sort();
    links.dedup();
    links
}

/// The public calendar shows the same entries — dates, titles, agendas, versions — as a room's
/// private feed, but none of the video links: no LOCATION, URL or CONFERENCE, and no
/// "Videokonferenz: <link>" line in a DESCRIPTION.
#[test]
fn the_public_calendar_carries_no_video_links() {
    let network = agenda_network();
    let private = agenda_feed_with(&network, Links::Include);
    let public = agenda_feed_with(&network, Links::Omit);
    assert_well_formed(&public);
    let unfold = |ics: &str| ics.replace("\r\n ", "");
    insta::assert_snapshot!("agendas_public", public.replace("\r\n", "⏎\n"));
    let (private, public) = (unfold(&private), unfold(&public));
    let links = video_links(&network);
    assert!(links.len() >= 2, "too few links to be a test: {links:?}");
    for link in &links {
        let bare = link.trim_end_matches('/');
        assert!(private.contains(bare), "the private feed lacks {link}");
        assert!(!public.contains(bare), "the public calendar shows {link}");
    }
    for line in public.split("\r\n") {
        for property in ["CONFERENCE", "LOCATION", "URL"] {
            assert!(!line.starts_with(property), "{line}");
        }
        assert!(!line.contains("Videokonferenz: "), "{line}");
        assert!(!line.contains("https://meet."), "{line}");
    }
    // Everything else is the same.
    let kept = |ics: &str| -> Vec<String> {
        ics.split("\r\n")
            .filter(|l| {
                [
                    "UID",
                    "DTSTART",
                    "DTEND",
                    "RECURRENCE-ID",
                    "EXDATE",
                    "RRULE",
                    "SUMMARY",
                ]
                .iter()
                .chain(&["SEQUENCE", "DTSTAMP", "ORGANIZER"])
                .any(|p| l.starts_with(p))
            })
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(kept(&public), kept(&private));
    for agenda in [
        "Tagesordnung:",
        "Open Data im Netzwerk",
        "Datenportal",
        "Haushalt 2027",
    ] {
        assert!(
            public.contains(agenda),
            "the public calendar lacks {agenda}"
        );
    }
}

const LINK: &str = "Videokonferenz: https://meet.example.org/ikone-ds";

/// A regular occurrence with an agenda file and accepted proposals gets an override with its
/// regular start as RECURRENCE-ID; cancelled and holiday-skipped occurrences and dates that
/// are no occurrence get none.
#[test]
fn occurrences_with_an_agenda_get_an_override() {
    let network = agenda_network();
    let ics = agenda_feed(&network);
    assert_well_formed(&ics);
    let recurrence_ids: Vec<&str> = ics
        .split("\r\n")
        .filter(|l| l.starts_with("RECURRENCE-ID"))
        .collect();
    assert_eq!(
        recurrence_ids,
        [
            "RECURRENCE-ID;TZID=Europe/Berlin:20261119T100000",
            "RECURRENCE-ID;TZID=Europe/Berlin:20270121T100000",
        ]
    );
    assert!(ics.contains("EXDATE;TZID=Europe/Berlin:20261217T100000\r\n"));
    assert!(ics.contains("EXDATE;TZID=Europe/Berlin:20280615T100000\r\n"));
    assert!(
        !ics.contains("Jahresrückblick"),
        "a cancelled meeting's agenda"
    );
    assert!(!ics.contains("Abgelehnt"), "a rejected proposal");
    assert!(
        !ics.contains("Am Feiertag"),
        "a holiday-skipped meeting's proposal"
    );
    assert!(!ics.contains("Kein Termin"), "a proposal for no meeting");
    insta::assert_snapshot!("agendas", ics.replace("\r\n", "⏎\n"));
}

/// Both parsers expand the series with the agenda on exactly the occurrence it belongs to
/// (file items, then accepted proposals, then the notes), the moved occurrence with its
/// accepted proposal, the other occurrences as the master describes them, and the workshop
/// with its accepted proposal after its items.
#[test]
fn real_parsers_show_each_occurrence_with_its_agenda() {
    let network = agenda_network();
    let ics = agenda_feed(&network);
    let from: DateTime<Utc> = "2026-09-30T22:00:00Z".parse().unwrap();
    let to: DateTime<Utc> = "2027-02-28T23:00:00Z".parse().unwrap();
    let mut expected: Vec<(String, String, String)> = network
        .schedule
        .meetings_between(from, to)
        .into_iter()
        .filter(convene::schedule::Meeting::takes_place)
        .map(|m| {
            let description = match m.key.as_str() {
                "videokonferenz/2026-11-19" => format!(
                    "{LINK}\n\nTagesordnung:\n\
                     1. Haushalt 2027; Stand, Fragen – Dirk Andres\n\
                     2. Breitbandausbau\n\
                     3. Open Data im Netzwerk\n\
                     4. Förderprogramme, Fristen\n\n\
                     Die Folien kommen vorab per Mail."
                ),
                "videokonferenz/2027-01-21" => {
                    format!("{LINK}\n\nTagesordnung:\n1. Haushaltsberatungen")
                }
                "workshop-open-data" => "Videokonferenz: https://meet.example.org/open-data\n\n\
                                         Tagesordnung:\n1. Begrüßung\n2. Datenportal"
                    .to_owned(),
                _ => LINK.to_owned(),
            };
            (m.start.to_rfc3339(), m.end.to_rfc3339(), description)
        })
        .collect();
    expected.sort();
    assert_eq!(expected.len(), 5, "{expected:#?}");
    for parser in ["python", "icaljs"] {
        let expanded = expand(parser, &ics, "2026-10-01", "2027-03-01");
        assert_eq!(
            expanded.errors,
            Vec::<String>::new(),
            "{parser} reported errors"
        );
        let november = expanded
            .occurrences
            .iter()
            .find(|o| o.start.starts_with("2026-11-19"))
            .unwrap();
        assert_eq!(
            november.recurrence_id.as_deref(),
            Some("2026-11-19T10:00:00+01:00"),
            "{parser}"
        );
        let mut found: Vec<(String, String, String)> = expanded
            .occurrences
            .into_iter()
            .map(|o| (o.start, o.end, o.description.unwrap_or_default()))
            .collect();
        found.sort();
        assert_eq!(found, expected, "{parser} expands the feed differently");
    }
}

/// The most expensive configuration `convene check` accepts: the largest number of series, each
/// with every weekday, the largest COUNT or no end from the earliest date, the most exceptions
/// (all moved, at the far end), holidays skipped, the most reminders. Checking it, planning from
/// it and writing its feed stay bounded.
#[test]
fn the_worst_accepted_configuration_stays_bounded() {
    use std::fmt::Write as _;
    use std::time::Instant;

    let mut yaml = TestConfig::minimal()
        .with(
            "calendar:
  contact: info@ikone-ds.de
meetings:
  reminders: [366d, 365d, 180d, 90d, 30d, 7d, 3d, 1d, 1h, 15m]
  series:
",
        )
        .yaml();
    let first = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    for index in 0..convene::limits::MAX_SERIES {
        let counted = index % 2 == 0;
        let (rule, far) = if counted {
            // COUNT=10000 of every day: the last meetings are 9800 to 9999 days on.
            ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU;COUNT=10000", 9_800)
        } else {
            // No end: the exceptions lie near 2200.
            ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU", 84_000)
        };
        let _ = write!(
            yaml,
            "    - id: serie-{index}\n      title: Serie {index}\n      rule: {rule}\n      first: 1970-01-01\n      start: \"10:00\"\n      duration: 1d\n      skip_holidays: true\n      exceptions:\n"
        );
        for offset in 0..convene::limits::MAX_EXCEPTIONS {
            let date = first + TimeDelta::days(far + offset as i64);
            let _ = writeln!(
                yaml,
                "        - {{ date: {date}, new_start: \"11:00\", note: {} }}",
                // As long as the file limit allows with every series and exception there.
                "x".repeat(30)
            );
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("worst.yaml");
    std::fs::write(&path, yaml).unwrap();

    let started = Instant::now();
    let network = Network::load(&path).unwrap();
    let check = started.elapsed();

    let started = Instant::now();
    let now: DateTime<Utc> = "2026-11-20T08:30:00Z".parse().unwrap();
    let upcoming = network.schedule.upcoming(now, TimeDelta::days(3660), 20);
    let window =
        convene::posting::window(&network.schedule, &network.config.meetings.reminders, now);
    let schedule = started.elapsed();
    assert_eq!(upcoming.len(), 20);
    assert!(!window.is_empty());

    let started = Instant::now();
    let ics = render(&network, Selection::All);
    let feed = started.elapsed();
    assert_well_formed(&ics);
    // Debug build, niced, on a loaded 2-core machine: about 7 s, 5 s and 5 s. The bound only
    // catches a return of unbounded work (the audit measured 16 s for one COUNT rule alone).
    let total = check + schedule + feed;
    assert!(
        total < std::time::Duration::from_secs(120),
        "check {check:?}, schedule {schedule:?}, feed {feed:?}"
    );
    assert!(ics.len() < 8_000_000, "{} bytes", ics.len());
}

/// A series until 2200 that skips holidays lists them only for the first years, not thousands.
#[test]
fn holiday_exdates_stop_at_the_horizon() {
    let mut network = network();
    network.schedule.one_offs.clear();
    let series = &mut network.config.meetings.series[0];
    series.rule = "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;UNTIL=22001231"
        .parse()
        .unwrap();
    series.exceptions.clear();
    series.skip_holidays = true;
    let first_year = series.first.format("%Y").to_string();
    let ics = render(&network, Selection::Entry("videokonferenz"));
    let exdates: Vec<&str> = ics
        .split("\r\n")
        .filter(|line| line.starts_with("EXDATE"))
        .collect();
    assert!(!exdates.is_empty());
    // Ten years of weekday holidays in Rheinland-Pfalz: about ten a year.
    assert!(exdates.len() <= 11 * 10, "{} EXDATEs", exdates.len());
    let last_year: i32 = first_year.parse::<i32>().unwrap() + 10;
    assert!(
        exdates
            .iter()
            .all(|line| !line.contains(&format!(":{}", last_year + 1))),
        "no EXDATE after {last_year}"
    );
}

/// Writing a calendar takes time linear in the length of its lines. The links are its longest
/// values (each in LOCATION, URL, CONFERENCE and the DESCRIPTION of every entry); from ten times
/// the longest link convene accepts, making the links four times as long makes writing about
/// four times as slow when it is linear and sixteen times when it is quadratic (the icalendar
/// crate's own folding was); the bound is halfway, 8×, so that noise cannot decide it (a 2×
/// step with a 2.5× bound failed at 2.86× on a loaded 2-core machine). The two sizes are timed in
/// turns, seven times each, and the fastest run of each counts, so that a busy machine slows
/// both alike.
#[test]
fn writing_a_calendar_grows_linearly_with_its_lines() {
    use std::time::{Duration, Instant};

    let with_links = |length: usize| {
        let mut network = network();
        let link = format!("https://meet.example.org/{}", "x".repeat(length - 25));
        let link = url::Url::parse(&link).unwrap();
        assert_eq!(link.as_str().len(), length);
        for series in &mut network.config.meetings.series {
            series.video_link = Some(link.clone());
        }
        network.schedule.series = network.config.meetings.series.clone();
        for one_off in &mut network.schedule.one_offs {
            one_off.video_link = Some(link.clone());
        }
        network
    };
    let long = convene::limits::MAX_URL * 10;
    let networks = [with_links(long), with_links(4 * long)];
    let mut fastest = [Duration::MAX; 2];
    let mut sizes = [0; 2];
    for _ in 0..7 {
        for (index, network) in networks.iter().enumerate() {
            let started = Instant::now();
            let ics = render(network, Selection::All);
            fastest[index] = fastest[index].min(started.elapsed());
            sizes[index] = ics.len();
        }
    }
    let ratio = fastest[1].as_secs_f64() / fastest[0].as_secs_f64();
    let report = format!(
        "{} bytes in {:?}, {} bytes in {:?}: {ratio:.2}×",
        sizes[0], fastest[0], sizes[1], fastest[1]
    );
    eprintln!("{report}");
    assert!(sizes[1] > sizes[0] * 39 / 10, "{report}");
    assert!(ratio <= 8.0, "{report}");
}

/// A later meeting of a series that falls into the spring gap (02:30 on the last Sunday of
/// March does not exist in Central Europe) is at 03:30 summer time in every calendar: RFC 5545,
/// python's libraries and convene read the RRULE's 02:30 so, Thunderbird's ical.js an hour
/// earlier — so it gets an override with its own DTSTART. A meeting in the gap that is
/// cancelled is gone in both (its EXDATE names the time as the RRULE does).
#[test]
fn a_meeting_in_the_spring_gap_is_at_the_same_instant_in_every_calendar() {
    let mut network = network();
    network.schedule.one_offs.clear();
    let series = &mut network.config.meetings.series[0];
    series.rule = "FREQ=WEEKLY;BYDAY=SU".parse().unwrap();
    series.first = NaiveDate::from_ymd_opt(2026, 3, 22).unwrap();
    series.start = NaiveTime::from_hms_opt(2, 30, 0).unwrap();
    series.skip_holidays = false;
    series.exceptions = BTreeMap::from([(
        NaiveDate::from_ymd_opt(2027, 3, 28).unwrap(),
        convene::schedule::Exception::Cancelled { note: None },
    )]);
    network.schedule.series = network.config.meetings.series.clone();
    let ics = render(&network, Selection::Entry("videokonferenz"));
    assert_well_formed(&ics);
    for (from, to) in [("2026-03-20", "2026-04-10"), ("2027-03-20", "2027-04-10")] {
        let instant = |date: &str| {
            format!("{date}T00:00:00Z")
                .parse::<DateTime<Utc>>()
                .unwrap()
        };
        let expected: Vec<(String, String)> = network
            .schedule
            .meetings_between(instant(from), instant(to))
            .into_iter()
            .filter(convene::schedule::Meeting::takes_place)
            .map(|m| (m.start.to_rfc3339(), m.end.to_rfc3339()))
            .collect();
        assert_eq!(expected.len(), if from.starts_with("2026") { 3 } else { 2 });
        if from.starts_with("2026") {
            assert_eq!(expected[1].0, "2026-03-29T03:30:00+02:00");
        }
        for parser in ["python", "icaljs"] {
            let expanded = expand(parser, &ics, from, to);
            assert_eq!(
                expanded.errors,
                Vec::<String>::new(),
                "{parser} reported errors"
            );
            let found: Vec<(String, String)> = expanded
                .occurrences
                .into_iter()
                .map(|o| (o.start, o.end))
                .collect();
            assert_eq!(found, expected, "{parser} between {from} and {to}");
        }
    }
}
