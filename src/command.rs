//! Chat commands: what members can ask the bot, parsed from a message body.
//!
//! A message is a command when its first word starts with `!`. Parsing never fails silently:
//! an unknown command or stray arguments become a [`CommandError`], which the bot answers with a
//! helpful reply instead of ignoring the member.

use chrono::NaiveDate;

/// A command the bot understands.
///
/// The help text members see is [`Command::HELP`], in the bot's language; keep both in step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// `!ics [date]`: the .ics invitation of the next meeting, or of the meeting on that date.
    Ics(Option<NaiveDate>),
    /// `!subscribe`: links to subscribe to the calendar; `!subscribe rotate` (organizers)
    /// replaces the room's private link.
    Subscribe {
        /// Whether to replace the room's link.
        rotate: bool,
    },
}

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
            usage: "!announce <Datum>",
            german: "(Organisation) kündigt den Termin an diesem Datum sofort in allen Räumen an",
            english: "(organizers) posts the announcement of the meeting on that date in every room now",
        },
    ];

    /// The command's name, as members type it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Help => "!help",
            Self::Ping => "!ping",
            Self::Next => "!next",
            Self::Schedule => "!schedule",
            Self::Announce(_) => "!announce",
            Self::Subscribe { .. } => "!subscribe",
            Self::Ics(_) => "!ics",
        }
    }

    /// Whether only organizers may run it.
    pub fn organizers_only(self) -> bool {
        matches!(self, Self::Announce(_) | Self::Subscribe { rotate: true })
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
}

/// The longest command name quoted back in an error reply; longer input is cut.
const MAX_QUOTED_NAME: usize = 32;

/// Parses a message body. `None` means the message is no command (ordinary chat).
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
        ] {
            assert!(
                Command::HELP
                    .iter()
                    .any(|h| h.usage.starts_with(command.name()))
            );
        }
    }
}
