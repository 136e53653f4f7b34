//! convene's integration tests: one binary, so the crate and its dependencies link once.
//!
//! - `config_errors`: the exact diagnostics for broken configuration files.
//! - `messages`: snapshots of every message text, German and English.
//! - `minutes`: the minutes document from both routes, and its renderings.
//! - `startup`: the data directory and the database before the bot logs in.
//! - `packaging`: the Debian package's configuration, unit and assets agree.
//! - `readme`: the README's code map names every module of `src/`, and nothing else.
//! - `links`: `convene links`, each member room's page and feed with its `!subscribe` token.
//! - `maintenance`: `convene doctor` and `convene backup` (and restoring one) against Synapse.
//! - `operations`: `/healthz`, `/metrics` and a quiet log in a healthy run; a start with a broken
//!   file on the last good version; against Synapse.
//! - `properties`: generated configurations and chat messages: what `check` accepts runs.
//! - `crash`: random SIGKILLs across every phase of a post and of a date poll; every part arrives
//!   exactly once.
//! - `polls`: a workshop's date found in native polls in every member room, against Synapse.
//! - `federation`: three federating Synapses, members on their own servers, one going away or
//!   slow; the whole flow from a proposal to published minutes across federation.
//! - `upgrade`: a data directory left by the build on matrix-sdk 0.18 is restored by this one.
//! - `browser`: the real-browser harness (headless Chromium, axe-core) on static pages.
//! - `pages`: a member room's web page and the organizers' page in headless Chromium, with
//!   axe-core, against Synapse.
//! - `e2e`: the real bot binary against a real Synapse (installed and started by
//!   `scripts/synapse.py`), with a matrix-sdk client playing the member.

#![recursion_limit = "256"]
#![allow(clippy::unwrap_used)]

mod browser;
mod calendar;
mod config_errors;
mod crash;
mod e2e;
mod federation;
mod feed;
mod links;
mod maintenance;
mod messages;
mod minutes;
mod operations;
mod packaging;
mod pages;
mod polls;
mod properties;
mod readme;
mod startup;
mod support;
mod upgrade;
