"""The records Lambda sends about an asynchronous invocation, byte for byte as AWS writes them.

A destination receives an invocation record:

    {"version":"1.0","timestamp":"2019-11-24T23:08:25.651Z",
     "requestContext":{"requestId":"c2a6...","functionArn":"arn:...:function:f:$LATEST",
                       "condition":"RetriesExhausted","approximateInvokeCount":3},
     "requestPayload":{...the event, as it was sent...},
     "responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},
     "responsePayload":{...what the function returned...}}

The payloads are embedded as they came (the event's own bytes, spacing included). A
dead-letter queue receives the event itself, with `RequestID`, `ErrorCode` (the HTTP status
of the last attempt) and `ErrorMessage` (up to 1 KB) message attributes.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass

import orjson

from cloudlet.delivery.destinations import Attributes

SUCCESS = "Success"
RETRIES_EXHAUSTED = "RetriesExhausted"
EVENT_AGE_EXCEEDED = "EventAgeExceeded"
ERROR_MESSAGE_LIMIT = 1024  # bytes of ErrorMessage a dead-lettered event carries


@dataclass(frozen=True, slots=True)
class Outcome:
    """How the last attempt ended: the function's answer, or Lambda's refusal to run it."""

    status_code: int
    executed_version: str | None = None  # None: the function did not run
    function_error: str | None = None
    response: bytes | None = None  # the function's payload
    error_message: str = ""  # a refusal's message (throttled, recursion stopped)


def record(
    *,
    request_id: str,
    function_arn: str,
    condition: str,
    invoke_count: int,
    request_payload: bytes,
    outcome: Outcome,
) -> bytes:
    """An invocation record, as an OnSuccess or OnFailure destination receives it."""
    context = orjson.dumps(
        {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        }
    )
    response: dict[str, object] = {"statusCode": outcome.status_code}
    if outcome.executed_version is not None:
        response["executedVersion"] = outcome.executed_version
    if outcome.function_error:
        response["functionError"] = outcome.function_error
    parts = [
        b'{"version":"1.0","timestamp":"',
        _timestamp().encode(),
        b'","requestContext":',
        context,
        b',"requestPayload":',
        _embedded(request_payload),
        b',"responseContext":',
        orjson.dumps(response),
    ]
    if outcome.response is not None:
        parts += [b',"responsePayload":', _embedded(outcome.response)]
    parts.append(b"}")
    return b"".join(parts)


def dead_letter_attributes(request_id: str, outcome: Outcome) -> Attributes:
    """The message attributes of an event sent to a function's dead-letter queue."""
    message = outcome.error_message or _error_message(outcome.response)
    clipped = message.encode()[:ERROR_MESSAGE_LIMIT].decode(errors="ignore")
    attributes = {
        "RequestID": {"DataType": "String", "StringValue": request_id},
        "ErrorCode": {"DataType": "Number", "StringValue": str(outcome.status_code)},
    }
    if clipped:
        attributes["ErrorMessage"] = {"DataType": "String", "StringValue": clipped}
    return attributes


def _embedded(payload: bytes) -> bytes:
    """A payload as a JSON value inside the record: as sent when it is JSON, else a string."""
    if not payload:
        return b"null"
    try:
        orjson.loads(payload)
    except orjson.JSONDecodeError:
        try:
            json.loads(payload)  # what orjson refuses but JSON allows (big integers)
        except (ValueError, UnicodeDecodeError):
            return orjson.dumps(payload.decode("utf-8", "replace"))
    return payload


def _error_message(response: bytes | None) -> str:
    """The message of a function error: its `errorMessage`, else the payload as text."""
    if not response:
        return ""
    try:
        error = orjson.loads(response)
    except orjson.JSONDecodeError:
        return response.decode("utf-8", "replace")
    if isinstance(error, dict) and isinstance(error.get("errorMessage"), str):
        return str(error["errorMessage"])
    return response.decode("utf-8", "replace")


def _timestamp() -> str:
    now = datetime.datetime.now(datetime.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
