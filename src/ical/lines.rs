//! Content lines: the icalendar crate's components written out by convene, in linear time.
//!
//! The crate (0.17) folds each content line with `chars().nth(pos)` per folded line, which is
//! quadratic in the line's length: a 900,000-character video link took 674 s to render, while
//! the feed answered 503 and the process ignored SIGTERM. convene still builds its VEVENTs with
//! the crate (escaping rules, property order), but writes them itself: [`write`] gives each
//! content line as the crate would, folded by [`fold`] at 75 octets (RFC 5545, 3.1), which
//! also never lets a line grow to 76 octets as the crate's last continuation line can.
//!
//! [`crate_text`] reproduces the crate's own output byte for byte — folds, quirks and all — for
//! the content hash of a calendar entry: the hash decides an entry's SEQUENCE and DTSTAMP, and
//! the stored hashes were made from that text, so an upgrade must not see every entry as
//! changed. Both are checked against the crate in the tests.

use icalendar::{Component, Property, ValueType};

/// The most octets of a content line, line break excluded (RFC 5545, 3.1).
const LINE_OCTETS: usize = 75;

/// `component` (and its subcomponents) as content lines, each folded at 75 octets without
/// splitting a UTF-8 character, with CRLF after each. Unlike the crate, it never makes up a
/// UID or a DTSTAMP (the crate stamps a random one and "now"): convene sets both on every
/// event, and its output must depend on its input only.
pub fn write<C: Component + ?Sized>(component: &C, out: &mut String) {
    for_each_line(component, &mut |line| {
        out.push_str(&fold(line));
        out.push_str("\r\n");
    });
}

/// `component` exactly as icalendar 0.17's `Component::to_string` writes it when it has a UID
/// and a DTSTAMP — in time linear in its length.
pub fn crate_text<C: Component + ?Sized>(component: &C) -> String {
    let mut out = String::new();
    for_each_line(component, &mut |line| {
        out.push_str(&crate_fold(line));
        out.push_str("\r\n");
    });
    out
}

/// Calls `line` with every unfolded content line of `component`, in the crate's order: BEGIN,
/// the single properties by name, the repeatable ones by name, subcomponents, END.
fn for_each_line<C: Component + ?Sized>(component: &C, line: &mut dyn FnMut(&str)) {
    let kind = component.component_kind();
    line(&format!("BEGIN:{kind}"));
    for property in component.properties().values() {
        line(&content_line(property));
    }
    for property in component.multi_properties().values().flatten() {
        line(&content_line(property));
    }
    for child in component.components() {
        for_each_line(child, line);
    }
    line(&format!("END:{kind}"));
}

/// One property as the crate writes it before folding: name, parameters (by name, quoted when
/// they hold `:`, `;` or `,`), and the value, escaped when it is TEXT.
fn content_line(property: &Property) -> String {
    let mut line = String::with_capacity(property.key().len() + property.value().len() + 16);
    line.push_str(property.key());
    for parameter in property.params().values() {
        line.push(';');
        line.push_str(parameter.key());
        line.push('=');
        line.push_str(&quoted(parameter.value()));
    }
    line.push(':');
    let is_text_list = ["CATEGORIES", "RESOURCES"]
        .iter()
        .any(|list| property.key().eq_ignore_ascii_case(list));
    if property.value_type() == Some(ValueType::Text) && !is_text_list {
        escape_text(property.value(), &mut line);
    } else {
        line.push_str(property.value());
    }
    line
}

/// A parameter value as the crate writes it: as it is when already in quotes, in quotes when it
/// holds a colon, semicolon or comma (RFC 5545, 3.1), otherwise as it is.
fn quoted(value: &str) -> String {
    if (value.starts_with('"') && value.ends_with('"')) || !value.contains([':', ';', ',']) {
        value.to_owned()
    } else {
        format!("\"{value}\"")
    }
}

