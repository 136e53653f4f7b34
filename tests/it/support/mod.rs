//! Real parts for the end-to-end tests: a Synapse homeserver, the convene binary, and a member's
//! Matrix client. Everything listens on and talks to 127.0.0.1 only; every process a test starts
//! is stopped by PID when its guard drops.
//!
//! `network`: the set-up most of those tests share (the organizer's rooms, the bot in them);
//! `config`: the one shape of the tests' configuration files, with or without a homeserver.
//!
//! `delay_proxy`: a slow line in front of a server (a member's homeserver far away).
//!
//! `browser`: headless Chromium through ChromeDriver, for the web pages (axe-core, focus order,
//! phone width, screenshots).
//!
//! And `client_view`: what a member's client shows of a message, for the snapshot tests.

pub mod bot;
pub mod browser;
pub mod client_view;
pub mod config;
pub mod delay_proxy;
pub mod meeting;
pub mod member;
pub mod network;
pub mod synapse;

use std::future::Future;
use std::time::Duration;

/// Waits until `check` returns `Some`, polling, or panics after `timeout` with `what`.
pub async fn eventually<T>(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check() {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Like [`eventually`], with an asynchronous check.
pub async fn eventually_async<T, F: Future<Output = Option<T>>>(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> F,
) -> T {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A free TCP port on 127.0.0.1 (the OS picks it; the listener is closed again).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("no free port on 127.0.0.1")
}
