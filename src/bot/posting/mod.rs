//! The posting side of the bot: the posting job, which puts announcements, reminders, changes,
//! polls, minutes and reports into every room, exactly once.
//!
//! Each round it asks [`posting::plan`] which announcements and reminders are due (a pure
//! decision over the schedule and the posts recorded so far), records them as posts, records a
//! change post for every meeting whose delivered messages no longer show what the files say,
//! records minutes to publish and notices to give ([`follow_up`]), polls to open, remind and end
//! ([`polls`]), and then works on every open post through the [`fan_out`] — which sends each
//! missing part in each room exactly once ([`worker`]). Then it sleeps until the next post or
//! retry is due, a file changes, or a [`Request`] comes in: the chat side's only way to ask for
//! work.
//!
//! Every post is recorded ([`record`]) before any of it is sent.

mod fan_out;
mod follow_up;
mod plan;
mod polls;
mod record;
mod worker;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use matrix_sdk::Client;
use matrix_sdk::ruma::{OwnedRoomId, OwnedRoomOrAliasId};
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

use super::outbox::{self, Target, stable_hash};
use super::records;
use crate::change::Shown;
use crate::clock::Clock;
use crate::delivery::Failure;
use crate::network::Network;
use crate::posting::{self, History, Post, PostKind, Started};
use crate::render::{self, Rendered};
use crate::schedule::{Meeting, Status};
use crate::store::Store;
use fan_out::FanOut;
use plan::{shown, state_hash};
use record::{ChangeDetail, Recorder};

/// The longest the job sleeps, so alias changes and retries are picked up.
const MAX_SLEEP: Duration = Duration::from_secs(30);

/// The detail of an announcement an organizer asked for with `!announce`: it is sent until the
/// meeting ends, not only until it starts.
const REQUESTED: &str = "requested";

/// What other parts of the bot ask of the posting job.
#[derive(Debug)]
pub enum Request {
    /// Post the announcement of this meeting now (`!announce`).
    Announce(String),
    /// A changed file did not load; tell the organizers, in the network's language.
    ReloadFailed(crate::diagnostic::Diagnostics),
    /// Minutes were approved: publish them now, not at the next wake-up (the round after every
    /// request publishes all approved minutes not yet in every room).
    PublishMinutes,
    /// The homeserver answers again after failed syncs: deliveries that failed because it was
    /// unreachable are due now, not after their back-off.
    HomeserverBack,
    /// An organizer decided a date poll: the workshop becomes a meeting, and the poll ends.
    PollDecided,
    /// Tell the organizers' room this, once per key.
    Notify {
        /// What makes it once.
        key: String,
        /// The text.
        notice: Rendered,
    },
}

/// The posting job.
#[derive(Debug)]
pub struct PostingJob {
    /// The logged-in client.
    client: Client,
    /// The delivery records.
    store: Arc<Store>,
    /// The time.
    clock: Arc<dyn Clock>,
    /// The current network files.
    network: watch::Receiver<Arc<Network>>,
    /// Where a decided poll's workshop is published into the network (the reload task
    /// publishes there, too).
    publish: watch::Sender<Arc<Network>>,
    /// Requests from handlers and the file watcher.
    requests: mpsc::UnboundedReceiver<Request>,
    /// Resolved room aliases.
    aliases: HashMap<OwnedRoomOrAliasId, OwnedRoomId>,
    /// Records posts before they are sent.
    recorder: Recorder,
    /// Sends the recorded posts.
    fan_out: FanOut,
}

/// The recorded posts, as the planner sees them.
struct Records<'a> {
    store: &'a Store,
}

impl History for Records<'_> {
    fn first_seen(&self, meeting_key: &str) -> Option<DateTime<Utc>> {
        self.store.seen_at(meeting_key).ok().flatten()
    }

    fn started(&self, post_key: &str) -> Option<Started> {
        let post = self.store.post(post_key).ok()??;
        Some(Started {
            at: post.created_at,
        })
    }
}