/// The crate's escaping of TEXT values (RFC 5545, 3.3.11): backslash, comma, semicolon and line
/// feed.
fn escape_text(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// Folds a content line at 75 octets without splitting a UTF-8 character (RFC 5545, 3.1): after
/// every 75 octets of the first line and 74 of each continuation (which starts with a space),
/// CRLF and a space. One pass over the characters.
pub fn fold(line: &str) -> String {
    let mut folded = String::with_capacity(line.len() + line.len() / 37);
    let mut width = 0;
    for c in line.chars() {
        let size = c.len_utf8();
        if width + size > LINE_OCTETS {
            folded.push_str("\r\n ");
            width = 1;
        }
        folded.push(c);
        width += size;
    }
    folded
}

/// icalendar 0.17's `fold_line`, with the character lookups it repeats from the start of the
/// line for every fold done once beforehand. Its rules, kept as they are: each piece is 75
/// bytes (the first) or 74, one less when the character at that *character* index (the crate
/// mixes byte and character positions) is whitespace, moved back to a character boundary; and
/// a last piece of 75 bytes is left whole, so its line is 76 octets with the leading space.
fn crate_fold(line: &str) -> String {
    let len = line.len();
    if len <= LINE_OCTETS {
        return line.to_owned();
    }
    let whitespace: Vec<bool> = line.chars().map(char::is_whitespace).collect();
    let is_whitespace = |index: usize| whitespace.get(index).copied().unwrap_or(false);
    let mut folded = String::with_capacity(len + len / LINE_OCTETS * 3);
    let mut remaining = len;
    let mut pos = 0;
    let mut next = LINE_OCTETS;
    while remaining > LINE_OCTETS {
        if is_whitespace(next) {
            next -= 1;
        }
        while !line.is_char_boundary(next) {
            next -= 1;
            if is_whitespace(next) {
                next -= 1;
            }
        }
        folded.push_str(line.get(pos..next).unwrap_or_default());
        folded.push_str("\r\n ");
        remaining -= next - pos;
        pos = next;
        next += LINE_OCTETS - 1;
    }
    folded.push_str(line.get(len - remaining..).unwrap_or_default());
    folded
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use icalendar::{EventLike as _, Parameter};

    use super::*;

    /// Texts that exercise every rule of both folds: ASCII, two-, three- and four-byte
    /// characters, whitespace (also multi-byte whitespace) where the crate looks for it, and
    /// lengths around every multiple of 74 and 75.
    fn texts() -> Vec<String> {
        let units = ["a", "ä", "€", "😀", " ", "\u{3000}", "a b", "ä ä€ 😀\t"];
        let mut texts = Vec::new();
        for length in (0..=320_usize).chain([1_000, 4_096]) {
            for unit in units {
                texts.push(unit.repeat(length.div_ceil(unit.len()).max(1)));
            }
            // A mix whose character and byte positions drift apart.
            texts.push(
                "Größenordnung, Straße; Übung\\ 🎉 – \"x\" "
                    .chars()
                    .cycle()
                    .take(length)
                    .collect(),
            );
        }
        texts
    }

    fn event(text: &str) -> icalendar::Event {
        let mut event = icalendar::Event::new();
        event.uid("uid@example.org");
        event.timestamp(DateTime::UNIX_EPOCH);
        event.summary(text);
        event.description(&format!("{text}\n{text}"));
        event.location(text);
        event.url(text);
        let mut conference = Property::new("CONFERENCE", text);
        conference.add_parameter("VALUE", "URI");
        event.append_property(conference);
        let mut organizer = Property::new("ORGANIZER", "mailto:info@example.org");
        organizer.append_parameter(Parameter::new("CN", &format!("\"{text}\"")));
        organizer.add_parameter("X-PLAIN", text);
        event.append_property(organizer);
        event.add_multi_property("CATEGORIES", text);
        event.add_multi_property("EXDATE", "20261217T100000");
        event
    }

    /// The crate's own text, byte for byte, for every text — so content hashes stay as stored.
    #[test]
    fn crate_text_is_what_the_crate_writes() {
        for text in texts() {
            let event = event(&text);
            assert_eq!(crate_text(&event), Component::to_string(&event), "{text:?}");
        }
    }

    /// The lines `write` folds are the crate's lines, unfolded: `write` changes only where the
    /// folds go. Every line is at most 75 octets and never splits a character.
    #[test]
    fn write_folds_the_crates_lines_at_75_octets() {
        for text in texts() {
            let event = event(&text);
            let mut written = String::new();
            write(&event, &mut written);
            let crate_lines = Component::to_string(&event).replace("\r\n ", "");
            assert_eq!(written.replace("\r\n ", ""), crate_lines, "{text:?}");
            for line in written.split_terminator("\r\n") {
                assert!(line.len() <= LINE_OCTETS, "{} octets: {line:?}", line.len());
            }
        }
    }

    #[test]
    fn folds_at_75_octets_without_splitting_characters() {
        let line = format!("SUMMARY:{}", "ä".repeat(80));
        let folded = fold(&line);
        for part in folded.split("\r\n") {
            assert!(part.len() <= 75, "{} octets: {part}", part.len());
        }
        assert_eq!(folded.replace("\r\n ", ""), line);
    }
}
