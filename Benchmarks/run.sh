#!/usr/bin/env bash
# Benchmarks/run.sh: the gateway vs nginx as reverse proxies, with ../shared/bench/peers.sh.
#
#   Benchmarks/run.sh                      # release build, then c50 and c200 runs; prints RESULT lines and RSS
#   CONNS_LIST="50" REPS=5 Benchmarks/run.sh
#   GATEWAY_THREADS=2 Benchmarks/run.sh    # the gateway's default (one event loop per core) instead
#
# The gateway runs Benchmarks/bench.json (no access log) on 127.0.0.1:8088, forwarding to the
# static upstream peers.sh starts on 127.0.0.1:9001. Release build only; one run per connection count.
# Every wrk run (each rep, gateway and nginx, not only the median one) must be free of socket errors and non-2xx
# responses, and peers.sh must succeed: otherwise the script says which runs failed and exits 3.
# GATEWAY_THREADS defaults to 1 to match the peer: peers.sh runs nginx with one worker process, and on a
# 2-core machine shared with wrk and the upstream a second event loop mostly adds scheduler contention
# (more throughput, but a longer latency tail measured by a wrk that is itself waiting for a core).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
peers=${PEERS:-$root/../shared/bench/peers.sh}
cd "$root"
. "$root/Benchmarks/lib/runs-check.sh"
work=$(mktemp -d -t portcullis-run.XXXXXX)
# Production build: release, with dynamic exclusivity checks off (they cost ~5-10 % CPU per request in NIO's and
# our hot paths; the test suite runs with them on) and the Swift runtime and Foundation linked statically (4 MB
# less resident code, and runtime calls without PLT stubs). Its own scratch folder so it never mixes with `swift build`.
flags=(-c release --scratch-path .build-release --static-swift-stdlib -Xswiftc -enforce-exclusivity=unchecked)
swift build "${flags[@]}" --product portcullis >/dev/null
bin=$(swift build "${flags[@]}" --show-bin-path)/portcullis

"$bin" serve --config Benchmarks/bench.json --threads ${GATEWAY_THREADS:-1} 2>/tmp/portcullis-bench.log &
gw=$!
trap 'kill -TERM $gw 2>/dev/null; wait $gw 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:9988/healthz && break; sleep 0.1; done

rss() { awk '/VmRSS/ {print int($2/1024)}' /proc/$gw/status; }
peak_rss() { awk '/VmHWM/ {print int($2/1024)}' /proc/$gw/status; }
echo "gateway RSS idle: $(rss) MB"
for conns in ${CONNS_LIST:-50 200}; do
    echo "== $conns connections"
    # peers.sh keeps each rep's line in its scratch folder (gw.lines, ng.lines) when we give it one.
    rc=0
    BENCH_WORK=$work/c$conns CONNS=$conns GATEWAY_PID=$gw "$peers" http://127.0.0.1:8088/bench >"$work/c$conns.out" 2>&1 || rc=$?
    grep -E "^(gateway|nginx|target|ratio|RESULT)" "$work/c$conns.out" || true
    echo "gateway RSS now: $(rss) MB, peak: $(peak_rss) MB"
    if [ "$rc" != 0 ]; then
        echo "[bench] FAILED: peers.sh exited $rc for $conns connections:" >&2
        sed 's/^/    /' "$work/c$conns.out" >&2
        RUNS_FAILED=1
    fi
    runs_fail_loudly 4 "$conns connections" "$work/c$conns/gw.lines" "$work/c$conns/ng.lines"
done
runs_exit
