"""The smallest app that does what the gateway does per request: read a JSON body, answer JSON.

Served four ways by bench/asgi_servers.py (in the bench/.peers/asgi venv, except the last):
`app` is raw ASGI (uvicorn, granian, hypercorn), `rsgi_app` is granian's RSGI,
`python asgi_app.py raw PORT` is an asyncio protocol on httptools and uvloop with no
server framework at all, the floor a thin layer of our own could reach, and
`python asgi_app.py cloudlet PORT` (the project's venv) is cloudlet's own HTTP server,
`cloudlet.gateway.http_server`, with this app as its handler.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

HEADERS = [(b"content-type", b"application/x-amz-json-1.0")]


def answer(body: bytes) -> bytes:
    return b'{"MessageId":"00000000-0000-0000-0000-000000000000","Length":%d}' % len(body)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    payload = answer(body)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [*HEADERS, (b"content-length", str(len(payload)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class RsgiApp:
    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        body = await protocol()
        protocol.response_bytes(200, [("content-type", "application/x-amz-json-1.0")], answer(body))


rsgi_app = RsgiApp()


def serve_raw(port: int) -> None:
    """HTTP/1.1 keep-alive straight on httptools: one parse, one write per request."""
    import httptools
    import uvloop

    class Protocol(asyncio.Protocol):
        def connection_made(self, transport: Any) -> None:
            self.transport = transport
            self.parser = httptools.HttpRequestParser(self)
            self.chunks: list[bytes] = []

        def data_received(self, data: bytes) -> None:
            try:
                self.parser.feed_data(data)
            except httptools.HttpParserError:
                self.transport.write(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                self.transport.close()

        def on_message_begin(self) -> None:
            self.chunks = []

        def on_body(self, body: bytes) -> None:
            self.chunks.append(body)

        def on_message_complete(self) -> None:
            asyncio.get_running_loop().create_task(self.respond(b"".join(self.chunks)))

        async def respond(self, body: bytes) -> None:
            payload = answer(body)
            self.transport.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\n"
                b"content-length: %d\r\n\r\n%s" % (len(payload), payload)
            )

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Protocol, "127.0.0.1", port)
        await server.serve_forever()

    uvloop.run(main())


def serve_cloudlet(port: int) -> None:
    """cloudlet's gateway HTTP server, the app in place of the gateway."""
    import uvloop

    from cloudlet.gateway.http import Request, Response
    from cloudlet.gateway.http_server import HttpServer

    async def respond(request: Request) -> Response:
        return Response(200, [("content-type", "application/x-amz-json-1.0")], answer(request.body))

    async def main() -> None:
        server = HttpServer(respond, max_body=1 << 20, too_large=lambda _: Response(413))
        await server.start("127.0.0.1", port)
        await asyncio.Event().wait()

    uvloop.run(main())


if __name__ == "__main__" and sys.argv[1:2] == ["raw"]:
    serve_raw(int(sys.argv[2]))
if __name__ == "__main__" and sys.argv[1:2] == ["cloudlet"]:
    serve_cloudlet(int(sys.argv[2]))
