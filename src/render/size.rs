//! How large a message may be, and how a text that would be larger is shortened.
//!
//! A homeserver refuses an event larger than 65,536 bytes (Synapse answers 413 `M_TOO_LARGE`),
//! and a refused post is retried until it is given up, so the members never see it. That limit
//! is on the whole event as the homeserver stores it, not on what the bot writes, so the bot
//! keeps a budget for what it writes, the event's *content*, far enough below it:
//!
//! - [`EVENT_BUDGET`] (40 KiB) bounds the serialized content of every event the bot sends; the
//!   outbox measures each one there before it is sent (`bot::outbox::Payload::fitted`). In an
//!   encrypted room the content becomes the Megolm plaintext `{"type":…,"content":C,
//!   "room_id":…}` (C + at most 400 bytes: a room id has at most 255), encrypted with AES-CBC
//!   (padding: +16 bytes at most) and framed (version, message index, MAC, Ed25519 signature:
//!   +99 bytes at most), then written as unpadded base64, 4/3 of that:
//!   4/3 × (40,960 + 400 + 16 + 99) = 55,300 bytes of `ciphertext`. The encrypted content adds
//!   algorithm, sender key, session id, device id and a relation kept in the clear (≤ 500
//!   bytes), and the homeserver's envelope (event id, sender ≤ 255, room id ≤ 255, type,
//!   timestamps, ≤ 20 prev and auth event ids, hashes, signatures) stays under 3,000 bytes:
//!   ≤ 58,800 bytes in all, 6.6 KiB below the limit. Unencrypted, the same content takes at most
//!   40,960 + 3,500 bytes.
//! - [`MESSAGE_BUDGET`] (20,000 bytes) bounds every text the render layer produces, as the
//!   content of an `m.notice` ([`notice_size`]). Announcements and reminders are edited in place
//!   when their meeting changes, and an edit carries the text twice (the new content and the
//!   `* …` fallback for clients without edits): 2 × (20,000 + 4) plus the relation (≤ 300 bytes)
//!   stays within [`EVENT_BUDGET`]; a reply adds its relation (≤ 400 bytes) once.
//!
//! A text that would be larger is shortened where it is written, deterministically and saying
//! what was left out: lists are cut with a count ("… und 12 weitere Punkte"), with a pointer to
//! where the rest is (the calendar invitation, `!actions`, `convene check`). [`largest_fitting`]
//! finds how much of a list fits. [`cut`] is the last resort of the outbox for a text that
//! still does not fit: whole lines while they fit, then `[…]`.

use super::rendered::{Rendered, escape_html};
use crate::text;

/// The most bytes of serialized content of any event the bot sends: see the module
/// documentation for the arithmetic against the homeserver's 65,536 bytes.
pub const EVENT_BUDGET: usize = 40 * 1024;

/// The most bytes a rendered text may take as the content of an `m.notice`
/// ([`notice_size`]): half of [`EVENT_BUDGET`] less a margin, so that an edit, which carries
/// the text twice, fits as well.
pub const MESSAGE_BUDGET: usize = 20_000;

/// The content of an `m.notice` around its two texts, as serde_json writes it.
const NOTICE_FRAME: &str =
    r#"{"msgtype":"m.notice","body":"","format":"org.matrix.custom.html","formatted_body":""}"#;

/// How many bytes `text` takes as a JSON string, quotes excluded, as serde_json writes it:
/// `"` and `\` and the control characters with a short escape take two bytes, other control
/// characters six (`\u001b`), everything else its UTF-8 bytes.
pub fn json_len(text: &str) -> usize {
    text.chars()
        .map(|c| match c {
            '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
            c if u32::from(c) < 0x20 => 6,
            c => c.len_utf8(),
        })
        .sum()
}

/// The bytes `rendered` takes as the serialized content of an `m.notice` (plain body, HTML
/// body, `msgtype` and `format`), without a relation.
pub fn notice_size(rendered: &Rendered) -> usize {
    NOTICE_FRAME.len() + json_len(&rendered.plain) + json_len(&rendered.html)
}

/// Whether `rendered` fits [`MESSAGE_BUDGET`].
pub fn fits(rendered: &Rendered) -> bool {
    notice_size(rendered) <= MESSAGE_BUDGET
}

