"""The REST APIs' front door: invocations addressed to a REST API (see invocation_url.py),
answered as API Gateway does: stage, resource and method, stage throttling, authorizer, API
key and usage plan, then the integration (Lambda proxy, MOCK or HTTP proxy)."""

from __future__ import annotations

import base64
import fnmatch
import logging
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.gateway.http import Request, Response
from cloudlet.issuer import LocalIssuer
from cloudlet.services.apigateway.answers import (
    PAYLOAD_LIMIT,
    content_length_exceeded,
    event_too_long,
    message,
)
from cloudlet.services.apigateway.calls import Call
from cloudlet.services.apigateway.compiled import CompiledDeployments
from cloudlet.services.apigateway.core import SNAPSHOT
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
from cloudlet.services.apigateway.invocation_url import api_target
from cloudlet.services.apigateway.policies import ResultCache
from cloudlet.services.apigateway.proxy_events import event_v1
from cloudlet.services.apigateway.proxy_responses import response_v1
from cloudlet.services.apigateway.resource_tree import Node, build, find
from cloudlet.services.apigateway.rest_authorization import authorize_cognito, authorize_lambda
from cloudlet.services.apigateway.throttling import Buckets
from cloudlet.services.apigateway.tokens import Verifier

if TYPE_CHECKING:
    from cloudlet.services.apigateway.core import RestApiCore

log = logging.getLogger("cloudlet.apigateway")
_PERIODS = {"DAY": 86_400, "WEEK": 604_800, "MONTH": 2_592_000}


def forbidden() -> Response:
    return message(403, "Forbidden", "ForbiddenException")


def missing_token() -> Response:
    return message(403, "Missing Authentication Token", "MissingAuthenticationTokenException")


def internal_error(status: int = 500) -> Response:
    return message(status, "Internal server error", "InternalServerErrorException")


@dataclass(frozen=True, slots=True)
class Deployed:
    tree: Node
    authorizers: dict[str, dict[str, Any]]
    binary_types: tuple[str, ...]


def _compile(snapshot: dict[str, Any]) -> Deployed:
    return Deployed(
        build(snapshot["resources"]),
        snapshot["authorizers"],
        tuple(snapshot.get("binaryMediaTypes") or ()),
    )


def _binary(content_type: str, types: tuple[str, ...]) -> bool:
    kind = content_type.partition(";")[0].strip().lower()
    return bool(kind) and any(fnmatch.fnmatch(kind, pattern.lower()) for pattern in types)


