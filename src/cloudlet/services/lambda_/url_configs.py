"""Create/Get/Update/Delete/ListFunctionUrlConfig(s): a function's URLs, with AWS's errors.

The URLs themselves answer through the front door (url_door.py). A function's URLs go when
the function does; a URL whose alias was deleted stays, and answers 403, as on AWS.
"""

from __future__ import annotations

from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.gateway.http import FrontDoor
from cloudlet.services.base import Platform, RequestContext
from cloudlet.services.lambda_.errors import conflict
from cloudlet.services.lambda_.model import Function
from cloudlet.services.lambda_.names import LATEST, check_scope, parse_function_name
from cloudlet.services.lambda_.paging import paginate
from cloudlet.services.lambda_.stream_invoke import StreamInvokeOperations
from cloudlet.services.lambda_.url_door import FunctionUrlDoor
from cloudlet.services.lambda_.urls import UrlConfig, UrlRegistry, new_url_id, url_timestamp

_NOT_FOUND = "The resource you requested does not exist."


def _missing_function() -> ServiceError:
    return ServiceError("ResourceNotFoundException", "Function does not exist", status=404)


def _missing_resource() -> ServiceError:
    return ServiceError("ResourceNotFoundException", _NOT_FOUND, status=404)


class UrlConfigOperations(StreamInvokeOperations):
    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.urls = UrlRegistry(self.store)
        self.url_door = FunctionUrlDoor(self)

    def front_door(self) -> FrontDoor | None:
        return self.url_door

    def status(self) -> dict[str, Any]:
        return {**super().status(), "function_urls": len(self.urls.by_id)}

    async def create_function_url_config(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        function, qualifier = self._url_target(ctx, request, _missing_function)
        existing = self.urls.by_key.get((*function.key, qualifier))
        if existing is not None:
            raise conflict(
                f"Failed to create function url config for [functionArn = "
                f"{existing.function_arn}]. Error message:  FunctionUrlConfig exists for this "
                "Lambda function"
            )
        if qualifier != LATEST and qualifier not in function.aliases:
            raise _missing_function()
        url_id = new_url_id()
        while url_id in self.urls.by_id:
            url_id = new_url_id()
        now = url_timestamp()
        config = UrlConfig(
            url_id,
            function.account,
            function.region,
            function.name,
            qualifier,
            request["AuthType"],
            now,
            now,
            request.get("Cors") or None,
            request.get("InvokeMode"),
        )
        await self.urls.save(config)
        return config.describe(self.config.port, modified=False)

    async def get_function_url_config(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        return self._url_config(ctx, request).describe(self.config.port)

    async def update_function_url_config(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        function, qualifier = self._url_target(ctx, request, _missing_function)
        if qualifier != LATEST and qualifier not in function.aliases:
            raise _missing_function()
        current = self.urls.by_key.get((*function.key, qualifier))
        if current is None:
            raise _missing_resource()
        updated = UrlConfig(
            current.url_id,
            current.account,
            current.region,
            current.function,
            current.qualifier,
            request.get("AuthType") or current.auth_type,
            current.created,
            url_timestamp(),
            # An empty Cors removes the configuration (how Terraform drops its cors block).
            (request["Cors"] or None) if "Cors" in request else current.cors,
            request.get("InvokeMode") or current.invoke_mode,
        )
        await self.urls.save(updated)
        return updated.describe(self.config.port)

    async def delete_function_url_config(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> None:
        await self.urls.delete([self._url_config(ctx, request)])

    async def list_function_url_configs(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        function, _ = self._url_target(ctx, request, _missing_function)
        configs = [
            config.describe(self.config.port)
            for config in sorted(
                self.urls.of_function(*function.key),
                key=lambda c: (c.qualifier != LATEST, c.created),
            )
        ]
        page, marker = paginate(configs, request.get("Marker"), request.get("MaxItems") or 50)
        result: dict[str, Any] = {"FunctionUrlConfigs": page}
        if marker:
            result["NextMarker"] = marker
        return result

    async def delete_function(self, ctx: RequestContext, request: dict[str, Any]) -> None:
        function, ref = self.lookup(ctx, request["FunctionName"], request.get("Qualifier"))
        await super().delete_function(ctx, request)
        if ref.qualifier is None:
            await self.urls.delete(self.urls.of_function(*function.key))

    # -- lookups -------------------------------------------------------------------------------

    def _url_config(self, ctx: RequestContext, request: dict[str, Any]) -> UrlConfig:
        function, qualifier = self._url_target(ctx, request, _missing_resource)
        config = self.urls.by_key.get((*function.key, qualifier))
        if config is None:
            raise _missing_resource()
        return config

    def _url_target(
        self, ctx: RequestContext, request: dict[str, Any], missing: Any
    ) -> tuple[Function, str]:
        """The function a URL operation names and its qualifier: $LATEST or an alias (the
        model's patterns refuse a version number or `$LATEST` given by name)."""
        ref = parse_function_name(request["FunctionName"], request.get("Qualifier"))
        check_scope(ref, ctx.account_id, ctx.region)
        function = self.registry.functions.get((ctx.account_id, ctx.region, ref.name))
        if function is None:
            raise missing()
        return function, ref.qualifier or LATEST
