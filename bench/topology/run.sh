#!/usr/bin/env bash
# The issue 12 topology test (network namespaces, HAProxy, 2 gateway replicas, 3 agents, 2 browser hosts; needs root)
# run once, printing what it measures: the rate-limit burst, suspension latency across replicas, agents back on the
# surviving replica after a SIGKILL, and how long a dead host's session takes to be failed; then each scenario's time.
# Reproduce:  bench/topology/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
mkdir -p bench/out
echo "# topology  $(date -u +%FT%TZ)  cores=$(nproc)  load average at start $(cut -d' ' -f1-3 /proc/loadavg)  commit $(git rev-parse --short HEAD)"
start=$(date +%s)
status=0
./mvnw -B -o -pl aimlib-server -am test -Dtest=TopologyTest -Dsurefire.failIfNoSpecifiedTests=false >bench/out/topology.log 2>&1 || status=$?
grep -E '^topology ' bench/out/topology.log || true
report=aimlib-server/target/surefire-reports/TEST-com.aimlib.topology.TopologyTest.xml
if [ -f "$report" ]; then
    grep -o 'testcase name="[^"]*" classname="[^"]*" time="[^"]*"' "$report" | sed -E 's/testcase name="([^"]*)".*time="([^"]*)"/  \2 s  \1/'
    grep -o '<testsuite [^>]*' "$report" | grep -oE '(tests|failures|errors|skipped|time)="[^"]*"' | tr '\n' ' '; echo
fi
echo "# wall time $(( $(date +%s) - start )) s (build included), load average at end $(cut -d' ' -f1-3 /proc/loadavg), exit $status"
exit $status
