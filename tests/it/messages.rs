//! Snapshots of every message the bot sends, in German and English, plain and HTML; each one
//! also checked for what a client shows of it (`support::client_view`).

use chrono::TimeDelta;
use convene::command::{ArgumentError, CommandError, CommandId, Field, Role};
use convene::i18n::Language;
use convene::render;

use crate::support::client_view::snapshot_rendered;

/// The source link of the snapshots: the default, the `repository` of Cargo.toml.
fn source() -> url::Url {
    url::Url::parse(convene::config::DEFAULT_SOURCE_URL).unwrap()
}

/// What the snapshots say about the bot: a fixed version, so that a release does not change
/// every `!help` snapshot (the e2e test checks that the bot names the version it was built as).
fn about(source: &url::Url) -> render::About<'_> {
    render::About {
        version: "0.1.0",
        source,
    }
}

#[test]
fn help() {
    let source = source();
    for (language, suffix) in [(Language::German, "de"), (Language::English, "en")] {
        for (role, audience) in [
            (Role::Member, ""),
            (Role::Chair, "_chairs"),
            (Role::Organizer, "_organizers"),
        ] {
            snapshot_rendered!(
                format!("help{audience}_{suffix}"),
                render::help(language, "IKONE DS", role, about(&source))
            );
        }
        for &id in CommandId::ALL {
            if id.spec().sub.is_empty() {
                snapshot_rendered!(
                    format!("help_{}_{suffix}", id.spec().names[0]),
                    render::command_help(language, id)
                );
            }
        }
        snapshot_rendered!(
            format!("help_agenda_add_{suffix}"),
            render::command_help(language, CommandId::AgendaAdd)
        );
    }
}

/// Every command's help, in both languages: the usage is in the reader's language and the
/// HTML keeps the placeholders (`<Titel>`) that a client would otherwise drop as tags.
#[test]
fn every_command_has_help_in_both_languages() {
    for &id in CommandId::ALL {
        for language in [Language::German, Language::English] {
            let help = render::command_help(language, id);
            let usage = id.spec().usage(language);
            assert!(help.plain.contains(&usage), "{}", help.plain);
            assert!(
                help.html
                    .contains(&format!("<code>{}</code>", render::escape_html(&usage))),
                "{}",
                help.html
            );
        }
    }
}

/// `!about` names the bot, its version and license, and links its source; a configured
/// `source_url` replaces the default.
#[test]
fn about_the_bot() {
    let source = source();
    snapshot_rendered!("about_de", render::about(Language::German, about(&source)));
    snapshot_rendered!("about_en", render::about(Language::English, about(&source)));
    // The license named in the text is the one in Cargo.toml.
    assert_eq!(env!("CARGO_PKG_LICENSE"), "AGPL-3.0-or-later");
    let own = url::Url::parse("https://git.kaiserslautern.de/ikone/convene?ref=a&b=<c>").unwrap();
    let reply = render::about(Language::English, about(&own));
    assert!(
        reply
            .plain
            .ends_with("Source code: https://git.kaiserslautern.de/ikone/convene?ref=a&b=%3Cc%3E"),
        "{}",
        reply.plain
    );
    assert!(
        reply.html.ends_with(
            "<a href=\"https://git.kaiserslautern.de/ikone/convene?ref=a&amp;b=%3Cc%3E\">https://git.kaiserslautern.de/ikone/convene?ref=a&amp;b=%3Cc%3E</a>"
        ),
        "{}",
        reply.html
    );
    let help = render::help(Language::German, "IKONE DS", Role::Member, about(&own));
    assert!(
        help.plain.ends_with(
            "convene 0.1.0 · Quelltext: https://git.kaiserslautern.de/ikone/convene?ref=a&b=%3Cc%3E · !about"
        ),
        "{}",
        help.plain
    );
}

#[test]
fn pong() {
    let delay = Some(TimeDelta::milliseconds(42));
    snapshot_rendered!("pong_de", render::pong(Language::German, delay));
    snapshot_rendered!("pong_en", render::pong(Language::English, delay));
    snapshot_rendered!("pong_en_no_delay", render::pong(Language::English, None));
    snapshot_rendered!(
        "pong_de_clock_skew",
        render::pong(Language::German, Some(TimeDelta::milliseconds(-5)))
    );
}

