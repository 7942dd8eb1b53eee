#!/usr/bin/env bash
# Device-list latency with 100,000 devices on SQLite: seeds the devices through the real agent
# API with kanri-loadgen (enrollment + first inventory, PACKAGES packages each), then times
# the first page, a page 300 deep and a software-filtered page with bench/api_latency.py.
set -euo pipefail
cd "$(dirname "$0")/.."
DEVICES=${DEVICES:-100000}
PACKAGES=${PACKAGES:-20}
cargo build --release -p kanri-server -p kanri-loadgen
data=${DATA:-$(mktemp -d)}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
target/release/kanri-server serve --http --listen 127.0.0.1:$port --data-dir "$data" >"$data/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.2; done
token=$(target/release/kanri-server token create --data-dir "$data")
target/release/kanri-loadgen --server http://127.0.0.1:$port --token "$token" --agents "$DEVICES" \
    --duration 1 --software-per-agent "$PACKAGES" --checkin-interval 600 | grep -E "^(phases|enroll|inventory-full)"
api=$(target/release/kanri-server api-token create --user admin --data-dir "$data")
echo "== $(du -sh "$data" | cut -f1) on disk"
python3 bench/api_latency.py http://127.0.0.1:$port "$api" "${SOFTWARE:-bash}"
