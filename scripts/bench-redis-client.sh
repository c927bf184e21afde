#!/usr/bin/env bash
# RedisClient throughput on one connection vs redis-benchmark, against the same fresh redis-server.
# usage: scripts/bench-redis-client.sh [runs]   (prints a Markdown table; medians over the runs)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
swift build -c release --product RedisClientBenchmark >/dev/null 2>&1 || swift build -c release --product RedisClientBenchmark
bin=$(swift build -c release --show-bin-path)/RedisClientBenchmark
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" --daemonize no --loglevel warning >/dev/null &
rpid=$!
trap 'kill $rpid 2>/dev/null; rm -rf "$dir"' EXIT
until redis-cli -p "$port" ping >/dev/null 2>&1; do sleep 0.05; done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
rb() {  # redis-benchmark rps for one test: $1 clients, rest = test args
  local c=$1; shift
  redis-benchmark -p "$port" -c "$c" -P 16 -n 1000000 -q "$@" 2>/dev/null | tr '\r' '\n' | grep -oE '[0-9.]+ requests per second' | tail -1 | awk '{print int($1)}'
}
declare -A ours rb50 rb1
for name in PING SET PUBLISH; do ours[$name]=""; rb50[$name]=""; rb1[$name]=""; done
for ((r = 0; r < runs; r++)); do
  out=$("$bin" "redis://127.0.0.1:$port" 1000000 16 32)
  for name in PING SET PUBLISH; do
    ours[$name]+="$(echo "$out" | awk -v n="$name:" '$1==n {print $2}') "
  done
  rb50[PING]+="$(rb 50 -t ping_mbulk) "; rb1[PING]+="$(rb 1 -t ping_mbulk) "
  rb50[SET]+="$(rb 50 -t set) "; rb1[SET]+="$(rb 1 -t set) "
  rb50[PUBLISH]+="$(rb 50 PUBLISH ch hello) "; rb1[PUBLISH]+="$(rb 1 PUBLISH ch hello) "
done
echo "| command | RedisClient, 1 connection (req/s) | redis-benchmark -P 16 -c 50 | ratio | redis-benchmark -P 16 -c 1 | ratio |"
echo "|---|---|---|---|---|---|"
for name in PING SET PUBLISH; do
  o=$(echo ${ours[$name]} | tr ' ' '\n' | median)
  a=$(echo ${rb50[$name]} | tr ' ' '\n' | median)
  b=$(echo ${rb1[$name]} | tr ' ' '\n' | median)
  printf '| %s | %s | %s | %.2f | %s | %.2f |\n' "$name" "$o" "$a" "$(awk -v x="$o" -v y="$a" 'BEGIN{print x/y}')" "$b" "$(awk -v x="$o" -v y="$b" 'BEGIN{print x/y}')"
done
