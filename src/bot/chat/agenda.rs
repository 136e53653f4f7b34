//! The meetings and their agendas in chat: `!next`, `!schedule`, `!announce`, and the members'
//! proposals for the agenda (`!agenda add`, `mine`, `proposals`, `withdraw`, `accept`, `reject`,
//! `defer`). A decision on a proposal is also told to the room it came from.

use chrono::{NaiveDate, TimeDelta, Utc};
use matrix_sdk::ruma::{OwnedRoomId, OwnedTransactionId};
use tracing::warn;

use super::super::outbox::{Outgoing, Payload};
use super::super::posting::Request;
use super::{HORIZON, Invocation, Outcome, municipality_of};
use crate::command::{AgendaCommand, CommandError};
use crate::proposal::{Proposal, ProposalStatus};
use crate::render::{self, Outcome as Decided, Rendered};
use crate::schedule::Meeting;
use crate::store::{NewProposal, ProposalRefusal, StoreError};

/// How many meetings `!schedule` lists.
const SCHEDULE_COUNT: usize = 5;

/// A failure of the database, logged; the member is told the bot cannot answer now.
fn failed(error: StoreError) -> CommandError {
    warn!(%error, "the proposals database failed");
    CommandError::Unavailable
}

/// The next meeting that takes place, within the horizon.
fn next(invocation: &Invocation<'_>) -> Option<Meeting> {
    invocation
        .network
        .schedule
        .next_taking_place(invocation.now, HORIZON)
}

