//! The bot's configuration: read from YAML, validated into domain types.
//!
//! [`Config::load`] reads the file, and reports *every* problem with `file:line:col`, the YAML
//! path and a hint; unknown keys are errors, so a typo never silently becomes a default. Past
//! this module nothing is a raw string: time zones are [`Tz`], rooms are [`OwnedRoomOrAliasId`],
//! people are [`OwnedUserId`], homeservers are [`OwnedServerName`].
//!
//! Secrets are never in the YAML: the file names where the password comes from (an environment
//! variable or a file), and [`SecretSource::read`] fetches it only when the bot has to log in.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::TimeDelta;
use chrono_tz::Tz;
use matrix_sdk::ruma::{OwnedRoomOrAliasId, OwnedServerName, OwnedUserId};
use url::Url;

use crate::diagnostic::{Diagnostics, echo};
use crate::fields;
use crate::files;
use crate::holidays::State;
use crate::i18n::Language;
use crate::i18n::Text;
use crate::limits;
use crate::schedule::rrule::Rule;
use crate::schedule::{Exception, Series};
use crate::text;
use crate::yaml::{Document, Mapping, Node, Problem, Target};

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The client-server API base URL of the bot's homeserver.
    pub homeserver: Url,
    /// The bot's own account.
    pub bot: BotAccount,
    /// Where the bot keeps its session, its encryption keys and its databases.
    pub data_dir: PathBuf,
    /// The network's time zone; meetings are planned in it.
    pub timezone: Tz,
    /// The language the bot speaks.
    pub language: Language,
    /// The network the bot serves.
    pub roster: Roster,
    /// Homeservers whose users may invite the bot into rooms (organizers always may).
    pub accept_invites_from: BTreeSet<OwnedServerName>,
    /// The regular meetings, and when announcements and reminders go out.
    pub meetings: Meetings,
    /// Where the organizers' agenda files are, if they write any.
    pub agendas_dir: Option<PathBuf>,
    /// The calendar feed, if the bot serves one.
    pub calendar: Option<CalendarConfig>,
    /// Where the bot's HTTP server (`/healthz`, `/metrics`, and the feeds with a calendar)
    /// listens: `calendar.listen` with a calendar, otherwise the top-level `listen`.
    pub listen: std::net::SocketAddr,
    /// How many open agenda proposals one member may have at a time.
    pub max_open_proposals: usize,
    /// How old a command sent while the bot was away may be and still be carried out (older
    /// ones are answered once, asking to send them again); 24 hours when absent.
    pub late_commands: TimeDelta,
    /// Where the bot's source code is offered to the people who use it (AGPL-3.0 §13);
    /// `!about` and `!help` name it. [`DEFAULT_SOURCE_URL`] unless configured.
    pub source_url: Url,
}

/// The source of the bot as built: the `repository` of its Cargo.toml. A network that runs a
/// modified bot sets `source_url` to where its own changes are published.
pub const DEFAULT_SOURCE_URL: &str = env!("CARGO_PKG_REPOSITORY");

/// The calendar: invitations and the subscription feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarConfig {
    /// The network's contact address, the ORGANIZER of every meeting.
    pub contact: String,
    /// The domain of calendar UIDs (`videokonferenz@<domain>`); never change it.
    pub uid_domain: String,
    /// Where the feed's HTTP server listens.
    pub listen: std::net::SocketAddr,
    /// The address subscribers use to reach it (behind a reverse proxy with TLS).
    pub public_url: Url,
    /// Whether `/calendar.ics` serves the network calendar to anyone (without video links);
    /// off by default, as a calendar nobody chose to publish must not be readable by whoever
    /// reaches the server. The rooms' private feeds are served either way.
    pub public: bool,
}

/// The regular meetings and the announcement rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meetings {
    /// Whose public holidays series with `skip_holidays` skip.
    pub holidays: State,
    /// How long before a meeting its posts go out, longest first: the first is the
    /// announcement, the others are reminders.
    pub reminders: Vec<TimeDelta>,
    /// The regular meetings.
    pub series: Vec<Series>,
}

impl Default for Meetings {
    fn default() -> Self {
        Self {
            holidays: State::RheinlandPfalz,
            reminders: DEFAULT_REMINDERS.to_vec(),
            series: Vec::new(),
        }
    }
}

/// Announcement a week before, reminders a day and a quarter of an hour before.
pub const DEFAULT_REMINDERS: [TimeDelta; 3] = [
    TimeDelta::days(7),
    TimeDelta::days(1),
    TimeDelta::minutes(15),
];

/// The bot's Matrix account.
#[derive(Debug, Clone)]
pub struct BotAccount {
    /// Its full user id.
    pub user_id: OwnedUserId,
    /// Where its password comes from.
    pub password: SecretSource,
    /// The name its device shows in other members' device lists.
    pub device_name: String,
}

/// The network's roster, as the file's `network:` section writes it: its name, the organizers,
/// their rooms and the member municipalities with theirs.
#[derive(Debug, Clone)]
pub struct Roster {
    /// Its name, as shown in messages ("IKONE DS").
    pub name: String,
    /// The people who may run organizer commands and invite the bot anywhere.
    pub organizers: BTreeSet<OwnedUserId>,
    /// The organizers' own room.
    pub organizers_room: OwnedRoomOrAliasId,
    /// A room of its own where minutes are taken (say, the meeting's chat), besides the
    /// organizers' room; drafts still go to the organizers.
    pub minutes_room: Option<OwnedRoomOrAliasId>,
    /// The member municipalities, in the order of the file.
    pub members: Vec<Member>,
}

/// One member municipality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Its display name ("Kaiserslautern").
    pub name: String,
    /// Its room.
    pub room: OwnedRoomOrAliasId,
}

