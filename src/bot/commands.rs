//! The chat commands: what the bot answers to each, decided from the message, the current
//! network and the time. The answer is an [`Action`] for the outbox; nothing is sent here.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use matrix_sdk::Room;
use matrix_sdk::ruma::OwnedTransactionId;
use matrix_sdk::ruma::events::room::message::{
    AddMentions, ForwardThread, MessageType, OriginalSyncRoomMessageEvent, Relation, ReplyMetadata,
    RoomMessageEventContent,
};
use tracing::warn;

use super::minutes;
use super::outbox::Payload;
use super::polls;
use super::scheduler::{self, Request};
use super::{Action, Context};
use crate::command::{
    self, AgendaCommand, Command, CommandError, MinutesCommand, PollCommand, Role,
};
use crate::metrics::CommandOutcome;
use crate::network::Network;
use crate::render::Outcome;
use crate::render::{self, Rendered};
use crate::schedule::Meeting;
use crate::store::{NewProposal, Proposal, ProposalRefusal, ProposalStatus};

/// How many meetings `!schedule` lists, and how far ahead `!next` and `!schedule` look.
const SCHEDULE_COUNT: usize = 5;
const SCHEDULE_HORIZON: chrono::TimeDelta = chrono::TimeDelta::days(400);

/// What one command of a message comes to.
enum Answer {
    /// Text, gathered with the other commands' into one reply.
    Text(Rendered),
    /// A file, sent on its own.
    File(super::outbox::Attachment),
}

/// Decides whether and how to answer a message: every command in it is run, in order, and
/// their answers go out as one reply (files on their own).
pub(super) async fn decide_reply(
    context: &Context,
    room: &Room,
    event: &OriginalSyncRoomMessageEvent,
    now: DateTime<Utc>,
) -> Vec<Action> {
    // Commands from before the start are history, not requests: those in the catch-up sync,
    // and those stamped earlier than the start that arrive later (an encrypted message whose
    // key came late).
    let sent = DateTime::<Utc>::from_timestamp_millis(event.origin_server_ts.get().into());
    if !context.caught_up.load(Ordering::SeqCst)
        || sent.is_none_or(|sent| sent < context.started_at)
        || event.sender == context.own_user_id
    {
        return Vec::new();
    }
    // Only text from people: notices are what bots send, and answering them loops.
    let MessageType::Text(text) = &event.content.msgtype else {
        return Vec::new();
    };
    let network = Arc::clone(&context.network.borrow());
    let Some(commands) = command::parse_all(&text.body) else {
        return Vec::new();
    };
    let mut texts = Vec::new();
    let mut actions = Vec::new();
    let mut also = Vec::new();
    for (position, parsed) in commands.into_iter().enumerate() {
        let parsed = parsed.and_then(|command| {
            if command.role() == Role::Organizer
                && !network.roster().organizers.contains(&event.sender)
            {
                Err(CommandError::NotAllowed {
                    command: command.id(),
                })
            } else {
                Ok(command)
            }
        });
        let invocation = minutes::Invocation {
            context,
            network: &network,
            room,
            event,
            position,
            now,
        };
        let (name, outcome) = counted_as(&parsed);
        context.metrics.command(&name, outcome);
        match answer(&invocation, parsed, sent, &mut also).await {
            Answer::Text(rendered) => texts.push(rendered),
            Answer::File(attachment) => actions.push(Action::Send {
                room_id: room.room_id().to_owned(),
                transaction_id: OwnedTransactionId::from(format!(
                    "{}-file-{position}",
                    reply_transaction_id(event.event_id.as_str())
                )),
                payload: Payload::File(attachment),
            }),
        }
    }
    if !texts.is_empty() {
        let reply = render::answers(network.config.language, &texts);
        let thread = match &event.content.relates_to {
            Some(Relation::Thread(thread)) => Some(thread),
            _ => None,
        };
        let content = RoomMessageEventContent::notice_html(reply.plain, reply.html).make_reply_to(
            ReplyMetadata::new(&event.event_id, &event.sender, thread),
            ForwardThread::Yes,
            AddMentions::No,
        );
        actions.insert(
            0,
            Action::Send {
                room_id: room.room_id().to_owned(),
                transaction_id: reply_transaction_id(event.event_id.as_str()),
                payload: Payload::Message(Box::new(content)),
            },
        );
    }
    actions.extend(also);
    actions
}

