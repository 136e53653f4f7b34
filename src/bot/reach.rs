//! Which member homeservers a post has not reached yet, for the organizers' summary.
//!
//! The bot's homeserver confirms a message as soon as it has stored it; members on other
//! homeservers get it through federation, which queues it for a server that is down and
//! delivers it when that server is back. No client API tells whether that has happened. What a
//! client can learn is whether a remote server answers right now: a profile lookup of a user on
//! it, which the homeserver always forwards over federation (Synapse answers it from no cache,
//! and ignores its federation back-off for it), fails with a server error when the remote
//! server cannot be reached. Device-key queries would not do: the homeserver answers them from
//! its cache of the device lists of users it shares rooms with.
//!
//! So the summary asks once per remote server of the delivered rooms' members, all at once
//! and with a short timeout; rooms with members on a server that does not answer are reported
//! as not yet confirmed, with the servers named.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use matrix_sdk::config::RequestConfig;
use matrix_sdk::ruma::api::client::profile::get_profile;
use matrix_sdk::ruma::{OwnedRoomId, OwnedServerName, OwnedUserId};
use matrix_sdk::{Client, HttpError, RoomMemberships};
use tokio::task::JoinSet;
use tracing::debug;

/// How long a remote server may take to answer. A server that is down fails at once
/// (connection refused); one that does not answer at all would otherwise hold the summary for
/// the homeserver's federation timeout.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// The servers, other than the bot's own, that members of `rooms` are on and that did not
/// answer just now, by room. Rooms whose servers all answered are left out.
pub(super) async fn unreachable_servers(
    client: &Client,
    rooms: &[OwnedRoomId],
) -> BTreeMap<OwnedRoomId, Vec<OwnedServerName>> {
    let Some(own) = client.user_id().map(|user| user.server_name().to_owned()) else {
        return BTreeMap::new();
    };
    // Each room's remote servers, and one member of each server to ask about.
    let mut servers_of: BTreeMap<OwnedRoomId, BTreeSet<OwnedServerName>> = BTreeMap::new();
    let mut someone_on: BTreeMap<OwnedServerName, OwnedUserId> = BTreeMap::new();
    for room_id in rooms {
        let Some(room) = client.get_room(room_id) else {
            continue;
        };
        let members = match room.members(RoomMemberships::JOIN).await {
            Ok(members) => members,
            Err(error) => {
                debug!(%room_id, %error, "cannot list the room's members");
                continue;
            }
        };
        for member in members {
            let server = member.user_id().server_name().to_owned();
            if server == own {
                continue;
            }
            someone_on
                .entry(server.clone())
                .or_insert_with(|| member.user_id().to_owned());
            servers_of
                .entry(room_id.clone())
                .or_default()
                .insert(server);
        }
    }
    let mut probes = JoinSet::new();
    for (server, user) in someone_on {
        let client = client.clone();
        probes.spawn(async move {
            let request = get_profile::v3::Request::new(user);
            let config = RequestConfig::new().timeout(PROBE_TIMEOUT).disable_retry();
            let answer = client.send(request).with_request_config(config).await;
            (
                server,
                answer.err().is_some_and(|error| unreachable(&error)),
            )
        });
    }
    let mut down: BTreeSet<OwnedServerName> = BTreeSet::new();
    while let Some(probed) = probes.join_next().await {
        if let Ok((server, true)) = probed {
            debug!(%server, "a member server does not answer");
            down.insert(server);
        }
    }
    servers_of
        .into_iter()
        .filter_map(|(room_id, servers)| {
            let unreachable: Vec<OwnedServerName> =
                servers.into_iter().filter(|s| down.contains(s)).collect();
            (!unreachable.is_empty()).then_some((room_id, unreachable))
        })
        .collect()
}

/// Whether a failed lookup means the remote server did not answer: the homeserver says so with
/// a server error (Synapse: 502 "Failed to fetch profile"), or the lookup timed out. A client
/// error (no such user, no profile) is an answer.
fn unreachable(error: &HttpError) -> bool {
    match error.as_client_api_error() {
        Some(api) => api.status_code.is_server_error(),
        None => matches!(error, HttpError::Reqwest(e) if e.is_timeout()),
    }
}
