#!/bin/sh
# Deterministic per-decision counts for a ward build: instructions, L1 data misses, and misses beyond a simulated
# 1 MiB last level (the core's L2 on the benchmark host), collected inside DecisionTable.decide(_:peer:) only.
#
#   bench/policy/callgrind.sh WARD_BIN [RULES]      # default: the 10,000-rule set from bench/policy/run.sh
#
# Wall-clock numbers on a shared VM move 1.5-2x minute to minute; these do not. valgrind 3.19 cannot read Swift's
# DWARF 5, so the binary is copied with `strip --strip-debug` first. Per decision = totals / calls from decide into
# its stack-scratch closure (one per decision).
set -eu
cd "$(dirname "$0")/../.."
BIN=$1
RULES=${2:-10000}
DIR=bench/out/policy/set-$RULES
[ -d "$DIR/policies" ] || { echo "no $DIR: run SIZES=$RULES bench/policy/run.sh first" >&2; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
strip --strip-debug -o "$TMP/ward" "$BIN"
SYMBOL='$s10WardPolicy13DecisionTableC6decide_4peerAA0C0VAA12RequestFactsV_AA8PeerViewVtF'
valgrind --tool=callgrind --cache-sim=yes --LL=1048576,16,64 --callgrind-out-file="$TMP/out" \
    --toggle-collect="$SYMBOL" "$TMP/ward" policy bench "$DIR/policies" --requests "$DIR/requests.jsonl" \
    --samples 2000 >/dev/null 2>&1
python3 - "$TMP/out" "$SYMBOL" "$RULES" <<'PY'
import re, sys
path, symbol, rules = sys.argv[1], sys.argv[2], sys.argv[3]
names, current, callee, calls, events, totals = {}, "", "", 0, [], []
for line in open(path):
    if line.startswith("events:"):
        events = line.split()[1:]
    elif line.startswith("summary:") or line.startswith("totals:"):
        totals = [int(x) for x in line.split()[1:]]
    m = re.match(r"^(c?fn)=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
    if m:
        kind, index, name = m.groups()
        if name:
            names[index] = name
        if kind == "fn":
            current = names.get(index, "")
        else:
            callee = names.get(index, "")
    elif line.startswith("calls=") and current == symbol and callee.startswith(symbol) and "XEfU_" in callee:
        calls += int(line.split("=")[1].split()[0])
if not calls:
    sys.exit("no decisions found (symbol renamed?)")
d = dict(zip(events, totals))
print(f"{rules} rules, {calls} decisions; per decision: instructions {d['Ir'] / calls:,.0f}, "
      f"L1d misses {(d['D1mr'] + d['D1mw']) / calls:.2f}, beyond 1 MiB {(d['DLmr'] + d['DLmw']) / calls:.2f}")
PY
