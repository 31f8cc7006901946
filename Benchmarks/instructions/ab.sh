#!/usr/bin/env bash
# Benchmarks/instructions/ab.sh A_BIN B_BIN: two gateway builds compared by the instructions they execute per
# request (Valgrind's callgrind, user space, all threads). Unlike CPU time on this shared VM (±15–50 % between
# runs), an instruction count repeats within about 1 %, so a refactor's cost shows even when it is 2 %.
#
#   Benchmarks/instructions/ab.sh /tmp/portcullis-before .build-release/release/portcullis
#   REQUESTS=20000 Benchmarks/instructions/ab.sh A B
#   BENCH_KEEP=1 MEASURES="https50" Benchmarks/instructions/ab.sh A B   # keep the dumps for callgrind_annotate
#
# Each build runs under callgrind on the config of Benchmarks/edge-ab.sh (one event loop); per measure it is
# warmed up, its counters are zeroed, REQUESTS requests are sent with h2load (keep-alive), and the counters are
# dumped: instructions per request = total / REQUESTS. Measures: http50, http200 (GET over HTTP/1.1, 50 and 200
# connections), https50 (GET over HTTPS, TLS 1.3), validated (POST /validated with the order model, 50
# connections), mock (GET answered by a mock route, 50 connections), cachehit (GET answered from the route cache,
# 50 connections; the warm-up fills it), h2 (GET over HTTP/2 with TLS, 50 connections x 10 streams, as
# Benchmarks/tls.sh runs h2load; not in the default set). Instructions are not time (a cache miss
# costs more than an add) but they are what a code change adds or removes; quote them next to an edge-ab.sh run.
# Needs valgrind, h2load, nginx, openssl, gcc. Valgrind 3.19 writes into the mask that libdispatch passes to
# sigsuspend (read-only memory) and crashes, so a preloaded shim (sigsuspend_shim.c) passes a copy.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
shared=${SHARED:-$root/../shared}
. "$shared/bench/lib.sh"
. "$root/Benchmarks/lib/edge-config.sh"
[ $# -ge 2 ] || { echo "usage: $0 A_BIN B_BIN" >&2; exit 2; }
declare -A bins=([A]=$1 [B]=$2)
REQUESTS=${REQUESTS:-10000}
MEASURES=${MEASURES:-http50 http200 https50 validated mock cachehit}
UPSTREAM_PORT=9001
GW_PORT=8090
TLS_PORT=8453

bench_ensure nginx:nginx nghttp2-client:h2load valgrind:valgrind gcc:gcc openssl:openssl python3:python3
bench_install_trap
bench_workdir
for port in $GW_PORT $TLS_PORT; do bench_port_busy "$port" && bench_die "127.0.0.1:$port is already in use"; done
python3 "$root/Benchmarks/schema/gen_payloads.py" "$BENCH_WORK" >/dev/null
bench_start_upstream
edge_bench_config "$BENCH_WORK" "$GW_PORT" "$TLS_PORT" "$UPSTREAM_PORT" || bench_die "could not write the gateway config"
python3 - "$BENCH_WORK/gateway.json" <<'EOF' || bench_die "could not add the mock route"
import json, sys
config = json.load(open(sys.argv[1]))
config["apis"][0]["routes"].insert(0, {"route": "GET /mock", "integration": {"type": "mock", "status": 200, "body": "ok\n"}})
config["apis"][0]["routes"].insert(0, {"route": "GET /cached", "integration": {"type": "http", "url": "http://127.0.0.1:9001"},
                                       "cache": {"ttl": 3600}})
json.dump(config, open(sys.argv[1], "w"))
EOF
gcc -O2 -shared -fPIC -o "$BENCH_WORK/sigsuspend_shim.so" "$root/Benchmarks/instructions/sigsuspend_shim.c" \
    || bench_die "could not build the sigsuspend shim"

# h2load_for MEASURE COUNT: the load of one measure.
h2load_for() {
    local measure=$1 count=$2
    case $measure in
        http50)    h2load --h1 -c50 -n"$count" "http://127.0.0.1:$GW_PORT/bench" ;;
        http200)   h2load --h1 -c200 -n"$count" "http://127.0.0.1:$GW_PORT/bench" ;;
        https50)   h2load --h1 -c50 -n"$count" "https://127.0.0.1:$TLS_PORT/bench" ;;
        validated) h2load --h1 -c50 -n"$count" -d "$BENCH_WORK/order.json" -H "content-type: application/json" \
                       "http://127.0.0.1:$GW_PORT/validated" ;;
        mock)      h2load --h1 -c50 -n"$count" "http://127.0.0.1:$GW_PORT/mock" ;;
        cachehit)  h2load --h1 -c50 -n"$count" "http://127.0.0.1:$GW_PORT/cached" ;;
        h2)        h2load -c50 -m10 -n"$count" "https://127.0.0.1:$TLS_PORT/bench" ;;
    esac
}

