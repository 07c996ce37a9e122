#!/usr/bin/env bash
# The README's test command on a fresh clone of this repository while eight CPU burners keep the
# machine busy: the suite must pass however loaded the machine is. Prints the wall time and the
# exit status of the test command, and exits with that status.
# Usage: scripts/loaded-test.sh [BURNERS]   (default 8)
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
burners=${1:-8}
work=$(mktemp -d "${TMPDIR:-/tmp}/tlbsim-loaded-XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
git clone -q "$repo" "$work/tlbsim" || exit 1
cd "$work/tlbsim" || exit 1
for _ in $(seq "$burners"); do
  ( while :; do :; done ) &
  pids+=("$!")
done
echo "loaded-test: $burners CPU burners running; the README test command on a fresh clone in $work/tlbsim"
start=$(date +%s)
# the README's test command, exactly
(npx -y pnpm@10.34.0 install && npx -y pnpm@10.34.0 test)
status=$?
wall=$(( $(date +%s) - start ))
echo "loaded-test: exit status $status, wall time ${wall}s ($burners burners)"
exit "$status"
