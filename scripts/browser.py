#!/usr/bin/env python3
"""Install the real browser that convene's browser tests drive (tests/it/support/browser.rs).

The tests check server-rendered pages in headless Chromium through ChromeDriver
(W3C WebDriver) and run axe-core in them.  Nothing of that is installed by hand,
on a developer's machine or in CI: this script does it, and is idempotent.

- Chromium and ChromeDriver: Debian's ``chromium`` and ``chromium-driver``
  packages (``/usr/bin/chromium``, ``/usr/bin/chromedriver``), installed with
  ``apt-get`` when either is missing.  A test tool's own browser download can't
  be used: the only network is the package registries.
- axe-core: the exact version pinned in ``scripts/axe/package.json`` and
  ``package-lock.json`` (integrity hash), installed with ``npm ci`` into
  ``~/.cache/convene-axe`` (override with ``CONVENE_AXE_DIR``), outside the repo.
  It is reinstalled when the pin files change.

Concurrent callers (tests started in parallel) serialise on flock()ed lock
files; whoever gets a lock second finds the finished install and reuses it.
Standard library only, so it runs with the system ``python3``.

Subcommands (machine-readable JSON on stdout, progress on stderr):

``install``
    Ensure all of the above -> ``{"chromium", "chromedriver", "axe"}`` (paths;
    ``axe`` is ``axe.min.js``, the script the tests inject into each page).
``versions``
    ``install``, then the versions as well -> ``{"chromium", "chromedriver",
    "axe"}`` (version strings), for reports and bug hunts.
"""

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
AXE_PINS = [
    os.path.join(HERE, "axe", "package.json"),
    os.path.join(HERE, "axe", "package-lock.json"),
]
DEFAULT_AXE_DIR = "~/.cache/convene-axe"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
DEBIAN_PACKAGES = ["chromium", "chromium-driver"]
# The apt lock file of this script (not apt's own): two tests must not both run
# apt-get, since the second one would fail on dpkg's lock instead of waiting.
APT_LOCK = "~/.cache/convene-browser-apt.lock"
STAMP = ".convene-installed"


def log(msg):
    """Print a progress message on stderr."""
    print(f"[browser.py] {msg}", file=sys.stderr, flush=True)


def die(msg):
    """Print an error on stderr and exit with status 1."""
    log(f"error: {msg}")
    sys.exit(1)


def emit(obj):
    """Print the machine-readable result on stdout."""
    print(json.dumps(obj), flush=True)


@contextlib.contextmanager
def locked(path):
    """Hold an exclusive flock() on ``path`` (created if needed) while inside."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


# --------------------------------------------------------------------------
# Chromium and ChromeDriver, from Debian


def browser_present():
    """True when both executables are there."""
    return all(os.access(p, os.X_OK) for p in (CHROMIUM, CHROMEDRIVER))


def apt_get(*args):
    """Run ``apt-get ARGS`` non-interactively (through sudo when not root),
    waiting for dpkg's lock should some other apt run hold it; True on success."""
    cmd = ["apt-get", "-o", "DPkg::Lock::Timeout=300", *args]
    if os.geteuid() != 0:
        if not shutil.which("sudo"):
            die(f"{' '.join(cmd)} needs root, and there is no sudo")
        cmd = ["sudo", "-n", *cmd]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    # apt's output goes to stderr: stdout is this script's JSON answer.
    return subprocess.run(cmd, stdout=sys.stderr, env=env).returncode == 0


def ensure_browser():
    """Install Debian's chromium and chromium-driver unless both are there."""
    if browser_present():
        return
    if not shutil.which("apt-get"):
        die(f"{CHROMIUM} or {CHROMEDRIVER} is missing and there is no apt-get")
    with locked(os.path.expanduser(APT_LOCK)):
        if browser_present():
            return
        started = time.monotonic()
        log(f"installing {' '.join(DEBIAN_PACKAGES)} with apt-get (takes a minute or two)")
        # A fresh machine may have no package lists at all; an old list may name
        # versions the mirror no longer has.  Either way: update, then install.
        if not apt_get("update", "-q"):
            die("apt-get update failed")
        if not apt_get("install", "-y", "-q", "--no-install-recommends", *DEBIAN_PACKAGES):
            die(f"apt-get install {' '.join(DEBIAN_PACKAGES)} failed")
        if not browser_present():
            die(f"apt-get installed {DEBIAN_PACKAGES} but {CHROMIUM} or {CHROMEDRIVER} is missing")
        log(f"chromium and chromedriver installed in {time.monotonic() - started:.1f}s")


