"""REST APIs (the apigateway API) as SAM's AWS::Serverless::Api builds them: resources,
methods, Lambda proxy and MOCK integrations, deployments and stages, Cognito-style and
Lambda TOKEN/REQUEST authorizers, API keys and usage plans, answering real requests."""

from __future__ import annotations

import base64
import json

import pytest
from apigw_support import ANSWER, TOKEN_AUTHORIZER, function, request, uri
from lambda_support import error_of, unique

from cloudlet.issuer import LocalIssuer

POOL = "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_Test123"


def resource(rest, api_id, parent, part):
    return rest.create_resource(restApiId=api_id, parentId=parent, pathPart=part)["id"]


def lambda_method(rest, api_id, resource_id, verb, arn, **settings):
    rest.put_method(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod=verb,
        authorizationType=settings.pop("authorizationType", "NONE"),
        **settings,
    )
    rest.put_integration(
        restApiId=api_id,
        resourceId=resource_id,
        httpMethod=verb,
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=uri(arn),
    )


def rest_url(server, api_id, path):
    return f"{server.endpoint}/execute-api/{api_id}{path}"


@pytest.fixture(scope="module")
def users_api(rest, echo):
    """/users, /users/{id} and /files/{proxy+} to the echo function, deployed to prod."""
    api = rest.create_rest_api(name=unique("users"), binaryMediaTypes=["image/png"])
    api_id, root = api["id"], api["rootResourceId"]
    users = resource(rest, api_id, root, "users")
    user = resource(rest, api_id, users, "{id}")
    files = resource(rest, api_id, root, "files")
    anything = resource(rest, api_id, files, "{proxy+}")
    lambda_method(rest, api_id, users, "GET", echo)
    lambda_method(rest, api_id, user, "ANY", echo)
    lambda_method(rest, api_id, anything, "GET", echo)
    rest.create_deployment(restApiId=api_id, stageName="prod", variables={"table": "users"})
    return api_id


def test_create_rest_api_has_a_root_resource(rest):
    api = rest.create_rest_api(name=unique("r"), description="d")
    (root,) = rest.get_resources(restApiId=api["id"])["items"]
    assert root == {"id": api["rootResourceId"], "path": "/"}
    assert rest.get_rest_api(restApiId=api["id"])["description"] == "d"
    rest.update_rest_api(
        restApiId=api["id"],
        patchOperations=[{"op": "replace", "path": "/name", "value": "renamed"}],
    )
    assert rest.get_rest_api(restApiId=api["id"])["name"] == "renamed"
    rest.delete_rest_api(restApiId=api["id"])
    with pytest.raises(rest.exceptions.NotFoundException) as caught:
        rest.get_rest_api(restApiId=api["id"])
    assert error_of(caught) == (
        "NotFoundException",
        404,
        f"Invalid API identifier specified 000000000000:{api['id']}",
    )


def test_resources_that_clash_are_refused_as_aws_does(rest):
    api = rest.create_rest_api(name=unique("r"))
    root = api["rootResourceId"]
    resource(rest, api["id"], root, "pets")
    with pytest.raises(rest.exceptions.ConflictException) as caught:
        resource(rest, api["id"], root, "pets")
    assert (
        error_of(caught)[2] == "Another resource with the same parent already has this name: pets"
    )
    resource(rest, api["id"], root, "{id}")
    with pytest.raises(rest.exceptions.BadRequestException) as caught:
        resource(rest, api["id"], root, "{other}")
    assert error_of(caught)[2] == (
        "A sibling ({id}) of this resource already has a variable path part -- only one is allowed"
    )


def test_tags_on_a_rest_api_and_its_stages(rest):
    api = rest.create_rest_api(name=unique("r"))
    rest.put_method(
        restApiId=api["id"],
        resourceId=api["rootResourceId"],
        httpMethod="GET",
        authorizationType="NONE",
    )
    rest.put_integration(
        restApiId=api["id"], resourceId=api["rootResourceId"], httpMethod="GET", type="MOCK"
    )
    rest.create_deployment(restApiId=api["id"], stageName="prod")
    api_arn = f"arn:aws:apigateway:us-east-1::/restapis/{api['id']}"
    rest.tag_resource(resourceArn=api_arn, tags={"team": "a", "tier": "1"})
    rest.tag_resource(resourceArn=f"{api_arn}/stages/prod", tags={"stage": "yes"})
    rest.untag_resource(resourceArn=api_arn, tagKeys=["tier"])
    assert rest.get_tags(resourceArn=api_arn)["tags"] == {"team": "a"}
    assert rest.get_tags(resourceArn=f"{api_arn}/stages/prod")["tags"] == {"stage": "yes"}
    with pytest.raises(rest.exceptions.NotFoundException):
        rest.get_tags(resourceArn=f"{api_arn}/stages/nope")
    with pytest.raises(rest.exceptions.NotFoundException):
        rest.get_tags(resourceArn="arn:aws:apigateway:us-east-1::/apis/abc")


