#!/usr/bin/env bash
# Agent footprint: `kanri-agent inventory` side by side with Debian's fusioninventory-inventory
# (wall time with hyperfine, peak RSS with GNU time), then `kanri-agent run` idle RSS and
# steady-state CPU against a local server. Prints figures for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v fusioninventory-inventory >/dev/null || need+=(fusioninventory-agent)
command -v hyperfine >/dev/null || need+=(hyperfine)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
fi
cargo build --release -p kanri-agent -p kanri-server
agent=target/release/kanri-agent
server=target/release/kanri-server

echo "== machine"; nproc; grep -m1 'model name' /proc/cpuinfo; free -h | head -2
echo "== packages: $(dpkg-query -f '.\n' -W | wc -l)"

if [ -z "${IDLE_ONLY:-}" ]; then
echo "== wall time"
hyperfine --warmup 3 --runs 30 --export-markdown /tmp/kanri-agent-hyperfine.md \
    "$agent inventory >/dev/null" "fusioninventory-inventory >/dev/null 2>&1"
cat /tmp/kanri-agent-hyperfine.md

echo "== peak RSS (KiB, max of 5 runs)"
peak() { local max=0 out; out=$(mktemp); for _ in 1 2 3 4 5; do
    /usr/bin/time -f '%M' -o "$out" "$@" >/dev/null 2>&1
    local kb; kb=$(tail -1 "$out"); [ "$kb" -gt "$max" ] && max=$kb; done; rm -f "$out"; echo "$max"; }
echo "kanri-agent inventory: $(peak $agent inventory)"
echo "fusioninventory-inventory: $(peak fusioninventory-inventory)"
fi

echo "== kanri-agent run: idle RSS and steady-state CPU"
data=$(mktemp -d); state=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
$server serve --http --listen 127.0.0.1:$port --data-dir "$data" --checkin-interval 60 >/dev/null 2>&1 &
server_pid=$!
trap 'kill $server_pid $agent_pid 2>/dev/null; rm -rf "$data" "$state"' EXIT
for _ in $(seq 50); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.2; done
token=$($server token create --data-dir "$data" --uses 1)
$agent enroll --server http://127.0.0.1:$port --token "$token" --insecure-http --state-dir "$state" >/dev/null
$agent run --state-dir "$state" >/dev/null 2>&1 &
agent_pid=$!
sleep 20
ticks() { awk '{print $14+$15}' /proc/$agent_pid/stat; }
start=$(ticks); sleep "${IDLE_SECONDS:-300}"; end=$(ticks)
hz=$(getconf CLK_TCK)
echo "idle RSS: $(grep VmRSS /proc/$agent_pid/status)"
seconds=${IDLE_SECONDS:-300}
echo "steady-state CPU over $seconds s: $((end - start)) ticks of 1/$hz s = $(awk -v t=$((end - start)) -v hz="$hz" -v s="$seconds" 'BEGIN { printf "%.3f", t / hz / s * 100 }') % of one core"
