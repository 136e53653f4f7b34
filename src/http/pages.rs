//! The web pages on the HTTP server: a member room's page at `/rooms/<token>` (behind the room's
//! feed token, so `!subscribe rotate` revokes page and feed at once), its meetings' invitations
//! at `/rooms/<token>/invitations/<id>.ics`, approved minutes as a page at `/minutes/<token>`
//! (their Markdown stays at `/minutes/<token>.md`), the organizers' page at
//! `/organizers/<token>` (behind a token of its own, which `!web rotate` replaces), and the one
//! style sheet at `/style.css`.
//!
//! With `calendar.public: true`, `/` is the public page: dates, titles and agendas, nothing
//! behind a secret (no video links, no polls, no minutes).
//!
//! A page is written on the blocking pool from the current network and the database, once per
//! change: it is kept ([`PageCache`]) while the network and the store's change count
//! ([`crate::store::Store::changes`]) are those it was written from, for at most
//! [`PAGE_FRESH`] (the coming meetings move on with the clock), and served from memory with a
//! strong ETag (SHA-256 of the body): a reload that changes nothing is a 304 without a body.
//! A kept page also vouches for its secret: replacing a token counts as a change. So do the
//! writes the organizers' page shows (posts, deliveries, attendance); the bot's health, which
//! changes without a write, is part of that page's key.
//!
//! The pages' addresses hold secrets, so every page is `private`, says
//! `Referrer-Policy: no-referrer` (a click on a meeting's video link must not hand the page's
//! address to the video service), and allows nothing but the server's own style sheet — no
//! script, no other origin, no framing (`Content-Security-Policy`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{ServerState, counted, etag_matches, strong_etag};
use crate::ical::{Links, Selection};
use crate::network::Network;
use crate::render::page::STYLE_SHEET;

/// What a page may load: its own style sheet, nothing else; and no one may frame it.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// How long a kept page is served at most: the coming meetings move on with the clock.
const PAGE_FRESH: Duration = Duration::from_secs(60);
/// How many pages are kept at most (one per member room and the public one; more are only
/// kept after the others are dropped).
const MAX_KEPT: usize = 512;

/// A written page with its validator.
#[derive(Debug)]
struct KeptPage {
    source: Arc<Network>,
    changes: u64,
    written: Instant,
    body: axum::body::Bytes,
    etag: HeaderValue,
}

/// The pages written, by secret (the empty string for the public page).
#[derive(Debug, Default)]
pub(super) struct PageCache(Mutex<HashMap<String, Arc<KeptPage>>>);

impl PageCache {
    fn fresh(&self, key: &str, network: &Arc<Network>, changes: u64) -> Option<Arc<KeptPage>> {
        let kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        kept.get(key)
            .filter(|page| {
                Arc::ptr_eq(&page.source, network)
                    && page.changes == changes
                    && page.written.elapsed() < PAGE_FRESH
            })
            .map(Arc::clone)
    }

    fn keep(&self, key: String, page: Arc<KeptPage>) {
        let mut kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if kept.len() >= MAX_KEPT && !kept.contains_key(&key) {
            kept.clear();
        }
        kept.insert(key, page);
    }
}

/// The page kept under `key`, or the one `write` makes (`None`: there is none, a 404).
async fn kept_or_written(
    state: &ServerState,
    key: String,
    write: impl FnOnce(
        &Network,
        &crate::store::Store,
    ) -> Result<Option<String>, crate::store::StoreError>
    + Send
    + 'static,
) -> Result<Option<Arc<KeptPage>>, StatusCode> {
    let (network, changes) = state.current_for_pages();
    if let Some(page) = state.pages.fresh(&key, &network, changes) {
        return Ok(Some(page));
    }
    let source = Arc::clone(&network);
    let written = state.query(move |store| write(&network, store)).await?;
    let Some(body) = written else {
        return Ok(None);
    };
    let etag = strong_etag(body.as_bytes()).map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
    let page = Arc::new(KeptPage {
        source,
        changes,
        written: Instant::now(),
        body: axum::body::Bytes::from(body),
        etag,
    });
    state.pages.keep(key, Arc::clone(&page));
    Ok(Some(page))
}

/// `/rooms/<token>`: the member room's page.
pub(super) async fn room_page(
    State(state): State<ServerState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let now = state.clock.now();
    let key = token.clone();
    let page = kept_or_written(&state, key, move |network, store| {
        if store.room_of_token(&token)?.is_none() {
            return Ok(None);
        }
        crate::web::room_page(network, store, &token, now).map(Some)
    })
    .await;
    let response = match page {
        Ok(Some(page)) => respond_kept(&headers, &page),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(status) => status.into_response(),
    };
    counted(&state, "page", response)
}

