//! The chat side of the bot: what it answers to what members and organizers say.
//!
//! A message is parsed into commands ([`crate::command`]); each command becomes an
//! [`Invocation`] — who said it, where, in which role, for which municipality — and is carried
//! out by its command family's module (`agenda`, `minutes`, `polls`, `calendar`, `info`). Their
//! answers are gathered into one reply, which goes to the [`outbox`](super::outbox) as an
//! [`Action`]; nothing is sent here. The chat side asks the posting job for work (an
//! announcement, publishing approved minutes, a decided poll) only through its request channel.
//!
//! The handlers take the room as a [`ChatRoom`], so their decisions are tested without a
//! homeserver (see `tests` below).

mod agenda;
mod calendar;
mod info;
mod minutes;
mod polls;
pub mod room;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use matrix_sdk::ruma::events::room::message::{
    AddMentions, ForwardThread, MessageType, OriginalSyncRoomMessageEvent, Relation, ReplyMetadata,
    RoomMessageEventContent,
};
use matrix_sdk::ruma::{EventId, OwnedTransactionId, OwnedUserId, UserId};
use tokio::sync::{mpsc, watch};
use tracing::warn;

use super::outbox::{Action, Answer, Attachment, Outgoing, Payload};
use super::posting::Request;
use crate::clock::Clock;
use crate::command::{self, Command, CommandError, Role};
use crate::config::Roster;
use crate::i18n::Language;
use crate::metrics::{CommandOutcome, Metrics};
use crate::network::Network;
use crate::render::{self, Rendered};
use crate::store::Store;

pub use minutes::react;
pub use polls::record_response;
pub use room::ChatRoom;

/// How far ahead commands look for the next meeting (`!next`, `!agenda add`, `!ics`, …).
const HORIZON: chrono::TimeDelta = chrono::TimeDelta::days(400);

/// What the chat side needs to decide, shared by every handler.
#[derive(Debug)]
pub struct Context {
    /// The current network files.
    pub network: watch::Receiver<Arc<Network>>,
    /// The database.
    pub store: Arc<Store>,
    /// Requests to the posting job.
    pub requests: mpsc::UnboundedSender<Request>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// The bot's own user: its messages are never commands.
    pub own_user_id: OwnedUserId,
    /// When this run started: commands sent earlier are answered late.
    pub started_at: DateTime<Utc>,
    /// When the bot was last seen alive before this run, if ever: a late answer says it was
    /// away since then.
    pub away_since: Option<DateTime<Utc>>,
    /// When the bot first ran with this data directory: messages sent earlier are history,
    /// not requests (a new bot does not answer a room's old commands).
    pub history_before: DateTime<Utc>,
    /// Where answers go.
    pub outbox: mpsc::UnboundedSender<Action>,
    /// Commands are counted here.
    pub metrics: Arc<Metrics>,
}

/// One command of a message, with what deciding on it needs.
#[derive(Debug)]
pub struct Invocation<'a> {
    /// The shared state.
    pub context: &'a Context,
    /// The network files as they were when the message arrived.
    pub network: &'a Network,
    /// The room the message came from.
    pub room: &'a dyn ChatRoom,
    /// Who sent it.
    pub sender: &'a UserId,
    /// The message's event.
    pub event_id: &'a EventId,
    /// The command's place in its message: with the event id, what makes it unique.
    pub position: usize,
    /// When it was sent, by the homeserver's clock.
    pub sent: DateTime<Utc>,
    /// The time the command counts at: now, or when it was sent if it is carried out late (a
    /// late `!here`, minutes line or vote counts when it was said).
    pub now: DateTime<Utc>,
    /// When the bot got it.
    pub received: DateTime<Utc>,
}

