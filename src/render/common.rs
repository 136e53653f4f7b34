//! What every text is made of: dates written out in the bot's language, user text quoted, and [`Both`], a message assembled as its plain and HTML body at once.
//!
//! Every text of the render layer is a [`text!`](crate::text), German and English side by side.
//! The `match language` left are here, in one place, because they are not texts but properties
//! of a language: how it writes a date ([`date_long`], [`date_range`], [`date_short`],
//! [`date_argument`]) and the names of its weekdays and months, which quotation marks it uses
//! ([`quotation_marks`]), and the word that joins the last two of a list ([`and`]).

use std::fmt::Write as _;

use chrono::{DateTime, Datelike as _, NaiveDate, Weekday};
use chrono_tz::Tz;

use super::rendered::{Rendered, escape_html};
use crate::i18n::{Language, Text};
use crate::text;
use crate::text::one_line;

const WEEKDAYS_DE: [&str; 7] = [
    "Montag",
    "Dienstag",
    "Mittwoch",
    "Donnerstag",
    "Freitag",
    "Samstag",
    "Sonntag",
];
const WEEKDAYS_EN: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS_DE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn weekday_index(day: Weekday) -> usize {
    day.num_days_from_monday() as usize
}

/// The name of a month (0 for January) in `language`.
pub(super) fn month_name(language: Language, month0: u32) -> &'static str {
    let names = match language {
        Language::German => &MONTHS_DE,
        Language::English => &MONTHS_EN,
    };
    names[month0 as usize % 12]
}

/// "Donnerstag, 17. Dezember 2026" / "Thursday, 17 December 2026".
pub fn date_long(language: Language, at: DateTime<Tz>) -> String {
    let day = weekday_index(at.weekday());
    let month = at.month0() as usize;
    match language {
        Language::German => format!(
            "{}, {}. {} {}",
            WEEKDAYS_DE[day],
            at.day(),
            MONTHS_DE[month],
            at.year()
        ),
        Language::English => format!(
            "{}, {} {} {}",
            WEEKDAYS_EN[day],
            at.day(),
            MONTHS_EN[month],
            at.year()
        ),
    }
}

/// "Donnerstag, 17. Dezember 2026, 10:00–11:30 Uhr" / "Thursday, 17 December 2026, 10:00–11:30".
pub fn date_range(language: Language, start: DateTime<Tz>, end: DateTime<Tz>) -> String {
    let same_day = start.date_naive() == end.date_naive();
    let time = |at: DateTime<Tz>| at.format("%H:%M").to_string();
    match (language, same_day) {
        (Language::German, true) => format!(
            "{}, {}–{} Uhr",
            date_long(language, start),
            time(start),
            time(end)
        ),
        (Language::German, false) => format!(
            "{}, {} Uhr – {}, {} Uhr",
            date_long(language, start),
            time(start),
            date_long(language, end),
            time(end)
        ),
        (Language::English, true) => format!(
            "{}, {}–{}",
            date_long(language, start),
            time(start),
            time(end)
        ),
        (Language::English, false) => format!(
            "{}, {} – {}, {}",
            date_long(language, start),
            time(start),
            date_long(language, end),
            time(end)
        ),
    }
}

/// A date as people write it in a sentence: "15.01.2027" / "15 January 2027".
pub fn date_short(language: Language, date: NaiveDate) -> String {
    match language {
        Language::German => date.format("%d.%m.%Y").to_string(),
        Language::English => format!(
            "{} {} {}",
            date.day(),
            month_name(language, date.month0()),
            date.year()
        ),
    }
}

/// A date as the commands take it: "15.01.2027" / "2027-01-15".
pub(super) fn date_argument(language: Language, date: NaiveDate) -> String {
    match language {
        Language::German => date.format("%d.%m.%Y").to_string(),
        Language::English => date.format("%Y-%m-%d").to_string(),
    }
}

/// A message being assembled in both forms at once.
#[derive(Debug, Default)]
pub(super) struct Both {
    plain: String,
    html: String,
    /// Whether the HTML ends in a block (a list), after which no line break is needed.
    after_block: bool,
}

