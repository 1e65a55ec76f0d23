#!/bin/sh
# What the device identity costs: POST -> ready (cold) and opening a new tab, with the host applying the identity
# and without (HostSettings.withIdentity(false), bench only), alternating rounds. One run, one machine.
# Usage: bench/browser/identity.sh [rounds] [sessions per round] [tabs per session]
# New tabs are opened GAP ms apart (default 250: a session in use, the relay's spare tab ready for each), then as many
# back-to-back (a tight loop outruns the spare tab). Spare tabs are on in both modes, as shipped (SPARES=false: off).
# VARIANT=host|client applies the identity through the host's connection only or the relay's copy only (to see what
# each costs; neither alone is the shipped behaviour).
set -e
cd "$(dirname "$0")/../.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
./mvnw -B -q -o test -pl aimlib-server -am -Dtest=IdentityBench -Daimlib.bench=true \
  -Daimlib.bench.rounds="${1:-3}" -Daimlib.bench.sessions="${2:-4}" -Daimlib.bench.tabs="${3:-10}" \
  -Daimlib.bench.variant="${VARIANT:-both}" -Daimlib.bench.gap="${GAP:-250}" -Daimlib.bench.spares="${SPARES:-true}" -Dsurefire.failIfNoSpecifiedTests=false
cat aimlib-server/target/bench-identity.txt
