"""HTTP API invocations at their edges: stage variables in an integration's URI, a method
route beside ANY on one path, payload format 1.0's answers, repeated headers, Lambda's 6 MB
event, Lambda authorizers with payload 1.0, identity sources other than headers, the
authorizer cache's expiry, and addresses of no API."""

from __future__ import annotations

import json
import time

from apigw_support import (
    LENGTH,
    function,
    host_url,
    lambda_integration,
    quick_api,
    raw_request,
    request,
    route,
    url,
)
from lambda_support import unique

# A simple-response authorizer: "let-me-in" as the first identity value is allowed; the
# context tells what the authorizer saw and how many times it ran.
SIMPLE = """
CALLS = 0
def handler(event, context):
    global CALLS
    CALLS += 1
    return {"isAuthorized": event["identitySource"][0] == "let-me-in",
            "context": {"calls": CALLS, "identity": event["identitySource"]}}
"""

# An IAM-policy authorizer for payload 1.0: "allow" in the Authorization header is allowed.
POLICY_1_0 = """
def handler(event, context):
    effect = "Allow" if event["headers"].get("authorization") == "allow" else "Deny"
    return {"principalId": "ada",
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect,
                 "Resource": event["methodArn"]}]},
            "context": {"version": event["version"], "type": event["type"],
                        "identity": event["identitySource"]}}
"""


def test_stage_variables_choose_the_integrations_function(server, gw, echo):
    api_id = gw.create_api(Name=unique("variables"), ProtocolType="HTTP")["ApiId"]
    account_region = echo.rpartition(":function:")[0]
    integration = lambda_integration(
        gw, api_id, f"{account_region}:function:${{stageVariables.handler}}"
    )
    route(gw, api_id, "GET /who", integration)
    gw.create_stage(
        ApiId=api_id,
        StageName="prod",
        AutoDeploy=True,
        StageVariables={"handler": echo.rpartition(":")[2]},
    )
    answer = request(url(server, api_id, "/prod/who"))
    assert answer.status == 200
    assert answer.json()["stageVariables"] == {"handler": echo.rpartition(":")[2]}


def test_a_method_route_wins_over_any_on_the_same_path(server, gw, echo):
    api_id = gw.create_api(Name=unique("methods"), ProtocolType="HTTP")["ApiId"]
    integration = lambda_integration(gw, api_id, echo)
    route(gw, api_id, "ANY /items", integration)
    route(gw, api_id, "GET /items", integration)
    gw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    target = url(server, api_id, "/items")
    assert request(target).json()["routeKey"] == "GET /items"
    assert request(target, "POST", body=b"").json()["routeKey"] == "ANY /items"


def _answer_1_0(server, api_id, returned):
    return request(url(server, api_id, "/"), "POST", body=json.dumps({"return": returned}))


def test_payload_1_0_answers_are_mapped_without_inference(server, gw, answer):
    api_id = gw.create_api(Name=unique("v1"), ProtocolType="HTTP")["ApiId"]
    route(gw, api_id, "$default", lambda_integration(gw, api_id, answer, "1.0"))
    gw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    made = _answer_1_0(
        server,
        api_id,
        {
            "statusCode": 201,
            "headers": {"x-one": "1", "content-type": "text/plain"},
            "multiValueHeaders": {"x-many": ["a", "b"]},
            "body": "made",
        },
    )
    assert (made.status, made.body, made.headers["x-one"]) == (201, b"made", "1")
    assert made.headers["content-type"] == "text/plain"
    assert [v for k, v in made.header_list if k == "x-many"] == ["a", "b"]
    # 1.0 infers nothing: an answer without statusCode is not a response.
    bare = _answer_1_0(server, api_id, {"hello": "world"})
    assert (bare.status, bare.json()) == (500, {"message": "Internal Server Error"})


def test_repeated_headers_are_joined_in_the_2_0_event(server, gw, echo):
    api_id = quick_api(gw, echo)
    event = raw_request(
        url(server, api_id, "/?q=1&q=2"),
        "GET",
        [("X-Multi", "a"), ("X-Multi", "b"), ("Cookie", "a=1; b=2"), ("Cookie", "c=3")],
    ).json()
    assert event["headers"]["x-multi"] == "a,b"
    assert event["cookies"] == ["a=1", "b=2", "c=3"]
    assert event["queryStringParameters"] == {"q": "1,2"}


