//! Benchmark: locating validation problems in a YAML file (line and column for each), which
//! `convene check` and every reload do for each diagnostic. Prints the fastest of 5 runs at
//! 50,000 and 100,000 problems and their ratio: about 2 when locating grows linearly, 4 if it
//! were quadratic. Asserts nothing (timings belong here, not in tests); the unit test
//! `yaml::tests::locating_problems_in_a_large_file_finds_each` checks the locations.
//!
//! Run with `cargo bench --bench locate`.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::path::Path;
use std::time::{Duration, Instant};

use convene::text;
use convene::yaml::{Document, Problem, Target, YamlPath};

fn with_problems(count: usize) -> (Document, Vec<Problem>) {
    let text: String = (0..count / 2)
        .map(|n| format!("unknown_{n}: {{ value: {n} }}\n"))
        .collect();
    let document = Document::parse(Path::new("bench.yaml"), text).unwrap();
    let problems = (0..count / 2)
        .flat_map(|n| {
            let key = YamlPath::default().key(&format!("unknown_{n}"));
            let problem = |path: YamlPath, target| Problem {
                path,
                target,
                message: text!(const de: "Unbekannter Schlüssel", en: "unknown key"),
                hint: None,
            };
            [
                problem(key.clone(), Target::Key),
                problem(key.key("value"), Target::Value),
            ]
        })
        .collect();
    (document, problems)
}

fn main() {
    let inputs = [with_problems(50_000), with_problems(100_000)];
    let mut fastest = [Duration::MAX; 2];
    for _ in 0..5 {
        for (index, (document, problems)) in inputs.iter().enumerate() {
            let started = Instant::now();
            let diagnostics = document.finish(problems.clone());
            fastest[index] = fastest[index].min(started.elapsed());
            assert_eq!(diagnostics.len(), problems.len());
        }
    }
    println!(
        "locate: 50,000 problems in {:?}, 100,000 in {:?}: {:.2}× (linear ≈ 2, quadratic ≈ 4)",
        fastest[0],
        fastest[1],
        fastest[1].as_secs_f64() / fastest[0].as_secs_f64()
    );
}
