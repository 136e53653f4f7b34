//! Hot reload: the bot watches its configuration and the agenda files and swaps in a new
//! [`Network`] when a change loads without errors, and keeps a copy of that version in its data
//! directory ([`crate::last_good`]), for a start while the files have errors. An invalid change
//! is reported to the organizers (once per distinct set of errors) and the last good version
//! stays in force. The bot only reads these files, never writes them.
//!
//! It polls sizes and modification times every two seconds instead of using inotify: that works
//! the same on every file system (including network shares and editors that replace files), and
//! two seconds is immediate for people editing YAML.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

use super::posting::Request;
use crate::network::{Fingerprint, Network};

const POLL: Duration = Duration::from_secs(2);

/// The files the watcher watches, and where it keeps their last good version.
#[derive(Debug)]
pub struct Watched {
    /// The configuration (the agenda directory is the one the network in force names).
    pub config_path: PathBuf,
    /// The data directory the bot runs with.
    pub data_dir: PathBuf,
    /// The files as they were when the network in force was loaded.
    pub seen: Fingerprint,
}

/// Watches the files until `stop` turns true; every version that loads is kept as the last good
/// one ([`crate::last_good`]).
pub async fn watch_files(
    files: Watched,
    network: watch::Sender<Arc<Network>>,
    store: Arc<crate::store::Store>,
    requests: mpsc::UnboundedSender<Request>,
    metrics: Arc<crate::metrics::Metrics>,
    mut stop: watch::Receiver<bool>,
) {
    let Watched {
        config_path,
        data_dir,
        mut seen,
    } = files;
    let agendas_dir = |n: &Network| n.config.agendas_dir.clone();
    loop {
        tokio::select! {
            _ = stop.changed() => return,
            () = tokio::time::sleep(POLL) => {}
        }
        let current = Fingerprint::of(&config_path, agendas_dir(&network.borrow()).as_deref());
        if current == seen {
            continue;
        }
        seen = current;
        let path = config_path.clone();
        let loaded = tokio::task::spawn_blocking(move || Network::load(&path)).await;
        match loaded {
            Ok(Ok(loaded)) => {
                info!("reloaded the configuration and agendas");
                // The agenda directory may have moved; watch the new one from now on.
                seen = Fingerprint::of(&config_path, loaded.config.agendas_dir.as_deref());
                // Decided polls stay decided: their workshops are meetings.
                let decided = super::records::decisions(&store, loaded.config.timezone);
                network.send_replace(Arc::new(loaded.with_decisions(&decided)));
                keep_last_good(config_path.clone(), data_dir.clone()).await;
            }
            Ok(Err(diagnostics)) => {
                metrics.reload_failed();
                warn!(
                    errors = diagnostics.len(),
                    "a changed file has errors; keeping the last good version"
                );
                let _ = requests.send(Request::ReloadFailed(diagnostics));
            }
            Err(error) => warn!(%error, "reloading failed"),
        }
    }
}

/// Keeps the files, which just loaded, as the last good version in `data_dir`; if that fails,
/// the one before stays and the bot goes on (a warning says why: a full disk, say).
pub async fn keep_last_good(config_path: PathBuf, data_dir: PathBuf) {
    let kept =
        tokio::task::spawn_blocking(move || crate::last_good::keep(&config_path, &data_dir)).await;
    match kept {
        Ok(Ok(())) => {}
        Ok(Err(error)) => warn!(%error, "cannot keep the last good version of the files"),
        Err(error) => warn!(%error, "cannot keep the last good version of the files"),
    }
}
