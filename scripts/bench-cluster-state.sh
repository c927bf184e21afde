#!/usr/bin/env bash
# Issue 3's ClusterState figures, measured against a private redis-server on a free loopback port:
#   1. Redis memory per connected user (INFO used_memory before/after 10,000 users in rooms of 4 over 3 nodes),
#   2. the sweep of a 10,000-user dead node (wall time; SLOWLOG with every command logged: slowest, count > 10 ms),
#   3. registrations per second through ClusterRegistry on one connection.
#
# Usage: scripts/bench-cluster-state.sh [--users N] [--registrations N] [--in-flight N]
# Builds the ClusterStateBenchmark product in release mode. PACKAGE_PATH selects another package that has that
# product (default: this repository).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
package="${PACKAGE_PATH:-$root}"

command -v redis-server >/dev/null || { echo "redis-server is not installed" >&2; exit 1; }

swift build -c release --package-path "$package" --product ClusterStateBenchmark 2>&1 | { grep -v 'prohibited flag' || true; } >&2
bin="$(swift build -c release --package-path "$package" --show-bin-path 2>/dev/null)"

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
dir="$(mktemp -d)"
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" --daemonize no \
    --loglevel warning >"$dir/redis.log" 2>&1 &
redis_pid=$!
cleanup() {
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
    rm -rf "$dir"
}
trap cleanup EXIT

for _ in $(seq 1 200); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.05
done

"$bin/ClusterStateBenchmark" --redis-url "redis://127.0.0.1:$port" "$@"
