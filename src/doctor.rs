//! `convene doctor`: what an operator needs to know before (or instead of) reading logs —
//! is the bot in every configured room, may it post and pin there, does the calendar feed
//! answer at its public address.
//!
//! This module is the pure half: it turns [`Facts`] (gathered by `bot::doctor`, which talks to
//! the homeserver) into a [`Report`] of findings, each OK, WARN or FAIL, and renders it as a
//! table. A FAIL is a problem that stops the bot from doing its job in a room (not in it, cannot
//! post); a WARN is one it works around (cannot pin, feed unreachable).

use std::fmt::Write as _;

/// Everything the doctor found out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The bot's user id, from the stored session.
    pub user_id: String,
    /// Its device id, from the stored session.
    pub device_id: String,
    /// One entry per configured room, in the order of [`crate::config::Config::rooms`].
    pub rooms: Vec<RoomFacts>,
    /// The calendar feed, if one is configured.
    pub feed: Option<FeedFacts>,
}

/// One configured room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomFacts {
    /// What the room is to the network: "organizers' room", "minutes room", or the member's
    /// name.
    pub label: String,
    /// The room as configured: an alias or a room id.
    pub configured: String,
    /// What became of it.
    pub reach: Reach,
}

/// Whether the configured room could be found, and the bot's place in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// The alias names no room.
    NoSuchAlias,
    /// The alias could not be resolved for another reason (the error).
    Unresolvable(String),
    /// The room was found, but what the bot needs to know of it could not be read.
    Unreadable {
        /// The room id.
        room_id: String,
        /// The error.
        error: String,
    },
    /// The room, by id, and the bot's membership.
    Room {
        /// The room id.
        room_id: String,
        /// The bot's membership.
        membership: Membership,
    },
}

/// The bot's membership in a room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Membership {
    /// The bot knows nothing of the room: never invited, never in it.
    None,
    /// Invited, not joined.
    Invited,
    /// Knocked, not let in.
    Knocked,
    /// Left or removed.
    Left,
    /// Banned.
    Banned,
    /// Joined; what the room is like.
    Joined(Joined),
}

/// A room the bot is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    /// Whether messages are end-to-end encrypted (then the bot sends `m.room.encrypted`).
    pub encrypted: bool,
    /// How many members have joined, the bot included.
    pub members: usize,
    /// The bot's power level.
    pub level: Level,
    /// The level needed to send the event type the bot's messages go out as
    /// (`m.room.encrypted` in an encrypted room, `m.room.message` otherwise); edits and
    /// files are the same event type.
    pub send_needs: i64,
    /// The level needed to change `m.room.pinned_events` (the bot pins announcements).
    pub pin_needs: i64,
}

/// A user's power level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// A room creator in room version 12 and later: above every number.
    Creator,
    /// A number.
    Number(i64),
}

impl Level {
    fn reaches(self, needed: i64) -> bool {
        match self {
            Self::Creator => true,
            Self::Number(level) => level >= needed,
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Creator => f.write_str("creator"),
            Self::Number(level) => write!(f, "{level}"),
        }
    }
}

/// The calendar feed's health check at its public address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedFacts {
    /// `calendar.public_url` + `healthz`.
    pub url: String,
    /// Where the feed listens (`calendar.listen`).
    pub listen: String,
    /// Whether the doctor itself listened there for the check (the bot, which serves the feed,
    /// is stopped while the doctor runs); otherwise another process held the address.
    pub doctor_listened: bool,
    /// What came back.
    pub outcome: FeedOutcome,
}

/// What the health check got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedOutcome {
    /// An HTTP answer with this status code.
    Status(u16),
    /// No connection could be made.
    NoConnection,
    /// No answer within this many seconds.
    Timeout(u64),
    /// Another failure (the error).
    Failed(String),
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    /// Fine.
    Ok,
    /// The bot works around it, but something is missing.
    Warn,
    /// The bot cannot do its job there.
    Fail,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Warn => "WARN",
            Self::Fail => "FAIL",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How bad.
    pub status: Status,
    /// What it is about: "bot", a room's label, "calendar feed".
    pub subject: String,
    /// Which check.
    pub check: &'static str,
    /// What was found, and what to do if it is not OK.
    pub detail: String,
}

