"""Routes: a route key, the integration it targets, and how it is authorized."""

from __future__ import annotations

from typing import Any

from cloudlet.services.apigateway.ids import new_id
from cloudlet.services.apigateway.paging import http_api_page
from cloudlet.services.apigatewayv2.core import HttpApiCore
from cloudlet.services.apigatewayv2.errors import bad_request, not_found
from cloudlet.services.apigatewayv2.routekeys import check_clash, parse
from cloudlet.services.base import RequestContext

_AUTHORIZER_TYPES = {"JWT": "JWT", "CUSTOM": "REQUEST"}
_SETTABLE = (
    "RouteKey",
    "Target",
    "AuthorizationType",
    "AuthorizerId",
    "AuthorizationScopes",
    "ApiKeyRequired",
    "OperationName",
    "RequestParameters",
    "RequestModels",
    "ModelSelectionExpression",
    "RouteResponseSelectionExpression",
)


class RouteOperations(HttpApiCore):
    async def create_route(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key, document = self.document(ctx, request["ApiId"])
        route = self._add_route(document, request)
        await self.save(key, document, deploy=True)
        return route

    def _add_route(self, document: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
        """CreateRoute's route, checked and added to the document."""
        route_id = new_id(7)
        route: dict[str, Any] = {
            "RouteId": route_id,
            "ApiKeyRequired": False,
            "AuthorizationType": "NONE",
            "AuthorizationScopes": [],
        }
        self._apply_route(document, route, request, None)
        document["routes"][route_id] = route
        return route

    def _apply_route(
        self,
        document: dict[str, Any],
        route: dict[str, Any],
        request: dict[str, Any],
        route_id: str | None,
    ) -> None:
        for name in _SETTABLE:
            if request.get(name) is not None:
                route[name] = request[name]
        route_key = parse(route["RouteKey"])
        others = [parse(r["RouteKey"]) for i, r in document["routes"].items() if i != route_id]
        check_clash(route_key, others)
        target = route.get("Target")
        if target:
            kind, _, ident = target.partition("/")
            if kind != "integrations" or ident not in document["integrations"]:
                raise bad_request(
                    f"Invalid target {target}: it must be integrations/{{id}} of "
                    "an integration of this API"
                )
        kind = route["AuthorizationType"]
        if kind in _AUTHORIZER_TYPES:
            authorizer = document["authorizers"].get(route.get("AuthorizerId") or "")
            if authorizer is None:
                raise bad_request(
                    f"Invalid authorizer ID specified. An authorizer is required for "
                    f"authorization type {kind}"
                )
            if authorizer["AuthorizerType"] != _AUTHORIZER_TYPES[kind]:
                raise bad_request(
                    f"Authorization type {kind} cannot be used with an authorizer of type "
                    f"{authorizer['AuthorizerType']}"
                )
        elif kind == "NONE":
            route.pop("AuthorizerId", None)
        if route.get("AuthorizationScopes") and kind != "JWT":
            raise bad_request(
                "Authorization scopes are supported only for routes with authorization type JWT"
            )

    def get_route(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        route = self.peek(ctx, request["ApiId"])["routes"].get(request["RouteId"])
        if route is None:
            raise not_found("Route", request["RouteId"])
        return route

    def get_routes(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        routes = list(self.peek(ctx, request["ApiId"])["routes"].values())
        return http_api_page(routes, request)

    async def update_route(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key, document = self.document(ctx, request["ApiId"])
        route = document["routes"].get(request["RouteId"])
        if route is None:
            raise not_found("Route", request["RouteId"])
        self._apply_route(document, route, request, request["RouteId"])
        await self.save(key, document, deploy=True)
        return route

    async def delete_route(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key, document = self.document(ctx, request["ApiId"])
        if document["routes"].pop(request["RouteId"], None) is None:
            raise not_found("Route", request["RouteId"])
        await self.save(key, document, deploy=True)
        return {}
