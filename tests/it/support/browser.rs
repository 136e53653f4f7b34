//! A real browser for the tests of convene's web pages: headless Chromium, driven through
//! ChromeDriver over W3C WebDriver, to check what a person gets from a page rather than what its
//! HTML says: axe-core's accessibility violations (WCAG 2.1 A and AA), the keyboard's focus
//! order, the layout at a phone's width, and a screenshot kept as an artefact.
//!
//! Chromium, ChromeDriver (Debian's) and axe-core (npm, pinned by `scripts/axe/`) are installed
//! by `scripts/browser.py` on first use. ChromeDriver listens on a free port of the loopback
//! interface only (no `--allowed-ips`), and runs in a process group of its own, so that it and
//! every Chromium process it started are killed together, by its PID, when the [`Browser`]
//! drops, even when a test panics mid-way.
//!
//! The WebDriver client is a few lines over `reqwest` (already a dev-dependency) and
//! `serde_json`, rather than a WebDriver crate: the tests need a dozen endpoints, not a framework.

use std::fmt;
use std::fs::File;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::header::CONTENT_TYPE;
use serde::Deserialize;
use serde_json::{Value, json};
use tempfile::TempDir;

/// The WCAG levels the pages must meet: axe-core's tags for WCAG 2.0 and 2.1, A and AA.
pub const WCAG21_AA: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/// Chromium's switches. Headless without a sandbox (the tests run as root) or a GPU; the rest
/// keep it off the network it would otherwise call home on at every start (only loopback is
/// reachable here, and a refused connection is noise in its log, or a delay).
const CHROMIUM_ARGS: [&str; 10] = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-crash-reporter",
];

/// How long ChromeDriver may take to answer its first `/status`.
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(30);

/// What `scripts/browser.py install` prints: where everything is.
#[derive(Debug, Deserialize)]
struct Installed {
    chromium: PathBuf,
    chromedriver: PathBuf,
    /// `axe.min.js`.
    axe: PathBuf,
}

/// A headless Chromium with one WebDriver session, and the ChromeDriver driving it.
#[derive(Debug)]
pub struct Browser {
    http: reqwest::Client,
    /// `http://127.0.0.1:PORT/session/ID`.
    session: String,
    /// ChromeDriver, the leader of its own process group (Chromium and its helpers inherit it).
    driver: Child,
    /// axe-core's source, injected into a page when [`Browser::axe`] first runs in it.
    axe_source: String,
    /// Chromium's profile and ChromeDriver's log; removed after both are gone.
    dir: TempDir,
}

/// One rule axe-core found broken, with the elements that break it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Violation {
    /// axe-core's rule id, such as `image-alt`.
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: Option<String>,
    /// What the rule asks for, in a sentence.
    pub help: String,
    /// axe-core's page on the rule (Deque's documentation).
    #[serde(rename = "helpUrl")]
    pub help_url: String,
    /// A CSS selector for each offending element (through iframes and shadow roots joined
    /// with ` >>> `).
    pub targets: Vec<String>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let impact = self.impact.as_deref().unwrap_or("no impact given");
        write!(f, "{} ({impact}): {}", self.id, self.help)?;
        for target in &self.targets {
            write!(f, "\n    at {target}")?;
        }
        write!(f, "\n    see {}", self.help_url)
    }
}

/// The violations one per paragraph, for an assertion's message; `none` when there are none.
pub fn report(violations: &[Violation]) -> String {
    if violations.is_empty() {
        return "none".to_owned();
    }
    let lines: Vec<String> = violations.iter().map(ToString::to_string).collect();
    format!("{} violation(s):\n{}", violations.len(), lines.join("\n"))
}

/// Where screenshots (and whatever else a browser test keeps for a person to look at) go:
/// `browser-artefacts/` in the target directory, so CI keeps them with the build and
/// `cargo clean` removes them. Created on first use.
pub fn artefact_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // The test binary is `<target>/<profile>/deps/it-<hash>`.
            let exe = std::env::current_exe().expect("no path of the test binary");
            exe.ancestors()
                .nth(3)
                .expect("the test binary is not in <target>/<profile>/deps")
                .to_owned()
        });
    let dir = target.join("browser-artefacts");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {dir:?}: {e}"));
    dir
}

