#!/usr/bin/env bash
# The reference server under attack, on loopback only (docs/RELIABILITY.md): kill -9 during
# uploads, cut uploads, slow peers, concurrent LISTs of a large folder, planted files and a full
# disk (as root, on a tmpfs it mounts). Prints a table; exits 1 if a check failed.
#
#   scripts/soak.sh [-short] [-only kill,cut,slow,list,planted,disk] [-refserver PATH] [-seed N]
set -euo pipefail
cd "$(dirname "$0")/.."
exec go run ./scripts/soak "$@"
