//! Texts about members' agenda proposals: confirmations, lists, outcomes, and the marked
//! section of accepted proposals in the published agenda.

use std::fmt::Write as _;

use super::common::{date_long, quoted, sentence_end};
use super::rendered::{Rendered, escape_html};
use crate::i18n::Language;
use crate::proposal::{Proposal, ProposalStatus};
use crate::schedule::Meeting;

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
    both(match language {
        Language::German => format!(
            "Vielen Dank! Ihr Vorschlag Nr. {} {} für {} am {} ist eingegangen. Das Organisationsteam entscheidet darüber; Sie werden hier über die Entscheidung informiert.",
            proposal.id,
            quoted(language, &proposal.title),
            quoted(language, &meeting.title),
            when(language, meeting)
        ),
        Language::English => format!(
            "Thank you! Your proposal no. {} {} for {} on {} has been received. The organizers will decide on it; you will be informed here.",
            proposal.id,
            quoted(language, &proposal.title),
            quoted(language, &meeting.title),
            when(language, meeting)
        ),
    })
}

/// The answer when a member has too many open proposals.
pub fn too_many_proposals(language: Language, open: usize) -> Rendered {
    both(match language {
        Language::German => format!(
            "Sie haben bereits {open} offene Vorschläge. Bitte warten Sie die Entscheidung ab oder ziehen Sie einen Vorschlag zurück (!agenda mine, !agenda withdraw <Nr.>)."
        ),
        Language::English => format!(
            "You already have {open} open proposals. Please wait for a decision or withdraw one (!agenda mine, !agenda withdraw <no.>)."
        ),
    })
}

/// The answer to a number that names no proposal (or none the sender may change).
pub fn no_such_proposal(language: Language, number: i64) -> Rendered {
    both(match language {
        Language::German => format!(
            "Einen offenen Vorschlag Nr. {number}, den Sie ändern können, gibt es nicht. Ihre Vorschläge zeigt !agenda mine; alle offenen Vorschläge zeigt !agenda proposals (nur für das Organisationsteam)."
        ),
        Language::English => format!(
            "There is no open proposal no. {number} that you can change. !agenda mine lists yours; the organizers see all open proposals with !agenda proposals."
        ),
    })
}

/// The answer to `!agenda accept <n> <part>` with a part the meeting does not have: how many
/// parts it has, and how to accept the proposal instead.
pub fn no_such_part(language: Language, number: i64, part: u32, parts: usize) -> Rendered {
    both(match (language, parts) {
        (Language::German, 0) => format!(
            "Der Termin ist nicht in Teile gegliedert; einen Teil {part} gibt es daher nicht. Nehmen Sie den Vorschlag ohne Angabe eines Teils an: !agenda accept {number}"
        ),
        (Language::German, 1) => format!(
            "Der Termin hat nur einen Teil; einen Teil {part} gibt es nicht. Nehmen Sie den Vorschlag für Teil 1 an: !agenda accept {number} 1"
        ),
        (Language::German, _) => format!(
            "Der Termin hat {parts} Teile; einen Teil {part} gibt es nicht. Bitte wählen Sie Teil 1 bis {parts}, z. B. !agenda accept {number} 1"
        ),
        (Language::English, 0) => format!(
            "The meeting is not divided into parts, so there is no part {part}. Accept the proposal without a part: !agenda accept {number}"
        ),
        (Language::English, 1) => format!(
            "The meeting has only one part; there is no part {part}. Accept the proposal for part 1: !agenda accept {number} 1"
        ),
        (Language::English, _) => format!(
            "The meeting has {parts} parts; there is no part {part}. Please choose part 1 to {parts}, e.g. !agenda accept {number} 1"
        ),
    })
}

/// The answer when proposals need a meeting and none is planned, or no member room is known.
pub fn cannot_propose(language: Language, no_meeting: bool) -> Rendered {
    both(match (language, no_meeting) {
        (Language::German, true) => {
            "Zurzeit ist kein Termin geplant, für den Sie etwas vorschlagen könnten.".to_owned()
        }
        (Language::English, true) => {
            "No meeting is planned that you could propose something for.".to_owned()
        }
        (Language::German, false) => {
            "Vorschläge nimmt der Bot nur in den Räumen der Mitgliedskommunen entgegen.".to_owned()
        }
        (Language::English, false) => {
            "The bot accepts proposals only in the member municipalities' rooms.".to_owned()
        }
    })
}

/// The most characters of a rejection's reason in a list of proposals: the list is an
/// overview, and the proposer's room got the reason in full.
const MAX_LISTED_REASON: usize = 300;

