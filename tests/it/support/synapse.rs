//! A Synapse homeserver for one test, run through `scripts/synapse.py` (the same script the demo
//! uses): the venv is installed from PyPI on first use, the server listens on 127.0.0.1 only and
//! is stopped by PID when the guard drops.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use tempfile::TempDir;

/// A running Synapse.
#[derive(Debug)]
pub struct Synapse {
    dir: TempDir,
    /// `http://127.0.0.1:PORT`.
    pub client_url: String,
    /// Its server name: `localhost`, or `127.0.0.1:PORT` when it federates.
    pub server_name: String,
    /// The arguments it was started with (ports), to start it again after [`Synapse::stop`].
    start_args: Vec<String>,
}

/// A registered account.
#[derive(Debug, Clone, Deserialize)]
pub struct Account {
    /// Full user id.
    pub user_id: String,
    /// A session created at registration: no password login needed (logins are rate-limited).
    pub access_token: String,
    /// The device of that session.
    pub device_id: String,
}

#[derive(Debug, Deserialize)]
struct Started {
    client_url: String,
    server_name: String,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/synapse.py")
}

fn run_script(args: &[&str]) -> String {
    let output = Command::new("python3")
        .arg(script())
        .args(args)
        .output()
        .expect("cannot run python3 scripts/synapse.py");
    assert!(
        output.status.success(),
        "synapse.py {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("synapse.py printed non-UTF-8")
}

/// The Python of Synapse's venv (installed on first use), which also holds the Prometheus
/// project's Python client (a Synapse dependency) with its OpenMetrics parser.
pub fn venv_python() -> PathBuf {
    #[derive(Deserialize)]
    struct Venv {
        python: PathBuf,
    }
    let venv: Venv = serde_json::from_str(&run_script(&["venv"])).expect("venv: not JSON");
    venv.python
}

impl Synapse {
    /// Starts a homeserver with server name `localhost`, not federating.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    /// Starts a homeserver that federates with others on this machine over loopback.
    pub fn start_federating() -> Self {
        let federation_port = super::free_port().to_string();
        Self::start_with(&["--federation-port", &federation_port])
    }

    /// Starts a federating homeserver that the others reach only through `proxy`: its server
    /// name is `127.0.0.1:<proxy port>`, so every federation request to it (and its signing
    /// keys) goes through the proxy, while it listens for federation on the proxy's upstream
    /// port. Its own requests to other servers go to them directly.
    pub fn start_federating_behind(proxy: &super::delay_proxy::DelayProxy) -> Self {
        let server_name = format!("127.0.0.1:{}", proxy.port);
        let federation_port = proxy.upstream_port.to_string();
        Self::start_with(&[
            "--server-name",
            &server_name,
            "--federation-port",
            &federation_port,
        ])
    }

    /// Starts a homeserver on a copy of `fixture`, a stopped server's directory (its database,
    /// signing key and registration secret: what `scripts/synapse.py relocate` needs), so that
    /// the fixture itself is never written to.
    pub fn start_from_copy(fixture: &Path) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("convene-synapse-")
            .tempdir()
            .unwrap();
        for entry in std::fs::read_dir(fixture).unwrap() {
            let entry = entry.unwrap();
            assert!(entry.file_type().unwrap().is_file(), "{entry:?}");
            std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
        }
        let port = super::free_port().to_string();
        let dir_arg = dir.path().to_str().unwrap().to_owned();
        run_script(&["relocate", "--dir", &dir_arg, "--port", &port]);
        Self::start_in(dir, port, &[])
    }

    fn start_with(extra: &[&str]) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("convene-synapse-")
            .tempdir()
            .unwrap();
        Self::start_in(dir, super::free_port().to_string(), extra)
    }

    /// Starts the server of `dir` on `port`.
    fn start_in(dir: TempDir, port: String, extra: &[&str]) -> Self {
        let dir_arg = dir.path().to_str().unwrap().to_owned();
        let mut args = vec!["start", "--dir", &dir_arg, "--port", &port];
        args.extend_from_slice(extra);
        let started: Started = serde_json::from_str(&run_script(&args)).unwrap();
        Self {
            dir,
            client_url: started.client_url,
            server_name: started.server_name,
            start_args: args.into_iter().map(str::to_owned).collect(),
        }
    }

    /// Stops the server by its PID (SIGTERM, SIGKILL after 10 s), as a homeserver going away;
    /// its database and ports are kept for [`Synapse::restart`].
    pub fn stop(&self) {
        let dir = self.dir.path().to_str().unwrap();
        run_script(&["stop", "--dir", dir]);
    }

    /// Starts the stopped server again, on the same ports with the same database; returns when
    /// it answers.
    pub fn restart(&self) {
        let args: Vec<&str> = self.start_args.iter().map(String::as_str).collect();
        run_script(&args);
    }

    /// Registers `localpart` with the shared secret; without a rate limit when `unlimited`
    /// (set through Synapse's admin API, as a homeserver admin would for a bot).
    pub fn register(&self, localpart: &str, password: &str, unlimited: bool) -> Account {
        let dir = self.dir.path().to_str().unwrap();
        let mut args = vec![
            "register",
            "--dir",
            dir,
            "--user",
            localpart,
            "--password",
            password,
        ];
        if unlimited {
            args.push("--no-ratelimit");
        }
        serde_json::from_str(&run_script(&args)).unwrap()
    }

    /// The user id `@localpart:server_name`.
    pub fn user_id(&self, localpart: &str) -> String {
        format!("@{localpart}:{}", self.server_name)
    }
}

impl Drop for Synapse {
    fn drop(&mut self) {
        let dir = self.dir.path().to_str().unwrap_or_default();
        let _ = Command::new("python3")
            .arg(script())
            .args(["stop", "--dir", dir])
            .output();
    }
}
