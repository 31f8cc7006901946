#!/usr/bin/env python3
"""Benchmarks/waf/rate_client.py: the paced client and the analysis of Benchmarks/waf/accuracy.sh.

  rate_client.py send HOST:PORT PATH RATE SECONDS CONNS OUT.tsv
      Open-loop load: request i is due at t0 + i/RATE (i = 0 .. RATE*SECONDS-1), spread round-robin over CONNS
      keep-alive connections (one thread each, http.client). A request due while its connection is still busy goes
      out late (its lateness is logged). Writes one line per request: "i due send recv status" (seconds since t0,
      status 0 = socket error).
  rate_client.py analyze OUT.tsv LIMIT WINDOW_S
      Prints per fixed window (aligned to the first request) admitted (200) / blocked (403) and the deviation from
      LIMIT, then the most admitted requests in any window of WINDOW_S sliding over the admitted send times.
      RESULT lines on stdout. Exit 0 ok, 3 bad run (socket errors, statuses other than 200/403, unsteady pacing),
      4 inaccurate (a deviation beyond +-1 %, or a sliding window over LIMIT).
"""
import http.client
import sys
import threading
import time
from collections import deque


def send(target, path, rate, seconds, conns, out):
    host, port = target.rsplit(":", 1)
    total = int(rate * seconds)
    records = [None] * total
    t0 = time.perf_counter() + 0.2  # every thread starts from the same instant

    def worker(k):
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        for i in range(k, total, conns):
            due = i / rate
            delay = t0 + due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            sent = time.perf_counter() - t0
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=10)
            records[i] = (i, due, sent, time.perf_counter() - t0, status)
        conn.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(conns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(out, "w") as f:
        for r in records:
            f.write("%d %.6f %.6f %.6f %d\n" % r)


def analyze(path, limit, window):
    rows = [line.split() for line in open(path)]
    rows = [(float(due), float(sent), float(recv), int(status)) for _, due, sent, recv, status in rows]
    bad = 0
    errors = sum(1 for r in rows if r[3] == 0)
    others = sum(1 for r in rows if r[3] not in (0, 200, 403))
    late = sorted(r[1] - r[0] for r in rows)
    p99_late, max_late = late[int(0.99 * (len(late) - 1))] * 1e3, late[-1] * 1e3
    latency = sorted(r[2] - r[1] for r in rows)
    print("RESULT requests=%d socket_errors=%d other_status=%d lateness_p99_ms=%.2f lateness_max_ms=%.2f "
          "latency_p50_ms=%.3f latency_p99_ms=%.3f" % (len(rows), errors, others, p99_late, max_late,
                                                        latency[len(latency) // 2] * 1e3,
                                                        latency[int(0.99 * (len(latency) - 1))] * 1e3))
    if errors or others:
        print("[bench] FAILED: %d socket errors, %d responses neither 200 nor 403" % (errors, others), file=sys.stderr)
        bad = 3
    # Pacing: 1 % of the window late would shift about 1 % of a window's requests into the next one.
    if p99_late > window * 1e3 / 1000 or max_late > window * 1e3 / 100:
        print("[bench] FAILED: pacing not steady (p99 late %.1f ms, max %.1f ms)" % (p99_late, max_late),
              file=sys.stderr)
        bad = 3

    first = min(r[1] for r in rows)
    windows = int(round((max(r[0] for r in rows) - min(r[0] for r in rows)) / window)) or 1
    inaccurate = False
    for k in range(windows):
        lo, hi = first + k * window, first + (k + 1) * window
        inside = [r for r in rows if lo <= r[1] < hi]
        admitted = sum(1 for r in inside if r[3] == 200)
        blocked = sum(1 for r in inside if r[3] == 403)
        deviation = 100.0 * (admitted - limit) / limit
        ok = abs(deviation) <= 1.0
        inaccurate |= not ok
        print("RESULT window=%d sent=%d admitted=%d blocked=%d deviation_pct=%+.2f %s"
              % (k + 1, len(inside), admitted, blocked, deviation, "ok" if ok else "OFF"))

    # Sliding window over the admitted send times: the tightest LIMIT+1 consecutive admitted requests must span
    # at least WINDOW. span_bound uses the latest response of those requests instead (the gateway decided each
    # request between its send and its response), so it is free of the client's timing jitter.
    admitted = sorted((r[1], r[2]) for r in rows if r[3] == 200)
    sends = [a[0] for a in admitted]
    most, j = 0, 0
    for i in range(len(sends)):
        while sends[i] - sends[j] >= window:
            j += 1
        most = max(most, i - j + 1)
    span = span_bound = float("inf")
    recv_max = deque()  # indices of the running maximum of response times over LIMIT+1 admitted requests
    for i in range(len(admitted)):
        while recv_max and admitted[recv_max[-1]][1] <= admitted[i][1]:
            recv_max.pop()
        recv_max.append(i)
        start = i - limit
        if start < 0:
            continue
        while recv_max[0] < start:
            recv_max.popleft()
        span = min(span, sends[i] - sends[start])
        span_bound = min(span_bound, admitted[recv_max[0]][1] - sends[start])
    fmt = lambda x: "none" if x == float("inf") else "%.4f" % x
    print("RESULT sliding_window_s=%g max_admitted=%d limit=%d min_span_of_limit_plus_1_s=%s "
          "min_span_bound_s=%s %s" % (window, most, limit, fmt(span), fmt(span_bound),
                                       "ok" if most <= limit else "OVER"))
    if most > limit:
        inaccurate = True
        if span_bound >= window:
            print("[bench] note: the sliding maximum is over the limit on send times only; with each request's "
                  "response time it is not, so this may be client timing jitter", file=sys.stderr)
    if inaccurate:
        print("[bench] FAILED: rate rule inaccurate (see OFF/OVER above)", file=sys.stderr)
    return bad or (4 if inaccurate else 0)


if __name__ == "__main__":
    if len(sys.argv) == 8 and sys.argv[1] == "send":
        send(sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]), sys.argv[7])
    elif len(sys.argv) == 5 and sys.argv[1] == "analyze":
        sys.exit(analyze(sys.argv[2], int(sys.argv[3]), float(sys.argv[4])))
    else:
        sys.exit(__doc__)