fn status(language: Language, proposal: &Proposal) -> String {
    let reason = super::size::first_chars(
        proposal.reason.as_deref().unwrap_or_default(),
        MAX_LISTED_REASON,
    );
    match (proposal.status, language) {
        (ProposalStatus::Open, Language::German) => "offen".to_owned(),
        (ProposalStatus::Open, Language::English) => "open".to_owned(),
        (ProposalStatus::Accepted, Language::German) => "angenommen".to_owned(),
        (ProposalStatus::Accepted, Language::English) => "accepted".to_owned(),
        (ProposalStatus::Rejected, Language::German) => format!("abgelehnt: {reason}"),
        (ProposalStatus::Rejected, Language::English) => format!("rejected: {reason}"),
        (ProposalStatus::Withdrawn, Language::German) => "zurückgezogen".to_owned(),
        (ProposalStatus::Withdrawn, Language::English) => "withdrawn".to_owned(),
    }
}

/// "… und 3 weitere Vorschläge": proposals a list leaves out.
const MORE_PROPOSALS: super::size::More = super::size::More {
    german_one: "… und 1 weiterer Vorschlag",
    german: "… und {n} weitere Vorschläge",
    english_one: "… and 1 more proposal",
    english: "… and {n} more proposals",
};

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
    let heading = match (language, all, proposals.is_empty()) {
        (Language::German, _, true) => "Es liegen keine Vorschläge vor.",
        (Language::English, _, true) => "There are no proposals.",
        (Language::German, true, false) => "Offene Vorschläge:",
        (Language::English, true, false) => "Open proposals:",
        (Language::German, false, false) => "Ihre Vorschläge:",
        (Language::English, false, false) => "Your proposals:",
    };
    let mut plain = heading.to_owned();
    let mut html = format!("<p>{}</p>", escape_html(heading));
    if !proposals.is_empty() {
        html.push_str("\n<ul>\n");
    }
    let number = match language {
        Language::German => "Nr.",
        Language::English => "No.",
    };
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
        let more = MORE_PROPOSALS.line(language, proposals.len() - shown);
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
    both(match (outcome, language) {
        (Outcome::Accepted(meeting), Language::German) => format!(
            "Ihr Vorschlag Nr. {id} {title} wurde in die Tagesordnung von {} am {} aufgenommen{}.",
            quoted(language, &meeting.title),
            when(language, meeting),
            proposal
                .part
                .map(|p| format!(" (Teil {p})"))
                .unwrap_or_default()
        ),
        (Outcome::Accepted(meeting), Language::English) => format!(
            "Your proposal no. {id} {title} has been added to the agenda of {} on {}{}.",
            quoted(language, &meeting.title),
            when(language, meeting),
            proposal
                .part
                .map(|p| format!(" (part {p})"))
                .unwrap_or_default()
        ),
        (Outcome::Rejected, Language::German) => format!(
            "Ihr Vorschlag Nr. {id} {title} wurde leider nicht aufgenommen. Begründung: {reason}"
        ),
        (Outcome::Rejected, Language::English) => format!(
            "Unfortunately, your proposal no. {id} {title} was not accepted. Reason: {reason}"
        ),
        (Outcome::Deferred(meeting), Language::German) => format!(
            "Ihr Vorschlag Nr. {id} {title} wurde auf {} am {} verschoben.",
            quoted(language, &meeting.title),
            when(language, meeting)
        ),
        (Outcome::Deferred(meeting), Language::English) => format!(
            "Your proposal no. {id} {title} has been moved to {} on {}.",
            quoted(language, &meeting.title),
            when(language, meeting)
        ),
        (Outcome::Withdrawn, Language::German) => {
            format!("Ihr Vorschlag Nr. {id} {title} wurde zurückgezogen.")
        }
        (Outcome::Withdrawn, Language::English) => {
            format!("Your proposal no. {id} {title} has been withdrawn.")
        }
    })
}

/// The heading of the published agenda's section of accepted proposals.
pub fn accepted_heading(language: Language) -> &'static str {
    match language {
        Language::German => "Vorschläge aus dem Netzwerk:",
        Language::English => "Proposals from the network:",
    }
}

/// One accepted proposal as an agenda line (without its number).
pub fn accepted_line(language: Language, proposal: &Proposal) -> String {
    let part = match (proposal.part, language) {
        (Some(part), Language::German) => format!(", Teil {part}"),
        (Some(part), Language::English) => format!(", part {part}"),
        (None, _) => String::new(),
    };
    match language {
        Language::German => format!(
            "{} – vorgeschlagen von {} ({}){part}",
            proposal.title, proposal.municipality, proposal.sender
        ),
        Language::English => format!(
            "{} – proposed by {} ({}){part}",
            proposal.title, proposal.municipality, proposal.sender
        ),
    }
}
