#!/usr/bin/env python3
"""Manage throwaway local Synapse homeservers for convene's demo and e2e tests.

Everything here talks to and binds 127.0.0.1 only.  Standard library only, so
it runs with the system ``python3``; Synapse itself lives in a venv (default
``~/.cache/convene-synapse-venv``, override with ``CONVENE_SYNAPSE_VENV``).

Subcommands (machine-readable JSON on stdout, progress on stderr):

``venv``
    Ensure the venv with ``matrix-synapse`` exists -> ``{"python": ...}``.
``start --dir DIR --port PORT [--server-name NAME] [--federation-port FPORT]``
    Write a config into DIR on first use, start Synapse in the background
    (or reuse a running one) -> ``{"pid", "client_url", "server_name"}``.
    With ``--federation-port`` a TLS federation listener is added and the
    server name defaults to ``127.0.0.1:FPORT``, so that two such servers on
    this machine federate with each other over loopback.
``relocate --dir DIR --port PORT``
    Make a stopped, non-federating server's directory usable where it now
    lies, on PORT: a copy of another one's (its database, signing key and
    registration secret; a test fixture) -> ``{"client_url", "server_name"}``.
    The configuration is written anew; the database and keys are kept.
``stop --dir DIR``
    Stop the Synapse started from DIR (no error if it is not running).
``register --dir DIR --user LOCALPART --password PW [--admin] [--no-ratelimit]
[--reuse-session]``
    Register a user with the shared secret, or log in if it already exists
    -> ``{"user_id", "access_token", "device_id"}``.  ``--no-ratelimit`` lifts
    the user's message rate limit through the admin API (as a homeserver admin
    would); ``--reuse-session`` returns the session of an earlier call instead
    of logging in again (Synapse allows only ~5 logins per IP in a burst).
``create-room --dir DIR --token TOKEN --name NAME [--alias LOCALPART]
[--encrypted] [--invite USER_ID ...]``
    Create a private room (idempotent when an alias is given)
    -> ``{"room_id", "alias"}``.
"""

import argparse
import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import localproc

DEFAULT_VENV = "~/.cache/convene-synapse-venv"
STATE_FILE = "convene-synapse.json"
PID_FILE = "synapse.pid"
ADMIN_FILE = "admin.json"
SESSIONS_FILE = "sessions.json"
ADMIN_LOCALPART = "synapse-admin"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0

# Never go through a proxy: every request of this script is to 127.0.0.1.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class MatrixError(Exception):
    """An HTTP error answer from the homeserver, with its Matrix errcode."""

    def __init__(self, status, body):
        self.status = status
        self.body = body
        self.errcode = body.get("errcode") if isinstance(body, dict) else None
        super().__init__(f"HTTP {status}: {body}")


def log(msg):
    """Print a progress message on stderr."""
    print(f"[synapse.py] {msg}", file=sys.stderr, flush=True)


def die(msg):
    """Print an error on stderr and exit with status 1."""
    log(f"error: {msg}")
    sys.exit(1)


def emit(obj):
    """Print the machine-readable result on stdout."""
    print(json.dumps(obj), flush=True)


# --------------------------------------------------------------------------
# venv


def venv_dir():
    """Return the absolute path of the Synapse venv."""
    return os.path.abspath(
        os.path.expanduser(os.environ.get("CONVENE_SYNAPSE_VENV") or DEFAULT_VENV)
    )


