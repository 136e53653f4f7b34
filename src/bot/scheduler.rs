//! The posting job: announcements and reminders in every room, exactly once, and edits when a
//! meeting changes.
//!
//! Each round it asks [`posting::plan`] what is due (a pure decision over the schedule and the
//! delivery records), fans the due posts out through [`outbox::fan_out`], reports to the
//! organizers' room, and edits earlier posts whose meeting has changed since. Then it sleeps
//! until the next post is due, a file changes, or a request (`!announce`) comes in.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use matrix_sdk::Client;
use matrix_sdk::ruma::events::room::message::RoomMessageEventContentWithoutRelation;
use matrix_sdk::ruma::{OwnedRoomId, OwnedRoomOrAliasId};
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

use super::outbox::{self, Payload, PreparedPost, Target, stable_hash};
use crate::clock::Clock;
use crate::network::Network;
use crate::posting::{self, History, Post, PostKind, Started};
use crate::render::{self, Rendered};
use crate::schedule::{Meeting, Status};
use crate::store::{Delivery, Store};

/// The longest the job sleeps, so alias changes and retries are picked up.
const MAX_SLEEP: Duration = Duration::from_secs(30);

/// What other parts of the bot ask of the posting job.
#[derive(Debug)]
pub enum Request {
    /// Post the announcement of this meeting now (`!announce`).
    Announce(String),
    /// A changed file did not load; tell the organizers.
    ReloadFailed(String),
    /// Minutes were approved: publish them now, not at the next wake-up (the round after every
    /// request publishes all approved minutes not yet in every room).
    PublishMinutes,
    /// Tell the organizers' room this, once per key.
    Notify {
        /// What makes it once.
        key: String,
        /// The text.
        notice: Rendered,
    },
}

/// The posting job's state.
#[derive(Debug)]
pub struct Scheduler {
    /// The logged-in client.
    pub client: Client,
    /// The delivery records.
    pub store: Arc<Store>,
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// The current network files.
    pub network: watch::Receiver<Arc<Network>>,
    /// Requests from handlers and the file watcher.
    pub requests: mpsc::UnboundedReceiver<Request>,
    /// Resolved room aliases.
    pub aliases: HashMap<OwnedRoomOrAliasId, OwnedRoomId>,
}

/// The delivery records, as the planner sees them.
struct Records<'a> {
    store: &'a Store,
    targets: &'a [Target],
}

impl History for Records<'_> {
    fn first_seen(&self, meeting_key: &str) -> Option<DateTime<Utc>> {
        self.store.seen_at(meeting_key).ok().flatten()
    }

    fn started(&self, post_key: &str) -> Option<Started> {
        let deliveries = self.store.deliveries_of(post_key).ok()?;
        let at = deliveries.iter().map(|d| d.started_at).min()?;
        let complete = self.targets.iter().all(|target| match &target.room_id {
            Ok(room_id) => deliveries
                .iter()
                .any(|d| d.room_id == room_id.as_str() && d.event_id.is_some()),
            Err(_) => false,
        });
        Some(Started { at, complete })
    }
}

