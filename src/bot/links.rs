//! `convene links`: every member room's web page and calendar feed, one line each, for operators
//! and for newcomers running the demo.
//!
//! Both links carry the room's feed token, the secret `!subscribe` hands out: a room without
//! one gets it here exactly as there (the same generator, the same store function), so a later
//! `!subscribe` shows the same link and `!subscribe rotate` revokes page and feed at once.
//!
//! Tokens are kept by room id, but rooms may be configured by alias. The bot's database learns
//! an alias's room only when the posting job resolves it (for the organizers' page), and a room
//! may have moved since; so an alias is resolved by the homeserver's room directory, asked with
//! the bot's stored access token ([`session::access_token`]): never a login, never a device, neither the
//! device's stores nor its lock touched, so `links` runs beside the running bot. The directory
//! is also what the bot itself joins and posts by.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use matrix_sdk::reqwest;
use matrix_sdk::ruma::{OwnedRoomAliasId, OwnedRoomId, RoomAliasId};
use url::Url;

use super::chat::new_token;
use super::doctor::chain;
use super::session::{self, SessionError};
use crate::config::{Config, Secret};
use crate::data_dir::{Data, OpenError};
use crate::store::StoreError;

/// How long the homeserver may take to resolve one alias.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(10);

/// One member room's links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomLinks {
    /// The municipality, as configured.
    pub name: String,
    /// The room's web page: `public_url` + `rooms/<token>`.
    pub page: Url,
    /// The room's calendar feed: `public_url` + `feeds/<token>.ics`.
    pub feed: Url,
}

/// A member room configured by an alias the homeserver did not resolve.
#[derive(Debug)]
pub struct Unresolved {
    /// The municipality, as configured.
    pub name: String,
    /// Its room's alias.
    pub alias: OwnedRoomAliasId,
    /// Why it was not resolved.
    pub why: ResolveError,
}

impl fmt::Display for Unresolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): cannot resolve the room alias: {}",
            self.name, self.alias, self.why
        )
    }
}

/// Every member room's links, in the configuration's order, and the rooms left out.
#[derive(Debug)]
pub struct Links {
    /// The rooms with their links.
    pub rooms: Vec<RoomLinks>,
    /// The rooms whose alias could not be resolved.
    pub unresolved: Vec<Unresolved>,
}

impl Links {
    /// One line per room: name, page and feed, separated by tabs.
    pub fn lines(&self) -> String {
        self.rooms
            .iter()
            .map(|room| format!("{}\t{}\t{}\n", room.name, room.page, room.feed))
            .collect()
    }
}

/// Why `convene links` could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum LinksError {
    /// Without a calendar there is no HTTP address to link to.
    #[error(
        "the configuration has no `calendar:` section, so the rooms have no web pages or feeds; add one (config/convene.example.yaml documents it)"
    )]
    NoCalendar,
    /// The data directory or the database cannot be opened.
    #[error("cannot open the database: {0}")]
    Open(#[from] OpenError),
    /// A room's token could not be read or stored.
    #[error("cannot read or store the feed token of {name}: {error}")]
    Token {
        /// The municipality.
        name: String,
        /// Why.
        error: StoreError,
    },
    /// The operating system gave no randomness for a new token.
    #[error("no randomness for a new feed token")]
    NoRandomness,
    /// `public_url` and a path make no link (a `public_url` that cannot be a base).
    #[error("cannot make a link of {public_url} and {path}: {error}")]
    Link {
        /// The configured `calendar.public_url`.
        public_url: Url,
        /// The path joined onto it.
        path: String,
        /// Why.
        error: url::ParseError,
    },
}

/// Why an alias was not resolved.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// There is no stored session to ask with (or it is another account's, or unreadable).
    #[error(transparent)]
    Session(SessionError),
    /// The homeserver's directory has no such alias.
    #[error("the homeserver knows no such alias")]
    NoSuchAlias,
    /// The homeserver refused the lookup (a token no longer valid, say).
    #[error("the homeserver answered {status}: {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// Its `errcode` and `error`, or the body.
        message: String,
    },
    /// The homeserver could not be asked.
    #[error("cannot reach the homeserver: {0}")]
    Unreachable(String),
    /// The homeserver's answer holds no room id.
    #[error("the homeserver's answer names no room id: {0}")]
    BadAnswer(String),
}

/// Every member room's links, each room's token made if it has none yet; the aliases resolved
/// with the stored session.
pub async fn gather(config: &Config, now: DateTime<Utc>) -> Result<Links, LinksError> {
    let calendar = config.calendar.as_ref().ok_or(LinksError::NoCalendar)?;
    let data = Data::open(config)?;
    let mut directory = Directory::new(config);
    let mut links = Links {
        rooms: Vec::new(),
        unresolved: Vec::new(),
    };
    for member in &config.roster.members {
        let room_id = match OwnedRoomId::try_from(member.room.clone()) {
            Ok(room_id) => room_id,
            Err(alias) => match directory.resolve(&alias).await {
                Ok(room_id) => room_id,
                Err(why) => {
                    links.unresolved.push(Unresolved {
                        name: member.name.clone(),
                        alias,
                        why,
                    });
                    continue;
                }
            },
        };
        // As `!subscribe` does: the room's token, or this fresh one stored as it.
        let fresh = new_token().ok_or(LinksError::NoRandomness)?;
        let token = data
            .store
            .feed_token(room_id.as_str(), || fresh, now)
            .map_err(|error| LinksError::Token {
                name: member.name.clone(),
                error,
            })?;
        links.rooms.push(RoomLinks {
            name: member.name.clone(),
            page: join(&calendar.public_url, format!("rooms/{token}"))?,
            feed: join(&calendar.public_url, format!("feeds/{token}.ics"))?,
        });
    }
    Ok(links)
}

