#!/usr/bin/env bash
# Benchmarks/waf/accuracy.sh: how exactly a WAF rate rule with action "block" admits its limit under a flood.
#
#   Benchmarks/waf/accuracy.sh                       # limit 1000 per 10s window, ~1000 requests/s for 3 windows
#   LIMIT=500 WINDOW=20s WINDOWS=3 CONNS=4 Benchmarks/waf/accuracy.sh
#   GATEWAY_BIN=/tmp/portcullis-a Benchmarks/waf/accuracy.sh
#
# The gateway (GATEWAY_BIN, default .build-release/release/portcullis, built only if missing) serves one mock route
# (`ANY /{proxy+}` → 200) on 127.0.0.1:$GW_PORT (8095, admin 9985) behind one rule
#   {"name": "flood", "rateBased": {"limit": LIMIT, "window": WINDOW}, "action": "block"}   (key: the client IP)
# A paced client (rate_client.py: CONNS keep-alive connections, request i due at i/RATE) sends 10 × LIMIT per
# window, from the first request on (no warm-up), for WINDOWS windows, and logs each request's send time, response
# time and status. Since a blocking rate rule counts only admitted requests, each window should admit LIMIT.
# Prints RESULT lines: per fixed window aligned to the first request, admitted (200) and blocked (403) and the
# admitted count's deviation from LIMIT; the most admitted in any WINDOW sliding over the admitted send times;
# the rule's totals from the admin API's GET /waf, checked against the client's counts.
# Exit: 0 ok; 1 setup failure; 3 a bad run (socket errors, statuses other than 200/403, unsteady pacing, totals
# that disagree); 4 inaccurate (a deviation beyond ±1 %, or a sliding window over LIMIT).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$root/Benchmarks/waf
shared=${SHARED:-$root/../shared}
. "$shared/bench/lib.sh"
. "$root/Benchmarks/lib/gateway-bin.sh"
LIMIT=${LIMIT:-1000}
WINDOW=${WINDOW:-10s}
WINDOWS=${WINDOWS:-3}
CONNS=${CONNS:-4}
GW_PORT=${GW_PORT:-8095}
ADMIN_PORT=${ADMIN_PORT:-9985}

case $WINDOW in
    *ms) bench_die "WINDOW must be 10s to 1h" ;;
    *s) window_s=${WINDOW%s} ;; *m) window_s=$(( ${WINDOW%m} * 60 )) ;; *h) window_s=$(( ${WINDOW%h} * 3600 )) ;;
    *) window_s=$WINDOW ;;
esac
rate=$(awk -v l="$LIMIT" -v w="$window_s" 'BEGIN { printf "%.6f", 10 * l / w }')

bench_ensure python3:python3 curl:curl
gateway_bin_ensure "$root"
bench_install_trap
bench_workdir
for port in "$GW_PORT" "$ADMIN_PORT"; do bench_port_busy "$port" && bench_die "127.0.0.1:$port is already in use"; done

cat >"$BENCH_WORK/gateway.json" <<JSON
{ "listen": { "http": "127.0.0.1:$GW_PORT" }, "admin": { "listen": "127.0.0.1:$ADMIN_PORT" },
  "apis": [ { "name": "flood", "routes": [
    { "route": "ANY /{proxy+}", "integration": { "type": "mock", "status": 200, "body": "ok\n" } } ] } ],
  "waf": { "rules": [
    { "name": "flood", "rateBased": { "limit": $LIMIT, "window": "$WINDOW" }, "action": "block" } ] } }
JSON

bench_start gateway "$GATEWAY_BIN" serve --config "$BENCH_WORK/gateway.json" --threads "${GATEWAY_THREADS:-1}"
gw=$BENCH_LAST_PID
for _ in $(seq 300); do
    curl -sf -o /dev/null "http://127.0.0.1:$ADMIN_PORT/healthz" && break
    kill -0 "$gw" 2>/dev/null || break
    sleep 0.1
done
if ! curl -sf -o /dev/null "http://127.0.0.1:$ADMIN_PORT/healthz"; then
    sed 's/^/    /' "$BENCH_WORK/gateway.log" >&2
    bench_die "the gateway did not become ready (its log is above)"
fi

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ); limit $LIMIT per $WINDOW," \
     "client $rate requests/s over $CONNS connections for $WINDOWS windows"
# Half-way through the first window the client's address must be listed as over the limit, until the window's end.
(sleep "$(awk -v w="$window_s" 'BEGIN { print w / 2 + 0.2 }')"; curl -sf "http://127.0.0.1:$ADMIN_PORT/waf" >"$BENCH_WORK/waf-mid.json") &
snapshot=$!
python3 "$here/rate_client.py" send "127.0.0.1:$GW_PORT" /flood "$rate" $(( window_s * WINDOWS )) "$CONNS" \
    "$BENCH_WORK/requests.tsv" || bench_die "the client failed"
python3 "$here/rate_client.py" analyze "$BENCH_WORK/requests.tsv" "$LIMIT" "$window_s"
rc=$?
wait "$snapshot"

# The rule's own totals: every request matched it, and it blocked exactly the 403s the client saw.
curl -sf "http://127.0.0.1:$ADMIN_PORT/waf" >"$BENCH_WORK/waf.json" || { echo "[bench] FAILED: GET /waf" >&2; rc=3; }
python3 - "$BENCH_WORK/waf.json" "$BENCH_WORK/requests.tsv" "$BENCH_WORK/waf-mid.json" <<'PY' || rc=3
import json, sys
rule = next(r for r in json.load(open(sys.argv[1]))["rules"] if r["name"] == "flood")
try:
    mid = next(r for r in json.load(open(sys.argv[3]))["rules"] if r["name"] == "flood")["rateBased"]
    print("RESULT admin_waf_mid_window keys_over_limit=%d keys=%s"
          % (mid["keysOverLimitTotal"], json.dumps(mid["keysOverLimit"], separators=(",", ":"))))
except (OSError, ValueError, StopIteration, KeyError) as e:
    print("[bench] FAILED: no GET /waf snapshot from mid-window (%s)" % e, file=sys.stderr)
    sys.exit(1)
statuses = [int(line.split()[4]) for line in open(sys.argv[2])]
sent, blocked = len(statuses), statuses.count(403)
ok = rule["matched"] == sent and rule["blocked"] == blocked
print("RESULT admin_waf matched=%d blocked=%d allowed=%d counted=%d keys_over_limit=%d (client: sent=%d blocked=%d) %s"
      % (rule["matched"], rule["blocked"], rule["allowed"], rule["counted"], rule["rateBased"]["keysOverLimitTotal"],
         sent, blocked, "ok" if ok else "DISAGREE"))
if not ok:
    print("[bench] FAILED: GET /waf totals disagree with the client's counts", file=sys.stderr)
sys.exit(0 if ok else 1)
PY
kill -0 "$gw" 2>/dev/null || { echo "[bench] FAILED: the gateway died (see $BENCH_WORK/gateway.log)" >&2; rc=3; }
echo "gateway RSS after: $(awk '/VmRSS/ {print int($2/1024)}' /proc/$gw/status 2>/dev/null) MB"
exit "$rc"
