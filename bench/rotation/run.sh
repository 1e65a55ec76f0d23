#!/usr/bin/env bash
# Rotation time on loopback (issue 15): N customer rotations (POST /v1/devices/{id}/rotate-ip {"wait": true}) of one
# device served by a real agent whose rotate command flips its binding file 127.0.0.3 <-> 127.0.0.4, against a
# baseline measured in the same run (the rotate command plus one what-is-my-IP probe, done directly).
# Embedded PostgreSQL, everything in one JVM on loopback.
# Reproduce:  bench/rotation/run.sh [--rotations 20]
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
mkdir -p bench/out
if ! ./mvnw -B -q -o -pl aimlib-server -am test-compile dependency:build-classpath \
    -Dmdep.outputFile="$PWD/bench/out/rotation-classpath.txt" -Dmdep.includeScope=test >bench/out/rotation-build.log 2>&1; then
    cat bench/out/rotation-build.log >&2
    exit 1
fi
CP="aimlib-server/target/test-classes:aimlib-server/target/classes:aimlib-protocol/target/classes:$(cat bench/out/rotation-classpath.txt)"
exec "$JAVA_HOME/bin/java" -Xmx512m ${BENCH_JAVA_OPTS:-} --enable-native-access=ALL-UNNAMED -cp "$CP" \
    -Dlogback.configurationFile=aimlib-server/src/test/resources/logback-test.xml \
    com.aimlib.gateway.rotation.RotationBench "$@"
