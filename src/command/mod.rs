//! Chat commands: what members can ask the bot, parsed from a message body.
//!
//! Every command is one entry of the [table](table): its names (English and German), who may
//! run it, how it is written in either language, what it does, an example, and the function
//! that turns its arguments into a [`Command`]. Parsing, `!help`, the permission check and the
//! refusals all read that one table, so a command cannot be parsed without having help, nor
//! be listed for members when it is the organizers'.
//!
//! A message is a command when its first word starts with `!`. Parsing never fails silently:
//! an unknown command or stray arguments become a [`CommandError`], which the bot answers with a
//! helpful reply instead of ignoring the member. What members typed is [neutralized]
//! (bidi overrides and invisible characters removed) before anything of it is kept or echoed.
//!
//! [neutralized]: crate::text::neutralize

mod table;

use std::collections::BTreeSet;

use chrono::NaiveDate;
use matrix_sdk::ruma::OwnedUserId;
use url::Url;

pub use table::{Role, Spec};

/// A command the bot understands, with its arguments checked.
///
/// [`Command::id`] names its entry in the table; the bot's dispatch matches every variant
/// (no catch-all), so a new command does not compile until it is handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `!help [command]`: the commands for the asker, or one command with an example.
    Help(Option<CommandId>),
    /// `!ping`: checks that the bot is reachable and how long a message took to reach it.
    Ping,
    /// `!about`: the bot's name, version, license and where its source is (AGPL-3.0 §13).
    About,
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
    /// `!web` (organizers, in their room): the link to the organizers' page; `!web rotate`
    /// replaces it.
    Web {
        /// Whether to replace the page's link.
        rotate: bool,
    },
    /// `!minutes …`: starting, showing, correcting, approving and listing minutes.
    Minutes(MinutesCommand),
    /// What the chairs record while minutes are taken (and `!minutes end`).
    Record(Recording),
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
    /// `!vote <n> [<n> …]`: answers the open date poll with the numbers of the slots that
    /// suit the sender, as typed (1-based, from 1 to [`crate::limits::MAX_CANDIDATES`],
    /// duplicates merged); empty for `!vote none` (none suits).
    Vote(BTreeSet<usize>),
    /// `!poll …` (organizers): the date polls' tally, and deciding one.
    Poll(PollCommand),
}

/// The `!poll` subcommands.
///
/// `!poll decide <n>` decides the one open poll; with several open, the workshop's id comes
/// first: `!poll decide smart-city 2`. Two words are always id and number, one word is always
/// the number, so an id made of digits alone cannot be mistaken for a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollCommand {
    /// `!poll`: every open poll's tally.
    Show,
    /// `!poll decide [<workshop>] <n>`: the workshop takes place on slot `slot`; the poll ends.
    Decide {
        /// The workshop's id, when given.
        poll: Option<String>,
        /// The slot as typed, 1-based (from 1 to [`crate::limits::MAX_CANDIDATES`]).
        slot: usize,
    },
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

/// The `!minutes` subcommands other than the chairs' `!minutes end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MinutesCommand {
    /// `!minutes`: the minutes being recorded, or the draft.
    Show,
    /// `!minutes start` (organizers): starts the minutes of the current or next meeting.
    Start,
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

/// What the chairs of the minutes being recorded can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recording {
    /// `!minutes end`: ends the recording; the draft goes to the organizers.
    End,
    /// `!chair @user`: makes someone a chair of the minutes being recorded.
    Chair(OwnedUserId),
    /// `!topic [title]`: the next agenda item, or an item with this title.
    Topic(Option<String>),
    /// `!info <text>`: a note of what was discussed.
    Info(String),
    /// `!decision <text>`: a decision.
    Decision(String),
    /// `!action <municipality or @user> <task> [due <date>]`: an action item.
    Action(ActionArguments),
    /// `!link <url> [title]`: a link for the minutes.
    Link {
        /// Where.
        url: Url,
        /// What it is.
        title: String,
    },
    /// `!undo`: takes back the last line recorded.
    Undo,
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

/// The longest title of a proposal, in characters.
pub const MAX_TITLE: usize = crate::limits::MAX_TITLE;
/// The longest description of a proposal, in characters.
pub const MAX_DESCRIPTION: usize = crate::limits::MAX_DESCRIPTION;

