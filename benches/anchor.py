#!/usr/bin/env python3
"""Install, start and stop the benchmark's Python anchor: matrix-reminder-bot 0.4.0.

benches/ping.rs measures convene side by side with this bot (matrix-nio with
end-to-end encryption, from PyPI) on the same local Synapse.  Everything here
talks to and binds 127.0.0.1 only.  Standard library only, so it runs with the
system ``python3``; the bot lives in a venv (default
``${XDG_CACHE_HOME:-~/.cache}/convene-anchor-venv``, override with
``CONVENE_ANCHOR_VENV``).

Subcommands (machine-readable JSON on stdout, progress on stderr):

``venv``
    Ensure the venv with ``matrix-reminder-bot==0.4.0`` exists
    -> ``{"python", "versions"}`` (versions of the bot, matrix-nio and
    vodozemac: pip resolves the bot's open-ended requirements at install time).
``start --dir DIR --homeserver URL --user-id ID --password PW --device-id DEV``
    Write ``DIR/config.yaml`` (store and database in DIR, command prefix
    ``!``, log to ``DIR/bot.log``) and start the bot in the background
    -> ``{"pid", "log"}``.  The bot logs in with the password (it has no
    access-token option) and joins every room it is invited to.
``stop --dir DIR``
    Stop the bot started from DIR by its PID (no error if it is not running).
"""

import argparse
import fcntl
import json
import os
import signal
import subprocess
import sys
import time

PACKAGE = "matrix-reminder-bot==0.4.0"
PID_FILE = "anchor.pid"
LOG_FILE = "bot.log"
STOP_TIMEOUT = 10.0


def log(msg):
    """Print a progress message on stderr."""
    print(f"[anchor.py] {msg}", file=sys.stderr, flush=True)


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
    """Return the absolute path of the anchor's venv."""
    override = os.environ.get("CONVENE_ANCHOR_VENV")
    if override:
        return os.path.abspath(os.path.expanduser(override))
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    return os.path.abspath(os.path.join(cache, "convene-anchor-venv"))


def venv_python(vdir):
    """Return the python executable inside the venv ``vdir``."""
    return os.path.join(vdir, "bin", "python")


