#!/bin/sh
# Device tunnel across an emulated 100 ms RTT link (userspace: this kernel has no sch_netem; see LinkEmulator.java
# and docs/benchmarks.md). Usage: bench/tunnel/rtt.sh [-Dlink.mbit=100 -Dlink.delay.ms=50 -Dlink.mode=fair|fifo
#   -Dlink.queue.bytes=N -Dpool=2 -Dbulk.bytes=N -Drounds=3 -Dsmall=200]
set -e
cd "$(dirname "$0")/../.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
./mvnw -B -q -o -DskipTests package
CP="aimlib-server/target/aimlib-server.jar:aimlib-server/target/lib/*"
# Multi-file source launch: RttBench.java uses LinkEmulator.java and TunnelBench.java from the same directory.
exec "$JAVA_HOME/bin/java" -Xmx256m --enable-native-access=ALL-UNNAMED -cp "$CP" "$@" bench/tunnel/RttBench.java
