"""Heap allocations per request of a gateway preloaded with malloc-count.so (see count.sh).

Usage: per-request.py PID STDERR_FILE PORT PATH [PATH...]
For each path: warm up, then read the process's allocation count (SIGUSR2 makes it print one) before and after
exactly N keep-alive requests on one connection, and print the difference per request. A client that waits for each
response keeps the count exact: no request is in flight when the counter is read.
"""
import http.client, os, re, signal, sys, time

pid, stderr_path, port, paths = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4:]
N, WARMUP = int(os.environ.get("REQUESTS", "5000")), int(os.environ.get("WARMUP", "2000"))

def count():
    before = len(re.findall(r"allocations=(\d+)", open(stderr_path).read()))
    os.kill(pid, signal.SIGUSR2)
    for _ in range(200):
        found = re.findall(r"allocations=(\d+)", open(stderr_path).read())
        if len(found) > before:
            return int(found[-1])
        time.sleep(0.01)
    sys.exit("no allocation count from the gateway")

def run(connection, path, n):
    for _ in range(n):
        connection.request("GET", path, headers={"Host": "bench.test"})
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            sys.exit(f"{path}: status {response.status}")

failed = False
for path in paths:
    connection = http.client.HTTPConnection("127.0.0.1", port)
    run(connection, path, WARMUP)
    time.sleep(0.2)
    start = count()
    run(connection, path, N)
    time.sleep(0.2)
    end = count()
    connection.close()
    print(f"RESULT path={path} requests={N} allocations_per_request={(end - start) / N:.2f}")
