"""HTTP APIs' management API through boto3: APIs, quick create, routes, integrations,
authorizers, stages, deployments, tags, and the errors AWS gives for bad input."""

from __future__ import annotations

import pytest
from apigw_support import lambda_integration, quick_api, route
from lambda_support import error_of, unique

from conftest import client

FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:somewhere"


def test_create_get_update_delete_an_api(gw, server):
    created = gw.create_api(Name="pets", ProtocolType="HTTP", Description="first")
    api_id = created["ApiId"]
    assert len(api_id) == 10 and api_id.isalnum()
    assert created["ApiEndpoint"] == f"http://{api_id}.execute-api.localhost:{server.port}"
    assert created["RouteSelectionExpression"] == "$request.method $request.path"
    assert gw.get_api(ApiId=api_id)["Description"] == "first"
    gw.update_api(ApiId=api_id, Name="pets2", CorsConfiguration={"AllowOrigins": ["*"]})
    fetched = gw.get_api(ApiId=api_id)
    assert fetched["Name"] == "pets2"
    assert fetched["CorsConfiguration"] == {"AllowOrigins": ["*"]}
    gw.delete_cors_configuration(ApiId=api_id)
    assert "CorsConfiguration" not in gw.get_api(ApiId=api_id)
    assert api_id in [item["ApiId"] for item in gw.get_apis()["Items"]]
    gw.delete_api(ApiId=api_id)
    with pytest.raises(gw.exceptions.NotFoundException) as caught:
        gw.get_api(ApiId=api_id)
    assert error_of(caught) == (
        "NotFoundException",
        404,
        f"Invalid API identifier specified 000000000000:{api_id}",
    )


def test_quick_create_makes_an_integration_a_route_and_an_auto_deployed_default_stage(gw):
    api_id = quick_api(gw, FUNCTION, "GET /pets")
    (integration,) = gw.get_integrations(ApiId=api_id)["Items"]
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert integration["IntegrationUri"] == FUNCTION
    assert integration["PayloadFormatVersion"] == "2.0"
    (only,) = gw.get_routes(ApiId=api_id)["Items"]
    assert only["RouteKey"] == "GET /pets"
    assert only["Target"] == f"integrations/{integration['IntegrationId']}"
    (stage,) = gw.get_stages(ApiId=api_id)["Items"]
    assert stage["StageName"] == "$default" and stage["AutoDeploy"] is True
    assert stage["DeploymentId"] in [
        d["DeploymentId"] for d in gw.get_deployments(ApiId=api_id)["Items"]
    ]


def test_quick_create_to_a_url_is_an_http_proxy(gw):
    api_id = quick_api(gw, "https://example.com/")
    (integration,) = gw.get_integrations(ApiId=api_id)["Items"]
    assert integration["IntegrationType"] == "HTTP_PROXY"
    assert integration["IntegrationMethod"] == "ANY"
    assert gw.get_routes(ApiId=api_id)["Items"][0]["RouteKey"] == "$default"


def test_websocket_apis_are_refused(gw):
    with pytest.raises(gw.exceptions.BadRequestException):
        gw.create_api(
            Name="ws", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.a"
        )


@pytest.mark.parametrize(
    "key", ["GET", "FETCH /pets", "GET pets", "GET /{proxy+}/more", "GET /a//b", "GET /{a}/{a}"]
)
def test_route_keys_that_do_not_parse_are_bad_requests(gw, key):
    api_id = gw.create_api(Name=unique("r"), ProtocolType="HTTP")["ApiId"]
    with pytest.raises(gw.exceptions.BadRequestException):
        gw.create_route(ApiId=api_id, RouteKey=key)


def test_a_route_key_twice_is_a_conflict(gw):
    api_id = gw.create_api(Name=unique("r"), ProtocolType="HTTP")["ApiId"]
    gw.create_route(ApiId=api_id, RouteKey="GET /pets")
    with pytest.raises(gw.exceptions.ConflictException) as caught:
        gw.create_route(ApiId=api_id, RouteKey="GET /pets")
    assert error_of(caught)[:2] == ("ConflictException", 409)