/// Declares [`CommandId`] and its list [`CommandId::ALL`] from one list of names, so the list
/// cannot miss one.
macro_rules! command_ids {
    ($($(#[$doc:meta])* $id:ident,)*) => {
        /// One entry of the command table: a command, or one subcommand of it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum CommandId {
            $($(#[$doc])* $id,)*
        }

        impl CommandId {
            /// Every entry, in the order `!help` lists them within a role.
            pub const ALL: &'static [CommandId] = &[$(CommandId::$id,)*];
        }
    };
}

command_ids! {
    /// `!help`
    Help,
    /// `!ping`
    Ping,
    /// `!about`
    About,
    /// `!next`
    Next,
    /// `!schedule`
    Schedule,
    /// `!agenda`
    Agenda,
    /// `!agenda add`
    AgendaAdd,
    /// `!agenda mine`
    AgendaMine,
    /// `!agenda withdraw`
    AgendaWithdraw,
    /// `!ics`
    Ics,
    /// `!subscribe`
    Subscribe,
    /// `!minutes`
    Minutes,
    /// `!minutes list`
    MinutesList,
    /// `!here`
    Here,
    /// `!actions`
    Actions,
    /// `!done`
    Done,
    /// `!vote`
    Vote,
    /// `!topic`
    Topic,
    /// `!info`
    Info,
    /// `!decision`
    Decision,
    /// `!action`
    Action,
    /// `!link`
    Link,
    /// `!undo`
    Undo,
    /// `!chair`
    Chair,
    /// `!minutes end`
    MinutesEnd,
    /// `!minutes edit`
    MinutesEdit,
    /// `!announce`
    Announce,
    /// `!agenda proposals`
    AgendaProposals,
    /// `!agenda accept`
    AgendaAccept,
    /// `!agenda reject`
    AgendaReject,
    /// `!agenda defer`
    AgendaDefer,
    /// `!subscribe rotate`
    SubscribeRotate,
    /// `!web`
    Web,
    /// `!web rotate`
    WebRotate,
    /// `!minutes start`
    MinutesStart,
    /// `!minutes approve`
    MinutesApprove,
    /// `!actions all`
    ActionsAll,
    /// `!poll`
    Poll,
    /// `!poll decide`
    PollDecide,
}

impl CommandId {
    /// The command's name as members type it: `!agenda add`.
    pub fn name(self) -> String {
        let spec = self.spec();
        match spec.sub.first() {
            Some(sub) => format!("!{} {sub}", spec.names[0]),
            None => format!("!{}", spec.names[0]),
        }
    }

    /// The entry this one is a subcommand of (itself for a command without subcommand).
    pub fn family(self) -> CommandId {
        let name = self.spec().names[0];
        CommandId::ALL
            .iter()
            .copied()
            .find(|id| id.spec().names[0] == name && id.spec().sub.is_empty())
            .unwrap_or(self)
    }

    /// The entries of this command's family: the command itself, then its subcommands.
    pub fn with_subcommands(self) -> Vec<CommandId> {
        let name = self.spec().names[0];
        let mut family: Vec<CommandId> = CommandId::ALL
            .iter()
            .copied()
            .filter(|id| id.spec().names[0] == name)
            .collect();
        family.sort_by_key(|id| !id.spec().sub.is_empty());
        family
    }
}

impl Command {
    /// The command's entry in the table.
    pub fn id(&self) -> CommandId {
        match self {
            Self::Help(_) => CommandId::Help,
            Self::Ping => CommandId::Ping,
            Self::About => CommandId::About,
            Self::Next => CommandId::Next,
            Self::Schedule => CommandId::Schedule,
            Self::Announce(_) => CommandId::Announce,
            Self::Agenda(sub) => match sub {
                AgendaCommand::Show => CommandId::Agenda,
                AgendaCommand::Add { .. } => CommandId::AgendaAdd,
                AgendaCommand::Mine => CommandId::AgendaMine,
                AgendaCommand::Withdraw(_) => CommandId::AgendaWithdraw,
                AgendaCommand::Proposals => CommandId::AgendaProposals,
                AgendaCommand::Accept { .. } => CommandId::AgendaAccept,
                AgendaCommand::Reject { .. } => CommandId::AgendaReject,
                AgendaCommand::Defer(_) => CommandId::AgendaDefer,
            },
            Self::Ics(_) => CommandId::Ics,
            Self::Subscribe { rotate: false } => CommandId::Subscribe,
            Self::Subscribe { rotate: true } => CommandId::SubscribeRotate,
            Self::Web { rotate: false } => CommandId::Web,
            Self::Web { rotate: true } => CommandId::WebRotate,
            Self::Minutes(sub) => match sub {
                MinutesCommand::Show => CommandId::Minutes,
                MinutesCommand::Start => CommandId::MinutesStart,
                MinutesCommand::Edit { .. } => CommandId::MinutesEdit,
                MinutesCommand::Approve(_) => CommandId::MinutesApprove,
                MinutesCommand::List => CommandId::MinutesList,
            },
            Self::Record(recording) => recording.id(),
            Self::Here(_) => CommandId::Here,
            Self::Actions { all: false } => CommandId::Actions,
            Self::Actions { all: true } => CommandId::ActionsAll,
            Self::Done(_) => CommandId::Done,
            Self::Vote(_) => CommandId::Vote,
            Self::Poll(PollCommand::Show) => CommandId::Poll,
            Self::Poll(PollCommand::Decide { .. }) => CommandId::PollDecide,
        }
    }

    /// Who may run it.
    pub fn role(&self) -> Role {
        self.id().spec().role
    }
}

impl Recording {
    /// The entry in the table.
    pub fn id(&self) -> CommandId {
        match self {
            Self::End => CommandId::MinutesEnd,
            Self::Chair(_) => CommandId::Chair,
            Self::Topic(_) => CommandId::Topic,
            Self::Info(_) => CommandId::Info,
            Self::Decision(_) => CommandId::Decision,
            Self::Action(_) => CommandId::Action,
            Self::Link { .. } => CommandId::Link,
            Self::Undo => CommandId::Undo,
        }
    }
}

/// Which text of a command was too long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// A title (of a proposal, a topic, a link).
    Title,
    /// A proposal's description.
    Description,
    /// The reason for rejecting a proposal.
    Reason,
    /// A line of the minutes.
    Text,
    /// A link (its URL, as written out).
    Link,
}

/// What is wrong with the arguments of a known command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgumentError {
    /// Something is missing or written wrongly: the command's usage helps.
    Usage,
    /// The command takes no arguments, but some were given.
    Unexpected,
    /// A date was needed and what was given is none (or nothing was given).
    NotADate {
        /// What was given instead, shortened, if anything.
        given: Option<String>,
    },
    /// A number was needed (of a proposal, an action item, a line) and what was given is none.
    NotANumber {
        /// What was given, shortened.
        given: String,
    },
    /// A Matrix id (`!chair @user`, `!action @user …`) is longer than Matrix allows
    /// ([`crate::limits::MAX_MATRIX_ID`] bytes).
    IdTooLong {
        /// Its length, in bytes.
        length: usize,
    },
    /// A text is longer than allowed.
    TooLong {
        /// Which text.
        field: Field,
        /// How long it is, in characters.
        length: usize,
        /// The limit.
        max: usize,
    },
}

/// Why the bot does not do what a message asked: the one type every refusal and failure of a
/// command becomes, rendered by `render::command_error` in the bot's language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The word after `!` names no command.
    #[error("unknown command {0}")]
    Unknown(String),
    /// The command is known, the word after it names none of its subcommands.
    #[error("{} has no subcommand {given}", command.name())]
    UnknownSubcommand {
        /// The command.
        command: CommandId,
        /// The word given, shortened.
        given: String,
    },
    /// The arguments of a known command are wrong.
    #[error("wrong arguments for {}: {error:?}", command.name())]
    Arguments {
        /// The command (or subcommand).
        command: CommandId,
        /// What is wrong.
        error: ArgumentError,
    },
    /// An organizers' command from someone who is not an organizer.
    #[error("{} is for organizers", command.name())]
    NotAllowed {
        /// The exact (sub)command refused.
        command: CommandId,
    },
    /// A command for the chairs of the minutes, from someone who is not one.
    #[error("{} is for the chairs of the minutes", command.name())]
    NotChair {
        /// The exact (sub)command refused.
        command: CommandId,
    },
    /// More commands in one message than the bot runs.
    #[error("more than {max} commands in one message")]
    TooManyCommands {
        /// The limit.
        max: usize,
    },
    /// The bot could not do it: its database (or the system's random source) failed. Nothing
    /// was changed; the member may try again.
    #[error("the bot failed to carry the command out")]
    Unavailable,
}

