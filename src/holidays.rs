//! Statutory public holidays of the 16 German states.
//!
//! The network's meetings are skipped on the public holidays of the configured state
//! (Rhineland-Palatinate, [`State::RheinlandPfalz`], by default): nobody sits in a video
//! conference on Whit Monday. The dates are computed, not looked up in a table, so the module
//! works for any year without maintenance; it is pure (no I/O, no clock) and depends only on
//! `chrono`.
//!
//! Only holidays that apply to a whole state are listed. Regional ones are left out because a
//! network meets state-wide: Mariä Himmelfahrt in Bavaria's Catholic communities, Fronleichnam in
//! parts of Saxony and Thuringia, the Augsburger Friedensfest in Augsburg.
//!
//! The rules are today's law plus the recent changes that matter for planning: Reformation Day
//! in every state in 2017 (500th anniversary) and in the northern states since 2018,
//! International Women's Day in Berlin since 2019 and in Mecklenburg-Western Pomerania since
//! 2023, World Children's Day in Thuringia since 2019, and Berlin's one-off holidays (Liberation
//! Day on 8 May 2020 and 2025, the 75th anniversary of the 1953 uprising on 17 June 2028). Older
//! history (for instance Buß- und Bettag, a holiday everywhere until 1994) is not modelled: years
//! before 1995 get today's rules.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, TimeDelta, Weekday};

/// A German federal state (Bundesland).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// Baden-Württemberg (BW).
    BadenWuerttemberg,
    /// Bayern, Bavaria (BY).
    Bayern,
    /// Berlin (BE).
    Berlin,
    /// Brandenburg (BB).
    Brandenburg,
    /// Bremen (HB).
    Bremen,
    /// Hamburg (HH).
    Hamburg,
    /// Hessen, Hesse (HE).
    Hessen,
    /// Mecklenburg-Vorpommern, Mecklenburg-Western Pomerania (MV).
    MecklenburgVorpommern,
    /// Niedersachsen, Lower Saxony (NI).
    Niedersachsen,
    /// Nordrhein-Westfalen, North Rhine-Westphalia (NW).
    NordrheinWestfalen,
    /// Rheinland-Pfalz, Rhineland-Palatinate (RP).
    RheinlandPfalz,
    /// Saarland (SL).
    Saarland,
    /// Sachsen, Saxony (SN).
    Sachsen,
    /// Sachsen-Anhalt, Saxony-Anhalt (ST).
    SachsenAnhalt,
    /// Schleswig-Holstein (SH).
    SchleswigHolstein,
    /// Thüringen, Thuringia (TH).
    Thueringen,
}

impl State {
    /// All states, in code order — for error hints listing valid codes.
    pub const ALL: [State; 16] = [
        State::Brandenburg,           // BB
        State::Berlin,                // BE
        State::BadenWuerttemberg,     // BW
        State::Bayern,                // BY
        State::Bremen,                // HB
        State::Hessen,                // HE
        State::Hamburg,               // HH
        State::MecklenburgVorpommern, // MV
        State::Niedersachsen,         // NI
        State::NordrheinWestfalen,    // NW
        State::RheinlandPfalz,        // RP
        State::SchleswigHolstein,     // SH
        State::Saarland,              // SL
        State::Sachsen,               // SN
        State::SachsenAnhalt,         // ST
        State::Thueringen,            // TH
    ];

    /// From the ISO 3166-2 code: "RP" or "DE-RP", case-insensitive; None for anything else.
    pub fn from_code(code: &str) -> Option<State> {
        let bare = match code.get(..3) {
            Some(prefix) if prefix.eq_ignore_ascii_case("DE-") => &code[3..],
            _ => code,
        };
        State::ALL
            .into_iter()
            .find(|state| state.code().eq_ignore_ascii_case(bare))
    }

