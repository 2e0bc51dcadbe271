#!/usr/bin/env bash
# Proxy benchmark, one command: bench/proxy/run.sh
#
#   wrk (closed loop, keep-alive)
#     -> HAProxy: one client-side mTLS originator shared by all candidates (client SVID, verifies the server)
#       -> candidate inbound proxy, enforcing the same identity-and-path rules:
#            Ward (`ward proxy`, release build) | HAProxy | nginx
#         -> the same upstream (nginx returning a small 200)
#
# For each candidate: a warm-up, a peak run (closed loop), then a paced run at half of that peak (wrk's delay()),
# reporting requests/s, latency percentiles, the candidate's CPU seconds per 10,000 requests and its peak RSS.
# Before measuring, each candidate is checked to allow the client on /api/* and deny /admin, other methods and
# another identity. Settings: DURATION (s, default 10), CONNECTIONS (default 32), WRK_THREADS (default 2),
# WORKERS (threads/processes per candidate, default 2), WARD_BIN (default: release build, built if missing),
# WARD_BASE_BIN (optional: a second ward binary, e.g. the previous commit's, measured as candidate "ward-base"
# on its own ports so two builds can be compared in alternating rounds), CANDIDATES (default "ward haproxy nginx"), ROUNDS (default 1: each round measures every candidate in turn, so
# repeated rounds alternate candidates under the same background load), HALF (default 1; 0 skips the paced run).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
OUT=${OUT:-$ROOT/bench/out/proxy}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
WRK_THREADS=${WRK_THREADS:-2}
WORKERS=${WORKERS:-2}
WARD=${WARD_BIN:-$ROOT/.build-release-proxy/release/ward}
CANDIDATES=${CANDIDATES:-ward haproxy nginx}
ROUNDS=${ROUNDS:-1}
HALF=${HALF:-1}
TD=example.org
SERVER_ID=spiffe://$TD/ns/bench/sa/server
CLIENT_ID=spiffe://$TD/ns/bench/sa/client
OTHER_ID=spiffe://$TD/ns/bench/sa/other

for tool in wrk haproxy nginx openssl curl; do
    command -v $tool >/dev/null || { echo "bench/proxy: $tool is required" >&2; exit 1; }
done
if [ ! -x "$WARD" ]; then
    echo "building ward (release)..." >&2
    swift build -c release --scratch-path .build-release-proxy --product ward >&2
fi

rm -rf "$OUT"; mkdir -p "$OUT"/{pki,policies,nginx-up,nginx-in,logs}
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# Ports.
UP=19180; WARD_P=19443; HAP_P=19444; NGX_P=19445; ADMIN=19901
ORIG_WARD=19280; ORIG_HAP=19281; ORIG_NGX=19282
BASE_P=19446; ORIG_BASE=19283; BASE_ADMIN=19902

# --- PKI: a CA and SVIDs made with openssl. The SPIFFE ID is the URI SAN (what Ward checks) and also the subject
# CN, because HAProxy 2.6 and stock nginx cannot match URI SANs: they check the CN. Same identity, same rule.
P=$OUT/pki
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $P/ca.key -out $P/ca.pem -days 2 \
    -subj "/O=ward-bench/CN=$TD" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -addext "subjectAltName=URI:spiffe://$TD" 2>/dev/null
issue() { # name spiffe-id
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $P/$1.key -out $P/$1.csr \
        -subj "/O=ward-bench/CN=${2//\//\\/}" 2>/dev/null
    printf "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=URI:%s,DNS:localhost\n" "$2" > $P/$1.ext
    openssl x509 -req -in $P/$1.csr -CA $P/ca.pem -CAkey $P/ca.key -CAcreateserial -days 1 -extfile $P/$1.ext \
        -out $P/$1.pem 2>/dev/null
    cat $P/$1.pem $P/$1.key > $P/$1.combined.pem
}
issue server $SERVER_ID; issue client $CLIENT_ID; issue other $OTHER_ID

