//! The chat handlers' decisions, without a homeserver: the example network
//! (`config/convene.example.yaml` with its agendas), a database in memory, a fixed clock and
//! rooms of plain values. Each test says a command in a room and checks the answer, what was
//! stored, and what was asked of the posting job.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use matrix_sdk::ruma::events::room::message::OriginalSyncRoomMessageEvent;
use matrix_sdk::ruma::{
    EventId, OwnedEventId, OwnedRoomId, OwnedRoomOrAliasId, OwnedUserId, RoomId, RoomOrAliasId,
    UserId, owned_room_id, owned_user_id,
};
use tokio::sync::{mpsc, watch};

use super::room::Lookup;
use super::{ChatRoom, Context, Invocation, Outcome, Reply, carry_out, decide_reply};
use crate::clock::FixedClock;
use crate::config::Roster;
use crate::metrics::Metrics;
use crate::network::Network;
use crate::proposal::ProposalStatus;
use crate::store::Store;

use super::super::outbox::{Action, Outgoing, Payload};
use super::super::posting::Request;

const ORGANIZER: &str = "@dirk.andres:kaiserslautern.de";
const MEMBER: &str = "@anna:kaiserslautern.de";

/// A room of plain values: its id, its aliases, its members' display names, and which member
/// rooms each person is in.
#[derive(Debug)]
struct Room {
    id: OwnedRoomId,
    aliases: Vec<OwnedRoomOrAliasId>,
    names: BTreeMap<OwnedUserId, String>,
    joined: BTreeMap<OwnedUserId, Vec<String>>,
}

impl Room {
    fn new(id: OwnedRoomId, alias: Option<&str>) -> Self {
        Self {
            id,
            aliases: alias
                .map(|a| OwnedRoomOrAliasId::try_from(a).unwrap())
                .into_iter()
                .collect(),
            names: BTreeMap::new(),
            joined: BTreeMap::new(),
        }
    }

    /// The organizers' room of the example network.
    fn organizers() -> Self {
        Self::new(
            owned_room_id!("!orga:kaiserslautern.de"),
            Some("#ikone-orga:kaiserslautern.de"),
        )
    }

    /// Kaiserslautern's room.
    fn kaiserslautern() -> Self {
        Self::new(
            owned_room_id!("!kl:kaiserslautern.de"),
            Some("#ikone-kaiserslautern:kaiserslautern.de"),
        )
    }

    /// A room the network does not know.
    fn elsewhere() -> Self {
        Self::new(owned_room_id!("!other:example.org"), None)
    }
}

impl ChatRoom for Room {
    fn room_id(&self) -> &RoomId {
        &self.id
    }

    fn is(&self, configured: &RoomOrAliasId) -> bool {
        configured.as_str() == self.id.as_str()
            || self
                .aliases
                .iter()
                .any(|a| a.as_str() == configured.as_str())
    }

    fn shown<'a>(&'a self, user: &'a UserId) -> Lookup<'a, String> {
        let shown = self
            .names
            .get(user)
            .cloned()
            .unwrap_or_else(|| user.to_string());
        Box::pin(async move { shown })
    }

    fn municipalities_of<'a>(
        &'a self,
        user: &'a UserId,
        _roster: &'a Roster,
    ) -> Lookup<'a, Vec<String>> {
        let found = self.joined.get(user).cloned().unwrap_or_default();
        Box::pin(async move { found })
    }
}

/// The example network at `now`, its database, and the posting job's end of the request
/// channel.
struct Bench {
    context: Context,
    network: Arc<Network>,
    requests: mpsc::UnboundedReceiver<Request>,
    _outbox: mpsc::UnboundedReceiver<Action>,
    now: DateTime<Utc>,
}

