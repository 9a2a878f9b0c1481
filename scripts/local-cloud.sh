#!/usr/bin/env bash
# A local CloudFormation endpoint (moto_server) on 127.0.0.1 for trying `cairn deploy`.
#
#   scripts/local-cloud.sh start|stop|status      (or `make local-cloud`, `make local-cloud-stop`)
#
# Environment: PORT (default 5000), MOTO_SERVER (default .venv/bin/moto_server of this repo).
# State lives in .local-cloud/: moto.pid, moto.log, moto.port.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${PORT:-5000}"
moto="${MOTO_SERVER:-$repo/.venv/bin/moto_server}"
state="$repo/.local-cloud"
pidfile="$state/moto.pid"
logfile="$state/moto.log"

# The PID in the pid file, if that process is alive and is a moto server.
live_pid() {
    [[ -f "$pidfile" ]] || return 1
    local pid
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # Guard against PID reuse: the process must still be moto_server.
    local args
    if [[ -r /proc/$pid/cmdline ]]; then args=$(tr '\0' ' ' <"/proc/$pid/cmdline"); else args=$(ps -p "$pid" -o args= 2>/dev/null || true); fi
    [[ $args == *moto_server* ]] || return 1
    echo "$pid"
}

answers() { curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$1/moto-api/"; }

start() {
    local pid
    if pid="$(live_pid)"; then
        echo "local-cloud: already running (pid $pid, port $(cat "$state/moto.port" 2>/dev/null || echo '?')); 'make local-cloud-stop' first" >&2
        exit 1
    fi
    rm -f "$pidfile"
    if [[ ! -x "$moto" ]]; then
        echo "local-cloud: $moto not found (run 'make venv')" >&2
        exit 1
    fi
    if answers "$port"; then
        echo "local-cloud: something already answers on 127.0.0.1:$port (not started by this script); pick another PORT=" >&2
        exit 1
    fi
    mkdir -p "$state"
    # setsid + nohup: the server outlives this script and make; stdin from /dev/null.
    setsid nohup "$moto" -H 127.0.0.1 -p "$port" >"$logfile" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$pidfile"
    echo "$port" >"$state/moto.port"

    local deadline=$((SECONDS + 15))
    until answers "$port"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "local-cloud: moto_server exited during start-up; last lines of $logfile:" >&2
            tail -n 20 "$logfile" >&2 || true
            rm -f "$pidfile" "$state/moto.port"
            exit 1
        fi
        if ((SECONDS >= deadline)); then
            echo "local-cloud: moto_server did not answer on 127.0.0.1:$port within 15 s; stopping it. Log: $logfile" >&2
            kill "$pid" 2>/dev/null || true
            rm -f "$pidfile" "$state/moto.port"
            exit 1
        fi
        sleep 0.2
    done

    cat <<EOF
local-cloud: moto_server running on http://127.0.0.1:$port (pid $pid, log $logfile)

Deploy against it with:
  AWS_ENDPOINT_URL=http://127.0.0.1:$port cargo run -- deploy dev --approve

A loopback endpoint needs no credentials: when neither AWS_ACCESS_KEY_ID nor AWS_PROFILE
is set, cairn signs its requests to it with test keys.

Reset its state: curl -X POST http://127.0.0.1:$port/moto-api/reset
Stop it:         make local-cloud-stop
EOF
}

stop() {
    local pid
    if ! pid="$(live_pid)"; then
        if [[ -f "$pidfile" ]]; then
            echo "local-cloud: stale pid file (process $(cat "$pidfile") is gone); removing it"
            rm -f "$pidfile" "$state/moto.port"
        else
            echo "local-cloud: not running"
        fi
        return 0
    fi
    kill "$pid"
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "local-cloud: pid $pid ignored SIGTERM for 5 s; sending SIGKILL" >&2
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidfile" "$state/moto.port"
    echo "local-cloud: stopped (pid $pid)"
}

status() {
    local pid
    if pid="$(live_pid)"; then
        local p
        p="$(cat "$state/moto.port" 2>/dev/null || echo "$port")"
        if answers "$p"; then
            echo "local-cloud: running (pid $pid) on http://127.0.0.1:$p"
        else
            echo "local-cloud: process $pid alive but http://127.0.0.1:$p/moto-api/ does not answer" >&2
            return 1
        fi
    else
        echo "local-cloud: not running"
        return 1
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *)
        echo "usage: $0 start|stop|status   (PORT=$port)" >&2
        exit 2
        ;;
esac
