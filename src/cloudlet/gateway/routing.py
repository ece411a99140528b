"""Which service and operation a request is for.

In order: `X-Amz-Target` (json services), the SigV4 credential scope's service (query and
REST services; several services, and one service's several protocols, may share a signing
name, and the protocol that finds an operation wins: SQS's json or its legacy query), then,
for unsigned requests, every protocol that recognizes the request (`Action=` for query,
method and path for REST). The route names the protocol, which renders the answer and errors.
"""

from __future__ import annotations

from cloudlet.gateway.auth import Signature
from cloudlet.gateway.catalog import Binding, OperationEntry, ServiceEntry, unknown_operation
from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.http import Request
from cloudlet.gateway.protocols import WireProtocol
from cloudlet.gateway.protocols.query import is_form

Route = tuple[ServiceEntry, OperationEntry, dict[str, str]]


class RouteError(Exception):
    """No operation for the request; `service` and `protocol` are set when known."""

    def __init__(
        self,
        error: ServiceError,
        service: ServiceEntry | None,
        protocol: WireProtocol | None = None,
    ) -> None:
        super().__init__(error.message)
        self.error = error
        self.service = service
        self.protocol = protocol


class Router:
    def __init__(self, services: list[ServiceEntry]) -> None:
        self.services = services
        self.by_target_prefix: dict[str, Binding] = {}
        self.by_signing_name: dict[str, list[Binding]] = {}
        self.untargeted: list[Binding] = []
        for service in services:
            for binding in service.bindings:
                self.by_signing_name.setdefault(service.signing_name, []).append(binding)
                if binding.protocol.name == "json":
                    if service.target_prefix:
                        self.by_target_prefix[service.target_prefix] = binding
                else:
                    self.untargeted.append(binding)

    def route(self, request: Request, signature: Signature | None) -> Route:
        target = request.headers.get("x-amz-target")
        if target is not None:
            binding = self.by_target_prefix.get(target.rpartition(".")[0])
            if binding is not None:
                return self._operation(binding, request)
        if signature is not None:
            candidates = self.by_signing_name.get(signature.service, [])
            recognized: Binding | None = None
            for binding in candidates:
                found = binding.protocol.find_operation(request)
                if found is None:
                    continue
                operation = binding.operations.get(found[0])
                if operation is not None:
                    return binding.service, operation, found[1]
                recognized = recognized or binding
            # Not an operation of the service: answer in the protocol the request is written in.
            if recognized or candidates:
                return self._operation(recognized or candidates[0], request)
        for binding in self.untargeted:
            found = binding.protocol.find_operation(request)
            if found is not None and found[0] in binding.operations:
                return binding.service, binding.operations[found[0]], found[1]
        raise RouteError(_unknown_service(request, signature), None)

    def protocol_of(self, request: Request, signature: Signature | None) -> WireProtocol | None:
        """The protocol a request is written in, told from its head alone: for refusing a
        request whose body is not read (over the size limit). None when the head cannot say."""
        target = request.headers.get("x-amz-target")
        if target is not None:
            binding = self.by_target_prefix.get(target.rpartition(".")[0])
            if binding is not None:
                return binding.protocol
        if signature is None:
            return None
        candidates = self.by_signing_name.get(signature.service, [])
        # A form body is the query protocol's (SQS's legacy one beside its json); any other
        # body, the service's other protocol.
        form = is_form(request)
        for binding in candidates:
            if (binding.protocol.name == "query") == form:
                return binding.protocol
        return candidates[0].protocol if candidates else None

    def _operation(self, binding: Binding, request: Request) -> Route:
        found = binding.protocol.find_operation(request)
        name, path_params = found or ("", {})
        operation = binding.operations.get(name)
        if operation is None:
            error = unknown_operation(binding.service, binding.protocol, name)
            raise RouteError(error, binding.service, binding.protocol)
        return binding.service, operation, path_params


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
