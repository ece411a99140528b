"""InvokeWithResponseStream: the function's answer as an event stream, chunk by chunk.

Each chunk a streaming function writes becomes a PayloadChunk event as it is written; a
function that does not stream sends its whole answer as one. InvokeComplete ends the stream,
with the error (ErrorCode: its errorType, ErrorDetails: its errorMessage) when the function
failed, and LogResult for LogType Tail. ResponseStreamContentType (the Content-Type header)
is `application/vnd.awslambda.http-integration-response` when the stream opens with the
prelude `awslambda.HttpResponseStream.from` writes, `application/octet-stream` for other
streams, `application/json` for a function that does not stream.

The same `start_stream` runs the function behind a streaming function URL (url_door.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson

from cloudlet.delivery.ports import InvokeRefused
from cloudlet.engine.environment import InvokeResult
from cloudlet.services.base import RequestContext
from cloudlet.services.lambda_.invoke import (
    InvokeOperations,
    decode_client_context,
    log_result,
    refusal,
)
from cloudlet.services.lambda_.model import Function, Version
from cloudlet.services.lambda_.streaming import StreamedInvocation
from cloudlet.services.lambda_.url_responses import JSON_TYPE, STREAM_TYPE, read_prelude

HTTP_INTEGRATION_TYPE = "application/vnd.awslambda.http-integration-response"


class StreamInvokeOperations(InvokeOperations):
    def start_stream(
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
    ) -> StreamedInvocation:
        """Start running `version`; its chunks can be read as it writes them."""
        return StreamedInvocation(
            lambda on_chunk: self.run(
                function,
                version,
                invoked_arn,
                payload,
                request_id=request_id,
                trace_header=trace_header,
                client_context=client_context,
                want_tail=want_tail,
                on_chunk=on_chunk,
            )
        )

    async def invoke_with_response_stream(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        call = self.checked_call(ctx, request, "InvokeWithResponseStream")
        if request.get("InvocationType") == "DryRun":
            return {"StatusCode": 204}
        want_tail = request.get("LogType") == "Tail"
        invocation = self.start_stream(
            call.function,
            call.version,
            call.invoked_arn,
            call.payload,
            request_id=ctx.request_id,
            trace_header=ctx.trace_header,
            client_context=decode_client_context(request.get("ClientContext")),
            want_tail=want_tail,
        )
        # The first bytes decide the content type, and a throttle must still be an error.
        head = await read_prelude(invocation.next_chunk)
        if head.ended and not head.raw:
            result = await finished(invocation)
            content_type = STREAM_TYPE if result.streamed else JSON_TYPE
        else:
            content_type = HTTP_INTEGRATION_TYPE if head.prelude is not None else STREAM_TYPE
        return {
            "StatusCode": 200,
            "ExecutedVersion": call.version.number,
            "ResponseStreamContentType": content_type,
            "EventStream": _events(invocation, head.raw, want_tail),
        }


async def finished(invocation: StreamedInvocation) -> InvokeResult:
    """The invocation's result, or Lambda's error for one that did not run."""
    try:
        return await invocation.result()
    except InvokeRefused as refused:
        raise refusal(refused) from None


async def _events(
    invocation: StreamedInvocation, head: bytes, want_tail: bool
) -> AsyncIterator[dict[str, Any]]:
    if head:
        yield {"PayloadChunk": {"Payload": head}}
    while (chunk := await invocation.next_chunk()) is not None:
        yield {"PayloadChunk": {"Payload": chunk}}
    result = await invocation.result()
    complete: dict[str, Any] = {}
    if result.function_error:
        error = _error_of(result.payload)
        complete["ErrorCode"] = str(error.get("errorType") or result.function_error)
        complete["ErrorDetails"] = str(error.get("errorMessage") or "")
    elif not result.streamed and result.payload:
        yield {"PayloadChunk": {"Payload": result.payload}}
    if want_tail:
        complete["LogResult"] = log_result(result)
    yield {"InvokeComplete": complete}


def _error_of(payload: bytes) -> dict[str, Any]:
    try:
        error = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return {}
    return error if isinstance(error, dict) else {}
