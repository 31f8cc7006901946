#!/usr/bin/env python3
"""Benchmarks/functions/bench.py: what hosting a function costs, measured against the same handler without the gateway.

    python3 Benchmarks/functions/bench.py [--gateway .build-release/release/portcullis] [--requests 3000]

Handler: examples/functions/stdlib/app.py. Runtime: the stdlib bootstrap, and AWS's awslambdaric when installed.
Measures, in one run (results are printed as RESULT/SUMMARY lines):
  1. Warm latency, one keep-alive connection, sequential requests (p50/p99, ms): the function route through the
     gateway; the same handler called in-process by a Python HTTP server ("direct"); the gateway's mock route (the
     client-to-gateway part alone). Overhead = function - direct.
  2. Cold starts (10 each): spawn -> first GET /next, by the gateway's own metric, against the same runtime started
     by hand beside a minimal Runtime API server in this script ("bare").
  3. Throughput with wrk (5 s) at maxConcurrency 2 and 8 (8 warm workers), against the direct server with as many
     threads, and the gateway's RSS with 8 warm workers (the workers' own memory apart).
Not a timed test: numbers vary with the machine; compare the columns of one run.
"""
import argparse
import http.client
import http.server
import importlib.util
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STDLIB = os.path.join(ROOT, "examples", "functions", "stdlib")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def latencies(port, path, count):
    connection = http.client.HTTPConnection("127.0.0.1", port)
    result = []
    for i in range(count + 100):
        start = time.perf_counter()
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        elapsed = (time.perf_counter() - start) * 1000
        if response.status != 200:
            raise SystemExit(f"GET {path} answered {response.status}")
        if i >= 100:  # warm-up
            result.append(elapsed)
    connection.close()
    return result


