#!/bin/sh
# What each of the host's page overrides costs a new tab on a bare Chromium (no gateway, no relay), all variants
# interleaved tab by tab in one browser: none, all, all but one command (each in turn), identity.js without its WebGL
# part, the Emulation/Target commands only, Page.enable + identity.js only. The commands are the host's own for a
# catalogue device (OverridesDump). Needs Node >= 20 (built-in WebSocket) and chromium.
# Usage: bench/browser/newtab-commands.sh [rounds (2)] [tabs per variant and round (60)] [device (pixel-8)]
set -e
cd "$(dirname "$0")/../.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
./mvnw -B -q -o test -pl aimlib-server -am -Dtest=OverridesDump -Daimlib.bench=true -Daimlib.bench.device="${3:-pixel-8}" \
  -Dsurefire.failIfNoSpecifiedTests=false
for r in $(seq "${1:-2}"); do
  echo "## round $r ($(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1 /proc/loadavg))"
  CMDS=aimlib-server/target/bench-overrides-page.json TABS="${2:-60}" node --experimental-websocket --no-warnings bench/browser/newtab-commands.mjs
done
