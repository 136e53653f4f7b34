//! The room a command came from, as the chat side needs it — and no more, so the handlers can be
//! tested without a homeserver: its id, whether it is a configured room, how its members are
//! shown, and which member rooms a person is in.
//!
//! The bot's rooms are `matrix_sdk::Room`s; the tests use a room of plain values.

use std::future::Future;
use std::pin::Pin;

use matrix_sdk::Room;
use matrix_sdk::ruma::events::room::member::MembershipState;
use matrix_sdk::ruma::{RoomId, RoomOrAliasId, UserId};

use crate::config::Roster;

/// A future the room's lookups return (boxed, so that handlers can take `&dyn ChatRoom`).
pub type Lookup<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the chat handlers ask of the room a message came from.
pub trait ChatRoom: Send + Sync + std::fmt::Debug {
    /// The room's id.
    fn room_id(&self) -> &RoomId;

    /// Whether this is the configured room `configured`: by id, or by one of its aliases.
    fn is(&self, configured: &RoomOrAliasId) -> bool;

    /// How `user` is shown in minutes: their display name in this room, or their id.
    fn shown<'a>(&'a self, user: &'a UserId) -> Lookup<'a, String>;

    /// The member municipalities (of `roster`) whose rooms `user` has joined, each once.
    fn municipalities_of<'a>(
        &'a self,
        user: &'a UserId,
        roster: &'a Roster,
    ) -> Lookup<'a, Vec<String>>;
}

impl ChatRoom for Room {
    fn room_id(&self) -> &RoomId {
        // The base room's id (a `Room` dereferences to it).
        std::ops::Deref::deref(self).room_id()
    }

    fn is(&self, configured: &RoomOrAliasId) -> bool {
        configured.as_str() == self.room_id().as_str()
            || self
                .canonical_alias()
                .is_some_and(|a| a.as_str() == configured.as_str())
            || self
                .alt_aliases()
                .iter()
                .any(|a| a.as_str() == configured.as_str())
    }

    fn shown<'a>(&'a self, user: &'a UserId) -> Lookup<'a, String> {
        Box::pin(async move {
            match self.get_member_no_sync(user).await {
                // A display name is typed by its owner: no bidi override of theirs reaches the
                // minutes.
                Ok(Some(member)) => member.display_name().map_or_else(
                    || user.to_string(),
                    |name| crate::text::neutralize(name).into_owned(),
                ),
                _ => user.to_string(),
            }
        })
    }

    fn municipalities_of<'a>(
        &'a self,
        user: &'a UserId,
        roster: &'a Roster,
    ) -> Lookup<'a, Vec<String>> {
        Box::pin(async move {
            let mut found: Vec<String> = Vec::new();
            for room in self.client().joined_rooms() {
                if room.is(&roster.organizers_room) {
                    continue;
                }
                let Some(member) = roster.members.iter().find(|m| room.is(&m.room)) else {
                    continue;
                };
                let joined = matches!(room.get_member_no_sync(user).await, Ok(Some(m))
                    if *m.membership() == MembershipState::Join);
                if joined && !found.contains(&member.name) {
                    found.push(member.name.clone());
                }
            }
            found
        })
    }
}
