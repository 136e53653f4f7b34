//! A rendered message in its two bodies, and the HTML escaping every user text goes through.

/// A message in both forms Matrix clients show: `body` and `formatted_body`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Plain text, for clients and notifications without HTML.
    pub plain: String,
    /// The `org.matrix.custom.html` form.
    pub html: String,
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape_html(r#"<b onclick="x">'&'</b>"#),
            "&lt;b onclick=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;"
        );
    }
}
