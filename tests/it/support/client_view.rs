//! What a member's Matrix client shows of a message, checked against its plain body.
//!
//! Every message the bot sends has two forms: `body` (plain text, for notifications and clients
//! without HTML) and `formatted_body` (`org.matrix.custom.html`, what Element shows). A snapshot
//! of the HTML source proves little: a client does not show the source, it sanitizes it against
//! the tags and attributes the Matrix specification permits and renders what is left. Text
//! written unescaped into HTML, such as `<Titel>` in `<code>!agenda add <Titel></code>`, is
//! parsed as an (unknown) tag and dropped, so the member reads `!agenda add` and nothing else,
//! while the snapshot looks right to anyone reading the source.
//!
//! So every snapshot of a [`Rendered`] goes through [`snapshot_rendered!`], which also asserts
//! [`assert_client_shows_plain`]: the HTML, sanitized by [`sanitizer`] (the spec's permitted
//! tags and attributes, via ammonia) and reduced to the text a reader sees by [`visible_text`],
//! says the same as the plain body.
//!
//! What "the same" means, exactly (see [`compare`]):
//! - Whitespace: every run of whitespace (spaces, line breaks, blank lines, no-break spaces)
//!   counts as one space, and leading and trailing whitespace is ignored. Layout may differ
//!   (`<br>` against `\n`, a list against bullet lines); the words and signs may not.
//! - Lists: a client draws a marker before each list item, so the visible text has "• " before
//!   an `<li>` of a `<ul>` and "N. " before one of an `<ol>` (counted from its `start`), as the
//!   plain body writes them.
//! - Link targets: a link `<a href="U">T</a>` whose text `T` is not `U` itself shows `T`, and
//!   the target is one click away. A plain body cannot link, so it may give the target right
//!   after the title, in exactly one of the forms `T (U)`, `T: U` or `T U`; before comparing,
//!   those forms are rewritten to `T`, for the `(T, U)` pairs of the sanitized HTML's links
//!   only. Any other URL in the plain body must be visible text in the HTML too, and a link
//!   whose target the client drops (a scheme the spec does not permit) is just its text.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use convene::render::Rendered;

/// The tags the Matrix client-server specification (v1.10 and later, "m.room.message msgtypes")
/// strongly suggests clients permit; everything else is dropped (its text stays, except for
/// the tags in [`CONTENT_DROPPED`]). `font` (deprecated in v1.10 for `span`), `strike` (for `s`)
/// and `a`'s `name` are no longer in the list: the bot must not rely on them.
pub const TAGS: &[&str] = &[
    "del",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "p",
    "a",
    "ul",
    "ol",
    "sup",
    "sub",
    "li",
    "b",
    "i",
    "u",
    "strong",
    "em",
    "s",
    "code",
    "hr",
    "br",
    "div",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "caption",
    "pre",
    "span",
    "img",
    "details",
    "summary",
];

/// The attributes the specification permits, per tag; no others, on no tag.
pub const ATTRIBUTES: &[(&str, &[&str])] = &[
    (
        "span",
        &[
            "data-mx-bg-color",
            "data-mx-color",
            "data-mx-spoiler",
            "data-mx-maths",
        ],
    ),
    ("a", &["target", "href"]),
    ("img", &["width", "height", "alt", "title", "src"]),
    ("ol", &["start"]),
    ("code", &["class"]),
    ("div", &["data-mx-maths"]),
];

/// The URL schemes a link may have (`a href`); an image's `src` must be `mxc://`. Relative URLs
/// are dropped.
pub const LINK_SCHEMES: &[&str] = &["https", "http", "ftp", "mailto", "magnet"];

/// Tags removed with their content: ammonia's default `script` and `style`, and `mx-reply`,
/// which the specification (v1.13) tells clients to strip with its content.
pub const CONTENT_DROPPED: &[&str] = &["script", "style", "mx-reply"];

/// An ammonia sanitizer configured as the specification says a client should sanitize.
pub fn sanitizer() -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::empty();
    let attributes: HashMap<&str, HashSet<&str>> = ATTRIBUTES
        .iter()
        .map(|(tag, names)| (*tag, names.iter().copied().collect()))
        .collect();
    let mut schemes: HashSet<&str> = LINK_SCHEMES.iter().copied().collect();
    schemes.insert("mxc");
    builder
        .tags(TAGS.iter().copied().collect())
        .clean_content_tags(CONTENT_DROPPED.iter().copied().collect())
        .tag_attributes(attributes)
        .generic_attributes(HashSet::new())
        .url_schemes(schemes)
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(None)
        .strip_comments(true)
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            // `mxc` is in the scheme list for images only.
            ("img", "src") => value.starts_with("mxc://").then_some(Cow::Borrowed(value)),
            ("a", "href") => (!value.starts_with("mxc:")).then_some(Cow::Borrowed(value)),
            // Only classes for syntax highlighting.
            ("code", "class") => {
                let kept: Vec<&str> = value
                    .split_ascii_whitespace()
                    .filter(|class| class.starts_with("language-"))
                    .collect();
                (!kept.is_empty()).then(|| Cow::Owned(kept.join(" ")))
            }
            _ => Some(Cow::Borrowed(value)),
        });
    builder
}