    /// The two-letter code, e.g. "RP".
    pub fn code(self) -> &'static str {
        match self {
            State::BadenWuerttemberg => "BW",
            State::Bayern => "BY",
            State::Berlin => "BE",
            State::Brandenburg => "BB",
            State::Bremen => "HB",
            State::Hamburg => "HH",
            State::Hessen => "HE",
            State::MecklenburgVorpommern => "MV",
            State::Niedersachsen => "NI",
            State::NordrheinWestfalen => "NW",
            State::RheinlandPfalz => "RP",
            State::Saarland => "SL",
            State::Sachsen => "SN",
            State::SachsenAnhalt => "ST",
            State::SchleswigHolstein => "SH",
            State::Thueringen => "TH",
        }
    }

    /// German name, e.g. "Rheinland-Pfalz".
    pub fn name(self) -> &'static str {
        match self {
            State::BadenWuerttemberg => "Baden-Württemberg",
            State::Bayern => "Bayern",
            State::Berlin => "Berlin",
            State::Brandenburg => "Brandenburg",
            State::Bremen => "Bremen",
            State::Hamburg => "Hamburg",
            State::Hessen => "Hessen",
            State::MecklenburgVorpommern => "Mecklenburg-Vorpommern",
            State::Niedersachsen => "Niedersachsen",
            State::NordrheinWestfalen => "Nordrhein-Westfalen",
            State::RheinlandPfalz => "Rheinland-Pfalz",
            State::Saarland => "Saarland",
            State::Sachsen => "Sachsen",
            State::SachsenAnhalt => "Sachsen-Anhalt",
            State::SchleswigHolstein => "Schleswig-Holstein",
            State::Thueringen => "Thüringen",
        }
    }
}

/// One public holiday: its date and its name in German and English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holiday {
    /// The day of the holiday.
    pub date: NaiveDate,
    /// The German name, e.g. "Pfingstmontag".
    pub name_de: &'static str,
    /// The English name, e.g. "Whit Monday".
    pub name_en: &'static str,
}

/// Every state-wide public holiday of `state` in `year`, sorted by date.
///
/// Two holidays can fall on the same day (Ascension Day on 1 May, as in 2008); both are then
/// listed, the fixed-date one first. Years that [`NaiveDate`] cannot represent have no holidays.
pub fn holidays(state: State, year: i32) -> Vec<Holiday> {
    let Some(easter) = easter_sunday_opt(year) else {
        return Vec::new();
    };
    let mut list: Vec<Holiday> = candidates(state, year, easter)
        .into_iter()
        .filter(|(applies, ..)| *applies)
        .filter_map(|(_, date, name_de, name_en)| {
            date.map(|date| Holiday {
                date,
                name_de,
                name_en,
            })
        })
        .collect();
    // Stable, so a fixed-date holiday stays ahead of a movable one on the same day.
    list.sort_by_key(|holiday| holiday.date);
    list
}

/// One holiday that may be a public holiday: whether it is one in the state and year asked
/// about, its date, its German and its English name.
type Candidate = (bool, Option<NaiveDate>, &'static str, &'static str);

