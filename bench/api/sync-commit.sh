#!/usr/bin/env bash
# What synchronous commit of the embedded PostgreSQL costs on the API: POST /v1/tickets (one commit per
# request) and GET /v1/devices (reads), with the server run alternately with synchronous_commit=off and =on
# (the hidden --pg-synchronous-commit option) over one data dir, in one run. Prints medians over the rounds
# and the on/off ratios.
#
#   bench/api/sync-commit.sh          defaults: 3 rounds x (off, on), 10 s per measurement, 16 connections, 1 wrk thread
#   ROUNDS=5 DURATION=30 CONNECTIONS=32 THREADS=2 PORT=17890 bench/api/sync-commit.sh
#
# Results go to stdout and bench/out/sync-commit-<timestamp>/ (wrk reports, server logs).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-16}"
THREADS="${THREADS:-1}"
ROUNDS="${ROUNDS:-3}"
PORT="${PORT:-17890}" # REST; the SOCKS5, HTTP-proxy and tunnel ports are the next three
OUT="$ROOT/bench/out/sync-commit-$(date -u +%Y%m%dT%H%M%SZ)"
DATA="$(mktemp -d /tmp/aimlib-bench-sync.XXXXXX)"
mkdir -p "$OUT"
command -v wrk >/dev/null || { echo "bench needs wrk (apt-get install wrk)" >&2; exit 1; }

"$ROOT/aimlib" --version >/dev/null
JAVA="$(sed -n 's/^JAVA_HOME=//p' <(bash -c "source <(sed -n '/^java_major()/,/^}/p;/^find_jdk()/,/^}/p' '$ROOT/aimlib'); find_jdk; echo JAVA_HOME=\$JAVA_HOME"))/bin/java"
JAR="$ROOT/aimlib-server/target/aimlib-server.jar"
BASE="http://127.0.0.1:$PORT"
SERVER=
stop_server() {
    [[ -n "$SERVER" ]] || return 0
    kill -TERM "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    SERVER=
}
trap 'stop_server; rm -rf "$DATA"' EXIT

start_server() { # mode (off|on), log name
    "$JAVA" --enable-native-access=ALL-UNNAMED ${JAVA_OPTS:-} -jar "$JAR" standalone --demo --data-dir "$DATA" \
        --port "$PORT" --socks-port $((PORT + 1)) --http-proxy-port $((PORT + 2)) --tunnel-port $((PORT + 3)) \
        --rate-limit-per-hour 1000000000000 --warm-browsers 0 --pg-synchronous-commit "$1" \
        >"$OUT/$2.out" 2>"$OUT/$2.err" &
    SERVER=$!
    for _ in $(seq 1 240); do
        grep -q "is up" "$OUT/$2.out" 2>/dev/null && return 0
        kill -0 "$SERVER" 2>/dev/null || { cat "$OUT/$2.err" >&2; exit 1; }
        sleep 0.5
    done
    echo "server did not come up" >&2
    exit 1
}

to_ms() { # wrk latency ("812.00us", "1.20ms", "1.01s") in ms
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}

run() { # name, extra wrk args...
    local name="$1"; shift
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" >"$OUT/$name.txt"
    local rps p50 p99 non2xx
    rps="$(awk '/Requests\/sec/ {print $2}' "$OUT/$name.txt")"
    p50="$(awk '$1=="50%" {print $2}' "$OUT/$name.txt")"
    p99="$(awk '$1=="99%" {print $2}' "$OUT/$name.txt")"
    non2xx="$(awk '/Non-2xx/ {print $NF}' "$OUT/$name.txt")"
    printf '%-22s %10s req/s   p50 %8s   p99 %8s   non-2xx %s\n' "$name" "$rps" "$p50" "$p99" "${non2xx:-0}"
    echo "${name%-r*} $rps $(to_ms "$p50") $(to_ms "$p99")" >>"$OUT/summary.raw"
}

echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, $ROUNDS rounds of (off, on), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
for r in $(seq 1 "$ROUNDS"); do
    for mode in off on; do
        start_server "$mode" "server-$mode-r$r"
        # Only the first start prints the demo's key; every start keeps it in <data-dir>/demo.env.
        KEY="$(sed -n 's/^export AIMLIB_API_KEY=//p' "$DATA/demo.env" 2>/dev/null)"
        [[ -n "$KEY" ]] || KEY="$(sed -n 's/^export AIMLIB_API_KEY=//p' "$OUT/server-$mode-r$r.out")"
        cat >"$OUT/tickets.lua" <<LUAEOF
wrk.method = "POST"
wrk.body = '{"subject":"bench","body":"synchronous commit costs what?"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
LUAEOF
        cat >"$OUT/devices.lua" <<LUAEOF
wrk.headers["Authorization"] = "Bearer $KEY"
LUAEOF
        check="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" "$BASE/v1/devices")"
        [[ "$check" == 200 ]] || { echo "GET /v1/devices answered $check" >&2; exit 1; }
        # JIT warm-up of both paths, untimed.
        wrk -t"$THREADS" -c"$CONNECTIONS" -d3s -s "$OUT/tickets.lua" "$BASE/v1/tickets" >/dev/null
        wrk -t"$THREADS" -c"$CONNECTIONS" -d3s -s "$OUT/devices.lua" "$BASE/v1/devices" >/dev/null
        run "tickets-$mode-r$r" -s "$OUT/tickets.lua" "$BASE/v1/tickets"
        run "devices-$mode-r$r" -s "$OUT/devices.lua" "$BASE/v1/devices"
        stop_server
    done
done

median() { # name, column (2 rps, 3 p50, 4 p99)
    awk -v n="$1" '$1==n' "$OUT/summary.raw" | sort -k"$2" -g | awk -v c="$2" '{v[NR]=$c} END {printf "%s", v[int((NR+1)/2)]}'
}
echo "medians over $ROUNDS rounds:"
for path in tickets devices; do
    for mode in off on; do
        printf '  %-8s %-4s %10s req/s   p50 %8s ms   p99 %8s ms\n' "$path" "$mode" \
            "$(median "$path-$mode" 2)" "$(median "$path-$mode" 3)" "$(median "$path-$mode" 4)"
    done
    awk -v a="$(median "$path-on" 2)" -v b="$(median "$path-off" 2)" -v c="$(median "$path-on" 3)" -v d="$(median "$path-off" 3)" \
        -v p="$path" 'BEGIN { printf "  %-8s on/off: throughput %.2f, p50 latency %.2f\n", p, a / b, c / d }'
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); reports: $OUT"
