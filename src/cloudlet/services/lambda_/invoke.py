"""Invoke: which version runs (qualifiers, alias weights), the payload rules, and the answer.

RequestResponse runs the function and answers with its result (or its error, with
`X-Amz-Function-Error`); DryRun checks everything and answers 204; Event is queued durably
and run in the background (events.py).
"""

from __future__ import annotations

import base64
import binascii
import json
import random
import time
from typing import Any

import orjson

from cloudlet.engine.concurrency import Throttled
from cloudlet.engine.environment import InvokeRequest
from cloudlet.engine.runtimes import RuntimeMismatch
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.base import Platform, RequestContext
from cloudlet.services.lambda_.core import LambdaCore, check_invocable, log
from cloudlet.services.lambda_.errors import request_too_large, throttled
from cloudlet.services.lambda_.events import Event, EventQueue
from cloudlet.services.lambda_.model import Function, Version
from cloudlet.services.lambda_.names import LATEST

SYNC_PAYLOAD_LIMIT = 6_291_456  # 6 MB, a synchronous invocation's request
RESPONSE_LIMIT = 6_291_556  # what Lambda's error message names for the response
EVENT_PAYLOAD_LIMIT = 1_048_576  # 1 MB, an asynchronous invocation's payload
MAXIMUM_EVENT_AGE = 21_600  # seconds an event may wait (throttled) before Lambda drops it
TAIL_BYTES = 4096
_TOO_LARGE_RESPONSE = orjson.dumps(
    {
        "errorMessage": "Response payload size exceeded maximum allowed payload size "
        f"({RESPONSE_LIMIT} bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }
)


class InvokeOperations(LambdaCore):
    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.events = EventQueue(self.store, self.run_event)

    async def start(self) -> None:
        await super().start()
        await self.events.start()

    async def stop(self) -> None:
        await self.events.stop()
        await super().stop()

    async def invoke(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        function, ref = self.lookup(ctx, request["FunctionName"], request.get("Qualifier"))
        kind = request.get("InvocationType") or "RequestResponse"
        payload = request.get("Payload") or b""
        if kind == "Event" and len(payload) > EVENT_PAYLOAD_LIMIT:
            raise ServiceError(
                "RequestEntityTooLargeException",
                f"{len(payload)} byte payload is too large for the Event invocation type "
                f"(limit {EVENT_PAYLOAD_LIMIT} bytes)",
                status=413,
            )
        if len(payload) > SYNC_PAYLOAD_LIMIT:
            raise request_too_large("InvokeFunction", SYNC_PAYLOAD_LIMIT)
        check_json(payload)
        version = self.pick(function, ref.qualifier)
        check_invocable(version)
        if kind == "DryRun":
            return {"StatusCode": 204}
        invoked_arn = function.qualified_arn(ref.qualifier) if ref.qualifier else function.arn
        if kind == "Event":
            return await self.queue_event(function, ref.qualifier, payload or b"{}", ctx)
        client_context = decode_client_context(request.get("ClientContext"))
        spec = await self.execution.spec(function, version)
        invocation = InvokeRequest(
            ctx.request_id,
            payload or b"{}",
            invoked_arn,
            client_context=client_context,
            want_tail=request.get("LogType") == "Tail",
        )
        try:
            result = await self.engine.invoke(spec, invocation)
        except Throttled as refused:
            raise throttled(refused.reason) from None
        except RuntimeMismatch as mismatch:
            raise ServiceError(
                "InvalidRuntimeException", str(mismatch), status=502, sender_fault=False
            ) from None
        answer: dict[str, Any] = {
            "StatusCode": 200,
            "Payload": result.payload,
            "ExecutedVersion": version.number,
        }
        if len(result.payload) > RESPONSE_LIMIT:
            answer["Payload"] = _TOO_LARGE_RESPONSE
            answer["FunctionError"] = "Unhandled"
        elif result.function_error:
            answer["FunctionError"] = result.function_error
        if invocation.want_tail:
            tail = result.log_tail.encode("utf-8")[-TAIL_BYTES:]
            answer["LogResult"] = base64.b64encode(tail).decode("ascii")
        return answer

    def pick(self, function: Function, qualifier: str | None) -> Version:
        """The version an invocation runs: an alias's weights decide between its two."""
        if qualifier is None or qualifier == LATEST or qualifier not in function.aliases:
            return self.resolve(function, qualifier)
        alias = function.aliases[qualifier]
        draw = random.random()
        for number, weight in alias.weights.items():
            if draw < weight:
                extra = function.version(number)
                if extra is not None:
                    return extra
            draw -= weight
        return self.resolve(function, qualifier)

    async def queue_event(
        self, function: Function, qualifier: str | None, payload: bytes, ctx: RequestContext
    ) -> dict[str, Any]:
        """Accept an asynchronous invocation (InvocationType=Event)."""
        await self.events.put(
            function.account, function.region, function.name, qualifier, payload, ctx.request_id
        )
        return {"StatusCode": 202}

    async def run_event(self, event: Event) -> bool:
        """Run a queued event; False if it must wait (throttled, or the function not ready)."""
        if time.time() - event.received > MAXIMUM_EVENT_AGE:
            log.info(
                "dropping event %s: older than %d seconds", event.request_id, MAXIMUM_EVENT_AGE
            )
            return True
        function = self.registry.functions.get((event.account, event.region, event.name))
        if function is None:
            log.info("dropping event %s: function %s is gone", event.request_id, event.name)
            return True
        try:
            version = self.pick(function, event.qualifier)
        except ServiceError:
            log.info(
                "dropping event %s: %s has no %s", event.request_id, event.name, event.qualifier
            )
            return True
        if version.config.get("State") != "Active":
            return False
        spec = await self.execution.spec(function, version)
        arn = function.qualified_arn(event.qualifier) if event.qualifier else function.arn
        try:
            result = await self.engine.invoke(
                spec, InvokeRequest(event.request_id, event.payload, arn)
            )
        except Throttled:
            return False
        except RuntimeMismatch as mismatch:
            log.warning("event %s not run: %s", event.request_id, mismatch)
            return True
        if result.function_error:
            log.info("event %s: %s failed (not retried yet)", event.request_id, function.arn)
        return True


def check_json(payload: bytes) -> None:
    """Lambda refuses a payload that is not JSON before running anything."""
    if not payload:
        return
    try:
        orjson.loads(payload)
    except orjson.JSONDecodeError:
        try:
            json.loads(payload)  # what orjson refuses but JSON allows (integers over 64 bits)
        except (ValueError, UnicodeDecodeError) as error:
            raise ServiceError(
                "InvalidRequestContentException",
                "Could not parse request body into json: Could not parse payload into json: "
                f"{error}",
            ) from None


def decode_client_context(text: str | None) -> dict[str, Any] | None:
    """The `X-Amz-Client-Context` header: base64 of a JSON object."""
    if not text:
        return None
    try:
        value = json.loads(base64.b64decode(text, validate=True))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        value = None
    if not isinstance(value, dict):
        raise ServiceError(
            "InvalidRequestContentException",
            "Client context must be a valid Base64-encoded JSON object.",
        )
    return value
