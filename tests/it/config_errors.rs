//! Every broken file under `tests/fixtures/config/` gives exactly the errors an organizer should
//! see: all of them, each with `file:line:col`, the YAML path and a hint.

use std::path::Path;

use convene::config::Config;

use crate::support::config::{MONTHLY_VIDEOKONFERENZ, TestConfig};

fn errors_of(name: &str) -> String {
    let path = Path::new("tests/fixtures/config").join(name);
    match Config::load(&path) {
        Ok(_) => panic!("{name} was accepted"),
        Err(diagnostics) => diagnostics.to_string(),
    }
}

#[test]
fn unknown_keys_are_errors_with_a_suggestion() {
    assert_eq!(
        errors_of("unknown_keys.yaml"),
        "\
unknown_keys.yaml:2:1: error: homeservr: unknown key `homeservr`
  hint: did you mean `homeserver`?
unknown_keys.yaml:6:3: error: bot.passwort: unknown key `passwort`
  hint: did you mean `password`?
unknown_keys.yaml:15:7: error: network.members[0].colour: unknown key `colour`
  hint: known keys here: name, room"
    );
}

#[test]
fn invalid_user_room_and_server_ids_are_all_reported() {
    assert_eq!(
        errors_of("invalid_ids.yaml"),
        "\
invalid_ids.yaml:3:12: error: bot.user_id: `convene` is not a Matrix user id
  hint: write a full user id such as `@anna.schmidt:example.org`, in quotes
invalid_ids.yaml:10:7: error: network.organizers[1]: `dirk.andres` is not a Matrix user id
  hint: write a full user id such as `@anna.schmidt:example.org`, in quotes
invalid_ids.yaml:11:20: error: network.organizers_room: `orga:localhost` is not a room id or alias
  hint: write a room id such as `!AbCdEf:example.org` or an alias such as `#kaiserslautern:example.org`, in quotes
invalid_ids.yaml:16:13: error: network.members[1].room: `bitburg` is not a room id or alias
  hint: write a room id such as `!AbCdEf:example.org` or an alias such as `#kaiserslautern:example.org`, in quotes
invalid_ids.yaml:18:5: error: accept_invites_from[0]: `https://localhost` is not a homeserver name
  hint: write the server name only, such as `matrix.kaiserslautern.de`, without `https://`"
    );
}

#[test]
fn bad_url_time_zone_and_language() {
    assert_eq!(
        errors_of("timezone_language.yaml"),
        "\
timezone_language.yaml:1:13: error: homeserver: `matrix.example.org` is not an http(s) URL
  hint: write the homeserver's base URL, such as `https://matrix.example.org`
timezone_language.yaml:6:11: error: timezone: unknown time zone `Europe/Berln`
  hint: use an IANA time zone name such as `Europe/Berlin`
timezone_language.yaml:7:11: error: language: unknown language `fr`
  hint: write `de` (formal German) or `en` (English)
timezone_language.yaml:15:13: error: source_url: `git@github.com:ikone-ds/convene.git` is not an http(s) URL
  hint: write the address where the bot's source code is published, such as `https://github.com/ikone-ds/convene`"
    );
}

#[test]
fn missing_keys_point_at_their_section() {
    assert_eq!(
        errors_of("missing_keys.yaml"),
        "\
missing_keys.yaml:1:1: error: missing key `homeserver`
  hint: add `homeserver: https://matrix.example.org`, the URL of the bot's homeserver
missing_keys.yaml:1:1: error: missing key `data_dir`
  hint: add `data_dir: /var/lib/convene`, where the bot keeps its session and keys
missing_keys.yaml:2:3: error: bot: missing key `user_id`
  hint: write a full user id such as `@anna.schmidt:example.org`, in quotes
missing_keys.yaml:4:3: error: network: missing key `organizers`
  hint: add `organizers:` with the user ids of the people who run the network
missing_keys.yaml:7:7: error: network.members[0]: missing key `name`
  hint: add `name:`, the municipality's name"
    );
}

#[test]
fn a_password_written_into_the_file_is_refused() {
    assert_eq!(
        errors_of("password_in_file.yaml"),
        "\
password_in_file.yaml:4:13: error: bot.password: expected `env:` or `file:`, not the secret itself
  hint: the password never goes into this file: write `{ env: VARIABLE }` or `{ file: PATH }`"
    );
}

#[test]
fn duplicates_and_clashes_between_rooms() {
    assert_eq!(
        errors_of("duplicate_rooms.yaml"),
        "\
duplicate_rooms.yaml:4:13: error: bot.password: give exactly one of `env:` and `file:`
  hint: the password never goes into this file: write `{ env: VARIABLE }` or `{ file: PATH }`
duplicate_rooms.yaml:8:15: error: network.organizers: the network has no organizers
  hint: write a full user id such as `@anna.schmidt:example.org`, in quotes
duplicate_rooms.yaml:10:17: error: network.minutes_room: `#kl:localhost` is both the minutes room and a member room
  hint: minutes are taken among the chairs; use the organizers' room or a room of its own
duplicate_rooms.yaml:14:7: error: network.members[1]: Kaiserslautern is listed twice
  hint: list every municipality once
duplicate_rooms.yaml:15:13: error: network.members[1].room: `#kl:localhost` is already the room of Kaiserslautern
  hint: every municipality needs its own room
duplicate_rooms.yaml:17:13: error: network.members[2].room: `#orga:localhost` is both the organizers' room and a member room
  hint: give the organizers a room of their own, so their discussions stay among them"
    );
}