impl Both {
    /// A line of text, escaped for HTML.
    pub(super) fn line(&mut self, text: &str) {
        self.raw_line(text, &escape_html(text));
    }

    /// A line with its own HTML form (already escaped by the caller).
    pub(super) fn raw_line(&mut self, plain: &str, html: &str) {
        if !self.plain.is_empty() {
            self.plain.push('\n');
            if !self.after_block {
                self.html.push_str("<br>\n");
            }
        }
        self.after_block = false;
        self.plain.push_str(plain);
        self.html.push_str(html);
    }

    /// An empty line between sections.
    pub(super) fn blank(&mut self) {
        if self.plain.is_empty() {
            return;
        }
        self.plain.push('\n');
        if !self.after_block {
            self.html.push_str("<br>\n");
        }
        self.after_block = true;
    }

    /// A bulleted list of (plain, HTML) items: "• item" lines, and an HTML `<ul>`.
    pub(super) fn list(&mut self, items: &[(String, String)]) {
        if items.is_empty() {
            return;
        }
        self.html.push_str("<ul>\n");
        for (plain, html) in items {
            if !self.plain.is_empty() {
                self.plain.push('\n');
            }
            self.plain.push_str("• ");
            self.plain.push_str(plain);
            let _ = writeln!(self.html, "<li>{html}</li>");
        }
        self.html.push_str("</ul>\n");
        self.after_block = true;
    }

    pub(super) fn done(self) -> Rendered {
        Rendered {
            plain: self.plain,
            html: self.html,
        }
    }
}

/// The quotation marks of `language`: opening and closing, then the single ones for a
/// quotation inside a quotation.
pub(super) fn quotation_marks(language: Language) -> [char; 4] {
    match language {
        Language::German => ['„', '“', '‚', '‘'],
        Language::English => ['“', '”', '‘', '’'],
    }
}

/// The word before the last of a list: "A, B und C" / "A, B and C".
pub(super) fn and(language: Language) -> &'static str {
    match language {
        Language::German => "und",
        Language::English => "and",
    }
}

/// Text in quotation marks, on one line: „…“ in German, “…” in English. Quotation marks
/// inside become single ones (‚…‘, ‘…’), alternating opening and closing.
pub(super) fn quoted(language: Language, text: &str) -> String {
    let [open, close, inner_open, inner_close] = quotation_marks(language);
    let mut quoted = String::from(open);
    let mut inside = false;
    // Typed text: no bidi override of its own, and right-to-left text kept to itself.
    for c in text::echo(&one_line(text)).chars() {
        if matches!(c, '"' | '„' | '“' | '”') {
            quoted.push(if inside { inner_close } else { inner_open });
            inside = !inside;
        } else {
            quoted.push(c);
        }
    }
    quoted.push(close);
    quoted
}

/// "„A“", "„A“ und „B“", "„A“, „B“ und „C“" / "“A” and “B”".
pub(super) fn quoted_list(language: Language, titles: &[String]) -> String {
    let mut titles: Vec<String> = titles.iter().map(|t| quoted(language, t)).collect();
    let Some(last) = titles.pop() else {
        return String::new();
    };
    if titles.is_empty() {
        return last;
    }
    format!("{} {} {last}", titles.join(", "), and(language))
}

/// A user's text as the end of a sentence: with a full stop unless it has its own.
pub(super) fn sentence_end(text: &str) -> String {
    let text = text::echo(&one_line(text));
    if text.ends_with(['.', '!', '?']) {
        text
    } else {
        format!("{text}.")
    }
}

/// "… und 12 weitere Punkte": items and proposals an agenda leaves out.
pub(super) fn more_items(left_out: usize) -> Text {
    if left_out == 1 {
        text!(de: "… und 1 weiterer Punkt", en: "… and 1 more item")
    } else {
        text!(de: "… und {left_out} weitere Punkte", en: "… and {left_out} more items")
    }
}
