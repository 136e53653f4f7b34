//! Minutes: the live route and the file route give the same document; snapshots of the draft,
//! the published message (plain and HTML) and the Markdown file, in German and English, with
//! hostile text; and the action-item texts.

use chrono::NaiveDate;
use convene::i18n::Language;
use convene::minutes::ActionItem;
use convene::minutes::{Assignment, Attendance, EntryKind, Minutes, Owner, Record, RecordKind};
use convene::network::Network;
use convene::render::{self, DoneOutcome, MinutesReply, Publication, RecordedKind};

use crate::support::client_view::snapshot_rendered;
use crate::support::config::{MONTHLY_VIDEOKONFERENZ, TestConfig};

const LANGUAGES: [(Language, &str); 2] = [(Language::German, "de"), (Language::English, "en")];

/// A network with one series and an agenda file for 17 Dec 2026 whose `minutes:` section
/// records the meeting as an organizer would write it.
fn network_with_file_minutes() -> (tempfile::TempDir, Network) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("agendas")).unwrap();
    let config = TestConfig::minimal()
        .members(&[
            ("Kaiserslautern", "#kl:localhost"),
            ("Bitburg-Prüm", "#bp:localhost"),
            ("Mayen-Koblenz", "#myk:localhost"),
        ])
        .with("agendas_dir: agendas\n")
        .with(MONTHLY_VIDEOKONFERENZ)
        .write(dir.path());
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
    let network = Network::load(&config).unwrap();
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
        convene::agenda::meeting_title(&meeting, Some(agenda)),
        agenda.minutes.as_ref().unwrap(),
    )
}

