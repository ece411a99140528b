"""Stages (`$default` and named ones, deploying automatically or not, with stage variables
and route settings: throttling) and deployments (what a stage serves)."""

from __future__ import annotations

import re
from typing import Any

from cloudlet.services.apigateway.ids import now
from cloudlet.services.apigateway.paging import http_api_page
from cloudlet.services.apigatewayv2.core import HttpApiCore, shown, snapshot
from cloudlet.services.apigatewayv2.errors import bad_request, conflict, not_found
from cloudlet.services.base import RequestContext

_STAGE_NAME = re.compile(r"^(\$default|[A-Za-z0-9_\-]{1,128})$")
_SETTABLE = (
    "AutoDeploy",
    "DeploymentId",
    "DefaultRouteSettings",
    "RouteSettings",
    "StageVariables",
    "Description",
    "AccessLogSettings",
    "ClientCertificateId",
)


class StageOperations(HttpApiCore):
    async def create_stage(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key, document = self.document(ctx, request["ApiId"])
        name = request["StageName"]
        if not _STAGE_NAME.match(name):
            raise bad_request(
                f"Stage name {name} is invalid: use letters, digits, hyphens and underscores, "
                "or $default"
            )
        if name in document["stages"]:
            raise conflict(f"Stage {name} already exists")
        created = now().timestamp()
        stage: dict[str, Any] = {
            "StageName": name,
            "AutoDeploy": False,
            "CreatedDate": created,
            "LastUpdatedDate": created,
            "DefaultRouteSettings": {"DetailedMetricsEnabled": False},
            "RouteSettings": {},
            "StageVariables": {},
            "Tags": request.get("Tags") or {},
        }
        self._apply_stage(document, stage, request)
        document["stages"][name] = stage
        await self.save(key, document, deploy=bool(stage["AutoDeploy"]))
        return document["stages"][name]

    def _apply_stage(
        self, document: dict[str, Any], stage: dict[str, Any], request: dict[str, Any]
    ) -> None:
        for name in _SETTABLE:
            if request.get(name) is not None:
                stage[name] = request[name]
        deployment = stage.get("DeploymentId")
        if deployment is not None and deployment not in document["deployments"]:
            raise not_found("Deployment", deployment)
        for route_key in stage.get("RouteSettings") or {}:
            if not any(r["RouteKey"] == route_key for r in document["routes"].values()):
                raise not_found("Route", route_key)
        stage["LastUpdatedDate"] = now().timestamp()

    def _stage(self, document: dict[str, Any], name: str) -> dict[str, Any]:
        stage = document["stages"].get(name)
        if stage is None:
            raise not_found("Stage", name)
        return stage

    def get_stage(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        return self._stage(self.peek(ctx, request["ApiId"]), request["StageName"])

    def get_stages(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        items = list(self.peek(ctx, request["ApiId"])["stages"].values())
        return http_api_page(items, request)

    async def update_stage(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key, document = self.document(ctx, request["ApiId"])
        stage = self._stage(document, request["StageName"])
        self._apply_stage(document, stage, request)
        await self.save(key, document, deploy=bool(request.get("AutoDeploy")))
        return document["stages"][request["StageName"]]

    async def delete_stage(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        key, document = self.document(ctx, request["ApiId"])
        self._stage(document, request["StageName"])
        del document["stages"][request["StageName"]]
        await self.save(key, document)
        return {}

    async def delete_route_settings(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        key, document = self.document(ctx, request["ApiId"])
        stage = self._stage(document, request["StageName"])
        if (stage.get("RouteSettings") or {}).pop(request["RouteKey"], None) is None:
            raise not_found("RouteSettings", request["RouteKey"])
        await self.save(key, document)
        return {}

    # -- deployments -------------------------------------------------------------------------

    async def create_deployment(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        key, document = self.document(ctx, request["ApiId"])
        stage = None
        if request.get("StageName"):
            stage = self._stage(document, request["StageName"])
            if stage.get("AutoDeploy"):
                raise bad_request(
                    f"Stage {stage['StageName']} deploys automatically: its deployments are "
                    "made by API Gateway"
                )
        if not document["routes"]:
            raise bad_request("At least one route is required before deploying the Api.")
        deployment = snapshot(document, request.get("Description"), auto=False)
        if stage is not None:
            stage["DeploymentId"] = deployment["DeploymentId"]
            stage["LastUpdatedDate"] = deployment["CreatedDate"]
        await self.save(key, document)
        return shown(deployment)

    def _deployment(self, document: dict[str, Any], ident: str) -> dict[str, Any]:
        deployment = document["deployments"].get(ident)
        if deployment is None:
            raise not_found("Deployment", ident)
        return deployment

    def get_deployment(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        document = self.peek(ctx, request["ApiId"])
        return shown(self._deployment(document, request["DeploymentId"]))

    def get_deployments(self, ctx: RequestContext, request: dict[str, Any]) -> dict[str, Any]:
        items = [shown(d) for d in self.peek(ctx, request["ApiId"])["deployments"].values()]
        return http_api_page(items, request)

    async def update_deployment(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        key, document = self.document(ctx, request["ApiId"])
        deployment = self._deployment(document, request["DeploymentId"])
        if request.get("Description") is not None:
            deployment["Description"] = request["Description"]
        await self.save(key, document)
        return shown(deployment)

    async def delete_deployment(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        key, document = self.document(ctx, request["ApiId"])
        ident = request["DeploymentId"]
        self._deployment(document, ident)
        if any(s.get("DeploymentId") == ident for s in document["stages"].values()):
            raise bad_request("Active stages pointing to this deployment must be moved or deleted")
        del document["deployments"][ident]
        await self.save(key, document)
        return {}
