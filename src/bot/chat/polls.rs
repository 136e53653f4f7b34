//! Date polls in chat: the members' votes (native poll responses, and `!vote` for clients
//! without polls), the tally (`!poll`) and the organizers' decision (`!poll decide`).
//!
//! Poll responses are recorded as they arrive, by event id, also from the catch-up sync after a
//! restart; redacted ones are deleted (`bot::on_redaction`). How polls are posted, reminded and
//! ended is the posting job's part (`posting::polls`).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use matrix_sdk::ruma::{EventId, MilliSecondsSinceUnixEpoch, UserId};
use tracing::{debug, info, warn};

use super::super::posting::Request;
use super::super::records::posted_draft;
use super::{ChatRoom, Context, Invocation};
use crate::command::{CommandError, PollCommand};
use crate::poll::{self, Response, Vote};
use crate::render::{self, Rendered};
use crate::store::{PollDecision, PollRow};

/// `!poll` and `!poll decide`.
pub fn poll(invocation: &Invocation<'_>, sub: PollCommand) -> Result<Rendered, CommandError> {
    match sub {
        PollCommand::Show => show(invocation),
        PollCommand::Decide { poll, slot } => decide(invocation, poll.as_deref(), slot),
    }
}

/// Records a poll response (`event_id` by `sender`, answering the poll started by `start`) if
/// it answers one of the bot's polls in this room that has not ended.
pub fn record_response(
    context: &Context,
    room: &dyn ChatRoom,
    event_id: &EventId,
    sender: &UserId,
    start: &EventId,
    answers: &[String],
    sent: MilliSecondsSinceUnixEpoch,
) {
    if sender == context.own_user_id {
        return;
    }
    let Some(poll) = poll_started_by(context, room, start) else {
        return;
    };
    let at = DateTime::<Utc>::from_timestamp_millis(sent.get().into()).unwrap_or_default();
    if poll.ended_at.is_some_and(|ended| at > ended) {
        debug!(%event_id, poll = %poll.key, "a vote after the poll ended; not counted");
        return;
    }
    // A spoiled response is recorded all the same: as the member's latest, it replaces their
    // earlier vote, as it does in Element.
    let slots = poll.slots.len();
    let response = poll::read_response(answers, slots, poll::max_selections(slots));
    let spoiled = response == Response::Spoiled;
    let vote = Vote {
        event_id: event_id.to_string(),
        room: room.room_id().to_string(),
        user: sender.to_string(),
        response,
        at,
    };
    match context.store.record_vote(&poll.key, &vote) {
        Ok(true) if spoiled => info!(
            poll = %poll.key,
            room = %vote.room,
            "a spoiled vote recorded (an answer the poll does not have): it counts for nothing"
        ),
        Ok(true) => info!(poll = %poll.key, room = %vote.room, "vote recorded"),
        Ok(false) => {}
        Err(error) => warn!(%error, "cannot record a vote"),
    }
}

/// The poll whose start event in `room` is `start`, if the bot posted it there.
fn poll_started_by(context: &Context, room: &dyn ChatRoom, start: &EventId) -> Option<PollRow> {
    let part = context
        .store
        .part_of_event(room.room_id().as_str(), start.as_str())
        .ok()
        .flatten()?;
    let key = part.strip_prefix("poll/")?;
    context.store.poll(key).ok().flatten()
}

/// The polls still open for votes, oldest first.
fn open_polls(context: &Context) -> Result<Vec<PollRow>, CommandError> {
    Ok(context
        .store
        .polls()
        .map_err(database)?
        .into_iter()
        .filter(PollRow::is_running)
        .collect())
}

fn database(error: crate::store::StoreError) -> CommandError {
    warn!(%error, "the polls database failed");
    CommandError::Unavailable
}