#[test]
fn wrong_types_are_named() {
    assert_eq!(
        errors_of("wrong_types.yaml"),
        "\
wrong_types.yaml:1:13: error: homeserver: expected text, found a number
  hint: put the value in quotes
wrong_types.yaml:2:6: error: bot: expected a mapping, found text
  hint: write `key: value` pairs, indented below this key
wrong_types.yaml:3:11: error: data_dir: expected text, found a list
  hint: write a single value on the same line as the key
wrong_types.yaml:6:15: error: network.organizers: expected a list, found text
  hint: write one entry per line, each starting with `- `
wrong_types.yaml:9:5: error: network.members: expected a list, found a mapping
  hint: write one entry per line, each starting with `- `"
    );
}

#[test]
fn a_syntax_error_has_its_position() {
    assert_eq!(
        errors_of("syntax_error.yaml"),
        "\
syntax_error.yaml:4:4: error: this is not valid YAML: did not find expected key, while parsing a block mapping
  hint: check the indentation, and quote values that contain `: ` or start with `@`, `!`, `#`, `&` or `*`"
    );
}

#[test]
fn a_repeated_key_is_an_error() {
    assert_eq!(
        errors_of("duplicate_key.yaml"),
        "\
duplicate_key.yaml:3:1: error: data_dir: the key `data_dir` appears twice in this section, first on line 2
  hint: a key may appear only once in a section: remove or merge the repeated one"
    );
}

#[test]
fn a_missing_file_is_reported() {
    assert_eq!(
        errors_of("does_not_exist.yaml"),
        "does_not_exist.yaml: error: cannot read the configuration: No such file or directory (os error 2)
  hint: pass the file with `--config FILE`"
    );
}

#[test]
fn the_shipped_configurations_are_valid() {
    for file in ["config/convene.example.yaml", "config/demo.yaml"] {
        let config = Config::load(Path::new(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(config.timezone, chrono_tz::Europe::Berlin);
        assert_eq!(config.roster.name, "IKONE DS");
        assert_eq!(config.roster.members.len(), 3);
        assert_eq!(
            config.source_url.as_str(),
            "https://github.com/ikone-ds/convene"
        );
    }
}

/// A network that runs a changed bot names where its changes are published.
#[test]
fn a_configured_source_url_replaces_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("convene.yaml");
    let example = std::fs::read_to_string("config/convene.example.yaml").unwrap();
    std::fs::write(
        &path,
        format!("{example}\nsource_url: https://git.kaiserslautern.de/ikone/convene\n"),
    )
    .unwrap();
    let config = Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        config.source_url.as_str(),
        "https://git.kaiserslautern.de/ikone/convene"
    );
}

#[test]
fn meetings_errors_are_all_reported() {
    assert_eq!(
        errors_of("meetings_errors.yaml"),
        r#"meetings_errors.yaml:14:13: error: meetings.holidays: `XY` is not a German state
  hint: write the state's code: BB, BE, BW, BY, HB, HE, HH, MV, NI, NW, RP, SH, SL, SN, ST, TH
meetings_errors.yaml:15:19: error: meetings.reminders[1]: `1 day` is not a duration
  hint: write a number and a unit (d, h, m or s), e.g. `90m`, `1h30m`, `7d`
meetings_errors.yaml:20:14: error: meetings.series[0].first: 2026-01-14 is not an occurrence of the rule `FREQ=MONTHLY;BYDAY=3TH`
  hint: the first date must itself be one of the meetings
meetings_errors.yaml:24:11: error: meetings.series[0].exceptions[0]: a meeting cannot be both cancelled and moved
  hint: remove `cancelled: true` or the `new_…` keys
meetings_errors.yaml:27:17: error: meetings.series[0].exceptions[1].date: 2026-04-17 is not a date of this series
  hint: give the regular date of the meeting that is cancelled or moved
meetings_errors.yaml:29:11: error: meetings.series[0].exceptions[2]: this exception changes nothing
  hint: add `cancelled: true`, or `new_date:`, `new_start:`, `new_duration:` or `new_video_link:`
meetings_errors.yaml:30:11: error: meetings.series[1].id: `Stammtisch` is not a valid id
  hint: use lower-case letters, digits and dashes, e.g. `videokonferenz`
meetings_errors.yaml:32:13: error: meetings.series[1].rule: BYDAY mixes weekdays with and without a number
  hint: calendars disagree on such rules; use two series instead, e.g. one with BYDAY=MO and one with BYDAY=-1WE
meetings_errors.yaml:34:14: error: meetings.series[1].start: `25:00` is not a time of day
  hint: write the local time as HH:MM in quotes, e.g. `"10:00"`
meetings_errors.yaml:35:17: error: meetings.series[1].duration: `1,5h` is not a duration
  hint: write a number and a unit (d, h, m or s), e.g. `90m`, `1h30m`, `7d`"#
    );
}

