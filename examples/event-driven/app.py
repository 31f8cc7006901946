"""The consumer of the `orders` queue in examples/event-driven: OrderPlaced messages into a SQLite table.

It gets SQS batches as Lambda's event source mapping sends them, stores each order in the table `orders` of the file
named by $ORDERS_DB (keyed by the message id, so a message delivered twice is stored once), and names the records it
cannot process in `batchItemFailures`: only those are retried, and dead-lettered after the queue's maxReceiveCount.
Standard library only; run by AWS's runtime client: `python3 -m awslambdaric app.handler`.
"""
import json
import os
import sqlite3

DB = sqlite3.connect(os.environ["ORDERS_DB"])
DB.execute("""CREATE TABLE IF NOT EXISTS orders (
    message_id TEXT PRIMARY KEY,
    order_id TEXT NOT NULL,
    items TEXT NOT NULL,
    total REAL NOT NULL,
    stored_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))""")
DB.commit()


class Rejected(Exception):
    """An order that cannot be processed as it is: retrying it will not help."""


def parse(body):
    """(orderId, items, total) of an OrderPlaced body, or Rejected saying why not."""
    try:
        order = json.loads(body)
    except ValueError as error:
        raise Rejected(f"the body is not JSON: {error}") from None
    if not isinstance(order, dict):
        raise Rejected("the body is not a JSON object")
    order_id, items, total = order.get("orderId"), order.get("items"), order.get("total")
    if not isinstance(order_id, str) or not isinstance(items, list) or not items \
            or isinstance(total, bool) or not isinstance(total, (int, float)):
        raise Rejected("an OrderPlaced event needs orderId, items and total")
    try:
        cents = sum(round(item["qty"] * item["price"] * 100) for item in items)
    except (KeyError, TypeError):
        raise Rejected(f"order {order_id}: every item needs a qty and a price") from None
    if total < 0:
        raise Rejected(f"order {order_id}: negative total {total}")
    if round(total * 100) != cents:
        raise Rejected(f"order {order_id}: total {total} is not the sum of its items ({cents / 100})")
    return order_id, items, total


def handler(event, context):
    failures = []
    with DB:  # one transaction per batch: committed here, rolled back (and the whole batch retried) on an error
        for record in event["Records"]:
            message_id = record["messageId"]
            try:
                order_id, items, total = parse(record["body"])
            except Rejected as error:
                receives = record["attributes"]["ApproximateReceiveCount"]
                print(f"message {message_id} failed (receive {receives}): {error}", flush=True)
                failures.append({"itemIdentifier": message_id})
                continue
            DB.execute("INSERT OR IGNORE INTO orders (message_id, order_id, items, total) VALUES (?, ?, ?, ?)",
                       (message_id, order_id, json.dumps(items), total))
    return {"batchItemFailures": failures}
