-- wrk: POST a small JSON order to every request.
wrk.method = "POST"
wrk.body = '{"orderId": "a1b2c3", "items": [{"sku": "X-1", "qty": 2}], "total": 19.90}'
wrk.headers["Content-Type"] = "application/json"