impl Invocation<'_> {
    /// The network's language.
    pub fn language(&self) -> Language {
        self.network.config.language
    }

    /// The network's roster.
    pub fn roster(&self) -> &Roster {
        self.network.roster()
    }

    /// The database.
    pub fn store(&self) -> &Store {
        &self.context.store
    }

    /// This command, as a decision records who made it: the message's event id and the
    /// command's place in it. A decision made by this very command — carried out before a crash
    /// that came before the message was recorded as handled — is answered again as made.
    pub fn command_ref(&self) -> String {
        format!("{}#{}", self.event_id, self.position)
    }

    /// Whether the sender is one of the network's organizers.
    pub fn is_organizer(&self) -> bool {
        self.roster().organizers.contains(self.sender)
    }

    /// Whether the sender chairs the minutes of `meeting_key`.
    pub fn is_chair(&self, meeting_key: &str) -> Result<bool, crate::store::StoreError> {
        let sender = self.sender.as_str();
        Ok(self
            .store()
            .chairs(meeting_key)?
            .iter()
            .any(|(user, _)| user == sender))
    }

    /// Whether this is the organizers' room.
    pub fn in_organizers_room(&self) -> bool {
        self.room.is(&self.roster().organizers_room)
    }

    /// Whether this is where minutes are taken: the organizers' room, or the configured
    /// minutes room.
    pub fn in_minutes_room(&self) -> bool {
        self.in_organizers_room()
            || self
                .roster()
                .minutes_room
                .as_ref()
                .is_some_and(|room| self.room.is(room))
    }

    /// The configured member municipality whose room this is (not the organizers' room).
    pub fn member_municipality(&self) -> Option<String> {
        if self.in_organizers_room() {
            return None;
        }
        municipality_of(self.roster(), self.room)
    }

    /// The names of the member municipalities, in the configured order.
    pub fn municipalities(&self) -> Vec<String> {
        self.roster()
            .members
            .iter()
            .map(|m| m.name.clone())
            .collect()
    }

    /// The role the sender's commands are listed for in `!help`: organizers and anyone in the
    /// organizers' or minutes room see every section, the chairs of the minutes being recorded
    /// see theirs, members their own.
    pub fn audience(&self) -> Role {
        if self.in_minutes_room() || self.is_organizer() {
            return Role::Organizer;
        }
        let store = self.store();
        let chairs = store
            .minutes_with_status(crate::store::MinutesStatus::Recording)
            .unwrap_or_default()
            .iter()
            .any(|row| self.is_chair(&row.meeting_key).unwrap_or(false));
        if chairs { Role::Chair } else { Role::Member }
    }
}

/// What one command of a message comes to.
#[derive(Debug)]
pub enum Reply {
    /// Text, gathered with the other commands' into one reply.
    Text(Rendered),
    /// A file, sent on its own.
    File(Attachment),
}

/// What carrying out a command gives: the answer, and notices for other rooms.
#[derive(Debug)]
pub struct Outcome {
    /// The answer in the room the command came from.
    pub answer: Reply,
    /// Notices for other rooms (a proposer told of the decision on their proposal).
    pub also: Vec<Outgoing>,
}

impl From<Rendered> for Outcome {
    fn from(rendered: Rendered) -> Self {
        Self {
            answer: Reply::Text(rendered),
            also: Vec::new(),
        }
    }
}

/// Decides on a message now ([`decide_reply`]) and queues what it comes to for the outbox: for
/// messages as they arrive and those read back after a restart alike.
pub async fn answer(context: &Context, room: &dyn ChatRoom, event: &OriginalSyncRoomMessageEvent) {
    let now = context.clock.now();
    for action in decide_reply(context, room, event, now).await {
        let _ = context.outbox.send(action);
    }
}

/// How long after it was sent a command counts as answered late (the bot, or its homeserver,
/// was slow or away).
const LATE_AFTER: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

/// Decides whether and how to answer a message: every command in it is run, in order, and
/// their answers go out as one reply (files on their own). Each message is handled once: also
/// one that arrives again (a restart's catch-up) or late (sent while the bot was away — it is
/// carried out as of when it was sent, and its answer says why it comes late; one older than
/// the network's `late_commands` is answered once, not carried out).
pub async fn decide_reply(
    context: &Context,
    room: &dyn ChatRoom,
    event: &OriginalSyncRoomMessageEvent,
    now: DateTime<Utc>,
) -> Vec<Action> {
    let sent = DateTime::<Utc>::from_timestamp_millis(event.origin_server_ts.get().into());
    // Messages from before the bot's first run are history; its own are never commands.
    let Some(sent) = sent.filter(|sent| *sent >= context.history_before) else {
        return Vec::new();
    };
    if event.sender == context.own_user_id {
        return Vec::new();
    }
    // Only text from people: notices are what bots send, and answering them loops.
    let MessageType::Text(text) = &event.content.msgtype else {
        return Vec::new();
    };
    let Some(commands) = command::parse_all(&text.body) else {
        return Vec::new();
    };
    let event_id = event.event_id.as_str();
    match context.store.handled(event_id) {
        Ok(true) => return Vec::new(),
        Ok(false) => {}
        // Carried out anyway: every effect is kept once per event, and the answer's
        // transaction id is derived from the event, so a repeat changes nothing.
        Err(error) => warn!(%error, "cannot tell whether a message was handled"),
    }
    let network = Arc::clone(&context.network.borrow());
    let timezone = network.config.timezone;
    let mut answers = if now - sent > network.config.late_commands {
        let answer = render::too_late(
            network.config.language,
            sent.with_timezone(&timezone),
            now.with_timezone(&timezone),
            network.config.late_commands,
        );
        Answers::text(answer)
    } else {
        let late = sent < context.started_at || now - sent > LATE_AFTER;
        let at = if late { sent } else { now };
        let mut answers =
            carry_out_all(context, &network, room, event, commands, (sent, at, now)).await;
        if late {
            answers
                .texts
                .insert(0, late_notice(context, &network, sent, now));
        }
        answers
    };
    let mut sends = Vec::new();
    if !answers.texts.is_empty() {
        sends.push(reply(&network, room, event, &answers.texts));
    }
    sends.append(&mut answers.files);
    sends.append(&mut answers.also);
    let answer = Answer {
        event_id: event_id.to_owned(),
        sends,
    };
    // Handled, with the answer owed, in one statement: a crash from here on loses no answer.
    let owed = answer.to_json();
    if let Err(error) =
        context
            .store
            .mark_handled(event_id, room.room_id().as_str(), owed.as_deref(), now)
    {
        warn!(%error, "cannot record a message as handled");
    }
    if answer.sends.is_empty() {
        return Vec::new();
    }
    vec![Action::Answer(answer)]
}

