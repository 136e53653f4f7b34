//! What changed about a meeting since the bot posted about it, in terms a member cares about.
//!
//! Every delivered announcement or reminder keeps a [`Shown`]: what that post showed about its
//! meeting. When the meeting changes, [`changes`] compares the stored [`Shown`] with the current
//! one and names each kind of change (cancelled, moved, new link, agenda, …), so the change
//! notice can say *what* changed ([`crate::render::change_notice`]), and the caller can decide
//! whether a new invitation ([`needs_invitation`]) and a notice at all ([`deserves_notice`]) are
//! due.
//!
//! Pure: no I/O, no clock.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::agenda::Agenda;
use crate::proposal::Proposal;
use crate::schedule::Meeting;

/// What a delivered announcement or reminder shows about its meeting.
///
/// Stored as JSON next to each delivery, so that a later change can be described against what
/// the members actually saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shown {
    /// The meeting's title with its agenda's topic, as [`crate::agenda::meeting_title`] gives it.
    pub title: String,
    /// Start.
    pub start: DateTime<Utc>,
    /// End.
    pub end: DateTime<Utc>,
    /// Whether the meeting takes place (moved or not); false when cancelled or skipped.
    pub takes_place: bool,
    /// The organizers' note (e.g. the reason for a cancellation).
    #[serde(default)]
    pub note: Option<String>,
    /// The video conference link.
    #[serde(default)]
    pub video_link: Option<String>,
    /// The agenda item titles in order: the agenda file's items, then the accepted proposals.
    #[serde(default)]
    pub items: Vec<String>,
    /// An opaque hash of everything else the post shows (speakers, durations, parts, …).
    #[serde(default)]
    pub details: String,
}

impl Shown {
    /// The stable hash of what posts show: the state a change brings them to.
    pub fn state_hash(&self) -> String {
        crate::hash::stable_hash(&[&serde_json::to_string(self).unwrap_or_default()])
    }

    /// What a post about `meeting` shows, with its agenda, the proposals accepted for it, and
    /// the caller's hash of everything else the post shows.
    pub fn of(
        meeting: &Meeting,
        agenda: Option<&Agenda>,
        accepted: &[Proposal],
        details: String,
    ) -> Self {
        let items = agenda
            .map(|a| a.items.iter().map(|i| i.title.clone()).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .chain(accepted.iter().map(|p| p.title.clone()))
            .collect();
        Self {
            title: crate::agenda::meeting_title(meeting, agenda),
            start: meeting.start.with_timezone(&Utc),
            end: meeting.end.with_timezone(&Utc),
            takes_place: meeting.takes_place(),
            note: meeting.note.clone(),
            video_link: meeting.video_link.as_ref().map(ToString::to_string),
            items,
            details,
        }
    }
}

/// One kind of change to a meeting, as members would name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The meeting no longer takes place.
    Cancelled {
        /// The organizers' note, usually the reason.
        note: Option<String>,
    },
    /// The meeting was cancelled and takes place again.
    Reinstated,
    /// The date, the time or the duration changed.
    Moved {
        /// The start shown before.
        from_start: DateTime<Utc>,
        /// The end shown before.
        from_end: DateTime<Utc>,
    },
    /// The video conference link was added, replaced or withdrawn.
    Link {
        /// The link shown before.
        old: Option<String>,
        /// The link now.
        new: Option<String>,
    },
    /// The meeting's title (or its agenda's topic) changed.
    Retitled {
        /// The title shown before.
        from: String,
    },
    /// Agenda items were added, removed or renamed.
    Agenda {
        /// Titles of new items, in agenda order.
        added: Vec<String>,
        /// Titles of items no longer on the agenda, in their former order.
        removed: Vec<String>,
        /// Items renamed in place: (old title, new title).
        retitled: Vec<(String, String)>,
    },
    /// Only something else the post shows changed (a speaker, a description, the order of the
    /// items, a note): worth a silent edit, not a notice.
    Details,
}

