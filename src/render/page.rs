//! The network's web pages as members open them in a browser: a member room's page (the coming
//! meetings with their agendas and an invitation each, the room's calendar subscription, the
//! running date polls with who can come, the approved minutes) and an approved minutes page.
//!
//! Pure: the edge gathers what a page shows into a [`RoomPage`] or [`MinutesPage`]; these
//! functions only write HTML. maud writes it: the markup is checked when convene is compiled,
//! and every value is escaped, so nothing a member or an agenda file wrote can change a page's
//! markup. No script, one style sheet from the server itself ([`STYLE_SHEET`]), landmarks and
//! headings in order, dates in `<time>`, tables with headers: what BITV 2.0 (WCAG 2.1 AA) asks.

use chrono::{DateTime, Datelike as _, Months, NaiveDate};
use chrono_tz::Tz;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::common::{date_long, date_range, month_name};
use super::meetings::FeedLinks;
use super::minutes::action_line;
use crate::agenda::Agenda;
use crate::i18n::Language;
use crate::minutes::ActionItem;
use crate::poll::Tally;
use crate::proposal::Proposal;
use crate::schedule::Meeting;
use crate::text;

/// The one style sheet of every page, served at `/style.css`.
pub const STYLE_SHEET: &str = include_str!("page.css");

/// A coming meeting as the room page shows it.
#[derive(Debug)]
pub struct PageMeeting<'a> {
    /// The meeting.
    pub meeting: &'a Meeting,
    /// Its agenda file, if it has one.
    pub agenda: Option<&'a Agenda>,
    /// The proposals accepted for it.
    pub accepted: Vec<Proposal>,
    /// Where its invitation (.ics) is, relative to the page (members only).
    pub invitation: Option<String>,
}

/// Who a page is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// A member room, behind its secret: video links, invitations, polls and minutes.
    Members,
    /// Anyone (`calendar.public: true`): dates, titles and agendas, nothing behind a secret.
    Public,
}

/// A running date poll as the room page shows it.
#[derive(Debug)]
pub struct PagePoll {
    /// The workshop's title.
    pub title: String,
    /// The candidate dates, in the network's time zone.
    pub slots: Vec<(DateTime<Tz>, DateTime<Tz>)>,
    /// Who can come when, and who has not answered.
    pub tally: Tally,
}

/// Approved minutes as the room page lists them.
#[derive(Debug)]
pub struct PageMinutes {
    /// The meeting's title.
    pub title: String,
    /// The meeting's start.
    pub start: DateTime<Tz>,
    /// The minutes page, relative to the room page.
    pub page: String,
}

/// Everything a member room's page (or the public page) shows.
#[derive(Debug)]
pub struct RoomPage<'a> {
    /// Who it is for.
    pub audience: Audience,
    /// The network's language.
    pub language: Language,
    /// The network's name.
    pub network: &'a str,
    /// The coming meetings, soonest first.
    pub meetings: Vec<PageMeeting<'a>>,
    /// The room's calendar subscription, if the calendar has a public address.
    pub feed: Option<FeedLinks>,
    /// The running date polls.
    pub polls: Vec<PagePoll>,
    /// The approved minutes, newest first.
    pub minutes: Vec<PageMinutes>,
    /// The open action items of the network's minutes.
    pub actions: Vec<ActionItem>,
}

/// Approved minutes as their page shows them.
#[derive(Debug)]
pub struct MinutesPage<'a> {
    /// The network's language.
    pub language: Language,
    /// The network's name.
    pub network: &'a str,
    /// The meeting's title.
    pub title: &'a str,
    /// The meeting's start.
    pub start: DateTime<Tz>,
    /// The approved minutes as the bot posted them: HTML the bot rendered (and escaped) itself.
    pub html: &'a str,
    /// The Markdown file, relative to the page.
    pub markdown: &'a str,
}

/// The `lang` attribute of `language`.
fn lang(language: Language) -> &'static str {
    match language {
        Language::German => "de",
        Language::English => "en",
    }
}

/// A whole document: head, a skip link, the network's name as banner, and `main`.
pub(super) fn document(language: Language, title: &str, network: &str, main: Markup) -> String {
    let skip = text!(const de: "Zum Inhalt springen", en: "Skip to content");
    html! {
        (DOCTYPE)
        html lang=(lang(language)) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – " (network) }
                link rel="stylesheet" href="/style.css";
            }
            body {
                a class="skip" href="#inhalt" { (skip.get(language)) }
                header { p class="network" { (network) } }
                main id="inhalt" { (main) }
            }
        }
    }
    .into_string()
}

/// A member room's page, or the public page.
pub fn room_page(page: &RoomPage<'_>) -> String {
    let language = page.language;
    let heading = match page.audience {
        Audience::Members => text!(
            const de: "Termine, Umfragen und Protokolle",
            en: "Meetings, polls and minutes",
        ),
        Audience::Public => text!(const de: "Termine", en: "Meetings"),
    };
    let main = html! {
        h1 { (heading.get(language)) }
        (meetings_section(language, page.audience, &page.meetings))
        (subscription_section(language, page.feed.as_ref()))
        (polls_section(language, &page.polls))
        (actions_section(language, &page.actions))
        (minutes_section(language, &page.minutes))
    };
    document(language, heading.get(language), page.network, main)
}

