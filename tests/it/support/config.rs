//! The tests' configuration file: one shape for every test that writes one. [`TestConfig::minimal`]
//! is a network on `localhost` for the tests without a homeserver (one organizer, the
//! organizers' room, Kaiserslautern as the only member); [`BotHome`](super::bot::BotHome) fills
//! the same shape in for a test's Synapse. A test changes what it needs and appends its own
//! sections with [`TestConfig::with`].

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The environment variable every test configuration names for the bot's password.
pub const PASSWORD_ENV: &str = "CONVENE_TEST_PASSWORD";

/// A `meetings:` section with one series: the Videokonferenz on every third Thursday from
/// 15 January 2026, 10:00 for 90 minutes.
pub const MONTHLY_VIDEOKONFERENZ: &str = "meetings:
  series:
    - id: videokonferenz
      title: Videokonferenz
      rule: FREQ=MONTHLY;BYDAY=3TH
      first: 2026-01-15
      start: \"10:00\"
      duration: 90m
";

/// A configuration file, written as
///
/// ```yaml
/// homeserver: http://127.0.0.1:8008
/// bot:
///   user_id: "@convene:localhost"
///   password: { env: CONVENE_TEST_PASSWORD }
/// data_dir: data
/// network:
///   name: IKONE DS
///   organizers: ["@organizer:localhost"]
///   organizers_room: "#orga:localhost"
///   members:
///     - name: Kaiserslautern
///       room: "#kl:localhost"
/// ```
///
/// with `language` and `listen` after `data_dir` and `accept_invites_from` after the network
/// when set, then [`TestConfig::extra`].
#[derive(Debug, Clone)]
pub struct TestConfig {
    /// `homeserver`.
    pub homeserver: String,
    /// `bot.user_id`.
    pub bot: String,
    /// `network.name`, as YAML (quote it if it needs quotes).
    pub name: String,
    /// `network.organizers`.
    pub organizers: Vec<String>,
    /// `network.organizers_room`.
    pub organizers_room: String,
    /// `network.members`: (name, room).
    pub members: Vec<(String, String)>,
    /// `accept_invites_from`, if any.
    pub accept_invites_from: Vec<String>,
    /// `language`, if set.
    pub language: Option<String>,
    /// `listen`, if set.
    pub listen: Option<String>,
    /// Top-level YAML after everything else (meetings, agendas, a calendar).
    pub extra: String,
}

impl TestConfig {
    /// The network on `localhost` shown above; its homeserver is never contacted.
    pub fn minimal() -> Self {
        Self {
            homeserver: "http://127.0.0.1:8008".to_owned(),
            bot: "@convene:localhost".to_owned(),
            name: "IKONE DS".to_owned(),
            organizers: vec!["@organizer:localhost".to_owned()],
            organizers_room: "#orga:localhost".to_owned(),
            members: vec![("Kaiserslautern".to_owned(), "#kl:localhost".to_owned())],
            accept_invites_from: Vec::new(),
            language: None,
            listen: None,
            extra: String::new(),
        }
    }

    /// With another homeserver URL.
    pub fn homeserver(mut self, url: &str) -> Self {
        url.clone_into(&mut self.homeserver);
        self
    }

    /// With these member rooms, (name, room), instead of Kaiserslautern's.
    pub fn members(mut self, members: &[(&str, &str)]) -> Self {
        self.members = members
            .iter()
            .map(|(name, room)| ((*name).to_owned(), (*room).to_owned()))
            .collect();
        self
    }

    /// With `accept_invites_from` listing `servers`.
    pub fn accept_invites_from(mut self, servers: &[&str]) -> Self {
        self.accept_invites_from = servers.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// With `yaml` (whole top-level sections) appended.
    pub fn with(mut self, yaml: &str) -> Self {
        self.extra.push_str(yaml);
        self
    }

    /// The file's text.
    pub fn yaml(&self) -> String {
        let quoted = |items: &[String]| {
            let items: Vec<String> = items.iter().map(|i| format!("\"{i}\"")).collect();
            format!("[{}]", items.join(", "))
        };
        let mut yaml = format!(
            "homeserver: {}\nbot:\n  user_id: \"{}\"\n  password: {{ env: {PASSWORD_ENV} }}\ndata_dir: data\n",
            self.homeserver, self.bot
        );
        if let Some(language) = &self.language {
            let _ = writeln!(yaml, "language: {language}");
        }
        if let Some(listen) = &self.listen {
            let _ = writeln!(yaml, "listen: {listen}");
        }
        let _ = write!(
            yaml,
            "network:\n  name: {}\n  organizers: {}\n  organizers_room: \"{}\"\n  members:\n",
            self.name,
            quoted(&self.organizers),
            self.organizers_room
        );
        for (name, room) in &self.members {
            let _ = write!(yaml, "    - name: {name}\n      room: \"{room}\"\n");
        }
        if !self.accept_invites_from.is_empty() {
            let _ = writeln!(
                yaml,
                "accept_invites_from: {}",
                quoted(&self.accept_invites_from)
            );
        }
        yaml.push_str(&self.extra);
        yaml
    }

    /// Writes the file as `convene.yaml` in `dir` and returns its path.
    pub fn write(&self, dir: &Path) -> PathBuf {
        let path = dir.join("convene.yaml");
        std::fs::write(&path, self.yaml()).unwrap();
        path
    }
}