/// Every holiday [`holidays`] knows, in the order of the year, each with whether it is a public
/// holiday of `state` in `year` (whose Easter Sunday is `easter`): the list of German public
/// holidays and the rules of which states keep which since when.
fn candidates(state: State, year: i32, easter: NaiveDate) -> [Candidate; 21] {
    use State::{
        BadenWuerttemberg as BW, Bayern as BY, Berlin as BE, Brandenburg as BB, Bremen as HB,
        Hamburg as HH, Hessen as HE, MecklenburgVorpommern as MV, Niedersachsen as NI,
        NordrheinWestfalen as NW, RheinlandPfalz as RP, Saarland as SL, Sachsen as SN,
        SachsenAnhalt as ST, SchleswigHolstein as SH, Thueringen as TH,
    };

    let fixed = |month: u32, day: u32| NaiveDate::from_ymd_opt(year, month, day);
    let after_easter = |days: i64| easter.checked_add_signed(TimeDelta::days(days));
    let in_states = |states: &[State]| states.contains(&state);

    let reformation_day = in_states(&[BB, MV, SN, ST, TH])
        || (in_states(&[HB, HH, NI, SH]) && year >= 2018)
        || year == 2017;

    // The dates are all inside `year`, which `easter_sunday_opt` has shown to be
    // representable, so none is actually `None`.
    [
        (true, fixed(1, 1), "Neujahr", "New Year's Day"),
        (
            in_states(&[BW, BY, ST]),
            fixed(1, 6),
            "Heilige Drei Könige",
            "Epiphany",
        ),
        (
            (state == BE && year >= 2019) || (state == MV && year >= 2023),
            fixed(3, 8),
            "Internationaler Frauentag",
            "International Women's Day",
        ),
        (true, after_easter(-2), "Karfreitag", "Good Friday"),
        (state == BB, Some(easter), "Ostersonntag", "Easter Sunday"),
        (true, after_easter(1), "Ostermontag", "Easter Monday"),
        (true, fixed(5, 1), "Tag der Arbeit", "Labour Day"),
        (
            state == BE && (year == 2020 || year == 2025),
            fixed(5, 8),
            "Tag der Befreiung",
            "Liberation Day",
        ),
        (
            true,
            after_easter(39),
            "Christi Himmelfahrt",
            "Ascension Day",
        ),
        (
            state == BB,
            after_easter(49),
            "Pfingstsonntag",
            "Whit Sunday",
        ),
        (true, after_easter(50), "Pfingstmontag", "Whit Monday"),
        (
            state == BE && year == 2028,
            fixed(6, 17),
            "Jahrestag des Volksaufstands vom 17. Juni 1953",
            "Anniversary of the East German Uprising",
        ),
        (
            in_states(&[BW, BY, HE, NW, RP, SL]),
            after_easter(60),
            "Fronleichnam",
            "Corpus Christi",
        ),
        (
            state == SL,
            fixed(8, 15),
            "Mariä Himmelfahrt",
            "Assumption Day",
        ),
        (
            state == TH && year >= 2019,
            fixed(9, 20),
            "Weltkindertag",
            "World Children's Day",
        ),
        (
            true,
            fixed(10, 3),
            "Tag der Deutschen Einheit",
            "Day of German Unity",
        ),
        (
            reformation_day,
            fixed(10, 31),
            "Reformationstag",
            "Reformation Day",
        ),
        (
            in_states(&[BW, BY, NW, RP, SL]),
            fixed(11, 1),
            "Allerheiligen",
            "All Saints' Day",
        ),
        (
            state == SN,
            repentance_day(year),
            "Buß- und Bettag",
            "Day of Repentance and Prayer",
        ),
        (true, fixed(12, 25), "1. Weihnachtstag", "Christmas Day"),
        (true, fixed(12, 26), "2. Weihnachtstag", "Boxing Day"),
    ]
}

/// The holiday on `date` in `state`, if any.
///
/// If two holidays fall on that day, the one listed first by [`holidays`] is returned.
pub fn holiday_on(state: State, date: NaiveDate) -> Option<Holiday> {
    holidays(state, date.year())
        .into_iter()
        .find(|holiday| holiday.date == date)
}

/// The holidays of one state, each year computed once: for looking up many dates, as the
/// expansion of a schedule does. It holds no more than the years asked about and answers exactly
/// as [`holiday_on`]; make one per expansion (it is not meant to live long).
#[derive(Debug, Clone)]
pub struct Memo {
    /// Whose holidays.
    state: State,
    /// The holidays of each year asked about so far, as [`holidays`] lists them.
    years: BTreeMap<i32, Vec<Holiday>>,
}

impl Memo {
    /// An empty memo for `state`.
    pub fn new(state: State) -> Self {
        Self {
            state,
            years: BTreeMap::new(),
        }
    }

    /// The holiday on `date`, if any: the same as [`holiday_on`].
    pub fn holiday_on(&mut self, date: NaiveDate) -> Option<Holiday> {
        let state = self.state;
        self.years
            .entry(date.year())
            .or_insert_with(|| holidays(state, date.year()))
            .iter()
            .find(|holiday| holiday.date == date)
            .copied()
    }
}

/// Easter Sunday (Gregorian calendar) — the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
///
/// # Panics
///
/// If `year` is outside the range [`NaiveDate`] can represent (about ±262,000); any year taken
/// from a `NaiveDate` is fine.
pub fn easter_sunday(year: i32) -> NaiveDate {
    easter_sunday_opt(year).expect("year outside the range NaiveDate can represent")
}