# --- The rules, three ways: the client may GET /api/*; /admin is denied to everyone; anything else is denied.
cat > $OUT/policies/bench.json <<JSON
{"name": "bench", "target": "$SERVER_ID", "rules": [
  {"id": "no-admin", "effect": "deny", "to": [{"paths": ["/admin", "/admin/", "/admin/{**}"]}]},
  {"id": "client-api", "effect": "allow", "from": [{"principals": ["$CLIENT_ID"]}],
   "to": [{"methods": ["GET"], "paths": ["/api/{**}"]}]}]}
JSON

cat > $OUT/haproxy-in.cfg <<CFG
global
    nbthread $WORKERS
    maxconn 4096
    expose-experimental-directives
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    option http-keep-alive
frontend inbound
    bind 127.0.0.1:$HAP_P ssl crt $P/server.combined.pem ca-file $P/ca.pem verify required ssl-min-ver TLSv1.3 alpn http/1.1
    http-request normalize-uri path-merge-slashes
    http-request normalize-uri path-strip-dotdot full
    http-request normalize-uri percent-decode-unreserved
    http-request deny deny_status 403 unless { ssl_c_s_dn(CN) -m str $CLIENT_ID }
    http-request deny deny_status 403 if { path /admin } || { path_beg /admin/ }
    http-request deny deny_status 403 unless METH_GET { path_beg /api/ }
    default_backend upstream
backend upstream
    http-reuse always
    server up 127.0.0.1:$UP
CFG

