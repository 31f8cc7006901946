#!/usr/bin/env bash
# Benchmarks/tls.sh: HTTPS throughput against nginx terminating TLS, both proxying to the same upstream.
#
#   Benchmarks/tls.sh                 # keep-alive, new-handshake-per-request and HTTP/2 runs; RESULT lines
#   REPS=5 DURATION=10 CONNS=50 H2_STREAMS=10 GATEWAY_THREADS=1 Benchmarks/tls.sh
#   GATEWAY_BIN=/path/to/portcullis Benchmarks/tls.sh   # a given build instead of this checkout's
#
# nginx uses ../shared/bench/conf/nginx-tls.conf.in (1 worker, TLS 1.3, ECDSA P-256 self-signed, keep-alive
# pool to the upstream on :9001); the gateway uses the same certificate with minVersion 1.3 on :8443.
# "handshake" runs send `Connection: close`, so every request pays a full TLS handshake (no resumption).
# "h2" runs use h2load (nghttp2-client): CONNS connections with H2_STREAMS concurrent streams each; nginx gets
# `http2` on its listener for them (wrk never offers h2 by ALPN, so the other runs stay HTTP/1.1).
# Every run of every kind is checked: socket errors, non-2xx responses, h2load failures or a run without a result
# make the script print the bad runs and exit 3 (after the results).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${SHARED:-$root/../shared}
. "$shared/bench/lib.sh"
. "$root/Benchmarks/lib/runs-check.sh"

UPSTREAM_PORT=9001
BENCH_DURATION=${DURATION:-10}
BENCH_CONNS=${CONNS:-50}
BENCH_THREADS=${THREADS:-1}
REPS=${REPS:-3}

bench_ensure nginx:nginx wrk:wrk curl:curl openssl:openssl nghttp2-client:h2load
bench_install_trap
bench_workdir

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -keyout "$BENCH_WORK/key.pem" -out "$BENCH_WORK/cert.pem" >/dev/null 2>&1 || bench_die "openssl req failed"

bench_start_upstream
NGINX_PORT=9443
bench_render "$shared/bench/conf/nginx-tls.conf.in" "$BENCH_WORK/nginx-tls.conf" UPSTREAM_PORT NGINX_PORT
sed -i 's/ ssl backlog=/ ssl http2 backlog=/' "$BENCH_WORK/nginx-tls.conf"
bench_start_nginx nginx-tls "$BENCH_WORK/nginx-tls.conf" 9443
NGINX_PID=$BENCH_LAST_PID

cat >"$BENCH_WORK/gateway.json" <<JSON
{ "listen": { "https": "127.0.0.1:8443" }, "admin": { "listen": "127.0.0.1:9988" },
  "tls": { "certificates": [ { "cert": "cert.pem", "key": "key.pem" } ], "minVersion": "1.3" },
  "apis": [ { "name": "bench", "routes": [
    { "route": "ANY /{proxy+}", "integration": { "type": "http", "url": "http://127.0.0.1:$UPSTREAM_PORT" } } ] } ] }
JSON
# GATEWAY_BIN runs a given binary (another build, e.g. before a change) instead of building this checkout.
if [ -n "${GATEWAY_BIN:-}" ]; then
    bin=$GATEWAY_BIN
else
    flags=(-c release --scratch-path "$root/.build-release" --static-swift-stdlib -Xswiftc -enforce-exclusivity=unchecked)
    (cd "$root" && swift build "${flags[@]}" --product portcullis >/dev/null)
    bin=$(cd "$root" && swift build "${flags[@]}" --show-bin-path)/portcullis
fi
bench_start gateway "$bin" serve --config "$BENCH_WORK/gateway.json" --threads "${GATEWAY_THREADS:-1}"
GATEWAY_PID=$BENCH_LAST_PID
bench_wait_port 8443 "$GATEWAY_PID" 30 || bench_die "gateway did not open 8443 (see $BENCH_WORK/gateway.log)"

GW_URL=https://127.0.0.1:8443/bench
NG_URL=https://127.0.0.1:9443/bench
bench_check_200 "$NG_URL"
curl -sk -o /dev/null -w '%{http_code}' "$GW_URL" | grep -q '^2' || bench_die "gateway does not answer 2xx on $GW_URL"

# wrk_close URL: like bench_wrk, with Connection: close (a TLS handshake per request); prints rps p99_ms errors
# (socket errors plus non-2xx; "fail" when wrk gave no result).
wrk_close() {
    local out="$BENCH_WORK/wrk-close.out"
    timeout $(( BENCH_DURATION + 30 )) wrk -t"$BENCH_THREADS" -c"$BENCH_CONNS" -d"${BENCH_DURATION}s" --latency \
        -H "Connection: close" "$1" >"$out" 2>&1 || true
    local rps p99 err non2xx
    rps=$(awk '/^Requests\/sec:/{print $2}' "$out")
    p99=$(awk '$1=="99%"{print $2}' "$out")
    err=$(awk '/Socket errors/{s=0; for(i=1;i<=NF;i++) if ($i ~ /^[0-9]+,?$/) s+=$i; print s}' "$out")
    non2xx=$(awk -F: '/Non-2xx/{gsub(/ /,"",$2); print $2}' "$out")
    [ -n "$rps" ] || { bench_log "wrk produced no result for $1:"; sed 's/^/    /' "$out" >&2; echo "0 0 fail"; return 0; }
    echo "$rps $(bench_to_ms "${p99:-0}") $(( ${err:-0} + ${non2xx:-0} ))"
}

