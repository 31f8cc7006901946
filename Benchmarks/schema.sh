#!/usr/bin/env bash
# Benchmarks/schema.sh: the JSON Schema validator against Python's, and a validated route against the same route
# without validation, through the gateway.
#
#   Benchmarks/schema.sh                       # both parts; prints RESULT lines with ratios
#   PARTS=validator SECONDS_PER=5 FORMATS="on off" Benchmarks/schema.sh
#   PARTS=gateway REPS=5 DURATION=10 CONNS=50 GATEWAY_THREADS=1 Benchmarks/schema.sh
#
# Payloads (Benchmarks/schema/gen_payloads.py, fixed seed): order.json, a ~1 KB order (customer, two addresses,
# 5 items, date-times, enums, patterns) for order.schema.json, and items.json, 1000 line items (~115 KB) for
# items.schema.json; both draft 2020-12 and valid (we measure the path a good request takes).
#
# Validator part: `portcullis schema bench` (release build, compiled once, then the file's bytes checked with the
# gateway's 50-error cap) against `jsonschema` (Draft202012Validator.is_valid) and `fastjsonschema` (compiled once)
# in a venv under Benchmarks/schema/.venv (created here, gitignored). Every Python figure starts from the bytes with
# json.loads. Swift "from-bytes" is the gateway's path (the one-pass check, with parse -> validate only when it is
# not certain); "from-bytes-tree" always parses into a tree and evaluates it; "preparsed" compares validation of an
# instance parsed once on both sides. FORMATS=on (default) asserts
# formats everywhere, as the gateway does: Swift --format-assertion, jsonschema FormatChecker() with
# rfc3339-validator installed (without it date-time is silently unchecked), fastjsonschema use_formats=True.
#
# Gateway part: ../shared/bench/lib.sh starts the static upstream on :9001; the gateway (127.0.0.1:8090, admin
# :9990) serves POST /validated (validate.body = #/models/Order) and POST /plain, identical otherwise, both
# forwarding to it, plus the same pair on mock integrations. wrk POSTs order.json (Content-Type: application/json)
# with Benchmarks/schema/post.lua; runs are interleaved, median of REPS. A run with socket errors or non-2xx
# responses (any run, not only a median one) makes the script exit 3 after the results.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${SHARED:-$root/../shared}
here=$root/Benchmarks/schema
. "$shared/bench/lib.sh"
. "$here/gateway-config.sh"
. "$root/Benchmarks/lib/runs-check.sh"

PARTS=${PARTS:-validator gateway}
SECONDS_PER=${SECONDS_PER:-3}
FORMATS=${FORMATS:-on}
UPSTREAM_PORT=9001
GW_PORT=8090
ADMIN_PORT=9990
BENCH_DURATION=${DURATION:-8}
BENCH_CONNS=${CONNS:-50}
BENCH_THREADS=${THREADS:-1}
REPS=${REPS:-3}

bench_ensure nginx:nginx wrk:wrk curl:curl python3:python3
bench_install_trap
bench_workdir
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores), $(date -u +%Y-%m-%dT%H:%MZ)"

# Production build, exactly as Benchmarks/run.sh does it.
flags=(-c release --scratch-path "$root/.build-release" --static-swift-stdlib -Xswiftc -enforce-exclusivity=unchecked)
(cd "$root" && swift build "${flags[@]}" --product portcullis >/dev/null)
bin=$(cd "$root" && swift build "${flags[@]}" --show-bin-path)/portcullis

python3 "$here/gen_payloads.py" "$BENCH_WORK"
echo "payloads: order.json $(wc -c <"$BENCH_WORK/order.json") bytes, items.json $(wc -c <"$BENCH_WORK/items.json") bytes"

# ratio A B: A/B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ printf "%.2f", (b>0 ? a/b : 0) }'; }
# field NAME LINE: the value of NAME=... in LINE.
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" <<<"$2"; }

