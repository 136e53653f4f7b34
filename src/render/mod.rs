//! The texts the bot sends, rendered in its language as a plain body and an HTML body.
//!
//! Pure functions: no I/O, no clock. Anything that came from a user is escaped for HTML here,
//! and shortened where it is quoted back, so hostile text can never change a message's markup.

mod meetings;
mod minutes;
mod proposals;

use std::fmt::Write as _;

use chrono::TimeDelta;

use crate::command::{Command, CommandError};
use crate::i18n::Language;

/// A message in both forms Matrix clients show: `body` and `formatted_body`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Plain text, for clients and notifications without HTML.
    pub plain: String,
    /// The `org.matrix.custom.html` form.
    pub html: String,
}

pub use meetings::{
    Additions, FanOutReport, FeedLinks, RoomOutcome, announce_ack, change_notice, date_range,
    delivery_summary, failure_reason, follow_up_report, meeting_details, meeting_title,
    missed_notice, post, reload_errors, schedule_list, schedule_table, subscribe,
};
pub use minutes::{
    DoneOutcome, MinutesReply, Publication, RecordedKind, action_done, action_line, action_list,
    action_reminder, date_short, escape_markdown, minutes_draft, minutes_list, minutes_markdown,
    minutes_message, minutes_reply, minutes_summary,
};
pub use proposals::{
    Outcome, cannot_propose, no_such_part, no_such_proposal, proposal_added, proposal_list,
    proposal_outcome, too_many_proposals,
};

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

/// The answer to `!help`: every command with one line each.
pub fn help(language: Language, network: &str) -> Rendered {
    let intro = match language {
        Language::German => format!(
            "Ich bin convene, der Bot des Netzwerks {network}. Diese Befehle stehen Ihnen zur Verfügung:"
        ),
        Language::English => format!(
            "I am convene, the bot of the {network} network. These are the commands you can use:"
        ),
    };
    let mut plain = intro.clone();
    let mut html = format!("<p>{}</p>\n<ul>\n", escape_html(&intro));
    for line in Command::HELP {
        let text = match language {
            Language::German => line.german,
            Language::English => line.english,
        };
        let _ = write!(plain, "\n{} – {text}", line.usage);
        let _ = writeln!(
            html,
            "<li><code>{}</code> – {}</li>",
            line.usage,
            escape_html(text)
        );
    }
    html.push_str("</ul>");
    Rendered { plain, html }
}

/// The answer to `!ping`, with how long the message took from the homeserver to the bot when
/// that is known (clocks of homeserver and bot may differ, so a negative delay is left out).
pub fn pong(language: Language, delay: Option<TimeDelta>) -> Rendered {
    let millis = delay.map(|d| d.num_milliseconds()).filter(|ms| *ms >= 0);
    let plain = match (language, millis) {
        (Language::German, Some(ms)) => {
            format!("Pong – convene ist erreichbar. Ihre Nachricht war nach {ms} ms bei mir.")
        }
        (Language::German, None) => "Pong – convene ist erreichbar.".to_owned(),
        (Language::English, Some(ms)) => {
            format!("Pong – convene is up. Your message reached me after {ms} ms.")
        }
        (Language::English, None) => "Pong – convene is up.".to_owned(),
    };
    let html = escape_html(&plain);
    Rendered { plain, html }
}

