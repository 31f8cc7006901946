#!/usr/bin/env python3
"""A Lambda custom runtime in the standard library alone (like a `provided` runtime's `bootstrap`).

It polls the Runtime API at $AWS_LAMBDA_RUNTIME_API, calls the handler named by its first argument (else $_HANDLER,
else `app.handler`; the module is looked up in the working directory), and posts the result or the error. Needs
nothing but python3: `python3 bootstrap.py app.handler`.
"""
import http.client
import importlib
import json
import os
import sys
import traceback

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
PREFIX = "/2018-06-01/runtime"


class Context:
    def __init__(self, response):
        # Header names are case-insensitive: getheader matches them so.
        self.aws_request_id = response.getheader("Lambda-Runtime-Aws-Request-Id", "")
        self.invoked_function_arn = response.getheader("Lambda-Runtime-Invoked-Function-Arn", "")
        self.deadline_ms = int(response.getheader("Lambda-Runtime-Deadline-Ms", "0") or 0)
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")


def error_object(error):
    return {"errorMessage": str(error), "errorType": type(error).__name__, "requestId": "",
            "stackTrace": traceback.format_tb(error.__traceback__)}


def post(connection, path, body, headers=None):
    connection.request("POST", PREFIX + path, body=json.dumps(body).encode(), headers=headers or {
        "Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    if response.status >= 300:
        sys.exit(1)


def main():
    sys.path.insert(0, os.getcwd())
    name = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("_HANDLER", "app.handler")
    connection = http.client.HTTPConnection(API)
    try:
        module_name, function_name = name.rsplit(".", 1)
        handler = getattr(importlib.import_module(module_name), function_name)
    except Exception as error:  # reported as the init error, as Lambda runtimes do
        body = error_object(error)
        body["errorType"] = "Runtime.ImportModuleError"
        post(connection, "/init/error", body, {"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"})
        sys.exit(1)
    while True:
        connection.request("GET", PREFIX + "/invocation/next")
        response = connection.getresponse()
        event_bytes = response.read()
        if response.status != 200:
            sys.exit(1)
        context = Context(response)
        if not context.aws_request_id:
            sys.exit(1)
        try:
            result = handler(json.loads(event_bytes), context)
        except Exception as error:
            body = error_object(error)
            body["requestId"] = context.aws_request_id
            print(f"[ERROR] {body['errorType']}: {body['errorMessage']}", flush=True)
            post(connection, f"/invocation/{context.aws_request_id}/error", body)
            continue
        post(connection, f"/invocation/{context.aws_request_id}/response", result)


if __name__ == "__main__":
    main()
