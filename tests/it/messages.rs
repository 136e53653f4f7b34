//! Snapshots of every message the bot sends, in German and English, plain and HTML.

use chrono::TimeDelta;
use convene::command::{Command, CommandError};
use convene::i18n::Language;
use convene::render::{self, Rendered};

pub fn show(rendered: &Rendered) -> String {
    format!("--- plain\n{}\n--- html\n{}", rendered.plain, rendered.html)
}

#[test]
fn help() {
    insta::assert_snapshot!("help_de", show(&render::help(Language::German, "IKONE DS")));
    insta::assert_snapshot!(
        "help_en",
        show(&render::help(Language::English, "IKONE DS"))
    );
}

#[test]
fn pong() {
    let delay = Some(TimeDelta::milliseconds(42));
    insta::assert_snapshot!("pong_de", show(&render::pong(Language::German, delay)));
    insta::assert_snapshot!("pong_en", show(&render::pong(Language::English, delay)));
    insta::assert_snapshot!(
        "pong_de_clock_skew",
        show(&render::pong(
            Language::German,
            Some(TimeDelta::milliseconds(-5))
        ))
    );
}

#[test]
fn command_errors() {
    let unknown = CommandError::Unknown("!pnig".to_owned());
    let arguments = CommandError::UnexpectedArguments {
        command: Command::Ping,
    };
    insta::assert_snapshot!(
        "unknown_de",
        show(&render::command_error(Language::German, &unknown))
    );
    insta::assert_snapshot!(
        "unknown_en",
        show(&render::command_error(Language::English, &unknown))
    );
    insta::assert_snapshot!(
        "arguments_de",
        show(&render::command_error(Language::German, &arguments))
    );
    insta::assert_snapshot!(
        "arguments_en",
        show(&render::command_error(Language::English, &arguments))
    );
}

#[test]
fn hostile_command_names_are_escaped() {
    let Some(Err(error)) = convene::command::parse("!<img src=x onerror=alert(1)>") else {
        panic!("not parsed as an unknown command");
    };
    insta::assert_snapshot!(
        "hostile_de",
        show(&render::command_error(Language::German, &error))
    );
}

mod meetings {
    //! Announcements, reminders and the other meeting texts, built from the shipped example
    //! configuration and agenda files, at fixed instants.

    use std::path::Path;

    use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
    use convene::change::{Change, Shown, changes};
    use convene::delivery::{Failure, GiveUp};
    use convene::i18n::Language;
    use convene::network::Network;
    use convene::posting::PostKind;
    use convene::render::{self, FanOutReport, RoomOutcome};
    use convene::schedule::{Meeting, Status};
    use convene::store::{Proposal, ProposalStatus};

    use super::show;

    fn network() -> Network {
        Network::load(Path::new("config/convene.example.yaml")).unwrap()
    }

    fn meeting(network: &Network, key: &str) -> Meeting {
        network.schedule.find(key).unwrap()
    }

    const LANGUAGES: [(Language, &str); 2] = [(Language::German, "de"), (Language::English, "en")];

    #[test]
    fn posts() {
        let network = network();
        let conference = meeting(&network, "videokonferenz/2027-02-18");
        let workshop = meeting(&network, "workshop-smart-city-2026");
        let moved = meeting(&network, "videokonferenz/2027-01-21");
        let cancelled = meeting(&network, "videokonferenz/2026-12-17");
        for (language, code) in LANGUAGES {
            let post = |m: &Meeting, kind, late| {
                show(&render::post(
                    language,
                    "IKONE DS",
                    m,
                    network.agenda(m),
                    render::Additions::default(),
                    kind,
                    late,
                ))
            };
            insta::assert_snapshot!(
                format!("announcement_{code}"),
                post(&conference, PostKind::Announcement, false)
            );
            insta::assert_snapshot!(
                format!("announcement_workshop_{code}"),
                post(&workshop, PostKind::Announcement, false)
            );
            insta::assert_snapshot!(
                format!("announcement_late_{code}"),
                post(&conference, PostKind::Announcement, true)
            );
            insta::assert_snapshot!(
                format!("reminder_1d_{code}"),
                post(&conference, PostKind::Reminder(TimeDelta::days(1)), false)
            );
            insta::assert_snapshot!(
                format!("reminder_15m_{code}"),
                post(
                    &conference,
                    PostKind::Reminder(TimeDelta::minutes(15)),
                    false
                )
            );
            insta::assert_snapshot!(
                format!("announcement_moved_{code}"),
                post(&moved, PostKind::Announcement, false)
            );
            insta::assert_snapshot!(
                format!("announcement_cancelled_with_agenda_{code}"),
                post(&cancelled, PostKind::Announcement, false)
            );
        }
    }