/// A late answer's first line, for each reason; and the one answer to a command too old to
/// carry out.
#[test]
fn late_answers() {
    let at = |text: &str| {
        text.parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
            .with_timezone(&chrono_tz::Europe::Berlin)
    };
    let (sent, back, now) = (
        at("2026-12-07T09:03:00Z"),
        at("2026-12-07T09:05:00Z"),
        at("2026-12-07T09:05:30Z"),
    );
    let away = Some((Some(at("2026-12-07T09:02:00Z")), back));
    let away_overnight = Some((Some(at("2026-12-06T21:40:00Z")), back));
    for (code, language) in [("de", Language::German), ("en", Language::English)] {
        let late = |away| render::late_answer(language, sent, away, now);
        snapshot_rendered!(format!("late_away_{code}"), late(away));
        snapshot_rendered!(format!("late_away_overnight_{code}"), late(away_overnight));
        snapshot_rendered!(
            format!("late_away_since_unknown_{code}"),
            late(Some((None, back)))
        );
        snapshot_rendered!(format!("late_slow_{code}"), late(None));
        snapshot_rendered!(
            format!("timeline_gap_{code}"),
            render::timeline_gap(language, "Gemeinde <Süd> & Co.", 200)
        );
        snapshot_rendered!(
            format!("too_late_{code}"),
            render::too_late(
                language,
                at("2026-12-05T16:00:00Z"),
                now,
                TimeDelta::hours(24)
            )
        );
    }
}

/// The snapshot name of each kind of command error; without a wildcard, so that a new kind
/// fails to compile here until it has its snapshots in [`every_command_error`].
fn error_name(error: &CommandError) -> &'static str {
    match error {
        CommandError::Unknown(_) => "unknown",
        CommandError::UnknownSubcommand { .. } => "unknown_subcommand",
        CommandError::Arguments { error, .. } => match error {
            ArgumentError::Usage => "usage",
            ArgumentError::Unexpected => "arguments",
            ArgumentError::NotADate { given: None } => "missing_date",
            ArgumentError::NotADate { given: Some(_) } => "not_a_date",
            ArgumentError::NotANumber { .. } => "not_a_number",
            ArgumentError::IdTooLong { .. } => "id_too_long",
            ArgumentError::TooLong { field, .. } => match field {
                Field::Title => "too_long_title",
                Field::Description => "too_long_description",
                Field::Reason => "too_long_reason",
                Field::Text => "too_long_text",
                Field::Link => "too_long_link",
            },
        },
        CommandError::NotAllowed { .. } => "not_allowed",
        CommandError::NotChair { .. } => "not_chair",
        CommandError::TooManyCommands { .. } => "too_many_commands",
        CommandError::Unavailable => "unavailable",
    }
}

/// Every refusal a command can meet, in both languages.
#[test]
fn every_command_error() {
    let too_long = |command, field, length, max| {
        CommandError::arguments(command, ArgumentError::TooLong { field, length, max })
    };
    let errors = [
        CommandError::Unknown("!pnig".to_owned()),
        CommandError::UnknownSubcommand {
            command: CommandId::Agenda,
            given: "löschen".to_owned(),
        },
        CommandError::arguments(CommandId::Ping, ArgumentError::Unexpected),
        CommandError::arguments(CommandId::AgendaReject, ArgumentError::Usage),
        CommandError::arguments(CommandId::Announce, ArgumentError::NotADate { given: None }),
        CommandError::arguments(
            CommandId::Action,
            ArgumentError::NotADate {
                given: Some("nächsten Donnerstag".to_owned()),
            },
        ),
        CommandError::arguments(
            CommandId::AgendaWithdraw,
            ArgumentError::NotANumber {
                given: "sieben".to_owned(),
            },
        ),
        CommandError::arguments(CommandId::Chair, ArgumentError::IdTooLong { length: 1_000 }),
        too_long(CommandId::AgendaAdd, Field::Title, 250, 200),
        too_long(CommandId::AgendaAdd, Field::Description, 4_100, 4_000),
        too_long(CommandId::AgendaReject, Field::Reason, 4_100, 4_000),
        too_long(CommandId::Info, Field::Text, 4_100, 4_000),
        too_long(CommandId::Link, Field::Link, 2_100, 2_048),
        CommandError::NotAllowed {
            command: CommandId::SubscribeRotate,
        },
        CommandError::NotChair {
            command: CommandId::Undo,
        },
        CommandError::TooManyCommands { max: 20 },
        CommandError::Unavailable,
    ];
    for (language, code) in [(Language::German, "de"), (Language::English, "en")] {
        for error in &errors {
            snapshot_rendered!(
                format!("error_{}_{code}", error_name(error)),
                render::command_error(language, error)
            );
        }
    }
    // User text quoted back stays text.
    let hostile = "<script>alert('x')</script> & <Titel>";
    for error in [
        CommandError::arguments(
            CommandId::MinutesApprove,
            ArgumentError::NotADate {
                given: Some(hostile.to_owned()),
            },
        ),
        CommandError::arguments(
            CommandId::Done,
            ArgumentError::NotANumber {
                given: hostile.to_owned(),
            },
        ),
    ] {
        snapshot_rendered!(
            format!("error_{}_hostile_de", error_name(&error)),
            render::command_error(Language::German, &error)
        );
    }
}

