"""HTTP APIs answering real HTTP requests: routes and their priority, path parameters,
greedy paths, stages, the 2.0 and 1.0 events, response mapping, binary bodies, errors,
timeouts, HTTP proxies, CORS and throttling."""

from __future__ import annotations

import base64
import json
import subprocess

import pytest
from apigw_support import host_url, lambda_integration, quick_api, request, route, url
from lambda_support import unique


@pytest.fixture(scope="module")
def routed(gw, echo):
    """An API with routes that compete for the same requests."""
    api_id = gw.create_api(Name=unique("routes"), ProtocolType="HTTP")["ApiId"]
    integration = lambda_integration(gw, api_id, echo)
    for key in (
        "GET /pets/dog/1",
        "GET /pets/dog/{id}",
        "GET /pets/{proxy+}",
        "ANY /{proxy+}",
        "POST /things/{kind}/{id}",
        "$default",
    ):
        route(gw, api_id, key, integration)
    gw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    return api_id


@pytest.mark.parametrize(
    ("method", "path", "route_key", "params"),
    [
        ("GET", "/pets/dog/1", "GET /pets/dog/1", None),
        ("GET", "/pets/dog/2", "GET /pets/dog/{id}", {"id": "2"}),
        ("GET", "/pets/cat/1/toys", "GET /pets/{proxy+}", {"proxy": "cat/1/toys"}),
        ("POST", "/things/cat/1", "POST /things/{kind}/{id}", {"kind": "cat", "id": "1"}),
        ("PUT", "/pets/cat", "ANY /{proxy+}", {"proxy": "pets/cat"}),
        ("GET", "/", "$default", None),
    ],
)
def test_routes_are_chosen_most_specific_first(server, routed, method, path, route_key, params):
    answer = request(url(server, routed, path), method, body=b"" if method != "GET" else None)
    assert answer.status == 200
    event = answer.json()
    assert event["routeKey"] == route_key
    assert event.get("pathParameters") == params


def test_the_2_0_event_has_the_request_in_it(server, routed):
    answer = request(
        url(server, routed, "/pets/dog/7?a=1&a=2&b=x%20y"),
        headers={"Cookie": "c1=v1; c2=v2", "X-Custom": "yes", "User-Agent": "tests"},
    )
    event = answer.json()
    assert event["version"] == "2.0"
    assert event["rawPath"] == "/pets/dog/7"
    assert event["rawQueryString"] == "a=1&a=2&b=x%20y"
    assert event["queryStringParameters"] == {"a": "1,2", "b": "x y"}
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-custom"] == "yes"
    context = event["requestContext"]
    assert context["apiId"] == routed
    assert context["accountId"] == "000000000000"
    assert context["http"] == {
        "method": "GET",
        "path": "/pets/dog/7",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "tests",
    }
    assert context["stage"] == "$default"
    assert context["routeKey"] == "GET /pets/dog/{id}"
    assert isinstance(context["timeEpoch"], int)
    assert answer.headers["apigw-requestid"] == context["requestId"]


def test_the_host_form_reaches_the_api(server, routed):
    target, headers = host_url(server, routed, "/pets/dog/3")
    answer = request(target, headers=headers)
    assert answer.status == 200
    assert answer.json()["pathParameters"] == {"id": "3"}
    assert answer.json()["requestContext"]["domainName"] == f"{routed}.execute-api.localhost"


