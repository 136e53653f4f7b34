//! Recurrence rules: the subset of RFC 5545 `RRULE` (§3.3.10) that convene supports.
//!
//! Organizers describe a regular meeting in the YAML config with a rule such as
//! `FREQ=MONTHLY;BYDAY=3TH` ("every third Thursday"). convene expands the rule itself to know
//! when to announce a meeting, and writes the same rule, in canonical form, into the `.ics` feed
//! so that calendar clients expand it too. Both must agree on every date, so this module follows
//! the RFC to the letter for what it accepts, and rejects everything else with an error that
//! tells the organizer how to fix the rule, rather than guessing.
//!
//! Supported: `FREQ=WEEKLY` and `FREQ=MONTHLY`, `INTERVAL`, `BYDAY` (with ordinals such as `3TH`
//! or `-1FR` for monthly rules), `BYMONTHDAY` (monthly rules), `COUNT` or `UNTIL`, and `WKST=MO`.
//!
//! Rules work on local dates only: the caller applies the time of day and the time zone, so
//! daylight saving time is no concern here. Everything is pure: no I/O, no clock.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

use crate::diagnostic::echo;
use crate::i18n::Text;
use crate::limits;
use crate::text;

/// How often a rule repeats: the length of one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frequency {
    /// `FREQ=WEEKLY`: periods are weeks, starting on Monday.
    Weekly,
    /// `FREQ=MONTHLY`: periods are calendar months.
    Monthly,
}

/// One entry of `BYDAY`: a weekday, optionally with its ordinal within the month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekdayRule {
    /// Which such weekday of the month: 1 to 5 counted from the start, -1 to -5 from the end
    /// (`3TH` is the third Thursday, `-1FR` the last Friday). `None` means every such weekday.
    /// Only monthly rules have ordinals; a weekly rule ignores them (the parser rejects them).
    pub ordinal: Option<i8>,
    /// The weekday.
    pub weekday: Weekday,
}

/// When a rule stops repeating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// Neither `COUNT` nor `UNTIL`: the rule repeats forever.
    Never,
    /// `COUNT=n`: after `n` occurrences (counting from DTSTART, which is the first if it
    /// matches the rule).
    Count(u32),
    /// `UNTIL=…`: the last possible occurrence is on this date (inclusive).
    Until(NaiveDate),
}

/// A parsed recurrence rule. Parse one with [`str::parse`]; write it back with
/// [`Rule::to_ical`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// `FREQ`: weekly or monthly.
    pub frequency: Frequency,
    /// `INTERVAL`: every how many weeks or months (at least 1; 0 is treated as 1).
    pub interval: u32,
    /// `BYDAY`, in the order written. Empty means: for weekly rules the weekday of DTSTART, for
    /// monthly rules no restriction by weekday.
    pub by_day: Vec<WeekdayRule>,
    /// `BYMONTHDAY`, in the order written: 1 to 31, or -1 to -31 counted from the end of the
    /// month. Only monthly rules have these (the parser rejects them for weekly rules).
    pub by_month_day: Vec<i8>,
    /// `COUNT` or `UNTIL`.
    pub end: End,
}

/// Why a recurrence rule cannot be used. The messages are meant for the organizer who wrote
/// the rule in the config.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// The rule has no `FREQ` part (this includes an empty rule).
    #[error(
        "the rule has no FREQ: start it with FREQ=WEEKLY or FREQ=MONTHLY, such as FREQ=MONTHLY;BYDAY=3TH"
    )]
    MissingFrequency,
    /// `FREQ` is something other than `WEEKLY` or `MONTHLY`.
    #[error("unsupported frequency `{0}`: convene supports FREQ=WEEKLY and FREQ=MONTHLY")]
    UnsupportedFrequency(String),
    /// A part between semicolons is not of the form `KEY=VALUE`.
    #[error(
        "`{0}` is not of the form KEY=VALUE: separate the parts of a rule by `;`, such as FREQ=MONTHLY;BYDAY=3TH"
    )]
    MalformedPart(String),
    /// A key has nothing after `=`, or its list has an empty item (`BYDAY=MO,,TH`).
    #[error(
        "{0} has an empty value: write something after `{0}=`, and separate list items by single commas, such as BYDAY=MO,TH"
    )]
    EmptyValue(String),
    /// A key occurs twice.
    #[error("{0} is given twice: write each key once; lists go into one key, such as BYDAY=MO,TH")]
    DuplicateKey(String),
    /// A key that RFC 5545 may know, but convene does not support (`BYSETPOS`, `BYMONTH`, …).
    #[error(
        "`{0}` is not supported: convene understands FREQ, INTERVAL, BYDAY, BYMONTHDAY, COUNT, UNTIL and WKST"
    )]
    UnsupportedKey(String),
    /// `INTERVAL` is not a whole number of at least 1.
    #[error(
        "invalid INTERVAL `{0}`: write a whole number of at least 1, such as INTERVAL=2 for every other week or month"
    )]
    InvalidInterval(String),
    /// `COUNT` is not a whole number of at least 1.
    #[error("invalid COUNT `{0}`: write the number of meetings, at least 1, such as COUNT=10")]
    InvalidCount(String),
    /// `UNTIL` is neither a date nor a date-time.
    #[error(
        "invalid UNTIL `{0}`: write a date as YYYYMMDD, such as UNTIL=20261231, or a date-time such as UNTIL=20261231T235959Z"
    )]
    InvalidUntil(String),
    /// Both `COUNT` and `UNTIL` are given.
    #[error(
        "COUNT and UNTIL are both given: a rule ends either after a number of meetings or on a date, so keep only one"
    )]
    CountAndUntil,
    /// A `BYDAY` item names no weekday.
    #[error(
        "unknown weekday `{0}`: write MO, TU, WE, TH, FR, SA or SU, optionally with an ordinal such as 3TH or -1FR"
    )]
    UnknownWeekday(String),
    /// A `BYDAY` item has an ordinal outside 1..5 and -5..-1.
    #[error(
        "invalid ordinal in `{0}`: a weekday of the month is numbered 1 to 5 from the start or -1 to -5 from the end, such as 3TH or -1FR"
    )]
    InvalidOrdinal(String),
    /// A weekly rule has a `BYDAY` item with an ordinal.
    #[error(
        "`{0}` has an ordinal, which only FREQ=MONTHLY allows: with FREQ=WEEKLY write the weekday alone, such as TH"
    )]
    OrdinalNeedsMonthly(String),
    /// A `BYMONTHDAY` item is not a day of the month.
    #[error(
        "invalid BYMONTHDAY `{0}`: write a day of the month from 1 to 31, or -1 to -31 counted from the end (-1 is the last day)"
    )]
    InvalidMonthDay(String),
    /// A weekly rule has `BYMONTHDAY`.
    #[error("BYMONTHDAY only works with FREQ=MONTHLY: use FREQ=MONTHLY, or drop BYMONTHDAY")]
    MonthDayNeedsMonthly,
    /// `WKST` is something other than `MO`.
    #[error(
        "unsupported WKST `{0}`: convene counts weeks from Monday, so only WKST=MO is accepted (or leave WKST out)"
    )]
    UnsupportedWeekStart(String),
    /// `INTERVAL` is larger than [`limits::MAX_INTERVAL`].
    #[error(
        "INTERVAL={0} is larger than convene accepts: write at most INTERVAL=1000, or describe a rare meeting as a workshop"
    )]
    IntervalTooLarge(String),
    /// `COUNT` is larger than [`limits::MAX_COUNT`].
    #[error(
        "COUNT={0} is larger than convene accepts: write at most COUNT=10000, or leave COUNT out for a series without end"
    )]
    CountTooLarge(String),
    /// `UNTIL` lies outside [`limits::FIRST_DATE`]..=[`limits::LAST_DATE`].
    #[error(
        "UNTIL={0} is outside the dates convene plans with: write a date from 19700101 to 22001231, or leave UNTIL out for a series without end"
    )]
    UntilOutOfRange(String),
}