#[test]
fn no_meeting_on_a_date() {
    let date = chrono::NaiveDate::from_ymd_opt(2026, 12, 24).unwrap();
    snapshot_rendered!(
        "no_meeting_on_de",
        render::no_meeting_on(Language::German, date)
    );
    snapshot_rendered!(
        "no_meeting_on_en",
        render::no_meeting_on(Language::English, date)
    );
}

#[test]
fn hostile_command_names_are_escaped() {
    let Some(Err(error)) = convene::command::parse("!<img src=x onerror=alert(1)>") else {
        panic!("not parsed as an unknown command");
    };
    snapshot_rendered!(
        "hostile_de",
        render::command_error(Language::German, &error)
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
    use convene::proposal::{Proposal, ProposalStatus};
    use convene::render::{self, FanOutReport, RoomOutcome};
    use convene::schedule::{Meeting, Status};

    use crate::support::client_view::snapshot_rendered;
    use crate::support::config::{MONTHLY_VIDEOKONFERENZ, TestConfig};

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
                render::post(
                    language,
                    "IKONE DS",
                    m,
                    network.agenda(m),
                    render::Additions::default(),
                    kind,
                    late,
                )
            };
            snapshot_rendered!(
                format!("announcement_{code}"),
                post(&conference, PostKind::Announcement, false)
            );
            snapshot_rendered!(
                format!("announcement_workshop_{code}"),
                post(&workshop, PostKind::Announcement, false)
            );
            snapshot_rendered!(
                format!("announcement_late_{code}"),
                post(&conference, PostKind::Announcement, true)
            );
            snapshot_rendered!(
                format!("reminder_1d_{code}"),
                post(&conference, PostKind::Reminder(TimeDelta::days(1)), false)
            );
            // Sent late (on the meeting day, say): it names the start, not "morgen".
            snapshot_rendered!(
                format!("reminder_1d_late_{code}"),
                post(&conference, PostKind::Reminder(TimeDelta::days(1)), true)
            );
            snapshot_rendered!(
                format!("reminder_15m_{code}"),
                post(
                    &conference,
                    PostKind::Reminder(TimeDelta::minutes(15)),
                    false
                )
            );
            snapshot_rendered!(
                format!("announcement_moved_{code}"),
                post(&moved, PostKind::Announcement, false)
            );
            snapshot_rendered!(
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
                snapshot_rendered!(
                    format!("change_{kind}_{code}"),
                    render::change_notice(language, meeting, network.agenda(meeting), changes)
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
                (
                    "Vulkaneifel".to_owned(),
                    RoomOutcome::Retrying(Failure::Other(String::new())),
                ),
                (
                    "Worms".to_owned(),
                    RoomOutcome::GivenUp(GiveUp::KeptFailing(Failure::Other(
                        "M_UNKNOWN: \"boom\"".to_owned(),
                    ))),
                ),
            ],
            unconfirmed: vec![
                (
                    "Cochem-Zell".to_owned(),
                    vec!["matrix.cochem-zell.de".to_owned()],
                ),
                (
                    "Landau".to_owned(),
                    vec!["landau.de".to_owned(), "rlp.example".to_owned()],
                ),
            ],
        };
        for (language, code) in LANGUAGES {
            snapshot_rendered!(
                format!("next_{code}"),
                render::meeting_details(
                    language,
                    Some((&workshop, network.agenda(&workshop))),
                    render::Additions::default()
                )
            );
            snapshot_rendered!(
                format!("next_none_{code}"),
                render::meeting_details(language, None, render::Additions::default())
            );
            snapshot_rendered!(
                format!("schedule_{code}"),
                render::schedule_list(language, &upcoming)
            );
            snapshot_rendered!(
                format!("summary_{code}"),
                render::delivery_summary(language, &workshop, PostKind::Announcement, &report)
            );
            snapshot_rendered!(
                format!("follow_up_{code}"),
                render::follow_up_report(language, &workshop, &report)
            );
            snapshot_rendered!(
                format!("summary_minutes_{code}"),
                render::minutes_summary(language, &workshop.title, workshop.start, &report)
            );
            snapshot_rendered!(
                format!("missed_{code}"),
                render::missed_notice(language, &workshop)
            );
            let date = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
            snapshot_rendered!(
                format!("announce_ack_{code}"),
                render::announce_ack(language, date, std::slice::from_ref(&workshop))
            );
            snapshot_rendered!(
                format!("announce_ack_none_{code}"),
                render::announce_ack(language, date, &[])
            );
            snapshot_rendered!(
                format!("reload_errors_{code}"),
                render::reload_errors(language, &super::reload_errors())
            );
        }
    }

    #[test]
    fn hostile_titles_stay_text() {
        let network = network();
        let mut meeting = meeting(&network, "workshop-smart-city-2026");
        meeting.title = "<script>alert('x')</script> & \"Co\"\r\nBCC: evil".to_owned();
        meeting.note = Some("<b>laut</b>".to_owned());
        snapshot_rendered!(
            "announcement_hostile_de",
            render::post(
                Language::German,
                "IKONE <DS>",
                &meeting,
                None,
                render::Additions::default(),
                PostKind::Announcement,
                false
            )
        );
        let from_start = meeting.start.with_timezone(&Utc) - TimeDelta::days(1);
        snapshot_rendered!(
            "change_hostile_de",
            render::change_notice(
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
            )
        );
    }

    /// A network whose conference on 17 December 2026 has the largest agenda `convene check`
    /// accepts: 100 items of 200 characters, each with a speaker, role and municipality of 200.
    fn largest_agenda() -> (tempfile::TempDir, Network) {
        let long = |lead: String| {
            let mut text = lead;
            while text.chars().count() < 200 {
                text.push_str(" Digitalisierung");
            }
            text.chars().take(200).collect::<String>()
        };
        let mut agenda =
            "meeting:\n  series: videokonferenz\n  date: 2026-12-17\nitems:\n".to_owned();
        for n in 1..=100 {
            agenda.push_str(&format!(
                "  - title: \"{}\"\n    speaker: {{ name: \"{}\", role: \"{}\", municipality: \"{}\" }}\n",
                long(format!("Punkt {n}:")),
                long(format!("Person {n}")),
                long("Leitung".to_owned()),
                long("Kommune".to_owned()),
            ));
        }
        let dir = tempfile::tempdir().unwrap();
        let config = TestConfig::minimal()
            .with("agendas_dir: agendas\n")
            .with(MONTHLY_VIDEOKONFERENZ)
            .write(dir.path());
        std::fs::create_dir(dir.path().join("agendas")).unwrap();
        std::fs::write(dir.path().join("agendas/2026-12-17.yaml"), agenda).unwrap();
        let network = Network::load(&config).unwrap();
        (dir, network)
    }

    /// The bytes of a text as the content of an `m.notice`, serialized as it is sent.
    fn event_bytes(rendered: &render::Rendered) -> usize {
        serde_json::to_string(&serde_json::json!({
            "msgtype": "m.notice",
            "body": rendered.plain,
            "format": "org.matrix.custom.html",
            "formatted_body": rendered.html,
        }))
        .unwrap()
        .len()
    }

    /// An agenda within every bound made a 322,432-byte announcement, which the homeserver
    /// refuses (65,536 bytes at most): it is summarised, with the way to the full agenda, and
    /// fits — twice, for the edit that carries it twice.
    #[test]
    fn the_largest_agenda_is_summarised_to_fit_one_message() {
        let (_dir, network) = largest_agenda();
        let meeting = network.schedule.find("videokonferenz/2026-12-17").unwrap();
        let accepted = vec![accepted_proposal(); 3];
        let actions: Vec<convene::minutes::ActionItem> = (1..=40)
            .map(|id| convene::minutes::ActionItem {
                id,
                meeting_key: "videokonferenz/2026-11-19".to_owned(),
                meeting_start: "2026-11-19T09:00:00Z".parse().unwrap(),
                owner: convene::minutes::Owner::Municipality("Kaiserslautern".to_owned()),
                text: "Kosten ermitteln".to_owned(),
                due: NaiveDate::from_ymd_opt(2027, 1, 15),
                open: true,
            })
            .collect();
        let additions = render::Additions {
            accepted: &accepted,
            open_actions: &actions,
        };
        for (language, code) in LANGUAGES {
            let announcement = render::post(
                language,
                "IKONE DS",
                &meeting,
                network.agenda(&meeting),
                additions,
                PostKind::Announcement,
                false,
            );
            let bytes = event_bytes(&announcement);
            assert!(bytes <= 20_000, "{bytes} bytes");
            assert!(bytes > 15_000, "as much as fits: {bytes} bytes");
            snapshot_rendered!(format!("announcement_shortened_{code}"), announcement);
            let details = render::meeting_details(
                language,
                Some((&meeting, network.agenda(&meeting))),
                additions,
            );
            assert!(event_bytes(&details) <= 20_000);
        }
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
    const PAGE: &str = "https://convene.ikone-ds.de/rooms/0123456789abcdef0123456789abcdef01234567";
    for (language, code) in [(Language::German, "de"), (Language::English, "en")] {
        snapshot_rendered!(
            format!("subscribe_{code}"),
            subscribe(language, "IKONE DS", Some(&links), Some(PAGE), true, false)
        );
        snapshot_rendered!(
            format!("subscribe_rotated_{code}"),
            subscribe(language, "IKONE DS", Some(&links), Some(PAGE), true, true)
        );
        snapshot_rendered!(
            format!("subscribe_none_{code}"),
            subscribe(language, "IKONE DS", None, None, false, false)
        );
    }
}

