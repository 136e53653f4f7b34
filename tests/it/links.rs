//! `convene links` against a real Synapse: each member room's page and feed, with the token
//! `!subscribe` hands out in that room, the configured aliases resolved with the bot's stored
//! session beside the running bot (and never a new device); and its refusal without a calendar.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::network::{RoomSpec, TestNetwork};

/// Where subscribers reach the bot in these tests: behind a path, as behind a reverse proxy.
const PUBLIC_URL: &str = "https://ikone.example/convene/";

fn links(config: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_convene"))
        .args(["links", "--config"])
        .arg(config)
        .env("RUST_LOG", "warn,convene=info")
        .output()
        .unwrap()
}

/// `convene links`' output, which must be a success: (name, page, feed) per line.
fn lines_of(output: &Output) -> Vec<(String, String, String)> {
    let stdout = String::from_utf8(output.stdout.clone()).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert_eq!(stderr, "");
    parse(&stdout)
}

fn parse(stdout: &str) -> Vec<(String, String, String)> {
    stdout
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let [name, page, feed] = fields.as_slice() else {
                panic!("not three tab-separated fields: {line:?}");
            };
            ((*name).to_owned(), (*page).to_owned(), (*feed).to_owned())
        })
        .collect()
}

/// The token of a feed link, checking the link's shape and that the page has the same one.
fn token_of(page: &str, feed: &str) -> String {
    let token = feed
        .strip_prefix(&format!("{PUBLIC_URL}feeds/"))
        .and_then(|rest| rest.strip_suffix(".ics"))
        .unwrap_or_else(|| panic!("not a feed link: {feed}"));
    assert_eq!(token.len(), 40, "{feed}");
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()), "{feed}");
    assert_eq!(page, format!("{PUBLIC_URL}rooms/{token}"));
    token.to_owned()
}

/// The feed link in the bot's answer to `!subscribe` (German: "Adresse zum Einfügen: …").
fn subscribed_link(body: &str) -> String {
    body.lines()
        .find_map(|line| line.strip_prefix("Adresse zum Einfügen: "))
        .unwrap_or_else(|| panic!("no link in {body}"))
        .to_owned()
}

/// The ids of the bot's devices, asked with the access token of its registration.
async fn devices(client_url: &str, token: &str) -> Vec<String> {
    let body = reqwest::Client::new()
        .get(format!("{client_url}/_matrix/client/v3/devices"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value: serde_json::Value = serde_json::from_str(&body).unwrap();
    let mut ids: Vec<String> = value["devices"]
        .as_array()
        .unwrap_or_else(|| panic!("no device list: {body}"))
        .iter()
        .map(|device| device["device_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

/// Two member rooms configured by alias. Beside the running bot, `convene links` prints one line
/// per room, in the configuration's order: the room's page and feed with its token. In
/// Mayen-Koblenz `!subscribe` came first and `links` shows its token; in Kaiserslautern `links`
/// made the token and `!subscribe` then hands out the same. A second run prints the same; after
/// `!subscribe rotate` the new token. The feed link answers at the bot's HTTP server, the
/// rotated one no longer. The bot's account has no new device. A third room whose alias does
/// not exist is reported on standard error, the others printed, and the exit code is 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_show_each_rooms_page_and_feed_with_the_token_subscribe_hands_out() {
    let port = crate::support::free_port();
    let network = TestNetwork::setup()
        .person("anna")
        .organizers_room(RoomSpec::new("Organisation", "orga", false))
        .member(RoomSpec::new("Kaiserslautern", "kaiserslautern", false).joined_by("anna"))
        .member(RoomSpec::new("Mayen-Koblenz", "mayen-koblenz", false))
        .without_listen()
        .extend_base(&format!(
            "calendar:\n  contact: info@ikone-ds.example\n  listen: 127.0.0.1:{port}\n  public_url: {PUBLIC_URL}\n"
        ))
        .create()
        .await;
    let bot = network.start_bot().await;
    let TestNetwork {
        home,
        organizer,
        people,
        bot_id,
        bot_account,
        rooms,
        synapse,
        ..
    } = network;
    let [_, kl, mk] = rooms.as_slice() else {
        panic!("three rooms");
    };
    let anna = &people["anna"];
    let config = home.config_path();
    let devices_before = devices(&synapse.client_url, &bot_account.access_token).await;
    let local = |link: &str| link.replace(PUBLIC_URL, &format!("http://127.0.0.1:{port}/"));

    let ask = organizer.say(mk, "!subscribe").await;
    let mk_subscribed = subscribed_link(&organizer.reply_to(&bot_id, &ask).await.body);

    let first = links(&config);
    let printed = lines_of(&first);
    let names: Vec<&str> = printed.iter().map(|(name, _, _)| name.as_str()).collect();
    assert_eq!(names, ["Kaiserslautern", "Mayen-Koblenz"]);
    let kl_token = token_of(&printed[0].1, &printed[0].2);
    token_of(&printed[1].1, &printed[1].2);
    assert_eq!(printed[1].2, mk_subscribed);

    let ask = anna.say(kl, "!subscribe").await;
    let kl_subscribed = subscribed_link(&anna.reply_to(&bot_id, &ask).await.body);
    assert_eq!(kl_subscribed, printed[0].2);
    assert_eq!(links(&config).stdout, first.stdout, "a second run differs");

    let feed = reqwest::get(local(&printed[0].2)).await.unwrap();
    assert_eq!(feed.status(), reqwest::StatusCode::OK);

    let ask = organizer.say(kl, "!subscribe rotate").await;
    let rotated = subscribed_link(&organizer.reply_to(&bot_id, &ask).await.body);
    let after = lines_of(&links(&config));
    let new_token = token_of(&after[0].1, &after[0].2);
    assert_ne!(new_token, kl_token);
    assert_eq!(after[0].2, rotated);
    assert_eq!(after[1], printed[1], "Mayen-Koblenz's links changed");
    let old = reqwest::get(local(&printed[0].2)).await.unwrap();
    assert_eq!(old.status(), reqwest::StatusCode::NOT_FOUND);
    let new = reqwest::get(local(&after[0].2)).await.unwrap();
    assert_eq!(new.status(), reqwest::StatusCode::OK);

    // A room whose alias the homeserver does not know, between the two: the others printed.
    let server = &synapse.server_name;
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "    - name: Mayen-Koblenz\n",
        &format!("    - name: Nirgendwo\n      room: \"#nirgendwo:{server}\"\n    - name: Mayen-Koblenz\n"),
    );
    let with_unknown = config.with_file_name("with-unknown.yaml");
    std::fs::write(&with_unknown, text).unwrap();
    let output = links(&with_unknown);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!(
            "convene links: Nirgendwo (#nirgendwo:{server}): cannot resolve the room alias: the homeserver knows no such alias\n"
        )
    );
    assert_eq!(parse(&String::from_utf8(output.stdout).unwrap()), after);

    assert_eq!(
        devices(&synapse.client_url, &bot_account.access_token).await,
        devices_before,
        "links made a device"
    );
    drop(bot);
}

/// Without a `calendar:` section there is nothing to link to: said so, exit code 1, nothing
/// printed and no data directory made.
#[test]
fn links_without_a_calendar_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let config = crate::support::config::TestConfig::minimal().write(dir.path());
    let output = links(&config);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "convene links: the configuration has no `calendar:` section, so the rooms have no web pages or feeds; add one (config/convene.example.yaml documents it)\n"
    );
    assert!(output.stdout.is_empty());
    assert!(!dir.path().join("data").exists());
}
