//! Chat commands: what members can ask the bot, parsed from a message body.
//!
//! A message is a command when its first word starts with `!`. Parsing never fails silently:
//! an unknown command or stray arguments become a [`CommandError`], which the bot answers with a
//! helpful reply instead of ignoring the member.

use chrono::NaiveDate;
use matrix_sdk::ruma::OwnedUserId;
use url::Url;

/// A command the bot understands.
///
/// The help text members see is [`Command::HELP`], in the bot's language; keep both in step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `!help`: lists the commands, one line each.
    Help,
    /// `!ping`: checks that the bot is reachable and how long a message took to reach it.
    Ping,
    /// `!next`: the next meeting, with its date, video link and agenda.
    Next,
    /// `!schedule`: the next few meetings, one line each.
    Schedule,
    /// `!announce <date>` (organizers): posts the announcement of the meeting on that date now.
    Announce(NaiveDate),
    /// `!agenda …`: the next meeting's agenda and members' proposals for it.
    Agenda(AgendaCommand),
    /// `!ics [date]`: the .ics invitation of the next meeting, or of the meeting on that date.
    Ics(Option<NaiveDate>),
    /// `!subscribe`: links to subscribe to the calendar; `!subscribe rotate` (organizers)
    /// replaces the room's private link.
    Subscribe {
        /// Whether to replace the room's link.
        rotate: bool,
    },
    /// `!minutes …`: starting, ending, correcting, approving and listing minutes.
    Minutes(MinutesCommand),
    /// `!chair @user` (chairs): makes someone a chair of the minutes being recorded.
    Chair(OwnedUserId),
    /// `!topic [title]` (chairs): the next agenda item, or an item with this title.
    Topic(Option<String>),
    /// `!info <text>` (chairs): a note of what was discussed.
    Info(String),
    /// `!decision <text>` (chairs): a decision.
    Decision(String),
    /// `!action <municipality or @user> <task> [due <date>]` (chairs): an action item.
    Action(ActionArguments),
    /// `!link <url> <title>` (chairs): a link for the minutes.
    Link {
        /// Where.
        url: Url,
        /// What it is.
        title: String,
    },
    /// `!undo` (chairs): takes back the last line recorded.
    Undo,
    /// `!here [municipality]`: the room's municipality (or, from a chair, the one named) takes
    /// part in the meeting.
    Here(Option<String>),
    /// `!actions [all]`: the room's open action items; `all` (organizers) every one.
    Actions {
        /// Every municipality's.
        all: bool,
    },
    /// `!done <n>`: closes an action item.
    Done(i64),
}

/// The `!minutes` subcommands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MinutesCommand {
    /// `!minutes`: the minutes being recorded, or the draft.
    Show,
    /// `!minutes start` (organizers): starts the minutes of the current or next meeting.
    Start,
    /// `!minutes end` (chairs): ends the recording; the draft goes to the organizers.
    End,
    /// `!minutes edit <n> <text>` (organizers and chairs): corrects line `n` of the draft.
    Edit {
        /// The line.
        number: u32,
        /// Its new text.
        text: String,
    },
    /// `!minutes approve [date]` (organizers): publishes the draft in every room.
    Approve(Option<NaiveDate>),
    /// `!minutes list`: the published minutes, with their links.
    List,
}

/// What follows `!action`: the owner and task (split against the configured municipalities
/// later), and the due date if one was given at the end (`due 2027-01-15`, `bis 15.01.2027`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionArguments {
    /// `<municipality or @user> <task>`.
    pub owner_and_task: String,
    /// The due date.
    pub due: Option<NaiveDate>,
}

/// The `!agenda` subcommands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgendaCommand {
    /// `!agenda`: the next meeting's agenda.
    Show,
    /// `!agenda add <title> [— <description>]`: proposes an item for the next meeting.
    Add {
        /// The item's title (at most [`MAX_TITLE`] characters).
        title: String,
        /// Its description (at most [`MAX_DESCRIPTION`] characters).
        description: Option<String>,
    },
    /// `!agenda mine`: the sender's proposals and what became of them.
    Mine,
    /// `!agenda withdraw <n>`: takes back one's own open proposal.
    Withdraw(i64),
    /// `!agenda proposals` (organizers): every open proposal.
    Proposals,
    /// `!agenda accept <n> [part]` (organizers): puts a proposal on the agenda.
    Accept {
        /// The proposal.
        number: i64,
        /// The part of the meeting, 1-based.
        part: Option<u32>,
    },
    /// `!agenda reject <n> <reason>` (organizers): turns a proposal down.
    Reject {
        /// The proposal.
        number: i64,
        /// Why, for the proposer.
        reason: String,
    },
    /// `!agenda defer <n>` (organizers): moves a proposal to the meeting after.
    Defer(i64),
}

