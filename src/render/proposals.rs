//! Texts about members' agenda proposals: confirmations, lists, outcomes, and the marked
//! section of accepted proposals in the published agenda.

use std::fmt::Write as _;

use super::common::{date_long, quoted, sentence_end};
use super::rendered::{Rendered, escape_html};
use crate::i18n::{Language, Text};
use crate::proposal::{Proposal, ProposalStatus};
use crate::schedule::Meeting;
use crate::text;

fn both(text: String) -> Rendered {
    Rendered {
        html: escape_html(&text),
        plain: text,
    }
}

fn when(language: Language, meeting: &Meeting) -> String {
    date_long(language, meeting.start)
}

/// The confirmation of `!agenda add`.
pub fn proposal_added(language: Language, proposal: &Proposal, meeting: &Meeting) -> Rendered {
    both(
        text!(
            de: "Vielen Dank! Ihr Vorschlag Nr. {id} {title} für {meeting_title} am {when} ist eingegangen. Das Organisationsteam entscheidet darüber; Sie werden hier über die Entscheidung informiert.",
            en: "Thank you! Your proposal no. {id} {title} for {meeting_title} on {when} has been received. The organizers will decide on it; you will be informed here.";
            id = proposal.id,
            title = quoted(language, &proposal.title),
            meeting_title = quoted(language, &meeting.title),
            when = when(language, meeting),
        )
        .take(language),
    )
}

/// The answer when a member has too many open proposals.
pub fn too_many_proposals(language: Language, open: usize) -> Rendered {
    both(
        text!(
            de: "Sie haben bereits {open} offene Vorschläge. Bitte warten Sie die Entscheidung ab oder ziehen Sie einen Vorschlag zurück (!agenda mine, !agenda withdraw <Nr.>).",
            en: "You already have {open} open proposals. Please wait for a decision or withdraw one (!agenda mine, !agenda withdraw <no.>).",
        )
        .take(language),
    )
}

/// The answer to a number that names no proposal (or none the sender may change).
pub fn no_such_proposal(language: Language, number: i64) -> Rendered {
    both(
        text!(
            de: "Einen offenen Vorschlag Nr. {number}, den Sie ändern können, gibt es nicht. Ihre Vorschläge zeigt !agenda mine; alle offenen Vorschläge zeigt !agenda proposals (nur für das Organisationsteam).",
            en: "There is no open proposal no. {number} that you can change. !agenda mine lists yours; the organizers see all open proposals with !agenda proposals.",
        )
        .take(language),
    )
}

/// The answer to `!agenda accept <n> <part>` with a part the meeting does not have: how many
/// parts it has, and how to accept the proposal instead.
pub fn no_such_part(language: Language, number: i64, part: u32, parts: usize) -> Rendered {
    let text = match parts {
        0 => text!(
            de: "Der Termin ist nicht in Teile gegliedert; einen Teil {part} gibt es daher nicht. Nehmen Sie den Vorschlag ohne Angabe eines Teils an: !agenda accept {number}",
            en: "The meeting is not divided into parts, so there is no part {part}. Accept the proposal without a part: !agenda accept {number}",
        ),
        1 => text!(
            de: "Der Termin hat nur einen Teil; einen Teil {part} gibt es nicht. Nehmen Sie den Vorschlag für Teil 1 an: !agenda accept {number} 1",
            en: "The meeting has only one part; there is no part {part}. Accept the proposal for part 1: !agenda accept {number} 1",
        ),
        _ => text!(
            de: "Der Termin hat {parts} Teile; einen Teil {part} gibt es nicht. Bitte wählen Sie Teil 1 bis {parts}, z. B. !agenda accept {number} 1",
            en: "The meeting has {parts} parts; there is no part {part}. Please choose part 1 to {parts}, e.g. !agenda accept {number} 1",
        ),
    };
    both(text.take(language))
}

/// The answer when proposals need a meeting and none is planned, or no member room is known.
pub fn cannot_propose(language: Language, no_meeting: bool) -> Rendered {
    let text = if no_meeting {
        text!(
            const de: "Zurzeit ist kein Termin geplant, für den Sie etwas vorschlagen könnten.",
            en: "No meeting is planned that you could propose something for.",
        )
    } else {
        text!(
            const de: "Vorschläge nimmt der Bot nur in den Räumen der Mitgliedskommunen entgegen.",
            en: "The bot accepts proposals only in the member municipalities' rooms.",
        )
    };
    both(text.take(language))
}

/// The most characters of a rejection's reason in a list of proposals: the list is an
/// overview, and the proposer's room got the reason in full.
const MAX_LISTED_REASON: usize = 300;

fn status(language: Language, proposal: &Proposal) -> String {
    let reason = super::size::first_chars(
        proposal.reason.as_deref().unwrap_or_default(),
        MAX_LISTED_REASON,
    );
    let status = match proposal.status {
        ProposalStatus::Open => text!(const de: "offen", en: "open"),
        ProposalStatus::Accepted => text!(const de: "angenommen", en: "accepted"),
        ProposalStatus::Rejected => {
            text!(de: "abgelehnt: {reason}", en: "rejected: {reason}")
        }
        ProposalStatus::Withdrawn => text!(const de: "zurückgezogen", en: "withdrawn"),
    };
    status.take(language)
}

