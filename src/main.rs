//! The `convene` command line: thin on purpose; the library does the work.

#![recursion_limit = "256"]

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use std::io::Write as _;

use chrono::{NaiveDate, TimeDelta, Utc};
use clap::{Parser, Subcommand};
use convene::clock::{Clock as _, SystemClock};
use convene::data_dir::Data;
use convene::ical::{Links, Selection};
use convene::network::Network;
use convene::schedule::localize;
use tracing_subscriber::EnvFilter;

/// convene: the Matrix bot of a network of municipalities.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

#[derive(Debug, Subcommand)]
enum Commands {
    /// Check the configuration and the agenda files; report every error with file:line:col.
    Check {
        /// The configuration file.
        #[arg(long, default_value = "config/convene.yaml")]
        config: PathBuf,
    },
    /// Print the coming meetings (without connecting to Matrix).
    Schedule {
        /// The configuration file.
        #[arg(long, default_value = "config/convene.yaml")]
        config: PathBuf,
        /// The first day to list (YYYY-MM-DD); default: today.
        #[arg(long)]
        from: Option<NaiveDate>,
        /// How many meetings to list.
        #[arg(long, default_value_t = 12)]
        count: usize,
    },
    /// Write the network calendar to standard output: exactly the bytes the rooms' private
    /// feeds serve (with the video links), or with `--public` those of `/calendar.ics`.
    Ics {
        /// The configuration file.
        #[arg(long, default_value = "config/convene.yaml")]
        config: PathBuf,
        /// Without the video links, as the public network calendar.
        #[arg(long)]
        public: bool,
    },
    /// Serve only the calendar feed (no Matrix) until SIGINT or SIGTERM; the feed tokens are
    /// those the bot handed out.
    Feed {
        /// The configuration file.
        #[arg(long, default_value = "config/convene.yaml")]
        config: PathBuf,
        /// How log lines are written.
        #[arg(long, value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
    },
    /// Work with agendas.
    Agenda {
        #[command(subcommand)]
        action: AgendaAction,
    },
    /// Run the bot until SIGINT or SIGTERM.
    ///
    /// Whenever the configuration and the agenda files load, the bot keeps a copy of them in
    /// its data directory (`last-good/`). If they have errors when it starts, it starts with
    /// that copy instead, logs the errors, tells the organizers' room, and reloads the files
    /// once they are fixed — provided the configuration still names its `data_dir` (it reads as
    /// YAML with that key) and a copy is kept there. Otherwise (a first start, say) it refuses
    /// to start and prints every error, as `convene check` does.
    Run {
        /// The configuration file.
        #[arg(long, default_value = "config/convene.yaml")]
        config: PathBuf,
        /// How log lines are written.
        #[arg(long, value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
    },
    /// Check the bot's rooms and calendar feed with its stored session (never a new login; run
    /// it while the bot is stopped). Exit code 0: all OK or only warnings; 1: a blocking
    /// problem; 2: the check could not run.
    Doctor {
        /// The configuration file.
        #[arg(long, default_value = "config/convene.yaml")]
        config: PathBuf,
    },
    /// Print each member room's web page and calendar feed: name, page URL, feed URL, tab-separated.
    ///
    /// One line per member room, in the configuration's order. The links carry the room's
    /// private token, the one `!subscribe` hands out there (made now if the room has none yet;
    /// `!subscribe rotate` replaces it). Room aliases are resolved with the bot's stored session
    /// (never a login, never a device), so the bot must have run once; it may run meanwhile. A
    /// room whose alias cannot be resolved is reported on standard error after the others are
    /// printed, and the exit code is then 1.
    Links {
        /// The configuration file.
        #[arg(long, default_value = "config/convene.yaml")]
        config: PathBuf,
    },
    /// Copy the data directory to DEST (new or empty; created with mode 0700), consistently
    /// even while the bot runs.
    Backup {
        /// The configuration file.
        #[arg(long, default_value = "config/convene.yaml")]
        config: PathBuf,
        /// Where the backup goes.
        dest: PathBuf,
    },
}

/// How log lines are written to standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// One readable line per event (what journald shows).
    Text,
    /// One JSON object per line, for log collectors (Loki, Elasticsearch, …).
    Json,
}