/// Every kind of change from `old` to `new`, in a fixed order: cancellation or reinstatement,
/// moved, link, title, agenda; [`Change::Details`] only when nothing else applies but
/// something differs. A meeting that no longer takes place reports only
/// [`Change::Cancelled`]: its time, link and agenda no longer matter. Nothing changed gives an
/// empty list.
pub fn changes(old: &Shown, new: &Shown) -> Vec<Change> {
    let mut found = Vec::new();
    if !new.takes_place {
        if old.takes_place {
            found.push(Change::Cancelled {
                note: new.note.clone(),
            });
        }
    } else {
        if !old.takes_place {
            found.push(Change::Reinstated);
        }
        if (old.start, old.end) != (new.start, new.end) {
            found.push(Change::Moved {
                from_start: old.start,
                from_end: old.end,
            });
        }
        if old.video_link != new.video_link {
            found.push(Change::Link {
                old: old.video_link.clone(),
                new: new.video_link.clone(),
            });
        }
        if old.title != new.title {
            found.push(Change::Retitled {
                from: old.title.clone(),
            });
        }
        if let Some(agenda) = agenda_change(&old.items, &new.items) {
            found.push(agenda);
        }
    }
    if found.is_empty() && old != new {
        found.push(Change::Details);
    }
    found
}

/// The [`Change::Agenda`] between two lists of item titles, if items were added, removed or
/// renamed (a mere reordering is none).
fn agenda_change<'a>(old: &'a [String], new: &'a [String]) -> Option<Change> {
    // Renamed in place: same position, same neighbours, and neither title elsewhere in the
    // other list (that would be a reordering, not a rename).
    let same_neighbour = |index: Option<usize>| match index {
        Some(i) => old.get(i) == new.get(i),
        None => true,
    };
    let retitled_at: Vec<usize> = (0..old.len().min(new.len()))
        .filter(|&i| {
            old[i] != new[i]
                && same_neighbour(i.checked_sub(1))
                && same_neighbour(Some(i + 1))
                && !new.contains(&old[i])
                && !old.contains(&new[i])
        })
        .collect();
    let retitled: Vec<(String, String)> = retitled_at
        .iter()
        .map(|&i| (old[i].clone(), new[i].clone()))
        .collect();
    // The rest as multisets, in stable order: the first copies of a title match, the others
    // were added or removed.
    let rest = |titles: &'a [String]| {
        titles
            .iter()
            .enumerate()
            .filter(|(i, _)| !retitled_at.contains(i))
            .map(|(_, title)| title.as_str())
    };
    let unmatched = |from: &'a [String], against: &'a [String]| {
        let mut available: BTreeMap<&str, usize> = BTreeMap::new();
        for title in rest(against) {
            *available.entry(title).or_default() += 1;
        }
        rest(from)
            .filter(|title| match available.get_mut(title) {
                Some(count) if *count > 0 => {
                    *count -= 1;
                    false
                }
                _ => true,
            })
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let removed = unmatched(old, new);
    let added = unmatched(new, old);
    if added.is_empty() && removed.is_empty() && retitled.is_empty() {
        return None;
    }
    Some(Change::Agenda {
        added,
        removed,
        retitled,
    })
}

/// Whether the changes call for a new .ics invitation in every room: a cancellation, a
/// reinstatement, a new date or a new link (calendars show all of these).
pub fn needs_invitation(changes: &[Change]) -> bool {
    changes.iter().any(|change| {
        matches!(
            change,
            Change::Cancelled { .. }
                | Change::Reinstated
                | Change::Moved { .. }
                | Change::Link { .. }
        )
    })
}

