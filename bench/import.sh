#!/usr/bin/env bash
# CSV import of the asset ledger (issue 4): 100,000 hardware assets through `kanri-server
# import` (insert, re-import unchanged, update every row), then a 1,000,000-row file checked
# and imported for the memory bound, printing wall time and peak RSS of each run.
# Usage: bench/import.sh   (env: ROWS=100000, BIG_ROWS=1000000 (0 skips), BACKEND=sqlite|postgres,
#                           SERVER=path to a kanri-server built elsewhere)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
ROWS=${ROWS:-100000}
BIG_ROWS=${BIG_ROWS:-1000000}
server=${SERVER:-target/release/kanri-server}
[ -n "${SERVER:-}" ] || cargo build --release -p kanri-server
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; ${PGSTOP:-true} >/dev/null 2>&1; rm -rf "$work"' EXIT
data=$work/data
mkdir -p "$data"
pick_backend "$data"

# A server once, to create the database, departments (病院/内科, 病院/外科, 本部) and
# locations (本館, 別館).
start_kanri "$server" "$data" "${db[@]}"
api=$($server api-token create --user admin "${db[@]}")
post() { curl -sf -H "authorization: Bearer $api" -H 'content-type: application/json' -d "$2" "http://127.0.0.1:$port$1"; }
id_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }
hospital=$(post /api/v1/departments '{"name":"病院"}' | id_of)
post /api/v1/departments "{\"name\":\"内科\",\"parent_id\":$hospital}" >/dev/null
post /api/v1/departments "{\"name\":\"外科\",\"parent_id\":$hospital}" >/dev/null
post /api/v1/departments '{"name":"本部"}' >/dev/null
post /api/v1/locations '{"name":"本館"}' >/dev/null
post /api/v1/locations '{"name":"別館"}' >/dev/null
kill $pid; wait $pid 2>/dev/null || true; pid=

cat >"$work/template.json" <<'EOF'
{"format": "kanri-import-template", "version": 1, "kind": "assets", "name": "bench",
 "description": "bench/import.sh", "mapping": {"key": "asset_number", "columns": [
  {"header": "資産管理番号", "field": "asset_number"}, {"header": "機器名称", "field": "name"},
  {"header": "機器種別", "field": "type"}, {"header": "資産状態", "field": "status"},
  {"header": "部署", "field": "department"}, {"header": "設置場所", "field": "location"},
  {"header": "利用者名", "field": "user_name"}, {"header": "利用者メールアドレス", "field": "user_email"},
  {"header": "棚卸日", "field": "stocktaken_on"}, {"header": "ホスト名", "field": "hostname"},
  {"header": "シリアル番号", "field": "serial"}, {"header": "IPアドレス", "field": "ip_address"},
  {"header": "MACアドレス", "field": "mac_address"}]}}
EOF
$server templates import --file "$work/template.json" "${db[@]}" >/dev/null

# ROWS rows: numbers PREFIX-0000001…, spread over the departments, locations, types and
# statuses; USER is the user-name prefix (another one updates every row).
generate() {
    python3 - "$@" <<'EOF'
import sys
rows, prefix, user, path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
departments = ["病院/内科", "病院/外科", "本部"]
locations = ["本館", "別館", ""]
types = ["PC", "サーバ", "プリンタ", "Network device"]
statuses = ["運用中", "在庫", "未確認"]
with open(path, "w", encoding="utf-8", newline="") as f:
    f.write("資産管理番号,機器名称,機器種別,資産状態,部署,設置場所,利用者名,利用者メールアドレス,棚卸日,ホスト名,シリアル番号,IPアドレス,MACアドレス\r\n")
    for n in range(1, rows + 1):
        f.write(f"{prefix}-{n:07d},端末 {n},{types[n % 4]},{statuses[n % 3]},{departments[n % 3]},{locations[n % 3]},"
                f"{user} {n},user{n}@example.jp,2026-0{1 + n % 9}-1{n % 10},pc-{n:07d},SN{n:09d},"
                f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255},52:54:00:{n >> 16 & 255:02x}:{n >> 8 & 255:02x}:{n & 255:02x}\r\n")
EOF
}

# Runs the import of $1 (extra flags after), printing the command's summary, the wall time
# and the peak RSS.
run() {
    local file=$1; shift
    /usr/bin/time -f "  %e s wall, %U s user, peak RSS %M KiB" \
        "$server" import --kind assets --template bench --file "$file" "${db[@]}" "$@" 2>&1 \
        | sed -e 's/^/  /'
}

echo "== ${BACKEND:-sqlite}: $ROWS asset rows ($(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
generate "$ROWS" HW 山田 "$work/assets.csv"
echo "file: $(du -h "$work/assets.csv" | cut -f1)"
echo "-- check (nothing written)"; run "$work/assets.csv" --check
echo "-- import: every row added"; run "$work/assets.csv"
echo "-- the same file again: every row unchanged"; run "$work/assets.csv"
generate "$ROWS" HW 佐藤 "$work/assets2.csv"
echo "-- every row updated (another user name)"; run "$work/assets2.csv"

if [ "$BIG_ROWS" -gt 0 ]; then
    echo "== $BIG_ROWS asset rows (memory bound)"
    generate "$BIG_ROWS" BIG 鈴木 "$work/big.csv"
    echo "file: $(du -h "$work/big.csv" | cut -f1)"
    echo "-- check"; run "$work/big.csv" --check
    echo "-- import"; run "$work/big.csv"
fi
