//! Every broken file under `tests/fixtures/config/` gives exactly the errors an organizer should
//! see: all of them, each with `file:line:col`, the YAML path and a hint.

use std::path::Path;

use convene::config::Config;

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
tests/fixtures/config/unknown_keys.yaml:2:1: error: homeservr: unknown key `homeservr`
  hint: did you mean `homeserver`?
tests/fixtures/config/unknown_keys.yaml:6:3: error: bot.passwort: unknown key `passwort`
  hint: did you mean `password`?
tests/fixtures/config/unknown_keys.yaml:15:7: error: network.members[0].colour: unknown key `colour`
  hint: known keys here: name, room"
    );
}

#[test]
fn invalid_user_room_and_server_ids_are_all_reported() {
    assert_eq!(
        errors_of("invalid_ids.yaml"),
        "\
tests/fixtures/config/invalid_ids.yaml:3:12: error: bot.user_id: `convene` is not a Matrix user id
  hint: write a full user id such as `@anna.schmidt:example.org`, in quotes
tests/fixtures/config/invalid_ids.yaml:10:7: error: network.organizers[1]: `dirk.andres` is not a Matrix user id
  hint: write a full user id such as `@anna.schmidt:example.org`, in quotes
tests/fixtures/config/invalid_ids.yaml:11:20: error: network.organizers_room: `orga:localhost` is not a room id or alias
  hint: write a room id such as `!AbCdEf:example.org` or an alias such as `#kaiserslautern:example.org`, in quotes
tests/fixtures/config/invalid_ids.yaml:16:13: error: network.members[1].room: `bitburg` is not a room id or alias
  hint: write a room id such as `!AbCdEf:example.org` or an alias such as `#kaiserslautern:example.org`, in quotes
tests/fixtures/config/invalid_ids.yaml:18:5: error: accept_invites_from[0]: `https://localhost` is not a homeserver name
  hint: write the server name only, such as `matrix.kaiserslautern.de`, without `https://`"
    );
}

#[test]
fn bad_url_time_zone_and_language() {
    assert_eq!(
        errors_of("timezone_language.yaml"),
        "\
tests/fixtures/config/timezone_language.yaml:1:13: error: homeserver: `matrix.example.org` is not an http(s) URL
  hint: write the homeserver's base URL, such as `https://matrix.example.org`
tests/fixtures/config/timezone_language.yaml:6:11: error: timezone: unknown time zone `Europe/Berln`
  hint: use an IANA time zone name such as `Europe/Berlin`
tests/fixtures/config/timezone_language.yaml:7:11: error: language: unknown language `fr`
  hint: write `de` (formal German) or `en` (English)"
    );
}

#[test]
fn missing_keys_point_at_their_section() {
    assert_eq!(
        errors_of("missing_keys.yaml"),
        "\
tests/fixtures/config/missing_keys.yaml:1:1: error: missing key `homeserver`
  hint: add `homeserver: https://matrix.example.org`, the URL of the bot's homeserver
tests/fixtures/config/missing_keys.yaml:1:1: error: missing key `data_dir`
  hint: add `data_dir: /var/lib/convene`, where the bot keeps its session and keys
tests/fixtures/config/missing_keys.yaml:2:3: error: bot: missing key `user_id`
  hint: write a full user id such as `@anna.schmidt:example.org`, in quotes
tests/fixtures/config/missing_keys.yaml:4:3: error: network: missing key `organizers`
  hint: add `organizers:` with the user ids of the people who run the network
tests/fixtures/config/missing_keys.yaml:7:7: error: network.members[0]: missing key `name`
  hint: add `name:`, the municipality's name"
    );
}

#[test]
fn a_password_written_into_the_file_is_refused() {
    assert_eq!(
        errors_of("password_in_file.yaml"),
        "\
tests/fixtures/config/password_in_file.yaml:4:13: error: bot.password: expected `env:` or `file:`, not the secret itself
  hint: the password never goes into this file: write `{ env: VARIABLE }` or `{ file: PATH }`"
    );
}