impl CommandError {
    /// The error for the arguments of `command`.
    pub fn arguments(command: CommandId, error: ArgumentError) -> Self {
        Self::Arguments { command, error }
    }
}

/// The longest command name or argument quoted back in an error reply; longer input is cut.
const MAX_QUOTED: usize = 32;

/// The most commands one message may hold.
pub const MAX_COMMANDS: usize = 20;

/// Parses every command in a message body: each line that starts with `!` begins a command, and
/// the lines after it, up to the next command, continue it. `None` means the message is no
/// command (ordinary chat): it does not start with `!`.
pub fn parse_all(body: &str) -> Option<Vec<Result<Command, CommandError>>> {
    let body = crate::text::neutralize(body);
    let text = strip_reply_fallback(&body).trim_start();
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
    let body = crate::text::neutralize(body);
    let text = strip_reply_fallback(&body).trim_start();
    let text = text.strip_prefix('!')?;
    let (name, arguments) = split_word(text);
    if name.is_empty() {
        return None;
    }
    Some(match find(name, arguments) {
        Found::Entry(id, arguments) => {
            (id.spec().parse)(arguments).map_err(|error| CommandError::arguments(id, error))
        }
        Found::UnknownSubcommand(command, given) => Err(CommandError::UnknownSubcommand {
            command,
            given: shortened(given),
        }),
        Found::Nothing => Err(CommandError::Unknown(shortened(&format!("!{name}")))),
    })
}

