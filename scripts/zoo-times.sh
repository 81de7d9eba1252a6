#!/usr/bin/env bash
# Runs conform, with default flags, against every server of the test zoo started as a process
# (-exec with {port}, so that a server that crashes is started again on a fresh port), and
# prints a line per mutant: the run's time, alone and over the correct mutant's, its FAIL and
# BLKD lines, its problems and those of them the diagnosis found before any case ran. The
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
# The correct mutant first: each time is also given over its, measured in the same session.
mutants=(none $(printf '%s\n' "${mutants[@]}" | grep -vx none || true))
printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' mutant exit wall '÷ none' FAIL BLKD problems 'found by the diagnosis'
printf '|---|---|---|---|---|---|---|---|\n'
for m in "${mutants[@]}"; do
	start=$(date +%s.%N)
	code=0
	"$work/conform" -exec "$work/mutantserver -fault $m -addr 127.0.0.1:{port}" -format json -o "$work/r.json" \
		>/dev/null 2>"$work/err.txt" || code=$?
	end=$(date +%s.%N)
	python3 - "$m" "$code" "$start" "$end" "$work/r.json" "$work/none.time" <<'PY'
import json, sys
m, code, start, end, path, none_file = sys.argv[1:]
wall = float(end) - float(start)
if m == "none":
    open(none_file, "w").write(str(wall))
ratio = wall / float(open(none_file).read())
try:
    r = json.load(open(path))
except (OSError, ValueError):
    r = {"results": [], "problems": []}
fails = sum(1 for x in r["results"] if x["status"] == "fail")
blocked = sum(1 for x in r["results"] if x["status"] == "blocked")
problems = " ".join(f"`{p['id']}`" for p in r.get("problems") or [])
diagnosed = " ".join(f"`{p['id']}`" for p in r.get("problems") or [] if p.get("diagnosis"))
print(f"| {m} | {code} | {wall:.1f} s | {ratio:.2f} | {fails} | {blocked} | {problems} | {diagnosed} |")
PY
done
