"""What answers every request on cloudlet's one port: AWS API calls, services' own front
doors (API Gateway invocations, function URLs), and cloudlet's own `/_cloudlet/`.

`Gateway.respond(request)` is all an HTTP server needs (gateway/http_server.py serves it);
no framework: the gateway's cost is on every request's path (see docs/benchmarks.md).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

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


class Gateway:
    def __init__(
        self,
        config: Config,
        services: list[ServiceEntry],
        internal: Internal,
        front_doors: list[FrontDoor] | None = None,
    ) -> None:
        self.config = config
        self.front_doors = front_doors or []
        self.router = Router(services)
        self.auth = Authenticator(config, services)
        self.internal = internal
        self.trace = log.isEnabledFor(logging.DEBUG)

    async def respond(self, request: Request) -> Response:
        """Answer one HTTP request, whatever it is for."""
        if request.raw_path.startswith("/_cloudlet/"):
            return await self.internal(request)
        for door in self.front_doors:
            if door.claims(request):
                return await door(request)
        return await self.handle(request)

    def too_large(self, request: Request) -> Response:
        """The answer to a request whose body is over CLOUDLET_MAX_REQUEST_BYTES, given its
        head only: worded in the request's protocol when the head tells it (X-Amz-Target, the
        signature's service and the content type), else as a json protocol error. Front
        doors get the latter too: each refuses bodies over its own, smaller limit (API
        Gateway's 10 MB, a function URL's 6 MB) in its own words, and the gateway's limit
        (80 MB by default) is reached only past those. AWS's own front end answers SQS's
        oversized requests in plain text (`HTTP content length exceeded 1662976 bytes.`),
        which SDKs cannot parse; an error in the protocol's shape keeps the 413 and reads."""
        error = ServiceError(
            "RequestEntityTooLarge",
            f"Request body exceeds {self.config.max_request_bytes} bytes",
            status=413,
        )
        signature = parse_signature(request)
        scope = signature if signature is None or signature.problem is None else None
        return _render(self.router.protocol_of(request, scope), error, random_uuid())

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


def _render(protocol: WireProtocol | None, error: ServiceError, request_id: str) -> Response:
    if protocol is not None:
        return protocol.error(error, request_id)
    body = orjson.dumps({"__type": error.code, "message": error.message})
    return Response(
        error.status,
        [("content-type", "application/x-amz-json-1.0"), ("x-amzn-requestid", request_id)],
        body,
    )