def test_bad_methods_and_integrations_are_refused(rest, echo):
    api = rest.create_rest_api(name=unique("r"))
    api_id, root = api["id"], api["rootResourceId"]
    with pytest.raises(rest.exceptions.BadRequestException) as caught:
        rest.create_deployment(restApiId=api_id, stageName="x")
    assert error_of(caught)[2] == "The REST API doesn't contain any methods"
    rest.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    with pytest.raises(rest.exceptions.ConflictException):
        rest.put_method(
            restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE"
        )
    common = {"restApiId": api_id, "resourceId": root, "httpMethod": "GET", "type": "AWS_PROXY"}
    with pytest.raises(rest.exceptions.BadRequestException) as caught:
        rest.put_integration(
            **common, integrationHttpMethod="POST", uri=uri(echo), timeoutInMillis=40000
        )
    assert error_of(caught)[2] == "Timeout should be between 50 ms and 29000 ms"
    with pytest.raises(rest.exceptions.BadRequestException) as caught:
        rest.put_integration(**common, integrationHttpMethod="POST", uri="arn:aws:s3:::bucket")
    assert error_of(caught)[2] == "Invalid function ARN or invalid uri"
    with pytest.raises(rest.exceptions.NotFoundException):
        rest.put_integration(
            **{**common, "httpMethod": "POST"}, integrationHttpMethod="POST", uri=uri(echo)
        )
    with pytest.raises(rest.exceptions.BadRequestException):
        rest.put_method(
            restApiId=api_id, resourceId=root, httpMethod="POST", authorizationType="CUSTOM"
        )