/// The longest title of a proposal, in characters.
pub const MAX_TITLE: usize = 200;
/// The longest description of a proposal, in characters.
pub const MAX_DESCRIPTION: usize = 4_000;

/// One line of `!help`.
#[derive(Debug, Clone, Copy)]
pub struct CommandHelp {
    /// How to write the command.
    pub usage: &'static str,
    /// What it does, in formal German.
    pub german: &'static str,
    /// What it does, in English.
    pub english: &'static str,
}

impl Command {
    /// The help text of every command, in the order `!help` lists them.
    pub const HELP: &'static [CommandHelp] = &[
        CommandHelp {
            usage: "!help",
            german: "zeigt diese Übersicht der Befehle an",
            english: "shows this list of commands",
        },
        CommandHelp {
            usage: "!ping",
            german: "prüft, ob der Bot erreichbar ist",
            english: "checks that the bot is reachable",
        },
        CommandHelp {
            usage: "!next",
            german: "zeigt den nächsten Termin mit Videolink und Tagesordnung",
            english: "shows the next meeting with its video link and agenda",
        },
        CommandHelp {
            usage: "!schedule",
            german: "listet die nächsten Termine auf",
            english: "lists the coming meetings",
        },
        CommandHelp {
            usage: "!agenda",
            german: "zeigt die Tagesordnung des nächsten Termins",
            english: "shows the next meeting's agenda",
        },
        CommandHelp {
            usage: "!agenda add <Titel> [— <Beschreibung>]",
            german: "schlägt einen Tagesordnungspunkt für den nächsten Termin vor",
            english: "proposes an agenda item for the next meeting",
        },
        CommandHelp {
            usage: "!agenda mine",
            german: "zeigt Ihre Vorschläge und was aus ihnen wurde",
            english: "lists your proposals and what became of them",
        },
        CommandHelp {
            usage: "!agenda withdraw <Nr.>",
            german: "zieht Ihren Vorschlag zurück",
            english: "withdraws your proposal",
        },
        CommandHelp {
            usage: "!agenda proposals",
            german: "(Organisation) listet alle offenen Vorschläge auf",
            english: "(organizers) lists every open proposal",
        },
        CommandHelp {
            usage: "!agenda accept <Nr.> [Teil]",
            german: "(Organisation) nimmt einen Vorschlag in die Tagesordnung auf",
            english: "(organizers) puts a proposal on the agenda",
        },
        CommandHelp {
            usage: "!agenda reject <Nr.> <Begründung>",
            german: "(Organisation) lehnt einen Vorschlag mit Begründung ab",
            english: "(organizers) turns a proposal down, with a reason",
        },
        CommandHelp {
            usage: "!agenda defer <Nr.>",
            german: "(Organisation) verschiebt einen Vorschlag auf den übernächsten Termin",
            english: "(organizers) moves a proposal to the meeting after",
        },
        CommandHelp {
            usage: "!ics [Datum]",
            german: "sendet die Kalendereinladung (.ics) des nächsten Termins oder des Termins an diesem Datum",
            english: "sends the calendar invitation (.ics) of the next meeting, or of the meeting on that date",
        },
        CommandHelp {
            usage: "!subscribe",
            german: "Links, um den Kalender des Netzwerks zu abonnieren (Outlook, Google, Apple, Thunderbird)",
            english: "links to subscribe to the network's calendar (Outlook, Google, Apple, Thunderbird)",
        },
        CommandHelp {
            usage: "!subscribe rotate",
            german: "(Organisation) ersetzt den privaten Kalenderlink dieses Raums",
            english: "(organizers) replaces this room's private calendar link",
        },
        CommandHelp {
            usage: "!here",
            german: "meldet Ihre Kommune für die laufende Sitzung als anwesend",
            english: "marks your municipality as present at the running meeting",
        },
        CommandHelp {
            usage: "!actions [all]",
            german: "listet die offenen Aufgaben Ihrer Kommune auf (all: alle, für die Organisation)",
            english: "lists your municipality's open action items (all: every one, for organizers)",
        },
        CommandHelp {
            usage: "!done <Nr.>",
            german: "markiert eine Aufgabe als erledigt",
            english: "marks an action item as done",
        },
        CommandHelp {
            usage: "!minutes list",
            german: "listet die veröffentlichten Protokolle mit Links auf",
            english: "lists the published minutes with their links",
        },
        CommandHelp {
            usage: "!minutes start",
            german: "(Organisation) beginnt das Protokoll des laufenden oder nächsten Termins; Sie führen den Vorsitz",
            english: "(organizers) starts the minutes of the current or next meeting, with you as chair",
        },
        CommandHelp {
            usage: "!chair @Nutzer",
            german: "(Vorsitz) nimmt jemanden in den Vorsitz auf",
            english: "(chairs) makes someone a chair",
        },
        CommandHelp {
            usage: "!topic [Titel]",
            german: "(Vorsitz) nächster Tagesordnungspunkt, oder ein Punkt mit diesem Titel",
            english: "(chairs) the next agenda item, or an item with this title",
        },
        CommandHelp {
            usage: "!info <Text>",
            german: "(Vorsitz) hält fest, was besprochen wurde",
            english: "(chairs) notes what was discussed",
        },
        CommandHelp {
            usage: "!decision <Text>",
            german: "(Vorsitz) hält einen Beschluss fest",
            english: "(chairs) records a decision",
        },
        CommandHelp {
            usage: "!action <Kommune oder @Nutzer> <Aufgabe> [due JJJJ-MM-TT]",
            german: "(Vorsitz) hält eine Aufgabe mit Zuständigkeit und Frist fest",
            english: "(chairs) records an action item with its owner and due date",
        },
        CommandHelp {
            usage: "!link <URL> <Titel>",
            german: "(Vorsitz) nimmt einen Link ins Protokoll auf",
            english: "(chairs) adds a link to the minutes",
        },
        CommandHelp {
            usage: "!undo",
            german: "(Vorsitz) nimmt den letzten Eintrag zurück",
            english: "(chairs) takes back the last line recorded",
        },
        CommandHelp {
            usage: "!minutes end",
            german: "(Vorsitz) beendet das Protokoll; der Entwurf geht an die Organisation",
            english: "(chairs) ends the minutes; the draft goes to the organizers",
        },
        CommandHelp {
            usage: "!minutes edit <Nr.> <Text>",
            german: "(Vorsitz, Organisation) korrigiert einen Eintrag des Entwurfs",
            english: "(chairs, organizers) corrects a line of the draft",
        },
        CommandHelp {
            usage: "!minutes approve [Datum]",
            german: "(Organisation) genehmigt den Entwurf und veröffentlicht ihn in allen Räumen",
            english: "(organizers) approves the draft and publishes it in every room",
        },
        CommandHelp {
            usage: "!announce <Datum>",
            german: "(Organisation) kündigt den Termin an diesem Datum sofort in allen Räumen an",
            english: "(organizers) posts the announcement of the meeting on that date in every room now",
        },
    ];

    /// The command's name, as members type it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Help => "!help",
            Self::Ping => "!ping",
            Self::Next => "!next",
            Self::Schedule => "!schedule",
            Self::Announce(_) => "!announce",
            Self::Subscribe { .. } => "!subscribe",
            Self::Ics(_) => "!ics",
            Self::Agenda(AgendaCommand::Show) => "!agenda",
            Self::Agenda(AgendaCommand::Add { .. }) => "!agenda add",
            Self::Agenda(AgendaCommand::Mine) => "!agenda mine",
            Self::Agenda(AgendaCommand::Withdraw(_)) => "!agenda withdraw",
            Self::Agenda(AgendaCommand::Proposals) => "!agenda proposals",
            Self::Agenda(AgendaCommand::Accept { .. }) => "!agenda accept",
            Self::Agenda(AgendaCommand::Reject { .. }) => "!agenda reject",
            Self::Agenda(AgendaCommand::Defer(_)) => "!agenda defer",
            Self::Minutes(MinutesCommand::Show) => "!minutes",
            Self::Minutes(MinutesCommand::Start) => "!minutes start",
            Self::Minutes(MinutesCommand::End) => "!minutes end",
            Self::Minutes(MinutesCommand::Edit { .. }) => "!minutes edit",
            Self::Minutes(MinutesCommand::Approve(_)) => "!minutes approve",
            Self::Minutes(MinutesCommand::List) => "!minutes list",
            Self::Chair(_) => "!chair",
            Self::Topic(_) => "!topic",
            Self::Info(_) => "!info",
            Self::Decision(_) => "!decision",
            Self::Action(_) => "!action",
            Self::Link { .. } => "!link",
            Self::Undo => "!undo",
            Self::Here(_) => "!here",
            Self::Actions { .. } => "!actions",
            Self::Done(_) => "!done",
        }
    }

    /// Whether only organizers may run it.
    pub fn organizers_only(&self) -> bool {
        matches!(
            self,
            Self::Announce(_)
                | Self::Subscribe { rotate: true }
                | Self::Minutes(MinutesCommand::Start | MinutesCommand::Approve(_))
                | Self::Actions { all: true }
                | Self::Agenda(
                    AgendaCommand::Proposals
                        | AgendaCommand::Accept { .. }
                        | AgendaCommand::Reject { .. }
                        | AgendaCommand::Defer(_)
                )
        )
    }
}

