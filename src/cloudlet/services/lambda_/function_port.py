"""Lambda's side of the `Functions` port: functions by ARN, for delivery and other services."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from cloudlet.delivery.ports import AsyncSettings, FunctionTarget, Invocation, InvokeRefused
from cloudlet.gateway.errors import ServiceError
from cloudlet.ids import random_uuid
from cloudlet.services.lambda_.model import Function
from cloudlet.services.lambda_.names import LATEST, parse_function_name

if TYPE_CHECKING:
    from cloudlet.services.lambda_.invoke import InvokeOperations


class LambdaFunctions:
    def __init__(self, service: InvokeOperations) -> None:
        self.service = service

    def resolve(self, arn: str) -> FunctionTarget | None:
        found = self._function(arn)
        if found is None:
            return None
        function, qualifier = found
        try:
            version = self.service.resolve(function, qualifier)
        except ServiceError:
            return None
        config = function.event_configs.get(qualifier or LATEST) or {}
        destinations = config.get("DestinationConfig") or {}
        settings = AsyncSettings(
            config.get("MaximumRetryAttempts", 2),
            config.get("MaximumEventAgeInSeconds", 21_600),
            (destinations.get("OnSuccess") or {}).get("Destination") or None,
            (destinations.get("OnFailure") or {}).get("Destination") or None,
            (version.config.get("DeadLetterConfig") or {}).get("TargetArn") or None,
        )
        return FunctionTarget(
            function.arn, qualifier, settings, str(version.config.get("Role") or "")
        )

    async def invoke(
        self, arn: str, payload: bytes, *, request_id: str = "", trace_header: str = ""
    ) -> Invocation:
        found = self._function(arn)
        if found is None:
            raise InvokeRefused(
                404, "ResourceNotFoundException", f"Function not found: {arn}", retryable=False
            )
        function, qualifier = found
        try:
            version = self.service.pick(function, qualifier)
        except ServiceError as error:
            raise InvokeRefused(error.status, error.code, error.message, retryable=False) from None
        state = version.config.get("State")
        if state != "Active":
            # Pending: the function is being created or updated; the event may run later.
            raise InvokeRefused(
                409,
                "ResourceConflictException",
                f"The function is currently in the following state: {state}",
                retryable=True,
            )
        result = await self.service.run(
            function,
            version,
            arn,
            payload,
            request_id=request_id or random_uuid(),
            trace_header=trace_header,
        )
        return Invocation(result.payload, result.function_error, version.number)

    async def invoke_async(self, arn: str, payload: bytes, *, trace_header: str = "") -> str:
        if self._function(arn) is None:
            raise InvokeRefused(
                404, "ResourceNotFoundException", f"Function not found: {arn}", retryable=False
            )
        request_id = random_uuid()
        await self.service.async_invoker.put(arn, payload, request_id, trace_header)
        return request_id

    def _function(self, arn: str) -> tuple[Function, str | None] | None:
        """The function a full ARN names, and its qualifier."""
        ref = _parse(arn)
        if ref.account is None or ref.region is None:
            return None
        function = self.service.registry.functions.get((ref.account, ref.region, ref.name))
        return None if function is None else (function, ref.qualifier)


# Every attempt of every queued event resolves its ARN: the few ARNs in use are parsed once.
_parse = functools.lru_cache(maxsize=4096)(parse_function_name)
