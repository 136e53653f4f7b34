//! The parser's tests: every command and its arguments parsed from chat text, the refusals with
//! their exact texts, and the limits on what one message may ask.

use super::*;
use crate::i18n::Language;

fn usage(command: CommandId) -> Option<Result<Command, CommandError>> {
    Some(Err(CommandError::arguments(command, ArgumentError::Usage)))
}

#[test]
fn parses_commands_case_insensitively() {
    assert_eq!(parse("!ping"), Some(Ok(Command::Ping)));
    assert_eq!(parse("  !PING  "), Some(Ok(Command::Ping)));
    assert_eq!(parse("!help"), Some(Ok(Command::Help(None))));
    assert_eq!(parse("!hilfe"), Some(Ok(Command::Help(None))));
    assert_eq!(
        parse("!Tagesordnung NEU Glasfaser"),
        Some(Ok(Command::Agenda(AgendaCommand::Add {
            title: "Glasfaser".to_owned(),
            description: None
        })))
    );
}

#[test]
fn about_takes_no_arguments_and_has_german_names() {
    for text in ["!about", "!ABOUT", "!über", "!Über", "!ueber"] {
        assert_eq!(parse(text), Some(Ok(Command::About)), "{text}");
    }
    assert_eq!(
        parse("!about convene"),
        Some(Err(CommandError::arguments(
            CommandId::About,
            ArgumentError::Unexpected
        )))
    );
    assert_eq!(
        parse("!help about"),
        Some(Ok(Command::Help(Some(CommandId::About))))
    );
    assert_eq!(
        parse("!hilfe !über"),
        Some(Ok(Command::Help(Some(CommandId::About))))
    );
    assert_eq!(Command::About.role(), Role::Member);
}

#[test]
fn ordinary_chat_is_no_command() {
    assert_eq!(parse("Guten Morgen!"), None);
    assert_eq!(parse("! "), None);
    assert_eq!(parse(""), None);
}

#[test]
fn unknown_commands_and_arguments_are_errors() {
    assert_eq!(
        parse("!pong"),
        Some(Err(CommandError::Unknown("!pong".to_owned())))
    );
    assert_eq!(
        parse("!ping now"),
        Some(Err(CommandError::arguments(
            CommandId::Ping,
            ArgumentError::Unexpected
        )))
    );
    let long = format!("!{}", "x".repeat(1000));
    assert_eq!(
        parse(&long),
        Some(Err(CommandError::Unknown(long.chars().take(32).collect())))
    );
    assert_eq!(
        parse("!subscribe bitte"),
        Some(Err(CommandError::UnknownSubcommand {
            command: CommandId::Subscribe,
            given: "bitte".to_owned()
        }))
    );
}

#[test]
fn reply_fallbacks_are_skipped() {
    assert_eq!(
        parse("> <@anna:example.org> Ist der Bot da?\n\n!ping"),
        Some(Ok(Command::Ping))
    );
}

#[test]
fn agenda_subcommands() {
    let agenda = |text: &str| parse(text).unwrap();
    assert_eq!(agenda("!agenda"), Ok(Command::Agenda(AgendaCommand::Show)));
    assert_eq!(
        agenda("!agenda add Interne Kommunikation — Erfahrungen aus dem Lockdown"),
        Ok(Command::Agenda(AgendaCommand::Add {
            title: "Interne Kommunikation".to_owned(),
            description: Some("Erfahrungen aus dem Lockdown".to_owned()),
        }))
    );
    assert_eq!(
        agenda("!agenda add <b>fett</b>"),
        Ok(Command::Agenda(AgendaCommand::Add {
            title: "<b>fett</b>".to_owned(),
            description: None,
        }))
    );
    assert_eq!(
        agenda("!agenda accept 7 2"),
        Ok(Command::Agenda(AgendaCommand::Accept {
            number: 7,
            part: Some(2)
        }))
    );
    assert_eq!(
        agenda("!agenda reject #7 passt nicht zum Thema"),
        Ok(Command::Agenda(AgendaCommand::Reject {
            number: 7,
            reason: "passt nicht zum Thema".to_owned()
        }))
    );
    assert_eq!(
        agenda("!agenda withdraw sieben"),
        Err(CommandError::arguments(
            CommandId::AgendaWithdraw,
            ArgumentError::NotANumber {
                given: "sieben".to_owned()
            }
        ))
    );
    assert_eq!(
        agenda("!agenda reject 7"),
        usage(CommandId::AgendaReject).unwrap()
    );
    assert_eq!(
        agenda(&format!("!agenda add {}", "x".repeat(201))),
        Err(CommandError::arguments(
            CommandId::AgendaAdd,
            ArgumentError::TooLong {
                field: Field::Title,
                length: 201,
                max: 200
            }
        ))
    );
    assert_eq!(
        agenda("!agenda frobnicate 3"),
        Err(CommandError::UnknownSubcommand {
            command: CommandId::Agenda,
            given: "frobnicate".to_owned()
        })
    );
}

