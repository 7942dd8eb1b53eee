#!/usr/bin/env bash
# First full inventories alone: N agents enroll and each uploads P packages (64
# connections, fixed seed); prints the load generator's line, the server's CPU per upload and
# how long the software → devices index took to catch up afterwards. The quick A/B harness
# behind the "N=1500" figures in BENCHMARKS.md. 64 connections carry 16 uploads at once (the
# generator gives uploads a quarter); sessions 1–6 used 32 (8 at once), see BENCHMARKS.md.
# With BACKEND=postgres the server uses a throwaway PostgreSQL (bench/lib.sh); the CPU figure is
# then the kanri-server process's alone.
# With ESTATE=M, M other machines enroll and report first (not measured), so the N measured ones
# join an established server whose software catalogue already holds most of their packages (the
# generator's catalogue is shared by every agent of a seed); without it, every upload arrives
# at an empty server and the catalogue is created as they come (the harder case).
# Usage: bench/first_inventories.sh   (env: N=1500, P=1500, C=64 connections, ESTATE=0,
#        BACKEND=sqlite|postgres, SERVER=target/release/kanri-server)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
N=${N:-1500}; P=${P:-1500}; C=${C:-64}
pick_server
data=$(mktemp -d)
pick_backend "$data"
if [ "${BACKEND:-sqlite}" = postgres ]; then
    pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    queued() { runuser -u postgres -- "$pgbin/psql" -h 127.0.0.1 -p "$pgport" -U kanri -d kanri -tAc "SELECT COUNT(*) FROM install_changes"; }
else
    queued() { python3 -c "import sqlite3; c=sqlite3.connect('file:$data/kanri.db?mode=ro', uri=True); print(c.execute('SELECT COUNT(*) FROM install_changes').fetchone()[0])"; }
fi
start_kanri "$server" "$data" "${db[@]}"
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null || true; $PGSTOP >/dev/null 2>&1 || true; rm -rf "$data" "${pgdir:-}"' EXIT
cpu() { awk '{print $14+$15}' /proc/$pid/stat; }
ESTATE=${ESTATE:-0}
if [ "$ESTATE" -gt 0 ]; then
    target/release/kanri-loadgen --server http://127.0.0.1:$port --token "$token" --agents "$ESTATE" --duration 1 \
        --software-per-agent "$P" --concurrency "$C" --seed 7 >/dev/null 2>&1
    while [ "$(queued)" != 0 ]; do sleep 0.5; done
    sleep 5
fi
t0=$(cpu)
target/release/kanri-loadgen --server http://127.0.0.1:$port --token "$token" --agents "$N" --duration 2 \
    --first-agent "$ESTATE" --software-per-agent "$P" --concurrency "$C" --seed 7 2>/dev/null | grep -E "^(phases|kind|inventory-full)"
t1=$(cpu); s0=$(date +%s.%N)
while [ "$(queued)" != 0 ]; do sleep 0.1; done
s1=$(date +%s.%N); t2=$(cpu)
echo "server CPU per upload: $(( (t1 - t0) * 10 / N )) ms during uploads, $(( (t2 - t0) * 10 / N )) ms with the index catch-up ($(python3 -c "print(round($s1 - $s0, 2))") s)"