def test_the_lambda_proxy_event(server, users_api):
    answer = request(
        rest_url(server, users_api, "/prod/users/42?x=1&x=2"), headers={"X-Trace": "t"}
    )
    assert answer.status == 200
    event = answer.json()
    assert event["resource"] == "/users/{id}"
    assert event["path"] == "/users/42"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"id": "42"}
    assert event["queryStringParameters"] == {"x": "2"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"]}
    # REST APIs hand functions header names as the client spelled them, and their own
    # headers in their usual spelling.
    assert event["headers"]["X-Trace"] == "t" and event["multiValueHeaders"]["X-Trace"] == ["t"]
    assert "x-trace" not in event["headers"]
    assert event["headers"]["X-Forwarded-For"] == "127.0.0.1"
    assert event["stageVariables"] == {"table": "users"}
    assert event["body"] is None and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert (context["stage"], context["path"], context["resourcePath"]) == (
        "prod",
        "/prod/users/42",
        "/users/{id}",
    )
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert "version" not in event


def test_greedy_paths_and_any_methods(server, users_api):
    event = request(rest_url(server, users_api, "/prod/files/a/b/c.txt")).json()
    assert event["pathParameters"] == {"proxy": "a/b/c.txt"}
    assert event["resource"] == "/files/{proxy+}"
    assert (
        request(rest_url(server, users_api, "/prod/users/1"), "DELETE").json()["httpMethod"]
        == "DELETE"
    )


def test_unknown_paths_stages_and_methods_are_refused_as_aws_does(server, users_api):
    missing = request(rest_url(server, users_api, "/prod/nothing"))
    assert (missing.status, missing.json()) == (403, {"message": "Missing Authentication Token"})
    assert request(rest_url(server, users_api, "/prod/users"), "POST", body=b"").status == 403
    stage = request(rest_url(server, users_api, "/staging/users"))
    assert (stage.status, stage.json()) == (403, {"message": "Forbidden"})


def test_binary_media_types_decide_base64(server, users_api):
    data = bytes(range(200))
    event = request(
        rest_url(server, users_api, "/prod/users/1"),
        "PUT",
        body=data,
        headers={"Content-Type": "image/png"},
    ).json()
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == data
    text = request(
        rest_url(server, users_api, "/prod/users/1"),
        "PUT",
        body="hi",
        headers={"Content-Type": "text/plain"},
    ).json()
    assert (text["body"], text["isBase64Encoded"]) == ("hi", False)


def test_function_errors_and_bad_answers_are_bad_gateway(server, rest, lam):
    api = rest.create_rest_api(name=unique("errors"))
    lambda_method(rest, api["id"], api["rootResourceId"], "POST", function(lam, ANSWER, "answer"))
    rest.create_deployment(restApiId=api["id"], stageName="v1")
    target = rest_url(server, api["id"], "/v1/")
    crashed = request(target, "POST", body=json.dumps({"raise": "boom"}))
    assert (crashed.status, crashed.json()) == (502, {"message": "Internal server error"})
    shapeless = request(target, "POST", body=json.dumps({"return": {"no": "status"}}))
    assert shapeless.status == 502
    fine = request(
        target,
        "POST",
        body=json.dumps(
            {"return": {"statusCode": 418, "body": "tea", "multiValueHeaders": {"x-a": ["1", "2"]}}}
        ),
    )
    assert (fine.status, fine.body) == (418, b"tea")
    assert [v for k, v in fine.header_list if k == "x-a"] == ["1", "2"]


def test_a_mock_integration_answers_from_its_templates(server, rest):
    api = rest.create_rest_api(name=unique("mock"))
    api_id, root = api["id"], api["rootResourceId"]
    health = resource(rest, api_id, root, "health")
    rest.put_method(restApiId=api_id, resourceId=health, httpMethod="GET", authorizationType="NONE")
    rest.put_integration(
        restApiId=api_id,
        resourceId=health,
        httpMethod="GET",
        type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )
    rest.put_method_response(
        restApiId=api_id,
        resourceId=health,
        httpMethod="GET",
        statusCode="200",
        responseParameters={"method.response.header.X-Mocked": False},
    )
    rest.put_integration_response(
        restApiId=api_id,
        resourceId=health,
        httpMethod="GET",
        statusCode="200",
        responseTemplates={"application/json": '{"ok": true}'},
        responseParameters={"method.response.header.X-Mocked": "'yes'"},
    )
    rest.create_deployment(restApiId=api_id, stageName="prod")
    answer = request(rest_url(server, api_id, "/prod/health"))
    assert (answer.status, answer.json(), answer.headers["x-mocked"]) == (200, {"ok": True}, "yes")


def test_a_cognito_authorizer_checks_the_pools_tokens(server, rest, echo):
    api = rest.create_rest_api(name=unique("cognito"))
    api_id, root = api["id"], api["rootResourceId"]
    authorizer = rest.create_authorizer(
        restApiId=api_id,
        name="pool",
        type="COGNITO_USER_POOLS",
        providerARNs=[POOL],
        identitySource="method.request.header.Authorization",
    )["id"]
    me = resource(rest, api_id, root, "me")
    lambda_method(
        rest,
        api_id,
        me,
        "GET",
        echo,
        authorizationType="COGNITO_USER_POOLS",
        authorizerId=authorizer,
    )
    rest.create_deployment(restApiId=api_id, stageName="prod")
    issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Test123"
    local = LocalIssuer(server.state_dir)
    target = rest_url(server, api_id, "/prod/me")
    good = request(
        target,
        headers={"Authorization": local.mint(issuer, subject="ada", claims={"email": "a@x"})},
    )
    assert good.status == 200
    assert good.json()["requestContext"]["authorizer"]["claims"]["email"] == "a@x"
    for token in (
        None,
        "garbage",
        local.mint(issuer, expires_in=-5),
        local.mint("https://cognito-idp.us-east-1.amazonaws.com/other"),
    ):
        refused = request(target, headers={"Authorization": token} if token else {})
        assert (refused.status, refused.json()) == (401, {"message": "Unauthorized"})


@pytest.mark.parametrize("kind", ["TOKEN", "REQUEST"])
def test_lambda_authorizers_allow_deny_and_refuse(server, rest, lam, echo, kind):
    api = rest.create_rest_api(name=unique("custom"))
    api_id, root = api["id"], api["rootResourceId"]
    header = "Authorization" if kind == "TOKEN" else "X-Token"
    authorizer = rest.create_authorizer(
        restApiId=api_id,
        name="fn",
        type=kind,
        authorizerUri=uri(function(lam, TOKEN_AUTHORIZER, "authorizer")),
        identitySource=f"method.request.header.{header}",
        authorizerResultTtlInSeconds=0,
    )["id"]
    lambda_method(
        rest, api_id, root, "GET", echo, authorizationType="CUSTOM", authorizerId=authorizer
    )
    rest.create_deployment(restApiId=api_id, stageName="prod")
    target = rest_url(server, api_id, "/prod/")

    def call(value):
        return request(target, headers={header: value} if value else {})

    allowed = call("allow")
    assert allowed.status == 200
    context = allowed.json()["requestContext"]["authorizer"]
    assert (context["principalId"], context["plan"]) == ("user-1", "pro")
    denied = call("deny")
    assert (denied.status, denied.json()) == (
        403,
        {"Message": "User is not authorized to access this resource with an explicit deny"},
    )
    assert (call(None).status, call(None).json()) == (401, {"message": "Unauthorized"})
    assert call("unauthorized").status == 401
    crashed = call("crash")
    assert (crashed.status, crashed.json()) == (500, {"message": None})


def test_api_keys_and_usage_plans(server, rest, echo):
    api = rest.create_rest_api(name=unique("keys"))
    api_id, root = api["id"], api["rootResourceId"]
    lambda_method(rest, api_id, root, "GET", echo, apiKeyRequired=True)
    rest.create_deployment(restApiId=api_id, stageName="prod")
    key = rest.create_api_key(name=unique("key"), enabled=True)
    plan = rest.create_usage_plan(
        name=unique("plan"),
        apiStages=[{"apiId": api_id, "stage": "prod"}],
        throttle={"burstLimit": 100, "rateLimit": 100.0},
        quota={"limit": 3, "period": "DAY"},
    )
    target = rest_url(server, api_id, "/prod/")
    assert request(target, headers={"x-api-key": key["value"]}).status == 403  # not in the plan yet
    rest.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert [k["id"] for k in rest.get_usage_plan_keys(usagePlanId=plan["id"])["items"]] == [
        key["id"]
    ]
    missing = request(target)
    assert (missing.status, missing.json()) == (403, {"message": "Forbidden"})
    assert request(target, headers={"x-api-key": "x" * 30}).status == 403
    statuses = [request(target, headers={"x-api-key": key["value"]}).status for _ in range(3)]
    assert statuses == [200, 200, 200]
    over = request(target, headers={"x-api-key": key["value"]})
    assert (over.status, over.json()) == (429, {"message": "Limit Exceeded"})
    rest.update_usage_plan(
        usagePlanId=plan["id"],
        patchOperations=[
            {"op": "replace", "path": "/quota/limit", "value": "1000"},
            {"op": "replace", "path": "/throttle/burstLimit", "value": "1"},
            {"op": "replace", "path": "/throttle/rateLimit", "value": "0.01"},
        ],
    )
    throttled = [request(target, headers={"x-api-key": key["value"]}).status for _ in range(3)]
    assert throttled[0] == 200 and throttled[-1] == 429
    rest.update_api_key(
        apiKey=key["id"], patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}]
    )
    assert request(target, headers={"x-api-key": key["value"]}).status == 403