/// Whether the changes deserve a notice in every room: anything but [`Change::Details`] alone
/// (which edits the announcement silently).
pub fn deserves_notice(changes: &[Change]) -> bool {
    changes
        .iter()
        .any(|change| !matches!(change, Change::Details))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn shown() -> Shown {
        Shown {
            title: "Videokonferenz".to_owned(),
            start: at("2026-12-07T13:00:00Z"),
            end: at("2026-12-07T14:30:00Z"),
            takes_place: true,
            note: None,
            video_link: Some("https://meet.example.org/ikone".to_owned()),
            items: vec![
                "Begrüßung".to_owned(),
                "Breitband".to_owned(),
                "Verschiedenes".to_owned(),
            ],
            details: "d1".to_owned(),
        }
    }

    fn items(titles: &[&str]) -> Vec<String> {
        titles.iter().map(|t| (*t).to_owned()).collect()
    }

    fn strings(titles: &[&str]) -> Vec<String> {
        items(titles)
    }

    #[test]
    fn names_every_kind_of_change() {
        let old = shown();
        let cases: Vec<(&str, Shown, Vec<Change>)> = vec![
            ("nothing changed", old.clone(), vec![]),
            (
                "a proposal accepted",
                Shown {
                    items: items(&["Begrüßung", "Breitband", "Verschiedenes", "Open Data"]),
                    details: "d2".to_owned(),
                    ..old.clone()
                },
                vec![Change::Agenda {
                    added: strings(&["Open Data"]),
                    removed: vec![],
                    retitled: vec![],
                }],
            ),
            (
                "moved by an hour",
                Shown {
                    start: at("2026-12-07T14:00:00Z"),
                    end: at("2026-12-07T15:30:00Z"),
                    ..old.clone()
                },
                vec![Change::Moved {
                    from_start: old.start,
                    from_end: old.end,
                }],
            ),
            (
                "moved to another day",
                Shown {
                    start: at("2026-12-10T13:00:00Z"),
                    end: at("2026-12-10T14:30:00Z"),
                    ..old.clone()
                },
                vec![Change::Moved {
                    from_start: old.start,
                    from_end: old.end,
                }],
            ),
            (
                "longer",
                Shown {
                    end: at("2026-12-07T15:00:00Z"),
                    ..old.clone()
                },
                vec![Change::Moved {
                    from_start: old.start,
                    from_end: old.end,
                }],
            ),
            (
                "cancelled, and whatever else changed does not matter",
                Shown {
                    takes_place: false,
                    note: Some("Weihnachtspause".to_owned()),
                    start: at("2026-12-08T13:00:00Z"),
                    video_link: None,
                    items: vec![],
                    details: "d2".to_owned(),
                    ..old.clone()
                },
                vec![Change::Cancelled {
                    note: Some("Weihnachtspause".to_owned()),
                }],
            ),
            (
                "a new link",
                Shown {
                    video_link: Some("https://meet.example.org/neu".to_owned()),
                    ..old.clone()
                },
                vec![Change::Link {
                    old: old.video_link.clone(),
                    new: Some("https://meet.example.org/neu".to_owned()),
                }],
            ),
            (
                "the link withdrawn",
                Shown {
                    video_link: None,
                    ..old.clone()
                },
                vec![Change::Link {
                    old: old.video_link.clone(),
                    new: None,
                }],
            ),
            (
                "the meeting retitled",
                Shown {
                    title: "Videokonferenz: Open Data".to_owned(),
                    ..old.clone()
                },
                vec![Change::Retitled {
                    from: "Videokonferenz".to_owned(),
                }],
            ),
            (
                "an item retitled",
                Shown {
                    items: items(&["Begrüßung", "Glasfaser", "Verschiedenes"]),
                    ..old.clone()
                },
                vec![Change::Agenda {
                    added: vec![],
                    removed: vec![],
                    retitled: vec![("Breitband".to_owned(), "Glasfaser".to_owned())],
                }],
            ),
            (
                "an item removed",
                Shown {
                    items: items(&["Begrüßung", "Verschiedenes"]),
                    ..old.clone()
                },
                vec![Change::Agenda {
                    added: vec![],
                    removed: strings(&["Breitband"]),
                    retitled: vec![],
                }],
            ),
            (
                "details only",
                Shown {
                    details: "d2".to_owned(),
                    ..old.clone()
                },
                vec![Change::Details],
            ),
            (
                "items reordered: details only",
                Shown {
                    items: items(&["Begrüßung", "Verschiedenes", "Breitband"]),
                    ..old.clone()
                },
                vec![Change::Details],
            ),
            (
                "a changed note: details only",
                Shown {
                    note: Some("auf Wunsch der Mitglieder".to_owned()),
                    ..old.clone()
                },
                vec![Change::Details],
            ),
            (
                "moved and a new link, in that order",
                Shown {
                    start: at("2026-12-07T14:00:00Z"),
                    end: at("2026-12-07T15:30:00Z"),
                    video_link: Some("https://meet.example.org/neu".to_owned()),
                    details: "d2".to_owned(),
                    ..old.clone()
                },
                vec![
                    Change::Moved {
                        from_start: old.start,
                        from_end: old.end,
                    },
                    Change::Link {
                        old: old.video_link.clone(),
                        new: Some("https://meet.example.org/neu".to_owned()),
                    },
                ],
            ),
        ];
        for (case, new, expected) in cases {
            assert_eq!(changes(&old, &new), expected, "{case}");
        }
    }

    /// In the same place, with the same neighbours, an item is renamed; elsewhere, a different
    /// title is one item removed and another added.
    #[test]
    fn an_item_retitled_one_removed_one_added() {
        let old = Shown {
            items: items(&[
                "Begrüßung",
                "Breitband",
                "Bericht",
                "Haushalt",
                "Verschiedenes",
            ]),
            ..shown()
        };
        let new = Shown {
            items: items(&[
                "Begrüßung",
                "Glasfaser",
                "Bericht",
                "Verschiedenes",
                "Open Data",
            ]),
            ..shown()
        };
        assert_eq!(
            changes(&old, &new),
            vec![Change::Agenda {
                added: strings(&["Open Data"]),
                removed: strings(&["Haushalt"]),
                retitled: vec![("Breitband".to_owned(), "Glasfaser".to_owned())],
            }]
        );
    }

    #[test]
    fn accepting_a_proposal_is_never_a_move() {
        let old = shown();
        for added in ["Open Data", "Breitband", "Begrüßung"] {
            let mut new = old.clone();
            new.items.push(added.to_owned());
            new.details = "d2".to_owned();
            assert_eq!(
                changes(&old, &new),
                vec![Change::Agenda {
                    added: strings(&[added]),
                    removed: vec![],
                    retitled: vec![],
                }],
                "{added}"
            );
        }
    }

    #[test]
    fn duplicate_titles_count_as_many() {
        let old = Shown {
            items: items(&["Bericht", "Bericht", "Verschiedenes"]),
            ..shown()
        };
        let new = Shown {
            items: items(&["Bericht", "Verschiedenes"]),
            ..shown()
        };
        assert_eq!(
            changes(&old, &new),
            vec![Change::Agenda {
                added: vec![],
                removed: strings(&["Bericht"]),
                retitled: vec![],
            }]
        );
        assert_eq!(
            changes(&new, &old),
            vec![Change::Agenda {
                added: strings(&["Bericht"]),
                removed: vec![],
                retitled: vec![],
            }]
        );
    }

    #[test]
    fn reinstated_comes_first() {
        let cancelled = Shown {
            takes_place: false,
            note: Some("Weihnachtspause".to_owned()),
            ..shown()
        };
        assert_eq!(
            changes(&cancelled, &shown()),
            vec![Change::Reinstated],
            "the note goes with the cancellation"
        );
        let later = Shown {
            start: at("2026-12-07T14:00:00Z"),
            end: at("2026-12-07T15:30:00Z"),
            ..shown()
        };
        assert_eq!(
            changes(&cancelled, &later),
            vec![
                Change::Reinstated,
                Change::Moved {
                    from_start: cancelled.start,
                    from_end: cancelled.end,
                }
            ]
        );
        // Still cancelled, with another reason: the announcement is edited silently.
        let other_reason = Shown {
            note: Some("Krankheit".to_owned()),
            ..cancelled.clone()
        };
        assert_eq!(changes(&cancelled, &other_reason), vec![Change::Details]);
        assert_eq!(changes(&cancelled, &cancelled), vec![]);
    }

    #[test]
    fn what_needs_an_invitation_and_a_notice() {
        let agenda = Change::Agenda {
            added: strings(&["Open Data"]),
            removed: vec![],
            retitled: vec![],
        };
        let moved = Change::Moved {
            from_start: at("2026-12-07T13:00:00Z"),
            from_end: at("2026-12-07T14:30:00Z"),
        };
        let link = Change::Link {
            old: None,
            new: Some("https://meet.example.org/neu".to_owned()),
        };
        let cancelled = Change::Cancelled { note: None };
        for (changes, invitation, notice) in [
            (vec![], false, false),
            (vec![Change::Details], false, false),
            (vec![agenda.clone()], false, true),
            (
                vec![Change::Retitled {
                    from: "Alt".to_owned(),
                }],
                false,
                true,
            ),
            (vec![moved.clone()], true, true),
            (vec![link.clone()], true, true),
            (vec![cancelled], true, true),
            (vec![Change::Reinstated, moved], true, true),
            (vec![agenda, link], true, true),
        ] {
            assert_eq!(needs_invitation(&changes), invitation, "{changes:?}");
            assert_eq!(deserves_notice(&changes), notice, "{changes:?}");
        }
    }

    #[test]
    fn shown_survives_json() {
        let shown = Shown {
            note: Some("„Grund“ <b>".to_owned()),
            ..shown()
        };
        let json = serde_json::to_string(&shown).unwrap();
        assert_eq!(serde_json::from_str::<Shown>(&json).unwrap(), shown);
        // Older records without the optional fields still read.
        let minimal = r#"{"title":"T","start":"2026-12-07T13:00:00Z","end":"2026-12-07T14:30:00Z","takes_place":true}"#;
        let read: Shown = serde_json::from_str(minimal).unwrap();
        assert_eq!(read.items, Vec::<String>::new());
        assert_eq!(read.video_link, None);
        assert_eq!(read.details, "");
    }
}
