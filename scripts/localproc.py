"""What the project's Python helpers share: a venv installed from PyPI once, and
processes started in the background and stopped again by their PID.

Used by ``scripts/synapse.py`` (the homeserver of the demo and the tests) and
``benches/anchor.py`` (the benchmark's Python anchor bot).  Standard library only.
"""

import fcntl
import os
import signal
import subprocess
import sys
import time


def venv_python(vdir):
    """Return the python executable inside the venv ``vdir``."""
    return os.path.join(vdir, "bin", "python")


def ensure_venv(vdir, package, importable, log, die):
    """Create the venv ``vdir`` and ``pip install package`` unless
    ``importable(python)`` says it is usable already.

    Concurrent callers serialise on an flock()ed lock file next to the venv;
    whoever gets the lock second finds the finished venv and just reuses it.
    Returns the venv's python path.
    """
    python = venv_python(vdir)
    if importable(python):
        return python
    os.makedirs(os.path.dirname(vdir), exist_ok=True)
    with open(vdir + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if importable(python):
            return python
        started = time.monotonic()
        if not os.path.exists(python):
            log(f"creating venv {vdir}")
            subprocess.run(
                [sys.executable, "-m", "venv", "--clear", vdir],
                check=True,
                stdout=sys.stderr,
            )
        log(f"installing {package} into the venv (takes a minute or two)")
        res = subprocess.run(
            [python, "-m", "pip", "install", "--quiet", package],
            stdout=sys.stderr,
        )
        if res.returncode != 0 or not importable(python):
            die(f"pip install {package} failed")
        log(f"venv ready in {time.monotonic() - started:.1f}s")
    return python


def pid_alive(pid):
    """True when ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def own_pid(pid_file, marker):
    """The PID in ``pid_file`` if that process is alive and ``marker`` (a path
    only our process has on its command line) is one of its arguments, else None.

    A stale PID that now belongs to an unrelated process is ignored, so that a
    stop never signals a stranger.
    """
    try:
        with open(pid_file) as f:
            pid = int(f.read().strip())
    except (OSError, ValueError):
        return None
    if not pid_alive(pid):
        return None
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read().split(b"\0")
    except OSError:
        return None
    return pid if os.fsencode(marker) in cmdline else None


def kill_pid(pid, timeout, log, what):
    """SIGTERM ``pid``, SIGKILL after ``timeout`` seconds."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not pid_alive(pid):
                return
            time.sleep(0.1)
        if sig == signal.SIGTERM:
            log(f"{what} pid {pid} ignored SIGTERM for {timeout:.0f}s, killing")


def remove_file(path):
    """Delete ``path`` if present."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
