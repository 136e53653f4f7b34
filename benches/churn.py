#!/usr/bin/env python3
"""Benchmark: /healthz latency while one client churns half-open connections (issue 24, D5).

Starts `convene feed` with the example configuration on a free port on 127.0.0.1 and, for a
bounded time, opens RATE connections per second that send the start of a request head and
never finish it (each kept open until the end, as an exhausting client holds them), while
/healthz is polled every POLL seconds on a fresh connection each time. Prints the poll
latencies (p50, p90, p99, max) and how many polls were not answered within 15 s. Not a test: it
prints numbers; tests/it/feed.rs holds the bounded test. Everything talks to 127.0.0.1 only; the
feed is stopped by its PID at the end.

Run: benches/churn.py [--bin PATH] [--rate 60] [--seconds 10] [--poll 0.02]
(default binary: $CARGO_TARGET_DIR/debug/convene, built by `cargo build`).
"""

import argparse
import os
import pathlib
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthz(port, timeout=15.0):
    """Seconds until a complete /healthz answer on a fresh connection, or None."""
    started = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.settimeout(max(0.1, timeout - (time.monotonic() - started)))
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            received = b""
            while not received.endswith(b"\r\n\r\nok\n"):
                chunk = s.recv(4096)
                if not chunk:
                    break
                received += chunk
            if not received.startswith(b"HTTP/1.1 200"):
                return None
    except OSError:
        return None
    return time.monotonic() - started


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    target = os.environ.get("CARGO_TARGET_DIR", str(pathlib.Path.home() / ".cache/convene-target"))
    parser.add_argument("--bin", default=f"{target}/debug/convene")
    parser.add_argument("--rate", type=float, default=60.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--poll", type=float, default=0.02)
    args = parser.parse_args()

    work = tempfile.TemporaryDirectory()
    port = free_port()
    config = (ROOT / "config/convene.example.yaml").read_text()
    config = config.replace("data_dir: /var/lib/convene", f"data_dir: {work.name}/data")
    config = config.replace("listen: 127.0.0.1:8080", f"listen: 127.0.0.1:{port}")
    config = config.replace("agendas_dir: ../agendas", f"agendas_dir: {ROOT}/agendas")
    config_path = pathlib.Path(work.name) / "convene.yaml"
    config_path.write_text(config)
    feed = subprocess.Popen(
        [args.bin, "feed", "--config", str(config_path)],
        env={**os.environ, "RUST_LOG": "error"},
    )
    try:
        deadline = time.monotonic() + 30
        while healthz(port, timeout=1.0) is None:
            if time.monotonic() > deadline or feed.poll() is not None:
                sys.exit("the feed did not start")
            time.sleep(0.1)

        stop = threading.Event()
        held = []
        opened = [0]

        def churn():
            interval = 1.0 / args.rate
            next_at = time.monotonic()
            while not stop.is_set():
                try:
                    s = socket.create_connection(("127.0.0.1", port), timeout=1.0)
                    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                    held.append(s)
                    opened[0] += 1
                except OSError:
                    pass
                next_at += interval
                time.sleep(max(0.0, next_at - time.monotonic()))

        latencies, failures = [], [0]
        lock = threading.Lock()

        def poll_once():
            latency = healthz(port)
            with lock:
                if latency is None:
                    failures[0] += 1
                else:
                    latencies.append(latency)

        churner = threading.Thread(target=churn)
        churner.start()
        pollers = []
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            poller = threading.Thread(target=poll_once)
            poller.start()
            pollers.append(poller)
            time.sleep(args.poll)
        stop.set()
        churner.join()
        for poller in pollers:
            poller.join()
        for s in held:
            s.close()
        ms = [1000 * x for x in latencies]
        print(
            f"{opened[0]} half-open connections in {args.seconds:.0f} s ({args.rate:.0f}/s); "
            f"{len(ms) + failures[0]} /healthz polls, {failures[0]} unanswered within 15 s"
        )
        if ms:
            print(
                f"/healthz latency: p50 {percentile(ms, 50):.1f} ms, p90 {percentile(ms, 90):.1f} ms, "
                f"p99 {percentile(ms, 99):.1f} ms, max {max(ms):.1f} ms, mean {statistics.mean(ms):.1f} ms"
            )
    finally:
        feed.send_signal(signal.SIGTERM)
        try:
            feed.wait(timeout=15)
        except subprocess.TimeoutExpired:
            feed.kill()
            feed.wait()
        work.cleanup()


if __name__ == "__main__":
    main()