cat > $OUT/nginx-in/nginx.conf <<CFG
worker_processes $WORKERS;
pid $OUT/nginx-in/nginx.pid;
error_log $OUT/nginx-in/error.log warn;
events { worker_connections 8192; }
http {
    access_log off;
    client_body_temp_path $OUT/nginx-in/tmp;
    proxy_temp_path $OUT/nginx-in/tmp;
    map \$ssl_client_s_dn \$peer_ok { default 0; "~(^|,)CN=$CLIENT_ID(,|\$)" 1; }
    upstream up { server 127.0.0.1:$UP; keepalive 128; }
    server {
        listen 127.0.0.1:$NGX_P ssl;
        ssl_certificate $P/server.pem;
        ssl_certificate_key $P/server.key;
        ssl_client_certificate $P/ca.pem;
        ssl_verify_client on;
        ssl_protocols TLSv1.3;
        merge_slashes on;
        if (\$peer_ok = 0) { return 403; }
        location = /admin { return 403; }
        location /admin/ { return 403; }
        location /api/ {
            limit_except GET { deny all; }
            proxy_pass http://up;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
        location / { return 403; }
    }
}
CFG

cat > $OUT/nginx-up/nginx.conf <<CFG
worker_processes 1;
pid $OUT/nginx-up/nginx.pid;
error_log $OUT/nginx-up/error.log warn;
events { worker_connections 8192; }
http {
    access_log off;
    keepalive_requests 1000000;
    server { listen 127.0.0.1:$UP; location / { return 200 "ok\n"; } }
}
CFG

cat > $OUT/haproxy-originator.cfg <<CFG
global
    nbthread 1
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    option http-keep-alive
frontend to_ward
    bind 127.0.0.1:$ORIG_WARD
    default_backend ward
frontend to_haproxy
    bind 127.0.0.1:$ORIG_HAP
    default_backend haproxy
frontend to_nginx
    bind 127.0.0.1:$ORIG_NGX
    default_backend nginx
frontend to_ward_base
    bind 127.0.0.1:$ORIG_BASE
    default_backend ward_base
backend ward_base
    http-reuse always
    server s 127.0.0.1:$BASE_P ssl crt $P/client.combined.pem ca-file $P/ca.pem verify required verifyhost localhost sni str(localhost) alpn http/1.1
backend ward
    http-reuse always
    server s 127.0.0.1:$WARD_P ssl crt $P/client.combined.pem ca-file $P/ca.pem verify required verifyhost localhost sni str(localhost) alpn http/1.1
backend haproxy
    http-reuse always
    server s 127.0.0.1:$HAP_P ssl crt $P/client.combined.pem ca-file $P/ca.pem verify required verifyhost localhost sni str(localhost) alpn http/1.1
backend nginx
    http-reuse always
    server s 127.0.0.1:$NGX_P ssl crt $P/client.combined.pem ca-file $P/ca.pem verify required verifyhost localhost sni str(localhost) alpn http/1.1
CFG

# --- Start everything.
nginx -p $OUT/nginx-up -c $OUT/nginx-up/nginx.conf -g 'daemon off;' 2>>$OUT/logs/nginx-up.err & PIDS+=($!)
"$WARD" proxy --listen 127.0.0.1:$WARD_P --upstream 127.0.0.1:$UP --svid $P/server.pem --key $P/server.key \
    --bundle $P/ca.pem --policies $OUT/policies --admin 127.0.0.1:$ADMIN --access-log off --threads $WORKERS \
    --reload-interval 0 2>$OUT/logs/ward.err & WARD_PID=$!; PIDS+=($WARD_PID)
BASE_PID=
if [ -n "${WARD_BASE_BIN:-}" ]; then
    "$WARD_BASE_BIN" proxy --listen 127.0.0.1:$BASE_P --upstream 127.0.0.1:$UP --svid $P/server.pem --key $P/server.key \
        --bundle $P/ca.pem --policies $OUT/policies --admin 127.0.0.1:$BASE_ADMIN --access-log off --threads $WORKERS \
        --reload-interval 0 2>$OUT/logs/ward-base.err & BASE_PID=$!; PIDS+=($BASE_PID)
fi
haproxy -db -f $OUT/haproxy-in.cfg 2>$OUT/logs/haproxy-in.err & HAP_PID=$!; PIDS+=($HAP_PID)
mkdir -p $OUT/nginx-in/tmp
nginx -p $OUT/nginx-in -c $OUT/nginx-in/nginx.conf -g 'daemon off;' 2>>$OUT/logs/nginx-in.err & NGX_PID=$!; PIDS+=($NGX_PID)
haproxy -db -f $OUT/haproxy-originator.cfg 2>$OUT/logs/originator.err & PIDS+=($!)

for _ in $(seq 100); do
    curl -s -o /dev/null http://127.0.0.1:$ADMIN/readyz && curl -s -o /dev/null http://127.0.0.1:$ORIG_NGX/api/x \
        && { [ -z "$BASE_PID" ] || curl -s -o /dev/null http://127.0.0.1:$BASE_ADMIN/readyz; } && break
    sleep 0.1
done

# Processes of a candidate (nginx: master and workers).
pids_of() { echo "$1 $(pgrep -P "$1" | tr '\n' ' ')"; }
cpu_ticks() { # pid [field: 14 user, 15 system; default both]
    local total=0 expr='$14 + $15'; [ -n "${2:-}" ] && expr="\$$2"
    for pid in $(pids_of "$1"); do
    [ -r /proc/$pid/stat ] && total=$((total + $(awk "{print $expr}" /proc/$pid/stat))); done; echo $total; }
peak_rss_kib() { local total=0; for pid in $(pids_of "$1"); do
    [ -r /proc/$pid/status ] && total=$((total + $(awk '/VmHWM/ {print $2}' /proc/$pid/status))); done; echo $total; }
TICKS=$(getconf CLK_TCK)

# --- Same rules everywhere: check before measuring.
check() { # name port
    local name=$1 port=$2 ok=1
    expect() { local want=$1; shift; local got; got=$(curl -s -o /dev/null -w '%{http_code}' --cacert $P/ca.pem "$@" || true)
        if [ "$got" != "$want" ]; then echo "  $name: expected $want, got $got for $*" >&2; ok=0; fi; }
    expect 200 --cert $P/client.pem --key $P/client.key https://localhost:$port/api/items
    expect 403 --cert $P/client.pem --key $P/client.key https://localhost:$port/admin
    expect 403 --cert $P/client.pem --key $P/client.key --path-as-is https://localhost:$port/api/../admin
    expect 403 --cert $P/client.pem --key $P/client.key --path-as-is https://localhost:$port//admin
    expect 403 --cert $P/client.pem --key $P/client.key -X POST https://localhost:$port/api/items
    expect 403 --cert $P/other.pem --key $P/other.key https://localhost:$port/api/items
    [ $ok = 1 ] && echo "  $name enforces the rules" >&2 || echo "  $name: rule check FAILED" >&2
}
echo "checking rules:" >&2
check ward $WARD_P; check haproxy $HAP_P; check nginx $NGX_P
[ -n "$BASE_PID" ] && check ward-base $BASE_P

# --- Measure.
RESULTS=$OUT/results.tsv
printf "candidate\tload\trps\tp50\tp90\tp99\tcpu_s_per_10k\tuser_s_per_10k\tpeak_rss_mib\n" > $RESULTS
parse_latency() { # wrk output file, percentile label -> value in ms
    awk -v p="$2" '$1 == p { v=$2; if (v ~ /us$/) { sub(/us$/, "", v); v = v / 1000 } else if (v ~ /ms$/) { sub(/ms$/, "", v) } else if (v ~ /s$/) { sub(/s$/, "", v); v = v * 1000 }; printf "%.3f", v }' "$1"
}
run_wrk() { # name origin-port pid load-label [lua]
    local name=$1 port=$2 pid=$3 label=$4 lua=${5:-}
    local file=$OUT/logs/wrk-$name-$label.txt
    local before after requests rps user_before user_after
    before=$(cpu_ticks $pid); user_before=$(cpu_ticks $pid 14)
    wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s --latency ${lua:+-s $lua} http://127.0.0.1:$port/api/items > $file
    after=$(cpu_ticks $pid); user_after=$(cpu_ticks $pid 14)
    requests=$(awk '/requests in/ {print $1}' $file)
    rps=$(awk '/Requests\/sec/ {print $2}' $file)
    local errors; errors=$(grep -E "Non-2xx|Socket errors" $file || true)
    [ -n "$errors" ] && echo "  $name $label: $errors" >&2
    local cpu; cpu=$(awk -v t=$((after - before)) -v hz=$TICKS -v n=$requests 'BEGIN { printf "%.3f", (t / hz) / (n / 10000) }')
    local user; user=$(awk -v t=$((user_after - user_before)) -v hz=$TICKS -v n=$requests 'BEGIN { printf "%.3f", (t / hz) / (n / 10000) }')
    printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n" $name $label $rps "$(parse_latency $file 50%)" \
        "$(parse_latency $file 90%)" "$(parse_latency $file 99%)" $cpu $user \
        "$(awk -v k=$(peak_rss_kib $pid) 'BEGIN { printf "%.1f", k / 1024 }')" >> $RESULTS
    echo $rps
}
port_of() { case $1 in ward) echo $ORIG_WARD;; ward-base) echo $ORIG_BASE;; haproxy) echo $ORIG_HAP;; nginx) echo $ORIG_NGX;; esac; }
pid_of() { case $1 in ward) echo $WARD_PID;; ward-base) echo $BASE_PID;; haproxy) echo $HAP_PID;; nginx) echo $NGX_PID;; esac; }
for round in $(seq $ROUNDS); do
for name in $CANDIDATES; do
    set -- $name $(port_of $name) $(pid_of $name)
    echo "measuring $1 (round $round, load $(cut -d' ' -f1 /proc/loadavg))..." >&2
    wrk -t$WRK_THREADS -c$CONNECTIONS -d2s http://127.0.0.1:$2/api/items > /dev/null  # warm-up
    peak=$(run_wrk $1 $2 $3 peak)
    [ "$HALF" = 1 ] || continue
    # Half of peak, paced: each connection waits so that all together send about peak/2 requests per second.
    delay_ms=$(awk -v c=$CONNECTIONS -v r=$peak 'BEGIN { printf "%d", (c / (r / 2)) * 1000 }')
    printf 'function delay() return %d end\n' "$delay_ms" > $OUT/logs/half-$1.lua
    run_wrk $1 $2 $3 half $OUT/logs/half-$1.lua > /dev/null
done
done

{
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
    echo "versions: $("$WARD" --version 2>/dev/null || echo ward), $(haproxy -v | head -1 | cut -d' ' -f1-3), $(nginx -v 2>&1 | cut -d' ' -f3), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)"
    echo "settings: wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s (keep-alive), $WORKERS threads/workers per candidate, access logs off"
    echo
    echo "| candidate | load | req/s | p50 ms | p90 ms | p99 ms | CPU s / 10k req | of which user | peak RSS MiB |"
    echo "|---|---|---|---|---|---|---|---|---|"
    tail -n +2 $RESULTS | awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }'
} | tee $OUT/results.md
