"""Authorizing an HTTP API request: JWT authorizers (a bearer token verified against its
issuer's JWKS, audiences, route scopes) and Lambda REQUEST authorizers (simple or IAM-policy
answers, identity sources, cached by their values for the authorizer's TTL).

Each returns what the integration's event carries as `requestContext.authorizer`, or the
gateway's refusal: 401 without or with an invalid identity, 403 when denied, 500 when the
authorizer itself fails.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson

from cloudlet.delivery.ports import Functions
from cloudlet.gateway.http import Response
from cloudlet.services.apigateway import answers
from cloudlet.services.apigateway.calls import Call
from cloudlet.services.apigateway.integrations import (
    IntegrationFailed,
    IntegrationTimeout,
    function_arn,
    invoke_function,
    with_stage_variables,
)
from cloudlet.services.apigateway.policies import ResultCache, evaluate, valid_policy_answer
from cloudlet.services.apigateway.proxy_events import event_v1, event_v2
from cloudlet.services.apigateway.tokens import TokenRejected, Verifier, bearer, scopes_of

log = logging.getLogger("cloudlet.apigatewayv2")
AUTHORIZER_TIMEOUT = 10.0  # seconds, as API Gateway allows a Lambda authorizer

Decision = dict[str, Any] | Response


def identity_value(call: Call, source: str, route_key: str) -> str | None:
    """The value an identity source (`$request.header.Authorization`...) names."""
    if source.startswith("$request.header."):
        return call.request.headers.get(source[16:].lower())
    if source.startswith("$request.querystring."):
        return call.request.query.get(source[21:])
    if source.startswith("$stageVariables."):
        return call.stage_variables.get(source[16:])
    if source.startswith("$context."):
        known = {
            "routeKey": route_key,
            "stage": call.stage,
            "requestId": call.request_id,
            "apiId": call.api_id,
            "httpMethod": call.method,
        }
        return known.get(source[9:])
    return None


def _claim_text(value: Any) -> str:
    """Claims reach the integration as strings, lists as `[a b]`, as on AWS."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + " ".join(_claim_text(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return orjson.dumps(value).decode()
    return str(value)


async def authorize_jwt(
    verifier: Verifier, call: Call, route: dict[str, Any], authorizer: dict[str, Any], version: str
) -> Decision:
    source = (authorizer.get("IdentitySource") or ["$request.header.Authorization"])[0]
    value = identity_value(call, source, route["RouteKey"])
    if not value:
        return answers.http_api(answers.UNAUTHORIZED)
    config = authorizer["JwtConfiguration"]
    try:
        claims = await verifier.verify(bearer(value), config["Issuer"], config.get("Audience"))
    except TokenRejected as rejected:
        challenge = f'Bearer scope="" error="invalid_token" error_description="{rejected}"'
        return answers.http_api(answers.UNAUTHORIZED, [("www-authenticate", challenge)])
    granted = scopes_of(claims)
    required = route.get("AuthorizationScopes") or []
    if required and not any(scope in granted for scope in required):
        wanted = " ".join(required)
        challenge = (
            f'Bearer scope="{wanted}" error="insufficient_scope" '
            f'error_description="expected scopes: [{wanted}]"'
        )
        return answers.http_api(answers.FORBIDDEN, [("www-authenticate", challenge)])
    shown = {name: _claim_text(item) for name, item in claims.items()}
    if version == "1.0":
        return {"claims": shown, "scopes": granted or None}
    return {"jwt": {"claims": shown, "scopes": granted or None}}


async def authorize_lambda(
    functions: Functions | None,
    cache: ResultCache,
    call: Call,
    route: dict[str, Any],
    route_path: str,
    authorizer: dict[str, Any],
    path_parameters: dict[str, str],
) -> Decision:
    sources = authorizer.get("IdentitySource") or []
    values = [identity_value(call, source, route["RouteKey"]) for source in sources]
    if any(not value for value in values):
        return answers.http_api(answers.UNAUTHORIZED)
    arn = call.route_arn(call.method, call.decoded_path)
    ttl = int(authorizer.get("AuthorizerResultTtlInSeconds") or 0)
    cache_key = (call.api_id, authorizer["AuthorizerId"], call.stage, *values)
    answer = cache.get(cache_key) if ttl > 0 else None
    if answer is None:
        outcome = await _run(
            functions, call, route, route_path, authorizer, values, arn, path_parameters
        )
        if isinstance(outcome, Response):
            return outcome
        answer = outcome
        cache.put(cache_key, ttl, answer)
    if authorizer.get("EnableSimpleResponses"):
        allowed = answer.get("isAuthorized") is True
    else:
        allowed = evaluate(answer.get("policyDocument"), arn) == "allow"
    if not allowed:
        return answers.http_api(answers.FORBIDDEN)
    context = answer.get("context") or {}
    if authorizer.get("AuthorizerPayloadFormatVersion") == "1.0" or not authorizer.get(
        "EnableSimpleResponses"
    ):
        context = {**context, "principalId": answer.get("principalId")}
    return {"lambda": context}


async def _run(
    functions: Functions | None,
    call: Call,
    route: dict[str, Any],
    route_path: str,
    authorizer: dict[str, Any],
    values: list[str | None],
    arn: str,
    path_parameters: dict[str, str],
) -> dict[str, Any] | Response:
    if authorizer.get("AuthorizerPayloadFormatVersion") == "2.0":
        event = event_v2(call, route["RouteKey"], path_parameters, None)
        event.pop("body", None)
        event.pop("isBase64Encoded", None)
        event.update(type="REQUEST", routeArn=arn, identitySource=values)
    else:
        event = event_v1(call, route_path, path_parameters, None, body=None, version="1.0")
        event.pop("body", None)
        event.pop("isBase64Encoded", None)
        event.update(
            type="REQUEST", methodArn=arn, identitySource=",".join(v or "" for v in values)
        )
    target = function_arn(with_stage_variables(authorizer["AuthorizerUri"], call.stage_variables))
    if target is None:
        return answers.http_api(answers.INTERNAL_ERROR)
    try:
        result = await invoke_function(
            functions, target, event, AUTHORIZER_TIMEOUT, call.request_id
        )
    except (IntegrationFailed, IntegrationTimeout) as failure:
        log.info("authorizer %s failed: %s", authorizer["AuthorizerId"], failure)
        return answers.http_api(answers.INTERNAL_ERROR)
    try:
        answer = orjson.loads(result.payload)
    except orjson.JSONDecodeError:
        answer = None
    if result.function_error:
        if isinstance(answer, dict) and answer.get("errorMessage") == "Unauthorized":
            return answers.http_api(answers.UNAUTHORIZED)
        return answers.http_api(answers.INTERNAL_ERROR)
    if authorizer.get("EnableSimpleResponses"):
        if not isinstance(answer, dict) or not isinstance(answer.get("isAuthorized"), bool):
            return answers.http_api(answers.INTERNAL_ERROR)
    elif not valid_policy_answer(answer):
        return answers.http_api(answers.INTERNAL_ERROR)
    return answer  # type: ignore[no-any-return]
