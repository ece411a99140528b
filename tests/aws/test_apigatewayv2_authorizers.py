"""HTTP API authorizers on real requests: JWT (tokens minted by cloudlet's local issuer,
valid, missing, malformed, expired, for another audience, without the route's scope, from
another issuer) and Lambda authorizers (simple and IAM-policy answers, identity sources,
the result cache)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from apigw_support import function, lambda_integration, request, route, url
from lambda_support import unique

from cloudlet.issuer import LocalIssuer


@pytest.fixture(scope="module")
def mint(server, issuer):
    local = LocalIssuer(server.state_dir)

    def mint(**settings):
        settings.setdefault("audience", "my-api")
        return local.mint(settings.pop("issuer", issuer), **settings)

    return mint


@pytest.fixture(scope="module")
def jwt_api(gw, echo, issuer):
    api_id = gw.create_api(Name=unique("jwt"), ProtocolType="HTTP")["ApiId"]
    authorizer = gw.create_authorizer(
        ApiId=api_id,
        AuthorizerType="JWT",
        Name="local",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": issuer, "Audience": ["my-api"]},
    )["AuthorizerId"]
    integration = lambda_integration(gw, api_id, echo)
    settings = {"AuthorizationType": "JWT", "AuthorizerId": authorizer}
    route(gw, api_id, "GET /open", integration)
    route(gw, api_id, "GET /private", integration, **settings)
    route(gw, api_id, "GET /admin", integration, AuthorizationScopes=["admin"], **settings)
    gw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    return api_id


def _get(server, api_id, path, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return request(url(server, api_id, path), headers=headers)


def test_the_issuer_publishes_its_discovery_document_and_keys(server, issuer):
    discovery = request(f"{server.endpoint}/_cloudlet/issuer/.well-known/openid-configuration")
    assert discovery.json()["jwks_uri"].endswith("/_cloudlet/issuer/.well-known/jwks.json")
    (key,) = request(discovery.json()["jwks_uri"]).json()["keys"]
    assert (key["kty"], key["alg"]) == ("RSA", "RS256")


def test_a_valid_token_reaches_the_function_with_its_claims(server, jwt_api, mint):
    token = mint(subject="alice", scopes=["read", "write"], claims={"groups": ["a", "b"]})
    answer = _get(server, jwt_api, "/private", token)
    assert answer.status == 200
    jwt = answer.json()["requestContext"]["authorizer"]["jwt"]
    assert jwt["claims"]["sub"] == "alice"
    assert jwt["claims"]["groups"] == "[a b]"
    assert jwt["scopes"] == ["read", "write"]


def test_a_token_without_the_bearer_scheme_is_accepted(server, jwt_api, mint):
    answer = request(url(server, jwt_api, "/private"), headers={"Authorization": mint()})
    assert answer.status == 200


def test_a_route_without_an_authorizer_needs_no_token(server, jwt_api):
    assert _get(server, jwt_api, "/open").status == 200


def test_no_token_is_unauthorized(server, jwt_api):
    answer = _get(server, jwt_api, "/private")
    assert (answer.status, answer.json()) == (401, {"message": "Unauthorized"})


@pytest.mark.parametrize(
    "settings",
    [
        {"expires_in": -60},
        {"audience": "someone-else"},
        {"issuer": "http://localhost:1/_cloudlet/issuer"},
    ],
    ids=["expired", "wrong-audience", "other-issuer"],
)
def test_an_invalid_token_is_unauthorized(server, jwt_api, mint, settings):
    answer = _get(server, jwt_api, "/private", mint(**settings))
    assert (answer.status, answer.json()) == (401, {"message": "Unauthorized"})
    assert 'error="invalid_token"' in answer.headers["www-authenticate"]


def test_a_malformed_token_is_unauthorized(server, jwt_api):
    answer = _get(server, jwt_api, "/private", "not.a.jwt")
    assert (answer.status, answer.json()) == (401, {"message": "Unauthorized"})


def test_a_forged_signature_is_unauthorized(server, jwt_api, mint, tmp_path, issuer):
    forged = LocalIssuer(tmp_path).mint(issuer, audience="my-api")  # another key
    assert _get(server, jwt_api, "/private", forged).status == 401
    assert _get(server, jwt_api, "/private", mint()).status == 200


def test_a_token_without_the_routes_scope_is_forbidden(server, jwt_api, mint):
    answer = _get(server, jwt_api, "/admin", mint(scopes=["read"]))
    assert (answer.status, answer.json()) == (403, {"message": "Forbidden"})
    assert 'error="insufficient_scope"' in answer.headers["www-authenticate"]
    assert _get(server, jwt_api, "/admin", mint(scopes=["admin"])).status == 200


def test_cloudlet_token_mints_a_token_the_authorizer_accepts(server, jwt_api):
    minted = subprocess.run(
        [
            sys.executable,
            "-m",
            "cloudlet",
            "token",
            "--audience",
            "my-api",
            "--scope",
            "admin",
            "--port",
            str(server.port),
            "--state-dir",
            str(server.state_dir),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert _get(server, jwt_api, "/admin", minted.stdout.strip()).status == 200


# -- Lambda authorizers ------------------------------------------------------------------------

SIMPLE = """
import json, os
CALLS = 0
def handler(event, context):
    global CALLS
    CALLS += 1
    token = event["headers"].get("authorization", "")
    if token == "crash":
        raise RuntimeError("boom")
    if token == "unauthorized":
        raise Exception("Unauthorized")
    return {"isAuthorized": token == "let-me-in",
            "context": {"user": "ada", "calls": CALLS, "version": event["version"],
                        "identity": event["identitySource"]}}