#[test]
/// Twenty-two broken agenda files: every error of every file, in file order.
fn agenda_errors_of_every_file_are_reported() {
    let errors =
        match convene::network::Network::load(Path::new("tests/fixtures/agendas/config.yaml")) {
            Ok(_) => panic!("the broken agendas were accepted"),
            Err(diagnostics) => diagnostics.to_string(),
        };
    assert_eq!(
        errors,
        r#"broken/2026-10-15-minutes.yaml:8:29: error: minutes.present[1]: `Atlantis` is no member municipality
  hint: the members: Kaiserslautern
broken/2026-10-15-minutes.yaml:10:13: error: minutes.topics[0].item: there is no agenda item 2
  hint: number the items from 1 to 1, or give a `title:`
broken/2026-10-15-minutes.yaml:14:11: error: minutes.topics[1].actions[0]: missing key `task`
  hint: add `task:`, what is to be done
broken/2026-10-15-minutes.yaml:15:16: error: minutes.topics[1].actions[0].due: `15.01.2027` is not a date
  hint: write the date as YYYY-MM-DD, e.g. `2026-12-17`
broken/2026-10-15-minutes.yaml:16:7: error: minutes.topics[2]: this topic names no agenda item
  hint: add `item:` with the agenda item's number, or `title:`
broken/2026-11-19-too-long.yaml:5:3: error: items: the items take 1h45m, longer than the meeting's 1h30m
  hint: shorten items or make the meeting longer
broken/2026-12-16-not-an-occurrence.yaml:3:9: error: meeting.date: 2026-12-16 is not a date of the series `videokonferenz`
  hint: the series meets by the rule `FREQ=MONTHLY;BYDAY=3TH`, starting 2026-01-15
broken/2026-12-17-a.yaml:7:14: error: items[0].speaker: expected a mapping, found text
  hint: write `key: value` pairs, indented below this key
broken/2026-12-17-b.yaml:1:1: error: videokonferenz/2026-12-17 already has an agenda in 2026-12-17-a.yaml
  hint: keep one file per meeting
broken/bad-part-time.yaml:8:12: error: parts[0].start: `zehn Uhr` is not a time of day
  hint: write the local time as HH:MM in quotes, e.g. `"10:00"`
broken/broken-links.yaml:9:9: error: items[0].links[0]: missing key `url`
  hint: add `url:`
broken/broken-links.yaml:12:14: error: items[0].documents[0].url: `ftp://example.org/leitfaden.pdf` is not an http(s) link
  hint: write the full address, e.g. `https://meet.example.org/ikone`
broken/dst-gap.yaml:4:10: error: meeting.start: 02:30 does not exist on 2026-03-29 in Europe/Berlin: the clocks go from 02:00 straight to 03:00
  hint: choose a time before 02:00 or from 03:00 on, or another date
broken/out-of-bounds.yaml:2:10: error: meeting.title: the title contains the control character U+000D
  hint: write it on one line, as plain text
broken/out-of-bounds.yaml:3:9: error: meeting.date: `2201-01-01` is outside the dates convene plans with
  hint: write a date from 1970-01-01 to 2200-12-31
broken/out-of-bounds.yaml:5:13: error: meeting.duration: `25h` is longer than 1d
  hint: plan a longer event as several meetings
broken/out-of-bounds.yaml:6:8: error: parts: 21 parts are more than the 20 convene accepts
  hint: shorten the list
broken/out-of-bounds.yaml:9:15: error: items[0].duration: `100000000d` is longer than 1d
  hint: plan a longer event as several meetings
broken/out-of-bounds.yaml:10:18: error: items[0].description: the description contains the control character U+0000
  hint: only line breaks and tabs may be in it; remove the other control characters
broken/poll-both.yaml:4:3: error: meeting.date: `date` and `candidates` cannot both be given
  hint: remove `date:`: every candidate has its own `date:`, `start:` and `duration:`; or remove `candidates:` and `decide_by:` for a workshop on a fixed date
broken/poll-both.yaml:5:3: error: meeting.start: `start` and `candidates` cannot both be given
  hint: remove `start:`: every candidate has its own `date:`, `start:` and `duration:`; or remove `candidates:` and `decide_by:` for a workshop on a fixed date
broken/poll-both.yaml:6:3: error: meeting.duration: `duration` and `candidates` cannot both be given
  hint: remove `duration:`: every candidate has its own `date:`, `start:` and `duration:`; or remove `candidates:` and `decide_by:` for a workshop on a fixed date
broken/poll-decide-by-alone.yaml:6:3: error: meeting.decide_by: `decide_by` is only for a workshop whose date a poll finds
  hint: add `candidates:` with the slots to choose from instead of `date:`, `start:` and `duration:`, or remove `decide_by:`
broken/poll-no-decide-by.yaml:2:3: error: meeting: missing key `decide_by`
  hint: add `decide_by:`, the last day to answer the poll, e.g. `2027-01-15`
broken/poll-one-candidate.yaml:3:14: error: meeting.decide_by: `2201-01-01` is outside the dates convene plans with
  hint: write a date from 1970-01-01 to 2200-12-31
broken/poll-one-candidate.yaml:5:5: error: meeting.candidates: a poll needs at least 2 candidates, not 1
  hint: add another candidate, or give the workshop `date:`, `start:` and `duration:` instead
broken/poll-slots.yaml:4:14: error: meeting.cancelled: a workshop whose date is still to be found cannot be cancelled
  hint: remove `cancelled: true`; to call the poll off, delete the file
broken/poll-slots.yaml:7:15: error: meeting.candidates[1].date: this candidate starts on 2027-01-15 at 18:00, before the end of `decide_by` (2027-01-15)
  hint: every candidate must start after the day the members answer by: choose a later date or an earlier `decide_by:`
broken/poll-slots.yaml:8:7: error: meeting.candidates[2]: the same slot as `candidates[0]` (2027-02-03 10:00, 3h)
  hint: offer every slot once
broken/poll-slots.yaml:9:34: error: meeting.candidates[3].start: 02:30 does not exist on 2027-03-28 in Europe/Berlin: the clocks go from 02:00 straight to 03:00
  hint: choose a time before 02:00 or from 03:00 on, or another date
broken/poll-slots.yaml:10:7: error: meeting.candidates[4]: missing key `duration`
  hint: add `duration: 3h`
broken/poll-slots.yaml:11:53: error: meeting.candidates[5].duration: `25h` is longer than 1d
  hint: plan a longer event as several meetings
broken/poll-slots.yaml:11:58: error: meeting.candidates[5].room: unknown key `room`
  hint: known keys here: date, start, duration
broken/poll-slots.yaml:12:7: error: meeting.candidates[6]: expected a mapping, found text
  hint: write `key: value` pairs, indented below this key
broken/poll-slots.yaml:15:5: error: parts[0].start: a part of a workshop with `candidates:` has no start time of its own
  hint: remove `start:`: the workshop starts when the chosen candidate does; give the parts their times once the date is decided
broken/poll-too-many.yaml:5:5: error: meeting.candidates: 13 candidates are more than the 12 convene accepts
  hint: shorten the list
broken/series-with-title.yaml:4:3: error: meeting.title: `title` cannot be set for a meeting of a series here
  hint: move, cancel or change a regular meeting under `exceptions:` in the configuration
broken/speaker-without-name.yaml:8:14: error: items[0].speaker: missing key `name`
  hint: add `name:`
broken/syntax.yaml:6:1: error: this is not valid YAML: found unexpected end of stream, while scanning a quoted scalar
  hint: check the indentation, and quote values that contain `: ` or start with `@`, `!`, `#`, `&` or `*`
broken/title-too-long.yaml:7:12: error: items[0].title: the title is longer than 200 characters
  hint: shorten it; details belong in a description or a linked document
broken/unknown-series.yaml:2:11: error: meeting.series: there is no series `stammtisch`
  hint: the configured series: videokonferenz
broken/unknown-top-key.yaml:4:1: error: agenda: unknown key `agenda`
  hint: known keys here: meeting, topic, parts, items, notes, minutes
broken/workshop.yaml:5:13: error: meeting.duration: `2 hours` is not a duration
  hint: write a number and a unit (d, h, m or s), e.g. `90m`, `1h30m`, `7d`
broken/workshop.yaml:6:15: error: meeting.video_link: `meet.example.org/workshop` is not an http(s) link
  hint: write the full address, e.g. `https://meet.example.org/ikone`
broken/workshop.yaml:9:5: error: parts[0].audiences: unknown key `audiences`
  hint: did you mean `audience`?
broken/workshop.yaml:12:11: error: items[0].part: there is no part 3
  hint: number the parts from 1 to 1
broken/workshop.yaml:13:41: error: items[0].speaker.office: unknown key `office`
  hint: known keys here: name, role, municipality"#
    );
}