/// `!web`: the organizers' page link, as given and after `!web rotate`; without a web server;
/// outside the organizers' room. (A member's `!web` is refused like every organizers' command:
/// `error_not_allowed_web_*`.)
#[test]
fn organizers_page_links() {
    use convene::render::organizers::WebAnswer;
    use convene::render::web_answer;
    const PAGE: &str =
        "https://convene.ikone-ds.de/organizers/0123456789abcdef0123456789abcdef01234567";
    for (language, code) in [(Language::German, "de"), (Language::English, "en")] {
        for (name, answer) in [
            (
                "web",
                WebAnswer::Link {
                    url: PAGE,
                    rotated: false,
                },
            ),
            (
                "web_rotated",
                WebAnswer::Link {
                    url: PAGE,
                    rotated: true,
                },
            ),
            ("web_none", WebAnswer::NoServer),
            ("web_wrong_room", WebAnswer::WrongRoom),
        ] {
            snapshot_rendered!(format!("{name}_{code}"), web_answer(language, answer));
        }
        snapshot_rendered!(
            format!("error_not_allowed_web_{code}"),
            render::command_error(
                language,
                &CommandError::NotAllowed {
                    command: CommandId::Web
                }
            )
        );
    }
}

mod proposals {
    //! The texts about members' agenda proposals, and the published agenda with accepted ones.

