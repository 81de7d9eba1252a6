#!/usr/bin/env bash
# Fuzzes the targets in fuzz/: the wire codec's decoders and the reference server's handler.
#
#   scripts/fuzz.sh TARGET DURATION   fuzz one target, e.g. scripts/fuzz.sh FuzzParseRequest 30s
#   scripts/fuzz.sh all DURATION      fuzz every target in fuzz/, one after the other
#
# DURATION is a go test -fuzztime value: 30s, 5m, or 10000x for a number of runs. Go fuzzes one
# target per run, hence one run per target. A failing input is written to
# fuzz/testdata/fuzz/TARGET/ and the script stops with go test's status.
#
# FUZZ_MINIMIZE_TIME (default 5s) bounds the minimizing of each new input: Go's own default of
# 60s stalls a short run on the first inputs it finds.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
	echo "usage: $0 TARGET|all DURATION" >&2
	echo "targets:" >&2
	list_targets | sed 's/^/  /' >&2 || true
	exit 2
}

list_targets() {
	go test ./fuzz -list '^Fuzz' | grep '^Fuzz' || true
}

# fuzz_one fuzzes one target. Go 1.26's fuzz coordinator can fail a run that found nothing, with
# "context deadline exceeded" as -fuzztime expires while a worker is busy (go.dev/issue/75804,
# fixed in Go 1.27). Such a run wrote no failing input and its only failure line is that
# message; it is reported as what it is and not failed. Any other failure, and every run that
# writes an input under testdata/fuzz/, fails.
fuzz_one() {
	echo "== $1 for $2" >&2
	local corpus=fuzz/testdata/fuzz/$1 before after log status=0
	before=$(ls "$corpus" 2>/dev/null | sort || true)
	log=$(mktemp)
	go test ./fuzz -run '^$' -fuzz "^$1\$" -fuzztime "$2" -fuzzminimizetime "${FUZZ_MINIMIZE_TIME:-5s}" 2>&1 |
		tee "$log" || status=$?
	after=$(ls "$corpus" 2>/dev/null | sort || true)
	if [[ $status -ne 0 && $before == "$after" ]] &&
		grep -qx -- "--- FAIL: $1 ([0-9.]*s)" "$log" &&
		[[ $(grep -A1 -x -- "--- FAIL: $1 ([0-9.]*s)" "$log" | tail -n 1) == "    context deadline exceeded" ]] &&
		! grep -q -e 'panic:' -e 'Failing input written' -e '_test.go:[0-9]' "$log"; then
		echo "$0: $1 found nothing; go test failed only as -fuzztime ran out (go.dev/issue/75804), not counted" >&2
		status=0
	fi
	rm -f "$log"
	return "$status"
}

[[ $# -eq 2 ]] || usage
target=$1 duration=$2
[[ $duration =~ ^[0-9]+(x|ns|us|µs|ms|s|m|h)$|^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$ ]] || usage

if [[ $target == all ]]; then
	targets=$(list_targets)
	if [[ -z $targets ]]; then
		echo "$0: no fuzz target found in fuzz/" >&2
		exit 1
	fi
	for t in $targets; do
		fuzz_one "$t" "$duration"
	done
	exit 0
fi

[[ $target =~ ^Fuzz[A-Za-z0-9_]*$ ]] || usage
if ! list_targets | grep -qx "$target"; then
	echo "$0: no fuzz target $target in fuzz/" >&2
	usage
fi
fuzz_one "$target" "$duration"
