#!/bin/sh
# Browser-session benchmark: POST -> ready -> connected (20 sessions), CDP round trip and a ~20 MB
# screenshot through the relay vs direct to Chromium, RSS per idle session. One run, one machine.
# Usage: bench/browser/run.sh [sessions]
set -e
cd "$(dirname "$0")/../.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
./mvnw -B -q -o test -pl aimlib-server -am -Dtest=BrowserBench -Daimlib.bench=true \
  -Daimlib.bench.sessions="${1:-20}" -Dsurefire.failIfNoSpecifiedTests=false
cat aimlib-server/target/bench-browser.txt
