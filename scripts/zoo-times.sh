#!/usr/bin/env bash
# Runs conform, with default flags, against every server of the test zoo started as a process
# (-exec with {port}, so that a server that crashes is started again on a fresh port), and
# prints a line per mutant: the faults it switches on and the distinct problems they owe (several
# switches can be one fault: a name joined unchecked on BACKUP, RESTORE and DELETE), the problems
# the run reported, those of
# them that name a cause that was not injected (wrong causes) and the injected faults' problems
# it did not report (missing: a run cut by its deadline says which cases it did not reach), the
# run's time, alone and over the correct mutant's, its exit status, its FAIL and BLKD lines and
# its problems by ID (those the diagnosis found before any case ran in italics). The problem
# each fault must be reported as is the zoo's (mutantserver -problems); "?" where a fault has
# none agreed. The figures of docs/BENCHMARKS.md ("conform against the zoo") come from it.
#
#   scripts/zoo-times.sh [MUTANT...]     # default: every mutant
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d "${TMPDIR:-/tmp}/fbp-zoo.XXXXXX")
trap 'rm -rf "$work"' EXIT
go build -o "$work/conform" ./cmd/conform
go build -o "$work/mutantserver" ./conformance/internal/mutants/mutantserver
"$work/mutantserver" -problems >"$work/problems.tsv"
mutants=("$@")
if [ ${#mutants[@]} -eq 0 ]; then
	mapfile -t mutants < <(cut -f1 "$work/problems.tsv")
fi
# The correct mutant first: each time is also given over its, measured in the same session.
mutants=(none $(printf '%s\n' "${mutants[@]}" | grep -vx none || true))
printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' mutant 'faults injected' 'problems owed' 'problems reported' \
	'wrong causes' missing wall '÷ none' exit FAIL BLKD problems
printf '|---|---|---|---|---|---|---|---|---|---|---|---|\n'
for m in "${mutants[@]}"; do
	start=$(date +%s.%N)
	code=0
	"$work/conform" -exec "$work/mutantserver -fault $m -addr 127.0.0.1:{port}" -format json -o "$work/r.json" \
		>/dev/null 2>"$work/err.txt" || code=$?
	end=$(date +%s.%N)
	python3 - "$m" "$code" "$start" "$end" "$work/r.json" "$work/none.time" "$work/problems.tsv" <<'PY'
import json, sys
m, code, start, end, path, none_file, problems_file = sys.argv[1:]
wall = float(end) - float(start)
if m == "none":
    open(none_file, "w").write(str(wall))
ratio = wall / float(open(none_file).read())
faults, want = "?", None
for line in open(problems_file):
    name, n, ids = (line.rstrip("\n").split("\t") + ["", ""])[:3]
    if name == m:
        faults = n
        want = None if ids == "?" else set(ids.split())
try:
    r = json.load(open(path))
except (OSError, ValueError):
    r = {"results": [], "problems": []}
probs = r.get("problems") or []
got = [p["id"] for p in probs]
fails = sum(1 for x in r["results"] if x["status"] == "fail")
blocked = sum(1 for x in r["results"] if x["status"] == "blocked")
owed = "?" if want is None else len(want)
if want is None:
    wrong = missing = "?"
else:
    wrong = " ".join(f"`{p}`" for p in got if p not in want) or "0"
    missing = " ".join(f"`{p}`" for p in sorted(want - set(got))) or "0"
shown = " ".join(f"*`{p['id']}`*" if p.get("diagnosis") else f"`{p['id']}`" for p in probs)
print(f"| {m} | {faults} | {owed} | {len(got)} | {wrong} | {missing} | {wall:.1f} s | {ratio:.2f} | {code} | {fails} | {blocked} | {shown} |")
PY
done
