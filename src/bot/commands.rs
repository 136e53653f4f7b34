//! The chat commands: what the bot answers to each, decided from the message, the current
//! network and the time. The answer is an [`Action`] for the outbox; nothing is sent here.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use chrono::{DateTime, Utc};
use matrix_sdk::Room;
use matrix_sdk::ruma::OwnedTransactionId;
use matrix_sdk::ruma::events::room::message::{
    AddMentions, ForwardThread, MessageType, OriginalSyncRoomMessageEvent, Relation, ReplyMetadata,
    RoomMessageEventContent,
};
use tracing::warn;

use super::scheduler::{self, Request};
use super::{Action, Context};
use crate::command::{self, Command, CommandError};
use crate::network::Network;
use crate::render::{self, Rendered};

/// How many meetings `!schedule` lists, and how far ahead `!next` and `!schedule` look.
const SCHEDULE_COUNT: usize = 5;
const SCHEDULE_HORIZON: chrono::TimeDelta = chrono::TimeDelta::days(400);

/// Decides whether and how to answer a message.
pub(super) fn decide_reply(
    context: &Context,
    room: &Room,
    event: &OriginalSyncRoomMessageEvent,
    now: DateTime<Utc>,
) -> Option<Action> {
    // Commands from before the start are history, not requests: those in the catch-up sync,
    // and those stamped earlier than the start that arrive later (an encrypted message whose
    // key came late).
    let sent = DateTime::<Utc>::from_timestamp_millis(event.origin_server_ts.get().into());
    if !context.caught_up.load(Ordering::SeqCst)
        || sent.is_none_or(|sent| sent < context.started_at)
        || event.sender == context.own_user_id
    {
        return None;
    }
    // Only text from people: notices are what bots send, and answering them loops.
    let MessageType::Text(text) = &event.content.msgtype else {
        return None;
    };
    let network = Arc::clone(&context.network.borrow());
    let language = network.config.language;
    let parsed = command::parse(&text.body)?.and_then(|command| {
        if command.organizers_only() && !network.config.network.organizers.contains(&event.sender) {
            Err(CommandError::NotAllowed { command })
        } else {
            Ok(command)
        }
    });
    let rendered: Rendered = match parsed {
        Ok(Command::Help) => render::help(language, &network.config.network.name),
        Ok(Command::Ping) => render::pong(language, sent.map(|sent| now - sent)),
        Ok(Command::Next) => {
            let next = network.schedule.next_taking_place(now, SCHEDULE_HORIZON);
            render::meeting_details(language, next.as_ref().map(|m| (m, network.agenda(m))))
        }
        Ok(Command::Schedule) => {
            let meetings = network
                .schedule
                .upcoming(now, SCHEDULE_HORIZON, SCHEDULE_COUNT);
            render::schedule_list(language, &meetings)
        }
        Ok(Command::Announce(date)) => {
            let meetings: Vec<_> = network
                .schedule
                .on_date(date)
                .into_iter()
                .filter(crate::schedule::Meeting::takes_place)
                .collect();
            for meeting in &meetings {
                let _ = context
                    .requests
                    .send(Request::Announce(meeting.key.clone()));
            }
            render::announce_ack(language, date, &meetings)
        }
        Ok(Command::Subscribe { rotate }) => subscribe(context, &network, room, rotate, now),
        Ok(Command::Ics(date)) => {
            let meeting = match date {
                None => network.schedule.next_taking_place(now, SCHEDULE_HORIZON),
                Some(date) => network
                    .schedule
                    .on_date(date)
                    .into_iter()
                    .find(crate::schedule::Meeting::takes_place),
            };
            let file = meeting
                .as_ref()
                .and_then(|m| scheduler::invitation(&network, &context.store, m, now));
            match file {
                Some(attachment) => {
                    return Some(Action::SendFile {
                        room_id: room.room_id().to_owned(),
                        transaction_id: reply_transaction_id(event.event_id.as_str()),
                        attachment,
                    });
                }
                None => render::meeting_details(language, None),
            }
        }
        Err(error) => render::command_error(language, &error),
    };
    let thread = match &event.content.relates_to {
        Some(Relation::Thread(thread)) => Some(thread),
        _ => None,
    };
    let content = RoomMessageEventContent::notice_html(rendered.plain, rendered.html)
        .make_reply_to(
            ReplyMetadata::new(&event.event_id, &event.sender, thread),
            ForwardThread::Yes,
            AddMentions::No,
        );
    Some(Action::Send {
        room_id: room.room_id().to_owned(),
        transaction_id: reply_transaction_id(event.event_id.as_str()),
        content: Box::new(content),
    })
}

/// Links to the calendar: the room's private feed in a configured room, the network calendar
/// elsewhere; `rotate` replaces the room's token first.
fn subscribe(
    context: &Context,
    network: &Network,
    room: &Room,
    rotate: bool,
    now: DateTime<Utc>,
) -> Rendered {
    let language = network.config.language;
    let name = &network.config.network.name;
    let Some(calendar) = &network.config.calendar else {
        return render::subscribe(language, name, None, false, false);
    };
    let configured = network.config.rooms().any(|configured| {
        configured.as_str() == room.room_id().as_str()
            || room
                .canonical_alias()
                .is_some_and(|a| a.as_str() == configured.as_str())
            || room
                .alt_aliases()
                .iter()
                .any(|a| a.as_str() == configured.as_str())
    });
    let room_id = room.room_id().as_str();
    let Some(fresh) = new_token() else {
        return render::subscribe(language, name, None, false, false);
    };
    let token = if !configured {
        None
    } else if rotate {
        let token = fresh;
        match context.store.rotate_feed_token(room_id, &token, now) {
            Ok(()) => Some(token),
            Err(error) => {
                warn!(%error, "cannot rotate a feed token");
                None
            }
        }
    } else {
        context
            .store
            .feed_token(room_id, || fresh, now)
            .map_err(|error| warn!(%error, "cannot read a feed token"))
            .ok()
    };
    let path = match &token {
        Some(token) => format!("feeds/{token}.ics"),
        None => "calendar.ics".to_owned(),
    };
    let links = calendar
        .public_url
        .join(&path)
        .ok()
        .map(|url| render::FeedLinks::for_url(&url));
    render::subscribe(
        language,
        name,
        links.as_ref(),
        token.is_some(),
        rotate && token.is_some(),
    )
}

/// A feed token: 160 random bits from the operating system, as hex; none without randomness.
fn new_token() -> Option<String> {
    let mut bytes = [0_u8; 20];
    if let Err(error) = getrandom::fill(&mut bytes) {
        warn!(%error, "no randomness for a feed token");
        return None;
    }
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The transaction id of the answer to an event: derived from the event, so that the homeserver
/// drops a second send of the same answer instead of posting it twice.
fn reply_transaction_id(event_id: &str) -> OwnedTransactionId {
    let safe: String = event_id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    OwnedTransactionId::from(format!("convene-reply-{safe}"))
}
