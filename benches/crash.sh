#!/usr/bin/env bash
# The long version of the crash test: the real bot against a real Synapse, SIGKILLed at a random
# moment in each phase of a post (announcement messages, files, pins, summary; a change's edits,
# notice and new invitation), restarted, and every room counted. Not part of CI (it takes about
# ten minutes); CI runs the same test with 3 trials over 7 rooms. The date poll crash test runs
# with the same room count (and CONVENE_CRASH_KILLS kills per phase, default 3).
#
# Run: benches/crash.sh [trials, default 20] [member rooms, default 39 (+ the organizers' = 40)]
# Replay a run with CONVENE_CRASH_SEED=<the seed it printed>.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/convene-target}"
python3 scripts/synapse.py venv >/dev/null
export CONVENE_CRASH_TRIALS="${1:-20}"
export CONVENE_CRASH_ROOMS="${2:-39}"
start=$(date +%s)
log="${CONVENE_CRASH_LOG:-$(mktemp -t convene-crash-XXXXXX.log)}"
status=0
cargo test --test it -- crash:: --nocapture >"$log" 2>&1 || status=$?
grep -E "crash test|trial|test result|panicked|timed out|assert" "$log" || true
echo "full output: $log"
echo "crash: ${CONVENE_CRASH_TRIALS} trials, $((CONVENE_CRASH_ROOMS + 1)) rooms, $(( $(date +%s) - start )) s"
exit "$status"