impl Config {
    /// Reads and validates the configuration file at `path`. Files in the diagnostics are shown
    /// relative to the configuration's directory (see [`Diagnostics::relative_to`]).
    pub fn load(path: &Path) -> Result<Self, Diagnostics> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let text = files::read_text(path, files::YAML_LIMIT).map_err(|error| {
            Diagnostics::from(vec![error.to_diagnostic(
                path,
                &text!(const de: "die Konfiguration", en: "configuration"),
                Some(text!(
                    de: "geben Sie die Datei mit `--config DATEI` an",
                    en: "pass the file with `--config FILE`"
                )),
            )])
            .relative_to(dir)
        })?;
        Self::parse(path, text).map_err(|diagnostics| diagnostics.relative_to(dir))
    }

    /// Validates configuration `text` that was read from `path`.
    ///
    /// Relative paths in it (the data directory, a password file) are taken relative to the
    /// directory of `path`, so the bot finds the same files from whatever directory it starts in.
    pub fn parse(path: &Path, text: String) -> Result<Self, Diagnostics> {
        let document = Document::parse(path, text)?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut problems = Vec::new();
        let config = validate(document.root(), base, &mut problems);
        match config {
            Some(config) if problems.is_empty() => Ok(config),
            _ => Err(document.finish(problems)),
        }
    }

    /// The data directory a configuration file names even when it has errors elsewhere, as
    /// [`Config::load`] would resolve it: `None` unless the file reads as YAML with a top-level
    /// `data_dir:` text. `convene run` looks there for the last good version of the files
    /// ([`crate::last_good`]) when they do not load.
    pub fn peek_data_dir(path: &Path) -> Option<PathBuf> {
        let text = files::read_text(path, files::YAML_LIMIT).ok()?;
        let document = Document::parse(path, text).ok()?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut ignored = Vec::new();
        let top = document.root().as_mapping(TOP_LEVEL_KEYS, &mut ignored)?;
        data_dir(&top, base, &mut ignored)
    }

    /// Every room the bot serves: the organizers' room first, then the member rooms.
    pub fn rooms(&self) -> impl Iterator<Item = &OwnedRoomOrAliasId> {
        std::iter::once(&self.roster.organizers_room)
            .chain(self.roster.minutes_room.as_ref())
            .chain(self.roster.members.iter().map(|member| &member.room))
    }
}

/// Where a secret comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// An environment variable of this name.
    Env(String),
    /// A file holding only the secret (a trailing newline is ignored).
    File(PathBuf),
}

impl fmt::Display for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Env(name) => write!(f, "environment variable {name}"),
            Self::File(path) => write!(f, "file {}", path.display()),
        }
    }
}

/// Why a secret could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The environment variable is unset, empty or not UTF-8.
    #[error("the {0} is not set")]
    Unset(SecretSource),
    /// The file could not be read (or is no small regular text file).
    #[error("cannot read the {source_}: {error}")]
    Unreadable {
        /// Which file.
        source_: SecretSource,
        /// Why.
        error: files::ReadError,
    },
}

