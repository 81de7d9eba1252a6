#!/usr/bin/env bash
# Runs the toolkit's tests: vet, every Go test under the race detector, and the golden vectors
# read by a second, independent decoder written in Python. CI runs this same script.
set -euo pipefail
cd "$(dirname "$0")/.."

go vet ./...
go test -race -count=1 "$@" ./...
python3 scripts/check_vectors.py
