#!/usr/bin/env bash
# Same-node one-way relay latency: 100 client pairs, 2,000 offers/s in total, each answered (4,000 relayed
# messages/s), against one release `sigctl serve`. Prints the client-side latency (send → receive, one way) and the
# node's own relay histogram (frame received → written to the target's socket) from /metrics.
# usage: scripts/bench-local-relay.sh [offers-per-second] [seconds] [pairs]
# The clients are `sigctl simulate relay`. BIN_DIR overrides the release bin directory.
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-2000}
seconds=${2:-20}
pairs=${3:-100}
if [[ -z "${BIN_DIR:-}" ]]; then
  swift build -c release --product sigctl >/dev/null
  BIN_DIR=$(swift build -c release --show-bin-path)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
# Rate limit raised only so the benchmark's pairs are not limited (each sends 20/s, well below 50/s anyway).
(cd "$dir" && exec "$BIN_DIR/sigctl" serve --port "$port" --bind 127.0.0.1 --log-level warning) &
node=$!
trap 'kill $node 2>/dev/null; wait $node 2>/dev/null; rm -rf "$dir"' EXIT
until curl -sf "http://127.0.0.1:$port/health" >/dev/null; do sleep 0.05; done

"$BIN_DIR/sigctl" simulate relay --url "ws://127.0.0.1:$port/ws" --rate "$rate" --duration "$seconds" --pairs "$pairs" --quiet
cpu=$(awk '{print ($14 + $15) / 100}' "/proc/$node/stat")
echo "node CPU time: ${cpu}s; RSS: $(awk '/VmRSS/ {print $2, $3}' "/proc/$node/status")"
echo "node histogram (sigctl_relay_latency_seconds, frame in → written):"
curl -s "http://127.0.0.1:$port/metrics" | grep '^sigctl_relay_latency_seconds'
