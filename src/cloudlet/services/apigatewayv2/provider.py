"""The HTTP APIs provider: every operation group, and the front door that serves the APIs."""

from __future__ import annotations

from typing import Any

from cloudlet.gateway.http import FrontDoor
from cloudlet.services.apigatewayv2.apis import ApiOperations
from cloudlet.services.apigatewayv2.authorizers import AuthorizerOperations
from cloudlet.services.apigatewayv2.door import HttpApiDoor
from cloudlet.services.apigatewayv2.imports import ImportOperations
from cloudlet.services.apigatewayv2.integrations import IntegrationOperations
from cloudlet.services.apigatewayv2.routes import RouteOperations
from cloudlet.services.apigatewayv2.stages import StageOperations
from cloudlet.services.base import Platform, RequestContext


class ApiGatewayV2Service(
    ImportOperations,
    ApiOperations,
    RouteOperations,
    IntegrationOperations,
    AuthorizerOperations,
    StageOperations,
):
    """API Gateway's HTTP APIs (the apigatewayv2 API) and their invocation."""

    def __init__(self, platform: Platform) -> None:
        super().__init__(platform)
        self.door = HttpApiDoor(self)

    def front_door(self) -> FrontDoor:
        return self.door

    async def reset_authorizers_cache(
        self, ctx: RequestContext, request: dict[str, Any]
    ) -> dict[str, Any]:
        document = self.peek(ctx, request["ApiId"])
        if request["StageName"] not in document["stages"]:
            self._stage(document, request["StageName"])
        self.door.cache.forget(request["ApiId"])
        return {}
