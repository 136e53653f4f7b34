//! Who may bring the bot into a room.
//!
//! A bot that joins every room it is invited to can be pulled into any conversation on the
//! federation. convene accepts an invitation only from one of the network's organizers or from
//! a user on one of the homeservers the configuration lists, and declines every other one.

use std::collections::BTreeSet;

use matrix_sdk::ruma::{OwnedServerName, OwnedUserId, UserId};

/// What to do with an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteDecision {
    /// Join the room.
    Accept,
    /// Reject the invitation.
    Decline,
}

/// The invitation rule, from the configuration.
#[derive(Debug, Clone)]
pub struct InvitePolicy {
    /// Organizers may always invite.
    pub organizers: BTreeSet<OwnedUserId>,
    /// Users on these homeservers may invite.
    pub homeservers: BTreeSet<OwnedServerName>,
}

impl InvitePolicy {
    /// Decides on an invitation sent by `inviter`.
    pub fn decide(&self, inviter: &UserId) -> InviteDecision {
        if self.organizers.contains(inviter) || self.homeservers.contains(inviter.server_name()) {
            InviteDecision::Accept
        } else {
            InviteDecision::Decline
        }
    }
}

#[cfg(test)]
mod tests {
    use matrix_sdk::ruma::{server_name, user_id};

    use super::*;

    #[test]
    fn accepts_organizers_and_listed_homeservers_only() {
        let policy = InvitePolicy {
            organizers: [user_id!("@orga:kaiserslautern.de").to_owned()].into(),
            homeservers: [server_name!("matrix.bitburg-pruem.de").to_owned()].into(),
        };
        assert_eq!(
            policy.decide(user_id!("@orga:kaiserslautern.de")),
            InviteDecision::Accept
        );
        assert_eq!(
            policy.decide(user_id!("@anna:matrix.bitburg-pruem.de")),
            InviteDecision::Accept
        );
        assert_eq!(
            policy.decide(user_id!("@other:kaiserslautern.de")),
            InviteDecision::Decline
        );
        assert_eq!(
            policy.decide(user_id!("@spam:example.com")),
            InviteDecision::Decline
        );
    }
}