impl Command {
    /// Whether only the chairs of the minutes being recorded may run it.
    pub fn chairs_only(&self) -> bool {
        matches!(
            self,
            Self::Chair(_)
                | Self::Topic(_)
                | Self::Info(_)
                | Self::Decision(_)
                | Self::Action(_)
                | Self::Link { .. }
                | Self::Undo
                | Self::Minutes(MinutesCommand::End)
        )
    }
}

impl std::fmt::Display for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a message that looks like a command is not one the bot can run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The word after `!` names no command.
    #[error("unknown command {0}")]
    Unknown(String),
    /// The command takes no arguments, but some were given.
    #[error("{command} takes no arguments")]
    UnexpectedArguments {
        /// The command that was meant.
        command: Command,
    },
    /// `!announce` needs a date, and what followed was none.
    #[error("!announce needs a date")]
    MissingDate {
        /// What was given instead, if anything.
        given: Option<String>,
    },
    /// An organizer command from someone who is not an organizer.
    #[error("{command} is for organizers")]
    NotAllowed {
        /// The command.
        command: Command,
    },
    /// A command written wrongly (a missing or malformed argument, an unknown subcommand).
    #[error("{usage} was expected")]
    Usage {
        /// How to write it.
        usage: &'static str,
    },
    /// A proposal number that is no number.
    #[error("{given} is not a proposal number")]
    NotANumber {
        /// What was given.
        given: String,
    },
    /// A command for the chairs of the minutes, from someone who is not one.
    #[error("{command} is for the chairs of the minutes")]
    NotChair {
        /// The command.
        command: Command,
    },
    /// More commands in one message than the bot runs.
    #[error("more than {max} commands in one message")]
    TooManyCommands {
        /// The limit.
        max: usize,
    },
    /// A proposal's title or description is too long.
    #[error("the {what} has {length} characters, more than {max}")]
    TooLong {
        /// `title` or `description`.
        what: &'static str,
        /// How long it is.
        length: usize,
        /// The limit.
        max: usize,
    },
}

