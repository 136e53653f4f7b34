//! Text that people typed, made safe to show again.
//!
//! The bot echoes what members write: proposal titles, reasons, minutes lines, display names.
//! Invisible Unicode format characters in such text can change how the bot's own sentence is
//! shown: a right-to-left override (U+202E) that is never closed flips the rest of the line on
//! screen, zero-width characters hide words or make two titles that look equal differ. So the
//! text is [`neutralize`]d where it enters (command parsing, display names), and text with
//! right-to-left letters is [`isolate`]d where it is quoted inside a sentence, so its direction
//! cannot spill into the words around it. The Matrix spec's HTML has no `<bdi>` and no `dir`
//! attribute, so the isolation uses the Unicode isolate characters, which work in the plain
//! body and in the HTML alike.

use std::borrow::Cow;

/// First strong isolate: starts text whose direction is taken from its first strong letter.
const FIRST_STRONG_ISOLATE: char = '\u{2068}';
/// Pop directional isolate: ends it.
const POP_DIRECTIONAL_ISOLATE: char = '\u{2069}';

/// Removes the characters that change the direction or visibility of the text around them:
/// bidi embeddings, overrides, isolates and marks, zero-width spaces and joiners (a joiner
/// between emoji stays, it only joins them), the word joiner and invisible operators, the
/// byte order mark, and control characters other than line breaks and tabs. Line and
/// paragraph separators become line breaks.
pub fn neutralize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| needs_care(c) || is_line_separator(c)) {
        return Cow::Borrowed(text);
    }
    let mut clean = String::with_capacity(text.len());
    let mut previous: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        // A joiner between two emoji only builds one emoji of them: it stays.
        let joins_emoji = c == '\u{200D}'
            && previous.is_some_and(is_emoji)
            && chars.peek().is_some_and(|next| is_emoji(*next));
        if is_line_separator(c) {
            clean.push('\n');
        } else if joins_emoji || !needs_care(c) {
            clean.push(c);
        }
        previous = Some(c);
    }
    Cow::Owned(clean)
}

/// Wraps text that contains right-to-left letters in a first-strong isolate, so that quoted
/// inside a German or English sentence it keeps its own direction and the sentence keeps its.
/// Text without such letters is returned as it is.
pub fn isolate(text: &str) -> Cow<'_, str> {
    if text.chars().any(is_right_to_left) {
        Cow::Owned(format!(
            "{FIRST_STRONG_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}"
        ))
    } else {
        Cow::Borrowed(text)
    }
}

/// [`neutralize`], then [`isolate`]: what every echo of typed text goes through.
pub fn echo(text: &str) -> String {
    isolate(&neutralize(text)).into_owned()
}

/// Text for a single line: line breaks and other control characters (a CR/LF in a title)
/// become spaces, so no text can start a line of its own in a message.
pub fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `c` is removed by [`neutralize`].
fn needs_care(c: char) -> bool {
    matches!(
        c,
        // Arabic letter mark, Mongolian vowel separator.
        '\u{061C}' | '\u{180E}'
        // Zero-width space, non-joiner, joiner; left-to-right and right-to-left marks.
        | '\u{200B}'..='\u{200F}'
        // Embeddings, pop, overrides.
        | '\u{202A}'..='\u{202E}'
        // Word joiner, invisible operators, isolates, deprecated format characters.
        | '\u{2060}'..='\u{206F}'
        // Byte order mark / zero-width no-break space.
        | '\u{FEFF}'
        // Interlinear annotation characters.
        | '\u{FFF9}'..='\u{FFFB}'
    ) || (c.is_control() && c != '\n' && c != '\t')
}

fn is_line_separator(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}')
}

/// Pictographs and their variation selector: where a zero-width joiner builds one emoji.
fn is_emoji(c: char) -> bool {
    matches!(c, '\u{2600}'..='\u{27BF}' | '\u{FE0F}' | '\u{1F000}'..='\u{1FAFF}')
}

/// Letters of the right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, N'Ko, …).
fn is_right_to_left(c: char) -> bool {
    matches!(
        c,
        '\u{0590}'..='\u{08FF}'
            | '\u{FB1D}'..='\u{FDFF}'
            | '\u{FE70}'..='\u{FEFE}'
            | '\u{10800}'..='\u{10FFF}'
            | '\u{1E800}'..='\u{1EFFF}'
    )
}

/// `text` with its first letter upper-case.
pub fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_untouched() {
        let text = "Interne Kommunikation – „Erfahrungen“ aus Kaiserslautern 👍\n2. Zeile";
        assert!(matches!(neutralize(text), Cow::Borrowed(_)));
        assert!(matches!(isolate(text), Cow::Borrowed(_)));
    }

    #[test]
    fn overrides_and_invisible_characters_are_removed() {
        assert_eq!(neutralize("abc\u{202E}fed"), "abcfed");
        assert_eq!(neutralize("Tages\u{200B}ordnung\u{FEFF}"), "Tagesordnung");
        assert_eq!(neutralize("\u{2066}a\u{2069}\u{200F}b\u{0007}"), "ab");
        assert_eq!(neutralize("eins\u{2028}zwei"), "eins\nzwei");
        assert_eq!(neutralize("a\u{200D}b"), "ab");
    }

    #[test]
    fn emoji_sequences_keep_their_joiner() {
        let family = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";
        assert_eq!(neutralize(family), family);
    }

    #[test]
    fn right_to_left_text_is_isolated() {
        assert_eq!(isolate("שלום"), "\u{2068}שלום\u{2069}");
        assert_eq!(echo("\u{202E}שלום"), "\u{2068}שלום\u{2069}");
    }
}