def load_handler():
    spec = importlib.util.spec_from_file_location("app", os.path.join(STDLIB, "app.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


class Context:
    aws_request_id = "direct"


def direct_server(port):
    """The same handler behind Python's own HTTP server: what running it without a gateway costs."""
    handler = load_handler()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body leave in separate writes: without this, Nagle and delayed ACKs add 40 ms to each request.
        disable_nagle_algorithm = True

        def do_GET(self):
            name = self.path.rsplit("/", 1)[-1]
            result = handler({"pathParameters": {"name": name}}, Context())
            body = result["body"].encode()
            self.send_response(result["statusCode"])
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):
            pass  # wrk closing its connections at the end of a run

    server = Server(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def wrk(url, connections):
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", "-d5s", url], capture_output=True, text=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return float(match.group(1)) if match else 0.0, int(errors.group(1)) if errors else 0


def metric(admin_port, name):
    connection = http.client.HTTPConnection("127.0.0.1", admin_port)
    connection.request("GET", "/metrics")
    text = connection.getresponse().read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return None


def bare_cold_starts(command, count):
    """Spawn -> first GET /next for the runtime started by hand, with a minimal Runtime API server here."""
    times = []
    for _ in range(count):
        polled = threading.Event()

        class Api(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                polled.set()
                time.sleep(0.2)

            def log_message(self, *args):
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Api)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        env = {"AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.server_address[1]}", "PATH": os.environ["PATH"]}
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=STDLIB, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        polled.wait(10)
        times.append((time.perf_counter() - start) * 1000)
        process.kill()
        process.wait()
        server.shutdown()
        server.server_close()
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gateway", default=os.path.join(ROOT, ".build-release", "release", "portcullis"))
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    if not os.path.exists(args.gateway):
        raise SystemExit(f"no gateway binary at {args.gateway} (build it: swift build -c release --scratch-path .build-release)")
    python = sys.executable
    has_ric = subprocess.run([python, "-c", "import awslambdaric"], capture_output=True).returncode == 0
    runtimes = {"stdlib": [python, "bootstrap.py", "app.handler"]}
    if has_ric:
        runtimes["awslambdaric"] = [python, "-m", "awslambdaric", "app.handler"]

    work = tempfile.mkdtemp(prefix="portcullis-fn-bench-")
    port, admin = free_port(), free_port()
    functions, routes = [], [{"route": "GET /mock", "integration": {"type": "mock", "status": 200, "body": "ok"}}]
    for runtime, command in runtimes.items():
        for concurrency in (2, 8):
            name = f"{runtime}-{concurrency}"
            functions.append({"name": name, "command": command, "workingDirectory": STDLIB, "payloadFormat": "2.0",
                              "provisioned": concurrency, "maxConcurrency": concurrency, "timeout": "10s"})
            routes.append({"route": f"GET /{name}/{{name}}", "integration": {"type": "function", "function": name}})
        cold = f"{runtime}-cold"
        functions.append({"name": cold, "command": command, "workingDirectory": STDLIB, "payloadFormat": "2.0",
                          "provisioned": 0, "maxConcurrency": 1, "idleTimeout": "300ms", "timeout": "10s"})
        routes.append({"route": f"GET /{cold}/{{name}}", "integration": {"type": "function", "function": cold}})
    config = {"listen": {"http": f"127.0.0.1:{port}"}, "admin": {"listen": f"127.0.0.1:{admin}"},
              "functions": functions, "apis": [{"name": "bench", "routes": routes}]}
    with open(os.path.join(work, "gateway.json"), "w") as f:
        json.dump(config, f)
    gateway = subprocess.Popen([args.gateway, "serve", "--config", os.path.join(work, "gateway.json"), "--threads", "1"],
                               stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "gateway.log"), "w"))
    direct_port = free_port()
    direct = direct_server(direct_port)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.1)
        print(f"load before: {open('/proc/loadavg').read().split()[:3]}, {time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())}")

        # 1. Warm latency.
        direct_ms = latencies(direct_port, "/x/ana", args.requests)
        mock_ms = latencies(port, "/mock", args.requests)
        print(f"RESULT latency direct  p50 {statistics.median(direct_ms):.3f} p99 {percentile(direct_ms, 99):.3f} ms")
        print(f"RESULT latency mock    p50 {statistics.median(mock_ms):.3f} p99 {percentile(mock_ms, 99):.3f} ms")
        for runtime in runtimes:
            fn_ms = latencies(port, f"/{runtime}-2/ana", args.requests)
            p50, p99 = statistics.median(fn_ms), percentile(fn_ms, 99)
            print(f"RESULT latency {runtime:12s} p50 {p50:.3f} p99 {p99:.3f} ms")
            print(f"SUMMARY warm overhead ({runtime}) vs direct: p50 {p50 - statistics.median(direct_ms):+.3f} ms, "
                  f"p99 {p99 - percentile(direct_ms, 99):+.3f} ms")

        # 2. Cold starts.
        for runtime, command in runtimes.items():
            before_sum = metric(admin, f'portcullis_function_init_duration_seconds_sum{{function="{runtime}-cold"}}') or 0
            first = []
            for _ in range(10):
                start = time.perf_counter()
                connection = http.client.HTTPConnection("127.0.0.1", port)
                connection.request("GET", f"/{runtime}-cold/ana")
                response = connection.getresponse()
                response.read()
                connection.close()
                first.append((time.perf_counter() - start) * 1000)
                time.sleep(1.2)  # idle past 300 ms: the worker is stopped, the next request starts a new one
            total = metric(admin, f'portcullis_function_init_duration_seconds_sum{{function="{runtime}-cold"}}')
            count = metric(admin, f'portcullis_function_init_duration_seconds_count{{function="{runtime}-cold"}}')
            bare = bare_cold_starts(command, 10)
            gateway_init = (total - before_sum) / count * 1000 if count else float("nan")
            print(f"RESULT cold {runtime:12s} gateway init (spawn -> /next) mean {gateway_init:.1f} ms; first request "
                  f"median {statistics.median(first):.1f} ms; bare spawn -> /next median {statistics.median(bare):.1f} ms")
            print(f"SUMMARY cold start ({runtime}): gateway {gateway_init:.1f} ms vs bare {statistics.median(bare):.1f} ms "
                  f"({gateway_init - statistics.median(bare):+.1f} ms)")

        # 3. Throughput and memory.
        if shutil.which("wrk"):
            for concurrency in (2, 8):
                direct_rps, _ = wrk(f"http://127.0.0.1:{direct_port}/x/ana", concurrency)
                for runtime in runtimes:
                    rps, errors = wrk(f"http://127.0.0.1:{port}/{runtime}-{concurrency}/ana", concurrency)
                    print(f"RESULT throughput {runtime:12s} maxConcurrency {concurrency}: {rps:.0f} rps ({errors} non-2xx), "
                          f"direct server {concurrency} connections: {direct_rps:.0f} rps, ratio {rps / direct_rps:.2f}x")
        rss = [line for line in open(f"/proc/{gateway.pid}/status") if line.startswith(("VmRSS", "VmHWM"))]
        workers = sum(f["provisioned"] for f in functions)
        print(f"RESULT gateway memory with {workers} warm workers: " + ", ".join(l.split(":")[0] + " " + l.split(":")[1].strip() for l in rss))
    finally:
        gateway.terminate()
        gateway.wait(30)
        direct.shutdown()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
