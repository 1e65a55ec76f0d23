#!/usr/bin/env bash
# A/B of two builds of the distribution on the customer API, interleaved in one run so both see the same
# machine: PAIRS times (A, B), each a fresh `standalone --demo` measured by bench/api/run.sh (ROUNDS=1).
#
#   JAR_A=/path/to/old/aimlib-server.jar JAR_B=aimlib-server/target/aimlib-server.jar PAIRS=3 bench/api/ab.sh
#
# Prints per-run figures, then the medians of healthz and GET /v1/devices for A and B and the B/A ratios.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
JAR_A="${JAR_A:?set JAR_A to the baseline aimlib-server.jar}"
JAR_B="${JAR_B:-$ROOT/aimlib-server/target/aimlib-server.jar}"
PAIRS="${PAIRS:-3}"
RAW="$(mktemp /tmp/aimlib-ab.XXXXXX)"
trap 'rm -f "$RAW"' EXIT
echo "A=$JAR_A"
echo "B=$JAR_B"
for p in $(seq 1 "$PAIRS"); do
    for side in A B; do
        jar="JAR_$side"
        out="$(JAR="${!jar}" ROUNDS=1 "$ROOT/bench/api/run.sh")"
        # run.sh ends with "  healthz  <rps> req/s   p50 <ms> ms   p99 <ms> ms" and the same for v1-devices.
        echo "$out" | awk -v s="$side" -v p="$p" '/^  (healthz|v1-devices) / {print s, p, $1, $2, $5, $8}' | tee -a "$RAW"
    done
done
median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
echo "medians over $PAIRS pairs (req/s, p50 ms, p99 ms):"
for path in healthz v1-devices; do
    for side in A B; do
        rps="$(awk -v s="$side" -v n="$path" '$1==s && $3==n {print $4}' "$RAW" | median)"
        p50="$(awk -v s="$side" -v n="$path" '$1==s && $3==n {print $5}' "$RAW" | median)"
        p99="$(awk -v s="$side" -v n="$path" '$1==s && $3==n {print $6}' "$RAW" | median)"
        printf '  %-11s %s %10s   p50 %7s   p99 %7s\n' "$path" "$side" "$rps" "$p50" "$p99"
        eval "${side}_${path//-/_}=$rps"
    done
    a="A_${path//-/_}"; b="B_${path//-/_}"
    awk -v a="${!a}" -v b="${!b}" -v n="$path" 'BEGIN {printf "  %-11s B/A throughput %.2fx\n", n, b / a}'
done