impl RuleError {
    /// The error in both languages, for a diagnostic, with the part of the rule it quotes
    /// shortened and invisible characters made visible. The English is the
    /// [`fmt::Display`] text.
    pub fn text(&self) -> Text {
        use RuleError as E;
        let echoed = match self {
            E::UnsupportedFrequency(x) => E::UnsupportedFrequency(echo(x)),
            E::MalformedPart(x) => E::MalformedPart(echo(x)),
            E::EmptyValue(x) => E::EmptyValue(echo(x)),
            E::DuplicateKey(x) => E::DuplicateKey(echo(x)),
            E::UnsupportedKey(x) => E::UnsupportedKey(echo(x)),
            E::InvalidInterval(x) => E::InvalidInterval(echo(x)),
            E::InvalidCount(x) => E::InvalidCount(echo(x)),
            E::InvalidUntil(x) => E::InvalidUntil(echo(x)),
            E::UnknownWeekday(x) => E::UnknownWeekday(echo(x)),
            E::InvalidOrdinal(x) => E::InvalidOrdinal(echo(x)),
            E::OrdinalNeedsMonthly(x) => E::OrdinalNeedsMonthly(echo(x)),
            E::InvalidMonthDay(x) => E::InvalidMonthDay(echo(x)),
            E::UnsupportedWeekStart(x) => E::UnsupportedWeekStart(echo(x)),
            E::IntervalTooLarge(x) => E::IntervalTooLarge(echo(x)),
            E::CountTooLarge(x) => E::CountTooLarge(echo(x)),
            E::UntilOutOfRange(x) => E::UntilOutOfRange(echo(x)),
            E::MissingFrequency => E::MissingFrequency,
            E::CountAndUntil => E::CountAndUntil,
            E::MonthDayNeedsMonthly => E::MonthDayNeedsMonthly,
        };
        let german = match &echoed {
            E::MissingFrequency => "Die Regel hat kein FREQ: beginnen Sie sie mit FREQ=WEEKLY oder FREQ=MONTHLY, z. B. FREQ=MONTHLY;BYDAY=3TH".to_owned(),
            E::UnsupportedFrequency(x) => format!(
                "Die Frequenz `{x}` wird nicht unterstützt: convene kennt FREQ=WEEKLY und FREQ=MONTHLY"
            ),
            E::MalformedPart(x) => format!(
                "`{x}` hat nicht die Form SCHLÜSSEL=WERT: trennen Sie die Teile einer Regel durch `;`, z. B. FREQ=MONTHLY;BYDAY=3TH"
            ),
            E::EmptyValue(x) => format!(
                "{x} hat einen leeren Wert: schreiben Sie etwas nach `{x}=`, und trennen Sie die Einträge einer Liste durch einzelne Kommas, z. B. BYDAY=MO,TH"
            ),
            E::DuplicateKey(x) => format!(
                "{x} ist zweimal angegeben: schreiben Sie jeden Schlüssel nur einmal; Listen gehören in einen Schlüssel, z. B. BYDAY=MO,TH"
            ),
            E::UnsupportedKey(x) => format!(
                "`{x}` wird nicht unterstützt: convene versteht FREQ, INTERVAL, BYDAY, BYMONTHDAY, COUNT, UNTIL und WKST"
            ),
            E::InvalidInterval(x) => format!(
                "Ungültiges INTERVAL `{x}`: schreiben Sie eine ganze Zahl ab 1, z. B. INTERVAL=2 für jede zweite Woche oder jeden zweiten Monat"
            ),
            E::InvalidCount(x) => format!(
                "Ungültiges COUNT `{x}`: schreiben Sie die Anzahl der Termine, mindestens 1, z. B. COUNT=10"
            ),
            E::InvalidUntil(x) => format!(
                "Ungültiges UNTIL `{x}`: schreiben Sie ein Datum als JJJJMMTT, z. B. UNTIL=20261231, oder einen Zeitpunkt wie UNTIL=20261231T235959Z"
            ),
            E::CountAndUntil => "COUNT und UNTIL sind beide angegeben: eine Regel endet entweder nach einer Anzahl von Terminen oder an einem Datum; behalten Sie nur eines von beiden".to_owned(),
            E::UnknownWeekday(x) => format!(
                "Unbekannter Wochentag `{x}`: schreiben Sie MO, TU, WE, TH, FR, SA oder SU (Montag bis Sonntag), wahlweise mit einer Nummer wie 3TH oder -1FR"
            ),
            E::InvalidOrdinal(x) => format!(
                "Ungültige Nummer in `{x}`: ein Wochentag im Monat wird von vorn mit 1 bis 5 oder vom Ende mit -1 bis -5 gezählt, z. B. 3TH oder -1FR"
            ),
            E::OrdinalNeedsMonthly(x) => format!(
                "`{x}` hat eine Nummer, die nur FREQ=MONTHLY erlaubt: schreiben Sie bei FREQ=WEEKLY nur den Wochentag, z. B. TH"
            ),
            E::InvalidMonthDay(x) => format!(
                "Ungültiges BYMONTHDAY `{x}`: schreiben Sie einen Tag des Monats von 1 bis 31, oder von -1 bis -31 vom Monatsende gezählt (-1 ist der letzte Tag)"
            ),
            E::MonthDayNeedsMonthly => "BYMONTHDAY gilt nur mit FREQ=MONTHLY: verwenden Sie FREQ=MONTHLY, oder lassen Sie BYMONTHDAY weg".to_owned(),
            E::UnsupportedWeekStart(x) => format!(
                "WKST `{x}` wird nicht unterstützt: convene zählt Wochen ab Montag, daher ist nur WKST=MO erlaubt (oder lassen Sie WKST weg)"
            ),
            E::IntervalTooLarge(x) => format!(
                "INTERVAL={x} ist größer, als convene annimmt: schreiben Sie höchstens INTERVAL=1000, oder legen Sie einen seltenen Termin als Workshop an"
            ),
            E::CountTooLarge(x) => format!(
                "COUNT={x} ist größer, als convene annimmt: schreiben Sie höchstens COUNT=10000, oder lassen Sie COUNT für eine Serie ohne Ende weg"
            ),
            E::UntilOutOfRange(x) => format!(
                "UNTIL={x} liegt außerhalb des Zeitraums, mit dem convene plant: schreiben Sie ein Datum von 19700101 bis 22001231, oder lassen Sie UNTIL für eine Serie ohne Ende weg"
            ),
        };
        text!(de: "{german}", en: "{echoed}")
    }
}

/// The Gregorian calendar repeats every 400 years: 4800 months, exactly 20871 weeks. Once a
/// rule has gone through this many selected periods (plus one, for a first period cut short by
/// DTSTART) without an occurrence, it has none left.
const MONTHS_PER_CYCLE: u32 = 4800;
/// See [`MONTHS_PER_CYCLE`].
const WEEKS_PER_CYCLE: u32 = 20871;

impl FromStr for Rule {
    type Err = RuleError;

    /// Parses a rule such as `FREQ=MONTHLY;BYDAY=3TH`. Keys and values are case-insensitive,
    /// a leading `RRULE:` is accepted, whitespace around parts is ignored.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let body = match text.get(..6) {
            Some(prefix) if prefix.eq_ignore_ascii_case("RRULE:") => &text[6..],
            _ => text,
        };

        let mut seen: Vec<&'static str> = Vec::new();
        let mut frequency = None;
        let mut interval = 1;
        let mut by_day: Vec<(WeekdayRule, &str)> = Vec::new();
        let mut by_month_day = Vec::new();
        let mut count = None;
        let mut until = None;

        for part in body
            .split(';')
            .map(str::trim)
            .filter(|part| !part.is_empty())
        {
            let (key, value) = key_value(part, &seen)?;
            seen.push(key);
            match key {
                "FREQ" => frequency = Some(parse_frequency(value)?),
                "INTERVAL" => interval = parse_interval(value)?,
                "BYDAY" => {
                    for item in list_items(key, value)? {
                        by_day.push((parse_weekday_rule(item)?, item));
                    }
                }
                "BYMONTHDAY" => {
                    for item in list_items(key, value)? {
                        by_month_day.push(parse_month_day(item)?);
                    }
                }
                "COUNT" => count = Some(parse_count(value)?),
                "UNTIL" => until = Some(parse_until_part(value)?),
                _ => check_week_start(value)?,
            }
        }

        let frequency = frequency.ok_or(RuleError::MissingFrequency)?;
        let end = match (count, until) {
            (Some(_), Some(_)) => return Err(RuleError::CountAndUntil),
            (Some(count), None) => End::Count(count),
            (None, Some(until)) => End::Until(until),
            (None, None) => End::Never,
        };
        if frequency == Frequency::Weekly {
            only_monthly_parts_refused(&by_day, &by_month_day)?;
        }
        Ok(Rule {
            frequency,
            interval,
            by_day: by_day.into_iter().map(|(rule, _)| rule).collect(),
            by_month_day,
            end,
        })
    }
}

