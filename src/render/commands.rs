//! The answers about commands and the bot itself: `!help`, `!help <command>`, `!ping`,
//! `!about`, and every refusal of a command ([`CommandError`]), all read from the command table.
//!
//! `!about` and the last line of `!help` offer the bot's source to everyone who talks to it,
//! as the AGPL (§13) asks of a program that users interact with over a network.
//!
//! Text is assembled from [`Part`]s, so the plain body and the HTML body cannot say different
//! things: code is `<code>` in HTML and as typed in plain, everything else is escaped.

use chrono::TimeDelta;
use url::Url;

use super::rendered::{Rendered, escape_html};
use crate::command::{ArgumentError, CommandError, CommandId, Field, Role};
use crate::i18n::Language;

/// A piece of a reply.
enum Part {
    /// Prose.
    Text(String),
    /// Something to type: a command, its usage, an example.
    Code(String),
    /// A link whose text is its address.
    Link(Url),
    /// A line break.
    Break,
}

/// What the bot says about itself: which version runs, and where its source is.
#[derive(Debug, Clone, Copy)]
pub struct About<'a> {
    /// The version, `0.1.0`.
    pub version: &'a str,
    /// Where the source is offered (`source_url` of the configuration).
    pub source: &'a Url,
}

impl<'a> About<'a> {
    /// The bot as built, with its source at `source`.
    pub fn current(source: &'a Url) -> Self {
        Self {
            version: env!("CARGO_PKG_VERSION"),
            source,
        }
    }
}

fn text(text: impl Into<String>) -> Part {
    Part::Text(text.into())
}

fn code(code: impl Into<String>) -> Part {
    Part::Code(code.into())
}

/// Joins parts into one paragraph.
fn paragraph(parts: &[Part]) -> Rendered {
    let mut plain = String::new();
    let mut html = String::new();
    for part in parts {
        match part {
            Part::Text(text) => {
                plain.push_str(text);
                html.push_str(&escape_html(text));
            }
            Part::Code(code) => {
                plain.push_str(code);
                html.push_str("<code>");
                html.push_str(&escape_html(code));
                html.push_str("</code>");
            }
            Part::Link(url) => {
                let url = url.as_str();
                plain.push_str(url);
                let href = escape_html(url);
                html.push_str(&format!("<a href=\"{href}\">{href}</a>"));
            }
            Part::Break => {
                plain.push('\n');
                html.push_str("<br>\n");
            }
        }
    }
    Rendered { plain, html }
}

/// German or English.
fn pick(language: Language, german: &str, english: &str) -> String {
    match language {
        Language::German => german.to_owned(),
        Language::English => english.to_owned(),
    }
}

/// Opening and closing quotation marks.
fn quotes(language: Language) -> (&'static str, &'static str) {
    match language {
        Language::German => ("„", "“"),
        Language::English => ("“", "”"),
    }
}

/// The heading of a role's section of `!help`.
fn section(language: Language, role: Role) -> &'static str {
    match (language, role) {
        (Language::German, Role::Member) => "Für alle Mitglieder:",
        (Language::German, Role::Chair) => "Für die Sitzungsleitung, während das Protokoll läuft:",
        (Language::German, Role::Organizer) => "Für das Organisationsteam:",
        (Language::English, Role::Member) => "For every member:",
        (Language::English, Role::Chair) => "For the chairs, while minutes are being recorded:",
        (Language::English, Role::Organizer) => "For the organizers:",
    }
}

