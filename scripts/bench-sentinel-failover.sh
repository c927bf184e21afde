#!/usr/bin/env bash
# How long a Sentinel failover interrupts cross-node signaling: runs the end-to-end failover test (a master, two
# replicas, three redis-sentinel, two nodes on the Sentinel URL, relays every 25 ms in both directions between them,
# then SENTINEL FAILOVER; then the master and a Sentinel SIGKILLed) and prints the lines they measure, once per run.
# usage: scripts/bench-sentinel-failover.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
swift build --build-tests >/dev/null
export SIGCTL_BINARY="$(swift build --show-bin-path)/sigctl"
for ((r = 0; r < runs; r++)); do
  swift test --skip-build --filter 'SentinelFailoverTests' 2>&1 | grep -E '^sentinel-(failover|kill):|✘|failed' || true
done
