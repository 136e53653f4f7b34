//! What follows a meeting, done by the posting job each round: publishing approved minutes in
//! every room (exactly once per room, like announcements), offering minutes written in an
//! agenda file to the organizers as a draft, and reminding owners of action items the day
//! before they are due.

use chrono::{DateTime, Utc};
use tracing::{info, warn};

use super::minutes::{document, meeting_of};
use super::outbox::{self, Attachment, Payload, PreparedPost, Target, stable_hash};
use super::scheduler::Scheduler;
use crate::network::Network;
use crate::render;
use crate::store::{MinutesSource, MinutesStatus, NewMinutes};

impl Scheduler {
    /// Posts approved minutes that are not in every room yet: the message, then the Markdown
    /// file, then one report to the organizers.
    pub(super) async fn publish_minutes(&self, network: &Network, targets: &[Target]) {
        let pending = match self.store.minutes_to_publish() {
            Ok(pending) => pending,
            Err(error) => {
                warn!(%error, "cannot read the minutes to publish");
                return;
            }
        };
        for row in pending {
            let (Some(plain), Some(html), Some(markdown), Some(file_name)) =
                (&row.plain, &row.html, &row.markdown, &row.file_name)
            else {
                continue;
            };
            let meeting = meeting_of(network, &row);
            let message = PreparedPost::notice(
                format!("minutes/{}", row.meeting_key),
                &meeting,
                Payload::notice(render::Rendered {
                    plain: plain.clone(),
                    html: html.clone(),
                }),
            );
            info!(minutes = %row.meeting_key, rooms = targets.len(), "publishing the minutes");
            let report =
                outbox::fan_out(&self.client, &self.store, &self.clock, &message, targets).await;
            let Ok(mime) = "text/markdown; charset=utf-8".parse() else {
                continue;
            };
            let file = PreparedPost::notice(
                format!("minutes-file/{}", row.meeting_key),
                &meeting,
                Payload::File(Attachment {
                    filename: file_name.clone(),
                    mime,
                    data: markdown.clone().into_bytes(),
                }),
            );
            let files =
                outbox::fan_out(&self.client, &self.store, &self.clock, &file, targets).await;
            let summary = render::minutes_summary(
                network.config.language,
                &row.meeting_title,
                meeting.start,
                &report,
            );
            self.to_organizers(
                targets,
                &format!("minutes-summary/{}", row.meeting_key),
                &meeting,
                summary,
            )
            .await;
            if report.failed.is_empty() && files.failed.is_empty() {
                if let Err(error) = self
                    .store
                    .minutes_published(&row.meeting_key, self.clock.now())
                {
                    warn!(%error, "cannot record the publication");
                }
            } else {
                warn!(minutes = %row.meeting_key, failed = ?report.failed, files_failed = ?files.failed, "minutes not yet in every room");
            }
        }
    }

    /// Offers minutes written in an agenda file, once their meeting has begun, to the
    /// organizers as a draft (again whenever the file's minutes change before approval).
    pub(super) async fn draft_file_minutes(
        &self,
        network: &Network,
        targets: &[Target],
        now: DateTime<Utc>,
    ) {
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
            let title = render::meeting_title(&meeting, Some(agenda));
            let row = match self.store.minutes(&meeting.key) {
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
                    if let Err(error) = self.store.start_minutes(&new, "") {
                        warn!(%error, "cannot record the file's minutes");
                        continue;
                    }
                    match self.store.minutes(&meeting.key) {
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
            let Some(minutes) = document(network, &self.store, &row) else {
                continue;
            };
            let draft = render::minutes_draft(
                network.config.language,
                &network.config.network.name,
                &minutes,
                false,
            );
            let key = format!(
                "minutes-draft/{}/{}",
                meeting.key,
                stable_hash(&[&draft.plain])
            );
            self.to_organizers(targets, &key, &meeting, draft).await;
        }
    }

    /// Reminds the owner's room of each open action item due tomorrow, once; from 09:00 the
    /// day before until the end of the due date.
    pub(super) async fn remind_actions(
        &self,
        network: &Network,
        targets: &[Target],
        now: DateTime<Utc>,
    ) {
        let actions = match self.store.open_actions(None) {
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
            let post = PreparedPost {
                key: format!("action-reminder/{}", action.id),
                meeting_key: action.meeting_key.clone(),
                meeting_title: action.text.chars().take(200).collect(),
                meeting_start: action.meeting_start,
                payload: Payload::notice(reminder),
                state_hash: String::new(),
                pin: false,
            };
            let report = outbox::fan_out(
                &self.client,
                &self.store,
                &self.clock,
                &post,
                std::slice::from_ref(room),
            )
            .await;
            if !report.failed.is_empty() {
                warn!(action = action.id, failed = ?report.failed, "could not remind of an action item");
            }
        }
    }
}