/// The answer to `!help`: the commands of every role up to `audience`, one section per role,
/// one line per command, and a last line with the version and the source.
pub fn help(language: Language, network: &str, audience: Role, about: About<'_>) -> Rendered {
    let intro = match language {
        Language::German => format!(
            "Ich bin convene, der Bot des Netzwerks {network}. Diese Befehle stehen Ihnen zur Verfügung:"
        ),
        Language::English => format!(
            "I am convene, the bot of the {network} network. These are the commands you can use:"
        ),
    };
    let mut plain = intro.clone();
    let mut html = format!("<p>{}</p>\n", escape_html(&intro));
    for role in [Role::Member, Role::Chair, Role::Organizer] {
        if role > audience {
            break;
        }
        let heading = section(language, role);
        plain.push_str("\n\n");
        plain.push_str(heading);
        html.push_str(&format!(
            "<p><strong>{}</strong></p>\n<ul>\n",
            escape_html(heading)
        ));
        for id in CommandId::ALL.iter().filter(|id| id.spec().role == role) {
            let spec = id.spec();
            let usage = spec.usage(language);
            let summary = spec.summary.get(language);
            plain.push_str(&format!("\n• {usage} – {summary}"));
            html.push_str(&format!(
                "<li><code>{}</code> – {}</li>\n",
                escape_html(&usage),
                escape_html(summary)
            ));
        }
        html.push_str("</ul>\n");
    }
    let (open, close) = quotes(language);
    let footer = paragraph(&match language {
        Language::German => vec![
            text("Mit "),
            code("!help <Befehl>"),
            text(" erkläre ich einen Befehl mit Beispiel, z. B. "),
            text(open),
            code("!help agenda add"),
            text(format!("{close}.")),
        ],
        Language::English => vec![
            code("!help <command>"),
            text(" explains one command with an example, e.g. "),
            text(open),
            code("!help agenda add"),
            text(format!("{close}.")),
        ],
    });
    let source = paragraph(&[
        text(format!("convene {} · ", about.version)),
        text(pick(language, "Quelltext: ", "Source code: ")),
        Part::Link(about.source.clone()),
        text(" · "),
        code("!about"),
    ]);
    for part in [&footer, &source] {
        plain.push_str("\n\n");
        plain.push_str(&part.plain);
    }
    html.push_str(&format!("<p>{}</p>\n<p>{}</p>", footer.html, source.html));
    Rendered { plain, html }
}

/// The answer to `!help <command>`: that command (and, for a command with subcommands, each
/// of them) with its usage, what it does, an example, its other names and who may use it.
pub fn command_help(language: Language, id: CommandId) -> Rendered {
    let entries = if id.spec().sub.is_empty() {
        id.with_subcommands()
    } else {
        vec![id]
    };
    let mut parts = Vec::new();
    for (n, entry) in entries.into_iter().enumerate() {
        if n > 0 {
            parts.push(Part::Break);
            parts.push(Part::Break);
        }
        let spec = entry.spec();
        parts.push(code(spec.usage(language)));
        parts.push(text(format!(" – {}.", spec.summary.get(language))));
        parts.push(Part::Break);
        parts.push(text(pick(language, "Beispiel: ", "Example: ")));
        parts.push(code(spec.example.get(language)));
        if let Some(german) = spec.german_name() {
            parts.push(Part::Break);
            parts.push(text(pick(language, "Auch: ", "In German: ")));
            parts.push(code(german));
        }
        let role = match (language, spec.role) {
            (_, Role::Member) => None,
            (Language::German, Role::Chair) => {
                Some("Nur für die Sitzungsleitung des laufenden Protokolls.")
            }
            (Language::German, Role::Organizer) => Some("Nur für das Organisationsteam."),
            (Language::English, Role::Chair) => {
                Some("Only for the chairs of the minutes being recorded.")
            }
            (Language::English, Role::Organizer) => Some("Only for the organizers."),
        };
        if let Some(role) = role {
            parts.push(Part::Break);
            parts.push(text(role));
        }
    }
    paragraph(&parts)
}

/// The answer to `!ping`, with how long the message took from the homeserver to the bot when
/// that is known (clocks of homeserver and bot may differ, so a negative delay is left out).
pub fn pong(language: Language, delay: Option<TimeDelta>) -> Rendered {
    let millis = delay.map(|d| d.num_milliseconds()).filter(|ms| *ms >= 0);
    let plain = match (language, millis) {
        (Language::German, Some(ms)) => {
            format!("Pong – convene ist erreichbar. Ihre Nachricht hat mich nach {ms} ms erreicht.")
        }
        (Language::German, None) => "Pong – convene ist erreichbar.".to_owned(),
        (Language::English, Some(ms)) => {
            format!("Pong – convene is up. Your message reached me after {ms} ms.")
        }
        (Language::English, None) => "Pong – convene is up.".to_owned(),
    };
    paragraph(&[text(plain)])
}

