#!/usr/bin/env bash
# TLS benchmark: Ward's TLS server (WardTLS on one event loop thread) beside nginx and HAProxy (one worker
# each), terminating the same certificates with required client certificates, in one run.
#   - handshakes: `openssl s_time -new -www /` with a client certificate, full mutual TLS 1.3 each time
#   - throughput: curl downloading 256 MiB over one mTLS connection (Ward and nginx; HAProxy serves no files)
# Usage: bench/tls/run.sh [SECONDS]        (results: bench/out/tls/results.md; see bench/RESULTS.md)
# The Ward server runs its event loop on its main thread (one thread, as nginx's worker and HAProxy nbthread 1).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_RUN=${1:-10}
IDLE=${IDLE:-1000}
ulimit -n 8192
OUT=bench/out/tls
rm -rf "$OUT" && mkdir -p "$OUT"
for tool in nginx haproxy openssl curl; do
    command -v $tool >/dev/null || { echo "installing nginx haproxy" >&2; apt-get install -y -qq nginx-light haproxy >/dev/null; break; }
done

# WARD_TLS_BENCH_BIN=path uses a prebuilt server; otherwise it is built (SCRATCH_PATH: SwiftPM's --scratch-path).
BIN=${WARD_TLS_BENCH_BIN:-}
if [ -z "$BIN" ]; then
    echo "building ward-tls-bench (release)..." >&2
    SCRATCH=${SCRATCH_PATH:-Benchmarks/.build}
    swift build -c release --package-path Benchmarks --scratch-path "$SCRATCH" --product ward-tls-bench >&2
    BIN=$SCRATCH/release/ward-tls-bench
fi
$BIN gen "$OUT"
cat "$OUT/server.pem" "$OUT/server.key" > "$OUT/server-combined.pem"
head -c $((256 * 1024 * 1024)) /dev/zero | tr '\0' 'a' > "$OUT/big"

WARD_PORT=18441 NGINX_PORT=18442 HAPROXY_PORT=18443
. bench/tls/nginx-conf.sh
nginx_conf $NGINX_PORT "$PWD/$OUT" "location = /big { alias $PWD/$OUT/big; }" > "$OUT/nginx.conf"
cat > "$OUT/haproxy.cfg" <<CONF
global
    nbthread 1
    tune.ssl.cachesize 0
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend tls
    bind 127.0.0.1:$HAPROXY_PORT ssl crt $PWD/$OUT/server-combined.pem ca-file $PWD/$OUT/bundle.pem verify required ssl-min-ver TLSv1.3 no-tls-tickets
    http-request return status 200 content-type text/plain string ok
CONF

$BIN $WARD_PORT "$OUT/server.pem" "$OUT/server.key" "$OUT/bundle.pem" > "$OUT/ward.log" 2>&1 &
WARD_PID=$!
nginx -c "$PWD/$OUT/nginx.conf" > /dev/null 2>&1 &
haproxy -f "$OUT/haproxy.cfg" > "$OUT/haproxy.log" 2>&1 &
HAPROXY_PID=$!
trap 'kill $WARD_PID $HAPROXY_PID $(cat $OUT/nginx.pid 2>/dev/null) 2>/dev/null || true' EXIT
sleep 2
# Our own worker (the child of the master in our pid file): other nginx instances may be running on the machine.
NGINX_PID=$(pgrep -P "$(cat $OUT/nginx.pid)" | head -1)

cpu() { awk '{print $14 + $15}' /proc/$1/stat; }
clk=$(getconf CLK_TCK)

{
echo "# TLS benchmark $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(openssl version)"
echo "Command: bench/tls/run.sh $SECONDS_PER_RUN"
echo
echo "| server | handshakes/s (s_time, mTLS 1.3) | server CPU ms per handshake | 256 MiB download MB/s (server CPU) | KiB per idle connection ($IDLE held) |"
echo "|---|---|---|---|---|"
} > "$OUT/results.md"

for entry in "ward $WARD_PORT $WARD_PID" "nginx $NGINX_PORT $NGINX_PID" "haproxy $HAPROXY_PORT $HAPROXY_PID"; do
    set -- $entry
    name=$1 port=$2 pid=$3
    echo "== $name: handshakes" >&2
    before=$(cpu $pid)
    line=$(openssl s_time -connect 127.0.0.1:$port -new -www / -cert "$OUT/client.pem" -key "$OUT/client.key" \
        -CAfile "$OUT/bundle.pem" -time "$SECONDS_PER_RUN" 2>/dev/null | grep 'connections in' | head -1)
    after=$(cpu $pid)
    count=$(echo "$line" | awk '{print $1}')
    real=$(echo "$line" | awk '{print $4}')
    rate=$(awk -v c="$count" -v r="$real" 'BEGIN { printf "%.0f", c / r }')
    cpu_ms=$(awk -v a="$after" -v b="$before" -v c="$count" -v k="$clk" 'BEGIN { printf "%.3f", (a - b) * 1000 / k / c }')
    # Idle memory before the download: a heap grown by the transfer would absorb the connections' allocations.
    echo "== $name: $IDLE idle connections" >&2
    rss_before=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
    coproc IDLER { python3 bench/tls/idle.py $port $IDLE "$OUT/bundle.pem" "$OUT/client.pem" "$OUT/client.key"; }
    read -r _ <&"${IDLER[0]}"
    sleep 1
    rss_after=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
    eval "exec ${IDLER[1]}>&-"
    wait $IDLER_PID 2>/dev/null || true
    per_conn=$(awk -v a="$rss_after" -v b="$rss_before" -v n="$IDLE" 'BEGIN { printf "%.1f", (a - b) / n }')
    speed="n/a"
    if [ "$name" != haproxy ]; then
        echo "== $name: throughput" >&2
        best=0
        tput_before=$(cpu $pid)
        for _ in 1 2 3; do
            s=$(curl -s -o /dev/null -w '%{speed_download}' --http1.1 --cacert "$OUT/bundle.pem" --cert "$OUT/client.pem" \
                --key "$OUT/client.key" "https://localhost:$port/big")
            best=$(awk -v a="$s" -v b="$best" 'BEGIN { print (a > b) ? a : b }')
        done
        speed=$(awk -v s="$best" 'BEGIN { printf "%.0f", s / 1000000 }')
        # Server CPU for the three 256 MiB downloads (0.75 GiB): what the rate costs, comparable under load.
        per_gib=$(awk -v a="$(cpu $pid)" -v b="$tput_before" -v k="$clk" 'BEGIN { printf "%.2f", (a - b) / k / 0.75 }')
        speed="$speed ($per_gib s CPU/GiB)"
    fi
    echo "| $name | $rate | $cpu_ms | $speed | $per_conn |" >> "$OUT/results.md"
done
cat "$OUT/results.md"
