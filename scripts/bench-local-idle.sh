#!/usr/bin/env bash
# Idle WebSocket connections on one node: N connections (default 20,000), each joined to a room of two, held open;
# prints the node's resident memory (VmRSS) before, with the clients, and after they left, and the cost per
# connection. The clients run in several processes (one descriptor per connection on each side); the fd limit is
# raised here, for the benchmark only, as far as the hard limit allows (the node needs connections + ~20).
# usage: scripts/bench-local-idle.sh [connections] [client-processes]
# The clients are `sigctl simulate idle`. BIN_DIR overrides the release bin directory.
set -euo pipefail
cd "$(dirname "$0")/.."
connections=${1:-20000}
processes=${2:-2}
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if (( connections + 50 > $(ulimit -n) )); then
  echo "fd limit $(ulimit -n) (hard $(ulimit -Hn)) is below $connections + 50: lower the count or raise the hard limit" >&2
  exit 2
fi
if [[ -z "${BIN_DIR:-}" ]]; then
  swift build -c release --product sigctl >/dev/null
  BIN_DIR=$(swift build -c release --show-bin-path)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
(cd "$dir" && exec "$BIN_DIR/sigctl" serve --port "$port" --bind 127.0.0.1 --log-level warning \
  --max-connections $((connections + 10))) &
node=$!
clients=()
trap 'kill $node "${clients[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do sleep 0.05; done
rss() { awk '/VmRSS/ {print $2}' "/proc/$node/status"; }
health_count() { curl -s "http://127.0.0.1:$port/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["local_connections"])'; }

before=$(rss)
per=$(( (connections + processes - 1) / processes ))
start=$(date +%s.%N)
for ((p = 0; p < processes; p++)); do
  n=$(( p == processes - 1 ? connections - per * (processes - 1) : per ))
  "$BIN_DIR/sigctl" simulate idle --url "ws://127.0.0.1:$port/ws" --connections "$n" --hold 600s \
    --first-index $((p * per)) > "$dir/client-$p.log" 2>&1 &
  clients+=($!)
done
until (( $(grep -l '^ready' "$dir"/client-*.log 2>/dev/null | wc -l) == processes )); do
  for c in "${clients[@]}"; do kill -0 "$c" 2>/dev/null || { cat "$dir"/client-*.log; exit 1; }; done
  sleep 0.5
done
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')
sleep 3
with=$(rss)
open=$(health_count)
kill "${clients[@]}" 2>/dev/null; wait "${clients[@]}" 2>/dev/null || true
until (( $(health_count) == 0 )); do sleep 0.2; done
sleep 2
after=$(rss)
echo "connections: $open open and joined (rooms of 2) in ${elapsed}s, $processes client processes"
echo "node RSS: ${before} KB before, ${with} KB with the clients, ${after} KB after they left"
awk -v b="$before" -v w="$with" -v n="$open" 'BEGIN {printf "per connection: %.1f KB (%.0f bytes)\n", (w - b) / n, (w - b) * 1024 / n}'