validator_part() {
    local venv=$here/.venv
    if [ ! -x "$venv/bin/python" ]; then
        bench_log "creating $venv (jsonschema, fastjsonschema, rfc3339-validator)"
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q jsonschema fastjsonschema rfc3339-validator >/dev/null
    fi
    echo "python: $("$venv/bin/python" --version 2>&1), $("$venv/bin/pip" list 2>/dev/null \
        | awk '$1=="jsonschema"||$1=="fastjsonschema"||$1=="rfc3339-validator"{printf "%s %s ", $1, $2}')"
    local formats payload schema file flag out s sv j jv f fv
    for formats in $FORMATS; do
        flag=(); [ "$formats" = on ] && flag=(--format-assertion)
        for payload in order items; do
            schema=$here/$payload.schema.json file=$BENCH_WORK/$payload.json
            echo "== $payload ($(wc -c <"$file") bytes), formats $formats, ${SECONDS_PER}s per measurement"
            out=$("$bin" schema bench "$schema" "$file" --seconds "$SECONDS_PER" "${flag[@]}")
            out+=$'\n'$("$bin" schema bench "$schema" "$file" --seconds "$SECONDS_PER" --tree "${flag[@]}")
            out+=$'\n'$("$bin" schema bench "$schema" "$file" --seconds "$SECONDS_PER" --preparsed "${flag[@]}")
            out+=$'\n'$("$venv/bin/python" "$here/bench.py" "$schema" "$file" --seconds "$SECONDS_PER" "${flag[@]}")
            echo "$out"
            pick() { field validations_per_s "$(grep "^$1 $2 " <<<"$out")"; }
            s=$(pick swift from-bytes) st=$(pick swift parse+validate) sv=$(pick swift validate)
            j=$(pick "python jsonschema" parse+validate) jv=$(pick "python jsonschema" validate)
            f=$(pick "python fastjsonschema" parse+validate) fv=$(pick "python fastjsonschema" validate)
            echo "RESULT schema-$payload formats=$formats from-bytes swift=$s jsonschema=$j fastjsonschema=$f" \
                 "vs_jsonschema=$(ratio "$s" "$j")x vs_fastjsonschema=$(ratio "$s" "$f")x"
            echo "RESULT schema-$payload formats=$formats from-bytes-tree swift=$st jsonschema=$j fastjsonschema=$f" \
                 "vs_jsonschema=$(ratio "$st" "$j")x vs_fastjsonschema=$(ratio "$st" "$f")x"
            echo "RESULT schema-$payload formats=$formats preparsed swift=$sv jsonschema=$jv fastjsonschema=$fv" \
                 "vs_jsonschema=$(ratio "$sv" "$jv")x vs_fastjsonschema=$(ratio "$sv" "$fv")x"
        done
    done
}

# wrk_post URL [ROLE=PID ...]: like bench_wrk, POSTing order.json with post.lua; prints rps p50_ms p99_ms errors cpu...
wrk_post() {
    local url=$1; shift
    local out="$BENCH_WORK/wrk-post.out" pair i=0 cpu="" t0 t1 wall
    local -a before=()
    for pair in "$@"; do before+=("$(bench_ticks "${pair#*=}")"); done
    t0=$(date +%s%N)
    timeout --kill-after=5 $(( BENCH_DURATION + 30 )) wrk -t"$BENCH_THREADS" -c"$BENCH_CONNS" -d"${BENCH_DURATION}s" \
        --latency -s "$here/post.lua" "$url" -- "$BENCH_WORK/order.json" >"$out" 2>&1 || true
    t1=$(date +%s%N)
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b-a)/1e9}')
    for pair in "$@"; do
        cpu+=" ${pair%%=*}=$(awk -v d=$(( $(bench_ticks "${pair#*=}") - before[i] )) -v hz="$CLK_TCK" -v w="$wall" \
            'BEGIN{printf "%.0f%%", 100*d/hz/w}')"
        i=$((i+1))
    done
    local rps p50 p99 non2xx sockerr
    rps=$(awk '/^Requests\/sec:/{print $2}' "$out")
    p50=$(awk '$1=="50%"{print $2}' "$out"); p99=$(awk '$1=="99%"{print $2}' "$out")
    non2xx=$(awk -F: '/Non-2xx/{gsub(/ /,"",$2); print $2}' "$out")
    sockerr=$(awk '/Socket errors/{s=0; for(i=1;i<=NF;i++) if ($i ~ /^[0-9]+,?$/) s+=$i; print s}' "$out")
    [ -n "$rps" ] || { bench_log "wrk produced no result for $url:"; sed 's/^/    /' "$out" >&2; echo "0 0 0 fail$cpu"; return 0; }
    echo "$rps $(bench_to_ms "$p50") $(bench_to_ms "$p99") $(( ${non2xx:-0} + ${sockerr:-0} ))$cpu"
}