def test_an_event_over_lambdas_6_mb_is_too_large(server, gw, lam):
    api_id = quick_api(gw, function(lam, LENGTH, "length"))
    target = url(server, api_id, "/")
    over = request(
        target, "POST", body=b"x" * (6 * 1024 * 1024 + 1), headers={"Content-Type": "text/plain"}
    )
    assert (over.status, over.json()) == (413, {"message": "Request Entity Too Large"})
    fits = request(target, "POST", body=b"x" * 1000, headers={"Content-Type": "text/plain"})
    assert (fits.status, fits.body) == (200, b"1000")


def _authorized_api(gw, echo, authorizer_arn, route_key="GET /r", variables=None, **settings):
    api_id = gw.create_api(Name=unique("authorized"), ProtocolType="HTTP")["ApiId"]
    authorizer = gw.create_authorizer(
        ApiId=api_id, AuthorizerType="REQUEST", Name="fn", AuthorizerUri=authorizer_arn, **settings
    )["AuthorizerId"]
    integration = lambda_integration(gw, api_id, echo)
    route(gw, api_id, route_key, integration, AuthorizationType="CUSTOM", AuthorizerId=authorizer)
    gw.create_stage(
        ApiId=api_id, StageName="$default", AutoDeploy=True, StageVariables=variables or {}
    )
    return api_id


def test_identity_sources_from_the_query_the_stage_and_the_context(server, gw, lam, echo):
    api_id = _authorized_api(
        gw,
        echo,
        function(lam, SIMPLE, "identities"),
        variables={"env": "dev"},
        AuthorizerPayloadFormatVersion="2.0",
        EnableSimpleResponses=True,
        IdentitySource=["$request.querystring.token", "$stageVariables.env", "$context.routeKey"],
    )
    allowed = request(url(server, api_id, "/r?token=let-me-in"))
    assert allowed.status == 200
    context = allowed.json()["requestContext"]["authorizer"]["lambda"]
    assert context["identity"] == ["let-me-in", "dev", "GET /r"]
    assert request(url(server, api_id, "/r?token=nope")).status == 403
    missing = request(url(server, api_id, "/r"))
    assert (missing.status, missing.json()) == (401, {"message": "Unauthorized"})


def test_a_lambda_authorizer_with_payload_1_0_answers_with_a_policy(server, gw, lam, echo):
    api_id = _authorized_api(
        gw,
        echo,
        function(lam, POLICY_1_0, "policy10"),
        AuthorizerPayloadFormatVersion="1.0",
        IdentitySource=["$request.header.Authorization"],
    )
    allowed = request(url(server, api_id, "/r"), headers={"Authorization": "allow"})
    assert allowed.status == 200
    context = allowed.json()["requestContext"]["authorizer"]["lambda"]
    assert context == {
        "version": "1.0",
        "type": "REQUEST",
        "identity": "allow",
        "principalId": "ada",
    }
    denied = request(url(server, api_id, "/r"), headers={"Authorization": "deny"})
    assert (denied.status, denied.json()) == (403, {"message": "Forbidden"})


def test_a_cached_authorizer_answer_expires_after_its_ttl(server, gw, lam, echo):
    api_id = _authorized_api(
        gw,
        echo,
        function(lam, SIMPLE, "expiring"),
        AuthorizerPayloadFormatVersion="2.0",
        EnableSimpleResponses=True,
        IdentitySource=["$request.header.Authorization"],
        AuthorizerResultTtlInSeconds=1,
    )

    def calls():
        answer = request(url(server, api_id, "/r"), headers={"Authorization": "let-me-in"})
        return answer.json()["requestContext"]["authorizer"]["lambda"]["calls"]

    first, cached = calls(), calls()
    time.sleep(1.2)
    assert (first, cached, calls()) == (1, 1, 2)


def test_an_address_of_no_api_is_forbidden_in_both_forms(server, gw, echo):
    api_id = quick_api(gw, echo)
    assert request(url(server, api_id, "/")).status == 200
    gw.delete_api(ApiId=api_id)
    target, headers = host_url(server, api_id, "/")
    for answer in (
        request(url(server, api_id, "/")),
        request(target, headers=headers),
        request(url(server, "nosuchapi2", "/")),
    ):
        assert (answer.status, answer.json()) == (403, {"message": "Forbidden"})
