//! The posting job's part in date polls: opening a poll in every member room (a native Matrix
//! poll, `org.matrix.msc3381.poll.start`, the form Element and Element X send and show, one
//! answer per slot, and a short notice with the same slots for clients without polls), reminding
//! the rooms that have not answered a few days before `decide_by`, reporting undecided polls
//! after it, and ending a decided poll in every room it reached.
//!
//! A workshop whose agenda file gives `candidates:` is a [`PollDraft`]; once decided (by
//! `!poll decide` or a `date:` in the file) it is an ordinary meeting
//! ([`crate::network::Network::with_decisions`]), announced like every other.

use chrono::{DateTime, Utc};
use matrix_sdk::ruma::events::poll::start::PollKind;
use matrix_sdk::ruma::events::poll::unstable_end::UnstablePollEndEventContent;
use matrix_sdk::ruma::events::poll::unstable_start::{
    NewUnstablePollStartEventContent, UnstablePollAnswer, UnstablePollAnswers,
    UnstablePollStartContentBlock, UnstablePollStartEventContent,
};
use matrix_sdk::ruma::{OwnedEventId, UInt};
use tracing::{info, warn};

use super::super::outbox::Target;
use super::super::records;
use super::record::Recorder;
use crate::i18n::Language;
use crate::network::Network;
use crate::poll::{self, PollDraft, Slot};
use crate::render;
use crate::schedule::{Meeting, Status};
use crate::store::{PollDecision, PollRow};

/// The meeting posts about a poll are recorded under: the workshop, at its first slot.
pub fn poll_meeting(draft: &PollDraft) -> Option<Meeting> {
    let first = draft.slots.first()?;
    Some(Meeting::remembered(
        draft.id.clone(),
        draft.title.clone(),
        first.start,
        Status::Scheduled,
    ))
}

/// The poll start event: one answer per slot ("1", "2", … as `!vote` counts), any number of
/// answers, results shown to the voters (municipalities plan together, as with a shared
/// scheduling page), and the numbered slots as its text form.
pub fn start_content(
    language: Language,
    draft: &PollDraft,
) -> Option<UnstablePollStartEventContent> {
    let answers: Vec<UnstablePollAnswer> = draft
        .slots
        .iter()
        .enumerate()
        .map(|(index, slot)| {
            UnstablePollAnswer::new(poll::answer_id(index), render::poll_answer(language, slot))
        })
        .collect();
    let answers = UnstablePollAnswers::try_from(answers).ok()?;
    let mut block =
        UnstablePollStartContentBlock::new(render::poll_question(language, draft), answers);
    block.kind = PollKind::Disclosed;
    block.max_selections = UInt::try_from(poll::max_selections(draft.slots.len())).ok()?;
    let text = render::poll_fallback(language, draft).plain;
    Some(NewUnstablePollStartEventContent::plain_text(text, block).into())
}

/// The poll end event in one room, referring to that room's start event.
pub fn end_content(
    language: Language,
    draft: &PollDraft,
    slot: &Slot,
    start: OwnedEventId,
) -> UnstablePollEndEventContent {
    UnstablePollEndEventContent::new(render::poll_closed(language, draft, slot).plain, start)
}

/// The polls' part of a round: posts new polls, decisions written into files, reminders,
/// overdue reports and poll ends.
/// Returns when a poll next needs attention (its reminder or its deadline).
pub fn run(
    recorder: &Recorder,
    network: &Network,
    targets: &[Target],
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    decide_by_files(recorder, network, now);
    let mut wake: Option<DateTime<Utc>> = None;
    for draft in &network.agendas.polls {
        if let Some(at) = step(recorder, network, draft, targets, now) {
            wake = Some(wake.map_or(at, |w| w.min(at)));
        }
    }
    end_decided(recorder, network, now);
    wake
}

/// A `date:` written into the file of an open poll decides it.
fn decide_by_files(recorder: &Recorder, network: &Network, now: DateTime<Utc>) {
    for one_off in &network.schedule.one_offs {
        let Ok(Some(poll)) = recorder.store.poll(&one_off.id) else {
            continue;
        };
        if poll.decision.is_some() {
            continue;
        }
        let Some(meeting) = network.schedule.find(&one_off.id) else {
            continue;
        };
        let (start, end) = (
            meeting.start.with_timezone(&Utc),
            meeting.end.with_timezone(&Utc),
        );
        let decision = PollDecision {
            slot: poll.slots.iter().position(|slot| *slot == (start, end)),
            start,
            end,
            by: "file".to_owned(),
            at: now,
        };
        match recorder.store.decide_poll(&poll.key, &decision) {
            Ok(_) => info!(poll = %poll.key, "decided by the date in the file"),
            Err(error) => warn!(%error, "cannot record a poll's decision"),
        }
    }
}

