//! Recording posts before anything of them is sent: every announcement, reminder, change,
//! poll, notice and report is first a row in the `posts` table (kept once per key), which the
//! fan-out then works on until it is finished in every room — so a crash between any two steps
//! loses nothing and repeats nothing.

use std::sync::Arc;

use chrono::Utc;
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::change::Shown;
use crate::clock::Clock;
use crate::render::Rendered;
use crate::schedule::Meeting;
use crate::store::{PostRow, Store};

/// Records posts.
#[derive(Debug, Clone)]
pub struct Recorder {
    /// The database.
    pub store: Arc<Store>,
    /// The time.
    pub clock: Arc<dyn Clock>,
}

impl Recorder {
    /// Records a post about `meeting`, unless it exists already.
    pub fn start_post(&self, key: &str, kind: &str, meeting: &Meeting, late: bool, detail: String) {
        let row = PostRow {
            post_key: key.to_owned(),
            kind: kind.to_owned(),
            meeting_key: meeting.key.clone(),
            meeting_title: meeting.title.clone(),
            meeting_start: meeting.start.with_timezone(&Utc),
            late,
            detail,
            created_at: self.clock.now(),
            finished_at: None,
        };
        match self.store.start_post(&row) {
            Ok(true) => info!(post = key, "post started"),
            Ok(false) => {}
            Err(error) => warn!(post = key, %error, "cannot record a post"),
        }
    }

    /// Records a notice (to the organizers' room, or to `room`) as a post of its own.
    pub fn start_notice(&self, key: &str, meeting: &Meeting, room: Option<&str>, notice: Rendered) {
        let detail = NoticeDetail {
            room: room.map(ToOwned::to_owned),
            plain: notice.plain,
            html: notice.html,
        };
        match serde_json::to_string(&detail) {
            Ok(detail) => self.start_post(key, "notice", meeting, false, detail),
            Err(error) => warn!(post = key, %error, "cannot record a notice"),
        }
    }

    /// Records a notice for the organizers' room, given once per key.
    pub fn to_organizers(&self, key: &str, meeting: &Meeting, notice: Rendered) {
        self.start_notice(key, meeting, None, notice);
    }
}

/// What a change post needs to be rebuilt after a restart (its `detail`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChangeDetail {
    /// The hash of [`ChangeDetail::new`]: the change is superseded when the meeting shows
    /// something else by now.
    pub state: String,
    /// What the posts showed before.
    pub old: Option<Shown>,
    /// What they show now.
    pub new: Shown,
}

/// Who a notice goes to (its `detail`, with the text).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NoticeDetail {
    /// The room, by its delivery key (its id); `None` for the organizers' room.
    pub room: Option<String>,
    /// The plain text.
    pub plain: String,
    /// The HTML.
    pub html: String,
}

/// What a post is, from its stored kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Announcement,
    Reminder,
    Change,
    Minutes,
    Notice,
    /// A date poll and its text form, in the member rooms.
    Poll,
    /// The reminder to the rooms that have not answered a poll.
    PollReminder,
    /// A poll's end, in the rooms it reached.
    PollEnd,
    /// Recorded before posts were; finished by the migration.
    Legacy,
}

impl Kind {
    /// The kind from its stored name.
    pub fn parse(kind: &str) -> Self {
        match kind {
            "announcement" => Self::Announcement,
            "reminder" => Self::Reminder,
            "change" => Self::Change,
            "minutes" => Self::Minutes,
            "notice" => Self::Notice,
            "poll" => Self::Poll,
            "poll-reminder" => Self::PollReminder,
            "poll-end" => Self::PollEnd,
            _ => Self::Legacy,
        }
    }
}
