"""REST APIs and their resources (the path tree), and tags."""

from __future__ import annotations

import re
from typing import Any

from cloudlet.services.apigateway.core import (
    RestApiCore,
    bad_request,
    conflict,
    not_found,
    resource_of,
)
from cloudlet.services.apigateway.ids import new_id, now
from cloudlet.services.apigateway.paging import rest_api_page
from cloudlet.services.apigateway.patches import apply
from cloudlet.services.apigateway.tagging import tagged
from cloudlet.services.base import RequestContext

# What CreateRestApi's request sets when it has it.
API_SETTINGS = ("description", "version", "binaryMediaTypes", "minimumCompressionSize", "policy")
_PATH_PART = re.compile(r"^(\{[A-Za-z0-9._\-]+\+?\}|[A-Za-z0-9._\-:@~]+)$")


class RestApiOperations(RestApiCore):
    async def create_rest_api(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        document = self._new_rest_api(request)
        api = document["api"]
        await self.save((ctx.account_id, ctx.region, api["id"]), document)
        return api

    def _new_rest_api(self, request: dict[str, Any]) -> dict[str, Any]:
        """A new REST API's document: the API as CreateRestApi's request says, and its root."""
        api_id = new_id(10)
        root = new_id(10)
        api: dict[str, Any] = {
            "id": api_id,
            "name": request["name"],
            "createdDate": now().timestamp(),
            "apiKeySource": request.get("apiKeySource") or "HEADER",
            "endpointConfiguration": request.get("endpointConfiguration") or {"types": ["EDGE"]},
            "disableExecuteApiEndpoint": bool(request.get("disableExecuteApiEndpoint", False)),
            "rootResourceId": root,
            "tags": request.get("tags") or {},
            "apiStatus": "AVAILABLE",
        }
        for name in API_SETTINGS:
            if request.get(name) is not None:
                api[name] = request[name]
        return {
            "api": api,
            "resources": {root: {"id": root, "path": "/"}},
            "authorizers": {},
            "deployments": {},
            "stages": {},
        }

    def get_rest_api(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return dict(self.peek(ctx, request["restApiId"])["api"])

    def get_rest_apis(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        apis = [d["api"] for d in self.apis.of(ctx.account_id, ctx.region)]
        return rest_api_page(apis, request)

    async def update_rest_api(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key, document = self.document(ctx, request["restApiId"])
        api = document["api"]
        api.setdefault("binaryMediaTypes", [])
        operations = [
            # binaryMediaTypes entries are patched as /binaryMediaTypes/image~1png
            {
                **op,
                "path": "/binaryMediaTypes",
                "value": op["path"].split("/", 2)[2].replace("~1", "/"),
            }
            if op.get("path", "").startswith("/binaryMediaTypes/")
            else op
            for op in request.get("patchOperations") or []
        ]
        apply(
            api,
            operations,
            (
                "name",
                "description",
                "binaryMediaTypes",
                "apiKeySource",
                "minimumCompressionSize",
                "disableExecuteApiEndpoint",
                "policy",
                "version",
            ),
        )
        await self.save(key, document)
        return api

    async def delete_rest_api(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key, _ = self.document(ctx, request["restApiId"])
        await self.drop(key)
        return {}

    # -- resources ---------------------------------------------------------------------------

    async def create_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key, document = self.document(ctx, request["restApiId"])
        resource = self._add_resource(document, request["parentId"], request["pathPart"])
        await self.save(key, document)
        return resource

    def _add_resource(self, document: dict[str, Any], parent_id: str, part: str) -> dict[str, Any]:
        """A new resource `part` under `parent_id`, checked and added to the document."""
        parent = resource_of(document, parent_id)
        if not _PATH_PART.match(part):
            raise bad_request(
                "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning "
                "and the end and an optional plus sign before the closing brace."
            )
        if parent["path"].endswith("+}"):
            raise bad_request("Cannot create a child of a resource with a greedy path variable")
        siblings = [r for r in document["resources"].values() if r.get("parentId") == parent["id"]]
        for sibling in siblings:
            if sibling["pathPart"] == part:
                raise conflict(
                    f"Another resource with the same parent already has this name: {part}"
                )
            if sibling["pathPart"].startswith("{") and part.startswith("{"):
                raise bad_request(
                    f"A sibling ({sibling['pathPart']}) of this resource already has a variable "
                    "path part -- only one is allowed"
                )
        resource_id = new_id(6)
        path = parent["path"].rstrip("/") + "/" + part
        resource = {"id": resource_id, "parentId": parent["id"], "pathPart": part, "path": path}
        document["resources"][resource_id] = resource
        return resource

    def get_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return resource_of(self.peek(ctx, request["restApiId"]), request["resourceId"])

    def get_resources(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        resources = list(self.peek(ctx, request["restApiId"])["resources"].values())
        return rest_api_page(resources, request)

    async def delete_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key, document = self.document(ctx, request["restApiId"])
        resource = resource_of(document, request["resourceId"])
        if "parentId" not in resource:
            raise bad_request("Cannot delete the root resource")
        doomed = {resource["id"]}
        changed = True
        while changed:  # and everything below it
            found = {i for i, r in document["resources"].items() if r.get("parentId") in doomed}
            changed = not found <= doomed
            doomed |= found
        for ident in doomed:
            del document["resources"][ident]
        await self.save(key, document)
        return {}

    # -- tags ----------------------------------------------------------------------------------

    def _tagged(self, ctx: RequestContext, arn: str) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        return tagged(ctx, arn, "restapis", self.document, not_found, "Stage")

    def get_tags(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"tags": self._tagged(ctx, request["resourceArn"])[2].get("tags") or {}}

    async def tag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key, document, item = self._tagged(ctx, request["resourceArn"])
        item["tags"] = {**(item.get("tags") or {}), **request["tags"]}
        await self.save(key, document)
        return {}

    async def untag_resource(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key, document, item = self._tagged(ctx, request["resourceArn"])
        for name in request["tagKeys"]:
            (item.get("tags") or {}).pop(name, None)
        await self.save(key, document)
        return {}