#[test]
fn live_and_file_minutes_are_the_same_document() {
    let (_dir, network) = network_with_file_minutes();
    let meeting = network.schedule.find("videokonferenz/2026-12-17").unwrap();
    let live = Minutes::from_records(
        &meeting,
        convene::agenda::meeting_title(&meeting, network.agenda(&meeting)),
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
        snapshot_rendered!(
            format!("draft_{code}"),
            render::minutes_draft(language, "IKONE DS", &minutes, true)
        );
        snapshot_rendered!(
            format!("message_{code}"),
            render::minutes_message(language, "IKONE DS", &minutes, &publication(true))
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
    snapshot_rendered!("hostile_message_de", message);
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
        snapshot_rendered!(
            format!("actions_{code}"),
            render::action_list(
                language,
                std::slice::from_ref(&action),
                Some("Kaiserslautern")
            )
        );
        snapshot_rendered!(
            format!("action_reminder_{code}"),
            render::action_reminder(language, &action)
        );
        snapshot_rendered!(
            format!("action_done_{code}"),
            render::action_done(language, 3, Some(&action), DoneOutcome::Closed)
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

/// The snapshot name of each minutes reply; without a wildcard, so that a new variant fails to
/// compile here until it has its snapshots in [`every_minutes_reply`].
fn reply_name(reply: &MinutesReply) -> String {
    match reply {
        MinutesReply::Started { agenda, .. } if agenda.is_empty() => "started_no_agenda".to_owned(),
        MinutesReply::Started { .. } => "started".to_owned(),
        MinutesReply::Recorded { what, .. } => format!("recorded_{what:?}").to_lowercase(),
        MinutesReply::Undone { .. } => "undone".to_owned(),
        MinutesReply::Edited { .. } => "edited".to_owned(),
        MinutesReply::ChairAdded(_) => "chair_added".to_owned(),
        MinutesReply::Here { .. } => "here".to_owned(),
        MinutesReply::Approved { .. } => "approved".to_owned(),
        MinutesReply::NoMeeting => "no_meeting".to_owned(),
        MinutesReply::NotRecording => "not_recording".to_owned(),
        MinutesReply::AlreadyRecording { .. } => "already_recording".to_owned(),
        MinutesReply::AlreadyHasMinutes { .. } => "already_has_minutes".to_owned(),
        MinutesReply::WrongRoom => "wrong_room".to_owned(),
        MinutesReply::AgendaDone => "agenda_done".to_owned(),
        MinutesReply::NoSuchLine(_) => "no_such_line".to_owned(),
        MinutesReply::NothingToUndo => "nothing_to_undo".to_owned(),
        MinutesReply::Full => "full".to_owned(),
        MinutesReply::NoDraft => "no_draft".to_owned(),
        MinutesReply::SeveralDrafts(_) => "several_drafts".to_owned(),
        MinutesReply::UnknownOwner { .. } => "unknown_owner".to_owned(),
        MinutesReply::NoTask => "no_task".to_owned(),
        MinutesReply::EditTheFile => "edit_the_file".to_owned(),
        MinutesReply::WhichMunicipality => "which_municipality".to_owned(),
        MinutesReply::NoRunningMeeting => "no_running_meeting".to_owned(),
        MinutesReply::UnknownMunicipality { .. } => "unknown_municipality".to_owned(),
        MinutesReply::NotAMemberRoom => "not_a_member_room".to_owned(),
        MinutesReply::Failed => "failed".to_owned(),
    }
}

fn municipalities() -> Vec<String> {
    ["Kaiserslautern", "Trier", "Bitburg-Prüm", "Mayen-Koblenz"]
        .map(str::to_owned)
        .to_vec()
}

/// One reply of each kind, with the texts a meeting of the network would give them.
fn every_reply(language: Language) -> Vec<MinutesReply> {
    let title = "Videokonferenz: Interne Kommunikation".to_owned();
    let when = match language {
        Language::German => "Donnerstag, 17. Dezember 2026, 10:00–11:30 Uhr",
        Language::English => "Thursday, 17 December 2026, 10:00–11:30",
    }
    .to_owned();
    let recorded = |what, text: &str| MinutesReply::Recorded {
        number: 4,
        what,
        text: text.to_owned(),
    };
    vec![
        MinutesReply::Started {
            title: title.clone(),
            when: when.clone(),
            agenda: vec![
                "Begrüßung".to_owned(),
                "Bewerbung Smart City".to_owned(),
                "Interne Kommunikation".to_owned(),
            ],
        },
        MinutesReply::Started {
            title: title.clone(),
            when,
            agenda: vec![],
        },
        recorded(RecordedKind::Topic, "Bewerbung Smart City"),
        recorded(
            RecordedKind::Info,
            "Trier stellt den Stand der Bewerbung vor",
        ),
        recorded(
            RecordedKind::Decision,
            "Die Kommunen bewerben sich gemeinsam als Smart City.",
        ),
        recorded(
            RecordedKind::Action,
            "Kosten für ein gemeinsames Portal ermitteln",
        ),
        recorded(RecordedKind::Link, "Portal Kaiserslautern"),
        MinutesReply::Undone {
            number: 5,
            text: "Die Kommunen bewerben sich gemeinsam als Smart City.".to_owned(),
        },
        MinutesReply::Edited { number: 3 },
        MinutesReply::ChairAdded("@bernd:trier.de".to_owned()),
        MinutesReply::Here {
            municipality: "Trier".to_owned(),
            title: title.clone(),
        },
        MinutesReply::Approved {
            title: title.clone(),
        },
        MinutesReply::NoMeeting,
        MinutesReply::NotRecording,
        MinutesReply::AlreadyRecording {
            title: title.clone(),
        },
        MinutesReply::AlreadyHasMinutes { title },
        MinutesReply::WrongRoom,
        MinutesReply::AgendaDone,
        MinutesReply::NoSuchLine(42),
        MinutesReply::NothingToUndo,
        MinutesReply::Full,
        MinutesReply::NoDraft,
        MinutesReply::SeveralDrafts(
            [(2026, 12, 17), (2027, 1, 21)]
                .map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap())
                .to_vec(),
        ),
        MinutesReply::UnknownOwner {
            given: "Landau".to_owned(),
            known: municipalities(),
        },
        MinutesReply::NoTask,
        MinutesReply::EditTheFile,
        MinutesReply::WhichMunicipality,
        MinutesReply::NoRunningMeeting,
        MinutesReply::UnknownMunicipality {
            given: "Landau".to_owned(),
            known: municipalities(),
        },
        MinutesReply::NotAMemberRoom,
        MinutesReply::Failed,
    ]
}

#[test]
fn every_minutes_reply() {
    for (language, code) in LANGUAGES {
        for reply in every_reply(language) {
            snapshot_rendered!(
                format!("reply_{}_{code}", reply_name(&reply)),
                render::minutes_reply(language, &reply)
            );
        }
    }
    // Every reply that quotes user text back (titles come from agenda files), with hostile text.
    let hostile = "<script>alert('x')</script> & <Titel>\nBCC: x";
    let replies = [
        MinutesReply::Started {
            title: hostile.to_owned(),
            when: "Donnerstag, 17. Dezember 2026, 10:00–11:30 Uhr".to_owned(),
            agenda: vec![hostile.to_owned(), "Interne Kommunikation".to_owned()],
        },
        MinutesReply::Recorded {
            number: 4,
            what: RecordedKind::Info,
            text: hostile.to_owned(),
        },
        MinutesReply::Undone {
            number: 4,
            text: hostile.to_owned(),
        },
        MinutesReply::Here {
            municipality: "Trier & <i>Umland</i>".to_owned(),
            title: hostile.to_owned(),
        },
        MinutesReply::Approved {
            title: hostile.to_owned(),
        },
        MinutesReply::AlreadyRecording {
            title: hostile.to_owned(),
        },
        MinutesReply::AlreadyHasMinutes {
            title: hostile.to_owned(),
        },
        MinutesReply::UnknownOwner {
            given: hostile.to_owned(),
            known: vec!["Kaiserslautern & <Titel>".to_owned()],
        },
        MinutesReply::UnknownMunicipality {
            given: hostile.to_owned(),
            known: vec!["Kaiserslautern & <Titel>".to_owned()],
        },
    ];
    for reply in replies {
        let rendered = render::minutes_reply(Language::German, &reply);
        assert!(!rendered.html.contains("<script"), "{}", rendered.html);
        snapshot_rendered!(format!("reply_{}_hostile_de", reply_name(&reply)), rendered);
    }
}

#[test]
fn every_done_outcome() {
    let action = ActionItem {
        id: 3,
        meeting_key: "videokonferenz/2026-12-17".to_owned(),
        meeting_start: "2026-12-17T09:00:00Z".parse().unwrap(),
        owner: Owner::Municipality("Trier".to_owned()),
        text: "Bewerbung Smart City: Unterlagen <Titel> & Anlagen einreichen".to_owned(),
        due: NaiveDate::from_ymd_opt(2027, 1, 15),
        open: false,
    };
    for (language, code) in LANGUAGES {
        for outcome in [
            DoneOutcome::Closed,
            DoneOutcome::AlreadyDone,
            DoneOutcome::Unknown,
        ] {
            // Without a wildcard: a new outcome fails to compile until it is named here.
            let name = match outcome {
                DoneOutcome::Closed => "closed",
                DoneOutcome::AlreadyDone => "already_done",
                DoneOutcome::Unknown => "unknown",
            };
            let found = (outcome != DoneOutcome::Unknown).then_some(&action);
            snapshot_rendered!(
                format!("done_{name}_{code}"),
                render::action_done(language, 3, found, outcome)
            );
        }
        snapshot_rendered!(
            format!("actions_none_{code}"),
            render::action_list(language, &[], Some("Trier"))
        );
        snapshot_rendered!(
            format!("actions_all_none_{code}"),
            render::action_list(language, &[], None)
        );
        snapshot_rendered!(
            format!("actions_all_{code}"),
            render::action_list(language, std::slice::from_ref(&action), None)
        );
    }
}

#[test]
fn published_minutes_list() {
    let published = vec![
        (
            "17.12.2026".to_owned(),
            "Videokonferenz: Interne Kommunikation".to_owned(),
            Some("https://convene.ikone-ds.example/minutes/0123abcd.md".to_owned()),
        ),
        (
            "04.12.2026".to_owned(),
            "Online-Workshop „Bewerbung Smart City“ & <Titel>".to_owned(),
            None,
        ),
        (
            "19.11.2026".to_owned(),
            "Videokonferenz <b>Trier</b>".to_owned(),
            Some("https://convene.ikone-ds.example/minutes/4567cdef.md?a=1&b=2".to_owned()),
        ),
    ];
    for (language, code) in LANGUAGES {
        snapshot_rendered!(
            format!("list_{code}"),
            render::minutes_list(language, &published)
        );
        snapshot_rendered!(
            format!("list_none_{code}"),
            render::minutes_list(language, &[])
        );
    }
}

#[test]
fn draft_from_the_agenda_file() {
    let (_dir, network) = network_with_file_minutes();
    let minutes = file_minutes(&network);
    for (language, code) in LANGUAGES {
        snapshot_rendered!(
            format!("draft_file_{code}"),
            render::minutes_draft(language, "IKONE DS", &minutes, false)
        );
    }
}