impl Bench {
    fn at(now: &str) -> Self {
        let now: DateTime<Utc> = now.parse().unwrap();
        let network = Arc::new(Network::load(Path::new("config/convene.example.yaml")).unwrap());
        let (requests_tx, requests) = mpsc::unbounded_channel();
        let (outbox_tx, outbox) = mpsc::unbounded_channel();
        let (_, network_rx) = watch::channel(Arc::clone(&network));
        let context = Context {
            network: network_rx,
            store: Arc::new(Store::in_memory().unwrap()),
            requests: requests_tx,
            clock: Arc::new(FixedClock(now)),
            own_user_id: owned_user_id!("@convene:kaiserslautern.de"),
            started_at: now - chrono::TimeDelta::hours(1),
            away_since: Some(now - chrono::TimeDelta::hours(2)),
            history_before: now - chrono::TimeDelta::days(30),
            outbox: outbox_tx,
            metrics: Arc::new(Metrics::new()),
        };
        Self {
            context,
            network,
            requests,
            _outbox: outbox,
            now,
        }
    }

    /// What `sender` saying `body` (one command) in `room` comes to.
    async fn say(&self, room: &Room, sender: &str, body: &str) -> Outcome {
        let sender = UserId::parse(sender).unwrap();
        let event_id: OwnedEventId = EventId::parse(format!("$e{}:test", body.len())).unwrap();
        let invocation = Invocation {
            context: &self.context,
            network: &self.network,
            room,
            sender: &sender,
            event_id: &event_id,
            position: 0,
            sent: self.now,
            now: self.now,
            received: self.now,
        };
        let parsed = crate::command::parse(body).expect("a command");
        carry_out(&invocation, parsed).await
    }

    /// The answer's plain text.
    async fn text(&self, room: &Room, sender: &str, body: &str) -> String {
        plain(&self.say(room, sender, body).await)
    }

    /// What the bot does with a member's message `body` in Kaiserslautern's room, sent `ago`
    /// before now.
    async fn receive(&self, id: &str, body: &str, ago: chrono::TimeDelta) -> Vec<Action> {
        let event = message(id, MEMBER, body, (self.now - ago).timestamp_millis());
        decide_reply(&self.context, &Room::kaiserslautern(), &event, self.now).await
    }

    fn store(&self) -> &Store {
        &self.context.store
    }
}

/// An outcome's answer as plain text.
fn plain(outcome: &Outcome) -> String {
    match &outcome.answer {
        Reply::Text(rendered) => rendered.plain.clone(),
        Reply::File(file) => panic!("a file, {}, not a text", file.filename),
    }
}

// --- info ---

#[tokio::test]
async fn help_lists_a_members_commands_to_members_and_everything_to_organizers() {
    let bench = Bench::at("2026-12-10T09:00:00Z");
    let member = bench.text(&Room::kaiserslautern(), MEMBER, "!help").await;
    let organizer = bench.text(&Room::organizers(), ORGANIZER, "!help").await;
    assert!(member.contains("!agenda add"), "{member}");
    assert!(!member.contains("!poll decide"), "{member}");
    assert!(organizer.contains("!poll decide"), "{organizer}");
}

#[tokio::test]
async fn ping_says_how_long_the_message_took() {
    let bench = Bench::at("2026-12-10T09:00:00Z");
    let text = bench.text(&Room::kaiserslautern(), MEMBER, "!ping").await;
    assert!(text.starts_with("Pong"), "{text}");
}

// --- agenda ---

#[tokio::test]
async fn a_proposal_from_a_member_room_is_stored_for_the_next_meeting_with_its_municipality() {
    let bench = Bench::at("2026-12-10T09:00:00Z");
    let text = bench
        .text(
            &Room::kaiserslautern(),
            MEMBER,
            "!agenda add Open Data im Kreis",
        )
        .await;
    assert!(text.contains("Open Data im Kreis"), "{text}");
    let open = bench.store().open_proposals().unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].municipality, "Kaiserslautern");
    // 17 December is cancelled (Weihnachtspause); 21 January is moved to the 28th.
    assert_eq!(open[0].meeting_key, "videokonferenz/2027-01-21");
    assert_eq!(open[0].sender, MEMBER);
}

