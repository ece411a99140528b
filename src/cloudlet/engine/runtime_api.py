"""The Lambda Runtime API (2018-06-01) for one environment, on its own loopback port.

Custom runtimes (`bootstrap` executables), Node.js and `awslambdaric` poll
`/runtime/invocation/next` and post `/response` or `/error`. Giving each environment its
own listener is what makes sure an environment only ever receives its own invocations.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable
from typing import Any

import httptools

PREFIX = "/2018-06-01/runtime/"
MAX_RESPONSE = 6 * 1024 * 1024 + 100  # Lambda's 6 MB synchronous response limit


class RuntimeApiChannel:
    """The `Channel` of an environment whose runtime speaks the HTTP Runtime API."""

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self._started = time.perf_counter()
        self._ready: asyncio.Future[tuple[str, float, bytes]] = loop.create_future()
        self._invocations: asyncio.Queue[tuple[dict[str, Any], bytes]] = asyncio.Queue()
        self._reply: asyncio.Future[tuple[str, bytes]] | None = None
        self._current = ""
        self._server: asyncio.base_events.Server | None = None
        self._connections: set[_Connection] = set()
        self.port = 0
        self.on_chunk: Callable[[bytes], None] | None = None
        self.peak_memory_kb: int | None = None  # a Runtime API client does not say it

    async def listen(self) -> str:
        """Start listening; return the AWS_LAMBDA_RUNTIME_API value (host:port)."""
        self._server = await asyncio.get_running_loop().create_server(
            lambda: _Connection(self), "127.0.0.1", 0
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return f"127.0.0.1:{self.port}"

    # -- the Channel interface ------------------------------------------------------------

    async def ready(self) -> tuple[str, float, bytes]:
        return await self._ready

    def send(self, meta: dict[str, Any], payload: bytes) -> None:
        self._reply = asyncio.get_running_loop().create_future()
        self._invocations.put_nowait((meta, payload))

    async def reply(self) -> tuple[str, bytes]:
        assert self._reply is not None
        return await self._reply

    def lost(self, reason: str) -> None:
        """The process is gone: fail whatever waits on it."""
        error = ConnectionError(reason)
        for future in (self._ready, self._reply):
            if future is not None and not future.done():
                future.set_exception(error)
                future.exception()  # retrieved: nobody may be waiting yet

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for connection in list(self._connections):
            connection.close()

    # -- requests ---------------------------------------------------------------------------

    async def handle(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if not path.startswith(PREFIX):
            return _error(404, "InvalidRequest", f"unknown path {path}")
        route = path[len(PREFIX) :]
        if method == "GET" and route == "invocation/next":
            return await self._next()
        if method != "POST":
            return _error(405, "InvalidRequest", f"{method} is not allowed on {path}")
        if route == "init/error":
            self._settle_ready("init_error", _error_body(body, headers))
            return _accepted()
        parts = route.split("/")
        if len(parts) != 3 or parts[0] != "invocation" or parts[2] not in ("response", "error"):
            return _error(404, "InvalidRequest", f"unknown path {path}")
        if parts[1] != self._current or self._reply is None or self._reply.done():
            return _error(400, "InvalidRequestID", "Invalid request ID")
        if parts[2] == "response":
            if len(body) > MAX_RESPONSE:
                self._reply.set_result(("too_large", b""))
                return _error(413, "RequestEntityTooLarge", "Response payload too large")
            self._reply.set_result(("ok", body))
        else:
            self._reply.set_result(("error", _error_body(body, headers)))
        return _accepted()

    async def _next(self) -> tuple[int, dict[str, str], bytes]:
        self._settle_ready("ready", b"")
        meta, payload = await self._invocations.get()
        self._current = meta["id"]
        headers = {
            "Content-Type": "application/json",
            "Lambda-Runtime-Aws-Request-Id": meta["id"],
            "Lambda-Runtime-Deadline-Ms": str(meta["deadline"]),
            "Lambda-Runtime-Invoked-Function-Arn": meta["arn"],
            "Lambda-Runtime-Trace-Id": meta.get("trace") or "",
        }
        if meta.get("cc"):
            headers["Lambda-Runtime-Client-Context"] = json.dumps(meta["cc"])
        if meta.get("ci"):
            headers["Lambda-Runtime-Cognito-Identity"] = json.dumps(meta["ci"])
        if meta.get("tenant"):
            headers["Lambda-Runtime-Aws-Tenant-Id"] = meta["tenant"]
        return 200, headers, payload

    # -- streamed responses (Lambda-Runtime-Function-Response-Mode: streaming) --------------

    def streams(self, path: str, headers: dict[str, str]) -> bool:
        """Whether a request now starting is the current invocation's streamed response."""
        return (
            headers.get("lambda-runtime-function-response-mode") == "streaming"
            and path == f"{PREFIX}invocation/{self._current}/response"
            and self._reply is not None
            and not self._reply.done()
        )

    def stream_chunk(self, chunk: bytes) -> None:
        if self.on_chunk is not None and chunk:
            self.on_chunk(chunk)

    def stream_end(self, trailers: dict[str, str]) -> None:
        """The streamed response ended; trailers report an error raised mid-stream."""
        if self._reply is None or self._reply.done():
            return
        error_type = trailers.get("lambda-runtime-function-error-type")
        if error_type is None:
            self._reply.set_result(("ok", b""))
            return
        try:
            body = base64.b64decode(trailers.get("lambda-runtime-function-error-body", ""))
        except ValueError:
            body = b""
        self._reply.set_result(("error", _error_body(body, trailers)))

    def _settle_ready(self, kind: str, payload: bytes) -> None:
        if not self._ready.done():
            init_ms = (time.perf_counter() - self._started) * 1000
            self._ready.set_result((kind, init_ms, payload))


