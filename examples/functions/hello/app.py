"""A plain Lambda handler for AWS's Python runtime client: `python3 -m awslambdaric app.handler`.

Works with payload format 1.0 and 2.0 alike: it reads the path parameter and answers a proxy response.
"""
import json
import os


def handler(event, context):
    name = (event.get("pathParameters") or {}).get("name", "world")
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({
            "message": f"{os.environ.get('GREETING', 'hello')}, {name}",
            "format": event.get("version", "1.0"),
            "requestId": context.aws_request_id,
            "function": context.function_name,
        }),
    }