#[test]
fn every_command_of_a_message_is_parsed_in_order() {
    let parsed = parse_all(
        "!topic\n!info Erste Zeile\nzweite Zeile\n!action Kaiserslautern Kosten ermitteln due 15.01.2027\n!nope\n!undo",
    )
    .unwrap();
    assert_eq!(
        parsed,
        vec![
            Ok(Command::Record(Recording::Topic(None))),
            Ok(Command::Record(Recording::Info(
                "Erste Zeile\nzweite Zeile".to_owned()
            ))),
            Ok(Command::Record(Recording::Action(ActionArguments {
                owner_and_task: "Kaiserslautern Kosten ermitteln".to_owned(),
                due: NaiveDate::from_ymd_opt(2027, 1, 15),
            }))),
            Err(CommandError::Unknown("!nope".to_owned())),
            Ok(Command::Record(Recording::Undo)),
        ]
    );
    assert_eq!(parse_all("Guten Morgen\n!ping"), None);
    assert_eq!(
        parse_all(&"!ping\n".repeat(21)),
        Some(vec![Err(CommandError::TooManyCommands { max: 20 })])
    );
}

#[test]
fn minutes_commands_and_their_mistakes() {
    assert_eq!(
        parse("!minutes edit 4 Neuer Text"),
        Some(Ok(Command::Minutes(MinutesCommand::Edit {
            number: 4,
            text: "Neuer Text".to_owned()
        })))
    );
    assert_eq!(
        parse("!minutes approve 17.12.2026"),
        Some(Ok(Command::Minutes(MinutesCommand::Approve(
            NaiveDate::from_ymd_opt(2026, 12, 17)
        ))))
    );
    assert_eq!(
        parse("!minutes end"),
        Some(Ok(Command::Record(Recording::End)))
    );
    assert_eq!(parse("!action Kaiserslautern"), usage(CommandId::Action));
    assert_eq!(
        parse("!action Kaiserslautern Portal due morgen"),
        Some(Err(CommandError::arguments(
            CommandId::Action,
            ArgumentError::NotADate {
                given: Some("morgen".to_owned())
            }
        )))
    );
    assert_eq!(
        parse("!minutes approve morgen"),
        Some(Err(CommandError::arguments(
            CommandId::MinutesApprove,
            ArgumentError::NotADate {
                given: Some("morgen".to_owned())
            }
        )))
    );
    assert_eq!(
        parse("!link javascript:alert(1) Klick"),
        usage(CommandId::Link)
    );
    // A link is at most 2048 bytes as written out; the title defaults to it.
    let link = format!("https://example.org/{}", "a".repeat(2_048 - 20));
    assert!(matches!(
        parse(&format!("!link {link} Leitfaden")),
        Some(Ok(Command::Record(_)))
    ));
    assert_eq!(
        parse(&format!("!link {link}ä Leitfaden")),
        Some(Err(CommandError::arguments(
            CommandId::Link,
            ArgumentError::TooLong {
                field: Field::Link,
                length: 2_054,
                max: 2_048
            }
        )))
    );
    assert_eq!(parse("!chair anna"), usage(CommandId::Chair));
    assert_eq!(parse("!done #3"), Some(Ok(Command::Done(3))));
    assert_eq!(
        parse("!actions alle"),
        Some(Ok(Command::Actions { all: true }))
    );
    assert!(matches!(
        parse(&format!("!info {}", "x".repeat(4_001))),
        Some(Err(CommandError::Arguments {
            command: CommandId::Info,
            error: ArgumentError::TooLong { max: 4_000, .. }
        }))
    ));
}