"""

POLICY = """
def handler(event, context):
    effect = "Allow" if event["headers"].get("authorization") == "allow" else "Deny"
    return {"principalId": "ada",
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["routeArn"]}]},
            "context": {"tier": "gold"}}
"""


def _lambda_api(gw, echo, authorizer_arn, **settings):
    api_id = gw.create_api(Name=unique("lambda-auth"), ProtocolType="HTTP")["ApiId"]
    authorizer = gw.create_authorizer(
        ApiId=api_id,
        AuthorizerType="REQUEST",
        Name="fn",
        AuthorizerUri=authorizer_arn,
        AuthorizerPayloadFormatVersion="2.0",
        **settings,
    )["AuthorizerId"]
    integration = lambda_integration(gw, api_id, echo)
    route(gw, api_id, "GET /r", integration, AuthorizationType="CUSTOM", AuthorizerId=authorizer)
    gw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    return api_id


def _auth(server, api_id, value=None):
    headers = {"Authorization": value} if value is not None else {}
    return request(url(server, api_id, "/r"), headers=headers)


def test_a_simple_lambda_authorizer_allows_and_denies(server, gw, lam, echo):
    api_id = _lambda_api(
        gw,
        echo,
        function(lam, SIMPLE, "simple"),
        EnableSimpleResponses=True,
        IdentitySource=["$request.header.Authorization"],
    )
    allowed = _auth(server, api_id, "let-me-in")
    assert allowed.status == 200
    context = allowed.json()["requestContext"]["authorizer"]["lambda"]
    assert (context["user"], context["version"], context["identity"]) == (
        "ada",
        "2.0",
        ["let-me-in"],
    )
    denied = _auth(server, api_id, "nope")
    assert (denied.status, denied.json()) == (403, {"message": "Forbidden"})
    missing = _auth(server, api_id)
    assert (missing.status, missing.json()) == (401, {"message": "Unauthorized"})
    crashed = _auth(server, api_id, "crash")
    assert (crashed.status, crashed.json()) == (500, {"message": "Internal Server Error"})
    assert _auth(server, api_id, "unauthorized").status == 401


def test_lambda_authorizer_answers_are_cached_by_identity(server, gw, lam, echo):
    api_id = _lambda_api(
        gw,
        echo,
        function(lam, SIMPLE, "cached"),
        EnableSimpleResponses=True,
        IdentitySource=["$request.header.Authorization"],
        AuthorizerResultTtlInSeconds=300,
    )
    calls = [
        _auth(server, api_id, "let-me-in").json()["requestContext"]["authorizer"]["lambda"]["calls"]
        for _ in range(3)
    ]
    assert calls == [1, 1, 1]
    gw.reset_authorizers_cache(ApiId=api_id, StageName="$default")
    again = _auth(server, api_id, "let-me-in").json()["requestContext"]["authorizer"]["lambda"]
    assert again["calls"] == 2


def test_an_iam_policy_authorizer_allows_and_denies(server, gw, lam, echo):
    api_id = _lambda_api(
        gw, echo, function(lam, POLICY, "policy"), IdentitySource=["$request.header.Authorization"]
    )
    allowed = _auth(server, api_id, "allow")
    assert allowed.status == 200
    context = allowed.json()["requestContext"]["authorizer"]["lambda"]
    assert context == {"tier": "gold", "principalId": "ada"}
    denied = _auth(server, api_id, "deny")
    assert (denied.status, denied.json()) == (403, {"message": "Forbidden"})


def test_an_authorizer_answer_of_the_wrong_shape_is_an_error(server, gw, lam, echo):
    wrong = "def handler(event, context):\n    return {'allowed': 'yes'}\n"
    api_id = _lambda_api(
        gw,
        echo,
        function(lam, wrong, "wrong"),
        EnableSimpleResponses=True,
        IdentitySource=["$request.header.Authorization"],
    )
    answer = _auth(server, api_id, "x")
    assert (answer.status, answer.json()) == (500, {"message": "Internal Server Error"})
    assert json.loads(answer.body) == {"message": "Internal Server Error"}
