//! convene's integration tests: one binary, so the crate and its dependencies link once.
//!
//! - `config_errors`: the exact diagnostics for broken configuration files.
//! - `messages`: snapshots of every message text, German and English.
//! - `minutes`: the minutes document from both routes, and its renderings.
//! - `startup`: the data directory and the database before the bot logs in.
//! - `operations`: `convene doctor` and `convene backup` (and restoring one) against Synapse.
//! - `properties`: generated configurations and chat messages: what `check` accepts runs.
//! - `crash`: random SIGKILLs across every phase of a post; every part arrives exactly once.
//! - `e2e`: the real bot binary against a real Synapse (installed and started by
//!   `scripts/synapse.py`), with a matrix-sdk client playing the member.

#![recursion_limit = "256"]
#![allow(clippy::unwrap_used)]

mod calendar;
mod config_errors;
mod crash;
mod e2e;
mod feed;
mod messages;
mod minutes;
mod operations;
mod properties;
mod startup;
mod support;