impl PostingJob {
    /// The job for `client`, planning from `network`, answering `requests`, publishing decided
    /// polls to `publish`.
    pub fn new(
        client: Client,
        store: Arc<Store>,
        clock: Arc<dyn Clock>,
        network: watch::Receiver<Arc<Network>>,
        publish: watch::Sender<Arc<Network>>,
        requests: mpsc::UnboundedReceiver<Request>,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> Self {
        let recorder = Recorder {
            store: Arc::clone(&store),
            clock: Arc::clone(&clock),
        };
        let fan_out = FanOut {
            client: client.clone(),
            store: Arc::clone(&store),
            clock: Arc::clone(&clock),
            metrics,
            recorder: recorder.clone(),
        };
        Self {
            client,
            store,
            clock,
            network,
            publish,
            requests,
            aliases: HashMap::new(),
            recorder,
            fan_out,
        }
    }

    /// Runs rounds until `stop` turns true.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        loop {
            let next_due = self.round().await;
            let now = self.clock.now();
            let sleep = next_due
                .and_then(|due| due.signed_duration_since(now).to_std().ok())
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

    /// One planning round; returns when the next post or retry is due.
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
        // Before the meetings' posts: a poll decided now ends before its workshop is announced.
        let polls_due = polls::run(&self.recorder, &network, &targets, now);
        let plan = posting::plan(&meetings, offsets, now, &Records { store: &self.store });
        for due in &plan.send {
            self.start_meeting_post(&due.post, due.late);
        }
        let mut missed: BTreeMap<&str, &Meeting> = BTreeMap::new();
        for post in &plan.missed {
            missed.insert(&post.meeting.key, &post.meeting);
        }
        for meeting in missed.into_values() {
            let notice = render::missed_notice(network.config.language, meeting);
            self.recorder
                .to_organizers(&format!("missed/{}", meeting.key), meeting, notice);
        }
        self.detect_changes(&network, now);
        follow_up::publish_minutes(&self.recorder, &network);
        follow_up::draft_file_minutes(&self.recorder, &network, now);
        follow_up::remind_actions(&self.recorder, &network, &targets, now);
        let retry = self.fan_out.run_posts(&network, &targets).await;
        [plan.next_due, retry, polls_due]
            .into_iter()
            .flatten()
            .min()
    }

    /// Records an announcement or reminder as a post (unless it is recorded already).
    fn start_meeting_post(&self, post: &Post, late: bool) {
        self.recorder.start_post(
            &post.key,
            post.kind.stored_name(),
            &post.meeting,
            late,
            String::new(),
        );
    }