    use std::path::Path;

    use convene::i18n::Language;
    use convene::network::Network;
    use convene::posting::PostKind;
    use convene::proposal::{Proposal, ProposalStatus};
    use convene::render::{self, Outcome};

    use crate::support::client_view::snapshot_rendered;

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

    /// A title typed with a right-to-left override (stored before the bot neutralised input,
    /// or from an agenda file) is echoed without it, and right-to-left text is isolated, so the
    /// bot's own sentence keeps its direction.
    #[test]
    fn echoed_titles_cannot_turn_the_sentence_around() {
        let network = Network::load(Path::new("config/convene.example.yaml")).unwrap();
        let meeting = network.schedule.find("videokonferenz/2026-12-17").unwrap();
        let mut proposal = proposal(ProposalStatus::Open);
        proposal.title = "Haus\u{202E}halt \u{200B}שלום".to_owned();
        for language in [Language::German, Language::English] {
            let added = render::proposal_added(language, &proposal, &meeting);
            for text in [&added.plain, &added.html] {
                assert!(
                    !text.contains('\u{202E}') && !text.contains('\u{200B}'),
                    "{text}"
                );
                assert!(text.contains("\u{2068}Haushalt שלום\u{2069}"), "{text}");
            }
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
    fn no_such_part() {
        for (language, code) in [(Language::German, "de"), (Language::English, "en")] {
            for (name, parts) in [("none", 0), ("one", 1), ("two", 2)] {
                snapshot_rendered!(
                    format!("no_such_part_{name}_{code}"),
                    render::no_such_part(language, 7, 3, parts)
                );
            }
        }
    }

    #[test]
    fn accepting_into_a_part_the_meeting_lacks_is_refused() {
        assert_eq!(
            render::no_such_part(Language::German, 7, 99, 0).plain,
            "Der Termin ist nicht in Teile gegliedert; einen Teil 99 gibt es daher nicht. Nehmen Sie den Vorschlag ohne Angabe eines Teils an: !agenda accept 7"
        );
        assert_eq!(
            render::no_such_part(Language::English, 7, 99, 0).plain,
            "The meeting is not divided into parts, so there is no part 99. Accept the proposal without a part: !agenda accept 7"
        );
        assert_eq!(
            render::no_such_part(Language::German, 7, 3, 1).plain,
            "Der Termin hat nur einen Teil; einen Teil 3 gibt es nicht. Nehmen Sie den Vorschlag für Teil 1 an: !agenda accept 7 1"
        );
        assert_eq!(
            render::no_such_part(Language::English, 7, 3, 1).plain,
            "The meeting has only one part; there is no part 3. Accept the proposal for part 1: !agenda accept 7 1"
        );
        assert_eq!(
            render::no_such_part(Language::German, 7, 99, 2).plain,
            "Der Termin hat 2 Teile; einen Teil 99 gibt es nicht. Bitte wählen Sie Teil 1 bis 2, z. B. !agenda accept 7 1"
        );
        assert_eq!(
            render::no_such_part(Language::English, 7, 99, 2).plain,
            "The meeting has 2 parts; there is no part 99. Please choose part 1 to 2, e.g. !agenda accept 7 1"
        );
    }

    #[test]
    fn every_proposal_text() {
        let network = Network::load(Path::new("config/convene.example.yaml")).unwrap();
        let meeting = network.schedule.find("videokonferenz/2027-02-18").unwrap();
        let accepted = proposal(ProposalStatus::Accepted);
        for (language, code) in [(Language::German, "de"), (Language::English, "en")] {
            let open = proposal(ProposalStatus::Open);
            snapshot_rendered!(
                format!("added_{code}"),
                render::proposal_added(language, &open, &meeting)
            );
            snapshot_rendered!(
                format!("too_many_{code}"),
                render::too_many_proposals(language, 5)
            );
            snapshot_rendered!(
                format!("no_such_{code}"),
                render::no_such_proposal(language, 9)
            );
            snapshot_rendered!(
                format!("cannot_{code}"),
                render::cannot_propose(language, false)
            );
            snapshot_rendered!(
                format!("cannot_no_meeting_{code}"),
                render::cannot_propose(language, true)
            );
            snapshot_rendered!(
                format!("list_all_{code}"),
                render::proposal_list(language, &[open.clone(), accepted.clone()], true)
            );
            snapshot_rendered!(
                format!("list_empty_{code}"),
                render::proposal_list(language, &[], false)
            );
            snapshot_rendered!(
                format!("list_{code}"),
                render::proposal_list(
                    language,
                    &[
                        open.clone(),
                        accepted.clone(),
                        proposal(ProposalStatus::Rejected)
                    ],
                    false
                )
            );
            for (name, outcome) in [
                ("accepted", Outcome::Accepted(&meeting)),
                ("rejected", Outcome::Rejected),
                ("deferred", Outcome::Deferred(&meeting)),
                ("withdrawn", Outcome::Withdrawn),
            ] {
                snapshot_rendered!(
                    format!("outcome_{name}_{code}"),
                    render::proposal_outcome(language, &open, outcome)
                );
            }
            snapshot_rendered!(
                format!("announcement_with_proposal_{code}"),
                render::post(
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
                )
            );
        }
    }
}

/// The README's command tables list every command of the bot's table, in its role's section,
/// written as `!help` writes it in English.
#[test]
fn readme_lists_every_command_in_its_section() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("### Commands").unwrap();
    let chairs = readme
        .find("For the chairs of the minutes being recorded:")
        .unwrap();
    let organizers = readme.find("For the organizers:").unwrap();
    let end = readme[organizers..].find("\n## ").unwrap() + organizers;
    for &id in CommandId::ALL {
        let usage = format!("| `{}` |", id.spec().usage(Language::English));
        let at = readme[start..end]
            .find(&usage)
            .unwrap_or_else(|| panic!("README lacks {usage}"))
            + start;
        let section = match id.spec().role {
            Role::Member => start..chairs,
            Role::Chair => chairs..organizers,
            Role::Organizer => organizers..end,
        };
        assert!(section.contains(&at), "{usage} is in the wrong section");
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
        if let Some(report) = crate::support::client_view::compare(&rendered) {
            panic!("{report}");
        }
    }
}

/// 300 errors in one agenda file, as a failed reload reports them.
fn many_reload_errors(count: usize) -> convene::diagnostic::Diagnostics {
    use convene::diagnostic::{Diagnostic, Location};
    use convene::text;
    (1..=count)
        .map(|line| Diagnostic {
            file: std::path::PathBuf::from("agendas/2026-12-17.yaml"),
            location: Some(Location { line, column: 15 }),
            path: Some(format!("items[{}].duration", line - 1)),
            message: text!(
                de: "`{line} Stunden` ist keine Dauer",
                en: "`{line} Stunden` is not a duration",
            ),
            hint: Some(text!(
                de: "schreiben Sie Minuten oder Stunden, z. B. `30m` oder `1h30m`",
                en: "write minutes or hours, e.g. `30m` or `1h30m`",
            )),
        })
        .collect::<Vec<_>>()
        .into()
}

/// 300 errors made a 94,033-byte notice, which the homeserver refuses, so the organizers never
/// learned why their file was refused: the notice shows the first of them and how many more
/// `convene check` shows.
#[test]
fn the_reload_notice_shows_the_first_errors_and_counts_the_rest() {
    let errors = many_reload_errors(300);
    for (language, code) in [(Language::German, "de"), (Language::English, "en")] {
        let rendered = render::reload_errors(language, &errors);
        let bytes = serde_json::to_string(&serde_json::json!({
            "msgtype": "m.notice",
            "body": rendered.plain,
            "format": "org.matrix.custom.html",
            "formatted_body": rendered.html,
        }))
        .unwrap()
        .len();
        assert!(bytes <= 20_000, "{bytes} bytes");
        snapshot_rendered!(format!("reload_errors_capped_{code}"), rendered);
    }
    let german = render::reload_errors(Language::German, &errors);
    assert!(
        german
            .plain
            .contains("agendas/2026-12-17.yaml:12:15: Fehler")
    );
    assert!(!german.plain.contains("agendas/2026-12-17.yaml:13:15"));
    assert!(
        german
            .plain
            .ends_with("\n… und 288 weitere – `convene check` zeigt alle."),
        "{}",
        german.plain
    );
    let english = render::reload_errors(Language::English, &errors);
    assert!(
        english
            .plain
            .ends_with("\n… and 288 more — run `convene check` to see all."),
        "{}",
        english.plain
    );
    // Up to a dozen, every error and nothing more.
    let twelve = render::reload_errors(Language::German, &many_reload_errors(12));
    assert!(twelve.plain.contains(":12:15:") && !twelve.plain.contains("weitere"));
}

mod polls {
    //! The texts of a workshop's date poll, built from the shipped example agenda with
    //! candidates, with a fixed tally.

