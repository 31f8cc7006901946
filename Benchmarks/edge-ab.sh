#!/usr/bin/env bash
# Benchmarks/edge-ab.sh A_BIN B_BIN: two gateway builds compared on the edge's hot paths, in interleaved rounds, so
# a change's cost can be told from this machine's noise (a refactor must cost nothing measurable).
#
#   cp .build-release/release/portcullis /tmp/portcullis-a   # before the change
#   ...change, rebuild...
#   Benchmarks/edge-ab.sh /tmp/portcullis-a .build-release/release/portcullis
#   ROUNDS=5 DURATION=5 GATEWAY_THREADS=1 Benchmarks/edge-ab.sh A B
#   PIN=1 Benchmarks/edge-ab.sh A B     # the gateway alone on core 1, wrk and the upstream on core 0
#
# Each round starts each build in turn (alternating which goes first) on one config: HTTP on :8090 and HTTPS on
# :8453 (TLS 1.3, ECDSA P-256), `ANY /{proxy+}` to the static upstream on :9001 and `POST /validated` (the order
# model of Benchmarks/schema) to the same upstream. Four wrk runs per build and round (1 thread, keep-alive):
#   http50   GET over HTTP/1.1, 50 connections      http200   the same, 200 connections
#   https50  GET over HTTPS, 50 connections          validated POST /validated with order.json, 50 connections
# Per run: requests/s, the gateway's CPU per request (µs, from /proc ticks: steadier than rps here) and p99.
# Prints one RESULT line per run, then per measure: median rps and CPU/request of A and B, B/A, and the spread of
# the per-round B/A ratios. Exits 3 when any run saw socket errors, non-2xx responses or no result.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${SHARED:-$root/../shared}
. "$shared/bench/lib.sh"
. "$root/Benchmarks/lib/edge-config.sh"
. "$root/Benchmarks/lib/runs-check.sh"
[ $# -eq 2 ] || { echo "usage: $0 A_BIN B_BIN" >&2; exit 2; }
declare -A bins=([A]=$1 [B]=$2)
ROUNDS=${ROUNDS:-5}
BENCH_DURATION=${DURATION:-5}
BENCH_THREADS=1
UPSTREAM_PORT=9001
GW_PORT=8090
TLS_PORT=8453

bench_ensure nginx:nginx wrk:wrk python3:python3 openssl:openssl
bench_install_trap
bench_workdir
python3 "$root/Benchmarks/schema/gen_payloads.py" "$BENCH_WORK" >/dev/null
for port in $GW_PORT $TLS_PORT; do bench_port_busy "$port" && bench_die "127.0.0.1:$port is already in use"; done
bench_start_upstream
edge_bench_config "$BENCH_WORK" "$GW_PORT" "$TLS_PORT" "$UPSTREAM_PORT" || bench_die "could not write the gateway config"

# run BUILD MEASURE PID: one wrk run; appends "BUILD round MEASURE rps cpu_us p99_ms" to results and the error
# count to errors.runs.
run() {
    local name=$1 measure=$2 pid=$3 line url script=()
    case $measure in
        http50)    BENCH_CONNS=50;  url=http://127.0.0.1:$GW_PORT/bench ;;
        http200)   BENCH_CONNS=200; url=http://127.0.0.1:$GW_PORT/bench ;;
        https50)   BENCH_CONNS=50;  url=https://127.0.0.1:$TLS_PORT/bench ;;
        validated) BENCH_CONNS=50;  url=http://127.0.0.1:$GW_PORT/validated ;;
    esac
    if [ "$measure" = validated ]; then
        # bench_wrk takes no script: the same measurement, inline, with post.lua.
        local before after t0 t1 out="$BENCH_WORK/wrk-validated.out"
        before=$(bench_ticks "$pid"); t0=$(date +%s%N)
        wrk -t1 -c50 -d"${BENCH_DURATION}s" --latency -s "$root/Benchmarks/schema/post.lua" "$url" -- "$BENCH_WORK/order.json" >"$out" 2>&1
        t1=$(date +%s%N); after=$(bench_ticks "$pid")
        local rps p99 err non2xx
        rps=$(awk '/^Requests\/sec:/{print $2}' "$out"); p99=$(awk '$1=="99%"{print $2}' "$out")
        err=$(awk '/Socket errors/{s=0; for(i=1;i<=NF;i++) if ($i ~ /^[0-9]+,?$/) s+=$i; print s}' "$out")
        non2xx=$(awk -F: '/Non-2xx/{gsub(/ /,"",$2); print $2}' "$out")
        [ -n "$rps" ] || { echo "$name $round $measure fail" >>"$BENCH_WORK/errors.runs"; return; }
        echo "$name $round $measure $(( ${err:-0} + ${non2xx:-0} ))" >>"$BENCH_WORK/errors.runs"
        awk -v n="$name" -v r="$round" -v m="$measure" -v rps="$rps" -v d=$((after - before)) -v hz="$CLK_TCK" \
            -v w=$(( (t1 - t0) / 1000 )) -v p99="$(bench_to_ms "$p99")" \
            'BEGIN{printf "%s %d %s %.0f %.2f %s\n", n, r, m, rps, (d/hz) * 1e6 / (rps * w / 1e6), p99}' >>"$BENCH_WORK/results"
        return
    fi
    local t0 t1
    t0=$(date +%s%N)
    line=$(bench_wrk "$url" "gw=$pid")
    t1=$(date +%s%N)
    read -r rps p50 p99 errors wrkcpu gwcpu <<<"$line"
    echo "$name $round $measure $errors" >>"$BENCH_WORK/errors.runs"
    [ "$errors" = fail ] && return
    # gw=NN%: the gateway's CPU over the run's wall time; per request = share × wall / requests.
    awk -v n="$name" -v r="$round" -v m="$measure" -v rps="$rps" -v c="${gwcpu#gw=}" -v p99="$p99" \
        'BEGIN{ c += 0; printf "%s %d %s %.0f %.2f %s\n", n, r, m, rps, (c / 100) * 1e6 / rps, p99 }' >>"$BENCH_WORK/results"
}

