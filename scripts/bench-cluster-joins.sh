#!/usr/bin/env bash
# Joins per second per node: release `sigctl serve --cluster-mode` nodes on one private redis-server, and
# `sigctl simulate joins` spreading clients round-robin over them (rooms of 4 by default, so room-mates sit on
# different nodes). Prints the simulator's report and each node's (and Redis's) CPU time per join from /proc.
# With JOINS_LOCAL=1 (scripts/bench-local-joins.sh) the same run goes to one node in local mode, without Redis.
# usage: scripts/bench-cluster-joins.sh [clients] [concurrency] [room-size] [nodes] [-- extra simulate flags]
#   e.g. scripts/bench-cluster-joins.sh 10000 100 4 2 -- --close-after-join
# NODE_FLAGS adds `sigctl serve` flags (e.g. NODE_FLAGS="--rate-limit 1000 --rate-limit-burst 2000" for
# --reuse-connections, which sends two messages per join on each connection). BIN_DIR overrides the release bin
# directory (default: build it with `swift build -c release`).
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-10000}
concurrency=${2:-100}
room_size=${3:-4}
nodes=${4:-2}
shift $(( $# < 4 ? $# : 4 ))
[[ "${1:-}" == "--" ]] && shift
extra=("$@")
local_mode=${JOINS_LOCAL:-0}
(( local_mode )) && nodes=1
ulimit -n "$(ulimit -Hn)"
if [[ -z "${BIN_DIR:-}" ]]; then
  swift build -c release --product sigctl >/dev/null
  BIN_DIR=$(swift build -c release --show-bin-path)
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
dir=$(mktemp -d)
pids=()
rpid=""
trap 'kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null; [[ -n "$rpid" ]] && kill $rpid 2>/dev/null; rm -rf "$dir"' EXIT
read -r -a node_flags <<< "${NODE_FLAGS:-}"
common=(--bind 127.0.0.1 --log-level warning --max-connections $((clients + 100)) "${node_flags[@]}")
if (( local_mode )); then
  want='"mode":"local"'
else
  rport=$(free_port)
  redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --daemonize no \
    --loglevel warning >/dev/null &
  rpid=$!
  until redis-cli -p "$rport" ping >/dev/null 2>&1; do sleep 0.05; done
  common+=(--cluster-mode --redis-url "redis://127.0.0.1:$rport")
  want='"mode":"cluster"'
fi
ports=()
urls=()
for ((i = 0; i < nodes; i++)); do
  port=$(free_port)
  (cd "$dir" && exec "$BIN_DIR/sigctl" serve --port "$port" --node-id "bench-$i" "${common[@]}") &
  pids+=($!)
  ports+=("$port")
  urls+=(--url "ws://127.0.0.1:$port/ws")
done
for p in "${ports[@]}"; do
  until curl -sf "http://127.0.0.1:$p/health" | grep -q "$want"; do sleep 0.05; done
done
cpu() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }
before=()
for p in "${pids[@]}"; do before+=("$(cpu "$p")"); done
[[ -n "$rpid" ]] && rbefore=$(cpu "$rpid")

status=0
"$BIN_DIR/sigctl" simulate joins "${urls[@]}" --clients "$clients" --concurrency "$concurrency" \
  --room-size "$room_size" --format json "${extra[@]}" > "$dir/report.json" || status=$?
cat "$dir/report.json"
for i in "${!pids[@]}"; do
  joined=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["nodes"][int(sys.argv[2])]["joined"])' \
    "$dir/report.json" "$i")
  awk -v a="$(cpu "${pids[$i]}")" -v b="${before[$i]}" -v n="$joined" -v id="bench-$i" \
    'BEGIN{printf "node %s CPU: %.2fs for %d joins: %.1f µs per join (incl. closing the connections)\n", id, a-b, n, n ? (a-b)*1e6/n : 0}'
done
if [[ -n "$rpid" ]]; then
  total=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["joined"])' "$dir/report.json")
  awk -v a="$(cpu "$rpid")" -v b="$rbefore" -v n="$total" \
    'BEGIN{printf "redis-server CPU: %.2fs for %d joins: %.1f µs per join\n", a-b, n, n ? (a-b)*1e6/n : 0}'
fi
exit $status
