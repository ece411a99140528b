"""The ASGI application on cloudlet's one port: AWS API calls, services' own front doors (API
Gateway invocations, function URLs), and cloudlet's own `/_cloudlet/`.

A raw ASGI callable, no framework: the gateway's cost is on every request's path, and a
framework's routing and request objects would be paid for nothing (see docs/benchmarks.md).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from cloudlet.config import Config
from cloudlet.gateway.auth import Authenticator
from cloudlet.gateway.catalog import ServiceEntry
from cloudlet.gateway.errors import ServiceError, internal_failure
from cloudlet.gateway.http import FrontDoor, Request, Response
from cloudlet.gateway.protocols import WireProtocol
from cloudlet.gateway.routing import RouteError, Router
from cloudlet.gateway.sigv4 import parse_signature
from cloudlet.ids import random_uuid
from cloudlet.services.base import RequestContext

log = logging.getLogger("cloudlet.gateway")

Internal = Callable[[Request], Awaitable[Response]]
Hook = Callable[[], Awaitable[None]]


class Gateway:
    def __init__(
        self,
        config: Config,
        services: list[ServiceEntry],
        internal: Internal,
        on_startup: Hook,
        on_shutdown: Hook,
        front_doors: list[FrontDoor] | None = None,
    ) -> None:
        self.config = config
        self.front_doors = front_doors or []
        self.router = Router(services)
        self.auth = Authenticator(config, services)
        self.internal = internal
        self.on_startup = on_startup
        self.on_shutdown = on_shutdown
        self.max_body = config.max_request_bytes
        self.trace = log.isEnabledFor(logging.DEBUG)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "lifespan":
            await self._lifespan(receive, send)

    async def _http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            headers[name] = f"{headers[name]},{value}" if name in headers else value
        declared = headers.get("content-length", "0")
        if declared.isdigit() and int(declared) > self.max_body:
            await _send(send, _too_large(self.max_body))
            return
        body = await _read_body(receive, self.max_body)
        if body is None:
            await _send(send, _too_large(self.max_body))
            return
        raw_path = scope.get("raw_path")
        request = Request(
            scope["method"],
            raw_path.decode("latin-1") if raw_path else scope["path"],
            scope["query_string"].decode("latin-1"),
            headers,
            body,
            scope["client"][0] if scope.get("client") else "",
        )
        if request.raw_path.startswith("/_cloudlet/"):
            response = await self.internal(request)
        else:
            door = next((door for door in self.front_doors if door.claims(request)), None)
            response = await (door(request) if door is not None else self.handle(request))
        await _send(send, response)

    async def handle(self, request: Request) -> Response:
        """Answer one AWS API request; every failure becomes the service's error shape."""
        started = time.perf_counter() if self.trace else 0.0
        request_id = random_uuid()
        service: ServiceEntry | None = None
        protocol: WireProtocol | None = None  # the request's, once known: errors speak it too
        operation_name = "?"
        try:
            # A malformed signature routes as unsigned; it is refused once the service is known.
            signature = parse_signature(request)
            scope = signature if signature is None or signature.problem is None else None
            service, operation, path_params = self.router.route(request, scope)
            protocol = operation.protocol
            operation_name = operation.name
            identity = self.auth.identify(request, signature, service, protocol)
            params = operation.wire.parse(request, path_params)
            host = request.headers.get("host")
            ctx = RequestContext(
                identity.account_id,
                identity.region,
                request_id,
                operation.name,
                f"http://{host}" if host else self.config.endpoint(),
                identity.access_key_id,
                request.headers.get("x-amzn-trace-id", ""),
            )
            result = await service.call(operation, ctx, params)
            response = operation.wire.serialize(result, request_id)
        except RouteError as error:
            service, protocol = error.service, error.protocol
            response = _render(protocol, error.error, request_id)
        except ServiceError as error:
            response = _render(protocol, error, request_id)
        except Exception:
            log.exception("%s %s failed", service.name if service else "?", operation_name)
            response = _render(protocol, internal_failure(), request_id)
        if self.trace:
            log.debug(
                "%s %s %d %.2fms",
                service.name if service else "-",
                operation_name,
                response.status,
                (time.perf_counter() - started) * 1000,
            )
        return response

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.on_startup()
                except Exception as error:
                    log.exception("start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(error)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.on_shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _render(protocol: WireProtocol | None, error: ServiceError, request_id: str) -> Response:
    if protocol is not None:
        return protocol.error(error, request_id)
    body = orjson.dumps({"__type": error.code, "message": error.message})
    return Response(
        error.status,
        [("content-type", "application/x-amz-json-1.0"), ("x-amzn-requestid", request_id)],
        body,
    )


def _too_large(limit: int) -> Response:
    body = orjson.dumps(
        {"__type": "RequestEntityTooLarge", "message": f"Request body exceeds {limit} bytes"}
    )
    return Response(413, [("content-type", "application/json")], body)


async def _read_body(receive: Any, limit: int) -> bytes | None:
    message = await receive()
    body: bytes = message.get("body", b"")
    if not message.get("more_body"):
        return body
    chunks = [body]
    size = len(body)
    while message.get("more_body"):
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def _send(send: Any, response: Response) -> None:
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    body = response.body
    if isinstance(body, bytes | bytearray):
        # A HEAD answer may declare the length GET would send (S3's HeadObject, from the
        # ContentLength member); otherwise the length is the body's.
        if not any(name == b"content-length" for name, _ in headers):
            headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    async for chunk in body:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})