/// The longest command name quoted back in an error reply; longer input is cut.
const MAX_QUOTED_NAME: usize = 32;

/// The most commands one message may hold.
pub const MAX_COMMANDS: usize = 20;

/// Parses every command in a message body: each line that starts with `!` begins a command, and
/// the lines after it, up to the next command, continue it. `None` means the message is no
/// command (ordinary chat): it does not start with `!`.
pub fn parse_all(body: &str) -> Option<Vec<Result<Command, CommandError>>> {
    let text = strip_reply_fallback(body).trim_start();
    if !text.starts_with('!') {
        return None;
    }
    let mut commands: Vec<String> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        match commands.last_mut() {
            Some(current) if !starts_command(trimmed) => {
                current.push('\n');
                current.push_str(line);
            }
            _ => commands.push(trimmed.to_owned()),
        }
    }
    if commands.len() > MAX_COMMANDS {
        return Some(vec![Err(CommandError::TooManyCommands {
            max: MAX_COMMANDS,
        })]);
    }
    let parsed: Vec<_> = commands.iter().filter_map(|c| parse(c)).collect();
    (!parsed.is_empty()).then_some(parsed)
}

/// Whether a line begins a command: `!` and a letter.
fn starts_command(line: &str) -> bool {
    line.strip_prefix('!')
        .and_then(|rest| rest.chars().next())
        .is_some_and(char::is_alphabetic)
}

