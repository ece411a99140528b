"""The REST APIs provider: every operation group, and the front door that serves them."""

from __future__ import annotations

from typing import Any

from cloudlet.gateway.http import FrontDoor
from cloudlet.services.apigateway.authorizers import AuthorizerOperations
from cloudlet.services.apigateway.door import RestApiDoor
from cloudlet.services.apigateway.imports import ImportOperations
from cloudlet.services.apigateway.methods import MethodOperations
from cloudlet.services.apigateway.restapis import RestApiOperations
from cloudlet.services.apigateway.stages import StageOperations
from cloudlet.services.apigateway.usage import UsageOperations
from cloudlet.services.base import Platform, RequestContext


class ApiGatewayService(
    ImportOperations,
    RestApiOperations,
    MethodOperations,
    StageOperations,
    AuthorizerOperations,
    UsageOperations,
):
    """API Gateway's REST APIs (the apigateway API) and their invocation."""

    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.door = RestApiDoor(self)

    def front_door(self) -> FrontDoor:
        return self.door

    async def flush_stage_authorizers_cache(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        self.get_stage(ctx, request)
        self.door.cache.forget(request["restApiId"])
        return {}
