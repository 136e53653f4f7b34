//! The `minutes:` section of an agenda file: minutes the organizers write for a meeting that
//! was minuted elsewhere. It validates into the same [`FileMinutes`] the live route's records
//! become, so both are rendered, approved and published alike.

use crate::diagnostic::echo;
use crate::fields;
use crate::i18n::Text;
use crate::limits;
use crate::minutes::{Assignment, EntryKind, FileMinutes, FileTopic, MAX_ENTRY, Owner};
use crate::text;
use crate::yaml::{Mapping, Node, Problem};

use super::Item;

const MINUTES_KEYS: &[&str] = &["chair", "present", "excused", "topics"];
const TOPIC_KEYS: &[&str] = &["item", "title", "notes", "decisions", "actions", "links"];
const ACTION_KEYS: &[&str] = &["owner", "task", "due"];

const CHAIR: Text = text!(const de: "die Sitzungsleitung", en: "chair");
const ENTRIES: Text = text!(const de: "Einträge", en: "entries");
const ACTIONS: Text = text!(const de: "Aufgaben", en: "actions");

/// Validates the section; `items` are the file's agenda items (`item: 2` names the second),
/// `members` the configured municipalities.
pub(super) fn section(
    node: &Node<'_>,
    items: &[Item],
    members: &[String],
    problems: &mut Vec<Problem>,
) -> Option<FileMinutes> {
    let minutes = node.as_mapping(MINUTES_KEYS, problems)?;
    let chairs = match minutes.optional("chair") {
        None => Some(Vec::new()),
        Some(chair) if chair.is_list() => texts(&chair, &CHAIR, limits::MAX_NAME, false, problems),
        Some(chair) => fields::text(&chair, &CHAIR, limits::MAX_NAME, problems).map(|c| vec![c]),
    };
    let present = municipalities(minutes.optional("present"), members, problems);
    let excused = municipalities(minutes.optional("excused"), members, problems);
    let topics = match minutes.optional("topics") {
        None => Some(Vec::new()),
        Some(list) => {
            let topics = text!(const de: "Themen", en: "topics");
            fields::list(&list, &topics, limits::MAX_TOPICS, problems).map(|list| {
                list.iter()
                    .filter_map(|topic| self::topic(topic, items, members, problems))
                    .collect::<Vec<_>>()
            })
        }
    };
    Some(FileMinutes {
        chairs: chairs?,
        present: present?,
        excused: excused?,
        topics: topics?,
    })
}

/// A list of texts, each on one line or, with `multi_line`, of several.
fn texts(
    node: &Node<'_>,
    what: &Text,
    max: usize,
    multi_line: bool,
    problems: &mut Vec<Problem>,
) -> Option<Vec<String>> {
    let list = fields::list(node, &ENTRIES, limits::MAX_ENTRIES, problems)?;
    let texts: Vec<Option<String>> = list
        .iter()
        .map(|item| {
            if multi_line {
                fields::prose(item, what, max, problems)
            } else {
                fields::text(item, what, max, problems)
            }
        })
        .collect();
    texts.into_iter().collect()
}

/// A member's name, as configured (matched regardless of case).
fn member(node: &Node<'_>, members: &[String], problems: &mut Vec<Problem>) -> Option<String> {
    let name = fields::text(node, &fields::MUNICIPALITY, limits::MAX_NAME, problems)?;
    let found = members
        .iter()
        .find(|m| m.to_lowercase() == name.to_lowercase())
        .cloned();
    if found.is_none() {
        let (shown, members) = (echo(&name), members.join(", "));
        problems.push(node.problem(
            text!(
                de: "`{shown}` ist keine Mitgliedskommune",
                en: "`{shown}` is no member municipality"
            ),
            text!(de: "die Mitgliedskommunen: {members}", en: "the members: {members}"),
        ));
    }
    found
}

fn municipalities(
    node: Option<Node<'_>>,
    members: &[String],
    problems: &mut Vec<Problem>,
) -> Option<Vec<String>> {
    let Some(node) = node else {
        return Some(Vec::new());
    };
    let municipalities = text!(const de: "Kommunen", en: "municipalities");
    let list = fields::list(&node, &municipalities, limits::MAX_MEMBERS, problems)?;
    let names: Vec<Option<String>> = list
        .iter()
        .map(|item| member(item, members, problems))
        .collect();
    names.into_iter().collect()
}

/// One entry of `minutes.topics:`: the agenda item it is about (`item:`, its number) or its
/// own `title:`, then its entries ([`entries`]). An `item:` that is no number leaves the
/// topic out unread.
fn topic(
    node: &Node<'_>,
    items: &[Item],
    members: &[String],
    problems: &mut Vec<Problem>,
) -> Option<FileTopic> {
    let topic = node.as_mapping(TOPIC_KEYS, problems)?;
    let title = match (topic.optional("item"), topic.optional("title")) {
        (Some(item), _) => {
            let number = item.as_integer(problems)?;
            item_title(&item, number, items, problems)
        }
        (None, Some(title)) => fields::text(&title, &fields::TITLE, limits::MAX_TITLE, problems),
        (None, None) => {
            problems.push(node.problem(
                text!(
                    de: "Dieses Thema nennt keinen Tagesordnungspunkt",
                    en: "this topic names no agenda item"
                ),
                text!(
                    de: "ergänzen Sie `item:` mit der Nummer des Tagesordnungspunkts, oder `title:`",
                    en: "add `item:` with the agenda item's number, or `title:`"
                ),
            ));
            None
        }
    };
    let entries = entries(&topic, members, problems);
    Some(FileTopic {
        title: title?,
        entries,
    })
}