/// Parses one command. `None` means the text is no command.
pub fn parse(body: &str) -> Option<Result<Command, CommandError>> {
    let text = strip_reply_fallback(body).trim_start();
    if !text.starts_with('!') {
        return None;
    }
    let (name, arguments) = match text.split_once(char::is_whitespace) {
        Some((name, rest)) => (name, rest.trim()),
        None => (text, ""),
    };
    let command = match name.to_lowercase().as_str() {
        "!help" | "!hilfe" => Command::Help,
        "!ping" => Command::Ping,
        "!next" | "!naechster" | "!nächster" => Command::Next,
        "!schedule" | "!termine" => Command::Schedule,
        "!announce" | "!ankuendigen" | "!ankündigen" => {
            return Some(parse_date(arguments).map(Command::Announce).ok_or_else(|| {
                let shown: String = arguments.chars().take(MAX_QUOTED_NAME).collect();
                CommandError::MissingDate {
                    given: (!shown.is_empty()).then_some(shown),
                }
            }));
        }
        "!agenda" | "!tagesordnung" => return Some(parse_agenda(arguments).map(Command::Agenda)),
        "!ics" | "!kalender" => {
            if arguments.is_empty() {
                return Some(Ok(Command::Ics(None)));
            }
            return Some(
                parse_date(arguments)
                    .map(|d| Command::Ics(Some(d)))
                    .ok_or_else(|| {
                        let shown: String = arguments.chars().take(MAX_QUOTED_NAME).collect();
                        CommandError::MissingDate { given: Some(shown) }
                    }),
            );
        }
        "!subscribe" | "!abonnieren" => {
            return Some(match arguments.to_lowercase().as_str() {
                "" => Ok(Command::Subscribe { rotate: false }),
                "rotate" | "neu" => Ok(Command::Subscribe { rotate: true }),
                _ => Err(CommandError::UnexpectedArguments {
                    command: Command::Subscribe { rotate: false },
                }),
            });
        }
        "!minutes" | "!protokoll" => {
            return Some(parse_minutes(arguments).map(Command::Minutes));
        }
        "!chair" | "!vorsitz" => {
            return Some(
                matrix_sdk::ruma::UserId::parse(arguments)
                    .map(Command::Chair)
                    .map_err(|_| CommandError::Usage {
                        usage: "!chair @nutzer:server",
                    }),
            );
        }
        "!topic" | "!thema" | "!top" => {
            return Some(optional_text(arguments, MAX_TITLE).map(Command::Topic));
        }
        "!info" | "!notiz" => {
            return Some(required_text(arguments, "!info <Text>").map(Command::Info));
        }
        "!decision" | "!agreed" | "!beschluss" => {
            return Some(required_text(arguments, "!decision <Text>").map(Command::Decision));
        }
        "!action" | "!aufgabe" => return Some(parse_action(arguments).map(Command::Action)),
        "!link" => {
            let usage = "!link <URL> <Titel>";
            let (url, title) = arguments
                .split_once(char::is_whitespace)
                .unwrap_or((arguments, ""));
            let url = Url::parse(url)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                .ok_or(CommandError::Usage { usage });
            return Some(url.and_then(|url| {
                let title = match title.trim() {
                    "" => url.to_string(),
                    title => title.to_owned(),
                };
                Ok(Command::Link {
                    url,
                    title: required_text(&title, usage)?,
                })
            }));
        }
        "!here" | "!hier" | "!anwesend" => {
            return Some(optional_text(arguments, MAX_TITLE).map(Command::Here));
        }
        "!actions" | "!aufgaben" => {
            return Some(match arguments.to_lowercase().as_str() {
                "" => Ok(Command::Actions { all: false }),
                "all" | "alle" => Ok(Command::Actions { all: true }),
                _ => Err(CommandError::Usage {
                    usage: "!actions [all]",
                }),
            });
        }
        "!done" | "!erledigt" => {
            return Some(
                positive(arguments)
                    .map(Command::Done)
                    .ok_or(CommandError::Usage {
                        usage: "!done <Nr.>",
                    }),
            );
        }
        "!undo" | "!rueckgaengig" | "!rückgängig" => Command::Undo,
        "!" => return None,
        _ => {
            let shown: String = name.chars().take(MAX_QUOTED_NAME).collect();
            return Some(Err(CommandError::Unknown(shown)));
        }
    };
    if !arguments.is_empty() {
        return Some(Err(CommandError::UnexpectedArguments { command }));
    }
    Some(Ok(command))
}

