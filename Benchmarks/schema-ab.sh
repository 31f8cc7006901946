#!/usr/bin/env bash
# Benchmarks/schema-ab.sh A_BIN B_BIN: two gateway builds compared on the validated route, in interleaved pairs, so
# a change's effect can be told from this machine's noise (single runs of the one-loop case vary by a fifth).
#
#   cp .build-release/release/portcullis /tmp/portcullis-a   # before the change
#   ...change, rebuild...
#   Benchmarks/schema-ab.sh /tmp/portcullis-a .build-release/release/portcullis
#   ROUNDS=6 DURATION=5 GATEWAY_THREADS=1 Benchmarks/schema-ab.sh A B
#
# Each round starts each build in turn (alternating which goes first) on the config of Benchmarks/schema.sh's
# gateway part (Benchmarks/schema/gateway-config.sh: POST /validated with the order model and POST /plain, both
# to the static upstream on :9001), then wrk
# POSTs order.json to both routes. Prints one line per build and round: validated rps, plain rps, their ratio.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${SHARED:-$root/../shared}
here=$root/Benchmarks/schema
. "$shared/bench/lib.sh"
. "$here/gateway-config.sh"
[ $# -eq 2 ] || { echo "usage: $0 A_BIN B_BIN" >&2; exit 2; }
declare -A bins=([A]=$1 [B]=$2)
ROUNDS=${ROUNDS:-6}
DURATION=${DURATION:-5}
UPSTREAM_PORT=9001
GW_PORT=8090

bench_ensure nginx:nginx wrk:wrk python3:python3
bench_install_trap
bench_workdir
python3 "$here/gen_payloads.py" "$BENCH_WORK" >/dev/null
bench_port_busy "$GW_PORT" && bench_die "127.0.0.1:$GW_PORT is already in use"
bench_start_upstream
schema_gateway_config "$GW_PORT" 9990 "$UPSTREAM_PORT" >"$BENCH_WORK/gateway.json"

rps() {
    wrk -t1 -c50 -d"${DURATION}s" -s "$here/post.lua" "http://127.0.0.1:$GW_PORT/$1" -- "$BENCH_WORK/order.json" \
        | awk '/^Requests\/sec:/{print $2}'
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ), ${GATEWAY_THREADS:-1} event loop(s)"
for round in $(seq "$ROUNDS"); do
    order="A B"; [ $((round % 2)) = 0 ] && order="B A"
    for name in $order; do
        bench_start "gateway-$name" "${bins[$name]}" serve --config "$BENCH_WORK/gateway.json" --threads "${GATEWAY_THREADS:-1}"
        pid=$BENCH_LAST_PID
        bench_wait_port "$GW_PORT" "$pid" 30 || bench_die "$name did not open $GW_PORT"
        wrk -t1 -c50 -d1s -s "$here/post.lua" "http://127.0.0.1:$GW_PORT/validated" -- "$BENCH_WORK/order.json" >/dev/null
        v=$(rps validated) p=$(rps plain)
        bench_stop "$pid"
        awk -v n="$name" -v r="$round" -v v="$v" -v p="$p" \
            'BEGIN{printf "RESULT %s round=%d validated_rps=%.0f plain_rps=%.0f ratio=%.2fx\n", n, r, v, p, (p>0 ? v/p : 0)}'
    done
done
