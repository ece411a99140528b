"""The services cloudlet serves, compiled from botocore's models.

For each provider: its service model (patched by the provider where the model lacks
something, such as SQS's legacy query traits), the wire protocols it speaks (the model's
metadata `protocols`: SQS answers both json and its legacy query protocol), and per protocol
and operation the compiled parser/serializer, with the input validator and provider method.
An operation is compiled on its first call, once: most operations of a service are never
called, and compiling them all would cost more than a second at start-up.

A protocol whose traits would mislead another (SQS's XML names: json reads `locationName`
too) gets its own copy of the model, under the raw model's `protocolModels` key.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from botocore import xform_name
from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel
from botocore.utils import merge_dicts

from cloudlet.gateway.auth_errors import QUERY_CODES as AUTH_QUERY_CODES
from cloudlet.gateway.errors import ServiceError, not_implemented
from cloudlet.gateway.protocols import CompiledOperation, WireProtocol, protocol_for
from cloudlet.gateway.validate import Alternative, Problem, compile_validator
from cloudlet.services.base import RequestContext, Service

Handler = Callable[[RequestContext, dict[str, Any]], Awaitable[dict[str, Any] | None]]


class OperationEntry:
    """One operation in one protocol: its wire format and validator, compiled when first used."""

    __slots__ = ("_validate", "_wire", "alternatives", "handler", "model", "name", "protocol")

    def __init__(
        self,
        model: OperationModel,
        protocol: WireProtocol,
        handler: Handler | None,
        alternatives: tuple[Alternative, ...] = (),
    ) -> None:
        self.name = model.name
        self.model = model
        self.protocol = protocol  # the protocol `wire` speaks, in which errors are rendered
        self.handler = handler
        self.alternatives = alternatives  # the provider's `checked_as`, as shapes
        self._wire: CompiledOperation | None = None
        self._validate: Callable[[dict[str, Any]], list[Problem]] | None = None

    @property
    def wire(self) -> CompiledOperation:
        if self._wire is None:
            self._wire = self.protocol.compile(self.model)
        return self._wire

    def validate(self, params: dict[str, Any]) -> list[Problem]:
        if self._validate is None:
            self._validate = compile_validator(self.model.input_shape, self.alternatives)
        return self._validate(params)


@dataclass(eq=False)
class Binding:
    """A service in one of the protocols it speaks, with an entry for each of its operations."""

    service: ServiceEntry
    protocol: WireProtocol
    operations: dict[str, OperationEntry] = field(default_factory=dict)


@dataclass(eq=False)
class ServiceEntry:
    name: str
    model: ServiceModel
    provider: Service
    bindings: list[Binding] = field(default_factory=list)  # the model's protocols, in order
    error_statuses: dict[str, int] = field(default_factory=dict)  # modelled error -> status

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
        try:
            return await operation.handler(ctx, params)
        except ServiceError as error:
            if not error.status_given:
                error.status = self.error_statuses.get(error.code, error.status)
            raise


def load_service(provider: Service) -> ServiceEntry:
    """Compile `provider`'s service model into a `ServiceEntry`."""
    raw = _fresh_model(provider.name)
    provider.patch_model(raw)
    model = ServiceModel(raw, provider.name)
    query_codes = {
        name: shape["error"]["code"]
        for name, shape in raw["shapes"].items()
        if shape.get("exception") and "code" in shape.get("error", {})
    }
    # A service that moved from query to json also sends its auth refusals' query codes.
    query_codes.update(AUTH_QUERY_CODES)
    statuses = {
        name: shape["error"]["httpStatusCode"]
        for name, shape in raw["shapes"].items()
        if shape.get("exception") and "httpStatusCode" in shape.get("error", {})
    }
    entry = ServiceEntry(provider.name, model, provider, error_statuses=statuses)
    handlers = {name: _handler(provider, name) for name in model.operation_names}
    views = raw.get("protocolModels", {})
    for kind in raw["metadata"].get("protocols") or [model.protocol]:
        view = ServiceModel(views[kind], provider.name) if kind in views else model
        protocol = protocol_for(view, query_codes, kind)
        binding = Binding(entry, protocol)
        alternatives = tuple(
            Alternative(view.shape_for(name), view.shape_for(other), when)
            for name, (other, when) in provider.checked_as.items()
        )
        for operation in map(view.operation_model, view.operation_names):
            binding.operations[operation.name] = OperationEntry(
                operation, protocol, handlers[operation.name], alternatives
            )
        entry.bindings.append(binding)
    return entry


_loader = Loader()


def _fresh_model(name: str) -> dict[str, Any]:
    """A service's model parsed anew, for its provider to patch: a fresh parse costs a
    fraction of a deep copy of the loader's cached one."""
    version = _loader.determine_latest_version(name, "service-2")
    for root in _loader.search_paths:
        path = os.path.join(root, name, version, "service-2")
        found = _loader.file_loader.load_file(path)
        if found is not None:
            extras = _loader.file_loader.load_file(f"{path}.sdk-extras")  # as botocore merges
            if extras is not None:
                merge_dicts(found, extras.get("merge", {}))
            return dict(found)
    return _loader.load_service_model(name, "service-2")


def _handler(provider: Service, operation: str) -> Handler | None:
    method = getattr(provider, xform_name(operation), None)
    if method is None:
        return None
    if asyncio.iscoroutinefunction(method):
        return method  # type: ignore[no-any-return]

    async def call_sync(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any] | None:
        return method(ctx, params)  # type: ignore[no-any-return]

    return call_sync


def unknown_operation(service: ServiceEntry, protocol: WireProtocol, name: str) -> ServiceError:
    """What the service answers, in `protocol`, when asked for an operation it does not have."""
    if protocol.name != "query":
        return ServiceError("UnknownOperationException", f"Unknown operation {name}")
    if not name:
        return ServiceError(
            "MissingAction", "The request is missing an action or a required parameter."
        )
    if "awsQueryCompatible" in service.model.metadata:  # SQS keeps its own wording
        return ServiceError(
            "InvalidAction", f"The action {name} is not valid for this web service."
        )
    return ServiceError(
        "InvalidAction", f"Could not find operation {name} for version {service.model.api_version}"
    )