/// A secret value; its `Debug` never shows it, so it cannot leak into logs.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret read elsewhere (the stored session's access token).
    pub(crate) fn new(value: String) -> Self {
        Self(value)
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

impl SecretSource {
    /// Reads the secret now.
    pub fn read(&self) -> Result<Secret, SecretError> {
        let value = match self {
            Self::Env(name) => std::env::var(name).ok(),
            Self::File(path) => Some(files::read_text(path, files::SECRET_LIMIT).map_err(
                |error| SecretError::Unreadable {
                    source_: self.clone(),
                    error,
                },
            )?),
        };
        // A password file saved by Notepad may start with a byte order mark, which is no part
        // of the password.
        let value = value.map(|v| {
            v.trim_start_matches('\u{feff}')
                .trim_end_matches(['\r', '\n'])
                .to_owned()
        });
        match value {
            Some(value) if !value.is_empty() => Ok(Secret(value)),
            _ => Err(SecretError::Unset(self.clone())),
        }
    }
}

const TOP_LEVEL_KEYS: &[&str] = &[
    "homeserver",
    "bot",
    "data_dir",
    "timezone",
    "language",
    "network",
    "accept_invites_from",
    "meetings",
    "agendas_dir",
    "calendar",
    "listen",
    "max_open_proposals",
    "late_commands",
    "source_url",
];
const CALENDAR_KEYS: &[&str] = &["contact", "uid_domain", "listen", "public_url", "public"];
const MEETINGS_KEYS: &[&str] = &["holidays", "reminders", "series"];
const SERIES_KEYS: &[&str] = &[
    "id",
    "title",
    "rule",
    "first",
    "start",
    "duration",
    "video_link",
    "skip_holidays",
    "exceptions",
];
const EXCEPTION_KEYS: &[&str] = &[
    "date",
    "cancelled",
    "new_date",
    "new_start",
    "new_duration",
    "new_video_link",
    "note",
];
const BOT_KEYS: &[&str] = &["user_id", "password", "device_name"];
const SECRET_KEYS: &[&str] = &["env", "file"];
const NETWORK_KEYS: &[&str] = &[
    "name",
    "organizers",
    "organizers_room",
    "minutes_room",
    "members",
];
const MEMBER_KEYS: &[&str] = &["name", "room"];

const HOMESERVERS: Text = text!(const de: "Homeserver", en: "homeservers");
const SERIES: Text = text!(const de: "Serien", en: "series");
const EXCEPTIONS: Text = text!(const de: "Ausnahmen", en: "exceptions");

const ROOM_HINT: Text = text!(
    const de: "schreiben Sie eine Raum-ID wie `!AbCdEf:example.org` oder eine Raumadresse (Alias) wie `#kaiserslautern:example.org`, in Anführungszeichen",
    en: "write a room id such as `!AbCdEf:example.org` or an alias such as `#kaiserslautern:example.org`, in quotes",
);
const USER_HINT: Text = text!(
    const de: "schreiben Sie eine vollständige Benutzer-ID wie `@anna.schmidt:example.org`, in Anführungszeichen",
    en: "write a full user id such as `@anna.schmidt:example.org`, in quotes",
);

/// The whole file: every top-level key read in turn (each reports its own problems, so one
/// run names them all), then the [`Config`] if none was wrong.
fn validate(root: Node<'_>, base: &Path, problems: &mut Vec<Problem>) -> Option<Config> {
    let top = root.as_mapping(TOP_LEVEL_KEYS, problems)?;
    let homeserver = homeserver(&top, problems);
    let bot = bot(&top, base, problems);
    let data_dir = data_dir(&top, base, problems);
    let timezone = timezone(&top, problems);
    let language = language(&top, problems);
    let roster = network(&top, problems);
    let accept_invites_from = accept_invites_from(&top, problems);
    let meetings = match top.optional("meetings") {
        None => Some(Meetings::default()),
        Some(node) => meetings(&node, timezone, problems),
    };
    let agendas_dir = fields::optional(
        top.optional("agendas_dir")
            .map(|node| node.as_str(problems).map(|dir| base.join(dir))),
    );
    let calendar = fields::optional(
        top.optional("calendar")
            .map(|node| calendar(&node, problems)),
    );
    let listen = listen(&top, &calendar, problems);
    let max_open_proposals = max_open_proposals(&top, problems);
    let late_commands = match top.optional("late_commands") {
        None => Some(TimeDelta::hours(24)),
        Some(node) => fields::late_commands(&node, problems),
    };
    let source_url = match top.optional("source_url") {
        None => Url::parse(DEFAULT_SOURCE_URL).ok(),
        Some(node) => source_url(&node, problems),
    };

    Some(Config {
        source_url: source_url?,
        max_open_proposals: max_open_proposals?,
        late_commands: late_commands?,
        calendar: calendar?,
        listen: listen?,
        meetings: meetings?,
        agendas_dir: agendas_dir?,
        homeserver: homeserver?,
        bot: bot?,
        data_dir: data_dir?,
        timezone: timezone?,
        language: language?,
        roster: roster?,
        accept_invites_from: accept_invites_from?,
    })
}

/// `homeserver:`, which the file must give: the URL of the bot's homeserver.
fn homeserver(top: &Mapping<'_>, problems: &mut Vec<Problem>) -> Option<Url> {
    top.required(
        "homeserver",
        text!(
            de: "ergänzen Sie `homeserver: https://matrix.example.org`, die URL des Homeservers des Bots",
            en: "add `homeserver: https://matrix.example.org`, the URL of the bot's homeserver"
        ),
        problems,
    )
    .and_then(|node| homeserver_url(&node, problems))
}

/// `bot:`, which the file must give: the bot's account.
fn bot(top: &Mapping<'_>, base: &Path, problems: &mut Vec<Problem>) -> Option<BotAccount> {
    top.required(
        "bot",
        text!(
            de: "ergänzen Sie einen Abschnitt `bot:` mit `user_id:` und `password:`",
            en: "add a `bot:` section with `user_id:` and `password:`"
        ),
        problems,
    )
    .and_then(|node| bot_account(&node, base, problems))
}

/// `data_dir:`, which the file must give, relative to the configuration's directory.
fn data_dir(top: &Mapping<'_>, base: &Path, problems: &mut Vec<Problem>) -> Option<PathBuf> {
    top.required(
        "data_dir",
        text!(
            de: "ergänzen Sie `data_dir: /var/lib/convene`, das Verzeichnis für die Sitzung und die Schlüssel des Bots",
            en: "add `data_dir: /var/lib/convene`, where the bot keeps its session and keys"
        ),
        problems,
    )
    .and_then(|node| node.as_str(problems))
    .map(|dir| base.join(dir))
}

/// `timezone:`, an IANA name; `Europe/Berlin` when absent.
fn timezone(top: &Mapping<'_>, problems: &mut Vec<Problem>) -> Option<Tz> {
    let Some(node) = top.optional("timezone") else {
        return Some(chrono_tz::Europe::Berlin);
    };
    node.as_str(problems)
        .and_then(|name| match name.parse::<Tz>() {
            Ok(tz) => Some(tz),
            Err(_) => {
                let shown = echo(name);
                problems.push(node.problem(
                    text!(
                        de: "Unbekannte Zeitzone `{shown}`",
                        en: "unknown time zone `{shown}`"
                    ),
                    text!(
                        de: "verwenden Sie den Namen einer IANA-Zeitzone wie `Europe/Berlin`",
                        en: "use an IANA time zone name such as `Europe/Berlin`"
                    ),
                ));
                None
            }
        })
}

/// `language:`, `de` or `en`; German when absent.
fn language(top: &Mapping<'_>, problems: &mut Vec<Problem>) -> Option<Language> {
    let Some(node) = top.optional("language") else {
        return Some(Language::German);
    };
    node.as_str(problems)
        .and_then(|code| match Language::from_code(code) {
            Some(language) => Some(language),
            None => {
                let shown = echo(code);
                problems.push(node.problem(
                    text!(de: "Unbekannte Sprache `{shown}`", en: "unknown language `{shown}`"),
                    text!(
                        de: "schreiben Sie `de` (Deutsch, Anrede mit „Sie“) oder `en` (Englisch)",
                        en: "write `de` (formal German) or `en` (English)"
                    ),
                ));
                None
            }
        })
}

/// `network:`, which the file must give: the network's [`Roster`].
fn network(top: &Mapping<'_>, problems: &mut Vec<Problem>) -> Option<Roster> {
    top.required(
        "network",
        text!(
            de: "ergänzen Sie einen Abschnitt `network:` mit `name:`, `organizers:`, `organizers_room:` und `members:`",
            en: "add a `network:` section with `name:`, `organizers:`, `organizers_room:` and `members:`"
        ),
        problems,
    )
    .and_then(|node| roster(&node, problems))
}

/// `accept_invites_from:`, a list of homeserver names; none when absent.
fn accept_invites_from(
    top: &Mapping<'_>,
    problems: &mut Vec<Problem>,
) -> Option<BTreeSet<OwnedServerName>> {
    let Some(node) = top.optional("accept_invites_from") else {
        return Some(BTreeSet::new());
    };
    fields::list(&node, &HOMESERVERS, limits::MAX_SERVERS, problems).map(|items| {
        items
            .iter()
            .filter_map(|item| server_name(item, problems))
            .collect()
    })
}

/// One homeserver name, without a scheme (`matrix.kaiserslautern.de`).
fn server_name(item: &Node<'_>, problems: &mut Vec<Problem>) -> Option<OwnedServerName> {
    let name = item.as_str(problems)?;
    match OwnedServerName::try_from(name) {
        Ok(server) => Some(server),
        Err(_) => {
            let shown = echo(name);
            problems.push(item.problem(
                text!(
                    de: "`{shown}` ist kein Name eines Homeservers",
                    en: "`{shown}` is not a homeserver name"
                ),
                text!(
                    de: "schreiben Sie nur den Servernamen wie `matrix.kaiserslautern.de`, ohne `https://`",
                    en: "write the server name only, such as `matrix.kaiserslautern.de`, without `https://`"
                ),
            ));
            None
        }
    }
}

/// Where the one HTTP server listens: with a calendar its `listen` is the address, and a
/// top-level `listen:` beside it is a problem; without one, the top-level `listen:` or
/// [`DEFAULT_LISTEN`]. `calendar` is the calendar section as read: `Some(None)` when there is
/// none, `None` when it has errors.
fn listen(
    top: &Mapping<'_>,
    calendar: &Option<Option<CalendarConfig>>,
    problems: &mut Vec<Problem>,
) -> Option<std::net::SocketAddr> {
    match (top.optional("listen"), calendar) {
        (None, Some(Some(calendar))) => Some(calendar.listen),
        (None, _) => Some(DEFAULT_LISTEN),
        (Some(node), calendar) => {
            let address = listen_address(&node, problems);
            if !matches!(calendar, Some(None)) {
                problems.push(node.problem(
                    text!(
                        de: "Mit einem Abschnitt `calendar:` lauscht der HTTP-Server auf `calendar.listen`",
                        en: "with a `calendar:` section, the HTTP server listens on `calendar.listen`"
                    ),
                    text!(
                        de: "entfernen Sie dieses `listen` oder geben Sie die Adresse als `calendar.listen` an",
                        en: "remove this `listen`, or give the address as `calendar.listen`"
                    ),
                ));
                None
            } else {
                address
            }
        }
    }
}

/// `max_open_proposals:`, a whole number of at least 1; 5 when absent.
fn max_open_proposals(top: &Mapping<'_>, problems: &mut Vec<Problem>) -> Option<usize> {
    let Some(node) = top.optional("max_open_proposals") else {
        return Some(5);
    };
    node.as_integer(problems).and_then(|n| {
        let n = usize::try_from(n).ok().filter(|n| *n >= 1);
        if n.is_none() {
            problems.push(node.problem(
                text!(
                    de: "Die Höchstzahl muss mindestens 1 sein",
                    en: "the limit must be at least 1"
                ),
                text!(
                    de: "schreiben Sie eine ganze Zahl wie `5`",
                    en: "write a whole number such as `5`"
                ),
            ));
        }
        n
    })
}

/// The homeserver's base URL.
fn homeserver_url(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<Url> {
    http_url(
        node,
        text!(
            de: "schreiben Sie die Basis-URL des Homeservers, z. B. `https://matrix.example.org`",
            en: "write the homeserver's base URL, such as `https://matrix.example.org`"
        ),
        problems,
    )
}

/// Where the source is offered: an http(s) URL, since members open it from the chat.
fn source_url(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<Url> {
    http_url(
        node,
        text!(
            de: "schreiben Sie die Adresse, unter der der Quelltext des Bots veröffentlicht ist, z. B. `https://github.com/ikone-ds/convene`",
            en: "write the address where the bot's source code is published, such as `https://github.com/ikone-ds/convene`"
        ),
        problems,
    )
}

/// An http(s) URL with a host, of at most [`limits::MAX_URL`] bytes, or a problem (with `hint`
/// when it is no such URL).
fn http_url(node: &Node<'_>, hint: Text, problems: &mut Vec<Problem>) -> Option<Url> {
    let text = node.as_str(problems)?;
    match Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            fields::bounded_url(node, url, problems)
        }
        _ => {
            let shown = echo(text);
            problems.push(node.problem(
                text!(
                    de: "`{shown}` ist keine http(s)-URL",
                    en: "`{shown}` is not an http(s) URL"
                ),
                hint,
            ));
            None
        }
    }
}

fn bot_account(node: &Node<'_>, base: &Path, problems: &mut Vec<Problem>) -> Option<BotAccount> {
    let bot = node.as_mapping(BOT_KEYS, problems)?;
    let user_id = bot
        .required("user_id", USER_HINT, problems)
        .and_then(|node| user_id(&node, problems));
    let password = bot
        .required(
            "password",
            text!(
                de: "ergänzen Sie `password: {{ env: CONVENE_PASSWORD }}` oder `password: {{ file: /run/secrets/convene }}`",
                en: "add `password: {{ env: CONVENE_PASSWORD }}` or `password: {{ file: /run/secrets/convene }}`"
            ),
            problems,
        )
        .and_then(|node| secret_source(&node, base, problems));
    let device_name = match bot.optional("device_name") {
        None => Some("convene".to_owned()),
        Some(node) => fields::text(
            &node,
            &text!(const de: "der Gerätename", en: "device name"),
            limits::MAX_NAME,
            problems,
        ),
    };
    Some(BotAccount {
        user_id: user_id?,
        password: password?,
        device_name: device_name?,
    })
}

fn secret_source(
    node: &Node<'_>,
    base: &Path,
    problems: &mut Vec<Problem>,
) -> Option<SecretSource> {
    const HINT: Text = text!(
        const de: "das Passwort gehört nie in diese Datei: schreiben Sie `{ env: VARIABLE }` oder `{ file: PFAD }`",
        en: "the password never goes into this file: write `{ env: VARIABLE }` or `{ file: PATH }`",
    );
    if !node.is_mapping() {
        problems.push(node.problem(
            text!(
                de: "Erwartet wird `env:` oder `file:`, nicht das Passwort selbst",
                en: "expected `env:` or `file:`, not the secret itself"
            ),
            HINT,
        ));
        return None;
    }
    let secret = node.as_mapping(SECRET_KEYS, problems)?;
    match (secret.optional("env"), secret.optional("file")) {
        (Some(env), None) => {
            let name = env.as_str(problems)?;
            // The C library cannot look up a name with `=` or NUL in it.
            let valid =
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                let shown = echo(name);
                problems.push(env.problem(
                    text!(
                        de: "`{shown}` ist kein Name einer Umgebungsvariablen",
                        en: "`{shown}` is not the name of an environment variable"
                    ),
                    text!(
                        de: "verwenden Sie Buchstaben, Ziffern und `_`, z. B. `CONVENE_PASSWORD`",
                        en: "use letters, digits and `_`, e.g. `CONVENE_PASSWORD`"
                    ),
                ));
                return None;
            }
            Some(SecretSource::Env(name.to_owned()))
        }
        (None, Some(file)) => file
            .as_str(problems)
            .map(|path| SecretSource::File(base.join(path))),
        _ => {
            problems.push(node.problem(
                text!(
                    de: "Es muss genau eines von `env:` und `file:` angegeben sein",
                    en: "give exactly one of `env:` and `file:`"
                ),
                HINT,
            ));
            None
        }
    }
}

