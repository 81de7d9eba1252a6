#!/usr/bin/env bash
# Runs the toolkit's tests: vet, every Go test under the race detector, and the golden vectors
# read by a second, independent decoder written in Python. CI runs this same script.
set -euo pipefail
cd "$(dirname "$0")/.."

go vet ./...
go test -race -count=1 "$@" ./...
python3 scripts/check_vectors.py
# Its command line answers as the toolkit's commands do: -h, the help on stdout and exit 0; a
# usage error, one line and a hint on stderr and exit 2.
help=$(python3 scripts/check_vectors.py -h)
case "$help" in
  "usage: "*) ;;
  *) echo "check_vectors.py -h printed no usage on stdout"; exit 1 ;;
esac
status=0
errors=$(python3 scripts/check_vectors.py --no-such-option 2>&1 >/dev/null) || status=$?
if [ "$status" != 2 ] || [ "$(printf '%s\n' "$errors" | wc -l | tr -d ' ')" != 2 ]; then
  echo "check_vectors.py --no-such-option: exit $status, want 2 with one line and a hint:"; echo "$errors"; exit 1
fi
