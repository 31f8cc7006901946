#!/usr/bin/env bash
# Benchmarks/tls-close/run.sh [BINARY]: memory held by server-closed TLS connections. Eight client processes open
# fresh TLS connections for 8 s, each sending `Connection: close` and then dropping TCP without a close_notify (as
# most clients do); three rounds; prints the gateway's RSS after each round (6 s after the flood, so anything
# waiting on a timer has had time to go). Loopback only; ports 29180/29181/29443.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
bin=${1:-$root/.build-release/release/portcullis}
work=$(mktemp -d -t portcullis-tls-close.XXXXXX)
cat >"$work/gateway.json" <<JSON
{ "listen": { "http": "127.0.0.1:29180", "https": "127.0.0.1:29443" },
  "tls": { "certificates": [ { "cert": "$root/certs/localhost.crt", "key": "$root/certs/localhost.key" } ] },
  "admin": { "listen": "127.0.0.1:29181" },
  "apis": [ { "name": "t", "routes": [ { "route": "GET /ping", "integration": { "type": "mock", "status": 200, "body": "ok" } } ] } ] }
JSON
"$bin" serve --config "$work/gateway.json" --threads 1 2>"$work/gateway.log" &
gateway=$!
trap 'kill $gateway 2>/dev/null; wait $gateway 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:29181/healthz && break; sleep 0.1; done
rss() { awk '/VmRSS/ {print int($2/1024)}' /proc/$gateway/status; }
python3 "$here/client.py" 1 >/dev/null
echo "RSS before: $(rss) MB"
for round in 1 2 3; do
    pids=()
    for i in $(seq 8); do python3 "$here/client.py" 8 >"$work/n$i" & pids+=($!); done
    wait "${pids[@]}"
    sleep 6
    echo "round $round: RSS $(rss) MB after $(cat "$work"/n* | paste -sd+ | bc) connections"
done
