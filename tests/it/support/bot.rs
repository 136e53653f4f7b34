//! The real `convene` binary, run with a configuration written for the test's homeserver.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use super::config::{PASSWORD_ENV, TestConfig};
use super::synapse::Synapse;

/// The bot's files: its configuration and data directory, kept across restarts.
#[derive(Debug)]
pub struct BotHome {
    dir: TempDir,
    password: String,
}

/// A running bot process; killed when dropped.
#[derive(Debug)]
pub struct BotProcess {
    child: Child,
    log: PathBuf,
}

impl BotHome {
    /// Writes a configuration for `synapse`: the bot is `bot_user`, organizers and allowed
    /// invite homeservers as given, one member room `#kaiserslautern`.
    pub fn new(
        synapse: &Synapse,
        bot_user: &str,
        password: &str,
        organizers: &[String],
        invite_homeservers: &[String],
    ) -> Self {
        let mut config = Self::config_for(synapse, bot_user, organizers);
        config.accept_invites_from = invite_homeservers.to_vec();
        Self::write(&config, password)
    }

    /// The [`TestConfig`] for a bot on `synapse`: the bot is `bot_user`, the organizers as
    /// given, the organizers' room `#orga`, one member room `#kaiserslautern`; language German,
    /// HTTP on a port the OS picks.
    pub fn config_for(synapse: &Synapse, bot_user: &str, organizers: &[String]) -> TestConfig {
        TestConfig {
            homeserver: synapse.client_url.clone(),
            bot: bot_user.to_owned(),
            organizers: organizers.to_vec(),
            organizers_room: format!("#orga:{}", synapse.server_name),
            members: vec![(
                "Kaiserslautern".to_owned(),
                format!("#kaiserslautern:{}", synapse.server_name),
            )],
            language: Some("de".to_owned()),
            listen: Some("127.0.0.1:0".to_owned()),
            ..TestConfig::minimal()
        }
    }

    /// Writes `config` (as the configuration and as its base), with the bot's password in its
    /// environment variable when the bot starts.
    pub fn write(config: &TestConfig, password: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("convene-bot-")
            .tempdir()
            .unwrap();
        let config = config.yaml();
        std::fs::write(dir.path().join("convene.yaml"), &config).unwrap();
        std::fs::write(dir.path().join("base.yaml"), &config).unwrap();
        Self {
            dir,
            password: password.to_owned(),
        }
    }

    /// Writes the configuration file anew, with `extra` YAML appended (meetings, agendas).
    pub fn configure(&self, base: &str, extra: &str) {
        let path = self.dir.path().join("convene.yaml");
        std::fs::write(path, format!("{base}{extra}")).unwrap();
    }

    /// The configuration as first written, for [`BotHome::configure`].
    pub fn base_config(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("base.yaml")).unwrap()
    }

    /// The configuration file.
    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("convene.yaml")
    }

    /// The bot's data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Fills the (not yet used) data directory with a copy of `fixture`, a data directory
    /// another build of the bot left behind.
    pub fn copy_data_dir_from(&self, fixture: &Path) {
        fn copy(from: &Path, to: &Path) {
            std::fs::create_dir_all(to).unwrap();
            for entry in std::fs::read_dir(from).unwrap() {
                let entry = entry.unwrap();
                let kind = entry.file_type().unwrap();
                if kind.is_dir() {
                    copy(&entry.path(), &to.join(entry.file_name()));
                } else {
                    assert!(kind.is_file(), "{entry:?}");
                    std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
                }
            }
        }
        assert!(!self.data_dir().exists(), "the data directory is in use");
        copy(fixture, &self.data_dir());
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(self.data_dir(), std::fs::Permissions::from_mode(0o700)).unwrap();
    }

    /// Starts `convene run`; its log goes to `bot-N.log` in the bot's directory.
    pub fn start(&self) -> BotProcess {
        // `CONVENE_TEST_RUST_LOG` widens the log for an investigation.
        let filter = std::env::var("CONVENE_TEST_RUST_LOG").unwrap_or_else(|_| {
            "warn,convene=debug,matrix_sdk::http_client=off,matrix_sdk_crypto::backups=error"
                .to_owned()
        });
        self.start_logging(Some(&filter))
    }

    /// Starts `convene run` with `RUST_LOG` set to `level`.
    pub fn start_logging_at(&self, level: &str) -> BotProcess {
        self.start_logging(Some(level))
    }

    /// Starts `convene run` with the log level an operator gets (no `RUST_LOG`).
    pub fn start_at_default_log_level(&self) -> BotProcess {
        self.start_logging(None)
    }

    fn start_logging(&self, filter: Option<&str>) -> BotProcess {
        let runs = std::fs::read_dir(self.dir.path()).unwrap().count();
        let log = self.dir.path().join(format!("bot-{runs}.log"));
        // `CONVENE_BENCH_BIN` runs another build of the bot (a benchmark comparing profiles).
        let binary = std::env::var_os("CONVENE_BENCH_BIN")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_convene").into());
        let mut command = Command::new(binary);
        command
            .args(["run", "--config"])
            .arg(self.dir.path().join("convene.yaml"))
            .env(PASSWORD_ENV, &self.password);
        match filter {
            Some(filter) => command.env("RUST_LOG", filter),
            None => command.env_remove("RUST_LOG"),
        };
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("cannot start the convene binary");
        BotProcess { child, log }
    }
}

impl BotProcess {
    /// The log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits for "convene is ready" and returns the device id the bot reported.
    pub async fn ready(&mut self) -> String {
        self.ready_within(Duration::from_secs(60)).await
    }

    /// Like [`BotProcess::ready`], waiting up to `timeout` (a first sync of many rooms).
    pub async fn ready_within(&mut self, timeout: Duration) -> String {
        let log_path = self.log.clone();
        let child = &mut self.child;
        super::eventually("the bot to be ready", timeout, || {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the bot exited early with {status}:\n{}", read(&log_path));
            }
            let log = read(&log_path);
            let line = log.lines().find(|line| line.contains("convene is ready"))?;
            let device = line.split("device_id=").nth(1)?.split_whitespace().next()?;
            Some(device.to_owned())
        })
        .await
    }

    /// The address the bot's HTTP server listens on, from its log.
    pub async fn http_address(&self) -> String {
        let log_path = self.log.clone();
        super::eventually("the bot's HTTP address", Duration::from_secs(30), || {
            let log = read(&log_path);
            let line = log.lines().find(|line| line.contains("serving HTTP"))?;
            let address = line.split("address=").nth(1)?.split_whitespace().next()?;
            Some(address.to_owned())
        })
        .await
    }

    /// The process's resident set size in KiB, from `/proc`.
    #[allow(
        dead_code,
        reason = "used by benches/ping.rs, which shares this module"
    )]
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    /// The process id.
    #[allow(
        dead_code,
        reason = "used by benches/ping.rs, which shares this module"
    )]
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the process with SIGKILL, as a crash or an OOM killer would.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Sends SIGTERM and waits for the process to exit.
    pub async fn terminate(mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(killed.success(), "kill -TERM {pid} failed");
        let child = &mut self.child;
        super::eventually(
            "the bot to exit after SIGTERM",
            Duration::from_secs(20),
            || child.try_wait().unwrap(),
        )
        .await
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