# PIN=1: the gateway gets core 1 to itself and everything else (wrk, the upstream, this script) shares core 0, so
# the gateway's CPU per request is not inflated by scheduling against its own load generator.
if [ "${PIN:-0}" = 1 ]; then
    command -v taskset >/dev/null || bench_die "PIN=1 needs taskset (util-linux)"
    taskset -a -p -c 0 $$ >/dev/null
    for p in "${BENCH_PIDS[@]}"; do taskset -a -p -c 0 "$p" >/dev/null 2>&1 || true; done
fi
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ), ${GATEWAY_THREADS:-1} event loop(s), pinned: ${PIN:-0}"
: >"$BENCH_WORK/results"
for round in $(seq "$ROUNDS"); do
    order="A B"; [ $((round % 2)) = 0 ] && order="B A"
    for name in $order; do
        (cd "$BENCH_WORK" && exec "${bins[$name]}" serve --config "$BENCH_WORK/gateway.json" --threads "${GATEWAY_THREADS:-1}") \
            >"$BENCH_WORK/gateway-$name.log" 2>&1 &
        pid=$!; BENCH_PIDS+=("$pid")
        [ "${PIN:-0}" = 1 ] && taskset -a -p -c 1 "$pid" >/dev/null
        bench_wait_port "$GW_PORT" "$pid" 30 && bench_wait_port "$TLS_PORT" "$pid" 30 \
            || bench_die "$name did not open its ports (see $BENCH_WORK/gateway-$name.log)"
        # Again once it is listening: threads started during start-up inherit whichever affinity their parent had.
        [ "${PIN:-0}" = 1 ] && taskset -a -p -c 1 "$pid" >/dev/null
        # Warm-up: connections, pools and the TLS session cache.
        BENCH_CONNS=50 BENCH_DURATION=1 bench_wrk "http://127.0.0.1:$GW_PORT/bench" >/dev/null
        BENCH_CONNS=50 BENCH_DURATION=1 bench_wrk "https://127.0.0.1:$TLS_PORT/bench" >/dev/null
        for measure in http50 http200 https50 validated; do run "$name" "$measure" "$pid"; done
        bench_stop "$pid"
        grep "^$name $round " "$BENCH_WORK/results" | sed 's/^/RESULT /'
    done
done

echo "SUMMARY measure  A_rps  B_rps  B/A_rps (spread of per-round B/A)  A_cpu_us  B_cpu_us  B/A_cpu (spread)"
awk '
    function median(list,   n, a, i, j, t) {
        n = split(list, a, " ")
        for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    { rps[$1, $3] = rps[$1, $3] " " $4; cpu[$1, $3] = cpu[$1, $3] " " $5; byRound[$1, $3, $2] = $4; cpuRound[$1, $3, $2] = $5
      measures[$3] = 1; rounds[$2] = 1 }
    END {
        split("http50 http200 https50 validated", order, " ")
        for (k = 1; k <= 4; k++) {
            m = order[k]; if (!(m in measures)) continue
            lo = 1e9; hi = 0; clo = 1e9; chi = 0
            for (r in rounds) if (((("A", m, r) in byRound)) && (("B", m, r) in byRound)) {
                q = byRound["B", m, r] / byRound["A", m, r]; if (q < lo) lo = q; if (q > hi) hi = q
                c = cpuRound["B", m, r] / cpuRound["A", m, r]; if (c < clo) clo = c; if (c > chi) chi = c
            }
            ar = median(rps["A", m]); br = median(rps["B", m]); ac = median(cpu["A", m]); bc = median(cpu["B", m])
            printf "SUMMARY %-9s %7.0f %7.0f  %.3f (%.3f-%.3f)  %6.2f %6.2f  %.3f (%.3f-%.3f)\n", m, ar, br, br / ar, lo, hi, ac, bc, bc / ac, clo, chi
        }
    }' "$BENCH_WORK/results"
runs_fail_loudly 4 "A/B runs" "$BENCH_WORK/errors.runs"
runs_exit
