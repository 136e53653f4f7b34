//! The posting job: announcements and reminders in every room, exactly once, and edits when a
//! meeting changes.
//!
//! Each round it asks [`posting::plan`] which announcements and reminders are due (a pure
//! decision over the schedule and the posts recorded so far), records them as posts, records a
//! change post for every meeting whose delivered messages no longer show what the files say,
//! records minutes to publish and notices to give, and then works on every open post through
//! [`super::posts`] — which sends each missing part in each room exactly once. Then it sleeps
//! until the next post or retry is due, a file changes, or a request (`!announce`) comes in.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use matrix_sdk::Client;
use matrix_sdk::ruma::{OwnedRoomId, OwnedRoomOrAliasId};
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

use super::outbox::{self, Target, stable_hash};
use super::posts::{ChangeDetail, kind_name, shown_hash};
use crate::change::Shown;
use crate::clock::Clock;
use crate::delivery::Failure;
use crate::network::Network;
use crate::posting::{self, History, Post, PostKind, Started};
use crate::render::{self, Rendered};
use crate::schedule::{Meeting, Status};
use crate::store::Store;

/// The longest the job sleeps, so alias changes and retries are picked up.
const MAX_SLEEP: Duration = Duration::from_secs(30);

/// The detail of an announcement an organizer asked for with `!announce`: it is sent until the
/// meeting ends, not only until it starts.
pub(super) const REQUESTED: &str = "requested";

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
    /// Where a decided poll's workshop is published into the network (the reload task
    /// publishes there, too).
    pub publish: watch::Sender<Arc<Network>>,
    /// Requests from handlers and the file watcher.
    pub requests: mpsc::UnboundedReceiver<Request>,
    /// Resolved room aliases.
    pub aliases: HashMap<OwnedRoomOrAliasId, OwnedRoomId>,
    /// Deliveries and fan-outs are counted here.
    pub metrics: Arc<crate::metrics::Metrics>,
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

impl Scheduler {
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
        let polls_due = self.run_polls(&network, &targets, now);
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
            self.to_organizers(&format!("missed/{}", meeting.key), meeting, notice);
        }
        self.detect_changes(&network, now);
        self.publish_minutes(&network);
        self.draft_file_minutes(&network, now);
        self.remind_actions(&network, &targets, now);
        let retry = self.run_posts(&network, &targets).await;
        [plan.next_due, retry, polls_due]
            .into_iter()
            .flatten()
            .min()
    }

    /// Records an announcement or reminder as a post (unless it is recorded already).
    fn start_meeting_post(&self, post: &Post, late: bool) {
        self.start_post(
            &post.key,
            kind_name(post.kind),
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
                    self.start_post(
                        &post.key,
                        kind_name(post.kind),
                        &post.meeting,
                        false,
                        REQUESTED.to_owned(),
                    );
                }
            }
            // Published in the round that follows every request.
            Request::PublishMinutes => {}
            Request::PollDecided => {
                let decided = super::polls::decisions(&self.store, network.config.timezone);
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
                self.to_organizers(&key, &self.no_meeting(&network), notice);
            }
            Request::Notify { key, notice } => {
                self.to_organizers(&key, &self.no_meeting(&network), notice);
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
        let rooms = std::iter::once((organizers.to_owned(), &config.roster.organizers_room)).chain(
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

    /// Records a notice for the organizers' room, given once per key.
    pub(super) fn to_organizers(&self, key: &str, meeting: &Meeting, notice: Rendered) {
        self.start_notice(key, meeting, None, notice);
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
            if post_kind(&delivery.post_key).is_none() {
                continue;
            }
            let (meeting, shown) = current
                .entry(delivery.meeting_key.clone())
                .or_insert_with(|| {
                    let meeting = network
                        .schedule
                        .find(&delivery.meeting_key)
                        .unwrap_or_else(|| vanished(network, &delivery));
                    let accepted = self.accepted(&meeting);
                    let shown = self.shown(network, &meeting, &accepted);
                    (meeting, shown)
                })
                .clone();
            let before: Option<Shown> = match delivery.shown.as_deref() {
                Some(json) => match serde_json::from_str::<Shown>(json) {
                    Ok(before) if before == shown => continue,
                    Ok(before) => Some(before),
                    Err(_) => None,
                },
                // Delivered before messages remembered what they show: unchanged if the
                // rendered text is the same.
                None => {
                    let kind = post_kind(&delivery.post_key);
                    let hash = kind.map(|kind| {
                        let accepted = self.accepted(&meeting);
                        state_hash(network, &meeting, &accepted, kind)
                    });
                    if hash.as_deref() == Some(delivery.content_hash.as_str()) {
                        let json = serde_json::to_string(&shown).unwrap_or_default();
                        let _ = self.store.edited(
                            &delivery.post_key,
                            &delivery.room_id,
                            &delivery.content_hash,
                            &json,
                        );
                        continue;
                    }
                    None
                }
            };
            changed
                .entry(delivery.meeting_key.clone())
                .or_insert_with(|| (meeting, shown, before));
        }
        for (meeting_key, (meeting, shown, before)) in changed {
            let state = shown_hash(&shown);
            let detail = ChangeDetail {
                state: state.clone(),
                old: before,
                new: shown,
            };
            let Ok(detail) = serde_json::to_string(&detail) else {
                continue;
            };
            self.start_post(
                &format!("change/{state}/{meeting_key}"),
                "change",
                &meeting,
                false,
                detail,
            );
        }
    }
}

impl Scheduler {
    /// The members' proposals accepted for a meeting (none if the database cannot say).
    pub(super) fn accepted(&self, meeting: &Meeting) -> Vec<crate::store::Proposal> {
        self.store
            .accepted_for(&meeting.key)
            .unwrap_or_else(|error| {
                warn!(%error, "cannot read accepted proposals");
                Vec::new()
            })
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
    // Invitations go to the network's members only, so they carry the video links.
    let calendar = crate::feed::calendar(
        network,
        store,
        now,
        crate::ical::Selection::Entry(&id),
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

/// The kind of a post from its key; `None` for notices and summaries, which are never edited.
pub(super) fn post_kind(post_key: &str) -> Option<PostKind> {
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
pub(super) fn state_hash(
    network: &Network,
    meeting: &Meeting,
    accepted: &[crate::store::Proposal],
    kind: PostKind,
) -> String {
    let rendered = render::post(
        network.config.language,
        &network.roster().name,
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
