#!/usr/bin/env bash
# Benchmarks of the reference server (docs/BENCHMARKS.md, "Reference server"): a large BACKUP
# and RESTORE against a plain TCP copy of the same bytes on the same disk, the server's peak
# RSS, then small files from concurrent clients. Figures are reported, never asserted.
#
#   scripts/bench-server.sh [-size BYTES] [-rounds N] [-clients N] [-small BYTES] [-duration D]
#
# BENCH_DIR picks the folder for the server's root and the baseline's file (default: a new
# folder under TMPDIR); it needs room for two copies of the large file, and is removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."

size=$((1 << 30)) rounds=3 clients=64 small=4096 duration=5s
while [ $# -gt 0 ]; do
	case "$1" in
	-size) size=$2; shift 2 ;;
	-rounds) rounds=$2; shift 2 ;;
	-clients) clients=$2; shift 2 ;;
	-small) small=$2; shift 2 ;;
	-duration) duration=$2; shift 2 ;;
	*) echo "usage: $0 [-size BYTES] [-rounds N] [-clients N] [-small BYTES] [-duration D]" >&2; exit 2 ;;
	esac
done

work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/fbp-bench.XXXXXX")
server_pid=
cleanup() {
	if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/refserver" ./cmd/refserver
go build -o "$work/loadgen" ./ref/server/internal/loadgen
mkdir "$work/data"

# The server logs one line per request: to a file, so that logging costs what it costs in use.
: >"$work/server.log"
"$work/refserver" -addr 127.0.0.1:0 -root "$work/data/root" -log-format json 2>"$work/server.log" &
server_pid=$!
addr=
for _ in $(seq 100); do
	addr=$(sed -n 's/.*"msg":"refserver started".*"listen":"\([^"]*\)".*/\1/p' "$work/server.log")
	[ -n "$addr" ] && break
	sleep 0.1
done
[ -n "$addr" ] || { echo "server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }

hwm() { awk '/^VmHWM/ {print $2 " " $3}' "/proc/$server_pid/status"; }

echo "go: $(go version | cut -d' ' -f3-)  cpus: $(nproc)  kernel: $(uname -r)"
echo "server RSS at start: $(hwm)"
"$work/loadgen" -addr "$addr" -dir "$work/data" -mode large -size "$size" -rounds "$rounds"
echo "server peak RSS (VmHWM) after large file: $(hwm)"
"$work/loadgen" -addr "$addr" -mode small -clients "$clients" -small "$small" -duration "$duration"
echo "server peak RSS (VmHWM) after small files: $(hwm)"
