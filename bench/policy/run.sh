#!/bin/sh
# Policy benchmark: Ward versus Cedar (cedarpy) and Rego (regopy) on the same synthetic policy sets.
#
#   bench/policy/run.sh            # sizes 10, 1000, 10000; seed 42
#   SIZES="1000" SEED=7 ROUNDS=5 bench/policy/run.sh
#
# `ward policy bench` runs ROUNDS times (default 3) per size; the table shows the round with the median p50 and
# the range of p50 and p99 over all rounds (on a shared machine one round can be twice another).
#
# Builds ward in release mode (own scratch path), generates each set under bench/out/policy/ (gitignored),
# times `ward policy bench` pinned to one core, decides the same requests with Cedar and Rego, checks that
# all three agree on every request, and writes bench/out/policy/summary.md.
set -eu
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
SIZES=${SIZES:-"10 1000 10000"}
SEED=${SEED:-42}
CORE=${CORE:-0}
ROUNDS=${ROUNDS:-3}
OUT="$ROOT/bench/out/policy"
mkdir -p "$OUT"

swift build -c release --scratch-path .build-release-policy --product ward >/dev/null
WARD="$ROOT/.build-release-policy/release/ward"
python3 -c "import cedarpy, regopy" || { echo "install cedarpy and regopy: pip install cedarpy regopy" >&2; exit 1; }
PIN=""
command -v taskset >/dev/null && PIN="taskset -c $CORE"

SUMMARY="$OUT/summary.md"
{
    echo "| rules | requests | allowed | Ward p50 (range over rounds) | Ward p99 (range) | Ward mean (throughput) | decisions/s | load+validate | compile | resolve/conn | table bitsets | peak RSS | Cedar engine p50 (mean) | Cedar per call p50 | Rego per query p50 | Cedar/Ward engine | disagreements |"
    echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
} >"$SUMMARY"

for N in $SIZES; do
    DIR="$OUT/set-$N"
    rm -rf "$DIR"
    python3 bench/policy/generate.py "$N" "$SEED" "$DIR"
    for R in $(seq "$ROUNDS"); do
        $PIN "$WARD" policy bench "$DIR/policies" --requests "$DIR/requests.jsonl" --json >"$DIR/ward-bench-$R.json"
    done
    python3 - "$DIR" "$ROUNDS" <<'PY'
import json, sys
d, rounds = sys.argv[1], int(sys.argv[2])
runs = sorted((json.load(open(f"{d}/ward-bench-{r}.json")) for r in range(1, rounds + 1)), key=lambda w: w["p50_ns"])
median = dict(runs[len(runs) // 2])
median["p50_range"] = f'{runs[0]["p50_ns"]}-{runs[-1]["p50_ns"]}'
p99s = sorted(w["p99_ns"] for w in runs)
median["p99_range"] = f"{p99s[0]}-{p99s[-1]}"
json.dump(median, open(f"{d}/ward-bench.json", "w"))
PY
    "$WARD" policy eval "$DIR/policies" --requests "$DIR/requests.jsonl" >"$DIR/ward-decisions.jsonl"
    case $N in 10) CEDAR_MAX=2000 REGO_MAX=2000 ;; 1000) CEDAR_MAX=2000 REGO_MAX=500 ;; *) CEDAR_MAX=1000 REGO_MAX=100 ;; esac
    $PIN python3 bench/policy/compare.py "$DIR" "$DIR/ward-decisions.jsonl" "$CEDAR_MAX" "$REGO_MAX" >"$DIR/compare.json"
    python3 - "$DIR" "$N" >>"$SUMMARY" <<'PY'
import json, sys
d, n = sys.argv[1], sys.argv[2]
w = json.load(open(f"{d}/ward-bench.json"))
c = json.load(open(f"{d}/compare.json"))
ratio = c["cedar_engine_us_p50"] * 1000 / max(w["p50_ns"], 1)
bad = c["cedar_mismatches"] + c["rego_mismatches"]
print(f'| {n} | {w["requests"]} | {w["allowed"]} | {w["p50_ns"]} ns ({w["p50_range"]}) | {w["p99_ns"]} ns ({w["p99_range"]}) | {w["mean_ns"]} ns | {w["decisions_per_second"]:,} '
      f'| {w["load_ms"]:.1f} ms | {w["compile_ms"]:.1f} ms | {w["resolve_us_per_connection"]:.1f} us | {w["table_bitset_bytes"]/1e6:.2f} MB '
      f'| {w["peak_rss_bytes"]/1e6:.0f} MB | {c["cedar_engine_us_p50"]} us ({c["cedar_engine_us_mean"]} us) | {c["cedar_call_us_p50"]} us '
      f'| {c["rego_query_us_p50"]} us | {ratio:,.0f}x | {bad} of {c["cedar_requests"]} Cedar + {c["rego_requests"]} Rego |')
if bad:
    sys.exit(f"engines disagree on {bad} requests for {n} rules; see {d}/compare.json")
PY
done

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
echo "command: bench/policy/run.sh (SIZES=\"$SIZES\" SEED=$SEED ROUNDS=$ROUNDS), ward pinned with: ${PIN:-(no taskset)}"
echo
cat "$SUMMARY"