    /// A proposal accepted for a meeting, as the store gives it.
    fn accepted_proposal() -> Proposal {
        Proposal {
            id: 7,
            meeting_key: "videokonferenz/2027-02-18".to_owned(),
            room_id: "!kl:example.org".to_owned(),
            municipality: "Kaiserslautern".to_owned(),
            sender: "@anna:kaiserslautern.de".to_owned(),
            title: "Open-Data-Portal \"gemeinsam\" betreiben".to_owned(),
            description: None,
            created_at: "2026-11-20T08:30:00Z".parse().unwrap(),
            status: ProposalStatus::Accepted,
            part: None,
            reason: None,
        }
    }

    #[test]
    fn change_notices() {
        let network = network();
        let conference = meeting(&network, "videokonferenz/2027-02-18");
        let moved = meeting(&network, "videokonferenz/2027-01-21");
        let cancelled = meeting(&network, "videokonferenz/2026-12-17");
        let Status::Moved { original_start } = moved.status else {
            panic!("not moved: {moved:?}");
        };
        let from_start = original_start.with_timezone(&Utc);
        let was = Change::Moved {
            from_start,
            from_end: from_start + (moved.end - moved.start),
        };
        let new_link = Change::Link {
            old: Some("https://meet.example.org/alt".to_owned()),
            new: conference.video_link.as_ref().map(ToString::to_string),
        };
        // Accepting a proposal, as the scheduler will see it: what the posts showed before and
        // after.
        let before = Shown::of(&conference, None, &[], "before".to_owned());
        let after = Shown::of(
            &conference,
            None,
            &[accepted_proposal()],
            "after".to_owned(),
        );
        let proposal_accepted = changes(&before, &after);
        let mixed = Change::Agenda {
            added: vec!["Open Data".to_owned()],
            removed: vec!["Breitband".to_owned()],
            retitled: vec![(
                "Digitale Verwaltung".to_owned(),
                "Digitale Verwaltung: Onlinezugangsgesetz".to_owned(),
            )],
        };
        let cases: Vec<(&str, &Meeting, Vec<Change>)> = vec![
            ("moved", &moved, vec![was.clone()]),
            (
                "moved_hour",
                &conference,
                vec![Change::Moved {
                    from_start: conference.start.with_timezone(&Utc) - TimeDelta::hours(1),
                    from_end: conference.end.with_timezone(&Utc) - TimeDelta::hours(1),
                }],
            ),
            (
                "cancelled",
                &cancelled,
                vec![Change::Cancelled {
                    note: cancelled.note.clone(),
                }],
            ),
            ("reinstated", &conference, vec![Change::Reinstated]),
            ("link", &conference, vec![new_link.clone()]),
            (
                "link_withdrawn",
                &conference,
                vec![Change::Link {
                    old: conference.video_link.as_ref().map(ToString::to_string),
                    new: None,
                }],
            ),
            ("agenda", &conference, proposal_accepted),
            ("agenda_mixed", &conference, vec![mixed]),
            ("details", &conference, vec![Change::Details]),
            ("moved_link", &moved, vec![was, new_link]),
        ];
        for (language, code) in LANGUAGES {
            for (kind, meeting, changes) in &cases {
                insta::assert_snapshot!(
                    format!("change_{kind}_{code}"),
                    show(&render::change_notice(
                        language,
                        meeting,
                        network.agenda(meeting),
                        changes
                    ))
                );
            }
        }
    }

