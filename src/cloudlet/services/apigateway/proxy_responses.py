"""What a function's answer to a proxy event means as HTTP: payload format 2.0's rules
(a `statusCode` object, or anything else inferred as a 200 JSON body) and 1.0's (an object
with `statusCode`, `headers`, `multiValueHeaders`, `body`, `isBase64Encoded`).

Each returns None for an answer API Gateway cannot use; the caller answers with its error.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from cloudlet.gateway.http import Response

JSON = "application/json"


def response_v2(payload: bytes) -> Response | None:
    try:
        value = orjson.loads(payload) if payload else None
    except orjson.JSONDecodeError:
        return None
    if isinstance(value, dict) and "statusCode" in value:
        return _structured(value, cookies=True)
    # Inferred: a 200 with the answer as a JSON body; a string is the body itself.
    body = value.encode() if isinstance(value, str) else payload
    return Response(200, [("content-type", JSON)], body)


def response_v1(payload: bytes, *, decode_base64: bool = True) -> Response | None:
    try:
        value = orjson.loads(payload) if payload else None
    except orjson.JSONDecodeError:
        return None
    if not isinstance(value, dict) or "statusCode" not in value:
        return None
    return _structured(value, cookies=False, decode_base64=decode_base64)


def _structured(
    value: dict[str, Any], *, cookies: bool, decode_base64: bool = True
) -> Response | None:
    status = _status(value.get("statusCode"))
    if status is None:
        return None
    headers: list[tuple[str, str]] = []
    single = value.get("headers") or {}
    multi = value.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        return None
    for name, item in single.items():
        if name not in multi and item is not None:
            headers.append((name.lower(), _text(item)))
    for name, items in multi.items():
        if not isinstance(items, list):
            return None
        headers.extend((name.lower(), _text(item)) for item in items if item is not None)
    if cookies:
        listed = value.get("cookies") or []
        if not isinstance(listed, list):
            return None
        headers.extend(("set-cookie", _text(cookie)) for cookie in listed)
    body = value.get("body")
    if body is None:
        data = b""
    elif not isinstance(body, str):
        return None
    elif value.get("isBase64Encoded") and decode_base64:
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            return None
    else:
        data = body.encode("utf-8")
    if not any(name == "content-type" for name, _ in headers):
        headers.append(("content-type", JSON))
    return Response(status, headers, data)


def _status(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        status = value
    elif isinstance(value, str) and value.isdigit():
        status = int(value)
    else:
        return None
    return status if 100 <= status <= 599 else None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)