def synapse_importable(python):
    """True when ``python`` exists and can ``import synapse``."""
    if not os.path.exists(python):
        return False
    res = subprocess.run(
        [python, "-c", "import synapse"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return res.returncode == 0


def ensure_venv():
    """Create the venv and install matrix-synapse unless already usable; return
    the venv's python path."""
    return localproc.ensure_venv(
        venv_dir(), "matrix-synapse", synapse_importable, log, die
    )


def cmd_venv(_args):
    """``venv`` subcommand."""
    emit({"python": ensure_venv()})


# --------------------------------------------------------------------------
# config


def yaml_scalar(value):
    """Render a scalar as YAML (JSON scalars are valid YAML)."""
    return json.dumps(value)


def to_yaml(value, indent=0):
    """Render nested dicts/lists/scalars as block-style YAML lines."""
    pad = "  " * indent
    lines = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:")
                lines.extend(to_yaml(item, indent + 1))
            else:
                lines.append(f"{pad}{key}: {yaml_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)) and item:
                sub = to_yaml(item, indent + 1)
                lines.append(f"{pad}- {sub[0].lstrip()}")
                lines.extend(sub[1:])
            else:
                lines.append(f"{pad}- {yaml_scalar(item)}")
    else:
        lines.append(f"{pad}{yaml_scalar(value)}")
    return lines


def write_yaml(path, value, header=""):
    """Write ``value`` as YAML to ``path``."""
    with open(path, "w", encoding="utf-8") as f:
        f.write(header + "\n".join(to_yaml(value)) + "\n")


def log_config(dirpath):
    """Python logging config: INFO to DIR/homeserver.log, nothing to stdout."""
    return {
        "version": 1,
        "formatters": {
            "precise": {
                "format": "%(asctime)s - %(name)s - %(lineno)d - "
                "%(levelname)s - %(request)s - %(message)s"
            }
        },
        "handlers": {
            "file": {
                "class": "logging.FileHandler",
                "formatter": "precise",
                "filename": os.path.join(dirpath, "homeserver.log"),
                "encoding": "utf8",
            }
        },
        "loggers": {"synapse.storage.SQL": {"level": "INFO"}},
        "root": {"level": "INFO", "handlers": ["file"]},
        "disable_existing_loggers": False,
    }


LOOPBACK_RANGES = ["127.0.0.0/8", "::1/128"]


def ip_blocklist_without_loopback(python):
    """Synapse's default outbound IP blocklist minus the loopback ranges.

    Allow-listing loopback via ``ip_range_whitelist`` is not enough: Synapse
    checks server names that are IP literals (``127.0.0.1:PORT``) against the
    blocklist alone, so loopback must be taken out of the blocklist itself.
    """
    res = subprocess.run(
        [python, "-c", "import json; from synapse.config.server import "
         "DEFAULT_IP_RANGE_BLOCKLIST as b; print(json.dumps(b))"],
        capture_output=True, text=True, check=True,
    )
    return [r for r in json.loads(res.stdout) if r not in LOOPBACK_RANGES]


def homeserver_config(dirpath, port, server_name, fed_port, shared_secret,
                      ip_blocklist=None):
    """Build the homeserver.yaml contents as a dict."""
    listeners = [
        {
            "port": port,
            "bind_addresses": ["127.0.0.1"],
            "type": "http",
            "tls": False,
            "x_forwarded": False,
            "resources": [{"names": ["client"], "compress": False}],
        }
    ]
    cfg = {
        "server_name": server_name,
        "public_baseurl": f"http://127.0.0.1:{port}/",
        "pid_file": os.path.join(dirpath, "homeserver.pid"),
        "listeners": listeners,
        "database": {
            "name": "sqlite3",
            "args": {"database": os.path.join(dirpath, "homeserver.db")},
        },
        "log_config": os.path.join(dirpath, "log.config"),
        "media_store_path": os.path.join(dirpath, "media_store"),
        "registration_shared_secret": shared_secret,
        "macaroon_secret_key": secrets.token_urlsafe(32),
        "form_secret": secrets.token_urlsafe(32),
        "report_stats": False,
        "signing_key_path": os.path.join(dirpath, "signing.key"),
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
    }
    if fed_port is not None:
        listeners.append(
            {
                "port": fed_port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": True,
                "x_forwarded": False,
                "resources": [{"names": ["federation", "keys"], "compress": False}],
            }
        )
        cfg.update(
            {
                "tls_certificate_path": os.path.join(dirpath, "tls.crt"),
                "tls_private_key_path": os.path.join(dirpath, "tls.key"),
                # The peers' certificates are self-signed.
                "federation_verify_certificates": False,
                # Loopback is in Synapse's default outbound IP blocklist.
                "ip_range_blacklist": ip_blocklist,
                "ip_range_whitelist": LOOPBACK_RANGES,
                # A peer that was down is tried again within seconds, not after Synapse's
                # default back-off (10 minutes, doubling up to a week): tests stop member
                # servers and start them again.
                "federation": {
                    "destination_min_retry_interval": "1s",
                    "destination_retry_multiplier": 1,
                    "destination_max_retry_interval": "2s",
                },
            }
        )
    return cfg


TLS_CERT_SCRIPT = r"""
import datetime, ipaddress, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
crt_path, key_path = sys.argv[1], sys.argv[2]
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (
    x509.CertificateBuilder()
    .subject_name(name).issuer_name(name).public_key(key.public_key())
    .serial_number(x509.random_serial_number())
    .not_valid_before(now - datetime.timedelta(days=1))
    .not_valid_after(now + datetime.timedelta(days=3650))
    .add_extension(x509.SubjectAlternativeName([
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.DNSName("localhost")]), critical=False)
    .sign(key, hashes.SHA256())
)
with open(key_path, "wb") as f:
    f.write(key.private_bytes(serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption()))
with open(crt_path, "wb") as f:
    f.write(cert.public_bytes(serialization.Encoding.PEM))
"""


def write_config_draft(config_path, cfg):
    """Write ``cfg`` beside ``config_path`` (mode 0600) and return that path: a complete setup
    replaces homeserver.yaml with it last."""
    tmp_path = config_path + ".tmp"
    write_yaml(
        tmp_path,
        cfg,
        header="# Generated by scripts/synapse.py for a local test homeserver.\n",
    )
    os.chmod(tmp_path, 0o600)
    return tmp_path


def write_config(python, dirpath, port, server_name, fed_port):
    """Write homeserver.yaml, log config, signing key (and TLS cert) to DIR.

    homeserver.yaml appears last, so its presence means a complete setup.
    """
    shared_secret = secrets.token_urlsafe(32)
    blocklist = ip_blocklist_without_loopback(python) if fed_port else None
    cfg = homeserver_config(dirpath, port, server_name, fed_port, shared_secret,
                            blocklist)
    write_yaml(os.path.join(dirpath, "log.config"), log_config(dirpath))
    if fed_port is not None:
        log("generating self-signed TLS certificate")
        subprocess.run(
            [python, "-c", TLS_CERT_SCRIPT, cfg["tls_certificate_path"],
             cfg["tls_private_key_path"]],
            check=True,
            stdout=sys.stderr,
        )
    config_path = os.path.join(dirpath, "homeserver.yaml")
    tmp_path = write_config_draft(config_path, cfg)
    log("generating signing key")
    subprocess.run(
        [python, "-m", "synapse.app.homeserver", "--generate-keys",
         "-c", tmp_path],
        check=True,
        stdout=sys.stderr,
        cwd=dirpath,
    )
    state = {
        "port": port,
        "client_url": f"http://127.0.0.1:{port}",
        "server_name": server_name,
        "federation_port": fed_port,
        "registration_shared_secret": shared_secret,
    }
    write_private_json(os.path.join(dirpath, STATE_FILE), state)
    os.replace(tmp_path, config_path)


def cmd_relocate(args):
    """``relocate`` subcommand."""
    dirpath = os.path.abspath(args.dir)
    state = load_state(dirpath)
    if state.get("federation_port") is not None:
        die("relocate takes only a server that does not federate")
    for name in ("homeserver.db", "signing.key"):
        if not os.path.isfile(os.path.join(dirpath, name)):
            die(f"{dirpath} has no {name}: nothing to relocate")
    if read_pid(dirpath) is not None:
        die(f"the synapse of {dirpath} is running; stop it first")
    cfg = homeserver_config(dirpath, args.port, state["server_name"], None,
                            state["registration_shared_secret"])
    write_yaml(os.path.join(dirpath, "log.config"), log_config(dirpath))
    config_path = os.path.join(dirpath, "homeserver.yaml")
    tmp_path = write_config_draft(config_path, cfg)
    state.update({"port": args.port, "client_url": f"http://127.0.0.1:{args.port}"})
    write_private_json(os.path.join(dirpath, STATE_FILE), state)
    os.replace(tmp_path, config_path)
    emit({"client_url": state["client_url"], "server_name": state["server_name"]})


def load_state(dirpath):
    """Read DIR/convene-synapse.json (port, server name, shared secret)."""
    path = os.path.join(dirpath, STATE_FILE)
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        die(f"{path} not found: run `synapse.py start --dir {dirpath} ...` first")


# --------------------------------------------------------------------------
# process management


def read_pid(dirpath):
    """Return the PID from DIR/synapse.pid if it is our live Synapse, else None."""
    return localproc.own_pid(
        os.path.join(dirpath, PID_FILE), os.path.join(dirpath, "homeserver.yaml")
    )


def http_ok(url, timeout=2.0):
    """True when GET ``url`` answers 200."""
    try:
        with _OPENER.open(url, timeout=timeout) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def port_free(port):
    """True when nothing listens on 127.0.0.1:``port`` (we can bind it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def tail(path, lines=40):
    """Return the last ``lines`` lines of a text file (or '')."""
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])
    except OSError:
        return ""


def kill_pid(pid, timeout=STOP_TIMEOUT):
    """SIGTERM ``pid``, SIGKILL after ``timeout``."""
    localproc.kill_pid(pid, timeout, log, "synapse")


def cmd_start(args):
    """``start`` subcommand."""
    dirpath = os.path.abspath(args.dir)
    os.makedirs(dirpath, exist_ok=True)
    server_name = args.server_name or (
        f"127.0.0.1:{args.federation_port}" if args.federation_port else "localhost"
    )
    python = ensure_venv()
    config_path = os.path.join(dirpath, "homeserver.yaml")
    if not os.path.exists(config_path):
        log(f"writing config for {server_name} into {dirpath}")
        write_config(python, dirpath, args.port, server_name, args.federation_port)
    state = load_state(dirpath)
    wanted = {"port": args.port, "federation_port": args.federation_port}
    if args.server_name or args.federation_port:
        wanted["server_name"] = server_name
    for key, value in wanted.items():
        if state.get(key) != value:
            die(
                f"{dirpath} was set up with {key}={state.get(key)!r}, not "
                f"{value!r}; use another --dir or delete this one"
            )
    result = {
        "client_url": state["client_url"],
        "server_name": state["server_name"],
    }
    versions_url = state["client_url"] + "/_matrix/client/versions"

    pid = read_pid(dirpath)
    if pid is not None:
        log(f"reusing running synapse pid {pid}")
        if not wait_ready(pid, versions_url, dirpath):
            sys.exit(1)
        emit({"pid": pid, **result})
        return

    for port in filter(None, [state["port"], state.get("federation_port")]):
        if not port_free(port):
            die(f"127.0.0.1:{port} is already in use by another process")
    started = time.monotonic()
    stdout_log = open(os.path.join(dirpath, "stdout.log"), "ab")
    env = dict(os.environ)
    env["no_proxy"] = env["NO_PROXY"] = ",".join(
        filter(None, [env.get("no_proxy"), "127.0.0.1,localhost"])
    )
    proc = subprocess.Popen(
        [python, "-m", "synapse.app.homeserver", "-c", config_path],
        cwd=dirpath,
        stdin=subprocess.DEVNULL,
        stdout=stdout_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=env,
    )
    stdout_log.close()
    with open(os.path.join(dirpath, PID_FILE), "w") as f:
        f.write(f"{proc.pid}\n")
    log(f"started synapse pid {proc.pid}, waiting for {versions_url}")
    if not wait_ready(proc.pid, versions_url, dirpath, proc):
        sys.exit(1)
    log(f"synapse ready in {time.monotonic() - started:.1f}s")
    emit({"pid": proc.pid, **result})


def wait_ready(pid, url, dirpath, proc=None):
    """Poll ``url`` until it answers 200; on failure show logs and kill ``pid``."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if http_ok(url):
            return True
        if (proc.poll() is not None) if proc else not localproc.pid_alive(pid):
            log(f"synapse pid {pid} exited before becoming ready")
            break
        time.sleep(0.25)
    else:
        log(f"synapse did not answer {url} within {START_TIMEOUT:.0f}s")
    for name in ("stdout.log", "homeserver.log"):
        text = tail(os.path.join(dirpath, name))
        if text:
            print(f"----- tail of {name} -----\n{text}", file=sys.stderr)
    kill_pid(pid)
    if proc is not None:
        proc.wait()
    remove_pid_file(dirpath)
    return False


def remove_pid_file(dirpath):
    """Delete DIR/synapse.pid if present."""
    localproc.remove_file(os.path.join(dirpath, PID_FILE))


def cmd_stop(args):
    """``stop`` subcommand."""
    dirpath = os.path.abspath(args.dir)
    pid = read_pid(dirpath)
    if pid is None:
        log("synapse not running")
    else:
        log(f"stopping synapse pid {pid}")
        kill_pid(pid)
    remove_pid_file(dirpath)


# --------------------------------------------------------------------------
# Matrix HTTP helpers


def request(base_url, method, path, body=None, token=None, timeout=30.0):
    """Send a JSON request to the homeserver; return the decoded JSON answer.

    Raises MatrixError for non-2xx answers.  HTTP 429 answers are retried
    after the advertised delay while that stays within a minute in total.
    """
    deadline = time.monotonic() + 60.0
    while True:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(base_url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with _OPENER.open(req, timeout=timeout) as resp:
                raw = resp.read()
                return json.loads(raw) if raw else {}
        except urllib.error.HTTPError as err:
            raw = err.read()
            try:
                answer = json.loads(raw)
            except ValueError:
                answer = {"error": raw.decode(errors="replace")}
            delay = max(answer.get("retry_after_ms", 1000) / 1000.0, 0.1)
            if err.code == 429 and time.monotonic() + delay < deadline:
                log(f"rate limited on {path}, retrying in {delay:.1f}s")
                time.sleep(delay)
                continue
            raise MatrixError(err.code, answer) from None


def quote(s):
    """Percent-encode a path segment (user IDs, room IDs, aliases)."""
    return urllib.parse.quote(s, safe="")


def shared_secret_register(state, user, password, admin):
    """Register ``user`` via /_synapse/admin/v1/register; return the answer."""
    url = state["client_url"]
    path = "/_synapse/admin/v1/register"
    nonce = request(url, "GET", path)["nonce"]
    mac = hmac.new(
        state["registration_shared_secret"].encode(), digestmod=hashlib.sha1
    )
    mac.update(b"\x00".join([
        nonce.encode(), user.encode(), password.encode(),
        b"admin" if admin else b"notadmin",
    ]))
    return request(url, "POST", path, {
        "nonce": nonce,
        "username": user,
        "password": password,
        "admin": admin,
        "mac": mac.hexdigest(),
    })


def password_login(state, user, password):
    """Log in with a password; return the /login answer."""
    return request(state["client_url"], "POST", "/_matrix/client/v3/login", {
        "type": "m.login.password",
        "identifier": {"type": "m.id.user", "user": user},
        "password": password,
        "initial_device_display_name": "scripts/synapse.py",
    })


def register_or_login(state, user, password, admin=False):
    """Register ``user``, or log in when the localpart is already taken."""
    try:
        answer = shared_secret_register(state, user, password, admin)
        log(f"registered @{user}")
    except MatrixError as err:
        if err.errcode != "M_USER_IN_USE":
            raise
        log(f"@{user} exists, logging in")
        try:
            answer = password_login(state, user, password)
        except MatrixError as err:
            if err.status == 429:
                log("Synapse limits password logins per IP and per account "
                    "(rc_login: burst 5, then one per ~5 minutes); "
                    "`register --reuse-session` avoids logging in again")
            raise
    return {
        "user_id": answer["user_id"],
        "access_token": answer["access_token"],
        "device_id": answer.get("device_id"),
    }


@contextlib.contextmanager
def dir_lock(dirpath, name):
    """Hold an exclusive flock() on DIR/NAME.lock for the ``with`` block."""
    with open(os.path.join(dirpath, name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def read_json(path, default):
    """Load JSON from ``path``, or return ``default`` if it does not exist."""
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return default


def write_private_json(path, value):
    """Write ``value`` as JSON to ``path``, readable by the owner only."""
    fd = os.open(path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(value, f, indent=2)
    os.replace(path + ".tmp", path)


def token_valid(state, token):
    """True when ``token`` is a live access token (whoami succeeds)."""
    try:
        request(state["client_url"], "GET", "/_matrix/client/v3/account/whoami",
                token=token)
        return True
    except MatrixError:
        return False


def password_digest(user, password):
    """Digest identifying a user/password pair in the sessions cache."""
    return hashlib.sha256(f"{user}\0{password}".encode()).hexdigest()


def register_user(dirpath, state, user, password, admin, reuse_session):
    """Register or log in ``user``; remember the session in DIR/sessions.json.

    With ``reuse_session``, a still-valid session that this script handed out
    earlier for the same user and password is returned instead of logging in
    again (no new device, no hit on Synapse's login rate limit).
    """
    path = os.path.join(dirpath, SESSIONS_FILE)
    digest = password_digest(user, password)
    with dir_lock(dirpath, "sessions"):
        cached = read_json(path, {}).get(user)
    if (reuse_session and cached and cached.get("password_sha256") == digest
            and token_valid(state, cached["access_token"])):
        log(f"reusing the earlier session of {cached['user_id']}")
        return {k: cached[k] for k in ("user_id", "access_token", "device_id")}
    creds = register_or_login(state, user, password, admin)
    with dir_lock(dirpath, "sessions"):
        sessions = read_json(path, {})
        sessions[user] = {**creds, "password_sha256": digest}
        write_private_json(path, sessions)
    return creds


def admin_token(dirpath, state):
    """Access token of the script's own admin account, created on first need."""
    path = os.path.join(dirpath, ADMIN_FILE)
    with dir_lock(dirpath, "admin"):
        creds = read_json(path, None) or {
            "user": ADMIN_LOCALPART,
            "password": secrets.token_urlsafe(24),
        }
        token = creds.get("access_token")
        if token and token_valid(state, token):
            return token
        # Save the password before registering, so that a failure half-way
        # leaves the credentials of an account that may now exist.
        write_private_json(path, creds)
        creds.update(register_or_login(state, creds["user"], creds["password"],
                                       admin=True))
        write_private_json(path, creds)
        return creds["access_token"]


def cmd_register(args):
    """``register`` subcommand."""
    dirpath = os.path.abspath(args.dir)
    state = load_state(dirpath)
    try:
        creds = register_user(dirpath, state, args.user, args.password,
                              args.admin, args.reuse_session)
        if args.no_ratelimit:
            token = admin_token(dirpath, state)
            request(
                state["client_url"], "POST",
                f"/_synapse/admin/v1/users/{quote(creds['user_id'])}/override_ratelimit",
                {"messages_per_second": 0, "burst_count": 0},
                token=token,
            )
            log(f"lifted rate limit for {creds['user_id']}")
    except MatrixError as err:
        die(str(err))
    emit(creds)


def cmd_create_room(args):
    """``create-room`` subcommand."""
    dirpath = os.path.abspath(args.dir)
    state = load_state(dirpath)
    url = state["client_url"]
    token = args.token
    try:
        room_id = None
        alias = None
        if args.alias:
            whoami = request(url, "GET", "/_matrix/client/v3/account/whoami",
                             token=token)
            domain = whoami["user_id"].split(":", 1)[1]
            alias = f"#{args.alias}:{domain}"
            try:
                room_id = request(
                    url, "GET", f"/_matrix/client/v3/directory/room/{quote(alias)}",
                    token=token,
                )["room_id"]
                log(f"{alias} exists: {room_id}")
            except MatrixError as err:
                if err.errcode != "M_NOT_FOUND":
                    raise
        if room_id is None:
            body = {
                "preset": "private_chat",
                "visibility": "private",
                "name": args.name,
                "invite": args.invite,
            }
            if args.alias:
                body["room_alias_name"] = args.alias
            if args.encrypted:
                body["initial_state"] = [{
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }]
            room_id = request(url, "POST", "/_matrix/client/v3/createRoom", body,
                              token=token)["room_id"]
            log(f"created room {room_id} ({args.name})")
        else:
            ensure_invited(url, token, room_id, args.invite)
    except MatrixError as err:
        die(str(err))
    emit({"room_id": room_id, "alias": alias})


def ensure_invited(url, token, room_id, user_ids):
    """Invite each of ``user_ids`` unless already invited or joined."""
    if not user_ids:
        return
    members = request(url, "GET",
                      f"/_matrix/client/v3/rooms/{quote(room_id)}/members",
                      token=token)
    membership = {
        ev["state_key"]: ev["content"].get("membership")
        for ev in members.get("chunk", [])
    }
    for user_id in user_ids:
        if membership.get(user_id) in ("invite", "join"):
            continue
        request(url, "POST", f"/_matrix/client/v3/rooms/{quote(room_id)}/invite",
                {"user_id": user_id}, token=token)
        log(f"invited {user_id} to {room_id}")


# --------------------------------------------------------------------------
# CLI


def main(argv=None):
    """Parse the command line and run the chosen subcommand."""
    parser = argparse.ArgumentParser(
        description="Manage local Synapse homeservers for convene (127.0.0.1 only)."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("venv", help="ensure the Synapse venv, print its python")
    p.set_defaults(func=cmd_venv)

    p = sub.add_parser("start", help="configure (first time) and start Synapse")
    p.add_argument("--dir", required=True, help="state directory")
    p.add_argument("--port", required=True, type=int, help="client HTTP port")
    p.add_argument("--server-name", help="default: localhost, or 127.0.0.1:FPORT")
    p.add_argument("--federation-port", type=int,
                   help="also serve federation over TLS on this port")
    p.set_defaults(func=cmd_start)

    p = sub.add_parser("relocate", help="use a copied server directory on a new port")
    p.add_argument("--dir", required=True)
    p.add_argument("--port", required=True, type=int, help="client HTTP port")
    p.set_defaults(func=cmd_relocate)

    p = sub.add_parser("stop", help="stop the Synapse started from --dir")
    p.add_argument("--dir", required=True)
    p.set_defaults(func=cmd_stop)

    p = sub.add_parser("register", help="register a user (or log in if it exists)")
    p.add_argument("--dir", required=True)
    p.add_argument("--user", required=True, help="localpart")
    p.add_argument("--password", required=True)
    p.add_argument("--admin", action="store_true", help="make a server admin")
    p.add_argument("--no-ratelimit", action="store_true",
                   help="lift the message rate limit for this user")
    p.add_argument("--reuse-session", action="store_true",
                   help="if this script logged the user in before and that token "
                   "still works, return it instead of logging in again")
    p.set_defaults(func=cmd_register)

    p = sub.add_parser("create-room", help="create a private room (idempotent by alias)")
    p.add_argument("--dir", required=True)
    p.add_argument("--token", required=True, help="creator's access token")
    p.add_argument("--name", required=True)
    p.add_argument("--alias", help="canonical alias localpart")
    p.add_argument("--encrypted", action="store_true")
    p.add_argument("--invite", nargs="+", action="extend", default=[],
                   metavar="USER_ID")
    p.set_defaults(func=cmd_create_room)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