# callgrind_total FILE: the instruction total of a callgrind dump.
callgrind_total() { awk '/^(summary|totals):/ {print $2; exit}' "$1"; }

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ), $REQUESTS requests per measure"
failed=0
: >"$BENCH_WORK/results"
for name in A B; do
    # DWARF 5 trips Valgrind 3.19's reader: a copy without debug info (the symbol table stays, for profiles).
    objcopy --strip-debug "${bins[$name]}" "$BENCH_WORK/portcullis-$name" || bench_die "objcopy ${bins[$name]} failed"
    out="$BENCH_WORK/callgrind-$name"
    mkdir -p "$out"
    (cd "$BENCH_WORK" && LD_PRELOAD="$BENCH_WORK/sigsuspend_shim.so" exec valgrind --tool=callgrind \
        --callgrind-out-file="$out/callgrind.out.%p" "$BENCH_WORK/portcullis-$name" serve \
        --config "$BENCH_WORK/gateway.json" --threads 1) >"$BENCH_WORK/gateway-$name.log" 2>&1 &
    pid=$!; BENCH_PIDS+=("$pid")
    bench_wait_port "$GW_PORT" "$pid" 180 && bench_wait_port "$TLS_PORT" "$pid" 60 \
        || bench_die "$name did not open its ports under valgrind (see $BENCH_WORK/gateway-$name.log)"
    dump=0
    for measure in $MEASURES; do
        # Warm-up: connections, pools, the TLS session cache, lazily built tables.
        h2load_for "$measure" 2000 >/dev/null 2>&1
        callgrind_control -z "$pid" >/dev/null 2>&1 || bench_die "callgrind_control -z failed for $name"
        h2load_for "$measure" "$REQUESTS" >"$BENCH_WORK/h2load-$name-$measure.out" 2>&1
        callgrind_control -d "$measure" "$pid" >/dev/null 2>&1 || bench_die "callgrind_control -d failed for $name"
        dump=$((dump + 1))
        ok=$(awk '/^requests:/ {for (i = 1; i <= NF; i++) if ($(i+1) == "succeeded,") print $i}' "$BENCH_WORK/h2load-$name-$measure.out")
        twoxx=$(awk '/^status codes:/ {print $3}' "$BENCH_WORK/h2load-$name-$measure.out")
        file=$(ls "$out"/callgrind.out."$pid"*."$dump" 2>/dev/null | head -1)
        total=$([ -n "$file" ] && callgrind_total "$file")
        if [ "${ok:-0}" != "$REQUESTS" ] || [ "${twoxx:-0}" != "$REQUESTS" ] || [ -z "$total" ]; then
            echo "FAIL $name $measure: succeeded ${ok:-?}, 2xx ${twoxx:-?} of $REQUESTS (see $BENCH_WORK/h2load-$name-$measure.out)"
            failed=1
            continue
        fi
        echo "$name $measure $total" | tee -a "$BENCH_WORK/results" | awk -v n="$REQUESTS" '{printf "RESULT %s %-9s %d instructions per request\n", $1, $2, $3 / n}'
    done
    bench_stop "$pid"
done
echo "SUMMARY measure   A_instr/req  B_instr/req  B/A"
awk -v n="$REQUESTS" '{ t[$1, $2] = $3; if (!($2 in seen)) { seen[$2] = 1; order[++k] = $2 } }
    END { for (i = 1; i <= k; i++) { m = order[i]; if ((("A", m) in t) && (("B", m) in t))
        printf "SUMMARY %-9s %11d  %11d  %.3f\n", m, t["A", m] / n, t["B", m] / n, t["B", m] / t["A", m] } }' \
    "$BENCH_WORK/results"
[ "${BENCH_KEEP:-0}" = 1 ] && echo "callgrind dumps: $BENCH_WORK/callgrind-A and -B (callgrind_annotate FILE)"
exit $failed