/// A valid configuration without agendas, for files written into temporary directories.
fn valid() -> String {
    TestConfig::minimal().with(MONTHLY_VIDEOKONFERENZ).yaml()
}

/// The errors of loading the network at `path`, failing (instead of hanging the test run) if the
/// load does not finish within a few seconds.
fn network_errors_of(path: &Path) -> String {
    let path = path.to_owned();
    let (send, receive) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = send.send(convene::network::Network::load(&path).map(|_| ()));
    });
    match receive.recv_timeout(std::time::Duration::from_secs(20)) {
        Ok(Ok(())) => panic!("the files were accepted"),
        Ok(Err(diagnostics)) => diagnostics.to_string(),
        Err(_) => panic!("loading did not finish: it blocks on a special file"),
    }
}

/// A temporary directory with `convene.yaml` (naming `agendas_dir`) and an `agendas/` directory.
fn network_dir(agendas_dir: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("convene.yaml"),
        format!("{}agendas_dir: {agendas_dir}\n", valid()),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("agendas")).unwrap();
    dir
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn a_file_saved_with_a_byte_order_mark_is_accepted() {
    let config = Config::load(Path::new("tests/fixtures/config/bom.yaml")).unwrap();
    assert_eq!(config.roster.name, "IKONE DS");
}

#[test]
fn text_that_is_not_utf8_is_located() {
    assert_eq!(
        errors_of("not_utf8.yaml"),
        "\
not_utf8.yaml:7:28: error: this is not UTF-8 text
  hint: the first character that is not UTF-8 is here: save the file with the encoding UTF-8 (e.g. in Notepad: \"Save as\", Encoding \"UTF-8\")"
    );
}

#[test]
fn a_repeated_key_in_a_section_is_located_at_the_repetition() {
    assert_eq!(
        errors_of("duplicate_nested_key.yaml"),
        "\
duplicate_nested_key.yaml:5:3: error: bot.user_id: the key `user_id` appears twice in this section, first on line 3
  hint: a key may appear only once in a section: remove or merge the repeated one"
    );
}

#[test]
fn a_second_document_is_located_at_its_marker() {
    assert_eq!(
        errors_of("two_documents.yaml"),
        "\
two_documents.yaml:4:1: error: a second YAML document starts here, but a file holds only one
  hint: a line `---` (or text after a line `...`) starts a new document: remove it"
    );
}

#[test]
fn an_alias_bomb_is_refused_with_a_location() {
    assert_eq!(
        errors_of("alias_bomb.yaml"),
        "\
alias_bomb.yaml:7:4: error: f: aliases (`*name`) here repeat their values too often
  hint: write the values out instead of repeating them with `&anchor` and `*alias`"
    );
}

#[test]
fn a_named_pipe_as_agenda_is_refused_without_blocking() {
    let dir = network_dir("agendas");
    mkfifo(&dir.path().join("agendas/2026-12-17.yaml"));
    assert_eq!(
        network_errors_of(&dir.path().join("convene.yaml")),
        "\
agendas/2026-12-17.yaml: error: cannot read the agenda: it is a named pipe (FIFO), not a regular file
  hint: convene reads only regular files (or symbolic links to them): replace it with a plain file"
    );
}

#[test]
fn a_link_to_dev_zero_is_refused_without_reading() {
    let dir = network_dir("agendas");
    let config = dir.path().join("linked.yaml");
    std::os::unix::fs::symlink("/dev/zero", &config).unwrap();
    assert_eq!(
        network_errors_of(&config),
        "\
linked.yaml: error: cannot read the configuration: it is a device, not a regular file
  hint: convene reads only regular files (or symbolic links to them): replace it with a plain file"
    );
}

#[test]
fn an_oversized_agenda_is_refused() {
    let dir = network_dir("./agendas");
    let line = "# Eine sehr lange Tagesordnung.\n";
    let text = line.repeat(1024 * 1024 / line.len() + 1);
    std::fs::write(dir.path().join("agendas/2026-12-17.yaml"), text).unwrap();
    assert_eq!(
        network_errors_of(&dir.path().join("./convene.yaml")),
        "\
agendas/2026-12-17.yaml: error: cannot read the agenda: it is larger than 1 MiB
  hint: this file should hold a few kilobytes of text: check that it is the right file"
    );
}

#[test]
fn files_outside_the_configuration_directory_keep_their_absolute_path() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("x.yaml"), "meeting: [\n").unwrap();
    let dir = network_dir(&outside.path().display().to_string());
    let errors = network_errors_of(&dir.path().join("convene.yaml"));
    let file = outside.path().join("x.yaml");
    assert_eq!(
        errors,
        format!(
            "\
{}:2:1: error: this is not valid YAML: did not find expected node content, while parsing a flow node
  hint: check the indentation, and quote values that contain `: ` or start with `@`, `!`, `#`, `&` or `*`",
            file.display()
        )
    );
}