impl Scheduler {
    /// Runs rounds until `stop` turns true.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        loop {
            let next_due = self.round().await;
            let now = self.clock.now();
            let sleep = next_due
                .and_then(|due| (due - now).to_std().ok())
                .unwrap_or(MAX_SLEEP)
                .min(MAX_SLEEP);
            tokio::select! {
                _ = stop.changed() => return,
                changed = self.network.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    info!("the network's files changed; planning again");
                }
                request = self.requests.recv() => match request {
                    Some(request) => self.handle(request).await,
                    None => return,
                },
                () = tokio::time::sleep(sleep) => {}
            }
        }
    }

    /// One planning round; returns when the next post is due.
    async fn round(&mut self) -> Option<DateTime<Utc>> {
        let network = Arc::clone(&self.network.borrow_and_update());
        let now = self.clock.now();
        let offsets = &network.config.meetings.reminders;
        let meetings = posting::window(&network.schedule, offsets, now);
        for meeting in &meetings {
            if let Err(error) = self.store.first_seen(&meeting.key, now) {
                warn!(%error, "cannot record a meeting");
            }
        }
        let targets = self.targets(&network).await;
        let plan = {
            let records = Records {
                store: &self.store,
                targets: &targets,
            };
            posting::plan(&meetings, offsets, now, &records)
        };
        for due in &plan.send {
            self.send_post(&network, &due.post, due.late, &targets)
                .await;
        }
        let mut missed: BTreeMap<&str, &Meeting> = BTreeMap::new();
        for post in &plan.missed {
            missed.insert(&post.meeting.key, &post.meeting);
        }
        for meeting in missed.into_values() {
            let notice = render::missed_notice(network.config.language, meeting);
            self.to_organizers(
                &targets,
                &format!("missed/{}", meeting.key),
                meeting,
                notice,
            )
            .await;
        }
        self.apply_changes(&network, &targets, now).await;
        self.publish_minutes(&network, &targets).await;
        self.draft_file_minutes(&network, &targets, now).await;
        self.remind_actions(&network, &targets, now).await;
        plan.next_due
    }

    async fn handle(&mut self, request: Request) {
        let network = Arc::clone(&self.network.borrow());
        let targets = self.targets(&network).await;
        match request {
            Request::Announce(meeting_key) => {
                let Some(meeting) = network.schedule.find(&meeting_key) else {
                    return;
                };
                let offsets = &network.config.meetings.reminders;
                if let Some(post) = posting::posts_of(&meeting, offsets).into_iter().next() {
                    self.send_post(&network, &post, false, &targets).await;
                }
            }
            // Published in the round that follows every request.
            Request::PublishMinutes => {}
            Request::ReloadFailed(errors) => {
                // Once per failed change (the watcher reports each change once).
                let key = format!(
                    "reload-error/{}/{}",
                    stable_hash(&[&errors]),
                    self.clock.now().timestamp_millis()
                );
                let notice = render::reload_errors(network.config.language, &errors);
                self.to_organizers(&targets, &key, &self.no_meeting(&network), notice)
                    .await;
            }
            Request::Notify { key, notice } => {
                self.to_organizers(&targets, &key, &self.no_meeting(&network), notice)
                    .await;
            }
        }
    }

    /// What a notice that is about no meeting is recorded under.
    fn no_meeting(&self, network: &Network) -> Meeting {
        let now = self.clock.now().with_timezone(&network.config.timezone);
        Meeting::remembered(String::new(), String::new(), now, Status::Scheduled)
    }

    /// The organizers' room first, then the member rooms, with aliases resolved.
    async fn targets(&mut self, network: &Network) -> Vec<Target> {
        let config = &network.config;
        let organizers = match config.language {
            crate::i18n::Language::German => "Organisationsraum",
            crate::i18n::Language::English => "organizers' room",
        };
        let rooms = std::iter::once((organizers.to_owned(), &config.network.organizers_room))
            .chain(
                config
                    .network
                    .members
                    .iter()
                    .map(|m| (m.name.clone(), &m.room)),
            );
        let mut targets = Vec::new();
        for (name, room) in rooms {
            let room_id = self.resolve(room).await;
            targets.push(Target { name, room_id });
        }
        targets
    }

    async fn resolve(&mut self, room: &OwnedRoomOrAliasId) -> Result<OwnedRoomId, String> {
        if let Ok(room_id) = OwnedRoomId::try_from(room.clone()) {
            return Ok(room_id);
        }
        if let Some(room_id) = self.aliases.get(room) {
            return Ok(room_id.clone());
        }
        let Ok(alias) = matrix_sdk::ruma::OwnedRoomAliasId::try_from(room.clone()) else {
            return Err("invalid room".to_owned());
        };
        match self.client.resolve_room_alias(&alias).await {
            Ok(response) => {
                self.aliases.insert(room.clone(), response.room_id.clone());
                Ok(response.room_id)
            }
            Err(error) => Err(format!("alias not found: {error}")),
        }
    }

    /// Sends a post to every room and reports the result to the organizers once.
    async fn send_post(&self, network: &Network, post: &Post, late: bool, targets: &[Target]) {
        let language = network.config.language;
        let agenda = network.agenda(&post.meeting);
        let name = &network.config.network.name;
        let accepted = self.accepted(&post.meeting);
        let open_actions = super::commands::open_actions(&self.store, &post.meeting);
        let rendered = render::post(
            language,
            name,
            &post.meeting,
            agenda,
            render::Additions {
                accepted: &accepted,
                open_actions: &open_actions,
            },
            post.kind,
            late,
        );
        let state = state_hash(network, &post.meeting, &accepted, post.kind);
        let prepared = PreparedPost {
            key: post.key.clone(),
            meeting_key: post.meeting.key.clone(),
            meeting_title: post.meeting.title.clone(),
            meeting_start: post.meeting.start.with_timezone(&Utc),
            payload: Payload::notice(rendered),
            state_hash: state,
            pin: post.kind == PostKind::Announcement,
        };
        info!(post = %post.key, late, rooms = targets.len(), "fanning out");
        let report =
            outbox::fan_out(&self.client, &self.store, &self.clock, &prepared, targets).await;
        info!(post = %post.key, delivered = report.delivered, failed = report.failed.len(), "fan-out done");
        if post.kind == PostKind::Announcement {
            self.send_invitation(
                network,
                &post.meeting,
                &format!("invitation/{}", post.meeting.key),
                targets,
            )
            .await;
        }
        let summary = render::delivery_summary(language, &post.meeting, post.kind, &report);
        self.to_organizers(
            targets,
            &format!("summary/{}", post.key),
            &post.meeting,
            summary,
        )
        .await;
    }

    /// Posts a notice to the organizers' room, exactly once per key.
    pub(super) async fn to_organizers(
        &self,
        targets: &[Target],
        key: &str,
        meeting: &Meeting,
        notice: Rendered,
    ) {
        let Some(organizers) = targets.first() else {
            return;
        };
        let prepared = PreparedPost::notice(key.to_owned(), meeting, Payload::notice(notice));
        let report = outbox::fan_out(
            &self.client,
            &self.store,
            &self.clock,
            &prepared,
            std::slice::from_ref(organizers),
        )
        .await;
        if !report.failed.is_empty() {
            warn!(key, failed = ?report.failed, "could not notify the organizers");
        }
    }

    /// Edits every delivered post whose meeting changed since, and posts a short notice in
    /// each room where something was edited.
    async fn apply_changes(&self, network: &Network, targets: &[Target], now: DateTime<Utc>) {
        let deliveries = match self.store.sent_since(now - TimeDelta::days(1)) {
            Ok(deliveries) => deliveries,
            Err(error) => {
                warn!(%error, "cannot read deliveries");
                return;
            }
        };
        let language = network.config.language;
        let name = &network.config.network.name;
        // Notices to send after the edits: (meeting key, state) → (meeting, rooms).
        let mut notices: BTreeMap<(String, String), (Meeting, Vec<Target>)> = BTreeMap::new();
        for delivery in deliveries {
            let Some(kind) = post_kind(&delivery.post_key) else {
                continue;
            };
            let meeting = network
                .schedule
                .find(&delivery.meeting_key)
                .unwrap_or_else(|| vanished(network, &delivery));
            let accepted = self.accepted(&meeting);
            let state = state_hash(network, &meeting, &accepted, kind);
            if state == delivery.content_hash {
                continue;
            }
            let agenda = network.agenda(&meeting);
            let open_actions = super::commands::open_actions(&self.store, &meeting);
            let additions = render::Additions {
                accepted: &accepted,
                open_actions: &open_actions,
            };
            let rendered = render::post(language, name, &meeting, agenda, additions, kind, false);
            let content =
                RoomMessageEventContentWithoutRelation::notice_html(rendered.plain, rendered.html);
            match outbox::edit(&self.client, &self.store, &delivery, content, &state).await {
                Ok(()) => {
                    info!(post = %delivery.post_key, room_id = %delivery.room_id, "edited after a change");
                    let target = targets
                        .iter()
                        .find(|t| {
                            t.room_id
                                .as_ref()
                                .is_ok_and(|id| id.as_str() == delivery.room_id)
                        })
                        .cloned();
                    let entry = notices
                        .entry((meeting.key.clone(), state.clone()))
                        .or_insert_with(|| (meeting.clone(), Vec::new()));
                    if let Some(target) = target
                        && !entry.1.iter().any(|t| t.room_id == target.room_id)
                    {
                        entry.1.push(target);
                    }
                }
                Err(error) => {
                    warn!(post = %delivery.post_key, room_id = %delivery.room_id, %error, "could not edit");
                }
            }
        }
        for ((meeting_key, state), (meeting, rooms)) in notices {
            let agenda = network.agenda(&meeting);
            let notice = render::change_notice(language, &meeting, agenda);
            let prepared = PreparedPost::notice(
                format!("change-{state}/{meeting_key}"),
                &meeting,
                Payload::notice(notice),
            );
            outbox::fan_out(&self.client, &self.store, &self.clock, &prepared, &rooms).await;
            // The updated invitation (same UID, higher SEQUENCE) updates imported calendars.
            if meeting.takes_place() {
                self.send_invitation(
                    network,
                    &meeting,
                    &format!("invitation-{state}/{meeting_key}"),
                    &rooms,
                )
                .await;
            }
        }
    }
}

