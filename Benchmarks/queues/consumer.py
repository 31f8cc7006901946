# The benchmark's consumer: a no-op for throughput; with LATENCY_OUT, writes each record's delay from its
# SentTimestamp (when the gateway stored it, before the 202) to this invocation, in ms.
import os, time

def handler(event, context):
    out = os.environ.get("LATENCY_OUT")
    if out:
        now = time.time() * 1000
        with open(out, "a") as f:
            for record in event["Records"]:
                f.write("%.3f\n" % (now - int(record["attributes"]["SentTimestamp"])))
    return {"batchItemFailures": []}