#[test]
fn a_password_file_must_be_a_small_regular_file() {
    use convene::config::SecretSource;
    let dir = tempfile::tempdir().unwrap();
    let pipe = dir.path().join("pipe");
    mkfifo(&pipe);
    let error = SecretSource::File(pipe.clone()).read().unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "cannot read the file {}: it is a named pipe (FIFO), not a regular file",
            pipe.display()
        )
    );
    let large = dir.path().join("large");
    std::fs::write(&large, "x".repeat(4097)).unwrap();
    let error = SecretSource::File(large.clone()).read().unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "cannot read the file {}: it is larger than 4 KiB",
            large.display()
        )
    );
    let fine = dir.path().join("fine");
    std::fs::write(&fine, "\u{feff}geheim\r\n").unwrap();
    assert_eq!(SecretSource::File(fine).read().unwrap().expose(), "geheim");
}

#[test]
fn every_value_is_bounded() {
    assert_eq!(
        errors_of("bounds.yaml"),
        r#"bounds.yaml:4:20: error: bot.password.env: `CONVENE=PASSWORD` is not the name of an environment variable
  hint: use letters, digits and `_`, e.g. `CONVENE_PASSWORD`
bounds.yaml:5:16: error: bot.device_name: the device name contains the control character U+001B
  hint: write it on one line, as plain text
bounds.yaml:8:9: error: network.name: the network name contains the control character U+000A
  hint: write it on one line, as plain text
bounds.yaml:15:12: error: calendar.contact: `info@ikone-ds.de\r\nX-INJECTED:1` is not an e-mail address
  hint: write the address only, e.g. `info@ikone-ds.de`
bounds.yaml:16:15: error: calendar.uid_domain: `ikone-ds.de\0` is not a domain name
  hint: write a domain such as `ikone-ds.de`: letters, digits, dashes and dots
bounds.yaml:18:15: error: meetings.reminders[0]: `100000000d` is longer than 366d
  hint: announce a meeting at most a year ahead
bounds.yaml:18:27: error: meetings.reminders[1]: `367d` is longer than 366d
  hint: announce a meeting at most a year ahead
bounds.yaml:22:13: error: meetings.series[0].rule: INTERVAL=4294967295 is larger than convene accepts: write at most INTERVAL=1000, or describe a rare meeting as a workshop
  hint: see RFC 5545: FREQ=WEEKLY or MONTHLY, INTERVAL, BYDAY, BYMONTHDAY, COUNT or UNTIL
bounds.yaml:23:14: error: meetings.series[0].first: `+262142-12-01` is outside the dates convene plans with
  hint: write a date from 1970-01-01 to 2200-12-31
bounds.yaml:24:14: error: meetings.series[0].start: `23:59:60` is not a time of day
  hint: write the local time as HH:MM in quotes, e.g. `"10:00"`
bounds.yaml:25:17: error: meetings.series[0].duration: `100000000d` is longer than 1d
  hint: plan a longer event as several meetings
bounds.yaml:28:13: error: meetings.series[1].rule: COUNT=1000000000 is larger than convene accepts: write at most COUNT=10000, or leave COUNT out for a series without end
  hint: see RFC 5545: FREQ=WEEKLY or MONTHLY, INTERVAL, BYDAY, BYMONTHDAY, COUNT or UNTIL
bounds.yaml:29:14: error: meetings.series[1].first: `0001-01-01` is outside the dates convene plans with
  hint: write a date from 1970-01-01 to 2200-12-31
bounds.yaml:31:17: error: meetings.series[1].duration: `25h` is longer than 1d
  hint: plan a longer event as several meetings
bounds.yaml:34:13: error: meetings.series[2].rule: UNTIL=99991231 is outside the dates convene plans with: write a date from 19700101 to 22001231, or leave UNTIL out for a series without end
  hint: see RFC 5545: FREQ=WEEKLY or MONTHLY, INTERVAL, BYDAY, BYMONTHDAY, COUNT or UNTIL
bounds.yaml:41:21: error: meetings.series[2].exceptions[0].new_date: `2201-01-01` is outside the dates convene plans with
  hint: write a date from 1970-01-01 to 2200-12-31
bounds.yaml:43:25: error: meetings.series[2].exceptions[1].new_duration: `2d` is longer than 1d
  hint: plan a longer event as several meetings
bounds.yaml:46:17: error: meetings.series[2].exceptions[2].note: the note contains the control character U+0007
  hint: only line breaks and tabs may be in it; remove the other control characters"#
    );
}

