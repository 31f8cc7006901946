#!/usr/bin/env bash
# Benchmarks/waf/flood.sh: memory under a flood of distinct client addresses. A rate rule keyed by ip tracks at most
# `maxTrackedKeys` keys; this sends requests from ever-new addresses (X-Forwarded-For from a trusted 127.0.0.1) and
# reports the gateway's RSS as the keys pass the cap: it must level off once the table is full (the cap itself is
# checked by MemoryRateWindowStoreTests with a million keys).
#
#   Benchmarks/waf/flood.sh                      # maxTrackedKeys 100000, 3 phases of 10 s (~1M distinct addresses)
#   MAX_KEYS=10000 PHASES=2 Benchmarks/waf/flood.sh
#
# The gateway (GATEWAY_BIN, default .build-release/release/portcullis, built if missing) serves a mock route on
# 127.0.0.1:8094 (admin 9984), one event loop. Prints RSS (MB) after start and after each phase, and the requests
# sent so far.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
shared=${SHARED:-$root/../shared}
. "$shared/bench/lib.sh"
. "$root/Benchmarks/lib/gateway-bin.sh"
MAX_KEYS=${MAX_KEYS:-100000}
PHASES=${PHASES:-3}
PHASE_SECONDS=${PHASE_SECONDS:-10}
bench_ensure wrk:wrk curl:curl
gateway_bin_ensure "$root"
bench_install_trap
bench_workdir
cat >"$BENCH_WORK/gateway.json" <<JSON
{ "listen": { "http": "127.0.0.1:8094" }, "admin": { "listen": "127.0.0.1:9984" },
  "trustedProxies": ["127.0.0.1/32"],
  "waf": { "maxTrackedKeys": $MAX_KEYS,
           "rules": [ { "name": "flood", "rateBased": { "limit": 100, "window": "60s", "key": "ip" }, "action": "block" } ] },
  "apis": [ { "name": "b", "routes": [ { "route": "ANY /{proxy+}", "integration": { "type": "mock", "status": 200 } } ] } ] }
JSON
"$GATEWAY_BIN" serve --config "$BENCH_WORK/gateway.json" --threads 1 >"$BENCH_WORK/gateway.log" 2>&1 &
pid=$!
BENCH_PIDS+=("$pid")
for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:9984/healthz && break; sleep 0.05; done
rss() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status"; }
echo "RESULT phase=0 requests=0 rss_mb=$(rss)"
total=0
for phase in $(seq "$PHASES"); do
    out=$(timeout $((PHASE_SECONDS + 20)) wrk -t1 -c32 -d"${PHASE_SECONDS}s" -s "$root/Benchmarks/waf/flood.lua" \
          http://127.0.0.1:8094/bench 2>&1)
    sent=$(awk '/requests in/ {print $1}' <<<"$out")
    total=$((total + ${sent:-0}))
    echo "RESULT phase=$phase requests=$total rss_mb=$(rss)"
done
matched=$(curl -s http://127.0.0.1:9984/waf | sed -n 's/.*"matched":\([0-9]*\).*/\1/p')
echo "RESULT rule_matched=$matched max_tracked_keys=$MAX_KEYS"
