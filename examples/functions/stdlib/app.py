"""The example handler behind the default gateway.json's `GET /hello/{name}`: an API Gateway 2.0 proxy response."""
import json
import os


def handler(event, context):
    name = (event.get("pathParameters") or {}).get("name", "world")
    greeting = os.environ.get("GREETING", "hello")
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"message": f"{greeting}, {name}", "requestId": context.aws_request_id}),
    }
