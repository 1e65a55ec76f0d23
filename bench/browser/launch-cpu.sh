#!/bin/bash
# What one headless Chromium launch costs in CPU time (the whole process tree: browser, zygotes, GPU, network and
# storage services, renderers), from exec until it has settled for SETTLE seconds after announcing DevTools, and then
# killed — measured with a cgroup's CPU accounting (cgroup v1 cpuacct or cgroup v2 cpu.stat), so processes that
# died are counted too. Two variants, interleaved round by round on the same machine: the host's flags without and
# with the host's --disable-features (the omnibox WebUI popups that new headless preloads; host/BrowserHost.java).
# Prints each launch and the medians and their ratio. Needs root (a cgroup of its own) and chromium.
# Usage: bench/browser/launch-cpu.sh [rounds (8)] [settle seconds (2)]
set -euo pipefail
ROUNDS=${1:-8}
SETTLE=${2:-2}
FEATURES=$(grep -o 'DISABLED_FEATURES = "[^"]*"' "$(dirname "$0")/../../aimlib-server/src/main/java/com/aimlib/host/BrowserHost.java" | cut -d'"' -f2)
CHROMIUM=${CHROMIUM:-$(command -v chromium)}

if [ -d /sys/fs/cgroup/cpuacct ]; then
  CG=/sys/fs/cgroup/cpuacct/aimlib-launch-cpu
  mkdir -p "$CG"
  usage_ms() { echo $(( $(cat "$CG/cpuacct.usage") / 1000000 )); }
else
  CG=/sys/fs/cgroup/aimlib-launch-cpu
  mkdir -p "$CG"
  usage_ms() { echo $(( $(awk '/^usage_usec/ {print $2}' "$CG/cpu.stat") / 1000 )); }
fi
trap 'echo $$ > "$(dirname "$CG")/cgroup.procs" 2>/dev/null || true; rmdir "$CG" 2>/dev/null || true' EXIT
echo $$ > "$CG/cgroup.procs"

launch() { # $1: extra flag or empty; prints CPU ms
  local d; d=$(mktemp -d /tmp/aimlib-launch-cpu.XXXXXX)
  local before; before=$(usage_ms)
  # shellcheck disable=SC2086
  setsid "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
    --disable-sync --no-first-run --no-default-browser-check --disable-dev-shm-usage --user-data-dir="$d" \
    --remote-debugging-port=0 --remote-debugging-address=127.0.0.1 $1 about:blank > "$d.log" 2>&1 &
  local pid=$!
  until grep -q "DevTools listening" "$d.log" 2>/dev/null; do sleep 0.01; done
  sleep "$SETTLE"
  kill -TERM -"$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  sleep 0.3
  echo $(( $(usage_ms) - before ))
  rm -rf "$d" "$d.log"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

plain=(); disabled=()
for r in $(seq "$ROUNDS"); do
  p=$(launch ""); q=$(launch "--disable-features=$FEATURES")
  plain+=("$p"); disabled+=("$q")
  echo "round $r: host flags ${p} ms CPU, + --disable-features=$FEATURES ${q} ms CPU"
done
mp=$(printf '%s\n' "${plain[@]}" | median); md=$(printf '%s\n' "${disabled[@]}" | median)
echo "median CPU per launch + ${SETTLE} s settle: host flags ${mp} ms, with the disabled features ${md} ms, ratio $(awk -v a="$md" -v b="$mp" 'BEGIN {printf "%.2f", a / b}')x"
