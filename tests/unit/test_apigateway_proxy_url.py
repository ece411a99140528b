"""The URL an HTTP proxy integration forwards to, as both API types build it: stage variables
and path parameters put in, an HTTP API's $default route passing its path on, the query
string kept."""

from __future__ import annotations

from cloudlet.gateway.http import Request
from cloudlet.services.apigateway.calls import Call
from cloudlet.services.apigateway.integrations import proxy_url


def call(path: str, query: str = "") -> Call:
    request = Request("GET", path, query, {"host": "localhost"}, b"")
    return Call(request, "000000000000", "us-east-1", "abc", "prod", path, {"host": "example.com"})


def test_stage_variables_and_path_parameters_are_put_in_and_the_query_kept() -> None:
    uri = "http://${stageVariables.host}/pets/{id}/{proxy+}?v=1"
    url = proxy_url(call("/pets/7/a/b", "x=2"), uri, {"id": "7", "proxy": "a/b"})
    assert url == "http://example.com/pets/7/a/b?v=1&x=2"
    assert proxy_url(call("/p", "x=2"), "http://h/p", {}) == "http://h/p?x=2"


def test_a_default_route_passes_its_path_on_after_the_uri() -> None:
    assert proxy_url(call("/any/where"), "http://h/base/", {}, "/any/where") == (
        "http://h/base/any/where"
    )
