"""REST APIs from OpenAPI definitions (ImportRestApi, PutRestApi), as SAM's
AWS::Serverless::Api makes them: Swagger 2.0 and OpenAPI 3.0, JSON and YAML, Lambda proxy
routes with {param} and {proxy+}, MOCK, Cognito and Lambda TOKEN authorizers, deployed and
answering real requests; overwrite and merge; definitions AWS refuses."""

from __future__ import annotations

import json

import pytest
import yaml
from apigw_support import TOKEN_AUTHORIZER, function, request, uri
from lambda_support import error_of, unique

from cloudlet.issuer import LocalIssuer

POOL = "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_Import1"
POOL_ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Import1"


@pytest.fixture(scope="module")
def token_authorizer(lam):
    return function(lam, TOKEN_AUTHORIZER, "authorizer")


def proxy(arn: str) -> dict:
    return {"type": "aws_proxy", "httpMethod": "POST", "uri": uri(arn)}


def ok(**more):
    return {"responses": {"200": {"description": "ok"}}, **more}


def paths(echo: str) -> dict:
    """The paths both definitions share: Lambda proxy routes, a greedy one, a MOCK, and
    routes behind the two authorizers."""
    return {
        "/users/{id}": {"get": ok(**{"x-amazon-apigateway-integration": proxy(echo)})},
        "/files/{proxy+}": {
            "x-amazon-apigateway-any-method": ok(
                parameters=[{"name": "proxy", "in": "path", "required": True}],
                **{"x-amazon-apigateway-integration": proxy(echo)},
            )
        },
        "/health": {
            "get": {
                "responses": {"200": {"description": "ok", "headers": {"X-Mocked": {}}}},
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "requestTemplates": {"application/json": '{"statusCode": 200}'},
                    "responses": {
                        "default": {
                            "statusCode": "200",
                            "responseTemplates": {"application/json": '{"ok": true}'},
                            "responseParameters": {"method.response.header.X-Mocked": "'yes'"},
                        }
                    },
                },
            }
        },
        "/me": {
            "get": ok(security=[{"pool": []}], **{"x-amazon-apigateway-integration": proxy(echo)})
        },
        "/secret": {
            "get": ok(security=[{"token": []}], **{"x-amazon-apigateway-integration": proxy(echo)})
        },
    }


def schemes(authorizer: str) -> dict:
    header = {"type": "apiKey", "name": "Authorization", "in": "header"}
    return {
        "pool": {
            **header,
            "x-amazon-apigateway-authtype": "cognito_user_pools",
            "x-amazon-apigateway-authorizer": {
                "type": "cognito_user_pools",
                "providerARNs": [POOL],
            },
        },
        "token": {
            **header,
            "x-amazon-apigateway-authtype": "custom",
            "x-amazon-apigateway-authorizer": {
                "type": "token",
                "authorizerUri": uri(authorizer),
                "authorizerResultTtlInSeconds": 0,
            },
        },
    }


def swagger(echo: str, authorizer: str) -> str:
    """Swagger 2.0, as JSON."""
    return json.dumps(
        {
            "swagger": "2.0",
            "info": {"title": unique("swagger"), "version": "1.0"},
            "basePath": "/v1",
            "securityDefinitions": schemes(authorizer),
            "x-amazon-apigateway-binary-media-types": ["image/png"],
            "paths": paths(echo),
        }
    )


def openapi3(echo: str, authorizer: str) -> str:
    """OpenAPI 3.0, as YAML."""
    return yaml.safe_dump(
        {
            "openapi": "3.0.1",
            "info": {"title": unique("openapi"), "version": "1.0"},
            "servers": [
                {
                    "url": "https://example.com/{basePath}",
                    "variables": {"basePath": {"default": "v1"}},
                }
            ],
            "components": {"securitySchemes": schemes(authorizer)},
            "paths": paths(echo),
        }
    )