fn user_id(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<OwnedUserId> {
    let text = node.as_str(problems)?;
    if !fields::matrix_id_length(node, text, &fields::USER_ID, problems) {
        return None;
    }
    match OwnedUserId::try_from(text) {
        Ok(user) => Some(user),
        Err(_) => {
            let shown = echo(text);
            problems.push(node.problem(
                text!(
                    de: "`{shown}` ist keine Matrix-Benutzer-ID",
                    en: "`{shown}` is not a Matrix user id"
                ),
                USER_HINT,
            ));
            None
        }
    }
}

fn room(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<OwnedRoomOrAliasId> {
    let text = node.as_str(problems)?;
    if !fields::matrix_id_length(node, text, &fields::ROOM_ID, problems) {
        return None;
    }
    match OwnedRoomOrAliasId::try_from(text) {
        Ok(room) => Some(room),
        Err(_) => {
            let shown = echo(text);
            problems.push(node.problem(
                text!(
                    de: "`{shown}` ist weder eine Raum-ID noch eine Raumadresse (Alias)",
                    en: "`{shown}` is not a room id or alias"
                ),
                ROOM_HINT,
            ));
            None
        }
    }
}

/// The `network:` section: name, organizers, their rooms and the members, then whether the
/// rooms are kept apart ([`rooms_apart`]).
fn roster(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<Roster> {
    let network = node.as_mapping(NETWORK_KEYS, problems)?;
    let name = network_name(&network, problems);
    let organizers = organizers(&network, problems);
    let organizers_room = network
        .required("organizers_room", ROOM_HINT, problems)
        .and_then(|node| room(&node, problems));
    let members = network
        .required(
            "members",
            text!(
                de: "ergänzen Sie `members:`, eine Liste der Kommunen mit `name:` und `room:`",
                en: "add `members:`, a list of municipalities with `name:` and `room:`"
            ),
            problems,
        )
        .and_then(|node| members(&node, problems));

    let minutes_room = fields::optional(
        network
            .optional("minutes_room")
            .map(|node| room(&node, problems)),
    );

    let organizers_room = organizers_room?;
    let minutes_room = minutes_room?;
    let members = members?;
    rooms_apart(
        node,
        &organizers_room,
        minutes_room.as_ref(),
        &members,
        problems,
    );
    Some(Roster {
        name: name?,
        organizers: organizers?,
        organizers_room,
        minutes_room,
        members,
    })
}

/// `network.name:`, which the file must give: the name members know the network by.
fn network_name(network: &Mapping<'_>, problems: &mut Vec<Problem>) -> Option<String> {
    network
        .required(
            "name",
            text!(
                de: "ergänzen Sie `name: IKONE DS`, den Namen des Netzwerks, wie die Mitglieder ihn kennen",
                en: "add `name: IKONE DS`, the network's name as members know it"
            ),
            problems,
        )
        .and_then(|node| {
            fields::text(
                &node,
                &text!(const de: "der Name des Netzwerks", en: "network name"),
                limits::MAX_NAME,
                problems,
            )
        })
}

/// `network.organizers:`, which the file must give: a list of user ids, not empty.
fn organizers(network: &Mapping<'_>, problems: &mut Vec<Problem>) -> Option<BTreeSet<OwnedUserId>> {
    network
        .required(
            "organizers",
            text!(
                de: "ergänzen Sie `organizers:` mit den Benutzer-IDs der Personen, die das Netzwerk organisieren",
                en: "add `organizers:` with the user ids of the people who run the network"
            ),
            problems,
        )
        .and_then(|node| {
            let organizers = text!(const de: "Organisatorinnen und Organisatoren", en: "organizers");
            let items = fields::list(&node, &organizers, limits::MAX_ORGANIZERS, problems)?;
            if items.is_empty() {
                problems.push(node.problem(
                    text!(
                        de: "Das Netzwerk hat keine Organisatorinnen und Organisatoren",
                        en: "the network has no organizers"
                    ),
                    USER_HINT,
                ));
            }
            Some(
                items
                    .iter()
                    .filter_map(|item| user_id(item, problems))
                    .collect::<BTreeSet<_>>(),
            )
        })
}

/// Neither the minutes room nor the organizers' room may be a member's room: what is said
/// there stays among the chairs. `node` is the `network:` section.
fn rooms_apart(
    node: &Node<'_>,
    organizers_room: &OwnedRoomOrAliasId,
    minutes_room: Option<&OwnedRoomOrAliasId>,
    members: &[Member],
    problems: &mut Vec<Problem>,
) {
    if let Some(minutes_room) = minutes_room
        && members.iter().any(|m| &m.room == minutes_room)
    {
        let shown = echo(minutes_room.as_str());
        problems.push(Problem {
            path: node.path().key("minutes_room"),
            target: Target::Value,
            message: text!(
                de: "`{shown}` ist zugleich der Protokollraum und der Raum einer Mitgliedskommune",
                en: "`{shown}` is both the minutes room and a member room"
            ),
            hint: Some(text!(
                de: "das Protokoll entsteht im Kreis der Sitzungsleitung; verwenden Sie den Organisationsraum oder einen eigenen Raum",
                en: "minutes are taken among the chairs; use the organizers' room or a room of its own"
            )),
        });
    }
    if let Some(index) = members.iter().position(|m| &m.room == organizers_room) {
        let shown = echo(organizers_room.as_str());
        problems.push(Problem {
            path: node.path().key("members").index(index).key("room"),
            target: Target::Value,
            message: text!(
                de: "`{shown}` ist zugleich der Organisationsraum und der Raum einer Mitgliedskommune",
                en: "`{shown}` is both the organizers' room and a member room"
            ),
            hint: Some(text!(
                de: "geben Sie den Organisatorinnen und Organisatoren einen eigenen Raum, damit ihre Besprechungen unter ihnen bleiben",
                en: "give the organizers a room of their own, so their discussions stay among them"
            )),
        });
    }
}

fn members(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<Vec<Member>> {
    let items = fields::list(
        node,
        &text!(const de: "Mitgliedskommunen", en: "members"),
        limits::MAX_MEMBERS,
        problems,
    )?;
    if items.is_empty() {
        problems.push(node.problem(
            text!(
                de: "Das Netzwerk hat keine Mitgliedskommunen",
                en: "the network has no member municipalities"
            ),
            text!(
                de: "ergänzen Sie einen Eintrag je Kommune, mit `name:` und `room:`",
                en: "add one entry per municipality, with `name:` and `room:`"
            ),
        ));
    }
    let mut members: Vec<Member> = Vec::new();
    let mut complete = true;
    for item in &items {
        let Some(member) = item.as_mapping(MEMBER_KEYS, problems) else {
            complete = false;
            continue;
        };
        let name = member
            .required(
                "name",
                text!(
                    de: "ergänzen Sie `name:`, den Namen der Kommune",
                    en: "add `name:`, the municipality's name"
                ),
                problems,
            )
            .and_then(|node| {
                fields::text(
                    &node,
                    &text!(const de: "der Name der Kommune", en: "municipality's name"),
                    limits::MAX_NAME,
                    problems,
                )
            });
        let room_node = member.required("room", ROOM_HINT, problems);
        let room = room_node.as_ref().and_then(|node| room(node, problems));
        let (Some(name), Some(room), Some(room_node)) = (name, room, room_node) else {
            complete = false;
            continue;
        };
        if let Some(earlier) = members.iter().find(|m| m.room == room) {
            let (shown, earlier) = (echo(room.as_str()), echo(&earlier.name));
            problems.push(room_node.problem(
                text!(
                    de: "`{shown}` ist bereits der Raum von {earlier}",
                    en: "`{shown}` is already the room of {earlier}"
                ),
                text!(
                    de: "jede Kommune braucht einen eigenen Raum",
                    en: "every municipality needs its own room"
                ),
            ));
        }
        if let Some(earlier) = members.iter().find(|m| m.name == name) {
            let earlier = echo(&earlier.name);
            problems.push(item.problem(
                text!(
                    de: "{earlier} ist zweimal aufgeführt",
                    en: "{earlier} is listed twice"
                ),
                text!(
                    de: "führen Sie jede Kommune nur einmal auf",
                    en: "list every municipality once"
                ),
            ));
        }
        members.push(Member { name, room });
    }
    complete.then_some(members)
}

/// The `meetings:` section: whose holidays count, when posts go out, and the series.
fn meetings(
    node: &Node<'_>,
    timezone: Option<Tz>,
    problems: &mut Vec<Problem>,
) -> Option<Meetings> {
    let section = node.as_mapping(MEETINGS_KEYS, problems)?;
    let holidays = holidays(&section, problems);
    let reminders = reminders(&section, problems);
    let series = all_series(&section, timezone, problems);
    Some(Meetings {
        holidays: holidays?,
        reminders: reminders?,
        series: series?,
    })
}

/// `meetings.holidays:`, a German state's code; Rhineland-Palatinate when absent.
fn holidays(section: &Mapping<'_>, problems: &mut Vec<Problem>) -> Option<State> {
    let Some(node) = section.optional("holidays") else {
        return Some(State::RheinlandPfalz);
    };
    node.as_str(problems).and_then(|code| {
        let state = State::from_code(code.trim());
        if state.is_none() {
            let codes: Vec<&str> = State::ALL.iter().map(|s| s.code()).collect();
            let (shown, codes) = (echo(code), codes.join(", "));
            problems.push(node.problem(
                text!(
                    de: "`{shown}` ist kein deutsches Bundesland",
                    en: "`{shown}` is not a German state"
                ),
                text!(
                    de: "schreiben Sie das Kürzel des Bundeslandes: {codes}",
                    en: "write the state's code: {codes}"
                ),
            ));
        }
        state
    })
}

/// `meetings.reminders:`, times before a meeting, not empty; longest first, each once.
/// [`DEFAULT_REMINDERS`] when absent.
fn reminders(section: &Mapping<'_>, problems: &mut Vec<Problem>) -> Option<Vec<TimeDelta>> {
    let Some(node) = section.optional("reminders") else {
        return Some(DEFAULT_REMINDERS.to_vec());
    };
    let reminders = text!(const de: "Ankündigungszeiten", en: "reminders");
    fields::list(&node, &reminders, limits::MAX_REMINDERS, problems).and_then(|items| {
        if items.is_empty() {
            problems.push(node.problem(
                text!(
                    de: "Es ist keine Ankündigungszeit angegeben",
                    en: "no announcement time is given"
                ),
                text!(
                    de: "geben Sie mindestens eine Zeit vor dem Termin an, z. B. `[7d, 1d, 15m]`",
                    en: "list at least one time before the meeting, e.g. `[7d, 1d, 15m]`"
                ),
            ));
            return None;
        }
        let parsed: Vec<Option<TimeDelta>> = items
            .iter()
            .map(|item| fields::reminder(item, problems))
            .collect();
        let mut reminders: Vec<TimeDelta> = parsed.into_iter().collect::<Option<_>>()?;
        reminders.sort_by(|a, b| b.cmp(a));
        reminders.dedup();
        Some(reminders)
    })
}

/// `meetings.series:`, each read by [`one_series`], their ids distinct; none when absent. A
/// series with errors is left out (its problems are reported).
fn all_series(
    section: &Mapping<'_>,
    timezone: Option<Tz>,
    problems: &mut Vec<Problem>,
) -> Option<Vec<Series>> {
    let Some(node) = section.optional("series") else {
        return Some(Vec::new());
    };
    fields::list(&node, &SERIES, limits::MAX_SERIES, problems).map(|items| {
        let mut all: Vec<Series> = Vec::new();
        for item in &items {
            if let Some(series) = one_series(item, timezone, problems) {
                if all.iter().any(|s| s.id == series.id) {
                    let id = &series.id;
                    problems.push(item.problem(
                        text!(
                            de: "Die Kennung `{id}` ist zweimal vergeben",
                            en: "the id `{id}` is used twice"
                        ),
                        text!(
                            de: "geben Sie jeder Serie eine eigene Kennung",
                            en: "give every series its own id"
                        ),
                    ));
                    continue;
                }
                all.push(series);
            }
        }
        all
    })
}

/// One entry of `meetings.series:`: its id, title, rule, first date, start and duration, and
/// the exceptions to single meetings. The first date must be an occurrence of the rule, and no
/// start (the series' or a moved meeting's) may fall into the gap when the clocks go forward.
fn one_series(
    node: &Node<'_>,
    timezone: Option<Tz>,
    problems: &mut Vec<Problem>,
) -> Option<Series> {
    let series = node.as_mapping(SERIES_KEYS, problems)?;
    let id = series_id(&series, problems);
    let title = series
        .required(
            "title",
            text!(
                de: "ergänzen Sie `title:`, z. B. `Videokonferenz des Netzwerks`",
                en: "add `title:`, e.g. `Videokonferenz des Netzwerks`"
            ),
            problems,
        )
        .and_then(|n| fields::text(&n, &fields::TITLE, limits::MAX_TITLE, problems));
    let rule = series_rule(&series, problems);
    let first_node = series.required(
        "first",
        text!(
            de: "ergänzen Sie `first:`, das Datum des ersten Termins, z. B. `2026-01-15`",
            en: "add `first:`, the date of the first meeting, e.g. `2026-01-15`"
        ),
        problems,
    );
    let first = first_node.as_ref().and_then(|n| fields::date(n, problems));
    let start_node = series.required(
        "start",
        text!(
            de: "ergänzen Sie `start: \"10:00\"`, die Anfangszeit (Ortszeit)",
            en: "add `start: \"10:00\"`, the local start time"
        ),
        problems,
    );
    let start = start_node.as_ref().and_then(|n| fields::time(n, problems));
    if let (Some(timezone), Some(first), Some(start), Some(start_node)) =
        (timezone, first, start, &start_node)
    {
        fields::existing_time(start_node, timezone, first, start, problems);
    }
    let duration = series
        .required(
            "duration",
            text!(de: "ergänzen Sie `duration: 90m`", en: "add `duration: 90m`"),
            problems,
        )
        .and_then(|n| fields::duration(&n, problems));
    let video_link = fields::optional(
        series
            .optional("video_link")
            .map(|n| fields::link(&n, problems)),
    );
    let skip_holidays = match series.optional("skip_holidays") {
        None => Some(false),
        Some(n) => fields::flag(&n, problems),
    };
    if let (Some(rule), Some(first), Some(first_node)) = (&rule, first, &first_node) {
        first_is_occurrence(rule, first, first_node, problems);
    }
    let exceptions = match series.optional("exceptions") {
        None => Some(BTreeMap::new()),
        Some(n) => exceptions(&n, rule.as_ref(), first, start, timezone, problems),
    };
    Some(Series {
        id: id?,
        title: title?,
        rule: rule?,
        first: first?,
        start: start?,
        duration: duration?,
        video_link: video_link?,
        skip_holidays: skip_holidays?,
        exceptions: exceptions?,
    })
}

/// A series' `id:`, which the file must give: a slug that never changes.
fn series_id(series: &Mapping<'_>, problems: &mut Vec<Problem>) -> Option<String> {
    series
        .required(
            "id",
            text!(
                de: "ergänzen Sie `id: videokonferenz`, eine feste Kennung, die sich nie ändert",
                en: "add `id: videokonferenz`, a stable id that never changes"
            ),
            problems,
        )
        .and_then(|n| fields::slug(&n, problems))
}

/// A series' `rule:`, which the file must give: an RFC 5545 rule that every calendar expands
/// alike.
fn series_rule(series: &Mapping<'_>, problems: &mut Vec<Problem>) -> Option<Rule> {
    let n = series.required(
        "rule",
        text!(
            de: "ergänzen Sie `rule:`, z. B. `FREQ=MONTHLY;BYDAY=3TH` für jeden dritten Donnerstag",
            en: "add `rule:`, e.g. `FREQ=MONTHLY;BYDAY=3TH` for every third Thursday"
        ),
        problems,
    )?;
    let text = n.as_str(problems)?;
    match text.parse::<Rule>() {
        // RFC 5545 allows `BYDAY=MO,-1WE` (every Monday and the last Wednesday), but
        // widespread calendar libraries (dateutil, rrule.js) expand it differently; the feed
        // must mean the same everywhere, so convene does not accept the mixture.
        Ok(rule)
            if rule.by_day.iter().any(|d| d.ordinal.is_some())
                && rule.by_day.iter().any(|d| d.ordinal.is_none()) =>
        {
            problems.push(n.problem(
                text!(
                    de: "BYDAY mischt Wochentage mit und ohne Nummer",
                    en: "BYDAY mixes weekdays with and without a number"
                ),
                text!(
                    de: "Kalenderprogramme legen solche Regeln unterschiedlich aus; verwenden Sie stattdessen zwei Serien, z. B. eine mit BYDAY=MO und eine mit BYDAY=-1WE",
                    en: "calendars disagree on such rules; use two series instead, e.g. one with BYDAY=MO and one with BYDAY=-1WE"
                ),
            ));
            None
        }
        Ok(rule) => Some(rule),
        Err(error) => {
            problems.push(n.problem(
                error.text(),
                text!(
                    de: "siehe RFC 5545: FREQ=WEEKLY oder MONTHLY, INTERVAL, BYDAY, BYMONTHDAY, COUNT oder UNTIL",
                    en: "see RFC 5545: FREQ=WEEKLY or MONTHLY, INTERVAL, BYDAY, BYMONTHDAY, COUNT or UNTIL"
                ),
            ));
            None
        }
    }
}

/// A series' first date must itself be a meeting of its rule; the problem is shown at
/// `first_node`.
fn first_is_occurrence(
    rule: &Rule,
    first: chrono::NaiveDate,
    first_node: &Node<'_>,
    problems: &mut Vec<Problem>,
) {
    if !rule.is_occurrence(first, first) {
        problems.push(first_node.problem(
            text!(
                de: "Am {first} findet nach der Regel `{rule}` kein Termin statt",
                en: "{first} is not an occurrence of the rule `{rule}`"
            ),
            text!(
                de: "das erste Datum muss selbst einer der Termine sein",
                en: "the first date must itself be one of the meetings"
            ),
        ));
    }
}

/// A series' `exceptions:`, by the regular date of the meeting each changes: every date one
/// of the series', each at most once, and no moved meeting starting in a clock gap. `rule`,
/// `first` and `start` are the series' own, `None` where they have errors (then what depends
/// on them is not checked). An exception with errors is left out (its problems are reported).
fn exceptions(
    node: &Node<'_>,
    rule: Option<&Rule>,
    first: Option<chrono::NaiveDate>,
    start: Option<chrono::NaiveTime>,
    timezone: Option<Tz>,
    problems: &mut Vec<Problem>,
) -> Option<BTreeMap<chrono::NaiveDate, Exception>> {
    fields::list(node, &EXCEPTIONS, limits::MAX_EXCEPTIONS, problems).map(|items| {
        let is_occurrence = occurrences(rule, first);
        let mut exceptions = BTreeMap::new();
        for item in &items {
            let Some((date, date_node, exception)) = one_exception(item, problems) else {
                continue;
            };
            if let (Some(timezone), Some(series_start)) = (timezone, start)
                && !moved_start_exists(item, timezone, date, series_start, &exception, problems)
            {
                continue;
            }
            if !is_occurrence(date) {
                problems.push(date_node.problem(
                    text!(
                        de: "Am {date} findet kein Termin dieser Serie statt",
                        en: "{date} is not a date of this series"
                    ),
                    text!(
                        de: "geben Sie das reguläre Datum des Termins an, der ausfällt oder verschoben wird",
                        en: "give the regular date of the meeting that is cancelled or moved"
                    ),
                ));
                continue;
            }
            if exceptions.insert(date, exception).is_some() {
                problems.push(date_node.problem(
                    text!(
                        de: "Für den {date} gibt es zwei Ausnahmen",
                        en: "{date} has two exceptions"
                    ),
                    text!(
                        de: "führen Sie sie in einem Eintrag zusammen",
                        en: "merge them into one entry"
                    ),
                ));
            }
        }
        exceptions
    })
}

/// Whether a date is a meeting of the series, to check its exceptions against; any date is
/// when the rule or the first date has errors (those are reported already). Whether a date is
/// an occurrence of a COUNT rule takes expanding the rule up to it; expanded once here, every
/// exception is a look-up.
fn occurrences(
    rule: Option<&Rule>,
    first: Option<chrono::NaiveDate>,
) -> impl Fn(chrono::NaiveDate) -> bool + '_ {
    let counted: Option<BTreeSet<chrono::NaiveDate>> = match (rule, first) {
        (Some(rule), Some(first)) if matches!(rule.end, crate::schedule::rrule::End::Count(_)) => {
            Some(rule.dates(first).collect())
        }
        _ => None,
    };
    move |date| match (&counted, rule, first) {
        (Some(counted), _, _) => counted.contains(&date),
        (None, Some(rule), Some(first)) => rule.is_occurrence(first, date),
        _ => true,
    }
}

/// Whether the meeting of `date` still starts at a time that exists (see
/// [`fields::existing_time`]) when the exception moves it to another date or start; the
/// problem is shown at the exception, `item`. Any other exception passes.
fn moved_start_exists(
    item: &Node<'_>,
    timezone: Tz,
    date: chrono::NaiveDate,
    series_start: chrono::NaiveTime,
    exception: &Exception,
    problems: &mut Vec<Problem>,
) -> bool {
    let Exception::Moved {
        date: new_date,
        start: new_start,
        ..
    } = exception
    else {
        return true;
    };
    if new_date.is_none() && new_start.is_none() {
        return true;
    }
    fields::existing_time(
        item,
        timezone,
        new_date.unwrap_or(date),
        new_start.unwrap_or(series_start),
        problems,
    )
    .is_some()
}

fn one_exception<'a>(
    node: &Node<'a>,
    problems: &mut Vec<Problem>,
) -> Option<(chrono::NaiveDate, Node<'a>, Exception)> {
    let exception = node.as_mapping(EXCEPTION_KEYS, problems)?;
    let date_node = exception.required(
        "date",
        text!(
            de: "ergänzen Sie `date:`, das reguläre Datum des betroffenen Termins",
            en: "add `date:`, the regular date of the meeting concerned"
        ),
        problems,
    )?;
    let date = fields::date(&date_node, problems);
    let note = fields::optional(
        exception
            .optional("note")
            .map(|n| fields::prose(&n, &fields::NOTE, limits::MAX_NOTE, problems)),
    );
    let cancelled = match exception.optional("cancelled") {
        None => Some(false),
        Some(n) => fields::flag(&n, problems),
    };
    let new_date = exception
        .optional("new_date")
        .map(|n| fields::date(&n, problems));
    let new_start = exception
        .optional("new_start")
        .map(|n| fields::time(&n, problems));
    let new_duration = exception
        .optional("new_duration")
        .map(|n| fields::duration(&n, problems));
    let new_video_link = exception
        .optional("new_video_link")
        .map(|n| fields::link(&n, problems));
    let changes = new_date.is_some()
        || new_start.is_some()
        || new_duration.is_some()
        || new_video_link.is_some();
    let exception = match (cancelled?, changes) {
        (true, true) => {
            problems.push(node.problem(
                text!(
                    de: "Ein Termin kann nicht zugleich ausfallen und verschoben werden",
                    en: "a meeting cannot be both cancelled and moved"
                ),
                text!(
                    de: "entfernen Sie `cancelled: true` oder die Schlüssel `new_…`",
                    en: "remove `cancelled: true` or the `new_…` keys"
                ),
            ));
            return None;
        }
        (false, false) => {
            problems.push(node.problem(
                text!(
                    de: "Diese Ausnahme ändert nichts",
                    en: "this exception changes nothing"
                ),
                text!(
                    de: "ergänzen Sie `cancelled: true` oder `new_date:`, `new_start:`, `new_duration:` oder `new_video_link:`",
                    en: "add `cancelled: true`, or `new_date:`, `new_start:`, `new_duration:` or `new_video_link:`"
                ),
            ));
            return None;
        }
        (true, false) => Exception::Cancelled { note: note? },
        (false, true) => Exception::Moved {
            date: fields::optional(new_date)?,
            start: fields::optional(new_start)?,
            duration: fields::optional(new_duration)?,
            video_link: fields::optional(new_video_link)?,
            note: note?,
        },
    };
    Some((date?, date_node, exception))
}

fn calendar(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<CalendarConfig> {
    let section = node.as_mapping(CALENDAR_KEYS, problems)?;
    let contact_node = section.required(
        "contact",
        text!(
            de: "ergänzen Sie `contact: info@example.org`, die Kontaktadresse des Netzwerks",
            en: "add `contact: info@example.org`, the network's contact address"
        ),
        problems,
    );
    let contact = contact_node.as_ref().and_then(|n| {
        let text = n.as_str(problems)?.trim();
        // The address goes into every ORGANIZER as a `mailto:` URI: nothing that would end or
        // break the property may be in it.
        let valid = text.chars().count() <= limits::MAX_ADDRESS
            && !text.contains(|c: char| {
                c.is_whitespace()
                    || c.is_control()
                    || matches!(c, '"' | '<' | '>' | '\\' | ',' | ';')
            })
            && text
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
        if valid {
            Some(text.trim_start_matches("mailto:").to_owned())
        } else {
            let shown = echo(text);
            problems.push(n.problem(
                text!(
                    de: "`{shown}` ist keine E-Mail-Adresse",
                    en: "`{shown}` is not an e-mail address"
                ),
                text!(
                    de: "schreiben Sie nur die Adresse, z. B. `info@ikone-ds.de`",
                    en: "write the address only, e.g. `info@ikone-ds.de`"
                ),
            ));
            None
        }
    });
    let uid_domain = match section.optional("uid_domain") {
        Some(n) => uid_domain(&n, problems),
        None => contact
            .as_ref()
            .and_then(|c| c.split_once('@'))
            .map(|(_, domain)| domain.to_owned()),
    };
    let listen = match section.optional("listen") {
        None => Some(DEFAULT_LISTEN),
        Some(n) => listen_address(&n, problems),
    };
    let public_url = match section.optional("public_url") {
        Some(n) => fields::link(&n, problems),
        None => listen.and_then(|l| Url::parse(&format!("http://{l}/")).ok()),
    };
    let public = match section.optional("public") {
        Some(n) => fields::flag(&n, problems),
        None => Some(false),
    };
    Some(CalendarConfig {
        contact: contact?,
        uid_domain: uid_domain?,
        listen: listen?,
        public_url: public_url?,
        public: public?,
    })
}

/// Where the HTTP server listens unless the configuration says otherwise: only this machine.
pub const DEFAULT_LISTEN: std::net::SocketAddr =
    std::net::SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8080);

/// An address to listen on: IP and port.
fn listen_address(n: &Node<'_>, problems: &mut Vec<Problem>) -> Option<std::net::SocketAddr> {
    n.as_str(problems).and_then(|text| match text.parse() {
        Ok(address) => Some(address),
        Err(_) => {
            let shown = echo(text);
            problems.push(n.problem(
                text!(
                    de: "`{shown}` ist keine Adresse, auf der der Server lauschen kann",
                    en: "`{shown}` is not an address to listen on"
                ),
                text!(
                    de: "schreiben Sie IP-Adresse und Port, z. B. `127.0.0.1:8080`",
                    en: "write IP and port, e.g. `127.0.0.1:8080`"
                ),
            ));
            None
        }
    })
}

/// The domain of calendar UIDs: a DNS name (letters, digits, dashes and dots), since it goes
/// into every UID and must never change.
fn uid_domain(node: &Node<'_>, problems: &mut Vec<Problem>) -> Option<String> {
    let text = node.as_str(problems)?.trim();
    let valid = !text.is_empty()
        && text.len() <= limits::MAX_DOMAIN
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        && !text.starts_with(['.', '-'])
        && !text.ends_with(['.', '-']);
    if valid {
        Some(text.to_owned())
    } else {
        let shown = echo(text);
        problems.push(node.problem(
            text!(
                de: "`{shown}` ist kein Domainname",
                en: "`{shown}` is not a domain name"
            ),
            text!(
                de: "schreiben Sie eine Domain wie `ikone-ds.de`: Buchstaben, Ziffern, Bindestriche und Punkte",
                en: "write a domain such as `ikone-ds.de`: letters, digits, dashes and dots"
            ),
        ));
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without `source_url`, the bot still offers its source: the default is a valid link.
    #[test]
    fn the_default_source_url_is_an_https_link() {
        let url = Url::parse(DEFAULT_SOURCE_URL).unwrap();
        assert_eq!(url.scheme(), "https");
        assert_eq!(url.as_str(), "https://github.com/ikone-ds/convene");
    }
}
