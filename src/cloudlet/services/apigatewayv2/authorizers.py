"""Authorizers: JWT (an issuer and audiences) and Lambda (REQUEST: a function, its payload
format, simple responses or IAM policies, identity sources, a result cache)."""

from __future__ import annotations

import re
from typing import Any

from cloudlet.services.apigateway.ids import new_id
from cloudlet.services.apigateway.integrations import function_arn
from cloudlet.services.apigateway.paging import http_api_page
from cloudlet.services.apigatewayv2.core import HttpApiCore
from cloudlet.services.apigatewayv2.errors import bad_request, conflict, not_found
from cloudlet.services.base import RequestContext

_IDENTITY_SOURCE = re.compile(
    r"^\$(request\.header\.[^\s]+|request\.querystring\.[^\s]+|context\.[^\s]+|"
    r"stageVariables\.[^\s]+)$"
)
_SETTABLE = (
    "Name",
    "AuthorizerType",
    "IdentitySource",
    "JwtConfiguration",
    "AuthorizerUri",
    "AuthorizerPayloadFormatVersion",
    "AuthorizerResultTtlInSeconds",
    "EnableSimpleResponses",
    "AuthorizerCredentialsArn",
    "IdentityValidationExpression",
)


class AuthorizerOperations(HttpApiCore):
    async def create_authorizer(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        key, document = self.document(ctx, request["ApiId"])
        authorizer = self._add_authorizer(document, request)
        await self.save(key, document, deploy=True)
        return authorizer

    def _add_authorizer(self, document: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
        """CreateAuthorizer's authorizer, checked and added to the document."""
        authorizer: dict[str, Any] = {"AuthorizerId": new_id(6)}
        self._apply_authorizer(authorizer, request)
        document["authorizers"][authorizer["AuthorizerId"]] = authorizer
        return authorizer

    def _apply_authorizer(self, authorizer: dict[str, Any], request: dict[str, Any]) -> None:
        for name in _SETTABLE:
            if request.get(name) is not None:
                authorizer[name] = request[name]
        kind = authorizer["AuthorizerType"]
        sources = authorizer.get("IdentitySource") or []
        for source in sources:
            if not _IDENTITY_SOURCE.match(source):
                raise bad_request(f"Invalid identity source specified {source}")
        if kind == "JWT":
            config = authorizer.get("JwtConfiguration") or {}
            if not config.get("Issuer"):
                raise bad_request("JwtConfiguration.Issuer is required for JWT authorizers")
            if not config.get("Audience"):
                raise bad_request("JwtConfiguration.Audience is required for JWT authorizers")
            if len(sources) != 1 or not sources[0].startswith("$request."):
                raise bad_request(
                    "A JWT authorizer takes exactly one identity source from the request, "
                    "such as $request.header.Authorization"
                )
            return
        if kind != "REQUEST":
            raise bad_request(f"Invalid authorizer type {kind} for an HTTP API: JWT or REQUEST")
        uri = authorizer.get("AuthorizerUri")
        if not uri or function_arn(uri) is None:
            raise bad_request(
                "AuthorizerUri is required for REQUEST authorizers: a Lambda function's ARN"
                if not uri
                else f"Invalid authorizer URI specified {uri}"
            )
        version = authorizer.get("AuthorizerPayloadFormatVersion")
        if version not in ("1.0", "2.0"):
            raise bad_request(
                "AuthorizerPayloadFormatVersion is required for REQUEST authorizers: 1.0 or 2.0"
            )
        if authorizer.get("EnableSimpleResponses") and version != "2.0":
            raise bad_request("Simple responses are supported only for payload format 2.0")
        authorizer.setdefault("AuthorizerResultTtlInSeconds", 0)
        authorizer.setdefault("EnableSimpleResponses", False)
        if authorizer["AuthorizerResultTtlInSeconds"] > 0 and not sources:
            raise bad_request("Identity source is required when authorizer caching is enabled")

    def get_authorizer(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        found = self.peek(ctx, request["ApiId"])["authorizers"].get(request["AuthorizerId"])
        if found is None:
            raise not_found("Authorizer", request["AuthorizerId"])
        return found

    def get_authorizers(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        items = list(self.peek(ctx, request["ApiId"])["authorizers"].values())
        return http_api_page(items, request)

    async def update_authorizer(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        key, document = self.document(ctx, request["ApiId"])
        authorizer = document["authorizers"].get(request["AuthorizerId"])
        if authorizer is None:
            raise not_found("Authorizer", request["AuthorizerId"])
        self._apply_authorizer(authorizer, request)
        await self.save(key, document, deploy=True)
        return authorizer

    async def delete_authorizer(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        key, document = self.document(ctx, request["ApiId"])
        ident = request["AuthorizerId"]
        if ident not in document["authorizers"]:
            raise not_found("Authorizer", ident)
        for route in document["routes"].values():
            if route.get("AuthorizerId") == ident:
                raise conflict(
                    f"Cannot delete authorizer {ident}: route {route['RouteId']} uses it"
                )
        del document["authorizers"][ident]
        await self.save(key, document, deploy=True)
        return {}
