//! Property tests of one promise: whatever `convene check` accepts, the schedule and the
//! calendar handle — without a panic, in bounded time, with well-formed output that real
//! calendar parsers read, date polls included (their texts, deadlines and, decided, their
//! meeting) — and whatever it refuses, it refuses with `file:line:col`. Also: no
//! chat message, however hostile, panics the command parser.
//!
//! The case count is bounded for the normal test run (`CONVENE_PROPTEST_CASES`, default 48);
//! `scripts/proptest-long` runs many more.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use convene::i18n::Language;
use convene::ical::{self, Links, Selection};
use convene::network::Network;
use convene::poll::{self, Slot};
use convene::render;
use proptest::prelude::*;
use proptest::test_runner::{Config as RunnerConfig, TestCaseError, TestRunner};

use crate::support::config::TestConfig;

/// How long an accepted configuration may take to expand and render.
const TIME_BOUND: Duration = Duration::from_secs(3);

fn cases() -> u32 {
    std::env::var("CONVENE_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(48)
}

/// A value from a list of interesting ones.
fn one_of(values: &'static [&'static str]) -> BoxedStrategy<String> {
    proptest::sample::select(values)
        .prop_map(str::to_owned)
        .boxed()
}

/// `valid` alone, or — for a case that goes beyond the limits — mostly `valid` and sometimes
/// one of `beyond_values`.
fn field(
    beyond: bool,
    valid: BoxedStrategy<String>,
    beyond_values: &'static [&'static str],
) -> BoxedStrategy<String> {
    if beyond {
        prop_oneof![6 => valid, 1 => one_of(beyond_values)].boxed()
    } else {
        valid
    }
}