/// `html` as a client keeps it: sanitized, and serialized again by html5ever.
pub fn sanitize(html: &str) -> String {
    sanitizer().clean(html).to_string()
}

/// A link in the sanitized HTML: its target and the text it shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub href: String,
    pub text: String,
}

/// The text a reader sees of `html`, and its links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    pub text: String,
    pub links: Vec<Link>,
}

/// Elements that start and end on a line of their own.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "table",
    "thead",
    "tbody",
    "tr",
    "caption",
    "details",
    "summary",
];

/// The text a reader sees of `html`: sanitized like a client does, tags dropped, line breaks
/// for `<br>`, `<hr>` and block elements, a tab after a table cell, list markers ("• ", "N. ")
/// before list items, an image's `alt` text, and entities decoded.
pub fn visible_text(html: &str) -> String {
    view(html).text
}

/// [`visible_text`] with the links it shows.
pub fn view(html: &str) -> View {
    let sanitized = sanitize(html);
    let mut text = String::new();
    let mut links = Vec::new();
    // The open lists (`None` for `ul`, the next number for `ol`) and links (target, start).
    let mut lists: Vec<Option<i64>> = Vec::new();
    let mut open_links: Vec<(Option<String>, usize)> = Vec::new();
    let line_break = |text: &mut String| {
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
    };
    for token in tokens(&sanitized) {
        match token {
            Token::Text(t) => text.push_str(&t),
            Token::Start { name, attributes } => {
                let attribute = |wanted: &str| {
                    attributes
                        .iter()
                        .find(|(n, _)| n == wanted)
                        .map(|(_, v)| v.clone())
                };
                match name.as_str() {
                    "br" => text.push('\n'),
                    "hr" => line_break(&mut text),
                    "ul" => {
                        line_break(&mut text);
                        lists.push(None);
                    }
                    "ol" => {
                        line_break(&mut text);
                        let start = attribute("start").and_then(|s| s.trim().parse().ok());
                        lists.push(Some(start.unwrap_or(1)));
                    }
                    "li" => {
                        line_break(&mut text);
                        match lists.last_mut() {
                            Some(Some(number)) => {
                                let _ = write!(text, "{number}. ");
                                *number += 1;
                            }
                            _ => text.push_str("• "),
                        }
                    }
                    "img" => text.push_str(&attribute("alt").unwrap_or_default()),
                    "a" => open_links.push((attribute("href"), text.len())),
                    block if BLOCKS.contains(&block) => line_break(&mut text),
                    _ => {}
                }
            }
            Token::End(name) => match name.as_str() {
                "ul" | "ol" => {
                    lists.pop();
                    line_break(&mut text);
                }
                "li" => line_break(&mut text),
                "td" | "th" => text.push('\t'),
                "a" => {
                    if let Some((Some(href), start)) = open_links.pop() {
                        links.push(Link {
                            href,
                            text: text[start..].to_owned(),
                        });
                    }
                }
                block if BLOCKS.contains(&block) => line_break(&mut text),
                _ => {}
            },
        }
    }
    View { text, links }
}

enum Token {
    Text(String),
    Start {
        name: String,
        attributes: Vec<(String, String)>,
    },
    End(String),
}

/// The tokens of ammonia's output. It is html5ever's serialization of a parsed tree, so it is
/// regular: no comments, every attribute value in double quotes with `"` and `&` escaped (`>`
/// may stand in a value as it is), and text with `&`, `<`, `>` and U+00A0 escaped.
fn tokens(html: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut rest = html;
    while !rest.is_empty() {
        let Some(after) = rest.strip_prefix('<') else {
            let end = rest.find('<').unwrap_or(rest.len());
            tokens.push(Token::Text(decode(&rest[..end])));
            rest = &rest[end..];
            continue;
        };
        // The tag runs to the first `>` outside a quoted value.
        let mut quoted = false;
        let end = after
            .char_indices()
            .find(|&(_, c)| {
                if c == '"' {
                    quoted = !quoted;
                }
                c == '>' && !quoted
            })
            .map_or(after.len(), |(i, _)| i);
        let tag = &after[..end];
        rest = after.get(end + 1..).unwrap_or_default();
        if let Some(name) = tag.strip_prefix('/') {
            tokens.push(Token::End(name.trim().to_ascii_lowercase()));
            continue;
        }
        let name_end = tag
            .find(|c: char| c.is_whitespace() || c == '/')
            .unwrap_or(tag.len());
        let name = tag[..name_end].to_ascii_lowercase();
        let mut attributes = Vec::new();
        let mut attrs = tag[name_end..].trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        while !attrs.is_empty() {
            let key_end = attrs
                .find(|c: char| c == '=' || c.is_whitespace())
                .unwrap_or(attrs.len());
            let key = attrs[..key_end].to_ascii_lowercase();
            attrs = &attrs[key_end..];
            let value = if let Some(quoted) = attrs.strip_prefix("=\"") {
                let close = quoted.find('"').unwrap_or(quoted.len());
                attrs = quoted.get(close + 1..).unwrap_or_default();
                decode(&quoted[..close])
            } else {
                String::new()
            };
            attributes.push((key, value));
            attrs = attrs.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
        }
        tokens.push(Token::Start { name, attributes });
    }
    tokens
}

