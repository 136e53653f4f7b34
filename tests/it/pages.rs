//! The member room's page in a real browser (headless Chromium): it shows the coming meeting
//! with a proposal the organizers accepted in chat, the room's subscription links, a running
//! date poll's table after a vote, and minutes approved in chat, which get a page of their own;
//! axe-core finds no WCAG 2.1 AA violation; the keyboard reaches the skip link first; a
//! phone-width window does not scroll sideways; a screenshot is kept.
//! Over plain HTTP: 304 for an unchanged page, 404 for an unknown secret, and headers that allow
//! nothing but the server's own style sheet and leak no address.
//! The organizers' page (`!web`) likewise: which room did not get a post and why, accessibly
//! at 1280 and 375 px, and its link revoked at once by `!web rotate`.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use convene::network::Network;
use convene::proposal::ProposalStatus;
use convene::store::{NewProposal, Store};

use crate::support::browser::{Browser, artefact_dir, report};
use crate::support::config::MONTHLY_VIDEOKONFERENZ;
use crate::support::meeting::poll_workshop;
use crate::support::member::PollEvent;
use crate::support::network::{RoomSpec, TestNetwork};

/// The open page shows each of `expected`.
async fn assert_shows(browser: &Browser, expected: &[&str]) {
    let shown = browser.text().await;
    for expected in expected {
        assert!(shown.contains(expected), "`{expected}` not shown:\n{shown}");
    }
}

/// axe-core finds no WCAG 2.1 AA violation on the open page; its screenshot is kept among the
/// artefacts as `pages/<name>`.
async fn assert_accessible(browser: &Browser, name: &str) {
    let violations = browser.axe().await;
    assert!(violations.is_empty(), "{}", report(&violations));
    browser
        .screenshot(artefact_dir().join("pages").join(name))
        .await;
}

