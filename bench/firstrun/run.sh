#!/usr/bin/env bash
# Issue 16's first-run figures: a fresh clone with an empty Maven repository and a HOME of its own until the
# demo prints its exports; what that build left in the repository; then `admin customers list` against that
# demo, median of 20 (hyperfine), optionally beside an older build (BEFORE=/path/to/older/checkout).
#
#   bench/firstrun/run.sh                 # needs network to Maven Central and hyperfine (apt-get install hyperfine)
#   BEFORE=/tmp/base bench/firstrun/run.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="$(mktemp -d /tmp/aimlib-firstrun.XXXXXX)"
PORT="${PORT:-47780}"
command -v hyperfine >/dev/null || { echo "bench needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
SERVER=""
cleanup() {
    [[ -n "$SERVER" ]] && kill -TERM "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

git clone -q "$ROOT" "$WORK/clone"
echo "clone of $(git -C "$WORK/clone" log --oneline -1), load $(cut -d' ' -f1-3 /proc/loadavg)"
t0=$(date +%s.%N)
(cd "$WORK/clone" && HOME="$WORK/home" MAVEN_ARGS="-Dmaven.repo.local=$WORK/m2" ./aimlib standalone --demo \
    --data-dir "$WORK/data" --port "$PORT" --socks-port $((PORT + 1)) --http-proxy-port $((PORT + 2)) \
    --tunnel-port $((PORT + 3)) >"$WORK/out" 2>"$WORK/err") &
SERVER=$!
until grep -q '^export AIMLIB_API_KEY=' "$WORK/out" 2>/dev/null; do
    kill -0 "$SERVER" 2>/dev/null || { tail -20 "$WORK/err" >&2; exit 1; }
    sleep 0.2
done
t1=$(date +%s.%N)
awk -v a="$t0" -v b="$t1" 'BEGIN {printf "fresh clone, empty Maven repository -> demo exports: %.1f s\n", b - a}'
echo "Maven repository: $(du -sh "$WORK/m2" | cut -f1); PostgreSQL binaries: $(find "$WORK/m2" -path '*zonky*' -name 'embedded-postgres-binaries-*.jar' -printf '%f ' )"
echo "Playwright artifacts in it: $(find "$WORK/m2" -ipath '*playwright*' -name '*.jar' | wc -l)"

until grep -q 'is up' "$WORK/out"; do sleep 0.2; done
eval "$(grep '^export' "$WORK/out")"
cmds=("$WORK/clone/aimlib admin customers list")
[[ -n "${BEFORE:-}" ]] && cmds=("$BEFORE/aimlib admin customers list" "${cmds[@]}")
hyperfine -N --warmup 3 --runs 20 --export-json "$WORK/hf.json" "${cmds[@]}" >/dev/null
python3 -c "
import json, sys
for r in json.load(open(sys.argv[1]))['results']:
    print('admin customers list  %-60s median %.3f s  (min %.3f, max %.3f)' % (r['command'], r['median'], r['min'], r['max']))" "$WORK/hf.json"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
