//! The answers about commands and the bot itself: `!help`, `!help <command>`, `!ping`,
//! `!about`, and every refusal of a command ([`CommandError`]), all read from the command table.
//!
//! `!about` and the last line of `!help` offer the bot's source to everyone who talks to it,
//! as the AGPL (§13) asks of a program that users interact with over a network.
//!
//! Text is assembled from [`Part`]s, so the plain body and the HTML body cannot say different
//! things: code is `<code>` in HTML and as typed in plain, everything else is escaped.

use chrono::{DateTime, TimeDelta};
use chrono_tz::Tz;
use url::Url;

use super::common::quotation_marks;
use super::rendered::{Rendered, escape_html};
use crate::command::{ArgumentError, CommandError, CommandId, Field, Role};
use crate::i18n::{Language, Text};
use crate::text;

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

/// The parts of a text in which what to type is written between backticks and a line break
/// starts a new line: "Senden Sie `!help`." Where the languages put code in a different
/// place of the sentence, the whole sentence is one [`text!`](crate::text) in this form.
///
/// A backslash makes the next character plain text; every value put into such a text goes
/// through [`typed`], so a backtick in a name a member typed can never end or start code.
fn marked(text: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut in_code = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => current.extend(chars.next()),
            '`' => {
                let piece = std::mem::take(&mut current);
                parts.push(if in_code {
                    Part::Code(piece)
                } else {
                    Part::Text(piece)
                });
                in_code = !in_code;
            }
            '\n' if !in_code => {
                parts.push(Part::Text(std::mem::take(&mut current)));
                parts.push(Part::Break);
            }
            c => current.push(c),
        }
    }
    parts.push(if in_code {
        Part::Code(current)
    } else {
        Part::Text(current)
    });
    parts
}

/// `value` for a [`marked`] text: backticks, backslashes and line breaks in it stay what
/// they are.
fn typed(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '`' | '\\' | '\n') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// The label of the link to the bot's source.
const SOURCE_CODE: Text = text!(const de: "Quelltext: ", en: "Source code: ");

/// The heading of a role's section of `!help`.
fn section(role: Role) -> Text {
    match role {
        Role::Member => text!(const de: "Für alle Mitglieder:", en: "For every member:"),
        Role::Chair => text!(
            const de: "Für die Sitzungsleitung, während das Protokoll läuft:",
            en: "For the chairs, while minutes are being recorded:",
        ),
        Role::Organizer => text!(const de: "Für das Organisationsteam:", en: "For the organizers:"),
    }
}

/// Who alone may use a command, as `!help <command>` says it; nothing for every member.
fn only_for(role: Role) -> Option<Text> {
    match role {
        Role::Member => None,
        Role::Chair => Some(text!(
            const de: "Nur für die Sitzungsleitung des laufenden Protokolls.",
            en: "Only for the chairs of the minutes being recorded.",
        )),
        Role::Organizer => Some(text!(
            const de: "Nur für das Organisationsteam.",
            en: "Only for the organizers.",
        )),
    }
}

