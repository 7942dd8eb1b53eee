#!/usr/bin/env bash
# The check-in phase alone: AGENTS agents (20 packages each) enroll, upload their
# first inventories, then check in every CHECKIN_INTERVAL seconds for DURATION seconds.
# GEN_NICE (default 0) runs the load generator at that niceness: negative values (as root)
# let it keep its schedule when it shares the two cores with the server, so the figure is the
# server's and not the starved generator's (its "schedule lag" line says how far behind it was).
# The check-ins start SETTLE seconds (default 20) after the first inventories, once the server
# has merged them into its software index, so the figure is the steady state.
# With BACKEND=postgres the server uses a throwaway PostgreSQL (bench/lib.sh).
# Usage: bench/checkins.sh   (env: AGENTS=20000, CHECKIN_INTERVAL=1.8, DURATION=30, GEN_NICE=0,
#        SETTLE=20, BACKEND=sqlite|postgres, SERVER=target/release/kanri-server)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
AGENTS=${AGENTS:-20000}; CHECKIN_INTERVAL=${CHECKIN_INTERVAL:-1.8}; DURATION=${DURATION:-30}
pick_server
data=$(mktemp -d)
pick_backend "$data"
start_kanri "$server" "$data" "${db[@]}"
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null || true; $PGSTOP >/dev/null 2>&1 || true; rm -rf "$data" "${pgdir:-}"' EXIT
nice -n "${GEN_NICE:-0}" target/release/kanri-loadgen --server http://127.0.0.1:$port --token "$token" \
    --agents "$AGENTS" --duration "$DURATION" --software-per-agent 20 \
    --checkin-interval "$CHECKIN_INTERVAL" --inventory-every 600 --settle "${SETTLE:-20}" 2>/dev/null |
    grep -E "^(phases|kind|checkin|check-in schedule)"
