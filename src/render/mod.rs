//! The texts the bot sends, rendered in its language as a plain body and an HTML body.
//!
//! Pure functions: no I/O, no clock. Anything that came from a user is escaped for HTML here,
//! and shortened where it is quoted back, so hostile text can never change a message's markup.

mod commands;
mod common;
mod fan_out;
mod meetings;
mod minutes;
pub mod organizers;
pub mod page;
mod polls;
mod proposals;
mod rendered;
pub mod size;

pub use commands::{
    About, about, answers, command_error, command_help, help, late_answer, no_meeting_on, pong,
    timeline_gap, too_late,
};
pub use common::{date_range, date_short};
pub use fan_out::{FanOutReport, RoomOutcome, delivery_summary, failure_reason, follow_up_report};
pub use meetings::{
    Additions, FeedLinks, announce_ack, change_notice, meeting_details, missed_notice, post,
    reload_errors, schedule_list, schedule_table, subscribe,
};
pub use minutes::{
    DoneOutcome, MinutesReply, Publication, RecordedKind, action_done, action_line, action_list,
    action_reminder, escape_markdown, minutes_draft, minutes_list, minutes_markdown,
    minutes_message, minutes_reply, minutes_summary,
};
pub use organizers::web_answer;
pub use polls::{
    no_open_poll, no_such_slot, poll_answer, poll_closed, poll_decided, poll_decision_invalid,
    poll_fallback, poll_overdue, poll_question, poll_reminder, poll_summary, poll_tallies,
    poll_tally, poll_too_late, vote_recorded, vote_withdrawn, which_poll,
};
pub use proposals::{
    Outcome, cannot_propose, no_such_part, no_such_proposal, proposal_added, proposal_list,
    proposal_outcome, too_many_proposals,
};
pub use rendered::{Rendered, escape_html};
