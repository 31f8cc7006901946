#!/usr/bin/env bash
# Benchmarks/fleet/accuracy.sh: a fleet's rate limit, measured. Two gateway instances share one redis-server
# (`state.store = "redis"`); each is offered half of OFFER/s for DURATION s by its own `portcullis loadtest` (open
# loop) on one route throttled at RATE/s with BURST. The fleet should admit BURST + RATE × DURATION in all, not
# twice that. Then the cost: the same throttled route (a limit nothing reaches) with the Redis store against the
# memory store, wrk for WRK_SECONDS each, ROUNDS interleaved rounds, one event loop each.
#
#   Benchmarks/fleet/accuracy.sh                       # 1000/s, burst 100, offered 10,000/s for 30 s; 3 cost rounds
#   RATE=500 BURST=50 OFFER=5000 DURATION=10 ROUNDS=1 Benchmarks/fleet/accuracy.sh
#
# Prints each loadtest report, a RESULT line for the fleet (admitted, expected, error %) and one per cost round
# (rps with Redis, with memory, ratio). Exit 3 when the fleet's error is over MAX_ERROR_PERCENT (default 2).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
shared=${SHARED:-$root/../shared}
. "$shared/bench/lib.sh"
. "$root/Benchmarks/lib/gateway-bin.sh"
RATE=${RATE:-1000}
BURST=${BURST:-100}
OFFER=${OFFER:-10000}
DURATION=${DURATION:-30}
CONNECTIONS=${CONNECTIONS:-50}
ROUNDS=${ROUNDS:-3}
WRK_SECONDS=${WRK_SECONDS:-10}
MAX_ERROR_PERCENT=${MAX_ERROR_PERCENT:-2}
REDIS_PORT=${REDIS_PORT:-6390}
A_PORT=8097 B_PORT=8098 A_ADMIN=9987 B_ADMIN=9988 M_PORT=8099 M_ADMIN=9989

bench_ensure python3:python3 redis-server:redis-server wrk:wrk
gateway_bin_ensure "$root"
bench_install_trap
bench_workdir
for port in "$REDIS_PORT" $A_PORT $B_PORT $A_ADMIN $B_ADMIN $M_PORT $M_ADMIN; do
    bench_port_busy "$port" && bench_die "127.0.0.1:$port is already in use"
done
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --loglevel warning >"$BENCH_WORK/redis.log" 2>&1 &
BENCH_PIDS+=($!)
bench_wait_port "$REDIS_PORT" "$!" 10 || bench_die "redis-server did not start"

# config NAME PORT ADMIN STORE: a gateway config with /limited at RATE/BURST and /cost at a limit nothing reaches.
config() {
    local state='"state": { "store": "memory" }'
    [ "$4" = redis ] && state="\"state\": { \"store\": \"redis\", \"url\": \"redis://127.0.0.1:$REDIS_PORT\", \"keyPrefix\": \"bench$$:\" }"
    cat >"$BENCH_WORK/$1.json" <<JSON
{ "listen": { "http": "127.0.0.1:$2" }, "admin": { "listen": "127.0.0.1:$3" }, $state,
  "apis": [ { "name": "bench", "routes": [
    { "route": "GET /limited", "integration": { "type": "mock", "status": 200, "body": "ok" },
      "throttle": { "rate": $RATE, "burst": $BURST } },
    { "route": "GET /cost", "integration": { "type": "mock", "status": 200, "body": "ok" },
      "throttle": { "rate": 1000000, "burst": 1000000 } } ] } ] }
JSON
}
start() {  # start NAME PORT THREADS
    "$GATEWAY_BIN" serve --config "$BENCH_WORK/$1.json" --threads "$3" >"$BENCH_WORK/$1.log" 2>&1 &
    local pid=$!; BENCH_PIDS+=("$pid")
    bench_wait_port "$2" "$pid" 30 || bench_die "gateway $1 did not start (see $BENCH_WORK/$1.log)"
}
config a $A_PORT $A_ADMIN redis; config b $B_PORT $B_ADMIN redis; config m $M_PORT $M_ADMIN memory
start a $A_PORT 1; start b $B_PORT 1; start m $M_PORT 1
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ), redis-server $(redis-server --version | cut -d' ' -f3)"

half=$((OFFER / 2))
for side in a b; do
    port=$A_PORT; [ $side = b ] && port=$B_PORT
    "$GATEWAY_BIN" loadtest --rate "$half" --duration "${DURATION}s" --connections "$CONNECTIONS" \
        "http://127.0.0.1:$port/limited" >"$BENCH_WORK/load-$side.txt" 2>"$BENCH_WORK/load-$side.progress" &
    BENCH_PIDS+=($!)
done
wait "${BENCH_PIDS[@]: -2}" || bench_die "a loadtest failed"
for side in a b; do echo "instance $side:"; sed 's/^/  /' "$BENCH_WORK/load-$side.txt"; done
python3 - "$BENCH_WORK/load-a.txt" "$BENCH_WORK/load-b.txt" "$RATE" "$BURST" "$DURATION" "$MAX_ERROR_PERCENT" <<'PY'
import re, sys
a, b = (open(p).read() for p in sys.argv[1:3])
rate, burst, duration, limit = float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
def num(text, pattern): return int(re.search(pattern, text).group(1))
admitted = sum(num(t, r"admitted \(2xx\) (\d+)") for t in (a, b))
sent = sum(num(t, r"sent (\d+)") for t in (a, b))
errors = sum(num(t, r"errors (\d+)") for t in (a, b))
expected = burst + rate * duration
error = (admitted - expected) / expected * 100
print(f"RESULT fleet offered={sent} expected={expected:.0f} admitted={admitted} error={error:+.2f}% errors={errors}")
sys.exit(0 if abs(error) <= limit and errors == 0 else 3)
PY
fleet_status=$?

# Cost: Redis store (instance a) against the memory store (m), interleaved.
for round in $(seq 1 "$ROUNDS"); do
    redis_rps=$(wrk -t1 -c50 -d"${WRK_SECONDS}s" "http://127.0.0.1:$A_PORT/cost" | awk '/Requests\/sec/ {print $2}')
    memory_rps=$(wrk -t1 -c50 -d"${WRK_SECONDS}s" "http://127.0.0.1:$M_PORT/cost" | awk '/Requests\/sec/ {print $2}')
    python3 -c "import sys; r,m=float(sys.argv[1]),float(sys.argv[2]); print(f'RESULT cost round={sys.argv[3]} redis_rps={r:.0f} memory_rps={m:.0f} ratio={r/m:.2f}')" \
        "$redis_rps" "$memory_rps" "$round"
done
grep -h "state store" "$BENCH_WORK"/a.log "$BENCH_WORK"/b.log | head -5
exit $fleet_status