    #[test]
    fn commands_and_reports() {
        let network = network();
        let now: DateTime<Utc> = "2026-11-21T12:00:00Z".parse().unwrap();
        let upcoming = network.schedule.upcoming(now, TimeDelta::days(400), 5);
        let workshop = meeting(&network, "workshop-smart-city-2026");
        let report = FanOutReport {
            delivered: 38,
            total: 40,
            failed: vec![
                (
                    "Bitburg-Prüm".to_owned(),
                    RoomOutcome::Retrying(Failure::NotInRoom),
                ),
                (
                    "Mayen-Koblenz".to_owned(),
                    RoomOutcome::GivenUp(GiveUp::KeptFailing(Failure::AliasNotFound)),
                ),
                (
                    "Trier".to_owned(),
                    RoomOutcome::GivenUp(GiveUp::MeetingStarted),
                ),
            ],
        };
        for (language, code) in LANGUAGES {
            insta::assert_snapshot!(
                format!("next_{code}"),
                show(&render::meeting_details(
                    language,
                    Some((&workshop, network.agenda(&workshop))),
                    render::Additions::default()
                ))
            );
            insta::assert_snapshot!(
                format!("next_none_{code}"),
                show(&render::meeting_details(
                    language,
                    None,
                    render::Additions::default()
                ))
            );
            insta::assert_snapshot!(
                format!("schedule_{code}"),
                show(&render::schedule_list(language, &upcoming))
            );
            insta::assert_snapshot!(
                format!("summary_{code}"),
                show(&render::delivery_summary(
                    language,
                    &workshop,
                    PostKind::Announcement,
                    &report
                ))
            );
            insta::assert_snapshot!(
                format!("follow_up_{code}"),
                show(&render::follow_up_report(language, &workshop, &report))
            );
            insta::assert_snapshot!(
                format!("summary_minutes_{code}"),
                show(&render::minutes_summary(
                    language,
                    &workshop.title,
                    workshop.start,
                    &report
                ))
            );
            insta::assert_snapshot!(
                format!("missed_{code}"),
                show(&render::missed_notice(language, &workshop))
            );
            let date = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
            insta::assert_snapshot!(
                format!("announce_ack_{code}"),
                show(&render::announce_ack(
                    language,
                    date,
                    std::slice::from_ref(&workshop)
                ))
            );
            insta::assert_snapshot!(
                format!("announce_ack_none_{code}"),
                show(&render::announce_ack(language, date, &[]))
            );
            insta::assert_snapshot!(
                format!("reload_errors_{code}"),
                show(&render::reload_errors(language, &super::reload_errors()))
            );
        }
    }

    #[test]
    fn hostile_titles_stay_text() {
        let network = network();
        let mut meeting = meeting(&network, "workshop-smart-city-2026");
        meeting.title = "<script>alert('x')</script> & \"Co\"\r\nBCC: evil".to_owned();
        meeting.note = Some("<b>laut</b>".to_owned());
        insta::assert_snapshot!(
            "announcement_hostile_de",
            show(&render::post(
                Language::German,
                "IKONE <DS>",
                &meeting,
                None,
                render::Additions::default(),
                PostKind::Announcement,
                false
            ))
        );
        let from_start = meeting.start.with_timezone(&Utc) - TimeDelta::days(1);
        insta::assert_snapshot!(
            "change_hostile_de",
            show(&render::change_notice(
                Language::German,
                &meeting,
                None,
                &[
                    Change::Moved {
                        from_start,
                        from_end: from_start + TimeDelta::hours(2),
                    },
                    Change::Link {
                        old: None,
                        new: Some("https://x.example/?a=1&b=\"><script>".to_owned()),
                    },
                    Change::Retitled {
                        from: "<i>alt</i>\nneu".to_owned(),
                    },
                    Change::Agenda {
                        added: vec!["<img src=x onerror=alert(1)>".to_owned()],
                        removed: vec![],
                        retitled: vec![],
                    },
                ]
            ))
        );
    }

    #[test]
    fn the_schedule_command_table() {
        let network = network();
        let from: DateTime<Utc> = "2026-11-01T00:00:00Z".parse().unwrap();
        let meetings = network.schedule.upcoming(from, TimeDelta::days(3660), 6);
        insta::assert_snapshot!("schedule_table", render::schedule_table(&meetings));
    }
}

