//! The organizers' page and the `!web` answers that hand out its link: what the network's
//! organizers look at in a browser — which post reached which room (and why one did not), the
//! open proposals, the running date polls, each municipality's attendance over the last
//! meetings, and whether the bot is healthy.
//!
//! Pure, like [`super::page`], whose document, style sheet and poll tables it shares: the edge
//! gathers an [`OrganizersPage`]; this only writes HTML (maud: every value escaped, no script).
//! The attendance chart is an inline SVG written on the server, with the same numbers as a
//! table for screen readers. Wide tables scroll inside a focusable region, never the page.

use chrono::DateTime;
use chrono_tz::Tz;
use maud::{Markup, html};

use super::common::{Both, date_short};
use super::fan_out::{RoomOutcome, outcome_reason};
use super::page::{PagePoll, document, poll_table};
use super::rendered::{Rendered, escape_html};
use crate::delivery::Record;
use crate::health::Verdict;
use crate::i18n::Language;
use crate::minutes::Attendance;
use crate::text;

/// A post as the organizers' page shows it: one row, a cell per room.
#[derive(Debug)]
pub struct PagePost {
    /// Its kind as stored: `announcement`, `reminder`, `change`, `minutes`, `notice`, `poll`, …
    pub kind: String,
    /// The meeting it is about (empty for a notice about none).
    pub meeting_title: String,
    /// The meeting's start, if it is about one.
    pub meeting_start: Option<DateTime<Tz>>,
    /// When it started.
    pub created: DateTime<Tz>,
    /// Its message in each room, in the order of [`OrganizersPage::rooms`]: `Missing` where it
    /// was never begun.
    pub cells: Vec<Record>,
}

/// An open proposal as the organizers' page lists it.
#[derive(Debug)]
pub struct PageProposal {
    /// Its number.
    pub number: i64,
    /// Its title.
    pub title: String,
    /// The proposing municipality.
    pub municipality: String,
    /// The meeting it is proposed for: its title, and its start if the schedule still has it.
    pub meeting: String,
    /// That meeting's start.
    pub meeting_start: Option<DateTime<Tz>>,
}

/// One municipality's attendance over the meetings counted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AttendanceRow {
    /// The municipality.
    pub municipality: String,
    /// Meetings it was present at (`!here`).
    pub present: usize,
    /// Meetings it accepted (✅) without being recorded present.
    pub accepted: usize,
    /// Meetings it declined (❌).
    pub declined: usize,
    /// Meetings it said nothing about.
    pub silent: usize,
}

impl AttendanceRow {
    /// Counts `attendance` (one entry per meeting) for `municipality`.
    pub fn count(municipality: &str, attendance: &[Option<Attendance>]) -> Self {
        let mut row = Self {
            municipality: municipality.to_owned(),
            ..Self::default()
        };
        for entry in attendance {
            match entry {
                Some(Attendance::Here) => row.present += 1,
                Some(Attendance::Accepted) => row.accepted += 1,
                Some(Attendance::Declined) => row.declined += 1,
                None => row.silent += 1,
            }
        }
        row
    }
}

/// Everything the organizers' page shows.
#[derive(Debug)]
pub struct OrganizersPage<'a> {
    /// The network's language.
    pub language: Language,
    /// The network's name.
    pub network: &'a str,
    /// The rooms, as column headers: configured rooms by name, others by their key.
    pub rooms: Vec<String>,
    /// The posts of the last days, newest first.
    pub posts: Vec<PagePost>,
    /// How many days of posts are shown.
    pub post_days: i64,
    /// The open proposals, oldest first.
    pub proposals: Vec<PageProposal>,
    /// The running date polls.
    pub polls: Vec<PagePoll>,
    /// The starts of the meetings attendance is counted over, oldest first.
    pub meetings: Vec<DateTime<Tz>>,
    /// Each member municipality's attendance at those meetings.
    pub attendance: Vec<AttendanceRow>,
    /// What `/healthz` says now.
    pub health: Verdict,
}

/// The organizers' page.
pub fn organizers_page(page: &OrganizersPage<'_>) -> String {
    let language = page.language;
    let heading = text!(const de: "Seite der Organisation", en: "Organizers' page");
    let main = html! {
        h1 { (heading.get(language)) }
        (health_line(language, &page.health))
        (posts_section(page))
        (proposals_section(language, &page.proposals))
        (polls_section(language, &page.polls))
        (attendance_section(language, &page.meetings, &page.attendance))
    };
    document(language, heading.get(language), page.network, main)
}

