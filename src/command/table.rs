//! The command table: every command and subcommand the bot understands, declared once.
//!
//! [`CommandId::spec`] is one exhaustive `match`, so every entry of [`CommandId::ALL`] has its
//! names, role, usage, help text, example and argument parser here, side by side in German and
//! English. The parsers only check and convert the arguments; what the command then does is
//! decided in `bot::chat`.

use super::{
    AgendaCommand, ArgumentError, Command, CommandId, Field, MAX_DESCRIPTION, MAX_TITLE,
    MinutesCommand, PollCommand, Recording, date, number, optional_date, optional_text,
    parse_action, poll_decision, required_text, vote,
};
use crate::i18n::{Language, Text};
use crate::text;

/// Who may run a command; `!help` lists the commands in one section per role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Everyone in a member room or the organizers' room.
    Member,
    /// The chairs of the minutes being recorded (organizers may correct drafts, too).
    Chair,
    /// The network's organizers, as configured.
    Organizer,
}

/// One entry of the table.
#[derive(Clone)]
pub struct Spec {
    /// The command's names without `!`, English first: `["agenda", "tagesordnung"]`.
    pub names: &'static [&'static str],
    /// The subcommand's names, English first; empty for the command itself.
    pub sub: &'static [&'static str],
    /// Who may run it.
    pub role: Role,
    /// What follows the name, with placeholders in the reader's language; empty when the
    /// entry takes no arguments.
    pub arguments: Text,
    /// What it does, as `!help` says it.
    pub summary: Text,
    /// A complete example, as `!help <command>` shows it.
    pub example: Text,
    /// Checks and converts what follows the name (and subcommand).
    pub parse: fn(&str) -> Result<Command, ArgumentError>,
}

impl std::fmt::Debug for Spec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spec")
            .field("names", &self.names)
            .field("sub", &self.sub)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl Spec {
    /// Whether anything may follow the name.
    pub fn takes_arguments(&self) -> bool {
        !self.arguments.english.is_empty()
    }

    /// How the command is written, in `language`: `!agenda add <Titel> [— <Beschreibung>]`.
    pub fn usage(&self, language: Language) -> String {
        let mut usage = format!("!{}", self.names[0]);
        if let Some(sub) = self.sub.first() {
            usage.push(' ');
            usage.push_str(sub);
        }
        let arguments = self.arguments.get(language);
        if !arguments.is_empty() {
            usage.push(' ');
            usage.push_str(arguments);
        }
        usage
    }

    /// The German name, when the command has one: `!tagesordnung neu`. (Spellings without
    /// umlauts, `!tagesordnung zurueckziehen`, are understood too, but not shown.)
    pub fn german_name(&self) -> Option<String> {
        let name = self.names.get(1).copied();
        let sub = self.sub.get(1).copied();
        match (name, self.sub.first(), sub) {
            (Some(name), None, _) => Some(format!("!{name}")),
            (Some(name), Some(_), Some(sub)) => Some(format!("!{name} {sub}")),
            _ => None,
        }
    }
}

/// Nothing may follow the name.
fn nothing(arguments: &str, command: Command) -> Result<Command, ArgumentError> {
    if arguments.is_empty() {
        Ok(command)
    } else {
        Err(ArgumentError::Unexpected)
    }
}

/// The arguments of an entry that takes none.
const NONE: Text = text!(const de: "", en: "");

const AGENDA: &[&str] = &["agenda", "tagesordnung"];
const MINUTES: &[&str] = &["minutes", "protokoll"];
const SUBSCRIBE: &[&str] = &["subscribe", "abonnieren"];
const ACTIONS: &[&str] = &["actions", "aufgaben"];
const POLL: &[&str] = &["poll", "umfrage"];
const WEB: &[&str] = &["web", "webseite"];