/// The rendering of as much as fits [`MESSAGE_BUDGET`]: `render(shown)` renders a text showing
/// `shown` of `most` things (list entries, names, characters) and saying how many it leaves
/// out. Everything when that fits; otherwise the largest `shown` that fits (a text grows with
/// what it shows); `render(0)` when not even that fits (then the outbox cuts it further).
///
/// The search gallops up from one (1, 2, 4, …) and then bisects, so it renders texts of about
/// the budget's size, never the whole of a thousand-name list again and again.
pub fn largest_fitting(most: usize, render: impl Fn(usize) -> Rendered) -> Rendered {
    // render(fitting) fits (or is 0, the last resort); render(fails) does not.
    let mut fitting = 0;
    let mut best = None;
    let mut step = 1;
    let fails = loop {
        if step >= most {
            let all = render(most);
            if fits(&all) {
                return all;
            }
            break most;
        }
        let rendered = render(step);
        if !fits(&rendered) {
            break step;
        }
        fitting = step;
        best = Some(rendered);
        step *= 2;
    };
    let mut fails = fails;
    while fails - fitting > 1 {
        let middle = fitting + (fails - fitting) / 2;
        let rendered = render(middle);
        if fits(&rendered) {
            fitting = middle;
            best = Some(rendered);
        } else {
            fails = middle;
        }
    }
    best.unwrap_or_else(|| render(0))
}