    async fn handle(&mut self, request: Request) {
        let network = Arc::clone(&self.network.borrow());
        match request {
            Request::HomeserverBack => {
                // The round after every request runs what is due.
                match self.store.retry_unreachable_now(self.clock.now()) {
                    Ok(0) => {}
                    Ok(due) => info!(due, "the homeserver answers again; retrying now"),
                    Err(error) => warn!(%error, "cannot make the failed deliveries due"),
                }
            }
            Request::Announce(meeting_key) => {
                let Some(meeting) = network.schedule.find(&meeting_key) else {
                    return;
                };
                let offsets = &network.config.meetings.reminders;
                // Asked for by an organizer: worth sending until the meeting ends.
                if let Some(post) = posting::posts_of(&meeting, offsets).into_iter().next() {
                    self.recorder.start_post(
                        &post.key,
                        post.kind.stored_name(),
                        &post.meeting,
                        false,
                        REQUESTED.to_owned(),
                    );
                }
            }
            // Published in the round that follows every request.
            Request::PublishMinutes => {}
            Request::PollDecided => {
                let decided = records::decisions(&self.store, network.config.timezone);
                self.publish.send_modify(|network| {
                    *network = Arc::new(Network::clone(network).with_decisions(&decided));
                });
            }
            Request::ReloadFailed(errors) => {
                // Once per failed change (the watcher reports each change once).
                let key = format!(
                    "reload-error/{}/{}",
                    stable_hash(&[&errors.to_string()]),
                    self.clock.now().timestamp_millis()
                );
                let notice = render::reload_errors(network.config.language, &errors);
                self.recorder
                    .to_organizers(&key, &self.no_meeting(&network), notice);
            }
            Request::Notify { key, notice } => {
                self.recorder
                    .to_organizers(&key, &self.no_meeting(&network), notice);
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
        let organizers = crate::text!(de: "Organisationsraum", en: "organizers' room");
        let rooms = std::iter::once((
            organizers.take(config.language),
            &config.roster.organizers_room,
        ))
        .chain(
            config
                .roster
                .members
                .iter()
                .map(|m| (m.name.clone(), &m.room)),
        );
        let mut targets = Vec::new();
        for (name, room) in rooms {
            let room_id = self.resolve(room).await;
            let key = match &room_id {
                Ok(room_id) => room_id.to_string(),
                Err(_) => room.to_string(),
            };
            targets.push(Target { name, key, room_id });
        }
        targets
    }

    async fn resolve(&mut self, room: &OwnedRoomOrAliasId) -> Result<OwnedRoomId, Failure> {
        if let Ok(room_id) = OwnedRoomId::try_from(room.clone()) {
            return Ok(room_id);
        }
        if let Some(room_id) = self.aliases.get(room) {
            return Ok(room_id.clone());
        }
        let Ok(alias) = matrix_sdk::ruma::OwnedRoomAliasId::try_from(room.clone()) else {
            return Err(Failure::AliasNotFound);
        };
        match self.client.resolve_room_alias(&alias).await {
            Ok(response) => {
                // For the organizers' page, which names rooms by their configured alias.
                if let Err(error) = self.store.remember_alias(
                    room.as_str(),
                    response.room_id.as_str(),
                    self.clock.now(),
                ) {
                    warn!(%error, "cannot record what an alias resolved to");
                }
                self.aliases.insert(room.clone(), response.room_id.clone());
                Ok(response.room_id)
            }
            Err(error) => {
                warn!(%alias, %error, "cannot resolve a room alias");
                Err(match outbox::classify(&matrix_sdk::Error::from(error)) {
                    Failure::Unreachable => Failure::Unreachable,
                    _ => Failure::AliasNotFound,
                })
            }
        }
    }

    /// Records a change post for every meeting whose delivered announcements or reminders no
    /// longer show what the files (and the accepted proposals) say.
    fn detect_changes(&self, network: &Network, now: DateTime<Utc>) {
        let deliveries = match self
            .store
            .messages_since(crate::schedule::earlier(now, TimeDelta::days(1)))
        {
            Ok(deliveries) => deliveries,
            Err(error) => {
                warn!(%error, "cannot read deliveries");
                return;
            }
        };
        // Per meeting: what it shows now, and what its messages showed (the first one that
        // differs is the "before" of the notice).
        let mut changed: BTreeMap<String, (Meeting, Shown, Option<Shown>)> = BTreeMap::new();
        let mut current: BTreeMap<String, (Meeting, Shown)> = BTreeMap::new();
        for delivery in deliveries {
            if PostKind::of_key(&delivery.post_key).is_none() {
                continue;
            }
            let (meeting, shown) = current
                .entry(delivery.meeting_key.clone())
                .or_insert_with(|| {
                    let meeting = network
                        .schedule
                        .find(&delivery.meeting_key)
                        .unwrap_or_else(|| vanished(network, &delivery));
                    let accepted = records::accepted(&self.store, &meeting);
                    let shown = shown(network, &meeting, &accepted);
                    (meeting, shown)
                })
                .clone();
            if let Some(before) = self.shown_before(network, &delivery, &meeting, &shown) {
                changed
                    .entry(delivery.meeting_key.clone())
                    .or_insert_with(|| (meeting, shown, before));
            }
        }
        for (meeting_key, (meeting, shown, before)) in changed {
            let state = shown.state_hash();
            let detail = ChangeDetail {
                state: state.clone(),
                old: before,
                new: shown,
            };
            let Ok(detail) = serde_json::to_string(&detail) else {
                continue;
            };
            self.recorder.start_post(
                &format!("change/{state}/{meeting_key}"),
                "change",
                &meeting,
                false,
                detail,
            );
        }
    }

    /// What a delivered message showed, if it is not `shown`: `Some(None)` when that cannot be
    /// told (the change then says only that details changed), `None` when it is unchanged.
    fn shown_before(
        &self,
        network: &Network,
        delivery: &crate::store::Delivery,
        meeting: &Meeting,
        shown: &Shown,
    ) -> Option<Option<Shown>> {
        let Some(json) = delivery.shown.as_deref() else {
            // Delivered before messages remembered what they show: unchanged if the rendered
            // text is the same.
            let kind = PostKind::of_key(&delivery.post_key);
            let hash = kind.map(|kind| {
                let accepted = records::accepted(&self.store, meeting);
                state_hash(network, meeting, &accepted, kind)
            });
            if hash.as_deref() == Some(delivery.content_hash.as_str()) {
                let json = serde_json::to_string(shown).unwrap_or_default();
                let _ = self.store.edited(
                    &delivery.post_key,
                    &delivery.room_id,
                    &delivery.content_hash,
                    &json,
                );
                return None;
            }
            return Some(None);
        };
        match serde_json::from_str::<Shown>(json) {
            Ok(before) if before == *shown => None,
            Ok(before) => Some(Some(before)),
            Err(_) => Some(None),
        }
    }
}

/// A meeting that was announced but is no longer in the files: shown as cancelled.
fn vanished(network: &Network, delivery: &crate::store::Delivery) -> Meeting {
    Meeting::remembered(
        delivery.meeting_key.clone(),
        delivery.meeting_title.clone(),
        delivery
            .meeting_start
            .with_timezone(&network.config.timezone),
        Status::Cancelled,
    )
}