def _error_body(body: bytes, headers: dict[str, str]) -> bytes:
    """The runtime's error as Lambda returns it: its JSON, or one made from what it sent."""
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return body
    error_type = headers.get("lambda-runtime-function-error-type") or "Runtime.Unknown"
    return json.dumps(
        {"errorMessage": body.decode("utf-8", "replace"), "errorType": error_type}
    ).encode()


def _accepted() -> tuple[int, dict[str, str], bytes]:
    return 202, {"Content-Type": "application/json"}, b'{"status":"OK"}'


def _error(status: int, kind: str, message: str) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps({"errorMessage": message, "errorType": kind}).encode()
    return status, {"Content-Type": "application/json"}, body


_REASONS = {
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
}


class _Connection(asyncio.Protocol):
    """HTTP/1.1 with keep-alive, one request at a time, as runtime clients use it."""

    def __init__(self, channel: RuntimeApiChannel) -> None:
        self.channel = channel
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self._reset()
        self._task: asyncio.Task[None] | None = None

    def _reset(self) -> None:
        self.url = b""
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []
        self.streaming = False
        self.trailers: dict[str, str] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.channel._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.channel._connections.discard(self)
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self._write(400, {"Content-Type": "text/plain"}, b"malformed request", close=True)

    # httptools callbacks
    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        # Headers after a streamed body are its trailers.
        fields = self.trailers if self.streaming else self.headers
        fields[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        path = httptools.parse_url(self.url).path.decode()
        self.streaming = self.channel.streams(path, self.headers)

    def on_body(self, body: bytes) -> None:
        if self.streaming:
            self.channel.stream_chunk(body)  # as it arrives, not when the request ends
        else:
            self.body.append(body)

    def on_message_complete(self) -> None:
        keep_alive = self.parser.should_keep_alive()
        if self.streaming:
            self.channel.stream_end(self.trailers)
            self._reset()
            status, headers, body = _accepted()
            self._write(status, headers, body, close=not keep_alive)
            return
        method = self.parser.get_method().decode()
        path = httptools.parse_url(self.url).path.decode()
        headers, body = self.headers, b"".join(self.body)
        self._reset()
        self._task = asyncio.get_running_loop().create_task(
            self._respond(method, path, headers, body, keep_alive)
        )

    async def _respond(
        self, method: str, path: str, headers: dict[str, str], body: bytes, keep_alive: bool
    ) -> None:
        status, out_headers, out_body = await self.channel.handle(method, path, headers, body)
        self._write(status, out_headers, out_body, close=not keep_alive)

    def _write(self, status: int, headers: dict[str, str], body: bytes, *, close: bool) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        if close:
            lines.append("Connection: close")
        self.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        if close:
            self.transport.close()

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