fn health_line(language: Language, health: &Verdict) -> Markup {
    let label = text!(const de: "Zustand des Bots", en: "The bot's health");
    let line = match health {
        Verdict::Healthy => text!(
            const de: "in Ordnung: er ist mit dem Homeserver verbunden, und alle seine Aufgaben laufen.",
            en: "good: it is connected to its homeserver, and all its tasks run.",
        )
        .take(language),
        // The reason is `/healthz`'s, in English, for operators.
        Verdict::Unhealthy(why) => text!(
            de: "gestört ({why}).",
            en: "failing ({why}).",
        )
        .take(language),
    };
    let class = match health {
        Verdict::Healthy => "health ok",
        Verdict::Unhealthy(_) => "health fail",
    };
    html! {
        p class=(class) { strong { (label.get(language)) ": " } (line) }
    }
}

/// "Einladung" / "Invitation": a post's kind as organizers call it.
fn kind_name(language: Language, kind: &str) -> String {
    let name = match kind {
        "announcement" => text!(const de: "Einladung", en: "Invitation"),
        "reminder" => text!(const de: "Erinnerung", en: "Reminder"),
        "change" => text!(const de: "Änderung", en: "Change"),
        "minutes" => text!(const de: "Protokoll", en: "Minutes"),
        "notice" => text!(const de: "Hinweis", en: "Notice"),
        "poll" => text!(const de: "Terminumfrage", en: "Date poll"),
        "poll-reminder" => {
            text!(const de: "Erinnerung an die Terminumfrage", en: "Date poll reminder")
        }
        "poll-end" => text!(const de: "Ende der Terminumfrage", en: "End of the date poll"),
        other => return other.to_owned(),
    };
    name.take(language)
}