/// One part of a rule, `KEY=VALUE`: its key, in the canonical upper case, and its value, both
/// trimmed. A key convene does not know, a key already `seen` or an empty value is an error.
fn key_value<'a>(part: &'a str, seen: &[&str]) -> Result<(&'static str, &'a str), RuleError> {
    let Some((key, value)) = part.split_once('=') else {
        return Err(RuleError::MalformedPart(part.to_owned()));
    };
    let (key, value) = (key.trim(), value.trim());
    if key.is_empty() {
        return Err(RuleError::MalformedPart(part.to_owned()));
    }
    let key = match key.to_ascii_uppercase().as_str() {
        "FREQ" => "FREQ",
        "INTERVAL" => "INTERVAL",
        "BYDAY" => "BYDAY",
        "BYMONTHDAY" => "BYMONTHDAY",
        "COUNT" => "COUNT",
        "UNTIL" => "UNTIL",
        "WKST" => "WKST",
        _ => return Err(RuleError::UnsupportedKey(key.to_owned())),
    };
    if seen.contains(&key) {
        return Err(RuleError::DuplicateKey(key.to_owned()));
    }
    if value.is_empty() {
        return Err(RuleError::EmptyValue(key.to_owned()));
    }
    Ok((key, value))
}

/// The value of `FREQ`: `WEEKLY` or `MONTHLY`, case-insensitively.
fn parse_frequency(value: &str) -> Result<Frequency, RuleError> {
    match value.to_ascii_uppercase().as_str() {
        "WEEKLY" => Ok(Frequency::Weekly),
        "MONTHLY" => Ok(Frequency::Monthly),
        _ => Err(RuleError::UnsupportedFrequency(value.to_owned())),
    }
}

/// The value of `INTERVAL`: at least 1, at most [`limits::MAX_INTERVAL`].
fn parse_interval(value: &str) -> Result<u32, RuleError> {
    parse_positive(value)
        .ok_or_else(|| RuleError::InvalidInterval(value.to_owned()))
        .and_then(|n| {
            bounded(n, limits::MAX_INTERVAL)
                .ok_or_else(|| RuleError::IntervalTooLarge(value.to_owned()))
        })
}

/// The value of `COUNT`: at least 1, at most [`limits::MAX_COUNT`].
fn parse_count(value: &str) -> Result<u32, RuleError> {
    parse_positive(value)
        .ok_or_else(|| RuleError::InvalidCount(value.to_owned()))
        .and_then(|n| {
            bounded(n, limits::MAX_COUNT).ok_or_else(|| RuleError::CountTooLarge(value.to_owned()))
        })
}

/// The value of `UNTIL` ([`parse_until`]): a date within [`limits::FIRST_DATE`] and
/// [`limits::LAST_DATE`].
fn parse_until_part(value: &str) -> Result<NaiveDate, RuleError> {
    let date = parse_until(value).ok_or_else(|| RuleError::InvalidUntil(value.to_owned()))?;
    if !(limits::FIRST_DATE..=limits::LAST_DATE).contains(&date) {
        return Err(RuleError::UntilOutOfRange(value.to_owned()));
    }
    Ok(date)
}

/// The value of `WKST`: only Monday, the RFC's default, which is how convene counts weeks.
fn check_week_start(value: &str) -> Result<(), RuleError> {
    if !value.eq_ignore_ascii_case("MO") {
        return Err(RuleError::UnsupportedWeekStart(value.to_owned()));
    }
    Ok(())
}

/// Refuses in a weekly rule what only a monthly one has: a `BYDAY` ordinal (`3TH`, named as
/// written) and `BYMONTHDAY`.
fn only_monthly_parts_refused(
    by_day: &[(WeekdayRule, &str)],
    by_month_day: &[i8],
) -> Result<(), RuleError> {
    if let Some((_, item)) = by_day.iter().find(|(rule, _)| rule.ordinal.is_some()) {
        return Err(RuleError::OrdinalNeedsMonthly((*item).to_owned()));
    }
    if !by_month_day.is_empty() {
        return Err(RuleError::MonthDayNeedsMonthly);
    }
    Ok(())
}

/// The comma-separated items of a list value; an empty item is an error.
fn list_items<'a>(key: &str, value: &'a str) -> Result<Vec<&'a str>, RuleError> {
    value
        .split(',')
        .map(|item| {
            let item = item.trim();
            if item.is_empty() {
                Err(RuleError::EmptyValue(key.to_owned()))
            } else {
                Ok(item)
            }
        })
        .collect()
}

/// A whole number of at least 1, written in digits only (as RFC 5545 requires). A number too
/// large for `u64` comes back as `u64::MAX`, so that it is reported as too large, not as no
/// number.
fn parse_positive(value: &str) -> Option<u64> {
    if value.is_empty() || !value.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    Some(value.parse().unwrap_or(u64::MAX)).filter(|&number| number >= 1)
}

/// `number` if it is at most `max`.
fn bounded(number: u64, max: u32) -> Option<u32> {
    u32::try_from(number).ok().filter(|&number| number <= max)
}

/// An optionally signed number in digits only; `None` if it is not one or does not fit.
fn parse_signed(text: &str) -> Option<i32> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.strip_prefix('+').unwrap_or(text).parse().ok()
}

/// A two-letter weekday code, case-insensitively.
fn parse_weekday_code(code: &str) -> Option<Weekday> {
    Some(match code.to_ascii_uppercase().as_str() {
        "MO" => Weekday::Mon,
        "TU" => Weekday::Tue,
        "WE" => Weekday::Wed,
        "TH" => Weekday::Thu,
        "FR" => Weekday::Fri,
        "SA" => Weekday::Sat,
        "SU" => Weekday::Sun,
        _ => return None,
    })
}

/// The two-letter code of a weekday.
fn weekday_code(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    }
}

/// One `BYDAY` item such as `TH`, `3TH`, `+3TH` or `-1FR`.
fn parse_weekday_rule(item: &str) -> Result<WeekdayRule, RuleError> {
    let unknown = || RuleError::UnknownWeekday(item.to_owned());
    let split = item.len().checked_sub(2).ok_or_else(unknown)?;
    let (prefix, code) = match (item.get(..split), item.get(split..)) {
        (Some(prefix), Some(code)) => (prefix, code),
        _ => return Err(unknown()),
    };
    let weekday = parse_weekday_code(code).ok_or_else(unknown)?;
    if prefix.is_empty() {
        return Ok(WeekdayRule {
            ordinal: None,
            weekday,
        });
    }
    let digits = prefix.strip_prefix(['+', '-']).unwrap_or(prefix);
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(unknown());
    }
    let ordinal = parse_signed(prefix)
        .filter(|ordinal| (1..=5).contains(&ordinal.abs()))
        .and_then(|ordinal| i8::try_from(ordinal).ok())
        .ok_or_else(|| RuleError::InvalidOrdinal(item.to_owned()))?;
    Ok(WeekdayRule {
        ordinal: Some(ordinal),
        weekday,
    })
}