/// The answer to `!about`: the bot's name and version, its license, and where its source is.
pub fn about(language: Language, about: About<'_>) -> Rendered {
    let version = about.version;
    let (intro, license, source) = match language {
        Language::German => (
            format!(
                "Ich bin convene, Version {version}: ein Matrix-Bot für Netzwerke von Kommunen, der Termine ankündigt, Kalendereinladungen verschickt und Tagesordnungen und Protokolle führt."
            ),
            "convene ist freie Software unter der GNU Affero General Public License, Version 3 oder später (AGPL-3.0-or-later). Sie dürfen den Quelltext unter diesen Bedingungen nutzen, verändern und weitergeben.",
            "Quelltext: ",
        ),
        Language::English => (
            format!(
                "I am convene, version {version}: a Matrix bot for networks of municipalities that announces meetings, sends calendar invitations and keeps agendas and minutes."
            ),
            "convene is free software under the GNU Affero General Public License, version 3 or later (AGPL-3.0-or-later). You may use, change and share its source code under those terms.",
            "Source code: ",
        ),
    };
    paragraph(&[
        text(intro),
        Part::Break,
        text(license),
        Part::Break,
        text(source),
        Part::Link(about.source.clone()),
    ])
}

/// The answer to `!ics <date>` when no meeting takes place that day.
pub fn no_meeting_on(language: Language, date: chrono::NaiveDate) -> Rendered {
    paragraph(&match language {
        Language::German => vec![
            text(format!(
                "Am {} findet kein Termin statt. Die nächsten Termine zeigt ",
                date.format("%d.%m.%Y")
            )),
            code("!schedule"),
            text("."),
        ],
        Language::English => vec![
            text(format!(
                "No meeting takes place on {}. ",
                date.format("%-d %B %Y")
            )),
            code("!schedule"),
            text(" lists the coming ones."),
        ],
    })
}

/// What a member reads when the bot failed (its database, its random source): nothing was
/// changed, and trying again may help. Also the minutes commands' failure.
pub(super) fn unavailable(language: Language) -> &'static str {
    match language {
        Language::German => {
            "Das konnte ich wegen einer Störung des Bots leider nicht erledigen; es wurde nichts geändert. Bitte versuchen Sie es in einigen Minuten erneut. Besteht die Störung fort, wenden Sie sich bitte an das Organisationsteam."
        }
        Language::English => {
            "I could not do that because of a fault in the bot; nothing was changed. Please try again in a few minutes. If the fault persists, please tell the organizers."
        }
    }
}

/// Where a member finds the numbers a command takes.
fn numbers_listed_by(id: CommandId) -> Option<CommandId> {
    match id {
        CommandId::AgendaWithdraw => Some(CommandId::AgendaMine),
        CommandId::AgendaAccept | CommandId::AgendaReject | CommandId::AgendaDefer => {
            Some(CommandId::AgendaProposals)
        }
        CommandId::Done => Some(CommandId::Actions),
        CommandId::MinutesEdit => Some(CommandId::Minutes),
        _ => None,
    }
}

