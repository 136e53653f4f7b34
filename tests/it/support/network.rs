//! The set-up most Synapse tests share: on a fresh homeserver the bot and the organizer register,
//! the organizer creates the organizers' room and the member rooms (some encrypted, each with its
//! alias) inviting the bot, the bot's configuration names those rooms, and the bot starts and
//! joins every one.
//!
//! ```ignore
//! let network = TestNetwork::setup()
//!     .member(RoomSpec::new("Kaiserslautern", "kaiserslautern", true))
//!     .create()
//!     .await;
//! // (change the configuration here, before the bot first starts)
//! let mut bot = network.start_bot().await;
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use matrix_sdk::Room;
use matrix_sdk::ruma::{OwnedUserId, UserId};

use super::bot::{BotHome, BotProcess};
use super::member::Member;
use super::synapse::{Account, Synapse};

/// The bot's password in every [`TestNetwork`].
pub const BOT_PASSWORD: &str = "bot-secret-password";

/// How long the bot may take to be ready, unless a test says otherwise.
const READY: Duration = Duration::from_secs(60);

/// A room the set-up creates with an alias, inviting the bot.
#[derive(Debug, Clone)]
pub struct RoomSpec {
    name: String,
    alias: String,
    encrypted: bool,
    creator: Option<String>,
    joined_by: Vec<String>,
}

impl RoomSpec {
    /// A room named `name` with the alias `#alias:server`, encrypted or not, created by the
    /// organizer.
    pub fn new(name: impl Into<String>, alias: impl Into<String>, encrypted: bool) -> Self {
        Self {
            name: name.into(),
            alias: alias.into(),
            encrypted,
            creator: None,
            joined_by: Vec::new(),
        }
    }

    /// Created by `person` (see [`Setup::person`]) instead of the organizer: the alias is on
    /// that person's homeserver, and it is their client that sees the bot join.
    pub fn created_by(mut self, person: &str) -> Self {
        self.creator = Some(person.to_owned());
        self
    }

    /// `person` is invited with the bot and joins before the bot starts.
    pub fn joined_by(mut self, person: &str) -> Self {
        self.joined_by.push(person.to_owned());
        self
    }
}

/// What [`TestNetwork::create`] makes; see [`TestNetwork::setup`] for the defaults.
#[derive(Debug)]
pub struct Setup<'a> {
    synapse: Option<Synapse>,
    organizers_room: RoomSpec,
    members: Vec<RoomSpec>,
    people: Vec<(String, Option<&'a Synapse>)>,
    listen: bool,
    base: String,
}

impl<'a> Setup<'a> {
    /// On `synapse` (a federating one, say) instead of a fresh `Synapse::start()`.
    pub fn on(mut self, synapse: Synapse) -> Self {
        self.synapse = Some(synapse);
        self
    }

    /// Another organizers' room than the encrypted "Organisation" (`#orga`).
    pub fn organizers_room(mut self, room: RoomSpec) -> Self {
        self.organizers_room = room;
        self
    }

    /// A member room, after those already named.
    pub fn member(mut self, room: RoomSpec) -> Self {
        self.members.push(room);
        self
    }

    /// Member rooms, after those already named.
    pub fn members(mut self, rooms: impl IntoIterator<Item = RoomSpec>) -> Self {
        self.members.extend(rooms);
        self
    }

    /// A person besides the organizer, registered on the network's homeserver as `localpart`
    /// (password `localpart-password`) and connected: to create rooms, join them, or just talk.
    pub fn person(mut self, localpart: &str) -> Self {
        self.people.push((localpart.to_owned(), None));
        self
    }

    /// Like [`Setup::person`], on another homeserver, whose invitations the bot then accepts.
    pub fn person_on(mut self, localpart: &str, synapse: &'a Synapse) -> Self {
        self.people.push((localpart.to_owned(), Some(synapse)));
        self
    }

    /// Without the top-level `listen` (for a test that adds a `calendar:` with its own).
    pub fn without_listen(mut self) -> Self {
        self.listen = false;
        self
    }

    /// Adds `yaml` to the bot's configuration (and to its base, see [`BotHome::configure`]).
    pub fn extend_base(mut self, yaml: &str) -> Self {
        self.base.push_str(yaml);
        self
    }

