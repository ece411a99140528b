"""API Gateway's own answers on the invocation path: `{"message": ...}` bodies with the
status and `x-amzn-ErrorType` AWS sends (not found, unauthorized, throttled, timed out...)."""

from __future__ import annotations

import orjson

from cloudlet.gateway.http import Response


def message(status: int, text: str | None, error_type: str = "", key: str = "message") -> Response:
    """A gateway response: `{"message": text}` (REST's explicit denies say `Message`)."""
    headers = [("content-type", "application/json")]
    if error_type:
        headers.append(("x-amzn-errortype", error_type))
    return Response(status, headers, orjson.dumps({key: text}))


# HTTP APIs
NOT_FOUND = (404, "Not Found")
UNAUTHORIZED = (401, "Unauthorized")
FORBIDDEN = (403, "Forbidden")
TOO_MANY_REQUESTS = (429, "Too Many Requests")
INTERNAL_ERROR = (500, "Internal Server Error")
SERVICE_UNAVAILABLE = (503, "Service Unavailable")
TOO_LARGE = (413, "Request Entity Too Large")

PAYLOAD_LIMIT = 10 * 1024 * 1024  # 10 MB: the largest request body API Gateway accepts


def content_length_exceeded() -> Response:
    """A REST API's answer to a body over 10 MB: AWS's front end refuses it in plain text,
    before API Gateway (no request id, no error type), as it words SQS's oversized requests."""
    body = f"HTTP content length exceeded {PAYLOAD_LIMIT} bytes.".encode()
    return Response(413, [("content-type", "text; charset=utf-8")], body)


def event_too_long() -> Response:
    """A REST API's answer to an event over Lambda's 6 MB: a BadRequestException, its body
    spaced as AWS sends it (not the gateway responses' compact template)."""
    headers = [("content-type", "application/json"), ("x-amzn-errortype", "BadRequestException")]
    return Response(413, headers, b'{"message": "Request Too Long"}')


def http_api(answer: tuple[int, str], headers: list[tuple[str, str]] | None = None) -> Response:
    response = message(*answer)
    if headers:
        response.headers.extend(headers)
    return response


def unknown_api() -> Response:
    """An invocation address naming no API (never created, or deleted): API Gateway's edge
    cannot tell an HTTP API from a REST one there, and answers as for a REST API."""
    return message(403, "Forbidden", "ForbiddenException")