impl CommandId {
    /// This entry of the table.
    pub fn spec(self) -> Spec {
        match self {
            Self::Help => Spec {
                names: &["help", "hilfe"],
                sub: &[],
                role: Role::Member,
                arguments: text!(
                    const de: "[Befehl]",
                    en: "[command]",
                ),
                summary: text!(
                    const de: "zeigt die Befehle, die Ihnen zur Verfügung stehen, oder erklärt einen Befehl mit Beispiel",
                    en: "lists the commands you can use, or explains one command with an example",
                ),
                example: text!(
                    const de: "!help agenda add",
                    en: "!help agenda add",
                ),
                parse: |arguments| {
                    if arguments.is_empty() {
                        return Ok(Command::Help(None));
                    }
                    let topic = arguments.trim_start_matches('!');
                    let (name, rest) = super::split_word(topic);
                    match super::find(name, rest) {
                        super::Found::Entry(id, _) => Ok(Command::Help(Some(id))),
                        super::Found::UnknownSubcommand(id, _) => Ok(Command::Help(Some(id))),
                        super::Found::Nothing => Err(ArgumentError::Usage),
                    }
                },
            },
            Self::Ping => Spec {
                names: &["ping"],
                sub: &[],
                role: Role::Member,
                arguments: NONE,
                summary: text!(
                    const de: "prüft, ob der Bot erreichbar ist",
                    en: "checks that the bot is reachable",
                ),
                example: text!(
                    const de: "!ping",
                    en: "!ping",
                ),
                parse: |arguments| nothing(arguments, Command::Ping),
            },
            Self::About => Spec {
                names: &["about", "über", "ueber"],
                sub: &[],
                role: Role::Member,
                arguments: NONE,
                summary: text!(
                    const de: "nennt Version und Lizenz des Bots und wo sein Quelltext zu finden ist",
                    en: "gives the bot's version, its license and where to get its source code",
                ),
                example: text!(
                    const de: "!about",
                    en: "!about",
                ),
                parse: |arguments| nothing(arguments, Command::About),
            },
            Self::Next => Spec {
                names: &["next", "nächster", "naechster"],
                sub: &[],
                role: Role::Member,
                arguments: NONE,
                summary: text!(
                    const de: "zeigt den nächsten Termin mit Videolink und Tagesordnung",
                    en: "shows the next meeting with its video link and agenda",
                ),
                example: text!(
                    const de: "!next",
                    en: "!next",
                ),
                parse: |arguments| nothing(arguments, Command::Next),
            },
            Self::Schedule => Spec {
                names: &["schedule", "termine"],
                sub: &[],
                role: Role::Member,
                arguments: NONE,
                summary: text!(
                    const de: "listet die nächsten Termine auf",
                    en: "lists the coming meetings",
                ),
                example: text!(
                    const de: "!schedule",
                    en: "!schedule",
                ),
                parse: |arguments| nothing(arguments, Command::Schedule),
            },
            Self::Agenda => Spec {
                names: AGENDA,
                sub: &[],
                role: Role::Member,
                arguments: NONE,
                summary: text!(
                    const de: "zeigt die Tagesordnung des nächsten Termins",
                    en: "shows the next meeting's agenda",
                ),
                example: text!(
                    const de: "!agenda",
                    en: "!agenda",
                ),
                parse: |arguments| nothing(arguments, Command::Agenda(AgendaCommand::Show)),
            },
            Self::AgendaAdd => Spec {
                names: AGENDA,
                sub: &["add", "neu"],
                role: Role::Member,
                arguments: text!(
                    const de: "<Titel> [— <Beschreibung>]",
                    en: "<title> [— <description>]",
                ),
                summary: text!(
                    const de: "schlägt einen Tagesordnungspunkt für den nächsten Termin vor",
                    en: "proposes an agenda item for the next meeting",
                ),
                example: text!(
                    const de: "!agenda add Interne Kommunikation — Erfahrungen mit dem Messenger in der Verwaltung",
                    en: "!agenda add Internal communication — experience with the messenger in the administration",
                ),
                parse: |arguments| {
                    let (title, description) = match arguments
                        .split_once(" — ")
                        .or_else(|| arguments.split_once(" – "))
                        .or_else(|| arguments.split_once(" -- "))
                    {
                        Some((title, description)) => (title, Some(description)),
                        None => (arguments, None),
                    };
                    let title = required_text(title, Field::Title, MAX_TITLE)?;
                    let description = match description {
                        Some(text) => optional_text(text, Field::Description, MAX_DESCRIPTION)?,
                        None => None,
                    };
                    Ok(Command::Agenda(AgendaCommand::Add { title, description }))
                },
            },
            Self::AgendaMine => Spec {
                names: AGENDA,
                sub: &["mine", "meine"],
                role: Role::Member,
                arguments: NONE,
                summary: text!(
                    const de: "zeigt Ihre Vorschläge und was aus ihnen wurde",
                    en: "lists your proposals and what became of them",
                ),
                example: text!(
                    const de: "!agenda mine",
                    en: "!agenda mine",
                ),
                parse: |arguments| nothing(arguments, Command::Agenda(AgendaCommand::Mine)),
            },
            Self::AgendaWithdraw => Spec {
                names: AGENDA,
                sub: &["withdraw", "zurückziehen", "zurueckziehen"],
                role: Role::Member,
                arguments: text!(
                    const de: "<Nr.>",
                    en: "<no.>",
                ),
                summary: text!(
                    const de: "zieht Ihren Vorschlag zurück",
                    en: "withdraws your proposal",
                ),
                example: text!(
                    const de: "!agenda withdraw 7",
                    en: "!agenda withdraw 7",
                ),
                parse: |arguments| {
                    number(arguments).map(|n| Command::Agenda(AgendaCommand::Withdraw(n)))
                },
            },
            Self::Ics => Spec {
                names: &["ics", "kalender"],
                sub: &[],
                role: Role::Member,
                arguments: text!(
                    const de: "[Datum]",
                    en: "[date]",
                ),
                summary: text!(
                    const de: "sendet die Kalendereinladung (.ics) des nächsten Termins oder des Termins an diesem Datum",
                    en: "sends the calendar invitation (.ics) of the next meeting, or of the meeting on that date",
                ),
                example: text!(
                    const de: "!ics 17.12.2026",
                    en: "!ics 2026-12-17",
                ),
                parse: |arguments| optional_date(arguments).map(Command::Ics),
            },
            Self::Subscribe => Spec {
                names: SUBSCRIBE,
                sub: &[],
                role: Role::Member,
                arguments: NONE,
                summary: text!(
                    const de: "nennt den Link, mit dem Sie den Kalender des Netzwerks abonnieren, und die Webseite des Raums mit Terminen, Umfragen und Protokollen",
                    en: "gives the link to subscribe to the network's calendar, and the room's web page with meetings, polls and minutes",
                ),
                example: text!(
                    const de: "!subscribe",
                    en: "!subscribe",
                ),
                parse: |arguments| nothing(arguments, Command::Subscribe { rotate: false }),
            },
            Self::Minutes => Spec {
                names: MINUTES,
                sub: &[],
                role: Role::Member,
                arguments: NONE,
                summary: text!(
                    const de: "zeigt das laufende Protokoll oder den Protokollentwurf",
                    en: "shows the minutes being recorded, or the draft",
                ),
                example: text!(
                    const de: "!minutes",
                    en: "!minutes",
                ),
                parse: |arguments| nothing(arguments, Command::Minutes(MinutesCommand::Show)),
            },
            Self::MinutesList => Spec {
                names: MINUTES,
                sub: &["list", "liste"],
                role: Role::Member,
                arguments: NONE,
                summary: text!(
                    const de: "listet die veröffentlichten Protokolle mit ihren Links auf",
                    en: "lists the published minutes with their links",
                ),
                example: text!(
                    const de: "!minutes list",
                    en: "!minutes list",
                ),
                parse: |arguments| nothing(arguments, Command::Minutes(MinutesCommand::List)),
            },
            Self::Here => Spec {
                names: &["here", "hier", "anwesend"],
                sub: &[],
                role: Role::Member,
                arguments: text!(
                    const de: "[Kommune]",
                    en: "[municipality]",
                ),
                summary: text!(
                    const de: "meldet Ihre Kommune für die laufende Sitzung als anwesend (die Sitzungsleitung kann eine Kommune nennen)",
                    en: "records your municipality as present at the running meeting (the chairs may name a municipality)",
                ),
                example: text!(
                    const de: "!here",
                    en: "!here",
                ),
                parse: |arguments| {
                    optional_text(arguments, Field::Title, MAX_TITLE).map(Command::Here)
                },
            },
            Self::Actions => Spec {
                names: ACTIONS,
                sub: &[],
                role: Role::Member,
                arguments: NONE,
                summary: text!(
                    const de: "listet die offenen Aufgaben Ihrer Kommune auf",
                    en: "lists your municipality's open action items",
                ),
                example: text!(
                    const de: "!actions",
                    en: "!actions",
                ),
                parse: |arguments| nothing(arguments, Command::Actions { all: false }),
            },
            Self::Done => Spec {
                names: &["done", "erledigt"],
                sub: &[],
                role: Role::Member,
                arguments: text!(
                    const de: "<Nr.>",
                    en: "<no.>",
                ),
                summary: text!(
                    const de: "meldet eine Aufgabe als erledigt",
                    en: "marks an action item as done",
                ),
                example: text!(
                    const de: "!done 3",
                    en: "!done 3",
                ),
                parse: |arguments| number(arguments).map(Command::Done),
            },
            Self::Vote => Spec {
                names: &["vote", "abstimmen"],
                sub: &[],
                role: Role::Member,
                arguments: text!(
                    const de: "<Nr.> [<Nr.> …]",
                    en: "<no.> [<no.> …]",
                ),
                summary: text!(
                    const de: "beantwortet die Terminumfrage mit den Nummern der Termine, die Ihnen passen; !vote none, wenn keiner passt",
                    en: "answers the date poll with the numbers of the dates that suit you; !vote none if none does",
                ),
                example: text!(
                    const de: "!vote 1 3",
                    en: "!vote 1 3",
                ),
                parse: |arguments| vote(arguments).map(Command::Vote),
            },
            Self::Topic => Spec {
                names: &["topic", "thema", "top"],
                sub: &[],
                role: Role::Chair,
                arguments: text!(
                    const de: "[Titel]",
                    en: "[title]",
                ),
                summary: text!(
                    const de: "beginnt den nächsten Tagesordnungspunkt oder einen Punkt mit diesem Titel",
                    en: "starts the next agenda item, or an item with this title",
                ),
                example: text!(
                    const de: "!topic Bewerbung Smart City",
                    en: "!topic Smart City application",
                ),
                parse: |arguments| {
                    optional_text(arguments, Field::Title, MAX_TITLE)
                        .map(|title| Command::Record(Recording::Topic(title)))
                },
            },
            Self::Info => Spec {
                names: &["info", "notiz"],
                sub: &[],
                role: Role::Chair,
                arguments: text!(
                    const de: "<Text>",
                    en: "<text>",
                ),
                summary: text!(
                    const de: "hält fest, was besprochen wurde",
                    en: "records what was discussed",
                ),
                example: text!(
                    const de: "!info Trier stellt den Leitfaden zur Bewerbung vor.",
                    en: "!info Trier presents the guide to the application.",
                ),
                parse: |arguments| {
                    required_text(arguments, Field::Text, crate::minutes::MAX_ENTRY)
                        .map(|text| Command::Record(Recording::Info(text)))
                },
            },
            Self::Decision => Spec {
                names: &["decision", "beschluss", "agreed"],
                sub: &[],
                role: Role::Chair,
                arguments: text!(
                    const de: "<Text>",
                    en: "<text>",
                ),
                summary: text!(
                    const de: "hält einen Beschluss fest",
                    en: "records a decision",
                ),
                example: text!(
                    const de: "!decision Der Workshop wird im Februar wiederholt.",
                    en: "!decision The workshop will be repeated in February.",
                ),
                parse: |arguments| {
                    required_text(arguments, Field::Text, crate::minutes::MAX_ENTRY)
                        .map(|text| Command::Record(Recording::Decision(text)))
                },
            },
            Self::Action => Spec {
                names: &["action", "aufgabe"],
                sub: &[],
                role: Role::Chair,
                arguments: text!(
                    const de: "<Kommune oder @Nutzer> <Aufgabe> [bis <Datum>]",
                    en: "<municipality or @user> <task> [due <date>]",
                ),
                summary: text!(
                    const de: "hält eine Aufgabe fest, auf Wunsch mit Frist",
                    en: "records an action item, with a due date if you like",
                ),
                example: text!(
                    const de: "!action Kaiserslautern Kosten für das Ratsinformationssystem ermitteln bis 15.01.2027",
                    en: "!action Kaiserslautern find out the cost of the council information system due 2027-01-15",
                ),
                parse: |arguments| {
                    parse_action(arguments).map(|a| Command::Record(Recording::Action(a)))
                },
            },
            Self::Link => Spec {
                names: &["link"],
                sub: &[],
                role: Role::Chair,
                arguments: text!(
                    const de: "<URL> [Titel]",
                    en: "<URL> [title]",
                ),
                summary: text!(
                    const de: "nimmt einen Link in das Protokoll auf",
                    en: "adds a link to the minutes",
                ),
                example: text!(
                    const de: "!link https://www.kaiserslautern.de/leitfaden.pdf Leitfaden Smart City",
                    en: "!link https://www.kaiserslautern.de/guide.pdf Smart City guide",
                ),
                parse: |arguments| {
                    let (url, title) = super::split_word(arguments);
                    let url = url::Url::parse(url)
                        .ok()
                        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                        .ok_or(ArgumentError::Usage)?;
                    let (length, max) = (url.as_str().len(), crate::limits::MAX_URL);
                    if length > max {
                        return Err(ArgumentError::TooLong {
                            field: Field::Link,
                            length,
                            max,
                        });
                    }
                    let title = match title {
                        "" => url.to_string(),
                        title => title.to_owned(),
                    };
                    let title = required_text(&title, Field::Title, MAX_TITLE)?;
                    Ok(Command::Record(Recording::Link { url, title }))
                },
            },
            Self::Undo => Spec {
                names: &["undo", "rückgängig", "rueckgaengig"],
                sub: &[],
                role: Role::Chair,
                arguments: NONE,
                summary: text!(
                    const de: "nimmt die zuletzt festgehaltene Zeile zurück",
                    en: "takes back the last line recorded",
                ),
                example: text!(
                    const de: "!undo",
                    en: "!undo",
                ),
                parse: |arguments| nothing(arguments, Command::Record(Recording::Undo)),
            },
            Self::Chair => Spec {
                names: &["chair", "vorsitz", "leitung"],
                sub: &[],
                role: Role::Chair,
                arguments: text!(
                    const de: "<@nutzer:server>",
                    en: "<@user:server>",
                ),
                summary: text!(
                    const de: "nimmt eine Person in die Sitzungsleitung auf; sie kann dann ebenfalls protokollieren",
                    en: "makes someone a chair of the minutes, so they can record, too",
                ),
                example: text!(
                    const de: "!chair @anna.schmidt:kaiserslautern.de",
                    en: "!chair @anna.schmidt:kaiserslautern.de",
                ),
                parse: |arguments| {
                    matrix_sdk::ruma::UserId::parse(super::matrix_id(arguments.trim())?)
                        .map(|user| Command::Record(Recording::Chair(user)))
                        .map_err(|_| ArgumentError::Usage)
                },
            },
            Self::MinutesEnd => Spec {
                names: MINUTES,
                sub: &["end", "beenden", "ende"],
                role: Role::Chair,
                arguments: NONE,
                summary: text!(
                    const de: "beendet das Protokoll; der Entwurf geht an das Organisationsteam",
                    en: "ends the minutes; the draft goes to the organizers",
                ),
                example: text!(
                    const de: "!minutes end",
                    en: "!minutes end",
                ),
                parse: |arguments| nothing(arguments, Command::Record(Recording::End)),
            },
            Self::MinutesEdit => Spec {
                names: MINUTES,
                sub: &["edit", "korrigieren"],
                role: Role::Chair,
                arguments: text!(
                    const de: "<Nr.> <Text>",
                    en: "<no.> <text>",
                ),
                summary: text!(
                    const de: "korrigiert eine Zeile des Protokollentwurfs (auch für das Organisationsteam)",
                    en: "corrects a line of the draft minutes (organizers, too)",
                ),
                example: text!(
                    const de: "!minutes edit 4 Trier stellt den überarbeiteten Leitfaden vor.",
                    en: "!minutes edit 4 Trier presents the revised guide.",
                ),
                parse: |arguments| {
                    let (line, text) = super::split_word(arguments);
                    let line = number(line)?;
                    let number = u32::try_from(line).map_err(|_| ArgumentError::NotANumber {
                        given: super::shortened(&line.to_string()),
                    })?;
                    let text = required_text(text, Field::Text, crate::minutes::MAX_ENTRY)?;
                    Ok(Command::Minutes(MinutesCommand::Edit { number, text }))
                },
            },
            Self::Announce => Spec {
                names: &["announce", "ankündigen", "ankuendigen"],
                sub: &[],
                role: Role::Organizer,
                arguments: text!(
                    const de: "<Datum>",
                    en: "<date>",
                ),
                summary: text!(
                    const de: "kündigt den Termin an diesem Datum sofort in allen Räumen an",
                    en: "posts the announcement of the meeting on that date in every room now",
                ),
                example: text!(
                    const de: "!announce 17.12.2026",
                    en: "!announce 2026-12-17",
                ),
                parse: |arguments| date(arguments).map(Command::Announce),
            },
            Self::AgendaProposals => Spec {
                names: AGENDA,
                sub: &["proposals", "vorschläge", "vorschlaege"],
                role: Role::Organizer,
                arguments: NONE,
                summary: text!(
                    const de: "listet alle offenen Vorschläge auf",
                    en: "lists every open proposal",
                ),
                example: text!(
                    const de: "!agenda proposals",
                    en: "!agenda proposals",
                ),
                parse: |arguments| nothing(arguments, Command::Agenda(AgendaCommand::Proposals)),
            },
            Self::AgendaAccept => Spec {
                names: AGENDA,
                sub: &["accept", "annehmen"],
                role: Role::Organizer,
                arguments: text!(
                    const de: "<Nr.> [Teil]",
                    en: "<no.> [part]",
                ),
                summary: text!(
                    const de: "nimmt einen Vorschlag in die Tagesordnung auf, auf Wunsch in einen bestimmten Teil",
                    en: "puts a proposal on the agenda, in a given part if you like",
                ),
                example: text!(
                    const de: "!agenda accept 7 2",
                    en: "!agenda accept 7 2",
                ),
                parse: |arguments| {
                    let (n, part) = super::split_word(arguments);
                    let number = number(n)?;
                    let part =
                        match part {
                            "" => None,
                            part => Some(part.parse::<u32>().ok().filter(|p| *p > 0).ok_or_else(
                                || ArgumentError::NotANumber {
                                    given: super::shortened(part),
                                },
                            )?),
                        };
                    Ok(Command::Agenda(AgendaCommand::Accept { number, part }))
                },
            },
            Self::AgendaReject => Spec {
                names: AGENDA,
                sub: &["reject", "ablehnen"],
                role: Role::Organizer,
                arguments: text!(
                    const de: "<Nr.> <Begründung>",
                    en: "<no.> <reason>",
                ),
                summary: text!(
                    const de: "lehnt einen Vorschlag mit Begründung ab",
                    en: "turns a proposal down, with a reason",
                ),
                example: text!(
                    const de: "!agenda reject 7 Das Thema wird im Workshop im Februar behandelt.",
                    en: "!agenda reject 7 The topic will be covered at the workshop in February.",
                ),
                parse: |arguments| {
                    let (n, reason) = super::split_word(arguments);
                    let number = number(n)?;
                    let reason = required_text(reason, Field::Reason, MAX_DESCRIPTION)?;
                    Ok(Command::Agenda(AgendaCommand::Reject { number, reason }))
                },
            },
            Self::AgendaDefer => Spec {
                names: AGENDA,
                sub: &["defer", "verschieben"],
                role: Role::Organizer,
                arguments: text!(
                    const de: "<Nr.>",
                    en: "<no.>",
                ),
                summary: text!(
                    const de: "verschiebt einen Vorschlag auf den übernächsten Termin",
                    en: "moves a proposal to the meeting after next",
                ),
                example: text!(
                    const de: "!agenda defer 7",
                    en: "!agenda defer 7",
                ),
                parse: |arguments| {
                    number(arguments).map(|n| Command::Agenda(AgendaCommand::Defer(n)))
                },
            },
            Self::SubscribeRotate => Spec {
                names: SUBSCRIBE,
                sub: &["rotate", "neu"],
                role: Role::Organizer,
                arguments: NONE,
                summary: text!(
                    const de: "ersetzt den privaten Kalenderlink dieses Raums; der alte Link funktioniert danach nicht mehr",
                    en: "replaces this room's private calendar link; the old link stops working",
                ),
                example: text!(
                    const de: "!subscribe rotate",
                    en: "!subscribe rotate",
                ),
                parse: |arguments| nothing(arguments, Command::Subscribe { rotate: true }),
            },
            Self::Web => Spec {
                names: WEB,
                sub: &[],
                role: Role::Organizer,
                arguments: NONE,
                summary: text!(
                    const de: "nennt im Organisationsraum den Link zur Seite der Organisation: Zustellungen, offene Vorschläge, Terminumfragen, Teilnahme und Zustand des Bots",
                    en: "gives, in the organizers' room, the link to the organizers' page: deliveries, open proposals, date polls, attendance and the bot's health",
                ),
                example: text!(
                    const de: "!web",
                    en: "!web",
                ),
                parse: |arguments| nothing(arguments, Command::Web { rotate: false }),
            },
            Self::WebRotate => Spec {
                names: WEB,
                sub: &["rotate", "neu"],
                role: Role::Organizer,
                arguments: NONE,
                summary: text!(
                    const de: "ersetzt den Link zur Seite der Organisation; der alte Link funktioniert danach nicht mehr",
                    en: "replaces the link to the organizers' page; the old link stops working",
                ),
                example: text!(
                    const de: "!web rotate",
                    en: "!web rotate",
                ),
                parse: |arguments| nothing(arguments, Command::Web { rotate: true }),
            },
            Self::MinutesStart => Spec {
                names: MINUTES,
                sub: &["start", "beginnen"],
                role: Role::Organizer,
                arguments: NONE,
                summary: text!(
                    const de: "beginnt das Protokoll des laufenden oder nächsten Termins; Sie leiten dann die Sitzung",
                    en: "starts the minutes of the running or next meeting, with you as chair",
                ),
                example: text!(
                    const de: "!minutes start",
                    en: "!minutes start",
                ),
                parse: |arguments| nothing(arguments, Command::Minutes(MinutesCommand::Start)),
            },
            Self::MinutesApprove => Spec {
                names: MINUTES,
                sub: &["approve", "genehmigen"],
                role: Role::Organizer,
                arguments: text!(
                    const de: "[Datum]",
                    en: "[date]",
                ),
                summary: text!(
                    const de: "genehmigt den Protokollentwurf und veröffentlicht ihn in allen Räumen",
                    en: "approves the draft minutes and publishes them in every room",
                ),
                example: text!(
                    const de: "!minutes approve 17.12.2026",
                    en: "!minutes approve 2026-12-17",
                ),
                parse: |arguments| {
                    optional_date(arguments).map(|d| Command::Minutes(MinutesCommand::Approve(d)))
                },
            },
            Self::ActionsAll => Spec {
                names: ACTIONS,
                sub: &["all", "alle"],
                role: Role::Organizer,
                arguments: NONE,
                summary: text!(
                    const de: "listet die offenen Aufgaben aller Kommunen auf",
                    en: "lists every municipality's open action items",
                ),
                example: text!(
                    const de: "!actions all",
                    en: "!actions all",
                ),
                parse: |arguments| nothing(arguments, Command::Actions { all: true }),
            },
            Self::Poll => Spec {
                names: POLL,
                sub: &[],
                role: Role::Organizer,
                arguments: NONE,
                summary: text!(
                    const de: "zeigt den Stand der Terminumfragen: welche Kommunen an welchen Terminen können",
                    en: "shows the date polls' tally: which municipalities can make which dates",
                ),
                example: text!(
                    const de: "!poll",
                    en: "!poll",
                ),
                parse: |arguments| nothing(arguments, Command::Poll(PollCommand::Show)),
            },
            Self::PollDecide => Spec {
                names: POLL,
                sub: &["decide", "entscheiden"],
                role: Role::Organizer,
                arguments: text!(
                    const de: "[Workshop] <Nr.>",
                    en: "[workshop] <no.>",
                ),
                summary: text!(
                    const de: "legt den Termin eines Workshops auf den Termin mit dieser Nummer fest und beendet die Umfrage; sind mehrere Umfragen offen, nennen Sie zuerst die Kennung des Workshops",
                    en: "fixes a workshop's date to the date with this number and ends the poll; with several polls open, give the workshop's id first",
                ),
                example: text!(
                    const de: "!poll decide smart-city 2",
                    en: "!poll decide smart-city 2",
                ),
                parse: |arguments| poll_decision(arguments).map(Command::Poll),
            },
        }
    }
}