/// `page`, opened at a phone's width (375 px), does not scroll sideways and stays accessible;
/// its screenshot is kept as `pages/<name>`.
async fn assert_fits_a_phone(browser: &Browser, page: &str, name: &str) {
    browser.set_window_size(375, 800).await;
    browser.open(page).await;
    assert!(
        browser.scroll_width().await <= browser.viewport_width().await,
        "{page} scrolls sideways on a phone"
    );
    assert_accessible(browser, name).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_room_s_page_shows_meetings_proposals_and_polls_accessibly() {
    let port = crate::support::free_port();
    let agendas = tempfile::tempdir().unwrap();
    std::fs::write(
        agendas.path().join("smart-city.yaml"),
        poll_workshop("smart-city", "Bewerbung Smart City"),
    )
    .unwrap();
    let network = TestNetwork::setup()
        .person("anna")
        .member(RoomSpec::new("Kaiserslautern", "kaiserslautern", true).created_by("anna"))
        .without_listen()
        .extend_base(&format!(
            "agendas_dir: {}
calendar:
  contact: info@ikone-ds.example
  listen: 127.0.0.1:{port}
  public_url: http://127.0.0.1:{port}/
{MONTHLY_VIDEOKONFERENZ}      video_link: https://meet.example.org/ikone
",
            agendas.path().display()
        ))
        .create()
        .await;
    let bot = network.start_bot().await;
    let (anna, organizer, bot_id) = (
        &network.people["anna"],
        &network.organizer,
        network.bot_id.clone(),
    );
    let (orga, room) = (&network.rooms[0], &network.rooms[1]);

    // A proposal from the room, accepted by the organizers; a vote in the date poll.
    let ask = anna.say(room, "!agenda add Breitbandausbau im Kreis").await;
    anna.reply_to(&bot_id, &ask).await;
    let ask = organizer.say(orga, "!agenda accept 1").await;
    organizer.reply_to(&bot_id, &ask).await;
    let room_id = room.room_id().to_owned();
    let poll = anna
        .wait_within(Duration::from_secs(60), |m| {
            m.sender == bot_id
                && m.room_id == room_id
                && matches!(m.poll, Some(PollEvent::Start { .. }))
        })
        .await
        .unwrap_or_else(|| panic!("no poll:\n{}", bot.log()));
    anna.vote(room, &poll.event_id, &["2"]).await;

    // The page's secret is the room's feed token, as `!subscribe` hands it out.
    let ask = anna.say(room, "!subscribe").await;
    let links = anna.reply_to(&bot_id, &ask).await;
    let token = links
        .body
        .split_whitespace()
        .find_map(|word| word.strip_prefix(&format!("http://127.0.0.1:{port}/feeds/")))
        .and_then(|rest| rest.strip_suffix(".ics"))
        .unwrap_or_else(|| panic!("no feed link in {links:?}"))
        .to_owned();
    let page = format!("http://127.0.0.1:{port}/rooms/{token}");

    // Over HTTP: the headers, a 304, a 404.
    let client = reqwest::Client::new();
    let text =
        crate::support::eventually_async("the vote on the page", Duration::from_secs(30), || {
            let client = client.clone();
            let page = page.clone();
            async move {
                let response = client.get(&page).send().await.ok()?;
                let headers = response.headers().clone();
                let body = response.text().await.ok()?;
                body.contains("<td>Kaiserslautern</td>")
                    .then_some((headers, body))
            }
        })
        .await;
    let (headers, body) = text;
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'; style-src 'self'"),
        "{headers:?}"
    );
    assert!(body.contains("Breitbandausbau im Kreis"), "{body}");
    let again = client
        .get(&page)
        .header("If-None-Match", headers["etag"].clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), reqwest::StatusCode::NOT_MODIFIED);
    let unknown = client
        .get(format!("http://127.0.0.1:{port}/rooms/{}", "x".repeat(43)))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), reqwest::StatusCode::NOT_FOUND);
    // Without `calendar.public: true` there is no public page.
    let public = client
        .get(format!("http://127.0.0.1:{port}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), reqwest::StatusCode::NOT_FOUND);
    let invitation = client
        .get(format!("{page}/invitations/videokonferenz.ics"))
        .send()
        .await
        .unwrap();
    assert_eq!(invitation.status(), reqwest::StatusCode::OK);
    assert!(invitation.text().await.unwrap().contains("BEGIN:VEVENT"));
    let no_such = client
        .get(format!("{page}/invitations/unbekannt.ics"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_such.status(), reqwest::StatusCode::NOT_FOUND);

    // In the browser.
    let browser = Browser::start().await;
    browser.open(&page).await;
    assert_shows(
        &browser,
        &[
            "Termine, Umfragen und Protokolle",
            "Nächste Termine",
            "Videokonferenz",
            "Breitbandausbau im Kreis (Kaiserslautern)",
            "Kalender abonnieren",
            "Laufende Terminumfragen",
            "Bewerbung Smart City",
        ],
    )
    .await;
    assert_accessible(&browser, "room-desktop.png").await;
    let focus = browser.focus_order(3).await;
    assert!(
        focus
            .first()
            .is_some_and(|first| first.contains("Zum Inhalt springen")),
        "{focus:?}"
    );
    assert_fits_a_phone(&browser, &page, "room-phone.png").await;

    // Minutes taken in chat and approved: listed on the room page, a page of their own.
    for command in [
        "!minutes start",
        "!info Das Portal geht im Frühjahr live.",
        "!minutes end",
        "!minutes approve",
    ] {
        let ask = organizer.say(orga, command).await;
        organizer.reply_to(&bot_id, &ask).await;
    }
    let minutes = crate::support::eventually_async(
        "the minutes on the room page",
        Duration::from_secs(30),
        || {
            let client = client.clone();
            let page = page.clone();
            async move {
                let body = client.get(&page).send().await.ok()?.text().await.ok()?;
                let (_, rest) = body.split_once("href=\"../minutes/")?;
                rest.split_once('"').map(|(token, _)| token.to_owned())
            }
        },
    )
    .await;
    browser.set_window_size(1280, 800).await;
    browser
        .open(&format!("http://127.0.0.1:{port}/minutes/{minutes}"))
        .await;
    assert_shows(
        &browser,
        &[
            "Das Portal geht im Frühjahr live.",
            "Als Markdown-Datei herunterladen",
        ],
    )
    .await;
    assert_accessible(&browser, "minutes-approved.png").await;
    let markdown = client
        .get(format!("http://127.0.0.1:{port}/minutes/{minutes}.md"))
        .send()
        .await
        .unwrap();
    assert_eq!(markdown.status(), reqwest::StatusCode::OK);
    drop(bot);
}

/// The organizers' page in a real browser: an organizer asks `!web` in the organizers' room and
/// opens the link; the invitation that went out shows as delivered to Kaiserslautern (named,
/// though its deliveries are kept under its room id) and as not delivered to a configured room
/// whose alias does not exist, with the reason. axe-core finds no violation at 1280 px nor at
/// 375 px, where the page itself does not scroll sideways. Over HTTP: the pages' headers, 304,
/// 404 for an unknown token, and `!web rotate` makes the old link 404 at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_organizers_page_shows_which_room_did_not_get_a_post_accessibly() {
    let port = crate::support::free_port();
    let network = TestNetwork::setup()
        .member(RoomSpec::new("Kaiserslautern", "kaiserslautern", true))
        .without_listen()
        .extend_base(&format!(
            "calendar:
  contact: info@ikone-ds.example
  listen: 127.0.0.1:{port}
  public_url: http://127.0.0.1:{port}/
"
        ))
        .create()
        .await;
    // A member whose room's address does not exist: the invitation cannot reach it.
    let base = network.home.base_config();
    let kaiserslautern = format!(
        "      room: \"#kaiserslautern:{}\"\n",
        network.synapse.server_name
    );
    assert!(base.contains(&kaiserslautern), "{base}");
    let base = base.replacen(
        &kaiserslautern,
        &format!(
            "{kaiserslautern}    - name: Gemeinde Ohne Raum\n      room: \"#gibt-es-nicht:{}\"\n",
            network.synapse.server_name
        ),
        1,
    );
    // The announcement (one minute ahead) is due some 20 s after the start.
    let start =
        (Utc::now() + chrono::TimeDelta::seconds(80)).with_timezone(&chrono_tz::Europe::Berlin);
    network.home.configure(
        &base,
        &format!(
            "meetings:
  reminders: [1m]
  series:
    - id: videokonferenz
      title: Videokonferenz
      rule: FREQ=WEEKLY;COUNT=1
      first: {date}
      start: \"{time}\"
      duration: 60m
",
            date = start.format("%Y-%m-%d"),
            time = start.format("%H:%M:%S"),
        ),
    );
    let bot = network.start_bot().await;
    let (organizer, bot_id, orga) = (
        &network.organizer,
        network.bot_id.clone(),
        &network.rooms[0],
    );

    let link = |body: &str| {
        body.split_whitespace()
            .find(|word| word.starts_with(&format!("http://127.0.0.1:{port}/organizers/")))
            .map(ToOwned::to_owned)
            .unwrap_or_else(|| panic!("no page link in {body}"))
    };
    let ask = organizer.say(orga, "!web").await;
    let page = link(&organizer.reply_to(&bot_id, &ask).await.body);

    // Over HTTP, once the invitation has gone out (and failed in the room that does not exist).
    let client = reqwest::Client::new();
    let (headers, body) = crate::support::eventually_async(
        "the invitation on the organizers' page",
        Duration::from_secs(90),
        || {
            let client = client.clone();
            let page = page.clone();
            async move {
                let response = client.get(&page).send().await.ok()?;
                let headers = response.headers().clone();
                let body = response.text().await.ok()?;
                (body.contains("die Raumadresse ist unbekannt")
                    && body.contains("<td class=\"ok\">zugestellt</td>"))
                .then_some((headers, body))
            }
        },
    )
    .await;
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'; style-src 'self'"),
        "{headers:?}"
    );
    for expected in [
        "<th scope=\"col\">Kaiserslautern</th>",
        "<th scope=\"col\">Gemeinde Ohne Raum</th>",
        "Einladung: Videokonferenz",
    ] {
        assert!(
            body.contains(expected),
            "`{expected}` not on the page:\n{body}"
        );
    }
    let unknown = client
        .get(format!(
            "http://127.0.0.1:{port}/organizers/{}",
            "x".repeat(40)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), reqwest::StatusCode::NOT_FOUND);

    // In the browser, on a desktop and on a phone.
    let browser = Browser::start().await;
    browser.set_window_size(1280, 900).await;
    browser.open(&page).await;
    assert_shows(
        &browser,
        &[
            "Seite der Organisation",
            "Zustand des Bots",
            "Zustellungen",
            "Gemeinde Ohne Raum",
            "die Raumadresse ist unbekannt",
            "Offene Vorschläge",
            "Teilnahme der Kommunen",
        ],
    )
    .await;
    assert_accessible(&browser, "organizers.png").await;
    // The keyboard reaches the skip link first, then the deliveries' table (its scroll region).
    let focus = browser.focus_order(2).await;
    assert!(
        focus
            .first()
            .is_some_and(|f| f.contains("Zum Inhalt springen"))
            && focus.get(1).is_some_and(|f| f.starts_with("div")),
        "{focus:?}"
    );
    assert_fits_a_phone(&browser, &page, "organizers-phone.png").await;

    // `!web rotate`: the old link is gone at once, the new one works.
    let ask = organizer.say(orga, "!web rotate").await;
    let rotated = link(&organizer.reply_to(&bot_id, &ask).await.body);
    assert_ne!(rotated, page);
    let old = client.get(&page).send().await.unwrap();
    assert_eq!(old.status(), reqwest::StatusCode::NOT_FOUND);
    let new = client.get(&rotated).send().await.unwrap();
    assert_eq!(new.status(), reqwest::StatusCode::OK);
    drop(bot);
}