    /// Registers the bot, the organizer and the people, writes the bot's configuration, and
    /// creates the rooms (the organizers' room first), each person joining those they are to
    /// join. The bot is not started yet: see [`TestNetwork::start_bot`].
    pub async fn create(self) -> TestNetwork {
        let synapse = self.synapse.unwrap_or_else(Synapse::start);
        let bot_account = synapse.register("convene", BOT_PASSWORD, true);
        let organizer_account = synapse.register("organizer", "organizer-password", true);
        let bot_id = UserId::parse(&bot_account.user_id).unwrap();
        let organizer = Member::connect(&synapse, &organizer_account).await;

        let mut people = BTreeMap::new();
        let mut servers = BTreeMap::from([("organizer".to_owned(), &synapse)]);
        let mut accept_invites_from = vec![synapse.server_name.clone()];
        for (localpart, server) in &self.people {
            let server = server.unwrap_or(&synapse);
            let password = format!("{localpart}-password");
            let account = server.register(localpart, &password, true);
            people.insert(localpart.clone(), Member::connect(server, &account).await);
            servers.insert(localpart.clone(), server);
            if !accept_invites_from.contains(&server.server_name) {
                accept_invites_from.push(server.server_name.clone());
            }
        }
        let creator = |room: &RoomSpec| {
            room.creator
                .clone()
                .unwrap_or_else(|| "organizer".to_owned())
        };
        let alias = |room: &RoomSpec| {
            let server = servers
                .get(&creator(room))
                .unwrap_or_else(|| panic!("{} is no person of the set-up", creator(room)));
            format!("#{}:{}", room.alias, server.server_name)
        };

        let mut config =
            BotHome::config_for(&synapse, &bot_account.user_id, &[organizer_account.user_id]);
        config.organizers_room = alias(&self.organizers_room);
        config.members = self
            .members
            .iter()
            .map(|room| (room.name.clone(), alias(room)))
            .collect();
        config.accept_invites_from = accept_invites_from;
        if !self.listen {
            config.listen = None;
        }
        let home = BotHome::write(&config.with(&self.base), BOT_PASSWORD);

        let mut rooms = Vec::new();
        let mut creators = Vec::new();
        for spec in std::iter::once(&self.organizers_room).chain(&self.members) {
            let by = creator(spec);
            let client = if by == "organizer" {
                &organizer
            } else {
                &people[&by]
            };
            let joiners: Vec<OwnedUserId> = spec
                .joined_by
                .iter()
                .map(|person| people[person].client.user_id().unwrap().to_owned())
                .collect();
            let mut invite: Vec<&UserId> = vec![&bot_id];
            invite.extend(joiners.iter().map(|id| &**id));
            let room = client
                .create_room_with_alias(&spec.name, Some(&spec.alias), spec.encrypted, &invite)
                .await;
            for person in &spec.joined_by {
                people[person]
                    .client
                    .join_room_by_id(room.room_id())
                    .await
                    .unwrap();
            }
            rooms.push(room);
            creators.push(by);
        }
        TestNetwork {
            organizer,
            people,
            rooms,
            creators,
            home,
            bot_id,
            bot_account,
            synapse,
        }
    }
}

/// A homeserver with the bot's account and files, the organizer's and the people's clients, and
/// the rooms, which the bot joins once [started](TestNetwork::start_bot). Start the bot after
/// taking the network, so that it is stopped first.
#[derive(Debug)]
pub struct TestNetwork {
    /// The organizer's client (`@organizer`), in every room it created.
    pub organizer: Member,
    /// The other people's clients, by local part.
    pub people: BTreeMap<String, Member>,
    /// The organizers' room, then the member rooms in the order named, each as its creator's
    /// client sees it.
    pub rooms: Vec<Room>,
    creators: Vec<String>,
    /// The bot's configuration and data directory.
    pub home: BotHome,
    /// The bot's user id.
    pub bot_id: OwnedUserId,
    /// The bot's account (its registration session is no device of the bot's).
    pub bot_account: Account,
    /// The bot's and the organizer's homeserver.
    pub synapse: Synapse,
}

impl TestNetwork {
    /// A set-up on a fresh Synapse with the organizers' room "Organisation" (`#orga`,
    /// encrypted), no member rooms yet, no other people, and the bot's HTTP server on a port the
    /// OS picks.
    pub fn setup<'a>() -> Setup<'a> {
        Setup {
            synapse: None,
            organizers_room: RoomSpec::new("Organisation", "orga", true),
            members: Vec::new(),
            people: Vec::new(),
            listen: true,
            base: String::new(),
        }
    }

    /// Starts the bot and waits until it is ready and has joined every room.
    pub async fn start_bot(&self) -> BotProcess {
        self.joined(self.home.start(), READY).await
    }

    /// Waits until `bot`, started from [`TestNetwork::home`] (at a log level of the test's),
    /// is ready within `ready` and has joined every room; then [`BotProcess::ready`] gives its
    /// device at once.
    pub async fn joined(&self, mut bot: BotProcess, ready: Duration) -> BotProcess {
        bot.ready_within(ready).await;
        for (room, creator) in self.rooms.iter().zip(&self.creators) {
            self.client(creator).wait_for_join(room, &self.bot_id).await;
        }
        bot
    }

    /// The client of `person`, or the organizer's.
    pub fn client(&self, person: &str) -> &Member {
        if person == "organizer" {
            &self.organizer
        } else {
            &self.people[person]
        }
    }
}