def test_variables_of_different_names_at_one_level_conflict(gw):
    api_id = gw.create_api(Name=unique("r"), ProtocolType="HTTP")["ApiId"]
    gw.create_route(ApiId=api_id, RouteKey="GET /pets/{petId}/toys")
    with pytest.raises(gw.exceptions.ConflictException) as caught:
        gw.create_route(ApiId=api_id, RouteKey="DELETE /pets/{id}")
    assert error_of(caught)[2] == (
        'The provided route key "DELETE /pets/{id}" has a conflicting variable on the same '
        'hierarchical level as "GET /pets/{petId}/toys"'
    )


def test_routes_update_and_delete(gw):
    api_id = gw.create_api(Name=unique("r"), ProtocolType="HTTP")["ApiId"]
    integration = lambda_integration(gw, api_id, FUNCTION)
    route_id = route(gw, api_id, "GET /a", integration)
    gw.update_route(ApiId=api_id, RouteId=route_id, RouteKey="POST /a")
    assert gw.get_route(ApiId=api_id, RouteId=route_id)["RouteKey"] == "POST /a"
    with pytest.raises(gw.exceptions.ConflictException):
        gw.delete_integration(ApiId=api_id, IntegrationId=integration)
    gw.delete_route(ApiId=api_id, RouteId=route_id)
    with pytest.raises(gw.exceptions.NotFoundException):
        gw.get_route(ApiId=api_id, RouteId=route_id)
    gw.delete_integration(ApiId=api_id, IntegrationId=integration)


def test_a_route_must_target_an_integration_of_its_api(gw):
    api_id = gw.create_api(Name=unique("r"), ProtocolType="HTTP")["ApiId"]
    with pytest.raises(gw.exceptions.BadRequestException):
        gw.create_route(ApiId=api_id, RouteKey="GET /", Target="integrations/nope123")


def test_lambda_integrations_need_a_payload_format_and_a_function_arn(gw):
    api_id = gw.create_api(Name=unique("r"), ProtocolType="HTTP")["ApiId"]
    with pytest.raises(gw.exceptions.BadRequestException):
        gw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=FUNCTION)
    with pytest.raises(gw.exceptions.BadRequestException):
        gw.create_integration(
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri="not-an-arn",
            PayloadFormatVersion="2.0",
        )
    with pytest.raises(gw.exceptions.BadRequestException):
        gw.create_integration(
            ApiId=api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=FUNCTION,
            PayloadFormatVersion="2.0",
            TimeoutInMillis=31000,
        )


def test_incomplete_authorizers_are_bad_requests(gw):
    api_id = gw.create_api(Name=unique("r"), ProtocolType="HTTP")["ApiId"]
    header = ["$request.header.Authorization"]
    with pytest.raises(gw.exceptions.BadRequestException):
        gw.create_authorizer(ApiId=api_id, AuthorizerType="JWT", IdentitySource=header, Name="j")
    with pytest.raises(gw.exceptions.BadRequestException):
        gw.create_authorizer(
            ApiId=api_id,
            AuthorizerType="JWT",
            IdentitySource=header,
            Name="j",
            JwtConfiguration={"Issuer": "https://issuer.example"},
        )
    with pytest.raises(gw.exceptions.BadRequestException):
        gw.create_authorizer(
            ApiId=api_id, AuthorizerType="REQUEST", IdentitySource=header, Name="l"
        )
    with pytest.raises(gw.exceptions.BadRequestException):
        gw.create_authorizer(
            ApiId=api_id,
            AuthorizerType="REQUEST",
            IdentitySource=[],
            Name="l",
            AuthorizerUri=FUNCTION,
            AuthorizerPayloadFormatVersion="2.0",
            AuthorizerResultTtlInSeconds=300,
        )
    with pytest.raises(gw.exceptions.BadRequestException):
        gw.create_authorizer(
            ApiId=api_id,
            AuthorizerType="REQUEST",
            IdentitySource=header,
            Name="l",
            AuthorizerUri=FUNCTION,
            AuthorizerPayloadFormatVersion="1.0",
            EnableSimpleResponses=True,
        )


