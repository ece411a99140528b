"""HTTP/1.1 on cloudlet's one port, from httptools straight to the gateway: no ASGI between.

A request's cost on the event loop is the server's as much as the service's: uvicorn's
protocol took a third to a half of a SendMessage's time (two writes per response, a regular
expression per header, ASGI's dicts), see docs/benchmarks.md. This server parses with
httptools, hands the gateway a `Request` and writes each `Response` in one call.

It keeps connections alive, answers pipelined requests in order, says `100 Continue` when
asked, refuses a body over the limit with 413 before reading it (worded by `too_large`, which
sees only the request's head), streams responses whose body is an async iterator (chunked),
and stops gracefully: no new connections, requests in progress finish, idle connections
close. A request it cannot read (malformed, too large) is answered after the requests before
it, and the connection closes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from email.utils import formatdate
from http import HTTPStatus

import httptools

from cloudlet.gateway.http import Request, Response

log = logging.getLogger("cloudlet.http")

Handler = Callable[[Request], Awaitable[Response]]
# The answer to a request whose body is over the limit, from its head (its body is empty).
TooLarge = Callable[[Request], Response]
PIPELINE_LIMIT = 32  # requests read ahead of their answers before reading pauses
_STATUS_LINES = {
    status.value: f"HTTP/1.1 {status.value} {status.phrase}\r\n".encode() for status in HTTPStatus
}


class HttpServer:
    def __init__(self, handler: Handler, *, max_body: int, too_large: TooLarge) -> None:
        self.handler = handler
        self.max_body = max_body
        self.too_large = too_large
        self.connections: set[HttpConnection] = set()
        self.server: asyncio.Server | None = None
        self.date = b""
        self._clock: asyncio.TimerHandle | None = None

    async def start(self, host: str, port: int) -> None:
        """Listen on host:port; raises OSError when the address cannot be used."""
        self._tick()
        self.server = await asyncio.get_running_loop().create_server(
            lambda: HttpConnection(self), host, port, reuse_address=True, backlog=2048
        )

    def _tick(self) -> None:
        # The Date header, formatted once a second rather than per response.
        self.date = f"date: {formatdate(usegmt=True)}\r\n".encode()
        self._clock = asyncio.get_running_loop().call_later(1.0, self._tick)

    async def stop(self, grace: float = 30.0) -> None:
        """Stop accepting, let answers in progress go out (up to `grace` s), close the rest."""
        if self.server is not None:
            self.server.close()
        for connection in list(self.connections):
            connection.close_when_idle()
        deadline = time.monotonic() + grace
        while any(c.busy for c in self.connections) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        for connection in list(self.connections):
            connection.close()
        if self._clock is not None:
            self._clock.cancel()


class HttpConnection(asyncio.Protocol):
    """One client connection: parse, queue, answer in order."""

    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.client = ""
        # Requests to answer, in order; a Response is a refusal, answered last (then close).
        self.pending: deque[tuple[Request, bool] | Response] = deque()
        self.task: asyncio.Task[None] | None = None
        self.writable = asyncio.Event()
        self.writable.set()
        self.reading_paused = False
        self.stopping = False
        self.refused = False  # nothing more is read once a request is refused
        self._reset()

    @property
    def busy(self) -> bool:
        return self.task is not None

    def _reset(self) -> None:
        self.url = b""
        self.headers: dict[str, str] = {}
        self.repeated: dict[str, list[str]] | None = None
        self.cased: dict[str, str] | None = None
        self.body: list[bytes] = []
        self.size = 0

    # -- asyncio.Protocol -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self.client = peer[0] if peer else ""
        self.server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.connections.discard(self)
        self.transport = None
        self.writable.set()  # a streamed answer waiting to write gives up at once

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._refuse(_plain(501, b"cloudlet does not upgrade connections"))
        except httptools.HttpParserError:
            self._refuse(_plain(400, b"malformed HTTP request"))

    def pause_writing(self) -> None:
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()

    # -- httptools callbacks ---------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._reset()

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        spelled = name.decode("latin-1")
        key = spelled.lower()
        if key != spelled:
            if self.cased is None:
                self.cased = {}
            self.cased[key] = spelled
        text = value.decode("latin-1")
        if key in self.headers:
            self._repeat(key, text)
        else:
            self.headers[key] = text

    def _repeat(self, key: str, text: str) -> None:
        # Rare: the joined value serves every reader, the list those that tell lines apart.
        if self.repeated is None:
            self.repeated = {}
        self.repeated.setdefault(key, [self.headers[key]]).append(text)
        self.headers[key] = f"{self.headers[key]},{text}"

    def on_headers_complete(self) -> None:
        declared = self.headers.get("content-length", "0")
        if declared.isdigit() and int(declared) > self.server.max_body:
            self._refuse(self.server.too_large(self._request(b"")))
            return
        if self.headers.get("expect", "").lower() == "100-continue" and self.transport:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        if self.refused:
            return
        self.size += len(body)
        if self.size > self.server.max_body:  # chunked: no length was declared
            self._refuse(self.server.too_large(self._request(b"")))
            return
        self.body.append(body)

    def on_message_complete(self) -> None:
        if self.refused or self.transport is None or self.transport.is_closing():
            return
        self.pending.append((self._request(b"".join(self.body)), self.parser.should_keep_alive()))
        if len(self.pending) > PIPELINE_LIMIT and not self.reading_paused:
            self.transport.pause_reading()
            self.reading_paused = True
        self._answer_pending()

    def _request(self, body: bytes) -> Request:
        url = httptools.parse_url(self.url)
        return Request(
            self.parser.get_method().decode("latin-1"),
            url.path.decode("latin-1"),
            url.query.decode("latin-1") if url.query else "",
            self.headers,
            body,
            self.client,
            self.repeated,
            self.cased,
        )

    # -- answering ---------------------------------------------------------------------------

    def _answer_pending(self) -> None:
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self._answer())

    async def _answer(self) -> None:
        try:
            while self.pending and self.transport is not None:
                item = self.pending.popleft()
                if isinstance(item, Response):  # a refusal: the connection cannot go on
                    await self._write(item, keep_alive=False, head_only=False)
                    self.close()
                    return
                request, keep_alive = item
                try:
                    response = await self.server.handler(request)
                except Exception:
                    log.exception("%s %s failed", request.method, request.raw_path)
                    response = Response(500, [("content-type", "text/plain")], b"internal error")
                keep_alive = keep_alive and not self.stopping
                await self._write(response, keep_alive, head_only=request.method == "HEAD")
                if not keep_alive:
                    self.close()
                    return
                if self.reading_paused and len(self.pending) <= PIPELINE_LIMIT // 2:
                    self.reading_paused = False
                    if self.transport is not None:
                        self.transport.resume_reading()
        finally:
            self.task = None

    async def _write(self, response: Response, keep_alive: bool, head_only: bool) -> None:
        transport = self.transport
        if transport is None:
            return
        body = response.body
        head = [_status_line(response.status)]
        declared = False
        for name, value in response.headers:
            if name.lower() == "content-length":
                declared = True
            head.append(f"{name}: {value}\r\n".encode("latin-1"))
        head.append(self.server.date)
        if not keep_alive:
            head.append(b"connection: close\r\n")
        if isinstance(body, bytes | bytearray):
            if not declared:
                head.append(b"content-length: %d\r\n" % len(body))
            head.append(b"\r\n")
            if not head_only:
                head.append(body)
            transport.write(b"".join(head))
            return
        head.append(b"transfer-encoding: chunked\r\n\r\n")
        transport.write(b"".join(head))
        await self._stream(body)

    async def _stream(self, chunks: AsyncIterator[bytes]) -> None:
        async for chunk in chunks:
            if self.transport is None:
                return  # the client went away; the producer still runs to its end
            if chunk:
                self.transport.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            if not self.writable.is_set():
                await self.writable.wait()
        if self.transport is not None:
            self.transport.write(b"0\r\n\r\n")

    def _refuse(self, response: Response) -> None:
        """Answer `response` after the requests read before it, then close: this request
        cannot be read any further, so neither can anything after it."""
        if self.refused or self.transport is None or self.transport.is_closing():
            return
        self.refused = True
        self.transport.pause_reading()
        self.pending.append(response)
        self._answer_pending()

    def close_when_idle(self) -> None:
        self.stopping = True
        if self.task is None:
            self.close()

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()


def _status_line(status: int) -> bytes:
    return _STATUS_LINES.get(status) or f"HTTP/1.1 {status} Status {status}\r\n".encode()


def _plain(status: int, text: bytes) -> Response:
    return Response(status, [("content-type", "text/plain")], text)