# --------------------------------------------------------------------------
# axe-core, from the npm registry


def axe_dir():
    """Return the absolute path of the axe-core install."""
    return os.path.abspath(
        os.path.expanduser(os.environ.get("CONVENE_AXE_DIR") or DEFAULT_AXE_DIR)
    )


def axe_script(adir):
    """The path of ``axe.min.js`` inside the install ``adir``."""
    return os.path.join(adir, "node_modules", "axe-core", "axe.min.js")


def pins_fingerprint():
    """What an install is made from: a hash of the pin files."""
    digest = hashlib.sha256()
    for path in AXE_PINS:
        with open(path, "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()


def axe_current(adir, want):
    """True when ``adir`` holds a finished install of the pins ``want``."""
    try:
        with open(os.path.join(adir, STAMP)) as f:
            stamp = f.read().strip()
    except OSError:
        return False
    return stamp == want and os.path.isfile(axe_script(adir))


def ensure_axe():
    """``npm ci`` the pinned axe-core into the cache dir unless it is there
    already (from the same pins); return the path of ``axe.min.js``."""
    adir = axe_dir()
    want = pins_fingerprint()
    if axe_current(adir, want):
        return axe_script(adir)
    with locked(adir + ".lock"):
        if axe_current(adir, want):
            return axe_script(adir)
        if not shutil.which("npm"):
            die("npm is missing: axe-core is installed from the npm registry with npm ci")
        started = time.monotonic()
        log(f"installing axe-core into {adir} with npm ci (first use or changed pins)")
        shutil.rmtree(adir, ignore_errors=True)
        os.makedirs(adir)
        for path in AXE_PINS:
            shutil.copy(path, adir)
        # --ignore-scripts: nothing of the package runs at install time.
        res = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error", "--ignore-scripts"],
            cwd=adir,
            stdout=sys.stderr,
        )
        if res.returncode != 0 or not os.path.isfile(axe_script(adir)):
            shutil.rmtree(adir, ignore_errors=True)
            die(f"npm ci of axe-core into {adir} failed")
        # The stamp is written last, so an interrupted install is redone next time.
        with open(os.path.join(adir, STAMP), "w") as f:
            f.write(want + "\n")
        log(f"axe-core installed in {time.monotonic() - started:.1f}s")
    return axe_script(adir)


# --------------------------------------------------------------------------
# subcommands


def install():
    """Install everything; return the paths."""
    ensure_browser()
    return {"chromium": CHROMIUM, "chromedriver": CHROMEDRIVER, "axe": ensure_axe()}


def version_of(cmd):
    """The first line that ``cmd --version`` prints."""
    res = subprocess.run([cmd, "--version"], capture_output=True, text=True)
    if res.returncode != 0:
        die(f"{cmd} --version failed: {res.stderr.strip()}")
    return res.stdout.strip().splitlines()[0]


def cmd_install(_args):
    """``install`` subcommand."""
    emit(install())


def cmd_versions(_args):
    """``versions`` subcommand."""
    paths = install()
    with open(os.path.join(axe_dir(), "node_modules", "axe-core", "package.json")) as f:
        axe_version = json.load(f)["version"]
    emit(
        {
            "chromium": version_of(paths["chromium"]),
            "chromedriver": version_of(paths["chromedriver"]),
            "axe": f"axe-core {axe_version}",
        }
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install", help="install chromium, chromedriver and axe-core").set_defaults(
        func=cmd_install
    )
    sub.add_parser("versions", help="install, then print the versions").set_defaults(
        func=cmd_versions
    )
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
