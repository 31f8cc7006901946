"""AWS Lambda Powertools' API Gateway resolvers behind Portcullis: `http` (payload 2.0) and `rest` (payload 1.0).

Run with `python3 -m awslambdaric app.http_handler` or `app.rest_handler`. Powertools refuses an event of the other
format (KeyError), so these prove the events are what real Lambda code expects.
"""
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, APIGatewayRestResolver

# The routes below live under /http and /rest in the example config; the events carry the whole path.
http = APIGatewayHttpResolver(strip_prefixes=["/http"])
rest = APIGatewayRestResolver(strip_prefixes=["/rest"])


def routes(app):
    @app.get("/hello/<name>")
    def hello(name):
        return {"hello": name, "query": app.current_event.query_string_parameters,
                "cookies": getattr(app.current_event, "cookies", None)}

    @app.post("/items")
    def create():
        return {"created": app.current_event.json_body}, 201


routes(http)
routes(rest)


def http_handler(event, context):
    return http.resolve(event, context)


def rest_handler(event, context):
    return rest.resolve(event, context)