def test_stage_throttling_from_method_settings(server, rest, echo):
    api = rest.create_rest_api(name=unique("throttle"))
    lambda_method(rest, api["id"], api["rootResourceId"], "GET", echo)
    rest.create_deployment(restApiId=api["id"], stageName="prod")
    rest.update_stage(
        restApiId=api["id"],
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "1"},
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "0.01"},
        ],
    )
    settings = rest.get_stage(restApiId=api["id"], stageName="prod")["methodSettings"]["*/*"]
    assert (settings["throttlingBurstLimit"], settings["throttlingRateLimit"]) == (1, 0.01)
    target = rest_url(server, api["id"], "/prod/")
    statuses = [request(target).status for _ in range(3)]
    assert statuses[0] == 200 and statuses[-1] == 429
    assert request(target).json() == {"message": "Too Many Requests"}


def test_resources_and_api_keys_are_listed_a_page_at_a_time(rest):
    api_id = rest.create_rest_api(name=unique("paged"))["id"]
    root = rest.get_resources(restApiId=api_id)["items"][0]["id"]
    for number in range(30):
        resource(rest, api_id, root, f"r{number}")
    first = rest.get_resources(restApiId=api_id)
    assert len(first["items"]) == 25  # AWS's default page
    rest_of_them = rest.get_resources(restApiId=api_id, position=first["position"])
    assert len(rest_of_them["items"]) == 6 and "position" not in rest_of_them
    paths = {r["path"] for r in first["items"] + rest_of_them["items"]}
    assert paths == {"/"} | {f"/r{number}" for number in range(30)}
    everything = rest.get_paginator("get_resources").paginate(restApiId=api_id, limit=7)
    assert sum(len(p["items"]) for p in everything) == 31

    keys = {rest.create_api_key(name=unique("key"))["id"] for _ in range(3)}
    seen, position = [], None
    while True:
        answer = rest.get_api_keys(limit=1, **({"position": position} if position else {}))
        assert len(answer["items"]) <= 1
        seen += [k["id"] for k in answer["items"]]
        position = answer.get("position")
        if position is None:
            break
    assert keys <= set(seen) and len(seen) == len(set(seen))
    rest.delete_rest_api(restApiId=api_id)
