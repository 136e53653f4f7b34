//! Date polls in the rooms: posting them, taking the members' votes, and deciding.
//!
//! A workshop whose agenda file gives `candidates:` is a [`PollDraft`]. The posting job records
//! it as a poll (`polls` table, its slots and rooms as posted) and as a post of its own: in
//! every member room a native Matrix poll (`org.matrix.msc3381.poll.start`, the form Element
//! and Element X send and show, one answer per slot, as many answers as slots) and a short
//! notice with the same slots for clients without polls, who answer with `!vote 1 3`. Poll
//! responses are recorded as they arrive, by event id, also from the catch-up sync after a
//! restart; redacted ones are deleted. A few days before `decide_by` the rooms that have not
//! answered are reminded; after it, undecided polls are reported to the organizers.
//!
//! An organizer decides with `!poll decide <n>`, or by writing `date:` into the file. From then
//! on the workshop is an ordinary meeting ([`crate::network::Network::with_decisions`]) and the
//! posting job ends the poll in every room it reached (a poll end event and a notice with the
//! date); the announcement, its .ics and the reminders follow as for every meeting.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use matrix_sdk::Room;
use matrix_sdk::ruma::events::poll::start::PollKind;
use matrix_sdk::ruma::events::poll::unstable_end::UnstablePollEndEventContent;
use matrix_sdk::ruma::events::poll::unstable_start::{
    NewUnstablePollStartEventContent, UnstablePollAnswer, UnstablePollAnswers,
    UnstablePollStartContentBlock, UnstablePollStartEventContent,
};
use matrix_sdk::ruma::{EventId, MilliSecondsSinceUnixEpoch, OwnedEventId, UInt, UserId};
use tracing::{debug, info, warn};

use super::Context;
use super::minutes::Invocation;
use super::scheduler::{Request, Scheduler};
use crate::command::CommandError;
use crate::i18n::Language;
use crate::network::Network;
use crate::poll::{self, PollDraft, Slot, Vote};
use crate::render::{self, Rendered};
use crate::schedule::{Meeting, Status};
use crate::store::{PollDecision, PollRow, Store};

/// The key of a poll's start event (the post and its part in each room).
pub(super) fn start_key(id: &str) -> String {
    format!("poll/{id}")
}

/// The key of the notice with the slots for clients without polls.
pub(super) fn ballot_key(id: &str) -> String {
    format!("poll-text/{id}")
}

/// The key of the reminder to the rooms that have not answered.
pub(super) fn reminder_key(id: &str) -> String {
    format!("poll-reminder/{id}")
}

/// The key of the poll's end (the post and its end event in each room).
pub(super) fn end_key(id: &str) -> String {
    format!("poll-end/{id}")
}

/// The key of the notice that goes with the end.
pub(super) fn closed_key(id: &str) -> String {
    format!("poll-closed/{id}")
}

/// The poll as posted, as a draft again: its title and slots as the members saw them, the link
/// and note from the file (if it is still there).
pub(super) fn posted_draft(row: &PollRow, network: &Network) -> PollDraft {
    let timezone = network.config.timezone;
    let file = network.agendas.polls.iter().find(|d| d.id == row.key);
    PollDraft {
        id: row.key.clone(),
        title: row.title.clone(),
        slots: row
            .slots
            .iter()
            .map(|&(start, end)| Slot::between(start, end, timezone))
            .collect(),
        decide_by: row.decide_by,
        video_link: file.and_then(|d| d.video_link.clone()),
        note: file.and_then(|d| d.note.clone()),
    }
}

