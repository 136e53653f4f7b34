//! What both the chat side and the posting job read back from the database, joined with the
//! network's files: the meeting of stored minutes or a post, the minutes document, a poll as it
//! was posted, the decided polls, a meeting's accepted proposals and open action items, and its
//! .ics invitation.
//!
//! A reading that fails is logged here and comes back empty (`None`, no items): the caller then
//! posts or answers with what it has, and the next round reads again.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use tracing::warn;

use super::outbox;
use crate::minutes::{ActionItem, Attendance, Minutes};
use crate::network::Network;
use crate::poll::{PollDraft, Slot};
use crate::proposal::Proposal;
use crate::schedule::Meeting;
use crate::store::{MinutesRow, MinutesSource, PollRow, Store};

/// The meeting of stored minutes: from the schedule, or as stored if it is no longer there.
pub fn meeting_of(network: &Network, row: &MinutesRow) -> Meeting {
    network.schedule.find(&row.meeting_key).unwrap_or_else(|| {
        Meeting::remembered(
            row.meeting_key.clone(),
            row.meeting_title.clone(),
            row.meeting_start.with_timezone(&network.config.timezone),
            crate::schedule::Status::Scheduled,
        )
    })
}

/// The minutes document of stored minutes, live or from the agenda file.
pub fn document(network: &Network, store: &Store, row: &MinutesRow) -> Option<Minutes> {
    let meeting = meeting_of(network, row);
    let agenda = network.agenda(&meeting);
    let title = crate::agenda::meeting_title(&meeting, agenda);
    match row.source {
        MinutesSource::File => agenda
            .and_then(|a| a.minutes.as_ref())
            .map(|file| Minutes::from_file(&meeting, title, file)),
        MinutesSource::Live => {
            let chairs = store
                .chairs(&row.meeting_key)
                .map_err(|error| warn!(%error, "cannot read the chairs"))
                .ok()?;
            let attendance = store
                .attendance(&row.meeting_key)
                .map_err(|error| warn!(%error, "cannot read the attendance"))
                .ok()?;
            // In the configured order of the members.
            let attendance: Vec<(String, Attendance)> = network
                .config
                .roster
                .members
                .iter()
                .filter_map(|m| attendance.get(&m.name).map(|a| (m.name.clone(), *a)))
                .collect();
            let records = store
                .records(&row.meeting_key)
                .map_err(|error| warn!(%error, "cannot read the minutes"))
                .ok()?;
            Some(Minutes::from_records(
                &meeting,
                title,
                chairs.into_iter().map(|(_, shown)| shown).collect(),
                &attendance,
                &records,
            ))
        }
    }
}

/// The poll as posted, as a draft again: its title and slots as the members saw them, the link
/// and note from the file (if it is still there).
pub fn posted_draft(row: &PollRow, network: &Network) -> PollDraft {
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

/// The decided polls' slots by workshop id, for [`Network::with_decisions`]; none when the
/// database cannot be read (the workshops then stay polls until it can). A decision no meeting
/// can have ([`PollRow::decided_slot`]) is left out with a warning: its workshop stays
/// undecided, and the posting job tells the organizers (see `posting::polls::run`).
pub fn decisions(store: &Store, timezone: Tz) -> BTreeMap<String, Slot> {
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

/// The members' proposals accepted for a meeting (none if the database cannot say).
pub fn accepted(store: &Store, meeting: &Meeting) -> Vec<Proposal> {
    store.accepted_for(&meeting.key).unwrap_or_else(|error| {
        warn!(%error, "cannot read accepted proposals");
        Vec::new()
    })
}

/// The action items still open from meetings before `meeting`: its "Offene Aufgaben".
pub fn open_actions(store: &Store, meeting: &Meeting) -> Vec<ActionItem> {
    store
        .open_actions_before(meeting.start.with_timezone(&Utc))
        .unwrap_or_else(|error| {
            warn!(%error, "cannot read open action items");
            Vec::new()
        })
}

/// The .ics invitation for a meeting: its series' calendar entry, or the workshop's.
pub fn invitation(
    network: &Network,
    store: &Store,
    meeting: &Meeting,
    now: DateTime<Utc>,
) -> Option<outbox::Attachment> {
    let id = meeting.calendar_id();
    // Invitations go to the network's members only, so they carry the video links.
    let calendar = crate::calendar::build(
        network,
        store,
        now,
        crate::ical::Selection::Entry(id),
        crate::ical::Links::Include,
    )
    .map_err(|error| warn!(%error, "cannot render an invitation"))
    .ok()?;
    Some(outbox::Attachment {
        filename: format!("{id}.ics"),
        mime: "text/calendar; charset=utf-8".parse().ok()?,
        data: calendar.text.into_bytes(),
    })
}