#[test]
fn announce_takes_a_date_in_either_form() {
    let date = NaiveDate::from_ymd_opt(2026, 12, 17).unwrap();
    assert_eq!(
        parse("!announce 2026-12-17"),
        Some(Ok(Command::Announce(date)))
    );
    assert_eq!(
        parse("!announce 17.12.2026"),
        Some(Ok(Command::Announce(date)))
    );
    assert_eq!(
        parse("!announce morgen"),
        Some(Err(CommandError::arguments(
            CommandId::Announce,
            ArgumentError::NotADate {
                given: Some("morgen".to_owned())
            }
        )))
    );
    assert_eq!(
        parse("!announce"),
        Some(Err(CommandError::arguments(
            CommandId::Announce,
            ArgumentError::NotADate { given: None }
        )))
    );
}

#[test]
fn help_names_one_command_or_its_family() {
    assert_eq!(
        parse("!help agenda add"),
        Some(Ok(Command::Help(Some(CommandId::AgendaAdd))))
    );
    assert_eq!(
        parse("!help !Tagesordnung"),
        Some(Ok(Command::Help(Some(CommandId::Agenda))))
    );
    assert_eq!(parse("!help frob"), usage(CommandId::Help));
    assert_eq!(
        CommandId::AgendaAdd.with_subcommands().first(),
        Some(&CommandId::Agenda)
    );
    assert_eq!(CommandId::AgendaAccept.family(), CommandId::Agenda);
}

/// The table and the enum agree: every entry's examples parse to a command of that entry, in
/// both languages, and its usage is written in the reader's language.
#[test]
fn every_entry_has_a_working_example_and_usage() {
    for &id in CommandId::ALL {
        let spec = id.spec();
        for language in [Language::German, Language::English] {
            let example = spec.example.get(language);
            match parse(example) {
                Some(Ok(command)) => assert_eq!(command.id(), id, "{example}"),
                other => panic!("the example {example:?} of {id:?} gives {other:?}"),
            }
            assert!(!spec.summary.get(language).is_empty(), "{id:?}");
            let usage = spec.usage(language);
            assert!(usage.starts_with(&id.name()), "{usage}");
        }
        let english = spec.usage(Language::English);
        for german in [
            "Titel", "Nr.", "Datum", "Kommune", "Nutzer", "Aufgabe", "bis", "Teil",
        ] {
            assert!(!english.contains(german), "{english} is half German");
        }
        assert_eq!(
            CommandId::ALL.iter().filter(|other| **other == id).count(),
            1
        );
        assert_eq!(
            CommandId::ALL
                .iter()
                .filter(|other| other.name() == id.name())
                .count(),
            1,
            "two entries named {}",
            id.name()
        );
    }
}

/// A name belongs to one command; a subcommand's names never shadow another's.
#[test]
fn names_are_unambiguous() {
    let mut seen = std::collections::BTreeMap::new();
    for &id in CommandId::ALL {
        let spec = id.spec();
        for name in spec.names {
            assert!(!name.starts_with('!') && *name == name.to_lowercase());
            for sub in spec
                .sub
                .iter()
                .copied()
                .chain(spec.sub.is_empty().then_some(""))
            {
                if let Some(other) = seen.insert((*name, sub), id) {
                    panic!("{name} {sub} names {other:?} and {id:?}");
                }
            }
        }
    }
}

#[test]
fn bidi_overrides_and_invisible_characters_never_reach_a_command() {
    assert_eq!(
        parse("!agenda add Haus\u{202E}halt\u{200B}"),
        Some(Ok(Command::Agenda(AgendaCommand::Add {
            title: "Haushalt".to_owned(),
            description: None
        })))
    );
    assert_eq!(
        parse_all("!info a\u{2066}b"),
        Some(vec![Ok(Command::Record(Recording::Info("ab".to_owned())))])
    );
}

#[test]
fn votes_take_slot_numbers_or_none() {
    let slots = |numbers: &[usize]| Ok(Command::Vote(numbers.iter().copied().collect()));
    assert_eq!(parse("!vote 1 3").unwrap(), slots(&[1, 3]));
    assert_eq!(parse("!abstimmen 3, 1,#3  1").unwrap(), slots(&[1, 3]));
    assert_eq!(parse("!vote 12").unwrap(), slots(&[12]));
    for none in ["!vote none", "!vote keine", "!ABSTIMMEN Keine"] {
        assert_eq!(parse(none).unwrap(), slots(&[]), "{none}");
    }
    assert_eq!(parse("!vote"), usage(CommandId::Vote));
    for (text, given) in [
        ("!vote 0", "0"),
        ("!vote 13", "13"),
        ("!vote 1 zwei", "zwei"),
        ("!vote 1 none", "none"),
        ("!vote -1", "-1"),
    ] {
        assert_eq!(
            parse(text),
            Some(Err(CommandError::arguments(
                CommandId::Vote,
                ArgumentError::NotANumber {
                    given: given.to_owned()
                }
            ))),
            "{text}"
        );
    }
    assert_eq!(Command::Vote(BTreeSet::new()).role(), Role::Member);
}