#[tokio::test]
async fn a_proposal_from_a_room_outside_the_network_is_refused_and_not_stored() {
    let bench = Bench::at("2026-12-10T09:00:00Z");
    let text = bench
        .text(&Room::elsewhere(), MEMBER, "!agenda add Open Data")
        .await;
    assert!(!text.is_empty());
    assert!(bench.store().open_proposals().unwrap().is_empty());
}

#[tokio::test]
async fn only_organizers_accept_and_the_proposer_s_room_is_told() {
    let bench = Bench::at("2026-12-10T09:00:00Z");
    bench
        .say(&Room::kaiserslautern(), MEMBER, "!agenda add Open Data")
        .await;
    let refused = bench
        .say(&Room::kaiserslautern(), MEMBER, "!agenda accept 1")
        .await;
    assert!(refused.also.is_empty());
    assert_eq!(
        bench.store().proposal(1).unwrap().unwrap().status,
        ProposalStatus::Open
    );
    let accepted = bench
        .say(&Room::organizers(), ORGANIZER, "!agenda accept 1")
        .await;
    assert_eq!(
        bench.store().proposal(1).unwrap().unwrap().status,
        ProposalStatus::Accepted
    );
    let [
        Outgoing {
            room_id, payload, ..
        },
    ] = accepted.also.as_slice()
    else {
        panic!("one notice to the proposer's room: {:?}", accepted.also);
    };
    assert_eq!(room_id.as_str(), "!kl:kaiserslautern.de");
    assert!(matches!(payload, Payload::Message(_)));
}

/// A decision carried out before a crash that came before the message was recorded as handled
/// is carried out again on restart (the same event): it is answered as made — with the
/// proposer's room told again under the same transaction id, which the homeserver deduplicates
/// — and not refused because the proposal is no longer open, nor made twice.
#[tokio::test]
async fn a_decision_carried_out_again_after_a_crash_is_answered_as_made() {
    let bench = Bench::at("2026-12-10T09:00:00Z");
    let (orga, kl) = (Room::organizers(), Room::kaiserslautern());
    bench.say(&kl, MEMBER, "!agenda add Open Data").await;
    bench.say(&kl, MEMBER, "!agenda add Breitbandausbau").await;
    let ids = |outcome: &Outcome| {
        outcome
            .also
            .iter()
            .map(|o| o.transaction_id.to_string())
            .collect::<Vec<_>>()
    };
    let accepted = bench.say(&orga, ORGANIZER, "!agenda accept 1").await;
    let again = bench.say(&orga, ORGANIZER, "!agenda accept 1").await;
    assert_eq!(plain(&again), plain(&accepted));
    assert_eq!(ids(&again), ids(&accepted));
    assert_eq!(ids(&again).len(), 1);
    // Another message deciding it (another event) finds it decided.
    let other = bench.say(&orga, ORGANIZER, "!agenda accept 01").await;
    assert!(other.also.is_empty(), "{other:?}");
    assert_ne!(plain(&other), plain(&accepted));
    // A deferral carried out again stays with the meeting it was deferred to.
    let deferred = bench.say(&orga, ORGANIZER, "!agenda defer 2").await;
    let meeting = bench.store().proposal(2).unwrap().unwrap().meeting_key;
    let again = bench.say(&orga, ORGANIZER, "!agenda defer 2").await;
    assert_eq!(plain(&again), plain(&deferred));
    assert_eq!(
        bench.store().proposal(2).unwrap().unwrap().meeting_key,
        meeting
    );
}

#[tokio::test]
async fn announce_asks_the_posting_job_through_the_request_channel() {
    let mut bench = Bench::at("2026-12-10T09:00:00Z");
    bench
        .say(&Room::organizers(), ORGANIZER, "!announce 28.01.2027")
        .await;
    match bench.requests.try_recv() {
        Ok(Request::Announce(key)) => assert_eq!(key, "videokonferenz/2027-01-21"),
        other => panic!("expected an announcement request, got {other:?}"),
    }
    bench
        .say(&Room::kaiserslautern(), MEMBER, "!announce 28.01.2027")
        .await;
    assert!(
        bench.requests.try_recv().is_err(),
        "a member may not announce"
    );
}

