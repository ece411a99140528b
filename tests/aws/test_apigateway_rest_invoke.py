"""REST API invocations at their edges, as API Gateway answers them: request limits (10 MB,
and Lambda's 6 MB event), integration timeouts, missing functions, repeated headers, binary
answers by Accept, authorizer caching, Cognito scopes, per-method throttling, incomplete
authorizers, MOCK selection patterns and addresses of no API."""

from __future__ import annotations

import base64
import json

import pytest
from apigw_support import (
    LENGTH,
    function,
    host_url,
    raw_request,
    request,
    rest_lambda_method,
    rest_resource,
    uri,
    url,
)
from lambda_support import error_of, unique

from cloudlet.issuer import LocalIssuer

POOL = "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_Scopes1"
POOL_ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Scopes1"

# A TOKEN authorizer that allows every token; `run` tells one of its invocations from another.
COUNTED = """
import uuid
RUN = uuid.uuid4().hex
CALLS = 0
def handler(event, context):
    global CALLS
    CALLS += 1
    return {"principalId": "ada", "context": {"run": RUN, "calls": CALLS},
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow",
                 "Resource": event["methodArn"]}]}}
"""


def _api(rest, arn, binary=None, **settings):
    """A REST API whose root answers ANY method through `arn`, deployed to `prod`."""
    api = rest.create_rest_api(name=unique("edges"), binaryMediaTypes=binary or [])
    rest_lambda_method(rest, api["id"], api["rootResourceId"], "ANY", arn, **settings)
    rest.create_deployment(restApiId=api["id"], stageName="prod")
    return api["id"]


@pytest.fixture(scope="module")
def lengths(rest, lam):
    return _api(rest, function(lam, LENGTH, "length"), binary=["image/png"])


def test_a_body_over_10_mb_is_refused_in_plain_text_before_api_gateway(server, lengths):
    answer = request(url(server, lengths, "/prod/"), "POST", body=b"x" * (10 * 1024 * 1024 + 1))
    assert (answer.status, answer.body) == (413, b"HTTP content length exceeded 10485760 bytes.")
    assert answer.headers["content-type"] == "text; charset=utf-8"
    assert "x-amzn-errortype" not in answer.headers


def test_an_event_over_lambdas_6_mb_never_reaches_the_function(server, lengths):
    target = url(server, lengths, "/prod/")
    text = request(target, "POST", body=b"x" * (6 * 1024 * 1024 + 1))
    assert (text.status, text.body) == (413, b'{"message": "Request Too Long"}')
    assert text.headers["x-amzn-errortype"] == "BadRequestException"
    # 5 MB of binary is 6.7 MB once in base64 in the event.
    binary = request(
        target, "POST", body=b"\x89" * (5 * 1024 * 1024), headers={"Content-Type": "image/png"}
    )
    assert (binary.status, binary.json()) == (413, {"message": "Request Too Long"})
    fits = request(
        target, "POST", body=b"\x89" * (4 * 1024 * 1024), headers={"Content-Type": "image/png"}
    )
    assert (fits.status, fits.body) == (200, str(len(base64.b64encode(b"\x89" * 4194304))).encode())


def test_an_integration_past_its_timeout_is_endpoint_request_timed_out(server, rest, answer):
    api_id = _api(rest, answer, timeoutInMillis=50)
    late = request(url(server, api_id, "/prod/"), "POST", body=json.dumps({"sleep": 1}))
    assert (late.status, late.json()) == (504, {"message": "Endpoint request timed out"})


def test_a_missing_function_is_an_internal_server_error(server, rest):
    api_id = _api(rest, "arn:aws:lambda:us-east-1:000000000000:function:never-made")
    answer = request(url(server, api_id, "/prod/"))
    assert (answer.status, answer.json()) == (500, {"message": "Internal server error"})
    assert answer.headers["x-amzn-errortype"] == "InternalServerErrorException"


def test_a_base64_answer_is_binary_only_for_an_accept_of_a_binary_media_type(server, rest, answer):
    api_id = _api(rest, answer, binary=["image/png"])
    data = bytes(range(256))
    order = json.dumps(
        {
            "return": {
                "statusCode": 200,
                "headers": {"content-type": "image/png"},
                "body": base64.b64encode(data).decode(),
                "isBase64Encoded": True,
            }
        }
    )
    target = url(server, api_id, "/prod/")
    binary = request(target, "POST", body=order, headers={"Accept": "image/png"})
    assert binary.body == data
    text = request(target, "POST", body=order, headers={"Accept": "application/json"})
    assert text.body == base64.b64encode(data)


def test_repeated_headers_and_parameters_keep_every_value(server, rest, echo):
    api_id = _api(rest, echo)
    answer = raw_request(
        url(server, api_id, "/prod/?q=1&q=2&one=x"),
        "GET",
        [("X-Multi", "a"), ("X-Multi", "b, c"), ("X-One", "1")],
    )
    event = answer.json()
    assert event["headers"]["X-Multi"] == "b, c"
    assert event["multiValueHeaders"]["X-Multi"] == ["a", "b, c"]
    assert event["multiValueHeaders"]["X-One"] == ["1"]
    assert event["queryStringParameters"] == {"q": "2", "one": "x"}
    assert event["multiValueQueryStringParameters"] == {"q": ["1", "2"], "one": ["x"]}