def rest_url(server, api_id, path):
    return f"{server.endpoint}/execute-api/{api_id}{path}"


@pytest.mark.parametrize("form", [swagger, openapi3], ids=["swagger2-json", "openapi3-yaml"])
def test_an_imported_definition_answers_through_http(server, rest, echo, token_authorizer, form):
    api = rest.import_rest_api(body=form(echo, token_authorizer).encode())
    api_id = api["id"]
    assert api["name"].startswith(("swagger", "openapi")) and "warnings" not in api
    paths_made = {r["path"] for r in rest.get_resources(restApiId=api_id)["items"]}
    assert paths_made == {
        "/",
        "/users",
        "/users/{id}",
        "/files",
        "/files/{proxy+}",
        "/health",
        "/me",
        "/secret",
    }
    kinds = sorted(a["type"] for a in rest.get_authorizers(restApiId=api_id)["items"])
    assert kinds == ["COGNITO_USER_POOLS", "TOKEN"]
    rest.create_deployment(restApiId=api_id, stageName="prod")

    user = request(rest_url(server, api_id, "/prod/users/7"))
    assert user.status == 200
    assert (user.json()["resource"], user.json()["pathParameters"]) == (
        "/users/{id}",
        {"id": "7"},
    )
    deep = request(rest_url(server, api_id, "/prod/files/a/b.txt"), "DELETE")
    assert (deep.json()["httpMethod"], deep.json()["pathParameters"]) == (
        "DELETE",
        {"proxy": "a/b.txt"},
    )
    health = request(rest_url(server, api_id, "/prod/health"))
    assert (health.status, health.json(), health.headers["x-mocked"]) == (200, {"ok": True}, "yes")

    me = rest_url(server, api_id, "/prod/me")
    token = LocalIssuer(server.state_dir).mint(POOL_ISSUER, subject="ada", claims={"email": "a@x"})
    allowed = request(me, headers={"Authorization": token})
    assert allowed.json()["requestContext"]["authorizer"]["claims"]["email"] == "a@x"
    assert request(me).status == 401

    secret = rest_url(server, api_id, "/prod/secret")
    assert request(secret, headers={"Authorization": "allow"}).status == 200
    assert request(secret, headers={"Authorization": "deny"}).status == 403


def test_basepath_prepend_puts_the_base_path_before_every_path(rest, echo, token_authorizer):
    api = rest.import_rest_api(
        body=swagger(echo, token_authorizer).encode(), parameters={"basepath": "prepend"}
    )
    paths_made = {r["path"] for r in rest.get_resources(restApiId=api["id"])["items"]}
    assert "/v1/users/{id}" in paths_made and "/users" not in paths_made


def definition(title: str, routes: dict) -> bytes:
    return json.dumps(
        {"openapi": "3.0.1", "info": {"title": title, "version": "1"}, "paths": routes}
    ).encode()


def test_put_rest_api_overwrite_replaces_the_routes_and_merge_adds(server, rest, echo):
    api_id = rest.import_rest_api(
        body=definition(
            "first", {"/old": {"get": ok(**{"x-amazon-apigateway-integration": proxy(echo)})}}
        )
    )["id"]
    rest.create_deployment(restApiId=api_id, stageName="prod")
    assert request(rest_url(server, api_id, "/prod/old")).status == 200

    replaced = rest.put_rest_api(
        restApiId=api_id,
        mode="overwrite",
        body=definition(
            "second", {"/new": {"get": ok(**{"x-amazon-apigateway-integration": proxy(echo)})}}
        ),
    )
    assert (replaced["id"], replaced["name"]) == (api_id, "second")
    rest.create_deployment(restApiId=api_id, stageName="prod")
    gone = request(rest_url(server, api_id, "/prod/old"))
    assert (gone.status, gone.json()) == (403, {"message": "Missing Authentication Token"})
    assert request(rest_url(server, api_id, "/prod/new")).status == 200

    rest.put_rest_api(
        restApiId=api_id,
        mode="merge",
        body=definition(
            "third", {"/extra": {"post": ok(**{"x-amazon-apigateway-integration": proxy(echo)})}}
        ),
    )
    paths_made = {r["path"] for r in rest.get_resources(restApiId=api_id)["items"]}
    assert paths_made == {"/", "/new", "/extra"}
    assert rest.get_rest_api(restApiId=api_id)["name"] == "second"