// --- minutes ---

#[tokio::test]
async fn minutes_are_started_only_in_the_organizers_room_and_recorded_only_by_chairs() {
    let bench = Bench::at("2027-01-28T13:05:00Z");
    let wrong_room = bench
        .text(&Room::kaiserslautern(), ORGANIZER, "!minutes start")
        .await;
    assert!(
        bench
            .store()
            .records("videokonferenz/2027-01-21")
            .unwrap()
            .is_empty()
    );
    assert!(!wrong_room.is_empty());
    bench
        .say(&Room::organizers(), ORGANIZER, "!minutes start")
        .await;
    let not_chair = bench
        .text(&Room::organizers(), MEMBER, "!info Folien folgen")
        .await;
    assert!(
        bench
            .store()
            .records("videokonferenz/2027-01-21")
            .unwrap()
            .is_empty(),
        "{not_chair}"
    );
    bench
        .say(&Room::organizers(), ORGANIZER, "!info Folien folgen")
        .await;
    let records = bench.store().records("videokonferenz/2027-01-21").unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].text, "Folien folgen");
}

/// `!minutes end`, `!undo` and `!minutes approve` carried out again after a crash (the same
/// event, before it was recorded as handled) answer as they did, and change nothing more.
#[tokio::test]
async fn minutes_commands_carried_out_again_after_a_crash_answer_as_made() {
    let bench = Bench::at("2027-01-28T13:05:00Z");
    let orga = Room::organizers();
    bench.say(&orga, ORGANIZER, "!minutes start").await;
    bench.say(&orga, ORGANIZER, "!info Folien folgen").await;
    bench
        .say(&orga, ORGANIZER, "!info Zweiter Punkt hier")
        .await;
    bench
        .say(&orga, ORGANIZER, "!info Dritter Eintrag, falsch")
        .await;
    let undone = bench.say(&orga, ORGANIZER, "!undo").await;
    let again = bench.say(&orga, ORGANIZER, "!undo").await;
    assert_eq!(plain(&again), plain(&undone));
    let key = "videokonferenz/2027-01-21";
    let kept: Vec<bool> = bench
        .store()
        .records(key)
        .unwrap()
        .iter()
        .map(|r| r.undone)
        .collect();
    assert_eq!(kept, [false, false, true], "one line taken back, not two");
    let ended = bench.say(&orga, ORGANIZER, "!minutes end").await;
    let again = bench.say(&orga, ORGANIZER, "!minutes end").await;
    assert!(
        plain(&ended).starts_with("Protokollentwurf"),
        "{}",
        plain(&ended)
    );
    assert_eq!(plain(&again), plain(&ended));
    let approved = bench.say(&orga, ORGANIZER, "!minutes approve").await;
    let again = bench.say(&orga, ORGANIZER, "!minutes approve").await;
    assert!(
        plain(&approved).contains("genehmigt"),
        "{}",
        plain(&approved)
    );
    assert_eq!(plain(&again), plain(&approved));
}

#[tokio::test]
async fn here_in_a_member_room_during_the_meeting_records_that_municipality() {
    let bench = Bench::at("2027-01-28T13:05:00Z");
    bench.say(&Room::kaiserslautern(), MEMBER, "!here").await;
    let attendance = bench
        .store()
        .attendance("videokonferenz/2027-01-21")
        .unwrap();
    assert!(attendance.contains_key("Kaiserslautern"), "{attendance:?}");
}

// --- polls ---

#[tokio::test]
async fn a_vote_without_an_open_poll_and_a_member_s_decision_change_nothing() {
    let bench = Bench::at("2026-12-10T09:00:00Z");
    let vote = bench.text(&Room::kaiserslautern(), MEMBER, "!vote 1").await;
    assert!(!vote.is_empty());
    bench
        .say(&Room::kaiserslautern(), MEMBER, "!poll decide 1")
        .await;
    assert!(bench.store().polls().unwrap().is_empty());
}

