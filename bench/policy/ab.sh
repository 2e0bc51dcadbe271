#!/bin/sh
# Alternating A/B rounds of `ward policy bench` for two ward binaries on the same generated set, pinned to one
# core: on a shared machine one round can be twice another, so builds are compared round by round.
#
#   bench/policy/ab.sh OLD_WARD NEW_WARD [ROUNDS] [RULES]      # defaults: 5 rounds, the 10,000-rule set
#
# The set comes from bench/policy/run.sh (bench/out/policy/set-RULES); generate it first.
set -eu
cd "$(dirname "$0")/../.."
A=$1
B=$2
ROUNDS=${3:-5}
RULES=${4:-10000}
DIR=bench/out/policy/set-$RULES
[ -d "$DIR/policies" ] || { echo "no $DIR: run SIZES=$RULES bench/policy/run.sh first" >&2; exit 1; }
PIN=""
command -v taskset >/dev/null && PIN="taskset -c ${CORE:-0}"
for R in $(seq "$ROUNDS"); do
    for W in "$A" "$B"; do
        $PIN "$W" policy bench "$DIR/policies" --requests "$DIR/requests.jsonl" --samples 100000 --json |
            python3 -c 'import json, sys; d = json.load(sys.stdin); print("round %s  %s: p50 %d ns  p90 %d ns  p99 %d ns  mean %d ns" % (sys.argv[1], sys.argv[2], d["p50_ns"], d["p90_ns"], d["p99_ns"], d["mean_ns"]))' "$R" "$W"
    done
done
