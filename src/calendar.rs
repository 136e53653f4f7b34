//! The calendar as subscribers get it: the entries of the current network with the agenda
//! proposals the organizers accepted, each with its version from the store. One function, so the
//! HTTP feeds, `convene ics` and the invitations in the rooms serve exactly the same bytes: with
//! the video links for members (the rooms' private feeds, the invitations), without them for the
//! public network calendar.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::ical::{self, Links, Selection};
use crate::network::Network;
use crate::store::{Store, StoreError};

/// A rendered calendar and the time of its newest change (for Last-Modified).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// The .ics text.
    pub text: String,
    /// The newest DTSTAMP in it.
    pub last_modified: DateTime<Utc>,
    /// Whether the selection named an entry the network has (an unknown id selects none).
    pub found: bool,
}

/// Renders the calendar of `network` with the accepted proposals in `store`, recording new
/// versions of changed entries at `now`, with or without the video `links`.
pub fn build(
    network: &Network,
    store: &Store,
    now: DateTime<Utc>,
    selection: Selection<'_>,
    links: Links,
) -> Result<Calendar, StoreError> {
    let accepted = store.accepted_titles()?;
    let entries = ical::entries(network, &accepted);
    let mut versions = BTreeMap::new();
    for entry in &entries {
        versions.insert(
            entry.uid.clone(),
            store.calendar_version(&entry.uid, &entry.content_hash, now)?,
        );
    }
    let selected: Vec<&ical::Entry> = entries
        .iter()
        .filter(|e| match selection {
            Selection::All => true,
            Selection::Entry(id) => e.id == id,
        })
        .collect();
    let last_modified = selected
        .iter()
        .filter_map(|e| versions.get(&e.uid))
        .map(|v| v.changed_at)
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH);
    Ok(Calendar {
        text: ical::render(network, &entries, &versions, selection, links),
        last_modified,
        found: !selected.is_empty(),
    })
}