#[derive(Debug, Subcommand)]
enum AgendaAction {
    /// Print the proposals accepted for the meeting on DATE as agenda items (YAML) to paste
    /// into its agenda file; the bot never writes that file itself.
    Export {
        /// The meeting's date, YYYY-MM-DD.
        date: NaiveDate,
        /// The configuration file.
        #[arg(long, default_value = "config/convene.yaml")]
        config: PathBuf,
    },
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Commands::Check { config } => check(&config),
        Commands::Schedule {
            config,
            from,
            count,
        } => schedule(&config, from, count),
        Commands::Ics { config, public } => ics(&config, public),
        Commands::Feed { config, log_format } => feed(&config, log_format),
        Commands::Agenda {
            action: AgendaAction::Export { date, config },
        } => agenda_export(&config, date),
        Commands::Doctor { config } => doctor(&config),
        Commands::Links { config } => links(&config),
        Commands::Backup { config, dest } => backup(&config, &dest),
        Commands::Run { config, log_format } => run(config, log_format),
    }
}

/// `convene check`: the configuration and agendas load, or every error with its position.
fn check(path: &Path) -> ExitCode {
    match Network::load(path) {
        Ok(_) => {
            eprintln!("{}: ok", path.display());
            ExitCode::SUCCESS
        }
        Err(diagnostics) => {
            eprintln!("{diagnostics}");
            eprintln!("{} error(s)", diagnostics.len());
            ExitCode::FAILURE
        }
    }
}

/// `convene schedule`: the coming meetings as a table.
fn schedule(path: &Path, from: Option<NaiveDate>, count: usize) -> ExitCode {
    let Some(network) = load(path) else {
        return ExitCode::FAILURE;
    };
    let timezone = network.config.timezone;
    let Some((network, _)) = with_decided_polls(network) else {
        return ExitCode::FAILURE;
    };
    let from = from.unwrap_or_else(|| SystemClock.now().with_timezone(&timezone).date_naive());
    let start = localize(timezone, from, chrono::NaiveTime::MIN).with_timezone(&Utc);
    let meetings = network
        .schedule
        .upcoming(start, TimeDelta::days(3660), count);
    print(&convene::render::schedule_table(&meetings))
}

