#!/usr/bin/env bash
# Benchmarks/cache/hits.sh: cache-hit throughput, Portcullis vs nginx proxy_cache, in the same run.
#
#   Benchmarks/cache/hits.sh                          # 3 interleaved rounds of 10 s, 50 connections
#   ROUNDS=5 DURATION=5 CONNS=200 GATEWAY_THREADS=1 Benchmarks/cache/hits.sh
#
# Both cache GET /hit from the static upstream on :9001 (100-byte body) for 60 s: the gateway (release build,
# GATEWAY_THREADS event loops, default 1 like nginx's one worker) with a route `cache: {"ttl": 60}` on :8099, nginx on
# :9003 with `proxy_cache` (keys in shared memory, bodies in a cache directory, so the page cache serves them).
# Each is warmed and checked to answer from its cache (Cache-Status hit / X-Cache-Status HIT) before measuring, and
# the gateway's cache-miss counter must not move during the runs. Then wrk (1 thread, keep-alive) runs alternately
# against each. Prints per-run rps, p99, server CPU % and wrk CPU %, then the medians: the rps ratio gateway / nginx,
# and CPU per request (µs of the server's CPU per request, nginx / gateway: above 1 means the gateway spends less),
# which still compares the two when wrk itself is the limit (wrk CPU near 100 %). Exit 3 on errors or a gateway
# cache miss during the measurement.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
shared=${SHARED:-$root/../shared}
. "$shared/bench/lib.sh"
. "$root/Benchmarks/lib/gateway-bin.sh"
ROUNDS=${ROUNDS:-3}
BENCH_DURATION=${DURATION:-10}
BENCH_THREADS=1
BENCH_CONNS=${CONNS:-50}
UPSTREAM_PORT=9001
GW_PORT=${GW_PORT:-8099}
NGINX_PORT=${NGINX_PORT:-9003}

bench_ensure nginx:nginx wrk:wrk curl:curl
gateway_bin_ensure "$root"
bench_install_trap
bench_workdir
for port in "$GW_PORT" 9989 "$NGINX_PORT"; do bench_port_busy "$port" && bench_die "127.0.0.1:$port is already in use"; done
bench_start_upstream
mkdir -p "$BENCH_WORK/nginx-cache"
bench_start_nginx_proxy "$NGINX_PORT" 1 "proxy_cache_path $BENCH_WORK/nginx-cache levels=1:2 keys_zone=hits:10m max_size=64m;" \
    "proxy_cache hits; proxy_cache_valid 200 60s; add_header X-Cache-Status \$upstream_cache_status;"
cat >"$BENCH_WORK/gateway.json" <<JSON
{ "listen": { "http": "127.0.0.1:$GW_PORT" }, "admin": { "listen": "127.0.0.1:9989" },
  "apis": [ { "name": "bench", "routes": [
    { "route": "GET /{p+}", "integration": { "type": "http", "url": "http://127.0.0.1:$UPSTREAM_PORT" },
      "cache": { "ttl": 60 } } ] } ] }
JSON
"$GATEWAY_BIN" serve --config "$BENCH_WORK/gateway.json" --threads "${GATEWAY_THREADS:-1}" >"$BENCH_WORK/gateway.log" 2>&1 &
gateway=$!; BENCH_PIDS+=("$gateway")
bench_wait_port "$GW_PORT" "$gateway" 30 || bench_die "the gateway did not start (see $BENCH_WORK/gateway.log)"

misses() { curl -s "http://127.0.0.1:9989/metrics" | awk '$1=="portcullis_cache_misses_total"{print $2}'; }
failed=0
for target in "gateway http://127.0.0.1:$GW_PORT/hit" "nginx http://127.0.0.1:$NGINX_PORT/hit"; do
    url=${target#* }
    curl -s -o /dev/null "$url"
    status=$(curl -s -D - -o /dev/null "$url" | tr -d '\r' | awk -F': ' 'tolower($1)=="cache-status"||tolower($1)=="x-cache-status"{print $2}')
    echo "${target%% *} warm-up: ${status:-no cache header}"
    case "$status" in *hit*|HIT) ;; *) bench_log "${target%% *} did not answer from its cache"; failed=1 ;; esac
done
misses_before=$(misses)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ), gateway threads ${GATEWAY_THREADS:-1}, nginx 1 worker"
: >"$BENCH_WORK/results"
for round in $(seq "$ROUNDS"); do
    order="gateway nginx"; [ $((round % 2)) = 0 ] && order="nginx gateway"
    for name in $order; do
        if [ "$name" = gateway ]; then url=http://127.0.0.1:$GW_PORT/hit; pid=$gateway; else url=http://127.0.0.1:$NGINX_PORT/hit; pid=$BENCH_LAST_PID; fi
        line=$(bench_wrk "$url" "cpu=$pid")
        read -r rps p50 p99 errors rest <<<"$line"
        [ "$errors" = 0 ] || { bench_log "$name round $round: $errors errors"; failed=1; }
        cpu=$(sed -n 's/.*cpu=\([0-9]*\)%.*/\1/p' <<<"$rest")
        wrkcpu=$(sed -n 's/.*wrk=\([0-9]*\)%.*/\1/p' <<<"$rest")
        echo "$name $round $rps $p99 ${cpu:-0} ${wrkcpu:-0}" | tee -a "$BENCH_WORK/results" | sed 's/^/RESULT /'
    done
done
[ "$(misses)" = "$misses_before" ] || { bench_log "the gateway missed its cache during the runs"; failed=1; }
awk '
    function median(list,   n, a, i, j, t) {
        n = split(list, a, " ")
        for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    { rps[$1] = rps[$1] " " $3; p99[$1] = p99[$1] " " $4; us[$1] = us[$1] " " ($3 > 0 ? $5 * 1e4 / $3 : 0)
      wrk[$1] = wrk[$1] " " $6 }
    END { g = median(rps["gateway"]); n = median(rps["nginx"]); gu = median(us["gateway"]); nu = median(us["nginx"])
          printf "SUMMARY hits rps gateway %.0f nginx %.0f ratio %.2fx; p99 ms gateway %s nginx %s\n", g, n, g / n, median(p99["gateway"]), median(p99["nginx"])
          printf "SUMMARY hits CPU per request (us) gateway %.2f nginx %.2f ratio nginx/gateway %.2fx; wrk CPU %% gateway runs %s nginx runs %s\n", gu, nu, nu / gu, median(wrk["gateway"]), median(wrk["nginx"]) }' \
    "$BENCH_WORK/results"
[ "$failed" = 0 ] || exit 3
