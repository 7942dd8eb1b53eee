#!/usr/bin/env bash
# Device-list latency with 100,000 devices: seeds the devices through the real agent API with
# kanri-loadgen (enrollment + first inventory, PACKAGES packages each), then times the first
# page, a page 300 deep and a software-filtered page with bench/api_latency.py, then the
# console's device list pages and the CSV export of every device (bench/console_latency.py).
# Usage: bench/api_100k.sh [sqlite|postgres]   (env: DEVICES, PACKAGES, SOFTWARE, DATA;
# REUSE=1 with DATA of an earlier SQLite run skips seeding and times that server's data)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
backend=${1:-sqlite}
DEVICES=${DEVICES:-100000}
PACKAGES=${PACKAGES:-20}
cargo build --release -p kanri-server -p kanri-loadgen
data=${DATA:-$(mktemp -d)}
db_args=()
if [ "$backend" = postgres ]; then start_postgres; db_args=(--database-url "$url"); fi
port=$(free_port)
target/release/kanri-server serve --http --listen 127.0.0.1:$port --data-dir "$data" "${db_args[@]}" >"$data/server.log" 2>&1 &
pid=$!
cleanup() { kill $pid 2>/dev/null; wait $pid 2>/dev/null || true; [ "$backend" = postgres ] && $PGSTOP >/dev/null; true; }
trap cleanup EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.2; done
if [ "${REUSE:-0}" != 1 ]; then
    token=$(target/release/kanri-server token create --data-dir "$data" "${db_args[@]}")
    target/release/kanri-loadgen --server http://127.0.0.1:$port --token "$token" --agents "$DEVICES" \
        --duration 1 --software-per-agent "$PACKAGES" --checkin-interval 600 | grep -E "^(phases|enroll|inventory-full)"
fi
api=$(target/release/kanri-server api-token create --user admin --data-dir "$data" "${db_args[@]}")
# The software → devices index trails uploads by at most 10 s (inventory::index::merge_due).
sleep 12
if [ "$backend" = postgres ]; then
    echo "== database: $(runuser -u postgres -- psql -h 127.0.0.1 -p "$pgport" -U kanri -d kanri -Atc "SELECT pg_size_pretty(pg_database_size('kanri'))")"
else
    echo "== $(du -sh "$data" | cut -f1) on disk"
fi
python3 bench/api_latency.py http://127.0.0.1:$port "$api" "${SOFTWARE:-bash}"
echo "== console"
python3 bench/console_latency.py http://127.0.0.1:$port "$data" "$pid" "${SOFTWARE:-bash}"