#[test]
fn a_start_in_the_spring_gap_is_refused() {
    // The second series starts on 22 March; its meeting on 29 March falls into the gap and is
    // read as RFC 5545 says (03:30 summer time), but moving a meeting into the gap is refused.
    assert_eq!(
        errors_of("dst_gap.yaml"),
        "\
dst_gap.yaml:19:14: error: meetings.series[0].start: 02:30 does not exist on 2026-03-29 in Europe/Berlin: the clocks go from 02:00 straight to 03:00
  hint: choose a time before 02:00 or from 03:00 on, or another date
dst_gap.yaml:28:11: error: meetings.series[1].exceptions[0]: 02:30 does not exist on 2026-03-29 in Europe/Berlin: the clocks go from 02:00 straight to 03:00
  hint: choose a time before 02:00 or from 03:00 on, or another date"
    );
}

#[test]
fn too_many_entries_are_refused() {
    let mut yaml = std::fs::read_to_string("tests/fixtures/config/dst_gap.yaml").unwrap();
    yaml = yaml.replace(
        "meetings:\n  series:",
        "meetings:\n  reminders: [1d, 2d, 3d, 4d, 5d, 6d, 7d, 8d, 9d, 10d, 11d]\n  series:",
    );
    match Config::parse(Path::new("many.yaml"), yaml) {
        Ok(_) => panic!("eleven reminders were accepted"),
        Err(diagnostics) => assert_eq!(
            diagnostics.to_string().lines().take(2).collect::<Vec<_>>(),
            [
                "many.yaml:14:14: error: meetings.reminders: 11 reminders are more than the 10 convene accepts",
                "  hint: shorten the list"
            ]
        ),
    }
}

/// Every diagnostic of every broken fixture, as the organizers' room shows it in a German network:
/// German labels, and a German message and hint (no English left over), reviewed as a snapshot.
#[test]
fn every_diagnostic_is_in_german_for_the_organizers_room() {
    use convene::diagnostic::Diagnostics;
    use convene::i18n::Language;

    let mut all = Diagnostics::default();
    let mut names: Vec<_> = std::fs::read_dir("tests/fixtures/config")
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    names.sort();
    for path in names {
        if let Err(diagnostics) = Config::load(&path) {
            all.extend(diagnostics);
        }
    }
    for config in [
        "tests/fixtures/config/does_not_exist.yaml",
        "tests/fixtures/agendas/config.yaml",
    ] {
        all.extend(convene::network::Network::load(Path::new(config)).unwrap_err());
    }
    let dir = network_dir("agendas");
    mkfifo(&dir.path().join("agendas/2026-12-17.yaml"));
    std::fs::write(
        dir.path().join("agendas/2026-11-19.yaml"),
        "#".repeat(1024 * 1024 + 1),
    )
    .unwrap();
    all.extend(convene::network::Network::load(&dir.path().join("convene.yaml")).unwrap_err());
    let mut many = std::fs::read_to_string("tests/fixtures/config/dst_gap.yaml").unwrap();
    many = many.replace(
        "meetings:\n  series:",
        "meetings:\n  reminders: []\n  series:",
    );
    all.extend(Config::parse(Path::new("many.yaml"), many).unwrap_err());
    assert!(all.len() > 80, "{} diagnostics", all.len());

    for diagnostic in all.iter() {
        let german = diagnostic.render(Language::German);
        assert_eq!(diagnostic.render(Language::English), diagnostic.to_string());
        assert!(german.contains(": Fehler: "), "{german}");
        assert!(
            !german.contains("error:") && !german.contains("hint:"),
            "{german}"
        );
        assert_ne!(
            diagnostic.message.german, diagnostic.message.english,
            "{german}"
        );
        if let Some(hint) = &diagnostic.hint {
            assert_ne!(hint.german, hint.english, "{german}");
            assert!(german.contains("\n  Hinweis: "), "{german}");
        }
    }
    // Temporary directories differ from run to run; the file name is enough for review.
    let shown = all
        .render(Language::German)
        .replace(&dir.path().display().to_string(), "TMP");
    insta::assert_snapshot!("german_diagnostics", shown);
}

/// A workshop with `candidates:` is a poll: it is not in the schedule until it is decided,
/// while its agenda is kept under its id; the shipped example loads as such.
#[test]
fn a_workshop_with_candidates_is_a_poll_not_a_meeting() {
    let network =
        convene::network::Network::load(Path::new("config/convene.example.yaml")).unwrap();
    let poll = network
        .agendas
        .polls
        .iter()
        .find(|p| p.id == "workshop-open-data")
        .unwrap();
    assert_eq!(poll.title, "Workshop „Offene Daten in der Verwaltung“");
    assert_eq!(poll.decide_by.to_string(), "2027-01-15");
    let slots: Vec<String> = poll
        .slots
        .iter()
        .map(|s| format!("{} – {}", s.start.to_rfc3339(), s.end.to_rfc3339()))
        .collect();
    assert_eq!(
        slots,
        [
            "2027-02-03T10:00:00+01:00 – 2027-02-03T13:00:00+01:00",
            "2027-02-05T14:00:00+01:00 – 2027-02-05T17:00:00+01:00",
            "2027-02-10T09:30:00+01:00 – 2027-02-10T12:30:00+01:00",
        ]
    );
    assert_eq!(
        poll.video_link.as_ref().map(url::Url::as_str),
        Some("https://meet.example.org/workshop-open-data")
    );
    assert!(poll.note.is_some());
    assert!(network.schedule.find("workshop-open-data").is_none());
    assert!(
        !network
            .agendas
            .one_offs
            .iter()
            .any(|o| o.id == "workshop-open-data")
    );
    assert_eq!(
        network.agendas.by_meeting["workshop-open-data"].parts.len(),
        2
    );
    // Decided, it is an ordinary workshop on the slot, under the same key.
    let mut schedule = network.schedule.clone();
    schedule.one_offs.push(poll.to_one_off(&poll.slots[1]));
    let meeting = schedule.find("workshop-open-data").unwrap();
    assert_eq!(meeting.start, poll.slots[1].start);
    assert!(network.agenda(&meeting).is_some());
}

