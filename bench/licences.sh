#!/usr/bin/env bash
# Licence reconciliation at 100,000 devices x 200 installs (crates/server/examples/
# reconcile_bench.rs): a full recount, the status screen's figures, and the incremental path,
# on SQLite and on a throwaway PostgreSQL.
# Usage: bench/licences.sh [sqlite|postgres|both]   (env: DEVICES, INSTALLS, CATALOGUE, MANAGED, CHANGED)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
which=${1:-both}
cargo build --release -p kanri-server --example reconcile_bench
if [ "$which" != postgres ]; then
    echo "== sqlite"
    target/release/examples/reconcile_bench
fi
if [ "$which" != sqlite ]; then
    echo "== postgres"
    start_postgres
    trap '$PGSTOP >/dev/null' EXIT
    target/release/examples/reconcile_bench "$url"
fi