/// Runs one command: every command is matched here, so one that is parsed but not handled
/// does not compile. Refusals and failures come back as [`CommandError`] and are rendered in one
/// place.
async fn answer(
    invocation: &minutes::Invocation<'_>,
    parsed: Result<Command, CommandError>,
    sent: Option<DateTime<Utc>>,
    also: &mut Vec<Action>,
) -> Answer {
    let language = invocation.network.config.language;
    match run(invocation, parsed, sent, also).await {
        Ok(answer) => answer,
        Err(error) => Answer::Text(render::command_error(language, &error)),
    }
}

/// Carries one command out: the answer, or why not (a refusal or a failure of the bot).
async fn run(
    invocation: &minutes::Invocation<'_>,
    parsed: Result<Command, CommandError>,
    sent: Option<DateTime<Utc>>,
    also: &mut Vec<Action>,
) -> Result<Answer, CommandError> {
    let (context, network, room, event, now) = (
        invocation.context,
        invocation.network,
        invocation.room,
        invocation.event,
        invocation.now,
    );
    let language = network.config.language;
    Ok(Answer::Text(match parsed? {
        Command::Help(None) => render::help(
            language,
            &network.roster().name,
            audience(invocation),
            render::About::current(&network.config.source_url),
        ),
        Command::Help(Some(id)) => render::command_help(language, id),
        Command::Ping => render::pong(language, sent.map(|sent| now - sent)),
        Command::About => {
            render::about(language, render::About::current(&network.config.source_url))
        }
        Command::Next => next_meeting(context, network, now)?,
        Command::Agenda(sub) => agenda(context, network, room, event, sub, now, also)?,
        Command::Schedule => {
            let meetings = network
                .schedule
                .upcoming(now, SCHEDULE_HORIZON, SCHEDULE_COUNT);
            render::schedule_list(language, &meetings)
        }
        Command::Announce(date) => {
            let meetings: Vec<_> = network
                .schedule
                .on_date(date)
                .into_iter()
                .filter(Meeting::takes_place)
                .collect();
            for meeting in &meetings {
                let _ = context
                    .requests
                    .send(Request::Announce(meeting.key.clone()));
            }
            render::announce_ack(language, date, &meetings)
        }
        Command::Subscribe { rotate } => subscribe(context, network, room, rotate, now)?,
        Command::Ics(date) => {
            let meeting = match date {
                None => network.schedule.next_taking_place(now, SCHEDULE_HORIZON),
                Some(date) => network
                    .schedule
                    .on_date(date)
                    .into_iter()
                    .find(Meeting::takes_place),
            };
            match (meeting, date) {
                (Some(meeting), _) => {
                    let file = scheduler::invitation(network, &context.store, &meeting, now)
                        .ok_or(CommandError::Unavailable)?;
                    return Ok(Answer::File(file));
                }
                (None, Some(date)) => render::no_meeting_on(language, date),
                (None, None) => {
                    render::meeting_details(language, None, render::Additions::default())
                }
            }
        }
        Command::Minutes(sub) => match sub {
            MinutesCommand::Show => minutes::show(invocation),
            MinutesCommand::Start => minutes::start(invocation).await,
            MinutesCommand::Edit { number, text } => minutes::edit(invocation, number, &text).await,
            MinutesCommand::Approve(date) => minutes::approve(invocation, date).await,
            MinutesCommand::List => minutes::list(invocation),
        },
        Command::Record(recording) => minutes::record(invocation, recording).await,
        Command::Here(name) => minutes::here(invocation, name.as_deref()),
        Command::Actions { all } => minutes::actions(invocation, all),
        Command::Done(number) => minutes::done(invocation, number),
        Command::Vote(numbers) => polls::vote(invocation, &numbers)?,
        Command::Poll(PollCommand::Show) => polls::show(invocation)?,
        Command::Poll(PollCommand::Decide { poll, slot }) => {
            polls::decide(invocation, poll.as_deref(), slot)?
        }
    }))
}