    use std::collections::BTreeSet;
    use std::path::Path;

    use chrono::{DateTime, Utc};
    use convene::i18n::Language;
    use convene::network::Network;
    use convene::poll::{PollDraft, Response, Tally, Vote, tally};
    use convene::render::{self, Rendered};

    use crate::support::client_view::{self, snapshot_rendered};

    const LANGUAGES: [(Language, &str); 2] = [(Language::German, "de"), (Language::English, "en")];

    fn draft() -> PollDraft {
        let network = Network::load(Path::new("config/convene.example.yaml")).unwrap();
        network
            .agendas
            .polls
            .iter()
            .find(|poll| poll.id == "workshop-open-data")
            .expect("the example agenda with candidates")
            .clone()
    }

    fn rooms() -> Vec<(String, String)> {
        [
            ("!kl", "Kaiserslautern"),
            ("!bp", "Eifelkreis Bitburg-Prüm"),
            ("!my", "Mayen-Koblenz"),
        ]
        .into_iter()
        .map(|(key, name)| (key.to_owned(), name.to_owned()))
        .collect()
    }

    fn vote(event: &str, room: &str, user: &str, answers: &[usize]) -> Vote {
        let at: DateTime<Utc> = "2027-01-10T09:00:00Z".parse().unwrap();
        Vote {
            event_id: event.to_owned(),
            room: room.to_owned(),
            user: user.to_owned(),
            response: Response::Valid(answers.iter().copied().collect::<BTreeSet<_>>()),
            at,
        }
    }

