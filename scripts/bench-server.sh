#!/usr/bin/env bash
# Benchmarks of the reference server (docs/BENCHMARKS.md, "Reference server"), all with
# conform bench, each against the machine's limits measured in the same run (-limits:
# loopback TCP carrying the same bytes, and the same ops on the same disk, a BACKUP written as
# a temporary file, fsynced, renamed and its folder fsynced): a large BACKUP and RESTORE from
# one client, then small files from many. Figures are reported, never asserted; the server's
# CPU time and peak RSS come from /proc. It ends with the four rows side by side: each
# server figure over the bound of loopback and disk done in turn, and over each of them.
# Rounds go on (3 to 9) until every ratio settles within ±10% of its median, unless -rounds
# fixes their number; a ratio that does not settle is named.
#
#   scripts/bench-server.sh [-size SIZE] [-rounds N] [-clients N[,N...]] [-small SIZE] [-duration D]
#
# BENCH_DIR picks the folder for the server's root and the baseline's files (default: a new
# folder under TMPDIR); it needs room for three copies of the large file, and is removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."

size=1GiB rounds_flag="" clients=64 small=4KiB duration=5s
while [ $# -gt 0 ]; do
	case "$1" in
	-size) size=$2; shift 2 ;;
	-rounds) rounds_flag="-rounds $2"; shift 2 ;;
	-clients) clients=$2; shift 2 ;;
	-small) small=$2; shift 2 ;;
	-duration) duration=$2; shift 2 ;;
	*) echo "usage: $0 [-size SIZE] [-rounds N] [-clients N[,N...]] [-small SIZE] [-duration D]" >&2; exit 2 ;;
	esac
done

work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/fbp-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
go build -o "$work/refserver" ./cmd/refserver
go build -o "$work/conform" ./cmd/conform

# A free loopback port for the server conform starts and stops (-exec needs it beforehand).
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
addr=127.0.0.1:$port
# The server logs one line per request, as in use: conform keeps the last lines.
server="$work/refserver -addr $addr -root $work/root -log-format json"

# bench ROW ARGS...: runs one measure, its report kept in $work/ROW.txt for the summary.
bench() {
	local row=$1
	shift
	echo
	echo "\$ conform bench $*"
	"$work/conform" bench -addr "$addr" -exec "$server" -limits -limits-dir "$work" "$@" | tee "$work/$row.txt"
}

# ratio ROW OP TO: the ratio line's "median (min-max) ±spread" of server / TO.
ratio() {
	awk -v op="$2" -v to="$3" '$2 == op && $3 == "server" && $4 == "/" && $5 == to { print $6, $7, $8 }' "$work/$1.txt"
}

echo "go: $(go version | cut -d' ' -f3-)  cpus: $(nproc)  kernel: $(uname -r)"
# Large: one client, one name, one request a round, so each round times one whole transfer.
bench large-backup -clients 1 -names 1 -size "$size" -mix backup=1 -count 1 -warmup 0s $rounds_flag
bench large-restore -clients 1 -names 1 -size "$size" -mix restore=1 -count 1 -warmup 0s $rounds_flag
# Small: many clients, a connection per request as the exercise's clients do.
bench small-backup -clients "$clients" -size "$small" -mix backup=1 -duration "$duration" $rounds_flag
bench small-restore -clients "$clients" -size "$small" -mix restore=1 -duration "$duration" $rounds_flag

echo
echo "server ÷ limit, median (min-max) over the rounds ±spread; loopback+disk = 1/(1/loopback + 1/disk):"
printf '%-36s  %-28s  %-28s  %s\n' measure "÷ loopback+disk" "÷ loopback" "÷ disk"
row() {
	printf '%-36s  %-28s  %-28s  %s\n' "$1" "$(ratio "$2" "$3" loopback+disk)" "$(ratio "$2" "$3" loopback)" "$(ratio "$2" "$3" disk)"
}
row "small BACKUP, $small x $clients clients" small-backup BACKUP
row "small RESTORE, $small x $clients clients" small-restore RESTORE
row "RESTORE $size, 1 client" large-restore RESTORE
row "BACKUP $size, 1 client" large-backup BACKUP
grep -h "not settled" "$work"/*.txt || true