/// The meeting posts about a poll are recorded under: the workshop, at its first slot.
pub(super) fn poll_meeting(draft: &PollDraft) -> Option<Meeting> {
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
pub(super) fn start_content(
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
    block.max_selections = UInt::try_from(draft.slots.len()).ok()?;
    let text = render::poll_fallback(language, draft).plain;
    Some(NewUnstablePollStartEventContent::plain_text(text, block).into())
}

/// The poll end event in one room, referring to that room's start event.
pub(super) fn end_content(
    language: Language,
    draft: &PollDraft,
    slot: &Slot,
    start: OwnedEventId,
) -> UnstablePollEndEventContent {
    UnstablePollEndEventContent::new(render::poll_closed(language, draft, slot).plain, start)
}

/// The decided polls' slots by workshop id, for [`Network::with_decisions`]; none when the
/// database cannot be read (the workshops then stay polls until it can). A decision no meeting
/// can have ([`PollRow::decided_slot`]) is left out with a warning: its workshop stays
/// undecided, and the posting job tells the organizers (see [`Scheduler::run_polls`]).
pub(super) fn decisions(store: &Store, timezone: Tz) -> BTreeMap<String, Slot> {
    match store.invalid_decisions(timezone) {
        Ok(invalid) => {
            for (poll, error) in invalid {
                warn!(%poll, %error, "a stored poll decision is invalid; it is not used");
            }
        }
        Err(error) => warn!(%error, "cannot read the polls' decisions"),
    }
    store.decided_slots(timezone).unwrap_or_else(|error| {
        warn!(%error, "cannot read the polls' decisions");
        BTreeMap::new()
    })
}

/// Records a poll response (`event_id` by `sender`, answering the poll started by `start`) if
/// it answers one of the bot's polls in this room that has not ended.
pub(super) fn record_response(
    context: &Context,
    room: &Room,
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
    let answers: BTreeSet<usize> = answers
        .iter()
        .filter_map(|id| poll::answer_index(id, poll.slots.len()))
        .collect();
    let vote = Vote {
        event_id: event_id.to_string(),
        room: room.room_id().to_string(),
        user: sender.to_string(),
        answers,
        at,
    };
    match context.store.record_vote(&poll.key, &vote) {
        Ok(true) => info!(poll = %poll.key, room = %vote.room, "vote recorded"),
        Ok(false) => {}
        Err(error) => warn!(%error, "cannot record a vote"),
    }
}

/// The poll whose start event in `room` is `start`, if the bot posted it there.
fn poll_started_by(context: &Context, room: &Room, start: &EventId) -> Option<PollRow> {
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
        .filter(|poll| poll.decision.is_none() && poll.ended_at.is_none())
        .collect())
}

fn database(error: crate::store::StoreError) -> CommandError {
    warn!(%error, "the polls database failed");
    CommandError::Unavailable
}