fn parse_agenda(arguments: &str) -> Result<AgendaCommand, CommandError> {
    let (sub, rest) = match arguments.split_once(char::is_whitespace) {
        Some((sub, rest)) => (sub, rest.trim()),
        None => (arguments, ""),
    };
    let number = |text: &str, usage: &'static str| -> Result<i64, CommandError> {
        let text = text.trim().trim_start_matches('#');
        if text.is_empty() {
            return Err(CommandError::Usage { usage });
        }
        text.parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| CommandError::NotANumber {
                given: text.chars().take(MAX_QUOTED_NAME).collect(),
            })
    };
    match sub.to_lowercase().as_str() {
        "" => Ok(AgendaCommand::Show),
        "add" | "neu" => {
            let (title, description) = match rest
                .split_once(" — ")
                .or_else(|| rest.split_once(" – "))
                .or_else(|| rest.split_once(" -- "))
            {
                Some((title, description)) => (title.trim(), Some(description.trim())),
                None => (rest, None),
            };
            if title.is_empty() {
                return Err(CommandError::Usage {
                    usage: "!agenda add <Titel> — <Beschreibung>",
                });
            }
            let length = title.chars().count();
            if length > MAX_TITLE {
                return Err(CommandError::TooLong {
                    what: "title",
                    length,
                    max: MAX_TITLE,
                });
            }
            let description = description.filter(|d| !d.is_empty());
            if let Some(description) = description {
                let length = description.chars().count();
                if length > MAX_DESCRIPTION {
                    return Err(CommandError::TooLong {
                        what: "description",
                        length,
                        max: MAX_DESCRIPTION,
                    });
                }
            }
            Ok(AgendaCommand::Add {
                title: title.to_owned(),
                description: description.map(str::to_owned),
            })
        }
        "mine" | "meine" if rest.is_empty() => Ok(AgendaCommand::Mine),
        "proposals" | "vorschlaege" | "vorschläge" if rest.is_empty() => {
            Ok(AgendaCommand::Proposals)
        }
        "withdraw" | "zurueckziehen" | "zurückziehen" => {
            number(rest, "!agenda withdraw <Nr.>").map(AgendaCommand::Withdraw)
        }
        "defer" | "verschieben" => number(rest, "!agenda defer <Nr.>").map(AgendaCommand::Defer),
        "accept" | "annehmen" => {
            let usage = "!agenda accept <Nr.> [Teil]";
            let (n, part) = match rest.split_once(char::is_whitespace) {
                Some((n, part)) => (n, Some(part.trim())),
                None => (rest, None),
            };
            let number = number(n, usage)?;
            let part = match part {
                None => None,
                Some(part) => Some(
                    part.parse::<u32>()
                        .ok()
                        .filter(|p| *p > 0)
                        .ok_or(CommandError::Usage { usage })?,
                ),
            };
            Ok(AgendaCommand::Accept { number, part })
        }
        "reject" | "ablehnen" => {
            let usage = "!agenda reject <Nr.> <Begründung>";
            let (n, reason) = rest
                .split_once(char::is_whitespace)
                .ok_or(CommandError::Usage { usage })?;
            let reason = reason.trim();
            if reason.is_empty() {
                return Err(CommandError::Usage { usage });
            }
            if reason.chars().count() > MAX_DESCRIPTION {
                return Err(CommandError::TooLong {
                    what: "reason",
                    length: reason.chars().count(),
                    max: MAX_DESCRIPTION,
                });
            }
            Ok(AgendaCommand::Reject {
                number: number(n, usage)?,
                reason: reason.to_owned(),
            })
        }
        _ => Err(CommandError::Usage {
            usage: "!agenda [add | mine | withdraw | proposals | accept | reject | defer]",
        }),
    }
}