#[test]
fn duplicates_and_clashes_between_rooms() {
    assert_eq!(
        errors_of("duplicate_rooms.yaml"),
        "\
tests/fixtures/config/duplicate_rooms.yaml:4:13: error: bot.password: give exactly one of `env:` and `file:`
  hint: the password never goes into this file: write `{ env: VARIABLE }` or `{ file: PATH }`
tests/fixtures/config/duplicate_rooms.yaml:8:15: error: network.organizers: the network has no organizers
  hint: write a full user id such as `@anna.schmidt:example.org`, in quotes
tests/fixtures/config/duplicate_rooms.yaml:10:17: error: network.minutes_room: `#kl:localhost` is both the minutes room and a member room
  hint: minutes are taken among the chairs; use the organizers' room or a room of its own
tests/fixtures/config/duplicate_rooms.yaml:14:7: error: network.members[1]: Kaiserslautern is listed twice
  hint: list every municipality once
tests/fixtures/config/duplicate_rooms.yaml:15:13: error: network.members[1].room: `#kl:localhost` is already the room of Kaiserslautern
  hint: every municipality needs its own room
tests/fixtures/config/duplicate_rooms.yaml:17:13: error: network.members[2].room: `#orga:localhost` is both the organizers' room and a member room
  hint: give the organizers a room of their own, so their discussions stay among them"
    );
}

#[test]
fn wrong_types_are_named() {
    assert_eq!(
        errors_of("wrong_types.yaml"),
        "\
tests/fixtures/config/wrong_types.yaml:1:13: error: homeserver: expected text, found a number
  hint: put the value in quotes
tests/fixtures/config/wrong_types.yaml:2:6: error: bot: expected a mapping, found text
  hint: write `key: value` pairs, indented below this key
tests/fixtures/config/wrong_types.yaml:3:11: error: data_dir: expected text, found a list
  hint: write a single value on the same line as the key
tests/fixtures/config/wrong_types.yaml:6:15: error: network.organizers: expected a list, found text
  hint: write one entry per line, each starting with `- `
tests/fixtures/config/wrong_types.yaml:9:5: error: network.members: expected a list, found a mapping
  hint: write one entry per line, each starting with `- `"
    );
}

#[test]
fn a_syntax_error_has_its_position() {
    assert_eq!(
        errors_of("syntax_error.yaml"),
        "\
tests/fixtures/config/syntax_error.yaml:4:4: error: this is not valid YAML: did not find expected key, while parsing a block mapping
  hint: check the indentation, and quote values that contain `: ` or start with `@`, `!`, `#`, `&` or `*`"
    );
}

#[test]
fn a_repeated_key_is_an_error() {
    assert_eq!(
        errors_of("duplicate_key.yaml"),
        "\
tests/fixtures/config/duplicate_key.yaml:1:1: error: this is not valid YAML: duplicate entry with key \"data_dir\"
  hint: a key may appear only once in a section: remove or merge the repeated one"
    );
}

#[test]
fn a_missing_file_is_reported() {
    assert_eq!(
        errors_of("does_not_exist.yaml"),
        "tests/fixtures/config/does_not_exist.yaml: error: cannot read the configuration: No such file or directory (os error 2)
  hint: pass the file with `--config FILE`"
    );
}