/// Easter Sunday of `year`, or `None` if [`NaiveDate`] cannot represent that year.
///
/// Euclidean division keeps the algorithm correct for the proleptic calendar's negative years.
fn easter_sunday_opt(year: i32) -> Option<NaiveDate> {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let n = h + l - 7 * m + 114;
    // `n` lies in 115..=147, so the month is 3 or 4 and the day 1..=31.
    let month = u32::try_from(n.div_euclid(31)).ok()?;
    let day = u32::try_from(n.rem_euclid(31) + 1).ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Buß- und Bettag: the last Wednesday strictly before 23 November (16–22 November).
fn repentance_day(year: i32) -> Option<NaiveDate> {
    let nov22 = NaiveDate::from_ymd_opt(year, 11, 22)?;
    let wednesday = Weekday::Wed.num_days_from_monday();
    let back = (nov22.weekday().num_days_from_monday() + 7 - wednesday) % 7;
    nov22.checked_sub_signed(TimeDelta::days(i64::from(back)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).expect("valid test date")
    }

    fn named(state: State, year: i32, name_de: &str) -> Option<NaiveDate> {
        holidays(state, year)
            .into_iter()
            .find(|holiday| holiday.name_de == name_de)
            .map(|holiday| holiday.date)
    }

    #[test]
    fn easter_sunday_known_dates() {
        let known = [
            (2019, 4, 21),
            (2020, 4, 12),
            (2021, 4, 4),
            (2022, 4, 17),
            (2023, 4, 9),
            (2024, 3, 31),
            (2025, 4, 20),
            (2026, 4, 5),
            (2027, 3, 28),
            (2028, 4, 16),
            (2029, 4, 1),
            (2030, 4, 21),
            (2038, 4, 25),
            (2285, 3, 22),
            (1818, 3, 22),
            (1943, 4, 25),
            (1961, 4, 2),
            (2000, 4, 23),
            (2011, 4, 24),
            (1583, 4, 10),
            (2100, 3, 28),
            (3000, 4, 13),
        ];
        for (year, month, day) in known {
            assert_eq!(easter_sunday(year), ymd(year, month, day), "Easter {year}");
        }
    }

    #[test]
    fn easter_is_always_a_sunday_between_22_march_and_25_april() {
        for year in -2000..=5000 {
            let easter = easter_sunday(year);
            assert_eq!(easter.weekday(), Weekday::Sun, "{easter}");
            assert!(
                ymd(year, 3, 22) <= easter && easter <= ymd(year, 4, 25),
                "{easter}"
            );
        }
    }

    #[test]
    fn unrepresentable_years_have_no_holidays() {
        assert!(holidays(State::RheinlandPfalz, i32::MAX).is_empty());
        assert!(holidays(State::RheinlandPfalz, i32::MIN).is_empty());
    }

    #[test]
    fn rhineland_palatinate_2026() {
        let got: Vec<(NaiveDate, &str)> = holidays(State::RheinlandPfalz, 2026)
            .into_iter()
            .map(|holiday| (holiday.date, holiday.name_de))
            .collect();
        let expected = vec![
            (ymd(2026, 1, 1), "Neujahr"),
            (ymd(2026, 4, 3), "Karfreitag"),
            (ymd(2026, 4, 6), "Ostermontag"),
            (ymd(2026, 5, 1), "Tag der Arbeit"),
            (ymd(2026, 5, 14), "Christi Himmelfahrt"),
            (ymd(2026, 5, 25), "Pfingstmontag"),
            (ymd(2026, 6, 4), "Fronleichnam"),
            (ymd(2026, 10, 3), "Tag der Deutschen Einheit"),
            (ymd(2026, 11, 1), "Allerheiligen"),
            (ymd(2026, 12, 25), "1. Weihnachtstag"),
            (ymd(2026, 12, 26), "2. Weihnachtstag"),
        ];
        assert_eq!(got, expected);
    }

    #[test]
    fn holiday_counts_2026() {
        let expected = [
            (State::BadenWuerttemberg, 12),
            (State::Bayern, 12),
            (State::Berlin, 10),
            (State::Brandenburg, 12),
            (State::Bremen, 10),
            (State::Hamburg, 10),
            (State::Hessen, 10),
            (State::MecklenburgVorpommern, 11),
            (State::Niedersachsen, 10),
            (State::NordrheinWestfalen, 11),
            (State::RheinlandPfalz, 11),
            (State::Saarland, 12),
            (State::Sachsen, 11),
            (State::SachsenAnhalt, 11),
            (State::SchleswigHolstein, 10),
            (State::Thueringen, 11),
        ];
        for (state, count) in expected {
            assert_eq!(holidays(state, 2026).len(), count, "{state:?}");
        }
    }

    #[test]
    fn lists_are_sorted() {
        for state in State::ALL {
            for year in 1990..=2100 {
                let list = holidays(state, year);
                assert!(
                    list.is_sorted_by_key(|holiday| holiday.date),
                    "{state:?} {year}"
                );
                assert!(list.iter().all(|holiday| holiday.date.year() == year));
            }
        }
    }

    #[test]
    fn whit_monday_and_corpus_christi() {
        let rp = State::RheinlandPfalz;
        for (year, whit_monday, corpus_christi) in [
            (2019, (6, 10), (6, 20)),
            (2024, (5, 20), (5, 30)),
            (2025, (6, 9), (6, 19)),
            (2026, (5, 25), (6, 4)),
            (2027, (5, 17), (5, 27)),
            (2038, (6, 14), (6, 24)),
        ] {
            assert_eq!(
                named(rp, year, "Pfingstmontag"),
                Some(ymd(year, whit_monday.0, whit_monday.1))
            );
            assert_eq!(
                named(rp, year, "Fronleichnam"),
                Some(ymd(year, corpus_christi.0, corpus_christi.1))
            );
        }
        assert_eq!(named(State::Berlin, 2026, "Fronleichnam"), None);
        assert_eq!(named(State::Sachsen, 2026, "Fronleichnam"), None);
    }

    #[test]
    fn repentance_day_in_saxony_only() {
        for (year, day) in [(2017, 22), (2022, 16), (2024, 20), (2025, 19), (2026, 18)] {
            assert_eq!(
                named(State::Sachsen, year, "Buß- und Bettag"),
                Some(ymd(year, 11, day))
            );
        }
        for year in 1995..=2100 {
            let date = repentance_day(year).expect("representable year");
            assert_eq!(date.weekday(), Weekday::Wed);
            assert!(ymd(year, 11, 16) <= date && date <= ymd(year, 11, 22));
        }
        assert_eq!(named(State::Bayern, 2026, "Buß- und Bettag"), None);
    }

    #[test]
    fn reformation_day() {
        for state in State::ALL {
            assert_eq!(
                named(state, 2017, "Reformationstag"),
                Some(ymd(2017, 10, 31)),
                "{state:?}"
            );
        }
        assert_eq!(named(State::Niedersachsen, 2016, "Reformationstag"), None);
        assert!(named(State::Niedersachsen, 2018, "Reformationstag").is_some());
        assert!(named(State::Sachsen, 2016, "Reformationstag").is_some());
        assert_eq!(named(State::RheinlandPfalz, 2018, "Reformationstag"), None);
        assert_eq!(named(State::Bayern, 2026, "Reformationstag"), None);
    }

    #[test]
    fn introduced_holidays_start_in_their_year() {
        let womens_day = "Internationaler Frauentag";
        assert_eq!(named(State::Berlin, 2018, womens_day), None);
        assert_eq!(
            named(State::Berlin, 2019, womens_day),
            Some(ymd(2019, 3, 8))
        );
        assert_eq!(named(State::MecklenburgVorpommern, 2022, womens_day), None);
        assert!(named(State::MecklenburgVorpommern, 2023, womens_day).is_some());
        assert_eq!(named(State::Thueringen, 2018, "Weltkindertag"), None);
        assert_eq!(
            named(State::Thueringen, 2019, "Weltkindertag"),
            Some(ymd(2019, 9, 20))
        );
        assert!(named(State::Berlin, 2020, "Tag der Befreiung").is_some());
        assert!(named(State::Berlin, 2025, "Tag der Befreiung").is_some());
        assert_eq!(named(State::Berlin, 2026, "Tag der Befreiung"), None);
        assert_eq!(
            holiday_on(State::Berlin, ymd(2028, 6, 17)).map(|h| h.name_en),
            Some("Anniversary of the East German Uprising")
        );
        assert_eq!(holiday_on(State::Brandenburg, ymd(2028, 6, 17)), None);
    }

    #[test]
    fn from_code_variants() {
        assert_eq!(State::from_code("RP"), Some(State::RheinlandPfalz));
        assert_eq!(State::from_code("rp"), Some(State::RheinlandPfalz));
        assert_eq!(State::from_code("DE-RP"), Some(State::RheinlandPfalz));
        assert_eq!(State::from_code("de-Rp"), Some(State::RheinlandPfalz));
        assert_eq!(State::from_code("DE-TH"), Some(State::Thueringen));
        for bad in [
            "",
            "R",
            "RPX",
            "DE",
            "DE-",
            "DE-XX",
            "XX",
            " RP",
            "RP ",
            "DERP",
            "AT-RP",
            "DE-DE-RP",
            "Rheinland-Pfalz",
            "DÉ-RP",
            "€RP",
        ] {
            assert_eq!(State::from_code(bad), None, "{bad:?}");
        }
        for state in State::ALL {
            assert_eq!(State::from_code(state.code()), Some(state));
            assert_eq!(
                State::from_code(&format!("de-{}", state.code().to_lowercase())),
                Some(state)
            );
        }
    }

    #[test]
    fn all_is_complete_and_in_code_order() {
        let codes: Vec<&str> = State::ALL.iter().map(|state| state.code()).collect();
        assert!(codes.is_sorted(), "{codes:?}");
        let mut states = State::ALL.to_vec();
        states.sort();
        states.dedup();
        assert_eq!(states.len(), 16);
        assert_eq!(State::RheinlandPfalz.name(), "Rheinland-Pfalz");
        assert_eq!(State::Thueringen.name(), "Thüringen");
    }

    #[test]
    fn the_memo_answers_as_holiday_on() {
        // Every day of 2005–2035 in every state, in order and then from the end (so the memo
        // is hit for years it already holds and asked for new ones in both directions):
        // Easter-dependent holidays move across these years, 2008 has two holidays on one day
        // (Ascension Day on 1 May), and Berlin and Thuringia gained holidays in 2019.
        let first = ymd(2005, 1, 1);
        let last = ymd(2035, 12, 31);
        let days: Vec<NaiveDate> = first.iter_days().take_while(|&day| day <= last).collect();
        for state in State::ALL {
            let mut memo = Memo::new(state);
            for &day in days.iter().chain(days.iter().rev()) {
                assert_eq!(
                    memo.holiday_on(day),
                    holiday_on(state, day),
                    "{state:?} {day}"
                );
            }
        }
        // One memo used for dates far apart and out of order, including the calendar's ends.
        let mut memo = Memo::new(State::Berlin);
        for day in [
            ymd(2028, 6, 17),
            ymd(2008, 5, 1),
            ymd(2025, 5, 8),
            NaiveDate::MAX,
            NaiveDate::MIN,
            ymd(2026, 4, 3),
            ymd(2020, 5, 8),
        ] {
            assert_eq!(
                memo.holiday_on(day),
                holiday_on(State::Berlin, day),
                "{day}"
            );
        }
    }

    #[test]
    fn holiday_on_hits_and_misses() {
        let rp = State::RheinlandPfalz;
        let whit_monday = holiday_on(rp, ymd(2026, 5, 25)).expect("Whit Monday");
        assert_eq!(whit_monday.name_de, "Pfingstmontag");
        assert_eq!(whit_monday.name_en, "Whit Monday");
        assert_eq!(
            holiday_on(rp, ymd(2026, 11, 1)).map(|h| h.name_en),
            Some("All Saints' Day")
        );
        assert_eq!(holiday_on(rp, ymd(2026, 5, 26)), None);
        assert_eq!(holiday_on(rp, ymd(2026, 10, 31)), None);
        assert_eq!(holiday_on(rp, ymd(2026, 11, 18)), None);
        assert_eq!(
            holiday_on(State::Sachsen, ymd(2026, 11, 18)).map(|h| h.name_de),
            Some("Buß- und Bettag")
        );
        assert_eq!(holiday_on(State::Berlin, ymd(2026, 1, 6)), None);
        assert_eq!(
            holiday_on(State::Bayern, ymd(2026, 1, 6)).map(|h| h.name_en),
            Some("Epiphany")
        );
        // Ascension Day on 1 May: the fixed-date holiday comes first.
        assert_eq!(
            holiday_on(rp, ymd(2008, 5, 1)).map(|h| h.name_de),
            Some("Tag der Arbeit")
        );
        assert_eq!(
            named(rp, 2008, "Christi Himmelfahrt"),
            Some(ymd(2008, 5, 1))
        );
    }
}