/// What a command's name and first argument word are in the table.
enum Found<'a> {
    /// An entry, with the arguments left for it.
    Entry(CommandId, &'a str),
    /// A command that has subcommands, none of which is the given word, and that takes no
    /// arguments itself.
    UnknownSubcommand(CommandId, &'a str),
    /// No command of that name.
    Nothing,
}

/// Looks a command up by its name (`agenda`) and the words after it (`add Titel …`).
fn find<'a>(name: &str, arguments: &'a str) -> Found<'a> {
    let name = name.to_lowercase();
    let family: Vec<CommandId> = CommandId::ALL
        .iter()
        .copied()
        .filter(|id| id.spec().names.contains(&name.as_str()))
        .collect();
    let Some(&first) = family.first() else {
        return Found::Nothing;
    };
    let (word, rest) = split_word(arguments);
    let word = word.to_lowercase();
    if let Some(&sub) = family
        .iter()
        .find(|id| id.spec().sub.contains(&word.as_str()))
    {
        return Found::Entry(sub, rest);
    }
    let bare = family
        .iter()
        .copied()
        .find(|id| id.spec().sub.is_empty())
        .unwrap_or(first);
    let has_subcommands = family.len() > 1;
    if has_subcommands && !arguments.is_empty() && !bare.spec().takes_arguments() {
        return Found::UnknownSubcommand(bare, word_of(arguments));
    }
    Found::Entry(bare, arguments)
}

/// The first word of `text` and the rest, trimmed.
fn split_word(text: &str) -> (&str, &str) {
    match text.split_once(char::is_whitespace) {
        Some((word, rest)) => (word, rest.trim()),
        None => (text, ""),
    }
}

fn word_of(text: &str) -> &str {
    split_word(text).0
}

/// Text quoted back in a reply, cut to [`MAX_QUOTED`] characters.
fn shortened(text: &str) -> String {
    text.chars().take(MAX_QUOTED).collect()
}

/// Text that must be there, at most `max` characters.
fn required_text(text: &str, field: Field, max: usize) -> Result<String, ArgumentError> {
    match optional_text(text, field, max)? {
        Some(text) => Ok(text),
        None => Err(ArgumentError::Usage),
    }
}

/// Text that may be left out, at most `max` characters.
fn optional_text(text: &str, field: Field, max: usize) -> Result<Option<String>, ArgumentError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let length = text.chars().count();
    if length > max {
        return Err(ArgumentError::TooLong { field, length, max });
    }
    Ok(Some(text.to_owned()))
}

