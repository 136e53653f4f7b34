//! The languages the bot speaks — formal German (Sie) by default, English on request — and the
//! one way to write a text in both: [`text!`](crate::text), which yields a [`Text`].
//!
//! Every text a member, organizer or operator reads is written once with both forms side by
//! side, German first (the default language), each labelled: `text!(de: "…", en: "…")`. The
//! labels are part of the macro's syntax, so a missing language or a swapped pair does not
//! compile. Where the language is known at once, `.get(language)` (or [`Text::take`]) picks the
//! form; diagnostics keep both, because the terminal of `convene check` reads English while the
//! organizers' room reads the network's language.
//!
//! `match language` remains only for what is not a text: the properties of a language such as
//! its date format, quotation marks and month names (`render::common`).

use std::borrow::Cow;

/// A language of the bot's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// Formal German, addressing people with "Sie".
    #[default]
    German,
    /// English.
    English,
}

impl Language {
    /// The language for an ISO 639-1 code as written in the configuration (`de`, `en`).
    pub fn from_code(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "de" => Some(Self::German),
            "en" => Some(Self::English),
            _ => None,
        }
    }
}

/// A text in both languages the bot speaks. Written with [`text!`](crate::text).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Text {
    /// The formal German form (Sie).
    pub german: Cow<'static, str>,
    /// The English form: the terminal of `convene check`, logs, English networks.
    pub english: Cow<'static, str>,
}

impl Text {
    /// A text fixed at compile time; what `text!(const de: …, en: …)` expands to.
    #[doc(hidden)]
    pub const fn fixed(german: &'static str, english: &'static str) -> Self {
        Self {
            german: Cow::Borrowed(german),
            english: Cow::Borrowed(english),
        }
    }

    /// A text from two formatted forms; what `text!(de: …, en: …)` expands to. A form without
    /// placeholders is borrowed, not copied.
    #[doc(hidden)]
    pub fn formatted(german: std::fmt::Arguments<'_>, english: std::fmt::Arguments<'_>) -> Self {
        fn owned(arguments: std::fmt::Arguments<'_>) -> Cow<'static, str> {
            match arguments.as_str() {
                Some(fixed) => Cow::Borrowed(fixed),
                None => Cow::Owned(std::fmt::format(arguments)),
            }
        }
        Self {
            german: owned(german),
            english: owned(english),
        }
    }

    /// The form in `language`.
    pub fn get(&self, language: Language) -> &str {
        match language {
            Language::German => &self.german,
            Language::English => &self.english,
        }
    }

    /// The form in `language`, as an owned string.
    pub fn take(self, language: Language) -> String {
        match language {
            Language::German => self.german.into_owned(),
            Language::English => self.english.into_owned(),
        }
    }

    /// The German form with its first letter upper-case, for a noun phrase such as
    /// "der Titel" at the start of a sentence.
    pub fn german_capitalized(&self) -> String {
        crate::text::capitalized(&self.german)
    }
}

/// A [`Text`] from a German and an English format string, side by side and labelled, as
/// `format!` takes them: variables in braces are captured from the surrounding code.
///
/// ```
/// # use convene::text;
/// let date = "14.01.2027";
/// let message = text!(de: "`{date}` ist kein Datum", en: "`{date}` is not a date");
/// assert_eq!(message.german, "`14.01.2027` ist kein Datum");
/// ```
///
/// Values that differ between the languages, or expressions, are named after a `;`:
///
/// ```
/// # use convene::text;
/// let message = text!(
///     de: "{what_de} ist leer", en: "the {what} is empty";
///     what = "title", what_de = "Der Titel",
/// );
/// assert_eq!(message.english, "the title is empty");
/// assert_eq!(message.german, "Der Titel ist leer");
/// ```
///
/// In constants, `text!(const de: "…", en: "…")` (no placeholders). Either language missing, or
/// English first, does not compile:
///
/// ```compile_fail
/// # use convene::text;
/// let message = text!(en: "the title is empty", de: "Der Titel ist leer");
/// ```
#[macro_export]
macro_rules! text {
    (const de: $german:literal, en: $english:literal $(,)?) => {
        $crate::i18n::Text::fixed($german, $english)
    };
    (de: $german:literal, en: $english:literal $(,)?) => {
        $crate::i18n::Text::formatted(::std::format_args!($german), ::std::format_args!($english))
    };
    (de: $german:literal, en: $english:literal; $($name:ident = $value:expr),+ $(,)?) => {{
        $(let $name = $value;)+
        $crate::i18n::Text::formatted(::std::format_args!($german), ::std::format_args!($english))
    }};
}