/// `convene ics`: the network calendar, as the feeds serve it.
fn ics(path: &Path, public: bool) -> ExitCode {
    let links = if public { Links::Omit } else { Links::Include };
    let Some(network) = load(path) else {
        return ExitCode::FAILURE;
    };
    let calendar = Data::open(&network.config)
        .map_err(|e| e.to_string())
        .and_then(|data| {
            let network = data.apply_decisions(network).map_err(|e| e.to_string())?;
            convene::calendar::build(
                &network,
                &data.store,
                SystemClock.now(),
                Selection::All,
                links,
            )
            .map_err(|e| e.to_string())
        });
    match calendar {
        Ok(calendar) => print(&calendar.text),
        Err(error) => {
            eprintln!("cannot render the calendar: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `convene feed`: the calendar feed alone, until a shutdown signal.
fn feed(path: &Path, log_format: LogFormat) -> ExitCode {
    let Some(network) = load(path) else {
        return ExitCode::FAILURE;
    };
    init_logging(log_format);
    logged(serve_feed(network))
}

/// `convene agenda export`: the proposals accepted for the meeting on `date`, as agenda items.
fn agenda_export(path: &Path, date: NaiveDate) -> ExitCode {
    let Some(network) = load(path) else {
        return ExitCode::FAILURE;
    };
    let Some((network, data)) = with_decided_polls(network) else {
        return ExitCode::FAILURE;
    };
    let Some(meeting) = network.schedule.on_date(date).into_iter().next() else {
        eprintln!("no meeting on {date}");
        return ExitCode::FAILURE;
    };
    // Without a database nothing has been accepted yet.
    let accepted = match &data {
        Some(data) => data
            .store
            .accepted_for(&meeting.key)
            .map_err(|e| e.to_string()),
        None => Ok(Vec::new()),
    };
    let exported = accepted.and_then(|accepted| convene::agenda::export(&meeting.key, &accepted));
    match exported {
        Ok(text) => print(&text),
        Err(error) => {
            eprintln!("cannot export: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `network` with the workshops whose date poll the bot decided, and the data they were read
/// from, if the bot has a database already (the commands that read the schedule neither create
/// one nor need one); `None` after saying why it cannot be read.
fn with_decided_polls(network: Network) -> Option<(Network, Option<Data>)> {
    match Data::open_existing(&network.config) {
        Ok(Some(data)) => match data.apply_decisions(network) {
            Ok(network) => Some((network, Some(data))),
            Err(error) => {
                eprintln!("cannot read the decided date polls: {error}");
                None
            }
        },
        Ok(None) => Some((network, None)),
        Err(error) => {
            eprintln!("cannot open the database: {error}");
            None
        }
    }
}

/// `convene doctor`: the rooms and the feed checked with the stored session; exit code 2 when
/// the check cannot run.
fn doctor(path: &Path) -> ExitCode {
    let Some(config) = load_config(path) else {
        return ExitCode::from(2);
    };
    init_logging(LogFormat::Text);
    let facts = convene::runtime::block_on(convene::bot::doctor::examine(&config))
        .map_err(anyhow::Error::from)
        .and_then(|facts| Ok(facts?));
    match facts {
        Ok(facts) => {
            let report = convene::doctor::Report::from_facts(&facts);
            if std::io::stdout()
                .lock()
                .write_all(report.render().as_bytes())
                .is_err()
            {
                return ExitCode::from(2);
            }
            ExitCode::from(report.exit_code())
        }
        Err(error) => {
            eprintln!("convene doctor: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// `convene links`: each member room's page and feed; the rooms left out on standard error.
fn links(path: &Path) -> ExitCode {
    let Some(config) = load_config(path) else {
        return ExitCode::FAILURE;
    };
    let gathered =
        convene::runtime::block_on(convene::bot::links::gather(&config, SystemClock.now()))
            .map_err(anyhow::Error::from)
            .and_then(|links| Ok(links?));
    match gathered {
        Ok(links) => {
            let printed = print(&links.lines());
            for unresolved in &links.unresolved {
                eprintln!("convene links: {unresolved}");
            }
            if links.unresolved.is_empty() {
                printed
            } else {
                ExitCode::FAILURE
            }
        }
        Err(error) => {
            eprintln!("convene links: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `convene backup`: a consistent copy of the data directory in `dest`.
fn backup(path: &Path, dest: &Path) -> ExitCode {
    let Some(config) = load_config(path) else {
        return ExitCode::FAILURE;
    };
    match convene::backup::backup(&config.data_dir, dest) {
        Ok(summary) => print(&summary.render(&config.data_dir, dest)),
        Err(error) => {
            eprintln!("convene backup: {error}");
            ExitCode::FAILURE
        }
    }
}

/// `convene run`: the bot, until a shutdown signal; with the last good version of the files
/// while they have errors.
fn run(path: PathBuf, log_format: LogFormat) -> ExitCode {
    let startup = match convene::last_good::start(&path) {
        Ok(startup) => startup,
        Err(refused) => {
            eprintln!("{refused}");
            return ExitCode::FAILURE;
        }
    };
    init_logging(log_format);
    let running = convene::bot::run(path, startup, Arc::new(SystemClock), shutdown_signal());
    logged(
        convene::runtime::block_on(running)
            .map_err(anyhow::Error::from)
            .and_then(|ran| ran),
    )
}

/// Writes `text` to standard output: failure if it cannot (a closed pipe, a full disk).
fn print(text: &str) -> ExitCode {
    if std::io::stdout().lock().write_all(text.as_bytes()).is_err() {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Success, or the error logged (logging is set up: the long-running commands report there).
fn logged(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Loads the configuration alone (agenda files that do not load do not matter here), printing
/// every error if it does not load.
fn load_config(path: &Path) -> Option<convene::config::Config> {
    match convene::config::Config::load(path) {
        Ok(config) => Some(config),
        Err(diagnostics) => {
            eprintln!("{diagnostics}");
            None
        }
    }
}

/// Loads the configuration and agendas, printing every error if they do not load.
fn load(path: &Path) -> Option<Network> {
    match Network::load(path) {
        Ok(network) => Some(network),
        Err(diagnostics) => {
            eprintln!("{diagnostics}");
            None
        }
    }
}

fn serve_feed(network: Network) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let calendar = network
        .config
        .calendar
        .clone()
        .context("the configuration has no `calendar:` section")?;
    let data = Data::open(&network.config)?;
    // Workshops whose date poll the bot has decided are meetings in the feed, too.
    let network = data.apply_decisions(network)?;
    let (_keep, network) = tokio::sync::watch::channel(Arc::new(network));
    convene::runtime::block_on(async move {
        let listener = convene::http::bind(calendar.listen)
            .with_context(|| format!("cannot listen on {}", calendar.listen))?;
        tracing::info!(address = %calendar.listen, "serving the calendar feed");
        let state = convene::http::ServerState::new(network, data.store, Arc::new(SystemClock));
        convene::http::serve(listener, state, shutdown_signal()).await?;
        Ok(())
    })?
}

/// Completes on the first SIGINT or SIGTERM.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("received a shutdown signal");
}

/// Logs to standard error; `RUST_LOG` overrides the default, [`convene::DEFAULT_LOG_FILTER`].
fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(convene::DEFAULT_LOG_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        LogFormat::Json => builder.json().init(),
    }
}