/// The answer to `!help`: the commands of every role up to `audience`, one section per role,
/// one line per command, and a last line with the version and the source.
pub fn help(language: Language, network: &str, audience: Role, about: About<'_>) -> Rendered {
    let intro = text!(
        de: "Ich bin convene, der Bot des Netzwerks {network}. Diese Befehle stehen Ihnen zur Verfügung:",
        en: "I am convene, the bot of the {network} network. These are the commands you can use:",
    )
    .take(language);
    let mut plain = intro.clone();
    let mut html = format!("<p>{}</p>\n", escape_html(&intro));
    for role in [Role::Member, Role::Chair, Role::Organizer] {
        if role > audience {
            break;
        }
        let heading = section(role);
        let heading = heading.get(language);
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
    let [open, close, ..] = quotation_marks(language);
    let footer = paragraph(&marked(
        text!(
            de: "Mit `!help <Befehl>` erkläre ich einen Befehl mit Beispiel, z. B. {open}`!help agenda add`{close}.",
            en: "`!help <command>` explains one command with an example, e.g. {open}`!help agenda add`{close}.",
        )
        .get(language),
    ));
    let source = paragraph(&[
        text(format!("convene {} · ", about.version)),
        text(SOURCE_CODE.get(language)),
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
        parts.push(text(
            text!(const de: "Beispiel: ", en: "Example: ").get(language),
        ));
        parts.push(code(spec.example.get(language)));
        if let Some(german) = spec.german_name() {
            parts.push(Part::Break);
            parts.push(text(
                text!(const de: "Auch: ", en: "In German: ").get(language),
            ));
            parts.push(code(german));
        }
        if let Some(role) = only_for(spec.role) {
            parts.push(Part::Break);
            parts.push(text(role.get(language)));
        }
    }
    paragraph(&parts)
}

/// The answer to `!ping`, with how long the message took from the homeserver to the bot when
/// that is known (clocks of homeserver and bot may differ, so a negative delay is left out).
pub fn pong(language: Language, delay: Option<TimeDelta>) -> Rendered {
    let millis = delay.map(|d| d.num_milliseconds()).filter(|ms| *ms >= 0);
    let plain = match millis {
        Some(ms) => text!(
            de: "Pong – convene ist erreichbar. Ihre Nachricht hat mich nach {ms} ms erreicht.",
            en: "Pong – convene is up. Your message reached me after {ms} ms.",
        ),
        None => text!(de: "Pong – convene ist erreichbar.", en: "Pong – convene is up."),
    };
    paragraph(&[text(plain.take(language))])
}

/// When something happened, as a late answer says it: the time of day (`10:02`), with the date
/// in front if it was not on the day of `today`.
fn moment(language: Language, at: DateTime<Tz>, today: DateTime<Tz>) -> String {
    let time = at.format("%H:%M").to_string();
    if at.date_naive() == today.date_naive() {
        time
    } else {
        format!(
            "{} {time}",
            super::common::date_short(language, at.date_naive())
        )
    }
}

/// The first line of an answer given late, saying why: the bot was away (`away`: since when, if
/// it knows, until it came back), or the message reached it late (the homeserver was slow).
/// Times in the network's time zone.
pub fn late_answer(
    language: Language,
    sent: DateTime<Tz>,
    away: Option<(Option<DateTime<Tz>>, DateTime<Tz>)>,
    received: DateTime<Tz>,
) -> Rendered {
    let line = match away {
        Some((Some(from), until)) => {
            let (from, until) = (
                moment(language, from, until),
                moment(language, until, until),
            );
            text!(
                de: "Verspätet beantwortet – der Bot war von {from} bis {until} Uhr nicht erreichbar.",
                en: "Answered late – the bot was unreachable from {from} to {until}.",
            )
        }
        Some((None, until)) => {
            let until = moment(language, until, until);
            text!(
                de: "Verspätet beantwortet – der Bot war bis {until} Uhr nicht erreichbar.",
                en: "Answered late – the bot was unreachable until {until}.",
            )
        }
        None => {
            let (sent, received) = (
                moment(language, sent, received),
                moment(language, received, received),
            );
            text!(
                de: "Verspätet beantwortet – Ihre Nachricht von {sent} Uhr hat den Bot erst um {received} Uhr erreicht.",
                en: "Answered late – your message of {sent} reached the bot only at {received}.",
            )
        }
    };
    paragraph(&[text(line.take(language))])
}

/// The one answer to a command older than `bound` when the bot got it: not carried out, and
/// why, with the request to send it again.
pub fn too_late(
    language: Language,
    sent: DateTime<Tz>,
    received: DateTime<Tz>,
    bound: TimeDelta,
) -> Rendered {
    let sent = moment(language, sent, received);
    let hours = bound.num_hours();
    let line = text!(
        de: "Ihre Nachricht von {sent} Uhr hat den Bot erst nach mehr als {hours} Stunden erreicht; er war so lange nicht erreichbar. Sie wurde deshalb nicht ausgeführt. Bitte senden Sie sie noch einmal, wenn sie noch gilt.",
        en: "Your message of {sent} reached the bot only after more than {hours} hours; it was unreachable that long. So it was not carried out. Please send it again if it still applies.",
    );
    paragraph(&[text(line.take(language))])
}

/// The organizers' notice that a room's timeline had a gap the bot could not read: more than
/// `limit` events arrived in `room` between two of its syncs (it was away that long, or slow),
/// and the homeserver gives only the newest `limit`.
pub fn timeline_gap(language: Language, room: &str, limit: u32) -> Rendered {
    let line = text!(
        de: "Im Raum „{room}“ sind mehr als {limit} Nachrichten auf einmal eingegangen, während der Bot nicht erreichbar oder zu langsam war. Er hat nur die letzten {limit} gelesen: ältere Befehle und Abstimmungen darunter sind ihm entgangen. Bitten Sie die Mitglieder dort, wichtige Befehle noch einmal zu senden.",
        en: "More than {limit} messages arrived at once in the room “{room}” while the bot was unreachable or too slow. It read only the last {limit}: older commands and votes among them were missed. Please ask the members there to send important commands again.",
    );
    paragraph(&[text(line.take(language))])
}

/// The answer to `!about`: the bot's name and version, its license, and where its source is.
pub fn about(language: Language, about: About<'_>) -> Rendered {
    let version = about.version;
    let intro = text!(
        de: "Ich bin convene, Version {version}: ein Matrix-Bot für Netzwerke von Kommunen, der Termine ankündigt, Kalendereinladungen verschickt und Tagesordnungen und Protokolle führt.",
        en: "I am convene, version {version}: a Matrix bot for networks of municipalities that announces meetings, sends calendar invitations and keeps agendas and minutes.",
    );
    let license = text!(
        const de: "convene ist freie Software unter der GNU Affero General Public License, Version 3 oder später (AGPL-3.0-or-later). Sie dürfen den Quelltext unter diesen Bedingungen nutzen, verändern und weitergeben.",
        en: "convene is free software under the GNU Affero General Public License, version 3 or later (AGPL-3.0-or-later). You may use, change and share its source code under those terms.",
    );
    paragraph(&[
        text(intro.take(language)),
        Part::Break,
        text(license.get(language)),
        Part::Break,
        text(SOURCE_CODE.get(language)),
        Part::Link(about.source.clone()),
    ])
}

/// The answer to `!ics <date>` when no meeting takes place that day.
pub fn no_meeting_on(language: Language, date: chrono::NaiveDate) -> Rendered {
    paragraph(&marked(
        text!(
            de: "Am {date_de} findet kein Termin statt. Die nächsten Termine zeigt `!schedule`.",
            en: "No meeting takes place on {date_en}. `!schedule` lists the coming ones.";
            date_de = date.format("%d.%m.%Y"),
            date_en = date.format("%-d %B %Y"),
        )
        .get(language),
    ))
}

/// What a member reads when the bot failed (its database, its random source): nothing was
/// changed, and trying again may help. Also the minutes commands' failure.
pub(super) const UNAVAILABLE: Text = text!(
    const de: "Das konnte ich wegen einer Störung des Bots leider nicht erledigen; es wurde nichts geändert. Bitte versuchen Sie es in einigen Minuten erneut. Besteht die Störung fort, wenden Sie sich bitte an das Organisationsteam.",
    en: "I could not do that because of a fault in the bot; nothing was changed. Please try again in a few minutes. If the fault persists, please tell the organizers.",
);

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
    let [open, close, ..] = quotation_marks(language);
    let reply = match error {
        CommandError::Unknown(name) => text!(
            de: "Den Befehl {open}`{name}`{close} kenne ich nicht. Eine Übersicht der Befehle erhalten Sie mit `!help`.",
            en: "I don't know the command {open}`{name}`{close}. Send `!help` for a list of commands.";
            name = typed(name),
        )
        .take(language),
        CommandError::UnknownSubcommand { command, given } => {
            unknown_subcommand(language, *command, given)
        }
        CommandError::Arguments { command, error } => arguments(language, *command, error),
        CommandError::NotAllowed { command } => text!(
            de: "Der Befehl `{name}` ist dem Organisationsteam des Netzwerks vorbehalten.",
            en: "Only the network's organizers may use `{name}`.";
            name = typed(&command.name()),
        )
        .take(language),
        CommandError::NotChair { command } => text!(
            de: "Den Befehl `{name}` kann nur die Sitzungsleitung des laufenden Protokolls verwenden. Wer zur Sitzungsleitung gehört, kann Sie mit `!chair` aufnehmen.",
            en: "Only the chairs of the minutes being recorded may use `{name}`. A chair can add you with `!chair`.";
            name = typed(&command.name()),
        )
        .take(language),
        CommandError::TooManyCommands { max } => text!(
            de: "Eine Nachricht darf höchstens {max} Befehle enthalten; ich habe keinen davon ausgeführt. Bitte teilen Sie die Befehle auf mehrere Nachrichten auf.",
            en: "One message may hold at most {max} commands; I ran none of them. Please split them over several messages.",
        )
        .take(language),
        CommandError::Unavailable => UNAVAILABLE.take(language),
    };
    paragraph(&marked(&reply))
}

/// A subcommand `command` does not have: which ones it has (as a [`marked`] text).
fn unknown_subcommand(language: Language, command: CommandId, given: &str) -> String {
    let [open, close, ..] = quotation_marks(language);
    let subcommands: Vec<String> = command
        .with_subcommands()
        .into_iter()
        .filter(|id| !id.spec().sub.is_empty())
        .map(|sub| format!("`{}`", typed(&sub.spec().usage(language))))
        .collect();
    text!(
        de: "{open}`{given}`{close} kennt der Befehl `{name}` nicht. Möglich sind: {subcommands}. Mehr dazu mit `!help {first}`.",
        en: "{open}`{given}`{close} is not a subcommand of `{name}`. These are: {subcommands}. More with `!help {first}`.";
        given = typed(given),
        name = typed(&command.name()),
        subcommands = subcommands.join(", "),
        first = typed(command.spec().names[0]),
    )
    .take(language)
}

/// What is wrong with a known command's arguments, with its usage or example (as a
/// [`marked`] text).
fn arguments(language: Language, command: CommandId, error: &ArgumentError) -> String {
    let [open, close, ..] = quotation_marks(language);
    let spec = command.spec();
    let name = typed(&command.name());
    let how_to_write = || {
        text!(
            de: "So wird der Befehl geschrieben: `{usage}`\nBeispiel: `{example}`",
            en: "This is how to write it: `{usage}`\nExample: `{example}`";
            usage = typed(&spec.usage(language)),
            example = typed(spec.example.get(language)),
        )
        .take(language)
    };
    match error {
        ArgumentError::Usage => text!(
            de: "Bei `{name}` fehlt eine Angabe oder sie ist falsch geschrieben. {how}",
            en: "Something is missing or wrong in `{name}`. {how}";
            how = how_to_write(),
        )
        .take(language),
        ArgumentError::Unexpected => text!(
            de: "Der Befehl `{name}` erwartet keine weiteren Angaben. Bitte senden Sie nur {open}`{name}`{close}.",
            en: "`{name}` takes nothing after it. Please send just {open}`{name}`{close}.",
        )
        .take(language),
        ArgumentError::NotADate { given } => {
            not_a_date(language, given.as_deref(), spec.example.get(language))
        }
        ArgumentError::NotANumber { given } => {
            not_a_number(language, command, given, &how_to_write())
        }
        ArgumentError::IdTooLong { length } => text!(
            de: "Die Matrix-ID ist {length_de} Bytes lang; Matrix erlaubt höchstens {max} Bytes (mit @ und Servername). {how}",
            en: "The Matrix ID has {length} bytes; Matrix allows at most {max} (with the @ and the server name). {how}";
            length_de = grouped(*length),
            max = crate::limits::MAX_MATRIX_ID,
            how = how_to_write(),
        )
        .take(language),
        ArgumentError::TooLong { field, length, max } => {
            too_long(*field, *length, *max).take(language)
        }
    }
}

/// The date `given` (if anything was) is none: how to write one, and the command's `example`
/// (as a [`marked`] text).
fn not_a_date(language: Language, given: Option<&str>, example: &str) -> String {
    let [open, close, ..] = quotation_marks(language);
    let not_a_date = given.map(|given| {
        text!(
            de: "{open}`{given}`{close} ist kein Datum. ",
            en: "{open}`{given}`{close} is not a date. ";
            given = typed(given),
        )
        .take(language)
    });
    text!(
        de: "{not_a_date}Bitte schreiben Sie das Datum in der Form TT.MM.JJJJ, z. B. {open}`{example}`{close}.",
        en: "{not_a_date}Please write the date as YYYY-MM-DD, e.g. {open}`{example}`{close}.";
        not_a_date = not_a_date.unwrap_or_default(),
        example = typed(example),
    )
    .take(language)
}

/// The number `given` to `command` is none: which command lists the numbers, if one does, and
/// `how` to write the command (as a [`marked`] text).
fn not_a_number(language: Language, command: CommandId, given: &str, how: &str) -> String {
    let [open, close, ..] = quotation_marks(language);
    let listed = numbers_listed_by(command).map(|list| {
        text!(
            de: "Die Nummern zeigt `{list}`. ",
            en: "The numbers are shown by `{list}`. ";
            list = typed(&list.name()),
        )
        .take(language)
    });
    text!(
        de: "{open}`{given}`{close} ist keine gültige Nummer (eine ganze Zahl ab 1). {listed}{how}",
        en: "{open}`{given}`{close} is not a valid number (a whole number from 1). {listed}{how}";
        given = typed(given),
        listed = listed.unwrap_or_default(),
    )
    .take(language)
}

/// A text `field` has `length` characters, more than the `max` allowed; German readers get
/// the counts grouped ("4.000").
fn too_long(field: Field, length: usize, max: usize) -> Text {
    let (what, it) = field_words(field);
    text!(
        de: "{what_de} ist {length_de} Zeichen lang; erlaubt sind höchstens {max_de}. Bitte kürzen Sie {it_de}.",
        en: "{what_en} has {length} characters; at most {max} are allowed. Please shorten {it_en}.";
        what_de = &what.german,
        what_en = &what.english,
        it_de = &it.german,
        it_en = &it.english,
        length_de = grouped(length),
        max_de = grouped(max),
    )
}

/// A text of a command as the subject of a sentence, and the pronoun for it: "Der Titel" and
/// "ihn" / "The title" and "it".
fn field_words(field: Field) -> (Text, Text) {
    let him = text!(const de: "ihn", en: "it");
    let her = text!(const de: "sie", en: "it");
    match field {
        Field::Title => (text!(const de: "Der Titel", en: "The title"), him),
        Field::Description => (
            text!(const de: "Die Beschreibung", en: "The description"),
            her,
        ),
        Field::Reason => (text!(const de: "Die Begründung", en: "The reason"), her),
        Field::Text => (text!(const de: "Der Text", en: "The text"), him),
        Field::Link => (text!(const de: "Der Link", en: "The link"), him),
    }
}

/// The one reply to a message with several commands: their answers one after the other, as
/// many as fit one message; the others' commands were carried out all the same, and the reply
/// says so.
pub fn answers(language: Language, answers: &[Rendered]) -> Rendered {
    super::size::join_fitting(answers, ("\n\n", "<br>\n<br>\n"), |left_out| {
        let text = if left_out == 1 {
            text!(
                de: "1 weiterer Befehl wurde ausgeführt; seine Antwort passt nicht mehr in diese Nachricht.",
                en: "1 more command was carried out; its answer does not fit into this message.",
            )
        } else {
            text!(
                de: "{left_out} weitere Befehle wurden ausgeführt; ihre Antworten passen nicht mehr in diese Nachricht.",
                en: "{left_out} more commands were carried out; their answers do not fit into this message.",
            )
        }
        .take(language);
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
    use crate::command::CommandError;
    use crate::i18n::Language;

    #[test]
    fn typed_values_never_change_the_markup() {
        let error = CommandError::Unknown("!a`b\\c`\nd".to_owned());
        let rendered = super::command_error(Language::English, &error);
        assert_eq!(
            rendered.plain,
            "I don't know the command “!a`b\\c`\nd”. Send !help for a list of commands."
        );
        assert_eq!(
            rendered.html,
            "I don&#39;t know the command “<code>!a`b\\c`\nd</code>”. Send <code>!help</code> for a list of commands."
        );
    }

    #[test]
    fn counts_are_grouped_the_german_way() {
        assert_eq!(super::grouped(200), "200");
        assert_eq!(super::grouped(4_000), "4.000");
        assert_eq!(super::grouped(1_234_567), "1.234.567");
    }
}