#[test]
fn subscription_links() {
    use convene::render::{FeedLinks, subscribe};
    let url = url::Url::parse(
        "https://convene.ikone-ds.de/feeds/0123456789abcdef0123456789abcdef01234567.ics",
    )
    .unwrap();
    let links = FeedLinks::for_url(&url);
    for (language, code) in [(Language::German, "de"), (Language::English, "en")] {
        insta::assert_snapshot!(
            format!("subscribe_{code}"),
            show(&subscribe(language, "IKONE DS", Some(&links), true, false))
        );
        insta::assert_snapshot!(
            format!("subscribe_rotated_{code}"),
            show(&subscribe(language, "IKONE DS", Some(&links), true, true))
        );
        insta::assert_snapshot!(
            format!("subscribe_none_{code}"),
            show(&subscribe(language, "IKONE DS", None, false, false))
        );
    }
}

mod proposals {
    //! The texts about members' agenda proposals, and the published agenda with accepted ones.

    use std::path::Path;

    use convene::i18n::Language;
    use convene::network::Network;
    use convene::posting::PostKind;
    use convene::render::{self, Outcome};
    use convene::store::{Proposal, ProposalStatus};

    use super::show;

    fn proposal(status: ProposalStatus) -> Proposal {
        Proposal {
            id: 7,
            meeting_key: "videokonferenz/2026-12-17".to_owned(),
            room_id: "!kl:example.org".to_owned(),
            municipality: "Kaiserslautern".to_owned(),
            sender: "@anna:kaiserslautern.de".to_owned(),
            title: "Open-Data-Portal <b>gemeinsam</b> betreiben".to_owned(),
            description: Some("Erfahrungen & Kosten".to_owned()),
            created_at: "2026-11-20T08:30:00Z".parse().unwrap(),
            status,
            part: Some(2),
            reason: Some("passt besser in den Workshop".to_owned()),
        }
    }

    #[test]
    fn export_as_agenda_items() {
        let mut first = proposal(ProposalStatus::Accepted);
        first.title = "Open Data: ein Portal, \"gemeinsam\"".to_owned();
        let mut second = proposal(ProposalStatus::Accepted);
        second.id = 8;
        second.description = None;
        second.part = None;
        insta::assert_snapshot!(
            "export",
            convene::agenda::export("videokonferenz/2026-12-17", &[first, second]).unwrap()
        );
    }

    #[test]
    fn accepting_into_a_part_the_meeting_lacks_is_refused() {
        assert_eq!(
            render::no_such_part(Language::German, 7, 99, 0).plain,
            "Der Termin ist nicht in Teile gegliedert, einen Teil 99 gibt es nicht. Nehmen Sie den Vorschlag ohne Teil an: !agenda accept 7"
        );
        assert_eq!(
            render::no_such_part(Language::English, 7, 99, 0).plain,
            "The meeting has no parts, so there is no part 99. Accept the proposal without a part: !agenda accept 7"
        );
        assert_eq!(
            render::no_such_part(Language::German, 7, 3, 1).plain,
            "Der Termin hat nur einen Teil, einen Teil 3 gibt es nicht. Nehmen Sie den Vorschlag für Teil 1 an: !agenda accept 7 1"
        );
        assert_eq!(
            render::no_such_part(Language::English, 7, 3, 1).plain,
            "The meeting has only one part; there is no part 3. Accept the proposal for part 1: !agenda accept 7 1"
        );
        assert_eq!(
            render::no_such_part(Language::German, 7, 99, 2).plain,
            "Der Termin hat 2 Teile, einen Teil 99 gibt es nicht. Wählen Sie Teil 1 bis 2, z. B. !agenda accept 7 1"
        );
        assert_eq!(
            render::no_such_part(Language::English, 7, 99, 2).plain,
            "The meeting has 2 parts; there is no part 99. Choose part 1 to 2, e.g. !agenda accept 7 1"
        );
    }

