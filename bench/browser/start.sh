#!/bin/sh
# Issue 13's session-start bench (browserbench method, stock Playwright for Java as the client), in one run:
# the raw Chromium floor (launch + page + goto a local 50 KB page + close), aimlib with the shipped default warm
# pool at one create per second, aimlib cold, a burst of 5 concurrent creates, the start-time breakdown, and the
# density of idle sessions (PSS of each process tree from /proc/<pid>/smaps_rollup) against bare Chromium with the
# same command line. Figures: aimlib-server/target/bench-start.txt.
# Usage: bench/browser/start.sh [sessions (300)] [raw per block (50)] [cold (40)]
# URGENT=false runs the shipped pool without urgent refills (every warm launch at nice 10), for a before/after.
set -e
cd "$(dirname "$0")/../.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
./mvnw -B -q -o test -pl aimlib-server -am -Dtest=SessionStartBench -Daimlib.bench=true \
  -Daimlib.bench.sessions="${1:-300}" -Daimlib.bench.raw="${2:-50}" -Daimlib.bench.cold="${3:-40}" \
  -Daimlib.bench.urgent="${URGENT:-true}" \
  -Dsurefire.failIfNoSpecifiedTests=false
cat aimlib-server/target/bench-start.txt
