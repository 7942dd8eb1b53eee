# Shared by the bench scripts: `source bench/lib.sh`.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Starts a throwaway PostgreSQL tuned for benchmarks (shared_buffers 1 GB, synchronous_commit
# off) from the newest installed server binaries; sets `url` and `PGSTOP`.
start_postgres() {
    local bin; bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    pgdir=$(mktemp -d); chown postgres:postgres "$pgdir"
    pgport=$(free_port)
    runuser -u postgres -- "$bin/initdb" -D "$pgdir/data" -U kanri --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    runuser -u postgres -- "$bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w start \
        -o "-p $pgport -k $pgdir -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=1GB -c synchronous_commit=off" >/dev/null
    runuser -u postgres -- "$bin/psql" -h 127.0.0.1 -p "$pgport" -U kanri -d postgres -qc "CREATE DATABASE kanri" >/dev/null
    PGSTOP="runuser -u postgres -- $bin/pg_ctl -D $pgdir/data -m fast stop"
    url="postgres://kanri@127.0.0.1:$pgport/kanri"
}

# Chooses the database from BACKEND (sqlite, the default, or postgres): sets `db` to the server's
# database arguments (a throwaway PostgreSQL, or SQLite in DATA_DIR) and `PGSTOP` to what stops
# it (`true` for SQLite). Usage: pick_backend DATA_DIR
pick_backend() {
    if [ "${BACKEND:-sqlite}" = postgres ]; then
        start_postgres
        db=(--database-url "$url")
    else
        db=(--data-dir "$1"); PGSTOP=true
    fi
}

# Sets `server` to $SERVER when given (a binary built elsewhere, such as an older commit's for an
# A/B run); otherwise builds the server and the load generator and uses the fresh server.
pick_server() {
    server=${SERVER:-target/release/kanri-server}
    [ -n "${SERVER:-}" ] || cargo build --release -p kanri-server -p kanri-loadgen
}

# Starts kanri-server over plain HTTP on a free loopback port with the database arguments given
# (`--data-dir D` or `--database-url U`), logging to $2/server.log, and creates an enrollment
# token; sets `port`, `pid` and `token`. Usage: start_kanri SERVER DATA_DIR DB_ARGS...
start_kanri() {
    local server=$1 data=$2; shift 2
    port=$(free_port)
    $server serve --http --listen 127.0.0.1:$port "$@" --db-max-connections 16 >"$data/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do curl -sf http://127.0.0.1:$port/healthz >/dev/null && break; sleep 0.2; done
    token=$($server token create "$@")
}
