#!/usr/bin/env bash
# The floor beneath the node: node CPU per relayed message for `sigctl serve` (local mode) and for two bare relays
# that do only what `sigctl simulate relay` needs (WebSocketFloorBenchmark: one on Hummingbird's WebSocket API as
# the node uses it; the same with frames written straight to the channel instead of through a writer task and the
# async outbound writer; one on SwiftNIO's upgrader and a plain channel handler, no async/await). Runs are
# interleaved (serve, hummingbird, direct, nio, serve, …) so that a busy machine weighs on all alike; each line is
# one run.
# CPU is the server's utime+stime from /proc over the whole run, divided by every relayed message (offers and
# answers, warm-up included).
# usage: scripts/bench-websocket-floor.sh [offers-per-second] [seconds] [runs]   (BIN_DIR overrides the bin dir)
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-2000}
seconds=${2:-15}
runs=${3:-3}
if [[ -z "${BIN_DIR:-}" ]]; then
  swift build -c release --product sigctl >/dev/null
  swift build -c release --product WebSocketFloorBenchmark >/dev/null
  BIN_DIR=$(swift build -c release --show-bin-path)
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
dir=$(mktemp -d)
server=""
trap '[[ -n "$server" ]] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT

measure() {  # kind run
  local kind=$1 run=$2 port
  port=$(free_port)
  case $kind in
    # A clean environment and an empty working directory: no exported setting or .env file changes the node.
    serve) (cd "$dir" && exec env -i PATH="$PATH" "$BIN_DIR/sigctl" serve --port "$port" --bind 127.0.0.1 --log-level warning) & ;;
    *) env -i PATH="$PATH" "$BIN_DIR/WebSocketFloorBenchmark" "$kind" "$port" & ;;
  esac
  server=$!
  until python3 -c "import socket; socket.create_connection(('127.0.0.1', $port)).close()" 2>/dev/null; do sleep 0.05; done
  local before after load out
  before=$(awk '{print $14 + $15}' "/proc/$server/stat")
  load=$(cut -d' ' -f1 /proc/loadavg)
  out=$("$BIN_DIR/sigctl" simulate relay --url "ws://127.0.0.1:$port/ws" --rate "$rate" --duration "$seconds" \
    --pairs 100 --quiet --format json)
  after=$(awk '{print $14 + $15}' "/proc/$server/stat")
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
  python3 - "$kind" "$run" "$before" "$after" "$load" "$out" <<'PY'
import json, os, sys
kind, run, before, after, load, out = sys.argv[1:]
report = json.loads(out)
seconds = (int(after) - int(before)) / os.sysconf("SC_CLK_TCK")
messages = 2 * report["offers_sent_with_warmup"]  # offers and their answers, warm-up included
latency = report["one_way_latency_us"]
print(f"{kind:12} run {run}: {seconds * 1e6 / messages:6.1f} µs CPU per relayed message; one-way p50 {latency['p50']} µs, "
      f"p99 {latency['p99']} µs; errors {report['errors']}; load average {load}")
PY
}

for run in $(seq 1 "$runs"); do
  for kind in serve hummingbird direct nio; do measure "$kind" "$run"; done
done
