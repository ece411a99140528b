"""REST API deployments (a snapshot of the resources and authorizers) and the stages that
serve them, with stage variables and method settings (throttling)."""

from __future__ import annotations

import copy
import re
from typing import Any

from cloudlet.services.apigateway.core import (
    SNAPSHOT,
    RestApiCore,
    bad_request,
    conflict,
    not_found,
)
from cloudlet.services.apigateway.ids import new_id, now
from cloudlet.services.apigateway.patches import apply
from cloudlet.services.base import RequestContext

_STAGE_NAME = re.compile(r"^[A-Za-z0-9_\-]{1,128}$")


def _shown(deployment: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in deployment.items() if k != SNAPSHOT}


class StageOperations(RestApiCore):
    async def create_deployment(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        key, document = self.document(ctx, request["restApiId"])
        if not any(r.get("resourceMethods") for r in document["resources"].values()):
            raise bad_request("The REST API doesn't contain any methods")
        for resource in document["resources"].values():
            for method in (resource.get("resourceMethods") or {}).values():
                if "methodIntegration" not in method:
                    raise bad_request("No integration defined for method")
        deployment: dict[str, Any] = {"id": new_id(6), "createdDate": now().timestamp()}
        if request.get("description"):
            deployment["description"] = request["description"]
        deployment[SNAPSHOT] = {
            "resources": copy.deepcopy(document["resources"]),
            "authorizers": copy.deepcopy(document["authorizers"]),
            "binaryMediaTypes": list(document["api"].get("binaryMediaTypes") or []),
        }
        document["deployments"][deployment["id"]] = deployment
        name = request.get("stageName")
        if name:
            stage = document["stages"].get(name)
            if stage is None:
                stage = self._new_stage(name, deployment["id"], request.get("stageDescription"))
                document["stages"][name] = stage
            stage["deploymentId"] = deployment["id"]
            stage["lastUpdatedDate"] = deployment["createdDate"]
            if request.get("variables"):
                stage["variables"] = {**stage.get("variables", {}), **request["variables"]}
        await self.save(key, document)
        return _shown(deployment)

    def _new_stage(self, name: str, deployment_id: str, description: str | None) -> dict[str, Any]:
        if not _STAGE_NAME.match(name):
            raise bad_request("Stage name only allows a-zA-Z0-9_")
        created = now().timestamp()
        stage: dict[str, Any] = {
            "stageName": name,
            "deploymentId": deployment_id,
            "createdDate": created,
            "lastUpdatedDate": created,
            "methodSettings": {},
            "variables": {},
            "tracingEnabled": False,
            "cacheClusterEnabled": False,
            "tags": {},
        }
        if description:
            stage["description"] = description
        return stage

    def get_deployment(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        found = self.peek(ctx, request["restApiId"])["deployments"].get(request["deploymentId"])
        if found is None:
            raise not_found("Deployment")
        return _shown(found)

    def get_deployments(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {
            "items": [
                _shown(d) for d in self.peek(ctx, request["restApiId"])["deployments"].values()
            ]
        }

    async def delete_deployment(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        key, document = self.document(ctx, request["restApiId"])
        ident = request["deploymentId"]
        if ident not in document["deployments"]:
            raise not_found("Deployment")
        if any(stage["deploymentId"] == ident for stage in document["stages"].values()):
            raise bad_request("Active stages pointing to this deployment must be moved or deleted")
        del document["deployments"][ident]
        await self.save(key, document)
        return {}

    async def create_stage(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key, document = self.document(ctx, request["restApiId"])
        name = request["stageName"]
        if name in document["stages"]:
            raise conflict("Stage already exists")
        if request["deploymentId"] not in document["deployments"]:
            raise not_found("Deployment")
        stage = self._new_stage(name, request["deploymentId"], request.get("description"))
        stage["variables"] = request.get("variables") or {}
        stage["tags"] = request.get("tags") or {}
        document["stages"][name] = stage
        await self.save(key, document)
        return stage

    def get_stage(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        stage = self.peek(ctx, request["restApiId"])["stages"].get(request["stageName"])
        if stage is None:
            raise not_found("Stage", request["stageName"])
        return stage

    def get_stages(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return {"item": list(self.peek(ctx, request["restApiId"])["stages"].values())}

    async def update_stage(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key, document = self.document(ctx, request["restApiId"])
        stage = document["stages"].get(request["stageName"])
        if stage is None:
            raise not_found("Stage", request["stageName"])
        operations = []
        for op in request.get("patchOperations") or []:
            path = op.get("path", "")
            if path.count("/") == 4 and not path.startswith("/variables/"):
                # method settings: /{resource path, / as ~1}/{METHOD}/throttling/rateLimit
                _, resource, verb, group, setting = path.split("/")
                op = {
                    **op,
                    "path": f"/methodSettings/{resource}~1{verb}/{group}{setting[:1].upper()}"
                    f"{setting[1:]}",
                }
            operations.append(op)
        apply(
            stage,
            operations,
            (
                "variables",
                "methodSettings",
                "deploymentId",
                "description",
                "tracingEnabled",
                "cacheClusterEnabled",
            ),
        )
        for settings in stage.get("methodSettings", {}).values():
            for name in ("throttlingRateLimit",):
                if isinstance(settings.get(name), str):
                    settings[name] = float(settings[name])
            for name in ("throttlingBurstLimit",):
                if isinstance(settings.get(name), str):
                    settings[name] = int(float(settings[name]))
        if stage["deploymentId"] not in document["deployments"]:
            raise not_found("Deployment")
        stage["lastUpdatedDate"] = now().timestamp()
        await self.save(key, document)
        return stage

    async def delete_stage(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key, document = self.document(ctx, request["restApiId"])
        if document["stages"].pop(request["stageName"], None) is None:
            raise not_found("Stage", request["stageName"])
        await self.save(key, document)
        return {}
