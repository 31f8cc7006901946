#!/usr/bin/env bash
# Benchmarks/queues/enqueue.sh: the queue integration, measured (release build, one gateway, state.path on disk).
#   1. Durable enqueue: wrk POSTs to a `queue` route (each 202 after the message is committed, fsync, group commit)
#      against a `mock` route answering 202, ROUNDS interleaved rounds of SECONDS s with CONNECTIONS connections.
#   2. Consumer throughput: the messages stored in 1 are drained by a no-op Python consumer (awslambdaric) with
#      batchSize 10; messages per second from the first to the last deletion.
#   3. Idle latency: SAMPLES messages sent one at a time (50 ms apart); the consumer logs the delay from each
#      message's SentTimestamp to its invocation; p50 and p99.
#
#   With STORE=redis the queue is a Redis Stream (fleet mode) on a redis-server of its own, started with
#   appendonly yes and appendfsync always (each write batch fsynced, as the SQLite journal's commits are).
#
#   Benchmarks/queues/enqueue.sh                  # 3 rounds of 10 s, 50 connections, 200 samples
#   ROUNDS=1 SECONDS_PER_RUN=5 Benchmarks/queues/enqueue.sh
#   STORE=redis Benchmarks/queues/enqueue.sh
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
shared=${SHARED:-$root/../shared}
. "$shared/bench/lib.sh"
. "$root/Benchmarks/lib/gateway-bin.sh"
ROUNDS=${ROUNDS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
CONNECTIONS=${CONNECTIONS:-50}
SAMPLES=${SAMPLES:-200}
STORE=${STORE:-local}
PORT=8096 ADMIN=9986 REDIS_PORT=6396

bench_ensure wrk:wrk python3:python3
python3 -c 'import awslambdaric' 2>/dev/null || bench_die "needs python3 with awslambdaric (pip install awslambdaric)"
gateway_bin_ensure "$root"
bench_install_trap
bench_workdir
python=$(command -v python3)
mkdir -p "$BENCH_WORK/state"
if [ "$STORE" = redis ]; then
    bench_ensure redis-server:redis-server
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly yes --appendfsync always \
        --dir "$BENCH_WORK/state" --daemonize no --loglevel warning >"$BENCH_WORK/redis.log" 2>&1 &
    BENCH_PIDS+=("$!")
    bench_wait_port "$REDIS_PORT" "$!" 10 || bench_die "redis-server did not start (see $BENCH_WORK/redis.log)"
    state="\"state\": { \"store\": \"redis\", \"url\": \"redis://127.0.0.1:$REDIS_PORT\" },"
else
    state="\"state\": { \"path\": \"$BENCH_WORK/state\" },"
fi

# config CONSUMER(yes|no): a durable queue route, a mock 202 route, and the consumer when asked.
config() {
    local consumer="" functions=""
    if [ "$1" = yes ]; then
        consumer=', "consumer": { "function": "noop", "batchSize": 10, "maxConcurrency": 2 }'
        functions="\"functions\": [ { \"name\": \"noop\", \"command\": [\"$python\", \"-m\", \"awslambdaric\", \"consumer.handler\"],
            \"workingDirectory\": \"$root/Benchmarks/queues\", \"provisioned\": 2, \"maxConcurrency\": 2, \"timeout\": \"30s\",
            \"environment\": { \"LATENCY_OUT\": \"${LATENCY_OUT:-}\" } } ],"
    fi
    cat >"$BENCH_WORK/gateway.json" <<JSON
{ "listen": { "http": "127.0.0.1:$PORT" }, "admin": { "listen": "127.0.0.1:$ADMIN" },
  $state $functions
  "queues": [ { "name": "orders"$consumer } ],
  "apis": [ { "name": "shop", "routes": [
    { "route": "POST /orders", "integration": { "type": "queue", "queue": "orders" } },
    { "route": "POST /mock", "integration": { "type": "mock", "status": 202, "body": { "messageId": "00000000-0000-4000-8000-000000000000" } } } ] } ] }
JSON
}
start() {
    "$GATEWAY_BIN" serve --config "$BENCH_WORK/gateway.json" --threads 2 >"$BENCH_WORK/gateway.log" 2>&1 &
    GATEWAY_PID=$!; BENCH_PIDS+=("$GATEWAY_PID")
    bench_wait_port "$PORT" "$GATEWAY_PID" 30 || bench_die "gateway did not start (see $BENCH_WORK/gateway.log)"
}
stop() { kill "$GATEWAY_PID"; wait "$GATEWAY_PID" 2>/dev/null; }
queue_field() {  # queue_field NAME: that field of queue "orders" in GET /queues
    curl -s "http://127.0.0.1:$ADMIN/queues" | python3 -c "import json,sys; print([q for q in json.load(sys.stdin)['queues'] if q['name']=='orders'][0]['$1'])"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, disk: $(df -T "$BENCH_WORK" | awk 'NR==2 {print $2}'), store: $STORE"
config no; start
for round in $(seq 1 "$ROUNDS"); do
    queue=$(wrk --latency -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -s "$root/Benchmarks/queues/post.lua" "http://127.0.0.1:$PORT/orders")
    mock=$(wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" -s "$root/Benchmarks/queues/post.lua" "http://127.0.0.1:$PORT/mock")
    echo "$queue" | grep -E "Non-2xx|Socket errors" && bench_log "round $round had errors"
    python3 -c "import sys; q,m=float(sys.argv[1]),float(sys.argv[2]); print(f'RESULT enqueue round={sys.argv[3]} queue_rps={q:.0f} mock_rps={m:.0f} ratio={q/m:.2f} queue_p50={sys.argv[4]} queue_p99={sys.argv[5]}')" \
        "$(echo "$queue" | awk '/Requests\/sec/ {print $2}')" "$(echo "$mock" | awk '/Requests\/sec/ {print $2}')" "$round" \
        "$(echo "$queue" | awk '/ 50%/ {print $2}')" "$(echo "$queue" | awk '/ 99%/ {print $2}')"
done
stored=$(queue_field visible)
echo "stored: $stored messages ($(du -sh "$BENCH_WORK/state" | cut -f1) on disk)"
stop

config yes; start
start_ns=$(date +%s%N)
while [ "$(queue_field deleted)" -lt "$stored" ]; do sleep 0.05; done
end_ns=$(date +%s%N)
python3 -c "import sys; n,ns=int(sys.argv[1]),int(sys.argv[2]); print(f'RESULT consume messages={n} seconds={ns/1e9:.2f} rate={n/(ns/1e9):.0f}/s (batchSize 10, maxConcurrency 2, from start-up)')" \
    "$stored" "$((end_ns - start_ns))"
stop

LATENCY_OUT="$BENCH_WORK/latency.txt" config yes; start
sleep 1
for i in $(seq 1 "$SAMPLES"); do
    curl -s -o /dev/null -X POST -H 'content-type: application/json' -d '{"n": '"$i"'}' "http://127.0.0.1:$PORT/orders"
    sleep 0.05
done
sleep 1
python3 - "$BENCH_WORK/latency.txt" <<'PY'
import sys
values = sorted(float(line) for line in open(sys.argv[1]))
pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]
print(f"RESULT idle_latency samples={len(values)} p50={pick(0.5):.1f}ms p99={pick(0.99):.1f}ms max={values[-1]:.1f}ms (SentTimestamp to invocation)")
PY
stop
