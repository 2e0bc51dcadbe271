#!/usr/bin/env bash
# Issuance benchmark: Ward (in-process, release build) beside Python `cryptography` issuing the same
# X.509-SVID (EC P-256 CA and leaf, same extensions), in the same run on the same machine. Both sit on OpenSSL.
#
#   bench/issuance/run.sh [COUNT]       (default 3000 SVIDs per mode; 3 rounds each, best kept)
#
# Also times the CLI end to end (`ward ca issue`, one process per SVID, writing files and the issuance log).
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT="${1:-3000}"
ROUNDS=3
SCRATCH=.build-bench

echo "building ward (release, scratch $SCRATCH)..." >&2
swift build -c release --scratch-path "$SCRATCH" --product ward >&2
WARD="$SCRATCH/release/ward"
python3 -c 'import cryptography' 2>/dev/null || { echo "needs python3 with cryptography (pip install cryptography)" >&2; exit 1; }

best() { python3 -c '
import json, sys
runs = [json.loads(l) for l in sys.stdin if l.strip()]
print(json.dumps({k: (max(r[k] for r in runs) if k.endswith("per_second") else runs[0][k]) for k in runs[0]}))'; }

echo "machine: $(uname -srm), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "openssl: $(openssl version)"
echo "swift:   $(swift --version 2>/dev/null | head -1)"
echo "count:   $COUNT per mode, best of $ROUNDS rounds"

ward_json=$(for _ in $(seq $ROUNDS); do "$WARD" ca bench --count "$COUNT"; done | python3 -c '
import json, sys
text = sys.stdin.read()
dec = json.JSONDecoder(); i = 0; out = []
while i < len(text):
    while i < len(text) and text[i].isspace(): i += 1
    if i >= len(text): break
    obj, i = dec.raw_decode(text, i); out.append(json.dumps(obj))
print("\n".join(out))' | best)
py_json=$(for _ in $(seq $ROUNDS); do python3 bench/issuance/reference.py "$COUNT"; done | best)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$WARD" ca init --trust-domain bench.example --dir "$tmp/certs" >/dev/null
CLI_N=100
start=$(date +%s.%N)
for i in $(seq $CLI_N); do "$WARD" ca issue "spiffe://bench.example/w$i" --dir "$tmp/certs" >/dev/null; done
end=$(date +%s.%N)
cli_rate=$(python3 -c "print(round($CLI_N / ($end - $start)))")

python3 - "$ward_json" "$py_json" "$cli_rate" <<'PY'
import json, sys
w, p, cli = json.loads(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
print()
print(f"| issuer (EC P-256) | sign only (SVIDs/s) | with key generation (SVIDs/s) |")
print(f"|---|---:|---:|")
print(f"| Ward (WardIdentity, in-process) | {w['issue_per_second']:.0f} | {w['issue_with_keygen_per_second']:.0f} |")
print(f"| Python cryptography {p['cryptography']} | {p['issue_per_second']:.0f} | {p['issue_with_keygen_per_second']:.0f} |")
print(f"| `ward ca issue` CLI, one process per SVID | – | {cli} |")
ratio1 = w['issue_per_second'] / p['issue_per_second']
ratio2 = w['issue_with_keygen_per_second'] / p['issue_with_keygen_per_second']
print()
print(f"Ward / cryptography: {ratio1:.2f}x (sign only), {ratio2:.2f}x (with key generation)")
PY