/// Whose commands `!help` lists: organizers and anyone in the organizers' or minutes room see
/// every section, the chairs of the minutes being recorded see theirs, members their own.
fn audience(invocation: &minutes::Invocation<'_>) -> Role {
    let roster = invocation.network.roster();
    let in_organizers_room = is_room(&roster.organizers_room, invocation.room)
        || roster
            .minutes_room
            .as_ref()
            .is_some_and(|room| is_room(room, invocation.room));
    if in_organizers_room || roster.organizers.contains(&invocation.event.sender) {
        return Role::Organizer;
    }
    let sender = invocation.event.sender.as_str();
    let chairs = invocation
        .context
        .store
        .minutes_with_status(crate::store::MinutesStatus::Recording)
        .unwrap_or_default()
        .iter()
        .any(|row| {
            invocation
                .context
                .store
                .chairs(&row.meeting_key)
                .is_ok_and(|chairs| chairs.iter().any(|(user, _)| user == sender))
        });
    if chairs { Role::Chair } else { Role::Member }
}

/// The next meeting with its link and its agenda, accepted proposals and open action items
/// included.
fn next_meeting(
    context: &Context,
    network: &Network,
    now: DateTime<Utc>,
) -> Result<Rendered, CommandError> {
    let next = network.schedule.next_taking_place(now, SCHEDULE_HORIZON);
    let failed = |error: crate::store::StoreError| {
        warn!(%error, "cannot read the next meeting's proposals or action items");
        CommandError::Unavailable
    };
    let (accepted, open_actions) = match &next {
        Some(meeting) => (
            context.store.accepted_for(&meeting.key).map_err(failed)?,
            context
                .store
                .open_actions_before(meeting.start.with_timezone(&Utc))
                .map_err(failed)?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    Ok(render::meeting_details(
        network.config.language,
        next.as_ref().map(|m| (m, network.agenda(m))),
        render::Additions {
            accepted: &accepted,
            open_actions: &open_actions,
        },
    ))
}

/// The action items still open from meetings before `meeting`: its "Offene Aufgaben".
pub(super) fn open_actions(
    store: &crate::store::Store,
    meeting: &Meeting,
) -> Vec<crate::store::ActionItem> {
    store
        .open_actions_before(meeting.start.with_timezone(&Utc))
        .unwrap_or_else(|error| {
            warn!(%error, "cannot read open action items");
            Vec::new()
        })
}

/// Whether `room` is the configured room (by id, or by one of its aliases).
pub(super) fn is_room(configured: &matrix_sdk::ruma::OwnedRoomOrAliasId, room: &Room) -> bool {
    configured.as_str() == room.room_id().as_str()
        || room
            .canonical_alias()
            .is_some_and(|a| a.as_str() == configured.as_str())
        || room
            .alt_aliases()
            .iter()
            .any(|a| a.as_str() == configured.as_str())
}

/// The municipality whose configured room this is (the organizers' room counts as the
/// network itself); `None` outside the configured rooms.
pub(super) fn municipality_of(network: &Network, room: &Room) -> Option<String> {
    let config = &network.config;
    if is_room(&config.roster.organizers_room, room) {
        return Some(config.roster.name.clone());
    }
    config
        .roster
        .members
        .iter()
        .find(|m| is_room(&m.room, room))
        .map(|m| m.name.clone())
}

/// A notice to the room a proposal came from.
fn tell_proposer(proposal: &Proposal, rendered: Rendered, key: &str) -> Option<Action> {
    let room_id = matrix_sdk::ruma::OwnedRoomId::try_from(proposal.room_id.as_str()).ok()?;
    Some(Action::Send {
        room_id,
        transaction_id: OwnedTransactionId::from(format!(
            "convene-proposal-{}-{}",
            proposal.id,
            crate::hash::stable_hash(&[key])
        )),
        payload: Payload::notice(rendered),
    })
}

/// `!agenda …`: the reply, with notices to proposers' rooms queued in `also`.
fn agenda(
    context: &Context,
    network: &Network,
    room: &Room,
    event: &OriginalSyncRoomMessageEvent,
    sub: AgendaCommand,
    now: DateTime<Utc>,
    also: &mut Vec<Action>,
) -> Result<Rendered, CommandError> {
    let language = network.config.language;
    let store = &context.store;
    let failed = |error: crate::store::StoreError| {
        warn!(%error, "the proposals database failed");
        CommandError::Unavailable
    };
    let open_own = |number: i64| {
        Ok::<_, CommandError>(
            store
                .proposal(number)
                .map_err(failed)?
                .filter(|p| p.status == ProposalStatus::Open),
        )
    };
    Ok(match sub {
        // The same as `!next`: the agenda is what the meeting's details show.
        AgendaCommand::Show => next_meeting(context, network, now)?,
        AgendaCommand::Add { title, description } => {
            let Some(meeting) = network.schedule.next_taking_place(now, SCHEDULE_HORIZON) else {
                return Ok(render::cannot_propose(language, true));
            };
            let Some(municipality) = municipality_of(network, room) else {
                return Ok(render::cannot_propose(language, false));
            };
            let proposal = store.propose(
                &NewProposal {
                    meeting_key: &meeting.key,
                    room_id: room.room_id().as_str(),
                    municipality: &municipality,
                    sender: event.sender.as_str(),
                    title: &title,
                    description: description.as_deref(),
                    source_event: event.event_id.as_str(),
                    now,
                },
                network.config.max_open_proposals,
            );
            match proposal {
                Ok(Ok(proposal)) => render::proposal_added(language, &proposal, &meeting),
                Ok(Err(ProposalRefusal::TooMany(open))) => {
                    render::too_many_proposals(language, open)
                }
                Err(error) => return Err(failed(error)),
            }
        }
        AgendaCommand::Mine => match store.proposals_of(event.sender.as_str()) {
            Ok(proposals) => render::proposal_list(language, &proposals, false),
            Err(error) => return Err(failed(error)),
        },
        AgendaCommand::Proposals => match store.open_proposals() {
            Ok(proposals) => render::proposal_list(language, &proposals, true),
            Err(error) => return Err(failed(error)),
        },
        AgendaCommand::Withdraw(number) => {
            let Some(proposal) = open_own(number)?.filter(|p| p.sender == event.sender.as_str())
            else {
                return Ok(render::no_such_proposal(language, number));
            };
            if let Err(error) = store.decide(number, ProposalStatus::Withdrawn, None, None, now) {
                return Err(failed(error));
            }
            render::proposal_outcome(language, &proposal, Outcome::Withdrawn)
        }
        AgendaCommand::Accept { number, part } => {
            let Some(mut proposal) = open_own(number)? else {
                return Ok(render::no_such_proposal(language, number));
            };
            let Some(meeting) = network.schedule.find(&proposal.meeting_key) else {
                return Ok(render::cannot_propose(language, true));
            };
            // A part the meeting does not have would put the item nowhere on the agenda.
            let parts = network
                .agendas
                .by_meeting
                .get(&meeting.key)
                .map_or(0, |agenda| agenda.parts.len());
            if let Some(part) = part
                && usize::try_from(part).map_or(true, |part| part > parts)
            {
                return Ok(render::no_such_part(language, number, part, parts));
            }
            if let Err(error) = store.decide(number, ProposalStatus::Accepted, part, None, now) {
                return Err(failed(error));
            }
            proposal.status = ProposalStatus::Accepted;
            proposal.part = part;
            let outcome =
                render::proposal_outcome(language, &proposal, Outcome::Accepted(&meeting));
            also.extend(tell_proposer(&proposal, outcome.clone(), "accepted"));
            outcome
        }
        AgendaCommand::Reject { number, reason } => {
            let Some(mut proposal) = open_own(number)? else {
                return Ok(render::no_such_proposal(language, number));
            };
            if let Err(error) =
                store.decide(number, ProposalStatus::Rejected, None, Some(&reason), now)
            {
                return Err(failed(error));
            }
            proposal.status = ProposalStatus::Rejected;
            proposal.reason = Some(reason);
            let outcome = render::proposal_outcome(language, &proposal, Outcome::Rejected);
            also.extend(tell_proposer(&proposal, outcome.clone(), "rejected"));
            outcome
        }
        AgendaCommand::Defer(number) => {
            let Some(mut proposal) = open_own(number)? else {
                return Ok(render::no_such_proposal(language, number));
            };
            let after = network
                .schedule
                .find(&proposal.meeting_key)
                .map_or(now, |m| {
                    crate::schedule::later(
                        m.start.with_timezone(&Utc),
                        chrono::TimeDelta::minutes(1),
                    )
                });
            let Some(later) = network.schedule.next_taking_place(after, SCHEDULE_HORIZON) else {
                return Ok(render::cannot_propose(language, true));
            };
            if let Err(error) = store.defer(number, &later.key) {
                return Err(failed(error));
            }
            proposal.meeting_key.clone_from(&later.key);
            let outcome = render::proposal_outcome(language, &proposal, Outcome::Deferred(&later));
            also.extend(tell_proposer(
                &proposal,
                outcome.clone(),
                &format!("deferred-{}", later.key),
            ));
            outcome
        }
    })
}

/// Links to the calendar: the room's private feed in a configured room, the network calendar
/// elsewhere if it is public (nothing otherwise); `rotate` replaces the room's token first.
fn subscribe(
    context: &Context,
    network: &Network,
    room: &Room,
    rotate: bool,
    now: DateTime<Utc>,
) -> Result<Rendered, CommandError> {
    let language = network.config.language;
    let name = &network.roster().name;
    let Some(calendar) = &network.config.calendar else {
        return Ok(render::subscribe(language, name, None, false, false));
    };
    let configured = municipality_of(network, room).is_some();
    let room_id = room.room_id().as_str();
    let token = if !configured {
        None
    } else {
        let fresh = new_token().ok_or(CommandError::Unavailable)?;
        let token = if rotate {
            context
                .store
                .rotate_feed_token(room_id, &fresh, now)
                .map(|()| fresh)
        } else {
            context.store.feed_token(room_id, || fresh, now)
        };
        Some(token.map_err(|error| {
            warn!(%error, "cannot read or replace a feed token");
            CommandError::Unavailable
        })?)
    };
    let path = match &token {
        Some(token) => format!("feeds/{token}.ics"),
        None if calendar.public => "calendar.ics".to_owned(),
        None => return Ok(render::subscribe(language, name, None, false, false)),
    };
    let links = calendar
        .public_url
        .join(&path)
        .ok()
        .map(|url| render::FeedLinks::for_url(&url));
    Ok(render::subscribe(
        language,
        name,
        links.as_ref(),
        token.is_some(),
        rotate && token.is_some(),
    ))
}

/// A feed token: 160 random bits from the operating system, as hex; none without randomness.
pub(super) fn new_token() -> Option<String> {
    let mut bytes = [0_u8; 20];
    if let Err(error) = getrandom::fill(&mut bytes) {
        warn!(%error, "no randomness for a feed token");
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
