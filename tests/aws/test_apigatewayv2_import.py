"""HTTP APIs from OpenAPI definitions (ImportApi, ReimportApi), as SAM's
AWS::Serverless::HttpApi makes them: routes with {param} and $default, Lambda proxy
integrations (shared through components), a JWT authorizer trusting cloudlet's issuer,
CORS, answering real requests; a reimport replacing the routes; definitions refused."""

from __future__ import annotations

import json

import pytest
import yaml
from apigw_support import request, url
from lambda_support import error_of, unique

from cloudlet.issuer import LocalIssuer


def proxy(arn: str) -> dict:
    return {"type": "aws_proxy", "httpMethod": "POST", "uri": arn, "payloadFormatVersion": "2.0"}


def shared() -> dict:
    return {"$ref": "#/components/x-amazon-apigateway-integrations/echo"}


def definition(echo: str, issuer: str) -> str:
    """OpenAPI 3.0 as YAML: a JWT authorizer, CORS, one integration shared by every route."""
    return yaml.safe_dump(
        {
            "openapi": "3.0.1",
            "info": {"title": unique("http"), "version": "1.0"},
            "x-amazon-apigateway-cors": {
                "allowOrigins": ["https://app.example"],
                "allowMethods": ["GET", "POST"],
                "maxAge": 60,
            },
            "components": {
                "securitySchemes": {
                    "jwt": {
                        "type": "oauth2",
                        "flows": {},
                        "x-amazon-apigateway-authorizer": {
                            "type": "jwt",
                            "identitySource": "$request.header.Authorization",
                            "jwtConfiguration": {"issuer": issuer, "audience": ["my-api"]},
                        },
                    }
                },
                "x-amazon-apigateway-integrations": {"echo": proxy(echo)},
            },
            "paths": {
                "/items/{id}": {"get": {"x-amazon-apigateway-integration": shared()}},
                "/private": {
                    "get": {
                        "security": [{"jwt": ["read"]}],
                        "x-amazon-apigateway-integration": shared(),
                    }
                },
                "$default": {  # as SAM writes it; AWS's export says /$default
                    "x-amazon-apigateway-any-method": {"x-amazon-apigateway-integration": shared()}
                },
            },
        }
    )


def test_an_imported_http_api_answers_through_http(server, gw, echo, issuer):
    api = gw.import_api(Body=definition(echo, issuer))
    api_id = api["ApiId"]
    assert api["Name"].startswith("http") and "Warnings" not in api
    routes = {r["RouteKey"]: r for r in gw.get_routes(ApiId=api_id)["Items"]}
    assert set(routes) == {"GET /items/{id}", "GET /private", "$default"}
    assert routes["GET /private"]["AuthorizationType"] == "JWT"
    assert routes["GET /private"]["AuthorizationScopes"] == ["read"]
    assert len(gw.get_integrations(ApiId=api_id)["Items"]) == 1
    (authorizer,) = gw.get_authorizers(ApiId=api_id)["Items"]
    assert authorizer["JwtConfiguration"] == {"Issuer": issuer, "Audience": ["my-api"]}
    gw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)

    item = request(url(server, api_id, "/items/5"))
    assert (item.status, item.json()["pathParameters"]) == (200, {"id": "5"})
    anything = request(url(server, api_id, "/some/where"), "POST")
    assert anything.json()["routeKey"] == "$default"

    private = url(server, api_id, "/private")
    local = LocalIssuer(server.state_dir)
    assert request(private).status == 401
    narrow = local.mint(issuer, audience="my-api", scopes=["write"])
    assert request(private, headers={"Authorization": f"Bearer {narrow}"}).status == 403
    token = local.mint(issuer, audience="my-api", scopes=["read"], subject="ada")
    allowed = request(private, headers={"Authorization": f"Bearer {token}"})
    assert allowed.json()["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] == "ada"

    preflight = request(
        url(server, api_id, "/items/5"),
        "OPTIONS",
        headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status == 204
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"


def test_reimport_replaces_the_routes_and_keeps_the_stage(server, gw, echo, issuer):
    api_id = gw.import_api(Body=definition(echo, issuer))["ApiId"]
    gw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    body = json.dumps(
        {
            "openapi": "3.0.1",
            "info": {"title": "renamed", "version": "2"},
            "paths": {"/new": {"post": {"x-amazon-apigateway-integration": proxy(echo)}}},
        }
    )
    answer = gw.reimport_api(ApiId=api_id, Body=body)
    assert (answer["ApiId"], answer["Name"], answer["Version"]) == (api_id, "renamed", "2")
    assert "CorsConfiguration" not in answer
    assert [r["RouteKey"] for r in gw.get_routes(ApiId=api_id)["Items"]] == ["POST /new"]
    assert gw.get_authorizers(ApiId=api_id)["Items"] == []
    gone = request(url(server, api_id, "/items/5"))
    assert (gone.status, gone.json()) == (404, {"message": "Not Found"})
    assert request(url(server, api_id, "/new"), "POST").status == 200


def test_a_broken_definition_is_refused(gw, echo):
    before = {a["ApiId"] for a in gw.get_apis()["Items"]}
    for body in ("not: [an, api", '{"swagger": "1.2"}', "42"):
        with pytest.raises(gw.exceptions.BadRequestException) as caught:
            gw.import_api(Body=body)
        assert error_of(caught) == ("BadRequestException", 400, "Invalid OpenAPI input.")
    wrong = {"type": "aws_proxy", "uri": "arn:aws:s3:::bucket", "payloadFormatVersion": "2.0"}
    body = json.dumps(
        {
            "openapi": "3.0.1",
            "info": {"title": "x", "version": "1"},
            "paths": {"/a": {"get": {"x-amazon-apigateway-integration": wrong}}},
        }
    )
    with pytest.raises(gw.exceptions.BadRequestException) as caught:
        gw.import_api(Body=body)
    assert error_of(caught)[2] == (
        "Errors found during import:\n\tUnable to create integration for route 'GET /a': "
        "Invalid integration URI specified arn:aws:s3:::bucket"
    )
    assert {a["ApiId"] for a in gw.get_apis()["Items"]} == before


def test_an_integration_http_apis_lack_is_a_warning(gw, echo):
    mock = {"type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'}}
    body = json.dumps(
        {
            "openapi": "3.0.1",
            "info": {"title": unique("w"), "version": "1"},
            "paths": {
                "/mock": {"get": {"x-amazon-apigateway-integration": mock}},
                "/fine": {"get": {"x-amazon-apigateway-integration": proxy(echo)}},
            },
        }
    )
    warning = (
        "Unsupported integration type MOCK for route 'GET /mock': HTTP APIs support only "
        "Lambda proxy (AWS_PROXY) and HTTP proxy (HTTP_PROXY) integrations"
    )
    api = gw.import_api(Body=body)
    assert api["Warnings"] == [warning]
    routes = {r["RouteKey"]: r for r in gw.get_routes(ApiId=api["ApiId"])["Items"]}
    assert "Target" not in routes["GET /mock"] and "Target" in routes["GET /fine"]
    with pytest.raises(gw.exceptions.BadRequestException) as caught:
        gw.import_api(Body=body, FailOnWarnings=True)
    assert error_of(caught)[2] == f"Warnings found during import:\n\t{warning}"


def test_reimport_of_a_missing_api_is_not_found(gw):
    with pytest.raises(gw.exceptions.NotFoundException):
        gw.reimport_api(ApiId="nosuchapi1", Body='{"openapi": "3.0.1", "paths": {}}')
