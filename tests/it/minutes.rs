//! Minutes: the live route and the file route give the same document; snapshots of the draft,
//! the published message (plain and HTML) and the Markdown file, in German and English, with
//! hostile text; and the action-item texts.

use chrono::NaiveDate;
use convene::i18n::Language;
use convene::minutes::{Assignment, Attendance, EntryKind, Minutes, Owner, Record, RecordKind};
use convene::network::Network;
use convene::render::{self, Publication};
use convene::store::ActionItem;

use crate::messages::show;

const LANGUAGES: [(Language, &str); 2] = [(Language::German, "de"), (Language::English, "en")];

/// A network with one series and an agenda file for 17 Dec 2026 whose `minutes:` section
/// records the meeting as an organizer would write it.
fn network_with_file_minutes() -> (tempfile::TempDir, Network) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("agendas")).unwrap();
    std::fs::write(
        dir.path().join("convene.yaml"),
        r##"homeserver: http://127.0.0.1:8008
bot:
  user_id: "@convene:localhost"
  password: { env: CONVENE_PASSWORD }
data_dir: data
agendas_dir: agendas
network:
  name: IKONE DS
  organizers: ["@organizer:localhost"]
  organizers_room: "#orga:localhost"
  members:
    - name: Kaiserslautern
      room: "#kl:localhost"
    - name: Bitburg-Prüm
      room: "#bp:localhost"
    - name: Mayen-Koblenz
      room: "#myk:localhost"
meetings:
  series:
    - id: videokonferenz
      title: Videokonferenz
      rule: FREQ=MONTHLY;BYDAY=3TH
      first: 2026-01-15
      start: "10:00"
      duration: 90m
"##,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("agendas/2026-12-17-videokonferenz.yaml"),
        r#"meeting:
  series: videokonferenz
  date: 2026-12-17
topic: Interne Kommunikation
items:
  - title: Begrüßung
  - title: Open Data
minutes:
  chair: Anna Beispiel
  present: [Kaiserslautern, bitburg-prüm]
  excused: [Mayen-Koblenz]
  topics:
    - item: 1
      notes: ["Vorstellungsrunde der neuen Mitglieder"]
    - item: 2
      notes: ["Kaiserslautern stellt sein Portal vor"]
      decisions: ["Das Netzwerk betreibt ein gemeinsames Portal."]
      actions:
        - owner: Kaiserslautern
          task: Kosten für ein gemeinsames Portal ermitteln
          due: 2027-01-15
        - owner: "@anna:localhost"
          task: Folien teilen
      links:
        - title: Portal Kaiserslautern
          url: https://opendata.kaiserslautern.de/
"#,
    )
    .unwrap();
    let network = Network::load(&dir.path().join("convene.yaml")).unwrap();
    (dir, network)
}

fn record(number: u32, kind: RecordKind, text: &str) -> Record {
    Record {
        number,
        kind,
        text: text.to_owned(),
        undone: false,
    }
}

/// The same meeting as [`network_with_file_minutes`]'s file, recorded live.
fn live_records() -> Vec<Record> {
    let topic = |item| RecordKind::Topic {
        agenda_item: Some(item),
    };
    vec![
        record(1, topic(0), "Begrüßung"),
        record(
            2,
            RecordKind::Entry(EntryKind::Info),
            "Vorstellungsrunde der neuen Mitglieder",
        ),
        record(3, topic(1), "Open Data"),
        record(
            4,
            RecordKind::Entry(EntryKind::Info),
            "Kaiserslautern stellt sein Portal vor",
        ),
        record(
            5,
            RecordKind::Entry(EntryKind::Decision),
            "Das Netzwerk betreibt ein gemeinsames Portal.",
        ),
        record(
            6,
            RecordKind::Entry(EntryKind::Action(Assignment {
                owner: Owner::Municipality("Kaiserslautern".to_owned()),
                due: NaiveDate::from_ymd_opt(2027, 1, 15),
            })),
            "Kosten für ein gemeinsames Portal ermitteln",
        ),
        record(
            7,
            RecordKind::Entry(EntryKind::Action(Assignment {
                owner: Owner::Person {
                    user_id: "@anna:localhost".to_owned(),
                    municipality: None,
                },
                due: None,
            })),
            "Folien teilen",
        ),
        record(
            8,
            RecordKind::Entry(EntryKind::Link(
                "https://opendata.kaiserslautern.de/".parse().unwrap(),
            )),
            "Portal Kaiserslautern",
        ),
    ]
}

fn publication(link: bool) -> Publication {
    Publication {
        approved_by: "Anna Beispiel".to_owned(),
        approved_on: NaiveDate::from_ymd_opt(2026, 12, 18).unwrap(),
        link: link.then(|| "https://convene.ikone-ds.example/minutes/0123abcd.md".to_owned()),
    }
}

fn file_minutes(network: &Network) -> Minutes {
    let meeting = network.schedule.find("videokonferenz/2026-12-17").unwrap();
    let agenda = network.agenda(&meeting).unwrap();
    Minutes::from_file(
        &meeting,
        render::meeting_title(&meeting, Some(agenda)),
        agenda.minutes.as_ref().unwrap(),
    )
}

#[test]
fn live_and_file_minutes_are_the_same_document() {
    let (_dir, network) = network_with_file_minutes();
    let meeting = network.schedule.find("videokonferenz/2026-12-17").unwrap();
    let live = Minutes::from_records(
        &meeting,
        render::meeting_title(&meeting, network.agenda(&meeting)),
        vec!["Anna Beispiel".to_owned()],
        &[
            ("Kaiserslautern".to_owned(), Attendance::Here),
            ("Bitburg-Prüm".to_owned(), Attendance::Accepted),
            ("Mayen-Koblenz".to_owned(), Attendance::Declined),
        ],
        &live_records(),
    );
    assert_eq!(live, file_minutes(&network));
}

