# Sourced by Benchmarks/edge-ab.sh and Benchmarks/instructions/ab.sh: the config both measure.
#
# edge_bench_config DIR GW_PORT TLS_PORT UPSTREAM_PORT: writes DIR/gateway.json (the validated-route config of
# Benchmarks/schema with an HTTPS listener and a catch-all proxy route added) and DIR/cert.pem, DIR/key.pem
# (TLS 1.3, ECDSA P-256). Returns non-zero when openssl or the config generation fails.
edge_bench_config() {
    local dir=$1 gw_port=$2 tls_port=$3 upstream_port=$4 here
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    . "$here/schema/gateway-config.sh"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 \
        -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1 || return 1
    schema_gateway_config "$gw_port" 9991 "$upstream_port" | python3 -c '
import json, sys
config = json.load(sys.stdin)
config["listen"]["https"] = "127.0.0.1:'"$tls_port"'"
config["tls"] = {"certificates": [{"cert": "cert.pem", "key": "key.pem"}], "minVersion": "1.3"}
config["apis"][0]["routes"].append({"route": "ANY /{proxy+}",
                                    "integration": {"type": "http", "url": "http://127.0.0.1:'"$upstream_port"'"}})
json.dump(config, sys.stdout)' >"$dir/gateway.json"
}
