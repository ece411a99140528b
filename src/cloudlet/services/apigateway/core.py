"""What the REST API operations share: every REST API as one document (the API, its
resources with their methods and integrations, authorizers, deployments, stages), API keys
and usage plans as documents of their own, lookups, and API Gateway's errors."""

from __future__ import annotations

import copy
from typing import Any

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.apigateway.documents import Documents, Key, documents_table
from cloudlet.services.base import Platform, RequestContext, Service

TABLE = "apigateway_documents"
SNAPSHOT = "snapshot"  # a deployment's copy of the resources and authorizers it deployed


def bad_request(message: str) -> ServiceError:
    return ServiceError("BadRequestException", message)


def conflict(message: str) -> ServiceError:
    return ServiceError("ConflictException", message, status=409)


def not_found(what: str, ident: str = "") -> ServiceError:
    """`Invalid Resource identifier specified` and the like."""
    text = f"Invalid {what} identifier specified" + (f" {ident}" if ident else "")
    return ServiceError("NotFoundException", text, status=404)


class RestApiCore(Service):
    name = "apigateway"
    migrations = [documents_table(TABLE)]
    validation_error_code = "BadRequestException"

    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.apis = Documents(self.store, TABLE, "restapi")
        self.keys = Documents(self.store, TABLE, "apikey")
        self.plans = Documents(self.store, TABLE, "usageplan")
        self.index: dict[str, Key] = {key[2]: key for key in self.apis.items}

    def status(self) -> dict[str, Any]:
        return {
            "rest_apis": len(self.apis.items),
            "api_keys": len(self.keys.items),
            "usage_plans": len(self.plans.items),
        }

    def document(self, ctx: RequestContext, api_id: str) -> tuple[Key, dict[str, Any]]:
        """A copy of the REST API's document to change, or NotFoundException."""
        return (ctx.account_id, ctx.region, api_id), copy.deepcopy(self.peek(ctx, api_id))

    def peek(self, ctx: RequestContext, api_id: str) -> dict[str, Any]:
        document = self.apis.get((ctx.account_id, ctx.region, api_id))
        if document is None:
            raise not_found("API", f"{ctx.account_id}:{api_id}")
        return document

    async def save(self, key: Key, document: dict[str, Any]) -> None:
        await self.apis.save(key, document)
        self.index[key[2]] = key

    async def drop(self, key: Key) -> None:
        await self.apis.delete(key)
        self.index.pop(key[2], None)


def resource_of(document: dict[str, Any], resource_id: str) -> dict[str, Any]:
    resource = document["resources"].get(resource_id)
    if resource is None:
        raise not_found("Resource")
    return resource


def method_of(document: dict[str, Any], resource_id: str, http_method: str) -> dict[str, Any]:
    method = (resource_of(document, resource_id).get("resourceMethods") or {}).get(http_method)
    if method is None:
        raise not_found("Method")
    return method