/// One `BYMONTHDAY` item: 1 to 31 or -31 to -1.
fn parse_month_day(item: &str) -> Result<i8, RuleError> {
    parse_signed(item)
        .filter(|day| (1..=31).contains(&day.abs()))
        .and_then(|day| i8::try_from(day).ok())
        .ok_or_else(|| RuleError::InvalidMonthDay(item.to_owned()))
}

/// `UNTIL` as `YYYYMMDD`, `YYYYMMDDTHHMMSS` or `YYYYMMDDTHHMMSSZ`; only the date is kept.
fn parse_until(value: &str) -> Option<NaiveDate> {
    let value = value.to_ascii_uppercase();
    let (date, time) = match value.split_once('T') {
        Some((date, time)) => (date, Some(time.strip_suffix('Z').unwrap_or(time))),
        None => (value.as_str(), None),
    };
    let all_digits = |text: &str, len: usize| {
        text.len() == len && text.bytes().all(|byte| byte.is_ascii_digit())
    };
    if !all_digits(date, 8) {
        return None;
    }
    if let Some(time) = time {
        if !all_digits(time, 6) {
            return None;
        }
        let field = |range: std::ops::Range<usize>| time.get(range)?.parse::<u32>().ok();
        let (hour, minute, second) = (field(0..2)?, field(2..4)?, field(4..6)?);
        // Seconds go to 60 for a leap second.
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
    }
    let number = |range: std::ops::Range<usize>| date.get(range)?.parse::<u32>().ok();
    let year = i32::try_from(number(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(4..6)?, number(6..8)?)
}

impl WeekdayRule {
    /// Whether `date` is this weekday and, in a monthly rule with an ordinal, the right one of
    /// its month.
    fn matches(&self, monthly: bool, date: NaiveDate) -> bool {
        if date.weekday() != self.weekday {
            return false;
        }
        match self.ordinal {
            Some(ordinal) if monthly => {
                let day = i32::try_from(date.day()).unwrap_or(0);
                let last = i32::from(date.num_days_in_month());
                if ordinal > 0 {
                    (day - 1) / 7 + 1 == i32::from(ordinal)
                } else {
                    (last - day) / 7 + 1 == -i32::from(ordinal)
                }
            }
            _ => true,
        }
    }
}

impl fmt::Display for WeekdayRule {
    /// `TH`, `3TH` or `-1FR`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(ordinal) = self.ordinal {
            write!(f, "{ordinal}")?;
        }
        f.write_str(weekday_code(self.weekday))
    }
}

/// Whether `date` is the given day of its month (negative: counted from the end).
fn month_day_matches(month_day: i8, date: NaiveDate) -> bool {
    let day = i32::try_from(date.day()).unwrap_or(0);
    let month_day = i32::from(month_day);
    if month_day > 0 {
        day == month_day
    } else {
        day == i32::from(date.num_days_in_month()) + 1 + month_day
    }
}

impl Rule {
    /// The interval, with 0 (which the parser rejects) treated as 1.
    fn step(&self) -> u32 {
        self.interval.max(1)
    }

    /// Whether `date` is an occurrence of the rule started at `dtstart`, honouring `COUNT`
    /// and `UNTIL`. Dates before `dtstart` are none.
    pub fn is_occurrence(&self, dtstart: NaiveDate, date: NaiveDate) -> bool {
        if date < dtstart || !self.in_selected_period(dtstart, date) {
            return false;
        }
        if !self.day_matches(dtstart, date) {
            return false;
        }
        match self.end {
            End::Never => true,
            End::Until(until) => date <= until,
            // COUNT limits the expansion, so the date must be among the first occurrences.
            End::Count(_) => self.dates(dtstart).take_while(|&d| d <= date).last() == Some(date),
        }
    }

    /// The occurrences from `dtstart` on, in order, computed lazily.
    ///
    /// Only dates that match the rule are occurrences: DTSTART itself only if it matches (the
    /// caller makes sure it does, as RFC 5545 asks). `COUNT` counts these occurrences; `UNTIL`
    /// is inclusive. The iterator ends for `COUNT` and `UNTIL`, and also once a rule cannot
    /// match any more (such as `BYMONTHDAY=30` with `BYDAY=2MO`); with [`End::Never`] it yields
    /// indefinitely, so bound it with `take` or `take_while`.
    pub fn dates(&self, dtstart: NaiveDate) -> Dates<'_> {
        let origin = match self.frequency {
            Frequency::Weekly => dtstart.checked_sub_days(Days::new(u64::from(
                dtstart.weekday().num_days_from_monday(),
            ))),
            Frequency::Monthly => dtstart.with_day(1),
        };
        Dates {
            rule: self,
            dtstart,
            origin,
            next_period: 0,
            pending: VecDeque::new(),
            emitted: 0,
            barren: 0,
        }
    }

    /// The canonical RRULE value for an `.ics` file, such as `FREQ=MONTHLY;BYDAY=3TH`.
    ///
    /// Keys come in a fixed order: FREQ, INTERVAL (only if not 1), BYDAY, BYMONTHDAY, then
    /// COUNT or UNTIL. UNTIL is written as a date, `UNTIL=YYYYMMDD`; an `.ics` writer whose
    /// DTSTART has a time must turn it into a UTC date-time itself.
    pub fn to_ical(&self) -> String {
        self.to_string()
    }

    /// Whether `date` lies in a period the interval selects (weeks or months counted from
    /// DTSTART's).
    fn in_selected_period(&self, dtstart: NaiveDate, date: NaiveDate) -> bool {
        let step = i64::from(self.step());
        let offset = match self.frequency {
            Frequency::Weekly => {
                let monday = |d: NaiveDate| {
                    i64::from(d.num_days_from_ce()) - i64::from(d.weekday().num_days_from_monday())
                };
                (monday(date) - monday(dtstart)) / 7
            }
            Frequency::Monthly => {
                let months = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
                months(date) - months(dtstart)
            }
        };
        offset.rem_euclid(step) == 0
    }

    /// Whether `date` matches BYDAY, BYMONTHDAY and the defaults taken from DTSTART, ignoring
    /// the interval and the end.
    fn day_matches(&self, dtstart: NaiveDate, date: NaiveDate) -> bool {
        // Called for every day the expansion scans: the cheap tests first, each only as needed.
        let monthly = self.frequency == Frequency::Monthly;
        let by_day = if self.by_day.is_empty() {
            monthly || date.weekday() == dtstart.weekday()
        } else {
            let weekday = date.weekday();
            self.by_day
                .iter()
                .any(|rule| rule.weekday == weekday && rule.matches(monthly, date))
        };
        if !by_day {
            return false;
        }
        let by_month_day = self.by_month_day.is_empty()
            || self
                .by_month_day
                .iter()
                .any(|&month_day| month_day_matches(month_day, date));
        if !by_month_day {
            return false;
        }
        !monthly
            || !self.by_day.is_empty()
            || !self.by_month_day.is_empty()
            || date.day() == dtstart.day()
    }
}

impl fmt::Display for Rule {
    /// The same as [`Rule::to_ical`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.frequency {
            Frequency::Weekly => "FREQ=WEEKLY",
            Frequency::Monthly => "FREQ=MONTHLY",
        })?;
        if self.interval != 1 {
            write!(f, ";INTERVAL={}", self.interval)?;
        }
        for (index, rule) in self.by_day.iter().enumerate() {
            f.write_str(if index == 0 { ";BYDAY=" } else { "," })?;
            write!(f, "{rule}")?;
        }
        for (index, month_day) in self.by_month_day.iter().enumerate() {
            f.write_str(if index == 0 { ";BYMONTHDAY=" } else { "," })?;
            write!(f, "{month_day}")?;
        }
        match self.end {
            End::Never => Ok(()),
            End::Count(count) => write!(f, ";COUNT={count}"),
            End::Until(until) => write!(
                f,
                ";UNTIL={:04}{:02}{:02}",
                until.year(),
                until.month(),
                until.day()
            ),
        }
    }
}

