#!/usr/bin/env bash
# Instructions per proxied request, Ward beside HAProxy, counted by callgrind: bench/proxy/callgrind.sh
#
# Wall-clock CPU on this shared 2-core VM swings by 1.5-2x from minute to minute; instruction counts do not. Same
# topology as run.sh (wrk -> HAProxy mTLS originator -> candidate -> nginx upstream, `GET /api/items`), but each
# candidate runs under `valgrind --tool=callgrind` with one thread, and only the measured window is counted
# (callgrind_control zeroes the counters after a warm-up and dumps them after DURATION seconds of wrk -c4).
# Settings: DURATION (s, default 10), CANDIDATES (default "ward haproxy"; also "floor": Benchmarks' ward-http-floor,
# the same TLS and NIOHTTP1 codecs relaying requests unchanged with no Ward logic, the floor of Ward's stack; built
# if missing), WARD_BIN (default: the release build run.sh uses), OUT (default bench/out/proxy-callgrind). Needs valgrind; reuses run.sh's PKI and configs, which it
# makes by running run.sh with no measurement rounds. Prints one line per candidate; keeps the callgrind files in
# $OUT for callgrind_annotate.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
DURATION=${DURATION:-10}
CANDIDATES=${CANDIDATES:-ward haproxy}
WARD=${WARD_BIN:-$ROOT/.build-release-proxy/release/ward}
OUT=${OUT:-$ROOT/bench/out/proxy-callgrind}
SETUP=$ROOT/bench/out/proxy
command -v valgrind >/dev/null || { echo "bench/proxy/callgrind.sh: valgrind is required (apt-get install valgrind)" >&2; exit 1; }

# PKI, policies and configs from run.sh (it checks every candidate's rules, then measures nothing).
WARD_BIN=$WARD ROUNDS=0 OUT=$SETUP bench/proxy/run.sh >/dev/null
rm -rf "$OUT"; mkdir -p "$OUT"
P=$SETUP/pki
# valgrind 3.19 cannot read the DWARF 5 that Swift emits: count a copy without debug sections.
cp "$WARD" "$OUT/ward"; strip --strip-debug "$OUT/ward"
sed 's/nbthread [0-9]*/nbthread 1/' $SETUP/haproxy-in.cfg > $OUT/haproxy-in.cfg

PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
nginx -p $SETUP/nginx-up -c $SETUP/nginx-up/nginx.conf -g 'daemon off;' 2>/dev/null & PIDS+=($!)
haproxy -db -f $SETUP/haproxy-originator.cfg 2>/dev/null & PIDS+=($!)

measure() { # name origin-port command...
    local name=$1 port=$2; shift 2
    valgrind --tool=callgrind --callgrind-out-file=$OUT/callgrind.$name "$@" 2>$OUT/valgrind.$name.err & local pid=$!
    for _ in $(seq 300); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/api/items)" = 200 ] && break; sleep 0.2
    done
    wrk -t1 -c4 -d3s http://127.0.0.1:$port/api/items >/dev/null  # warm-up
    callgrind_control -z $pid >/dev/null 2>&1
    wrk -t1 -c4 -d${DURATION}s http://127.0.0.1:$port/api/items > $OUT/wrk.$name
    callgrind_control -d $pid >/dev/null 2>&1
    kill $pid; wait $pid 2>/dev/null || true
    local requests instructions
    requests=$(awk '/requests in/ {print $1}' $OUT/wrk.$name)
    instructions=$(callgrind_annotate $OUT/callgrind.$name.1 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
    awk -v n=$name -v r=$requests -v i=$instructions \
        'BEGIN { printf "%-8s %8d requests  %14d instructions  %8.0f instructions/request\n", n, r, i, i / r }'
}

for name in $CANDIDATES; do
    case $name in
    ward) measure ward 19280 $OUT/ward proxy --listen 127.0.0.1:19443 --upstream 127.0.0.1:19180 \
        --svid $P/server.pem --key $P/server.key --bundle $P/ca.pem --policies $SETUP/policies \
        --admin 127.0.0.1:19901 --access-log off --threads 1 --reload-interval 0 ;;
    haproxy) measure haproxy 19281 haproxy -db -f $OUT/haproxy-in.cfg ;;
    floor)
        (cd Benchmarks && swift build -c release --product ward-http-floor >&2)
        cp Benchmarks/.build/release/ward-http-floor "$OUT/floor"; strip --strip-debug "$OUT/floor"
        # Ward's listening port, so the originator's route to Ward reaches it (candidates run one at a time).
        measure floor 19280 $OUT/floor 19443 $P/server.pem $P/server.key $P/ca.pem 19180 ;;
    *) echo "unknown candidate $name" >&2; exit 1 ;;
    esac
done
