//! Chat commands: what members can ask the bot, parsed from a message body.
//!
//! A message is a command when its first word starts with `!`. Parsing never fails silently:
//! an unknown command or stray arguments become a [`CommandError`], which the bot answers with a
//! helpful reply instead of ignoring the member.

/// A command the bot understands.
///
/// The help text members see is [`Command::HELP`], in the bot's language; keep both in step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// `!help`: lists the commands, one line each.
    Help,
    /// `!ping`: checks that the bot is reachable and how long a message took to reach it.
    Ping,
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
    ];

    /// The command's name, as members type it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Help => "!help",
            Self::Ping => "!ping",
        }
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
    fn every_command_has_help() {
        for command in [Command::Help, Command::Ping] {
            assert!(Command::HELP.iter().any(|h| h.usage == command.name()));
        }
    }
}
