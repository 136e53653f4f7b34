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
            let config = format!(
                "homeserver: http://127.0.0.1:8008
bot:
  user_id: \"@convene:localhost\"
  password: {{ env: CONVENE_PASSWORD }}
data_dir: data
network:
  name: {name}
  organizers: [\"@orga:localhost\"]
  organizers_room: \"#orga:localhost\"
  members:
    - name: Kaiserslautern
      room: \"#kl:localhost\"
accept_invites_from: [localhost]
agendas_dir: agendas
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
                name = quoted(&network_name),
                uid_domain = quoted(&uid_domain),
                reminders = reminders.join(", "),
                title = quoted(&title),
                start = quoted(&start),
            );
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
