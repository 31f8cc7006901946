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
# Exits 3 when any run saw socket errors or non-2xx responses.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${SHARED:-$root/../shared}
here=$root/Benchmarks/schema
. "$shared/bench/lib.sh"
. "$here/gateway-config.sh"
. "$root/Benchmarks/lib/runs-check.sh"
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

# rps NAME ROUTE: one wrk run; prints its requests/s. Socket errors, non-2xx responses or no result are recorded
# in $BENCH_WORK/errors.runs (this runs in a subshell), so the script exits 3 at the end.
rps() {
    local out="$BENCH_WORK/wrk-$1-$2.out" value err non2xx
    wrk -t1 -c50 -d"${DURATION}s" -s "$here/post.lua" "http://127.0.0.1:$GW_PORT/$2" -- "$BENCH_WORK/order.json" >"$out" 2>&1
    value=$(awk '/^Requests\/sec:/{print $2}' "$out")
    err=$(awk '/Socket errors/{s=0; for(i=1;i<=NF;i++) if ($i ~ /^[0-9]+,?$/) s+=$i; print s}' "$out")
    non2xx=$(awk -F: '/Non-2xx/{gsub(/ /,"",$2); print $2}' "$out")
    if [ -z "$value" ]; then
        echo "$1 round=$round /$2 fail (wrk gave no result)" >>"$BENCH_WORK/errors.runs"
    else
        echo "$1 round=$round /$2 $(( ${err:-0} + ${non2xx:-0} ))" >>"$BENCH_WORK/errors.runs"
    fi
    echo "${value:-0}"
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ), ${GATEWAY_THREADS:-1} event loop(s)"
for round in $(seq "$ROUNDS"); do
    order="A B"; [ $((round % 2)) = 0 ] && order="B A"
    for name in $order; do
        bench_start "gateway-$name" "${bins[$name]}" serve --config "$BENCH_WORK/gateway.json" --threads "${GATEWAY_THREADS:-1}"
        pid=$BENCH_LAST_PID
        bench_wait_port "$GW_PORT" "$pid" 30 || bench_die "$name did not open $GW_PORT"
        wrk -t1 -c50 -d1s -s "$here/post.lua" "http://127.0.0.1:$GW_PORT/validated" -- "$BENCH_WORK/order.json" >/dev/null
        v=$(rps "$name" validated) p=$(rps "$name" plain)
        bench_stop "$pid"
        awk -v n="$name" -v r="$round" -v v="$v" -v p="$p" \
            'BEGIN{printf "RESULT %s round=%d validated_rps=%.0f plain_rps=%.0f ratio=%.2fx\n", n, r, v, p, (p>0 ? v/p : 0)}'
    done
done
# Every run of every round, A and B: errors or non-2xx anywhere invalidate the comparison.
runs_fail_loudly 4 "A/B runs" "$BENCH_WORK/errors.runs"
runs_exit
