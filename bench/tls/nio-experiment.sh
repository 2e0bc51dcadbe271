#!/usr/bin/env bash
# What SwiftNIO's per-connection syscalls cost a TLS handshake: bench/tls/nio-experiment.sh [ROUNDS] [SECONDS]
#
# An experiment for the upstream proposal, not a build of Ward: the bench server (Benchmarks/, ward-tls-bench) is
# built a second time against a copy of the resolved SwiftNIO with bench/tls/nio-experiment.patch applied. The patch
# is a measurement hack, not a fix: an accepted socket is registered with epoll once with its final interest set
# (NIO does ADD, then MOD for read EOF, then MOD for read), its fd is not removed with EPOLL_CTL_DEL before close
# (closing it removes it), and its addresses are not read at creation (getsockname + getpeername). It is only valid
# for this server (client sockets, autoRead off and later address reads are not handled). Then bench/tls/ab.py --pin
# compares the normal build, the patched one and nginx in alternating rounds, each server on CPU 0 and the s_time
# clients on CPU 1. bench/tls/count.sh on the patched binary shows the syscalls (15 per handshake instead of 20).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
ROUNDS=${1:-16} SECONDS_PER_ROUND=${2:-3}
OUT=$ROOT/bench/out/nio-experiment
(cd Benchmarks && swift build -c release --product ward-tls-bench >&2)
BASE=$ROOT/Benchmarks/.build/release/ward-tls-bench
[ -d Benchmarks/.build/checkouts/swift-nio ] || { echo "no resolved swift-nio checkout under Benchmarks/.build" >&2; exit 1; }

rm -rf "$OUT"; mkdir -p "$OUT/pkg"
cp -r Benchmarks/.build/checkouts/swift-nio "$OUT/swift-nio"
(cd "$OUT/swift-nio" && patch -s -p1 < "$ROOT/bench/tls/nio-experiment.patch")
ln -s "$ROOT/Benchmarks/Sources" "$OUT/pkg/Sources"
# Benchmarks' own manifest, with Ward's package and the patched SwiftNIO as root path dependencies (a root path
# dependency takes the place of the URL one Ward's package names; SwiftPM warns about the shared identity).
sed -e "s|^let ward = .*|let ward = \"$(basename "$ROOT")\"|" \
    -e "s|.package(path: \"..\")|.package(path: \"$ROOT\")|" \
    -e "s|.package(url: \"https://github.com/apple/swift-nio\", from: \"[0-9.]*\")|.package(path: \"$OUT/swift-nio\")|" \
    Benchmarks/Package.swift > "$OUT/pkg/Package.swift"
grep -q "$OUT/swift-nio" "$OUT/pkg/Package.swift" || { echo "Benchmarks/Package.swift: swift-nio dependency not found" >&2; exit 1; }
echo "building the bench server against the patched SwiftNIO..." >&2
(cd "$OUT/pkg" && swift build -c release --product ward-tls-bench 2>&1 | grep -v "Conflicting identity" >&2)
cp "$BASE" "$OUT/ward-tls-bench-nio-stock"
cp "$OUT/pkg/.build/release/ward-tls-bench" "$OUT/ward-tls-bench-nio-patched"
python3 bench/tls/ab.py --pin --rounds "$ROUNDS" --seconds "$SECONDS_PER_ROUND" \
    "$OUT/ward-tls-bench-nio-stock" "$OUT/ward-tls-bench-nio-patched"