    /// Kaiserslautern (two members) can make 1, 2 and 3, Bitburg-Prüm only 1; Mayen-Koblenz
    /// has not answered.
    fn some_answers(rooms: &[(String, String)]) -> Tally {
        tally(
            3,
            rooms,
            &[
                vote("$a", "!kl", "@anna:kl", &[0, 2]),
                vote("$b", "!kl", "@bernd:kl", &[1]),
                vote("$c", "!bp", "@clara:bp", &[0]),
            ],
        )
    }

    #[test]
    fn every_poll_text() {
        let draft = draft();
        let rooms = rooms();
        let tally = some_answers(&rooms);
        let none = convene::poll::tally(3, &rooms, &[]);
        for (language, code) in LANGUAGES {
            insta::assert_snapshot!(
                format!("poll_question_{code}"),
                render::poll_question(language, &draft)
            );
            insta::assert_snapshot!(
                format!("poll_answers_{code}"),
                draft
                    .slots
                    .iter()
                    .map(|slot| render::poll_answer(language, slot))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            snapshot_rendered!(
                format!("poll_fallback_{code}"),
                render::poll_fallback(language, &draft)
            );
            snapshot_rendered!(
                format!("poll_reminder_{code}"),
                render::poll_reminder(language, &draft)
            );
            snapshot_rendered!(
                format!("vote_recorded_{code}"),
                render::vote_recorded(language, &[0, 2], &draft.slots)
            );
            snapshot_rendered!(
                format!("vote_withdrawn_{code}"),
                render::vote_withdrawn(language)
            );
            snapshot_rendered!(
                format!("no_open_poll_{code}"),
                render::no_open_poll(language)
            );
            snapshot_rendered!(
                format!("no_such_slot_{code}"),
                render::no_such_slot(language, 5, 3)
            );
            snapshot_rendered!(
                format!("poll_overdue_{code}"),
                render::poll_overdue(language, &draft, &tally)
            );
            snapshot_rendered!(
                format!("poll_overdue_no_answers_{code}"),
                render::poll_overdue(language, &draft, &none)
            );
            snapshot_rendered!(
                format!("poll_too_late_{code}"),
                render::poll_too_late(language, &draft)
            );
            snapshot_rendered!(
                format!("poll_closed_{code}"),
                render::poll_closed(language, &draft, &draft.slots[1])
            );
            snapshot_rendered!(
                format!("poll_decided_{code}"),
                render::poll_decided(language, &draft, &draft.slots[1])
            );
            snapshot_rendered!(
                format!("poll_decision_invalid_{code}"),
                render::poll_decision_invalid(
                    language,
                    &draft,
                    &convene::poll::InvalidDecision::OutOfRange(
                        "9999-12-31T23:30:00Z".parse().unwrap()
                    )
                )
            );
            snapshot_rendered!(
                format!("poll_decision_invalid_slot_{code}"),
                render::poll_decision_invalid(
                    language,
                    &draft,
                    &convene::poll::InvalidDecision::NoSuchSlot { slot: 98, count: 3 }
                )
            );
            let rendered = render::poll_tally(language, &draft, &tally, rooms.len());
            assert_tally_visible(&rendered);
            insta::assert_snapshot!(format!("poll_tally_{code}"), client_view::show(&rendered));
            let rendered = render::poll_tally(language, &draft, &none, rooms.len());
            assert_tally_visible(&rendered);
            insta::assert_snapshot!(
                format!("poll_tally_no_answers_{code}"),
                client_view::show(&rendered)
            );
        }
    }

    /// A vote with no slot of the poll is the "none of them" reply.
    #[test]
    fn a_vote_for_nothing_is_the_withdrawal() {
        let draft = draft();
        for (language, _) in LANGUAGES {
            let withdrawn = render::vote_withdrawn(language);
            assert_eq!(
                render::vote_recorded(language, &[], &draft.slots),
                withdrawn
            );
            assert_eq!(
                render::vote_recorded(language, &[7], &draft.slots),
                withdrawn
            );
        }
    }

    /// The tally's plain body lists per slot what its HTML shows as a table, so the two differ
    /// in layout: every line of the plain body is visible in the client all the same (a slot's
    /// line as its slot and its count, the room names as column heads), and the sanitizer
    /// keeps the table.
    fn assert_tally_visible(rendered: &Rendered) {
        let shown = client_view::normalize(&client_view::visible_text(&rendered.html));
        for line in rendered.plain.lines() {
            let line = client_view::normalize(line);
            let parts: Vec<&str> = match line.split_once(": ") {
                // "1. Mittwoch, …, 10:00–13:00 Uhr: 2 von 3 Kommunen (A, B)"
                Some((slot, count)) if slot.starts_with(|c: char| c.is_ascii_digit()) => {
                    let (count, names) = count.split_once(" (").unwrap_or((count, ""));
                    let mut parts = vec![slot, count];
                    parts.extend(
                        names
                            .trim_end_matches(')')
                            .split(", ")
                            .filter(|n| !n.is_empty()),
                    );
                    parts
                }
                _ => vec![line.as_str()],
            };
            for part in parts {
                assert!(shown.contains(part), "{part:?} not visible in {shown:?}");
            }
        }
        let sanitized = client_view::sanitize(&rendered.html);
        for tag in ["<table>", "<thead>", "<tbody>", "<tr>", "<th>", "<td>"] {
            assert_eq!(
                sanitized.matches(tag).count(),
                rendered.html.matches(tag).count(),
                "{tag} in {sanitized}"
            );
        }
    }

    /// A hostile workshop title and room name stay text in every poll message.
    #[test]
    fn hostile_titles_stay_text() {
        let mut draft = draft();
        draft.title = "<Titel> & \"x\"\r\nBCC: evil".to_owned();
        draft.note = Some("<b>laut</b> & <i>klar</i>".to_owned());
        let mut rooms = rooms();
        rooms[0].1 = "<img src=x onerror=alert(1)> & Co".to_owned();
        let tally = some_answers(&rooms);
        for (language, code) in LANGUAGES {
            let question = render::poll_question(language, &draft);
            assert!(question.contains("<Titel> & \"x\" BCC: evil"), "{question}");
            assert!(!question.contains('\n'), "{question}");
            let fallback = render::poll_fallback(language, &draft);
            snapshot_rendered!(format!("poll_fallback_hostile_{code}"), fallback);
            let shown = client_view::visible_text(&fallback.html);
            assert!(shown.contains("<Titel> & \"x\" BCC: evil"), "{shown}");
            assert!(shown.contains("<b>laut</b> & <i>klar</i>"), "{shown}");
            for rendered in [
                render::poll_reminder(language, &draft),
                render::poll_overdue(language, &draft, &tally),
                render::poll_too_late(language, &draft),
                render::poll_closed(language, &draft, &draft.slots[0]),
                render::poll_decided(language, &draft, &draft.slots[0]),
            ] {
                client_view::assert_client_shows_plain(&rendered);
                let shown = client_view::visible_text(&rendered.html);
                assert!(
                    shown.contains("<Titel> & ‚x‘ BCC: evil")
                        || shown.contains("<Titel> & ‘x’ BCC: evil"),
                    "{shown}"
                );
            }
            let rendered = render::poll_tally(language, &draft, &tally, rooms.len());
            assert_tally_visible(&rendered);
            let shown = client_view::visible_text(&rendered.html);
            assert!(
                shown.contains("<img src=x onerror=alert(1)> & Co"),
                "{shown}"
            );
            assert!(!rendered.html.contains("<img"), "{}", rendered.html);
        }
    }
}