fn parse_minutes(arguments: &str) -> Result<MinutesCommand, CommandError> {
    let (sub, rest) = match arguments.split_once(char::is_whitespace) {
        Some((sub, rest)) => (sub, rest.trim()),
        None => (arguments, ""),
    };
    let usage = CommandError::Usage {
        usage: "!minutes [start | end | edit <Nr.> <Text> | approve [Datum] | list]",
    };
    match (sub.to_lowercase().as_str(), rest) {
        ("" | "show" | "zeigen" | "entwurf", "") => Ok(MinutesCommand::Show),
        ("start" | "beginnen", "") => Ok(MinutesCommand::Start),
        ("end" | "beenden" | "ende", "") => Ok(MinutesCommand::End),
        ("list" | "liste", "") => Ok(MinutesCommand::List),
        ("approve" | "genehmigen", "") => Ok(MinutesCommand::Approve(None)),
        ("approve" | "genehmigen", date) => parse_date(date)
            .map(|d| MinutesCommand::Approve(Some(d)))
            .ok_or(CommandError::MissingDate {
                given: Some(date.chars().take(MAX_QUOTED_NAME).collect()),
            }),
        ("edit" | "korrigieren", rest) => {
            let usage = "!minutes edit <Nr.> <Text>";
            let (number, text) = rest
                .split_once(char::is_whitespace)
                .ok_or(CommandError::Usage { usage })?;
            let number = positive(number)
                .and_then(|n| u32::try_from(n).ok())
                .ok_or(CommandError::Usage { usage })?;
            Ok(MinutesCommand::Edit {
                number,
                text: required_text(text, usage)?,
            })
        }
        _ => Err(usage),
    }
}

/// `<owner> <task> [due <date>]`, as `!action` and `!minutes edit` of an action take it.
pub fn action_arguments(arguments: &str) -> Result<ActionArguments, CommandError> {
    parse_action(arguments)
}

/// `<owner> <task> [due <date>]`: the due date is taken off the end.
fn parse_action(arguments: &str) -> Result<ActionArguments, CommandError> {
    let usage = "!action <Kommune oder @Nutzer> <Aufgabe> [due JJJJ-MM-TT]";
    let words: Vec<&str> = arguments.split_whitespace().collect();
    let (rest, due) = match words.as_slice() {
        [.., keyword, date]
            if matches!(
                keyword.to_lowercase().as_str(),
                "due" | "bis" | "frist" | "until"
            ) =>
        {
            let due = parse_date(date).ok_or_else(|| CommandError::MissingDate {
                given: Some(date.chars().take(MAX_QUOTED_NAME).collect()),
            })?;
            let cut = arguments
                .rfind(*keyword)
                .map_or(arguments, |index| &arguments[..index]);
            (cut, Some(due))
        }
        _ => (arguments, None),
    };
    if rest.split_whitespace().count() < 2 {
        return Err(CommandError::Usage { usage });
    }
    Ok(ActionArguments {
        owner_and_task: required_text(rest, usage)?,
        due,
    })
}

/// Text that must be there, at most [`crate::minutes::MAX_ENTRY`] characters.
fn required_text(text: &str, usage: &'static str) -> Result<String, CommandError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(CommandError::Usage { usage });
    }
    let length = text.chars().count();
    if length > crate::minutes::MAX_ENTRY {
        return Err(CommandError::TooLong {
            what: "text",
            length,
            max: crate::minutes::MAX_ENTRY,
        });
    }
    Ok(text.to_owned())
}

/// Text that may be left out, at most `max` characters.
fn optional_text(text: &str, max: usize) -> Result<Option<String>, CommandError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let length = text.chars().count();
    if length > max {
        return Err(CommandError::TooLong {
            what: "title",
            length,
            max,
        });
    }
    Ok(Some(text.to_owned()))
}

/// A positive number, written with or without `#`.
fn positive(text: &str) -> Option<i64> {
    text.trim()
        .trim_start_matches('#')
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
}

