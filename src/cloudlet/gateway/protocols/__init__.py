"""The four AWS wire protocols, each driven by botocore's service models.

A protocol finds the operation a request names (`find_operation`) and compiles each
operation once, at start-up, into a `CompiledOperation` that parses a `Request` into the
operation's input dict and serializes the provider's output dict into a `Response`;
`error` renders a `ServiceError` as the service's SDKs expect it.

Entry point: `protocol_for(service_model)`.
"""

from __future__ import annotations

from typing import Any, Protocol

from botocore.model import OperationModel, ServiceModel

from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.http import Request, Response


class CompiledOperation(Protocol):
    def parse(self, request: Request, path_params: dict[str, str]) -> dict[str, Any]: ...

    def serialize(self, result: dict[str, Any] | None, request_id: str) -> Response: ...


class WireProtocol(Protocol):
    name: str

    def compile(self, operation: OperationModel) -> CompiledOperation: ...

    def find_operation(self, request: Request) -> tuple[str, dict[str, str]] | None:
        """The operation `request` asks for, and its path parameters; None if not this API."""

    def error(self, error: ServiceError, request_id: str) -> Response: ...


def protocol_for(
    service: ServiceModel, query_codes: dict[str, str], kind: str | None = None
) -> WireProtocol:
    """The protocol `kind` (by default the one `service` speaks) for `service`.

    `query_codes` maps error names to legacy query codes.
    """
    from cloudlet.gateway.protocols.json import JsonProtocol
    from cloudlet.gateway.protocols.query import QueryProtocol
    from cloudlet.gateway.protocols.rest import RestJsonProtocol, RestXmlProtocol

    kind = kind or service.protocol
    kinds: dict[str, Any] = {
        "json": JsonProtocol,
        "query": QueryProtocol,
        "rest-json": RestJsonProtocol,
        "rest-xml": RestXmlProtocol,
    }
    if kind not in kinds:
        raise LookupError(f"cloudlet does not speak the {kind} protocol yet")
    return kinds[kind](service, query_codes)