/// The occurrences of a [`Rule`], in order; made by [`Rule::dates`].
#[derive(Debug, Clone)]
pub struct Dates<'a> {
    /// The rule being expanded.
    rule: &'a Rule,
    /// The first possible occurrence.
    dtstart: NaiveDate,
    /// The first day of DTSTART's period (Monday of its week, or first of its month); `None`
    /// if that is outside the calendar chrono can represent.
    origin: Option<NaiveDate>,
    /// How many selected periods have been scanned (the next is this times the interval
    /// periods after `origin`).
    next_period: u32,
    /// Occurrences found in the last period scanned, not yet yielded.
    pending: VecDeque<NaiveDate>,
    /// How many occurrences have been yielded, for COUNT.
    emitted: u32,
    /// How many selected periods in a row have had no occurrence.
    barren: u32,
}

impl Dates<'_> {
    /// Stops the iteration for good.
    fn finish(&mut self) -> Option<NaiveDate> {
        self.origin = None;
        self.pending.clear();
        None
    }

    /// The first day of the `index`-th selected period and the number of days in it.
    fn period(&self, index: u32) -> Option<(NaiveDate, u32)> {
        let origin = self.origin?;
        let offset = u64::from(self.rule.step()).checked_mul(u64::from(index))?;
        match self.rule.frequency {
            Frequency::Weekly => Some((
                origin.checked_add_days(Days::new(offset.checked_mul(7)?))?,
                7,
            )),
            Frequency::Monthly => {
                let start = origin.checked_add_months(Months::new(u32::try_from(offset).ok()?))?;
                Some((start, u32::from(start.num_days_in_month())))
            }
        }
    }
}