def anchor_importable(python):
    """True when ``python`` exists and can import the bot with nio's encryption."""
    if not os.path.exists(python):
        return False
    res = subprocess.run(
        [python, "-c", "import matrix_reminder_bot.main, nio.crypto; "
         "assert nio.crypto.ENCRYPTION_ENABLED"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return res.returncode == 0


def ensure_venv():
    """Create the venv and install the bot unless already usable.

    Concurrent callers serialise on an flock()ed lock file next to the venv;
    whoever gets the lock second finds the finished venv and just reuses it.
    Returns the venv's python path.
    """
    vdir = venv_dir()
    python = venv_python(vdir)
    if anchor_importable(python):
        return python
    os.makedirs(os.path.dirname(vdir), exist_ok=True)
    with open(vdir + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if anchor_importable(python):
            return python
        started = time.monotonic()
        if not os.path.exists(python):
            log(f"creating venv {vdir}")
            subprocess.run(
                [sys.executable, "-m", "venv", "--clear", vdir],
                check=True,
                stdout=sys.stderr,
            )
        log(f"installing {PACKAGE} into the venv (takes a minute or two)")
        res = subprocess.run(
            [python, "-m", "pip", "install", "--quiet", PACKAGE],
            stdout=sys.stderr,
        )
        if res.returncode != 0 or not anchor_importable(python):
            die(f"pip install {PACKAGE} failed")
        log(f"venv ready in {time.monotonic() - started:.1f}s")
    return python


def installed_versions(python):
    """The versions of the bot and of the Matrix libraries it runs on."""
    res = subprocess.run(
        [python, "-c", "import importlib.metadata as m, json; print(json.dumps("
         "{p: m.version(p) for p in ('matrix-reminder-bot', 'matrix-nio', 'vodozemac')}))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(res.stdout)


def cmd_venv(_args):
    """``venv`` subcommand."""
    python = ensure_venv()
    emit({"python": python, "versions": installed_versions(python)})


# --------------------------------------------------------------------------
# config, start, stop


def quoted(value):
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(str(value))


def write_config(dirpath, args):
    """Write DIR/config.yaml with the options matrix-reminder-bot 0.4.0 reads."""
    config = f"""# Generated by benches/anchor.py for a local benchmark homeserver.
command_prefix: "!"
matrix:
  user_id: {quoted(args.user_id)}
  user_password: {quoted(args.password)}
  homeserver_url: {quoted(args.homeserver)}
  device_id: {quoted(args.device_id)}
  device_name: "convene bench anchor"
storage:
  database: {quoted("sqlite://" + os.path.join(dirpath, "bot.db"))}
  store_path: {quoted(os.path.join(dirpath, "store"))}
reminders:
  timezone: "Etc/UTC"
allowlist:
  enabled: false
  regexes: []
blocklist:
  enabled: false
  regexes: []
logging:
  level: INFO
  file_logging:
    enabled: true
    filepath: {quoted(os.path.join(dirpath, LOG_FILE))}
  console_logging:
    enabled: false
"""
    path = os.path.join(dirpath, "config.yaml")
    with open(path, "w") as f:
        f.write(config)
    os.chmod(path, 0o600)
    return path


def read_pid(dirpath):
    """The PID in DIR's pid file, or None."""
    try:
        with open(os.path.join(dirpath, PID_FILE)) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def pid_alive(pid):
    """True while ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def cmd_start(args):
    """``start`` subcommand."""
    if not args.homeserver.startswith(("http://127.0.0.1:", "http://localhost:")):
        die("the anchor only talks to a homeserver on 127.0.0.1")
    dirpath = os.path.abspath(args.dir)
    os.makedirs(dirpath, exist_ok=True)
    python = ensure_venv()
    pid = read_pid(dirpath)
    if pid is not None and pid_alive(pid):
        die(f"the anchor from {dirpath} is already running as pid {pid}")
    config_path = write_config(dirpath, args)
    env = dict(os.environ)
    env["no_proxy"] = env["NO_PROXY"] = ",".join(
        filter(None, [env.get("no_proxy"), "127.0.0.1,localhost"])
    )
    for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy",
                  "ALL_PROXY"):
        env.pop(proxy, None)
    stdout_log = open(os.path.join(dirpath, "stdout.log"), "ab")
    bot = os.path.join(os.path.dirname(python), "matrix-reminder-bot")
    # The entry script's shebang is the venv's python: the PID is the bot's own process.
    proc = subprocess.Popen(
        [python, bot, config_path],
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
    log(f"started matrix-reminder-bot pid {proc.pid}")
    emit({"pid": proc.pid, "log": os.path.join(dirpath, LOG_FILE)})


def cmd_stop(args):
    """``stop`` subcommand: SIGTERM the bot by PID, SIGKILL after a timeout."""
    dirpath = os.path.abspath(args.dir)
    pid = read_pid(dirpath)
    if pid is None:
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline and pid_alive(pid):
            time.sleep(0.1)
        if not pid_alive(pid):
            break
    try:
        os.remove(os.path.join(dirpath, PID_FILE))
    except OSError:
        pass


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("venv", help="ensure the anchor's venv, print its python")
    p.set_defaults(func=cmd_venv)
    p = sub.add_parser("start", help="write the config and start the anchor")
    p.add_argument("--dir", required=True)
    p.add_argument("--homeserver", required=True)
    p.add_argument("--user-id", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--device-id", required=True)
    p.set_defaults(func=cmd_start)
    p = sub.add_parser("stop", help="stop the anchor started from DIR")
    p.add_argument("--dir", required=True)
    p.set_defaults(func=cmd_stop)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
