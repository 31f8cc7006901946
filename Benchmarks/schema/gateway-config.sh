# Sourced by Benchmarks/schema.sh and Benchmarks/schema-ab.sh: the gateway.json both measure.
#
# schema_gateway_config GW_PORT ADMIN_PORT UPSTREAM_PORT: prints a config serving POST /validated
# (validate.body = the order model) and POST /plain, identical otherwise, both forwarding to the upstream, plus the
# same pair on mock integrations.
schema_gateway_config() {
    local gw_port=$1 admin_port=$2 upstream_port=$3 here
    here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    echo "{ \"listen\": { \"http\": \"127.0.0.1:$gw_port\" }, \"admin\": { \"listen\": \"127.0.0.1:$admin_port\" },"
    # Inside gateway.json "#" is the config document, so the model's "#/$defs/x" becomes "#/models/Order/$defs/x".
    echo "  \"models\": { \"Order\": $(sed 's|"#/\$defs/|"#/models/Order/$defs/|' "$here/order.schema.json") },"
    cat <<JSON
  "apis": [ { "name": "bench", "routes": [
    { "route": "POST /validated", "integration": { "type": "http", "url": "http://127.0.0.1:$upstream_port" },
      "validate": { "body": { "\$ref": "#/models/Order" } } },
    { "route": "POST /plain", "integration": { "type": "http", "url": "http://127.0.0.1:$upstream_port" } },
    { "route": "POST /mock/validated", "integration": { "type": "mock", "status": 200, "body": "ok\n" },
      "validate": { "body": { "\$ref": "#/models/Order" } } },
    { "route": "POST /mock/plain", "integration": { "type": "mock", "status": 200, "body": "ok\n" } } ] } ] }
JSON
}
