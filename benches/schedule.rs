//! Benchmark: expanding 20 series over 10 years, with exceptions and holiday skipping, as the
//! bot does for `!schedule`, `convene schedule` and every planning round. Prints the median
//! of 30 runs; asserts nothing.
//!
//! Run with `cargo bench --bench schedule`. `CONVENE_BENCH_RUNS=1` runs it once (for an
//! instruction count under `valgrind --tool=callgrind`).

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use convene::holidays::State;
use convene::schedule::{Exception, Schedule, Series};

fn series(index: usize) -> Series {
    let rules = [
        "FREQ=MONTHLY;BYDAY=3TH",
        "FREQ=WEEKLY;BYDAY=MO,WE",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
        "FREQ=MONTHLY;BYMONTHDAY=15",
    ];
    let rule: convene::schedule::rrule::Rule = rules[index % rules.len()].parse().unwrap();
    let first = rule
        .dates(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap())
        .next()
        .unwrap();
    // Every tenth occurrence cancelled, every seventh moved by a week.
    let mut exceptions = BTreeMap::new();
    for (n, date) in rule.dates(first).take(400).enumerate() {
        if n % 10 == 3 {
            exceptions.insert(date, Exception::Cancelled { note: None });
        } else if n % 7 == 5 {
            exceptions.insert(
                date,
                Exception::Moved {
                    date: Some(date + TimeDelta::days(7)),
                    start: Some(NaiveTime::from_hms_opt(14, 0, 0).unwrap()),
                    duration: None,
                    video_link: None,
                    note: None,
                },
            );
        }
    }
    Series {
        id: format!("series-{index}"),
        title: format!("Series {index}"),
        rule,
        first,
        start: NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
        duration: TimeDelta::minutes(90),
        video_link: None,
        skip_holidays: true,
        exceptions,
    }
}

fn main() {
    let schedule = Schedule {
        timezone: chrono_tz::Europe::Berlin,
        holidays: State::RheinlandPfalz,
        series: (0..20).map(series).collect(),
        one_offs: Vec::new(),
    };
    let exceptions: usize = schedule.series.iter().map(|s| s.exceptions.len()).sum();
    let from: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().unwrap();
    let to = from + TimeDelta::days(3653);
    let mut samples: Vec<Duration> = Vec::new();
    let mut count = 0;
    let runs = std::env::var("CONVENE_BENCH_RUNS")
        .ok()
        .and_then(|runs| runs.parse::<usize>().ok())
        .filter(|&runs| runs > 0)
        .unwrap_or(30);
    for _ in 0..runs {
        let start = Instant::now();
        count = std::hint::black_box(schedule.meetings_between(from, to)).len();
        samples.push(start.elapsed());
    }
    samples.sort();
    println!(
        "expand 20 series over 10 years ({exceptions} exceptions, {count} meetings): median {:?}, min {:?}, max {:?}",
        samples[samples.len() / 2],
        samples[0],
        samples[samples.len() - 1]
    );
}
