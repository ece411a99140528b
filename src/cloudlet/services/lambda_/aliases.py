"""Aliases: names for a version, optionally routing a share of invocations to a second one."""

from __future__ import annotations

from typing import Any

from cloudlet.services.base import RequestContext
from cloudlet.services.lambda_.core import LambdaCore
from cloudlet.services.lambda_.errors import (
    alias_not_found,
    conflict,
    function_not_found,
    invalid_parameter,
    revision_mismatch,
)
from cloudlet.services.lambda_.model import Alias, Function, new_revision
from cloudlet.services.lambda_.names import LATEST
from cloudlet.services.lambda_.paging import paginate


class AliasOperations(LambdaCore):
    async def create_alias(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        function = self.unqualified(ctx, request["FunctionName"])
        name = request["Name"]
        if name in function.aliases:
            raise conflict(f"Alias already exists: {function.qualified_arn(name)}")
        version = request["FunctionVersion"]
        routing = request.get("RoutingConfig")
        check_routing(function, version, routing)
        config: dict[str, Any] = {
            "AliasArn": function.qualified_arn(name),
            "Name": name,
            "FunctionVersion": version,
            "Description": request.get("Description") or "",
            "RevisionId": new_revision(),
        }
        set_routing(config, routing)
        alias = Alias(config)
        await self.registry.save(function, aliases=[(name, alias)])
        function.aliases[name] = alias
        return config

    async def get_alias(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        function = self.unqualified(ctx, request["FunctionName"])
        return self._alias(function, request["Name"]).config

    async def update_alias(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        function = self.unqualified(ctx, request["FunctionName"])
        name = request["Name"]
        alias = self._alias(function, name)
        if request.get("RevisionId") not in (None, alias.config["RevisionId"]):
            raise revision_mismatch()
        config = dict(alias.config)
        version = request.get("FunctionVersion") or alias.version
        routing = request.get("RoutingConfig")
        if routing is None:
            routing = config.get("RoutingConfig")
        check_routing(function, version, routing)
        config["FunctionVersion"] = version
        if request.get("Description") is not None:
            config["Description"] = request["Description"]
        set_routing(config, routing)
        config["RevisionId"] = new_revision()
        updated = Alias(config)
        await self.registry.save(function, aliases=[(name, updated)])
        function.aliases[name] = updated
        if name in function.provisioned and version != alias.version:
            # Provisioned concurrency follows the alias to its new version.
            await self.provisioner.stop(function, name)
            self.provisioner.start(function, name, self.resolve(function, name))
        return config

    async def list_aliases(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        function = self.unqualified(ctx, request["FunctionName"])
        wanted = request.get("FunctionVersion")
        configs = [
            alias.config
            for _, alias in sorted(function.aliases.items())
            if wanted is None or alias.version == wanted
        ]
        page, marker = paginate(configs, request.get("Marker"), request.get("MaxItems") or 50)
        result: dict[str, Any] = {"Aliases": page}
        if marker:
            result["NextMarker"] = marker
        return result

    async def delete_alias(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        function = self.unqualified(ctx, request["FunctionName"])
        name = request["Name"]
        self._alias(function, name)
        provisioned = [name] if name in function.provisioned else []
        await self.registry.delete_rows(function, aliases=[name], provisioned=provisioned)
        if provisioned:
            await self.provisioner.stop(function, name)
            del function.provisioned[name]
        del function.aliases[name]
        await self.drop_event_config(function, name)

    def _alias(self, function: Function, name: str) -> Alias:
        alias = function.aliases.get(name)
        if alias is None:
            raise alias_not_found(function.qualified_arn(name))
        return alias


def check_routing(function: Function, version: str, routing: dict[str, Any] | None) -> None:
    """The alias's version exists; a routing configuration names one other published version."""
    if function.version(version) is None:
        raise function_not_found(function.qualified_arn(version))
    weights = (routing or {}).get("AdditionalVersionWeights") or {}
    if not weights:
        return
    if len(weights) > 1:
        raise invalid_parameter(
            "Number of items in AdditionalVersionWeights cannot be greater than 1"
        )
    if version == LATEST:
        raise invalid_parameter(
            "$LATEST is not supported for an alias pointing to more than 1 version"
        )
    for extra in weights:
        if extra == version:
            raise invalid_parameter(
                f"Invalid function version {extra}. Function version {extra} is already included "
                "in routing configuration."
            )
        if function.version(extra) is None:
            raise function_not_found(function.qualified_arn(extra))


def set_routing(config: dict[str, Any], routing: dict[str, Any] | None) -> None:
    weights = (routing or {}).get("AdditionalVersionWeights") or {}
    if weights:
        config["RoutingConfig"] = {"AdditionalVersionWeights": weights}
    else:
        config.pop("RoutingConfig", None)
