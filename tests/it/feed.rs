//! The calendar feed over real HTTP on 127.0.0.1: status codes, headers, conditional requests
//! and private tokens.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use convene::clock::FixedClock;
use convene::http::{self, FeedState};
use convene::network::Network;
use convene::store::{NewProposal, ProposalStatus, Store};
use reqwest::StatusCode;
use reqwest::header::{
    CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use tokio::sync::watch;

const TOKEN: &str = "0123456789abcdef0123456789abcdef01234567";

struct Feed {
    base: String,
    store: Arc<Store>,
    network: watch::Sender<Arc<Network>>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn serve() -> Feed {
    let network = Network::load(Path::new("config/convene.example.yaml")).unwrap();
    let (network_tx, network_rx) = watch::channel(Arc::new(network));
    let store = Arc::new(Store::in_memory().unwrap());
    store
        .rotate_feed_token("!kl:example.org", TOKEN, now())
        .unwrap();
    let state = FeedState::new(network_rx, Arc::clone(&store), Arc::new(FixedClock(now())));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(http::serve(listener, state, async move {
        let _ = stop_rx.await;
    }));
    Feed {
        base,
        store,
        network: network_tx,
        _stop: stop_tx,
    }
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
        .decide(proposal.id, ProposalStatus::Accepted, None, None, now())
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