fn date(beyond: bool) -> BoxedStrategy<String> {
    let valid = (1970i32..2200, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
        .boxed();
    let edges = &[
        "0001-01-01",
        "+262142-12-01",
        "9999-12-31",
        "2026-02-30",
        "2026-03-29",
        "2026-10-25",
        "1969-12-31",
        "2201-01-01",
    ];
    field(beyond, valid, edges)
}

fn time(beyond: bool) -> BoxedStrategy<String> {
    let valid = (0u32..24, 0u32..60)
        .prop_map(|(h, m)| format!("{h:02}:{m:02}"))
        .boxed();
    let edges = &[
        "23:59:60", "24:00", "02:30", "02:30:00", "25:00", "-1:00", "10:00:61",
    ];
    field(beyond, valid, edges)
}

fn duration(beyond: bool) -> BoxedStrategy<String> {
    let valid = (1u64..600).prop_map(|m| format!("{m}m")).boxed();
    let edges = &[
        "100000000d",
        "9223372036854775807s",
        "0m",
        "25h",
        "24h",
        "1d",
        "366d",
        "1h30m",
    ];
    field(beyond, valid, edges)
}

fn reminder(beyond: bool) -> BoxedStrategy<String> {
    let valid = prop_oneof![
        (1u64..30).prop_map(|d| format!("{d}d")),
        (1u64..600).prop_map(|m| format!("{m}m")),
    ]
    .boxed();
    field(beyond, valid, &["100000000d", "367d", "366d", "0m"])
}

fn rule(beyond: bool) -> BoxedStrategy<String> {
    let frequency = field(
        beyond,
        one_of(&["WEEKLY", "MONTHLY"]),
        &["DAILY", "YEARLY", "HOURLY", "SECONDLY"],
    );
    let interval = field(
        beyond,
        prop_oneof![
            Just(String::new()),
            (1u64..20).prop_map(|i| format!(";INTERVAL={i}"))
        ]
        .boxed(),
        &[
            ";INTERVAL=4294967295",
            ";INTERVAL=1000",
            ";INTERVAL=1001",
            ";INTERVAL=0",
        ],
    );
    let by_day = field(
        beyond,
        Just(String::new()).boxed(),
        &[
            ";BYDAY=3TH",
            ";BYDAY=-1FR",
            ";BYDAY=MO,WE",
            ";BYDAY=5SU",
            ";BYDAY=TH",
        ],
    );
    let end = field(
        beyond,
        prop_oneof![
            Just(String::new()),
            (1u64..200).prop_map(|c| format!(";COUNT={c}")),
            Just(";UNTIL=20281231".to_owned()),
        ]
        .boxed(),
        &[
            ";COUNT=1000000000",
            ";COUNT=10000",
            ";COUNT=10001",
            ";UNTIL=99991231",
            ";UNTIL=22001231",
            ";UNTIL=20270101T000000Z",
        ],
    );
    (frequency, interval, by_day, end)
        .prop_map(|(f, i, b, e)| format!("FREQ={f}{i}{b}{e}"))
        .boxed()
}

fn text(beyond: bool) -> BoxedStrategy<String> {
    let valid = "[A-Za-zÄÖÜäöüß ,;:.\\-]{1,60}".boxed();
    if !beyond {
        return valid;
    }
    prop_oneof![
        6 => valid,
        1 => one_of(&[
            "Bad\u{0}Dürkheim",
            "Zeile\r\nZwei",
            "\u{202e}gnuztiS",
            "<b>Titel</b>",
            "\"Quoted\"",
            "",
        ]),
        1 => (1usize..400).prop_map(|n| "ä".repeat(n)),
    ]
    .boxed()
}

fn domain(beyond: bool) -> BoxedStrategy<String> {
    let valid = "[a-z]{1,20}\\.[a-z]{2,6}".boxed();
    field(
        beyond,
        valid,
        &["exa\rmple.org", "ex ample.org", "", "a\u{0}b.de"],
    )
}

/// A YAML string literal (double-quoted, escaped as YAML wants).
fn quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A configuration file with one generated series, and maybe an exception and a workshop:
/// half of the cases within every limit, half going beyond some.
fn configuration() -> impl Strategy<Value = (String, Option<String>)> {
    any::<bool>().prop_flat_map(configuration_with)
}

fn configuration_with(beyond: bool) -> impl Strategy<Value = (String, Option<String>)> {
    let series = (
        text(beyond),
        rule(beyond),
        date(beyond),
        time(beyond),
        duration(beyond),
        prop::collection::vec(reminder(beyond), 1..4),
        any::<bool>(),
        prop::option::weighted(0.3, (date(beyond), time(beyond))),
    );
    let fixed = (text(beyond), date(beyond), time(beyond), duration(beyond)).prop_map(
        |(title, date, start, duration)| {
            format!(
                "meeting:\n  id: workshop\n  title: {}\n  date: {date}\n  start: {}\n  duration: {duration}\nitems:\n  - title: {}\n",
                quoted(&title),
                quoted(&start),
                quoted(&title)
            )
        },
    );
    // A workshop whose date is still to be found: candidates and the last day to answer.
    // The deadline is mostly early, so that generated slots often come after it.
    let decide_by = prop_oneof![
        3 => one_of(&["1970-01-01", "2000-02-29", "2026-12-31"]),
        1 => date(beyond),
    ];
    let poll = (
        text(beyond),
        decide_by,
        prop::collection::vec((date(beyond), time(beyond), duration(beyond)), 0..5),
    )
        .prop_map(|(title, decide_by, slots)| {
            let candidates: String = slots
                .iter()
                .map(|(date, start, duration)| {
                    format!(
                        "\n    - {{ date: {date}, start: {}, duration: {duration} }}",
                        quoted(start)
                    )
                })
                .collect();
            format!(
                "meeting:\n  id: workshop\n  title: {}\n  decide_by: {decide_by}\n  candidates:{candidates}\nitems:\n  - title: {}\n",
                quoted(&title),
                quoted(&title)
            )
        });
    let workshop = prop::option::weighted(0.5, prop_oneof![fixed, poll]);
    (series, workshop, domain(beyond), text(beyond)).prop_map(
        |(
            (title, rule, first, start, duration, reminders, holidays, exception),
            workshop,
            uid_domain,
            network_name,
        )| {
            let exception = exception
                .map(|(date, start)| {
                    format!(
                        "      exceptions:\n        - date: {date}\n          new_start: {}\n",
                        quoted(&start)
                    )
                })
                .unwrap_or_default();
            let config = TestConfig {
                name: quoted(&network_name),
                ..TestConfig::minimal()
            }
            .accept_invites_from(&["localhost"])
            .with(&format!(
                "agendas_dir: agendas
calendar:
  contact: info@example.org
  uid_domain: {uid_domain}
  listen: 127.0.0.1:8080
  public_url: http://127.0.0.1:8080/
meetings:
  reminders: [{reminders}]
  series:
    - id: videokonferenz
      title: {title}
      rule: {rule}
      first: {first}
      start: {start}
      duration: {duration}
      skip_holidays: {holidays}
{exception}",
                uid_domain = quoted(&uid_domain),
                reminders = reminders.join(", "),
                title = quoted(&title),
                start = quoted(&start),
            ))
            .yaml();
            (config, workshop)
        },
    )
}

/// What one generated configuration did.
enum Outcome {
    /// Refused, every diagnostic with a location.
    Refused,
    /// Accepted; the calendar it renders, and whether it held a date poll.
    Accepted(String, bool),
}

fn try_configuration(config: &str, agenda: Option<&str>) -> Result<Outcome, TestCaseError> {
    let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
    let path = dir.path().join("convene.yaml");
    std::fs::write(&path, config).map_err(|e| TestCaseError::fail(e.to_string()))?;
    std::fs::create_dir(dir.path().join("agendas"))
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    if let Some(agenda) = agenda {
        std::fs::write(dir.path().join("agendas/workshop.yaml"), agenda)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
    }
    let started = Instant::now();
    let network = match Network::load(&path) {
        Err(diagnostics) => {
            prop_assert!(!diagnostics.is_empty());
            if std::env::var_os("CONVENE_PROPTEST_SHOW").is_some() {
                eprintln!("{diagnostics}");
            }
            for diagnostic in diagnostics.iter() {
                prop_assert!(
                    diagnostic.location.is_some(),
                    "refused without a location: {diagnostic}\n{config}\n{agenda:?}"
                );
            }
            prop_assert!(
                started.elapsed() < TIME_BOUND,
                "check took {:?}",
                started.elapsed()
            );
            return Ok(Outcome::Refused);
        }
        Ok(network) => network,
    };
    // A date poll's texts render, its deadlines compute, and decided on any of its slots it is
    // an ordinary meeting like every other.
    let timezone = network.config.timezone;
    for draft in &network.agendas.polls {
        for language in [Language::German, Language::English] {
            let _ = render::poll_fallback(language, draft);
            let _ = render::poll_reminder(language, draft);
            let nobody = poll::tally(draft.slots.len(), &[], &[]);
            let _ = render::poll_tally(language, draft, &nobody, 0);
            let _ = render::poll_overdue(language, draft, &nobody);
            for slot in &draft.slots {
                let _ = render::poll_closed(language, draft, slot);
            }
        }
        let _ = (draft.reminder_at(timezone), draft.decide_by_end(timezone));
    }
    let decided: BTreeMap<String, Slot> = network
        .agendas
        .polls
        .iter()
        .filter_map(|draft| Some((draft.id.clone(), *draft.slots.last()?)))
        .collect();
    let had_poll = !decided.is_empty();
    let network = network.with_decisions(&decided);
    let now: DateTime<Utc> = "2026-12-02T10:00:00Z"
        .parse()
        .unwrap_or(DateTime::UNIX_EPOCH);
    let _ = network.schedule.upcoming(now, TimeDelta::days(3660), 50);
    let _ = network
        .schedule
        .upcoming(DateTime::UNIX_EPOCH, TimeDelta::days(3660), 50);
    let entries = ical::entries(&network, &BTreeMap::new());
    let ics = ical::render(
        &network,
        &entries,
        &BTreeMap::new(),
        Selection::All,
        Links::Include,
    );
    prop_assert!(
        started.elapsed() < TIME_BOUND,
        "accepted, but took {:?}:\n{config}",
        started.elapsed()
    );
    prop_assert!(ics.len() < 1_000_000, "{} bytes of calendar", ics.len());
    for line in ics.split("\r\n") {
        prop_assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
        prop_assert!(!line.contains('\r') && !line.contains('\n'));
        prop_assert!(
            !line.chars().any(|c| c.is_control() && c != '\t'),
            "control character in {line:?}"
        );
    }
    Ok(Outcome::Accepted(ics, had_poll))
}

/// Generated configurations and agenda files, within and beyond every limit: refused with a
/// location, or handled in bounded time with a calendar that real parsers read.
#[test]
fn whatever_check_accepts_runs() {
    let mut runner = TestRunner::new(RunnerConfig {
        cases: cases(),
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    let accepted = std::sync::Mutex::new(Vec::new());
    let mut refused = 0usize;
    let counted = std::sync::Mutex::new(&mut refused);
    let mut with_polls = 0usize;
    let polls = std::sync::Mutex::new(&mut with_polls);
    runner
        .run(&configuration(), |(config, agenda)| {
            match try_configuration(&config, agenda.as_deref())? {
                Outcome::Refused => **counted.lock().unwrap() += 1,
                Outcome::Accepted(ics, had_poll) => {
                    if had_poll {
                        **polls.lock().unwrap() += 1;
                    }
                    accepted.lock().unwrap().push(ics);
                }
            }
            Ok(())
        })
        .unwrap();
    let accepted = accepted.into_inner().unwrap();
    let _ = polls.into_inner();
    eprintln!(
        "{} configurations accepted ({with_polls} with a decided date poll), {refused} refused",
        accepted.len()
    );
    // The real parsers read a sample of the accepted calendars (each run starts python and
    // node, so not every case): `CONVENE_PROPTEST_PARSED`, default 4.
    let parsed = std::env::var("CONVENE_PROPTEST_PARSED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    for ics in accepted.iter().take(parsed) {
        for parser in ["python", "icaljs"] {
            let expanded = crate::calendar::expand(parser, ics, "2026-01-01", "2028-01-01");
            assert!(
                expanded.errors.is_empty(),
                "{parser} cannot read an accepted calendar: {:?}\n{ics}",
                expanded.errors
            );
        }
    }
}

fn chat_message() -> impl Strategy<Value = String> {
    let word = one_of(&[
        "!help",
        "!ping",
        "!next",
        "!agenda",
        "!agenda add",
        "!agenda accept",
        "!agenda reject",
        "!agenda defer",
        "!agenda withdraw",
        "!announce",
        "!ics",
        "!subscribe",
        "!subscribe rotate",
        "!minutes",
        "!minutes start",
        "!minutes approve",
        "!minutes edit",
        "!topic",
        "!info",
        "!action",
        "!decision",
        "!link",
        "!here",
        "!done",
        "!actions",
        "!chair",
        "!undo",
        "!vote",
        "!abstimmen",
        "!poll",
        "!poll decide",
        "!umfrage entscheiden",
        "!",
        "!!",
        "!HELP",
    ]);
    let argument = prop_oneof![
        "\\PC{0,40}",
        "[0-9]{1,25}",
        one_of(&[
            "99",
            "1 99",
            "1, 3,,12 13",
            "smart-city 2",
            "none 1",
            "18446744073709551616",
            "-1",
            "due 2027-02-30",
            "bis 31.12.99999",
            "\u{202e}\u{200b}",
            "— —",
            "https://",
        ]),
    ];
    prop::collection::vec((word, argument), 1..25).prop_map(|lines| {
        lines
            .into_iter()
            .map(|(w, a)| format!("{w} {a}"))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

proptest! {
    #![proptest_config(RunnerConfig {
        cases: cases() * 8,
        failure_persistence: None,
        ..RunnerConfig::default()
    })]

    /// No chat message panics the command parser.
    #[test]
    fn the_command_parser_never_panics(body in chat_message()) {
        let _ = convene::command::parse_all(&body);
        let _ = convene::command::parse(&body);
    }

    /// Nor does any text at all.
    #[test]
    fn any_text_is_safe_to_parse(body in "\\PC*") {
        let _ = convene::command::parse_all(&body);
    }
}

#[test]
fn the_example_configuration_is_accepted() {
    // The generator's frame is the example's: keep them in step.
    assert!(Network::load(Path::new("config/convene.example.yaml")).is_ok());
}

/// Every event the bot sends stays under the homeserver's limit (65,536 bytes; see
/// `render::size`): generated at the bounds `convene check` and the commands accept — an agenda
/// file with 100 items in 20 parts, 200-character titles, speakers, roles and municipalities of
/// the characters that cost the most bytes (`"` and `&` escaped in JSON and HTML, four-byte
/// emoji), hundreds of accepted proposals and open action items of 4,000 characters, minutes
/// with 500 entries, 1,000 member municipalities — every rendered text fits
/// [`size::MESSAGE_BUDGET`], and every event made of it (the message, its edit, the reply to
/// a command) fits [`size::EVENT_BUDGET`] as the outbox measures it.
mod event_sizes {
    use std::cell::RefCell;
    use std::path::Path;

    use chrono::{NaiveDate, TimeDelta};
    use convene::bot::outbox::Payload;
    use convene::change::Change;
    use convene::i18n::Language;
    use convene::minutes::ActionItem;
    use convene::minutes::{Assignment, Entry, EntryKind, Minutes, Owner, Topic};
    use convene::network::Network;
    use convene::poll::{PollDraft, Slot, Tally};
    use convene::posting::PostKind;
    use convene::proposal::{Proposal, ProposalStatus};
    use convene::render::{self, FanOutReport, Rendered, RoomOutcome, size};
    use matrix_sdk::ruma::events::room::message::{
        AddMentions, ForwardThread, ReplyMetadata, RoomMessageEventContent,
    };
    use matrix_sdk::ruma::{OwnedEventId, event_id, user_id};
    use proptest::prelude::*;
    use proptest::test_runner::{Config as RunnerConfig, TestRunner};

    use super::{cases, quoted};
    use crate::support::config::{MONTHLY_VIDEOKONFERENZ, TestConfig};

    /// Text of `length` characters from those that cost the most bytes in an event, mixed by
    /// a seed (drawn whole: a strategy per character makes megabytes of text slow).
    fn heavy(length: std::ops::RangeInclusive<usize>) -> BoxedStrategy<String> {
        const COSTLY: [char; 8] = ['"', '&', '<', 'ä', '👍', 'x', '„', '\\'];
        (length, any::<u64>())
            .prop_map(|(length, mut seed)| {
                (0..length)
                    .map(|_| {
                        seed = seed
                            .wrapping_mul(6_364_136_223_846_793_005)
                            .wrapping_add(1_442_695_040_888_963_407);
                        COSTLY[usize::try_from(seed >> 61).unwrap_or(0)]
                    })
                    .collect()
            })
            .boxed()
    }

    /// A count, mostly the largest.
    fn count(most: usize) -> BoxedStrategy<usize> {
        prop_oneof![1 => 0..=most, 3 => Just(most)].boxed()
    }

    #[derive(Debug, Clone)]
    struct Case {
        topic: String,
        parts: Vec<(String, String)>,
        items: Vec<(String, String, String, String)>,
        proposals: Vec<(String, String)>,
        actions: Vec<String>,
        entries: Vec<(usize, String)>,
        names: usize,
    }

    fn case() -> impl Strategy<Value = Case> {
        let title = || heavy(190..=200);
        (
            title(),
            prop::collection::vec((title(), title()), 0..=20),
            count(100).prop_flat_map(move |n| {
                prop::collection::vec((title(), title(), title(), title()), n)
            }),
            count(300).prop_flat_map(move |n| prop::collection::vec((title(), title()), n)),
            count(200).prop_flat_map(|n| prop::collection::vec(heavy(0..=4_000), n)),
            count(500).prop_flat_map(|n| prop::collection::vec((0usize..4, heavy(0..=4_000)), n)),
            count(1_000),
        )
            .prop_map(
                |(topic, parts, items, proposals, actions, entries, names)| Case {
                    topic,
                    parts,
                    items,
                    proposals,
                    actions,
                    entries,
                    names,
                },
            )
    }

    /// The agenda file of the case, for the regular conference on 17 December 2026.
    fn agenda_file(case: &Case) -> String {
        let mut yaml = format!(
            "meeting:\n  series: videokonferenz\n  date: 2026-12-17\ntopic: {}\n",
            quoted(&case.topic)
        );
        if !case.parts.is_empty() {
            yaml.push_str("parts:\n");
            for (title, audience) in &case.parts {
                yaml.push_str(&format!(
                    "  - title: {}\n    audience: {}\n",
                    quoted(title),
                    quoted(audience)
                ));
            }
        }
        yaml.push_str("items:\n");
        for (index, (title, name, role, municipality)) in case.items.iter().enumerate() {
            yaml.push_str(&format!(
                "  - title: {}\n    speaker: {{ name: {}, role: {}, municipality: {} }}\n",
                quoted(title),
                quoted(name),
                quoted(role),
                quoted(municipality)
            ));
            if !case.parts.is_empty() {
                yaml.push_str(&format!("    part: {}\n", index % case.parts.len() + 1));
            }
        }
        if case.items.is_empty() {
            yaml.push_str("  - title: x\n");
        }
        yaml
    }

    /// The largest sizes seen, for the report: (what, bytes).
    #[derive(Default)]
    struct Largest(std::collections::BTreeMap<&'static str, usize>);

    impl Largest {
        fn saw(&mut self, what: &'static str, bytes: usize) {
            let largest = self.0.entry(what).or_default();
            *largest = (*largest).max(bytes);
        }
    }

    /// The user id of the longest length Matrix allows (255 bytes).
    fn longest_user() -> String {
        format!("@{}:example.org", "a".repeat(255 - 13))
    }

    fn check(largest: &RefCell<Largest>, what: &'static str, rendered: &Rendered) {
        let text = size::notice_size(rendered);
        assert!(
            text <= size::MESSAGE_BUDGET,
            "{what}: {text} bytes of text\n{}",
            &rendered.plain[..rendered.plain.len().min(2_000)]
        );
        let original: OwnedEventId =
            event_id!("$AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg").to_owned();
        let message = Payload::notice(rendered.clone()).size();
        let edit = Payload::edit(rendered.clone(), original.clone()).size();
        let reply = Payload::Message(Box::new(
            RoomMessageEventContent::notice_html(rendered.plain.clone(), rendered.html.clone())
                .make_reply_to(
                    ReplyMetadata::new(&original, user_id!("@anna:example.org"), None),
                    ForwardThread::Yes,
                    AddMentions::No,
                ),
        ))
        .size();
        for (form, bytes) in [("message", message), ("edit", edit), ("reply", reply)] {
            assert!(
                bytes <= size::EVENT_BUDGET,
                "{what} as {form}: {bytes} bytes"
            );
        }
        let mut largest = largest.borrow_mut();
        largest.saw("text (any)", text);
        largest.saw(what, edit.max(reply));
    }

    fn run(case: &Case, largest: &RefCell<Largest>) {
        let dir = tempfile::tempdir().unwrap();
        TestConfig::minimal()
            .with("agendas_dir: agendas\n")
            .with(MONTHLY_VIDEOKONFERENZ)
            .write(dir.path());
        std::fs::create_dir(dir.path().join("agendas")).unwrap();
        std::fs::write(
            dir.path().join("agendas/2026-12-17.yaml"),
            agenda_file(case),
        )
        .unwrap();
        let network = match Network::load(&dir.path().join("convene.yaml")) {
            Ok(network) => network,
            Err(errors) => panic!("the largest agenda is refused:\n{errors}"),
        };
        let meeting = network.schedule.find("videokonferenz/2026-12-17").unwrap();
        let agenda = network.agenda(&meeting);
        assert_eq!(agenda.map(|a| a.items.len()), Some(case.items.len().max(1)));
        let sender = longest_user();
        let proposals: Vec<Proposal> = case
            .proposals
            .iter()
            .enumerate()
            .map(|(index, (title, municipality))| Proposal {
                id: i64::try_from(index).unwrap() + 1,
                meeting_key: meeting.key.clone(),
                room_id: "!kl:example.org".to_owned(),
                municipality: municipality.clone(),
                sender: sender.clone(),
                title: title.clone(),
                description: None,
                created_at: "2026-11-20T08:30:00Z".parse().unwrap(),
                status: if index % 2 == 0 {
                    ProposalStatus::Accepted
                } else {
                    ProposalStatus::Rejected
                },
                part: None,
                reason: Some(title.repeat(20)),
            })
            .collect();
        let actions: Vec<ActionItem> = case
            .actions
            .iter()
            .enumerate()
            .map(|(index, text)| ActionItem {
                id: i64::try_from(index).unwrap() + 1,
                meeting_key: "videokonferenz/2026-11-19".to_owned(),
                meeting_start: "2026-11-19T09:00:00Z".parse().unwrap(),
                owner: if index % 2 == 0 {
                    Owner::Municipality(case.topic.clone())
                } else {
                    Owner::Person {
                        user_id: sender.clone(),
                        municipality: Some(case.topic.clone()),
                    }
                },
                text: text.clone(),
                due: NaiveDate::from_ymd_opt(2027, 1, 15),
                open: true,
            })
            .collect();
        let names: Vec<String> = (0..case.names)
            .map(|i| format!("{i} {}", case.topic))
            .collect();
        let titles: Vec<String> = case.items.iter().map(|i| i.0.clone()).collect();
        let mut topics: Vec<Topic> = (0..100)
            .map(|i| Topic {
                title: Some(format!("{i} {}", case.topic)),
                number: Some(i),
                entries: Vec::new(),
            })
            .collect();
        for (number, (kind, text)) in case.entries.iter().enumerate() {
            let kind = match kind {
                0 => EntryKind::Info,
                1 => EntryKind::Decision,
                2 => EntryKind::Action(Assignment {
                    owner: Owner::Municipality(case.topic.clone()),
                    due: NaiveDate::from_ymd_opt(2027, 1, 15),
                }),
                _ => EntryKind::Link("https://example.org/\"&<>".parse().unwrap()),
            };
            topics[number % 100].entries.push(Entry {
                number: u32::try_from(number).unwrap() + 100,
                kind,
                text: text.clone(),
            });
        }
        let minutes = Minutes {
            meeting_key: meeting.key.clone(),
            title: case.topic.clone(),
            start: meeting.start,
            end: meeting.end,
            chairs: names.clone(),
            present: names.clone(),
            excused: names.clone(),
            topics,
        };
        let report = FanOutReport {
            delivered: 0,
            total: names.len(),
            failed: names
                .iter()
                .map(|n| {
                    (
                        n.clone(),
                        RoomOutcome::Retrying(convene::delivery::Failure::Other("x".repeat(500))),
                    )
                })
                .collect(),
            unconfirmed: names
                .iter()
                .map(|n| (n.clone(), vec![format!("{}.example.org", "s".repeat(200))]))
                .collect(),
        };
        let slots: Vec<Slot> = (0..12)
            .map(|day| {
                Slot::new(
                    network.config.timezone,
                    NaiveDate::from_ymd_opt(2027, 2, 1 + day).unwrap(),
                    chrono::NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
                    TimeDelta::hours(3),
                )
                .unwrap()
            })
            .collect();
        let draft = PollDraft {
            id: "workshop".to_owned(),
            title: case.topic.clone(),
            slots,
            decide_by: NaiveDate::from_ymd_opt(2027, 1, 15).unwrap(),
            video_link: None,
            note: Some(case.topic.repeat(50)),
        };
        let tally = Tally {
            per_slot: vec![names.clone(); 12],
            answered: names.clone(),
            not_answered: names.clone(),
        };
        let publication = render::Publication {
            approved_by: sender.clone(),
            approved_on: NaiveDate::from_ymd_opt(2026, 12, 18).unwrap(),
            link: Some(format!(
                "https://calendar.example.org/minutes/{}.md",
                "a".repeat(40)
            )),
        };
        let accepted: Vec<Proposal> = proposals
            .iter()
            .filter(|p| p.status == ProposalStatus::Accepted)
            .cloned()
            .collect();
        let additions = render::Additions {
            accepted: &accepted,
            open_actions: &actions,
        };
        for language in [Language::German, Language::English] {
            for (kind, late) in [
                (PostKind::Announcement, false),
                (PostKind::Announcement, true),
                (PostKind::Reminder(TimeDelta::days(1)), false),
                (PostKind::Reminder(TimeDelta::minutes(15)), true),
            ] {
                let post = render::post(
                    language,
                    &case.topic,
                    &meeting,
                    agenda,
                    additions,
                    kind,
                    late,
                );
                check(largest, "announcement or reminder", &post);
            }
            check(
                largest,
                "!next, !agenda",
                &render::meeting_details(language, Some((&meeting, agenda)), additions),
            );
            let retitled: Vec<(String, String)> =
                titles.iter().map(|t| (t.clone(), t.clone())).collect();
            let changes = [
                Change::Retitled {
                    from: case.topic.clone(),
                },
                Change::Agenda {
                    added: titles.clone(),
                    removed: titles.clone(),
                    retitled,
                },
            ];
            check(
                largest,
                "change notice",
                &render::change_notice(language, &meeting, agenda, &changes),
            );
            check(
                largest,
                "!agenda proposals",
                &render::proposal_list(language, &proposals, true),
            );
            for proposal in proposals.iter().take(2) {
                check(
                    largest,
                    "proposal outcome",
                    &render::proposal_outcome(language, proposal, render::Outcome::Rejected),
                );
            }
            check(
                largest,
                "!actions",
                &render::action_list(language, &actions, Some(&case.topic)),
            );
            for action in actions.iter().take(2) {
                check(
                    largest,
                    "action reminder",
                    &render::action_reminder(language, action),
                );
            }
            check(
                largest,
                "minutes message",
                &render::minutes_message(language, &case.topic, &minutes, &publication),
            );
            check(
                largest,
                "minutes draft",
                &render::minutes_draft(language, &case.topic, &minutes, true),
            );
            check(
                largest,
                "!minutes start",
                &render::minutes_reply(
                    language,
                    &render::MinutesReply::Started {
                        title: case.topic.clone(),
                        when: "x".to_owned(),
                        agenda: titles.iter().chain(&titles).cloned().collect(),
                    },
                ),
            );
            check(
                largest,
                "!action with an unknown owner",
                &render::minutes_reply(
                    language,
                    &render::MinutesReply::UnknownOwner {
                        given: case.topic.clone(),
                        known: names.clone(),
                    },
                ),
            );
            let published: Vec<(String, String, Option<String>)> = names
                .iter()
                .map(|n| ("17.12.2026".to_owned(), n.clone(), publication.link.clone()))
                .collect();
            check(
                largest,
                "!minutes list",
                &render::minutes_list(language, &published),
            );
            check(
                largest,
                "delivery summary",
                &render::delivery_summary(language, &meeting, PostKind::Announcement, &report),
            );
            check(
                largest,
                "poll summary",
                &render::poll_summary(language, &case.topic, draft.decide_by, &report),
            );
            check(
                largest,
                "poll text",
                &render::poll_fallback(language, &draft),
            );
            check(
                largest,
                "poll reminder",
                &render::poll_reminder(language, &draft),
            );
            let tally_text = render::poll_tally(language, &draft, &tally, names.len());
            check(largest, "!poll", &tally_text);
            check(
                largest,
                "!poll with several polls",
                &render::poll_tallies(language, &[tally_text.clone(), tally_text.clone()]),
            );
            check(
                largest,
                "overdue poll",
                &render::poll_overdue(language, &draft, &tally),
            );
            // A reload that fails with an error for every item of the largest agenda.
            let errors: convene::diagnostic::Diagnostics = (1..=300)
                .map(|line| convene::diagnostic::Diagnostic {
                    file: std::path::PathBuf::from(format!("agendas/{}.yaml", case.topic)),
                    location: Some(convene::diagnostic::Location { line, column: 1 }),
                    path: Some(case.topic.clone()),
                    message: convene::text!(de: "{topic}", en: "{topic}"; topic = &case.topic),
                    hint: Some(convene::text!(
                        de: "{long}", en: "{long}";
                        long = case.topic.repeat(10),
                    )),
                })
                .collect::<Vec<_>>()
                .into();
            check(
                largest,
                "reload errors",
                &render::reload_errors(language, &errors),
            );
            // A message with the most commands, each answered with the largest text.
            let answers = vec![tally_text; 20];
            check(
                largest,
                "reply to 20 commands",
                &render::answers(language, &answers),
            );
        }
    }

    #[test]
    fn every_event_fits_the_homeserver() {
        let largest = RefCell::new(Largest::default());
        // Each case renders megabytes of text at the bounds: a quarter of the usual cases.
        let mut runner = TestRunner::new(RunnerConfig {
            cases: cases().div_ceil(4),
            failure_persistence: None,
            ..RunnerConfig::default()
        });
        runner
            .run(&case(), |case| {
                run(&case, &largest);
                Ok(())
            })
            .unwrap();
        for (what, bytes) in &largest.borrow().0 {
            eprintln!("largest {what}: {bytes} bytes");
        }
    }

    /// The example agenda's announcement is the same as before: shortening only what does not
    /// fit.
    #[test]
    fn small_messages_are_not_shortened() {
        let network = Network::load(Path::new("config/convene.example.yaml")).unwrap();
        let meeting = network.schedule.find("videokonferenz/2026-12-17").unwrap();
        let post = render::post(
            Language::German,
            "IKONE DS",
            &meeting,
            network.agenda(&meeting),
            render::Additions::default(),
            PostKind::Announcement,
            false,
        );
        assert!(!post.plain.contains("weitere"), "{}", post.plain);
    }
}