/// Runs `scripts/browser.py install` (installing on first use, instant afterwards).
fn install() -> Installed {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/browser.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg("install")
        .output()
        .expect("cannot run python3 scripts/browser.py");
    assert!(
        output.status.success(),
        "browser.py install failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("browser.py install: not JSON")
}

impl Browser {
    /// Installs what is missing, starts ChromeDriver on a free loopback port and opens a
    /// session in a new headless Chromium with an empty profile and a 1280×800 viewport.
    pub async fn start() -> Self {
        let installed = install();
        let axe_source = std::fs::read_to_string(&installed.axe)
            .unwrap_or_else(|e| panic!("cannot read {:?}: {e}", installed.axe));
        let dir = tempfile::Builder::new()
            .prefix("convene-browser-")
            .tempdir()
            .unwrap();
        let port = super::free_port();
        let log = dir.path().join("chromedriver.log");
        let log_file = File::create(&log).unwrap();
        let driver = Command::new(&installed.chromedriver)
            .arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            // Its own process group, whose id is its PID: killed as one in `Drop`.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {:?}: {e}", installed.chromedriver));
        let http = reqwest::Client::builder()
            // Every request goes to 127.0.0.1: never through a proxy from the environment.
            .no_proxy()
            .timeout(Duration::from_secs(120))
            .build()
            .unwrap();
        let mut browser = Self {
            http,
            session: String::new(),
            driver,
            axe_source,
            dir,
        };
        let base = format!("http://127.0.0.1:{port}");
        browser.wait_for_driver(&base, &log).await;
        let profile = browser.dir.path().join("profile");
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|&a| a.to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let created = browser
            .request(
                reqwest::Method::POST,
                &format!("{base}/session"),
                Some(json!({
                    "capabilities": {
                        "alwaysMatch": {
                            "browserName": "chrome",
                            "goog:chromeOptions": {
                                "binary": installed.chromium,
                                "args": args,
                            },
                        },
                    },
                })),
            )
            .await
            .unwrap_or_else(|e| panic!("no browser session: {e}\n{}", read_log(&log)));
        let id = created["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("new session without sessionId: {created}"));
        browser.session = format!("{base}/session/{id}");
        browser.set_window_size(1280, 800).await;
        browser
    }

    /// Waits until ChromeDriver answers that it is ready, or panics with its log.
    async fn wait_for_driver(&mut self, base: &str, log: &Path) {
        let deadline = Instant::now() + DRIVER_START_TIMEOUT;
        loop {
            if let Ok(status) = self
                .request(reqwest::Method::GET, &format!("{base}/status"), None)
                .await
                && status["ready"] == json!(true)
            {
                return;
            }
            if let Ok(Some(exit)) = self.driver.try_wait() {
                panic!("chromedriver exited with {exit}:\n{}", read_log(log));
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver not ready after {DRIVER_START_TIMEOUT:?}:\n{}",
                read_log(log)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// One WebDriver request; the `value` of its answer, or the WebDriver error as text.
    async fn request(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let mut request = self.http.request(method.clone(), url);
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string());
        }
        let response = request
            .send()
            .await
            .map_err(|e| format!("{method} {url}: {e}"))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| format!("{method} {url}: {e}"))?;
        let mut answer: Value = serde_json::from_slice(&bytes).map_err(|e| {
            format!(
                "{method} {url}: {status}, not JSON ({e}): {}",
                String::from_utf8_lossy(&bytes)
            )
        })?;
        let value = answer["value"].take();
        if status.is_success() {
            Ok(value)
        } else {
            // W3C: `{"value": {"error": "no such element", "message": ..., "stacktrace": ...}}`.
            Err(format!(
                "{method} {url}: {status} {}: {}",
                value["error"].as_str().unwrap_or("?"),
                value["message"].as_str().unwrap_or("?")
            ))
        }
    }

    /// A command of this session: `path` is after `/session/ID`.
    async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}{path}", self.session);
        self.request(method, &url, body)
            .await
            .unwrap_or_else(|e| panic!("WebDriver: {e}"))
    }

    /// Navigates to `url` and returns when the page has loaded (`document.readyState` is
    /// `complete`).
    pub async fn open(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    /// Runs `script` as the body of a function in the page, with `args` as `arguments`, and
    /// returns what it returns (a returned promise is awaited).
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        let body = json!({ "script": script, "args": args });
        self.command(reqwest::Method::POST, "/execute/sync", Some(body))
            .await
    }

    /// Makes the viewport (what the page lays out in, `document.documentElement.clientWidth`
    /// without a scrollbar) `width`×`height` CSS pixels: the window is sized, measured and
    /// sized again by the difference, since a headless window still counts a frame around it.
    pub async fn set_window_size(&self, width: u32, height: u32) {
        let rect = |w: i64, h: i64| json!({ "width": w, "height": h });
        let (want_w, want_h) = (i64::from(width), i64::from(height));
        self.command(
            reqwest::Method::POST,
            "/window/rect",
            Some(rect(want_w, want_h)),
        )
        .await;
        let inner = self
            .execute("return [window.innerWidth, window.innerHeight];", json!([]))
            .await;
        let (inner_w, inner_h) = (
            inner[0].as_i64().unwrap_or(want_w),
            inner[1].as_i64().unwrap_or(want_h),
        );
        if (inner_w, inner_h) != (want_w, want_h) {
            let outer = rect(2 * want_w - inner_w, 2 * want_h - inner_h);
            self.command(reqwest::Method::POST, "/window/rect", Some(outer))
                .await;
        }
    }

    /// axe-core's violations of WCAG 2.1 A and AA on the page as it is now.
    pub async fn axe(&self) -> Vec<Violation> {
        self.axe_with_tags(&WCAG21_AA).await
    }

    /// axe-core's violations of the rules tagged with any of `tags`. axe-core is injected
    /// into the page first unless it is there already (a new page needs it anew).
    pub async fn axe_with_tags(&self, tags: &[&str]) -> Vec<Violation> {
        let present = self
            .execute("return typeof window.axe === 'object';", json!([]))
            .await;
        if present != json!(true) {
            // axe.min.js is a UMD module: without `module` or `define` it sets `window.axe`.
            let inject = format!("{}\nreturn typeof window.axe;", self.axe_source);
            let kind = self.execute(&inject, json!([])).await;
            assert_eq!(kind, json!("object"), "axe-core did not load into the page");
        }
        let run = r"
            const results = await axe.run(document, {
                runOnly: { type: 'tag', values: arguments[0] },
                resultTypes: ['violations'],
            });
            return results.violations.map((v) => ({
                id: v.id,
                impact: v.impact,
                help: v.help,
                helpUrl: v.helpUrl,
                targets: v.nodes.map((n) =>
                    n.target.map((t) => (Array.isArray(t) ? t.join(' ') : t)).join(' >>> ')),
            }));
        ";
        // An `await` needs an async function: wrap, and return its promise (WebDriver awaits
        // it).
        let script = format!("return (async () => {{ {run} }}).apply(null, arguments);");
        let violations = self.execute(&script, json!([tags])).await;
        serde_json::from_value(violations.clone())
            .unwrap_or_else(|e| panic!("axe.run gave {violations}: {e}"))
    }

    /// The keyboard's focus order: presses Tab up to `max` times (through WebDriver's actions,
    /// as a person's keyboard would) and describes the focused element after each press, until
    /// focus leaves the page or comes back round to the first element. Call it on a freshly
    /// opened page, where the first Tab goes to the first focusable element.
    ///
    /// Each element reads `tag "name"`, the name being its `aria-label`, its label (form
    /// fields), its text or its `value`, whitespace collapsed, then ` href=...` (as written in
    /// the page) for links.
    pub async fn focus_order(&self, max: usize) -> Vec<String> {
        const TAB: &str = "\u{E004}";
        let press_tab = json!({
            "actions": [{
                "type": "key",
                "id": "keyboard",
                "actions": [
                    { "type": "keyDown", "value": TAB },
                    { "type": "keyUp", "value": TAB },
                ],
            }],
        });
        let describe = r#"
            const el = document.activeElement;
            if (!el || el === document.body || el === document.documentElement) return null;
            const squash = (s) => (s || '').replace(/\s+/g, ' ').trim();
            const label = el.labels && el.labels.length
                ? Array.from(el.labels).map((l) => l.innerText).join(' ') : '';
            const name = squash(el.getAttribute('aria-label')) || squash(label)
                || squash(el.innerText) || squash(el.value);
            const href = el.getAttribute('href');
            return el.tagName.toLowerCase() + ' "' + name + '"'
                + (href === null ? '' : ' href=' + href);
        "#;
        let mut order = Vec::new();
        for _ in 0..max {
            self.command(reqwest::Method::POST, "/actions", Some(press_tab.clone()))
                .await;
            let Value::String(focused) = self.execute(describe, json!([])).await else {
                break;
            };
            if order.first() == Some(&focused) {
                break;
            }
            order.push(focused);
        }
        self.command(reqwest::Method::DELETE, "/actions", None)
            .await;
        order
    }

    /// Saves a PNG of the viewport (WebDriver's screenshot) to `path`, relative to
    /// [`artefact_dir`] unless absolute; returns where it went.
    pub async fn screenshot(&self, path: impl AsRef<Path>) -> PathBuf {
        let path = artefact_dir().join(path);
        let encoded = self
            .command(reqwest::Method::GET, "/screenshot", None)
            .await;
        let encoded = encoded.as_str().expect("the screenshot is not a string");
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .expect("the screenshot is not base64");
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, png).unwrap_or_else(|e| panic!("cannot write {path:?}: {e}"));
        path
    }

    /// The page's text as rendered (`document.body.innerText`): what a person reads.
    pub async fn text(&self) -> String {
        let text = self
            .execute(
                "return document.body ? document.body.innerText : '';",
                json!([]),
            )
            .await;
        text.as_str().unwrap_or_default().to_owned()
    }

    /// How wide the page is laid out (`document.documentElement.scrollWidth`): more than
    /// [`Browser::viewport_width`] means a person scrolls sideways.
    pub async fn scroll_width(&self) -> u64 {
        let width = self
            .execute("return document.documentElement.scrollWidth;", json!([]))
            .await;
        width.as_u64().expect("scrollWidth is not a number")
    }

    /// How wide the viewport is (`document.documentElement.clientWidth`, without a scrollbar).
    pub async fn viewport_width(&self) -> u64 {
        let width = self
            .execute("return document.documentElement.clientWidth;", json!([]))
            .await;
        width.as_u64().expect("clientWidth is not a number")
    }
}

impl Drop for Browser {
    /// Kills ChromeDriver's process group (ChromeDriver, Chromium and its helpers) by its id,
    /// ChromeDriver's PID, and waits until none of them is left, so that the profile is not
    /// written to while it is removed. Chromium's crash handlers leave the group, but end by
    /// themselves when Chromium is gone.
    fn drop(&mut self) {
        let group = self.driver.id();
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{group}")])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let deadline = Instant::now() + Duration::from_secs(5);
        while group_alive(group) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// True while a process of the group `group` is alive (not a zombie), from `/proc`.
fn group_alive(group: u32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|entry| {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            return false;
        };
        // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            return false;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        fields.first() != Some(&"Z") && fields.get(2) == Some(&group.to_string().as_str())
    })
}

/// ChromeDriver's log, for a failure's message.
fn read_log(log: &Path) -> String {
    std::fs::read_to_string(log).unwrap_or_else(|e| format!("(no log at {log:?}: {e})"))
}
