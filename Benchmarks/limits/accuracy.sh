#!/usr/bin/env bash
# Benchmarks/limits/accuracy.sh: how exact the gateway's rate limits are under overload, measured with
# `portcullis loadtest` (open loop) against the release gateway.
#
#   Benchmarks/limits/accuracy.sh                      # R=1000/s, B=100, offered 10,000/s for 30 s; then 10 keys
#   RATE=500 BURST=50 OFFER=5000 DURATION=10 Benchmarks/limits/accuracy.sh
#
# Two runs on one gateway (GATEWAY_THREADS event loops, default 2, so one limit is shared across loops):
#   route  GET /limited, a route throttle of RATE/s with BURST; expected = the gateway's limiter run over the exact
#          schedule (`--expect-rate RATE --expect-burst BURST`), about RATE × DURATION + BURST.
#   keys   GET /keyed with KEYS API keys taking turns, each on a plan bucket of RATE/KEYS per second and BURST/KEYS
#          (`--expect-from` the config), so each key is offered ten times its own limit.
# Prints each loadtest report, then one RESULT line per run: offered, expected, admitted, error %, p99 (ms).
# Exit: 0 ok; 1 setup failure; 3 when a run's admitted count is off by more than MAX_ERROR_PERCENT (default 1) or it
# saw errors.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$root/Benchmarks/limits
shared=${SHARED:-$root/../shared}
. "$shared/bench/lib.sh"
. "$root/Benchmarks/lib/gateway-bin.sh"
RATE=${RATE:-1000}
BURST=${BURST:-100}
OFFER=${OFFER:-10000}
DURATION=${DURATION:-30}
KEYS=${KEYS:-10}
CONNECTIONS=${CONNECTIONS:-50}
MAX_ERROR_PERCENT=${MAX_ERROR_PERCENT:-1}
GW_PORT=${GW_PORT:-8097}
ADMIN_PORT=${ADMIN_PORT:-9987}

bench_ensure python3:python3 curl:curl
gateway_bin_ensure "$root"
bench_install_trap
bench_workdir
for port in "$GW_PORT" "$ADMIN_PORT"; do bench_port_busy "$port" && bench_die "127.0.0.1:$port is already in use"; done
python3 "$here/gen_config.py" "$BENCH_WORK" "$GW_PORT" "$ADMIN_PORT" 9001 "$RATE" "$BURST" "$KEYS" "$GATEWAY_BIN" \
    || bench_die "gen_config.py failed"
"$GATEWAY_BIN" serve --config "$BENCH_WORK/accuracy.json" --threads "${GATEWAY_THREADS:-2}" >"$BENCH_WORK/gateway.log" 2>&1 &
gateway=$!; BENCH_PIDS+=("$gateway")
bench_wait_port "$GW_PORT" "$gateway" 30 || bench_die "the gateway did not start (see $BENCH_WORK/gateway.log)"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ), gateway threads ${GATEWAY_THREADS:-2}"

failed=0
# run NAME ARGS...: one loadtest; prints its text report and a RESULT line.
run() {
    local name=$1; shift
    "$GATEWAY_BIN" loadtest --rate "$OFFER" --duration "${DURATION}s" --connections "$CONNECTIONS" "$@" \
        >"$BENCH_WORK/$name.txt" 2>"$BENCH_WORK/$name.progress" || { bench_log "loadtest $name failed"; cat "$BENCH_WORK/$name.progress" >&2; failed=1; return; }
    sed 's/^/  /' "$BENCH_WORK/$name.txt"
    python3 - "$BENCH_WORK/$name.txt" "$name" "$MAX_ERROR_PERCENT" <<'PY' || failed=1
import re, sys
text = open(sys.argv[1]).read()
name, limit = sys.argv[2], float(sys.argv[3])
sent = int(re.search(r"sent (\d+)", text).group(1))
errors = int(re.search(r"errors (\d+)", text).group(1))
expected = int(re.search(r"expected admitted (\d+)", text).group(1))
admitted = int(re.search(r"measured (\d+)", text).group(1))
error = float(re.search(r"error ([+-][0-9.]+) %", text).group(1))
p99 = re.search(r"p99 ([0-9.]+)", text).group(1)
print(f"RESULT {name} offered={sent} expected={expected} admitted={admitted} error={error:+.3f}% p99_ms={p99} errors={errors}")
sys.exit(0 if abs(error) <= limit and errors == 0 else 3)
PY
}
run route --expect-rate "$RATE" --expect-burst "$BURST" "http://127.0.0.1:$GW_PORT/limited"
keyargs=()
while read -r key; do keyargs+=(--api-key "$key"); done <"$BENCH_WORK/keys.txt"
run keys "${keyargs[@]}" --expect-from "$BENCH_WORK/accuracy.json" "http://127.0.0.1:$GW_PORT/keyed"
[ "$failed" = 0 ] || exit 3