def test_curl_reaches_the_api_by_its_localhost_name(server, routed):
    shown = subprocess.run(
        ["curl", "-s", f"http://{routed}.execute-api.localhost:{server.port}/pets/dog/9"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert json.loads(shown.stdout)["pathParameters"] == {"id": "9"}


def test_an_unmatched_route_is_not_found(server, gw, echo):
    api_id = quick_api(gw, echo, "GET /only")
    answer = request(url(server, api_id, "/other"))
    assert (answer.status, answer.json()) == (404, {"message": "Not Found"})
    assert request(url(server, api_id, "/only"), "POST", body=b"").status == 404


def test_named_stages_serve_under_their_name_with_their_variables(server, gw, echo):
    api_id = gw.create_api(Name=unique("stages"), ProtocolType="HTTP")["ApiId"]
    integration = lambda_integration(gw, api_id, echo)
    route(gw, api_id, "GET /hello", integration)
    gw.create_stage(ApiId=api_id, StageName="dev", AutoDeploy=True, StageVariables={"db": "devdb"})
    assert request(url(server, api_id, "/hello")).status == 404  # no $default stage
    event = request(url(server, api_id, "/dev/hello")).json()
    assert event["rawPath"] == "/dev/hello"
    assert event["requestContext"]["stage"] == "dev"
    assert event["stageVariables"] == {"db": "devdb"}


def test_a_stage_serves_its_deployment_until_redeployed(server, gw, echo):
    api_id = gw.create_api(Name=unique("deploy"), ProtocolType="HTTP")["ApiId"]
    integration = lambda_integration(gw, api_id, echo)
    route(gw, api_id, "GET /one", integration)
    gw.create_stage(ApiId=api_id, StageName="prod")
    assert request(url(server, api_id, "/prod/one")).status == 404  # nothing deployed yet
    gw.create_deployment(ApiId=api_id, StageName="prod")
    route(gw, api_id, "GET /two", integration)
    assert request(url(server, api_id, "/prod/one")).status == 200
    assert request(url(server, api_id, "/prod/two")).status == 404
    gw.create_deployment(ApiId=api_id, StageName="prod")
    assert request(url(server, api_id, "/prod/two")).status == 200


def test_the_1_0_event_has_multi_value_parameters(server, gw, echo):
    api_id = gw.create_api(Name=unique("v1"), ProtocolType="HTTP")["ApiId"]
    integration = lambda_integration(gw, api_id, echo, version="1.0")
    route(gw, api_id, "GET /items/{id}", integration)
    gw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    event = request(url(server, api_id, "/items/5?t=a&t=b"), headers={"X-One": "1"}).json()
    assert event["version"] == "1.0"
    assert event["resource"] == "/items/{id}"
    assert event["path"] == "/items/5"
    assert event["httpMethod"] == "GET"
    assert event["queryStringParameters"] == {"t": "b"}
    assert event["multiValueQueryStringParameters"] == {"t": ["a", "b"]}
    assert event["multiValueHeaders"]["x-one"] == ["1"]
    assert event["pathParameters"] == {"id": "5"}
    assert event["requestContext"]["httpMethod"] == "GET"
    assert event["body"] is None


def _order(server, api_id, returned):
    return request(url(server, api_id, "/"), "POST", body=json.dumps({"return": returned}))


@pytest.fixture(scope="module")
def answering(gw, answer):
    return quick_api(gw, answer)


def test_a_structured_answer_sets_status_headers_and_cookies(server, answering):
    answer = _order(
        server,
        answering,
        {
            "statusCode": 201,
            "headers": {"content-type": "text/plain", "x-made": "yes"},
            "cookies": ["a=1; Path=/", "b=2"],
            "body": "made",
        },
    )
    assert answer.status == 201
    assert answer.body == b"made"
    assert answer.headers["content-type"] == "text/plain"
    assert answer.headers["x-made"] == "yes"
    assert [v for k, v in answer.header_list if k == "set-cookie"] == ["a=1; Path=/", "b=2"]


def test_a_bare_dict_is_a_200_json_body(server, answering):
    answer = _order(server, answering, {"hello": "world"})
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == {"hello": "world"}


def test_a_bare_string_is_the_body(server, answering):
    answer = _order(server, answering, "Hello from Lambda!")
    assert (answer.status, answer.body) == (200, b"Hello from Lambda!")


def test_a_base64_answer_is_sent_as_binary(server, answering):
    data = bytes(range(256))
    answer = _order(
        server,
        answering,
        {
            "statusCode": 200,
            "headers": {"content-type": "application/octet-stream"},
            "body": base64.b64encode(data).decode(),
            "isBase64Encoded": True,
        },
    )
    assert answer.body == data


def test_a_binary_request_reaches_the_function_in_base64(server, gw, echo):
    api_id = quick_api(gw, echo)
    data = bytes(range(256))
    event = request(
        url(server, api_id, "/upload"),
        "POST",
        body=data,
        headers={"Content-Type": "application/octet-stream"},
    ).json()
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == data
    text = request(
        url(server, api_id, "/upload"),
        "POST",
        body='{"a": 1}',
        headers={"Content-Type": "application/json"},
    ).json()
    assert (text["body"], text["isBase64Encoded"]) == ('{"a": 1}', False)


def test_a_function_error_is_an_internal_server_error(server, answering):
    answer = request(url(server, answering, "/"), "POST", body=json.dumps({"raise": "boom"}))
    assert (answer.status, answer.json()) == (500, {"message": "Internal Server Error"})


def test_an_answer_of_an_invalid_shape_is_an_internal_server_error(server, answering):
    answer = _order(server, answering, {"statusCode": "teapot", "body": "x"})
    assert (answer.status, answer.json()) == (500, {"message": "Internal Server Error"})
    answer = _order(server, answering, {"statusCode": 200, "body": {"not": "a string"}})
    assert answer.status == 500


def test_an_integration_past_its_timeout_is_service_unavailable(server, gw, answer):
    api_id = gw.create_api(Name=unique("slow"), ProtocolType="HTTP")["ApiId"]
    integration = lambda_integration(gw, api_id, answer, TimeoutInMillis=500)
    route(gw, api_id, "POST /slow", integration)
    gw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    answered = request(url(server, api_id, "/slow"), "POST", body=json.dumps({"sleep": 2}))
    assert (answered.status, answered.json()) == (503, {"message": "Service Unavailable"})


def test_a_missing_function_is_an_internal_server_error(server, gw):
    api_id = quick_api(gw, "arn:aws:lambda:us-east-1:000000000000:function:never-made")
    answer = request(url(server, api_id, "/"))
    assert (answer.status, answer.json()) == (500, {"message": "Internal Server Error"})


def test_a_body_over_10_mb_is_too_large(server, answering):
    answer = request(url(server, answering, "/"), "POST", body=b"x" * (10 * 1024 * 1024 + 1))
    assert answer.status == 413


def test_an_http_proxy_forwards_the_request(server, gw):
    api_id = quick_api(gw, f"{server.endpoint}/_cloudlet/health", "GET /check")
    answer = request(url(server, api_id, "/check"))
    assert answer.status == 200  # a route's URL is used as it is
    api_id = quick_api(gw, f"{server.endpoint}/_cloudlet")  # $default: the path is appended
    answer = request(url(server, api_id, "/health"))
    assert answer.status == 200
    assert answer.json()["status"] == "running"


def test_cors_preflight_is_answered_by_the_gateway(server, gw, echo):
    api_id = quick_api(
        gw,
        echo,
        "ANY /{proxy+}",
        CorsConfiguration={
            "AllowOrigins": ["https://app.example"],
            "AllowMethods": ["GET", "POST"],
            "AllowHeaders": ["content-type", "authorization"],
            "ExposeHeaders": ["x-total"],
            "MaxAge": 300,
            "AllowCredentials": True,
        },
    )
    preflight = request(
        url(server, api_id, "/things"),
        "OPTIONS",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    assert preflight.status == 204
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert preflight.headers["access-control-allow-methods"] == "GET,POST"
    assert preflight.headers["access-control-allow-headers"] == "content-type,authorization"
    assert preflight.headers["access-control-max-age"] == "300"
    assert preflight.headers["access-control-allow-credentials"] == "true"
    stranger = request(
        url(server, api_id, "/things"),
        "OPTIONS",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert stranger.status == 204
    assert "access-control-allow-origin" not in stranger.headers
    actual = request(url(server, api_id, "/things"), headers={"Origin": "https://app.example"})
    assert actual.status == 200
    assert actual.headers["access-control-allow-origin"] == "https://app.example"
    assert actual.headers["access-control-expose-headers"] == "x-total"


def test_route_throttling_answers_too_many_requests(server, gw, echo):
    api_id = quick_api(gw, echo, "GET /limited")
    gw.update_stage(
        ApiId=api_id,
        StageName="$default",
        RouteSettings={"GET /limited": {"ThrottlingBurstLimit": 2, "ThrottlingRateLimit": 0.01}},
    )
    statuses = [request(url(server, api_id, "/limited")).status for _ in range(4)]
    assert statuses[:2] == [200, 200]
    assert statuses[2:] == [429, 429]
    answer = request(url(server, api_id, "/limited"))
    assert answer.json() == {"message": "Too Many Requests"}


def test_stage_throttling_applies_to_every_route(server, gw, echo):
    api_id = quick_api(gw, echo, "GET /a")
    gw.update_stage(
        ApiId=api_id,
        StageName="$default",
        DefaultRouteSettings={"ThrottlingBurstLimit": 0, "ThrottlingRateLimit": 0},
    )
    assert request(url(server, api_id, "/a")).status == 429
