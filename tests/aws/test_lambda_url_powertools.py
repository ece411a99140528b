"""A Powertools for AWS Lambda app (LambdaFunctionUrlResolver) answering through a function URL,
unchanged from what runs on AWS: routes, path and query parameters, JSON bodies, cookies,
CORS and its own 404s. Powertools is installed once into pytest's cache (esm_support)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from esm_support import POWERTOOLS_MODULES, package_with
from lambda_support import ROLE, RUNTIME, unique
from url_support import call, create_url

from conftest import client

APP = """
from aws_lambda_powertools.event_handler import CORSConfig, LambdaFunctionUrlResolver, Response
from aws_lambda_powertools.shared.cookies import Cookie

app = LambdaFunctionUrlResolver(cors=CORSConfig(allow_origin="https://shop.example"))

@app.get("/users/<user_id>")
def get_user(user_id):
    return {"id": user_id, "verbose": app.current_event.get_query_string_value("verbose")}

@app.post("/users")
def create_user():
    user = app.current_event.json_body
    return Response(
        status_code=201,
        content_type="application/json",
        body=json.dumps({"created": user["name"]}),
        cookies=[Cookie(name="last", value=user["name"])],
    )

def handler(event, context):
    return app.resolve(event, context)
"""


@pytest.fixture(scope="module")
def url(server, tmp_path_factory) -> str:
    code = package_with(
        tmp_path_factory.mktemp("powertools") / "code",
        "import json\n" + APP,
        POWERTOOLS_MODULES,
    )
    lam = client(server, "lambda")
    name = unique("powertools-url")
    lam.create_function(
        FunctionName=name,
        Runtime=RUNTIME,
        Role=ROLE,
        Handler="app.handler",
        Code={"S3Bucket": "cloudlet-local", "S3Key": str(Path(code))},
        Timeout=10,
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return create_url(lam, name)


def test_a_route_with_path_and_query_parameters(url):
    answer = call(url, "/users/42?verbose=yes")
    assert answer.status == 200
    assert json.loads(answer.body) == {"id": "42", "verbose": "yes"}


def test_a_json_post_answers_with_status_and_cookies(url):
    answer = call(
        url,
        "/users",
        method="POST",
        body=b'{"name": "ada"}',
        headers={"Content-Type": "application/json", "Origin": "https://shop.example"},
    )
    assert answer.status == 201
    assert json.loads(answer.body) == {"created": "ada"}
    assert answer.headers["Set-Cookie"].startswith("last=ada")
    assert answer.headers["Access-Control-Allow-Origin"] == "https://shop.example"


def test_an_unknown_route_is_the_apps_own_404(url):
    answer = call(url, "/nowhere")
    assert answer.status == 404
    assert json.loads(answer.body)["message"] == "Not found"
