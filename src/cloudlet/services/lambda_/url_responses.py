"""A function's answer as the HTTP response a function URL sends, mapped as AWS maps it.

Buffered: a JSON object with a `statusCode` is a response (headers, cookies as Set-Cookie,
body, isBase64Encoded); any other JSON is the body of a 200 `application/json` answer, a
string as itself and everything else as compact JSON. Streamed: the function may open its
stream with the prelude `awslambda.HttpResponseStream.from` writes (a JSON object of
statusCode, headers and cookies, then eight NUL bytes); without one the stream is the body
of a 200 `application/octet-stream` answer.

Errors are AWS's: a function error or an answer that is no response is 502 "Internal Server
Error"; Lambda's own refusals are `{"Message": ...}` with `x-amzn-ErrorType`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson

from cloudlet.gateway.http import Response

Headers = list[tuple[str, str]]
JSON_TYPE = "application/json"
STREAM_TYPE = "application/octet-stream"
PRELUDE_DELIMITER = b"\0" * 8
PRELUDE_LIMIT = 65_536  # bytes read looking for a prelude before taking the stream as body
# Framing is the server's to set: a function's values would corrupt the response.
_DROPPED = frozenset(("content-length", "transfer-encoding", "connection"))
FORBIDDEN = (
    "Forbidden. For troubleshooting Function URL authorization issues, see: "
    "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"
)


class NotAResponse(Exception):
    """The function's answer cannot be mapped to an HTTP response (AWS: 502)."""


def error_response(status: int, code: str, message: str | None) -> Response:
    return Response(
        status,
        [("content-type", JSON_TYPE), ("x-amzn-errortype", code)],
        orjson.dumps({"Message": message}),
    )


def forbidden(message: str | None = FORBIDDEN) -> Response:
    return error_response(403, "AccessDeniedException", message)


def bad_gateway() -> Response:
    """A function error, a timeout, or an answer that is no HTTP response."""
    return Response(502, [("content-type", JSON_TYPE)], b"Internal Server Error")


def buffered_response(payload: bytes) -> tuple[int, Headers, bytes]:
    """(status, headers, body) of a buffered function's JSON answer."""
    try:
        value = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise NotAResponse("not JSON") from None
    if isinstance(value, dict) and "statusCode" in value:
        status, headers = response_head(value)
        return status, headers, _body(value)
    if isinstance(value, str):
        return 200, [("content-type", JSON_TYPE)], value.encode()
    return 200, [("content-type", JSON_TYPE)], orjson.dumps(value)


def response_head(value: dict[str, Any], default_type: str = JSON_TYPE) -> tuple[int, Headers]:
    """The status and headers of a response object (or of a stream's prelude)."""
    status = value.get("statusCode", 200)
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise NotAResponse(f"statusCode {status!r}")
    given = value.get("headers") or {}
    cookies = value.get("cookies") or []
    if not isinstance(given, dict) or not isinstance(cookies, list):
        raise NotAResponse("headers must be an object and cookies a list")
    headers: Headers = []
    for name, raw in given.items():
        if raw is None or name.lower() in _DROPPED:
            continue
        headers.append((name, _text(raw)))
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("content-type", default_type))
    headers.extend(("set-cookie", _text(cookie)) for cookie in cookies)
    return status, headers


def _body(value: dict[str, Any]) -> bytes:
    body = value.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        return orjson.dumps(body)
    if value.get("isBase64Encoded") is True:
        try:
            return base64.b64decode(body, validate=True)
        except binascii.Error:
            raise NotAResponse("body is not base64") from None
    return body.encode()


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True, slots=True)
class StreamHead:
    """The first bytes of a stream, read to find whether it opens with a prelude."""

    raw: bytes  # everything read, the prelude included
    prelude: dict[str, Any] | None
    body: bytes  # what of `raw` follows the prelude (all of it without one)
    ended: bool  # the stream ended within these bytes


async def read_prelude(next_chunk: Callable[[], Awaitable[bytes | None]]) -> StreamHead:
    """Read the start of a stream until it shows whether it opens with a prelude."""
    raw = b""
    while True:
        chunk = await next_chunk()
        if chunk is None:
            return StreamHead(raw, None, raw, True)
        raw += chunk
        verdict = _prelude_in(raw)
        if verdict is not None:
            prelude, body = verdict
            return StreamHead(raw, prelude, body, False)


def split_prelude(data: bytes) -> tuple[dict[str, Any] | None, bytes]:
    """A whole streamed answer's prelude, if it opens with one, and its body."""
    verdict = _prelude_in(data)
    return verdict if verdict is not None else (None, data)


def _prelude_in(head: bytes) -> tuple[dict[str, Any] | None, bytes] | None:
    """(prelude, body after it), (None, head) when the stream has none, None: read on."""
    if head.lstrip()[:1] != b"{":
        return None, head
    at = head.find(PRELUDE_DELIMITER)
    if at < 0:
        # A stream whose first bytes are a whole JSON object and more, but no delimiter,
        # is just a body that happens to start with JSON.
        if len(head) > PRELUDE_LIMIT or _json_then_more(head):
            return None, head
        return None
    try:
        prelude = orjson.loads(head[:at])
    except orjson.JSONDecodeError:
        return None, head
    if not isinstance(prelude, dict):
        return None, head
    return prelude, head[at + len(PRELUDE_DELIMITER) :]


def _json_then_more(head: bytes) -> bool:
    """Whether `head` holds a complete JSON object followed by something else than NULs."""
    end = _object_end(head)
    return end is not None and head[end:].strip(b"\0") != b""


def _object_end(data: bytes) -> int | None:
    """Where the JSON object at the start of `data` ends, or None if it does not end in it."""
    depth = 0
    in_string = escaped = False
    for index, byte in enumerate(data):
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x7B, 0x5B):  # { [
            depth += 1
        elif byte in (0x7D, 0x5D):  # } ]
            depth -= 1
            if depth == 0:
                return index + 1
    return None