/// "… und 3 weitere Vorschläge": proposals a list leaves out.
fn more_proposals(left_out: usize) -> Text {
    if left_out == 1 {
        text!(de: "… und 1 weiterer Vorschlag", en: "… and 1 more proposal")
    } else {
        text!(de: "… und {left_out} weitere Vorschläge", en: "… and {left_out} more proposals")
    }
}

/// `!agenda mine` and `!agenda proposals`: one line per proposal, as many as fit one message
/// (the rest counted).
pub fn proposal_list(language: Language, proposals: &[Proposal], all: bool) -> Rendered {
    super::size::largest_fitting(proposals.len(), |shown| {
        proposal_list_of(language, proposals, all, shown)
    })
}

fn proposal_list_of(
    language: Language,
    proposals: &[Proposal],
    all: bool,
    shown: usize,
) -> Rendered {
    let heading = match (all, proposals.is_empty()) {
        (_, true) => {
            text!(const de: "Es liegen keine Vorschläge vor.", en: "There are no proposals.")
        }
        (true, false) => text!(const de: "Offene Vorschläge:", en: "Open proposals:"),
        (false, false) => text!(const de: "Ihre Vorschläge:", en: "Your proposals:"),
    };
    let heading = heading.get(language);
    let mut plain = heading.to_owned();
    let mut html = format!("<p>{}</p>", escape_html(heading));
    if !proposals.is_empty() {
        html.push_str("\n<ul>\n");
    }
    let number = text!(const de: "Nr.", en: "No.");
    let number = number.get(language);
    for proposal in proposals.iter().take(shown) {
        let line = format!(
            "{number} {} – {} ({}, {}) [{}]",
            proposal.id,
            proposal.title,
            proposal.municipality,
            proposal.sender,
            status(language, proposal)
        );
        let _ = write!(plain, "\n• {line}");
        let _ = writeln!(html, "<li>{}</li>", escape_html(&line));
    }
    if !proposals.is_empty() {
        html.push_str("</ul>");
    }
    if proposals.len() > shown {
        let more = more_proposals(proposals.len() - shown).take(language);
        let _ = write!(plain, "\n{more}");
        let _ = write!(html, "\n<p>{}</p>", escape_html(&more));
    }
    Rendered { plain, html }
}

/// What became of a proposal, for the proposer's room (and as the organizers' confirmation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// Put on the agenda of this meeting.
    Accepted(&'a Meeting),
    /// Turned down.
    Rejected,
    /// Moved to this meeting.
    Deferred(&'a Meeting),
    /// Taken back by the proposer.
    Withdrawn,
}

/// The notice about what became of a proposal; a reason too long for one message is cut.
pub fn proposal_outcome(language: Language, proposal: &Proposal, outcome: Outcome<'_>) -> Rendered {
    let reason = proposal.reason.as_deref().unwrap_or_default();
    super::size::largest_fitting(reason.chars().count(), |shown| {
        outcome_with(
            language,
            proposal,
            outcome,
            &super::size::first_chars(reason, shown),
        )
    })
}

fn outcome_with(
    language: Language,
    proposal: &Proposal,
    outcome: Outcome<'_>,
    reason: &str,
) -> Rendered {
    let title = quoted(language, &proposal.title);
    let id = proposal.id;
    let reason = sentence_end(reason);
    let text = match outcome {
        Outcome::Accepted(meeting) => text!(
            de: "Ihr Vorschlag Nr. {id} {title} wurde in die Tagesordnung von {meeting_title} am {when} aufgenommen{part_de}.",
            en: "Your proposal no. {id} {title} has been added to the agenda of {meeting_title} on {when}{part_en}.";
            meeting_title = quoted(language, &meeting.title),
            when = when(language, meeting),
            part_de = proposal.part.map(|p| format!(" (Teil {p})")).unwrap_or_default(),
            part_en = proposal.part.map(|p| format!(" (part {p})")).unwrap_or_default(),
        ),
        Outcome::Rejected => text!(
            de: "Ihr Vorschlag Nr. {id} {title} wurde leider nicht aufgenommen. Begründung: {reason}",
            en: "Unfortunately, your proposal no. {id} {title} was not accepted. Reason: {reason}",
        ),
        Outcome::Deferred(meeting) => text!(
            de: "Ihr Vorschlag Nr. {id} {title} wurde auf {meeting_title} am {when} verschoben.",
            en: "Your proposal no. {id} {title} has been moved to {meeting_title} on {when}.";
            meeting_title = quoted(language, &meeting.title),
            when = when(language, meeting),
        ),
        Outcome::Withdrawn => text!(
            de: "Ihr Vorschlag Nr. {id} {title} wurde zurückgezogen.",
            en: "Your proposal no. {id} {title} has been withdrawn.",
        ),
    };
    both(text.take(language))
}

/// The heading of the published agenda's section of accepted proposals.
pub const ACCEPTED_HEADING: Text = text!(
    const de: "Vorschläge aus dem Netzwerk:",
    en: "Proposals from the network:",
);

/// One accepted proposal as an agenda line (without its number).
pub fn accepted_line(language: Language, proposal: &Proposal) -> String {
    text!(
        de: "{title} – vorgeschlagen von {municipality} ({sender}){part_de}",
        en: "{title} – proposed by {municipality} ({sender}){part_en}";
        title = &proposal.title,
        municipality = &proposal.municipality,
        sender = &proposal.sender,
        part_de = proposal.part.map(|part| format!(", Teil {part}")).unwrap_or_default(),
        part_en = proposal.part.map(|part| format!(", part {part}")).unwrap_or_default(),
    )
    .take(language)
}
