//! The network's web pages as the HTTP server serves them: what the current network plans and
//! the store knows, gathered for [`render::page`]. It only reads (the server calls it on its
//! blocking pool); the pages are behind secrets the edge has checked — a member room's feed
//! token for its page, a minutes token for approved minutes, the organizers' own token (`!web`)
//! for the organizers' page.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};

use crate::delivery::Record;
use crate::health::Verdict;
use crate::render::organizers::{self, AttendanceRow, OrganizersPage, PagePost, PageProposal};

use crate::network::Network;
use crate::poll;
use crate::render::FeedLinks;
use crate::render::page::{
    self, Audience, MinutesPage, PageMeeting, PageMinutes, PagePoll, RoomPage,
};
use crate::schedule::Meeting;
use crate::store::{MinutesRow, MinutesStatus, PollRow, Store, StoreError};

/// How many coming meetings a room page shows.
pub const PAGE_MEETINGS: usize = 6;
/// How far ahead a room page looks for them (as `!schedule` does).
const HORIZON: TimeDelta = TimeDelta::days(400);
/// How many approved minutes a room page lists, newest first.
pub const PAGE_MINUTES: usize = 24;
/// How many open action items a room page lists, oldest first.
pub const PAGE_ACTIONS: usize = 100;

/// The page of the member room whose feed token is `token` (checked by the caller).
pub fn room_page(
    network: &Network,
    store: &Store,
    token: &str,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    page(network, store, Some(token), now)
}

/// The public page (`calendar.public: true`, checked by the caller): dates, titles and agendas,
/// nothing behind a secret.
pub fn public_page(
    network: &Network,
    store: &Store,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    page(network, store, None, now)
}

/// A member room's page with its `token`, or without one the public page.
fn page(
    network: &Network,
    store: &Store,
    token: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let coming: Vec<Meeting> = network
        .schedule
        .upcoming(now, HORIZON, PAGE_MEETINGS * 4)
        .into_iter()
        .filter(Meeting::takes_place)
        .take(PAGE_MEETINGS)
        .collect();
    let mut meetings = Vec::with_capacity(coming.len());
    for meeting in &coming {
        meetings.push(PageMeeting {
            meeting,
            agenda: network.agenda(meeting),
            accepted: store.accepted_for(&meeting.key)?,
            invitation: token
                .map(|token| format!("{token}/invitations/{}.ics", meeting.calendar_id())),
        });
    }
    let (audience, polls, minutes, actions) = match token {
        Some(_) => (
            Audience::Members,
            running_polls(network, store)?,
            approved_minutes(network, store)?,
            store
                .open_actions(None)?
                .into_iter()
                .take(PAGE_ACTIONS)
                .collect(),
        ),
        None => (Audience::Public, Vec::new(), Vec::new(), Vec::new()),
    };
    let path = match token {
        Some(token) => format!("feeds/{token}.ics"),
        None => "calendar.ics".to_owned(),
    };
    let feed = network
        .config
        .calendar
        .as_ref()
        .and_then(|calendar| calendar.public_url.join(&path).ok())
        .map(|url| FeedLinks::for_url(&url));
    Ok(page::room_page(&RoomPage {
        audience,
        language: network.config.language,
        network: &network.roster().name,
        meetings,
        feed,
        polls,
        minutes,
        actions,
    }))
}

/// The date polls still open, each with who can come when.
fn running_polls(network: &Network, store: &Store) -> Result<Vec<PagePoll>, StoreError> {
    let timezone = network.config.timezone;
    store
        .polls()?
        .into_iter()
        .filter(PollRow::is_running)
        .map(|row| {
            let votes = store.votes(&row.key)?;
            Ok(PagePoll {
                tally: poll::tally(row.slots.len(), &row.rooms, &votes),
                slots: row
                    .slots
                    .iter()
                    .map(|(start, end)| {
                        (start.with_timezone(&timezone), end.with_timezone(&timezone))
                    })
                    .collect(),
                title: row.title,
            })
        })
        .collect()
}

/// The approved minutes, newest first, at most [`PAGE_MINUTES`].
fn approved_minutes(network: &Network, store: &Store) -> Result<Vec<PageMinutes>, StoreError> {
    let timezone = network.config.timezone;
    let mut approved = store.minutes_with_status(MinutesStatus::Approved)?;
    approved.sort_by_key(|row| std::cmp::Reverse(row.meeting_start));
    Ok(approved
        .into_iter()
        .filter_map(|row| {
            let token = row.token?;
            Some(PageMinutes {
                title: row.meeting_title,
                start: row.meeting_start.with_timezone(&timezone),
                page: format!("../minutes/{token}"),
            })
        })
        .take(PAGE_MINUTES)
        .collect())
}

/// The page of approved minutes `row` (found by its token), if they have their message.
pub fn minutes_page(network: &Network, row: &MinutesRow, token: &str) -> Option<String> {
    let html = row.html.as_deref()?;
    let markdown = format!("{token}.md");
    Some(page::minutes_page(&MinutesPage {
        language: network.config.language,
        network: &network.roster().name,
        title: &row.meeting_title,
        start: row.meeting_start.with_timezone(&network.config.timezone),
        html,
        markdown: &markdown,
    }))
}