/// `!vote 1 3`: the text form of a poll response, for clients without polls. It answers the
/// newest open poll posted in this room.
pub fn vote(
    invocation: &Invocation<'_>,
    numbers: &BTreeSet<usize>,
) -> Result<Rendered, CommandError> {
    let (context, network, room) = (invocation.context, invocation.network, invocation.room);
    let language = network.config.language;
    let room_key = room.room_id().as_str();
    let poll = open_polls(context)?
        .into_iter()
        .rev()
        .find(|poll| poll.rooms.iter().any(|(key, _)| key == room_key));
    let Some(poll) = poll else {
        return Ok(render::no_open_poll(language));
    };
    let count = poll.slots.len();
    if let Some(&number) = numbers.iter().find(|&&n| n == 0 || n > count) {
        return Ok(render::no_such_slot(language, number, count));
    }
    let answers: BTreeSet<usize> = numbers.iter().map(|n| n - 1).collect();
    let vote = Vote {
        event_id: invocation.event_id.to_string(),
        room: room_key.to_owned(),
        user: invocation.sender.to_string(),
        response: Response::Valid(answers.clone()),
        at: invocation.sent,
    };
    context
        .store
        .record_vote(&poll.key, &vote)
        .map_err(database)?;
    let draft = posted_draft(&poll, network);
    Ok(if answers.is_empty() {
        render::vote_withdrawn(language)
    } else {
        let answers: Vec<usize> = answers.into_iter().collect();
        render::vote_recorded(language, &answers, &draft.slots)
    })
}

/// `!poll`: the tally of every open poll.
fn show(invocation: &Invocation<'_>) -> Result<Rendered, CommandError> {
    let (context, network) = (invocation.context, invocation.network);
    let language = network.config.language;
    let polls = open_polls(context)?;
    if polls.is_empty() {
        return Ok(render::no_open_poll(language));
    }
    let mut shown: Vec<Rendered> = Vec::new();
    for poll in &polls {
        let votes = context.store.votes(&poll.key).map_err(database)?;
        let tally = poll::tally(poll.slots.len(), &poll.rooms, &votes);
        let draft = posted_draft(poll, network);
        shown.push(render::poll_tally(
            language,
            &draft,
            &tally,
            poll.rooms.len(),
        ));
    }
    Ok(render::poll_tallies(language, &shown))
}

/// `!poll decide [<workshop>] <n>`: the workshop takes place on slot `n`; the posting job ends
/// the poll in every room and the workshop becomes an ordinary meeting.
fn decide(
    invocation: &Invocation<'_>,
    id: Option<&str>,
    number: usize,
) -> Result<Rendered, CommandError> {
    let (context, network) = (invocation.context, invocation.network);
    let language = network.config.language;
    let timezone = network.config.timezone;
    let command = invocation.command_ref();
    // Decided by this very command before a crash: answered as made, not refused as decided.
    if let Some(poll) = context.store.poll_decided_by(&command).map_err(database)?
        && let Some(Ok(slot)) = poll.decided_slot(timezone)
    {
        return Ok(render::poll_decided(
            language,
            &posted_draft(&poll, network),
            &slot,
        ));
    }
    let open = open_polls(context)?;
    let poll = match id {
        Some(id) => open.into_iter().find(|poll| poll.key == id),
        None if open.len() == 1 => open.into_iter().next(),
        None if open.is_empty() => None,
        None => {
            let ids: Vec<String> = open.into_iter().map(|poll| poll.key).collect();
            return Ok(render::which_poll(language, &ids));
        }
    };
    let Some(poll) = poll else {
        return Ok(render::no_open_poll(language));
    };
    let count = poll.slots.len();
    let Some(&(start, end)) = number.checked_sub(1).and_then(|i| poll.slots.get(i)) else {
        return Ok(render::no_such_slot(language, number, count));
    };
    let decision = PollDecision {
        slot: Some(number - 1),
        start,
        end,
        by: invocation.sender.to_string(),
        at: invocation.now,
    };
    context
        .store
        .decide_poll_by(&poll.key, &decision, Some(&command))
        .map_err(database)?;
    let _ = context.requests.send(Request::PollDecided);
    let draft = posted_draft(&poll, network);
    Ok(render::poll_decided(
        language,
        &draft,
        &decision.slot(timezone),
    ))
}
