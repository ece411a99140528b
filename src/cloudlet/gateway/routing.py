"""Which service and operation a request is for.

In order: `X-Amz-Target` (json services), the SigV4 credential scope's service (query and
REST services; several services may share a signing name, and the one whose protocol finds
an operation wins), then, for unsigned requests, every service whose protocol recognizes
the request (`Action=` for query, method and path for REST).
"""

from __future__ import annotations

from cloudlet.gateway.auth import Signature
from cloudlet.gateway.catalog import OperationEntry, ServiceEntry, unknown_operation
from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.http import Request

Route = tuple[ServiceEntry, OperationEntry, dict[str, str]]


class RouteError(Exception):
    """No operation for the request; `service` is set when the service, at least, is known."""

    def __init__(self, error: ServiceError, service: ServiceEntry | None) -> None:
        super().__init__(error.message)
        self.error = error
        self.service = service


class Router:
    def __init__(self, services: list[ServiceEntry]) -> None:
        self.services = services
        self.by_target_prefix = {s.target_prefix: s for s in services if s.target_prefix}
        self.by_signing_name: dict[str, list[ServiceEntry]] = {}
        for service in services:
            self.by_signing_name.setdefault(service.signing_name, []).append(service)

    def route(self, request: Request, signature: Signature | None) -> Route:
        target = request.headers.get("x-amz-target")
        if target is not None:
            service = self.by_target_prefix.get(target.rpartition(".")[0])
            if service is not None:
                return self._operation(service, request)
        if signature is not None:
            candidates = self.by_signing_name.get(signature.service, [])
            for service in candidates:
                route = self._try(service, request)
                if route is not None:
                    return route
            if candidates:
                return self._operation(candidates[0], request)
        for service in self.services:
            if service.model.protocol != "json":
                route = self._try(service, request)
                if route is not None:
                    return route
        raise RouteError(_unknown_service(request, signature), None)

    def _operation(self, service: ServiceEntry, request: Request) -> Route:
        found = service.protocol.find_operation(request)
        name, path_params = found or ("", {})
        operation = service.operations.get(name)
        if operation is None:
            raise RouteError(unknown_operation(service, name), service)
        return service, operation, path_params

    def _try(self, service: ServiceEntry, request: Request) -> Route | None:
        found = service.protocol.find_operation(request)
        if found is None or found[0] not in service.operations:
            return None
        return service, service.operations[found[0]], found[1]


def _unknown_service(request: Request, signature: Signature | None) -> ServiceError:
    if signature is not None:
        return ServiceError(
            "NotImplemented",
            f"cloudlet does not implement the {signature.service} service yet",
            status=501,
            sender_fault=False,
        )
    return ServiceError(
        "UnrecognizedClientException",
        f"cloudlet cannot tell which AWS service {request.method} {request.raw_path} is for:"
        " sign the request with SigV4 (any credentials work on loopback)",
        status=400,
    )
