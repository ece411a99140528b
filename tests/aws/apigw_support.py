"""What the API Gateway tests share: functions that echo their event or answer as told,
real HTTP requests to invocation URLs (path form, or the Host header form), and clients."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from lambda_support import create_function, unique

ECHO = """
import json
def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "body": json.dumps(event)}
"""

# Answers with whatever the request's body says to return (a JSON document), or raises.
ANSWER = """
import json, base64, time
def handler(event, context):
    body = event.get("body") or "null"
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    order = json.loads(body)
    if isinstance(order, dict) and "sleep" in order:
        time.sleep(order["sleep"])
        return {"statusCode": 200, "body": "late"}
    if isinstance(order, dict) and "raise" in order:
        raise RuntimeError(order["raise"])
    if isinstance(order, dict) and "return" in order:
        return order["return"]
    return order
"""

# Answers with the length of the body it was given (small answers for large requests).
LENGTH = """
def handler(event, context):
    return {"statusCode": 200, "body": str(len(event.get("body") or ""))}
"""

# A Lambda authorizer (TOKEN, or REQUEST reading X-Token): "allow" is allowed, "deny"
# denied, "unauthorized" refused, "crash" fails. Header names are matched in any case, as
# REST APIs pass them as the client spelled them and HTTP APIs lower-cased.
TOKEN_AUTHORIZER = """
def handler(event, context):
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    token = event.get("authorizationToken") or headers.get("x-token", "")
    if token == "unauthorized":
        raise Exception("Unauthorized")
    if token == "crash":
        raise RuntimeError("boom")
    effect = "Allow" if token == "allow" else "Deny"
    return {"principalId": "user-1", "context": {"plan": "pro"},
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect,
                 "Resource": event["methodArn"]}]}}
"""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    header_list: list[tuple[str, str]]

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    url: str,
    method: str = "GET",
    *,
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
) -> Answer:
    """A real HTTP request; 4xx and 5xx answers are returned, not raised."""
    data = body.encode() if isinstance(body, str) else body
    prepared = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(prepared, timeout=60) as answer:
            raw = answer.read()
            pairs = list(answer.headers.items())
            status = answer.status
    except urllib.error.HTTPError as error:
        raw = error.read()
        pairs = list(error.headers.items())
        status = error.code
    return Answer(status, {k.lower(): v for k, v in pairs}, raw, [(k.lower(), v) for k, v in pairs])


def url(server: Any, api_id: str, path: str = "/") -> str:
    """The path-form invocation URL (`/execute-api/{apiId}/...`)."""
    return f"{server.endpoint}/execute-api/{api_id}{path}"


def host_url(server: Any, api_id: str, path: str = "/") -> tuple[str, dict[str, str]]:
    """The host-form invocation: the URL to connect to and the Host header to send."""
    return f"{server.endpoint}{path}", {"Host": f"{api_id}.execute-api.localhost:{server.port}"}


def function(lam: Any, code: str, prefix: str = "apigw", **settings: Any) -> str:
    """A new function from `code`; its ARN."""
    return str(create_function(lam, unique(prefix), code, **settings)["FunctionArn"])


def uri(arn: str) -> str:
    """The `arn:aws:apigateway:...:lambda:path/.../invocations` form of a function's ARN."""
    return f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations"


def quick_api(gw: Any, target: str, route_key: str = "$default", **settings: Any) -> str:
    """An HTTP API made by quick create; its id."""
    return str(
        gw.create_api(
            Name=unique("api"), ProtocolType="HTTP", Target=target, RouteKey=route_key, **settings
        )["ApiId"]
    )


def route(gw: Any, api_id: str, route_key: str, integration_id: str, **settings: Any) -> str:
    return str(
        gw.create_route(
            ApiId=api_id, RouteKey=route_key, Target=f"integrations/{integration_id}", **settings
        )["RouteId"]
    )


def lambda_integration(
    gw: Any, api_id: str, arn: str, version: str = "2.0", **settings: Any
) -> str:
    return str(
        gw.create_integration(
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=arn,
            PayloadFormatVersion=version,
            **settings,
        )["IntegrationId"]
    )


# -- REST APIs ---------------------------------------------------------------------------------


def rest_resource(rest: Any, api_id: str, parent: str, part: str) -> str:
    return str(rest.create_resource(restApiId=api_id, parentId=parent, pathPart=part)["id"])


def rest_lambda_method(
    rest: Any, api_id: str, resource_id: str, verb: str, arn: str, **settings: Any
) -> None:
    """A method with a Lambda proxy integration (`timeoutInMillis` goes to the integration)."""
    timeout = settings.pop("timeoutInMillis", None)
    rest.put_method(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod=verb,
        authorizationType=settings.pop("authorizationType", "NONE"),
        **settings,
    )
    rest.put_integration(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod=verb,
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=uri(arn),
        **({"timeoutInMillis": timeout} if timeout else {}),
    )


def raw_request(
    target: str, method: str, headers: list[tuple[str, str]], body: bytes = b""
) -> Answer:
    """A request whose headers may repeat (urllib's cannot): each pair sent on its own line."""
    parts = urllib.parse.urlsplit(target)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.putrequest(method, parts.path + (f"?{parts.query}" if parts.query else ""))
        for name, value in headers:
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        answer = connection.getresponse()
        raw = answer.read()
        pairs = [(k.lower(), v) for k, v in answer.getheaders()]
        return Answer(answer.status, dict(pairs), raw, pairs)
    finally:
        connection.close()
