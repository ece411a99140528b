"""Integrations: AWS_PROXY to a Lambda function (payload format 1.0 or 2.0) and HTTP_PROXY
to a URL."""

from __future__ import annotations

from typing import Any

from cloudlet.services.apigateway.ids import new_id
from cloudlet.services.apigateway.integrations import function_arn, with_stage_variables
from cloudlet.services.apigateway.paging import http_api_page
from cloudlet.services.apigatewayv2.core import HttpApiCore
from cloudlet.services.apigatewayv2.errors import bad_request, conflict, not_found
from cloudlet.services.base import RequestContext

_SETTABLE = (
    "IntegrationType",
    "IntegrationUri",
    "IntegrationMethod",
    "IntegrationSubtype",
    "PayloadFormatVersion",
    "TimeoutInMillis",
    "ConnectionType",
    "ConnectionId",
    "CredentialsArn",
    "Description",
    "RequestParameters",
    "ResponseParameters",
    "TlsConfig",
)
_TYPES = ("AWS_PROXY", "HTTP_PROXY")


class IntegrationOperations(HttpApiCore):
    async def create_integration(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        key, document = self.document(ctx, request["ApiId"])
        integration = self._add_integration(document, request)
        await self.save(key, document, deploy=True)
        return integration

    def _add_integration(self, document: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
        """CreateIntegration's integration, checked and added to the document."""
        integration_id = new_id(7)
        integration: dict[str, Any] = {
            "IntegrationId": integration_id,
            "ConnectionType": "INTERNET",
            "TimeoutInMillis": 30000,
        }
        self._apply_integration(integration, request)
        document["integrations"][integration_id] = integration
        return integration

    def _apply_integration(self, integration: dict[str, Any], request: dict[str, Any]) -> None:
        for name in _SETTABLE:
            if request.get(name) is not None:
                integration[name] = request[name]
        kind = integration.get("IntegrationType")
        if kind not in _TYPES:
            raise bad_request(
                f"Unsupported integration type {kind}: HTTP APIs in cloudlet integrate "
                "AWS_PROXY (Lambda) and HTTP_PROXY"
            )
        uri = integration.get("IntegrationUri")
        if not uri:
            raise bad_request("IntegrationUri is required for an integration of type " + kind)
        if kind == "AWS_PROXY":
            version = integration.get("PayloadFormatVersion")
            if version not in ("1.0", "2.0"):
                raise bad_request(
                    "PayloadFormatVersion is required for AWS_PROXY integrations: 1.0 or 2.0"
                    if version is None
                    else f"Invalid PayloadFormatVersion {version}: 1.0 or 2.0"
                )
            if function_arn(with_stage_variables(uri, {})) is None and "${" not in uri:
                raise bad_request(f"Invalid integration URI specified {uri}")
            integration.setdefault("IntegrationMethod", "POST")
        else:
            if not uri.startswith(("http://", "https://")) and "${" not in uri:
                raise bad_request(f"Invalid integration URI specified {uri}")
            integration.setdefault("IntegrationMethod", "ANY")
            integration.setdefault("PayloadFormatVersion", "1.0")
            if integration["PayloadFormatVersion"] != "1.0":
                raise bad_request("HTTP_PROXY integrations take payload format version 1.0")

    def get_integration(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        found = self.peek(ctx, request["ApiId"])["integrations"].get(request["IntegrationId"])
        if found is None:
            raise not_found("Integration", request["IntegrationId"])
        return found

    def get_integrations(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        items = list(self.peek(ctx, request["ApiId"])["integrations"].values())
        return http_api_page(items, request)

    async def update_integration(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        key, document = self.document(ctx, request["ApiId"])
        integration = document["integrations"].get(request["IntegrationId"])
        if integration is None:
            raise not_found("Integration", request["IntegrationId"])
        self._apply_integration(integration, request)
        await self.save(key, document, deploy=True)
        return integration

    async def delete_integration(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        key, document = self.document(ctx, request["ApiId"])
        ident = request["IntegrationId"]
        if ident not in document["integrations"]:
            raise not_found("Integration", ident)
        for route in document["routes"].values():
            if route.get("Target") == f"integrations/{ident}":
                raise conflict(
                    f"Cannot delete integration {ident}: route {route['RouteId']} targets it"
                )
        del document["integrations"][ident]
        await self.save(key, document, deploy=True)
        return {}
