"""Reaching an integration: a Lambda function through the Functions port (within the
integration's timeout; the function runs on past it, as on AWS), or an HTTP endpoint."""

from __future__ import annotations

import asyncio
import http.client
import logging
import re
from urllib.parse import urlsplit

import orjson

from cloudlet.delivery.ports import SYNC_PAYLOAD_LIMIT, Functions, Invocation, InvokeRefused
from cloudlet.gateway.http import Response
from cloudlet.services.apigateway.calls import Call

log = logging.getLogger("cloudlet.apigateway")

_LAMBDA_PATH = re.compile(
    r"^arn:[^:]+:apigateway:[^:]*:lambda:path/2015-03-31/functions/(.+)/invocations$"
)
_STAGE_VARIABLE = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")
_HOP_BY_HOP = frozenset(
    ("connection", "keep-alive", "transfer-encoding", "te", "upgrade", "host", "content-length")
)


class IntegrationTimeout(Exception):
    """The integration did not answer within its timeout."""


class IntegrationFailed(Exception):
    """The integration could not be reached or run (missing function, throttled, refused)."""


class EventTooLarge(Exception):
    """The event is over Lambda's 6 MB request limit: Lambda refuses it (413) before the
    function runs, which API Gateway passes on as its own 413."""


def with_stage_variables(text: str, variables: dict[str, str]) -> str:
    """`${stageVariables.name}` replaced by the stage's values (an unknown name: empty)."""
    if "${" not in text:
        return text
    return _STAGE_VARIABLE.sub(lambda m: variables.get(m.group(1), ""), text)


def function_arn(uri: str) -> str | None:
    """The Lambda function an integration URI names: a function ARN, or API Gateway's
    `arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations`."""
    found = _LAMBDA_PATH.match(uri)
    arn = found.group(1) if found else uri
    return arn if arn.startswith("arn:") and ":lambda:" in arn and ":function:" in arn else None


async def invoke_function(
    functions: Functions | None, arn: str, event: object, timeout: float, request_id: str
) -> Invocation:
    """Run the function with `event`; raises IntegrationTimeout, IntegrationFailed or
    EventTooLarge."""
    if functions is None:
        raise IntegrationFailed("Lambda is not running")
    payload = orjson.dumps(event)
    if len(payload) > SYNC_PAYLOAD_LIMIT:
        raise EventTooLarge(len(payload))
    task = asyncio.ensure_future(functions.invoke(arn, payload, request_id=request_id))
    done, _ = await asyncio.wait((task,), timeout=timeout)
    if not done:
        task.add_done_callback(_forget)
        raise IntegrationTimeout(arn)
    try:
        return task.result()
    except InvokeRefused as refused:
        raise IntegrationFailed(f"{refused.code}: {refused.message}") from None


def _forget(task: asyncio.Future[Invocation]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.info("an invocation past its integration's timeout failed: %s", task.exception())


def proxy_url(call: Call, uri: str, params: dict[str, str], path: str | None = None) -> str:
    """An HTTP proxy integration's URL for `call`: its URI with the stage's variables and the
    path parameters (`{name}`, `{name+}`) put in, then `path` if given (the request's path,
    which an HTTP API's `$default` route passes on) and the request's query string."""
    url = with_stage_variables(uri, call.stage_variables)
    for name, value in params.items():
        url = url.replace(f"{{{name}+}}", value).replace(f"{{{name}}}", value)
    if path is not None:
        url = url.rstrip("/") + path
    if call.request.query_string:
        url += ("&" if "?" in url else "?") + call.request.query_string
    return url


async def http_proxy(
    method: str, url: str, headers: dict[str, str], body: bytes, timeout: float
) -> Response:
    """Forward a request to `url` and answer with its response (redirects not followed)."""
    return await asyncio.to_thread(_forward, method, url, headers, body, timeout)


def _forward(
    method: str, url: str, headers: dict[str, str], body: bytes, timeout: float
) -> Response:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise IntegrationFailed(f"not an HTTP URL: {url}")
    kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = kind(parts.hostname, parts.port, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    sent = {k: v for k, v in headers.items() if k not in _HOP_BY_HOP}
    try:
        connection.request(method, target, body=body or None, headers=sent)
        answer = connection.getresponse()
        data = answer.read()
    except TimeoutError:
        raise IntegrationTimeout(url) from None
    except OSError as error:
        raise IntegrationFailed(f"{url}: {error}") from None
    finally:
        connection.close()
    kept = [(k.lower(), v) for k, v in answer.getheaders() if k.lower() not in _HOP_BY_HOP]
    return Response(answer.status, kept, data)