/// Poll responses as Element and other clients send them, through the handler: an answer the
/// poll lacks spoils the response, which then replaces the member's earlier vote and counts for
/// nothing; an empty one withdraws and counts as an answer with no date.
#[tokio::test]
async fn a_response_naming_an_answer_the_poll_lacks_is_recorded_spoiled() {
    use matrix_sdk::ruma::{MilliSecondsSinceUnixEpoch, UInt};

    use crate::poll::{self, Response};
    use crate::store::{NewDelivery, PollRow};

    let bench = Bench::at("2027-01-06T10:00:00Z");
    let room = Room::kaiserslautern();
    let room_id = room.id.as_str();
    let at = |text: &str| text.parse::<DateTime<Utc>>().unwrap();
    let slot = |day: &str| {
        (
            at(&format!("{day}T09:00:00Z")),
            at(&format!("{day}T12:00:00Z")),
        )
    };
    let poll = PollRow {
        key: "smart-city".to_owned(),
        title: "Bewerbung Smart City".to_owned(),
        slots: vec![slot("2027-02-03"), slot("2027-02-05"), slot("2027-02-08")],
        rooms: vec![(room_id.to_owned(), "Kaiserslautern".to_owned())],
        decide_by: "2027-01-15".parse().unwrap(),
        created_at: at("2027-01-05T10:00:00Z"),
        decision: None,
        ended_at: None,
    };
    let store = bench.store();
    store.open_poll(&poll).unwrap();
    let start = EventId::parse("$start:test").unwrap();
    let post = poll::start_key(&poll.key);
    store
        .begin(&NewDelivery {
            post_key: &post,
            room_id,
            meeting_key: &poll.key,
            meeting_title: &poll.title,
            meeting_start: poll.slots[0].0,
            transaction_id: "t1",
            content_hash: "h",
            now: poll.created_at,
        })
        .unwrap();
    store
        .sent(&post, room_id, Some(start.as_str()), None, poll.created_at)
        .unwrap();
    let anna = UserId::parse(MEMBER).unwrap();
    let respond = |event: &str, minute: u64, answers: &[&str]| {
        let event = EventId::parse(event).unwrap();
        let answers: Vec<String> = answers.iter().map(|id| (*id).to_owned()).collect();
        let sent = at("2027-01-06T10:00:00Z").timestamp_millis() as u64 + minute * 60_000;
        let sent = MilliSecondsSinceUnixEpoch(UInt::new(sent).unwrap());
        super::record_response(&bench.context, &room, &event, &anna, &start, &answers, sent);
    };
    let latest = || store.votes(&poll.key).unwrap().pop().unwrap().response;
    let tally = || poll::tally(3, &poll.rooms, &store.votes(&poll.key).unwrap());

    respond("$a:test", 1, &["1", "3"]);
    assert_eq!(latest(), Response::Valid([0, 2].into()));
    assert_eq!(tally().per_slot[2], vec!["Kaiserslautern".to_owned()]);

    respond("$b:test", 2, &["1", "99"]);
    assert_eq!(latest(), Response::Spoiled);
    let spoiled = tally();
    assert!(spoiled.per_slot.iter().all(Vec::is_empty), "{spoiled:?}");
    assert_eq!(spoiled.not_answered, vec!["Kaiserslautern".to_owned()]);

    respond("$c:test", 3, &[]);
    assert_eq!(latest(), Response::Valid([].into()));
    let withdrawn = tally();
    assert!(
        withdrawn.per_slot.iter().all(Vec::is_empty),
        "{withdrawn:?}"
    );
    assert_eq!(withdrawn.answered, vec!["Kaiserslautern".to_owned()]);
}

// --- calendar ---

