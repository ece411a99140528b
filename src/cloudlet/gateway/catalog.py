"""The services cloudlet serves, compiled once at start-up from botocore's models.

For each provider: its service model (patched by the provider where the model lacks
something, such as SQS's legacy query traits), its wire protocol, and per operation the
compiled parser/serializer, the input validator and the provider method.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from botocore import xform_name
from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel

from cloudlet.gateway.errors import ServiceError, not_implemented
from cloudlet.gateway.protocols import CompiledOperation, WireProtocol, protocol_for
from cloudlet.gateway.validate import Problem, compile_validator
from cloudlet.services.base import RequestContext, Service

Handler = Callable[[RequestContext, dict[str, Any]], Awaitable[dict[str, Any] | None]]

_loader = Loader()


@dataclass(eq=False)
class OperationEntry:
    name: str
    model: OperationModel
    wire: CompiledOperation
    validate: Callable[[dict[str, Any]], list[Problem]]
    handler: Handler | None


@dataclass(eq=False)
class ServiceEntry:
    name: str
    model: ServiceModel
    protocol: WireProtocol
    provider: Service
    operations: dict[str, OperationEntry] = field(default_factory=dict)

    @property
    def signing_name(self) -> str:
        return str(self.model.signing_name)

    @property
    def target_prefix(self) -> str | None:
        return self.model.metadata.get("targetPrefix")

    async def call(
        self, operation: OperationEntry, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Validate `params` and run the provider's method for `operation`."""
        problems = operation.validate(params)
        if problems:
            raise self.provider.invalid_input(operation.name, problems)
        if operation.handler is None:
            raise not_implemented(self.name, operation.name)
        return await operation.handler(ctx, params)


def load_service(provider: Service) -> ServiceEntry:
    """Compile `provider`'s service model into a `ServiceEntry`."""
    raw = copy.deepcopy(_loader.load_service_model(provider.name, "service-2"))
    provider.patch_model(raw)
    model = ServiceModel(raw, provider.name)
    query_codes = {
        name: shape["error"]["code"]
        for name, shape in raw["shapes"].items()
        if shape.get("exception") and "code" in shape.get("error", {})
    }
    protocol = protocol_for(model, query_codes)
    entry = ServiceEntry(provider.name, model, protocol, provider)
    for name in model.operation_names:
        operation = model.operation_model(name)
        entry.operations[name] = OperationEntry(
            name=name,
            model=operation,
            wire=protocol.compile(operation),
            validate=compile_validator(operation.input_shape),
            handler=_handler(provider, name),
        )
    return entry


def _handler(provider: Service, operation: str) -> Handler | None:
    method = getattr(provider, xform_name(operation), None)
    if method is None:
        return None
    if asyncio.iscoroutinefunction(method):
        return method  # type: ignore[no-any-return]

    async def call_sync(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any] | None:
        return method(ctx, params)  # type: ignore[no-any-return]

    return call_sync


def unknown_operation(service: ServiceEntry, name: str) -> ServiceError:
    """What the service answers when asked for an operation it does not have."""
    if service.model.protocol == "query":
        return ServiceError(
            "InvalidAction", f"The action {name} is not valid for this web service."
        )
    return ServiceError("UnknownOperationException", f"Unknown operation {name}")
