//! Durations as organizers write them: `90m`, `1h30m`, `2h`, `7d`, `15m`, `45s`.
//!
//! One format for meeting lengths, agenda items and reminder offsets, so there is one thing to
//! learn. Pure: parsing and formatting only.

use std::fmt;

use chrono::TimeDelta;

use crate::diagnostic::echo;
use crate::i18n::Text;
use crate::text;

/// Why a duration could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Empty text.
    #[error("the duration is empty")]
    Empty,
    /// Not of the form number + unit, repeated.
    #[error("`{0}` is not a duration")]
    Malformed(String),
    /// Zero length.
    #[error("the duration is zero")]
    Zero,
}

impl DurationError {
    /// The error in both languages, for a diagnostic: the input echoed shortened and with
    /// invisible characters made visible. The English is the [`fmt::Display`] text.
    pub fn text(&self) -> Text {
        match self {
            Self::Empty => text!(de: "Die Dauer ist leer", en: "the duration is empty"),
            Self::Malformed(input) => {
                let shown = echo(input);
                text!(de: "`{shown}` ist keine Dauer", en: "`{shown}` is not a duration")
            }
            Self::Zero => text!(de: "Die Dauer ist null", en: "the duration is zero"),
        }
    }
}

/// The hint shown with every duration error.
pub const HINT: Text = text!(
    const de: "schreiben Sie eine Zahl und eine Einheit (d für Tage, h für Stunden, m für Minuten oder s für Sekunden), z. B. `90m`, `1h30m`, `7d`",
    en: "write a number and a unit (d, h, m or s), e.g. `90m`, `1h30m`, `7d`",
);

/// Parses a duration: one or more groups of digits followed by `d`, `h`, `m` or `s`, in
/// descending order, e.g. `1h30m`. Spaces between groups are allowed.
pub fn parse(text: &str) -> Result<TimeDelta, DurationError> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return Err(DurationError::Empty);
    }
    let malformed = || DurationError::Malformed(text.trim().to_owned());
    let mut total = TimeDelta::zero();
    let mut digits = String::new();
    let mut last_rank = usize::MAX;
    for c in compact.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let (rank, seconds) = match c.to_ascii_lowercase() {
            'd' => (3, 86_400),
            'h' => (2, 3_600),
            'm' => (1, 60),
            's' => (0, 1),
            _ => return Err(malformed()),
        };
        if digits.is_empty() || rank >= last_rank {
            return Err(malformed());
        }
        last_rank = rank;
        let amount: i64 = digits.parse().map_err(|_| malformed())?;
        let part = amount
            .checked_mul(seconds)
            .and_then(TimeDelta::try_seconds)
            .ok_or_else(malformed)?;
        total = total.checked_add(&part).ok_or_else(malformed)?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(malformed());
    }
    if total.is_zero() {
        return Err(DurationError::Zero);
    }
    Ok(total)
}

/// Formats a duration the way [`parse`] reads it: `1h30m`, `7d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compact(pub TimeDelta);

impl fmt::Display for Compact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut seconds = self.0.num_seconds();
        if seconds == 0 {
            return f.write_str("0m");
        }
        if seconds < 0 {
            f.write_str("-")?;
            seconds = -seconds;
        }
        for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
            if seconds >= size {
                write!(f, "{}{unit}", seconds / size)?;
                seconds %= size;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        assert_eq!(parse("90m"), Ok(TimeDelta::minutes(90)));
        assert_eq!(parse("1h30m"), Ok(TimeDelta::minutes(90)));
        assert_eq!(parse("1h 30m"), Ok(TimeDelta::minutes(90)));
        assert_eq!(parse("7d"), Ok(TimeDelta::days(7)));
        assert_eq!(parse("45s"), Ok(TimeDelta::seconds(45)));
    }

    #[test]
    fn rejects_what_is_ambiguous() {
        assert_eq!(parse("90"), Err(DurationError::Malformed("90".to_owned())));
        assert_eq!(
            parse("30m1h"),
            Err(DurationError::Malformed("30m1h".to_owned()))
        );
        assert_eq!(
            parse("1,5h"),
            Err(DurationError::Malformed("1,5h".to_owned()))
        );
        assert_eq!(parse("0m"), Err(DurationError::Zero));
        assert_eq!(parse(""), Err(DurationError::Empty));
        assert_eq!(
            parse("99999999999999999d"),
            Err(DurationError::Malformed("99999999999999999d".to_owned()))
        );
    }

    #[test]
    fn formats_compactly() {
        assert_eq!(Compact(TimeDelta::minutes(90)).to_string(), "1h30m");
        assert_eq!(Compact(TimeDelta::days(7)).to_string(), "7d");
        assert_eq!(Compact(TimeDelta::minutes(15)).to_string(), "15m");
    }
}