/// The answer to a command the bot does not carry out: why, in the member's terms, and how
/// to write it instead.
pub fn command_error(language: Language, error: &CommandError) -> Rendered {
    let (open, close) = quotes(language);
    let german = language == Language::German;
    let parts = match error {
        CommandError::Unknown(name) => match language {
            Language::German => vec![
                text(format!("Den Befehl {open}")),
                code(name.as_str()),
                text(format!(
                    "{close} kenne ich nicht. Eine Übersicht der Befehle erhalten Sie mit "
                )),
                code("!help"),
                text("."),
            ],
            Language::English => vec![
                text(format!("I don't know the command {open}")),
                code(name.as_str()),
                text(format!("{close}. Send ")),
                code("!help"),
                text(" for a list of commands."),
            ],
        },
        CommandError::UnknownSubcommand { command, given } => {
            let name = command.name();
            let mut parts = vec![
                text(open),
                code(given.as_str()),
                text(if german {
                    format!("{close} kennt der Befehl ")
                } else {
                    format!("{close} is not a subcommand of ")
                }),
                code(name.clone()),
                text(if german {
                    " nicht. Möglich sind: "
                } else {
                    ". These are: "
                }),
            ];
            let subcommands: Vec<CommandId> = command
                .with_subcommands()
                .into_iter()
                .filter(|id| !id.spec().sub.is_empty())
                .collect();
            for (n, sub) in subcommands.iter().enumerate() {
                if n > 0 {
                    parts.push(text(", "));
                }
                parts.push(code(sub.spec().usage(language)));
            }
            parts.push(text(if german {
                ". Mehr dazu mit "
            } else {
                ". More with "
            }));
            parts.push(code(format!("!help {}", command.spec().names[0])));
            parts.push(text("."));
            parts
        }
        CommandError::Arguments { command, error } => arguments(language, *command, error),
        CommandError::NotAllowed { command } => match language {
            Language::German => vec![
                text("Der Befehl "),
                code(command.name()),
                text(" ist dem Organisationsteam des Netzwerks vorbehalten."),
            ],
            Language::English => vec![
                text("Only the network's organizers may use "),
                code(command.name()),
                text("."),
            ],
        },
        CommandError::NotChair { command } => match language {
            Language::German => vec![
                text("Den Befehl "),
                code(command.name()),
                text(
                    " kann nur die Sitzungsleitung des laufenden Protokolls verwenden. Wer zur Sitzungsleitung gehört, kann Sie mit ",
                ),
                code("!chair"),
                text(" aufnehmen."),
            ],
            Language::English => vec![
                text("Only the chairs of the minutes being recorded may use "),
                code(command.name()),
                text(". A chair can add you with "),
                code("!chair"),
                text("."),
            ],
        },
        CommandError::TooManyCommands { max } => vec![text(match language {
            Language::German => format!(
                "Eine Nachricht darf höchstens {max} Befehle enthalten; ich habe keinen davon ausgeführt. Bitte teilen Sie die Befehle auf mehrere Nachrichten auf."
            ),
            Language::English => format!(
                "One message may hold at most {max} commands; I ran none of them. Please split them over several messages."
            ),
        })],
        CommandError::Unavailable => vec![text(unavailable(language))],
    };
    paragraph(&parts)
}