/// `/`: the public page, only with `calendar.public: true`.
pub(super) async fn public_page(State(state): State<ServerState>, headers: HeaderMap) -> Response {
    if !state.public() {
        return counted(&state, "page", StatusCode::NOT_FOUND.into_response());
    }
    let now = state.clock.now();
    let page = kept_or_written(&state, String::new(), move |network, store| {
        crate::web::public_page(network, store, now).map(Some)
    })
    .await;
    let response = match page {
        Ok(Some(page)) => respond_kept(&headers, &page),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(status) => status.into_response(),
    };
    counted(&state, "page", response)
}

/// `/organizers/<token>`: the organizers' page, behind their own token (`!web`). Written per
/// request, never kept: what it shows (deliveries, health) changes without counting as a change
/// of the store.
pub(super) async fn organizers_page(
    State(state): State<ServerState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let now = state.clock.now();
    let health = state.verdict();
    // The health is part of the key: it changes without a write to the store.
    let key = format!("organizers/{token}/{health:?}");
    let page = kept_or_written(&state, key, move |network, store| {
        if !store.is_organizers_token(&token)? {
            return Ok(None);
        }
        crate::web::organizers_page(network, store, health, now).map(Some)
    })
    .await;
    let response = match page {
        Ok(Some(page)) => respond_kept(&headers, &page),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(status) => status.into_response(),
    };
    counted(&state, "page", response)
}

/// A kept page, or a 304 if the client has it.
fn respond_kept(headers: &HeaderMap, page: &KeptPage) -> Response {
    let response = if etag_matches(headers, &page.etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, page.body.clone()).into_response()
    };
    with_page_headers(response, page.etag.clone(), "text/html; charset=utf-8")
}

/// `/rooms/<token>/invitations/<id>.ics`: the invitation of a series or workshop, with the
/// video links, as the room's members get it in chat (`!ics`).
pub(super) async fn invitation(
    State(state): State<ServerState>,
    Path((token, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let network = Arc::clone(&state.network.borrow());
    let now = state.clock.now();
    let calendar = state
        .query(move |store| {
            let Some(id) = file.strip_suffix(".ics") else {
                return Ok(None);
            };
            if store.room_of_token(&token)?.is_none() {
                return Ok(None);
            }
            let calendar =
                crate::calendar::build(&network, store, now, Selection::Entry(id), Links::Include)?;
            Ok(calendar.found.then_some(calendar))
        })
        .await;
    let response = match calendar {
        Ok(Some(calendar)) => respond(
            &headers,
            calendar.text.into_bytes(),
            "text/calendar; charset=utf-8",
        ),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(status) => status.into_response(),
    };
    counted(&state, "page", response)
}

/// `/minutes/<token>`: approved minutes as a page.
pub(super) async fn minutes_page(
    state: &ServerState,
    token: String,
    headers: &HeaderMap,
) -> Response {
    let network = Arc::clone(&state.network.borrow());
    let found = state
        .query(move |store| {
            Ok(store
                .minutes_by_token(&token)?
                .and_then(|row| crate::web::minutes_page(&network, &row, &token)))
        })
        .await;
    match found {
        Ok(Some(page)) => respond(headers, page.into_bytes(), "text/html; charset=utf-8"),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(status) => status.into_response(),
    }
}

/// `/style.css`: the pages' one style sheet.
pub(super) async fn style_sheet(headers: HeaderMap) -> Response {
    respond(
        &headers,
        STYLE_SHEET.as_bytes().to_vec(),
        "text/css; charset=utf-8",
    )
}

/// `body` with its ETag, or a 304 if the client has it; with the pages' headers.
fn respond(headers: &HeaderMap, body: Vec<u8>, content_type: &'static str) -> Response {
    let Ok(etag) = strong_etag(&body) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let response = if etag_matches(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, body).into_response()
    };
    with_page_headers(response, etag, content_type)
}

/// The headers of every page and file the pages serve.
fn with_page_headers(
    mut response: Response,
    etag: HeaderValue,
    content_type: &'static str,
) -> Response {
    let response_headers = response.headers_mut();
    response_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response_headers.insert(header::ETAG, etag);
    // Stored, but asked again each time: a page changes whenever the network does.
    response_headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    response_headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    response_headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}
