"""The events Lambda proxy integrations send: payload format 1.0 (REST APIs, and HTTP APIs
that ask for it) and 2.0 (HTTP APIs' default), built from a `Call`."""

from __future__ import annotations

import base64
from typing import Any

from cloudlet.services.apigateway.calls import Call

# Content types HTTP APIs pass as text; every other body reaches the function in base64
# (form posts included, as on AWS).
_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript")
_TEXT_SUFFIXES = ("+json", "+xml")


def body_as_text(body: bytes, content_type: str) -> tuple[str, bool]:
    """(body, isBase64Encoded) as an HTTP API passes a request body on."""
    if not body:
        return "", False
    kind = content_type.partition(";")[0].strip().lower()
    textual = kind.startswith(_TEXT_TYPES) or kind.endswith(_TEXT_SUFFIXES)
    if textual or not kind:
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def split_query(query_items: list[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(last value of each parameter, every value of each parameter)."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in query_items:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


# How REST API events spell the headers API Gateway adds, unless the client sent them itself.
_ADDED_SPELLING = {
    "x-forwarded-for": "X-Forwarded-For",
    "x-forwarded-proto": "X-Forwarded-Proto",
    "x-forwarded-port": "X-Forwarded-Port",
    "x-amzn-trace-id": "X-Amzn-Trace-Id",
}


def forwarded_headers(call: Call) -> dict[str, str]:
    """The request's headers with those API Gateway adds (`x-forwarded-*`)."""
    headers = dict(call.request.headers)
    headers.setdefault("x-forwarded-for", call.source_ip)
    headers.setdefault("x-forwarded-proto", "http")
    port = call.request.host.rpartition(":")[2] if ":" in call.request.host else "80"
    headers.setdefault("x-forwarded-port", port)
    headers.setdefault("x-amzn-trace-id", f"Root=1-{int(call.started):08x}-{call.request_id[:24]}")
    return headers


def event_v2(
    call: Call,
    route_key: str,
    path_parameters: dict[str, str] | None,
    authorizer: dict[str, Any] | None,
) -> dict[str, Any]:
    """A payload format 2.0 event."""
    request = call.request
    headers = forwarded_headers(call)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": call.raw_path,
        "rawQueryString": request.query_string,
    }
    if headers.pop("cookie", None):
        event["cookies"] = [
            part.strip()
            for line in request.header_values("cookie")
            for part in line.split(";")
            if part.strip()
        ]
    event["headers"] = headers
    if request.query_items:
        joined: dict[str, str] = {}
        for name, value in request.query_items:
            joined[name] = f"{joined[name]},{value}" if name in joined else value
        event["queryStringParameters"] = joined
    context: dict[str, Any] = {
        "accountId": call.account,
        "apiId": call.api_id,
        "domainName": call.domain_name,
        "domainPrefix": call.domain_name.partition(".")[0],
        "http": {
            "method": call.method,
            "path": call.raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": call.source_ip,
            "userAgent": call.user_agent,
        },
        "requestId": call.request_id,
        "routeKey": route_key,
        "stage": call.stage,
        "time": call.request_time,
        "timeEpoch": call.epoch_ms,
    }
    if authorizer:
        context["authorizer"] = authorizer
    event["requestContext"] = context
    if request.body:
        body, encoded = body_as_text(request.body, headers.get("content-type", ""))
        event["body"] = body
        event["isBase64Encoded"] = encoded
    else:
        event["isBase64Encoded"] = False
    if path_parameters:
        event["pathParameters"] = path_parameters
    if call.stage_variables:
        event["stageVariables"] = call.stage_variables
    return event


def event_v1(
    call: Call,
    resource: str,
    path_parameters: dict[str, str] | None,
    authorizer: dict[str, Any] | None,
    *,
    body: tuple[str, bool] | None,
    version: str | None = None,
    resource_id: str | None = None,
) -> dict[str, Any]:
    """A payload format 1.0 event (REST APIs' Lambda proxy event; `version` "1.0" for HTTP
    APIs). `body` is the body as text and whether it is base64, as the API decided."""
    request = call.request
    headers = forwarded_headers(call)
    single, multi = split_query(request.query_items)
    event: dict[str, Any] = {"version": version} if version else {}
    multi_headers = {name: [value] for name, value in headers.items()}
    if request.repeated:
        # A header sent on several lines: its last value in `headers`, each in the list.
        for name, values in request.repeated.items():
            headers[name] = values[-1]
            multi_headers[name] = values
    if version is None:  # a REST API: header names as the client spelled them
        spelling = {**_ADDED_SPELLING, **(request.cased or {})}
        headers = {spelling.get(name, name): value for name, value in headers.items()}
        multi_headers = {spelling.get(name, name): values for name, values in multi_headers.items()}
    event.update(
        resource=resource,
        path=call.decoded_path,
        httpMethod=call.method,
        headers=headers,
        multiValueHeaders=multi_headers,
        queryStringParameters=single or None,
        multiValueQueryStringParameters=multi or None,
    )
    identity = dict.fromkeys(
        (
            "cognitoIdentityPoolId",
            "accountId",
            "cognitoIdentityId",
            "caller",
            "principalOrgId",
            "accessKey",
            "cognitoAuthenticationType",
            "cognitoAuthenticationProvider",
            "userArn",
            "user",
        )
    )
    identity["sourceIp"] = call.source_ip
    identity["userAgent"] = call.user_agent
    if request.headers.get("x-api-key"):
        identity["apiKey"] = request.headers["x-api-key"]
    context: dict[str, Any] = {
        "accountId": call.account,
        "apiId": call.api_id,
        "domainName": call.domain_name,
        "domainPrefix": call.domain_name.partition(".")[0],
        "extendedRequestId": call.request_id,
        "httpMethod": call.method,
        "identity": identity,
        "path": call.raw_path if version else f"/{call.stage}{call.decoded_path}",
        "protocol": "HTTP/1.1",
        "requestId": call.request_id,
        "requestTime": call.request_time,
        "requestTimeEpoch": call.epoch_ms,
        "resourceId": resource_id,
        "resourcePath": resource,
        "stage": call.stage,
    }
    if authorizer is not None:
        context["authorizer"] = authorizer
    event["requestContext"] = context
    event["pathParameters"] = path_parameters or None
    event["stageVariables"] = call.stage_variables or None
    text, encoded = body if body is not None else ("", False)
    event["body"] = text if request.body else None
    event["isBase64Encoded"] = encoded
    return event
