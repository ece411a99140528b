"""Authorizing a REST API method: Cognito user pools (JWTs verified against the pool's keys,
scopes of the method), and Lambda TOKEN and REQUEST authorizers (IAM policies, cached by
identity for the authorizer's TTL). Refusals are REST APIs' gateway responses: 401
`Unauthorized`, 403 with AWS's `Message` for denies, 500 for a failing authorizer."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import orjson

from cloudlet.delivery.ports import Functions
from cloudlet.gateway.http import Response
from cloudlet.services.apigateway.answers import message
from cloudlet.services.apigateway.calls import Call
from cloudlet.services.apigateway.integrations import (
    IntegrationFailed,
    IntegrationTimeout,
    function_arn,
    invoke_function,
    with_stage_variables,
)
from cloudlet.services.apigateway.policies import ResultCache, evaluate, valid_policy_answer
from cloudlet.services.apigateway.proxy_events import event_v1
from cloudlet.services.apigateway.tokens import TokenRejected, Verifier, bearer, scopes_of

log = logging.getLogger("cloudlet.apigateway")
AUTHORIZER_TIMEOUT = 10.0

Decision = dict[str, Any] | Response


def unauthorized() -> Response:
    return message(401, "Unauthorized", "UnauthorizedException")


def _failed() -> Response:
    return message(500, None, "AuthorizerConfigurationException")


def _denied(explicit: bool) -> Response:
    text = "User is not authorized to access this resource"
    if explicit:
        text += " with an explicit deny"
    return message(403, text, "AccessDeniedException", key="Message")


def identity_value(call: Call, source: str) -> str | None:
    """What one `method.request.header.X` / `.querystring.x` / `stageVariables.x` names."""
    source = source.strip()
    if source.startswith("method.request.header."):
        return call.request.headers.get(source[22:].lower())
    if source.startswith("method.request.querystring."):
        return call.request.query.get(source[27:])
    if source.startswith("stageVariables."):
        return call.stage_variables.get(source[15:])
    if source.startswith("context."):
        return {"stage": call.stage, "requestId": call.request_id}.get(source[8:])
    return None


def _claims_text(claims: dict[str, Any]) -> dict[str, str]:
    return {
        name: value if isinstance(value, str) else orjson.dumps(value).decode()
        for name, value in claims.items()
    }


async def authorize_cognito(
    verifier: Verifier, call: Call, method: dict[str, Any], authorizer: dict[str, Any]
) -> Decision:
    value = identity_value(
        call, authorizer.get("identitySource") or "method.request.header.Authorization"
    )
    if not value:
        return unauthorized()
    token = bearer(value)
    for arn in authorizer.get("providerARNs") or []:
        region = arn.split(":")[3] if arn.count(":") >= 5 else call.region
        pool = arn.rpartition("/")[2]
        try:
            claims = await verifier.verify(
                token, f"https://cognito-idp.{region}.amazonaws.com/{pool}", None
            )
        except TokenRejected:
            continue
        required = method.get("authorizationScopes") or []
        if required and not any(scope in scopes_of(claims) for scope in required):
            return unauthorized()
        return {"claims": _claims_text(claims)}
    return unauthorized()


async def authorize_lambda(
    functions: Functions | None,
    cache: ResultCache,
    call: Call,
    resource: dict[str, Any],
    authorizer: dict[str, Any],
    path_parameters: dict[str, str],
) -> Decision:
    arn = call.route_arn(call.method, call.decoded_path)
    sources = [s for s in str(authorizer.get("identitySource") or "").split(",") if s.strip()]
    values = [identity_value(call, source) for source in sources]
    if any(not value for value in values):
        return unauthorized()
    if authorizer["type"] == "TOKEN":
        pattern = authorizer.get("identityValidationExpression")
        if pattern and not re.fullmatch(pattern, values[0] or ""):
            return unauthorized()
        event: dict[str, Any] = {"type": "TOKEN", "authorizationToken": values[0], "methodArn": arn}
    else:
        event = event_v1(
            call, resource["path"], path_parameters, None, body=None, resource_id=resource["id"]
        )
        del event["body"], event["isBase64Encoded"]
        event.update(type="REQUEST", methodArn=arn)
    ttl = int(authorizer.get("authorizerResultTtlInSeconds") or 0)
    cache_key = (call.api_id, authorizer["id"], call.stage, *values)
    answer = cache.get(cache_key) if ttl > 0 else None
    started = time.monotonic()
    if answer is None:
        target = function_arn(
            with_stage_variables(authorizer["authorizerUri"], call.stage_variables)
        )
        if target is None:
            return _failed()
        try:
            result = await invoke_function(
                functions, target, event, AUTHORIZER_TIMEOUT, call.request_id
            )
        except (IntegrationFailed, IntegrationTimeout) as failure:
            log.info("authorizer %s failed: %s", authorizer["id"], failure)
            return _failed()
        try:
            answer = orjson.loads(result.payload)
        except orjson.JSONDecodeError:
            return _failed()
        if result.function_error:
            if isinstance(answer, dict) and answer.get("errorMessage") == "Unauthorized":
                return unauthorized()
            return _failed()
        if not valid_policy_answer(answer) or "principalId" not in answer:
            return _failed()
        cache.put(cache_key, ttl, answer)
    verdict = evaluate(answer["policyDocument"], arn)
    if verdict != "allow":
        return _denied(verdict == "deny")
    context = {k: v for k, v in (answer.get("context") or {}).items()}
    context["principalId"] = answer["principalId"]
    context["integrationLatency"] = int((time.monotonic() - started) * 1000)
    return context