/// Decodes the character references html5ever writes (`&amp;` `&lt;` `&gt;` `&quot;`
/// `&nbsp;`), and `&#39;`, `&apos;` and numeric ones for good measure; anything else is left.
fn decode(text: &str) -> String {
    let mut decoded = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        decoded.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let reference = rest.find(';').map(|semi| (&rest[1..semi], semi));
        let char = reference.and_then(|(name, _)| match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ => {
                let number = name.strip_prefix('#')?;
                let code = match number.strip_prefix(['x', 'X']) {
                    Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                    None => number.parse().ok()?,
                };
                char::from_u32(code)
            }
        });
        match (char, reference) {
            (Some(c), Some((_, semi))) => {
                decoded.push(c);
                rest = &rest[semi + 1..];
            }
            _ => {
                decoded.push('&');
                rest = &rest[1..];
            }
        }
    }
    decoded.push_str(rest);
    decoded
}

/// Every run of whitespace as one space, without leading and trailing whitespace.
pub fn normalize(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `plain` (normalized) with the targets of `links` written after their titles taken out: for
/// a link showing `T` (not its target `U`), `T (U)`, `T: U` and `T U` become `T`.
fn fold_links(plain: &str, links: &[Link]) -> String {
    let mut folded = plain.to_owned();
    for link in links {
        let title = normalize(&link.text);
        let href = &link.href;
        if title.is_empty() || title == *href {
            continue;
        }
        for form in [
            format!("{title} ({href})"),
            format!("{title}: {href}"),
            format!("{title} {href}"),
        ] {
            folded = folded.replace(&form, &title);
        }
    }
    folded
}

/// Why the client shows something else than `rendered.plain`, or `None` if it shows the same.
pub fn compare(rendered: &Rendered) -> Option<String> {
    let view = view(&rendered.html);
    let plain = fold_links(&normalize(&rendered.plain), &view.links);
    let shown = normalize(&view.text);
    if plain == shown {
        return None;
    }
    let at = plain
        .chars()
        .zip(shown.chars())
        .take_while(|(a, b)| a == b)
        .count();
    let around = |text: &str| {
        let from = at.saturating_sub(30);
        text.chars()
            .skip(from)
            .take(at - from + 40)
            .collect::<String>()
    };
    let mut report = format!(
        "the client shows another text than the plain body; first difference at character {at}:\n  plain:  …{}…\n  client: …{}…\n",
        around(&plain),
        around(&shown)
    );
    let _ = write!(
        report,
        "--- plain (normalized, link targets folded)\n{plain}\n--- client (visible text of the sanitized HTML, normalized)\n{shown}\n--- sanitized HTML\n{}\n--- HTML as sent\n{}",
        sanitize(&rendered.html),
        rendered.html
    );
    Some(report)
}

/// Asserts that what a client shows of `rendered.html` is `rendered.plain`, modulo whitespace
/// and link targets (see the module documentation); on a mismatch, panics with both texts and
/// the first difference.
#[track_caller]
pub fn assert_client_shows_plain(rendered: &Rendered) {
    if let Some(report) = compare(rendered) {
        panic!("{report}");
    }
}

/// Both forms of a message, as its snapshot shows them.
pub fn show(rendered: &Rendered) -> String {
    format!("--- plain\n{}\n--- html\n{}", rendered.plain, rendered.html)
}

/// `insta::assert_snapshot!(name, show(&rendered))`, after [`assert_client_shows_plain`]: the
/// one way tests snapshot a [`Rendered`]. A macro, so that insta names the snapshot after the
/// calling module as before.
#[allow(unused_macros)] // in the benchmarks, which share `support`
macro_rules! snapshot_rendered {
    ($name:expr, $rendered:expr $(,)?) => {{
        let rendered: &convene::render::Rendered = &$rendered;
        let name = $name;
        if let Some(report) = $crate::support::client_view::compare(rendered) {
            panic!("snapshot {name}: {report}");
        }
        insta::assert_snapshot!(
            name,
            $crate::support::client_view::show(rendered),
            stringify!($rendered)
        );
    }};
}
#[allow(unused_imports)] // in the benchmarks, which share `support`
pub(crate) use snapshot_rendered;

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(plain: &str, html: &str) -> Rendered {
        Rendered {
            plain: plain.to_owned(),
            html: html.to_owned(),
        }
    }

    #[test]
    fn unescaped_placeholders_vanish_in_the_client() {
        let bug = rendered(
            "!agenda add <Titel> [— <Beschreibung>]",
            "<code>!agenda add <Titel> [— <Beschreibung>]</code>",
        );
        assert_eq!(visible_text(&bug.html), "!agenda add  [— ]");
        let report = compare(&bug).expect("the check must catch unescaped text");
        assert!(report.contains("character 12"), "{report}");
    }

    #[test]
    #[should_panic(expected = "the client shows another text")]
    fn the_assertion_fails_on_unescaped_text() {
        assert_client_shows_plain(&rendered(
            "!agenda add <Titel>",
            "<code>!agenda add <Titel></code>",
        ));
    }

    #[test]
    fn escaped_text_passes() {
        assert_client_shows_plain(&rendered(
            "!agenda add <Titel>",
            "<code>!agenda add &lt;Titel&gt;</code>",
        ));
        assert_client_shows_plain(&rendered(
            "Open Data & \"Kosten\" – Kaiserslautern's <b>Portal</b>",
            "Open Data &amp; &quot;Kosten&quot; &#8211; Kaiserslautern&#39;s &lt;b&gt;Portal&lt;/b&gt;",
        ));
    }

    #[test]
    fn markup_the_spec_does_not_permit_is_dropped() {
        assert_eq!(
            visible_text("a<script>alert(1)</script><mx-reply>quoted</mx-reply><blink>b</blink>"),
            "ab"
        );
        let sanitized = sanitize(
            r#"<a href="javascript:x" onclick="y" name="n">j</a><a href="/rel">r</a><img src="https://x/y.png" alt="Bild"><font color="red">f</font><code class="language-rust evil">c</code>"#,
        );
        assert_eq!(
            sanitized,
            r#"<a>j</a><a>r</a><img alt="Bild">f<code class="language-rust">c</code>"#
        );
    }

    #[test]
    fn layout_is_whitespace_and_lists_show_markers() {
        assert_client_shows_plain(&rendered(
            "Die nächsten Termine:\n• Trier\n• Kaiserslautern\n\n1. Begrüßung\n2. Open Data\nEnde",
            "<p>Die nächsten Termine:</p><ul><li>Trier</li><li>Kaiserslautern</li></ul><ol><li>Begrüßung</li><li>Open Data</li></ol>Ende",
        ));
        assert_eq!(
            visible_text("<ol start=\"3\"><li>a</li></ol>x<br>y&nbsp;z"),
            "3. a\nx\ny\u{a0}z"
        );
        // Whitespace can separate words, but not be invented between them.
        assert!(compare(&rendered("TOP 1", "<p>TOP</p><p>1</p>")).is_none());
        assert!(compare(&rendered("TOP1", "<p>TOP</p><p>1</p>")).is_some());
    }

    #[test]
    fn link_targets_may_follow_their_title_in_the_plain_body() {
        let html =
            r#"Links: <a href="https://opendata.kaiserslautern.de/">Portal Kaiserslautern</a>"#;
        for plain in [
            "Links: Portal Kaiserslautern: https://opendata.kaiserslautern.de/",
            "Links: Portal Kaiserslautern (https://opendata.kaiserslautern.de/)",
            "Links: Portal Kaiserslautern https://opendata.kaiserslautern.de/",
        ] {
            assert_client_shows_plain(&rendered(plain, html));
        }
        // A target that does not follow its title, or another URL, is text the client lacks.
        assert!(
            compare(&rendered(
                "Links: https://opendata.kaiserslautern.de/ Portal Kaiserslautern",
                html
            ))
            .is_some()
        );
        assert!(
            compare(&rendered(
                "Links: Portal Kaiserslautern: https://trier.de/",
                html
            ))
            .is_some()
        );
        // A link showing its own target needs no folding; one with a scheme the spec does not
        // permit is plain text.
        assert_client_shows_plain(&rendered(
            "Abo: webcal://x.example/a.ics",
            r#"Abo: <a href="webcal://x.example/a.ics">webcal://x.example/a.ics</a>"#,
        ));
    }
}
