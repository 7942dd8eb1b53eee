#!/usr/bin/env bash
# Server throughput with kanri-loadgen on loopback, SQLite then PostgreSQL, side by side:
#   1. check-ins: AGENTS simulated agents checking in every CHECKIN_INTERVAL seconds;
#   2. first full inventories with PACKAGES packages each.
#   The check-in phase starts SETTLE seconds (default 20) after the first inventories, once the
#   server has merged them into its software index: check-ins are measured in the steady state.
# Usage: bench/server.sh [sqlite|postgres|both]   (env: AGENTS, DURATION, PACKAGES, CHECKIN_INTERVAL, SETTLE)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
which=${1:-both}
AGENTS=${AGENTS:-20000}
DURATION=${DURATION:-60}
PACKAGES=${PACKAGES:-1500}
CHECKIN_INTERVAL=${CHECKIN_INTERVAL:-2}
INVENTORY_AGENTS=${INVENTORY_AGENTS:-300}
cargo build --release -p kanri-server -p kanri-loadgen
server=target/release/kanri-server
loadgen=target/release/kanri-loadgen
run_one() {
    local backend=$1 data port url pid token
    data=$(mktemp -d); port=$(free_port)
    local db_args=()
    if [ "$backend" = postgres ]; then start_postgres; db_args=(--database-url "$url"); fi
    $server serve --http --listen 127.0.0.1:$port --data-dir "$data" "${db_args[@]}" --db-max-connections 16 >"$data/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.2; done
    local token_args=(--data-dir "$data"); [ "$backend" = postgres ] && token_args+=(--database-url "$url")
    token=$($server token create "${token_args[@]}")
    echo "=== $backend, check-ins: $AGENTS agents (20 packages each), check-in every ${CHECKIN_INTERVAL}s, ${DURATION}s"
    $loadgen --server http://127.0.0.1:$port --token "$token" --agents "$AGENTS" --duration "$DURATION" \
        --software-per-agent 20 --checkin-interval "$CHECKIN_INTERVAL" --inventory-every 600 \
        --settle "${SETTLE:-20}"
    echo "=== $backend, first full inventories: $INVENTORY_AGENTS agents with $PACKAGES packages each"
    $loadgen --server http://127.0.0.1:$port --token "$token" --agents "$INVENTORY_AGENTS" --duration 2 \
        --software-per-agent "$PACKAGES" --concurrency 64 --seed 7
    echo "--- server RSS: $(grep VmRSS /proc/$pid/status)"
    kill -TERM $pid; wait $pid || true
    if [ "$backend" = postgres ]; then $PGSTOP >/dev/null; rm -rf "$pgdir"; fi
    rm -rf "$data"
}

echo "== $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2), $(free -g | awk '/Mem/{print $2}') GiB"
case $which in
    sqlite) run_one sqlite ;;
    postgres) run_one postgres ;;
    both) run_one sqlite; run_one postgres ;;
esac
