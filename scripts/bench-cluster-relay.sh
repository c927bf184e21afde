#!/usr/bin/env bash
# Cross-node one-way relay latency: two release `sigctl serve --cluster-mode` nodes on one private redis-server;
# in each client pair the offerer is on node A and the answerer on node B, 2,000 offers/s in total, each answered
# (4,000 relayed messages/s). Prints client-side latency and both nodes' CPU time per relayed offer.
# usage: scripts/bench-cluster-relay.sh [offers-per-second] [seconds] [pairs]   (BIN_DIR overrides the bin dir)
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-2000}
seconds=${2:-20}
pairs=${3:-100}
if [[ -z "${BIN_DIR:-}" ]]; then
  swift build -c release --product sigctl >/dev/null
  BIN_DIR=$(swift build -c release --show-bin-path)
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
dir=$(mktemp -d)
rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --daemonize no --loglevel warning >/dev/null &
rpid=$!
until redis-cli -p "$rport" ping >/dev/null 2>&1; do sleep 0.05; done
pa=$(free_port); pb=$(free_port)
common=(--bind 127.0.0.1 --cluster-mode --redis-url "redis://127.0.0.1:$rport" --log-level warning)
(cd "$dir" && exec "$BIN_DIR/sigctl" serve --port "$pa" --node-id bench-a "${common[@]}") &
na=$!
(cd "$dir" && exec "$BIN_DIR/sigctl" serve --port "$pb" --node-id bench-b "${common[@]}") &
nb=$!
trap 'kill $na $nb 2>/dev/null; wait $na $nb 2>/dev/null; kill $rpid 2>/dev/null; rm -rf "$dir"' EXIT
for p in "$pa" "$pb"; do
  until curl -sf "http://127.0.0.1:$p/health" | grep -q '"mode":"cluster"'; do sleep 0.05; done
done
cpu() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }
before=$(awk -v a="$(cpu $na)" -v b="$(cpu $nb)" 'BEGIN{print a+b}')
out=$("$BIN_DIR/sigctl" simulate relay --url "ws://127.0.0.1:$pa/ws" --answer-url "ws://127.0.0.1:$pb/ws" \
  --rate "$rate" --duration "$seconds" --pairs "$pairs" --quiet)
echo "$out"
after=$(awk -v a="$(cpu $na)" -v b="$(cpu $nb)" 'BEGIN{print a+b}')
offers=$(echo "$out" | grep -oE '[0-9]+ with the warm-up' | awk '{print $1}')
awk -v c="$after" -v b="$before" -v n="$offers" 'BEGIN{printf "both nodes CPU: %.2fs for %d offers incl. warm-up (each answered): %.1f µs per relayed offer+answer\n", c-b, n, (c-b)*1e6/n}'
