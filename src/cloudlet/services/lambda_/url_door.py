"""Function URLs on cloudlet's port: the front door of `{url-id}.lambda-url.{region}.localhost`.

A request to a URL's host is checked (the URL exists, its alias too: 403 otherwise; AWS_IAM
wants a SigV4 signature), answered by the URL's Cors rules if it is a preflight, turned into
a 2.0 event (url_events.py) and run on the function, $LATEST or the alias's version. The
answer is mapped as AWS maps it (url_responses.py): buffered, or, for InvokeMode
RESPONSE_STREAM, streamed to the client chunk by chunk as the function writes them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import orjson

from cloudlet.delivery.lineage import new_trace_header
from cloudlet.delivery.ports import FunctionThrottled, InvokeRefused
from cloudlet.engine.environment import InvokeResult
from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.http import Request, Response
from cloudlet.ids import random_uuid
from cloudlet.services.lambda_.core import check_invocable
from cloudlet.services.lambda_.invoke import RESPONSE_LIMIT, SYNC_PAYLOAD_LIMIT
from cloudlet.services.lambda_.model import Function
from cloudlet.services.lambda_.names import LATEST
from cloudlet.services.lambda_.streaming import StreamedInvocation
from cloudlet.services.lambda_.url_auth import UrlAuthenticator
from cloudlet.services.lambda_.url_cors import CorsRules, is_preflight
from cloudlet.services.lambda_.url_events import url_event
from cloudlet.services.lambda_.url_responses import (
    STREAM_TYPE,
    NotAResponse,
    bad_gateway,
    buffered_response,
    error_response,
    forbidden,
    read_prelude,
    response_head,
    split_prelude,
)
from cloudlet.services.lambda_.urls import URL_HOST_MARK, UrlConfig

if TYPE_CHECKING:
    from cloudlet.services.lambda_.url_configs import UrlConfigOperations

log = logging.getLogger("cloudlet.lambda.urls")
_TOO_LARGE = (
    f"Request must be smaller than {SYNC_PAYLOAD_LIMIT} bytes for the InvokeFunction operation"
)


class FunctionUrlDoor:
    def __init__(self, lam: UrlConfigOperations) -> None:
        self.lam = lam
        self.auth = UrlAuthenticator(lam.config, lam.platform.ports.sessions)
        self.port = lam.config.port

    def claims(self, request: Request) -> bool:
        return URL_HOST_MARK in request.host

    async def __call__(self, request: Request) -> Response:
        try:
            return await self._answer(request)
        except Exception:
            log.exception("function URL %s failed", request.host)
            return error_response(500, "ServiceException", "An internal error occurred.")

    async def _answer(self, request: Request) -> Response:
        config = self.lam.urls.by_id.get(request.host.split(".", 1)[0].lower())
        if config is None:
            return forbidden(None)
        function = self.lam.registry.functions.get(config.key[:3])
        qualifier = None if config.qualifier == LATEST else config.qualifier
        if function is None or (qualifier is not None and qualifier not in function.aliases):
            return forbidden()
        cors = CorsRules(config.cors) if config.cors else None
        if cors is not None and is_preflight(request):
            return cors.preflight(request)
        caller = None
        if config.auth_type == "AWS_IAM":
            caller = self.auth.caller(request)
            if caller is None:
                return forbidden()
        request_id = random_uuid()
        trace = request.headers.get("x-amzn-trace-id") or new_trace_header()
        payload = orjson.dumps(
            url_event(request, config.url_id, request_id, trace, self.port, caller)
        )
        response = await self._run(config, function, qualifier, payload, request_id, trace)
        headers = response.headers
        if cors is not None:
            headers = cors.apply(request, headers)
        headers.append(("x-amzn-requestid", request_id))
        headers.append(("x-amzn-trace-id", trace))
        return Response(response.status, headers, response.body)

    async def _run(
        self,
        config: UrlConfig,
        function: Function,
        qualifier: str | None,
        payload: bytes,
        request_id: str,
        trace: str,
    ) -> Response:
        if len(payload) > SYNC_PAYLOAD_LIMIT:
            return error_response(413, "RequestEntityTooLargeException", _TOO_LARGE)
        lam = self.lam
        try:
            version = lam.pick(function, qualifier)
            check_invocable(version)
        except ServiceError as refused:
            return error_response(refused.status, refused.code, refused.message)
        invocation = lam.start_stream(
            function,
            version,
            config.function_arn,
            payload,
            request_id=request_id,
            trace_header=trace,
        )
        if config.streams:
            return await _streamed(invocation)
        return await _buffered(invocation)


async def _buffered(invocation: StreamedInvocation) -> Response:
    chunks = []
    while (chunk := await invocation.next_chunk()) is not None:
        chunks.append(chunk)
    result = await _result(invocation)
    if isinstance(result, Response):
        return result
    if result.streamed:
        return _stream_answer(b"".join(chunks))
    return _buffered_answer(result.payload)


async def _streamed(invocation: StreamedInvocation) -> Response:
    head = await read_prelude(invocation.next_chunk)
    if head.ended and not head.raw:
        result = await _result(invocation)
        if isinstance(result, Response):
            return result
        return _buffered_answer(result.payload) if not result.streamed else _stream_answer(b"")
    if head.prelude is None:
        status, headers = 200, [("content-type", STREAM_TYPE)]
    else:
        try:
            status, headers = response_head(head.prelude, STREAM_TYPE)
        except NotAResponse:
            return bad_gateway()
    return Response(status, headers, _rest(invocation, head.body, head.ended))


async def _result(invocation: StreamedInvocation) -> InvokeResult | Response:
    """The invocation's result, or the answer for one that did not run or failed."""
    try:
        result = await invocation.result()
    except FunctionThrottled:
        return error_response(429, "TooManyRequestsException", "Rate Exceeded.")
    except InvokeRefused as refused:
        return error_response(refused.status, refused.code, refused.message)
    if result.function_error:
        return bad_gateway()
    return result


def _buffered_answer(payload: bytes) -> Response:
    if len(payload) > RESPONSE_LIMIT:
        return bad_gateway()
    try:
        status, headers, body = buffered_response(payload)
    except NotAResponse:
        return bad_gateway()
    return Response(status, headers, body)


def _stream_answer(data: bytes) -> Response:
    """A streaming function's whole answer, gathered (a buffered URL)."""
    prelude, body = split_prelude(data)
    if prelude is None:
        return Response(200, [("content-type", STREAM_TYPE)], body)
    try:
        status, headers = response_head(prelude, STREAM_TYPE)
    except NotAResponse:
        return bad_gateway()
    return Response(status, headers, body)


async def _rest(invocation: StreamedInvocation, first: bytes, ended: bool) -> AsyncIterator[bytes]:
    if first:
        yield first
    if ended:
        return
    while (chunk := await invocation.next_chunk()) is not None:
        if chunk:
            yield chunk
