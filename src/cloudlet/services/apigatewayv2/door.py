"""The HTTP APIs' front door: invocations addressed to an HTTP API (see
`apigateway.invocation_url`), answered as API Gateway does: stage, CORS preflight, route,
throttling, authorizer, then the integration (Lambda proxy or HTTP proxy)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cloudlet.gateway.http import Request, Response
from cloudlet.issuer import LocalIssuer
from cloudlet.services.apigateway import answers
from cloudlet.services.apigateway.calls import Call
from cloudlet.services.apigateway.compiled import CompiledDeployments
from cloudlet.services.apigateway.integrations import (
    EventTooLarge,
    IntegrationFailed,
    IntegrationTimeout,
    function_arn,
    http_proxy,
    invoke_function,
    proxy_url,
    with_stage_variables,
)
from cloudlet.services.apigateway.invocation_url import api_target, split_stage
from cloudlet.services.apigateway.policies import ResultCache
from cloudlet.services.apigateway.proxy_events import body_as_text, event_v1, event_v2
from cloudlet.services.apigateway.proxy_responses import response_v1, response_v2
from cloudlet.services.apigateway.throttling import Buckets
from cloudlet.services.apigateway.tokens import Verifier
from cloudlet.services.apigatewayv2 import cors
from cloudlet.services.apigatewayv2.authorization import authorize_jwt, authorize_lambda
from cloudlet.services.apigatewayv2.core import SNAPSHOT
from cloudlet.services.apigatewayv2.routekeys import parse
from cloudlet.services.apigatewayv2.routing import RouteTable

if TYPE_CHECKING:
    from cloudlet.services.apigatewayv2.core import HttpApiCore

log = logging.getLogger("cloudlet.apigatewayv2")


@dataclass(frozen=True, slots=True)
class Deployed:
    """A deployment, compiled: its route table and what routes refer to."""

    routes: RouteTable
    integrations: dict[str, dict[str, Any]]
    authorizers: dict[str, dict[str, Any]]


def _compile(snapshot: dict[str, Any]) -> Deployed:
    routes = [(parse(r["RouteKey"]), r) for r in snapshot["routes"].values()]
    return Deployed(RouteTable(routes), snapshot["integrations"], snapshot["authorizers"])


class HttpApiDoor:
    def __init__(self, service: HttpApiCore) -> None:
        self.service = service
        self.compiled = CompiledDeployments(_compile)
        self.buckets = Buckets()
        self.cache = ResultCache()
        config = service.config
        self.verifier = Verifier(LocalIssuer(config.state_dir), config.port)

    def claims(self, request: Request) -> bool:
        # Every invocation address, not only its own APIs': the REST APIs' door comes first
        # (services.provider_classes), so what reaches this one and is not an HTTP API
        # names no API at all, which must not fall through to the AWS APIs.
        return api_target(request) is not None

    async def __call__(self, request: Request) -> Response:
        try:
            return await self._invoke(request)
        except Exception:
            log.exception("HTTP API invocation %s %s failed", request.method, request.raw_path)
            return answers.http_api(answers.INTERNAL_ERROR)

    async def _invoke(self, request: Request) -> Response:
        api_id, raw_path = api_target(request)  # type: ignore[misc]
        key = self.service.index.get(api_id)
        document = self.service.apis.get(key) if key is not None else None
        if document is None:
            return answers.unknown_api()
        stage_name, path = split_stage(raw_path, document["stages"])
        if stage_name is None:
            return answers.http_api(answers.NOT_FOUND)
        stage = document["stages"][stage_name]
        deployment = document["deployments"].get(stage.get("DeploymentId") or "")
        if deployment is None:
            return answers.http_api(answers.NOT_FOUND)
        if len(request.body) > answers.PAYLOAD_LIMIT:
            return answers.http_api(answers.TOO_LARGE)
        cors_config = document["api"].get("CorsConfiguration")
        if cors_config and cors.is_preflight(request):
            return cors.preflight(cors_config, request)
        call = Call(
            request,
            key[0],  # type: ignore[index]
            key[1],  # type: ignore[index]
            api_id,
            stage_name,
            path,
            stage.get("StageVariables") or {},
        )
        deployed = self.compiled.get(api_id, deployment["DeploymentId"], deployment[SNAPSHOT])
        response = await self._route(call, stage, deployed)
        if cors_config:
            cors.decorate(cors_config, request, response)
        response.headers.append(("apigw-requestid", call.request_id))
        return response

    async def _route(self, call: Call, stage: dict[str, Any], deployed: Deployed) -> Response:
        found = deployed.routes.match(call.method, call.decoded_path)
        if found is None:
            return answers.http_api(answers.NOT_FOUND)
        compiled, params = found
        route = compiled.route
        route_key = route["RouteKey"]
        limits = dict(stage.get("DefaultRouteSettings") or {})
        limits.update((stage.get("RouteSettings") or {}).get(route_key) or {})
        if not self.buckets.take(
            (call.api_id, call.stage, route_key),
            limits.get("ThrottlingRateLimit"),
            limits.get("ThrottlingBurstLimit"),
        ):
            return answers.http_api(answers.TOO_MANY_REQUESTS)
        target = route.get("Target") or ""
        integration = deployed.integrations.get(target.partition("/")[2])
        if integration is None:
            return answers.http_api(answers.NOT_FOUND)
        version = integration.get("PayloadFormatVersion") or "2.0"
        route_path = compiled.key.path if compiled.key.method else "$default"
        authorizer_context: dict[str, Any] | None = None
        kind = route.get("AuthorizationType") or "NONE"
        if kind in ("JWT", "CUSTOM"):
            authorizer = deployed.authorizers.get(route.get("AuthorizerId") or "")
            if authorizer is None:
                return answers.http_api(answers.INTERNAL_ERROR)
            if kind == "JWT":
                decision = await authorize_jwt(self.verifier, call, route, authorizer, version)
            else:
                decision = await authorize_lambda(
                    self.service.platform.ports.functions,
                    self.cache,
                    call,
                    route,
                    route_path,
                    authorizer,
                    params,
                )
            if isinstance(decision, Response):
                return decision
            authorizer_context = decision
        if integration["IntegrationType"] == "HTTP_PROXY":
            return await self._http(call, integration, compiled.key.method == "", params)
        return await self._lambda(
            call, integration, route_key, route_path, params, authorizer_context
        )

    async def _lambda(
        self,
        call: Call,
        integration: dict[str, Any],
        route_key: str,
        route_path: str,
        params: dict[str, str],
        authorizer: dict[str, Any] | None,
    ) -> Response:
        arn = function_arn(
            with_stage_variables(integration["IntegrationUri"], call.stage_variables)
        )
        if arn is None:
            return answers.http_api(answers.INTERNAL_ERROR)
        if integration.get("PayloadFormatVersion") == "1.0":
            body = body_as_text(call.request.body, call.request.headers.get("content-type", ""))
            event = event_v1(call, route_path, params, authorizer or {}, body=body, version="1.0")
            event["requestContext"]["routeKey"] = route_key
        else:
            event = event_v2(call, route_key, params, authorizer)
        timeout = int(integration.get("TimeoutInMillis") or 30000) / 1000
        try:
            result = await invoke_function(
                self.service.platform.ports.functions, arn, event, timeout, call.request_id
            )
        except IntegrationTimeout:
            return answers.http_api(answers.SERVICE_UNAVAILABLE)
        except EventTooLarge:
            return answers.http_api(answers.TOO_LARGE)
        except IntegrationFailed as failure:
            log.info("integration %s failed: %s", integration["IntegrationId"], failure)
            return answers.http_api(answers.INTERNAL_ERROR)
        if result.function_error:
            return answers.http_api(answers.INTERNAL_ERROR)
        if integration.get("PayloadFormatVersion") == "1.0":
            response = response_v1(result.payload)
        else:
            response = response_v2(result.payload)
        return response if response is not None else answers.http_api(answers.INTERNAL_ERROR)

    async def _http(
        self, call: Call, integration: dict[str, Any], default_route: bool, params: dict[str, str]
    ) -> Response:
        url = proxy_url(
            call, integration["IntegrationUri"], params, call.path if default_route else None
        )
        method = integration.get("IntegrationMethod") or "ANY"
        headers = dict(call.request.headers)
        headers["x-forwarded-for"] = call.source_ip
        timeout = int(integration.get("TimeoutInMillis") or 30000) / 1000
        try:
            return await http_proxy(
                call.method if method == "ANY" else method, url, headers, call.request.body, timeout
            )
        except IntegrationTimeout:
            return answers.http_api(answers.SERVICE_UNAVAILABLE)
        except IntegrationFailed as failure:
            log.info("HTTP integration %s failed: %s", integration["IntegrationId"], failure)
            return answers.http_api(answers.INTERNAL_ERROR)
