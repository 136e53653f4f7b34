//! The calendar and the web pages in chat: `!subscribe` (the room's feed and page, or the public
//! calendar), `!web` (the organizers' page) and `!ics` (a meeting's invitation as a file).

use chrono::NaiveDate;
use tracing::warn;

use super::{HORIZON, Invocation, Outcome, Reply, municipality_of, new_token};
use crate::command::CommandError;
use crate::render::organizers::WebAnswer;
use crate::render::{self, Rendered};
use crate::schedule::Meeting;

/// `!subscribe [rotate]`: the room's private feed in a configured room, the network calendar
/// elsewhere if it is public (nothing otherwise); `rotate` replaces the room's token first.
pub fn subscribe(invocation: &Invocation<'_>, rotate: bool) -> Result<Rendered, CommandError> {
    let language = invocation.language();
    let name = &invocation.roster().name;
    let Some(calendar) = &invocation.network.config.calendar else {
        return Ok(render::subscribe(language, name, None, None, false, false));
    };
    let configured = municipality_of(invocation.roster(), invocation.room).is_some();
    let token = if configured {
        Some(feed_token(invocation, rotate)?)
    } else {
        None
    };
    let path = match &token {
        Some(token) => format!("feeds/{token}.ics"),
        None if calendar.public => "calendar.ics".to_owned(),
        None => return Ok(render::subscribe(language, name, None, None, false, false)),
    };
    let links = calendar
        .public_url
        .join(&path)
        .ok()
        .map(|url| render::FeedLinks::for_url(&url));
    // The room's web page is behind the same secret as its feed.
    let page = token
        .as_ref()
        .and_then(|token| calendar.public_url.join(&format!("rooms/{token}")).ok());
    Ok(render::subscribe(
        language,
        name,
        links.as_ref(),
        page.as_ref().map(url::Url::as_str),
        token.is_some(),
        rotate && token.is_some(),
    ))
}

/// The room's feed token: made on first use, replaced with `rotate`.
fn feed_token(invocation: &Invocation<'_>, rotate: bool) -> Result<String, CommandError> {
    let store = invocation.store();
    let room_id = invocation.room.room_id().as_str();
    let fresh = new_token().ok_or(CommandError::Unavailable)?;
    let token = if rotate {
        store
            .rotate_feed_token(room_id, &fresh, invocation.now)
            .map(|()| fresh)
    } else {
        store.feed_token(room_id, || fresh, invocation.now)
    };
    token.map_err(|error| {
        warn!(%error, "cannot read or replace a feed token");
        CommandError::Unavailable
    })
}

/// `!web [rotate]` (organizers; the role is checked before): the organizers' page's link, only
/// in the organizers' room (anywhere else members would see it); `rotate` replaces its token
/// first, so the old link answers 404 at once. Its token is its own, made on the first `!web`.
pub fn web(invocation: &Invocation<'_>, rotate: bool) -> Result<Rendered, CommandError> {
    let language = invocation.language();
    if !invocation.in_organizers_room() {
        return Ok(render::web_answer(language, WebAnswer::WrongRoom));
    }
    let Some(calendar) = &invocation.network.config.calendar else {
        return Ok(render::web_answer(language, WebAnswer::NoServer));
    };
    let store = invocation.store();
    let fresh = new_token().ok_or(CommandError::Unavailable)?;
    let token = if rotate {
        store
            .rotate_organizers_token(&fresh, invocation.now)
            .map(|()| fresh)
    } else {
        store.organizers_token(|| fresh, invocation.now)
    }
    .map_err(|error| {
        warn!(%error, "cannot read or replace the organizers' page token");
        CommandError::Unavailable
    })?;
    let url = calendar
        .public_url
        .join(&format!("organizers/{token}"))
        .map_err(|_| CommandError::Unavailable)?;
    Ok(render::web_answer(
        language,
        WebAnswer::Link {
            url: url.as_str(),
            rotated: rotate,
        },
    ))
}

/// `!ics [date]`: the invitation of the next meeting, or of the meeting on `date`, as a file.
pub fn ics(invocation: &Invocation<'_>, date: Option<NaiveDate>) -> Result<Outcome, CommandError> {
    let network = invocation.network;
    let language = invocation.language();
    let meeting = match date {
        None => network.schedule.next_taking_place(invocation.now, HORIZON),
        Some(date) => network
            .schedule
            .on_date(date)
            .into_iter()
            .find(Meeting::takes_place),
    };
    Ok(match (meeting, date) {
        (Some(meeting), _) => {
            let file = super::super::records::invitation(
                network,
                invocation.store(),
                &meeting,
                invocation.now,
            )
            .ok_or(CommandError::Unavailable)?;
            Outcome {
                answer: Reply::File(file),
                also: Vec::new(),
            }
        }
        (None, Some(date)) => render::no_meeting_on(language, date).into(),
        (None, None) => {
            render::meeting_details(language, None, render::Additions::default()).into()
        }
    })
}