def test_a_broken_definition_is_refused_as_aws_refuses_it(rest, echo):
    before = {a["id"] for a in rest.get_rest_apis(limit=500)["items"]}
    for body in (b"not: [an, api", b'{"openapi": "3.0.1"', b"[1, 2]", b'{"info": {}}'):
        with pytest.raises(rest.exceptions.BadRequestException) as caught:
            rest.import_rest_api(body=body)
        assert error_of(caught) == ("BadRequestException", 400, "Invalid OpenAPI input.")

    with pytest.raises(rest.exceptions.BadRequestException) as caught:
        rest.import_rest_api(
            body=definition(
                "x", {"/": {"get": ok(**{"x-amazon-apigateway-integration": "Fn::Sub"})}}
            )
        )
    assert error_of(caught)[2] == (
        "Unable to parse API definition because of a malformed integration at path /."
    )

    bad_uri = {"type": "aws_proxy", "httpMethod": "POST", "uri": "arn:aws:s3:::bucket"}
    with pytest.raises(rest.exceptions.BadRequestException) as caught:
        rest.import_rest_api(
            body=definition(
                "x",
                {
                    "/pets": {"get": ok(**{"x-amazon-apigateway-integration": bad_uri})},
                    "/a/{b}/{c}": {"get": ok(**{"x-amazon-apigateway-integration": proxy(echo)})},
                },
            )
        )
    assert error_of(caught)[2] == (
        "Errors found during import:\n"
        "\tUnable to put integration on 'GET' for resource at path '/pets': "
        "Invalid function ARN or invalid uri"
    )
    assert {a["id"] for a in rest.get_rest_apis(limit=500)["items"]} == before


def test_warnings_are_returned_or_refused_with_fail_on_warnings(rest, echo):
    body = json.dumps(
        {
            "swagger": "2.0",
            "info": {"title": unique("w"), "version": "1"},
            "paths": {"/x": {"get": {"x-amazon-apigateway-integration": proxy(echo)}}},
        }
    ).encode()
    warning = "Parse issue: attribute paths.'/x'(get).responses is missing"
    assert rest.import_rest_api(body=body)["warnings"] == [warning]
    with pytest.raises(rest.exceptions.BadRequestException) as caught:
        rest.import_rest_api(body=body, failOnWarnings=True)
    assert error_of(caught)[2] == f"Warnings found during import:\n\t{warning}"


def test_a_security_name_no_scheme_defines_authorizes_nothing(rest, echo, token_authorizer):
    """SAM writes `NONE` for a route that opts out of its API's default authorizer."""
    body = json.loads(swagger(echo, token_authorizer))
    body["paths"] = {
        "/guarded": {"get": ok(security=[{"pool": []}])},
        "/open": {"get": ok(security=[{"NONE": []}])},
    }
    api_id = rest.import_rest_api(body=json.dumps(body).encode(), failOnWarnings=True)["id"]
    methods = {
        r["path"]: rest.get_method(restApiId=api_id, resourceId=r["id"], httpMethod="GET")
        for r in rest.get_resources(restApiId=api_id)["items"]
        if r["path"] != "/"
    }
    assert methods["/guarded"]["authorizationType"] == "COGNITO_USER_POOLS"
    assert methods["/open"]["authorizationType"] == "NONE"


def test_put_rest_api_on_a_missing_api_is_not_found(rest):
    with pytest.raises(rest.exceptions.NotFoundException):
        rest.put_rest_api(restApiId="nosuchapi1", body=definition("x", {}))