#[tokio::test]
async fn subscribe_in_a_member_room_gives_the_room_s_own_feed_and_an_organizer_s_rotate_replaces_it()
 {
    let bench = Bench::at("2026-12-10T09:00:00Z");
    let first = bench
        .text(&Room::kaiserslautern(), MEMBER, "!subscribe")
        .await;
    let again = bench
        .text(&Room::kaiserslautern(), MEMBER, "!subscribe")
        .await;
    let refused = bench
        .text(&Room::kaiserslautern(), MEMBER, "!subscribe rotate")
        .await;
    assert!(!refused.contains("/feeds/"), "{refused}");
    let rotated = bench
        .text(&Room::kaiserslautern(), ORGANIZER, "!subscribe rotate")
        .await;
    let link = |text: &str| {
        text.split_whitespace()
            .find(|word| word.starts_with("https://") && word.contains("/feeds/"))
            .map(ToOwned::to_owned)
            .unwrap_or_else(|| panic!("no feed link in {text}"))
    };
    assert!(link(&first).starts_with("https://convene.ikone-ds.de/feeds/"));
    assert_eq!(link(&first), link(&again));
    assert_ne!(link(&first), link(&rotated));
}

#[tokio::test]
async fn web_gives_the_organizers_page_in_their_room_only_and_rotate_replaces_its_token() {
    let bench = Bench::at("2026-12-10T09:00:00Z");
    let store = &bench.context.store;
    let token = |text: &str| {
        text.split_whitespace()
            .find_map(|word| word.strip_prefix("https://convene.ikone-ds.de/organizers/"))
            .map(ToOwned::to_owned)
            .unwrap_or_else(|| panic!("no page link in {text}"))
    };
    // Members are refused, in the organizers' room as in their own; organizers get no link
    // outside their room, where members would read it.
    for room in [Room::organizers(), Room::kaiserslautern()] {
        let refused = bench.text(&room, MEMBER, "!web").await;
        assert!(!refused.contains("/organizers/"), "{refused}");
        assert!(refused.contains("Organisationsteam"), "{refused}");
    }
    let elsewhere = bench.text(&Room::kaiserslautern(), ORGANIZER, "!web").await;
    assert!(!elsewhere.contains("/organizers/"), "{elsewhere}");
    assert!(
        elsewhere.contains("nur im Organisationsraum"),
        "{elsewhere}"
    );
    let refused = bench.text(&Room::organizers(), MEMBER, "!web rotate").await;
    assert!(!refused.contains("/organizers/"), "{refused}");

    let first = token(&bench.text(&Room::organizers(), ORGANIZER, "!web").await);
    let again = token(&bench.text(&Room::organizers(), ORGANIZER, "!web").await);
    assert_eq!(first, again);
    assert_eq!(first.len(), 40);
    assert!(store.is_organizers_token(&first).unwrap());
    // Its own secret: no room's feed token.
    assert_eq!(store.room_of_token(&first).unwrap(), None);
    let rotated = bench
        .text(&Room::organizers(), ORGANIZER, "!web rotate")
        .await;
    assert!(rotated.contains("ab sofort ungültig"), "{rotated}");
    let second = token(&rotated);
    assert_ne!(first, second);
    assert!(!store.is_organizers_token(&first).unwrap());
    assert!(store.is_organizers_token(&second).unwrap());
    assert_eq!(
        token(&bench.text(&Room::organizers(), ORGANIZER, "!web").await),
        second
    );
}

#[tokio::test]
async fn ics_answers_with_the_next_meeting_s_invitation_as_a_file() {
    let bench = Bench::at("2026-12-10T09:00:00Z");
    match bench
        .say(&Room::kaiserslautern(), MEMBER, "!ics")
        .await
        .answer
    {
        Reply::File(file) => {
            assert_eq!(file.filename, "videokonferenz.ics");
            assert!(
                String::from_utf8(file.data)
                    .unwrap()
                    .contains("BEGIN:VCALENDAR")
            );
        }
        Reply::Text(text) => panic!("a text: {}", text.plain),
    }
}

// --- dispatch ---

/// A text message `body` from `sender`, sent at `sent_ms`, as the homeserver delivers it.
fn message(id: &str, sender: &str, body: &str, sent_ms: i64) -> OriginalSyncRoomMessageEvent {
    serde_json::from_value(serde_json::json!({
        "type": "m.room.message",
        "event_id": id,
        "sender": sender,
        "origin_server_ts": sent_ms,
        "content": { "msgtype": "m.text", "body": body },
    }))
    .unwrap()
}

