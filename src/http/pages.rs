//! The web pages on the HTTP server: a member room's page at `/rooms/<token>` (behind the room's
//! feed token, so `!subscribe rotate` revokes page and feed at once), its meetings' invitations
//! at `/rooms/<token>/invitations/<id>.ics`, approved minutes as a page at `/minutes/<token>`
//! (their Markdown stays at `/minutes/<token>.md`), and the one style sheet at `/style.css`.
//!
//! A page is written per request from the current network and the database, on the blocking
//! pool, and served with a strong ETag (SHA-256 of the body): a reload that changes nothing is a
//! 304 without a body. The pages' addresses hold secrets, so every page is `private`, says
//! `Referrer-Policy: no-referrer` (a click on a meeting's video link must not hand the page's
//! address to the video service), and allows nothing but the server's own style sheet — no
//! script, no other origin, no framing (`Content-Security-Policy`).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest as _, Sha256};

use super::{ServerState, counted, etag_matches};
use crate::ical::{Links, Selection};
use crate::render::page::STYLE_SHEET;

/// What a page may load: its own style sheet, nothing else; and no one may frame it.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// `/rooms/<token>`: the member room's page.
pub(super) async fn room_page(
    State(state): State<ServerState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Response {
    let network = Arc::clone(&state.network.borrow());
    let now = state.clock.now();
    let page = state
        .query(move |store| {
            if store.room_of_token(&token)?.is_none() {
                return Ok(None);
            }
            crate::web::room_page(&network, store, &token, now).map(Some)
        })
        .await;
    let response = match page {
        Ok(Some(page)) => respond(&headers, page.into_bytes(), "text/html; charset=utf-8"),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(status) => status.into_response(),
    };
    counted(&state, "page", response)
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
            let accepted = store.accepted_titles()?;
            if !crate::ical::entries(&network, &accepted)
                .iter()
                .any(|entry| entry.id == id)
            {
                return Ok(None);
            }
            crate::calendar::build(&network, store, now, Selection::Entry(id), Links::Include)
                .map(Some)
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
    let digest = Sha256::digest(&body);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let Ok(etag) = HeaderValue::from_str(&format!("\"{hex}\"")) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut response = if etag_matches(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, body).into_response()
    };
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
