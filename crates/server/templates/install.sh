#!/bin/sh
# Installs the Kanri agent on this Linux machine and enrolls it with the Kanri server that
# generated this script. Run it as root, as the console's Settings → Agents page shows:
#
#   curl … https://SERVER/agent/install.sh | sudo sh -s -- --token TOKEN
#
# Environment:
#   KANRI_PREFIX      directory for the kanri-agent executable (default /usr/local/bin)
#   KANRI_STATE_DIR   the agent's state directory (default: the agent's own,
#                     /var/lib/kanri-agent when run as root)
#   KANRI_NO_SERVICE  when set, no systemd unit is written, enabled or started
# The token is handed to the agent in its environment and never printed.
set -eu

server={{ server_url }}
fingerprint={{ fingerprint }}
pin={{ public_key_pin }}

say() { printf 'kanri-agent install: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

token=${KANRI_ENROLL_TOKEN:-}
while [ "$#" -gt 0 ]; do
    case "$1" in
        --token)
            [ "$#" -ge 2 ] || fail "--token needs a value"
            token=$2
            shift 2
            ;;
        --token=*)
            token=${1#--token=}
            shift
            ;;
        *) fail "unknown argument (expected: --token TOKEN)" ;;
    esac
done
[ -n "$token" ] || fail "no enrollment token: run it as … | sudo sh -s -- --token TOKEN"
[ "$(uname -s)" = Linux ] || fail "the Kanri agent runs on Linux only"
command -v curl >/dev/null 2>&1 || fail "curl is needed"

prefix=${KANRI_PREFIX:-/usr/local/bin}
state_dir=${KANRI_STATE_DIR:-}
agent="$prefix/kanri-agent"

systemd=
if [ -z "${KANRI_NO_SERVICE:-}" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    systemd=1
    case "$agent$state_dir" in
        *[!A-Za-z0-9/._-]*) fail "for the systemd unit, KANRI_PREFIX and KANRI_STATE_DIR may hold only letters, digits and / . _ -" ;;
    esac
fi

# Over HTTPS every download is pinned to the server's public key: curl refuses any other
# server before reading a byte, so no certificate authority is needed.
download() {
    if [ -n "$pin" ]; then
        curl --pinnedpubkey "$pin" -kfsSL -o "$2" "$server$1"
    else
        curl -fsSL -o "$2" "$server$1"
    fi
}

mkdir -p "$prefix" 2>/dev/null || true
[ -d "$prefix" ] && [ -w "$prefix" ] || fail "cannot write to $prefix: run it as root (sudo sh), or set KANRI_PREFIX"
tmp=$(mktemp "$prefix/.kanri-agent.XXXXXX")
trap 'rm -f "$tmp"' EXIT
say "downloading the agent from $server"
download {{ agent_path }} "$tmp" || fail "cannot download $server{{ agent_path }} (the server hands out the kanri-agent beside kanri-server, or the one given with --agent-binary)"
chmod 0755 "$tmp"
"$tmp" --version >/dev/null 2>&1 || fail "the downloaded agent does not run on this machine ($(uname -m))"
if [ -n "$systemd" ]; then
    # A re-install: the running agent holds its state dir, which enrolling needs.
    systemctl stop kanri-agent.service 2>/dev/null || true
fi
mv -f "$tmp" "$agent"
trap - EXIT
say "installed $agent ($("$agent" --version))"

set -- enroll --server "$server"
if [ -n "$fingerprint" ]; then
    set -- "$@" --ca-fingerprint "$fingerprint"
else
    set -- "$@" --insecure-http
fi
if [ -n "$state_dir" ]; then
    set -- "$@" --state-dir "$state_dir"
fi
KANRI_ENROLL_TOKEN=$token "$agent" "$@" || fail "enrollment failed (the agent said why above)"

run="$agent run"
if [ -n "$state_dir" ]; then
    run="$run --state-dir $state_dir"
fi
if [ -n "$systemd" ]; then
    cat >/etc/systemd/system/kanri-agent.service <<UNIT
[Unit]
Description=Kanri agent (inventory and actions for the Kanri server)
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStart=$run
Restart=always
RestartSec=30

[Install]
WantedBy=multi-user.target
UNIT
    systemctl daemon-reload
    systemctl enable kanri-agent.service >/dev/null
    systemctl restart kanri-agent.service
    say "kanri-agent.service is enabled and running"
else
    say "no systemd service was set up; start the agent with: $run"
fi
