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
