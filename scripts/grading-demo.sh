#!/usr/bin/env bash
# A course's hand-in in miniature: a folder per submission (servers of the test zoo, correct
# ones, ones with several faults, one in Python, one that does not build and one that does not
# start), tested by conform batch with the full catalog. It leaves the reports and the matrix in
# OUT (default: a fresh temporary folder) and, with -screenshots, the pictures of the README
# (docs/report.png, docs/matrix.png), taken by headless Chromium.
#
#   scripts/grading-demo.sh [-screenshots] [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
shots=
if [ "${1:-}" = -screenshots ]; then shots=1; shift; fi
out=${1:-$(mktemp -d "${TMPDIR:-/tmp}/fbp-grading.XXXXXX")}
mkdir -p "$out/bin"
go build -o "$out/bin/conform" ./cmd/conform
go build -o "$out/bin/mutantserver" ./conformance/internal/mutants/mutantserver
py=$(pwd)/conformance/internal/realzoo/server.py
mutant=$(cd "$out/bin" && pwd)/mutantserver

sub() { # NAME BUILD-SCRIPT SERVER-SCRIPT
	mkdir -p "$out/subs/$1"
	printf '%s\n' "$2" >"$out/subs/$1/build.sh"
	if [ -n "$3" ]; then printf '#!/bin/sh\n%s\n' "$3" >"$out/subs/$1/server" && chmod +x "$out/subs/$1/server"; fi
}
gosrv() { echo "exec $mutant -fault $1 -addr 127.0.0.1:\$1"; }
pysrv() { echo "exec python3 $py --port \$1 --root \"\$(dirname \"\$0\")/store\" --fault $1"; }
sub alice 'exit 0' "$(gosrv none)"
sub bob 'exit 0' "$(gosrv list-crlf)"
sub carol 'exit 0' "$(pysrv none)"
sub dave 'exit 0' "$(gosrv missing-file-1003)"
sub erin 'exit 0' "$(gosrv traversal-write,delete-ignored)"
sub frank 'exit 0' "$(gosrv list-other-users,overwrite-appends,delete-missing-ok)"
sub grace 'exit 0' "$(gosrv unsafe-name-accepted,truncates-over-1mib)"
sub heidi 'exit 0' "$(pysrv backup-only-check)"
sub ivan 'exit 0' "$(pysrv overwrite-no-trunc)"
sub judy 'exit 0' "$(gosrv list-stale-after-delete,unknown-op-closes)"
sub mallory "echo 'server.cpp:12:5: error: expected ; before } token' >&2; exit 1" ""
sub oscar 'exit 0' "echo 'bind: Address already in use' >&2; exit 1"

code=0
"$out/bin/conform" batch -build "sh build.sh" -exec "{dir}/server {port}" -parallel 2 -reports "$out/reports" "$out"/subs/*/ || code=$?
echo "reports and matrix: $out/reports (conform batch exited $code)"
if [ -n "$shots" ]; then
	# Every request, the browser's own included, goes to a closed port of loopback: the pages need
	# none, and the browser reaches nothing outside the machine.
	chrome() {
		chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
			--disable-component-update --disable-sync --disable-features=OptimizationHints,NetworkTimeServiceQuerying --user-data-dir="$out/profile" --hide-scrollbars \
			--proxy-server=http://127.0.0.1:9 --proxy-bypass-list='<-loopback>' "$@" 2>/dev/null
	}
	chrome --window-size=1200,1500 --screenshot="$(pwd)/docs/report.png" "file://$out/reports/erin.html"
	chrome --window-size=1400,820 --screenshot="$(pwd)/docs/matrix.png" "file://$out/reports/matrix.html"
fi