/// A candidate may start at midnight right after the `decide_by` day, and the items need only
/// fit into the shortest candidate.
#[test]
fn candidates_start_after_the_decide_by_day() {
    let dir = network_dir("agendas");
    let agenda = |first: &str| {
        format!(
            "meeting:\n  title: Workshop\n  decide_by: 2027-01-15\n  candidates:\n    - {{ date: {first}, start: \"00:00\", duration: 1h }}\n    - {{ date: 2027-02-05, start: \"14:00\", duration: 3h }}\nitems:\n  - {{ title: Begrüßung, duration: 90m }}\n"
        )
    };
    std::fs::write(dir.path().join("agendas/w.yaml"), agenda("2027-01-16")).unwrap();
    assert_eq!(
        network_errors_of(&dir.path().join("convene.yaml")),
        "agendas/w.yaml:8:3: error: items: the items take 1h30m, longer than the meeting's 1h\n  hint: shorten items or make the meeting longer"
    );
    std::fs::write(
        dir.path().join("agendas/w.yaml"),
        agenda("2027-01-16").replace("90m", "60m"),
    )
    .unwrap();
    let network = convene::network::Network::load(&dir.path().join("convene.yaml")).unwrap();
    assert_eq!(network.agendas.polls.len(), 1);
    assert!(network.agendas.one_offs.is_empty());
}

/// Matrix allows user ids, room ids and aliases of at most 255 bytes (with sigil and server
/// name); longer ones were accepted (a 100,000-character alias, too). They are refused where
/// they are written, in the configuration and in the minutes of an agenda file.
#[test]
fn matrix_ids_longer_than_matrix_allows_are_refused() {
    use convene::i18n::Language;

    let long = |sigil: &str, length: usize| format!("{sigil}{}:localhost", "a".repeat(length - 11));
    let yaml = valid()
        .replace("\"@convene:localhost\"", &format!("\"{}\"", long("@", 256)))
        .replace(
            "[\"@organizer:localhost\"]",
            &format!("[\"@organizer:localhost\", \"{}\"]", long("@", 300)),
        )
        .replace(
            "\"#orga:localhost\"",
            &format!("\"{}\"", long("#", 100_000)),
        )
        .replace("\"#kl:localhost\"", &format!("\"{}\"", long("!", 256)));
    let errors = match Config::parse(Path::new("ids.yaml"), yaml) {
        Ok(_) => panic!("ids longer than 255 bytes were accepted"),
        Err(diagnostics) => diagnostics,
    };
    let a80 = format!("@{}", "a".repeat(79));
    let h80 = format!("#{}", "a".repeat(79));
    let b80 = format!("!{}", "a".repeat(79));
    assert_eq!(
        errors.to_string(),
        format!(
            "\
ids.yaml:3:12: error: bot.user_id: `{a80}…` has 256 bytes; a Matrix user id has at most 255 bytes, with its sigil and server name
  hint: shorten it: Matrix refuses longer ids
ids.yaml:8:40: error: network.organizers[1]: `{a80}…` has 300 bytes; a Matrix user id has at most 255 bytes, with its sigil and server name
  hint: shorten it: Matrix refuses longer ids
ids.yaml:9:20: error: network.organizers_room: `{h80}…` has 100000 bytes; a room id or alias has at most 255 bytes, with its sigil and server name
  hint: shorten it: Matrix refuses longer ids
ids.yaml:12:13: error: network.members[0].room: `{b80}…` has 256 bytes; a room id or alias has at most 255 bytes, with its sigil and server name
  hint: shorten it: Matrix refuses longer ids"
        )
    );
    assert_eq!(
        errors
            .render(Language::German)
            .lines()
            .take(2)
            .collect::<Vec<_>>(),
        [
            format!(
                "ids.yaml:3:12: Fehler: bot.user_id: `{a80}…` hat 256 Bytes; eine Matrix-Benutzer-ID hat höchstens 255 Bytes, mit Kennzeichen und Servername"
            ),
            "  Hinweis: Kürzen Sie sie: Matrix lehnt längere IDs ab".to_owned(),
        ]
    );
    assert_eq!(
        errors.render(Language::German).lines().nth(4),
        Some(
            format!(
                "ids.yaml:9:20: Fehler: network.organizers_room: `{h80}…` hat 100000 Bytes; eine Raum-ID oder Raumadresse (Alias) hat höchstens 255 Bytes, mit Kennzeichen und Servername"
            )
            .as_str()
        )
    );
    // 255 bytes are fine.
    let yaml = valid().replace("\"@convene:localhost\"", &format!("\"{}\"", long("@", 255)));
    assert!(Config::parse(Path::new("ids.yaml"), yaml).is_ok());

    // The owner of an action in the minutes of an agenda file.
    let dir = network_dir("agendas");
    std::fs::write(
        dir.path().join("agendas/2026-12-17.yaml"),
        format!(
            "meeting:\n  series: videokonferenz\n  date: 2026-12-17\nitems:\n  - title: Open Data\nminutes:\n  topics:\n    - item: 1\n      actions:\n        - owner: \"{}\"\n          task: Folien senden\n",
            long("@", 1_000)
        ),
    )
    .unwrap();
    assert_eq!(
        network_errors_of(&dir.path().join("convene.yaml")),
        format!(
            "agendas/2026-12-17.yaml:10:18: error: minutes.topics[0].actions[0].owner: `{a80}…` has 1000 bytes; a Matrix user id has at most 255 bytes, with its sigil and server name
  hint: shorten it: Matrix refuses longer ids"
        )
    );
}

