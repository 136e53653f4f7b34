//! The browser harness (`support::browser`) on static pages, before any page of the bot's uses
//! it: axe-core finds nothing on an accessible page and names the broken rules on a broken
//! one, the keyboard's focus order is read, a phone-width layout that scrolls sideways is told
//! from one that does not, and screenshots are PNG files among the artefacts.

use std::collections::BTreeSet;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::support::browser::{Browser, report};

/// Accessible: a language, a title, headings in order, named links, a labelled form field,
/// and a viewport that follows a phone's width.
const GOOD: &str = r#"<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sitzungen – Netzwerk der Kommunen</title>
</head>
<body>
<nav aria-label="Hauptnavigation">
<ul>
<li><a href="/sitzungen">Sitzungen</a></li>
<li><a href="/protokolle">Protokolle</a></li>
</ul>
</nav>
<main>
<h1>Nächste Sitzungen</h1>
<p>Die nächste Sitzung des Netzwerks ist am 17. Dezember um 10 Uhr in Kaiserslautern.</p>
<h2>Erinnerung per E-Mail</h2>
<form action="/erinnerung" method="post">
<label for="email">E-Mail-Adresse</label>
<input id="email" name="email" type="email" autocomplete="email">
<button type="submit">Erinnern</button>
</form>
</main>
</body>
</html>
"#;

/// Broken on purpose: no `lang`, an image without alternative text.
const BAD: &str = r#"<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>Kaputt</title>
</head>
<body>
<main>
<h1>Kaputt</h1>
<img src="/logo.png">
</main>
</body>
</html>
"#;

/// Accessible, but with a block wider than a phone: a person on one scrolls sideways.
const WIDE: &str = r#"<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Breit</title>
</head>
<body>
<main>
<h1>Breit</h1>
<div style="width: 600px">Eine Tabelle mit fester Breite.</div>
</main>
</body>
</html>
"#;

/// A web server on 127.0.0.1 for the pages above (`/good`, `/bad`, `/wide`; 404 otherwise),
/// one HTTP/1.1 response per connection; stops when dropped.
struct Pages {
    base: String,
    task: JoinHandle<()>,
}

impl Pages {
    async fn serve() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(async move {
                    // The request head: enough to read the path (no page here takes a body).
                    let mut head = Vec::new();
                    let mut buf = [0; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
                        match stream.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&head);
                    let path = head.split(' ').nth(1).unwrap_or("/");
                    let (status, body) = match path {
                        "/good" => ("200 OK", GOOD),
                        "/bad" => ("200 OK", BAD),
                        "/wide" => ("200 OK", WIDE),
                        _ => ("404 Not Found", "not found"),
                    };
                    let response = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Self { base, task }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Pages {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// True when `path` holds a PNG: its 8-byte signature, and an IHDR of a non-empty image.
fn is_png(path: &std::path::Path) -> bool {
    let bytes = std::fs::read(path).unwrap();
    bytes.len() > 24
        && bytes.starts_with(b"\x89PNG\r\n\x1a\n")
        && &bytes[12..16] == b"IHDR"
        && bytes[16..20] != [0; 4]
        && bytes[20..24] != [0; 4]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accessible_page_passes_every_check() {
    let pages = Pages::serve().await;
    let browser = Browser::start().await;
    browser.open(&pages.url("/good")).await;

    let violations = browser.axe().await;
    assert!(violations.is_empty(), "{}", report(&violations));
    assert!(
        browser.text().await.contains("Nächste Sitzungen"),
        "{}",
        browser.text().await
    );

    assert_eq!(
        browser.focus_order(20).await,
        [
            r#"a "Sitzungen" href=/sitzungen"#,
            r#"a "Protokolle" href=/protokolle"#,
            r#"input "E-Mail-Adresse""#,
            r#"button "Erinnern""#,
        ]
    );

    browser.set_window_size(375, 667).await;
    assert_eq!(browser.viewport_width().await, 375);
    let scroll_width = browser.scroll_width().await;
    assert!(
        scroll_width <= 375,
        "scrolls sideways: {scroll_width} px wide"
    );

    let shot = browser.screenshot("harness/good-375.png").await;
    assert!(is_png(&shot), "{shot:?} is no PNG");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_pages_are_caught() {
    let pages = Pages::serve().await;
    let browser = Browser::start().await;

    browser.open(&pages.url("/bad")).await;
    let violations = browser.axe().await;
    let ids: BTreeSet<&str> = violations.iter().map(|v| v.id.as_str()).collect();
    assert!(
        ids.contains("image-alt") && ids.contains("html-has-lang"),
        "{}",
        report(&violations)
    );
    let image_alt = violations.iter().find(|v| v.id == "image-alt").unwrap();
    assert_eq!(image_alt.targets, ["img"]);
    // What a failing assertion shows: the rule, its impact, what it asks, where, and the docs.
    let shown = report(&violations);
    assert!(shown.contains("image-alt (critical): "), "{shown}");
    assert!(shown.contains("\n    at img\n"), "{shown}");
    browser.screenshot("harness/bad.png").await;

    browser.set_window_size(375, 667).await;
    browser.open(&pages.url("/wide")).await;
    assert_eq!(browser.viewport_width().await, 375);
    assert!(
        browser.scroll_width().await > 375,
        "a 600 px block did not widen the page"
    );
    let shot = browser.screenshot("harness/wide-375.png").await;
    assert!(is_png(&shot), "{shot:?} is no PNG");
}
