//! The bot's HTTP server: the network calendar at `/calendar.ics`, a private feed per member
//! room at `/feeds/<token>.ics`, approved minutes at `/minutes/<token>.md` (from the archive in
//! the data directory), and `/healthz`.
//!
//! Calendars poll: the body is rendered once per change of the network's files or of the
//! accepted agenda proposals (which the feed shows with each meeting's agenda) and served from
//! memory with a strong ETag (SHA-256 of the body) and Last-Modified (the newest DTSTAMP), so a
//! poll that changes nothing is a 304. Unknown or revoked tokens get 404; request paths (which
//! hold tokens) are never logged.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use sha2::{Digest as _, Sha256};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing::warn;

use crate::clock::Clock;
use crate::feed;
use crate::ical::Selection;
use crate::network::Network;
use crate::store::Store;

/// A rendered feed with its validators.
#[derive(Debug, Clone)]
struct Rendered {
    /// Which network it was rendered from (the `Arc` swapped in on every reload).
    source: Arc<Network>,
    /// Which accepted proposals it shows (meeting key → titles).
    accepted: Arc<BTreeMap<String, Vec<String>>>,
    body: axum::body::Bytes,
    etag: HeaderValue,
    last_modified: DateTime<Utc>,
    last_modified_header: HeaderValue,
}

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct FeedState {
    /// The current network.
    pub network: watch::Receiver<Arc<Network>>,
    /// Versions and tokens.
    pub store: Arc<Store>,
    /// The time, for recording versions.
    pub clock: Arc<dyn Clock>,
    cache: Arc<Mutex<Option<Rendered>>>,
}

impl FeedState {
    /// A state for `network`.
    pub fn new(
        network: watch::Receiver<Arc<Network>>,
        store: Arc<Store>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            network,
            store,
            clock,
            cache: Arc::new(Mutex::new(None)),
        }
    }

    fn rendered(&self) -> Result<Rendered, StatusCode> {
        let network = Arc::clone(&self.network.borrow());
        // Accepting a proposal changes the feed but not the network: one small query per
        // request tells whether the cached body still shows the accepted proposals.
        let accepted = self.store.accepted_titles().map_err(|error| {
            warn!(%error, "cannot read the accepted proposals");
            StatusCode::INTERNAL_SERVER_ERROR
        })?;
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(rendered) = cache.as_ref()
            && Arc::ptr_eq(&rendered.source, &network)
            && *rendered.accepted == accepted
        {
            return Ok(rendered.clone());
        }
        let calendar = feed::calendar(&network, &self.store, self.clock.now(), Selection::All)
            .map_err(|error| {
                warn!(%error, "cannot render the calendar");
                StatusCode::INTERNAL_SERVER_ERROR
            })?;
        let digest = Sha256::digest(calendar.text.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let rendered = Rendered {
            source: network,
            accepted: Arc::new(accepted),
            etag: HeaderValue::from_str(&format!("\"{hex}\""))
                .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?,
            last_modified_header: HeaderValue::from_str(&http_date(calendar.last_modified))
                .map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?,
            last_modified: calendar.last_modified,
            body: axum::body::Bytes::from(calendar.text),
        };
        *cache = Some(rendered.clone());
        Ok(rendered)
    }
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110, 5.6.7).
fn http_date(at: DateTime<Utc>) -> String {
    at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

fn parse_http_date(text: &str) -> Option<DateTime<Utc>> {
    chrono::NaiveDateTime::parse_from_str(text.trim(), "%a, %d %b %Y %H:%M:%S GMT")
        .ok()
        .map(|naive| naive.and_utc())
}

/// The routes.
pub fn router(state: FeedState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/calendar.ics", get(network_calendar))
        .route("/feeds/{file}", get(room_calendar))
        .route("/minutes/{file}", get(minutes_file))
        .with_state(state)
}

/// Serves until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: FeedState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn network_calendar(State(state): State<FeedState>, headers: HeaderMap) -> Response {
    respond(&state, &headers, "public, max-age=3600")
}

async fn room_calendar(
    State(state): State<FeedState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(token) = file.strip_suffix(".ics") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match state.store.room_of_token(token) {
        Ok(Some(_)) => respond(&state, &headers, "private, max-age=3600"),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            warn!(%error, "cannot look up a feed token");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Approved minutes, as archived: only their link's unguessable token finds them, as minutes
/// are for the network's members (the link is posted in their rooms).
async fn minutes_file(State(state): State<FeedState>, Path(file): Path<String>) -> Response {
    let Some(token) = file.strip_suffix(".md") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let row = match state.store.minutes_by_token(token) {
        Ok(Some(row)) => row,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            warn!(%error, "cannot look up minutes");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let data_dir = state.network.borrow().config.data_dir.clone();
    let archived = row
        .file_name
        .as_deref()
        .map(|name| data_dir.join("minutes").join(name));
    let read = match &archived {
        Some(path) => Some(tokio::fs::read_to_string(path).await),
        None => None,
    };
    let body = match read {
        Some(Ok(body)) => body,
        other => {
            if let Some(Err(error)) = other {
                warn!(%error, minutes = %row.meeting_key, "the archived minutes are unreadable; serving the database's copy");
            }
            match row.markdown {
                Some(markdown) => markdown,
                None => return StatusCode::NOT_FOUND.into_response(),
            }
        }
    };
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/markdown; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    if let Some(name) = row.file_name
        && let Ok(value) = HeaderValue::from_str(&format!("inline; filename=\"{name}\""))
    {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

fn respond(state: &FeedState, headers: &HeaderMap, cache_control: &'static str) -> Response {
    let rendered = match state.rendered() {
        Ok(rendered) => rendered,
        Err(status) => return status.into_response(),
    };
    let not_modified = match headers.get(header::IF_NONE_MATCH) {
        // If-None-Match wins over If-Modified-Since (RFC 9110, 13.1.3); weak comparison.
        Some(value) => value.to_str().is_ok_and(|list| {
            list.split(',').map(str::trim).any(|tag| {
                tag == "*" || tag.trim_start_matches("W/").as_bytes() == rendered.etag.as_bytes()
            })
        }),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_http_date)
            .is_some_and(|since| rendered.last_modified.timestamp() <= since.timestamp()),
    };
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, rendered.body.clone()).into_response()
    };
    let response_headers = response.headers_mut();
    response_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    response_headers.insert(header::ETAG, rendered.etag.clone());
    response_headers.insert(header::LAST_MODIFIED, rendered.last_modified_header.clone());
    response_headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_round_trip() {
        let at: DateTime<Utc> = "1994-11-06T08:49:37Z".parse().unwrap();
        assert_eq!(http_date(at), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), Some(at));
    }
}
