"""Invoke: which version runs (qualifiers, alias weights), the payload rules, and the answer.

RequestResponse runs the function and answers with its result (or its error, with
`X-Amz-Function-Error`); DryRun checks everything and answers 204; Event is queued durably
and run in the background by delivery's AsyncInvoker, through the function port
(function_port.py), with the function's retry and destination settings (event_configs.py).
"""

from __future__ import annotations

import base64
import binascii
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from cloudlet.delivery.async_invoke import AsyncInvoker
from cloudlet.delivery.ports import SYNC_PAYLOAD_LIMIT, FunctionThrottled, InvokeRefused
from cloudlet.engine.concurrency import Throttled
from cloudlet.engine.environment import InvokeRequest, InvokeResult
from cloudlet.engine.runtimes import RuntimeMismatch
from cloudlet.gateway.errors import ServiceError
from cloudlet.services.base import Platform, RequestContext
from cloudlet.services.lambda_.core import LambdaCore, check_invocable
from cloudlet.services.lambda_.errors import request_too_large, throttled
from cloudlet.services.lambda_.function_port import LambdaFunctions
from cloudlet.services.lambda_.model import Function, Version
from cloudlet.services.lambda_.names import LATEST
from cloudlet.services.lambda_.recursion import trace_for

RESPONSE_LIMIT = 6_291_556  # what Lambda's error message names for the response
EVENT_PAYLOAD_LIMIT = 1_048_576  # 1 MB, an asynchronous invocation's payload
_TOO_LARGE_RESPONSE = orjson.dumps(
    {
        "errorMessage": "Response payload size exceeded maximum allowed payload size "
        f"({RESPONSE_LIMIT} bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }
)


@dataclass(frozen=True, slots=True)
class Call:
    """An invocation as its request asks for it, checked, not yet run."""

    function: Function
    version: Version  # the one that runs (an alias's weights drawn)
    invoked_arn: str  # qualified when the request's name or Qualifier was
    payload: bytes  # `{}` when the request had none


class InvokeOperations(LambdaCore):
    def __init__(self, platform: Platform) -> None:
        # The queue's table comes first: Lambda's migrations move older queued events into it.
        self.async_invoker = AsyncInvoker(
            platform.store,
            platform.ports,
            retry_delays=platform.config.async_retry_delays,
            age_scale=platform.config.async_age_scale,
        )
        super().__init__(platform)
        platform.ports.functions = LambdaFunctions(self)

    def status(self) -> dict[str, Any]:
        return {**super().status(), "async_events_queued": self.async_invoker.pending()}

    async def start(self) -> None:
        await super().start()
        await self.async_invoker.start()

    async def stop(self) -> None:
        await self.async_invoker.stop()
        await super().stop()

    async def invoke(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        kind = request.get("InvocationType") or "RequestResponse"
        call = self.checked_call(ctx, request, "InvokeFunction", event=kind == "Event")
        if kind == "DryRun":
            return {"StatusCode": 204}
        if kind == "Event":
            await self.async_invoker.put(
                call.invoked_arn, call.payload, ctx.request_id, ctx.trace_header
            )
            return {"StatusCode": 202}
        want_tail = request.get("LogType") == "Tail"
        try:
            result = await self.run(
                call.function,
                call.version,
                call.invoked_arn,
                call.payload,
                request_id=ctx.request_id,
                trace_header=ctx.trace_header,
                client_context=decode_client_context(request.get("ClientContext")),
                want_tail=want_tail,
            )
        except InvokeRefused as refused:
            raise refusal(refused) from None
        answer: dict[str, Any] = {
            "StatusCode": 200,
            "Payload": result.payload,
            "ExecutedVersion": call.version.number,
        }
        if result.function_error:
            answer["FunctionError"] = result.function_error
        if want_tail:
            answer["LogResult"] = log_result(result)
        return answer

    def checked_call(
        self, ctx: RequestContext, request: dict[str, Any], operation: str, event: bool = False
    ) -> Call:
        """What Invoke and InvokeWithResponseStream check before anything runs, in Lambda's
        order: the function, the payload (its size under `operation`'s limit, or the smaller
        one of Invoke's `event` type; JSON), the version that runs and whether it can."""
        function, ref = self.lookup(ctx, request["FunctionName"], request.get("Qualifier"))
        payload = request.get("Payload") or b""
        if event and len(payload) > EVENT_PAYLOAD_LIMIT:
            raise ServiceError(
                "RequestEntityTooLargeException",
                f"{len(payload)} byte payload is too large for the Event invocation type "
                f"(limit {EVENT_PAYLOAD_LIMIT} bytes)",
                status=413,
            )
        if len(payload) > SYNC_PAYLOAD_LIMIT:
            raise request_too_large(operation, SYNC_PAYLOAD_LIMIT)
        check_json(payload)
        version = self.pick(function, ref.qualifier)
        check_invocable(version)
        invoked_arn = function.qualified_arn(ref.qualifier) if ref.qualifier else function.arn
        return Call(function, version, invoked_arn, payload or b"{}")

    async def run(
        self,
        function: Function,
        version: Version,
        invoked_arn: str,
        payload: bytes,
        *,
        request_id: str,
        trace_header: str = "",
        client_context: dict[str, Any] | None = None,
        want_tail: bool = False,
        on_chunk: Callable[[bytes], None] | None = None,
    ) -> InvokeResult:
        """Run `version` on the engine: the one path of every invocation, synchronous or not.
        A streaming function's chunks go to `on_chunk` as it writes them (streaming.py).

        Raises InvokeRefused: throttled, a recursive loop stopped, a runtime cloudlet lacks.
        """
        invocation = InvokeRequest(
            request_id,
            payload,
            invoked_arn,
            client_context=client_context,
            trace_id=trace_for(function, trace_header),
            want_tail=want_tail,
            on_chunk=on_chunk,
        )
        spec = await self.execution.spec(function, version)
        try:
            result = await self.engine.invoke(spec, invocation)
        except Throttled as refused:
            # Reserved concurrency 0 stops a function: its events are not retried.
            raise FunctionThrottled(refused.reason, retryable=function.reserved != 0) from None
        except RuntimeMismatch as mismatch:
            raise InvokeRefused(
                502, "InvalidRuntimeException", str(mismatch), retryable=True
            ) from None
        if len(result.payload) > RESPONSE_LIMIT:
            result.payload = _TOO_LARGE_RESPONSE
            result.function_error = "Unhandled"
        return result

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


def log_result(result: InvokeResult) -> str:
    """LogResult (LogType Tail): the engine's tail, already Lambda's last 4 KB cut between
    characters, in base64."""
    return base64.b64encode(result.log_tail.encode()).decode("ascii")


def refusal(refused: InvokeRefused) -> ServiceError:
    """Invoke's error for an invocation Lambda did not run."""
    if isinstance(refused, FunctionThrottled):
        return throttled(refused.reason)
    return ServiceError(
        refused.code, refused.message, status=refused.status, sender_fault=refused.status < 500
    )


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