/// The sends of the one answer among `actions`.
fn sends(actions: &[Action]) -> &[Outgoing] {
    match actions {
        [Action::Answer(answer)] => &answer.sends,
        [] => &[],
        other => panic!("one answer: {other:?}"),
    }
}

/// The plain text of the reply among `actions`.
fn reply_text(actions: &[Action]) -> String {
    sends(actions)
        .iter()
        .find_map(|send| match &send.payload {
            Payload::Message(content) => Some(content.body().to_owned()),
            _ => None,
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_message_with_two_commands_gets_one_reply_to_it_and_is_handled_once() {
    let bench = Bench::at("2026-12-10T09:00:00Z");
    let room = Room::kaiserslautern();
    let event = message(
        "$two:test",
        MEMBER,
        "!ping\n!next",
        bench.now.timestamp_millis(),
    );
    let actions = decide_reply(&bench.context, &room, &event, bench.now).await;
    let [
        Outgoing {
            room_id,
            transaction_id,
            ..
        },
    ] = sends(&actions)
    else {
        panic!("one reply: {actions:?}");
    };
    assert_eq!(room_id.as_str(), "!kl:kaiserslautern.de");
    assert_eq!(transaction_id.as_str(), "convene-reply-_two_test");
    // The answer is owed until the outbox has sent it, and reads back as it was.
    let owed = bench.store().owed_answers().unwrap();
    assert_eq!(owed.len(), 1);
    let [Action::Answer(answer)] = actions.as_slice() else {
        unreachable!()
    };
    let read_back = super::super::outbox::Answer::from_json(&owed[0].0, &owed[0].1).unwrap();
    assert_eq!(format!("{read_back:?}"), format!("{answer:?}"));
    bench.store().answered("$two:test", bench.now).unwrap();
    assert!(bench.store().owed_answers().unwrap().is_empty());
    // Seen again (a restart's catch-up): nothing more.
    assert!(
        decide_reply(&bench.context, &room, &event, bench.now)
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn messages_from_before_the_bot_s_first_run_are_history() {
    let bench = Bench::at("2026-12-10T09:00:00Z");
    let before = bench.context.history_before.timestamp_millis() - 1;
    let event = message("$old:test", MEMBER, "!ping", before);
    let actions = decide_reply(&bench.context, &Room::kaiserslautern(), &event, bench.now).await;
    assert!(actions.is_empty(), "{actions:?}");
}

#[tokio::test]
async fn a_proposal_sent_while_the_bot_was_away_is_carried_out_and_answered_late() {
    let bench = Bench::at("2026-12-10T09:00:00Z");
    // Sent 90 minutes ago, while the bot was away (from 2 h ago until it started 1 h ago).
    let ago = chrono::TimeDelta::minutes(90);
    let actions = bench
        .receive("$late:test", "!agenda add Open Data", ago)
        .await;
    let text = reply_text(&actions);
    assert!(
        text.starts_with(
            "Verspätet beantwortet – der Bot war von 08:00 bis 09:00 Uhr nicht erreichbar."
        ),
        "{text}"
    );
    let open = bench.store().open_proposals().unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(
        open[0].created_at,
        bench.now - ago,
        "it counts as of when it was sent"
    );
}

#[tokio::test]
async fn a_command_older_than_the_bound_is_answered_once_and_not_carried_out() {
    let bench = Bench::at("2026-12-10T09:00:00Z");
    let ago = chrono::TimeDelta::hours(25);
    let text = reply_text(
        &bench
            .receive("$stale:test", "!agenda add Open Data", ago)
            .await,
    );
    assert!(text.contains("mehr als 24 Stunden"), "{text}");
    assert!(text.contains("noch einmal"), "{text}");
    assert!(bench.store().open_proposals().unwrap().is_empty());
    let again = bench
        .receive("$stale:test", "!agenda add Open Data", ago)
        .await;
    assert!(again.is_empty(), "{again:?}");
}
