#!/bin/sh
# Session start through a second gateway replica against the replica the (remote) browser host registered with
# (issue 12): create -> ready and create -> Playwright connected, new page, local page loaded, alternately through
# replica A and replica B, in one run. Figures: aimlib-server/target/bench-replica-session-start.txt.
# Usage: bench/replicas/session-start.sh [sessions per replica (30)]
set -e
cd "$(dirname "$0")/../.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
./mvnw -B -q -o test -pl aimlib-server -am -Dtest=ReplicaSessionStartBench -Daimlib.bench=true \
  -Daimlib.bench.sessions="${1:-30}" -Dsurefire.failIfNoSpecifiedTests=false
cat aimlib-server/target/bench-replica-session-start.txt
