#!/bin/sh
# Device tunnel benchmark on loopback. Usage: bench/tunnel/run.sh [-Dbulk.bytes=N -Drounds=N -Dsequential=N -Dconcurrent=N]
# The gateway JVM runs with -Xmx256m: the 1,000-concurrent-streams figure holds under that cap or the run fails.
set -e
cd "$(dirname "$0")/../.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
./mvnw -B -q -o -DskipTests package
CP="aimlib-server/target/aimlib-server.jar:aimlib-server/target/lib/*"
exec "$JAVA_HOME/bin/java" -Xmx256m --enable-native-access=ALL-UNNAMED -cp "$CP" "$@" bench/tunnel/TunnelBench.java