/// The answer to a message that looks like a command but is not one the bot can run.
pub fn command_error(language: Language, error: &CommandError) -> Rendered {
    match (language, error) {
        (Language::German, CommandError::Unknown(name)) => Rendered {
            plain: format!(
                "Den Befehl „{name}“ kenne ich leider nicht. Mit !help erhalten Sie eine Übersicht aller Befehle."
            ),
            html: format!(
                "Den Befehl „<code>{}</code>“ kenne ich leider nicht. Mit <code>!help</code> erhalten Sie eine Übersicht aller Befehle.",
                escape_html(name)
            ),
        },
        (Language::English, CommandError::Unknown(name)) => Rendered {
            plain: format!("I don't know the command “{name}”. Send !help for a list of commands."),
            html: format!(
                "I don't know the command “<code>{}</code>”. Send <code>!help</code> for a list of commands.",
                escape_html(name)
            ),
        },
        (Language::German, CommandError::UnexpectedArguments { command }) => Rendered {
            plain: format!(
                "Der Befehl {command} erwartet keine weiteren Angaben. Bitte senden Sie nur „{command}“."
            ),
            html: format!(
                "Der Befehl <code>{command}</code> erwartet keine weiteren Angaben. Bitte senden Sie nur „<code>{command}</code>“."
            ),
        },
        (Language::English, CommandError::UnexpectedArguments { command }) => Rendered {
            plain: format!("{command} takes nothing after it. Please send just “{command}”."),
            html: format!(
                "<code>{command}</code> takes nothing after it. Please send just “<code>{command}</code>”."
            ),
        },
        (Language::German, CommandError::MissingDate { given }) => {
            let given = given
                .as_deref()
                .map(|g| format!("„{g}“ ist kein Datum. "))
                .unwrap_or_default();
            Rendered {
                plain: format!(
                    "{given}Bitte geben Sie das Datum des Termins an, z. B. „!announce 17.12.2026“."
                ),
                html: format!(
                    "{}Bitte geben Sie das Datum des Termins an, z. B. „<code>!announce 17.12.2026</code>“.",
                    escape_html(&given)
                ),
            }
        }
        (Language::English, CommandError::MissingDate { given }) => {
            let given = given
                .as_deref()
                .map(|g| format!("“{g}” is not a date. "))
                .unwrap_or_default();
            Rendered {
                plain: format!(
                    "{given}Please give the meeting's date, e.g. “!announce 2026-12-17”."
                ),
                html: format!(
                    "{}Please give the meeting's date, e.g. “<code>!announce 2026-12-17</code>”.",
                    escape_html(&given)
                ),
            }
        }
        (Language::German, CommandError::Usage { usage }) => Rendered {
            plain: format!("So lautet der Befehl: {usage}. Eine Übersicht zeigt !help."),
            html: format!(
                "So lautet der Befehl: <code>{}</code>. Eine Übersicht zeigt <code>!help</code>.",
                escape_html(usage)
            ),
        },
        (Language::English, CommandError::Usage { usage }) => Rendered {
            plain: format!("The command is: {usage}. !help lists all commands."),
            html: format!(
                "The command is: <code>{}</code>. <code>!help</code> lists all commands.",
                escape_html(usage)
            ),
        },
        (Language::German, CommandError::NotANumber { given }) => {
            let plain = format!(
                "„{given}“ ist keine Vorschlagsnummer. Ihre Vorschläge mit Nummern zeigt !agenda mine."
            );
            Rendered {
                html: escape_html(&plain),
                plain,
            }
        }
        (Language::English, CommandError::NotANumber { given }) => {
            let plain = format!(
                "“{given}” is not a proposal number. !agenda mine lists yours with their numbers."
            );
            Rendered {
                html: escape_html(&plain),
                plain,
            }
        }
        (Language::German, CommandError::TooLong { what, length, max }) => {
            let what = match *what {
                "title" => "Der Titel",
                "description" => "Die Beschreibung",
                "text" => "Der Text",
                _ => "Die Begründung",
            };
            let plain = format!(
                "{what} ist {length} Zeichen lang; erlaubt sind höchstens {max}. Bitte kürzen Sie."
            );
            Rendered {
                html: escape_html(&plain),
                plain,
            }
        }
        (Language::English, CommandError::TooLong { what, length, max }) => {
            let plain = format!(
                "The {what} has {length} characters; at most {max} are allowed. Please shorten it."
            );
            Rendered {
                html: escape_html(&plain),
                plain,
            }
        }
        (Language::German, CommandError::NotAllowed { command }) => Rendered {
            plain: format!(
                "Der Befehl {} ist der Organisation des Netzwerks vorbehalten.",
                command.name()
            ),
            html: format!(
                "Der Befehl <code>{}</code> ist der Organisation des Netzwerks vorbehalten.",
                command.name()
            ),
        },
        (Language::German, CommandError::NotChair { command }) => Rendered {
            plain: format!(
                "Den Befehl {} kann nur der Vorsitz des laufenden Protokolls verwenden. Ein Mitglied des Vorsitzes kann Sie mit !chair aufnehmen.",
                command.name()
            ),
            html: format!(
                "Den Befehl <code>{}</code> kann nur der Vorsitz des laufenden Protokolls verwenden. Ein Mitglied des Vorsitzes kann Sie mit <code>!chair</code> aufnehmen.",
                command.name()
            ),
        },
        (Language::English, CommandError::NotChair { command }) => Rendered {
            plain: format!(
                "Only the chairs of the minutes being recorded may use {}. A chair can add you with !chair.",
                command.name()
            ),
            html: format!(
                "Only the chairs of the minutes being recorded may use <code>{}</code>. A chair can add you with <code>!chair</code>.",
                command.name()
            ),
        },
        (Language::German, CommandError::TooManyCommands { max }) => {
            let plain = format!(
                "Eine Nachricht darf höchstens {max} Befehle enthalten; ich habe keinen davon ausgeführt. Bitte teilen Sie sie auf."
            );
            Rendered {
                html: escape_html(&plain),
                plain,
            }
        }
        (Language::English, CommandError::TooManyCommands { max }) => {
            let plain = format!(
                "One message may hold at most {max} commands; I ran none of them. Please split them up."
            );
            Rendered {
                html: escape_html(&plain),
                plain,
            }
        }
        (Language::English, CommandError::NotAllowed { command }) => Rendered {
            plain: format!("Only the network's organizers may use {}.", command.name()),
            html: format!(
                "Only the network's organizers may use <code>{}</code>.",
                command.name()
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape_html(r#"<b onclick="x">'&'</b>"#),
            "&lt;b onclick=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;"
        );
    }
}