/// The first `shown` characters of `text`, with `…` when that is not all of it.
pub fn first_chars(text: &str, shown: usize) -> String {
    match text.char_indices().nth(shown) {
        None => text.to_owned(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

/// `parts` joined by `plain` and `html` separators, as many of them as fit [`MESSAGE_BUDGET`],
/// followed by `more(left_out)` when some are left out.
pub fn join_fitting(
    parts: &[Rendered],
    separator: (&str, &str),
    more: impl Fn(usize) -> Rendered,
) -> Rendered {
    largest_fitting(parts.len(), |shown| {
        let mut shown_parts: Vec<&Rendered> = parts.iter().take(shown).collect();
        let note = (shown < parts.len()).then(|| more(parts.len() - shown));
        shown_parts.extend(note.as_ref());
        Rendered {
            plain: shown_parts
                .iter()
                .map(|p| p.plain.as_str())
                .collect::<Vec<_>>()
                .join(separator.0),
            html: shown_parts
                .iter()
                .map(|p| p.html.as_str())
                .collect::<Vec<_>>()
                .join(separator.1),
        }
    })
}

/// The mark of a text the outbox had to cut: language-neutral, since the outbox does not know
/// the bot's language (the render layer keeps its texts within [`MESSAGE_BUDGET`], so this is
/// only ever the last resort).
pub const CUT_MARK: &str = "[…]";

/// `rendered`, cut to `budget` bytes as an `m.notice`: its plain lines from the first, as many
/// as fit, then [`CUT_MARK`]; a first line that alone does not fit is cut by characters. The
/// HTML is the plain text escaped, line by line, so both say the same. `rendered` itself when
/// it fits.
pub fn cut(rendered: &Rendered, budget: usize) -> Rendered {
    if notice_size(rendered) <= budget {
        return rendered.clone();
    }
    let lines: Vec<&str> = rendered.plain.lines().collect();
    let with = |kept: &[&str], last: Option<&str>| {
        let mut plain: Vec<String> = kept.iter().map(|l| (*l).to_owned()).collect();
        plain.extend(last.map(str::to_owned));
        plain.push(CUT_MARK.to_owned());
        Rendered {
            html: plain
                .iter()
                .map(|l| escape_html(l))
                .collect::<Vec<_>>()
                .join("<br>\n"),
            plain: plain.join("\n"),
        }
    };
    let fits_budget = |r: &Rendered| notice_size(r) <= budget;
    // Whole lines: the most that fit (a text grows with its lines).
    let (mut fitting, mut fails) = (0, lines.len());
    while fails - fitting > 1 {
        let middle = fitting + (fails - fitting) / 2;
        if fits_budget(&with(&lines[..middle], None)) {
            fitting = middle;
        } else {
            fails = middle;
        }
    }
    if fitting > 0 || lines.is_empty() {
        return with(&lines[..fitting], None);
    }
    // Not even the first line: as many of its characters as fit.
    let first = lines[0];
    let count = first.chars().count();
    let (mut fitting, mut fails) = (0, count);
    while fails - fitting > 1 {
        let middle = fitting + (fails - fitting) / 2;
        if fits_budget(&with(&[], Some(&first_chars(first, middle)))) {
            fitting = middle;
        } else {
            fails = middle;
        }
    }
    with(&[], Some(&first_chars(first, fitting)))
}

/// A list of names, the first `shown` of them (each made one line by `line`), then
/// "und 12 weitere" / "and 12 more" (or, showing none, "12, nicht einzeln aufgeführt" /
/// "12, not listed one by one"). Only the names shown are looked at, so that finding how many
/// fit stays cheap for a thousand names.
pub(super) fn names_shown(
    language: crate::i18n::Language,
    names: &[String],
    shown: usize,
    line: impl Fn(&str) -> String,
) -> String {
    let listed: Vec<String> = names.iter().take(shown).map(|n| line(n)).collect();
    let left_out = names.len().saturating_sub(shown);
    match (listed.is_empty(), left_out) {
        (_, 0) => listed.join(", "),
        (true, n) => text!(de: "{n}, nicht einzeln aufgeführt", en: "{n}, not listed one by one")
            .take(language),
        (false, n) => {
            let listed = listed.join(", ");
            text!(de: "{listed} und {n} weitere", en: "{listed} and {n} more").take(language)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(plain: &str) -> Rendered {
        Rendered {
            plain: plain.to_owned(),
            html: escape_html(plain),
        }
    }

    #[test]
    fn sizes_are_what_serde_json_writes() {
        for plain in [
            "",
            "Tagesordnung: „Open Data“ – 10:00 Uhr",
            "quote \" backslash \\ line\nreturn\r tab\t bell\u{7} esc\u{1b} del\u{7f} 👍",
        ] {
            let rendered = Rendered {
                plain: plain.to_owned(),
                html: format!("<p>{}</p>", escape_html(plain)),
            };
            let json = serde_json::json!({
                "msgtype": "m.notice",
                "body": rendered.plain,
                "format": "org.matrix.custom.html",
                "formatted_body": rendered.html,
            });
            assert_eq!(
                notice_size(&rendered),
                serde_json::to_string(&json).unwrap().len(),
                "{plain:?}"
            );
        }
    }

    #[test]
    fn the_largest_fitting_count_is_found() {
        // Each shown line takes 1,000 bytes (twice: plain and HTML).
        let render = |shown: usize| text(&"x".repeat(500).repeat(shown));
        let all = largest_fitting(5, render);
        assert_eq!(all.plain.len(), 2_500, "everything fits");
        let most = largest_fitting(100, render);
        assert!(fits(&most));
        assert!(!fits(&render(most.plain.len() / 500 + 1)));
        assert_eq!(most.plain.len() / 500, (MESSAGE_BUDGET - 100) / 1_000);
        // Nothing fits: the smallest form.
        let never = largest_fitting(3, |shown| text(&"y".repeat(30_000 + shown)));
        assert_eq!(never.plain.len(), 30_000);
    }

    #[test]
    fn cut_keeps_whole_lines_then_characters() {
        let long = (0..2_000)
            .map(|i| format!("Zeile {i} <&>"))
            .collect::<Vec<_>>()
            .join("\n");
        let cut_down = cut(&text(&long), 10_000);
        assert!(notice_size(&cut_down) <= 10_000);
        assert!(cut_down.plain.starts_with("Zeile 0 <&>\nZeile 1 <&>\n"));
        assert!(cut_down.plain.ends_with(&format!("\n{CUT_MARK}")));
        assert!(cut_down.html.contains("Zeile 1 &lt;&amp;&gt;<br>\n"));
        // As many lines as fit: one more (about 40 bytes) would not.
        assert!(notice_size(&cut_down) + 40 > 10_000);
        let one = "ä".repeat(50_000);
        let cut_one = cut(&text(&one), 10_000);
        assert!(notice_size(&cut_one) <= 10_000);
        assert!(cut_one.plain.starts_with("ääää") && cut_one.plain.ends_with("…\n[…]"));
        assert_eq!(cut(&text("kurz"), 10_000), text("kurz"));
    }

    #[test]
    fn fitting_parts_are_joined_with_a_note() {
        let part = text(&"z".repeat(6_000));
        let parts = vec![part.clone(), part.clone(), part.clone(), part];
        let joined = join_fitting(&parts, ("\n\n", "<br>\n"), |n| text(&format!("+{n}")));
        assert!(fits(&joined));
        assert!(
            joined.plain.ends_with("\n\n+3"),
            "{}",
            &joined.plain[6_000..]
        );
        let two = join_fitting(&parts[..1], ("\n\n", "<br>\n"), |n| text(&format!("+{n}")));
        assert_eq!(two.plain.len(), 6_000);
    }

    #[test]
    fn first_characters() {
        assert_eq!(first_chars("Grünstadt", 4), "Grün…");
        assert_eq!(first_chars("Grün", 4), "Grün");
    }
}
