#!/usr/bin/env bash
# Benchmarks/waf/cost.sh: what a large WAF costs the proxy path: one binary, no WAF vs 20 rules over 100k CIDRs.
#
#   Benchmarks/waf/cost.sh                                  # 5 interleaved rounds of 5 s per config
#   ROUNDS=7 DURATION=10 Benchmarks/waf/cost.sh
#   GATEWAY_BIN=/tmp/portcullis-a GATEWAY_THREADS=1 Benchmarks/waf/cost.sh
#
# The gateway (GATEWAY_BIN, default .build-release/release/portcullis, built only if missing) listens on
# 127.0.0.1:$GW_PORT (8096, admin 9986) with `ANY /{proxy+}` to the static upstream bench_start_upstream starts on
# :9001. gen_config.py writes two configs that differ only in "waf": nowaf (none) and waf: 20 rules (allow, ipSet
# blocks on 50k inline + 50k file CIDRs, 70 % IPv4 /24-/32, 30 % IPv6 /48-/64; path globs, a pathRegex, header and
# query tests, a method list, bodySizeOver, all/any/not, a count rule matching /bench, rate rules keyed on ip
# (limit 1e8 per 10s) and header:x-tenant) of which none blocks the benchmark's GET /bench from 127.0.0.1.
# Before measuring: `portcullis check` must accept the WAF config; every start of it is probed with curl (GET /bench
# → 200; attack requests and addresses from each set via X-Forwarded-For → 403), and the time from start to
# /healthz answering is recorded. Each round starts each config in turn (alternating order), warms up 1 s, then runs
# wrk (1 thread, 50 connections, keep-alive, DURATION s). Per run: rps, the gateway's CPU per request (µs, /proc
# ticks), p99, VmRSS after the run, start-to-ready time. GET /waf before and after the run must show no rule
# blocking and watch-bench counting. SUMMARY: medians, waf/nowaf, the spread and the median of per-round ratios.
# Exit: 0 ok; 1 setup failure (a refused config: its diagnostics are printed); 3 a run with socket errors, non-2xx,
# no result, a failed probe or a WAF that blocked benchmark requests.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$root/Benchmarks/waf
shared=${SHARED:-$root/../shared}
. "$shared/bench/lib.sh"
. "$root/Benchmarks/lib/gateway-bin.sh"
. "$root/Benchmarks/lib/runs-check.sh"
ROUNDS=${ROUNDS:-5}
BENCH_DURATION=${DURATION:-5}
BENCH_THREADS=1
BENCH_CONNS=50
UPSTREAM_PORT=9001
GW_PORT=${GW_PORT:-8096}
ADMIN_PORT=${ADMIN_PORT:-9986}

bench_ensure nginx:nginx wrk:wrk python3:python3 curl:curl
gateway_bin_ensure "$root"
bench_install_trap
bench_workdir
for port in "$GW_PORT" "$ADMIN_PORT"; do bench_port_busy "$port" && bench_die "127.0.0.1:$port is already in use"; done
python3 "$here/gen_config.py" "$BENCH_WORK" "$GW_PORT" "$ADMIN_PORT" "$UPSTREAM_PORT" >"$BENCH_WORK/samples" \
    || bench_die "gen_config.py failed"
for config in nowaf waf; do
    t0=$(date +%s%N)
    "$GATEWAY_BIN" check "$BENCH_WORK/$config.json" >"$BENCH_WORK/check-$config.out" 2>&1 \
        || { sed 's/^/    /' "$BENCH_WORK/check-$config.out" >&2; bench_die "portcullis check refused $config.json"; }
    echo "check $config.json: $(cat "$BENCH_WORK/check-$config.out") in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
done
echo "waf.json: $(du -k "$BENCH_WORK/waf.json" | cut -f1) KB with 50k inline CIDRs; blocked.txt: $(grep -vc '^#' "$BENCH_WORK/blocked.txt") CIDRs"
bench_start_upstream

url=http://127.0.0.1:$GW_PORT
# probe: every check the WAF config must pass after a start ("expected-status curl-args..."); nowaf needs only the first.
probes=("200 $url/bench" "403 $url/admin/x" "403 $url/wp-content/a/b" "403 $url/a/b.php" "403 $url/.git/config"
        "403 -A sqlmap/1.7 $url/bench" "403 -A Nikto/2.5 $url/bench" "403 -H x-debug:1 $url/bench"
        "403 $url/bench?debug" "403 $url/bench?id=1%20UNION%20SELECT%20x" "403 $url/bench?action=delete"
        "403 -X TRACE $url/bench" "403 $url/internal/x" "200 -H x-internal-token:s3cret $url/internal/x"
        "403 -X POST --data-binary @$BENCH_WORK/big.bin $url/bench" "403 -0 -H Host: $url/bench"
        "200 -H x-tenant:acme $url/bench" "200 $url/healthcheck")