/// `!vote 1 3`: the text form of a poll response, for clients without polls. It answers the
/// newest open poll posted in this room.
pub(super) fn vote(
    invocation: &Invocation<'_>,
    numbers: &BTreeSet<usize>,
) -> Result<Rendered, CommandError> {
    let (context, network, room, event) = (
        invocation.context,
        invocation.network,
        invocation.room,
        invocation.event,
    );
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
        event_id: event.event_id.to_string(),
        room: room_key.to_owned(),
        user: event.sender.to_string(),
        answers: answers.clone(),
        at: DateTime::<Utc>::from_timestamp_millis(event.origin_server_ts.get().into())
            .unwrap_or(invocation.now),
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
pub(super) fn show(invocation: &Invocation<'_>) -> Result<Rendered, CommandError> {
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
pub(super) fn decide(
    invocation: &Invocation<'_>,
    id: Option<&str>,
    number: usize,
) -> Result<Rendered, CommandError> {
    let (context, network) = (invocation.context, invocation.network);
    let language = network.config.language;
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
        by: invocation.event.sender.to_string(),
        at: invocation.now,
    };
    context
        .store
        .decide_poll(&poll.key, &decision)
        .map_err(database)?;
    let _ = context.requests.send(Request::PollDecided);
    let draft = posted_draft(&poll, network);
    Ok(render::poll_decided(
        language,
        &draft,
        &decision.slot(network.config.timezone),
    ))
}

impl Scheduler {
    /// The polls' part of a round: posts new polls, decisions written into files, reminders,
    /// overdue reports and poll ends.
    /// Returns when a poll next needs attention (its reminder or its deadline).
    pub(super) fn run_polls(
        &self,
        network: &Network,
        targets: &[super::outbox::Target],
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let language = network.config.language;
        let timezone = network.config.timezone;
        // A `date:` written into the file of an open poll decides it.
        for one_off in &network.schedule.one_offs {
            let Ok(Some(poll)) = self.store.poll(&one_off.id) else {
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
            match self.store.decide_poll(&poll.key, &decision) {
                Ok(_) => info!(poll = %poll.key, "decided by the date in the file"),
                Err(error) => warn!(%error, "cannot record a poll's decision"),
            }
        }
        let mut wake: Option<DateTime<Utc>> = None;
        for draft in &network.agendas.polls {
            let Some(meeting) = poll_meeting(draft) else {
                continue;
            };
            let poll = match self.store.poll(&draft.id) {
                Ok(poll) => poll,
                Err(error) => {
                    warn!(%error, "cannot read a poll");
                    continue;
                }
            };
            if poll
                .as_ref()
                .is_some_and(|poll| poll.decision.is_some() || poll.ended_at.is_some())
            {
                continue;
            }
            let step = poll::step(draft, timezone, poll.as_ref().map(|p| p.created_at), now);
            if let Some(at) = step.wake_at {
                wake = Some(wake.map_or(at, |w| w.min(at)));
            }
            if !step.overdue {
                // Also for a poll recorded already: a crash between recording the poll and
                // its post must not lose the post (both records are kept only once).
                self.open_poll(draft, &meeting, targets, now);
            }
            let Some(poll) = poll else {
                if step.overdue {
                    // Never posted: the file came after its own deadline.
                    let notice = render::poll_too_late(language, draft);
                    self.to_organizers(&format!("poll-too-late/{}", draft.id), &meeting, notice);
                }
                continue;
            };
            if step.remind {
                self.remind_poll(&poll, &meeting);
            }
            if step.overdue {
                let posted = posted_draft(&poll, network);
                let votes = self.store.votes(&poll.key).unwrap_or_default();
                let tally = poll::tally(poll.slots.len(), &poll.rooms, &votes);
                let notice = render::poll_overdue(language, &posted, &tally);
                self.to_organizers(&format!("poll-overdue/{}", poll.key), &meeting, notice);
            }
        }
        // Decided polls end in every room the poll reached: once, whatever crash came between
        // the decision, the recorded end and the end's post.
        for poll in self.store.polls().unwrap_or_default() {
            if poll.decision.is_none()
                || matches!(self.store.post(&end_key(&poll.key)), Ok(Some(_)))
            {
                continue;
            }
            // A decision no meeting can have is never shown: the organizers hear of it once,
            // and the poll stays as it is (a date in the file decides the workshop).
            if let Some(Err(error)) = poll.decided_slot(timezone) {
                let draft = posted_draft(&poll, network);
                if let Some(meeting) = poll_meeting(&draft) {
                    self.to_organizers(
                        &format!("poll-invalid-decision/{}", poll.key),
                        &meeting,
                        render::poll_decision_invalid(language, &draft, &error),
                    );
                }
                continue;
            }
            if let Err(error) = self.store.end_poll(&poll.key, now) {
                warn!(%error, "cannot record a poll's end");
                continue;
            }
            let draft = posted_draft(&poll, network);
            let Some(meeting) = poll_meeting(&draft) else {
                continue;
            };
            self.start_post(
                &end_key(&poll.key),
                "poll-end",
                &meeting,
                false,
                String::new(),
            );
        }
        wake
    }

    /// Records the poll with the member rooms as they are now, and its post; either is kept
    /// only once, so this is called every round while the poll is open.
    fn open_poll(
        &self,
        draft: &PollDraft,
        meeting: &Meeting,
        targets: &[super::outbox::Target],
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
        match self.store.open_poll(&row) {
            Ok(true) => info!(poll = %draft.id, "poll opened"),
            Ok(false) => {}
            Err(error) => {
                warn!(%error, "cannot record a poll");
                return;
            }
        }
        self.start_post(&start_key(&draft.id), "poll", meeting, false, String::new());
    }

    /// Records the reminder to the rooms that have not answered (fixed now, so a restart
    /// reminds the same rooms), unless every room has answered.
    fn remind_poll(&self, poll: &PollRow, meeting: &Meeting) {
        let key = reminder_key(&poll.key);
        if matches!(self.store.post(&key), Ok(Some(_))) {
            return;
        }
        let votes = self.store.votes(&poll.key).unwrap_or_default();
        let answered: BTreeSet<&str> = votes.iter().map(|vote| vote.room.as_str()).collect();
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
        self.start_post(&key, "poll-reminder", meeting, false, detail);
    }
}
