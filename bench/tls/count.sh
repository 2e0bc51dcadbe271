#!/usr/bin/env bash
# Deterministic per-handshake counts for one server: instructions and malloc-family calls (valgrind callgrind,
# counters zeroed after a warm-up), then syscalls (strace -c attached after a warm-up). The client is
# bench/tls/handshakes.py: N sequential full mTLS 1.3 handshakes, each with one tiny request, like s_time -new.
# Usage: bench/tls/count.sh (WARD_TLS_BENCH_BINARY | nginx) [N]      (valgrind 3.19 needs debug info stripped
# from Swift binaries: the script strips a copy)
# CACHE=1 also simulates the caches (32 KiB L1s and a 1 MiB last level, this machine's per-core L2) and prints the
# misses per handshake by object: what separates two servers whose instruction counts are equal.
set -euo pipefail
cd "$(dirname "$0")/../.."
SERVER=$1 N=${2:-200}
OUT=bench/out/tls-count
mkdir -p "$OUT"
GEN=${GEN_BINARY:-$SERVER}
[ -f "$OUT/bundle.pem" ] || { [ "$SERVER" != nginx ] || GEN=.build-tls-release/release/ward-tls-bench; "$GEN" gen "$OUT"; }
PORT=${PORT:-28590}
client() { python3 bench/tls/handshakes.py $PORT "$1" "$OUT/bundle.pem" "$OUT/client.pem" "$OUT/client.key"; }
wait_port() { for _ in $(seq 200); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && return; sleep 0.1; done; echo "no listener" >&2; exit 1; }

if [ "$SERVER" = nginx ]; then
    . bench/tls/nginx-conf.sh
    # master_process off: one process, so callgrind and strace see the worker itself.
    nginx_conf $PORT "$PWD/$OUT" | sed 's/^daemon off;/daemon off;\nmaster_process off;/' > "$OUT/nginx.conf"
    CMD=(nginx -c "$PWD/$OUT/nginx.conf")
else
    cp "$SERVER" "$OUT/server-bin" && strip --strip-debug "$OUT/server-bin"
    CMD=("$OUT/server-bin" $PORT "$OUT/server.pem" "$OUT/server.key" "$OUT/bundle.pem")
fi

# Instructions and allocations.
rm -f "$OUT"/callgrind.out*
CACHE_ARGS=()
[ "${CACHE:-0}" = 1 ] && CACHE_ARGS=(--cache-sim=yes --I1=32768,8,64 --D1=32768,8,64 --LL=1048576,16,64)
valgrind --tool=callgrind "${CACHE_ARGS[@]}" --callgrind-out-file="$OUT/callgrind.out.%p" "${CMD[@]}" > "$OUT/valgrind.log" 2>&1 &
VG=$!
trap 'kill $VG 2>/dev/null || true' EXIT
wait_port
client 20
callgrind_control -z $VG > /dev/null
client $N
callgrind_control -d $VG > /dev/null
sleep 1
kill $VG; wait $VG 2>/dev/null || true
DUMP=$(ls -t "$OUT"/callgrind.out.*.[0-9]* 2>/dev/null | head -1 || true)
[ -n "$DUMP" ] || DUMP=$(ls -t "$OUT"/callgrind.out.* | head -1)
cp "$DUMP" "$OUT/last.callgrind"  # kept for callgrind_annotate / callgrind_calls.py
python3 bench/tls/callgrind_calls.py "$DUMP" $N

# Syscalls.
"${CMD[@]}" > /dev/null 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
wait_port
client 20
strace -f -c -o "$OUT/strace.txt" -p $PID &
ST=$!
sleep 1
client $N
sleep 0.5
kill -INT $ST; wait $ST 2>/dev/null || true
kill $PID; wait $PID 2>/dev/null || true
awk -v n=$N '$1 ~ /^[0-9.]+$/ && NF >= 5 { calls = $4; name = $NF; if (NF == 6) errors = $5; else errors = 0;
    printf "  %-16s %6.2f per handshake%s\n", name, calls / n, errors ? sprintf(" (%.2f failed)", errors / n) : "" }' "$OUT/strace.txt"