#[test]
fn poll_shows_and_decides() {
    assert_eq!(
        parse("!poll").unwrap(),
        Ok(Command::Poll(PollCommand::Show))
    );
    assert_eq!(
        parse("!umfrage").unwrap(),
        Ok(Command::Poll(PollCommand::Show))
    );
    assert_eq!(
        parse("!poll decide 2").unwrap(),
        Ok(Command::Poll(PollCommand::Decide {
            poll: None,
            slot: 2
        }))
    );
    assert_eq!(
        parse("!Umfrage Entscheiden smart-city #2").unwrap(),
        Ok(Command::Poll(PollCommand::Decide {
            poll: Some("smart-city".to_owned()),
            slot: 2
        }))
    );
    // An id of digits alone is still the id when two words are given.
    assert_eq!(
        parse("!poll decide 2027 1").unwrap(),
        Ok(Command::Poll(PollCommand::Decide {
            poll: Some("2027".to_owned()),
            slot: 1
        }))
    );
    for text in [
        "!poll decide",
        "!poll decide Smart-City 2",
        "!poll decide a b c",
    ] {
        assert_eq!(parse(text), usage(CommandId::PollDecide), "{text}");
    }
    assert_eq!(
        parse("!poll decide smart-city 13"),
        Some(Err(CommandError::arguments(
            CommandId::PollDecide,
            ArgumentError::NotANumber {
                given: "13".to_owned()
            }
        )))
    );
    assert_eq!(
        parse("!poll smart-city"),
        Some(Err(CommandError::UnknownSubcommand {
            command: CommandId::Poll,
            given: "smart-city".to_owned()
        }))
    );
    assert_eq!(Command::Poll(PollCommand::Show).role(), Role::Organizer);
    assert_eq!(CommandId::PollDecide.spec().role, Role::Organizer);
    assert_eq!(
        CommandId::PollDecide.spec().german_name().as_deref(),
        Some("!umfrage entscheiden")
    );
    assert_eq!(
        CommandId::Vote.spec().german_name().as_deref(),
        Some("!abstimmen")
    );
}

#[test]
fn matrix_ids_longer_than_matrix_allows_are_refused() {
    // 255 bytes with the sigil and the server name: the longest id Matrix allows.
    let id = |length: usize| format!("@{}:example.org", "a".repeat(length - 13));
    assert_eq!(id(255).len(), 255);
    assert!(matches!(
        parse(&format!("!chair {}", id(255))),
        Some(Ok(Command::Record(Recording::Chair(_))))
    ));
    for length in [256, 100_000] {
        assert_eq!(
            parse(&format!("!chair {}", id(length))),
            Some(Err(CommandError::arguments(
                CommandId::Chair,
                ArgumentError::IdTooLong { length }
            ))),
            "{length}"
        );
        assert_eq!(
            parse(&format!(
                "!action {} Folien senden bis 15.01.2027",
                id(length)
            )),
            Some(Err(CommandError::arguments(
                CommandId::Action,
                ArgumentError::IdTooLong { length }
            ))),
            "{length}"
        );
    }
    assert!(matches!(
        parse(&format!("!action {} Folien senden", id(255))),
        Some(Ok(Command::Record(Recording::Action(_))))
    ));
    // The exact answer, in both languages.
    let error =
        CommandError::arguments(CommandId::Chair, ArgumentError::IdTooLong { length: 1_000 });
    assert_eq!(
        crate::render::command_error(Language::German, &error).plain,
        "Die Matrix-ID ist 1.000 Bytes lang; Matrix erlaubt höchstens 255 Bytes (mit @ und Servername). So wird der Befehl geschrieben: !chair <@nutzer:server>\nBeispiel: !chair @anna.schmidt:kaiserslautern.de"
    );
    assert_eq!(
        crate::render::command_error(Language::English, &error).plain,
        "The Matrix ID has 1000 bytes; Matrix allows at most 255 (with the @ and the server name). This is how to write it: !chair <@user:server>\nExample: !chair @anna.schmidt:kaiserslautern.de"
    );
}
