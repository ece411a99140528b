"""Reserved concurrency (a function's own slice of the account's) and provisioned concurrency."""

from __future__ import annotations

from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.base import RequestContext
from cloudlet.services.lambda_.core import LambdaCore
from cloudlet.services.lambda_.errors import invalid_parameter
from cloudlet.services.lambda_.model import Function, Provisioned, timestamp
from cloudlet.services.lambda_.names import LATEST
from cloudlet.services.lambda_.paging import paginate


def _no_provisioned_config() -> ServiceError:
    return ServiceError(
        "ProvisionedConcurrencyConfigNotFoundException",
        "No Provisioned Concurrency Config found for this function",
        status=404,
    )


class ConcurrencyOperations(LambdaCore):
    # -- reserved -----------------------------------------------------------------------------

    async def put_function_concurrency(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        function = self.unqualified(ctx, request["FunctionName"])
        amount = request["ReservedConcurrentExecutions"]
        limits = self.engine.concurrency
        scope = (function.account, function.region)
        unreserved = limits.unreserved(scope) + (function.reserved or 0) - amount
        if unreserved < limits.unreserved_minimum:
            raise invalid_parameter(
                "Specified ReservedConcurrentExecutions for function decreases account's "
                f"UnreservedConcurrentExecution below its minimum value of "
                f"[{limits.unreserved_minimum}]."
            )
        await self._reserve(function, amount)
        return {"ReservedConcurrentExecutions": amount}

    async def get_function_concurrency(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        function = self.unqualified(ctx, request["FunctionName"])
        if function.reserved is None:
            return {}
        return {"ReservedConcurrentExecutions": function.reserved}

    async def delete_function_concurrency(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> None:
        await self._reserve(self.unqualified(ctx, request["FunctionName"]), None)

    async def _reserve(self, function: Function, amount: int | None) -> None:
        previous, function.reserved = function.reserved, amount
        try:
            await self.registry.save(function)
        except BaseException:
            function.reserved = previous
            raise
        scope = (function.account, function.region)
        self.engine.concurrency.set_reserved(scope, function.arn, amount)

    # -- provisioned --------------------------------------------------------------------------

    async def put_provisioned_concurrency_config(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        function, ref = self.lookup(ctx, request["FunctionName"], request["Qualifier"])
        qualifier = ref.qualifier or LATEST
        if qualifier == LATEST:
            raise invalid_parameter(
                "Provisioned Concurrency Configs cannot be applied to unpublished function"
                " versions."
            )
        version = self.resolve(function, qualifier)
        requested = request["ProvisionedConcurrentExecutions"]
        if function.reserved is not None and requested > function.reserved:
            raise invalid_parameter(
                "Requested Provisioned Concurrency should not be greater than the "
                "reservedConcurrentExecution for function"
            )
        config = Provisioned(requested, timestamp())
        await self.registry.save(function, provisioned=[(qualifier, config)])
        previous = function.provisioned.get(qualifier)
        if previous is not None and previous.version is not None:
            await self.provisioner.stop(function, qualifier)
        function.provisioned[qualifier] = config
        self.provisioner.start(function, qualifier, version)
        return self._describe(function, config)

    async def get_provisioned_concurrency_config(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        function, ref = self.lookup(ctx, request["FunctionName"], request["Qualifier"])
        config = function.provisioned.get(ref.qualifier or LATEST)
        if config is None:
            raise _no_provisioned_config()
        return self._describe(function, config)

    async def list_provisioned_concurrency_configs(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        function = self.unqualified(ctx, request["FunctionName"])
        listed = [
            {"FunctionArn": function.qualified_arn(qualifier), **self._describe(function, config)}
            for qualifier, config in sorted(function.provisioned.items())
        ]
        page, marker = paginate(listed, request.get("Marker"), request.get("MaxItems") or 50)
        result: dict[str, Any] = {"ProvisionedConcurrencyConfigs": page}
        if marker:
            result["NextMarker"] = marker
        return result

    async def delete_provisioned_concurrency_config(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> None:
        function, ref = self.lookup(ctx, request["FunctionName"], request["Qualifier"])
        qualifier = ref.qualifier or LATEST
        if qualifier not in function.provisioned:
            raise _no_provisioned_config()
        await self.registry.delete_rows(function, provisioned=[qualifier])
        await self.provisioner.stop(function, qualifier)
        del function.provisioned[qualifier]

    def _describe(self, function: Function, config: Provisioned) -> dict[str, Any]:
        available = self.provisioner.available(function, config) if config.status == "READY" else 0
        described: dict[str, Any] = {
            "RequestedProvisionedConcurrentExecutions": config.requested,
            "AvailableProvisionedConcurrentExecutions": available,
            "AllocatedProvisionedConcurrentExecutions": available,
            "Status": config.status,
            "LastModified": config.modified,
        }
        if config.reason:
            described["StatusReason"] = config.reason
        return described
