#!/usr/bin/env bash
# Benchmarks/cache/memory.sh: what a full cache costs in resident memory.
#
#   Benchmarks/cache/memory.sh                         # 64MB capacity, 100,000 distinct entries of ~500 bytes
#   CAPACITY=64MB ENTRIES=200000 BODY=300 Benchmarks/cache/memory.sh
#
# The release gateway (one event loop) caches GET /fill/{id} (a mock route answering BODY bytes) with
# `cache.capacity` = CAPACITY. h2load requests ENTRIES distinct ids once each (one connection: h2load walks its URI
# list from the start on every connection), then the script
# reads the gateway's VmRSS and the cache's own accounting (`portcullis_cache_bytes`, `_entries`, `_evictions`)
# from /metrics. Prints RSS before and after, the growth, and growth / capacity (the bar: ≤ 1.3).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
shared=${SHARED:-$root/../shared}
. "$shared/bench/lib.sh"
. "$root/Benchmarks/lib/gateway-bin.sh"
CAPACITY=${CAPACITY:-64MB}
ENTRIES=${ENTRIES:-100000}
BODY=${BODY:-500}
GW_PORT=${GW_PORT:-8101}
ADMIN_PORT=${ADMIN_PORT:-9991}

bench_ensure nghttp2-client:h2load curl:curl python3:python3
gateway_bin_ensure "$root"
bench_install_trap
bench_workdir
for port in "$GW_PORT" "$ADMIN_PORT"; do bench_port_busy "$port" && bench_die "127.0.0.1:$port is already in use"; done
body=$(python3 -c "print('x' * $BODY)")
cat >"$BENCH_WORK/gateway.json" <<JSON
{ "listen": { "http": "127.0.0.1:$GW_PORT" }, "admin": { "listen": "127.0.0.1:$ADMIN_PORT" },
  "cache": { "capacity": "$CAPACITY", "maxEntrySize": "64KB" },
  "apis": [ { "name": "bench", "routes": [
    { "route": "GET /fill/{id}", "integration": { "type": "mock", "status": 200, "body": "$body" },
      "cache": { "ttl": 3600 } } ] } ] }
JSON
"$GATEWAY_BIN" serve --config "$BENCH_WORK/gateway.json" --threads 1 >"$BENCH_WORK/gateway.log" 2>&1 &
gateway=$!; BENCH_PIDS+=("$gateway")
bench_wait_port "$GW_PORT" "$gateway" 30 || bench_die "the gateway did not start"
python3 -c "
for i in range($ENTRIES): print('http://127.0.0.1:$GW_PORT/fill/%d' % i)" >"$BENCH_WORK/uris.txt"
rss() { awk '/^VmRSS:/{print $2}' "/proc/$gateway/status"; }
# Warm the paths every request takes (pools, metrics handles) before the baseline.
h2load --h1 -c10 -n2000 "http://127.0.0.1:$GW_PORT/warm" >/dev/null 2>&1
before=$(rss)
h2load --h1 -c1 -n"$ENTRIES" -i "$BENCH_WORK/uris.txt" >"$BENCH_WORK/h2load.out" 2>&1
after=$(rss)
metrics=$(curl -s "http://127.0.0.1:$ADMIN_PORT/metrics")
value() { awk -v n="$1" '$1==n{print $2}' <<<"$metrics"; }
capacity=$(value portcullis_cache_capacity_bytes)
grep -E "^requests:|^status codes:" "$BENCH_WORK/h2load.out"
echo "cache: entries $(value portcullis_cache_entries), bytes $(value portcullis_cache_bytes) of $capacity, stores $(value portcullis_cache_stores_total), evictions $(value portcullis_cache_evictions_total)"
awk -v b="$before" -v a="$after" -v c="$capacity" 'BEGIN{ g = (a - b) * 1024;
    printf "RESULT rss_before_mb=%.1f rss_after_mb=%.1f growth_mb=%.1f capacity_mb=%.1f growth/capacity=%.2f\n", b/1024, a/1024, g/1048576, c/1048576, g/c }'