fn meetings_section(
    language: Language,
    audience: Audience,
    meetings: &[PageMeeting<'_>],
) -> Markup {
    let heading = text!(const de: "Nächste Termine", en: "Coming meetings");
    let none = text!(
        const de: "Zurzeit ist kein Termin geplant.",
        en: "No meeting is planned at the moment.",
    );
    html! {
        section aria-labelledby="termine" {
            h2 id="termine" { (heading.get(language)) }
            @if meetings.is_empty() {
                p { (none.get(language)) }
            }
            (month_view(language, meetings))
            @for (index, entry) in meetings.iter().enumerate() {
                (meeting_article(language, audience, index, entry))
            }
        }
    }
}

fn meeting_article(
    language: Language,
    audience: Audience,
    index: usize,
    entry: &PageMeeting<'_>,
) -> Markup {
    let meeting = entry.meeting;
    let video = text!(const de: "Videokonferenz", en: "Video conference");
    let agenda = text!(const de: "Tagesordnung", en: "Agenda");
    let add = text!(
        const de: "In den eigenen Kalender übernehmen (.ics)",
        en: "Add to my calendar (.ics)",
    );
    let items: Vec<&str> = entry
        .agenda
        .map(|a| a.items.iter().map(|i| i.title.as_str()).collect())
        .unwrap_or_default();
    html! {
        article id=(anchor(index)) {
            h3 { (meeting.title) }
            p {
                time datetime=(meeting.start.to_rfc3339()) {
                    (date_range(language, meeting.start, meeting.end))
                }
            }
            @if let (Audience::Members, Some(link)) = (audience, &meeting.video_link) {
                p { (video.get(language)) ": " a href=(link.as_str()) { (link.as_str()) } }
            }
            @if !items.is_empty() || !entry.accepted.is_empty() {
                h4 { (agenda.get(language)) }
                ol {
                    @for item in &items { li { (item) } }
                    @for proposal in &entry.accepted {
                        li { (proposal.title) " " span class="from" { "(" (proposal.municipality) ")" } }
                    }
                }
            }
            @if let Some(invitation) = &entry.invitation {
                p { a href=(invitation) download { (add.get(language)) } }
            }
        }
    }
}

/// The anchor of the `index`th coming meeting on the page.
fn anchor(index: usize) -> String {
    format!("termin-{}", index + 1)
}

/// The months of the coming meetings (at most two) as calendars, each meeting's day linking to
/// it below: a month at a glance, beside the list.
fn month_view(language: Language, meetings: &[PageMeeting<'_>]) -> Markup {
    let mut months: Vec<(i32, u32)> = Vec::new();
    for entry in meetings {
        let month = (entry.meeting.start.year(), entry.meeting.start.month());
        if !months.contains(&month) && months.len() < 2 {
            months.push(month);
        }
    }
    html! {
        @for (year, month) in months {
            (month_table(language, year, month, meetings))
        }
    }
}

fn month_table(language: Language, year: i32, month: u32, meetings: &[PageMeeting<'_>]) -> Markup {
    let Some(first) = NaiveDate::from_ymd_opt(year, month, 1) else {
        return html! {};
    };
    let next = first.checked_add_months(Months::new(1)).unwrap_or(first);
    let days = usize::try_from((next - first).num_days()).unwrap_or(0);
    let offset = first.weekday().num_days_from_monday() as usize;
    // Cells: blanks before the 1st, then the days, padded to whole weeks.
    let mut cells: Vec<Option<u32>> = vec![None; offset];
    cells.extend((1..=days).map(|day| u32::try_from(day).ok()));
    while !cells.len().is_multiple_of(7) {
        cells.push(None);
    }
    let weekdays = text!(
        const de: "Mo Di Mi Do Fr Sa So|Montag Dienstag Mittwoch Donnerstag Freitag Samstag Sonntag",
        en: "Mon Tue Wed Thu Fri Sat Sun|Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
    );
    let (short, long) = weekdays.get(language).split_once('|').unwrap_or_default();
    let heads: Vec<(&str, &str)> = short.split(' ').zip(long.split(' ')).collect();
    let on = |day: u32| {
        meetings
            .iter()
            .enumerate()
            .filter(move |(_, entry)| {
                let start = entry.meeting.start;
                start.year() == year && start.month() == month && start.day() == day
            })
            .map(|(index, entry)| {
                // The day is the link's visible text, so its name starts with the date.
                let label = format!(
                    "{}: {}",
                    date_long(language, entry.meeting.start),
                    entry.meeting.title
                );
                (anchor(index), label)
            })
    };
    html! {
        table class="month" {
            caption { (month_name(language, month - 1)) " " (year) }
            thead { tr {
                @for (short, long) in &heads { th scope="col" abbr=(long) { (short) } }
            } }
            tbody {
                @for week in cells.chunks(7) {
                    tr {
                        @for cell in week {
                            @match cell {
                                Some(day) => td {
                                    @let found: Vec<(String, String)> = on(*day).collect();
                                    @match found.first() {
                                        Some((anchor, label)) => a class="meeting" href={ "#" (anchor) } aria-label=(label) { (day) },
                                        None => (day),
                                    }
                                },
                                None => td {},
                            }
                        }
                    }
                }
            }
        }
    }
}

fn subscription_section(language: Language, feed: Option<&FeedLinks>) -> Markup {
    let heading = text!(const de: "Kalender abonnieren", en: "Subscribe to the calendar");
    let intro = text!(
        const de: "Mit diesem Link zeigt Ihr Kalenderprogramm alle Termine des Netzwerks und bleibt von selbst aktuell:",
        en: "With this link your calendar program shows every meeting of the network and stays up to date by itself:",
    );
    let open = text!(const de: "Im Kalenderprogramm öffnen", en: "Open in a calendar program");
    let Some(feed) = feed else {
        return html! {};
    };
    html! {
        section aria-labelledby="abo" {
            h2 id="abo" { (heading.get(language)) }
            p { (intro.get(language)) }
            p class="link" { a href=(feed.https) { (feed.https) } }
            p { a href=(feed.webcal) { (open.get(language)) } }
        }
    }
}

fn polls_section(language: Language, polls: &[PagePoll]) -> Markup {
    let heading = text!(const de: "Laufende Terminumfragen", en: "Running date polls");
    if polls.is_empty() {
        return html! {};
    }
    html! {
        section aria-labelledby="umfragen" {
            h2 id="umfragen" { (heading.get(language)) }
            @for poll in polls {
                (poll_table(language, poll))
            }
        }
    }
}

/// A running date poll: its dates against the municipalities that can come, and who has not
/// answered (the member rooms' page and the organizers' page show the same).
pub(super) fn poll_table(language: Language, poll: &PagePoll) -> Markup {
    let date = text!(const de: "Termin", en: "Date");
    let who = text!(const de: "Können teilnehmen", en: "Can attend");
    let count = text!(const de: "Anzahl", en: "Count");
    let waiting = text!(const de: "Noch keine Antwort", en: "No answer yet");
    html! {
        table {
            caption { (poll.title) }
            thead { tr {
                th scope="col" { (date.get(language)) }
                th scope="col" { (count.get(language)) }
                th scope="col" { (who.get(language)) }
            } }
            tbody {
                @for (index, (start, end)) in poll.slots.iter().enumerate() {
                    @let rooms = poll.tally.per_slot.get(index).map(Vec::as_slice).unwrap_or_default();
                    tr {
                        th scope="row" { (date_range(language, *start, *end)) }
                        td { (rooms.len()) }
                        td { (rooms.join(", ")) }
                    }
                }
            }
        }
        @if !poll.tally.not_answered.is_empty() {
            p { (waiting.get(language)) ": " (poll.tally.not_answered.join(", ")) }
        }
    }
}

fn actions_section(language: Language, actions: &[ActionItem]) -> Markup {
    let heading = text!(const de: "Offene Aufgaben", en: "Open action items");
    if actions.is_empty() {
        return html! {};
    }
    html! {
        section aria-labelledby="aufgaben" {
            h2 id="aufgaben" { (heading.get(language)) }
            ul {
                @for action in actions { li { (action_line(language, action)) } }
            }
        }
    }
}

fn minutes_section(language: Language, minutes: &[PageMinutes]) -> Markup {
    let heading = text!(const de: "Protokolle", en: "Minutes");
    if minutes.is_empty() {
        return html! {};
    }
    html! {
        section aria-labelledby="protokolle" {
            h2 id="protokolle" { (heading.get(language)) }
            ul {
                @for entry in minutes {
                    li {
                        a href=(entry.page) {
                            (entry.title) ", "
                            time datetime=(entry.start.date_naive().to_string()) { (date_long(language, entry.start)) }
                        }
                    }
                }
            }
        }
    }
}

/// Approved minutes as a page of their own, printable (the style sheet's print rules leave out
/// the links around them), with their Markdown to download.
pub fn minutes_page(page: &MinutesPage<'_>) -> String {
    let language = page.language;
    let heading = text!(
        de: "Protokoll: {title}",
        en: "Minutes: {title}";
        title = page.title,
    );
    let download =
        text!(const de: "Als Markdown-Datei herunterladen", en: "Download as a Markdown file");
    let heading = heading.take(language);
    let main = html! {
        h1 { (heading) }
        p { time datetime=(page.start.to_rfc3339()) { (date_long(language, page.start)) } }
        // The bot's own rendering of the approved minutes, escaped when it was rendered.
        div class="minutes" { (PreEscaped(page.html)) }
        p class="noprint" { a href=(page.markdown) download { (download.get(language)) } }
    };
    document(language, &heading, page.network, main)
}
