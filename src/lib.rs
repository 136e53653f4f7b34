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
pub mod change;
pub mod clock;
pub mod command;
pub mod config;
pub mod data_dir;
pub mod delivery;
pub mod diagnostic;
pub mod doctor;
pub mod duration;
pub mod feed;
pub mod fields;
pub mod files;
pub mod hash;
pub mod health;
pub mod holidays;
pub mod http;
pub mod i18n;
pub mod ical;
pub mod limits;
pub mod metrics;
pub mod minutes;
pub mod network;
pub mod poll;
pub mod posting;
pub mod render;
pub mod runtime;
pub mod schedule;
pub mod store;
pub mod text;
pub mod yaml;
