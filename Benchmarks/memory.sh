#!/usr/bin/env bash
# Benchmarks/memory.sh: resident memory of the gateway and of nginx as reverse proxies, idle and at the peak of
# keep-alive load (wrk, 200 then 50 connections), split into anonymous memory (the process's own heap, stacks and
# buffers) and file-backed pages (code and read-only data mapped from the binary and its libraries, shared with
# every other process mapping them and reclaimable).
#
#   Benchmarks/memory.sh                                  # the production build of this checkout (see run.sh)
#   GATEWAY_BIN=/path/to/portcullis Benchmarks/memory.sh  # a given build, e.g. one with the Swift runtime linked dynamically
#   GATEWAY_ENV="MALLOC_ARENA_MAX=1" Benchmarks/memory.sh # environment for the gateway only
#
# Both proxies forward to the static upstream of ../shared/bench (port 9001); nginx is one worker (its master's
# memory is reported apart), the gateway one event loop (`Benchmarks/bench.json`). RSS peak is VmHWM.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${SHARED:-$root/../shared}
. "$shared/bench/lib.sh"
UPSTREAM_PORT=9001
DURATION=${DURATION:-5}

bench_ensure nginx:nginx wrk:wrk curl:curl
bench_install_trap
bench_workdir
bench_start_upstream
bench_start_nginx_proxy 9002 1
NGINX_MASTER=$BENCH_LAST_PID

if [ -z "${GATEWAY_BIN:-}" ]; then
    flags=(-c release --scratch-path "$root/.build-release" --static-swift-stdlib -Xswiftc -enforce-exclusivity=unchecked)
    (cd "$root" && swift build "${flags[@]}" --product portcullis >/dev/null)
    GATEWAY_BIN=$(cd "$root" && swift build "${flags[@]}" --show-bin-path)/portcullis
fi
(cd "$root" && exec env ${GATEWAY_ENV:-} "$GATEWAY_BIN" serve --config Benchmarks/bench.json --threads 1) \
    2>"$BENCH_WORK/gateway.log" &
GATEWAY_PID=$!
BENCH_PIDS+=("$GATEWAY_PID")
bench_wait_port 8088 "$GATEWAY_PID" 60 || bench_die "the gateway did not open 127.0.0.1:8088"
sleep 1

# memory PID: VmRSS, VmHWM, RssAnon, RssFile in MB.
memory() {
    awk '/^(VmRSS|VmHWM|RssAnon|RssFile):/ { v[$1] = $2 / 1024 }
         END { printf "rss=%.1f peak=%.1f anon=%.1f file=%.1f", v["VmRSS:"], v["VmHWM:"], v["RssAnon:"], v["RssFile:"] }' \
        "/proc/$1/status"
}

nginx_worker=$(pgrep -P "$NGINX_MASTER" | head -1)
[ -n "$nginx_worker" ] || bench_die "no nginx worker under $NGINX_MASTER"
echo "idle gateway: $(memory "$GATEWAY_PID")"
echo "idle nginx worker: $(memory "$nginx_worker")  (master: $(memory "$NGINX_MASTER"))"
for target in gateway:8088 nginx:9002; do
    name=${target%%:*} port=${target##*:}
    for conns in 200 50; do
        out=$(wrk -t1 -c"$conns" -d"${DURATION}s" "http://127.0.0.1:$port/bench")
        grep -qE "Non-2xx|Socket errors" <<<"$out" && bench_die "$name had errors at $conns connections: $out"
    done
done
echo "after load gateway: $(memory "$GATEWAY_PID")"
echo "after load nginx worker: $(memory "$nginx_worker")  (master: $(memory "$NGINX_MASTER"))"
g=$(awk '/^VmHWM:/ {print $2 / 1024}' "/proc/$GATEWAY_PID/status")
n=$(awk '/^VmHWM:/ {print $2 / 1024}' "/proc/$nginx_worker/status")
echo "RESULT gateway_peak_mb=$g nginx_worker_peak_mb=$n"