    #[test]
    fn every_proposal_text() {
        let network = Network::load(Path::new("config/convene.example.yaml")).unwrap();
        let meeting = network.schedule.find("videokonferenz/2027-02-18").unwrap();
        let accepted = proposal(ProposalStatus::Accepted);
        for (language, code) in [(Language::German, "de"), (Language::English, "en")] {
            let open = proposal(ProposalStatus::Open);
            insta::assert_snapshot!(
                format!("added_{code}"),
                show(&render::proposal_added(language, &open, &meeting))
            );
            insta::assert_snapshot!(
                format!("too_many_{code}"),
                show(&render::too_many_proposals(language, 5))
            );
            insta::assert_snapshot!(
                format!("no_such_{code}"),
                show(&render::no_such_proposal(language, 9))
            );
            insta::assert_snapshot!(
                format!("cannot_{code}"),
                show(&render::cannot_propose(language, false))
            );
            insta::assert_snapshot!(
                format!("list_{code}"),
                show(&render::proposal_list(
                    language,
                    &[
                        open.clone(),
                        accepted.clone(),
                        proposal(ProposalStatus::Rejected)
                    ],
                    false
                ))
            );
            for (name, outcome) in [
                ("accepted", Outcome::Accepted(&meeting)),
                ("rejected", Outcome::Rejected),
                ("deferred", Outcome::Deferred(&meeting)),
                ("withdrawn", Outcome::Withdrawn),
            ] {
                insta::assert_snapshot!(
                    format!("outcome_{name}_{code}"),
                    show(&render::proposal_outcome(language, &open, outcome))
                );
            }
            insta::assert_snapshot!(
                format!("announcement_with_proposal_{code}"),
                show(&render::post(
                    language,
                    "IKONE DS",
                    &meeting,
                    None,
                    render::Additions {
                        accepted: std::slice::from_ref(&accepted),
                        open_actions: &[],
                    },
                    PostKind::Announcement,
                    false
                ))
            );
        }
    }
}

/// What a failed reload reports for two broken agenda files: a date written the German way
/// (a validation error) and a quotation mark never closed (a syntax error).
fn reload_errors() -> convene::diagnostic::Diagnostics {
    match convene::network::Network::load(std::path::Path::new(
        "tests/fixtures/reload/convene.yaml",
    )) {
        Ok(_) => panic!("the broken agendas were accepted"),
        Err(diagnostics) => diagnostics,
    }
}

#[test]
fn reload_errors_show_hostile_input_as_text() {
    // An agenda item whose title and duration carry markup, a right-to-left override, a
    // zero-width space and a line break that would forge a line of its own.
    let yaml = "homeserver: \"<b>https://x</b>\"\ntimezone: \"Europe/\u{202e}nilreB\u{200b}\\n  Hinweis: alles gut\"\n";
    let diagnostics =
        match convene::config::Config::parse(std::path::Path::new("c.yaml"), yaml.to_owned()) {
            Ok(_) => panic!("accepted"),
            Err(diagnostics) => diagnostics,
        };
    for language in [Language::German, Language::English] {
        let rendered = render::reload_errors(language, &diagnostics);
        for text in [&rendered.plain, &rendered.html] {
            for c in ['\u{202e}', '\u{200b}'] {
                assert!(!text.contains(c), "{c:?} in {text}");
            }
            assert!(
                text.contains("\\u{202e}nilreB\\u{200b}\\n  Hinweis: alles gut"),
                "{text}"
            );
            // Every line of the errors starts with a file, indented hints aside.
            assert!(
                !text.lines().any(|l| l.starts_with("  Hinweis: alles")),
                "{text}"
            );
        }
        assert!(!rendered.html.contains("<b>"), "{}", rendered.html);
        assert!(
            rendered.html.contains("&lt;b&gt;https://x&lt;/b&gt;"),
            "{}",
            rendered.html
        );
        assert_eq!(visible_text(&rendered.html), rendered.plain);
    }
}

/// The text a client shows for `html`: tags dropped, entities decoded, paragraphs apart.
fn visible_text(html: &str) -> String {
    let mut text = html.replace("</p>\n<pre><code>", "\n\n");
    for tag in ["<p>", "</p>", "<pre>", "<code>", "</code>", "</pre>"] {
        text = text.replace(tag, "");
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}
