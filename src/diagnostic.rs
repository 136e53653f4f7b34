//! Errors in files that organizers write, reported the way compilers do: `file:line:col`,
//! the YAML path, what is wrong and how to fix it. They are collected, not stopped at the first,
//! so one run of `convene check` shows everything that needs fixing.
//!
//! The same text goes to the terminal of `convene check` and into the organizers' room after a
//! failed hot reload. Organizers know their files as `agendas/x.yaml`, not as the server path
//! the bot was started with, so files are shown relative to the configuration's directory
//! ([`Diagnostics::relative_to`]).

use std::fmt;
use std::path::{Component, Path, PathBuf};

/// A 1-based line and column in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// Line, starting at 1.
    pub line: usize,
    /// Column in characters, starting at 1.
    pub column: usize,
}

/// One error in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file: as it was opened, until [`Diagnostics::relative_to`] shortens it for showing.
    pub file: PathBuf,
    /// Where in the file, when known.
    pub location: Option<Location>,
    /// The YAML path of the offending node, such as `network.members[1].room`.
    pub path: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(Location { line, column }) = self.location {
            write!(f, ":{line}:{column}")?;
        }
        f.write_str(": error: ")?;
        if let Some(path) = &self.path {
            write!(f, "{path}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// All errors found in one or more files; never empty when returned as an error.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// The individual errors.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    /// How many errors there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds the errors of another file.
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    /// Shows the files relative to `dir` (the configuration's directory): `agendas/x.yaml`
    /// instead of `/srv/convene/./agendas/x.yaml`. A file outside `dir` is shown with its
    /// absolute path, since a path with `../` is no easier to find.
    pub fn relative_to(mut self, dir: &Path) -> Self {
        let dir = normalized(dir);
        for diagnostic in &mut self.0 {
            let file = normalized(&diagnostic.file);
            diagnostic.file = relative(&file, &dir).unwrap_or(file);
        }
        self
    }
}

/// `file` relative to `dir` when that reads well: inside it (`agendas/x.yaml`) or beside it,
/// at most two levels up (`../agendas/x.yaml`, the layout of the shipped example); `None`
/// otherwise.
fn relative(file: &Path, dir: &Path) -> Option<PathBuf> {
    let common = file
        .components()
        .zip(dir.components())
        .take_while(|(a, b)| a == b)
        .count();
    let ups = dir.components().count().checked_sub(common)?;
    // Only within a shared directory two levels below the root (`/srv/bot`), not merely
    // beside each other in `/tmp` or `/srv`.
    if ups > 2 || common < 3 {
        return None;
    }
    let mut relative = PathBuf::new();
    for _ in 0..ups {
        relative.push("..");
    }
    relative.extend(file.components().skip(common));
    (!relative.as_os_str().is_empty()).then_some(relative)
}

/// `path` made absolute (from the working directory) with `.` and `..` resolved by their names,
/// without asking the file system: for showing a path, not for opening it.
fn normalized(path: &Path) -> PathBuf {
    let path = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let mut normal = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normal.pop();
            }
            other => normal.push(other),
        }
    }
    normal
}

impl From<Vec<Diagnostic>> for Diagnostics {
    fn from(diagnostics: Vec<Diagnostic>) -> Self {
        Self(diagnostics)
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, diagnostic) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(file: &str, dir: &str) -> String {
        let diagnostics = Diagnostics::from(vec![Diagnostic {
            file: PathBuf::from(file),
            location: None,
            path: None,
            message: "m".to_owned(),
            hint: None,
        }]);
        let shown = diagnostics.relative_to(Path::new(dir));
        shown.iter().map(|d| d.file.display().to_string()).collect()
    }

    #[test]
    fn shows_files_relative_to_the_configuration_directory() {
        assert_eq!(
            shown("/srv/bot/./agendas/x.yaml", "/srv/bot"),
            "agendas/x.yaml"
        );
        assert_eq!(shown("/srv/bot/convene.yaml", "/srv/bot/"), "convene.yaml");
        // The shipped layout: config/convene.yaml with `agendas_dir: ../agendas`.
        assert_eq!(
            shown("/srv/bot/config/../agendas/x.yaml", "/srv/bot/config"),
            "../agendas/x.yaml"
        );
        assert_eq!(shown("/srv/other/x.yaml", "/srv/bot"), "/srv/other/x.yaml");
        // More than two levels up, or only the root in common: the absolute path.
        assert_eq!(shown("/srv/x.yaml", "/srv/bot/config/deep"), "/srv/x.yaml");
        assert_eq!(shown("/tmp/x.yaml", "/srv/bot"), "/tmp/x.yaml");
        assert_eq!(shown("/srv/bot", "/srv/bot"), "/srv/bot");
        // Relative paths are taken from the working directory.
        assert_eq!(shown("convene.yaml", ""), "convene.yaml");
        assert_eq!(shown("a/b.yaml", "a"), "b.yaml");
        assert_eq!(shown("/x.yaml", "/a/b"), "/x.yaml");
    }
}