# h2 URL: h2load for DURATION seconds; prints rps errors (failed + errored + timed out requests + non-2xx responses;
# "fail" when h2load gave no result), the line format bench_median_line sorts by its first field.
h2() {
    local out="$BENCH_WORK/h2load.out"
    timeout $(( BENCH_DURATION + 30 )) h2load -t1 -c"$BENCH_CONNS" -m"${H2_STREAMS:-10}" -D"$BENCH_DURATION" "$1" >"$out" 2>&1 || true
    local rps bad
    rps=$(awk '/^finished in/{gsub(",", "", $4); print $4}' "$out")
    # "requests: N total, N started, N done, N succeeded, N failed, N errored, N timeout"; "status codes: N 2xx, N 3xx, N 4xx, N 5xx"
    bad=$(awk '/^requests:/{r = $10 + $12 + $14; seen = 1} /^status codes:/{s = $5 + $7 + $9} END{ if (seen) print r + s }' "$out")
    [ -n "$rps" ] && [ -n "$bad" ] || { bench_log "h2load produced no result for $1:"; sed 's/^/    /' "$out" >&2; echo "0 fail"; return 0; }
    echo "$rps $bad"
}
h2load -n 10 -c 1 "$GW_URL" 2>&1 | grep -q 'Application protocol: h2' || bench_die "the gateway did not negotiate h2"
h2load -n 10 -c 1 "$NG_URL" 2>&1 | grep -q 'Application protocol: h2' || bench_die "nginx did not negotiate h2"

for u in "$GW_URL" "$NG_URL"; do timeout 20 wrk -t1 -c"$BENCH_CONNS" -d2s "$u" >/dev/null 2>&1 || true; done
: >"$BENCH_WORK/gw.ka"; : >"$BENCH_WORK/ng.ka"; : >"$BENCH_WORK/gw.hs"; : >"$BENCH_WORK/ng.hs"
: >"$BENCH_WORK/gw.h2"; : >"$BENCH_WORK/ng.h2"
for r in $(seq "$REPS"); do
    bench_log "rep $r/$REPS"
    bench_wrk "$GW_URL" gateway="$GATEWAY_PID" upstream="$UPSTREAM_PID" >>"$BENCH_WORK/gw.ka"
    bench_wrk "$NG_URL" nginx="$NGINX_PID" upstream="$UPSTREAM_PID" >>"$BENCH_WORK/ng.ka"
    wrk_close "$GW_URL" >>"$BENCH_WORK/gw.hs"
    wrk_close "$NG_URL" >>"$BENCH_WORK/ng.hs"
    h2 "$GW_URL" >>"$BENCH_WORK/gw.h2"
    h2 "$NG_URL" >>"$BENCH_WORK/ng.h2"
done

report() {
    local name=$1 gw ng
    gw=$(bench_median_line <"$BENCH_WORK/gw.$2"); ng=$(bench_median_line <"$BENCH_WORK/ng.$2")
    echo "$name gateway: $gw"
    echo "$name nginx:   $ng"
    awk -v n="$name" -v a="${gw%% *}" -v b="${ng%% *}" 'BEGIN{ printf "RESULT %s gateway_rps=%s nginx_rps=%s ratio=%.2f\n", n, a, b, (b>0?a/b:0) }'
}
echo "wrk: $BENCH_THREADS thread(s), $BENCH_CONNS connections, ${BENCH_DURATION}s; median of $REPS runs"
echo "columns: rps p50_ms p99_ms errors cpu... (keep-alive) / rps p99_ms errors (handshake) / rps errors (h2)"
report tls-keepalive ka
report tls-handshake hs
report h2 h2
# Resident memory after all runs: the gateway's peak, and how much of it is its own (anonymous) memory.
awk '/^(VmHWM|RssAnon|RssFile):/ { v[$1] = $2 / 1024 }
     END { printf "RESULT memory gateway_peak_mb=%.1f anon_mb=%.1f file_mb=%.1f\n", v["VmHWM:"], v["RssAnon:"], v["RssFile:"] }' \
    "/proc/$GATEWAY_PID/status"
nginx_worker=$(pgrep -P "$NGINX_PID" | head -1)
[ -n "$nginx_worker" ] && awk '/^(VmHWM|RssAnon|RssFile):/ { v[$1] = $2 / 1024 }
     END { printf "RESULT memory nginx_worker_peak_mb=%.1f anon_mb=%.1f file_mb=%.1f\n", v["VmHWM:"], v["RssAnon:"], v["RssFile:"] }' \
    "/proc/$nginx_worker/status"
runs_fail_loudly 4 "keep-alive" "$BENCH_WORK/gw.ka" "$BENCH_WORK/ng.ka"
runs_fail_loudly 3 "handshake" "$BENCH_WORK/gw.hs" "$BENCH_WORK/ng.hs"
runs_fail_loudly 2 "h2" "$BENCH_WORK/gw.h2" "$BENCH_WORK/ng.h2"
runs_exit