#[test]
fn rendered_minutes() {
    let (_dir, network) = network_with_file_minutes();
    let minutes = file_minutes(&network);
    for (language, code) in LANGUAGES {
        insta::assert_snapshot!(
            format!("draft_{code}"),
            show(&render::minutes_draft(language, "IKONE DS", &minutes, true))
        );
        insta::assert_snapshot!(
            format!("message_{code}"),
            show(&render::minutes_message(
                language,
                "IKONE DS",
                &minutes,
                &publication(true)
            ))
        );
        insta::assert_snapshot!(
            format!("markdown_{code}"),
            render::minutes_markdown(language, "IKONE DS", &minutes, &publication(true))
        );
    }
}

#[test]
fn hostile_text_stays_text() {
    let (_dir, network) = network_with_file_minutes();
    let mut minutes = file_minutes(&network);
    minutes.chairs = vec!["<b>Chef</b>\r\nBCC: x".to_owned()];
    let topic = &mut minutes.topics[1];
    topic.title = Some("# Überschrift [Link](javascript:alert(1))".to_owned());
    topic.entries[0].text =
        "<script>alert(1)</script>\nzweite Zeile *fett* _kursiv_ `code`".to_owned();
    topic.entries[1].text = "1. keine Liste & kein &amp; Entity".to_owned();
    topic.entries[2].text = "- auch keine Liste | keine Tabelle".to_owned();
    let message = render::minutes_message(
        Language::German,
        "IKONE <DS>",
        &minutes,
        &publication(false),
    );
    assert!(!message.html.contains("<script"), "{}", message.html);
    assert!(!message.html.contains("<b>Chef"), "{}", message.html);
    assert!(!message.plain.contains('\r'));
    insta::assert_snapshot!("hostile_message_de", show(&message));
    insta::assert_snapshot!(
        "hostile_markdown_de",
        render::minutes_markdown(
            Language::German,
            "IKONE <DS>",
            &minutes,
            &publication(false)
        )
    );
}

#[test]
fn huge_minutes_are_published_short_with_the_file_in_full() {
    let (_dir, network) = network_with_file_minutes();
    let mut minutes = file_minutes(&network);
    let long = "Sehr ausführliche Notiz. ".repeat(150);
    let entries = &mut minutes.topics[1].entries;
    for number in 0..200 {
        entries.push(convene::minutes::Entry {
            number: 100 + number,
            kind: EntryKind::Info,
            text: long.clone(),
        });
    }
    let message =
        render::minutes_message(Language::German, "IKONE DS", &minutes, &publication(true));
    assert!(message.plain.len() + message.html.len() <= 24_000);
    assert!(
        message.plain.contains("nur Beschlüsse und Aufgaben"),
        "{}",
        message.plain
    );
    assert!(
        message
            .plain
            .contains("Das Netzwerk betreibt ein gemeinsames Portal.")
    );
    let markdown =
        render::minutes_markdown(Language::German, "IKONE DS", &minutes, &publication(true));
    assert_eq!(
        markdown.matches("Sehr ausführliche Notiz.").count(),
        200 * 150
    );
    // Too many decisions even for the short form: the header, and the file.
    let decisions = &mut minutes.topics[1].entries;
    for number in 0..200 {
        decisions.push(convene::minutes::Entry {
            number: 400 + number,
            kind: EntryKind::Decision,
            text: long.clone(),
        });
    }
    let message =
        render::minutes_message(Language::German, "IKONE DS", &minutes, &publication(true));
    assert!(message.plain.len() + message.html.len() <= 24_000);
    assert!(
        message.plain.contains("für eine Nachricht zu umfangreich"),
        "{}",
        message.plain
    );
    assert!(message.plain.contains("Teilnehmende Kommunen (2)"));
}

#[test]
fn action_items() {
    let action = ActionItem {
        id: 3,
        meeting_key: "videokonferenz/2026-12-17".to_owned(),
        meeting_start: "2026-12-17T09:00:00Z".parse().unwrap(),
        owner: Owner::Municipality("Kaiserslautern".to_owned()),
        text: "Kosten ermitteln".to_owned(),
        due: NaiveDate::from_ymd_opt(2027, 1, 15),
        open: true,
    };
    for (language, code) in LANGUAGES {
        insta::assert_snapshot!(
            format!("actions_{code}"),
            show(&render::action_list(
                language,
                std::slice::from_ref(&action),
                Some("Kaiserslautern")
            ))
        );
        insta::assert_snapshot!(
            format!("action_reminder_{code}"),
            show(&render::action_reminder(language, &action))
        );
        insta::assert_snapshot!(
            format!("action_done_{code}"),
            show(&render::action_done(
                language,
                3,
                Some(&action),
                render::DoneOutcome::Closed
            ))
        );
    }
    // The next meeting's agenda lists it under "Offene Aufgaben".
    let (_dir, network) = network_with_file_minutes();
    let next = network.schedule.find("videokonferenz/2027-01-21").unwrap();
    let agenda = render::meeting_details(
        Language::German,
        Some((&next, network.agenda(&next))),
        render::Additions {
            accepted: &[],
            open_actions: std::slice::from_ref(&action),
        },
    );
    assert!(
        agenda.plain.ends_with(
            "Tagesordnung:\nOffene Aufgaben:\n• Nr. 3 – Kaiserslautern: Kosten ermitteln (bis 15.01.2027)"
        ),
        "{}",
        agenda.plain
    );
}