/// Every finding, in the order of the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The findings.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Judges the facts.
    pub fn from_facts(facts: &Facts) -> Self {
        let mut findings = vec![Finding {
            status: Status::Ok,
            subject: "bot".to_owned(),
            check: "session",
            detail: format!(
                "{}, device {}, restored from the data directory (no new device)",
                facts.user_id, facts.device_id
            ),
        }];
        for room in &facts.rooms {
            room_findings(room, &mut findings);
        }
        if let Some(feed) = &facts.feed {
            findings.push(feed_finding(feed));
        }
        Self { findings }
    }

    /// Whether something stops the bot from doing its job.
    pub fn blocking(&self) -> bool {
        self.count(Status::Fail) > 0
    }

    /// The process exit code: 1 if something is blocking, 0 otherwise (warnings included).
    pub fn exit_code(&self) -> u8 {
        u8::from(self.blocking())
    }

    fn count(&self, status: Status) -> usize {
        self.findings.iter().filter(|f| f.status == status).count()
    }

    /// The report as a table: a header, one line per finding, columns padded to the longest
    /// entry; then a summary line.
    pub fn render(&self) -> String {
        let width = |column: fn(&Finding) -> usize, header: &str| {
            self.findings
                .iter()
                .map(column)
                .chain([header.chars().count()])
                .max()
                .unwrap_or(0)
        };
        let status = width(|f| f.status.as_str().len(), "STATUS");
        let subject = width(|f| f.subject.chars().count(), "SUBJECT");
        let check = width(|f| f.check.len(), "CHECK");
        let mut out = String::new();
        let mut line = |a: &str, b: &str, c: &str, d: &str| {
            let _ = writeln!(out, "{a:status$}  {b:subject$}  {c:check$}  {d}");
        };
        line("STATUS", "SUBJECT", "CHECK", "DETAIL");
        for finding in &self.findings {
            line(
                finding.status.as_str(),
                &finding.subject,
                finding.check,
                &finding.detail,
            );
        }
        let failures = self.count(Status::Fail);
        let warnings = self.count(Status::Warn);
        let _ = writeln!(
            out,
            "{}, {}",
            plural(failures, "blocking problem", "blocking problems"),
            plural(warnings, "warning", "warnings")
        );
        out
    }
}