def _authorized_api(rest, echo, authorizer_arn, ttl):
    api = rest.create_rest_api(name=unique("cached"))
    authorizer = rest.create_authorizer(
        restApiId=api["id"],
        name="counted",
        type="TOKEN",
        authorizerUri=uri(authorizer_arn),
        identitySource="method.request.header.Authorization",
        authorizerResultTtlInSeconds=ttl,
    )["id"]
    rest_lambda_method(
        rest,
        api["id"],
        api["rootResourceId"],
        "GET",
        echo,
        authorizationType="CUSTOM",
        authorizerId=authorizer,
    )
    rest.create_deployment(restApiId=api["id"], stageName="prod")
    return api["id"]


def test_a_lambda_authorizers_answer_is_cached_by_token_for_its_ttl(server, rest, lam, echo):
    api_id = _authorized_api(rest, echo, function(lam, COUNTED, "counted"), ttl=300)

    def calls(token):
        answer = request(url(server, api_id, "/prod/"), headers={"Authorization": token})
        assert answer.status == 200
        return answer.json()["requestContext"]["authorizer"]["calls"]

    assert [calls("one"), calls("one"), calls("two"), calls("one")] == [1, 1, 2, 1]
    rest.flush_stage_authorizers_cache(restApiId=api_id, stageName="prod")
    assert calls("one") == 3


def test_cognito_authorization_scopes_are_required(server, rest, echo):
    api = rest.create_rest_api(name=unique("scopes"))
    authorizer = rest.create_authorizer(
        restApiId=api["id"], name="pool", type="COGNITO_USER_POOLS", providerARNs=[POOL]
    )["id"]
    rest_lambda_method(
        rest,
        api["id"],
        api["rootResourceId"],
        "GET",
        echo,
        authorizationType="COGNITO_USER_POOLS",
        authorizerId=authorizer,
        authorizationScopes=["pets/read"],
    )
    rest.create_deployment(restApiId=api["id"], stageName="prod")
    local = LocalIssuer(server.state_dir)
    target = url(server, api["id"], "/prod/")
    granted = local.mint(POOL_ISSUER, scopes=["openid", "pets/read"])
    assert request(target, headers={"Authorization": granted}).status == 200
    other = local.mint(POOL_ISSUER, scopes=["pets/write"])
    refused = request(target, headers={"Authorization": other})
    assert (refused.status, refused.json()) == (401, {"message": "Unauthorized"})


def test_a_methods_own_throttling_settings_inherit_the_stages_others(server, rest, echo):
    api_id = _api(rest, echo)
    rest.update_stage(
        restApiId=api_id,
        stageName="prod",
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "1"},
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "0.01"},
            # The root's GET sets only its rate: its burst is still the stage's 1.
            {"op": "replace", "path": "/~1/GET/throttling/rateLimit", "value": "0.01"},
        ],
    )
    settings = rest.get_stage(restApiId=api_id, stageName="prod")["methodSettings"]
    assert settings["//GET"]["throttlingRateLimit"] == 0.01
    target = url(server, api_id, "/prod/")
    statuses = [request(target).status for _ in range(3)]
    assert statuses[0] == 200 and statuses[-1] == 429


def test_incomplete_authorizers_are_refused(rest, lam):
    api_id = rest.create_rest_api(name=unique("incomplete"))["id"]
    with pytest.raises(rest.exceptions.BadRequestException) as caught:
        rest.create_authorizer(restApiId=api_id, name="pool", type="COGNITO_USER_POOLS")
    assert error_of(caught)[:2] == ("BadRequestException", 400)
    for kind in ("TOKEN", "REQUEST"):
        with pytest.raises(rest.exceptions.BadRequestException) as caught:
            rest.create_authorizer(
                restApiId=api_id,
                name="fn",
                type=kind,
                identitySource="method.request.header.Authorization",
            )
        assert error_of(caught)[:2] == ("BadRequestException", 400)
    assert rest.get_authorizers(restApiId=api_id)["items"] == []


def test_a_mock_selection_pattern_that_is_no_regex_selects_nothing(server, rest):
    api = rest.create_rest_api(name=unique("mock"))
    api_id, root = api["id"], api["rootResourceId"]
    health = rest_resource(rest, api_id, root, "health")
    rest.put_method(restApiId=api_id, resourceId=health, httpMethod="GET", authorizationType="NONE")
    rest.put_integration(
        restApiId=api_id,
        resourceId=health,
        httpMethod="GET",
        type="MOCK",
        requestTemplates={"application/json": '{"statusCode": 200}'},
    )
    common = {"restApiId": api_id, "resourceId": health, "httpMethod": "GET"}
    for status in ("200", "400"):
        rest.put_method_response(**common, statusCode=status)
    rest.put_integration_response(
        **common, statusCode="400", selectionPattern="([", responseTemplates={}
    )
    rest.put_integration_response(
        **common, statusCode="200", responseTemplates={"application/json": '{"ok": true}'}
    )
    rest.create_deployment(restApiId=api_id, stageName="prod")
    answer = request(url(server, api_id, "/prod/health"))
    assert (answer.status, answer.json()) == (200, {"ok": True})


def test_an_address_of_no_api_is_forbidden_in_both_forms(server, rest, echo):
    deleted = _api(rest, echo)
    assert request(url(server, deleted, "/prod/")).status == 200
    rest.delete_rest_api(restApiId=deleted)
    for api_id in ("nosuchapi1", deleted):
        by_path = request(url(server, api_id, "/prod/"))
        target, headers = host_url(server, api_id, "/prod/")
        by_host = request(target, headers=headers)
        for answer in (by_path, by_host):
            assert (answer.status, answer.json()) == (403, {"message": "Forbidden"})
            assert answer.headers["x-amzn-errortype"] == "ForbiddenException"