/// `path` joined onto `public_url`, as the feed's link in `!subscribe` is.
fn join(public_url: &Url, path: String) -> Result<Url, LinksError> {
    public_url.join(&path).map_err(|error| LinksError::Link {
        public_url: public_url.clone(),
        path,
        error,
    })
}

/// The homeserver's room directory, asked with the stored access token.
struct Directory<'a> {
    config: &'a Config,
    client: Option<reqwest::Client>,
}

impl<'a> Directory<'a> {
    fn new(config: &'a Config) -> Self {
        Self {
            config,
            client: None,
        }
    }

    async fn resolve(&mut self, alias: &RoomAliasId) -> Result<OwnedRoomId, ResolveError> {
        let config = self.config;
        let token: Secret = session::access_token(config).map_err(ResolveError::Session)?;
        let client = match &self.client {
            Some(client) => client,
            None => {
                let client = reqwest::Client::builder()
                    .timeout(LOOKUP_TIMEOUT)
                    .build()
                    .map_err(|error| ResolveError::Unreachable(chain(&error)))?;
                self.client.insert(client)
            }
        };
        let response = client
            .get(directory_url(&config.homeserver, alias))
            .bearer_auth(token.expose())
            .send()
            .await
            .map_err(|error| ResolveError::Unreachable(chain(&error)))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|error| ResolveError::Unreachable(chain(&error)))?;
        read_answer(status.as_u16(), &body)
    }
}

/// `GET /_matrix/client/v3/directory/room/{alias}` on `homeserver` (its path kept, the alias
/// one percent-encoded segment).
fn directory_url(homeserver: &Url, alias: &RoomAliasId) -> Url {
    let mut url = homeserver.clone();
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().extend([
            "_matrix",
            "client",
            "v3",
            "directory",
            "room",
            alias.as_str(),
        ]);
    }
    url
}

/// The room id in the directory's answer, or why there is none.
fn read_answer(status: u16, body: &[u8]) -> Result<OwnedRoomId, ResolveError> {
    #[derive(serde::Deserialize)]
    struct Found {
        room_id: String,
    }
    #[derive(serde::Deserialize)]
    struct Failed {
        errcode: String,
        #[serde(default)]
        error: String,
    }
    if status == 200 {
        let found: Found = serde_json::from_slice(body)
            .map_err(|error| ResolveError::BadAnswer(error.to_string()))?;
        return OwnedRoomId::try_from(found.room_id.as_str())
            .map_err(|error| ResolveError::BadAnswer(format!("`{}`: {error}", found.room_id)));
    }
    match serde_json::from_slice::<Failed>(body) {
        Ok(failed) if status == 404 && failed.errcode == "M_NOT_FOUND" => {
            Err(ResolveError::NoSuchAlias)
        }
        Ok(failed) => Err(ResolveError::Refused {
            status,
            message: format!("{} {}", failed.errcode, failed.error)
                .trim_end()
                .to_owned(),
        }),
        Err(_) => Err(ResolveError::Refused {
            status,
            message: crate::text::neutralize(&String::from_utf8_lossy(body))
                .chars()
                .take(200)
                .collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn alias(text: &str) -> OwnedRoomAliasId {
        OwnedRoomAliasId::try_from(text).unwrap()
    }

    #[test]
    fn the_alias_is_one_encoded_segment_after_the_homeservers_path() {
        let alias = alias("#kaiserslautern:example.org");
        assert_eq!(
            directory_url(&Url::parse("https://matrix.example.org").unwrap(), &alias).as_str(),
            "https://matrix.example.org/_matrix/client/v3/directory/room/%23kaiserslautern:example.org"
        );
        assert_eq!(
            directory_url(&Url::parse("https://example.org/matrix/").unwrap(), &alias).as_str(),
            "https://example.org/matrix/_matrix/client/v3/directory/room/%23kaiserslautern:example.org"
        );
    }

    #[test]
    fn the_directorys_answers_are_read() {
        assert_eq!(
            read_answer(
                200,
                br#"{"room_id":"!abc:example.org","servers":["example.org"]}"#
            )
            .unwrap()
            .as_str(),
            "!abc:example.org"
        );
        assert!(matches!(
            read_answer(
                404,
                br#"{"errcode":"M_NOT_FOUND","error":"Room alias not found"}"#
            ),
            Err(ResolveError::NoSuchAlias)
        ));
        assert_eq!(
            read_answer(
                401,
                br#"{"errcode":"M_UNKNOWN_TOKEN","error":"Invalid access token"}"#
            )
            .unwrap_err()
            .to_string(),
            "the homeserver answered 401: M_UNKNOWN_TOKEN Invalid access token"
        );
        assert_eq!(
            read_answer(502, b"Bad Gateway").unwrap_err().to_string(),
            "the homeserver answered 502: Bad Gateway"
        );
        assert!(matches!(
            read_answer(200, br#"{"room_id":"not a room"}"#),
            Err(ResolveError::BadAnswer(_))
        ));
    }

    #[test]
    fn one_line_per_room_with_tabs() {
        let links = Links {
            rooms: vec![RoomLinks {
                name: "Kaiserslautern".to_owned(),
                page: Url::parse("https://ikone.example/rooms/ab").unwrap(),
                feed: Url::parse("https://ikone.example/feeds/ab.ics").unwrap(),
            }],
            unresolved: Vec::new(),
        };
        assert_eq!(
            links.lines(),
            "Kaiserslautern\thttps://ikone.example/rooms/ab\thttps://ikone.example/feeds/ab.ics\n"
        );
    }
}
