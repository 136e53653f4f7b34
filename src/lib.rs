//! convene: the Matrix bot of a network of municipalities.
//!
//! It announces the network's video conferences and workshops in every member municipality's
//! room, hands out iCal invitations, collects agenda items and posts minutes. This crate holds
//! all the logic; `main.rs` only parses the command line and calls in here.
//!
//! Pure modules ([`command`], [`render`], [`config`] validation) do no I/O and take the time from
//! a [`clock::Clock`]; only [`bot`] talks to the homeserver.

#![recursion_limit = "256"]

pub mod agenda;
pub mod backup;
pub mod bot;
pub mod calendar;
pub mod calendar_version;
pub mod change;
pub mod clock;
pub mod command;
pub mod config;
pub mod data_dir;
pub mod delivery;
pub mod diagnostic;
pub mod doctor;
pub mod duration;
pub mod fields;
pub mod files;
pub mod hash;
pub mod health;
pub mod holidays;
pub mod http;
pub mod i18n;
pub mod ical;
pub mod last_good;
pub mod limits;
pub mod metrics;
pub mod minutes;
pub mod network;
pub mod poll;
pub mod posting;
pub mod proposal;
pub mod render;
pub mod runtime;
pub mod schedule;
pub mod store;
pub mod text;
pub mod web;
pub mod yaml;

/// What the bot logs when `RUST_LOG` is not set; the README documents exactly this (a test
/// holds them together). Convene's own messages from `info` up, everything else's warnings,
/// except two sources whose warnings and errors no operator can act on:
/// - `matrix_sdk::http_client` logs every failed request at ERROR, the ones the SDK expects
///   too: the account data a new account does not have yet (`m.secret_storage.default_key`,
///   read by the SDK's recovery set-up at every start), an event it probes. The failures that
///   matter reach convene as errors, and convene logs them with what it was doing.
/// - `matrix_sdk_crypto::backups`: after every sync the SDK wakes its key-backup task, which
///   warns "Trying to backup room keys but no backup key was found" unless server-side key
///   backup is set up (matrix-sdk 0.19.1, `sync.rs` and `backups/mod.rs`; no setting turns the
///   task off). The bot keeps its keys in its data directory and its backups, not on the
///   homeserver.
pub const DEFAULT_LOG_FILTER: &str =
    "warn,convene=info,matrix_sdk::http_client=off,matrix_sdk_crypto::backups=error";
