//! What follows a meeting, done by the posting job each round: publishing approved minutes in
//! every room (exactly once per room, like announcements), offering minutes written in an
//! agenda file to the organizers as a draft, and reminding owners of action items the day
//! before they are due.

use chrono::{DateTime, Utc};
use tracing::{info, warn};

use super::super::outbox::{Target, stable_hash};
use super::super::records;
use super::record::Recorder;
use crate::network::Network;
use crate::render;
use crate::store::{MinutesSource, MinutesStatus, NewMinutes};

/// Records approved minutes not yet published as a post: their message and their Markdown
/// file in every room, then one report to the organizers.
pub fn publish_minutes(recorder: &Recorder, network: &Network) {
    let pending = match recorder.store.minutes_to_publish() {
        Ok(pending) => pending,
        Err(error) => {
            warn!(%error, "cannot read the minutes to publish");
            return;
        }
    };
    for row in pending {
        let meeting = records::meeting_of(network, &row);
        info!(minutes = %row.meeting_key, "publishing the minutes");
        recorder.start_post(
            &format!("minutes/{}", row.meeting_key),
            "minutes",
            &meeting,
            false,
            String::new(),
        );
    }
}

/// Offers minutes written in an agenda file, once their meeting has begun, to the
/// organizers as a draft (again whenever the file's minutes change before approval).
pub fn draft_file_minutes(recorder: &Recorder, network: &Network, now: DateTime<Utc>) {
    for agenda in network.agendas.by_meeting.values() {
        if agenda.minutes.is_none() {
            continue;
        }
        let Some(meeting) = network.schedule.find(&agenda.meeting_key) else {
            continue;
        };
        if meeting.start > now {
            continue;
        }
        let title = crate::agenda::meeting_title(&meeting, Some(agenda));
        let row = match recorder.store.minutes(&meeting.key) {
            Ok(Some(row)) => row,
            Ok(None) => {
                let new = NewMinutes {
                    meeting_key: &meeting.key,
                    source: MinutesSource::File,
                    status: MinutesStatus::Draft,
                    room_id: "",
                    started_by: &agenda.file.display().to_string(),
                    meeting_title: &title,
                    meeting_start: meeting.start.with_timezone(&Utc),
                    now,
                };
                if let Err(error) = recorder.store.start_minutes(&new, "") {
                    warn!(%error, "cannot record the file's minutes");
                    continue;
                }
                match recorder.store.minutes(&meeting.key) {
                    Ok(Some(row)) => row,
                    _ => continue,
                }
            }
            Err(error) => {
                warn!(%error, "cannot read minutes");
                continue;
            }
        };
        if row.source != MinutesSource::File || row.status != MinutesStatus::Draft {
            continue;
        }
        let Some(minutes) = records::document(network, &recorder.store, &row) else {
            continue;
        };
        let draft = render::minutes_draft(
            network.config.language,
            &network.roster().name,
            &minutes,
            false,
        );
        let key = format!(
            "minutes-draft/{}/{}",
            meeting.key,
            stable_hash(&[&draft.plain])
        );
        recorder.to_organizers(&key, &meeting, draft);
    }
}

/// Reminds the owner's room of each open action item due tomorrow, once; from 09:00 the
/// day before until the end of the due date.
pub fn remind_actions(
    recorder: &Recorder,
    network: &Network,
    targets: &[Target],
    now: DateTime<Utc>,
) {
    let actions = match recorder.store.open_actions(None) {
        Ok(actions) => actions,
        Err(error) => {
            warn!(%error, "cannot read open action items");
            return;
        }
    };
    let timezone = network.config.timezone;
    for action in actions {
        let Some(due) = action.due else {
            continue;
        };
        let Some((from, until)) = crate::minutes::reminder_window(due, timezone) else {
            continue;
        };
        if now < from || now >= until {
            continue;
        }
        let room = action
            .owner
            .municipality()
            .and_then(|name| targets.iter().skip(1).find(|t| t.name == name))
            .or_else(|| targets.first());
        let Some(room) = room else {
            continue;
        };
        let reminder = render::action_reminder(network.config.language, &action);
        let meeting = crate::schedule::Meeting::remembered(
            action.meeting_key.clone(),
            action.text.chars().take(200).collect(),
            action.meeting_start.with_timezone(&timezone),
            crate::schedule::Status::Scheduled,
        );
        // The organizers' room is the default target of a notice.
        let to = (!std::ptr::eq(room, &targets[0])).then_some(room.key.as_str());
        recorder.start_notice(
            &format!("action-reminder/{}", action.id),
            &meeting,
            to,
            reminder,
        );
    }
}
