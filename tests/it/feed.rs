//! The calendar feed over real HTTP on 127.0.0.1: status codes, headers, conditional requests,
//! private tokens and links, and the server's edge (HTTP/1.1 only, timeouts, the connection cap).

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use convene::clock::{Clock, FixedClock};
use convene::http::{self, ServerOptions, ServerState};
use convene::network::Network;
use convene::proposal::ProposalStatus;
use convene::store::{Approval, MinutesSource, MinutesStatus, NewMinutes, NewProposal, Store};
use reqwest::StatusCode;
use reqwest::header::{
    CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::watch;

const TOKEN: &str = "0123456789abcdef0123456789abcdef01234567";

struct Feed {
    base: String,
    store: Arc<Store>,
    network: watch::Sender<Arc<Network>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// The example network with its calendar published, served with the default options.
async fn serve() -> Feed {
    serve_with(true, ServerOptions::default()).await
}

/// The example network, its calendar `public` or not, served with `options`.
async fn serve_with(public: bool, options: ServerOptions) -> Feed {
    serve_from(
        public,
        options,
        Arc::new(Store::in_memory().unwrap()),
        Arc::new(FixedClock(now())),
    )
    .await
}

async fn serve_from(
    public: bool,
    options: ServerOptions,
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
) -> Feed {
    let mut network = Network::load(Path::new("config/convene.example.yaml")).unwrap();
    network.config.calendar.as_mut().unwrap().public = public;
    serve_network(network, options, store, clock).await
}

async fn serve_network(
    network: Network,
    options: ServerOptions,
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
) -> Feed {
    let (network_tx, network_rx) = watch::channel(Arc::new(network));
    store
        .rotate_feed_token("!kl:example.org", TOKEN, now())
        .unwrap();
    let state = ServerState::new(network_rx, Arc::clone(&store), clock);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(http::serve_with(listener, state, options, async move {
        let _ = stop_rx.await;
    }));
    Feed {
        base,
        store,
        network: network_tx,
        _stop: stop_tx,
    }
}

impl Feed {
    fn address(&self) -> &str {
        self.base.trim_start_matches("http://")
    }
}

/// A client that gives up after two seconds: "still answered" means answered in time.
fn impatient() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap()
}

/// Asks for each path in turn (with an [`impatient`] client) and asserts a 200 within `limit`.
async fn answered_in_time(feed: &Feed, paths: &[&str], limit: Duration) {
    let client = impatient();
    for path in paths {
        let started = Instant::now();
        let response = client
            .get(format!("{}{path}", feed.base))
            .send()
            .await
            .unwrap_or_else(|error| panic!("{path}: {error}"));
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(
            started.elapsed() < limit,
            "{path} took {:?}",
            started.elapsed()
        );
    }
}

/// Reads what the server sends until it closes the connection, or `within` passes (`None`).
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(within, async {
        let mut buffer = [0_u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    read.ok().map(|()| received)
}

fn now() -> DateTime<Utc> {
    "2026-11-20T08:30:00Z".parse().unwrap()
}

#[tokio::test]
async fn serves_the_calendar_with_validators() {
    let feed = serve().await;
    let client = reqwest::Client::new();
    let response = client
        .get(format!("{}/calendar.ics", feed.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers[CONTENT_TYPE], "text/calendar; charset=utf-8");
    assert_eq!(headers[LAST_MODIFIED], "Fri, 20 Nov 2026 08:30:00 GMT");
    assert_eq!(headers[CACHE_CONTROL], "public, max-age=3600");
    let etag = headers[ETAG].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.len() == 66, "{etag}");
    let body = response.text().await.unwrap();
    assert!(body.starts_with("BEGIN:VCALENDAR\r\n"));
    for header in [
        "X-WR-CALNAME:IKONE DS\r\n",
        "X-WR-TIMEZONE:Europe/Berlin\r\n",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n",
        "X-PUBLISHED-TTL:PT1H\r\n",
        "METHOD:PUBLISH\r\n",
    ] {
        assert!(body.contains(header), "missing {header:?}");
    }
    // Cancelled meetings are absent (an EXDATE), not listed as cancelled.
    assert!(!body.contains("STATUS:CANCELLED"));
    assert!(body.contains("EXDATE;TZID=Europe/Berlin:20261217T100000\r\n"));

    // The same bytes again, and conditional requests get 304 without a body.
    let again = client
        .get(format!("{}/calendar.ics", feed.base))
        .send()
        .await
        .unwrap();
    assert_eq!(again.headers()[ETAG], etag.as_str());
    assert_eq!(again.text().await.unwrap(), body);
    let cached = client
        .get(format!("{}/calendar.ics", feed.base))
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(cached.headers()[ETAG], etag.as_str());
    assert_eq!(cached.text().await.unwrap(), "");
    let other = client
        .get(format!("{}/calendar.ics", feed.base))
        .header(IF_NONE_MATCH, "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);
    for (since, status) in [
        ("Fri, 20 Nov 2026 08:30:00 GMT", StatusCode::NOT_MODIFIED),
        ("Sat, 21 Nov 2026 00:00:00 GMT", StatusCode::NOT_MODIFIED),
        ("Fri, 20 Nov 2026 08:29:59 GMT", StatusCode::OK),
        ("not a date", StatusCode::OK),
    ] {
        let response = client
            .get(format!("{}/calendar.ics", feed.base))
            .header(IF_MODIFIED_SINCE, since)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "If-Modified-Since: {since}");
    }
    let health = client
        .get(format!("{}/healthz", feed.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

#[tokio::test]
async fn private_feeds_need_a_valid_token() {
    let feed = serve().await;
    let client = reqwest::Client::new();
    let private = client
        .get(format!("{}/feeds/{TOKEN}.ics", feed.base))
        .send()
        .await
        .unwrap();
    assert_eq!(private.status(), StatusCode::OK);
    assert_eq!(private.headers()[CACHE_CONTROL], "private, max-age=3600");
    for path in [
        "/feeds/ffffffffffffffffffffffffffffffffffffffff.ics",
        "/feeds/.ics",
        &format!("/feeds/{TOKEN}"),
        "/nothing",
    ] {
        let response = client
            .get(format!("{}{path}", feed.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // A rotated token stops working at once.
    feed.store
        .rotate_feed_token(
            "!kl:example.org",
            "fedcba9876543210fedcba9876543210fedcba98",
            now(),
        )
        .unwrap();
    let revoked = client
        .get(format!("{}/feeds/{TOKEN}.ics", feed.base))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_reloaded_network_changes_the_etag_and_the_sequence() {
    let feed = serve().await;
    let client = reqwest::Client::new();
    let first = client
        .get(format!("{}/calendar.ics", feed.base))
        .send()
        .await
        .unwrap();
    let etag = first.headers()[ETAG].clone();
    let body = first.text().await.unwrap();
    assert!(body.contains("SEQUENCE:0\r\n"));

    let mut network = (**feed.network.borrow()).clone();
    network.config.meetings.series[0].duration = chrono::TimeDelta::minutes(120);
    network.schedule.series[0].duration = chrono::TimeDelta::minutes(120);
    feed.network.send_replace(Arc::new(network));
    let second = client
        .get(format!("{}/calendar.ics", feed.base))
        .header(IF_NONE_MATCH, etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), StatusCode::OK);
    assert_ne!(second.headers()[ETAG], etag);
    let body = second.text().await.unwrap();
    assert!(body.contains("DTEND;TZID=Europe/Berlin:20260115T120000\r\n"));
    assert!(
        body.contains("SEQUENCE:1\r\n"),
        "the changed series did not get a new SEQUENCE"
    );
}

#[tokio::test]
async fn an_accepted_proposal_reaches_the_feed_without_a_reload() {
    let feed = serve().await;
    let client = reqwest::Client::new();
    let first = client
        .get(format!("{}/calendar.ics", feed.base))
        .send()
        .await
        .unwrap();
    let etag = first.headers()[ETAG].clone();
    assert!(!first.text().await.unwrap().contains("Open Data"));

    let proposal = feed
        .store
        .propose(
            &NewProposal {
                meeting_key: "videokonferenz/2026-11-19",
                room_id: "!kl:example.org",
                municipality: "Kaiserslautern",
                sender: "@anna:example.org",
                title: "Open Data im Netzwerk",
                description: None,
                source_event: "$proposal",
                now: now(),
            },
            5,
        )
        .unwrap()
        .unwrap();
    // An open proposal is not on the agenda.
    let open = client
        .get(format!("{}/calendar.ics", feed.base))
        .header(IF_NONE_MATCH, etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(open.status(), StatusCode::NOT_MODIFIED);

    feed.store
        .decide(
            proposal.id,
            ProposalStatus::Accepted,
            None,
            None,
            now(),
            "$test#0",
        )
        .unwrap();
    let accepted = client
        .get(format!("{}/calendar.ics", feed.base))
        .header(IF_NONE_MATCH, etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), StatusCode::OK);
    assert_ne!(accepted.headers()[ETAG], etag);
    let body = accepted.text().await.unwrap();
    assert!(
        body.contains("RECURRENCE-ID;TZID=Europe/Berlin:20261119T100000\r\n"),
        "no override for the meeting"
    );
    assert!(body.contains("Open Data im Netzwerk"), "{body}");
    assert!(
        body.contains("SEQUENCE:1\r\n"),
        "the series did not get a new SEQUENCE"
    );
}

/// Without `calendar.public: true` there is no network calendar; the rooms' feeds still work.
#[tokio::test]
async fn the_public_calendar_is_opt_in() {
    let feed = serve_with(false, ServerOptions::default()).await;
    let client = impatient();
    let public = client
        .get(format!("{}/calendar.ics", feed.base))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), StatusCode::NOT_FOUND);
    let private = client
        .get(format!("{}/feeds/{TOKEN}.ics", feed.base))
        .send()
        .await
        .unwrap();
    assert_eq!(private.status(), StatusCode::OK);
    assert!(private.text().await.unwrap().contains("BEGIN:VEVENT"));
}

/// The public calendar has the meetings without their video links; a room's feed has them.
#[tokio::test]
async fn only_the_private_feeds_carry_the_video_links() {
    let feed = serve().await;
    let client = impatient();
    let link = "https://meet.kaiserslautern.de/ikone-ds";
    let public = client
        .get(format!("{}/calendar.ics", feed.base))
        .send()
        .await
        .unwrap();
    let public_etag = public.headers()[ETAG].clone();
    let public = public.text().await.unwrap();
    let private = client
        .get(format!("{}/feeds/{TOKEN}.ics", feed.base))
        .send()
        .await
        .unwrap();
    assert_ne!(private.headers()[ETAG], public_etag);
    let private = private.text().await.unwrap();
    assert!(private.contains(&format!("CONFERENCE;FEATURE=VIDEO;VALUE=URI:{link}\r\n")));
    assert!(private.contains(&format!("LOCATION:{link}\r\n")));
    assert!(private.contains(&format!("DESCRIPTION:Videokonferenz: {link}\r\n")));
    assert!(public.contains("SUMMARY:Videokonferenz des Netzwerks IKONE DS\r\n"));
    assert!(public.contains("UID:videokonferenz@ikone-ds.de\r\n"));
    let unfolded = public.replace("\r\n ", "");
    for absent in [
        "meet.kaiserslautern.de",
        "CONFERENCE",
        "LOCATION",
        "\r\nURL",
        "Videokonferenz: ",
    ] {
        assert!(
            !unfolded.contains(absent),
            "the public calendar has {absent:?}"
        );
    }
}

/// A rotated token's feed is gone at once, even though its body is cached; the new one works.
#[tokio::test]
async fn rotating_a_token_revokes_the_old_link_at_once() {
    let feed = serve().await;
    let client = impatient();
    let old = format!("{}/feeds/{TOKEN}.ics", feed.base);
    assert_eq!(
        client.get(&old).send().await.unwrap().status(),
        StatusCode::OK
    );
    let new_token = "fedcba9876543210fedcba9876543210fedcba98";
    feed.store
        .rotate_feed_token("!kl:example.org", new_token, now())
        .unwrap();
    assert_eq!(
        client.get(&old).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let new = client
        .get(format!("{}/feeds/{new_token}.ics", feed.base))
        .send()
        .await
        .unwrap();
    assert_eq!(new.status(), StatusCode::OK);
    assert!(new.text().await.unwrap().contains("meet.kaiserslautern.de"));
}

/// Every response — calendars, 304s, 404s, health — tells browsers not to guess its type.
#[tokio::test]
async fn every_response_says_nosniff() {
    let feed = serve().await;
    let client = impatient();
    let etag = client
        .get(format!("{}/calendar.ics", feed.base))
        .send()
        .await
        .unwrap()
        .headers()[ETAG]
        .clone();
    let requests = [
        client.get(format!("{}/calendar.ics", feed.base)),
        client
            .get(format!("{}/calendar.ics", feed.base))
            .header(IF_NONE_MATCH, etag),
        client.get(format!("{}/feeds/{TOKEN}.ics", feed.base)),
        client.get(format!("{}/feeds/unknown.ics", feed.base)),
        client.get(format!("{}/minutes/unknown.md", feed.base)),
        client.get(format!("{}/healthz", feed.base)),
        client.get(format!("{}/nothing", feed.base)),
        client.post(format!("{}/healthz", feed.base)),
    ];
    for request in requests {
        let response = request.send().await.unwrap();
        let status = response.status();
        assert_eq!(
            response.headers()["x-content-type-options"],
            "nosniff",
            "{status}"
        );
    }
}

/// The server speaks HTTP/1.1 only: the HTTP/2 prior-knowledge preface gets no HTTP/2 answer
/// (a SETTINGS frame), only an HTTP/1.1 error or a closed connection.
#[tokio::test]
async fn h2c_prior_knowledge_is_not_served() {
    let feed = serve().await;
    let mut stream = TcpStream::connect(feed.address()).await.unwrap();
    // The preface, then an empty SETTINGS frame (length 0, type 4, no flags, stream 0).
    let mut preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    preface.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    stream.write_all(&preface).await.unwrap();
    let received = read_until_closed(&mut stream, Duration::from_secs(5))
        .await
        .expect("the connection stayed open");
    let text = String::from_utf8_lossy(&received);
    assert!(
        received.is_empty() || text.starts_with("HTTP/1.1 "),
        "an answer other than HTTP/1.1: {received:?}"
    );
    assert!(!text.starts_with("HTTP/1.1 2"), "{text}");
}

/// More idle connections than the cap (sockets that never send a byte, as an exhausting
/// client holds them) do not keep a normal client from `/healthz` and the feeds: the oldest
/// idle one gives up its slot.
#[tokio::test]
async fn idle_connections_beyond_the_cap_do_not_starve_the_server() {
    let cap = 8;
    let feed = serve_with(
        true,
        ServerOptions {
            max_connections: cap,
            ..ServerOptions::default()
        },
    )
    .await;
    let mut idle = Vec::new();
    for _ in 0..cap * 5 {
        idle.push(TcpStream::connect(feed.address()).await.unwrap());
    }
    answered_in_time(
        &feed,
        &["/healthz", "/calendar.ics", &format!("/feeds/{TOKEN}.ics")],
        Duration::from_secs(2),
    )
    .await;
    drop(idle);
}

/// Connections that started a request head and never finish it (slowloris) fill the slots;
/// one of them is closed for a new client, which is answered in time.
#[tokio::test]
async fn unfinished_request_heads_beyond_the_cap_do_not_starve_the_server() {
    let cap = 4;
    let feed = serve_with(
        true,
        ServerOptions {
            max_connections: cap,
            ..ServerOptions::default()
        },
    )
    .await;
    let mut slow = Vec::new();
    for _ in 0..cap * 2 {
        let mut stream = TcpStream::connect(feed.address()).await.unwrap();
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            .await
            .unwrap();
        slow.push(stream);
    }
    answered_in_time(
        &feed,
        &["/healthz", "/calendar.ics"],
        Duration::from_secs(3),
    )
    .await;
    drop(slow);
}

/// One client churns half-open connections beyond the cap — 60 a second for three seconds, each
/// sending the start of a request head and never finishing it, all held open — while `/healthz`
/// is polled on a fresh connection every 20 ms: every poll is answered, none within a second
/// (the accept loop used to wait for each eviction in turn, and polls queued behind them for
/// seconds). The bound is generous for a loaded machine; `benches/churn.py` measures the p99.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_in_time_while_half_open_connections_churn() {
    let feed = serve_with(
        true,
        ServerOptions {
            max_connections: 16,
            ..ServerOptions::default()
        },
    )
    .await;
    let address = feed.address().to_owned();
    let churn = tokio::spawn(async move {
        let mut held = Vec::new();
        let mut ticker = tokio::time::interval(Duration::from_micros(1_000_000 / 60));
        for _ in 0..180 {
            ticker.tick().await;
            if let Ok(mut stream) = TcpStream::connect(&address).await {
                let _ = stream
                    .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                    .await;
                held.push(stream);
            }
        }
        held
    });
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let mut latencies = Vec::new();
    while !churn.is_finished() {
        let started = Instant::now();
        let response = client
            .get(format!("{}/healthz", feed.base))
            .send()
            .await
            .unwrap_or_else(|error| panic!("/healthz after {:?}: {error}", started.elapsed()));
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.text().await.unwrap(), "ok\n");
        latencies.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    drop(churn.await.unwrap());
    latencies.sort();
    let at = |p: usize| latencies[(latencies.len() - 1) * p / 100];
    eprintln!(
        "/healthz under churn: {} polls, p50 {:?}, p99 {:?}, max {:?}",
        latencies.len(),
        at(50),
        at(99),
        at(100)
    );
    assert!(latencies.len() >= 20, "only {} polls", latencies.len());
    assert!(
        at(100) < Duration::from_secs(1),
        "/healthz took up to {:?} under churn",
        at(100)
    );
}

/// A client that does not finish its request head in time is disconnected.
#[tokio::test]
async fn an_unfinished_request_head_times_out() {
    let feed = serve_with(
        true,
        ServerOptions {
            header_read_timeout: Duration::from_millis(300),
            ..ServerOptions::default()
        },
    )
    .await;
    let mut stream = TcpStream::connect(feed.address()).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    read_until_closed(&mut stream, Duration::from_secs(3))
        .await
        .expect("the connection stayed open");
    assert!(started.elapsed() >= Duration::from_millis(250));
}

/// A kept-alive connection without a request is closed after the idle timeout.
#[tokio::test]
async fn idle_keep_alive_connections_are_closed() {
    let feed = serve_with(
        true,
        ServerOptions {
            idle_timeout: Duration::from_millis(300),
            ..ServerOptions::default()
        },
    )
    .await;
    let mut stream = TcpStream::connect(feed.address()).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    let started = Instant::now();
    let received = read_until_closed(&mut stream, Duration::from_secs(3))
        .await
        .expect("the idle connection stayed open");
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\nok\n"), "{text}");
    assert!(started.elapsed() >= Duration::from_millis(250));
}

/// A clock whose every reading takes a while: a render that is slow (as with a 150,000-character
/// network name), deterministically. It counts its readings, one per render.
#[derive(Debug, Default)]
struct SlowClock {
    readings: AtomicUsize,
}

impl Clock for SlowClock {
    fn now(&self) -> DateTime<Utc> {
        self.readings.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(1500));
        now()
    }
}

/// While a slow render runs, `/healthz` answers at once, and concurrent polls of the same
/// calendar wait for that one render instead of starting their own.
#[tokio::test]
async fn a_slow_render_stalls_neither_healthz_nor_a_second_render() {
    let clock = Arc::new(SlowClock::default());
    let feed = serve_from(
        true,
        ServerOptions::default(),
        Arc::new(Store::in_memory().unwrap()),
        Arc::clone(&clock) as Arc<dyn Clock>,
    )
    .await;
    let client = reqwest::Client::new();
    let polls: Vec<_> = (0..3)
        .map(|_| {
            let request = client.get(format!("{}/calendar.ics", feed.base)).send();
            tokio::spawn(request)
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let health = client
        .get(format!("{}/healthz", feed.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "/healthz took {:?} during a render",
        started.elapsed()
    );
    let mut etags = Vec::new();
    for poll in polls {
        let response = poll.await.unwrap().unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        etags.push(response.headers()[ETAG].clone());
    }
    assert!(etags.windows(2).all(|pair| pair[0] == pair[1]));
    assert_eq!(
        clock.readings.load(Ordering::SeqCst),
        1,
        "more than one render"
    );
}

/// `convene feed` runs beside the bot, in another process with its own connection to the
/// database: a proposal the bot accepts reaches the feed within the poll of SQLite's
/// `data_version`, without a query per request.
#[tokio::test]
async fn a_proposal_accepted_by_another_process_reaches_the_feed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("convene.sqlite3");
    let feed_store = Arc::new(Store::open(&path).unwrap());
    let bot_store = Store::open(&path).unwrap();
    let feed = serve_from(
        true,
        ServerOptions {
            store_poll: Duration::from_millis(100),
            ..ServerOptions::default()
        },
        feed_store,
        Arc::new(FixedClock(now())),
    )
    .await;
    let client = impatient();
    let url = format!("{}/calendar.ics", feed.base);
    let first = client.get(&url).send().await.unwrap();
    assert!(!first.text().await.unwrap().contains("Open Data"));
    let proposal = bot_store
        .propose(
            &NewProposal {
                meeting_key: "videokonferenz/2026-11-19",
                room_id: "!kl:example.org",
                municipality: "Kaiserslautern",
                sender: "@anna:example.org",
                title: "Open Data im Netzwerk",
                description: None,
                source_event: "$proposal",
                now: now(),
            },
            5,
        )
        .unwrap()
        .unwrap();
    bot_store
        .decide(
            proposal.id,
            ProposalStatus::Accepted,
            None,
            None,
            now(),
            "$test#0",
        )
        .unwrap();
    let started = Instant::now();
    loop {
        let body = client.get(&url).send().await.unwrap().text().await.unwrap();
        if body.contains("Open Data im Netzwerk") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "the accepted proposal did not reach the feed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Approved minutes are served from the archive in the data directory, read through its guards:
/// an archive file that is a link out of the data directory, and a file name in the database
/// that leads out of it (`../`), are never read; the database's own copy is served instead.
#[tokio::test]
async fn minutes_are_served_only_from_inside_the_data_directory() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("a/b/data");
    std::fs::create_dir_all(data.join("minutes")).unwrap();
    // What must never be served: a file beside the data directory's parents.
    std::fs::write(root.path().join("a/secret.md"), "SECRET\n").unwrap();
    let store = Arc::new(Store::in_memory().unwrap());
    let minutes = [
        ("a", "2026-11-19-videokonferenz.md", "2026-11-19T09:00:00Z"),
        ("b", "2026-12-17-videokonferenz.md", "2026-12-17T09:00:00Z"),
        ("c", "../../../secret.md", "2027-01-21T09:00:00Z"),
    ];
    for (token, file_name, start) in minutes {
        let key = format!("videokonferenz/{}", &start[..10]);
        let start: DateTime<Utc> = start.parse().unwrap();
        store
            .start_minutes(
                &NewMinutes {
                    meeting_key: &key,
                    source: MinutesSource::Live,
                    status: MinutesStatus::Recording,
                    room_id: "!orga:example.org",
                    started_by: "@orga:example.org",
                    meeting_title: "Videokonferenz",
                    meeting_start: start,
                    now: now(),
                },
                "Orga",
            )
            .unwrap();
        let markdown = format!("# copy in the database ({token})\n");
        store
            .approve_minutes(
                &key,
                &Approval {
                    by: "Orga",
                    token: &token.repeat(40),
                    file_name,
                    plain: "",
                    html: "",
                    markdown: &markdown,
                    actions: Vec::new(),
                    now: now(),
                    command: "$approve#0",
                },
            )
            .unwrap();
    }
    std::fs::write(
        data.join("minutes/2026-11-19-videokonferenz.md"),
        "# archived\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(
        root.path().join("a/secret.md"),
        data.join("minutes/2026-12-17-videokonferenz.md"),
    )
    .unwrap();
    let mut network = Network::load(Path::new("config/convene.example.yaml")).unwrap();
    network.config.data_dir = data.clone();
    let feed = serve_network(
        network,
        ServerOptions::default(),
        store,
        Arc::new(FixedClock(now())),
    )
    .await;
    let client = impatient();
    for (token, body, disposition) in [
        (
            "a",
            "# archived\n",
            Some("inline; filename=\"2026-11-19-videokonferenz.md\""),
        ),
        (
            "b",
            "# copy in the database (b)\n",
            Some("inline; filename=\"2026-12-17-videokonferenz.md\""),
        ),
        ("c", "# copy in the database (c)\n", None),
    ] {
        let response = client
            .get(format!("{}/minutes/{}.md", feed.base, token.repeat(40)))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{token}");
        assert_eq!(
            response
                .headers()
                .get("content-disposition")
                .map(|v| v.to_str().unwrap()),
            disposition,
            "{token}"
        );
        assert_eq!(response.text().await.unwrap(), body, "{token}");
    }
}

/// A clock whose readings wait until the test releases them (or a minute passes): a render that
/// takes as long as the test wants. It counts its readings, one per render.
#[derive(Debug, Default)]
struct HeldClock {
    readings: AtomicUsize,
    released: std::sync::Mutex<bool>,
    release: std::sync::Condvar,
}

impl Clock for HeldClock {
    fn now(&self) -> DateTime<Utc> {
        self.readings.fetch_add(1, Ordering::SeqCst);
        let released = self.released.lock().unwrap();
        let _ = self
            .release
            .wait_timeout_while(released, Duration::from_secs(60), |released| !*released);
        now()
    }
}

impl HeldClock {
    fn release(&self) {
        *self.released.lock().unwrap() = true;
        self.release.notify_all();
    }

    /// Waits until a render has read the clock.
    async fn until_read(&self) {
        while self.readings.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// SIGTERM ends `convene run` and `convene feed` within 5 s whatever is being rendered: a request
/// waiting for a render that does not finish is answered 503 when the server stops, the server
/// returns at once, and the runtime (as the commands run it) exits without waiting for the
/// render on its blocking pool.
#[test]
fn a_render_never_holds_up_the_exit() {
    let clock = Arc::new(HeldClock::default());
    let started = Instant::now();
    let (status, served_in) = convene::runtime::block_on({
        let clock = Arc::clone(&clock);
        async move {
            let mut network = Network::load(Path::new("config/convene.example.yaml")).unwrap();
            network.config.calendar.as_mut().unwrap().public = true;
            let (_network, network_rx) = watch::channel(Arc::new(network));
            let state = ServerState::new(
                network_rx,
                Arc::new(Store::in_memory().unwrap()),
                Arc::clone(&clock) as Arc<dyn Clock>,
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}/calendar.ics", listener.local_addr().unwrap());
            let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
            let server = tokio::spawn(http::serve(listener, state, async move {
                let _ = stopped.await;
            }));
            let request = tokio::spawn(reqwest::Client::new().get(url).send());
            clock.until_read().await;
            let stopping = Instant::now();
            let _ = stop.send(());
            let response = request.await.unwrap().unwrap();
            server.await.unwrap().unwrap();
            (response.status(), stopping.elapsed())
        }
    })
    .unwrap();
    let exited_in = started.elapsed();
    clock.release();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        served_in < Duration::from_secs(2),
        "the server took {served_in:?} to stop"
    );
    assert!(
        exited_in < Duration::from_secs(5),
        "the runtime took {exited_in:?} to exit"
    );
}

/// While a render runs longer than a request may take, every calendar request is answered 503,
/// and `/healthz` says so; once it is done, the feed and `/healthz` are fine again.
#[tokio::test]
async fn a_render_longer_than_a_request_makes_healthz_unhealthy() {
    let clock = Arc::new(HeldClock::default());
    let feed = serve_from(
        true,
        ServerOptions {
            request_timeout: Duration::from_millis(300),
            ..ServerOptions::default()
        },
        Arc::new(Store::in_memory().unwrap()),
        Arc::clone(&clock) as Arc<dyn Clock>,
    )
    .await;
    let client = impatient();
    let health = |client: reqwest::Client| {
        let url = format!("{}/healthz", feed.base);
        async move {
            let response = client.get(url).send().await.unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };
    assert_eq!(health(client.clone()).await.0, StatusCode::OK);
    let calendar = format!("{}/calendar.ics", feed.base);
    let response = client.get(&calendar).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    clock.until_read().await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (status, body) = health(client.clone()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        body.starts_with("the calendar has been rendering for ")
            && body.ends_with(" s; calendar requests time out\n"),
        "{body}"
    );
    clock.release();
    let started = Instant::now();
    loop {
        if client.get(&calendar).send().await.unwrap().status() == StatusCode::OK {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "no render");
    }
    assert_eq!(health(client).await.0, StatusCode::OK);
}
