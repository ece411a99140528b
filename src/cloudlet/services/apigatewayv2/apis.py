"""HTTP APIs themselves: create (with quick create's Target and RouteKey), read, list,
update, delete; CORS configuration; tags."""

from __future__ import annotations

from typing import Any

from cloudlet.services.apigateway.ids import new_id, now
from cloudlet.services.apigateway.invocation_url import api_endpoint
from cloudlet.services.apigateway.paging import http_api_page
from cloudlet.services.apigateway.tagging import tagged
from cloudlet.services.apigatewayv2.core import HttpApiCore
from cloudlet.services.apigatewayv2.errors import bad_request, not_found
from cloudlet.services.apigatewayv2.routekeys import DEFAULT, parse
from cloudlet.services.base import RequestContext

_SETTABLE = (
    "Name",
    "Description",
    "Version",
    "CorsConfiguration",
    "DisableExecuteApiEndpoint",
    "DisableSchemaValidation",
    "RouteSelectionExpression",
    "ApiKeySelectionExpression",
    "IpAddressType",
)


class ApiOperations(HttpApiCore):
    async def create_api(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        if request["ProtocolType"] != "HTTP":
            raise bad_request("cloudlet serves HTTP APIs only; WebSocket APIs are not supported")
        target = request.get("Target")
        if request.get("RouteKey") is not None and target is None:
            raise bad_request("RouteKey is only valid with Target for quick create")
        if request.get("CredentialsArn") is not None and target is None:
            raise bad_request("CredentialsArn is only valid with Target for quick create")
        document = self._new_api(request)
        if target is not None:
            self._quick_create(document, target, request.get("RouteKey") or DEFAULT, request)
        api = document["api"]
        await self.save((ctx.account_id, ctx.region, api["ApiId"]), document, deploy=True)
        return self._api(ctx, api)

    def _new_api(self, request: dict[str, Any]) -> dict[str, Any]:
        """A new HTTP API's document, without routes: the API as CreateApi's request says."""
        api_id = new_id(10)
        api: dict[str, Any] = {
            "ApiId": api_id,
            "Name": request["Name"],
            "ProtocolType": "HTTP",
            "RouteSelectionExpression": request.get("RouteSelectionExpression")
            or "$request.method $request.path",
            "ApiKeySelectionExpression": request.get("ApiKeySelectionExpression")
            or "$request.header.x-api-key",
            "CreatedDate": now().timestamp(),
            "DisableExecuteApiEndpoint": bool(request.get("DisableExecuteApiEndpoint", False)),
            "IpAddressType": request.get("IpAddressType") or "ipv4",
            "Tags": request.get("Tags") or {},
        }
        for name in ("Description", "Version", "CorsConfiguration", "DisableSchemaValidation"):
            if request.get(name) is not None:
                api[name] = request[name]
        return {
            "api": api,
            "routes": {},
            "integrations": {},
            "authorizers": {},
            "stages": {},
            "deployments": {},
        }

    def _quick_create(
        self, document: dict[str, Any], target: str, route_key: str, request: dict[str, Any]
    ) -> None:
        """Quick create: an integration with the target, a route to it, and an
        automatically deploying `$default` stage."""
        parse(route_key)
        integration_id = new_id(7)
        integration: dict[str, Any] = {
            "IntegrationId": integration_id,
            "ConnectionType": "INTERNET",
            "IntegrationMethod": "POST",
            "IntegrationUri": target,
            "TimeoutInMillis": 30000,
        }
        if target.startswith(("http://", "https://")):
            integration.update(IntegrationType="HTTP_PROXY", IntegrationMethod="ANY")
            integration["PayloadFormatVersion"] = "1.0"
        else:
            integration.update(IntegrationType="AWS_PROXY", PayloadFormatVersion="2.0")
        if request.get("CredentialsArn"):
            integration["CredentialsArn"] = request["CredentialsArn"]
        document["integrations"][integration_id] = integration
        route_id = new_id(7)
        document["routes"][route_id] = {
            "RouteId": route_id,
            "RouteKey": route_key,
            "Target": f"integrations/{integration_id}",
            "ApiKeyRequired": False,
            "AuthorizationType": "NONE",
            "AuthorizationScopes": [],
        }
        created = now().timestamp()
        document["stages"][DEFAULT] = {
            "StageName": DEFAULT,
            "AutoDeploy": True,
            "CreatedDate": created,
            "LastUpdatedDate": created,
            "DefaultRouteSettings": {"DetailedMetricsEnabled": False},
            "RouteSettings": {},
            "StageVariables": {},
            "Tags": {},
        }

    def _api(self, ctx: RequestContext, api: dict[str, Any]) -> dict[str, Any]:
        shown = dict(api)
        shown["ApiEndpoint"] = api_endpoint(api["ApiId"], ctx.endpoint)
        return shown

    def get_api(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._api(ctx, self.peek(ctx, request["ApiId"])["api"])

    def get_apis(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        apis = [self._api(ctx, d["api"]) for d in self.apis.of(ctx.account_id, ctx.region)]
        return http_api_page(apis, request)

    async def update_api(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key, document = self.document(ctx, request["ApiId"])
        if request.get("Target") is not None or request.get("RouteKey") is not None:
            raise bad_request("Target and RouteKey are only valid when the API is created")
        api = document["api"]
        for name in _SETTABLE:
            if request.get(name) is not None:
                api[name] = request[name]
        await self.save(key, document)
        return self._api(ctx, api)

    async def delete_api(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key, _ = self.document(ctx, request["ApiId"])
        await self.drop(key)
        return {}

    async def delete_cors_configuration(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        key, document = self.document(ctx, request["ApiId"])
        document["api"].pop("CorsConfiguration", None)
        await self.save(key, document)
        return {}

    # -- tags: on APIs and stages, by ARN ----------------------------------------------------

    def _tagged(self, ctx: RequestContext, arn: str) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        return tagged(ctx, arn, "apis", self.document, not_found, "stage")

    def get_tags(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        _, _, item = self._tagged(ctx, request["ResourceArn"])
        return {"Tags": item.get("Tags") or {}}

    async def tag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key, document, item = self._tagged(ctx, request["ResourceArn"])
        item["Tags"] = {**(item.get("Tags") or {}), **(request.get("Tags") or {})}
        await self.save(key, document)
        return {}

    async def untag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key, document, item = self._tagged(ctx, request["ResourceArn"])
        for name in request.get("TagKeys") or []:
            (item.get("Tags") or {}).pop(name, None)
        await self.save(key, document)
        return {}
