//! The .ics convene writes: snapshots of the bytes, the line rules of RFC 5545, and — through
//! `scripts/ical-conformance/expand` — what real calendar parsers (python icalendar with
//! recurring-ical-events, Mozilla ical.js) make of it.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use convene::ical::{self, Selection, Version};
use convene::network::Network;
use convene::schedule::OneOff;

fn network() -> Network {
    Network::load(Path::new("config/convene.example.yaml")).unwrap()
}

/// Every entry at version 3, last changed at a fixed instant.
fn render(network: &Network, selection: Selection<'_>) -> String {
    let entries = ical::entries(network);
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
    ical::render(network, &entries, &versions, selection)
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
    network.config.network.name = "IKONE DS; \"Netzwerk\", \\ 🎉\r\nX-INJECTED:1".to_owned();
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
}

#[derive(Debug, serde::Deserialize)]
struct Expanded {
    occurrences: Vec<ParsedOccurrence>,
    errors: Vec<String>,
}

/// Runs a real parser over `ics` through `scripts/ical-conformance/expand` (which installs
/// python icalendar + recurring-ical-events or Mozilla ical.js on first use).
fn expand(parser: &str, ics: &str, from: &str, to: &str) -> Expanded {
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