#[test]
fn the_shipped_configurations_are_valid() {
    for file in ["config/convene.example.yaml", "config/demo.yaml"] {
        let config = Config::load(Path::new(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(config.timezone, chrono_tz::Europe::Berlin);
        assert_eq!(config.network.name, "IKONE DS");
        assert_eq!(config.network.members.len(), 3);
    }
}

#[test]
fn meetings_errors_are_all_reported() {
    assert_eq!(
        errors_of("meetings_errors.yaml"),
        r#"tests/fixtures/config/meetings_errors.yaml:14:13: error: meetings.holidays: `XY` is not a German state
  hint: write the state's code: BB, BE, BW, BY, HB, HE, HH, MV, NI, NW, RP, SH, SL, SN, ST, TH
tests/fixtures/config/meetings_errors.yaml:15:19: error: meetings.reminders[1]: `1 day` is not a duration
  hint: write a number and a unit (d, h, m or s), e.g. `90m`, `1h30m`, `7d`
tests/fixtures/config/meetings_errors.yaml:20:14: error: meetings.series[0].first: 2026-01-14 is not an occurrence of the rule `FREQ=MONTHLY;BYDAY=3TH`
  hint: the first date must itself be one of the meetings
tests/fixtures/config/meetings_errors.yaml:24:11: error: meetings.series[0].exceptions[0]: a meeting cannot be both cancelled and moved
  hint: remove `cancelled: true` or the `new_…` keys
tests/fixtures/config/meetings_errors.yaml:27:17: error: meetings.series[0].exceptions[1].date: 2026-04-17 is not a date of this series
  hint: give the regular date of the meeting that is cancelled or moved
tests/fixtures/config/meetings_errors.yaml:29:11: error: meetings.series[0].exceptions[2]: this exception changes nothing
  hint: add `cancelled: true`, or `new_date:`, `new_start:`, `new_duration:` or `new_video_link:`
tests/fixtures/config/meetings_errors.yaml:30:11: error: meetings.series[1].id: `Stammtisch` is not a valid id
  hint: use lower-case letters, digits and dashes, e.g. `videokonferenz`
tests/fixtures/config/meetings_errors.yaml:32:13: error: meetings.series[1].rule: BYDAY mixes weekdays with and without a number
  hint: calendars disagree on such rules; use two series instead, e.g. one with BYDAY=MO and one with BYDAY=-1WE
tests/fixtures/config/meetings_errors.yaml:34:14: error: meetings.series[1].start: `25:00` is not a time of day
  hint: write the local time as HH:MM in quotes, e.g. `"10:00"`
tests/fixtures/config/meetings_errors.yaml:35:17: error: meetings.series[1].duration: `1,5h` is not a duration
  hint: write a number and a unit (d, h, m or s), e.g. `90m`, `1h30m`, `7d`"#
    );
}

#[test]
/// Sixteen broken agenda files: every error of every file, in file order.
fn agenda_errors_of_every_file_are_reported() {
    let errors =
        match convene::network::Network::load(Path::new("tests/fixtures/agendas/config.yaml")) {
            Ok(_) => panic!("the broken agendas were accepted"),
            Err(diagnostics) => diagnostics.to_string(),
        };
    assert_eq!(
        errors,
        r#"tests/fixtures/agendas/broken/2026-10-15-minutes.yaml:8:29: error: minutes.present[1]: `Atlantis` is no member municipality
  hint: the members: Kaiserslautern
tests/fixtures/agendas/broken/2026-10-15-minutes.yaml:10:13: error: minutes.topics[0].item: there is no agenda item 2
  hint: number the items from 1 to 1, or give a `title:`
tests/fixtures/agendas/broken/2026-10-15-minutes.yaml:14:11: error: minutes.topics[1].actions[0]: missing key `task`
  hint: add `task:`, what is to be done
tests/fixtures/agendas/broken/2026-10-15-minutes.yaml:15:16: error: minutes.topics[1].actions[0].due: `15.01.2027` is not a date
  hint: write the date as YYYY-MM-DD, e.g. `2026-12-17`
tests/fixtures/agendas/broken/2026-10-15-minutes.yaml:16:7: error: minutes.topics[2]: this topic names no agenda item
  hint: add `item:` with the agenda item's number, or `title:`
tests/fixtures/agendas/broken/2026-11-19-too-long.yaml:5:3: error: items: the items take 1h45m, longer than the meeting's 1h30m
  hint: shorten items or make the meeting longer
tests/fixtures/agendas/broken/2026-12-16-not-an-occurrence.yaml:3:9: error: meeting.date: 2026-12-16 is not a date of the series `videokonferenz`
  hint: the series meets by the rule `FREQ=MONTHLY;BYDAY=3TH`, starting 2026-01-15
tests/fixtures/agendas/broken/2026-12-17-a.yaml:7:14: error: items[0].speaker: expected a mapping, found text
  hint: write `key: value` pairs, indented below this key
tests/fixtures/agendas/broken/2026-12-17-b.yaml:1:1: error: videokonferenz/2026-12-17 already has an agenda in tests/fixtures/agendas/broken/2026-12-17-a.yaml
  hint: keep one file per meeting
tests/fixtures/agendas/broken/bad-part-time.yaml:8:12: error: parts[0].start: `zehn Uhr` is not a time of day
  hint: write the local time as HH:MM in quotes, e.g. `"10:00"`
tests/fixtures/agendas/broken/broken-links.yaml:9:9: error: items[0].links[0]: missing key `url`
  hint: add `url:`
tests/fixtures/agendas/broken/broken-links.yaml:12:14: error: items[0].documents[0].url: `ftp://example.org/leitfaden.pdf` is not an http(s) link
  hint: write the full address, e.g. `https://meet.example.org/ikone`
tests/fixtures/agendas/broken/dst-gap.yaml:4:10: error: meeting.start: 02:30 does not exist on 2026-03-29 in Europe/Berlin: the clocks go from 02:00 straight to 03:00
  hint: choose a time before 02:00 or from 03:00 on, or another date
tests/fixtures/agendas/broken/out-of-bounds.yaml:2:10: error: meeting.title: the title contains the control character U+000D
  hint: write it on one line, as plain text
tests/fixtures/agendas/broken/out-of-bounds.yaml:3:9: error: meeting.date: `2201-01-01` is outside the dates convene plans with
  hint: write a date from 1970-01-01 to 2200-12-31
tests/fixtures/agendas/broken/out-of-bounds.yaml:5:13: error: meeting.duration: `25h` is longer than 1d
  hint: plan a longer event as several meetings
tests/fixtures/agendas/broken/out-of-bounds.yaml:6:8: error: parts: 21 parts are more than the 20 convene accepts
  hint: shorten the list
tests/fixtures/agendas/broken/out-of-bounds.yaml:9:15: error: items[0].duration: `100000000d` is longer than 1d
  hint: plan a longer event as several meetings
tests/fixtures/agendas/broken/out-of-bounds.yaml:10:18: error: items[0].description: the description contains the control character U+0000
  hint: only line breaks and tabs may be in it; remove the other control characters
tests/fixtures/agendas/broken/series-with-title.yaml:4:3: error: meeting.title: `title` cannot be set for a meeting of a series here
  hint: move, cancel or change a regular meeting under `exceptions:` in the configuration
tests/fixtures/agendas/broken/speaker-without-name.yaml:8:14: error: items[0].speaker: missing key `name`
  hint: add `name:`
tests/fixtures/agendas/broken/syntax.yaml:6:1: error: this is not valid YAML: found unexpected end of stream, while scanning a quoted scalar
  hint: check the indentation, and quote values that contain `: ` or start with `@`, `!`, `#`, `&` or `*`
tests/fixtures/agendas/broken/title-too-long.yaml:7:12: error: items[0].title: the title is longer than 200 characters
  hint: shorten it; details belong in a description or a linked document
tests/fixtures/agendas/broken/unknown-series.yaml:2:11: error: meeting.series: there is no series `stammtisch`
  hint: the configured series: videokonferenz
tests/fixtures/agendas/broken/unknown-top-key.yaml:4:1: error: agenda: unknown key `agenda`
  hint: known keys here: meeting, topic, parts, items, notes, minutes
tests/fixtures/agendas/broken/workshop.yaml:5:13: error: meeting.duration: `2 hours` is not a duration
  hint: write a number and a unit (d, h, m or s), e.g. `90m`, `1h30m`, `7d`
tests/fixtures/agendas/broken/workshop.yaml:6:15: error: meeting.video_link: `meet.example.org/workshop` is not an http(s) link
  hint: write the full address, e.g. `https://meet.example.org/ikone`
tests/fixtures/agendas/broken/workshop.yaml:9:5: error: parts[0].audiences: unknown key `audiences`
  hint: did you mean `audience`?
tests/fixtures/agendas/broken/workshop.yaml:12:11: error: items[0].part: there is no part 3
  hint: number the parts from 1 to 1
tests/fixtures/agendas/broken/workshop.yaml:13:41: error: items[0].speaker.office: unknown key `office`
  hint: known keys here: name, role, municipality"#
    );
}

#[test]
fn every_value_is_bounded() {
    assert_eq!(
        errors_of("bounds.yaml"),
        r#"tests/fixtures/config/bounds.yaml:4:20: error: bot.password.env: `CONVENE=PASSWORD` is not the name of an environment variable
  hint: use letters, digits and `_`, e.g. `CONVENE_PASSWORD`
tests/fixtures/config/bounds.yaml:5:16: error: bot.device_name: the device name contains the control character U+001B
  hint: write it on one line, as plain text
tests/fixtures/config/bounds.yaml:8:9: error: network.name: the network name contains the control character U+000A
  hint: write it on one line, as plain text
tests/fixtures/config/bounds.yaml:15:12: error: calendar.contact: `info@ikone-ds.de\r\nX-INJECTED:1` is not an e-mail address
  hint: write the address only, e.g. `info@ikone-ds.de`
tests/fixtures/config/bounds.yaml:16:15: error: calendar.uid_domain: `ikone-ds.de\0` is not a domain name
  hint: write a domain such as `ikone-ds.de`: letters, digits, dashes and dots
tests/fixtures/config/bounds.yaml:18:15: error: meetings.reminders[0]: `100000000d` is longer than 366d
  hint: announce a meeting at most a year ahead
tests/fixtures/config/bounds.yaml:18:27: error: meetings.reminders[1]: `367d` is longer than 366d
  hint: announce a meeting at most a year ahead
tests/fixtures/config/bounds.yaml:22:13: error: meetings.series[0].rule: INTERVAL=4294967295 is larger than convene accepts: write at most INTERVAL=1000, or describe a rare meeting as a workshop
  hint: see RFC 5545: FREQ=WEEKLY or MONTHLY, INTERVAL, BYDAY, BYMONTHDAY, COUNT or UNTIL
tests/fixtures/config/bounds.yaml:23:14: error: meetings.series[0].first: `+262142-12-01` is outside the dates convene plans with
  hint: write a date from 1970-01-01 to 2200-12-31
tests/fixtures/config/bounds.yaml:24:14: error: meetings.series[0].start: `23:59:60` is not a time of day
  hint: write the local time as HH:MM in quotes, e.g. `"10:00"`
tests/fixtures/config/bounds.yaml:25:17: error: meetings.series[0].duration: `100000000d` is longer than 1d
  hint: plan a longer event as several meetings
tests/fixtures/config/bounds.yaml:28:13: error: meetings.series[1].rule: COUNT=1000000000 is larger than convene accepts: write at most COUNT=10000, or leave COUNT out for a series without end
  hint: see RFC 5545: FREQ=WEEKLY or MONTHLY, INTERVAL, BYDAY, BYMONTHDAY, COUNT or UNTIL
tests/fixtures/config/bounds.yaml:29:14: error: meetings.series[1].first: `0001-01-01` is outside the dates convene plans with
  hint: write a date from 1970-01-01 to 2200-12-31
tests/fixtures/config/bounds.yaml:31:17: error: meetings.series[1].duration: `25h` is longer than 1d
  hint: plan a longer event as several meetings
tests/fixtures/config/bounds.yaml:34:13: error: meetings.series[2].rule: UNTIL=99991231 is outside the dates convene plans with: write a date from 19700101 to 22001231, or leave UNTIL out for a series without end
  hint: see RFC 5545: FREQ=WEEKLY or MONTHLY, INTERVAL, BYDAY, BYMONTHDAY, COUNT or UNTIL
tests/fixtures/config/bounds.yaml:41:21: error: meetings.series[2].exceptions[0].new_date: `2201-01-01` is outside the dates convene plans with
  hint: write a date from 1970-01-01 to 2200-12-31
tests/fixtures/config/bounds.yaml:43:25: error: meetings.series[2].exceptions[1].new_duration: `2d` is longer than 1d
  hint: plan a longer event as several meetings
tests/fixtures/config/bounds.yaml:46:17: error: meetings.series[2].exceptions[2].note: the note contains the control character U+0007
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
tests/fixtures/config/dst_gap.yaml:19:14: error: meetings.series[0].start: 02:30 does not exist on 2026-03-29 in Europe/Berlin: the clocks go from 02:00 straight to 03:00
  hint: choose a time before 02:00 or from 03:00 on, or another date
tests/fixtures/config/dst_gap.yaml:28:11: error: meetings.series[1].exceptions[0]: 02:30 does not exist on 2026-03-29 in Europe/Berlin: the clocks go from 02:00 straight to 03:00
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