class RestApiDoor:
    def __init__(self, service: RestApiCore) -> None:
        self.service = service
        self.compiled = CompiledDeployments(_compile)
        self.buckets = Buckets()
        self.cache = ResultCache()
        self.quotas: dict[tuple[str, str, int], int] = {}
        self.verifier = Verifier(LocalIssuer(service.config.state_dir), service.config.port)

    def claims(self, request: Request) -> bool:
        target = api_target(request)
        return target is not None and target[0] in self.service.index

    async def __call__(self, request: Request) -> Response:
        try:
            return await self._invoke(request)
        except Exception:
            log.exception("REST API invocation %s %s failed", request.method, request.raw_path)
            return internal_error()

    async def _invoke(self, request: Request) -> Response:
        if len(request.body) > PAYLOAD_LIMIT:  # refused in front, before any API is looked up
            return content_length_exceeded()
        api_id, raw_path = api_target(request)  # type: ignore[misc]
        key = self.service.index.get(api_id)
        document = self.service.apis.get(key) if key is not None else None
        if document is None or document["api"].get("disableExecuteApiEndpoint"):
            return forbidden()
        stage_name, _, rest = raw_path[1:].partition("/")
        stage = document["stages"].get(stage_name)
        if stage is None:
            return forbidden()
        deployment = document["deployments"].get(stage["deploymentId"])
        if deployment is None:
            return forbidden()
        call = Call(
            request, key[0], key[1], api_id, stage_name, "/" + rest, stage.get("variables") or {}
        )  # type: ignore[index]
        deployed = self.compiled.get(api_id, deployment["id"], deployment[SNAPSHOT])
        response = await self._answer(call, stage, deployed)
        response.headers.append(("x-amzn-requestid", call.request_id))
        return response

    async def _answer(self, call: Call, stage: dict[str, Any], deployed: Deployed) -> Response:
        found = find(deployed.tree, call.decoded_path, call.method)
        if found is None:
            return missing_token()
        resource, method, params = found
        settings = stage.get("methodSettings") or {}
        # A method's own settings override the stage's (`*/*`) one by one, as on AWS.
        limits = settings.get("*/*") or {}
        own = settings.get(f"{resource['path']}/{method['httpMethod']}")
        if own:
            limits = {**limits, **own}
        if not self.buckets.take(
            (call.api_id, call.stage, resource["id"], method["httpMethod"]),
            limits.get("throttlingRateLimit"),
            limits.get("throttlingBurstLimit"),
        ):
            return message(429, "Too Many Requests", "TooManyRequestsException")
        authorizer_context: dict[str, Any] | None = None
        kind = method.get("authorizationType")
        if kind in ("CUSTOM", "COGNITO_USER_POOLS"):
            authorizer = deployed.authorizers.get(method.get("authorizerId") or "")
            if authorizer is None:
                return internal_error()
            if kind == "COGNITO_USER_POOLS":
                decision = await authorize_cognito(self.verifier, call, method, authorizer)
            else:
                decision = await authorize_lambda(
                    self.service.platform.ports.functions,
                    self.cache,
                    call,
                    resource,
                    authorizer,
                    params,
                )
            if isinstance(decision, Response):
                return decision
            authorizer_context = decision
        if method.get("apiKeyRequired"):
            refused = self._usage(call)
            if refused is not None:
                return refused
        integration = method.get("methodIntegration") or {}
        kind = integration.get("type")
        if kind == "MOCK":
            return _mock(method, integration)
        if kind == "HTTP_PROXY":
            return await self._http(call, integration, params)
        return await self._lambda(call, resource, integration, params, authorizer_context, deployed)

    def _usage(self, call: Call) -> Response | None:
        """API key and usage plan: 403 without a valid key for this stage, 429 over the
        plan's throttle or quota."""
        value = call.request.headers.get("x-api-key")
        if not value:
            return forbidden()
        account, region = call.account, call.region
        key = next((k for k in self.service.keys.of(account, region) if k["value"] == value), None)
        if key is None or not key.get("enabled"):
            return forbidden()
        for plan in self.service.plans.of(account, region):
            if key["id"] not in plan["keys"]:
                continue
            if not any(
                s["apiId"] == call.api_id and s["stage"] == call.stage for s in plan["apiStages"]
            ):
                continue
            throttle = plan.get("throttle") or {}
            if not self.buckets.take(
                (plan["id"], key["id"]), throttle.get("rateLimit"), throttle.get("burstLimit")
            ):
                return message(429, "Too Many Requests", "TooManyRequestsException")
            quota = plan.get("quota")
            if quota:
                period = _PERIODS.get(quota.get("period", "DAY"), 86_400)
                window = int(time.time() // period)
                counted = self.quotas.get((plan["id"], key["id"], window), 0) + 1
                if counted > int(quota.get("limit", 0)):
                    return message(429, "Limit Exceeded", "LimitExceededException")
                self.quotas[(plan["id"], key["id"], window)] = counted
            return None
        return forbidden()

    async def _lambda(
        self,
        call: Call,
        resource: dict[str, Any],
        integration: dict[str, Any],
        params: dict[str, str],
        authorizer: dict[str, Any] | None,
        deployed: Deployed,
    ) -> Response:
        arn = function_arn(with_stage_variables(integration.get("uri", ""), call.stage_variables))
        if arn is None:
            return internal_error()
        headers = call.request.headers
        body = call.request.body
        if _binary(headers.get("content-type", ""), deployed.binary_types):
            text, encoded = base64.b64encode(body).decode("ascii"), True
        else:
            text, encoded = body.decode("utf-8", errors="replace"), False
        event = event_v1(
            call,
            resource["path"],
            params,
            authorizer,
            body=(text, encoded),
            resource_id=resource["id"],
        )
        timeout = min(int(integration.get("timeoutInMillis") or 29000), 29000) / 1000
        try:
            result = await invoke_function(
                self.service.platform.ports.functions, arn, event, timeout, call.request_id
            )
        except IntegrationTimeout:
            return message(504, "Endpoint request timed out")
        except EventTooLarge:
            return event_too_long()
        except IntegrationFailed as failure:
            log.info("integration of %s %s failed: %s", call.method, resource["path"], failure)
            return internal_error()
        if result.function_error:
            return internal_error(502)
        accept = headers.get("accept", "")
        binary_out = (
            any(_binary(kind, deployed.binary_types) for kind in accept.split(","))
            or "*/*" in deployed.binary_types
        )
        response = response_v1(result.payload, decode_base64=binary_out)
        return response if response is not None else internal_error(502)

    async def _http(
        self, call: Call, integration: dict[str, Any], params: dict[str, str]
    ) -> Response:
        url = proxy_url(call, integration.get("uri", ""), params)
        verb = integration.get("httpMethod") or "ANY"
        timeout = min(int(integration.get("timeoutInMillis") or 29000), 29000) / 1000
        try:
            return await http_proxy(
                call.method if verb == "ANY" else verb,
                url,
                dict(call.request.headers),
                call.request.body,
                timeout,
            )
        except IntegrationTimeout:
            return message(504, "Endpoint request timed out")
        except IntegrationFailed:
            return internal_error()


def _mock(method: dict[str, Any], integration: dict[str, Any]) -> Response:
    """A MOCK integration: the request template's statusCode picks the integration response
    (by selection pattern, else the default one); its template is the body."""
    template = (integration.get("requestTemplates") or {}).get(
        "application/json", '{"statusCode": 200}'
    )
    try:
        status = int(orjson.loads(template).get("statusCode", 200))
    except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError):
        status = 200
    responses = list((integration.get("integrationResponses") or {}).values())
    chosen = next(
        (r for r in responses if _selects(r.get("selectionPattern"), str(status))), None
    ) or next((r for r in responses if not r.get("selectionPattern")), None)
    if chosen is None:
        return internal_error()
    headers = [("content-type", "application/json")]
    for name, value in (chosen.get("responseParameters") or {}).items():
        if (
            name.startswith("method.response.header.")
            and value.startswith("'")
            and value.endswith("'")
        ):
            headers.append((name[23:].lower(), value[1:-1]))
    body = (chosen.get("responseTemplates") or {}).get("application/json") or ""
    return Response(int(chosen["statusCode"]), headers, body.encode())


def _selects(pattern: str | None, status: str) -> bool:
    """Whether an integration response's selection pattern matches the status; a pattern
    that is no regular expression (PutIntegrationResponse stores it unchecked) matches none."""
    if not pattern:
        return False
    try:
        return re.fullmatch(pattern, status) is not None
    except re.error:
        return False
