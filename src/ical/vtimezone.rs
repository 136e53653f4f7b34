//! The VTIMEZONE block for the network's time zone, derived from chrono-tz.
//!
//! Outlook (and other clients that do not know IANA names) read a time zone only from the
//! VTIMEZONE in the file, and they expect the compact form: one STANDARD and one DAYLIGHT
//! observance, each with a yearly RRULE (`BYMONTH=10;BYDAY=-1SU`). convene derives those two
//! rules from the zone's transitions in a reference year; a test checks that the rules agree
//! with chrono-tz, instant by instant, for ten years.

use std::fmt::Write as _;

use chrono::{
    DateTime, Datelike, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone, Timelike as _, Utc,
};
use chrono_tz::{OffsetName, Tz};

/// One yearly transition: in `month`, on the `ordinal`th `weekday` (-1 = last), at `local` wall
/// time (before the change), the offset goes `from` → `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// Month, 1–12.
    pub month: u32,
    /// Which such weekday of the month: 1–4 from the start, -1 the last.
    pub ordinal: i8,
    /// The weekday.
    pub weekday: chrono::Weekday,
    /// Local wall time of the change, in the offset before it.
    pub local: chrono::NaiveTime,
    /// Offset before, in seconds east of UTC.
    pub from: i32,
    /// Offset after.
    pub to: i32,
    /// The abbreviation after the change (`CET`, `CEST`).
    pub name: String,
}

impl Transition {
    /// The instant of this transition in `year`.
    pub fn instant(&self, year: i32) -> Option<DateTime<Utc>> {
        let date = nth_weekday(year, self.month, self.weekday, self.ordinal)?;
        let local = NaiveDateTime::new(date, self.local);
        let utc = local.checked_sub_signed(TimeDelta::seconds(self.from.into()))?;
        Some(Utc.from_utc_datetime(&utc))
    }
}

/// The date of the `ordinal`th `weekday` in a month (-1 = the last).
fn nth_weekday(year: i32, month: u32, weekday: chrono::Weekday, ordinal: i8) -> Option<NaiveDate> {
    if ordinal > 0 {
        NaiveDate::from_weekday_of_month_opt(year, month, weekday, u8::try_from(ordinal).ok()?)
    } else {
        let next_month = if month == 12 {
            NaiveDate::from_ymd_opt(year.checked_add(1)?, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)?
        };
        let mut day = next_month.pred_opt()?;
        while day.weekday() != weekday {
            day = day.pred_opt()?;
        }
        Some(day)
    }
}

fn offset_at(tz: Tz, at: DateTime<Utc>) -> i32 {
    tz.offset_from_utc_datetime(&at.naive_utc())
        .fix()
        .local_minus_utc()
}

/// The zone's transitions in `year` (none for a zone without daylight saving time).
pub fn transitions(tz: Tz, year: i32) -> Vec<Transition> {
    let mut found = Vec::new();
    let Some(start) = NaiveDate::from_ymd_opt(year, 1, 1) else {
        return found;
    };
    let mut day = Utc.from_utc_datetime(&start.and_time(chrono::NaiveTime::MIN));
    while day.year() == year {
        // The last day of chrono's range has no next one: no transition is found there.
        let Some(next) = day.checked_add_signed(TimeDelta::days(1)) else {
            break;
        };
        let (before, after) = (offset_at(tz, day), offset_at(tz, next));
        if before != after {
            // Find the minute of the change.
            let (mut low, mut high) = (day, next);
            while high - low > TimeDelta::minutes(1) {
                let middle = low + (high - low) / 2;
                if offset_at(tz, middle) == before {
                    low = middle;
                } else {
                    high = middle;
                }
            }
            // Zones change on whole minutes: the first whole minute with the new offset.
            let mut at = high - TimeDelta::seconds(i64::from(high.second()));
            if offset_at(tz, at) != after {
                at += TimeDelta::minutes(1);
            }
            let Some(local) = at
                .naive_utc()
                .checked_add_signed(TimeDelta::seconds(before.into()))
            else {
                break;
            };
            let date = local.date();
            let last = date.checked_add_signed(TimeDelta::days(7)).unwrap_or(date);
            let ordinal = if last.month() == date.month() {
                i8::try_from((date.day() - 1) / 7 + 1).unwrap_or(1)
            } else {
                -1
            };
            let name = tz
                .offset_from_utc_datetime(&at.naive_utc())
                .abbreviation()
                .unwrap_or_default()
                .to_owned();
            found.push(Transition {
                month: date.month(),
                ordinal,
                weekday: date.weekday(),
                local: local.time(),
                from: before,
                to: after,
                name,
            });
        }
        day = next;
    }
    found
}

