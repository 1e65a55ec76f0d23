#!/usr/bin/env bash
# Connection set-up cost of the unified proxy port's first-byte protocol detection against today's separate
# SOCKS5-only and HTTP-only ports: two proxy fronts in one JVM, four paths interleaved, medians and ratios.
# Reproduce:  bench/proxy/detect.sh [--rounds 3000] [--warmup 4000] [--workers 2]
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
mkdir -p bench/out
if ! ./mvnw -B -q -o -pl aimlib-server -am test-compile dependency:build-classpath \
    -Dmdep.outputFile="$PWD/bench/out/proxy-classpath.txt" -Dmdep.includeScope=test >bench/out/proxy-build.log 2>&1; then
    cat bench/out/proxy-build.log >&2
    exit 1
fi
CP="aimlib-server/target/test-classes:aimlib-server/target/classes:aimlib-protocol/target/classes:$(cat bench/out/proxy-classpath.txt)"
exec "$JAVA_HOME/bin/java" -Xmx512m ${BENCH_JAVA_OPTS:-} --enable-native-access=ALL-UNNAMED -cp "$CP" \
    -Dlogback.configurationFile="${PROXY_BENCH_LOGBACK:-aimlib-server/src/test/resources/logback-test.xml}" \
    com.aimlib.gateway.proxy.ProtocolDetectBench "$@"
