"""REST API authorizers: Lambda TOKEN and REQUEST authorizers, and Cognito user pools
(JWTs checked against the pool's keys: cloudlet's local issuer stands in for Cognito)."""

from __future__ import annotations

from typing import Any

from cloudlet.services.apigateway.core import RestApiCore, bad_request, conflict, not_found
from cloudlet.services.apigateway.ids import new_id
from cloudlet.services.apigateway.integrations import function_arn
from cloudlet.services.apigateway.patches import apply
from cloudlet.services.base import RequestContext


class AuthorizerOperations(RestApiCore):
    async def create_authorizer(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        key, document = self.document(ctx, request["restApiId"])
        authorizer = self._add_authorizer(document, request)
        await self.save(key, document)
        return authorizer

    def _add_authorizer(self, document: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
        """CreateAuthorizer's authorizer, checked and added to the document."""
        authorizer: dict[str, Any] = {
            "id": new_id(6),
            "name": request["name"],
            "type": request["type"],
        }
        for name in (
            "providerARNs",
            "authType",
            "authorizerUri",
            "authorizerCredentials",
            "identitySource",
            "identityValidationExpression",
            "authorizerResultTtlInSeconds",
        ):
            if request.get(name) is not None:
                authorizer[name] = request[name]
        self._check(authorizer)
        document["authorizers"][authorizer["id"]] = authorizer
        return authorizer

    def _check(self, authorizer: dict[str, Any]) -> None:
        kind = authorizer["type"]
        if kind == "COGNITO_USER_POOLS":
            if not authorizer.get("providerARNs"):
                raise bad_request(
                    "ProviderARNs need to be specified for COGNITO_USER_POOLS authorizers"
                )
            authorizer.setdefault("identitySource", "method.request.header.Authorization")
        elif kind in ("TOKEN", "REQUEST"):
            uri = authorizer.get("authorizerUri")
            if not uri:
                raise bad_request(f"Authorizer URI is required for authorizers of type {kind}")
            if function_arn(uri) is None:
                raise bad_request("Invalid Authorizer URI specified")
            if kind == "TOKEN":
                authorizer.setdefault("identitySource", "method.request.header.Authorization")
                if not str(authorizer["identitySource"]).startswith("method.request.header."):
                    raise bad_request(
                        "Invalid identity source for TOKEN authorizer: a method.request.header"
                    )
            authorizer.setdefault("authorizerResultTtlInSeconds", 300)
            if authorizer["authorizerResultTtlInSeconds"] > 0 and not authorizer.get(
                "identitySource"
            ):
                raise bad_request("Identity source is required when authorizer caching is enabled")
        else:
            raise bad_request(f"Invalid authorizer type specified: {kind}")

    def get_authorizer(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        found = self.peek(ctx, request["restApiId"])["authorizers"].get(request["authorizerId"])
        if found is None:
            raise not_found("Authorizer")
        return found

    def get_authorizers(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"items": list(self.peek(ctx, request["restApiId"])["authorizers"].values())}

    async def update_authorizer(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        key, document = self.document(ctx, request["restApiId"])
        authorizer = document["authorizers"].get(request["authorizerId"])
        if authorizer is None:
            raise not_found("Authorizer")
        apply(
            authorizer,
            request.get("patchOperations") or [],
            (
                "name",
                "authorizerUri",
                "identitySource",
                "identityValidationExpression",
                "authorizerResultTtlInSeconds",
                "providerARNs",
            ),
        )
        self._check(authorizer)
        await self.save(key, document)
        return authorizer

    async def delete_authorizer(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        key, document = self.document(ctx, request["restApiId"])
        ident = request["authorizerId"]
        if ident not in document["authorizers"]:
            raise not_found("Authorizer")
        for resource in document["resources"].values():
            for method in (resource.get("resourceMethods") or {}).values():
                if method.get("authorizerId") == ident:
                    raise conflict("Cannot delete authorizer, it is in use by a method")
        del document["authorizers"][ident]
        await self.save(key, document)
        return {}
