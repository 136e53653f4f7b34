//! Agenda proposals: items members propose in chat for a meeting, and what the organizers made
//! of them. Plain data: the store keeps them, the agenda export, the change detection and the
//! texts read them.

use chrono::{DateTime, Utc};

/// What became of a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProposalStatus {
    /// Waiting for the organizers.
    Open,
    /// On the agenda.
    Accepted,
    /// Turned down, with a reason.
    Rejected,
    /// Taken back by its proposer.
    Withdrawn,
}

impl ProposalStatus {
    /// The stored form.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Accepted => "accepted",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// Reads the stored form back; anything unknown is open.
    pub(crate) fn parse(text: &str) -> Self {
        match text {
            "accepted" => Self::Accepted,
            "rejected" => Self::Rejected,
            "withdrawn" => Self::Withdrawn,
            _ => Self::Open,
        }
    }
}

/// An agenda item a member proposed in chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// The number members and organizers refer to it by.
    pub id: i64,
    /// The meeting it is proposed for.
    pub meeting_key: String,
    /// The room it was proposed in (where the outcome is told).
    pub room_id: String,
    /// The municipality of that room.
    pub municipality: String,
    /// Who proposed it (the contact).
    pub sender: String,
    /// Its title.
    pub title: String,
    /// Its description.
    pub description: Option<String>,
    /// When it was proposed.
    pub created_at: DateTime<Utc>,
    /// What became of it.
    pub status: ProposalStatus,
    /// The part of the meeting it was accepted into (1-based), if any.
    pub part: Option<u32>,
    /// Why it was rejected.
    pub reason: Option<String>,
}
