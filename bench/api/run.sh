#!/usr/bin/env bash
# Load test of GET /v1/devices (valid keys, rate limit raised) against the standalone server, with
# GET /healthz (no auth, no database) as the baseline measured in the same run.
#
#   bench/api/run.sh          defaults: 3 rounds of (healthz, v1-devices), 10 s each, 32 connections, 1 wrk thread, 8 keys
#   ROUNDS=5 DURATION=30 CONNECTIONS=64 THREADS=2 KEYS=16 bench/api/run.sh
#
# Results go to stdout and bench/out/api-<timestamp>/ (wrk reports).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DURATION="${DURATION:-10}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-1}"
KEYS="${KEYS:-8}"
ROUNDS="${ROUNDS:-3}"
PORT="${PORT:-17880}"
OUT="$ROOT/bench/out/api-$(date -u +%Y%m%dT%H%M%SZ)"
DATA="$(mktemp -d /tmp/aimlib-bench-api.XXXXXX)"
mkdir -p "$OUT"
command -v wrk >/dev/null || { echo "bench needs wrk (apt-get install wrk)" >&2; exit 1; }

# Build if needed and learn the JDK the launcher picks.
"$ROOT/aimlib" --version >/dev/null
JAVA="$(sed -n 's/^JAVA_HOME=//p' <(bash -c "source <(sed -n '/^java_major()/,/^}/p;/^find_jdk()/,/^}/p' '$ROOT/aimlib'); find_jdk; echo JAVA_HOME=\$JAVA_HOME"))/bin/java"
# JAR: another build of the distribution to measure (bench/api/ab.sh compares two).
JAR="${JAR:-$ROOT/aimlib-server/target/aimlib-server.jar}"

"$JAVA" --enable-native-access=ALL-UNNAMED -Xlog:gc:file="$OUT/gc.log" ${JAVA_OPTS:-} -jar "$JAR" standalone --demo --port "$PORT" --data-dir "$DATA" \
    --rate-limit-per-hour 1000000000000 >"$OUT/server.out" 2>"$OUT/server.err" &
SERVER=$!
cleanup() {
    kill -TERM "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    rm -rf "$DATA"
}
trap cleanup EXIT
for _ in $(seq 1 120); do
    grep -q "is up" "$OUT/server.out" 2>/dev/null && break
    kill -0 "$SERVER" 2>/dev/null || { cat "$OUT/server.err" >&2; exit 1; }
    sleep 0.5
done
BASE="http://127.0.0.1:$PORT"
API_KEY="$(sed -n 's/^export AIMLIB_API_KEY=//p' "$OUT/server.out")"
OP_KEY="$(sed -n 's/^export AIMLIB_OPERATOR_KEY=//p' "$OUT/server.out")"
CUSTOMER="$(curl -s -H "Authorization: Bearer $OP_KEY" "$BASE/admin/v1/customers" | grep -o '"id":"[^"]*"' | head -1 | cut -d'"' -f4)"

# Seed KEYS keys of the demo customer (each has its own rate-limit bucket and auth-cache entry).
LUA="$OUT/keys.lua"
{
    echo "local keys = {"
    echo "  \"$API_KEY\","
    for _ in $(seq 2 "$KEYS"); do
        k="$(curl -s -H "Authorization: Bearer $OP_KEY" -d "{\"customer_id\":\"$CUSTOMER\",\"name\":\"bench\"}" \
            "$BASE/admin/v1/keys" | grep -o '"key":"[^"]*"' | cut -d'"' -f4)"
        echo "  \"$k\","
    done
    echo "}"
    cat <<'LUAEOF'
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/v1/devices", { ["Authorization"] = "Bearer " .. keys[(i % #keys) + 1] })
end
LUAEOF
} >"$LUA"

check="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $API_KEY" "$BASE/v1/devices")"
[[ "$check" == 200 ]] || { echo "GET /v1/devices answered $check" >&2; exit 1; }

echo "warm-up (JIT) ..." >&2
wrk -t"$THREADS" -c"$CONNECTIONS" -d5s "$BASE/healthz" >/dev/null
wrk -t"$THREADS" -c"$CONNECTIONS" -d5s -s "$LUA" "$BASE/v1/devices" >/dev/null

run() { # name, extra args...
    local name="$1"; shift
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" >"$OUT/$name.txt"
    local rps p50 p99 non2xx
    rps="$(awk '/Requests\/sec/ {print $2}' "$OUT/$name.txt")"
    p50="$(awk '$1=="50%" {print $2}' "$OUT/$name.txt")"
    p99="$(awk '$1=="99%" {print $2}' "$OUT/$name.txt")"
    non2xx="$(awk '/Non-2xx/ {print $NF}' "$OUT/$name.txt")"
    printf '%-18s %12s req/s   p50 %8s   p99 %8s   non-2xx %s\n' "$name" "$rps" "$p50" "$p99" "${non2xx:-0}"
    echo "${name%%-r*} $rps $(to_ms "$p50") $(to_ms "$p99")" >>"$OUT/summary.raw"
}
to_ms() { # wrk latency ("812.00us", "1.20ms", "1.01s") in ms
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}

echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s, $KEYS keys, $ROUNDS rounds, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
for r in $(seq 1 "$ROUNDS"); do
    run "healthz-r$r" "$BASE/healthz"
    run "v1-devices-r$r" -s "$LUA" "$BASE/v1/devices"
done
echo "medians over $ROUNDS rounds:"
for name in healthz v1-devices; do
    awk -v n="$name" '$1==n' "$OUT/summary.raw" | sort -k2 -n | awk '{rps[NR]=$2} END {printf "%s", rps[int((NR+1)/2)]}' >"$OUT/m.rps"
    awk -v n="$name" '$1==n' "$OUT/summary.raw" | sort -k3 -n | awk '{v[NR]=$3} END {printf "%s", v[int((NR+1)/2)]}' >"$OUT/m.p50"
    awk -v n="$name" '$1==n' "$OUT/summary.raw" | sort -k4 -n | awk '{v[NR]=$4} END {printf "%s", v[int((NR+1)/2)]}' >"$OUT/m.p99"
    printf '  %-12s %10s req/s   p50 %7s ms   p99 %7s ms\n' "$name" "$(cat "$OUT/m.rps")" "$(cat "$OUT/m.p50")" "$(cat "$OUT/m.p99")"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg); reports: $OUT"