/// One open poll's round: opened (with its post) until its deadline, reminded, or reported as
/// overdue. Returns when it next needs attention.
fn step(
    recorder: &Recorder,
    network: &Network,
    draft: &PollDraft,
    targets: &[Target],
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let language = network.config.language;
    let meeting = poll_meeting(draft)?;
    let poll = match recorder.store.poll(&draft.id) {
        Ok(poll) => poll,
        Err(error) => {
            warn!(%error, "cannot read a poll");
            return None;
        }
    };
    if poll
        .as_ref()
        .is_some_and(|poll| poll.decision.is_some() || poll.ended_at.is_some())
    {
        return None;
    }
    let created = poll.as_ref().map(|p| p.created_at);
    let step = poll::step(draft, network.config.timezone, created, now);
    if !step.overdue {
        // Also for a poll recorded already: a crash between recording the poll and
        // its post must not lose the post (both records are kept only once).
        open_poll(recorder, draft, &meeting, targets, now);
    }
    let Some(poll) = poll else {
        if step.overdue {
            // Never posted: the file came after its own deadline.
            let notice = render::poll_too_late(language, draft);
            recorder.to_organizers(&format!("poll-too-late/{}", draft.id), &meeting, notice);
        }
        return step.wake_at;
    };
    if step.remind {
        remind_poll(recorder, &poll, &meeting);
    }
    if step.overdue {
        let posted = records::posted_draft(&poll, network);
        let votes = recorder.store.votes(&poll.key).unwrap_or_default();
        let tally = poll::tally(poll.slots.len(), &poll.rooms, &votes);
        let notice = render::poll_overdue(language, &posted, &tally);
        recorder.to_organizers(&format!("poll-overdue/{}", poll.key), &meeting, notice);
    }
    step.wake_at
}

/// Decided polls end in every room the poll reached: once, whatever crash came between the
/// decision, the recorded end and the end's post.
fn end_decided(recorder: &Recorder, network: &Network, now: DateTime<Utc>) {
    let language = network.config.language;
    for poll in recorder.store.polls().unwrap_or_default() {
        if poll.decision.is_none()
            || matches!(recorder.store.post(&poll::end_key(&poll.key)), Ok(Some(_)))
        {
            continue;
        }
        let draft = records::posted_draft(&poll, network);
        // A decision no meeting can have is never shown: the organizers hear of it once,
        // and the poll stays as it is (a date in the file decides the workshop).
        if let Some(Err(error)) = poll.decided_slot(network.config.timezone) {
            if let Some(meeting) = poll_meeting(&draft) {
                recorder.to_organizers(
                    &format!("poll-invalid-decision/{}", poll.key),
                    &meeting,
                    render::poll_decision_invalid(language, &draft, &error),
                );
            }
            continue;
        }
        if let Err(error) = recorder.store.end_poll(&poll.key, now) {
            warn!(%error, "cannot record a poll's end");
            continue;
        }
        let Some(meeting) = poll_meeting(&draft) else {
            continue;
        };
        recorder.start_post(
            &poll::end_key(&poll.key),
            "poll-end",
            &meeting,
            false,
            String::new(),
        );
    }
}

/// Records the poll with the member rooms as they are now, and its post; either is kept
/// only once, so this is called every round while the poll is open.
fn open_poll(
    recorder: &Recorder,
    draft: &PollDraft,
    meeting: &Meeting,
    targets: &[Target],
    now: DateTime<Utc>,
) {
    let row = PollRow {
        key: draft.id.clone(),
        title: draft.title.clone(),
        slots: draft.slots.iter().map(Slot::instants).collect(),
        rooms: targets
            .iter()
            .skip(1)
            .map(|target| (target.key.clone(), target.name.clone()))
            .collect(),
        decide_by: draft.decide_by,
        created_at: now,
        decision: None,
        ended_at: None,
    };
    match recorder.store.open_poll(&row) {
        Ok(true) => info!(poll = %draft.id, "poll opened"),
        Ok(false) => {}
        Err(error) => {
            warn!(%error, "cannot record a poll");
            return;
        }
    }
    recorder.start_post(
        &poll::start_key(&draft.id),
        "poll",
        meeting,
        false,
        String::new(),
    );
}

/// Records the reminder to the rooms that have not answered as the tally counts them
/// ([`poll::answered_rooms`]: a room whose only votes are spoiled has not), fixed now so a
/// restart reminds the same rooms, unless every room has answered.
fn remind_poll(recorder: &Recorder, poll: &PollRow, meeting: &Meeting) {
    let key = poll::reminder_key(&poll.key);
    if matches!(recorder.store.post(&key), Ok(Some(_))) {
        return;
    }
    let votes = recorder.store.votes(&poll.key).unwrap_or_default();
    let answered = poll::answered_rooms(&votes);
    let rooms: Vec<&str> = poll
        .rooms
        .iter()
        .map(|(key, _)| key.as_str())
        .filter(|key| !answered.contains(key))
        .collect();
    if rooms.is_empty() {
        return;
    }
    let detail = serde_json::to_string(&rooms).unwrap_or_default();
    recorder.start_post(&key, "poll-reminder", meeting, false, detail);
}