/// What is wrong with a known command's arguments, with its usage or example.
fn arguments(language: Language, command: CommandId, error: &ArgumentError) -> Vec<Part> {
    let (open, close) = quotes(language);
    let german = language == Language::German;
    let spec = command.spec();
    let name = command.name();
    let how = |parts: &mut Vec<Part>| {
        parts.push(text(if german {
            "So wird der Befehl geschrieben: "
        } else {
            "This is how to write it: "
        }));
        parts.push(code(spec.usage(language)));
        parts.push(Part::Break);
        parts.push(text(if german { "Beispiel: " } else { "Example: " }));
        parts.push(code(spec.example.get(language)));
    };
    let mut parts = Vec::new();
    match error {
        ArgumentError::Usage => {
            parts.push(text(if german {
                "Bei "
            } else {
                "Something is missing or wrong in "
            }));
            parts.push(code(name));
            parts.push(text(if german {
                " fehlt eine Angabe oder sie ist falsch geschrieben. "
            } else {
                ". "
            }));
            how(&mut parts);
        }
        ArgumentError::Unexpected => {
            parts.push(text(if german { "Der Befehl " } else { "" }));
            parts.push(code(name.clone()));
            parts.push(text(if german {
                format!(" erwartet keine weiteren Angaben. Bitte senden Sie nur {open}")
            } else {
                format!(" takes nothing after it. Please send just {open}")
            }));
            parts.push(code(name));
            parts.push(text(format!("{close}.")));
        }
        ArgumentError::NotADate { given } => {
            if let Some(given) = given {
                parts.push(text(open));
                parts.push(code(given.as_str()));
                parts.push(text(if german {
                    format!("{close} ist kein Datum. ")
                } else {
                    format!("{close} is not a date. ")
                }));
            }
            parts.push(text(if german {
                "Bitte schreiben Sie das Datum in der Form TT.MM.JJJJ, z. B. "
            } else {
                "Please write the date as YYYY-MM-DD, e.g. "
            }));
            parts.push(text(open));
            parts.push(code(spec.example.get(language)));
            parts.push(text(format!("{close}.")));
        }
        ArgumentError::NotANumber { given } => {
            parts.push(text(open));
            parts.push(code(given.as_str()));
            parts.push(text(if german {
                format!("{close} ist keine gültige Nummer (eine ganze Zahl ab 1). ")
            } else {
                format!("{close} is not a valid number (a whole number from 1). ")
            }));
            if let Some(list) = numbers_listed_by(command) {
                parts.push(text(if german {
                    "Die Nummern zeigt "
                } else {
                    "The numbers are shown by "
                }));
                parts.push(code(list.name()));
                parts.push(text(". "));
            }
            how(&mut parts);
        }
        ArgumentError::IdTooLong { length } => {
            let max = crate::limits::MAX_MATRIX_ID;
            parts.push(text(match language {
                Language::German => format!(
                    "Die Matrix-ID ist {} Bytes lang; Matrix erlaubt höchstens {max} Bytes (mit @ und Servername). ",
                    grouped(*length)
                ),
                Language::English => format!(
                    "The Matrix ID has {length} bytes; Matrix allows at most {max} (with the @ and the server name). "
                ),
            }));
            how(&mut parts);
        }
        ArgumentError::TooLong { field, length, max } => {
            let (what, it) = match (language, field) {
                (Language::German, Field::Title) => ("Der Titel", "ihn"),
                (Language::German, Field::Description) => ("Die Beschreibung", "sie"),
                (Language::German, Field::Reason) => ("Die Begründung", "sie"),
                (Language::German, Field::Text) => ("Der Text", "ihn"),
                (Language::German, Field::Link) => ("Der Link", "ihn"),
                (Language::English, Field::Title) => ("The title", "it"),
                (Language::English, Field::Description) => ("The description", "it"),
                (Language::English, Field::Reason) => ("The reason", "it"),
                (Language::English, Field::Text) => ("The text", "it"),
                (Language::English, Field::Link) => ("The link", "it"),
            };
            parts.push(text(match language {
                Language::German => format!(
                    "{what} ist {} Zeichen lang; erlaubt sind höchstens {}. Bitte kürzen Sie {it}.",
                    grouped(*length),
                    grouped(*max)
                ),
                Language::English => format!(
                    "{what} has {length} characters; at most {max} are allowed. Please shorten {it}."
                ),
            }));
        }
    }
    parts
}

/// The one reply to a message with several commands: their answers one after the other, as
/// many as fit one message; the others' commands were carried out all the same, and the reply
/// says so.
pub fn answers(language: Language, answers: &[Rendered]) -> Rendered {
    super::size::join_fitting(answers, ("\n\n", "<br>\n<br>\n"), |left_out| {
        let text = match (language, left_out) {
            (Language::German, 1) => "1 weiterer Befehl wurde ausgeführt; seine Antwort passt nicht mehr in diese Nachricht.".to_owned(),
            (Language::German, n) => format!("{n} weitere Befehle wurden ausgeführt; ihre Antworten passen nicht mehr in diese Nachricht."),
            (Language::English, 1) => "1 more command was carried out; its answer does not fit into this message.".to_owned(),
            (Language::English, n) => format!("{n} more commands were carried out; their answers do not fit into this message."),
        };
        Rendered {
            html: escape_html(&text),
            plain: text,
        }
    })
}

/// A count as German readers write it: `4.000`.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_are_grouped_the_german_way() {
        assert_eq!(super::grouped(200), "200");
        assert_eq!(super::grouped(4_000), "4.000");
        assert_eq!(super::grouped(1_234_567), "1.234.567");
    }
}