/// A positive number, written with or without `#`; what was given when it is none; nothing
/// given is a usage error.
fn number(text: &str) -> Result<i64, ArgumentError> {
    let text = text.trim().trim_start_matches('#');
    if text.is_empty() {
        return Err(ArgumentError::Usage);
    }
    text.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| ArgumentError::NotANumber {
            given: shortened(text),
        })
}

/// A date as members write it: `2026-12-17` or `17.12.2026`.
fn date(text: &str) -> Result<NaiveDate, ArgumentError> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d.%m.%Y"))
        .map_err(|_| ArgumentError::NotADate {
            given: (!text.is_empty()).then(|| shortened(text)),
        })
}

/// A slot of a date poll as members type it: 1 to [`crate::limits::MAX_CANDIDATES`], with or
/// without `#`.
fn slot_number(text: &str) -> Result<usize, ArgumentError> {
    let given = number(text)?;
    usize::try_from(given)
        .ok()
        .filter(|n| *n <= crate::limits::MAX_CANDIDATES)
        .ok_or_else(|| ArgumentError::NotANumber {
            given: shortened(text.trim()),
        })
}

/// What follows `!vote`: slot numbers separated by spaces or commas (duplicates merged), or
/// `none`/`keine` for none of the slots.
fn vote(arguments: &str) -> Result<BTreeSet<usize>, ArgumentError> {
    let words: Vec<&str> = arguments
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|word| !word.is_empty())
        .collect();
    match words.as_slice() {
        [] => Err(ArgumentError::Usage),
        [word] if matches!(word.to_lowercase().as_str(), "none" | "keine" | "keiner") => {
            Ok(BTreeSet::new())
        }
        words => words.iter().map(|word| slot_number(word)).collect(),
    }
}

/// What follows `!poll decide`: `[<workshop>] <n>`.
fn poll_decision(arguments: &str) -> Result<PollCommand, ArgumentError> {
    let words: Vec<&str> = arguments.split_whitespace().collect();
    let (poll, slot) = match words.as_slice() {
        [slot] => (None, slot),
        [poll, slot] if crate::fields::is_slug(poll) => (Some((*poll).to_owned()), slot),
        _ => return Err(ArgumentError::Usage),
    };
    Ok(PollCommand::Decide {
        poll,
        slot: slot_number(slot)?,
    })
}

/// An optional date: nothing given is `None`.
fn optional_date(text: &str) -> Result<Option<NaiveDate>, ArgumentError> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        date(text).map(Some)
    }
}

/// `<owner> <task> [due <date>]`, as `!action` and `!minutes edit` of an action take it.
pub fn action_arguments(arguments: &str) -> Result<ActionArguments, CommandError> {
    parse_action(arguments).map_err(|error| CommandError::arguments(CommandId::Action, error))
}

/// `<owner> <task> [due <date>]`: the due date is taken off the end.
fn parse_action(arguments: &str) -> Result<ActionArguments, ArgumentError> {
    let words: Vec<&str> = arguments.split_whitespace().collect();
    let (rest, due) = match words.as_slice() {
        [.., keyword, given]
            if matches!(
                keyword.to_lowercase().as_str(),
                "due" | "bis" | "frist" | "until"
            ) =>
        {
            let due = date(given)?;
            let cut = arguments
                .rfind(*keyword)
                .map_or(arguments, |index| &arguments[..index]);
            (cut, Some(due))
        }
        _ => (arguments, None),
    };
    if rest.split_whitespace().count() < 2 {
        return Err(ArgumentError::Usage);
    }
    if let Some(owner) = rest
        .split_whitespace()
        .next()
        .filter(|w| w.starts_with('@'))
    {
        matrix_id(owner)?;
    }
    Ok(ActionArguments {
        owner_and_task: required_text(rest, Field::Text, crate::minutes::MAX_ENTRY)?,
        due,
    })
}

/// A Matrix id as typed, checked for its length: matrix-sdk parses ids of any length, Matrix
/// allows [`crate::limits::MAX_MATRIX_ID`] bytes.
pub(crate) fn matrix_id(text: &str) -> Result<&str, ArgumentError> {
    let length = text.len();
    if length > crate::limits::MAX_MATRIX_ID {
        return Err(ArgumentError::IdTooLong { length });
    }
    Ok(text)
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
mod tests;