/// Every link — the homeserver, the source, the feed address, a series' video link and a moved
/// meeting's, an agenda file's video link, its items' links and documents and its minutes'
/// links — is at most 2048 bytes as written out; one byte more is refused where it stands. An
/// umlaut counts as written in a URL (`%C3%A4`, six bytes).
#[test]
fn links_longer_than_2048_bytes_are_refused() {
    let fits = format!("https://example.org/{}", "a".repeat(2_048 - 20));
    let long = format!("https://example.org/{}", "a".repeat(2_048 - 19));
    let umlaut = format!("https://example.org/{}ä", "a".repeat(2_048 - 25));
    let config = format!(
        "homeserver: {long}\nsource_url: {long}\ncalendar:\n  contact: info@ikone-ds.de\n  public_url: {long}\n{}      video_link: {umlaut}\n      exceptions:\n        - {{ date: 2026-02-19, new_video_link: {long} }}\n        - {{ date: 2026-03-19, new_video_link: {fits} }}\n",
        valid().replacen("homeserver: http://127.0.0.1:8008\n", "", 1)
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("convene.yaml"), config).unwrap();
    assert_eq!(
        errors_of_path(&dir.path().join("convene.yaml")),
        "\
convene.yaml:1:13: error: homeserver: the link is 2049 characters long; convene accepts at most 2048
  hint: use a shorter address, such as the short link of your conference or document service (umlauts and spaces count as written in a URL: `ä` as `%C3%A4`)
convene.yaml:2:13: error: source_url: the link is 2049 characters long; convene accepts at most 2048
  hint: use a shorter address, such as the short link of your conference or document service (umlauts and spaces count as written in a URL: `ä` as `%C3%A4`)
convene.yaml:5:15: error: calendar.public_url: the link is 2049 characters long; convene accepts at most 2048
  hint: use a shorter address, such as the short link of your conference or document service (umlauts and spaces count as written in a URL: `ä` as `%C3%A4`)
convene.yaml:25:19: error: meetings.series[0].video_link: the link is 2049 characters long; convene accepts at most 2048
  hint: use a shorter address, such as the short link of your conference or document service (umlauts and spaces count as written in a URL: `ä` as `%C3%A4`)
convene.yaml:27:47: error: meetings.series[0].exceptions[0].new_video_link: the link is 2049 characters long; convene accepts at most 2048
  hint: use a shorter address, such as the short link of your conference or document service (umlauts and spaces count as written in a URL: `ä` as `%C3%A4`)"
    );

    let dir = network_dir("agendas");
    std::fs::write(
        dir.path().join("agendas/w.yaml"),
        format!(
            "meeting:\n  title: Workshop\n  date: 2027-04-09\n  start: \"10:00\"\n  duration: 2h\n  video_link: {long}\nitems:\n  - title: Förderprogramme\n    links:\n      - {{ title: Übersicht, url: {umlaut} }}\n      - {{ title: Passt, url: {fits} }}\n    documents:\n      - {{ title: Leitfaden, url: {long} }}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("agendas/2026-01-15.yaml"),
        format!(
            "meeting:\n  series: videokonferenz\n  date: 2026-01-15\nminutes:\n  chair: Dirk Andres\n  topics:\n    - title: Offene Daten\n      links:\n        - {{ title: Portal, url: {long} }}\n"
        ),
    )
    .unwrap();
    assert_eq!(
        network_errors_of(&dir.path().join("convene.yaml")),
        "\
agendas/2026-01-15.yaml:9:33: error: minutes.topics[0].links[0].url: the link is 2049 characters long; convene accepts at most 2048
  hint: use a shorter address, such as the short link of your conference or document service (umlauts and spaces count as written in a URL: `ä` as `%C3%A4`)
agendas/w.yaml:6:15: error: meeting.video_link: the link is 2049 characters long; convene accepts at most 2048
  hint: use a shorter address, such as the short link of your conference or document service (umlauts and spaces count as written in a URL: `ä` as `%C3%A4`)
agendas/w.yaml:10:34: error: items[0].links[0].url: the link is 2049 characters long; convene accepts at most 2048
  hint: use a shorter address, such as the short link of your conference or document service (umlauts and spaces count as written in a URL: `ä` as `%C3%A4`)
agendas/w.yaml:13:34: error: items[0].documents[0].url: the link is 2049 characters long; convene accepts at most 2048
  hint: use a shorter address, such as the short link of your conference or document service (umlauts and spaces count as written in a URL: `ä` as `%C3%A4`)"
    );
    // The same diagnostics as the organizers' room shows them in a German network.
    let diagnostics =
        convene::network::Network::load(&dir.path().join("convene.yaml")).unwrap_err();
    insta::assert_snapshot!(
        "link_too_long_german",
        diagnostics.render(convene::i18n::Language::German)
    );
}

fn errors_of_path(path: &Path) -> String {
    match Config::load(path) {
        Ok(_) => panic!("{} was accepted", path.display()),
        Err(diagnostics) => diagnostics.to_string(),
    }
}
