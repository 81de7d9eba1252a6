#!/usr/bin/env bash
# Runs conform, with default flags, against every server of the test zoo started as a process
# (-exec with {port}, so that a server that crashes is started again on a fresh port), and
# prints a line per mutant: the run's time, its FAIL and BLKD lines, its problems and those of
# them the diagnosis found before any case ran. The
# figures of docs/BENCHMARKS.md ("conform against the zoo") come from it.
#
#   scripts/zoo-times.sh [MUTANT...]     # default: every mutant
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d "${TMPDIR:-/tmp}/fbp-zoo.XXXXXX")
trap 'rm -rf "$work"' EXIT
go build -o "$work/conform" ./cmd/conform
go build -o "$work/mutantserver" ./conformance/internal/mutants/mutantserver
mutants=("$@")
if [ ${#mutants[@]} -eq 0 ]; then
	mapfile -t mutants < <("$work/mutantserver" -list | cut -f1)
fi
printf '| %s | %s | %s | %s | %s | %s | %s |\n' mutant exit time FAIL blocked problems 'found by the diagnosis'
printf '|---|---|---|---|---|---|---|\n'
for m in "${mutants[@]}"; do
	start=$(date +%s.%N)
	code=0
	"$work/conform" -exec "$work/mutantserver -fault $m -addr 127.0.0.1:{port}" -format json -o "$work/r.json" \
		>/dev/null 2>"$work/err.txt" || code=$?
	end=$(date +%s.%N)
	python3 - "$m" "$code" "$start" "$end" "$work/r.json" <<'PY'
import json, sys
m, code, start, end, path = sys.argv[1:]
try:
    r = json.load(open(path))
except (OSError, ValueError):
    r = {"results": [], "problems": []}
fails = sum(1 for x in r["results"] if x["status"] == "fail")
blocked = sum(1 for x in r["results"] if x["status"] == "blocked")
problems = " ".join(p["id"] for p in r.get("problems") or [])
diagnosed = " ".join(p["id"] for p in r.get("problems") or [] if p.get("diagnosis"))
print(f"| {m} | {code} | {float(end) - float(start):.1f}s | {fails} | {blocked} | {problems} | {diagnosed} |")
PY
done