/// The title of agenda item `number` (counted from 1), which `item:` at `node` names; a
/// problem when the file has no such item.
fn item_title(
    node: &Node<'_>,
    number: i64,
    items: &[Item],
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let found = usize::try_from(number)
        .ok()
        .and_then(|n| n.checked_sub(1))
        .and_then(|index| items.get(index));
    match found {
        Some(found) => Some(found.title.clone()),
        None => {
            let count = items.len();
            problems.push(node.problem(
                text!(
                    de: "Es gibt keinen Tagesordnungspunkt {number}",
                    en: "there is no agenda item {number}"
                ),
                if items.is_empty() {
                    text!(
                        de: "diese Datei hat keine `items:`; geben Sie dem Thema stattdessen einen `title:`",
                        en: "this file has no `items:`; give the topic a `title:` instead"
                    )
                } else {
                    text!(
                        de: "nummerieren Sie die Tagesordnungspunkte von 1 bis {count}, oder geben Sie einen `title:` an",
                        en: "number the items from 1 to {count}, or give a `title:`"
                    )
                },
            ));
            None
        }
    }
}

/// A topic's entries, in this order: its notes, decisions, actions and links. Those with
/// errors are left out (their problems are reported).
fn entries(
    topic: &Mapping<'_>,
    members: &[String],
    problems: &mut Vec<Problem>,
) -> Vec<(EntryKind, String)> {
    let mut entries = Vec::new();
    for (key, kind) in [
        ("notes", EntryKind::Info),
        ("decisions", EntryKind::Decision),
    ] {
        if let Some(list) = topic.optional(key)
            && let Some(texts) = texts(
                &list,
                &text!(const de: "der Text", en: "text"),
                MAX_ENTRY,
                true,
                problems,
            )
        {
            entries.extend(texts.into_iter().map(|text| (kind.clone(), text)));
        }
    }
    if let Some(list) = topic.optional("actions")
        && let Some(list) = fields::list(&list, &ACTIONS, limits::MAX_ENTRIES, problems)
    {
        for action in &list {
            if let Some(entry) = self::action(action, members, problems) {
                entries.push(entry);
            }
        }
    }
    if let Some(links) = super::links_of(topic.optional("links"), problems) {
        entries.extend(
            links
                .into_iter()
                .map(|link| (EntryKind::Link(link.url), link.title)),
        );
    }
    entries
}

fn action(
    node: &Node<'_>,
    members: &[String],
    problems: &mut Vec<Problem>,
) -> Option<(EntryKind, String)> {
    let action = node.as_mapping(ACTION_KEYS, problems)?;
    let owner = action
        .required(
            "owner",
            text!(
                de: "ergänzen Sie `owner:`, eine Mitgliedskommune oder eine Matrix-ID wie \"@anna:example.org\"",
                en: "add `owner:`, a member municipality or a Matrix id like \"@anna:example.org\""
            ),
            problems,
        )
        .and_then(|owner| {
            let text = owner.as_str(problems)?.trim();
            if text.starts_with('@') {
                if !fields::matrix_id_length(&owner, text, &fields::USER_ID, problems) {
                    return None;
                }
                match matrix_sdk::ruma::UserId::parse(text) {
                    Ok(user_id) => Some(Owner::Person {
                        user_id: user_id.to_string(),
                        municipality: None,
                    }),
                    Err(_) => {
                        let shown = echo(text);
                        problems.push(owner.problem(
                            text!(
                                de: "`{shown}` ist keine Matrix-Benutzer-ID",
                                en: "`{shown}` is no Matrix user id"
                            ),
                            text!(
                                de: "schreiben Sie sie als \"@name:server\", in Anführungszeichen",
                                en: "write it as \"@name:server\", in quotes"
                            ),
                        ));
                        None
                    }
                }
            } else {
                member(&owner, members, problems).map(Owner::Municipality)
            }
        });
    let task = action
        .required(
            "task",
            text!(
                de: "ergänzen Sie `task:`, was zu erledigen ist",
                en: "add `task:`, what is to be done"
            ),
            problems,
        )
        .and_then(|task| {
            fields::prose(
                &task,
                &text!(const de: "die Aufgabe", en: "task"),
                MAX_ENTRY,
                problems,
            )
        });
    let due = fields::optional(
        action
            .optional("due")
            .map(|due| fields::date(&due, problems)),
    );
    Some((
        EntryKind::Action(Assignment {
            owner: owner?,
            due: due?,
        }),
        task?,
    ))
}
