"""What the HTTP API operations share: every API as one document (the API, its routes,
integrations, authorizers, stages and deployments), lookups, and the deployment of changes
to the stages that deploy automatically."""

from __future__ import annotations

import copy
from typing import Any

from cloudlet.services.apigateway.documents import Documents, Key, documents_table
from cloudlet.services.apigateway.ids import new_id, now
from cloudlet.services.apigatewayv2.errors import not_found
from cloudlet.services.base import Platform, RequestContext, Service

TABLE = "apigatewayv2_documents"
SNAPSHOT = "Snapshot"  # a deployment's copy of what it deployed (never shown)
AUTO_DEPLOYED = "Automatic deployment triggered by changes to the Api configuration"


class HttpApiCore(Service):
    name = "apigatewayv2"
    migrations = [documents_table(TABLE)]
    validation_error_code = "BadRequestException"

    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.apis = Documents(self.store, TABLE, "api")
        # api id -> its key: what the front door looks up first, for any account.
        self.index: dict[str, Key] = {key[2]: key for key in self.apis.items}
        self.version = 0  # bumped on every change, so the front door recompiles

    def status(self) -> dict[str, Any]:
        return {"apis": len(self.apis.items)}

    def document(self, ctx: RequestContext, api_id: str) -> tuple[Key, dict[str, Any]]:
        """A copy of the API's document to change, or NotFoundException."""
        key = (ctx.account_id, ctx.region, api_id)
        document = self.apis.get(key)
        if document is None:
            raise not_found("API", f"{ctx.account_id}:{api_id}")
        return key, copy.deepcopy(document)

    def peek(self, ctx: RequestContext, api_id: str) -> dict[str, Any]:
        """The API's document, to read only."""
        document = self.apis.get((ctx.account_id, ctx.region, api_id))
        if document is None:
            raise not_found("API", f"{ctx.account_id}:{api_id}")
        return document

    async def save(self, key: Key, document: dict[str, Any], *, deploy: bool = False) -> None:
        """Commit the document; `deploy`: its routes changed, so the stages that deploy
        automatically get a new deployment."""
        if deploy and any(stage.get("AutoDeploy") for stage in document["stages"].values()):
            deployment = snapshot(document, AUTO_DEPLOYED, auto=True)
            for stage in document["stages"].values():
                if stage.get("AutoDeploy"):
                    stage["DeploymentId"] = deployment["DeploymentId"]
                    stage["LastUpdatedDate"] = deployment["CreatedDate"]
            used = {stage.get("DeploymentId") for stage in document["stages"].values()}
            deployments = document["deployments"]
            for ident in [i for i, d in deployments.items() if d["AutoDeployed"]]:
                if ident not in used:
                    del deployments[ident]  # superseded automatic deployments
        await self.apis.save(key, document)
        self.index[key[2]] = key
        self.version += 1

    async def drop(self, key: Key) -> None:
        await self.apis.delete(key)
        self.index.pop(key[2], None)
        self.version += 1


def snapshot(document: dict[str, Any], description: str | None, *, auto: bool) -> dict[str, Any]:
    """A new deployment of what the API holds now, added to the document."""
    deployment: dict[str, Any] = {
        "DeploymentId": new_id(6),
        "DeploymentStatus": "DEPLOYED",
        "CreatedDate": now().timestamp(),
        "AutoDeployed": auto,
    }
    if description:
        deployment["Description"] = description
    deployment[SNAPSHOT] = {
        part: copy.deepcopy(document[part]) for part in ("routes", "integrations", "authorizers")
    }
    document["deployments"][deployment["DeploymentId"]] = deployment
    return deployment


def shown(item: dict[str, Any]) -> dict[str, Any]:
    """An item as the API answers with it (without cloudlet's own keys)."""
    return {k: v for k, v in item.items() if k != SNAPSHOT}