/// How many days of posts the organizers' page shows.
pub const ORGANIZERS_POST_DAYS: i64 = 90;
/// Over how many past meetings the organizers' page counts attendance.
pub const ATTENDANCE_MEETINGS: usize = 12;
/// How far back it looks for them.
const ATTENDANCE_LOOKBACK: TimeDelta = TimeDelta::days(3 * 366);

/// The organizers' page (its token checked by the caller): the posts of the last
/// [`ORGANIZERS_POST_DAYS`] days against the rooms, the open proposals, the running polls, the
/// attendance over the last [`ATTENDANCE_MEETINGS`] meetings, and `health` as `/healthz` judges.
pub fn organizers_page(
    network: &Network,
    store: &Store,
    health: Verdict,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let timezone = network.config.timezone;
    let language = network.config.language;
    let roster = network.roster();
    // The rooms the posts go to, as the posting job names them: the organizers' room, then the
    // members'. Deliveries are recorded under the room id, or under the alias while it does
    // not resolve; the aliases the posting job resolved say which id is whose.
    let aliases = store.room_aliases()?;
    let organizers = crate::text!(const de: "Organisationsraum", en: "organizers' room");
    let configured: Vec<(String, Vec<String>)> =
        std::iter::once((organizers.get(language).to_owned(), &roster.organizers_room))
            .chain(roster.members.iter().map(|m| (m.name.clone(), &m.room)))
            .map(|(name, room)| {
                let mut keys = vec![room.to_string()];
                keys.extend(aliases.get(room.as_str()).cloned());
                (name, keys)
            })
            .collect();
    let since = crate::schedule::earlier(now, TimeDelta::days(ORGANIZERS_POST_DAYS));
    let posts = store.posts_since(since)?;
    let mut records: BTreeMap<(String, String), Record> = BTreeMap::new();
    let mut others: BTreeSet<String> = BTreeSet::new();
    for delivery in store.deliveries_since(since)? {
        if !configured
            .iter()
            .any(|(_, keys)| keys.contains(&delivery.room_id))
        {
            others.insert(delivery.room_id.clone());
        }
        records.insert(
            (delivery.post_key.clone(), delivery.room_id.clone()),
            delivery.record(),
        );
    }
    // Rooms no longer configured keep their column while they have posts on the page.
    let columns: Vec<(String, Vec<String>)> = configured
        .into_iter()
        .chain(others.into_iter().map(|key| (key.clone(), vec![key])))
        .collect();
    let rows = posts
        .into_iter()
        .rev()
        .map(|post| PagePost {
            cells: columns
                .iter()
                .map(|(_, keys)| {
                    keys.iter()
                        .find_map(|key| records.get(&(post.post_key.clone(), key.clone())))
                        .cloned()
                        .unwrap_or(Record::Missing)
                })
                .collect(),
            meeting_start: (!post.meeting_key.is_empty())
                .then(|| post.meeting_start.with_timezone(&timezone)),
            created: post.created_at.with_timezone(&timezone),
            meeting_title: post.meeting_title,
            kind: post.kind,
        })
        .collect();
    let proposals = store
        .open_proposals()?
        .into_iter()
        .map(|proposal| {
            let meeting = network.schedule.find(&proposal.meeting_key);
            PageProposal {
                number: proposal.id,
                title: proposal.title,
                municipality: proposal.municipality,
                meeting_start: meeting.as_ref().map(|m| m.start),
                meeting: meeting.map_or(proposal.meeting_key, |m| m.title),
            }
        })
        .collect();
    let mut past: Vec<Meeting> = network
        .schedule
        .meetings_between(crate::schedule::earlier(now, ATTENDANCE_LOOKBACK), now)
        .into_iter()
        .filter(|meeting| meeting.takes_place() && meeting.start <= now)
        .collect();
    past.sort_by_key(|meeting| meeting.start);
    let past = &past[past.len().saturating_sub(ATTENDANCE_MEETINGS)..];
    let mut per_meeting = Vec::with_capacity(past.len());
    for meeting in past {
        per_meeting.push(store.attendance(&meeting.key)?);
    }
    let attendance = roster
        .members
        .iter()
        .map(|member| {
            let entries: Vec<_> = per_meeting
                .iter()
                .map(|at| at.get(&member.name).copied())
                .collect();
            AttendanceRow::count(&member.name, &entries)
        })
        .collect();
    Ok(organizers::organizers_page(&OrganizersPage {
        language,
        network: &roster.name,
        rooms: columns.into_iter().map(|(name, _)| name).collect(),
        posts: rows,
        post_days: ORGANIZERS_POST_DAYS,
        proposals,
        polls: running_polls(network, store)?,
        meetings: past.iter().map(|meeting| meeting.start).collect(),
        attendance,
        health,
    }))
}
