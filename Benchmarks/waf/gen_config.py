#!/usr/bin/env python3
"""Benchmarks/waf/gen_config.py WORKDIR GW_PORT ADMIN_PORT UPSTREAM_PORT: the two configs of Benchmarks/waf/cost.sh.

Writes WORKDIR/nowaf.json (`ANY /{proxy+}` to the upstream), WORKDIR/waf.json (the same plus a WAF of 20 rules over
100,000 CIDRs: 50,000 inline in the JSON, 50,000 in WORKDIR/blocked.txt; 70 % IPv4 /24-/32, 30 % IPv6 /48-/64,
none covering 127.0.0.0/8, ::1 or ::ffff:0:0/96) and, on stdout, one address inside each set and family as
"SET FAMILY ADDRESS" lines, for the blocking checks. Seeded: every run builds the same sets.
"""
import ipaddress
import json
import random
import sys

work, gw_port, admin_port, upstream_port = sys.argv[1:5]
rng = random.Random(20261206)


def v4():
    while True:
        prefix = rng.randint(24, 32)
        net = ipaddress.IPv4Network((rng.getrandbits(32) >> (32 - prefix) << (32 - prefix), prefix))
        if net.network_address.packed[0] not in (0, 127):
            return net


def v6():  # global unicast 2000::/3 only: never ::1 or the IPv4-mapped range
    prefix = rng.randint(48, 64)
    bits = (0b001 << 125) | rng.getrandbits(125)
    return ipaddress.IPv6Network((bits >> (128 - prefix) << (128 - prefix), prefix))


def cidr_set(n4, n6):
    nets = set()
    while len(nets) < n4:
        nets.add(v4())
    while len(nets) < n4 + n6:
        nets.add(v6())
    return sorted(nets, key=lambda n: (n.version, n))


inline, from_file = cidr_set(35000, 15000), cidr_set(35000, 15000)
with open(f"{work}/blocked.txt", "w") as f:
    f.write("# 50,000 generated networks for Benchmarks/waf/cost.sh\n")
    f.writelines(f"{n}\n" for n in from_file)
for name, nets in (("inline", inline), ("file", from_file)):
    for version in (4, 6):
        net = rng.choice([n for n in nets if n.version == version])
        print(name, f"ipv{version}", net.network_address + (1 if net.num_addresses > 1 else 0))

# ECMA-262 has no inline flags ("(?i)" is refused): one rule spells case out, the other uses "ignoreCase".
header = lambda name, test, value, **extra: {"header": {"name": name, test: value, **extra}}
query = lambda name, test, value: {"query": {"name": name, test: value}}
rules = [
    {"name": "health-allow", "match": {"all": [{"path": "/healthcheck"}, {"method": "GET"}]}, "action": "allow"},
    {"name": "blocked-inline", "match": {"ipSet": "blocked-inline"}, "action": "block"},
    {"name": "blocked-file", "match": {"ipSet": "blocked-file"}, "action": "block"},
    {"name": "admin-paths", "match": {"path": "/admin/*"}, "action": "block"},
    {"name": "wordpress", "match": {"path": "/wp-*/**"}, "action": "block"},
    {"name": "php", "match": {"path": "/**/*.php"}, "action": "block"},
    {"name": "dotfiles", "match": {"pathRegex": "^/\\.(git|env|svn|hg)(/|$)"}, "action": "block"},
    {"name": "sqlmap", "match": header("user-agent", "contains", "sqlmap"), "action": "block"},
    {"name": "scanners", "match": header("user-agent", "regex", "nikto|nessus|masscan|zgrab", ignoreCase=True),
     "action": "block"},
    {"name": "no-host", "match": header("host", "present", False), "action": "block"},
    {"name": "debug-header", "match": header("x-debug", "equals", "1"), "action": "block"},
    {"name": "debug-query", "match": query("debug", "present", True), "action": "block"},
    {"name": "sqli-query", "match": query("id", "regex", "[Uu][Nn][Ii][Oo][Nn]\\s+[Ss][Ee][Ll][Ee][Cc][Tt]"), "action": "block"},
    {"name": "delete-query", "match": query("action", "equals", "delete"), "action": "block"},
    {"name": "methods", "match": {"method": ["TRACE", "CONNECT"]}, "action": "block"},
    {"name": "big-bodies", "match": {"all": [{"method": ["POST", "PUT", "PATCH"]}, {"bodySizeOver": "1MB"}]},
     "action": "block"},
    {"name": "internal", "match": {"all": [{"path": "/internal/**"},
                                           {"not": header("x-internal-token", "equals", "s3cret")}]}, "action": "block"},
    {"name": "watch-bench", "match": {"any": [{"path": "/bench"}, {"path": "/login"}]}, "action": "count"},
    {"name": "ip-flood", "rateBased": {"limit": 100000000, "window": "10s", "key": "ip"}, "action": "block"},
    {"name": "tenant-flood", "rateBased": {"limit": 1000, "window": "1m", "key": "header:x-tenant"}, "action": "block"},
]
base = {
    "listen": {"http": f"127.0.0.1:{gw_port}"},
    "admin": {"listen": f"127.0.0.1:{admin_port}"},
    # Both configs believe X-Forwarded-For from loopback, so the checks can send addresses from the sets.
    "trustedProxies": ["127.0.0.1/32"],
    "apis": [{"name": "bench", "routes": [
        {"route": "ANY /{proxy+}", "integration": {"type": "http", "url": f"http://127.0.0.1:{upstream_port}"}}]}],
}
json.dump(base, open(f"{work}/nowaf.json", "w"), indent=1)
base["waf"] = {"ipSets": {"blocked-inline": [str(n) for n in inline], "blocked-file": {"file": "blocked.txt"}},
               "rules": rules, "blockStatus": 403}
json.dump(base, open(f"{work}/waf.json", "w"))
