#!/usr/bin/env bash
# conform watch against a direct connection: one BACKUP of SIZE (default 1GiB) from the reference
# client to the reference server, straight and then through `conform watch`, in the same run,
# alternating, ROUNDS times (default 3); then the watch's peak resident memory on that upload.
# Loopback only. Prints the figures docs/BENCHMARKS.md quotes.
#
#   scripts/watch-bench.sh [SIZE] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1GiB}
rounds=${2:-3}
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

go build -o "$tmp/" ./cmd/conform ./cmd/refserver ./cmd/refclient
bytes=$(python3 -c "import sys; s=sys.argv[1]; u={'KiB':1<<10,'MiB':1<<20,'GiB':1<<30}; print(next((int(s[:-3])*m for k,m in u.items() if s.endswith(k)), None) or int(s))" "$size")
# A sparse file: the client reads zeros at memory speed, so the figures are the network's and
# the programs'.
truncate -s "$bytes" "$tmp/big"
mkdir -p "$tmp/root"

# The server writes to its folder; a file of SIZE is replaced at every round.
"$tmp/refserver" -addr 127.0.0.1:0 -root "$tmp/root" 2>"$tmp/server.log" &
pids+=($!)
for _ in $(seq 100); do
  grep -q 'listen=' "$tmp/server.log" 2>/dev/null && break
  sleep 0.1
done
server=$(grep -o 'listen=[0-9.:]*' "$tmp/server.log" | head -1 | cut -d= -f2)
[ -n "$server" ] || { echo "the server did not start:"; cat "$tmp/server.log"; exit 1; }

# upload ADDR: seconds for one BACKUP of the file through ADDR.
upload() {
  local start end
  start=$(date +%s.%N)
  "$tmp/refclient" -addr "$1" -user 7 backup "$tmp/big" >/dev/null
  end=$(date +%s.%N)
  python3 -c "print($end - $start)"
}

# watch_once: one watch for one connection, timed under /usr/bin/time for its peak memory.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
watch_once() {
  rm -f "$tmp/watch.log"
  /usr/bin/time -f '%M' -o "$tmp/rss" "$tmp/conform" watch -listen "127.0.0.1:$port" -to "$server" -count 1 \
    >"$tmp/watch.out" 2>"$tmp/watch.log" &
  local w=$!
  pids+=($w)
  for _ in $(seq 100); do
    grep -q 'listening on' "$tmp/watch.log" 2>/dev/null && break
    sleep 0.1
  done
  upload "127.0.0.1:$port"
  wait "$w" || { echo "conform watch failed:"; cat "$tmp/watch.log" "$tmp/watch.out"; exit 1; }
}

echo "BACKUP of $size ($bytes bytes), $rounds rounds, server $server"
direct=() watched=() rss=()
for i in $(seq "$rounds"); do
  d=$(upload "$server")
  w=$(watch_once)
  direct+=("$d") watched+=("$w") rss+=("$(cat "$tmp/rss")")
  printf 'round %d: direct %.2fs, through watch %.2fs, watch peak RSS %d KiB\n' "$i" "$d" "$w" "$(cat "$tmp/rss")"
done
grep -q 'PASS' "$tmp/watch.out" || { echo "the watch found problems:"; cat "$tmp/watch.out"; exit 1; }
python3 - "$bytes" "${direct[*]}" "${watched[*]}" "${rss[*]}" <<'PY'
import statistics, sys
n = int(sys.argv[1])
d = sorted(map(float, sys.argv[2].split()))
w = sorted(map(float, sys.argv[3].split()))
r = max(map(int, sys.argv[4].split()))
md, mw = statistics.median(d), statistics.median(w)
print(f"median direct:  {n / md / 1e6:.0f} MB/s ({md:.2f}s)")
print(f"median watch:   {n / mw / 1e6:.0f} MB/s ({mw:.2f}s)")
print(f"watch / direct: {md / mw:.2f}x the throughput")
print(f"watch peak RSS: {r / 1024:.1f} MiB (the largest of the rounds)")
PY