head -c 1500000 /dev/zero >"$BENCH_WORK/big.bin"
while read -r set family address; do probes+=("403 -H x-forwarded-for:$address $url/bench"); done <"$BENCH_WORK/samples"
probe() {
    local config=$1 p code failed=0 -
    set -f   # the URLs hold "?": no globbing of the unquoted curl arguments
    for p in "${probes[@]}"; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 ${p#* }) || true
        [ "$code" = "${p%% *}" ] || { bench_log "probe $config: curl ${p#* } answered $code, expected ${p%% *}"; failed=1; }
        [ "$config" = nowaf ] && break
    done
    return $failed
}
# waf_totals FILE: "rule matched blocked counted" lines from GET /waf.
waf_totals() {
    curl -sf "http://127.0.0.1:$ADMIN_PORT/waf" | python3 -c '
import json, sys
for r in json.load(sys.stdin)["rules"]: print(r["name"], r["matched"], r["blocked"], r["counted"])' >"$1"
}

# run NAME: one start of one config, its probes and its measured wrk run; appends to results and errors.runs.
run() {
    local name=$1 pid t0 ready line rps p50 p99 errors wrkcpu gwcpu rss bad=0
    t0=$(date +%s%N)
    "$GATEWAY_BIN" serve --config "$BENCH_WORK/$name.json" --threads "${GATEWAY_THREADS:-1}" >"$BENCH_WORK/gateway-$name.log" 2>&1 &
    pid=$!; BENCH_PIDS+=("$pid")
    until curl -sf -o /dev/null "http://127.0.0.1:$ADMIN_PORT/healthz"; do
        kill -0 "$pid" 2>/dev/null && [ $(( $(date +%s%N) - t0 )) -lt 60000000000 ] \
            || { sed 's/^/    /' "$BENCH_WORK/gateway-$name.log" >&2; bench_die "$name did not become ready"; }
        sleep 0.01
    done
    ready=$(( ($(date +%s%N) - t0) / 1000000 ))
    probe "$name" || bad=1
    BENCH_DURATION=1 bench_wrk "$url/bench" >/dev/null
    [ "$name" = waf ] && waf_totals "$BENCH_WORK/waf-before"
    line=$(bench_wrk "$url/bench" "gw=$pid")
    read -r rps p50 p99 errors wrkcpu gwcpu <<<"$line"
    rss=$(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status")
    if [ "$name" = waf ]; then
        # During the run no rule may block, and watch-bench must count (about) every request.
        waf_totals "$BENCH_WORK/waf-after"
        paste -d' ' "$BENCH_WORK/waf-before" "$BENCH_WORK/waf-after" | awk -v rps="$rps" -v d="$BENCH_DURATION" '
            $7 != $3 { print "[bench] rule " $1 " blocked " $7 - $3 " benchmark requests" > "/dev/stderr"; bad = 1 }
            $1 == "watch-bench" && ($8 - $4) < 0.9 * rps * d { print "[bench] watch-bench counted only " $8 - $4 > "/dev/stderr"; bad = 1 }
            END { exit bad }' || bad=1
    fi
    bench_stop "$pid"
    [ "$errors" = fail ] || [ "$bad" = 0 ] || errors=probe
    echo "$name $round $errors" >>"$BENCH_WORK/errors.runs"
    [ "$errors" = fail ] && return
    awk -v n="$name" -v r="$round" -v rps="$rps" -v c="${gwcpu#gw=}" -v p99="$p99" -v rss="$rss" -v ready="$ready" \
        'BEGIN { c += 0; printf "%s %d %.0f %.2f %s %s %s\n", n, r, rps, (c / 100) * 1e6 / rps, p99, rss, ready }' \
        >>"$BENCH_WORK/results"
    tail -1 "$BENCH_WORK/results" | awk '{ print "RESULT " $1 " round=" $2 " rps=" $3 " cpu_us_per_req=" $4 " p99_ms=" $5 " rss_mb=" $6 " ready_ms=" $7 }'
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ), ${GATEWAY_THREADS:-1} event loop(s), $ROUNDS rounds of ${BENCH_DURATION}s"
: >"$BENCH_WORK/results"; : >"$BENCH_WORK/errors.runs"
for round in $(seq "$ROUNDS"); do
    order="nowaf waf"; [ $((round % 2)) = 0 ] && order="waf nowaf"
    for name in $order; do run "$name"; done
done

echo "SUMMARY config  median_rps  cpu_us/req  p99_ms  rss_mb  ready_ms"
awk '
    function median(list,   n, a, i, j, t) {
        n = split(list, a, " ")
        for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    { for (k = 3; k <= 7; k++) col[$1, k] = col[$1, k] " " $k; rps[$1, $2] = $3; cpu[$1, $2] = $4; rounds[$2] = 1 }
    END {
        for (i = 1; i <= 2; i++) {
            n = i == 1 ? "nowaf" : "waf"
            printf "SUMMARY %-6s %10.0f %11.2f %7.3f %7.0f %9.0f\n", n, median(col[n, 3]), median(col[n, 4]),
                median(col[n, 5]), median(col[n, 6]), median(col[n, 7])
        }
        lo = clo = 1e9; hi = chi = 0
        for (r in rounds) if ((("waf", r) in rps) && (("nowaf", r) in rps)) {
            q = rps["waf", r] / rps["nowaf", r]; if (q < lo) lo = q; if (q > hi) hi = q
            c = cpu["waf", r] / cpu["nowaf", r]; if (c < clo) clo = c; if (c > chi) chi = c
            qs = qs " " q; cs = cs " " c
        }
        printf "SUMMARY waf/nowaf rps %.3f (per-round %.3f-%.3f)  cpu/req %.3f (per-round %.3f-%.3f)\n",
            median(col["waf", 3]) / median(col["nowaf", 3]), lo, hi,
            median(col["waf", 4]) / median(col["nowaf", 4]), clo, chi
        # Each round runs both configs back to back, so its ratio shares the noise of that moment: steadier than
        # the ratio of medians on a machine whose speed drifts between rounds.
        printf "SUMMARY median of per-round ratios: rps %.3f  cpu/req %.3f\n", median(qs), median(cs)
    }' "$BENCH_WORK/results"
runs_fail_loudly 3 "WAF cost runs" "$BENCH_WORK/errors.runs"
runs_exit
