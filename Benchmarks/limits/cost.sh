#!/usr/bin/env bash
# Benchmarks/limits/cost.sh: what API-key auth + a plan throttle + a quota cost the proxy path: one binary, the same
# route without limits (plain.json) and with them (limited.json: apiKeyRequired, a plan bucket and a monthly quota
# far above what a run uses, so nothing is refused and every request pays the full check).
#
#   Benchmarks/limits/cost.sh                       # 5 interleaved rounds of 5 s per config
#   ROUNDS=7 DURATION=10 GATEWAY_THREADS=1 Benchmarks/limits/cost.sh
#
# Each round starts each config in turn (alternating which goes first), checks GET /bench answers 200 with the key
# (and 403 without it on limited.json), warms up 1 s, then runs wrk (1 thread, 50 connections, keep-alive, with the
# x-api-key header on both configs). Per run: rps, the gateway's CPU per request (µs, /proc ticks), p99.
# SUMMARY: medians per config, limited/plain, and the median and spread of the per-round ratios.
# Exit: 0 ok; 1 setup failure; 3 a run with socket errors, non-2xx answers or no result.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$root/Benchmarks/limits
shared=${SHARED:-$root/../shared}
. "$shared/bench/lib.sh"
. "$root/Benchmarks/lib/gateway-bin.sh"
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
UPSTREAM_PORT=9001
GW_PORT=${GW_PORT:-8098}
ADMIN_PORT=${ADMIN_PORT:-9988}

bench_ensure nginx:nginx wrk:wrk python3:python3 curl:curl
gateway_bin_ensure "$root"
bench_install_trap
bench_workdir
for port in "$GW_PORT" "$ADMIN_PORT"; do bench_port_busy "$port" && bench_die "127.0.0.1:$port is already in use"; done
python3 "$here/gen_config.py" "$BENCH_WORK" "$GW_PORT" "$ADMIN_PORT" "$UPSTREAM_PORT" 1000 100 1 "$GATEWAY_BIN" \
    || bench_die "gen_config.py failed"
key=$(head -1 "$BENCH_WORK/keys.txt")
bench_start_upstream
url=http://127.0.0.1:$GW_PORT/bench
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ), gateway threads ${GATEWAY_THREADS:-1}"

: >"$BENCH_WORK/results"
failed=0
for round in $(seq "$ROUNDS"); do
    order="plain limited"; [ $((round % 2)) = 0 ] && order="limited plain"
    for config in $order; do
        "$GATEWAY_BIN" serve --config "$BENCH_WORK/$config.json" --threads "${GATEWAY_THREADS:-1}" \
            >"$BENCH_WORK/gateway-$config.log" 2>&1 &
        pid=$!; BENCH_PIDS+=("$pid")
        bench_wait_port "$GW_PORT" "$pid" 30 || bench_die "$config did not start (see $BENCH_WORK/gateway-$config.log)"
        code=$(curl -s -o /dev/null -w '%{http_code}' -H "x-api-key: $key" "$url")
        [ "$code" = 200 ] || { bench_log "$config: GET /bench with the key answered $code"; failed=1; }
        if [ "$config" = limited ]; then
            code=$(curl -s -o /dev/null -w '%{http_code}' "$url")
            [ "$code" = 403 ] || { bench_log "limited: GET /bench without a key answered $code, expected 403"; failed=1; }
        fi
        wrk -t1 -c50 -d1s -H "x-api-key: $key" "$url" >/dev/null 2>&1
        before=$(bench_ticks "$pid"); t0=$(date +%s%N)
        wrk -t1 -c50 -d"${DURATION}s" --latency -H "x-api-key: $key" "$url" >"$BENCH_WORK/wrk.out" 2>&1
        t1=$(date +%s%N); after=$(bench_ticks "$pid")
        rps=$(awk '/^Requests\/sec:/{print $2}' "$BENCH_WORK/wrk.out")
        p99=$(awk '$1=="99%"{print $2}' "$BENCH_WORK/wrk.out")
        bad=$(awk '/Non-2xx|Socket errors/{print}' "$BENCH_WORK/wrk.out")
        if [ -z "$rps" ] || [ -n "$bad" ]; then bench_log "$config round $round: ${bad:-no result}"; failed=1; fi
        awk -v c="$config" -v r="$round" -v rps="${rps:-0}" -v d=$((after - before)) -v hz="$CLK_TCK" \
            -v w=$(( (t1 - t0) / 1000 )) -v p99="$(bench_to_ms "${p99:-0ms}")" \
            'BEGIN{printf "%s %d %.0f %.2f %s\n", c, r, rps, (rps > 0 ? (d/hz) * 1e6 / (rps * w / 1e6) : 0), p99}' \
            | tee -a "$BENCH_WORK/results" | sed 's/^/RESULT /'
        bench_stop "$pid"
    done
done
echo "SUMMARY config  rps  cpu_us  p99_ms (medians)"
awk '
    function median(list,   n, a, i, j, t) {
        n = split(list, a, " ")
        for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    { rps[$1] = rps[$1] " " $3; cpu[$1] = cpu[$1] " " $4; p99[$1] = p99[$1] " " $5; byRound[$1, $2] = $3; rounds[$2] = 1 }
    END {
        for (c in rps) printf "SUMMARY %-8s %7.0f %6.2f %6.2f\n", c, median(rps[c]), median(cpu[c]), median(p99[c])
        ratios = ""; lo = 1e9; hi = 0
        for (r in rounds) if ((("plain", r) in byRound) && (("limited", r) in byRound) && byRound["plain", r] > 0) {
            q = byRound["limited", r] / byRound["plain", r]; ratios = ratios " " q; if (q < lo) lo = q; if (q > hi) hi = q
        }
        printf "SUMMARY limited/plain rps: medians %.3f, median of per-round ratios %.3f (%.3f-%.3f)\n",
               median(rps["limited"]) / median(rps["plain"]), median(ratios), lo, hi
    }' "$BENCH_WORK/results"
[ "$failed" = 0 ] || exit 3