/// `!next` (and `!agenda`): the next meeting with its link and its agenda, accepted proposals
/// and open action items included.
pub fn next_meeting(invocation: &Invocation<'_>) -> Result<Rendered, CommandError> {
    let next = next(invocation);
    let store = invocation.store();
    let (accepted, open_actions) = match &next {
        Some(meeting) => (
            store.accepted_for(&meeting.key).map_err(failed)?,
            store
                .open_actions_before(meeting.start.with_timezone(&Utc))
                .map_err(failed)?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    let network = invocation.network;
    Ok(render::meeting_details(
        invocation.language(),
        next.as_ref().map(|m| (m, network.agenda(m))),
        render::Additions {
            accepted: &accepted,
            open_actions: &open_actions,
        },
    ))
}

/// `!schedule`: the next meetings.
pub fn schedule(invocation: &Invocation<'_>) -> Rendered {
    let meetings = invocation
        .network
        .schedule
        .upcoming(invocation.now, HORIZON, SCHEDULE_COUNT);
    render::schedule_list(invocation.language(), &meetings)
}

/// `!announce <date>`: asks the posting job to announce the meetings of that day now.
pub fn announce(invocation: &Invocation<'_>, date: NaiveDate) -> Rendered {
    let meetings: Vec<Meeting> = invocation
        .network
        .schedule
        .on_date(date)
        .into_iter()
        .filter(Meeting::takes_place)
        .collect();
    for meeting in &meetings {
        let _ = invocation
            .context
            .requests
            .send(Request::Announce(meeting.key.clone()));
    }
    render::announce_ack(invocation.language(), date, &meetings)
}

/// `!agenda …`: the reply, with notices to proposers' rooms.
pub fn agenda(invocation: &Invocation<'_>, sub: AgendaCommand) -> Result<Outcome, CommandError> {
    let reply = match sub {
        // The same as `!next`: the agenda is what the meeting's details show.
        AgendaCommand::Show => next_meeting(invocation)?,
        AgendaCommand::Add { title, description } => {
            add(invocation, &title, description.as_deref())?
        }
        AgendaCommand::Mine => {
            let proposals = invocation
                .store()
                .proposals_of(invocation.sender.as_str())
                .map_err(failed)?;
            render::proposal_list(invocation.language(), &proposals, false)
        }
        AgendaCommand::Proposals => {
            let proposals = invocation.store().open_proposals().map_err(failed)?;
            render::proposal_list(invocation.language(), &proposals, true)
        }
        AgendaCommand::Withdraw(number) => withdraw(invocation, number)?,
        AgendaCommand::Accept { number, part } => return accept(invocation, number, part),
        AgendaCommand::Reject { number, reason } => return reject(invocation, number, reason),
        AgendaCommand::Defer(number) => return defer(invocation, number),
    };
    Ok(reply.into())
}

/// `!agenda add`: a proposal from a member room for the next meeting.
fn add(
    invocation: &Invocation<'_>,
    title: &str,
    description: Option<&str>,
) -> Result<Rendered, CommandError> {
    let language = invocation.language();
    let Some(meeting) = next(invocation) else {
        return Ok(render::cannot_propose(language, true));
    };
    let Some(municipality) = municipality_of(invocation.roster(), invocation.room) else {
        return Ok(render::cannot_propose(language, false));
    };
    let proposal = invocation
        .store()
        .propose(
            &NewProposal {
                meeting_key: &meeting.key,
                room_id: invocation.room.room_id().as_str(),
                municipality: &municipality,
                sender: invocation.sender.as_str(),
                title,
                description,
                source_event: invocation.event_id.as_str(),
                now: invocation.now,
            },
            invocation.network.config.max_open_proposals,
        )
        .map_err(failed)?;
    Ok(match proposal {
        Ok(proposal) => render::proposal_added(language, &proposal, &meeting),
        Err(ProposalRefusal::TooMany(open)) => render::too_many_proposals(language, open),
    })
}

/// The open proposal `number`.
fn open_proposal(
    invocation: &Invocation<'_>,
    number: i64,
) -> Result<Option<Proposal>, CommandError> {
    Ok(invocation
        .store()
        .proposal(number)
        .map_err(failed)?
        .filter(|p| p.status == ProposalStatus::Open))
}

/// The proposal an organizer's or proposer's command decides: an open one, or — with `true` —
/// the one this very command decided already (it was carried out before a crash and is carried
/// out again): its decision is then answered as made, and not made again.
fn to_decide(
    invocation: &Invocation<'_>,
    number: i64,
) -> Result<Option<(Proposal, bool)>, CommandError> {
    let store = invocation.store();
    let decided_by = store.proposal_decided_by(number).map_err(failed)?;
    if decided_by.as_deref() == Some(invocation.command_ref().as_str()) {
        return Ok(store.proposal(number).map_err(failed)?.map(|p| (p, true)));
    }
    Ok(open_proposal(invocation, number)?.map(|p| (p, false)))
}

/// `!agenda withdraw`: the proposer takes their open proposal back.
fn withdraw(invocation: &Invocation<'_>, number: i64) -> Result<Rendered, CommandError> {
    let language = invocation.language();
    let Some((proposal, done)) =
        to_decide(invocation, number)?.filter(|(p, _)| p.sender == invocation.sender.as_str())
    else {
        return Ok(render::no_such_proposal(language, number));
    };
    if !done {
        invocation
            .store()
            .decide(
                number,
                ProposalStatus::Withdrawn,
                None,
                None,
                invocation.now,
                &invocation.command_ref(),
            )
            .map_err(failed)?;
    }
    Ok(render::proposal_outcome(
        language,
        &proposal,
        Decided::Withdrawn,
    ))
}

/// `!agenda accept`: an organizer puts a proposal on its meeting's agenda (into `part`).
fn accept(
    invocation: &Invocation<'_>,
    number: i64,
    part: Option<u32>,
) -> Result<Outcome, CommandError> {
    let language = invocation.language();
    let Some((mut proposal, done)) = to_decide(invocation, number)? else {
        return Ok(render::no_such_proposal(language, number).into());
    };
    let network = invocation.network;
    let Some(meeting) = network.schedule.find(&proposal.meeting_key) else {
        return Ok(render::cannot_propose(language, true).into());
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
        return Ok(render::no_such_part(language, number, part, parts).into());
    }
    if !done {
        invocation
            .store()
            .decide(
                number,
                ProposalStatus::Accepted,
                part,
                None,
                invocation.now,
                &invocation.command_ref(),
            )
            .map_err(failed)?;
    }
    proposal.status = ProposalStatus::Accepted;
    proposal.part = part;
    let outcome = render::proposal_outcome(language, &proposal, Decided::Accepted(&meeting));
    Ok(told(&proposal, outcome, "accepted"))
}

/// `!agenda reject`: an organizer declines a proposal, with a reason.
fn reject(
    invocation: &Invocation<'_>,
    number: i64,
    reason: String,
) -> Result<Outcome, CommandError> {
    let language = invocation.language();
    let Some((mut proposal, done)) = to_decide(invocation, number)? else {
        return Ok(render::no_such_proposal(language, number).into());
    };
    if !done {
        invocation
            .store()
            .decide(
                number,
                ProposalStatus::Rejected,
                None,
                Some(&reason),
                invocation.now,
                &invocation.command_ref(),
            )
            .map_err(failed)?;
    }
    proposal.status = ProposalStatus::Rejected;
    proposal.reason = Some(reason);
    let outcome = render::proposal_outcome(language, &proposal, Decided::Rejected);
    Ok(told(&proposal, outcome, "rejected"))
}

/// `!agenda defer`: an organizer moves a proposal to the meeting after its own.
fn defer(invocation: &Invocation<'_>, number: i64) -> Result<Outcome, CommandError> {
    let language = invocation.language();
    let Some((mut proposal, done)) = to_decide(invocation, number)? else {
        return Ok(render::no_such_proposal(language, number).into());
    };
    let schedule = &invocation.network.schedule;
    // Deferred by this command already: it is with the meeting it was deferred to.
    let later = if done {
        schedule.find(&proposal.meeting_key)
    } else {
        let after = schedule
            .find(&proposal.meeting_key)
            .map_or(invocation.now, |m| {
                crate::schedule::later(m.start.with_timezone(&Utc), TimeDelta::minutes(1))
            });
        schedule.next_taking_place(after, HORIZON)
    };
    let Some(later) = later else {
        return Ok(render::cannot_propose(language, true).into());
    };
    if !done {
        invocation
            .store()
            .defer(number, &later.key, &invocation.command_ref())
            .map_err(failed)?;
    }
    proposal.meeting_key.clone_from(&later.key);
    let outcome = render::proposal_outcome(language, &proposal, Decided::Deferred(&later));
    Ok(told(&proposal, outcome, &format!("deferred-{}", later.key)))
}

/// The answer to an organizer's decision, also told to the room the proposal came from.
fn told(proposal: &Proposal, rendered: Rendered, key: &str) -> Outcome {
    let notice = OwnedRoomId::try_from(proposal.room_id.as_str())
        .ok()
        .map(|room_id| Outgoing {
            room_id,
            transaction_id: OwnedTransactionId::from(format!(
                "convene-proposal-{}-{}",
                proposal.id,
                crate::hash::stable_hash(&[key])
            )),
            payload: Payload::notice(rendered.clone()),
        });
    Outcome {
        answer: super::Reply::Text(rendered),
        also: notice.into_iter().collect(),
    }
}