/// The first line of a late answer: why it is late (the bot was away since it last recorded
/// itself alive, or the message reached it late).
fn late_notice(
    context: &Context,
    network: &Network,
    sent: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Rendered {
    let timezone = network.config.timezone;
    let away = (sent < context.started_at).then(|| {
        (
            context.away_since.map(|t| t.with_timezone(&timezone)),
            context.started_at.with_timezone(&timezone),
        )
    });
    render::late_answer(
        network.config.language,
        sent.with_timezone(&timezone),
        away,
        now.with_timezone(&timezone),
    )
}

/// What the commands of one message come to.
#[derive(Debug, Default)]
struct Answers {
    /// Texts, gathered into one reply.
    texts: Vec<Rendered>,
    /// Files, each sent on its own.
    files: Vec<Outgoing>,
    /// Notices for other rooms.
    also: Vec<Outgoing>,
}

impl Answers {
    /// Just one text.
    fn text(text: Rendered) -> Self {
        Self {
            texts: vec![text],
            ..Self::default()
        }
    }
}

/// Carries out every command of a message, in order. `times`: when it was sent, the time it
/// counts at, and now.
async fn carry_out_all(
    context: &Context,
    network: &Network,
    room: &dyn ChatRoom,
    event: &OriginalSyncRoomMessageEvent,
    commands: Vec<Result<Command, CommandError>>,
    (sent, at, received): (DateTime<Utc>, DateTime<Utc>, DateTime<Utc>),
) -> Answers {
    let mut answers = Answers::default();
    for (position, parsed) in commands.into_iter().enumerate() {
        let invocation = Invocation {
            context,
            network,
            room,
            sender: &event.sender,
            event_id: &event.event_id,
            position,
            sent,
            now: at,
            received,
        };
        let outcome = carry_out(&invocation, parsed).await;
        answers.also.extend(outcome.also);
        match outcome.answer {
            Reply::Text(rendered) => answers.texts.push(rendered),
            Reply::File(attachment) => answers.files.push(Outgoing {
                room_id: room.room_id().to_owned(),
                transaction_id: OwnedTransactionId::from(format!(
                    "{}-file-{position}",
                    reply_transaction_id(event.event_id.as_str())
                )),
                payload: Payload::File(attachment),
            }),
        }
    }
    answers
}

/// The one reply to a message: the commands' texts, as a notice in reply to it (in its thread).
fn reply(
    network: &Network,
    room: &dyn ChatRoom,
    event: &OriginalSyncRoomMessageEvent,
    texts: &[Rendered],
) -> Outgoing {
    let reply = render::answers(network.config.language, texts);
    let thread = match &event.content.relates_to {
        Some(Relation::Thread(thread)) => Some(thread),
        _ => None,
    };
    let content = RoomMessageEventContent::notice_html(reply.plain, reply.html).make_reply_to(
        ReplyMetadata::new(&event.event_id, &event.sender, thread),
        ForwardThread::Yes,
        AddMentions::No,
    );
    Outgoing {
        room_id: room.room_id().to_owned(),
        transaction_id: reply_transaction_id(event.event_id.as_str()),
        payload: Payload::Message(Box::new(content)),
    }
}

/// Carries one parsed command out, counted in `/metrics`: its permission checked, then its
/// family's handler. Refusals and failures come back as [`CommandError`] and are rendered in
/// one place.
pub async fn carry_out(
    invocation: &Invocation<'_>,
    parsed: Result<Command, CommandError>,
) -> Outcome {
    let parsed = parsed.and_then(|command| {
        if command.role() == Role::Organizer && !invocation.is_organizer() {
            Err(CommandError::NotAllowed {
                command: command.id(),
            })
        } else {
            Ok(command)
        }
    });
    let (name, counted) = counted_as(&parsed);
    invocation.context.metrics.command(&name, counted);
    match dispatch(invocation, parsed).await {
        Ok(outcome) => outcome,
        Err(error) => render::command_error(invocation.language(), &error).into(),
    }
}

/// Every command is matched here, so one that is parsed but not handled does not compile.
async fn dispatch(
    invocation: &Invocation<'_>,
    parsed: Result<Command, CommandError>,
) -> Result<Outcome, CommandError> {
    Ok(match parsed? {
        Command::Help(topic) => info::help(invocation, topic).into(),
        Command::Ping => info::ping(invocation).into(),
        Command::About => info::about(invocation).into(),
        Command::Next => agenda::next_meeting(invocation)?.into(),
        Command::Agenda(sub) => agenda::agenda(invocation, sub)?,
        Command::Schedule => agenda::schedule(invocation).into(),
        Command::Announce(date) => agenda::announce(invocation, date).into(),
        Command::Subscribe { rotate } => calendar::subscribe(invocation, rotate)?.into(),
        Command::Web { rotate } => calendar::web(invocation, rotate)?.into(),
        Command::Ics(date) => calendar::ics(invocation, date)?,
        Command::Minutes(sub) => minutes::minutes(invocation, sub).await.into(),
        Command::Record(recording) => minutes::record(invocation, recording).await.into(),
        Command::Here(name) => minutes::here(invocation, name.as_deref()).into(),
        Command::Actions { all } => minutes::actions(invocation, all).into(),
        Command::Done(number) => minutes::done(invocation, number).into(),
        Command::Vote(numbers) => polls::vote(invocation, &numbers)?.into(),
        Command::Poll(sub) => polls::poll(invocation, sub)?.into(),
    })
}

/// The municipality whose configured room this is (the organizers' room counts as the network
/// itself); `None` outside the configured rooms.
pub fn municipality_of(roster: &Roster, room: &dyn ChatRoom) -> Option<String> {
    if room.is(&roster.organizers_room) {
        return Some(roster.name.clone());
    }
    roster
        .members
        .iter()
        .find(|m| room.is(&m.room))
        .map(|m| m.name.clone())
}

/// A secret token (feeds, minutes links): 160 random bits from the operating system, as hex;
/// none without randomness.
pub fn new_token() -> Option<String> {
    let mut bytes = [0_u8; 20];
    if let Err(error) = getrandom::fill(&mut bytes) {
        warn!(%error, "no randomness for a token");
        return None;
    }
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The transaction id of the answer to an event: derived from the event, so that the homeserver
/// drops a second send of the same answer instead of posting it twice.
fn reply_transaction_id(event_id: &str) -> OwnedTransactionId {
    let safe: String = event_id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    OwnedTransactionId::from(format!("convene-reply-{safe}"))
}

/// How `/metrics` counts a command: its name as `!help` gives it (without the `!`; `unknown`
/// for a word that names no command) and whether it was taken.
fn counted_as(parsed: &Result<Command, CommandError>) -> (String, CommandOutcome) {
    let name = |id: command::CommandId| id.name().trim_start_matches('!').to_owned();
    match parsed {
        Ok(command) => (name(command.id()), CommandOutcome::Ok),
        Err(CommandError::NotAllowed { command } | CommandError::NotChair { command }) => {
            (name(*command), CommandOutcome::Refused)
        }
        Err(
            CommandError::UnknownSubcommand { command, .. }
            | CommandError::Arguments { command, .. },
        ) => (name(*command), CommandOutcome::Invalid),
        Err(CommandError::Unknown(_)) => ("unknown".to_owned(), CommandOutcome::Invalid),
        Err(CommandError::TooManyCommands { .. }) => {
            ("too many".to_owned(), CommandOutcome::Invalid)
        }
        Err(CommandError::Unavailable) => ("unknown".to_owned(), CommandOutcome::Failed),
    }
}

#[cfg(test)]
mod tests;