/// A date as members write it: `2026-12-17` or `17.12.2026`.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d.%m.%Y"))
        .ok()
}

/// Older clients quote the message replied to at the top of the body (`> <@user> text`,
/// then an empty line); the command is what follows.
fn strip_reply_fallback(body: &str) -> &str {
    if !body.starts_with("> ") {
        return body;
    }
    match body.split_once("\n\n") {
        Some((_, rest)) => rest,
        None => body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_commands_case_insensitively() {
        assert_eq!(parse("!ping"), Some(Ok(Command::Ping)));
        assert_eq!(parse("  !PING  "), Some(Ok(Command::Ping)));
        assert_eq!(parse("!help"), Some(Ok(Command::Help)));
        assert_eq!(parse("!hilfe"), Some(Ok(Command::Help)));
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
            Some(Err(CommandError::UnexpectedArguments {
                command: Command::Ping
            }))
        );
        let long = format!("!{}", "x".repeat(1000));
        assert_eq!(
            parse(&long),
            Some(Err(CommandError::Unknown(long.chars().take(32).collect())))
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
            Err(CommandError::NotANumber {
                given: "sieben".to_owned()
            })
        );
        assert_eq!(
            agenda("!agenda reject 7"),
            Err(CommandError::Usage {
                usage: "!agenda reject <Nr.> <Begründung>"
            })
        );
        assert_eq!(
            agenda(&format!("!agenda add {}", "x".repeat(201))),
            Err(CommandError::TooLong {
                what: "title",
                length: 201,
                max: 200
            })
        );
        assert!(matches!(
            agenda("!agenda frobnicate"),
            Err(CommandError::Usage { .. })
        ));
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
                Ok(Command::Topic(None)),
                Ok(Command::Info("Erste Zeile\nzweite Zeile".to_owned())),
                Ok(Command::Action(ActionArguments {
                    owner_and_task: "Kaiserslautern Kosten ermitteln".to_owned(),
                    due: NaiveDate::from_ymd_opt(2027, 1, 15),
                })),
                Err(CommandError::Unknown("!nope".to_owned())),
                Ok(Command::Undo),
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
            parse("!action Kaiserslautern"),
            Some(Err(CommandError::Usage {
                usage: "!action <Kommune oder @Nutzer> <Aufgabe> [due JJJJ-MM-TT]"
            }))
        );
        assert_eq!(
            parse("!action Kaiserslautern Portal due morgen"),
            Some(Err(CommandError::MissingDate {
                given: Some("morgen".to_owned())
            }))
        );
        assert_eq!(
            parse("!link javascript:alert(1) Klick"),
            Some(Err(CommandError::Usage {
                usage: "!link <URL> <Titel>"
            }))
        );
        assert_eq!(
            parse("!chair anna"),
            Some(Err(CommandError::Usage {
                usage: "!chair @nutzer:server"
            }))
        );
        assert_eq!(parse("!done #3"), Some(Ok(Command::Done(3))));
        assert_eq!(
            parse("!actions alle"),
            Some(Ok(Command::Actions { all: true }))
        );
        assert!(matches!(
            parse(&format!("!info {}", "x".repeat(4_001))),
            Some(Err(CommandError::TooLong { max: 4_000, .. }))
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
            Some(Err(CommandError::MissingDate {
                given: Some("morgen".to_owned())
            }))
        );
        assert_eq!(
            parse("!announce"),
            Some(Err(CommandError::MissingDate { given: None }))
        );
    }

    #[test]
    fn every_command_has_help() {
        let date = NaiveDate::from_ymd_opt(2026, 12, 17).unwrap();
        for command in [
            Command::Help,
            Command::Ping,
            Command::Next,
            Command::Schedule,
            Command::Announce(date),
            Command::Subscribe { rotate: true },
            Command::Ics(None),
            Command::Agenda(AgendaCommand::Show),
            Command::Agenda(AgendaCommand::Mine),
            Command::Agenda(AgendaCommand::Proposals),
            Command::Agenda(AgendaCommand::Withdraw(1)),
            Command::Agenda(AgendaCommand::Defer(1)),
        ] {
            assert!(
                Command::HELP
                    .iter()
                    .any(|h| h.usage.starts_with(command.name()))
            );
        }
    }
}
