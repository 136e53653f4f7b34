//! The languages the bot speaks: formal German (Sie) by default, English on request.

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