gateway_part() {
    bench_port_busy "$GW_PORT" && bench_die "127.0.0.1:$GW_PORT is already in use"
    bench_start_upstream
    schema_gateway_config "$GW_PORT" "$ADMIN_PORT" "$UPSTREAM_PORT" >"$BENCH_WORK/gateway.json"
    "$bin" check "$BENCH_WORK/gateway.json" >/dev/null || bench_die "gateway.json rejected (see above)"
    bench_start gateway "$bin" serve --config "$BENCH_WORK/gateway.json" --threads "${GATEWAY_THREADS:-1}"
    GATEWAY_PID=$BENCH_LAST_PID
    bench_wait_port "$GW_PORT" "$GATEWAY_PID" 30 || bench_die "gateway did not open $GW_PORT (see $BENCH_WORK/gateway.log)"

    local base=http://127.0.0.1:$GW_PORT path code names=(validated plain mock-validated mock-plain)
    local -A urls=([validated]=$base/validated [plain]=$base/plain [mock-validated]=$base/mock/validated
                   [mock-plain]=$base/mock/plain)
    for path in "${names[@]}"; do
        code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
            --data-binary @"$BENCH_WORK/order.json" "${urls[$path]}")
        [ "$code" = 200 ] || bench_die "POST ${urls[$path]} answered $code (expected 200)"
    done
    # The same route must reject a bad order, or we would be timing a route that does not validate.
    code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data '{"id":1}' "$base/validated")
    [ "$code" = 400 ] || bench_die "POST /validated with an invalid order answered $code (expected 400)"

    for path in "${names[@]}"; do timeout 20 wrk -t1 -c"$BENCH_CONNS" -d2s -s "$here/post.lua" "${urls[$path]}" \
        -- "$BENCH_WORK/order.json" >/dev/null 2>&1 || true; done
    for path in "${names[@]}"; do : >"$BENCH_WORK/$path.runs"; done
    for r in $(seq "$REPS"); do
        bench_log "rep $r/$REPS (load $(cut -d' ' -f1 /proc/loadavg))"
        for path in "${names[@]}"; do
            wrk_post "${urls[$path]}" gateway="$GATEWAY_PID" upstream="$UPSTREAM_PID" >>"$BENCH_WORK/$path.runs"
        done
    done
    echo "== gateway: wrk $BENCH_THREADS thread(s), $BENCH_CONNS connections, ${BENCH_DURATION}s, POST order.json," \
         "${GATEWAY_THREADS:-1} event loop(s); median of $REPS interleaved runs"
    echo "columns: rps p50_ms p99_ms errors cpu..."
    for path in "${names[@]}"; do
        sed "s/^/  $path run: /" "$BENCH_WORK/$path.runs"
        echo "$path median: $(bench_median_line <"$BENCH_WORK/$path.runs")"
    done
    local v p mv mp
    v=$(bench_median_line <"$BENCH_WORK/validated.runs"); p=$(bench_median_line <"$BENCH_WORK/plain.runs")
    mv=$(bench_median_line <"$BENCH_WORK/mock-validated.runs"); mp=$(bench_median_line <"$BENCH_WORK/mock-plain.runs")
    echo "RESULT gateway-http validated_rps=${v%% *} plain_rps=${p%% *} ratio=$(ratio "${v%% *}" "${p%% *}")x"
    echo "RESULT gateway-mock validated_rps=${mv%% *} plain_rps=${mp%% *} ratio=$(ratio "${mv%% *}" "${mp%% *}")x"
    # Every run, not only the medians above: any error or non-2xx makes the script exit 3 at the end.
    for path in "${names[@]}"; do runs_fail_loudly 4 "gateway $path" "$BENCH_WORK/$path.runs"; done
}

for part in $PARTS; do "${part}_part"; done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
runs_exit