impl Scheduler {
    /// The members' proposals accepted for a meeting (none if the database cannot say).
    fn accepted(&self, meeting: &Meeting) -> Vec<crate::store::Proposal> {
        self.store
            .accepted_for(&meeting.key)
            .unwrap_or_else(|error| {
                warn!(%error, "cannot read accepted proposals");
                Vec::new()
            })
    }

    /// Posts the meeting's .ics (its series, or the workshop) as a file in every target room.
    async fn send_invitation(
        &self,
        network: &Network,
        meeting: &Meeting,
        key: &str,
        targets: &[Target],
    ) {
        let Some(attachment) = invitation(network, &self.store, meeting, self.clock.now()) else {
            return;
        };
        let prepared = PreparedPost::notice(key.to_owned(), meeting, Payload::File(attachment));
        let report =
            outbox::fan_out(&self.client, &self.store, &self.clock, &prepared, targets).await;
        if !report.failed.is_empty() {
            warn!(key, failed = ?report.failed, "could not post the invitation everywhere");
        }
    }
}

/// The .ics invitation for a meeting: its series' calendar entry, or the workshop's.
pub fn invitation(
    network: &Network,
    store: &Store,
    meeting: &Meeting,
    now: DateTime<Utc>,
) -> Option<outbox::Attachment> {
    let id = meeting
        .series
        .clone()
        .unwrap_or_else(|| meeting.key.clone());
    let calendar = crate::feed::calendar(network, store, now, crate::ical::Selection::Entry(&id))
        .map_err(|error| warn!(%error, "cannot render an invitation"))
        .ok()?;
    Some(outbox::Attachment {
        filename: format!("{id}.ics"),
        mime: "text/calendar; charset=utf-8".parse().ok()?,
        data: calendar.text.into_bytes(),
    })
}