fn posts_section(page: &OrganizersPage<'_>) -> Markup {
    let language = page.language;
    let days = page.post_days;
    let heading = text!(const de: "Zustellungen", en: "Deliveries");
    let caption = text!(
        de: "Beiträge der letzten {days} Tage und ihre Zustellung in jedem Raum",
        en: "Posts of the last {days} days and their delivery to each room",
    )
    .take(language);
    let post = text!(const de: "Beitrag", en: "Post");
    let none = text!(
        de: "In den letzten {days} Tagen hat der Bot nichts gepostet.",
        en: "The bot has posted nothing in the last {days} days.",
    )
    .take(language);
    let region = text!(const de: "Zustellungen je Raum", en: "Deliveries per room");
    html! {
        section aria-labelledby="zustellungen" {
            h2 id="zustellungen" { (heading.get(language)) }
            @if page.posts.is_empty() {
                p { (none) }
            } @else {
                div class="scroll" role="region" aria-label=(region.get(language)) tabindex="0" {
                    table class="deliveries" {
                        caption { (caption) }
                        thead { tr {
                            th scope="col" { (post.get(language)) }
                            @for room in &page.rooms { th scope="col" { (room) } }
                        } }
                        tbody {
                            @for post in &page.posts {
                                tr {
                                    th scope="row" { (post_heading(language, post)) }
                                    @for cell in &post.cells { (delivery_cell(language, cell)) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// "Einladung: Videokonferenz (17.12.2026)", and below "Versand ab 10.12.2026".
fn post_heading(language: Language, post: &PagePost) -> Markup {
    let started = text!(const de: "Versand ab", en: "sent from");
    html! {
        (kind_name(language, &post.kind))
        @if !post.meeting_title.is_empty() { ": " (post.meeting_title) }
        @if let Some(start) = post.meeting_start {
            " (" time datetime=(start.to_rfc3339()) { (date_short(language, start.date_naive())) } ")"
        }
        br;
        span class="from" {
            (started.get(language)) " "
            time datetime=(post.created.to_rfc3339()) { (date_short(language, post.created.date_naive())) }
        }
    }
}

fn delivery_cell(language: Language, record: &Record) -> Markup {
    let delivered = text!(const de: "zugestellt", en: "delivered");
    let pending = text!(const de: "ausstehend", en: "pending");
    let given_up = text!(const de: "aufgegeben", en: "given up");
    // Nothing begun: the post is not for this room (a notice to the organizers), or its turn
    // has not come yet.
    let not_sent = text!(const de: "kein Versand", en: "none");
    match record {
        Record::Done { .. } => html! { td class="ok" { (delivered.get(language)) } },
        Record::Pending { failure: None, .. } => {
            html! { td class="wait" { (pending.get(language)) } }
        }
        Record::Pending {
            failure: Some(failure),
            ..
        } => {
            let why = outcome_reason(language, &RoomOutcome::Retrying(failure.clone()));
            html! { td class="wait" { (pending.get(language)) ": " (why) } }
        }
        Record::GivenUp { reason, .. } => {
            let why = outcome_reason(language, &RoomOutcome::GivenUp(reason.clone()));
            html! { td class="fail" { (given_up.get(language)) ": " (why) } }
        }
        Record::Missing => html! { td class="none" { (not_sent.get(language)) } },
    }
}

fn proposals_section(language: Language, proposals: &[PageProposal]) -> Markup {
    let heading = text!(const de: "Offene Vorschläge", en: "Open proposals");
    let none = text!(
        const de: "Es gibt keinen offenen Vorschlag.",
        en: "There is no open proposal.",
    );
    let caption = text!(
        const de: "Vorschläge der Mitglieder, über die noch nicht entschieden ist",
        en: "Members' proposals not decided yet",
    );
    let (number, title, municipality, meeting) = (
        text!(const de: "Nr.", en: "No."),
        text!(const de: "Titel", en: "Title"),
        text!(const de: "Kommune", en: "Municipality"),
        text!(const de: "Termin", en: "Meeting"),
    );
    html! {
        section aria-labelledby="vorschlaege" {
            h2 id="vorschlaege" { (heading.get(language)) }
            @if proposals.is_empty() {
                p { (none.get(language)) }
            } @else {
                table {
                    caption { (caption.get(language)) }
                    thead { tr {
                        th scope="col" { (number.get(language)) }
                        th scope="col" { (title.get(language)) }
                        th scope="col" { (municipality.get(language)) }
                        th scope="col" { (meeting.get(language)) }
                    } }
                    tbody {
                        @for proposal in proposals {
                            tr {
                                th scope="row" { (proposal.number) }
                                td { (proposal.title) }
                                td { (proposal.municipality) }
                                td {
                                    (proposal.meeting)
                                    @if let Some(start) = proposal.meeting_start {
                                        ", " time datetime=(start.to_rfc3339()) { (date_short(language, start.date_naive())) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn polls_section(language: Language, polls: &[PagePoll]) -> Markup {
    let heading = text!(const de: "Laufende Terminumfragen", en: "Running date polls");
    let none = text!(
        const de: "Zurzeit läuft keine Terminumfrage.",
        en: "No date poll is running.",
    );
    html! {
        section aria-labelledby="umfragen" {
            h2 id="umfragen" { (heading.get(language)) }
            @if polls.is_empty() {
                p { (none.get(language)) }
            }
            @for poll in polls { (poll_table(language, poll)) }
        }
    }
}

/// The chart's geometry, in its own units (it scales to the width of the page).
const CHART_WIDTH: usize = 600;
const ROW_HEIGHT: usize = 44;
const BAR_HEIGHT: usize = 14;

fn attendance_section(
    language: Language,
    meetings: &[DateTime<Tz>],
    rows: &[AttendanceRow],
) -> Markup {
    let heading = text!(const de: "Teilnahme der Kommunen", en: "Attendance of the municipalities");
    let count = meetings.len();
    let none = text!(
        const de: "Es hat noch kein Termin stattgefunden, dessen Teilnahme gezählt werden könnte.",
        en: "No meeting has taken place yet whose attendance could be counted.",
    );
    let (first, last) = match (meetings.first(), meetings.last()) {
        (Some(first), Some(last)) => (*first, *last),
        _ => {
            return html! {
                section aria-labelledby="teilnahme" {
                    h2 id="teilnahme" { (heading.get(language)) }
                    p { (none.get(language)) }
                }
            };
        }
    };
    let counted = text!(
        de: "Gezählt über die letzten {count} Termine, vom {first} bis zum {last}.",
        en: "Counted over the last {count} meetings, from {first} to {last}.";
        first = date_short(language, first.date_naive()),
        last = date_short(language, last.date_naive()),
    )
    .take(language);
    let caption = text!(
        de: "Teilnahme an den letzten {count} Terminen, je Kommune",
        en: "Attendance at the last {count} meetings, per municipality",
    )
    .take(language);
    let (municipality, present, accepted, declined, silent) = (
        text!(const de: "Kommune", en: "Municipality"),
        text!(const de: "anwesend", en: "present"),
        text!(const de: "zugesagt, nicht anwesend gemeldet", en: "accepted, not recorded present"),
        text!(const de: "abgesagt", en: "declined"),
        text!(const de: "ohne Rückmeldung", en: "no answer"),
    );
    html! {
        section aria-labelledby="teilnahme" {
            h2 id="teilnahme" { (heading.get(language)) }
            p { (counted) }
            (attendance_chart(language, count, rows))
            ul class="legend" aria-hidden="true" {
                li { span class="swatch present" {} (present.get(language)) }
                li { span class="swatch accepted" {} (accepted.get(language)) }
                li { span class="swatch declined" {} (declined.get(language)) }
            }
            table {
                caption { (caption) }
                thead { tr {
                    th scope="col" { (municipality.get(language)) }
                    th scope="col" { (present.get(language)) }
                    th scope="col" { (accepted.get(language)) }
                    th scope="col" { (declined.get(language)) }
                    th scope="col" { (silent.get(language)) }
                } }
                tbody {
                    @for row in rows {
                        tr {
                            th scope="row" { (row.municipality) }
                            td { (row.present) }
                            td { (row.accepted) }
                            td { (row.declined) }
                            td { (row.silent) }
                        }
                    }
                }
            }
        }
    }
}

/// One bar per municipality: present, accepted and declined meetings side by side, out of
/// `count`; its name above it and "7 / 12" after it.
fn attendance_chart(language: Language, count: usize, rows: &[AttendanceRow]) -> Markup {
    let name = text!(
        de: "Balkendiagramm: Teilnahme je Kommune an den letzten {count} Terminen; dieselben Zahlen stehen in der Tabelle darunter",
        en: "Bar chart: attendance per municipality at the last {count} meetings; the table below has the same numbers",
    )
    .take(language);
    let height = ROW_HEIGHT * rows.len().max(1);
    let track = CHART_WIDTH - 80;
    let width_of = |n: usize| (n * track).checked_div(count).unwrap_or(0);
    html! {
        svg class="chart" role="img" aria-label=(name) xmlns="http://www.w3.org/2000/svg"
            viewBox=(format!("0 0 {CHART_WIDTH} {height}")) {
            @for (index, row) in rows.iter().enumerate() {
                @let top = index * ROW_HEIGHT;
                @let bar = top + 20;
                @let (present, accepted, declined) = (width_of(row.present), width_of(row.accepted), width_of(row.declined));
                text x="0" y=(top + 15) class="label" { (row.municipality) }
                rect x="0" y=(bar) width=(track) height=(BAR_HEIGHT) class="track" {}
                rect x="0" y=(bar) width=(present) height=(BAR_HEIGHT) class="present" {}
                rect x=(present) y=(bar) width=(accepted) height=(BAR_HEIGHT) class="accepted" {}
                rect x=(present + accepted) y=(bar) width=(declined) height=(BAR_HEIGHT) class="declined" {}
                text x=(track + 8) y=(bar + 12) class="label" { (row.present) " / " (count) }
            }
        }
    }
}

/// What `!web` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebAnswer<'a> {
    /// The organizers' page's link; `rotated` when it was just replaced.
    Link {
        /// The page.
        url: &'a str,
        /// Whether the link was replaced.
        rotated: bool,
    },
    /// No `calendar:` section, so no web server.
    NoServer,
    /// Asked outside the organizers' room, where the link must not be shown.
    WrongRoom,
}

/// The answer to `!web` and `!web rotate`.
pub fn web_answer(language: Language, answer: WebAnswer<'_>) -> Rendered {
    let plain_text = |text: String| Rendered {
        html: escape_html(&text),
        plain: text,
    };
    let (url, rotated) = match answer {
        WebAnswer::NoServer => {
            return plain_text(
                text!(
                    const de: "Für dieses Netzwerk ist kein Webserver eingerichtet (kein Abschnitt „calendar:“ in der Konfiguration), also auch keine Seite der Organisation.",
                    en: "This network has no web server configured (no “calendar:” section in the configuration), so there is no organizers' page.",
                )
                .take(language),
            );
        }
        WebAnswer::WrongRoom => {
            return plain_text(
                text!(
                    const de: "Den Link zur Seite der Organisation gibt es nur im Organisationsraum; bitte senden Sie den Befehl dort.",
                    en: "The link to the organizers' page is given only in the organizers' room; please send the command there.",
                )
                .take(language),
            );
        }
        WebAnswer::Link { url, rotated } => (url, rotated),
    };
    let intro = if rotated {
        text!(
            const de: "Der bisherige Link zur Seite der Organisation ist ab sofort ungültig. Der neue Link:",
            en: "The previous link to the organizers' page no longer works. The new link:",
        )
    } else {
        text!(
            const de: "Die Seite der Organisation – Zustellungen, offene Vorschläge, Terminumfragen, Teilnahme und Zustand des Bots:",
            en: "The organizers' page – deliveries, open proposals, date polls, attendance and the bot's health:",
        )
    };
    let note = text!(
        const de: "Der Link ist geheim: Wer ihn kennt, sieht die Seite. Bitte geben Sie ihn nur an Organisatorinnen und Organisatoren weiter; „!web rotate“ ersetzt ihn.",
        en: "The link is secret: whoever has it sees the page. Please share it with organizers only; “!web rotate” replaces it.",
    );
    let mut both = Both::default();
    both.line(intro.get(language));
    let escaped = escape_html(url);
    both.raw_line(url, &format!("<a href=\"{escaped}\">{escaped}</a>"));
    both.line(note.get(language));
    both.done()
}
