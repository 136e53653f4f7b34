//! `!help`, `!ping` and `!about`: what the bot can do, that it is there, and what it is.

use crate::command::CommandId;
use crate::render::{self, Rendered};

use super::Invocation;

/// `!help`: the commands the sender may use, or one command explained with an example.
pub fn help(invocation: &Invocation<'_>, topic: Option<CommandId>) -> Rendered {
    let language = invocation.language();
    match topic {
        None => render::help(
            language,
            &invocation.roster().name,
            invocation.audience(),
            render::About::current(&invocation.network.config.source_url),
        ),
        Some(id) => render::command_help(language, id),
    }
}

/// `!ping`: the bot answers, saying how long the message took to reach it.
pub fn ping(invocation: &Invocation<'_>) -> Rendered {
    render::pong(
        invocation.language(),
        Some(invocation.received - invocation.sent),
    )
}

/// `!about`: the bot's version and where its source is.
pub fn about(invocation: &Invocation<'_>) -> Rendered {
    render::about(
        invocation.language(),
        render::About::current(&invocation.network.config.source_url),
    )
}