/// The kind of a post from its key; `None` for notices and summaries, which are never edited.
fn post_kind(post_key: &str) -> Option<PostKind> {
    let (prefix, _) = post_key.split_once('/')?;
    if prefix == "announcement" {
        return Some(PostKind::Announcement);
    }
    let offset = prefix.strip_prefix("reminder-")?;
    crate::duration::parse(offset).ok().map(PostKind::Reminder)
}

/// A hash of what a post shows about its meeting; when it changes, the post is edited.
///
/// Open action items are left out: an item closed during the week does not warrant an edit and
/// a change notice in every room (the next post, and `!agenda`, show the current list).
fn state_hash(
    network: &Network,
    meeting: &Meeting,
    accepted: &[crate::store::Proposal],
    kind: PostKind,
) -> String {
    let rendered = render::post(
        network.config.language,
        &network.config.network.name,
        meeting,
        network.agenda(meeting),
        render::Additions {
            accepted,
            open_actions: &[],
        },
        kind,
        false,
    );
    stable_hash(&[&rendered.plain, &rendered.html])
}

/// A meeting that was announced but is no longer in the files: shown as cancelled.
fn vanished(network: &Network, delivery: &Delivery) -> Meeting {
    Meeting::remembered(
        delivery.meeting_key.clone(),
        delivery.meeting_title.clone(),
        delivery
            .meeting_start
            .with_timezone(&network.config.timezone),
        Status::Cancelled,
    )
}