def test_a_jwt_route_needs_a_jwt_authorizer(gw):
    api_id = gw.create_api(Name=unique("r"), ProtocolType="HTTP")["ApiId"]
    with pytest.raises(gw.exceptions.BadRequestException):
        gw.create_route(ApiId=api_id, RouteKey="GET /", AuthorizationType="JWT")
    authorizer = gw.create_authorizer(
        ApiId=api_id,
        AuthorizerType="JWT",
        IdentitySource=["$request.header.Authorization"],
        Name="j",
        JwtConfiguration={"Issuer": "https://issuer.example", "Audience": ["a"]},
    )["AuthorizerId"]
    created = gw.create_route(
        ApiId=api_id,
        RouteKey="GET /",
        AuthorizationType="JWT",
        AuthorizerId=authorizer,
        AuthorizationScopes=["read"],
    )
    assert created["AuthorizationScopes"] == ["read"]
    with pytest.raises(gw.exceptions.ConflictException):
        gw.delete_authorizer(ApiId=api_id, AuthorizerId=authorizer)


def test_stages_and_deployments(gw):
    api_id = gw.create_api(Name=unique("r"), ProtocolType="HTTP")["ApiId"]
    integration = lambda_integration(gw, api_id, FUNCTION)
    route(gw, api_id, "GET /a", integration)
    gw.create_stage(ApiId=api_id, StageName="dev", StageVariables={"color": "blue"})
    with pytest.raises(gw.exceptions.ConflictException):
        gw.create_stage(ApiId=api_id, StageName="dev")
    deployment = gw.create_deployment(ApiId=api_id, StageName="dev", Description="one")
    assert deployment["DeploymentStatus"] == "DEPLOYED"
    stage = gw.get_stage(ApiId=api_id, StageName="dev")
    assert stage["DeploymentId"] == deployment["DeploymentId"]
    assert stage["StageVariables"] == {"color": "blue"}
    with pytest.raises(gw.exceptions.BadRequestException) as caught:
        gw.delete_deployment(ApiId=api_id, DeploymentId=deployment["DeploymentId"])
    assert "Active stages" in error_of(caught)[2]
    gw.update_stage(
        ApiId=api_id,
        StageName="dev",
        RouteSettings={"GET /a": {"ThrottlingBurstLimit": 1, "ThrottlingRateLimit": 1.0}},
    )
    assert (
        gw.get_stage(ApiId=api_id, StageName="dev")["RouteSettings"]["GET /a"][
            "ThrottlingBurstLimit"
        ]
        == 1
    )
    gw.delete_route_settings(ApiId=api_id, StageName="dev", RouteKey="GET /a")
    gw.delete_stage(ApiId=api_id, StageName="dev")
    gw.delete_deployment(ApiId=api_id, DeploymentId=deployment["DeploymentId"])
    with pytest.raises(gw.exceptions.NotFoundException):
        gw.get_stage(ApiId=api_id, StageName="dev")


def test_tags_on_an_api(gw):
    api_id = gw.create_api(Name=unique("r"), ProtocolType="HTTP", Tags={"team": "a"})["ApiId"]
    arn = f"arn:aws:apigateway:us-east-1::/apis/{api_id}"
    gw.tag_resource(ResourceArn=arn, Tags={"env": "dev"})
    assert gw.get_tags(ResourceArn=arn)["Tags"] == {"team": "a", "env": "dev"}
    gw.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert gw.get_tags(ResourceArn=arn)["Tags"] == {"env": "dev"}


def test_apis_survive_a_restart(tmp_path):
    from server import Server

    own = Server(tmp_path).start()
    try:
        gw = client(own, "apigatewayv2")
        api_id = quick_api(gw, FUNCTION, "GET /kept")
        own.restart()
        gw = client(own, "apigatewayv2")
        assert gw.get_routes(ApiId=api_id)["Items"][0]["RouteKey"] == "GET /kept"
    finally:
        own.stop()
