#!/usr/bin/env python3
"""gen_config.py DIR GW_PORT ADMIN_PORT UPSTREAM_PORT RATE BURST KEYS PORTCULLIS: writes the limit benchmarks' configs.

accuracy.json: GET /limited (mock) with a route throttle of RATE/BURST, and GET /keyed (mock, apiKeyRequired) whose
usage plan gives each of KEYS keys RATE/KEYS per second with a burst of BURST/KEYS (so the keys together get the same
limit as /limited); keys.txt holds the key values (made with `portcullis keys new`), one a line.
plain.json and limited.json (the cost benchmark): ANY /{proxy+} to the static upstream, without limits and with
apiKeyRequired, a plan throttle and a quota far above what a run can use (nothing is refused).
"""
import json, subprocess, sys

out, gw, admin, upstream, rate, burst, keys, binary = sys.argv[1:9]
rate, burst, keys = float(rate), int(burst), int(keys)
values = []
entries = []
for i in range(keys):
    line = subprocess.run([binary, "keys", "new", "--name", f"k{i}"], check=True, capture_output=True, text=True).stdout
    key = json.loads(line)
    values.append(key["value"])
    entries.append({"name": key["name"], "sha256": key["sha256"], "plan": "bench"})
with open(f"{out}/keys.txt", "w") as f:
    f.write("\n".join(values) + "\n")

base = {"listen": {"http": f"127.0.0.1:{gw}"}, "admin": {"listen": f"127.0.0.1:{admin}"}}
mock = {"type": "mock", "status": 200, "body": "ok\n"}
accuracy = dict(base)
accuracy["apis"] = [{"name": "bench", "routes": [
    {"route": "GET /limited", "integration": mock, "throttle": {"rate": rate, "burst": burst}},
    {"route": "GET /keyed", "integration": mock, "apiKeyRequired": True}]}]
accuracy["usagePlans"] = [{"name": "bench", "apis": ["bench"],
                           "throttle": {"rate": round(rate / keys, 3), "burst": max(1, burst // keys)}}]
accuracy["apiKeys"] = entries
json.dump(accuracy, open(f"{out}/accuracy.json", "w"), indent=1)

proxy = {"type": "http", "url": f"http://127.0.0.1:{upstream}"}
plain = dict(base)
plain["apis"] = [{"name": "bench", "routes": [{"route": "ANY /{proxy+}", "integration": proxy}]}]
json.dump(plain, open(f"{out}/plain.json", "w"), indent=1)
limited = dict(base)
limited["apis"] = [{"name": "bench", "routes": [{"route": "ANY /{proxy+}", "integration": proxy, "apiKeyRequired": True}]}]
limited["usagePlans"] = [{"name": "bench", "apis": ["bench"], "throttle": {"rate": 1000000, "burst": 1000000},
                          "quota": {"limit": 1000000000000, "period": "MONTH"}}]
limited["apiKeys"] = entries[:1]
json.dump(limited, open(f"{out}/limited.json", "w"), indent=1)
