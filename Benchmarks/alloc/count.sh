#!/usr/bin/env bash
# Benchmarks/alloc/count.sh: heap allocations per request (malloc, calloc, realloc, posix_memalign, aligned_alloc
# calls) of the release gateway, for a proxied request (GET /bench → the static upstream on :9001) and a mock one
# (GET /mock), on one keep-alive connection with one event loop. Exact, not sampled: a preloaded counter
# (malloc-count.c) is read before and after N requests.
#
#   Benchmarks/alloc/count.sh                        # builds the release binary first
#   GATEWAY_BIN=/path/to/portcullis REQUESTS=10000 Benchmarks/alloc/count.sh
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
. "$root/../shared/bench/lib.sh"
UPSTREAM_PORT=9001
bench_ensure nginx:nginx gcc:gcc
bench_install_trap
bench_workdir
bench_start_upstream
gcc -O2 -shared -fPIC -o "$BENCH_WORK/malloc-count.so" Benchmarks/alloc/malloc-count.c -ldl
if [ -z "${GATEWAY_BIN:-}" ]; then
    flags=(-c release --scratch-path .build-release --static-swift-stdlib -Xswiftc -enforce-exclusivity=unchecked)
    swift build "${flags[@]}" --product portcullis >/dev/null
    GATEWAY_BIN=$(swift build "${flags[@]}" --show-bin-path)/portcullis
fi
LD_PRELOAD="$BENCH_WORK/malloc-count.so" "$GATEWAY_BIN" serve --config Benchmarks/bench.json --threads 1 \
    2>"$BENCH_WORK/gateway.err" &
gateway=$!
trap 'kill -TERM $gateway 2>/dev/null; wait $gateway 2>/dev/null || true; bench_cleanup' EXIT
for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:9988/healthz && break; sleep 0.1; done
python3 Benchmarks/alloc/per-request.py "$gateway" "$BENCH_WORK/gateway.err" 8088 /bench /mock