/// The example network's room page on 10 December 2026, with a proposal the organizers
/// accepted for the next meeting — and hostile text in it, escaped.
#[test]
fn the_room_page_of_the_example_network() {
    let network = Network::load(Path::new("config/convene.example.yaml")).unwrap();
    let now: DateTime<Utc> = "2026-12-10T09:00:00Z".parse().unwrap();
    let store = Store::in_memory().unwrap();
    let proposal = store
        .propose(
            &NewProposal {
                meeting_key: "videokonferenz/2027-01-21",
                room_id: "!kl:kaiserslautern.de",
                municipality: "Kaiserslautern",
                sender: "@anna:kaiserslautern.de",
                title: "Open Data <script>alert(1)</script> & mehr",
                description: None,
                source_event: "$p:test",
                now,
            },
            10,
        )
        .unwrap()
        .unwrap();
    store
        .decide(
            proposal.id,
            ProposalStatus::Accepted,
            None,
            None,
            now,
            "$d#0",
        )
        .unwrap();
    let token = "0123456789abcdef0123456789abcdef01234567";
    let page = convene::web::room_page(&network, &store, token, now).unwrap();
    assert!(!page.contains("<script>"), "{page}");
    insta::assert_snapshot!("room_page", page);
}

/// Approved minutes as a page: the bot's own rendering inside the page, a Markdown download;
/// snapshotted, and checked by axe-core in the browser.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_minutes_page() {
    use convene::i18n::Language;
    use convene::render::page::{MinutesPage, minutes_page};
    let start = "2026-12-17T10:00:00+01:00"
        .parse::<DateTime<chrono::FixedOffset>>()
        .unwrap()
        .with_timezone(&chrono_tz::Europe::Berlin);
    let page = minutes_page(&MinutesPage {
        language: Language::German,
        network: "IKONE DS",
        title: "Videokonferenz <b>",
        start,
        html: "<p><strong>Beschlüsse</strong></p><ul><li>Das Portal geht live.</li></ul>",
        markdown: "0123456789abcdef0123456789abcdef01234567.md",
    });
    insta::assert_snapshot!("minutes_page", page);
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(&page);
    let browser = Browser::start().await;
    browser
        .open(&format!("data:text/html;charset=utf-8;base64,{encoded}"))
        .await;
    assert_shows(&browser, &["Das Portal geht live."]).await;
    assert_accessible(&browser, "minutes.png").await;
}