impl Iterator for Dates<'_> {
    type Item = NaiveDate;

    fn next(&mut self) -> Option<NaiveDate> {
        if let End::Count(count) = self.rule.end
            && self.emitted >= count
        {
            return self.finish();
        }
        let cycle = match self.rule.frequency {
            Frequency::Weekly => WEEKS_PER_CYCLE,
            Frequency::Monthly => MONTHS_PER_CYCLE,
        };
        loop {
            if let Some(date) = self.pending.pop_front() {
                if let End::Until(until) = self.rule.end
                    && date > until
                {
                    return self.finish();
                }
                self.emitted += 1;
                return Some(date);
            }
            let Some((start, days)) = self.period(self.next_period) else {
                return self.finish();
            };
            if let End::Until(until) = self.rule.end
                && start > until
            {
                return self.finish();
            }
            self.next_period += 1;
            // Day by day: the next day is cheaper to find than `start` plus an offset.
            let mut day = Some(start);
            for _ in 0..days {
                let Some(date) = day else {
                    break;
                };
                if date >= self.dtstart && self.rule.day_matches(self.dtstart, date) {
                    self.pending.push_back(date);
                }
                day = date.succ_opt();
            }
            if self.pending.is_empty() {
                self.barren += 1;
                if self.barren > cycle {
                    return self.finish();
                }
            } else {
                self.barren = 0;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).expect("valid test date")
    }

    fn rule_of(text: &str) -> Rule {
        text.parse().expect("valid test rule")
    }

    fn error(text: &str) -> String {
        text.parse::<Rule>()
            .expect_err("invalid test rule")
            .to_string()
    }

    /// The occurrences from `dtstart` up to and including `last`.
    fn dates_until(text: &str, dtstart: NaiveDate, last: NaiveDate) -> Vec<NaiveDate> {
        let rule = rule_of(text);
        rule.dates(dtstart).take_while(|&d| d <= last).collect()
    }

    fn weekday(ordinal: Option<i8>, weekday: Weekday) -> WeekdayRule {
        WeekdayRule { ordinal, weekday }
    }

    #[test]
    fn parses_a_full_rule() {
        assert_eq!(
            rule_of("FREQ=MONTHLY;INTERVAL=2;BYDAY=3TH,-1FR,MO;BYMONTHDAY=1,-1;COUNT=5;WKST=MO"),
            Rule {
                frequency: Frequency::Monthly,
                interval: 2,
                by_day: vec![
                    weekday(Some(3), Weekday::Thu),
                    weekday(Some(-1), Weekday::Fri),
                    weekday(None, Weekday::Mon),
                ],
                by_month_day: vec![1, -1],
                end: End::Count(5),
            }
        );
    }

    #[test]
    fn parses_defaults() {
        assert_eq!(
            rule_of("FREQ=WEEKLY"),
            Rule {
                frequency: Frequency::Weekly,
                interval: 1,
                by_day: vec![],
                by_month_day: vec![],
                end: End::Never,
            }
        );
    }

    #[test]
    fn parses_case_insensitively_with_prefix_and_spaces() {
        let expected = rule_of("FREQ=MONTHLY;BYDAY=3TH;UNTIL=20261231");
        assert_eq!(
            rule_of("rrule:freq=monthly;byday=3th;until=20261231"),
            expected
        );
        assert_eq!(
            rule_of("RRULE:FREQ=MONTHLY;BYDAY=3TH;UNTIL=20261231"),
            expected
        );
        assert_eq!(
            rule_of(" Freq = Monthly ; ByDay = +3Th ; Until=20261231T235959z ;"),
            expected
        );
        assert_eq!(
            rule_of("UNTIL=20261231T120000;BYDAY=3TH;FREQ=MONTHLY"),
            expected
        );
    }

    #[test]
    fn parses_until_forms() {
        let until = |text: &str| rule_of(&format!("FREQ=WEEKLY;UNTIL={text}")).end;
        assert_eq!(until("20260630"), End::Until(date(2026, 6, 30)));
        assert_eq!(until("20260630T220000Z"), End::Until(date(2026, 6, 30)));
        assert_eq!(until("20260630T220000"), End::Until(date(2026, 6, 30)));
        assert_eq!(until("20241231T235960Z"), End::Until(date(2024, 12, 31)));
    }

    #[test]
    fn reports_every_error_helpfully() {
        let cases = [
            (
                "",
                "the rule has no FREQ: start it with FREQ=WEEKLY or FREQ=MONTHLY, such as \
                 FREQ=MONTHLY;BYDAY=3TH",
            ),
            (
                "BYDAY=MO",
                "the rule has no FREQ: start it with FREQ=WEEKLY or FREQ=MONTHLY, such as \
                 FREQ=MONTHLY;BYDAY=3TH",
            ),
            (
                "FREQ=DAILY",
                "unsupported frequency `DAILY`: convene supports FREQ=WEEKLY and FREQ=MONTHLY",
            ),
            (
                "FREQ=MONTHLY;BYDAY",
                "`BYDAY` is not of the form KEY=VALUE: separate the parts of a rule by `;`, such \
                 as FREQ=MONTHLY;BYDAY=3TH",
            ),
            (
                "FREQ=MONTHLY;=3TH",
                "`=3TH` is not of the form KEY=VALUE: separate the parts of a rule by `;`, such \
                 as FREQ=MONTHLY;BYDAY=3TH",
            ),
            (
                "FREQ=MONTHLY;BYDAY=",
                "BYDAY has an empty value: write something after `BYDAY=`, and separate list \
                 items by single commas, such as BYDAY=MO,TH",
            ),
            (
                "FREQ=MONTHLY;byday=MO,,TH",
                "BYDAY has an empty value: write something after `BYDAY=`, and separate list \
                 items by single commas, such as BYDAY=MO,TH",
            ),
            (
                "FREQ=WEEKLY;BYDAY=MO;byday=TH",
                "BYDAY is given twice: write each key once; lists go into one key, such as \
                 BYDAY=MO,TH",
            ),
            (
                "FREQ=MONTHLY;BYDAY=TH;BYSETPOS=3",
                "`BYSETPOS` is not supported: convene understands FREQ, INTERVAL, BYDAY, \
                 BYMONTHDAY, COUNT, UNTIL and WKST",
            ),
            (
                "FREQ=MONTHLY;bymonth=3",
                "`bymonth` is not supported: convene understands FREQ, INTERVAL, BYDAY, \
                 BYMONTHDAY, COUNT, UNTIL and WKST",
            ),
            (
                "FREQ=WEEKLY;INTERVAL=0",
                "invalid INTERVAL `0`: write a whole number of at least 1, such as INTERVAL=2 \
                 for every other week or month",
            ),
            (
                "FREQ=WEEKLY;INTERVAL=-2",
                "invalid INTERVAL `-2`: write a whole number of at least 1, such as INTERVAL=2 \
                 for every other week or month",
            ),
            (
                "FREQ=WEEKLY;COUNT=ten",
                "invalid COUNT `ten`: write the number of meetings, at least 1, such as COUNT=10",
            ),
            (
                "FREQ=WEEKLY;UNTIL=2026-12-31",
                "invalid UNTIL `2026-12-31`: write a date as YYYYMMDD, such as UNTIL=20261231, \
                 or a date-time such as UNTIL=20261231T235959Z",
            ),
            (
                "FREQ=WEEKLY;UNTIL=20260231",
                "invalid UNTIL `20260231`: write a date as YYYYMMDD, such as UNTIL=20261231, \
                 or a date-time such as UNTIL=20261231T235959Z",
            ),
            (
                "FREQ=WEEKLY;UNTIL=20261231T250000Z",
                "invalid UNTIL `20261231T250000Z`: write a date as YYYYMMDD, such as \
                 UNTIL=20261231, or a date-time such as UNTIL=20261231T235959Z",
            ),
            (
                "FREQ=WEEKLY;COUNT=3;UNTIL=20261231",
                "COUNT and UNTIL are both given: a rule ends either after a number of meetings \
                 or on a date, so keep only one",
            ),
            (
                "FREQ=WEEKLY;BYDAY=TU2",
                "unknown weekday `TU2`: write MO, TU, WE, TH, FR, SA or SU, optionally with an \
                 ordinal such as 3TH or -1FR",
            ),
            (
                "FREQ=MONTHLY;BYDAY=-TH",
                "unknown weekday `-TH`: write MO, TU, WE, TH, FR, SA or SU, optionally with an \
                 ordinal such as 3TH or -1FR",
            ),
            (
                "FREQ=MONTHLY;BYDAY=Dö",
                "unknown weekday `Dö`: write MO, TU, WE, TH, FR, SA or SU, optionally with an \
                 ordinal such as 3TH or -1FR",
            ),
            (
                "FREQ=MONTHLY;BYDAY=6TH",
                "invalid ordinal in `6TH`: a weekday of the month is numbered 1 to 5 from the \
                 start or -1 to -5 from the end, such as 3TH or -1FR",
            ),
            (
                "FREQ=MONTHLY;BYDAY=0MO",
                "invalid ordinal in `0MO`: a weekday of the month is numbered 1 to 5 from the \
                 start or -1 to -5 from the end, such as 3TH or -1FR",
            ),
            (
                "FREQ=WEEKLY;BYDAY=MO,3TH",
                "`3TH` has an ordinal, which only FREQ=MONTHLY allows: with FREQ=WEEKLY write \
                 the weekday alone, such as TH",
            ),
            (
                "FREQ=MONTHLY;BYMONTHDAY=32",
                "invalid BYMONTHDAY `32`: write a day of the month from 1 to 31, or -1 to -31 \
                 counted from the end (-1 is the last day)",
            ),
            (
                "FREQ=MONTHLY;BYMONTHDAY=0",
                "invalid BYMONTHDAY `0`: write a day of the month from 1 to 31, or -1 to -31 \
                 counted from the end (-1 is the last day)",
            ),
            (
                "FREQ=WEEKLY;BYMONTHDAY=13",
                "BYMONTHDAY only works with FREQ=MONTHLY: use FREQ=MONTHLY, or drop BYMONTHDAY",
            ),
            (
                "FREQ=WEEKLY;WKST=SU",
                "unsupported WKST `SU`: convene counts weeks from Monday, so only WKST=MO is \
                 accepted (or leave WKST out)",
            ),
        ];
        for (text, message) in cases {
            assert_eq!(error(text), message, "for {text:?}");
            // The diagnostic's English is this text; its German is a translation of it.
            let both = text.parse::<Rule>().expect_err("invalid test rule").text();
            assert_eq!(both.english, message, "for {text:?}");
            assert_ne!(both.german, both.english, "for {text:?}");
        }
        // Echoed parts of a rule are shortened and show invisible characters.
        let hostile = format!("FREQ=WEEKLY;BYDAY=\u{202e}{}", "X".repeat(200));
        let both = hostile
            .parse::<Rule>()
            .expect_err("invalid test rule")
            .text();
        for text in [&both.english, &both.german] {
            assert!(text.contains("`\\u{202e}XXX"), "{text}");
            assert!(text.contains("X…`"), "{text}");
            assert!(!text.contains('\u{202e}'), "{text}");
        }
    }

    #[test]
    fn bounds_interval_count_and_until() {
        let parse = |text: &str| text.parse::<Rule>();
        assert_eq!(
            parse("FREQ=MONTHLY;INTERVAL=4294967295;BYDAY=3TH"),
            Err(RuleError::IntervalTooLarge("4294967295".into()))
        );
        assert_eq!(
            parse("FREQ=WEEKLY;INTERVAL=99999999999999999999999"),
            Err(RuleError::IntervalTooLarge(
                "99999999999999999999999".into()
            ))
        );
        assert_eq!(
            parse("FREQ=WEEKLY;INTERVAL=1000").map(|r| r.interval),
            Ok(1000)
        );
        assert_eq!(
            parse("FREQ=WEEKLY;COUNT=10001"),
            Err(RuleError::CountTooLarge("10001".into()))
        );
        assert_eq!(
            parse("FREQ=WEEKLY;COUNT=10000").map(|r| r.end),
            Ok(End::Count(10_000))
        );
        assert_eq!(
            parse("FREQ=WEEKLY;UNTIL=99991231"),
            Err(RuleError::UntilOutOfRange("99991231".into()))
        );
        assert_eq!(
            parse("FREQ=WEEKLY;UNTIL=19691231T235959Z"),
            Err(RuleError::UntilOutOfRange("19691231T235959Z".into()))
        );
        assert_eq!(
            parse("FREQ=WEEKLY;UNTIL=22001231").map(|r| r.end),
            Ok(End::Until(date(2200, 12, 31)))
        );
        assert_eq!(
            parse("FREQ=WEEKLY;COUNT=10001").map_err(|e| e.to_string()),
            Err("COUNT=10001 is larger than convene accepts: write at most COUNT=10000, or leave COUNT out for a series without end".to_owned())
        );
    }

    #[test]
    fn error_variants() {
        let parse = |text: &str| text.parse::<Rule>();
        assert_eq!(
            parse("FREQ=YEARLY"),
            Err(RuleError::UnsupportedFrequency("YEARLY".into()))
        );
        assert_eq!(
            parse("FREQ=WEEKLY;COUNT=0"),
            Err(RuleError::InvalidCount("0".into()))
        );
        assert_eq!(parse("RRULE:"), Err(RuleError::MissingFrequency));
        assert_eq!(
            parse("FREQ=MONTHLY;FREQ=MONTHLY"),
            Err(RuleError::DuplicateKey("FREQ".into()))
        );
        assert_eq!(
            parse("FREQ=MONTHLY;BYDAY=-6FR"),
            Err(RuleError::InvalidOrdinal("-6FR".into()))
        );
        assert_eq!(
            parse("FREQ=MONTHLY;BYDAY=100FR"),
            Err(RuleError::InvalidOrdinal("100FR".into()))
        );
        assert_eq!(
            parse("FREQ=MONTHLY;BYMONTHDAY=-32"),
            Err(RuleError::InvalidMonthDay("-32".into()))
        );
        assert_eq!(
            parse("FREQ=MONTHLY;BYHOUR=9"),
            Err(RuleError::UnsupportedKey("BYHOUR".into()))
        );
        assert_eq!(
            parse("FREQ=MONTHLY;WKST=XX"),
            Err(RuleError::UnsupportedWeekStart("XX".into()))
        );
        assert_eq!(
            parse("FREQ=WEEKLY;INTERVAL=+2"),
            Err(RuleError::InvalidInterval("+2".into()))
        );
    }

    #[test]
    fn every_third_thursday_of_2026() {
        let expected: Vec<_> = [
            (1, 15),
            (2, 19),
            (3, 19),
            (4, 16),
            (5, 21),
            (6, 18),
            (7, 16),
            (8, 20),
            (9, 17),
            (10, 15),
            (11, 19),
            (12, 17),
        ]
        .into_iter()
        .map(|(month, day)| date(2026, month, day))
        .collect();
        assert_eq!(
            dates_until(
                "FREQ=MONTHLY;BYDAY=3TH",
                date(2026, 1, 15),
                date(2026, 12, 31)
            ),
            expected
        );
        // Starting earlier in the month changes nothing: only matching dates are occurrences.
        assert_eq!(
            dates_until(
                "FREQ=MONTHLY;BYDAY=3TH",
                date(2026, 1, 1),
                date(2026, 12, 31)
            ),
            expected
        );
    }

    #[test]
    fn last_friday() {
        assert_eq!(
            dates_until(
                "FREQ=MONTHLY;BYDAY=-1FR",
                date(2026, 1, 1),
                date(2026, 6, 30)
            ),
            vec![
                date(2026, 1, 30),
                date(2026, 2, 27),
                date(2026, 3, 27),
                date(2026, 4, 24),
                date(2026, 5, 29),
                date(2026, 6, 26),
            ]
        );
    }

    #[test]
    fn fifth_monday_only_in_months_that_have_one() {
        assert_eq!(
            dates_until(
                "FREQ=MONTHLY;BYDAY=5MO",
                date(2026, 1, 1),
                date(2026, 12, 31)
            ),
            vec![
                date(2026, 3, 30),
                date(2026, 6, 29),
                date(2026, 8, 31),
                date(2026, 11, 30)
            ]
        );
    }

    #[test]
    fn every_weekday_of_the_month_without_ordinal() {
        assert_eq!(
            dates_until("FREQ=MONTHLY;BYDAY=TU", date(2026, 3, 1), date(2026, 4, 8)),
            vec![
                date(2026, 3, 3),
                date(2026, 3, 10),
                date(2026, 3, 17),
                date(2026, 3, 24),
                date(2026, 3, 31),
                date(2026, 4, 7),
            ]
        );
    }

    #[test]
    fn byday_with_and_without_ordinals_is_a_union() {
        // RFC 5545: every BYDAY item adds days. python-dateutil and rrule.js intersect the
        // items with and without ordinal instead and yield nothing here
        // (github.com/jkbrzt/rrule/issues/71).
        assert_eq!(
            dates_until(
                "FREQ=MONTHLY;BYDAY=MO,-1WE",
                date(2026, 4, 1),
                date(2026, 4, 30)
            ),
            vec![
                date(2026, 4, 6),
                date(2026, 4, 13),
                date(2026, 4, 20),
                date(2026, 4, 27),
                date(2026, 4, 29),
            ]
        );
    }

    #[test]
    fn weekly_defaults_to_the_weekday_of_dtstart() {
        assert_eq!(
            dates_until("FREQ=WEEKLY", date(2026, 3, 4), date(2026, 3, 31)),
            vec![
                date(2026, 3, 4),
                date(2026, 3, 11),
                date(2026, 3, 18),
                date(2026, 3, 25)
            ]
        );
    }

    #[test]
    fn weekly_with_several_days() {
        assert_eq!(
            dates_until(
                "FREQ=WEEKLY;BYDAY=TH,MO",
                date(2026, 3, 4),
                date(2026, 3, 17)
            ),
            vec![
                date(2026, 3, 5),
                date(2026, 3, 9),
                date(2026, 3, 12),
                date(2026, 3, 16)
            ]
        );
    }

    #[test]
    fn every_other_week_counts_weeks_from_the_week_of_dtstart() {
        // DTSTART is a Wednesday; its week (from Monday 2 March) is selected, so Monday 2 March
        // is before DTSTART and skipped, but Friday 6 March is in.
        assert_eq!(
            dates_until(
                "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR",
                date(2026, 3, 4),
                date(2026, 4, 1)
            ),
            vec![
                date(2026, 3, 6),
                date(2026, 3, 16),
                date(2026, 3, 20),
                date(2026, 3, 30)
            ]
        );
        // Across a year boundary (2026 has ISO week 53).
        assert_eq!(
            dates_until(
                "FREQ=WEEKLY;INTERVAL=2",
                date(2026, 12, 21),
                date(2027, 1, 31)
            ),
            vec![date(2026, 12, 21), date(2027, 1, 4), date(2027, 1, 18)]
        );
    }

    #[test]
    fn every_other_month() {
        assert_eq!(
            dates_until(
                "FREQ=MONTHLY;INTERVAL=2;BYDAY=1WE",
                date(2026, 1, 7),
                date(2026, 12, 31)
            ),
            vec![
                date(2026, 1, 7),
                date(2026, 3, 4),
                date(2026, 5, 6),
                date(2026, 7, 1),
                date(2026, 9, 2),
                date(2026, 11, 4),
            ]
        );
        // A month with no match (DTSTART after the first Wednesday) still counts.
        assert_eq!(
            dates_until(
                "FREQ=MONTHLY;INTERVAL=2;BYDAY=1WE",
                date(2026, 1, 8),
                date(2026, 6, 30)
            ),
            vec![date(2026, 3, 4), date(2026, 5, 6)]
        );
    }

    #[test]
    fn monthly_defaults_to_the_day_of_dtstart_and_skips_short_months() {
        assert_eq!(
            dates_until("FREQ=MONTHLY", date(2026, 1, 31), date(2026, 8, 31)),
            vec![
                date(2026, 1, 31),
                date(2026, 3, 31),
                date(2026, 5, 31),
                date(2026, 7, 31),
                date(2026, 8, 31),
            ]
        );
    }

    #[test]
    fn month_day_31_skips_short_months() {
        assert_eq!(
            dates_until(
                "FREQ=MONTHLY;BYMONTHDAY=31",
                date(2026, 1, 1),
                date(2026, 8, 31)
            ),
            vec![
                date(2026, 1, 31),
                date(2026, 3, 31),
                date(2026, 5, 31),
                date(2026, 7, 31),
                date(2026, 8, 31),
            ]
        );
    }

    #[test]
    fn last_day_of_the_month() {
        assert_eq!(
            dates_until(
                "FREQ=MONTHLY;BYMONTHDAY=-1",
                date(2028, 1, 1),
                date(2028, 4, 30)
            ),
            vec![
                date(2028, 1, 31),
                date(2028, 2, 29),
                date(2028, 3, 31),
                date(2028, 4, 30)
            ]
        );
        assert_eq!(
            dates_until(
                "FREQ=MONTHLY;BYMONTHDAY=1,-3",
                date(2027, 1, 15),
                date(2027, 3, 31)
            ),
            vec![
                date(2027, 1, 29),
                date(2027, 2, 1),
                date(2027, 2, 26),
                date(2027, 3, 1),
                date(2027, 3, 29)
            ]
        );
    }

    #[test]
    fn friday_the_13th() {
        assert_eq!(
            dates_until(
                "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13",
                date(2026, 1, 1),
                date(2027, 12, 31)
            ),
            vec![
                date(2026, 2, 13),
                date(2026, 3, 13),
                date(2026, 11, 13),
                date(2027, 8, 13),
            ]
        );
    }

    #[test]
    fn count_counts_matching_dates_only() {
        let rule = rule_of("FREQ=MONTHLY;BYDAY=3TH;COUNT=3");
        assert_eq!(
            rule.dates(date(2026, 1, 1)).collect::<Vec<_>>(),
            vec![date(2026, 1, 15), date(2026, 2, 19), date(2026, 3, 19)]
        );
        let weekly = rule_of("FREQ=WEEKLY;BYDAY=MO,TH;COUNT=3");
        assert_eq!(
            weekly.dates(date(2026, 3, 5)).collect::<Vec<_>>(),
            vec![date(2026, 3, 5), date(2026, 3, 9), date(2026, 3, 12)]
        );
    }

    #[test]
    fn until_is_inclusive() {
        let rule = rule_of("FREQ=MONTHLY;BYDAY=3TH;UNTIL=20260319");
        assert_eq!(
            rule.dates(date(2026, 1, 1)).collect::<Vec<_>>(),
            vec![date(2026, 1, 15), date(2026, 2, 19), date(2026, 3, 19)]
        );
        let rule = rule_of("FREQ=MONTHLY;BYDAY=3TH;UNTIL=20260318T235959Z");
        assert_eq!(rule.dates(date(2026, 1, 1)).count(), 2);
        let rule = rule_of("FREQ=WEEKLY;UNTIL=20251231");
        assert_eq!(rule.dates(date(2026, 1, 1)).count(), 0);
    }

    #[test]
    fn impossible_rules_end() {
        // The 5th Monday is never the 1st; 30 February never exists.
        for text in [
            "FREQ=MONTHLY;BYDAY=5MO;BYMONTHDAY=1",
            "FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=30",
        ] {
            let rule = rule_of(text);
            assert_eq!(rule.dates(date(2026, 2, 1)).next(), None, "for {text}");
        }
        let rule = rule_of("FREQ=MONTHLY;BYDAY=5MO;BYMONTHDAY=1;COUNT=2");
        assert_eq!(rule.dates(date(2026, 2, 1)).count(), 0);
    }

    #[test]
    fn rare_rules_keep_going() {
        // Monday 29 February happens once in 28 years or so (2016, 2044, 2072, …).
        let rule = rule_of("FREQ=MONTHLY;BYDAY=MO;BYMONTHDAY=29;INTERVAL=12");
        assert_eq!(
            rule.dates(date(2016, 2, 1)).take(3).collect::<Vec<_>>(),
            vec![date(2016, 2, 29), date(2044, 2, 29), date(2072, 2, 29)]
        );
    }

    #[test]
    fn never_ending_rules_yield_indefinitely() {
        let rule = rule_of("FREQ=WEEKLY");
        assert_eq!(rule.dates(date(2026, 1, 5)).take(10_000).count(), 10_000);
        let rule = rule_of("FREQ=MONTHLY;BYDAY=-1SU");
        let last = rule
            .dates(date(2026, 1, 1))
            .take_while(|d| d.year() < 3026)
            .last();
        assert_eq!(last, Some(date(3025, 12, 25)));
    }

    #[test]
    fn ends_at_the_end_of_the_calendar() {
        let rule = rule_of("FREQ=MONTHLY");
        let dtstart = NaiveDate::MAX.with_day(1).expect("first of the last month");
        assert_eq!(rule.dates(dtstart).collect::<Vec<_>>(), vec![dtstart]);
        let rule = rule_of("FREQ=WEEKLY");
        let dtstart = NaiveDate::MAX - Days::new(20);
        assert_eq!(rule.dates(dtstart).count(), 3);
    }

    #[test]
    fn is_occurrence_honours_interval_and_end() {
        let third_thursday = rule_of("FREQ=MONTHLY;BYDAY=3TH;COUNT=3");
        let start = date(2026, 1, 1);
        assert!(third_thursday.is_occurrence(start, date(2026, 1, 15)));
        assert!(third_thursday.is_occurrence(start, date(2026, 3, 19)));
        assert!(
            !third_thursday.is_occurrence(start, date(2026, 4, 16)),
            "after COUNT"
        );
        assert!(
            !third_thursday.is_occurrence(start, date(2026, 1, 22)),
            "fourth Thursday"
        );
        assert!(
            !third_thursday.is_occurrence(date(2026, 2, 1), date(2026, 1, 15)),
            "before"
        );

        let fortnightly = rule_of("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;UNTIL=20260330");
        let start = date(2026, 3, 4);
        assert!(
            !fortnightly.is_occurrence(start, date(2026, 3, 2)),
            "before DTSTART"
        );
        assert!(
            !fortnightly.is_occurrence(start, date(2026, 3, 9)),
            "odd week"
        );
        assert!(fortnightly.is_occurrence(start, date(2026, 3, 16)));
        assert!(
            fortnightly.is_occurrence(start, date(2026, 3, 30)),
            "UNTIL is inclusive"
        );
        assert!(
            !fortnightly.is_occurrence(start, date(2026, 4, 13)),
            "after UNTIL"
        );

        let quarterly = rule_of("FREQ=MONTHLY;INTERVAL=3");
        let start = date(2026, 1, 31);
        assert!(quarterly.is_occurrence(start, date(2026, 7, 31)));
        assert!(!quarterly.is_occurrence(start, date(2026, 4, 30)));
        assert!(!quarterly.is_occurrence(start, date(2026, 5, 31)));
        assert!(quarterly.is_occurrence(start, date(2027, 1, 31)));
    }

    #[test]
    fn is_occurrence_agrees_with_dates() {
        let rules = [
            "FREQ=WEEKLY;INTERVAL=3;BYDAY=TU,SU",
            "FREQ=MONTHLY;INTERVAL=2;BYDAY=2WE,-2FR",
            "FREQ=MONTHLY;BYMONTHDAY=-1,15;COUNT=7",
            "FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=1,2,3,4,5,6,7;UNTIL=20270301",
        ];
        let start = date(2026, 2, 11);
        for text in rules {
            let rule = rule_of(text);
            let expected: Vec<_> = rule.dates(start).take_while(|d| d.year() < 2028).collect();
            let found: Vec<_> = start
                .iter_days()
                .take_while(|d| d.year() < 2028)
                .filter(|&d| rule.is_occurrence(start, d))
                .collect();
            assert_eq!(found, expected, "for {text}");
            assert!(!expected.is_empty(), "for {text}");
        }
    }

    #[test]
    fn writes_canonical_ical() {
        let cases = [
            ("rrule:byday=3th;freq=monthly", "FREQ=MONTHLY;BYDAY=3TH"),
            ("FREQ=WEEKLY;INTERVAL=1;WKST=MO", "FREQ=WEEKLY"),
            (
                "COUNT=4;BYMONTHDAY=+13,-1;BYDAY=FR,+2MO,-1SU;INTERVAL=02;FREQ=MONTHLY",
                "FREQ=MONTHLY;INTERVAL=2;BYDAY=FR,2MO,-1SU;BYMONTHDAY=13,-1;COUNT=4",
            ),
            (
                "FREQ=WEEKLY;UNTIL=20261231T225959Z;BYDAY=MO,TH",
                "FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20261231",
            ),
        ];
        for (text, canonical) in cases {
            let parsed = rule_of(text);
            assert_eq!(parsed.to_ical(), canonical);
            assert_eq!(parsed.to_string(), canonical);
            assert_eq!(rule_of(canonical), parsed, "round trip of {text}");
        }
    }

    #[test]
    fn round_trips_built_rules() {
        let rules = [
            Rule {
                frequency: Frequency::Monthly,
                interval: 3,
                by_day: vec![weekday(Some(-5), Weekday::Sat), weekday(None, Weekday::Sun)],
                by_month_day: vec![-31, 31],
                end: End::Until(date(2030, 1, 9)),
            },
            Rule {
                frequency: Frequency::Weekly,
                interval: 1,
                by_day: [
                    Weekday::Mon,
                    Weekday::Tue,
                    Weekday::Wed,
                    Weekday::Thu,
                    Weekday::Fri,
                    Weekday::Sat,
                    Weekday::Sun,
                ]
                .into_iter()
                .map(|d| weekday(None, d))
                .collect(),
                by_month_day: vec![],
                end: End::Count(limits::MAX_COUNT),
            },
        ];
        for original in rules {
            assert_eq!(rule_of(&original.to_ical()), original);
        }
    }
}