fn plural(count: usize, one: &str, many: &str) -> String {
    match count {
        0 => format!("no {many}"),
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

fn room_findings(room: &RoomFacts, findings: &mut Vec<Finding>) {
    let mut push = |status, check, detail: String| {
        findings.push(Finding {
            status,
            subject: room.label.clone(),
            check,
            detail,
        });
    };
    let configured = &room.configured;
    let (room_id, membership) = match &room.reach {
        Reach::NoSuchAlias => {
            push(
                Status::Fail,
                "membership",
                format!(
                    "{configured}: no room has this alias; create the alias or configure the room id"
                ),
            );
            return;
        }
        Reach::Unresolvable(error) => {
            push(
                Status::Fail,
                "membership",
                format!("{configured}: cannot resolve the alias: {error}"),
            );
            return;
        }
        Reach::Unreadable { room_id, error } => {
            push(
                Status::Fail,
                "membership",
                format!("{configured} ({room_id}): cannot read the room: {error}"),
            );
            return;
        }
        Reach::Room {
            room_id,
            membership,
        } => (room_id, membership),
    };
    let shown = if configured == room_id {
        room_id.clone()
    } else {
        format!("{configured} ({room_id})")
    };
    let not_joined = match membership {
        Membership::Joined(joined) => {
            push(
                Status::Ok,
                "membership",
                format!(
                    "{shown}: joined, {}",
                    plural(joined.members, "member", "members")
                ),
            );
            joined_findings(joined, &mut push);
            return;
        }
        Membership::None => {
            "the bot is not in this room and not invited; invite it, then start the bot"
        }
        Membership::Invited => {
            "invited but not joined; start the bot, it joins configured rooms it is invited to"
        }
        Membership::Knocked => "the bot knocked but was not let in; invite it",
        Membership::Left => "the bot left or was removed; invite it again",
        Membership::Banned => "the bot is banned; unban it and invite it again",
    };
    push(Status::Fail, "membership", format!("{shown}: {not_joined}"));
}

fn joined_findings(joined: &Joined, push: &mut impl FnMut(Status, &'static str, String)) {
    push(
        Status::Ok,
        "encryption",
        if joined.encrypted {
            "encrypted"
        } else {
            "not encrypted"
        }
        .to_owned(),
    );
    let event_type = if joined.encrypted {
        "m.room.encrypted"
    } else {
        "m.room.message"
    };
    let send = format!(
        "the bot's power level {}, sending ({event_type}) needs {}",
        joined.level, joined.send_needs
    );
    if joined.level.reaches(joined.send_needs) {
        push(Status::Ok, "send", send);
    } else {
        push(
            Status::Fail,
            "send",
            format!(
                "{send}; the bot cannot post, edit or send files here: raise its power level to {}",
                joined.send_needs
            ),
        );
    }
    let pin = format!(
        "the bot's power level {}, pinning (m.room.pinned_events) needs {}",
        joined.level, joined.pin_needs
    );
    if joined.level.reaches(joined.pin_needs) {
        push(Status::Ok, "pin", pin);
    } else {
        push(
            Status::Warn,
            "pin",
            format!(
                "{pin}; announcements are not pinned: raise its power level to {}",
                joined.pin_needs
            ),
        );
    }
}

fn feed_finding(feed: &FeedFacts) -> Finding {
    let listener = if feed.doctor_listened {
        format!("the doctor listened on {} for the check", feed.listen)
    } else {
        format!("another process listens on {}", feed.listen)
    };
    let url = &feed.url;
    let (status, detail) = match &feed.outcome {
        FeedOutcome::Status(200) => (Status::Ok, format!("{url} answered 200 ({listener})")),
        FeedOutcome::Status(code) => (
            Status::Warn,
            format!(
                "{url} answered {code} ({listener}); calendar subscriptions and links will not work"
            ),
        ),
        FeedOutcome::NoConnection => (
            Status::Warn,
            format!("{url}: no connection ({listener}); check the address and the reverse proxy"),
        ),
        FeedOutcome::Timeout(seconds) => (
            Status::Warn,
            format!(
                "{url}: no answer within {seconds} s ({listener}); check the address and the reverse proxy"
            ),
        ),
        FeedOutcome::Failed(error) => (Status::Warn, format!("{url}: {error} ({listener})")),
    };
    Finding {
        status,
        subject: "calendar feed".to_owned(),
        check: "reachable",
        detail,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn joined(encrypted: bool, level: Level, send_needs: i64, pin_needs: i64) -> Membership {
        Membership::Joined(Joined {
            encrypted,
            members: 3,
            level,
            send_needs,
            pin_needs,
        })
    }

    fn room(label: &str, configured: &str, room_id: &str, membership: Membership) -> RoomFacts {
        RoomFacts {
            label: label.to_owned(),
            configured: configured.to_owned(),
            reach: Reach::Room {
                room_id: room_id.to_owned(),
                membership,
            },
        }
    }

    fn facts(rooms: Vec<RoomFacts>, feed: Option<FeedFacts>) -> Facts {
        Facts {
            user_id: "@convene:example.org".to_owned(),
            device_id: "ABCDEFGHIJ".to_owned(),
            rooms,
            feed,
        }
    }

    #[test]
    fn a_healthy_network_is_all_ok_and_exits_0() {
        let report = Report::from_facts(&facts(
            vec![
                room(
                    "organizers' room",
                    "#orga:example.org",
                    "!orga:example.org",
                    joined(true, Level::Number(100), 0, 50),
                ),
                room(
                    "Kaiserslautern",
                    "!kl:example.org",
                    "!kl:example.org",
                    joined(false, Level::Creator, 0, 50),
                ),
            ],
            Some(FeedFacts {
                url: "https://calendar.example.org/healthz".to_owned(),
                listen: "127.0.0.1:8080".to_owned(),
                doctor_listened: true,
                outcome: FeedOutcome::Status(200),
            }),
        ));
        assert_eq!(
            report.render(),
            "\
STATUS  SUBJECT           CHECK       DETAIL
OK      bot               session     @convene:example.org, device ABCDEFGHIJ, restored from the data directory (no new device)
OK      organizers' room  membership  #orga:example.org (!orga:example.org): joined, 3 members
OK      organizers' room  encryption  encrypted
OK      organizers' room  send        the bot's power level 100, sending (m.room.encrypted) needs 0
OK      organizers' room  pin         the bot's power level 100, pinning (m.room.pinned_events) needs 50
OK      Kaiserslautern    membership  !kl:example.org: joined, 3 members
OK      Kaiserslautern    encryption  not encrypted
OK      Kaiserslautern    send        the bot's power level creator, sending (m.room.message) needs 0
OK      Kaiserslautern    pin         the bot's power level creator, pinning (m.room.pinned_events) needs 50
OK      calendar feed     reachable   https://calendar.example.org/healthz answered 200 (the doctor listened on 127.0.0.1:8080 for the check)
no blocking problems, no warnings
"
        );
        assert!(!report.blocking());
        assert_eq!(report.exit_code(), 0);
    }

    #[test]
    fn a_missing_pin_right_and_an_unreachable_feed_are_warnings() {
        let report = Report::from_facts(&facts(
            vec![room(
                "Mayen-Koblenz",
                "#mk:example.org",
                "!mk:example.org",
                joined(false, Level::Number(0), 0, 100),
            )],
            Some(FeedFacts {
                url: "http://127.0.0.1:9/healthz".to_owned(),
                listen: "127.0.0.1:9".to_owned(),
                doctor_listened: false,
                outcome: FeedOutcome::NoConnection,
            }),
        ));
        let rendered = report.render();
        let lines: Vec<&str> = rendered.lines().skip(4).collect();
        assert_eq!(
            lines,
            [
                "OK      Mayen-Koblenz  send        the bot's power level 0, sending (m.room.message) needs 0",
                "WARN    Mayen-Koblenz  pin         the bot's power level 0, pinning (m.room.pinned_events) needs 100; announcements are not pinned: raise its power level to 100",
                "WARN    calendar feed  reachable   http://127.0.0.1:9/healthz: no connection (another process listens on 127.0.0.1:9); check the address and the reverse proxy",
                "no blocking problems, 2 warnings",
            ]
        );
        assert_eq!(report.exit_code(), 0);
    }

    #[test]
    fn not_being_in_a_room_or_not_being_allowed_to_post_is_blocking() {
        let report = Report::from_facts(&facts(
            vec![
                room(
                    "A",
                    "#a:example.org",
                    "!a:example.org",
                    joined(true, Level::Number(0), 50, 50),
                ),
                room("B", "#b:example.org", "!b:example.org", Membership::Invited),
                room("C", "!c:example.org", "!c:example.org", Membership::None),
                room("D", "#d:example.org", "!d:example.org", Membership::Left),
                room("E", "#e:example.org", "!e:example.org", Membership::Banned),
                room("F", "#f:example.org", "!f:example.org", Membership::Knocked),
                RoomFacts {
                    label: "G".to_owned(),
                    configured: "#g:example.org".to_owned(),
                    reach: Reach::NoSuchAlias,
                },
                RoomFacts {
                    label: "H".to_owned(),
                    configured: "#h:example.org".to_owned(),
                    reach: Reach::Unresolvable("the homeserver is not reachable".to_owned()),
                },
                RoomFacts {
                    label: "I".to_owned(),
                    configured: "#i:example.org".to_owned(),
                    reach: Reach::Unreadable {
                        room_id: "!i:example.org".to_owned(),
                        error: "the request timed out".to_owned(),
                    },
                },
            ],
            Some(FeedFacts {
                url: "https://calendar.example.org/healthz".to_owned(),
                listen: "127.0.0.1:8080".to_owned(),
                doctor_listened: true,
                outcome: FeedOutcome::Status(502),
            }),
        ));
        let rendered = report.render();
        let lines: Vec<&str> = rendered.lines().skip(2).collect();
        assert_eq!(
            lines,
            [
                "OK      A              membership  #a:example.org (!a:example.org): joined, 3 members",
                "OK      A              encryption  encrypted",
                "FAIL    A              send        the bot's power level 0, sending (m.room.encrypted) needs 50; the bot cannot post, edit or send files here: raise its power level to 50",
                "WARN    A              pin         the bot's power level 0, pinning (m.room.pinned_events) needs 50; announcements are not pinned: raise its power level to 50",
                "FAIL    B              membership  #b:example.org (!b:example.org): invited but not joined; start the bot, it joins configured rooms it is invited to",
                "FAIL    C              membership  !c:example.org: the bot is not in this room and not invited; invite it, then start the bot",
                "FAIL    D              membership  #d:example.org (!d:example.org): the bot left or was removed; invite it again",
                "FAIL    E              membership  #e:example.org (!e:example.org): the bot is banned; unban it and invite it again",
                "FAIL    F              membership  #f:example.org (!f:example.org): the bot knocked but was not let in; invite it",
                "FAIL    G              membership  #g:example.org: no room has this alias; create the alias or configure the room id",
                "FAIL    H              membership  #h:example.org: cannot resolve the alias: the homeserver is not reachable",
                "FAIL    I              membership  #i:example.org (!i:example.org): cannot read the room: the request timed out",
                "WARN    calendar feed  reachable   https://calendar.example.org/healthz answered 502 (the doctor listened on 127.0.0.1:8080 for the check); calendar subscriptions and links will not work",
                "9 blocking problems, 2 warnings",
            ]
        );
        assert!(report.blocking());
        assert_eq!(report.exit_code(), 1);
    }

    #[test]
    fn a_feed_that_times_out_or_fails_otherwise_is_a_warning() {
        let feed = |outcome| {
            let report = Report::from_facts(&facts(
                Vec::new(),
                Some(FeedFacts {
                    url: "https://c.example.org/healthz".to_owned(),
                    listen: "127.0.0.1:8080".to_owned(),
                    doctor_listened: true,
                    outcome,
                }),
            ));
            let finding = report.findings.last().cloned().unwrap();
            (finding.status, finding.detail)
        };
        assert_eq!(
            feed(FeedOutcome::Timeout(5)),
            (
                Status::Warn,
                "https://c.example.org/healthz: no answer within 5 s (the doctor listened on 127.0.0.1:8080 for the check); check the address and the reverse proxy".to_owned()
            )
        );
        assert_eq!(
            feed(FeedOutcome::Failed("invalid certificate".to_owned())),
            (
                Status::Warn,
                "https://c.example.org/healthz: invalid certificate (the doctor listened on 127.0.0.1:8080 for the check)".to_owned()
            )
        );
    }
}
