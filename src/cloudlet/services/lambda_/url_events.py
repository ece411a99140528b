"""The event a function URL hands its function: API Gateway's payload format 2.0, as AWS fills
it for function URLs (routeKey and stage `$default`, requestContext.accountId "anonymous"
unless the caller signed, the url-id as apiId).

A body is text (`isBase64Encoded: false`) for the types AWS passes as text: `text/*`,
`application/json`, `application/xml` and `application/javascript`; anything else, a form or
a request without a content type included, arrives base64-encoded.
"""

from __future__ import annotations

import base64
import time
from typing import Any
from urllib.parse import parse_qsl

from cloudlet.gateway.http import Request
from cloudlet.services.lambda_.url_auth import Caller

TEXT_TYPES = frozenset(("application/json", "application/xml", "application/javascript"))
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def url_event(
    request: Request,
    url_id: str,
    request_id: str,
    trace_header: str,
    default_port: int,
    caller: Caller | None = None,
) -> dict[str, Any]:
    """The 2.0 event of `request`, received now."""
    now = time.time()
    host = request.host
    headers = {name: value for name, value in request.headers.items() if name != "cookie"}
    headers["x-amzn-trace-id"] = trace_header
    headers["x-forwarded-for"] = request.client
    headers["x-forwarded-proto"] = "http"
    headers["x-forwarded-port"] = _port(host, default_port)
    context: dict[str, Any] = {
        "accountId": caller.account_id if caller is not None else "anonymous",
        "apiId": url_id,
    }
    if caller is not None:
        context["authorizer"] = caller.authorizer()
    context.update(
        domainName=host.rsplit(":", 1)[0] if host else "",
        domainPrefix=url_id,
        http={
            "method": request.method,
            "path": request.raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": request.client,
            "userAgent": request.headers.get("user-agent", ""),
        },
        requestId=request_id,
        routeKey="$default",
        stage="$default",
        time=_request_time(now),
        timeEpoch=int(now * 1000),
    )
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": request.raw_path,
        "rawQueryString": request.query_string,
    }
    cookie = request.headers.get("cookie")
    if cookie:
        event["cookies"] = [part.strip() for part in cookie.split(";") if part.strip()]
    event["headers"] = headers
    if request.query_string:
        event["queryStringParameters"] = query_parameters(request.query_string)
    event["requestContext"] = context
    if request.body:
        text = _as_text(request.body, request.headers.get("content-type", ""))
        if text is None:
            event["body"] = base64.b64encode(request.body).decode("ascii")
            event["isBase64Encoded"] = True
        else:
            event["body"] = text
            event["isBase64Encoded"] = False
    else:
        event["isBase64Encoded"] = False
    return event


def query_parameters(query_string: str) -> dict[str, str]:
    """A repeated parameter's values joined with commas, as the 2.0 format does."""
    parameters: dict[str, str] = {}
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        parameters[name] = f"{parameters[name]},{value}" if name in parameters else value
    return parameters


def _as_text(body: bytes, content_type: str) -> str | None:
    media = content_type.split(";", 1)[0].strip().lower()
    if not (media.startswith("text/") or media in TEXT_TYPES):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _port(host: str, default: int) -> str:
    name, _, port = host.rpartition(":")
    return port if name and port.isdigit() else str(default)


def _request_time(moment: float) -> str:
    """`12/Mar/2020:19:03:58 +0000`, in English whatever the locale."""
    at = time.gmtime(moment)
    return (
        f"{at.tm_mday:02d}/{_MONTHS[at.tm_mon - 1]}/{at.tm_year}:"
        f"{at.tm_hour:02d}:{at.tm_min:02d}:{at.tm_sec:02d} +0000"
    )
