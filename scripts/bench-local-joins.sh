#!/usr/bin/env bash
# Joins per second on one node in local mode (no Redis): scripts/bench-cluster-joins.sh with one node and
# clustering off, for comparison with the cluster figures.
# usage: scripts/bench-local-joins.sh [clients] [concurrency] [room-size] [-- extra simulate flags]
set -euo pipefail
clients=${1:-10000}
concurrency=${2:-100}
room_size=${3:-4}
shift $(( $# < 3 ? $# : 3 ))
JOINS_LOCAL=1 exec "$(dirname "$0")/bench-cluster-joins.sh" "$clients" "$concurrency" "$room_size" 1 "$@"