/// The public page (`calendar.public: true`): dates, titles and agendas — no video link, no
/// invitation, no poll, no minutes, only the public calendar; snapshotted and checked by
/// axe-core in the browser.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_page_shows_nothing_behind_a_secret() {
    let network = Network::load(Path::new("config/convene.example.yaml")).unwrap();
    let now: DateTime<Utc> = "2026-12-10T09:00:00Z".parse().unwrap();
    let store = Store::in_memory().unwrap();
    let page = convene::web::public_page(&network, &store, now).unwrap();
    for secret in [
        "meet.",
        "/feeds/",
        "/rooms/",
        "invitations",
        "Protokoll",
        "umfrage",
    ] {
        assert!(
            !page.contains(secret),
            "`{secret}` on the public page:\n{page}"
        );
    }
    assert!(page.contains("/calendar.ics"), "{page}");
    insta::assert_snapshot!("public_page", page);
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(&page);
    let browser = Browser::start().await;
    browser
        .open(&format!("data:text/html;charset=utf-8;base64,{encoded}"))
        .await;
    assert_accessible(&browser, "public.png").await;
}

/// The example network's organizers' page on 10 December 2026: an invitation delivered to two
/// rooms (one found through its alias), pending in one (the homeserver unreachable) and given
/// up in another; published minutes; an open proposal with hostile text (escaped); attendance
/// at the last two meetings.
#[test]
fn the_organizers_page_of_the_example_network() {
    use convene::health::Verdict;
    use convene::minutes::Attendance;
    use convene::store::{NewDelivery, PostRow};
    let network = Network::load(Path::new("config/convene.example.yaml")).unwrap();
    let now: DateTime<Utc> = "2026-12-10T09:00:00Z".parse().unwrap();
    let at = |text: &str| text.parse::<DateTime<Utc>>().unwrap();
    let store = Store::in_memory().unwrap();
    store
        .remember_alias(
            "#ikone-kaiserslautern:kaiserslautern.de",
            "!kl:kaiserslautern.de",
            now,
        )
        .unwrap();
    store
        .remember_alias(
            "#ikone-orga:kaiserslautern.de",
            "!orga:kaiserslautern.de",
            now,
        )
        .unwrap();
    let post = |key: &str, kind: &str, meeting: &str, start: &str, created: &str| {
        store
            .start_post(&PostRow {
                post_key: key.to_owned(),
                kind: kind.to_owned(),
                meeting_key: meeting.to_owned(),
                meeting_title: "Videokonferenz des Netzwerks IKONE DS".to_owned(),
                meeting_start: at(start),
                late: false,
                detail: String::new(),
                created_at: at(created),
                finished_at: None,
            })
            .unwrap();
    };
    let begin = |key: &str, meeting: &str, start: &str, room: &str, created: &str| {
        store
            .begin(&NewDelivery {
                post_key: key,
                room_id: room,
                meeting_key: meeting,
                meeting_title: "Videokonferenz des Netzwerks IKONE DS",
                meeting_start: at(start),
                transaction_id: "t",
                content_hash: "h",
                now: at(created),
            })
            .unwrap()
    };
    // Older than 90 days: not shown.
    post(
        "announcement/videokonferenz/2026-08-20",
        "announcement",
        "videokonferenz/2026-08-20",
        "2026-08-20T08:00:00Z",
        "2026-08-13T08:00:00Z",
    );
    let minutes = "minutes/videokonferenz/2026-11-19";
    post(
        minutes,
        "minutes",
        "videokonferenz/2026-11-19",
        "2026-11-19T09:00:00Z",
        "2026-11-20T10:00:00Z",
    );
    for room in ["!orga:kaiserslautern.de", "!kl:kaiserslautern.de"] {
        begin(
            minutes,
            "videokonferenz/2026-11-19",
            "2026-11-19T09:00:00Z",
            room,
            "2026-11-20T10:00:00Z",
        );
        store
            .sent(minutes, room, Some("$m"), None, at("2026-11-20T10:00:01Z"))
            .unwrap();
    }
    let invitation = "announcement/videokonferenz/2027-01-21";
    let (meeting, start, created) = (
        "videokonferenz/2027-01-21",
        "2027-01-28T13:00:00Z",
        "2026-12-03T08:00:00Z",
    );
    post(invitation, "announcement", meeting, start, created);
    for room in ["!orga:kaiserslautern.de", "!kl:kaiserslautern.de"] {
        begin(invitation, meeting, start, room, created);
        store
            .sent(
                invitation,
                room,
                Some("$a"),
                None,
                at("2026-12-03T08:00:01Z"),
            )
            .unwrap();
    }
    begin(
        invitation,
        meeting,
        start,
        "#ikone:bitburg-pruem.de",
        created,
    );
    store
        .failed(
            invitation,
            "#ikone:bitburg-pruem.de",
            "unreachable",
            at("2026-12-10T09:30:00Z"),
        )
        .unwrap();
    let new = NewDelivery {
        post_key: invitation,
        room_id: "!hJtPkbQrWmXcVaZs:kvmyk.de",
        meeting_key: meeting,
        meeting_title: "Videokonferenz des Netzwerks IKONE DS",
        meeting_start: at(start),
        transaction_id: "t",
        content_hash: "h",
        now: at("2026-12-04T08:00:00Z"),
    };
    store.give_up(&new, "not-in-room").unwrap();
    // A room no longer configured keeps its column.
    begin(invitation, meeting, start, "!old:example.org", created);
    store
        .sent(
            invitation,
            "!old:example.org",
            Some("$o"),
            None,
            at("2026-12-03T08:00:02Z"),
        )
        .unwrap();
    store
        .propose(
            &NewProposal {
                meeting_key: "videokonferenz/2027-01-21",
                room_id: "!kl:kaiserslautern.de",
                municipality: "Kaiserslautern",
                sender: "@anna:kaiserslautern.de",
                title: "Open Data <script>alert(1)</script> & mehr",
                description: None,
                source_event: "$p:test",
                now,
            },
            10,
        )
        .unwrap()
        .unwrap();
    for (meeting, municipality, kind, event) in [
        (
            "videokonferenz/2026-11-19",
            "Kaiserslautern",
            Attendance::Here,
            "$1",
        ),
        (
            "videokonferenz/2026-11-19",
            "Landkreis Mayen-Koblenz",
            Attendance::Declined,
            "$2",
        ),
        (
            "videokonferenz/2026-10-15",
            "Kaiserslautern",
            Attendance::Accepted,
            "$3",
        ),
        (
            "videokonferenz/2026-10-15",
            "Eifelkreis Bitburg-Prüm",
            Attendance::Here,
            "$4",
        ),
    ] {
        store
            .set_attendance(
                meeting,
                municipality,
                "@someone:example.org",
                kind,
                event,
                now,
            )
            .unwrap();
    }
    let page = convene::web::organizers_page(&network, &store, Verdict::Healthy, now).unwrap();
    assert!(!page.contains("<script>"), "{page}");
    assert!(!page.contains("2026-08-20"), "{page}");
    insta::assert_snapshot!("organizers_page", page);
}
