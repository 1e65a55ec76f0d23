#!/usr/bin/env bash
# Direct vs routed proxy connections between gateway replicas (issue 12): two gateways on one embedded PostgreSQL,
# one real agent dialling replica A only; SOCKS5 through A (direct) against SOCKS5 through B (routed over the peer
# link to A), interleaved in one run: connection setup medians/p90 and echo throughput, with routed/direct ratios.
# Reproduce:  bench/replicas/run.sh [--setups 200] [--bulk-mib 32] [--bulk-runs 5]
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
mkdir -p bench/out
if ! ./mvnw -B -q -o -pl aimlib-server -am test-compile dependency:build-classpath \
    -Dmdep.outputFile="$PWD/bench/out/replicas-classpath.txt" -Dmdep.includeScope=test >bench/out/replicas-build.log 2>&1; then
    cat bench/out/replicas-build.log >&2
    exit 1
fi
CP="aimlib-server/target/test-classes:aimlib-server/target/classes:aimlib-protocol/target/classes:$(cat bench/out/replicas-classpath.txt)"
exec "$JAVA_HOME/bin/java" -Xmx512m ${BENCH_JAVA_OPTS:-} --enable-native-access=ALL-UNNAMED -cp "$CP" \
    -Dlogback.configurationFile=aimlib-server/src/test/resources/logback-test.xml \
    com.aimlib.gateway.replicas.ReplicaRoutingBench "$@"
