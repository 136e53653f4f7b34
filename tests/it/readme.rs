//! The README's code map is the house as it is: one row per module of `src/`, each with what it
//! is for, and no row for a module that is gone.

use std::collections::BTreeSet;
use std::path::Path;

/// Every `.rs` file under `dir`, as `src/…` paths.
fn modules(dir: &Path, found: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            modules(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let root = Path::new(env!("CARGO_MANIFEST_DIR"));
            found.insert(path.strip_prefix(root).unwrap().display().to_string());
        }
    }
}

#[test]
fn the_code_map_names_every_module_and_nothing_else() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let map = readme
        .split("## Code map")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("the README has a code map");
    let listed: BTreeSet<String> = map
        .lines()
        .filter_map(|line| line.strip_prefix("| `"))
        .filter_map(|line| line.split_once("` | "))
        .filter(|(path, what)| path.starts_with("src/") && !what.trim_end_matches(" |").is_empty())
        .map(|(path, _)| path.to_owned())
        .collect();
    let mut present = BTreeSet::new();
    modules(&root.join("src"), &mut present);
    let missing: Vec<_> = present.difference(&listed).collect();
    let gone: Vec<_> = listed.difference(&present).collect();
    assert!(
        missing.is_empty() && gone.is_empty(),
        "the code map lacks {missing:?} and lists {gone:?}, which no longer exist"
    );
}