fn offset_text(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let seconds = seconds.abs();
    format!("{sign}{:02}{:02}", seconds / 3600, (seconds % 3600) / 60)
}

fn weekday_code(day: chrono::Weekday) -> &'static str {
    match day {
        chrono::Weekday::Mon => "MO",
        chrono::Weekday::Tue => "TU",
        chrono::Weekday::Wed => "WE",
        chrono::Weekday::Thu => "TH",
        chrono::Weekday::Fri => "FR",
        chrono::Weekday::Sat => "SA",
        chrono::Weekday::Sun => "SU",
    }
}

/// The VTIMEZONE block (CRLF line ends), from the zone's rules in `reference_year`.
pub fn vtimezone(tz: Tz, reference_year: i32) -> String {
    let mut block = format!("BEGIN:VTIMEZONE\r\nTZID:{}\r\n", tz.name());
    let rules = transitions(tz, reference_year);
    if rules.len() == 2 {
        for rule in &rules {
            let kind = if rule.to > rule.from {
                "DAYLIGHT"
            } else {
                "STANDARD"
            };
            // The observance starts in 1970 on the first such day, as Outlook writes it.
            let first =
                nth_weekday(1970, rule.month, rule.weekday, rule.ordinal).unwrap_or(NaiveDate::MIN);
            let _ = write!(
                block,
                "BEGIN:{kind}\r\nDTSTART:{}T{}\r\nTZOFFSETFROM:{}\r\nTZOFFSETTO:{}\r\nTZNAME:{}\r\nRRULE:FREQ=YEARLY;BYMONTH={};BYDAY={}{}\r\nEND:{kind}\r\n",
                first.format("%Y%m%d"),
                rule.local.format("%H%M%S"),
                offset_text(rule.from),
                offset_text(rule.to),
                rule.name,
                rule.month,
                rule.ordinal,
                weekday_code(rule.weekday),
            );
        }
    } else {
        let now = Utc.from_utc_datetime(
            &NaiveDate::from_ymd_opt(reference_year, 7, 1)
                .unwrap_or(NaiveDate::MIN)
                .and_time(chrono::NaiveTime::MIN),
        );
        let offset = offset_at(tz, now);
        let name = tz
            .offset_from_utc_datetime(&now.naive_utc())
            .abbreviation()
            .unwrap_or_default()
            .to_owned();
        let _ = write!(
            block,
            "BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:{0}\r\nTZOFFSETTO:{0}\r\nTZNAME:{name}\r\nEND:STANDARD\r\n",
            offset_text(offset)
        );
    }
    block.push_str("END:VTIMEZONE\r\n");
    block
}

#[cfg(test)]
mod tests {
    use chrono_tz::Europe::Berlin;

    use super::*;

    #[test]
    fn berlin_in_the_form_outlook_reads() {
        assert_eq!(
            vtimezone(Berlin, 2026),
            "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n\
             BEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n\
             BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n\
             END:VTIMEZONE\r\n"
        );
    }

    #[test]
    fn the_rules_agree_with_chrono_tz_for_ten_years() {
        let rules = transitions(Berlin, 2026);
        assert_eq!(rules.len(), 2);
        for year in 2026..2036 {
            for rule in &rules {
                let at = rule.instant(year).unwrap();
                assert_eq!(
                    offset_at(Berlin, at - TimeDelta::seconds(1)),
                    rule.from,
                    "{year} {rule:?}"
                );
                assert_eq!(offset_at(Berlin, at), rule.to, "{year} {rule:?}");
            }
            // And chrono-tz has no other change that year.
            assert_eq!(transitions(Berlin, year).len(), 2, "{year}");
            assert_eq!(
                transitions(Berlin, year)
                    .iter()
                    .map(|t| (t.month, t.ordinal, t.weekday, t.local, t.from, t.to))
                    .collect::<Vec<_>>(),
                rules
                    .iter()
                    .map(|t| (t.month, t.ordinal, t.weekday, t.local, t.from, t.to))
                    .collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn a_zone_without_dst_has_one_observance() {
        let block = vtimezone(chrono_tz::Asia::Tokyo, 2026);
        assert!(block.contains("TZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900"));
        assert!(!block.contains("DAYLIGHT"));
    }
}
