#!/usr/bin/env bash
# CPU seconds per GiB RESTOREd, the tester's read and check against the reference server's
# send (docs/BENCHMARKS.md, "The tester against the server, 1 GiB"). refserver runs alone;
# conform bench restores one file R times, for R = 1 and R = 1+N; each side's CPU over the
# second run less the first, divided by N, is one RESTORE (the BACKUP that stores the file is
# taken out). The server's CPU comes from /proc/PID/stat, the tester's from its rusage.
#
#   scripts/bench-restore-cpu.sh [-size SIZE] [-n N]
#
# BENCH_DIR picks the folder for the server's root (default: a new folder under TMPDIR).
set -euo pipefail
cd "$(dirname "$0")/.."

size=1GiB n=5
while [ $# -gt 0 ]; do
	case "$1" in
	-size) size=$2; shift 2 ;;
	-n) n=$2; shift 2 ;;
	*) echo "usage: $0 [-size SIZE] [-n N]" >&2; exit 2 ;;
	esac
done

work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/fbp-cpu.XXXXXX")
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/refserver" ./cmd/refserver
go build -o "$work/conform" ./cmd/conform
tick=$(getconf CLK_TCK)

# cpu PID: user+system seconds of a running process.
cpu() { awk -v t="$tick" '{ print ($14 + $15) / t }' "/proc/$1/stat"; }

# run R: prints "server tester" CPU seconds of one bench of R rounds against a fresh server.
run() {
	rm -rf "$work/root" && mkdir -p "$work/root"
	: >"$work/server.log"
	"$work/refserver" -addr 127.0.0.1:0 -root "$work/root" 2>"$work/server.log" &
	pid=$!
	local addr=""
	for _ in $(seq 200); do
		addr=$(sed -n 's/.*msg="refserver started" listen=\([^ ]*\).*/\1/p' "$work/server.log")
		[ -n "$addr" ] && break
		sleep 0.05
	done
	[ -n "$addr" ] || { echo "refserver did not start: $(cat "$work/server.log")" >&2; exit 1; }
	local before after tester
	before=$(cpu "$pid")
	if ! /usr/bin/time -o "$work/time" -f '%U %S' "$work/conform" bench -addr "$addr" -clients 1 -names 1 \
		-size "$size" -mix restore=1 -count 1 -warmup 0s -rounds "$1" >"$work/bench.out" 2>&1; then
		echo "conform bench failed:" >&2; tail -20 "$work/bench.out" >&2; exit 1
	fi
	tester=$(tail -1 "$work/time")
	after=$(cpu "$pid")
	kill "$pid"; wait "$pid" 2>/dev/null || true
	echo "$before $after $tester" | awk '{ print $2 - $1, $3 + $4 }'
}

read -r s1 t1 < <(run 1)
read -r s2 t2 < <(run $((1 + n)))
awk -v s1="$s1" -v t1="$t1" -v s2="$s2" -v t2="$t2" -v n="$n" -v size="$size" 'BEGIN {
	s = (s2 - s1) / n; t = (t2 - t1) / n
	printf "per %s RESTORE, over %d: server send %.2f s CPU, tester read and check %.2f s CPU, tester / server %.2f\n", size, n, s, t, t / s
}'
