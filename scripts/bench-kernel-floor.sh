#!/usr/bin/env bash
# The kernel's floor under the relay goals on this machine: scripts/kernel-floor.c (C on epoll, no framing, no
# JSON) moves messages of a signal's size as a node must, once within one node (a local relay) and once across two
# nodes through Redis pub/sub (a cross-node relay), under the load `sigctl simulate relay` applies: PAIRS pairs,
# RATE offers per second, each answered. Prints the servers' CPU (utime+stime from /proc over the whole run) per
# relayed message (local) and per offer with its answer for both nodes together (cluster), plus redis-server's,
# and the one-way latency the client measured.
# usage: scripts/bench-kernel-floor.sh [offers-per-second] [seconds] [runs] [message-bytes]
set -euo pipefail
cd "$(dirname "$0")/.."
rate=${1:-2000}
seconds=${2:-15}
runs=${3:-3}
size=${4:-1600}
dir=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
cc -O2 -Wall -Wextra -o "$dir/kernel-floor" scripts/kernel-floor.c
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { until python3 -c "import socket; socket.create_connection(('127.0.0.1', $1)).close()" 2>/dev/null; do sleep 0.05; done; }
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
report() {  # label ticks-of-servers ticks-of-redis offers answers p50 p99 per-message-divisor
  python3 - "$@" <<'PY'
import os, sys
label, servers, redis, offers, answers, p50, p99, divisor = sys.argv[1:]
tick = 1e6 / os.sysconf("SC_CLK_TCK")
offers, answers = int(offers), int(answers)
line = f"{label}: {int(servers) * tick / (offers * int(divisor)):6.1f} µs"
line += " per relayed message" if divisor == "2" else " per offer+answer, both nodes"
if redis != "-":
    line += f"; redis-server {int(redis) * tick / offers:.1f} µs per offer+answer"
print(line + f"; one-way p50 {p50} µs, p99 {p99} µs ({offers} offers, {answers} answered)")
PY
}

for run in $(seq 1 "$runs"); do
  port=$(free_port)
  "$dir/kernel-floor" relay "$port" "$size" & server=$!; pids+=("$server")
  wait_port "$port"
  before=$(cpu "$server")
  read -r offers answers p50 p99 < <("$dir/kernel-floor" client "$port" "$port" 100 "$rate" "$seconds" "$size")
  after=$(cpu "$server")
  kill "$server"
  report "local relay   run $run" $((after - before)) - "$offers" "$answers" "$p50" "$p99" 2

  rport=$(free_port); pa=$(free_port); pb=$(free_port)
  redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --daemonize no \
    --loglevel warning >/dev/null & redis=$!; pids+=("$redis")
  until redis-cli -p "$rport" ping >/dev/null 2>&1; do sleep 0.05; done
  "$dir/kernel-floor" node "$pa" "$rport" 0 1 "$size" & a=$!; pids+=("$a")
  "$dir/kernel-floor" node "$pb" "$rport" 1 0 "$size" & b=$!; pids+=("$b")
  wait_port "$pa"; wait_port "$pb"
  before=$(( $(cpu "$a") + $(cpu "$b") )); rbefore=$(cpu "$redis")
  read -r offers answers p50 p99 < <("$dir/kernel-floor" client "$pa" "$pb" 100 "$rate" "$seconds" "$size")
  after=$(( $(cpu "$a") + $(cpu "$b") )); rafter=$(cpu "$redis")
  kill "$a" "$b" "$redis"
  report "cluster relay run $run" $((after - before)) $((rafter - rbefore)) "$offers" "$answers" "$p50" "$p99" 1
done
