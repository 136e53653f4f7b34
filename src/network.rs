//! Everything the organizers configured, loaded together: the configuration, the agenda files
//! and the schedule built from both. The bot holds one [`Network`] at a time and swaps it for a
//! new one only when a changed file loads without errors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::agenda::{self, Agenda, Agendas};
use crate::config::Config;
use crate::diagnostic::Diagnostics;
use crate::poll::Slot;
use crate::schedule::{Meeting, Schedule};

/// The loaded, validated state of the network's files.
#[derive(Debug, Clone)]
pub struct Network {
    /// The configuration.
    pub config: Config,
    /// The agenda files.
    pub agendas: Agendas,
    /// The schedule: configured series plus the one-offs of the agenda files.
    pub schedule: Schedule,
}

impl Network {
    /// The roster: the network's name, organizers, their rooms and the member municipalities.
    pub fn roster(&self) -> &crate::config::Roster {
        &self.config.roster
    }

    /// Loads the configuration at `path` and the agenda files it names; every error of every
    /// file is reported, with the files shown relative to the configuration's directory.
    pub fn load(path: &Path) -> Result<Self, Diagnostics> {
        let config = Config::load(path)?;
        let config_dir = path.parent().unwrap_or(Path::new("."));
        let agendas_dir = config.agendas_dir.clone();
        Self::assemble(config, agendas_dir.as_deref())
            .map_err(|diagnostics| diagnostics.relative_to(config_dir))
    }

    /// `config` with the agenda files in `agendas_dir`, which is the directory `config` names
    /// except for the copy [`crate::last_good`] keeps: that one is read from the data directory
    /// while the configuration goes on naming (and the watcher watching) the organizers' own.
    pub fn assemble(config: Config, agendas_dir: Option<&Path>) -> Result<Self, Diagnostics> {
        let agendas = match agendas_dir {
            Some(dir) => agenda::load_dir(
                dir,
                &config.meetings.series,
                config.timezone,
                config.meetings.holidays,
                &config
                    .roster
                    .members
                    .iter()
                    .map(|m| m.name.clone())
                    .collect::<Vec<_>>(),
            )?,
            None => Agendas::default(),
        };
        let schedule = Schedule {
            timezone: config.timezone,
            holidays: config.meetings.holidays,
            series: config.meetings.series.clone(),
            one_offs: agendas.one_offs.clone(),
        };
        Ok(Self {
            config,
            agendas,
            schedule,
        })
    }

    /// The network with its decided date polls as ordinary workshops: each poll of the files
    /// with a decision in `decided` (by workshop id) becomes a one-off on the decided slot,
    /// unless its file gives a date itself by now. Applying it twice changes nothing. A slot no
    /// meeting can have ([`crate::poll::checked_slot`]: outside 1970–2200, ending before it
    /// starts, longer than a day) is left out: the workshop stays a poll (the bot warns of it
    /// where it reads the decisions).
    pub fn with_decisions(mut self, decided: &BTreeMap<String, Slot>) -> Self {
        for draft in &self.agendas.polls {
            let Some(slot) = decided.get(&draft.id) else {
                continue;
            };
            if crate::poll::checked_slot(slot).is_err() {
                continue;
            }
            if self.schedule.one_offs.iter().all(|o| o.id != draft.id) {
                self.schedule.one_offs.push(draft.to_one_off(slot));
            }
        }
        self
    }

    /// The agenda of a meeting, if there is one.
    pub fn agenda(&self, meeting: &Meeting) -> Option<&Agenda> {
        self.agendas.by_meeting.get(&meeting.key)
    }
}

/// The files a network is loaded from, with their sizes and modification times: when this
/// changes, the bot reloads. Taking it only asks for metadata and never opens a file, so a
/// named pipe or a device among them cannot block the watcher; [`Network::load`] then refuses
/// to read them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fingerprint(Vec<(PathBuf, u64, Option<SystemTime>)>);

impl Fingerprint {
    /// Takes the fingerprint of the configuration at `path` and of the agenda directory.
    pub fn of(path: &Path, agendas_dir: Option<&Path>) -> Self {
        let mut files = vec![path.to_owned()];
        if let Some(dir) = agendas_dir
            && let Ok(entries) = std::fs::read_dir(dir)
        {
            files.extend(entries.filter_map(|e| e.ok().map(|e| e.path())));
        }
        files.sort();
        Self(
            files
                .into_iter()
                .map(|file| {
                    let metadata = std::fs::metadata(&file).ok();
                    let size = metadata.as_ref().map_or(0, std::fs::Metadata::len);
                    let modified = metadata.and_then(|m| m.modified().ok());
                    (file, size, modified)
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn only_a_slot_a_meeting_can_have_decides_a_poll() {
        let network = Network::load(Path::new("config/convene.example.yaml")).unwrap();
        let timezone = network.config.timezone;
        let decided = |start: &str, end: &str| {
            let slot = Slot::between(at(start), at(end), timezone);
            let decided = BTreeMap::from([("workshop-open-data".to_owned(), slot)]);
            network
                .clone()
                .with_decisions(&decided)
                .schedule
                .find("workshop-open-data")
        };
        assert!(decided("2027-02-03T09:00:00Z", "2027-02-03T12:00:00Z").is_some());
        assert!(decided("2027-02-03T12:00:00Z", "2027-02-03T09:00:00Z").is_none());
        assert!(decided("9999-12-31T23:30:00Z", "9999-12-31T23:45:00Z").is_none());
        assert!(decided("2027-02-03T09:00:00Z", "2027-02-05T09:00:00Z").is_none());
    }
}
